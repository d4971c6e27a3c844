"""一公开: the public pages of the supervision platform, readable without a login (国办发〔2015〕58号,
DOMAIN.md R4.1, R4.5). Issue #12 part 1: the published item lists, each version with its digest
and a canonical JSON copy whose SHA-256 equals the digest, so anyone can check a copy."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from onewindow.core.errors import DomainError

from ..choices import ItemListKind
from ..selectors import item_lists as lists


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "supervision/public/error.html", {"error": exc}, status=exc.status)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The public index: the latest version of each list."""
    latest = {}
    for kind in ItemListKind.values:
        history = lists.published_history(kind)
        latest[kind] = history[0] if history else None
    return render(
        request,
        "supervision/public/index.html",
        {"random": latest[ItemListKind.RANDOM], "joint": latest[ItemListKind.JOINT]},
    )


@require_GET
def item_list(request: HttpRequest, kind: str, number: int | None = None) -> HttpResponse:
    """One version of a list (the latest without a number), with the version history."""
    try:
        version = lists.published_version(kind, number)
    except DomainError as exc:
        return _error(request, exc)
    context = {
        "version": version,
        "history": lists.published_history(kind),
        "is_latest": number is None,
    }
    if kind == ItemListKind.RANDOM:
        context["groups"] = lists.grouped_by_department(version)
    else:
        context["joint_items"] = version.snapshot.get("items", [])
    return render(request, f"supervision/public/list_{version.kind}.html", context)


@require_GET
def item_list_json(request: HttpRequest, kind: str, number: int) -> HttpResponse:
    """The version's items as canonical JSON (sorted keys, no spaces, UTF-8): its SHA-256 is the
    published digest."""
    try:
        version = lists.published_version(kind, number)
    except DomainError as exc:
        return HttpResponse(
            json.dumps(exc.as_dict(), ensure_ascii=False), status=exc.status, content_type="application/json"
        )
    body = json.dumps(version.snapshot["items"], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="item-list-{version.kind}-v{version.number}.json"'
    return response


urlpatterns: list[URLPattern] = [
    path("public/", index, name="public"),
    path("public/lists/<str:kind>/", item_list, name="public-list"),
    path("public/lists/<str:kind>/v<int:number>/", item_list, name="public-list-version"),
    path("public/lists/<str:kind>/v<int:number>.json", item_list_json, name="public-list-json"),
]
