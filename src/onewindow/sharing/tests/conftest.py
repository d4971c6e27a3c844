"""Fixtures of the sharing tests (``sharing.testing``)."""

from onewindow.sharing.testing import sharing_world  # noqa: F401
