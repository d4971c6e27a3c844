"""The provider side of an exchange with another installation over HTTP (跨平台交换，提供方):
what ``POST /api/v1/sharing/peer/exchange`` runs.

Rule (issue #13 part 3, after X-Road): the consumer installation authenticates with the grant
token this installation issued, and proves its request with a statement signed by one of its keys
(imported here with ``onewindow sharing_keys import``); the exchange then runs as for any consumer
(``exchange_serve``: purpose, fields, period, rate, logging), the provider's log entry keeps the
consumer's statement, and the answer carries this side's signed statement of its own entry so the
consumer can keep it. Either side can then prove the other's entry.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import Conflict, DomainError, PermissionDenied

from .. import canonical, signing
from ..choices import ExchangeRole
from ..models import ExchangeLogEntry, SigningKey
from .access import grant_authenticate
from .exchange import exchange_serve
from .log import log_entry_content
from .peer_client import SIGNATURE_INVALID, request_content


class PeerRefusal(DomainError):
    """A refusal of the exchange that this side logged: its body also carries this side's signed
    statement of the refusal's log entry (``statement``), so the consumer can keep it."""

    def __init__(self, error: DomainError, statement: dict[str, Any]) -> None:
        super().__init__(error.message, code=error.code, fields=error.fields, status=error.status)
        self.statement = statement
        self.retry_after = getattr(error, "retry_after", None)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "statement": self.statement}


def entry_statement(entry: ExchangeLogEntry) -> dict[str, Any]:
    """This side's signed statement of one log entry: ``{kid, signature, content_hash, content}``."""
    return {"kid": entry.kid, "signature": entry.signature, "content_hash": entry.content_hash,
            "content": log_entry_content(entry)}


def token_invalid() -> DomainError:
    return DomainError(_("共享授权令牌无效。"), code="sharing_grant_token_invalid", status=401)


def peer_unknown_kid() -> DomainError:
    return DomainError(_("请求方的签名密钥未登记，请先导入请求方平台的公钥。"), code="sharing_peer_unknown", status=401)


def _statement_check(*, statement: dict[str, Any], content: dict[str, Any], consumer_code: str) -> dict[str, str]:
    """The consumer's request statement: a known peer key (of the installation the consumer code
    names), over the content hash this side recomputes from the request."""
    kid, signature, content_hash = (str(statement.get(name) or "") for name in ("kid", "signature", "content_hash"))
    key = SigningKey.objects.select_related("peer").filter(kid=kid, peer__isnull=False).first()
    installation = consumer_code.partition(":")[0]
    if key is None or key.peer is None or key.peer.code != installation:
        raise peer_unknown_kid()
    if content_hash != canonical.digest(content) \
            or not signing.verify(key.public_key, content_hash.encode("ascii", "replace"), signature):
        raise DomainError(_("请求方的签名无法验证。"), code=SIGNATURE_INVALID, status=401)
    return {"kid": kid, "signature": signature, "content_hash": content_hash}


def peer_exchange_serve(*, token: str, exchange_id: uuid.UUID, resource_code: str, purpose: str,
                        params: dict[str, Any], fields: list[str] | None, case_number: str, consumer_code: str,
                        statement: dict[str, Any]) -> dict[str, Any]:
    """Answer another installation's query under the grant ``token`` names.

    Actor: a consumer installation (its department, by ``consumer_code`` =
    ``<installation code>:<department code>``). Refusals before the exchange, nothing logged: 401
    ``sharing_grant_token_invalid`` (no such grant), 401 ``sharing_peer_unknown`` (the statement's
    kid is not a key of the installation the consumer code names), 401
    ``sharing_peer_signature_invalid`` (the statement does not match the request or its
    signature does not verify), 403 ``sharing_peer_consumer_mismatch`` (the consumer code names a
    department other than the grant's), 403 ``sharing_resource_not_granted`` (the grant is for
    another resource), 409 ``sharing_exchange_replayed`` (this exchange id was already served).
    Then ``exchange_serve`` decides and logs; its refusals are raised as :class:`PeerRefusal`, whose
    body carries this side's signed statement of the refusal's entry. Returns the answer body ``{exchange_id,
    rows, as_of, fields, statement: {kid, signature, content_hash, content}}``.
    """
    grant = grant_authenticate(token)
    if grant is None:
        raise token_invalid()
    content = request_content(exchange_id=exchange_id, resource_code=resource_code, purpose=purpose, params=params,
                              fields=fields, case_number=case_number, consumer_code=consumer_code)
    peer_statement = _statement_check(statement=statement, content=content, consumer_code=consumer_code)
    if consumer_code.partition(":")[2] != grant.consumer_department.code:
        raise PermissionDenied(_("请求方部门与共享授权的使用部门不一致。"), code="sharing_peer_consumer_mismatch")
    if resource_code != grant.resource.code:
        raise PermissionDenied(_("该共享授权不包含所请求的数据资源。"), code="sharing_resource_not_granted")
    if ExchangeLogEntry.objects.filter(exchange_id=exchange_id, role=ExchangeRole.PROVIDER).exists():
        raise Conflict(_("该交换编号已处理过，不能重复提交。"), code="sharing_exchange_replayed")
    try:
        result, entry = exchange_serve(grant=grant, purpose=purpose, params=params, fields=fields,
                                       case_number=case_number, exchange_id=exchange_id, consumer_code=consumer_code,
                                       peer_statement=peer_statement)
    except IntegrityError:
        # A replay racing past the check above: the other request wrote this exchange id's provider
        # entry between the check and this one's log, and the unique constraint refused the second
        # (in autocommit, so nothing of this request was written). Same answer as the check's.
        raise Conflict(_("该交换编号已处理过，不能重复提交。"), code="sharing_exchange_replayed") from None
    except DomainError as exc:
        logged = getattr(exc, "log_entry", None)
        if logged is None:
            raise
        raise PeerRefusal(exc, entry_statement(logged)) from None
    as_of: datetime.datetime | None = result.as_of
    return {
        "exchange_id": str(result.exchange_id),
        "rows": result.rows,
        "as_of": as_of.isoformat() if as_of is not None else None,
        "fields": list(result.fields),
        "statement": entry_statement(entry),
    }
