"""Fixtures of the training tests (``training.testing``)."""

from onewindow.training.testing import training_world  # noqa: F401
