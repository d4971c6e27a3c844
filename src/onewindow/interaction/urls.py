"""URLs of interaction (filled by its owner)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "interaction"

urlpatterns: list[URLPattern] = []
