"""URLs of market under ``/market/``."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "market"

urlpatterns: list[URLPattern] = []
