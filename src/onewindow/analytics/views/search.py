"""The acceptance query page (受理信息查询, issue #14 part 8) at ``/analytics/search/``.

A POST form (personal data never goes in a URL: docs/security.md; the page buttons post the
criteria again); submitting runs the audited search (``analytics.services.search.search_run``)
and lists the merged, masked rows with a link to each record's own staff page. Bad criteria show
the form again with the reason and the error's 4xx status; a viewer who may search nothing
gets 403, an anonymous one the login page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from onewindow.core.errors import DomainError, field_messages
from onewindow.core.pagination import page_number

from ..selectors.search import KINDS, require_scope
from ..services.search import search_run

FIELDS = ("id_number", "phone", "name", "item", "window", "clerk", "date_from", "date_to")
KIND_LABELS = {"case": _("办件"), "ticket": _("排队取号"), "appointment": _("预约"), "rating": _("好差评")}


@login_required
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    values = {name: request.POST.get(name, "")[:100] for name in FIELDS}
    kinds = [k for k in request.POST.getlist("kinds") if k][:4]
    context: dict[str, Any] = {"values": values, "kinds": kinds or list(KINDS),
                               "kind_choices": [(k, KIND_LABELS[k]) for k in KINDS]}
    try:
        require_scope(request.user)
        if request.method == "POST":
            raw = {**values, "kinds": kinds or None}
            result = search_run(by=request.user, raw=raw, page=page_number(request.POST.get("page")))
            context.update(result=result,
                           rows=[{**row, "kind_label": KIND_LABELS[row["kind"]]} for row in result.rows])
    except DomainError as exc:
        context.update(error=exc, errors=field_messages(exc))
        return render(request, "analytics/search.html", context, status=exc.status)
    return render(request, "analytics/search.html", context)


urlpatterns: list[URLPattern] = [path("search/", search, name="search")]
