from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CentersConfig(AppConfig):
    name = "onewindow.centers"
    label = "centers"
    verbose_name = _("受理服务中心")

    def ready(self) -> None:
        # accounts cannot import centers: tell it which persons a center's staff handle (decision 0007).
        from onewindow.accounts.scope import register_party_scope

        from .party_scope import appointment_party_scope, ticket_party_scope

        register_party_scope("centers.tickets", ticket_party_scope, order=20)
        register_party_scope("centers.appointments", appointment_party_scope, order=30)

        # cases cannot read tickets: tell it which window cases come from a booking (issue #10).
        from onewindow.cases.services.origins import register_window_origin

        from .selectors import window_case_origin

        register_window_origin(window_case_origin)
