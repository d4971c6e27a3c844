"""Adapters (适配器): how the exchange reaches a resource's provider, behind one interface.

- :class:`InProcessAdapter` — a register of this installation (``resource.adapter ==
  "in_process"``): calls the provider registered in ``sharing.providers`` under
  ``resource.provider``. It runs on the provider side of an exchange (``exchange_serve``).
- :class:`HttpAdapter` — another installation or a department's own system (``"http"``): a
  signed request to the other side's exchange endpoint through ``services.peer_client.call_peer``
  (timeouts, retries and the circuit breaker live there). It runs on the consumer side
  (``exchange_query``); the other side's ``exchange_serve`` answers it.

Every failure of a provider becomes a refusal a person can read, never a 500 and never a hang:
bad parameters 422 ``sharing_params_invalid``, a provider that does not answer in time 504
``sharing_provider_timeout``, one that is down, unknown or behind an open breaker 503
``sharing_provider_unavailable``, one that fails unexpectedly 502 ``sharing_provider_error``
(logged with its traceback for the operator).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

from .choices import AdapterKind, ExchangeOutcome
from .models import DataResource, Grant
from .providers import ProviderError, provider_for

logger = logging.getLogger("onewindow.sharing.exchange")

PARAMS_INVALID = "sharing_params_invalid"
PROVIDER_TIMEOUT = "sharing_provider_timeout"
PROVIDER_UNAVAILABLE = "sharing_provider_unavailable"
PROVIDER_ERROR = "sharing_provider_error"

#: The log outcome of each provider failure code (anything else is a refusal).
OUTCOME_OF: dict[str, str] = {
    PROVIDER_TIMEOUT: ExchangeOutcome.TIMEOUT,
    PROVIDER_UNAVAILABLE: ExchangeOutcome.UNAVAILABLE,
    PROVIDER_ERROR: ExchangeOutcome.ERROR,
}


def provider_timeout() -> DomainError:
    return DomainError(_("数据提供方未在规定时间内响应，请稍后再试。"), code=PROVIDER_TIMEOUT, status=504)


def provider_unavailable() -> DomainError:
    return DomainError(_("数据提供方暂时不可用，请稍后再试。"), code=PROVIDER_UNAVAILABLE, status=503)


def provider_failed() -> DomainError:
    return DomainError(_("数据提供方处理查询时出错，请稍后再试或联系提供部门。"), code=PROVIDER_ERROR, status=502)


def params_invalid(message: Any) -> DomainError:
    return DomainError(message, code=PARAMS_INVALID, status=422, fields={"params": [message]})


def outcome_of(error: DomainError) -> str:
    """The exchange log outcome of a refusal or failure."""
    return OUTCOME_OF.get(error.code, ExchangeOutcome.REFUSED)


@dataclass(frozen=True)
class AdapterAnswer:
    """What an adapter brings back: the provider's rows (all its fields; the exchange filters and
    masks them), the as-of time of the data, and — over HTTP — the other side's signed statement
    of the exchange (``{kid, signature, content_hash}``, empty in process)."""

    rows: list[dict[str, Any]]
    as_of: datetime.datetime | None = None
    statement: dict[str, Any] = field(default_factory=dict)


class Adapter(Protocol):
    """One way to reach a provider."""

    def query(self, *, resource: DataResource, grant: Grant, purpose: str, params: dict[str, Any],
              fields: list[str], case_number: str, exchange_id: uuid.UUID, consumer_code: str) -> AdapterAnswer:
        ...


class InProcessAdapter:
    """Calls the registered provider of an in-process resource (``provider.query(params,
    resource=resource)``) and turns its refusals into :class:`DomainError`."""

    def query(self, *, resource: DataResource, grant: Grant, purpose: str, params: dict[str, Any],
              fields: list[str], case_number: str, exchange_id: uuid.UUID, consumer_code: str) -> AdapterAnswer:
        provider = provider_for(resource.provider)
        if provider is None:
            logger.error("resource %s names the unknown provider %r", resource.code, resource.provider)
            raise provider_unavailable()
        try:
            answer = provider.query(dict(params), resource=resource)
        except ProviderError as exc:
            if exc.code == PROVIDER_TIMEOUT:
                raise provider_timeout() from None
            if exc.code == PROVIDER_UNAVAILABLE:
                raise provider_unavailable() from None
            raise params_invalid(exc.message) from None
        except DomainError:
            raise
        except Exception:
            logger.exception("provider %s failed on exchange %s", resource.provider, exchange_id)
            raise provider_failed() from None
        return AdapterAnswer(rows=[dict(row) for row in answer.rows], as_of=answer.as_of)


class HttpAdapter:
    """Calls another installation's exchange endpoint (``services.peer_client.call_peer``), which
    raises ``sharing_provider_timeout`` / ``sharing_provider_unavailable`` itself; the rows come
    back already filtered and masked by the other side."""

    def query(self, *, resource: DataResource, grant: Grant, purpose: str, params: dict[str, Any],
              fields: list[str], case_number: str, exchange_id: uuid.UUID, consumer_code: str) -> AdapterAnswer:
        from .services.peer_client import call_peer  # written beside this module; imported when used

        rows, as_of, statement = call_peer(resource=resource, grant=grant, purpose=purpose, params=params,
                                           fields=fields, case_number=case_number, exchange_id=exchange_id,
                                           consumer_code=consumer_code)
        return AdapterAnswer(rows=[dict(row) for row in rows], as_of=as_of, statement=dict(statement or {}))


def adapter_for(resource: DataResource) -> Adapter:
    """The adapter of ``resource`` (by its ``adapter`` column)."""
    return HttpAdapter() if resource.adapter == AdapterKind.HTTP else InProcessAdapter()
