"""Fixtures of the market tests: the registry's world (``onewindow.market.testing``)."""

from onewindow.market.testing import registry_world  # noqa: F401
