"""Fixtures of the interaction tests: the principals, and their two departments taking questions."""

from __future__ import annotations

import pytest

from onewindow.accounts.testing import principals  # noqa: F401


@pytest.fixture
def centers(principals, settings):  # noqa: F811
    """Both test departments take questions (as two centers' receiving bodies would)."""
    settings.INTERACTION_DEPARTMENT_CODES = [principals.department.code, principals.other_department.code]
    return principals
