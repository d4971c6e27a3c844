"""Writes of 好差评. The domain apps (cases, centers) check *whether* a subject may be rated and
by whom; this records the rating once, atomically."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import User
from onewindow.accounts.permissions import as_user, has_role_in_scope
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import add_working_days
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.notifications.services import message_enqueue

from .choices import DEFAULT_SCORES, RatingChannel, RatingLevel
from .models import FollowUp, Rating

MAX_COMMENT = 500


def score_of(level: int) -> int:
    scores = getattr(settings, "RATINGS_SCORES", None) or DEFAULT_SCORES
    return int(scores[level])


def check_rating(level: Any, comment: str, channel: str) -> tuple[int, str]:
    """Validate the level (1..5), the comment (≤500 characters) and the channel; refuse otherwise."""
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = 0
    if value not in RatingLevel.values:
        raise DomainError(_("请选择评价等级（非常满意、满意、基本满意、不满意、非常不满意）。"),
                          code="rating_level_invalid", status=422, fields={"level": [_("请从给定选项中选择。")]})
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise DomainError(_("评价内容不能超过 500 字。"), code="rating_comment_too_long", status=422,
                          fields={"comment": [_("内容过长。")]})
    if channel not in RatingChannel.values:
        raise DomainError(_("不支持的评价渠道。"), code="rating_channel_invalid", status=422,
                          fields={"channel": [_("请从给定选项中选择。")]})
    return value, text


LINK_MAX_AGE = 60 * 60 * 24 * 90  # a rating link in an SMS is valid for 90 days


def rating_link_token(*, salt: str, key: str, pk: int) -> str:
    """The signed token of a rating link sent by SMS (no login: whoever holds it rates once).
    It names the subject only (``{key: pk}``), signed with SECRET_KEY and the app's ``salt``
    (OWASP ASVS 5.0 V9 self-contained tokens: integrity, purpose binding, expiry)."""
    return signing.dumps({key: int(pk)}, salt=salt, compress=True)


def rating_link_pk(token: str, *, salt: str, key: str, max_age: int = LINK_MAX_AGE) -> int | None:
    """The subject id a rating link's token names, or None when it is forged, tampered, expired
    or of another purpose (the caller answers 404 rating_link_not_found)."""
    try:
        data = signing.loads(str(token)[:512], salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, int) and value > 0 else None


def rating_record(*, subject_type: str, subject_id: str, level: Any, comment: str = "", channel: str,
                  rater: Any = None, rater_person: Any = None, department: Any = None, staff: Any = None,
                  actor: Actor | None = None, label: str = "") -> Rating:
    """Record the one rating of a subject (一事一评); a second one is refused (409 already_rated).
    A bad rating (差评) opens its follow-up at once (see :func:`followup_open`).

    Must run inside the domain service's transaction (which has locked the subject)."""
    value, text = check_rating(level, comment, channel)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rating_record() must be called inside transaction.atomic().")
    try:
        with transaction.atomic():
            rating = Rating.objects.create(subject_type=subject_type, subject_id=str(subject_id), level=value,
                                           score=score_of(value), comment=text, channel=channel, rater=rater,
                                           rater_person=rater_person, department=department, staff=staff)
    except IntegrityError:
        raise Conflict(_("已经评价过了，每次服务只能评价一次。"), code="already_rated") from None
    audit_record(actor=actor if actor is not None else rater, action="ratings.record",
                 target=rating, after={"subject": f"{subject_type}:{subject_id}", "level": value, "channel": channel})
    if rating.is_bad:
        followup_open(rating, label=label)
    return rating


def followup_days() -> int:
    return int(getattr(settings, "RATINGS_FOLLOWUP_WORKING_DAYS", 5))


def _handlers(department: Any) -> list[User]:
    """Who must handle a follow-up: the department admins and center managers covering the body."""
    if department is None:
        return []
    users = User.objects.filter(staff_roles__valid=True, is_active=True,
                                staff_roles__role__in=[StaffRoleKind.DEPARTMENT_ADMIN, StaffRoleKind.CENTER_MANAGER]
                                ).distinct().order_by("pk")
    return [u for u in users if has_role_in_scope(u, [StaffRoleKind.DEPARTMENT_ADMIN, StaffRoleKind.CENTER_MANAGER],
                                                  department=department)]


