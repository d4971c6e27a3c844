"""URLs of training under ``/training/``: home, courses (new, detail, effect), records and
sessions. Each view module owns its own ``urlpatterns``."""

from __future__ import annotations

from django.urls import URLPattern

from .views import courses, home, sessions

app_name = "training"

urlpatterns: list[URLPattern] = [*home.urlpatterns, *courses.urlpatterns, *sessions.urlpatterns]
