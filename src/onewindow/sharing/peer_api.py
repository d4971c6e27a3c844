"""The JSON API of data sharing: the peer endpoint (``/api/v1/sharing/peer/``) another
installation's exchange calls (跨平台交换接口).

``POST /peer/exchange`` — authenticated only by a grant token this installation issued
(``Authorization: Bearer ow_<prefix>_<secret>``; a login session or an API token is not a grant),
with the consumer's signed request statement in the body. The handler parses, calls
``services.peer_exchange.peer_exchange_serve`` and renders; refusals are ``{code, message,
fields}`` with their status (and, once the exchange logged the refusal, this side's signed
``statement`` of it; a 429 also ``Retry-After``).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Schema
from ninja.security import HttpBearer
from pydantic import Field

from onewindow.core.errors import DomainError
from onewindow.core.normalize import NfkcStr
from onewindow.core.schemas import ErrorOut

from .services.peer_exchange import peer_exchange_serve, token_invalid

router = Router(tags=["sharing"])

ERRORS: dict[int, Any] = {status: ErrorOut for status in (401, 403, 409, 422, 429, 502, 503, 504)}


class GrantBearer(HttpBearer):
    """A bearer grant token: kept as given; the service looks the grant up (401
    ``sharing_grant_token_invalid`` when none)."""

    def authenticate(self, request: HttpRequest, token: str) -> str:
        if not token:
            raise token_invalid()
        return token


class StatementIn(Schema):
    kid: str = Field(..., max_length=60)
    signature: str = Field(..., max_length=100)
    content_hash: str = Field(..., min_length=64, max_length=64)


class PeerExchangeIn(Schema):
    exchange_id: uuid.UUID
    resource_code: NfkcStr = Field(..., max_length=40)
    purpose: str = Field(..., max_length=20)
    params: dict[str, Any] = Field(default_factory=dict)
    fields: list[str] | None = Field(None, max_length=100)
    case_number: str = Field("", max_length=40)
    consumer_code: NfkcStr = Field(..., max_length=80)
    statement: StatementIn


class PeerStatementOut(Schema):
    kid: str
    signature: str
    content_hash: str
    content: dict[str, Any]


class PeerExchangeOut(Schema):
    exchange_id: str
    rows: list[dict[str, Any]]
    as_of: datetime.datetime | None
    fields: list[str]
    statement: PeerStatementOut


@router.post("/exchange", auth=GrantBearer(), response={200: PeerExchangeOut, **ERRORS},
             summary="对端平台交换接口（共享授权令牌 + 签名请求）")
def peer_exchange(request: HttpRequest, payload: PeerExchangeIn) -> dict[str, Any] | HttpResponse:
    try:
        return peer_exchange_serve(
            token=str(getattr(request, "auth", "")), exchange_id=payload.exchange_id,
            resource_code=payload.resource_code, purpose=payload.purpose, params=payload.params,
            fields=payload.fields, case_number=payload.case_number, consumer_code=payload.consumer_code,
            statement=payload.statement.model_dump(),
        )
    except DomainError as exc:
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is None:
            raise
        response = JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})
        response["Retry-After"] = str(retry_after)
        return response
