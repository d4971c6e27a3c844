"""The consumer side of an exchange with another installation over HTTP (跨平台交换), after X-Road:
a signed request to the other side's ``POST /api/v1/sharing/peer/exchange``, and a check of the
other side's signed statement before its answer is believed.

Rule (issue #13 part 3): the request carries the grant the other installation issued (its token,
stored encrypted in ``Grant.remote_token``, as ``Authorization: Bearer``) and this side's signed
**request statement** — the SHA-256 of :func:`request_content` signed (Ed25519) by the consumer
department's key — so the provider can prove what was asked, by whom, for which purpose and case.
The answer carries the provider's signed statement of its own log entry (``{kid, signature,
content_hash, content}``), verified with the peer's public key (the :class:`PeerInstallation`
whose base URL the resource's endpoint is under); the consumer's log keeps it (``log_attach_peer``).

A provider that is down gives a clear answer, never a hang: connect and read timeouts
(``SHARING_PEER_CONNECT_TIMEOUT`` / ``SHARING_PEER_READ_TIMEOUT``), retries only when the
connection could not be made (nothing was sent, so nothing is asked twice; at most
``SHARING_PEER_RETRIES``, with a ``SHARING_PEER_RETRY_BACKOFF`` pause), and a circuit breaker per
peer resource (``sharing.breaker``). Outcomes: a timeout → 504 ``sharing_provider_timeout``; a
refused connection, a 5xx or an open breaker → 503 ``sharing_provider_unavailable`` (a 504 of
the peer, whose own register timed out, stays a timeout); the provider's 4xx refusal → the same
code and status (with its signed statement of the refusal's log entry, when it verifies); an answer
that does not verify → 502 ``sharing_peer_signature_invalid``.
"""

from __future__ import annotations

import datetime
import http.client
import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from onewindow.core import crypto
from onewindow.core.errors import DomainError

from .. import canonical, signing
from ..adapters import provider_timeout, provider_unavailable
from ..breaker import breaker_for
from ..models import DataResource, Grant, PeerInstallation, SigningKey
from .keys import signing_key_for

logger = logging.getLogger("onewindow.sharing.peer")

PEER_EXCHANGE_PATH = "/api/v1/sharing/peer/exchange"
SIGNATURE_INVALID = "sharing_peer_signature_invalid"
RESPONSE_INVALID = "sharing_peer_response_invalid"
PEER_UNKNOWN = "sharing_peer_unknown"


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def connect_timeout() -> float:
    """Seconds to open the connection to a peer (``SHARING_PEER_CONNECT_TIMEOUT``, default 2)."""
    return _setting("SHARING_PEER_CONNECT_TIMEOUT", 2.0)


def read_timeout() -> float:
    """Seconds to wait for each read of the peer's answer (``SHARING_PEER_READ_TIMEOUT``, default 5)."""
    return _setting("SHARING_PEER_READ_TIMEOUT", 5.0)


def signature_invalid() -> DomainError:
    return DomainError(_("对端平台的签名无法验证，其应答未被采用。"), code=SIGNATURE_INVALID, status=502)


def response_invalid() -> DomainError:
    return DomainError(_("对端平台的应答格式不正确，其应答未被采用。"), code=RESPONSE_INVALID, status=502)


def peer_unknown() -> DomainError:
    return DomainError(_("该资源的交换地址不属于任何已登记的对端平台，请先导入对端平台的公钥。"),
                       code=PEER_UNKNOWN, status=502)


def request_content(*, exchange_id: uuid.UUID | str, resource_code: str, purpose: str, params: dict[str, Any],
                    fields: list[str] | None, case_number: str, consumer_code: str) -> dict[str, Any]:
    """The content of a request statement, whose canonical SHA-256 the consumer signs (both sides
    compute it from the request body; docs/sharing-log.md): ``v`` (1), ``exchange_id``,
    ``resource_code`` (the provider's code), ``purpose``, ``params_digest`` (the parameters only as
    their digest: they may hold an ID number), ``fields`` (null: every granted field),
    ``case_number``, ``consumer_code``."""
    return {
        "v": 1,
        "exchange_id": str(exchange_id),
        "resource_code": resource_code,
        "purpose": str(purpose),
        "params_digest": canonical.digest(params),
        "fields": None if fields is None else [str(name) for name in fields],
        "case_number": case_number,
        "consumer_code": consumer_code,
    }


def _base_of(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}", parts.path.rstrip("/")


