"""URLs of the service centers under ``/centers/``: the public pages (ticket print and status,
waiting board, hall display), the kiosk, the citizen's appointment pages (views.citizen) and the
staff pages (views.staff)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from .views import citizen as citizen_views
from .views import devices as device_views
from .views import kiosk as kiosk_views
from .views import kiosk_booking as kiosk_booking_views
from .views import public as public_views
from .views import staff as staff_views

app_name = "centers"

# Fixed prefixes first (window/, <id>/manage/, devices/, appointments/, tickets/, t/), then the
# <center code>/ pages.
urlpatterns: list[URLPattern | URLResolver] = [*staff_views.urlpatterns, *device_views.urlpatterns,
                                                  *citizen_views.urlpatterns,
                                                  *public_views.urlpatterns, *kiosk_views.urlpatterns,
                                                  *kiosk_booking_views.urlpatterns]
