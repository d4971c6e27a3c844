"""The acceptance query (受理信息查询, issue #14 part 8) in the JSON API: ``GET /api/v1/analytics/search``.

The criteria as query parameters (``id_number``, ``phone``, ``name``, ``item``, ``window``,
``clerk``, ``date_from``, ``date_to``, ``kinds`` repeated), one page of the merged, masked rows.
Every search is audited (``analytics.search``). Session or a token of a user with the
``analytics`` scope. Refusals: 401 no credential; 403 ``insufficient_scope``,
``token_without_user``, ``search_forbidden`` (no center or department to search); 400
``search_no_criteria``, ``search_id_number_invalid``, ``search_phone_invalid``,
``search_date_invalid``, ``search_range_invalid``, ``search_range_too_long``,
``search_window_invalid``, ``search_kind_invalid``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.schemas import PageOut

from ..selectors.search import MAX_PAGE, PAGE_SIZE
from ..services.search import search_run

router = Router()
SCOPE = "analytics"


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


class SearchRowOut(Schema):
    kind: str
    id: int
    at: datetime.datetime
    item: str
    person: str
    status: str
    number: str
    link: str


class SearchOut(PageOut):
    items: list[SearchRowOut]


@router.get("/search", response={200: SearchOut, **ERRORS}, auth=session_or_token, summary="受理信息查询")
def search(
    request: HttpRequest,
    id_number: NfkcStr = Query("", max_length=18),  # noqa: B008 - ninja reads the default
    phone: NfkcStr = Query("", max_length=11),  # noqa: B008
    name: str = Query("", max_length=100),
    item: NfkcStr = Query("", max_length=36),  # noqa: B008
    window: NfkcInt | None = Query(None, ge=1, le=2**31 - 1),  # noqa: B008
    clerk: str = Query("", max_length=150),
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    kinds: list[str] = Query([]),  # noqa: B008
    page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
    page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=100),  # noqa: B008
) -> SearchOut:
    user = require_user(request, SCOPE)
    raw = {"id_number": id_number, "phone": phone, "name": name, "item": item, "window": window, "clerk": clerk,
           "date_from": date_from, "date_to": date_to, "kinds": kinds or None}
    result = search_run(by=user, raw=raw, page=page, page_size=page_size)
    return SearchOut(items=[SearchRowOut(**row) for row in result.rows], total=result.total, page=result.page,
                     pages=result.pages)
