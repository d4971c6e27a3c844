"""``/staffing/me/``: a clerk's own shifts for the coming weeks (issue #15 part 3, "each clerk sees
their own roster"): date, hours, break, and the windows and categories of each part of the day.
Only published rosters' shifts and only the viewer's own; ``?since=`` moves the four weeks shown."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET

from onewindow.core.errors import DomainError

from .. import permissions
from ..selectors import roster as roster_selectors
from .common import day, error_page

WEEKS = 4


@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    try:
        since = day(request.GET.get("since"), "since", required=False) or timezone.localdate()
    except DomainError as exc:
        return error_page(request, exc, nav="me")
    until = since + datetime.timedelta(days=7 * WEEKS - 1)
    shifts = list(roster_selectors.my_shifts(by=request.user, since=since, until=until))
    return render(request, "staffing/me.html", {
        "shifts": shifts, "since": since, "until": until, "nav": "me",
        "manages": bool(permissions.managed_centers(request.user)),
        "earlier": since - datetime.timedelta(days=7 * WEEKS), "later": until + datetime.timedelta(days=1)})


urlpatterns: list[URLPattern] = [path("me/", me, name="me")]
