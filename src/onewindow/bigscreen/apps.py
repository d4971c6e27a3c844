from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BigscreenConfig(AppConfig):
    name = "onewindow.bigscreen"
    label = "bigscreen"
    verbose_name = _("大数据应用展示")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
