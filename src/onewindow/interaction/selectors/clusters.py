"""Frequent questions of the viewer's departments: recent questions clustered (clustering.py),
the clusters not yet turned into an FAQ entry first."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from ..choices import QuestionStatus
from ..clustering import DEFAULT_THRESHOLD, cluster
from ..models import Question
from ..permissions import question_queryset_for


@dataclass(frozen=True)
class QuestionCluster:
    questions: list[Question]
    representative: Question
    cohesion: float
    in_faq: bool

    @property
    def ids(self) -> str:
        return ",".join(str(q.pk) for q in self.questions)


def frequent_questions(*, by: Any, days: int = 365, limit: int = 2000) -> list[QuestionCluster]:
    """Clusters of at least two similar questions asked in the last ``days`` days (at most
    ``limit`` newest questions, so one page stays bounded), largest first; closed ones left out."""
    since = timezone.now() - datetime.timedelta(days=days)
    questions = list(question_queryset_for(by).filter(created_at__gte=since)
                     .exclude(status=QuestionStatus.CLOSED).prefetch_related("faqs")
                     .order_by("-created_at", "-pk")[:limit])
    threshold = float(getattr(settings, "INTERACTION_CLUSTER_THRESHOLD", DEFAULT_THRESHOLD))
    result: list[QuestionCluster] = []
    for c in cluster([q.text for q in questions], threshold=threshold):
        members = sorted((questions[m] for m in c.members), key=lambda q: (q.created_at, q.pk))
        result.append(QuestionCluster(questions=members, representative=questions[c.representative],
                                      cohesion=c.cohesion,
                                      in_faq=any(q.faqs.all() for q in members)))
    result.sort(key=lambda c: (c.in_faq, -len(c.questions)))
    return result
