from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "onewindow.sharing"
    label = "sharing"
    verbose_name = _("政务数据共享")

    def ready(self) -> None:
        # The built-in providers of this installation's registers (entity registry, licences,
        # datasets loaded by bulk drops) register themselves on import.
        from . import providers  # noqa: F401
