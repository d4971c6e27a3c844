"""URLs of staffing under ``/staffing/`` (issue #15): today's flags and advice, proposals, rosters,
the policy, the weekly report and a clerk's own roster. Each view module owns its ``urlpatterns``."""

from __future__ import annotations

from django.urls import URLPattern

from .views import me, policy, proposals, reports, rosters, today

app_name = "staffing"

urlpatterns: list[URLPattern] = [*today.urlpatterns, *proposals.urlpatterns, *rosters.urlpatterns,
                                 *policy.urlpatterns, *reports.urlpatterns, *me.urlpatterns]
