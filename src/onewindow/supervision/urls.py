"""URLs of supervision under ``/supervision/``: the home page, 双告知 and the officer roster."""

from __future__ import annotations

from django.urls import URLPattern

from .views import alerts, home, inspections, items, officers, platform_statistics, public, public_draws, tasks
from .views.plans import urlpatterns as plan_urlpatterns

app_name = "supervision"

urlpatterns: list[URLPattern] = [
    *home.urlpatterns,
    *tasks.urlpatterns,
    *officers.urlpatterns,
    *public.urlpatterns,
    *public_draws.urlpatterns,
    *items.urlpatterns,
    *alerts.urlpatterns,
    *platform_statistics.urlpatterns,
    *inspections.urlpatterns,
    *plan_urlpatterns,
]
