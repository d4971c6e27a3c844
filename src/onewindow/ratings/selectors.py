"""Reads of 好差评."""

from __future__ import annotations

from .models import Rating


def rating_of(subject_type: str, subject_id: str) -> Rating | None:
    """The rating of a subject, if it has been rated."""
    return Rating.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).first()
