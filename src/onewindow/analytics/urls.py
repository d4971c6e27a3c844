"""URLs of the management system under ``/analytics/``: the management home (the eight modules as
navigation), statistics, appraisal, item decisions and the acceptance query. Each view module owns
its own ``urlpatterns``."""

from __future__ import annotations

from django.urls import URLPattern

from .views import appraisal, decisions, home, search, statistics

app_name = "analytics"

urlpatterns: list[URLPattern] = [
    *home.urlpatterns,
    *statistics.urlpatterns,
    *appraisal.urlpatterns,
    *decisions.urlpatterns,
    *search.urlpatterns,
]
