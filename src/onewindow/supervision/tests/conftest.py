"""Fixtures of the supervision tests (``supervision.testing``)."""

from onewindow.supervision.testing import world  # noqa: F401
