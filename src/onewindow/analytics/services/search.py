"""The audited acceptance query (受理信息查询, issue #14 part 8).

Every search a member of staff runs writes one audit entry ``analytics.search`` with the
criteria — the ID number, phone and name masked (个人信息保护法 art. 51: the trail never holds
them in clear) — and the number of rows found, so who looked for whom can be reviewed later
(网络安全法 art. 21(3)). Refused criteria (4xx) and a viewer without scope (403) write nothing:
nothing was searched. Views and the API call :func:`search_run` only.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from onewindow.accounts.permissions import as_user, primary_role
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record

from ..selectors.search import PAGE_SIZE, SearchResult, criteria_from, require_scope, search_results


def search_run(*, by: Actor, raw: dict[str, Any], page: int = 1, page_size: int = PAGE_SIZE) -> SearchResult:
    """Check the criteria, search the viewer's scope, audit the search; returns one page."""
    require_scope(by)
    criteria = criteria_from(raw)
    with transaction.atomic():
        result = search_results(by, criteria, page=page, page_size=page_size)
        user = as_user(by)
        audit_record(actor=by, action="analytics.search", target=("search", "", "受理信息查询"),
                     after={"criteria": criteria.masked(), "count": result.total, "page": result.page},
                     role=primary_role(user) if user is not None else "")
    return result
