"""Providers (数据提供者) of this installation's registers, behind one interface.

The exchange (``services/exchange.py``) reaches a resource with ``adapter = in_process`` by the
provider registered here under the resource's ``provider`` name. A provider answers a query
(``params``, validated by the provider) with rows of field values and the as-of time of its data;
the exchange then keeps only the granted fields and masks personal fields that are not granted.
Providers read through the owning app's selectors (market, accounts) or the dataset rows loaded
by bulk drops; they never write.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProviderAnswer:
    """A provider's answer: ``rows`` of ``{field name: value}`` (JSON-serializable values; dates
    as ISO strings) and ``as_of``, the time the source data was last updated (shown beside
    pre-filled values)."""

    rows: list[dict[str, Any]]
    as_of: datetime.datetime | None = None


class ProviderError(Exception):
    """A refusal by a provider: ``code`` is stable (e.g. ``sharing_params_invalid``), ``message``
    translated."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Provider:
    """One registered provider: ``name`` (``market.entity``), the ``fields`` it can answer (the
    schema a resource version must stay within), the ``params`` it accepts, and ``query``."""

    name: str
    fields: tuple[str, ...]
    params: tuple[str, ...]
    query: Callable[..., ProviderAnswer]
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


PROVIDERS: dict[str, Provider] = {}


def register_provider(provider: Provider) -> None:
    """Register (or replace, in tests) the provider under its name."""
    PROVIDERS[provider.name] = provider


def provider_for(name: str) -> Provider | None:
    return PROVIDERS.get(name)
