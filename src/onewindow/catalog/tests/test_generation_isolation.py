"""Test isolation of the catalog generation: each test reads the generation from its own database.

A worker trusts its last read of the catalog generation for ``GENERATION_TTL`` (process memory, not
the cache), so a test that follows another within a second would search under the generation the
earlier test read — and rolled back. The project's autouse ``_fresh_cache`` fixture (root
conftest.py) clears the caches and forgets that read before every test; no app's conftest may
shadow it with a fixture that does less.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from onewindow.catalog import selectors
from onewindow.catalog.models import CatalogGeneration


@pytest.fixture(scope="module", autouse=True)
def _earlier_test_read_generation_7() -> Iterator[None]:
    """What an earlier test in this worker leaves behind: it read generation 7 a moment ago.
    Module scope, so it runs before the per-test fixtures, as the earlier test would have."""
    selectors._last_read = (time.monotonic(), 7)
    yield
    selectors.forget_generation()


def test_a_test_reads_the_generation_of_its_own_database(db: Any) -> None:
    assert selectors._last_read is None
    CatalogGeneration.objects.update_or_create(pk=1, defaults={"value": 2})

    assert selectors._generation() == 2
    assert selectors._last_read is not None
    assert selectors._last_read[1] == 2
