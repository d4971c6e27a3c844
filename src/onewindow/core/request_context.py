"""The request being served, for the audit trail's IP and request id (None in tasks and commands)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

current_request: ContextVar[Any | None] = ContextVar("onewindow_current_request", default=None)
