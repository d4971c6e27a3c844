from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "onewindow.core"
    label = "core"
    verbose_name = _("基础数据")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
