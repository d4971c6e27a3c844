"""Reads of interaction, scoped to the reader (questions, the public Q&A, the FAQ, statistics)."""

from __future__ import annotations

from .clusters import QuestionCluster, frequent_questions
from .faq import faq_entry_for_staff, faq_for_staff, faq_search, items_for_codes
from .questions import department_staff, home_summary, inbox, published_questions, question_for_staff
from .statistics import QaStatistics, qa_statistics

__all__ = [
           "QaStatistics",
           "QuestionCluster",
           "department_staff",
           "faq_entry_for_staff",
           "faq_for_staff",
           "faq_search",
           "frequent_questions",
           "home_summary",
           "inbox",
           "items_for_codes",
           "published_questions",
           "qa_statistics",
           "question_for_staff",
]
