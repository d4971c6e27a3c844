from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data set: runs each app's ``demo.load`` in dependency order."""

    name = "onewindow.demo"
    label = "demo"
    verbose_name = _("演示数据")
