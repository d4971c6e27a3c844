"""The acceptance query (受理信息查询, issue #14 part 8) in the JSON API: ``POST /api/v1/analytics/search``.

The criteria in the JSON body, never in the URL (``id_number``, ``phone``, ``name``, ``item``, ``window``,
``clerk``, ``date_from``, ``date_to``, ``kinds``, ``page``, ``page_size``), one page of the merged, masked rows.
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
from ninja import Field, Router, Schema

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


class SearchIn(Schema):
    """The criteria, in the body: personal data never goes in a URL (docs/security.md)."""

    id_number: NfkcStr = Field("", max_length=18)
    phone: NfkcStr = Field("", max_length=11)
    name: str = Field("", max_length=100)
    item: NfkcStr = Field("", max_length=36)
    window: NfkcInt | None = Field(None, ge=1, le=2**31 - 1)
    clerk: str = Field("", max_length=150)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    kinds: list[str] = Field(default_factory=list, max_length=4)
    page: NfkcInt = Field(1, ge=1, le=MAX_PAGE)
    page_size: NfkcInt = Field(PAGE_SIZE, ge=1, le=100)


@router.post("/search", response={200: SearchOut, **ERRORS}, auth=session_or_token,
             summary="受理信息查询（条件放在请求体中）")
def search(request: HttpRequest, payload: SearchIn) -> SearchOut:
    user = require_user(request, SCOPE)
    raw = payload.dict(exclude={"page", "page_size"})
    raw["kinds"] = payload.kinds or None
    result = search_run(by=user, raw=raw, page=payload.page, page_size=payload.page_size)
    return SearchOut(items=[SearchRowOut(**row) for row in result.rows], total=result.total, page=result.page,
                     pages=result.pages)
