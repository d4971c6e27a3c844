"""Health check and display preferences (elderly mode); the home page is in config/views.py."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .context_processors import ELDERLY_COOKIE


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_POST
def toggle_elderly_mode(request: HttpRequest) -> HttpResponse:
    """Switch the large-font elderly mode (适老化) on or off; remembered for a year."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    enabled = request.COOKIES.get(ELDERLY_COOKIE) != "1"
    response.set_cookie(ELDERLY_COOKIE, "1" if enabled else "0", max_age=365 * 24 * 3600,
                        samesite="Lax", httponly=True)
    return response
