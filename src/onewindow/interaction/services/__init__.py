"""Writes of interaction: the question workflow and the FAQ."""

from __future__ import annotations

from .faq import faq_create, faq_from_questions, faq_update
from .questions import (
    question_answer,
    question_assign,
    question_close,
    question_departments,
    question_publish,
    question_submit,
)

__all__ = ["faq_create", "faq_from_questions", "faq_update", "question_answer", "question_assign",
           "question_close", "question_departments", "question_publish", "question_submit"]
