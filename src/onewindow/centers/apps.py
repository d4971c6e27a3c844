from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CentersConfig(AppConfig):
    name = "onewindow.centers"
    label = "centers"
    verbose_name = _("受理服务中心")
