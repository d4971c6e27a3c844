"""The shared-service API (共享查询接口): ``POST /api/v1/sharing/exchange/{resource_code}``.

A consumer department's system queries a resource under its grant, authenticated by the grant's
token (``Authorization: Bearer ow_<prefix>_<secret>``, shown once at approval), with the body
``{purpose, params, fields?, case_number?}``; the answer is ``{exchange_id, resource_code, fields,
rows, as_of}`` — only the fields asked for within the grant, personal fields not granted masked.
Every exchange, and every refusal once the token is known, is logged on both sides
(``services.exchange``).

Refusals, all ``{code, message, fields}``: 401 ``unauthenticated`` (no bearer) /
``sharing_grant_token_invalid`` (an unknown token, or an API token that is not a grant's); 403
``sharing_grant_revoked`` / ``sharing_grant_expired`` / ``sharing_grant_not_yet_valid`` /
``sharing_purpose_mismatch`` / ``sharing_fields_not_granted`` / ``sharing_grant_wrong_resource`` /
``sharing_resource_withdrawn``; 404 ``sharing_resource_not_found``; 422 the body's fields or
``sharing_params_invalid``; 429 ``sharing_rate_limited`` with ``Retry-After``; 502 / 503 / 504 when
the provider fails, is down or does not answer in time.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Path, Router, Schema
from ninja.security import HttpBearer
from pydantic import Field

from onewindow.core.errors import DomainError
from onewindow.core.schemas import ErrorOut

from .models import Grant
from .services.access import grant_authenticate
from .services.exchange import exchange_request


class GrantBearerAuth(HttpBearer):
    """A grant token; ``request.auth`` is the :class:`~sharing.models.Grant` (of any status: the
    exchange refuses a revoked or expired one with 403 and logs the refusal). An unknown or
    malformed token, or an API token that is not a grant's, is 401 ``sharing_grant_token_invalid``."""

    def authenticate(self, request: HttpRequest, token: str) -> Grant:
        grant = grant_authenticate(token)
        if grant is None:
            raise DomainError(_("共享授权令牌无效。"), code="sharing_grant_token_invalid", status=401)
        return grant


grant_auth = GrantBearerAuth()
router = Router(tags=["sharing exchange"], auth=grant_auth)

ParamValue = Annotated[str, Field(max_length=200)] | int | float | bool | None
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut,
                          429: ErrorOut, 502: ErrorOut, 503: ErrorOut, 504: ErrorOut}


class ExchangeIn(Schema):
    purpose: str = Field(max_length=40, description="共享用途，须与授权一致（case_handling / prefill / …）")
    params: dict[str, ParamValue] = Field(max_length=20, description="查询条件，如 {\"credit_code\": \"…\"}")
    fields: list[Annotated[str, Field(max_length=60)]] | None = Field(
        None, max_length=100, description="需要的数据项（默认：授权的全部数据项）")
    case_number: str = Field("", max_length=40, description="所服务的办件编号（如有）")


class ExchangeOut(Schema):
    exchange_id: uuid.UUID
    resource_code: str
    fields: list[str]
    rows: list[dict[str, Any]]
    as_of: datetime.datetime | None


@router.post("/{resource_code}", response={200: ExchangeOut, **ERRORS}, operation_id="sharing_exchange_query")
def exchange(request: HttpRequest, payload: ExchangeIn,
             resource_code: str = Path(..., max_length=40)) -> Any:
    """Query ``resource_code`` under the grant of the bearer token."""
    grant = getattr(request, "auth", None)
    assert isinstance(grant, Grant)
    try:
        result = exchange_request(grant=grant, resource_code=resource_code, purpose=payload.purpose,
                                  params=payload.params, fields=payload.fields, case_number=payload.case_number)
    except DomainError as exc:
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is None:
            raise
        response: HttpResponse = JsonResponse(exc.as_dict(), status=exc.status,
                                              json_dumps_params={"ensure_ascii": False})
        response["Retry-After"] = str(retry_after)
        return response
    return ExchangeOut(exchange_id=result.exchange_id, resource_code=result.resource_code, fields=result.fields,
                       rows=result.rows, as_of=result.as_of)
