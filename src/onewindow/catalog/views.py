"""Catalog pages: search (办事指南查询, htmx live results), the service guide and its PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from onewindow.core.errors import DomainError

from . import selectors
from .guide_pdf import render_guide_pdf

FILTERS = ("q", "level", "district", "street", "department", "type", "category", "depth", "status")


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    filters = {name: request.GET.get(name, "") for name in FILTERS}
    try:
        page_number = int(request.GET.get("page") or 1)
    except ValueError:
        page_number = 0
    template = "catalog/_results.html" if request.headers.get("HX-Request") else "catalog/search.html"
    try:
        page = selectors.catalog_search_page(user=request.user, page=page_number, **filters)
    except DomainError as exc:
        # htmx swaps only 2xx answers: the live-results partial shows the refusal in place
        status = 200 if request.headers.get("HX-Request") else exc.status
        return render(request, template, {"error": exc, "raw": filters}, status=status)
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode()
    return render(request, template, {"page": page, "result": page.result, "f": page.filters,
                                      "raw": filters, "query": query})


@require_GET
def guide(request: HttpRequest, code: str) -> HttpResponse:
    try:
        item = selectors.item_get_for(request.user, code)
    except DomainError as exc:
        return render(request, "catalog/not_found.html", {"error": exc}, status=exc.status)
    return render(request, "catalog/guide.html", {"item": item, "v": item.current_version})


@require_GET
def guide_pdf(request: HttpRequest, code: str) -> HttpResponse:
    try:
        item = selectors.item_get_for(request.user, code)
    except DomainError as exc:
        return render(request, "catalog/not_found.html", {"error": exc}, status=exc.status)
    response = HttpResponse(render_guide_pdf(item), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"办事指南-{item.code}.pdf") or ""
    return response
