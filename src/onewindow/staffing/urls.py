"""URLs of staffing under ``/staffing/``. Each view module owns its own ``urlpatterns``."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "staffing"

urlpatterns: list[URLPattern] = []
