"""URLs for the session-timeout tests: the project's own, plus one ordinary page and one
background poll (so the middleware is tested apart from any app's views)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from onewindow.accounts.session_timeout import background_poll
from onewindow.config.urls import urlpatterns as project_urlpatterns


@login_required
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


@background_poll
@login_required
def poll(request: HttpRequest) -> HttpResponse:
    return HttpResponse("poll")


urlpatterns = [path("t/page/", page), path("t/poll/", poll), *project_urlpatterns]
