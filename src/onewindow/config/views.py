"""The home page of the web shell: it composes the apps' public figures, so it lives beside the
URL configuration rather than in ``core`` (which must not import any domain app)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from onewindow.catalog.selectors import catalog_stats
from onewindow.core.middleware import TOO_LARGE_ERRORS, too_large_response


def home(request: HttpRequest) -> HttpResponse:
    """网上政务大厅首页: search box and the online hall's headline figures (seed article)."""
    return render(request, "home.html", {"stats": catalog_stats()})


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler: a body over Django's own limits (too large, too many fields) is 413.

    Such bodies raise when a middleware or view first reads ``request.POST`` (issue #9: 413 in the
    error shape for the API, the 413 page for browsers); anything else keeps Django's 400 page,
    which ``ApiJsonErrorMiddleware`` turns into the JSON shape under /api/.
    """
    if isinstance(exception, TOO_LARGE_ERRORS):
        return too_large_response(request)
    return defaults.bad_request(request, exception)
