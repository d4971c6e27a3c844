from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxqrConfig(AppConfig):
    name = "onewindow.taxqr"
    label = "taxqr"
    verbose_name = _("房交信息采集")
