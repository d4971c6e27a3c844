"""The response shapes every app's API shares: one error shape and one list shape.

- :class:`ErrorOut` is the body of every refusal, ``{"code", "message", "fields"}``
  (decision 0001; ``config.api`` renders :class:`~onewindow.core.errors.DomainError` into it).
- :class:`PageOut` is the body of every list, ``{"items", "total", "page", "pages"}``; an app
  subclasses it with its own ``items`` type and fills it with :func:`onewindow.core.pagination.paginate`.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """A refusal: a stable ``code`` clients may branch on, a ``message`` in the request's language,
    and the messages per input field (empty when the refusal is not about one field)."""

    code: str
    message: str
    fields: dict[str, list[str]] = {}


class PageOut(Schema):
    """One page of a list: its ``items``, the ``total`` number of rows, this ``page`` (1-based) and
    the number of ``pages`` (at least 1, also for an empty list)."""

    items: list[Any]
    total: int
    page: int
    pages: int
