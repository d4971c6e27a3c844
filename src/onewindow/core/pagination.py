"""One pagination rule for every list of the API: ``{items, total, page, pages}`` (decision 0013).

``page`` counts from 1; ``page_size`` is at most :data:`MAX_PAGE_SIZE`; a page past the end answers
the last page (an empty list still has one, empty, page). A queryset costs one ``COUNT`` and one
sliced query, whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet

T = TypeVar("T")

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    pages: int


def paginate(rows: QuerySet[Any] | Sequence[T], page: int = 1, page_size: int = PAGE_SIZE) -> Page[Any]:
    """The ``page``-th slice of ``page_size`` rows, with the total and the number of pages."""
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    pages = max(1, -(-total // page_size))
    page = max(1, min(int(page), pages))
    start = (page - 1) * page_size
    return Page(items=list(rows[start:start + page_size]), total=total, page=page, pages=pages)


def paginated(rows: QuerySet[Any] | Sequence[Any], page: int = 1, page_size: int = PAGE_SIZE,
              render: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """:func:`paginate`, as the body of a ``PageOut`` answer, each row passed through ``render``."""
    result = paginate(rows, page, page_size)
    items = [render(row) for row in result.items] if render is not None else result.items
    return {"items": items, "total": result.total, "page": result.page, "pages": result.pages}


def page_number(value: Any) -> int:
    """A page number from a query parameter: 1 for anything that is not a whole number, at most
    100,000 (a page link typed by hand never fails)."""
    try:
        return max(1, min(int(value), 100_000))
    except (TypeError, ValueError):
        return 1
