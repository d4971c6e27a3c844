from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "onewindow.supervision"
    label = "supervision"
    verbose_name = _("事中事后监管")

    def ready(self) -> None:
        # market cannot import supervision: a registration or change of scope reaches 双告知
        # through market's entity-change listeners (DOMAIN.md R5.1).
        from onewindow.market.listeners import register_entity_listener

        from .services.dispatch import LISTENER, dual_notice_listener

        register_entity_listener(LISTENER, dual_notice_listener)

        # core cannot import supervision: a calendar change recomputes the 双告知 deadlines here
        # (decision 0011).
        from onewindow.core.calendar import register_calendar_listener

        from .services.recompute import tasks_recompute

        register_calendar_listener("supervision", tasks_recompute)

        # market cannot import supervision: the entity's profile shows its open alerts and its
        # inspections with results through market's profile sections (issue #11, #12 parts 6, 8).
        from onewindow.market.profile_sections import register_profile_section

        from .selectors import profile

        register_profile_section(
            profile.ALERTS_KEY,
            _("监管预警"),
            profile.profile_alerts,
            template="supervision/_profile_alerts.html",
            order=10,
        )
        register_profile_section(
            profile.INSPECTIONS_KEY,
            _("抽查检查结果"),
            profile.profile_inspections,
            template="supervision/_profile_inspections.html",
            order=20,
        )
