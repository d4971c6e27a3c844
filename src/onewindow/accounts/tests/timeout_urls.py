"""URLs for the session-timeout tests: the project's own, plus one ordinary page and one
background poll (so the middleware is tested apart from any app's views)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from onewindow.config.urls import urlpatterns as project_urlpatterns

try:
    from onewindow.accounts.session_timeout import background_poll
except ImportError:  # before issue #9: nothing marks a poll
    def background_poll(view):  # type: ignore[no-untyped-def]
        return view


@login_required
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


@background_poll
@login_required
def poll(request: HttpRequest) -> HttpResponse:
    return HttpResponse("poll")


urlpatterns = [path("t/page/", page), path("t/poll/", poll), *project_urlpatterns]
