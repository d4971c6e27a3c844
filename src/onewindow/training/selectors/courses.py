"""Courses, sessions and records of training, scoped to the reader (``permissions``): the center
manager sees the center's; a clerk their own records and the sessions they are invited to;
anyone else nothing (NotFound, 404)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.centers.models import CenterStaff
from onewindow.centers.selectors import user_name
from onewindow.core.actors import Actor
from onewindow.core.errors import NotFound

from .. import permissions
from ..choices import AttendanceStatus, SessionStatus
from ..models import Attendance, Course, TrainingSession
from .key import default_day, untrained_key_count

UPCOMING = 5


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(_("找不到该培训记录。"), code="training_record_not_found") from None


def home_summary(*, by: Actor, center_id: int) -> dict[str, Any]:
    """For the management home: the center's next sessions (``sessions_upcoming``: id, title,
    starts_at; planned, soonest first) and the key-training items with no session in the last 12
    months (``key_items_untrained``). Empty for a viewer who does not manage the center."""
    if not permissions.can_manage(by, center_id):
        return {"sessions_upcoming": [], "key_items_untrained": 0}
    upcoming = (TrainingSession.objects.filter(center_id=center_id, status=SessionStatus.PLANNED,
                                               starts_at__gte=timezone.now())
                .select_related("course").order_by("starts_at", "id")[:UPCOMING])
    return {"sessions_upcoming": [{"id": s.pk, "title": s.course.title, "starts_at": s.starts_at} for s in upcoming],
            "key_items_untrained": untrained_key_count(center_id=center_id, on=default_day(center_id))}


def course_list(*, by: Actor, center_id: int) -> QuerySet[Course]:
    """The center's courses for its manager (404 otherwise), with session counts."""
    if not permissions.can_manage(by, center_id):
        raise NotFound(_("找不到该中心，或您无权查看其培训。"), code="training_center_not_found")
    return (Course.objects.filter(center_id=center_id).prefetch_related("items")
            .annotate(n_sessions=Count("sessions"),
                      n_held=Count("sessions", filter=Q(sessions__status__in=[SessionStatus.HELD,
                                                                              SessionStatus.RECORDED])))
            .order_by("-created_at", "-id"))


def course_detail(*, by: Actor, course_id: Any) -> Course:
    """One course for the manager of its center (404 otherwise)."""
    course = Course.objects.filter(pk=_pk(course_id)).prefetch_related("items").first()
    if course is None or not permissions.can_manage(by, course.center_id):
        raise NotFound(_("找不到该培训课程。"), code="training_course_not_found")
    return course


def session_list(*, by: Actor, center_id: int | None = None, course_id: int | None = None) -> QuerySet[TrainingSession]:
    """Sessions the viewer may see: all of the center (or course) for its manager; for anyone
    else, the sessions they are invited to."""
    qs = TrainingSession.objects.select_related("course").annotate(n_invited=Count("attendances"))
    if course_id is not None:
        qs = qs.filter(course_id=course_id)
    if center_id is not None:
        qs = qs.filter(center_id=center_id)
        if permissions.can_manage(by, center_id):
            return qs.order_by("-starts_at", "-id")
    else:
        managed = permissions.managed_centers(by)
        uid = permissions.user_id(by)
        visible = Q(center_id__in=managed) | Q(attendances__clerk_id=uid)
        return qs.filter(visible).distinct().order_by("-starts_at", "-id")
    uid = permissions.user_id(by)
    return qs.filter(attendances__clerk_id=uid).order_by("-starts_at", "-id")


def session_detail(*, by: Actor, session_id: Any) -> dict[str, Any]:
    """One session and its attendance list: the manager sees every invited clerk; an invited
    clerk sees the session and only their own row; anyone else 404."""
    session = TrainingSession.objects.select_related("course").filter(pk=_pk(session_id)).first()
    if session is None or not permissions.can_see_session(by, session):
        raise NotFound(_("找不到该培训场次。"), code="training_session_not_found")
    manages = permissions.can_manage(by, session.center_id)
    rows = session.attendances.select_related("clerk", "clerk__person").order_by("clerk_id")
    if not manages:
        rows = rows.filter(clerk_id=permissions.user_id(by))
    attendance = [{"clerk_id": a.clerk_id, "name": user_name(a.clerk), "status": a.status,
                   "status_label": AttendanceStatus(a.status).label} for a in rows]
    return {"session": session, "course": session.course, "attendance": attendance, "manages": manages,
            "events": list(session.events.order_by("at", "id")) if manages else []}


def center_clerks(*, by: Actor, center_id: int) -> list[dict[str, Any]]:
    """The center's valid staff, to invite (manager only; 404 otherwise); ``is_manager`` marks the
    center's managers (not invited by default)."""
    if not permissions.can_manage(by, center_id):
        raise NotFound(_("找不到该中心，或您无权查看其培训。"), code="training_center_not_found")
    managers = dict(CenterStaff.objects.filter(center_id=center_id, valid=True).values_list("user_id", "is_manager"))
    users = get_user_model().objects.select_related("person").filter(pk__in=managers, is_active=True).order_by("pk")
    return [{"id": u.pk, "name": user_name(u), "is_manager": managers[u.pk]} for u in users]


def clerk_records(*, by: Actor, clerk_id: Any = None, center_id: int | None = None) -> list[dict[str, Any]]:
    """A clerk's training records (培训记录: sessions invited to, and attendance): the viewer's own,
    or — for the manager of ``center_id`` — those of one of the center's clerks (404 otherwise)."""
    uid = permissions.user_id(by)
    target = uid if clerk_id in (None, "") else _pk(clerk_id)
    if target is None:
        raise NotFound(_("找不到该培训记录。"), code="training_record_not_found")
    qs = Attendance.objects.filter(clerk_id=target).select_related("session", "session__course")
    if target != uid:
        if center_id is None or not permissions.can_manage(by, center_id):
            raise NotFound(_("找不到该培训记录。"), code="training_record_not_found")
        qs = qs.filter(session__center_id=center_id)
    return [{"session_id": a.session_id, "course": a.session.course.title, "starts_at": a.session.starts_at,
             "place": a.session.place, "trainer": a.session.trainer, "session_status": a.session.status,
             "session_status_label": SessionStatus(a.session.status).label, "status": a.status,
             "status_label": AttendanceStatus(a.status).label}
            for a in qs.order_by("-session__starts_at", "-session_id")]

