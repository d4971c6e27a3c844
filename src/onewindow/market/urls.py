"""URLs of market under ``/market/``."""

from __future__ import annotations

from django.urls import URLPattern

from . import views

app_name = "market"

urlpatterns: list[URLPattern] = list(views.urlpatterns)
from . import records_views  # noqa: E402  (信息归集 pages under /market/records/)

urlpatterns += records_views.urlpatterns
