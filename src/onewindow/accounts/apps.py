from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "onewindow.accounts"
    label = "accounts"
    verbose_name = _("账户与角色")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import reauth, session_timeout

        user_logged_in.connect(reauth.on_user_logged_in, dispatch_uid="onewindow.accounts.reauth")
        user_logged_in.connect(session_timeout.on_user_logged_in, dispatch_uid="onewindow.accounts.session_timeout")
