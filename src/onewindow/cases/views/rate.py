"""The rating pages of a case (好差评 一事一评): for the logged-in applicant on the case, and through
the signed link of the SMS without login. Parse, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods

from onewindow.core.errors import DomainError
from onewindow.ratings.choices import RatingLevel
from onewindow.ratings.selectors import rating_of

from .. import selectors, services


def _page(request: HttpRequest, *, case: Any, action: str, status: int = 200, error: DomainError | None = None,
          done: bool = False) -> HttpResponse:
    rating = rating_of("case", str(case.pk))
    return render(request, "cases/rate.html", {
        "case": case, "action": action, "levels": RatingLevel.choices, "rating": rating, "error": error,
        "done": done, "fields": error.fields if error else {},
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def rate_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """Rate one's own concluded case on the five levels, with an optional comment."""
    try:
        case = selectors.case_get_for(request.user, case_id)
    except DomainError as exc:
        return render(request, "cases/rate_error.html", {"error": exc}, status=exc.status)
    action = request.path
    if request.method == "POST":
        try:
            services.case_rate(by=request.user, case_id=case.pk, level=request.POST.get("level"),
                               comment=request.POST.get("comment", ""), channel="web")
        except DomainError as exc:
            return _page(request, case=case, action=action, status=exc.status, error=exc)
        return _page(request, case=case, action=action, done=True)
    return _page(request, case=case, action=action)


@require_http_methods(["GET", "POST"])
def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The SMS rating link: no login; the signed token names the case."""
    try:
        case = services.case_from_token(token)
    except DomainError as exc:
        return render(request, "cases/rate_error.html", {"error": exc}, status=exc.status)
    action = request.path
    if request.method == "POST":
        try:
            services.case_rate_by_token(token=token, level=request.POST.get("level"),
                                        comment=request.POST.get("comment", ""))
        except DomainError as exc:
            return _page(request, case=case, action=action, status=exc.status, error=exc)
        return _page(request, case=case, action=action, done=True)
    return _page(request, case=case, action=action)


urlpatterns: list[URLPattern] = [
    path("<int:case_id>/rate/", rate_case, name="rate"),
    path("rate/<str:token>/", rate_by_link, name="rate-link"),
]
