"""The search page (市场主体查询), the profile page and the unmask of the legal representative."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from onewindow.accounts.reauth import reauth_required
from onewindow.accounts.unmask import is_machine_request
from onewindow.core.errors import DomainError

from .. import profile_sections, selectors
from ..choices import EntityStatus

FILTERS = ("q", "district", "street", "industry", "status")
JINGAN = "310106"


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "market/error.html", {"error": exc}, status=exc.status)


def _page(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100_000))
    except ValueError:
        return 1


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    raw = {name: request.GET.get(name, "").strip()[:60] for name in FILTERS}
    partial = bool(request.headers.get("HX-Request"))
    template = "market/_results.html" if partial else "market/search.html"
    context: dict[str, object] = {"raw": raw}
    if not partial:
        if not selectors.can_view(request.user):
            return error_page(request, selectors.forbidden())
        context.update(
            industries=selectors.industries_for_filter(),
            streets=selectors.streets_of(JINGAN),
            statuses=EntityStatus.choices,
        )
    if any(raw.values()):
        try:
            context["result"] = selectors.entity_search_for(
                request.user, selectors.SearchFilters(**raw), page=_page(request.GET.get("page"))
            )
        except DomainError as exc:
            # htmx swaps only 2xx answers: the live results show the refusal in place
            context["error"] = exc
            return render(request, template, context, status=200 if partial else exc.status)
        params = request.GET.copy()
        params.pop("page", None)
        context["query"] = params.urlencode()
    return render(request, template, context)


@login_required
@require_GET
def profile(request: HttpRequest, credit_code: str) -> HttpResponse:
    try:
        view = selectors.entity_profile_for(request.user, credit_code)
    except DomainError as exc:
        return error_page(request, exc)
    context = {
        "view": view,
        "profile": view.profile,
        "entity": view.organization,
        # the sections of the apps above market (alerts, inspections), each scoped by its own render
        "sections": profile_sections.sections_for(request.user, view.organization),
    }
    return render(request, "market/profile.html", context)


@never_cache
@login_required
@require_POST
@reauth_required
def unmask(request: HttpRequest, credit_code: str) -> HttpResponse:
    """The legal representative unmasked: a POST (never a link), after re-authentication; the
    selector checks the role and writes the audit entry."""
    try:
        entity = selectors.entity_unmasked_for(request.user, credit_code, machine=is_machine_request(request))
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "market/unmasked.html", {"profile": entity, "entity": entity.organization})
