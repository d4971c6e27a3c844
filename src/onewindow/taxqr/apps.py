from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxqrConfig(AppConfig):
    name = "onewindow.taxqr"
    label = "taxqr"
    verbose_name = _("房交信息采集")

    def ready(self) -> None:
        # accounts cannot import taxqr: tell it which persons a bureau's staff handle (decision 0007).
        from onewindow.accounts.scope import register_party_scope

        from .party_scope import tax_party_scope

        register_party_scope("taxqr", tax_party_scope, order=40)
