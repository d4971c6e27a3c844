"""Pages of data sharing: access (filled by its owner; see sharing/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
