"""Reads of interaction, scoped to the reader (questions, the public Q&A, the FAQ, statistics)."""

from __future__ import annotations

from .questions import home_summary

__all__ = ["home_summary"]
