"""The exchange (数据交换): a consumer department's query of a shared resource under its grant.

Rule (issue #13 part 3, after Estonia's X-Road; 《上海市政务数据资源共享管理办法》; PIPL art. 6 purpose
limitation and minimum necessity, art. 51 protection measures):

- An exchange runs under a current grant (not revoked, within its period), states the grant's
  purpose, asks only for fields within the grant and stays within the grant's rate per minute;
  the resource must still be published.
- The answer holds only the fields asked for (by default every granted field of the current
  version). A personal field (``personal`` in the version's schema) that the grant does not name
  may be asked for and is answered **masked** (core.masking, by the field's type: recognisable,
  never in clear); any other field outside the grant is refused, naming the fields.
- Both sides log the exchange (``services.log.log_append``) with the same exchange id: the
  provider entry signed by the provider department's key, the consumer entry by the consumer
  department's — for answers and for every refusal after the grant is known (outcome refused /
  timeout / unavailable / error with the error code). Parameters are never logged, only their
  digest (salted with the exchange id, so equal queries do not share a digest); the response's
  digest is the SHA-256 of the canonical answered rows, which both sides record.

Actor: the consumer department's system — through the grant token on the API
(``exchange_api``), the cases pre-fill with the grant object in process, or another
installation's exchange over HTTP (``peer_api`` calls :func:`exchange_serve`). The exchange log is
the record of these reads (no separate audit entry per exchange: the log is signed and chained).
"""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError, PermissionDenied, RateLimited
from onewindow.core.masking import mask_id_number, mask_name, mask_phone

from .. import canonical, rate_limits
from ..adapters import AdapterAnswer, HttpAdapter, InProcessAdapter, outcome_of, provider_unavailable
from ..choices import AdapterKind, ExchangeOutcome, ExchangeRole, GrantStatus, Purpose, ResourceStatus
from ..models import DataResource, ExchangeLogEntry, Grant, PeerInstallation, ResourceVersion
from .keys import party_code
from .log import log_append, log_attach_peer

#: ``Grant.last_used_at`` is written at most this often (one conditional UPDATE), not per call.
LAST_USED_INTERVAL = datetime.timedelta(minutes=1)
MAX_CASE_NUMBER = 40
MAX_FIELDS = 100


@dataclass(frozen=True)
class ExchangeResult:
    """One exchange's answer: ``fields`` answered (in the version's order), ``rows`` holding exactly
    those fields (personal fields not granted masked), ``as_of`` of the provider's data."""

    exchange_id: uuid.UUID
    resource_code: str
    fields: list[str]
    rows: list[dict[str, Any]]
    as_of: datetime.datetime | None
    provider_code: str


# ---- codes, digests, masking ----------------------------------------------------------------------

def provider_code_of(resource: DataResource) -> str:
    """The provider in the log: this installation's department, or for a resource reached over
    HTTP the peer installation whose base URL its endpoint starts with."""
    if resource.adapter == AdapterKind.HTTP:
        for peer in PeerInstallation.objects.order_by("-base_url"):
            if resource.endpoint.startswith(peer.base_url):
                return f"{peer.code}:{resource.provider_department.code}"
    return party_code(resource.provider_department)


