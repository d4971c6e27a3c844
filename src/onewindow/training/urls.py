"""URLs of training (filled by its owner)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "training"

urlpatterns: list[URLPattern] = []
