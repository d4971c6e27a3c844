"""Rating rows for the acceptance query (受理信息查询, issue #14 part 8), masked, for a given scope.

Read by ``analytics.selectors.search``, which decides the scope (the rated bodies the viewer's
center or departments answer for) and audits each search. Rows are plain dicts like
``cases.lookups``: kind ("rating"), id, at, item (what was rated and the level), person (the rater,
masked: 个人信息保护法 art. 51), status (the follow-up's, for a 差评), number (the rated subject),
link (the follow-up's staff page, for a 差评). Persons are matched by id only.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet

from onewindow.core.masking import mask_id_number, mask_name

from .choices import FollowUpStatus, RatingLevel, SubjectType
from .models import Rating


def rating_lookup(*, everything: bool = False, department_ids: list[int] | None = None,
                  person_ids: list[int] | None = None, case_subjects: Any = None, service_subjects: Any = None,
                  clerk_id: int | None = None, since: datetime.datetime, until: datetime.datetime) -> QuerySet[Rating]:
    """Ratings in scope matching the criteria, newest first. ``case_subjects`` / ``service_subjects``
    (ids as text, or a subquery of them) keep only ratings of those cases / window services — the
    caller's item or window criterion; given one, ratings of the other kind drop out."""
    ratings = Rating.objects.all() if everything else Rating.objects.filter(department_id__in=department_ids or [])
    if person_ids is not None:
        ratings = ratings.filter(Q(rater_person_id__in=person_ids) | Q(rater__person_id__in=person_ids))
    if case_subjects is not None:
        ratings = ratings.filter(subject_type=SubjectType.CASE, subject_id__in=case_subjects)
    if service_subjects is not None:
        ratings = ratings.filter(subject_type=SubjectType.SERVICE, subject_id__in=service_subjects)
    if clerk_id is not None:
        ratings = ratings.filter(staff_id=clerk_id)
    return ratings.filter(created_at__gte=since, created_at__lt=until).order_by("-created_at", "-pk")


def rating_rows(ratings: QuerySet[Rating], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` ratings as result rows."""
    rows = []
    for r in ratings.select_related("rater_person", "rater__person", "followup")[:limit]:
        person = r.rater_person or (r.rater.person if r.rater is not None else None)
        followup = getattr(r, "followup", None)
        rows.append({
            "kind": "rating", "id": r.pk, "at": r.created_at,
            "item": f"{SubjectType(r.subject_type).label} · {RatingLevel(r.level).label}",
            "person": f"{mask_name(person.name)} {mask_id_number(person.id_number)}" if person is not None else "",
            "status": str(FollowUpStatus(followup.status).label) if followup is not None else "",
            "number": r.subject_id,
            "link": f"/ratings/followups/{followup.pk}/" if followup is not None else ""})
    return rows
