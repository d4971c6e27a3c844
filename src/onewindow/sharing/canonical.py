"""Canonical JSON and digests for the exchange: the bytes that are hashed and signed.

Sorted keys, no insignificant whitespace, UTF-8 (non-ASCII kept as is), so both sides of an
exchange — and a verifier written from the docs — compute the same digest for the same content.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings


def canonical_bytes(value: Any) -> bytes:
    """The canonical JSON encoding of ``value`` (dates must already be ISO strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def installation_code() -> str:
    """This installation's code in the exchange log and in its signed content
    (``SHARING_INSTALLATION_CODE``, default ``OW-LOCAL``): consumer and provider codes are
    ``<installation code>:<department code>``."""
    return str(getattr(settings, "SHARING_INSTALLATION_CODE", "") or "OW-LOCAL")
