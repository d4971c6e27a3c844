"""The public page of the 联合惩戒 lists (向社会公示), readable without a login (parse, call one
selector, render).

Rule: 国发〔2016〕33号 asks that the lists and the entries' reasons be made public so that society
takes part in the sanction; what is shown and what is not (a natural person never) is decided in
:func:`onewindow.market.sanctions_selectors.public_listings`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from onewindow.core.pagination import paginate

from .. import sanctions_selectors as selectors
from ..choices import SanctionList

PAGE_SIZE = 30


def _page(value: Any) -> int:
    try:
        return max(1, min(int(value), 100_000))
    except (TypeError, ValueError):
        return 1


@require_GET
def sanctions(request: HttpRequest) -> HttpResponse:
    """联合惩戒名单公示: active organization entries with the public-disclosure measure, ``?list_kind=``
    filters (an unknown list shows every list), paged."""
    list_kind = request.GET.get("list_kind", "")[:30]
    if list_kind not in SanctionList.values:
        list_kind = ""
    rows = paginate(selectors.public_listings(list_kind=list_kind), _page(request.GET.get("page")), PAGE_SIZE)
    return render(
        request,
        "market/public/sanctions.html",
        {"rows": rows, "list_kind": list_kind, "lists": SanctionList.choices},
    )
