"""Fixtures of the interaction tests."""

from onewindow.accounts.testing import principals  # noqa: F401
