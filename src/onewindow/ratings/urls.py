"""URLs of 好差评 under ``/ratings/``: the follow-up pages of bad ratings (差评回访)."""

from __future__ import annotations

from django.urls import URLPattern

from . import views

app_name = "ratings"

urlpatterns: list[URLPattern] = [*views.urlpatterns]
