"""URLs of case handling under ``/cases/``: the applicant pages and the staff pages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from .views import apply as apply_views
from .views import rate as rate_views
from .views import staff as staff_views
from .views import unmask as unmask_views

app_name = "cases"

urlpatterns: list[URLPattern | URLResolver] = [*apply_views.urlpatterns, *unmask_views.urlpatterns,
                                                  *staff_views.urlpatterns, *rate_views.urlpatterns]