def peer_for_endpoint(endpoint: str) -> PeerInstallation | None:
    """The peer installation whose base URL the endpoint is under (the longest such base URL)."""
    origin, path = _base_of(endpoint)
    found: PeerInstallation | None = None
    for peer in PeerInstallation.objects.all():
        peer_origin, peer_path = _base_of(peer.base_url)
        if peer_origin == origin and (path == peer_path or path.startswith(peer_path + "/")) \
                and (found is None or len(peer.base_url) > len(found.base_url)):
            found = peer
    return found


def breaker_key(resource: DataResource) -> str:
    """One breaker per peer resource: its endpoint and its code over there."""
    return f"{resource.endpoint}#{resource.remote_code}"


class _NotConnected(Exception):
    """The connection could not be made (nothing was sent: safe to retry)."""

    def __init__(self, timed_out: bool) -> None:
        super().__init__("timed out" if timed_out else "refused")
        self.timed_out = timed_out


def _max_response_bytes() -> int:
    return int(getattr(settings, "SHARING_PEER_MAX_RESPONSE_BYTES", 20 * 1024 * 1024))


def _post_once(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
    """One POST: (status, body, the Retry-After header or "")."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "", parts.port, timeout=connect_timeout())
    try:
        try:
            connection.connect()
        except OSError as exc:
            raise _NotConnected(isinstance(exc, TimeoutError)) from exc
        if connection.sock is not None:
            connection.sock.settimeout(read_timeout())
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        limit = _max_response_bytes()
        raw = response.read(limit + 1)
        if len(raw) > limit:
            raise response_invalid()
        return response.status, raw, response.getheader("Retry-After") or ""
    finally:
        connection.close()


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
    """POST with retries of failed connections only; raises the timeout/unavailable refusals."""
    retries = max(0, int(getattr(settings, "SHARING_PEER_RETRIES", 1)))
    backoff = _setting("SHARING_PEER_RETRY_BACKOFF", 0.2)
    attempt = 0
    while True:
        try:
            return _post_once(url, body, headers)
        except _NotConnected as exc:
            if attempt >= retries:
                raise (provider_timeout() if exc.timed_out else provider_unavailable()) from None
            attempt += 1
            if backoff > 0:
                time.sleep(backoff * attempt)
        except TimeoutError:  # sent, but no answer in time: never sent again
            raise provider_timeout() from None
        except (OSError, http.client.HTTPException):  # reset, closed without an answer
            raise provider_unavailable() from None


def _refusal(status: int, raw: bytes, *, peer: PeerInstallation, exchange_id: uuid.UUID | str,
             retry_after: str = "") -> DomainError:
    """The provider's 4xx refusal, passed through with its code, message and fields. When the
    provider logged the refusal it sends its signed statement of that entry too; a statement that
    verifies is kept on the error (``statement``: the exchange attaches it to our entry), one that
    does not is dropped (the refusal stands either way: nothing is answered). A 429's Retry-After
    seconds are kept as ``retry_after`` (the exchange API repeats them to its caller)."""
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        return DomainError(_("对端平台拒绝了该查询。"), code="sharing_peer_refused", status=status)
    given = data.get("fields")
    fields: dict[str, Any] = given if isinstance(given, dict) else {}
    error = DomainError(str(data.get("message") or data["code"]), code=data["code"][:60], status=status,
                        fields={str(k): [str(m) for m in v] for k, v in fields.items() if isinstance(v, list)})
    if status == 429 and retry_after.strip().isdigit():
        error.retry_after = int(retry_after.strip())  # type: ignore[attr-defined]
    statement = data.get("statement")
    if isinstance(statement, dict):
        try:
            error.statement = statement_verify(  # type: ignore[attr-defined]
                peer=peer, statement=statement, exchange_id=exchange_id, rows=None, error_code=error.code)
        except DomainError:
            logger.warning("peer %s sent a refusal statement that does not verify on exchange %s", peer.code,
                           exchange_id)
    return error


def _parse_answer(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise response_invalid() from None
    if not isinstance(data, dict):
        raise response_invalid()
    rows, statement = data.get("rows"), data.get("statement")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows) \
            or not isinstance(statement, dict):
        raise response_invalid()
    return data


def _as_of(value: Any) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        raise response_invalid() from None


def statement_verify(*, peer: PeerInstallation, statement: dict[str, Any], exchange_id: uuid.UUID | str,
                     rows: list[dict[str, Any]] | None, error_code: str = "") -> dict[str, str]:
    """Check the provider's statement of its log entry for this exchange: signed by a key of
    ``peer`` over ``content_hash``, ``content`` hashing to it, naming this exchange, the provider
    role, and either the digest of exactly the rows received (the SHA-256 of their canonical JSON)
    or — for a refusal (``rows`` None) — no response digest and the refusal's ``error_code``.
    Returns ``{kid, signature, content_hash}``; raises 502 ``sharing_peer_signature_invalid``
    otherwise."""
    kid, signature, content_hash = (statement.get(name) for name in ("kid", "signature", "content_hash"))
    content = statement.get("content")
    if not all(isinstance(v, str) and v for v in (kid, signature, content_hash)) or not isinstance(content, dict):
        raise signature_invalid()
    assert isinstance(kid, str) and isinstance(signature, str) and isinstance(content_hash, str)
    public = SigningKey.objects.filter(kid=kid, peer=peer).values_list("public_key", flat=True).first()
    if public is None or not signing.verify(public, content_hash.encode("ascii", "replace"), signature):
        raise signature_invalid()
    if canonical.digest(content) != content_hash or content.get("exchange_id") != str(exchange_id) \
            or content.get("role") != "provider":
        raise signature_invalid()
    if rows is not None and content.get("response_digest") != canonical.digest(rows):
        raise signature_invalid()
    if rows is None and (content.get("response_digest") or content.get("error_code") != error_code):
        raise signature_invalid()
    return {"kid": kid, "signature": signature, "content_hash": content_hash}


def call_peer(*, resource: DataResource, grant: Grant, purpose: str, params: dict[str, Any],
              fields: list[str] | None, case_number: str, exchange_id: uuid.UUID,
              consumer_code: str) -> tuple[list[dict[str, Any]], datetime.datetime | None, dict[str, str]]:
    """Query ``resource`` (``adapter == "http"``) at the other installation under ``grant`` (the
    grant that installation issued, registered here by ``grant_register_remote``).

    Actor: the exchange (``exchange_query`` through ``HttpAdapter``), for a consumer department
    of this installation. Returns the rows (already filtered and masked by the provider), their
    as-of time and the provider's verified statement ``{kid, signature, content_hash}``. Refusals:
    see the module docstring; ``sharing_peer_unknown`` (502) when no peer installation is
    registered for the endpoint, ``sharing_grant_not_remote`` (409) when the grant holds no token
    of the other side. Nothing is written here (the exchange logs the outcome).
    """
    peer = peer_for_endpoint(resource.endpoint)
    if peer is None:
        raise peer_unknown()
    if not grant.remote_token:
        raise DomainError(_("该授权没有对端平台签发的令牌，无法跨平台交换。"), code="sharing_grant_not_remote",
                          status=409)
    token = crypto.decrypt(grant.remote_token)
    content = request_content(exchange_id=exchange_id, resource_code=resource.remote_code, purpose=purpose,
                              params=params, fields=fields, case_number=case_number, consumer_code=consumer_code)
    content_hash = canonical.digest(content)
    key = signing_key_for(grant.consumer_department)
    body = {
        "exchange_id": str(exchange_id), "resource_code": resource.remote_code, "purpose": str(purpose),
        "params": params, "fields": content["fields"], "case_number": case_number, "consumer_code": consumer_code,
        "statement": {"kid": key.kid, "content_hash": content_hash,
                      "signature": signing.sign(key.private_key, content_hash.encode("ascii"))},
    }
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "Authorization": f"Bearer {token}"}
    breaker = breaker_for(breaker_key(resource))
    if not breaker.allow():
        raise provider_unavailable()
    try:
        status, raw, retry_after = _post(resource.endpoint, canonical.canonical_bytes(body), headers)
    except DomainError as exc:
        if exc.code == RESPONSE_INVALID:
            breaker.record_success()  # the peer answered (too much); it is not down
        else:
            breaker.record_failure()
            logger.warning("peer %s (%s) %s on exchange %s", peer.code, resource.endpoint, exc.code, exchange_id)
        raise
    except BaseException:
        breaker.record_failure()
        raise
    if status >= 500:
        breaker.record_failure()
        logger.warning("peer %s (%s) answered %s on exchange %s", peer.code, resource.endpoint, status, exchange_id)
        raise provider_timeout() if status == 504 else provider_unavailable()
    breaker.record_success()
    if 400 <= status < 500:
        raise _refusal(status, raw, peer=peer, exchange_id=exchange_id, retry_after=retry_after)
    if status != 200:
        raise response_invalid()
    data = _parse_answer(raw)
    rows = [dict(row) for row in data["rows"]]
    statement = statement_verify(peer=peer, statement=data["statement"], exchange_id=exchange_id, rows=rows)
    return rows, _as_of(data.get("as_of")), statement