def _remind(followup: FollowUp, label: str = "") -> None:
    for user in _handlers(followup.department):
        message_enqueue(event="rating_followup_due", user=user, subject_type="rating_followup",
                        subject_id=str(followup.pk),
                        context={"item": label or followup.rating.get_subject_type_display(),
                                 "number": followup.rating.subject_id, "due_date": followup.due_date.isoformat(),
                                 "url": f"/ratings/followups/{followup.pk}/"})


def followup_open(rating: Rating, *, label: str = "") -> FollowUp:
    """差评 → a follow-up due in RATINGS_FOLLOWUP_WORKING_DAYS working days; its handlers are told."""
    followup = FollowUp.objects.create(rating=rating, department=rating.department,
                                       due_date=add_working_days(timezone.localdate(), followup_days()))
    _remind(followup, label)
    return followup


def _followup_for(by: Actor, followup_id: Any) -> FollowUp:
    pk = as_id(followup_id)
    followup = FollowUp.objects.select_for_update(of=("self",)).select_related("rating", "department").filter(
        pk=pk).first()
    if followup is None:
        raise NotFound(_("找不到该差评回访。"), code="followup_not_found")
    if not has_role_in_scope(by, [StaffRoleKind.DEPARTMENT_ADMIN, StaffRoleKind.CENTER_MANAGER],
                             department=followup.department):
        raise PermissionDenied(_("只有责任单位的负责人可以处理差评回访。"), code="followup_forbidden")
    return followup


def followup_contact(*, by: Actor, followup_id: Any, note: str) -> FollowUp:
    """回访: the handler has contacted the person and notes what was found (调查核实)."""
    text = (note or "").strip()
    if not text:
        raise DomainError(_("请填写回访情况。"), code="note_required", status=422,
                          fields={"note": [_("此项为必填项。")]})
    with transaction.atomic():
        followup = _followup_for(by, followup_id)
        if followup.status != FollowUp.Status.OPEN:
            raise Conflict(_("该差评已回访或已办结。"), code="followup_illegal_transition")
        followup.status = FollowUp.Status.CONTACTED
        followup.contacted_at = timezone.now()
        followup.contact_note = text[:1000]
        followup.handled_by = as_user(by)
        followup.save()
        audit_record(actor=by, action="ratings.followup.contact", target=followup)
    return followup


def followup_close(*, by: Actor, followup_id: Any, fix_note: str, reply: str) -> FollowUp:
    """办结: the fix (整改) and the reply to the person (反馈) are recorded."""
    fix, answer = (fix_note or "").strip(), (reply or "").strip()
    if not fix or not answer:
        raise DomainError(_("请填写整改措施和答复内容。"), code="reply_required", status=422,
                          fields={name: [_("此项为必填项。")] for name, v in (("fix_note", fix), ("reply", answer))
                                  if not v})
    with transaction.atomic():
        followup = _followup_for(by, followup_id)
        if followup.status != FollowUp.Status.CONTACTED:
            raise Conflict(_("请先回访，再办结。"), code="followup_illegal_transition")
        followup.status = FollowUp.Status.CLOSED
        followup.fix_note, followup.reply = fix[:1000], answer[:1000]
        followup.closed_at = timezone.now()
        followup.handled_by = as_user(by)
        followup.save()
        audit_record(actor=by, action="ratings.followup.close", target=followup)
    return followup


def followups_remind(*, today: datetime.date | None = None) -> int:
    """Remind the handlers of follow-ups due tomorrow or overdue, once a day (run by the scheduler)."""
    today = today or timezone.localdate()
    count = 0
    with transaction.atomic():
        due = (FollowUp.objects.select_for_update(of=("self",)).select_related("rating", "department")
               .exclude(status=FollowUp.Status.CLOSED).filter(due_date__lte=add_working_days(today, 1))
               .exclude(reminded_on=today))
        for followup in due:
            followup.reminded_on = today
            followup.save(update_fields=["reminded_on"])
            _remind(followup)
            count += 1
    return count
