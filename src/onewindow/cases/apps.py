from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "onewindow.cases"
    label = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        # accounts cannot import cases: tell it which persons a clerk handles (decision 0007).
        from onewindow.accounts.scope import register_party_scope

        from .party_scope import case_party_scope

        register_party_scope("cases", case_party_scope, order=10)

        # core cannot import cases: a calendar change recomputes the clocks here (decision 0011).
        from onewindow.core.calendar import register_calendar_listener

        from .services.recompute import clocks_recompute

        register_calendar_listener("cases", clocks_recompute)
