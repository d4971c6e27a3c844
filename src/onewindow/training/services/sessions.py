"""Sessions (培训场次) and attendance (出席/缺席/请假): planned by the center manager with the
clerks invited, then held or cancelled, then the attendance recorded (``workflow``; issue #14
part 5). Every move locks the session, checks the table, writes a ``SessionEvent`` and an audit
entry, in one transaction; a refusal changes nothing."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from onewindow.centers.models import CenterStaff
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, NotFound

from .. import permissions, workflow
from ..choices import AttendanceStatus, SessionAction, SessionStatus
from ..models import Attendance, Course, SessionEvent, TrainingSession
from .common import guard_manager, invalid, label, pk, text, user_or_none

MAX_INVITED = 200
MARKS = (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)


def _when(value: Any, field: str) -> datetime.datetime:
    moment = value if isinstance(value, datetime.datetime) else parse_datetime(str(value or "").strip())
    if moment is None:
        raise invalid(field, _("请填写有效的时间（年-月-日 时:分）。"))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _clerk_ids(center_id: int, clerk_ids: Any) -> list[int]:
    if isinstance(clerk_ids, (str, int)) or clerk_ids is None:
        clerk_ids = [clerk_ids] if clerk_ids not in (None, "") else []
    try:
        ids = sorted({int(v) for v in clerk_ids})
    except (TypeError, ValueError):
        raise invalid("clerk_ids", _("请选择有效的工作人员。")) from None
    if len(ids) > MAX_INVITED:
        raise invalid("clerk_ids", _("一场培训最多邀请%(n)s人。") % {"n": MAX_INVITED})
    staff = set(CenterStaff.objects.filter(center_id=center_id, valid=True, user_id__in=ids)
                .values_list("user_id", flat=True))
    if set(ids) - staff:
        raise invalid("clerk_ids", _("只能邀请本中心的工作人员。"), code="training_clerk_not_in_center")
    return ids


def _event(session: TrainingSession, action: str, by: Actor, before: str, data: dict[str, Any] | None = None) -> None:
    SessionEvent.objects.create(session=session, action=action, from_status=before, to_status=session.status,
                                actor=user_or_none(by), actor_label=label(by), data=data or {}, at=timezone.now())


def _lock(session: TrainingSession | Any) -> TrainingSession:
    number = pk(session, _("找不到该培训场次。"), "training_session_not_found")
    locked = TrainingSession.objects.select_for_update().filter(pk=number).first()
    if locked is None:
        raise NotFound(_("找不到该培训场次。"), code="training_session_not_found")
    return locked


def _guard(by: Actor, session: TrainingSession, action: str) -> None:
    guard_manager(by, session.center_id, visible=permissions.can_see_session(by, session))
    if not workflow.can(action, session.status):
        raise Conflict(_("该场次当前状态为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": SessionStatus(session.status).label, "action": SessionAction(action).label},
                       code="training_illegal_transition")


@transaction.atomic
def session_plan(*, by: Actor, course: Course | Any, starts_at: Any, ends_at: Any, place: Any, trainer: Any,
                 clerk_ids: Any = ()) -> TrainingSession:
    """The center manager schedules a session of a course (time, place, trainer) and invites
    clerks of the center. A session already past may be planned to be recorded afterwards."""
    number = pk(course, _("找不到该培训课程。"), "training_course_not_found")
    found = Course.objects.select_for_update().filter(pk=number).first()
    if found is None:
        raise NotFound(_("找不到该培训课程。"), code="training_course_not_found")
    guard_manager(by, found.center_id, visible=False, not_found="training_course_not_found")
    start, end = _when(starts_at, "starts_at"), _when(ends_at, "ends_at")
    if end <= start:
        raise invalid("ends_at", _("结束时间须晚于开始时间。"))
    if end - start > datetime.timedelta(days=7):
        raise invalid("ends_at", _("一场培训不超过7天。"))
    where, who = text(place, "place"), text(trainer, "trainer", limit=60)
    ids = _clerk_ids(found.center_id, clerk_ids)
    session = TrainingSession.objects.create(course=found, center_id=found.center_id, starts_at=start, ends_at=end,
                                             place=where, trainer=who, status=SessionStatus.PLANNED,
                                             changed_at=timezone.now())
    Attendance.objects.bulk_create([Attendance(session=session, clerk_id=i) for i in ids])
    _event(session, SessionAction.PLAN, by, "", {"clerk_ids": ids})
    audit_record(actor=by, action="training.session_plan", target=session,
                 after={"course": found.pk, "starts_at": start.isoformat(), "ends_at": end.isoformat(),
                        "place": where, "trainer": who, "clerk_ids": ids})
    return session


@transaction.atomic
def session_invite(*, by: Actor, session: TrainingSession | Any, clerk_ids: Any) -> TrainingSession:
    """The manager sets who is invited to a planned session (the list replaces the previous one)."""
    locked = _lock(session)
    guard_manager(by, locked.center_id, visible=permissions.can_see_session(by, locked))
    if locked.status != SessionStatus.PLANNED:
        raise Conflict(_("只能调整计划中场次的参加人员。"), code="training_illegal_transition")
    ids = _clerk_ids(locked.center_id, clerk_ids)
    before = sorted(locked.attendances.values_list("clerk_id", flat=True))
    locked.attendances.exclude(clerk_id__in=ids).delete()
    Attendance.objects.bulk_create([Attendance(session=locked, clerk_id=i) for i in ids if i not in before])
    _event(locked, SessionAction.PLAN, by, locked.status, {"clerk_ids": ids})
    audit_record(actor=by, action="training.session_invite", target=locked,
                 before={"clerk_ids": before}, after={"clerk_ids": ids})
    return locked


@transaction.atomic
def session_hold(*, by: Actor, session: TrainingSession | Any, now: datetime.datetime | None = None) -> TrainingSession:
    """The manager marks a session as held (已举办), once it has started."""
    locked = _lock(session)
    _guard(by, locked, SessionAction.HOLD)
    if locked.starts_at > (now or timezone.now()):
        raise Conflict(_("培训尚未开始，不能标记为已举办。"), code="training_session_not_started")
    before = locked.status
    locked.status = workflow.target(SessionAction.HOLD)
    locked.changed_at = timezone.now()
    locked.save(update_fields=["status", "changed_at"])
    _event(locked, SessionAction.HOLD, by, before)
    audit_record(actor=by, action="training.session_hold", target=locked, before={"status": before},
                 after={"status": locked.status})
    return locked


@transaction.atomic
def session_cancel(*, by: Actor, session: TrainingSession | Any, reason: Any) -> TrainingSession:
    """The manager cancels a planned session, with a reason the invited clerks read."""
    locked = _lock(session)
    _guard(by, locked, SessionAction.CANCEL)
    why = text(reason, "reason", limit=200)
    before = locked.status
    locked.status = workflow.target(SessionAction.CANCEL)
    locked.reason = why
    locked.changed_at = timezone.now()
    locked.save(update_fields=["status", "reason", "changed_at"])
    _event(locked, SessionAction.CANCEL, by, before, {"reason": why})
    audit_record(actor=by, action="training.session_cancel", target=locked, before={"status": before},
                 after={"status": locked.status, "reason": why})
    return locked


@transaction.atomic
def attendance_record(*, by: Actor, session: TrainingSession | Any, marks: dict[Any, Any]) -> TrainingSession:
    """The manager records each invited clerk's attendance (出席/缺席/请假) of a held session;
    every invited clerk gets a mark, no one else. May be corrected later (recorded → recorded)."""
    locked = _lock(session)
    _guard(by, locked, SessionAction.RECORD)
    invited = dict(locked.attendances.values_list("clerk_id", "status"))
    try:
        given = {int(k): str(v) for k, v in (marks or {}).items()}
    except (TypeError, ValueError, AttributeError):
        raise invalid("marks", _("请为每位受邀人员选择出勤情况。")) from None
    if set(given) != set(invited):
        raise invalid("marks", _("请为每位受邀人员选择出勤情况。"), code="training_marks_incomplete")
    if any(v not in MARKS for v in given.values()):
        raise invalid("marks", _("出勤情况只能是出席、缺席或请假。"))
    before = locked.status
    for clerk_id, mark in given.items():
        if invited[clerk_id] != mark:
            Attendance.objects.filter(session=locked, clerk_id=clerk_id).update(status=mark)
    locked.status = workflow.target(SessionAction.RECORD)
    locked.changed_at = timezone.now()
    locked.save(update_fields=["status", "changed_at"])
    counts = {m: sum(1 for v in given.values() if v == m) for m in MARKS}
    _event(locked, SessionAction.RECORD, by, before, {"counts": counts})
    audit_record(actor=by, action="training.attendance_record", target=locked,
                 before={"status": before, "marks": {str(k): v for k, v in sorted(invited.items())}},
                 after={"status": locked.status, "marks": {str(k): v for k, v in sorted(given.items())}})
    return locked
