"""Reads of training, scoped to the reader (``permissions``)."""

from __future__ import annotations

from .courses import (
    clerk_records,
    course_detail,
    course_list,
    home_summary,
    session_detail,
    session_list,
)
from .effect import course_effect
from .key import key_proposals, signal_proposals

__all__ = ["clerk_records", "course_detail", "course_effect", "course_list", "home_summary", "key_proposals",
           "session_detail", "session_list", "signal_proposals"]
