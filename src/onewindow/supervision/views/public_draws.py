"""一公开: the public pages of 双随机 draws (issue #12 part 4), readable without a login.

Rule (国办发〔2015〕58号, DOMAIN.md R4.1, R4.5: draws and results are published). Each stage shows
what docs/draw-algorithm.md §1 publishes then: the plan, its items and the named random value;
at the freeze the pool and roster (downloadable files, credit codes and certificate numbers are
public) with their digests and the secret's commitment; at the draw the value and the selection
digest, not the names (nobody is tipped off before the inspection); after the inspection the
entities, officers, skips, replacements, the constraints file and the secret. What each stage may
show is decided in ``selectors.draws.public_draw``; this module only renders it.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from onewindow.core.errors import DomainError

from .. import draw
from ..choices import DrawPlanStatus
from ..selectors import draws as draw_selectors

PAGE_SIZE = 30
FILES = {"pool": "pool.txt", "roster": "roster.txt", "constraints": "constraints.txt", "plan": "plan.json"}


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "supervision/public/error.html", {"error": exc}, status=exc.status)


@require_GET
def draw_list(request: HttpRequest) -> HttpResponse:
    """Every published plan, newest first, with its stage; ``?status=`` filters."""
    status = request.GET.get("status", "")
    plans = draw_selectors.public_plans(status=status)
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = [(value, label) for value, label in DrawPlanStatus.choices if value != DrawPlanStatus.DRAFT]
    return render(
        request,
        "supervision/public/draws.html",
        {"page": page, "status": status, "statuses": statuses},
    )


@require_GET
def draw_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One plan's public page at its current stage."""
    try:
        plan = draw_selectors.public_plan(number)
    except DomainError as exc:
        return _error(request, exc)
    view = draw_selectors.public_draw(plan)
    return render(
        request,
        "supervision/public/draw_detail.html",
        {"d": view, "plan": plan, "items": plan.items.all(), "algorithm": draw.ALGORITHM},
    )


@require_GET
def draw_file(request: HttpRequest, number: str, name: str) -> HttpResponse:
    """A published file of the plan, byte for byte what its digest covers."""
    try:
        plan = draw_selectors.public_plan(number)
        text, content_type = draw_selectors.public_file(plan, name)
    except DomainError as exc:
        return _error(request, exc)
    response = HttpResponse(text.encode("utf-8"), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{plan.number}-{FILES[name]}"'
    return response


@require_GET
def draw_howto(request: HttpRequest) -> HttpResponse:
    """How anyone checks a draw (a summary of docs/draw-algorithm.md)."""
    return render(request, "supervision/public/draw_verify.html", {"algorithm": draw.ALGORITHM})


urlpatterns: list[URLPattern] = [
    path("public/draws/", draw_list, name="public-draws"),
    path("public/draws/verify/", draw_howto, name="public-draw-verify"),
    path("public/draws/<str:number>/", draw_detail, name="public-draw"),
    *[
        path(f"public/draws/<str:number>/{filename}", draw_file, {"name": name}, name=f"public-draw-{name}")
        for name, filename in FILES.items()
    ],
]
