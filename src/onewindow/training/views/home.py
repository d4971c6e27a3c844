"""The training home (``training:home``): for a center manager, the key-training proposals
(重点培训) over the 12 months before a chosen date, the signals (low ratings, long handling
times), the center's courses and next sessions; for a clerk, their own records and the sessions
they are invited to. Anyone else sees an empty page with nothing of any center."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import selectors
from ..choices import SessionStatus
from .common import chosen_center, day_param, managed


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    centers = managed(request)
    center = chosen_center(request, centers)
    context: dict[str, object] = {"centers": centers, "center": center, "nav": "home"}
    if center is not None:
        on = day_param(request.GET.get("on"))
        key = selectors.key_proposals(by=request.user, center_id=center.pk, on=on)
        signals = selectors.signal_proposals(by=request.user, center_id=center.pk, on=key["on"])
        context.update(key=key, signals=signals, courses=list(selectors.course_list(by=request.user,
                                                                                    center_id=center.pk)[:50]),
                       upcoming=list(selectors.session_list(by=request.user, center_id=center.pk)
                                     .filter(status=SessionStatus.PLANNED, starts_at__gte=timezone.now())
                                     .order_by("starts_at", "id")[:10]))
    invited = selectors.session_list(by=request.user).filter(attendances__clerk_id=request.user.pk)
    context.update(records=selectors.clerk_records(by=request.user)[:50],
                   invited=list(invited.filter(status=SessionStatus.PLANNED).order_by("starts_at", "id")[:10]))
    return render(request, "training/home.html", context)


urlpatterns: list[URLPattern] = [path("", home, name="home")]