def params_digest(exchange_id: uuid.UUID, params: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical ``{"exchange_id", "params"}``: what the log keeps of the query."""
    return canonical.digest({"exchange_id": str(exchange_id), "params": dict(params)})


def response_digest(rows: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 of the canonical answered rows (after filtering and masking)."""
    return canonical.digest([dict(row) for row in rows])


def mask_value(field: Mapping[str, Any], value: Any) -> Any:
    """A personal value in the masked form of its type: ID numbers and codes keep their first 3
    and last 4 characters, phone numbers likewise, other text its first character; dates,
    numbers, booleans and anything else are withheld (None)."""
    if value is None or value == "":
        return value
    kind = field.get("type")
    name = str(field.get("name", ""))
    if kind in ("id_number", "credit_code"):
        return mask_id_number(str(value))
    if kind in ("string", "region"):
        if any(word in name for word in ("phone", "mobile", "tel")):
            return mask_phone(str(value))
        return mask_name(str(value))
    return None


# ---- refusals ------------------------------------------------------------------------------------

def _refused(message: Any, code: str, **kwargs: Any) -> PermissionDenied:
    return PermissionDenied(message, code=code, **kwargs)


def check_grant(grant: Grant, purpose: str, *, today: datetime.date | None = None) -> None:
    """The grant is current and the stated purpose is the grant's (403 otherwise)."""
    day = today or timezone.localdate()
    if grant.status == GrantStatus.REVOKED:
        raise _refused(_("该共享授权已被提供部门撤销。"), "sharing_grant_revoked")
    if day > grant.valid_to:
        raise _refused(_("该共享授权已过有效期（%(day)s 止）。") % {"day": grant.valid_to.isoformat()},
                       "sharing_grant_expired")
    if day < grant.valid_from:
        raise _refused(_("该共享授权尚未生效（%(day)s 起）。") % {"day": grant.valid_from.isoformat()},
                       "sharing_grant_not_yet_valid")
    if purpose != grant.purpose:
        raise _refused(_("查询用途与共享授权的用途不符：授权用途为“%(purpose)s”。")
                       % {"purpose": Purpose(grant.purpose).label}, "sharing_purpose_mismatch",
                       fields={"purpose": [_("与授权用途不符。")]})


def published_version(resource: DataResource) -> ResourceVersion:
    """The version in force of a published resource (403 ``sharing_resource_withdrawn`` else)."""
    if resource.status != ResourceStatus.PUBLISHED or resource.current is None:
        raise _refused(_("该数据资源已撤销或尚未发布，不能查询。"), "sharing_resource_withdrawn")
    return resource.current


def answered_fields(version: ResourceVersion, grant: Grant, asked: Sequence[str] | None) -> tuple[list[str], set[str]]:
    """(fields to answer in the version's order, those among them to mask).

    ``asked`` None: every granted field of the version. Otherwise each must be granted, or be a
    personal field (answered masked); others are refused with 403 ``sharing_fields_not_granted``
    naming them."""
    names = version.field_names
    granted = set(grant.fields) & set(names)
    personal = set(version.personal_field_names)
    if asked is None:
        wanted = granted
    else:
        if not isinstance(asked, (list, tuple)) or not all(isinstance(name, str) for name in asked):
            raise DomainError(_("查询数据项应为数据项名称的列表。"), code="sharing_fields_invalid", status=422,
                              fields={"fields": [_("应为数据项名称的列表。")]})
        outside = [name for name in dict.fromkeys(asked) if name not in granted and name not in personal]
        if outside:
            listed = "、".join(outside)
            raise _refused(_("以下数据项不在共享授权范围内：%(fields)s。") % {"fields": listed},
                           "sharing_fields_not_granted", fields={"fields": [listed]})
        wanted = set(asked)
    answered = [name for name in names if name in wanted]
    return answered, {name for name in answered if name not in granted}


def check_params(params: Any) -> dict[str, Any]:
    """Parameters are an object of names to plain values (text, numbers, booleans)."""
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise DomainError(_("查询条件应为对象。"), code="sharing_params_invalid", status=422,
                          fields={"params": [_("应为对象。")]})
    for value in params.values():
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise DomainError(_("查询条件的取值应为文本或数字。"), code="sharing_params_invalid", status=422,
                              fields={"params": [_("取值应为文本或数字。")]})
    return dict(params)


def check_rate(grant: Grant) -> None:
    """Count this exchange against the grant's rate (429 ``sharing_rate_limited`` with
    ``retry_after`` seconds when the minute's budget is spent)."""
    decision = rate_limits.rate_hit(grant.pk, grant.rate_per_minute)
    if not decision.allowed:
        error = RateLimited(_("调用过于频繁：该授权每分钟最多 %(n)s 次，请 %(s)s 秒后再试。")
                            % {"n": grant.rate_per_minute, "s": decision.retry_after},
                            code="sharing_rate_limited", retry_after=decision.retry_after)
        raise error


def check_case_number(case_number: Any) -> str:
    if not isinstance(case_number, str) or len(case_number) > MAX_CASE_NUMBER:
        raise DomainError(_("办件编号应为不超过 40 个字符的文本。"), code="sharing_case_number_invalid", status=422,
                          fields={"case_number": [_("最多 40 个字符。")]})
    return case_number.strip()


# ---- shaping the answer ----------------------------------------------------------------------------

def shape_rows(version: ResourceVersion, rows: Sequence[Mapping[str, Any]], answered: Sequence[str],
               masked: set[str]) -> list[dict[str, Any]]:
    """Each row with exactly the answered fields; masked fields in their masked form."""
    schema = {f["name"]: f for f in version.fields}
    shaped = []
    for row in rows:
        out = {}
        for name in answered:
            value = row.get(name)
            out[name] = mask_value(schema[name], value) if name in masked else value
        shaped.append(out)
    return shaped


def _touch(grant: Grant, now: datetime.datetime) -> None:
    """Record the grant's use at most once a minute (one conditional UPDATE), so a busy consumer
    does not write the grant row on every call (on SQLite every write takes the database lock)."""
    stale = now - LAST_USED_INTERVAL
    if grant.last_used_at is None or grant.last_used_at < stale:
        Grant.objects.filter(pk=grant.pk).exclude(last_used_at__gte=stale).update(last_used_at=now)
        grant.last_used_at = now


def _elapsed_ms(started: float) -> int:
    return max(0, int((time.monotonic() - started) * 1000))


def _logged_purpose(purpose: Any) -> str:
    return purpose if isinstance(purpose, str) and purpose in Purpose.values else ""


def _logged_fields(fields: Any) -> list[str]:
    if not isinstance(fields, (list, tuple)):
        return []
    return [str(name)[:60] for name in fields[:MAX_FIELDS]]


def _attach(entry: ExchangeLogEntry, statement: Mapping[str, Any] | None) -> None:
    if statement and statement.get("signature"):
        log_attach_peer(entry=entry, peer_kid=str(statement.get("kid", "")),
                        peer_signature=str(statement["signature"]),
                        peer_content_hash=str(statement.get("content_hash", "")))


# ---- the API's entry ------------------------------------------------------------------------------

def exchange_request(*, grant: Grant, resource_code: str, purpose: str, params: Mapping[str, Any],
                     fields: Sequence[str] | None = None, case_number: str = "") -> ExchangeResult:
    """An exchange asked for over the API, naming the resource by code: 404
    ``sharing_resource_not_found`` for an unknown code; 403 ``sharing_grant_wrong_resource`` (logged
    on both sides, under the resource asked for) when the token's grant is for another resource;
    otherwise :func:`exchange_query`."""
    if grant.resource.code == resource_code:
        return exchange_query(grant=grant, purpose=purpose, params=params, fields=fields, case_number=case_number)
    resource = (DataResource.objects.select_related("provider_department")
                .filter(code=str(resource_code)[:40]).first())
    if resource is None:
        raise DomainError(_("找不到该数据资源。"), code="sharing_resource_not_found", status=404)
    error = _refused(_("该令牌的共享授权不适用于此数据资源。"), "sharing_grant_wrong_resource")
    exchange_id = uuid.uuid4()
    common: dict[str, Any] = {
        "exchange_id": exchange_id, "consumer_code": party_code(grant.consumer_department),
        "provider_code": party_code(resource.provider_department), "resource_code": resource.code,
        "resource": resource, "grant": grant, "purpose": _logged_purpose(purpose),
        "case_number": str(case_number or "")[:MAX_CASE_NUMBER], "fields": _logged_fields(fields or []),
        "params_digest": params_digest(exchange_id, params if isinstance(params, Mapping) else {}),
        "outcome": ExchangeOutcome.REFUSED, "error_code": error.code,
    }
    log_append(role=ExchangeRole.PROVIDER, signer_department=resource.provider_department, **common)
    log_append(role=ExchangeRole.CONSUMER, signer_department=grant.consumer_department, **common)
    raise error


# ---- the provider side ------------------------------------------------------------------------------

def exchange_serve(*, grant: Grant, purpose: str, params: Mapping[str, Any], fields: Sequence[str] | None,
                   case_number: str, exchange_id: uuid.UUID, consumer_code: str,
                   peer_statement: Mapping[str, Any] | None = None) -> tuple[ExchangeResult, ExchangeLogEntry]:
    """The provider's half of an exchange: check the grant, purpose, fields and rate, call the
    provider in process, keep the answered fields, mask personal fields not granted, and log the
    provider entry (signed by the provider department; the consumer's signed statement attached
    when one came over HTTP).

    Actor: :func:`exchange_query` in process, or the peer endpoint for another installation's
    consumer. A refusal is logged (outcome refused / timeout / unavailable / error, with its code)
    and raised; the raised :class:`DomainError` carries the entry as ``log_entry``.
    """
    started = time.monotonic()
    resource = grant.resource
    p_digest = params_digest(exchange_id, params if isinstance(params, Mapping) else {})
    provider_code = party_code(resource.provider_department)
    logged_fields = _logged_fields(fields) if fields is not None else list(grant.fields)

    def log(outcome: str, *, answered: Sequence[str], digest: str = "", error_code: str = "") -> ExchangeLogEntry:
        entry = log_append(
            role=ExchangeRole.PROVIDER, exchange_id=exchange_id, consumer_code=consumer_code[:80],
            provider_code=provider_code, resource_code=resource.code, resource=resource, grant=grant,
            purpose=_logged_purpose(purpose), case_number=str(case_number or "")[:MAX_CASE_NUMBER],
            fields=list(answered), params_digest=p_digest, response_digest=digest, outcome=outcome,
            error_code=error_code, duration_ms=_elapsed_ms(started), signer_department=resource.provider_department,
        )
        _attach(entry, peer_statement)
        return entry

    try:
        case = check_case_number(case_number)
        check_grant(grant, purpose)
        version = published_version(resource)
        answered, masked = answered_fields(version, grant, fields)
        logged_fields = answered
        clean = check_params(params)
        if resource.adapter != AdapterKind.IN_PROCESS:
            # This installation does not relay another's resources: only its own registers answer here.
            raise provider_unavailable()
        check_rate(grant)
        answer: AdapterAnswer = InProcessAdapter().query(
            resource=resource, grant=grant, purpose=purpose, params=clean, fields=answered, case_number=case,
            exchange_id=exchange_id, consumer_code=consumer_code)
    except DomainError as exc:
        exc.log_entry = log(outcome_of(exc), answered=logged_fields, error_code=exc.code)  # type: ignore[attr-defined]
        raise
    rows = shape_rows(version, answer.rows, answered, masked)
    digest = response_digest(rows)
    entry = log(ExchangeOutcome.OK if rows else ExchangeOutcome.NOT_FOUND, answered=answered, digest=digest)
    _touch(grant, timezone.now())
    result = ExchangeResult(exchange_id=exchange_id, resource_code=resource.code, fields=answered, rows=rows,
                            as_of=answer.as_of, provider_code=provider_code)
    return result, entry


# ---- the consumer side ------------------------------------------------------------------------------

def exchange_query(*, grant: Grant, purpose: str, params: Mapping[str, Any], fields: Sequence[str] | None = None,
                   case_number: str = "", by: Any = None) -> ExchangeResult:
    """Query a shared resource under ``grant`` for the consumer department (共享查询).

    Refusals (each logged on both sides in process, on the consumer side over HTTP, then raised):
    403 ``sharing_grant_revoked`` / ``sharing_grant_expired`` / ``sharing_grant_not_yet_valid`` /
    ``sharing_purpose_mismatch`` / ``sharing_fields_not_granted`` / ``sharing_resource_withdrawn``;
    422 ``sharing_params_invalid`` / ``sharing_fields_invalid`` / ``sharing_case_number_invalid``;
    429 ``sharing_rate_limited`` (``retry_after`` on the error); 504 ``sharing_provider_timeout``;
    503 ``sharing_provider_unavailable``; 502 ``sharing_provider_error``.

    Actor: the consumer department's system (``by`` is who it acts for, e.g. the applicant of a
    pre-filled form; the log names the department, not the person). Call it outside a
    transaction that a refusal rolls back, or the refusal's log entries go with it.
    """
    started = time.monotonic()
    exchange_id = uuid.uuid4()
    resource = grant.resource
    consumer = grant.consumer_department
    consumer_code = party_code(consumer)
    provider_code = provider_code_of(resource)
    p_digest = params_digest(exchange_id, params if isinstance(params, Mapping) else {})

    def log(outcome: str, *, answered: Sequence[str], digest: str = "", error_code: str = "",
            statement: Mapping[str, Any] | None = None) -> ExchangeLogEntry:
        entry = log_append(
            role=ExchangeRole.CONSUMER, exchange_id=exchange_id, consumer_code=consumer_code,
            provider_code=provider_code, resource_code=resource.code, resource=resource, grant=grant,
            purpose=_logged_purpose(purpose), case_number=str(case_number or "")[:MAX_CASE_NUMBER],
            fields=list(answered), params_digest=p_digest, response_digest=digest, outcome=outcome,
            error_code=error_code, duration_ms=_elapsed_ms(started), signer_department=consumer,
        )
        _attach(entry, statement)
        return entry

    if resource.adapter == AdapterKind.HTTP:
        return _query_remote(grant=grant, purpose=purpose, params=params, fields=fields, case_number=case_number,
                             exchange_id=exchange_id, consumer_code=consumer_code, provider_code=provider_code,
                             log=log)
    try:
        result, _entry = exchange_serve(grant=grant, purpose=purpose, params=params, fields=fields,
                                        case_number=case_number, exchange_id=exchange_id,
                                        consumer_code=consumer_code)
    except DomainError as exc:
        provider_entry = getattr(exc, "log_entry", None)
        log(outcome_of(exc), answered=list(provider_entry.fields) if provider_entry is not None else [],
            error_code=exc.code)
        raise
    log(ExchangeOutcome.OK if result.rows else ExchangeOutcome.NOT_FOUND, answered=result.fields,
        digest=response_digest(result.rows))
    return result


def _query_remote(*, grant: Grant, purpose: str, params: Mapping[str, Any], fields: Sequence[str] | None,
                  case_number: str, exchange_id: uuid.UUID, consumer_code: str, provider_code: str,
                  log: Any) -> ExchangeResult:
    """The consumer's half for a resource of another installation: the local copy of the grant is
    checked (the other side checks its own), then the peer is called; its rows come back already
    filtered and masked, its signed statement is attached to our entry."""
    resource = grant.resource
    asked: list[str] = _logged_fields(fields) if fields is not None else list(grant.fields)
    try:
        case = check_case_number(case_number)
        check_grant(grant, purpose)
        version = published_version(resource)
        answered, _masked = answered_fields(version, grant, fields)
        asked = answered
        clean = check_params(params)
        check_rate(grant)
        answer = HttpAdapter().query(resource=resource, grant=grant, purpose=purpose, params=clean,
                                     fields=answered, case_number=case, exchange_id=exchange_id,
                                     consumer_code=consumer_code)
    except DomainError as exc:
        statement = getattr(exc, "statement", None)
        log(outcome_of(exc), answered=asked, error_code=exc.code, statement=statement)
        raise
    rows = answer.rows  # as the provider answered them (its digest is over the same rows)
    log(ExchangeOutcome.OK if rows else ExchangeOutcome.NOT_FOUND, answered=answered,
        digest=response_digest(rows), statement=answer.statement)
    _touch(grant, timezone.now())
    return ExchangeResult(exchange_id=exchange_id, resource_code=resource.code, fields=answered, rows=rows,
                          as_of=answer.as_of, provider_code=provider_code)
