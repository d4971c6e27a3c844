from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "onewindow.notifications"
    label = "notifications"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from onewindow.accounts.unmask import register_unmask_alert

        from . import checks  # noqa: F401  (registers the system checks)
        from .security_alerts import unmask_alert_notify

        # accounts cannot import notifications: its unmask soft-limit alert reaches the system
        # admins through this hook (decision 0007).
        register_unmask_alert("notifications", unmask_alert_notify)
