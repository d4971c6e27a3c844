"""Writes of training: one transaction, lock, guard, mutate, event row, audit entry each."""

from __future__ import annotations

from .courses import course_create
from .sessions import attendance_record, session_cancel, session_hold, session_invite, session_plan

__all__ = ["attendance_record", "course_create", "session_cancel", "session_hold", "session_invite", "session_plan"]
