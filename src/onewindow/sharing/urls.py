"""URLs of data sharing under ``/sharing/``: the catalogue, access requests and grants, the
exchange log, bulk drops and statistics. Each view module owns its own ``urlpatterns``."""

from __future__ import annotations

from django.urls import URLPattern

from .views import access, bulk, catalogue, logs, statistics

app_name = "sharing"

urlpatterns: list[URLPattern] = [
    *catalogue.urlpatterns,
    *access.urlpatterns,
    *logs.urlpatterns,
    *bulk.urlpatterns,
    *statistics.urlpatterns,
]
