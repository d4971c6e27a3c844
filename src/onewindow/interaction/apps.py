from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionConfig(AppConfig):
    name = "onewindow.interaction"
    label = "interaction"
    verbose_name = _("互动交流")
