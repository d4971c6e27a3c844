"""Writes of 好差评. The domain apps (cases, centers) check *whether* a subject may be rated and
by whom; this records the rating once, atomically.

A bad rating opens its 差评回访, whose steps follow the transition table of ``workflow.py``
(ARCHITECTURE rule 3): each service locks the follow-up, checks the guard (:func:`guard`), changes
it, and appends its ``FollowUpEvent`` and audit entry (:func:`record`) in one transaction;
messages to the handlers go through the outbox in the same transaction."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import User
from onewindow.accounts.permissions import as_user, has_role_in_scope, is_staff_member, primary_role
from onewindow.core.actors import Actor, is_device, is_system, system_actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import add_working_days
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.notifications.services import message_enqueue

from . import permissions, workflow
from .choices import DEFAULT_SCORES, FollowUpAction, FollowUpStatus, RatingChannel, RatingLevel
from .models import FollowUp, FollowUpEvent, Rating

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
        followup_open(by=actor if actor is not None else rater, rating=rating, label=label)
    return rating


def followup_days() -> int:
    return int(getattr(settings, "RATINGS_FOLLOWUP_WORKING_DAYS", 5))


def _handlers(department: Any) -> list[User]:
    """Who must handle a follow-up: the department admins and center managers covering the body."""
    if department is None:
        return []
    users = User.objects.filter(staff_roles__valid=True, is_active=True,
                                staff_roles__role__in=permissions.HANDLER_ROLES).distinct().order_by("pk")
    return [u for u in users if has_role_in_scope(u, permissions.HANDLER_ROLES, department=department)]


def _remind(followup: FollowUp, label: str = "") -> None:
    for user in _handlers(followup.department):
        message_enqueue(event="rating_followup_due", user=user, subject_type="rating_followup",
                        subject_id=str(followup.pk),
                        context={"item": label or followup.rating.get_subject_type_display(),
                                 "number": followup.rating.subject_id, "due_date": followup.due_date.isoformat(),
                                 "url": f"/ratings/followups/{followup.pk}/"})


def guard(followup: FollowUp, action: str, by: Actor) -> None:
    """Refuse an action the actor or the follow-up's status does not allow (nothing is written):
    404 ``followup_not_found`` for a handler whose scope does not cover the rated body (they may
    not know it exists), 403 ``followup_forbidden`` for anyone else who may not take the action,
    409 ``followup_illegal_transition`` for a legal actor in the wrong status (``workflow.py``)."""
    kinds = permissions.actor_kinds(by, followup.department)
    if not kinds & workflow.ACTORS[action]:
        if not permissions.may_see(kinds) and permissions.holds_handler_role(by):
            raise NotFound(_("找不到该差评回访。"), code="followup_not_found")
        raise PermissionDenied(_("只有责任单位的负责人可以处理差评回访。"), code="followup_forbidden")
    if action in workflow.TRANSITIONS and not workflow.allowed(followup.status, action):
        raise Conflict(_("差评回访当前状态为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": FollowUpStatus(followup.status).label, "action": FollowUpAction(action).label},
                       code="followup_illegal_transition")


def record(followup: FollowUp, action: str, by: Actor, *, from_status: str,
           data: dict[str, Any] | None = None) -> FollowUpEvent:
    """Append the follow-up's event row and the audit entry ``ratings.followup.<action>`` of one
    step (inside the service's transaction)."""
    user = as_user(by)
    if is_system(by) or is_device(by):
        label = str(by) if is_system(by) else str(getattr(by, "device_label", ""))
    elif user is not None and is_staff_member(user):
        label = user.get_username()
    else:
        label = str(_("评价人"))  # a rater's identity stays on the rating, not on the timeline
    event = FollowUpEvent.objects.create(followup=followup, action=action, from_status=from_status,
                                         to_status=followup.status, actor=user, actor_label=label[:150],
                                         data=data or {})
    audit_record(actor=by, action=f"ratings.followup.{action}", target=followup,
                 before={"status": from_status} if from_status else None,
                 after={"status": followup.status, **(data or {})},
                 role=primary_role(user) if user is not None else "")
    return event


def followup_open(*, by: Actor, rating: Rating, label: str = "") -> FollowUp:
    """差评转办: a bad rating opens its follow-up at once, due in RATINGS_FOLLOWUP_WORKING_DAYS working
    days (DOMAIN.md R3.3, configurable), and its handlers are told. Actor: whoever recorded the
    rating (``rater`` or the system); called by :func:`rating_record` in its transaction."""
    if not rating.is_bad:
        raise RuntimeError("only a bad rating (差评) opens a follow-up")
    kinds = permissions.actor_kinds(by, rating.department)
    if not kinds & workflow.ACTORS[FollowUpAction.OPEN]:
        raise PermissionDenied(_("只有责任单位的负责人可以处理差评回访。"), code="followup_forbidden")
    followup = FollowUp.objects.create(rating=rating, department=rating.department, status=workflow.OPENED,
                                       due_date=add_working_days(timezone.localdate(), followup_days()))
    record(followup, FollowUpAction.OPEN, by, from_status="", data={"due_date": followup.due_date.isoformat()})
    _remind(followup, label)
    return followup


def _locked(followup_id: Any) -> FollowUp:
    """The follow-up row, locked for the rest of the transaction; 404 for an unknown id."""
    followup = (FollowUp.objects.select_for_update(of=("self",)).select_related("rating", "department")
                .filter(pk=as_id(followup_id)).first())
    if followup is None:
        raise NotFound(_("找不到该差评回访。"), code="followup_not_found")
    return followup


def followup_contact(*, by: Actor, followup_id: Any, note: str) -> FollowUp:
    """回访: the handler has contacted the person and notes what was found (调查核实, R3.1).
    Actor: a handler of the rated body or a system admin (``workflow.ACTORS``); an open
    follow-up only. Audited ``ratings.followup.contact`` with its event row."""
    text = (note or "").strip()
    with transaction.atomic():
        followup = _locked(followup_id)
        guard(followup, FollowUpAction.CONTACT, by)
        if not text:
            raise DomainError(_("请填写回访情况。"), code="note_required", status=422,
                              fields={"note": [_("此项为必填项。")]})
        from_status = followup.status
        followup.status = workflow.target(from_status, FollowUpAction.CONTACT)
        followup.contacted_at = timezone.now()
        followup.contact_note = text[:1000]
        followup.handled_by = as_user(by)
        followup.save()
        record(followup, FollowUpAction.CONTACT, by, from_status=from_status)
    return followup


def followup_close(*, by: Actor, followup_id: Any, fix_note: str, reply: str) -> FollowUp:
    """办结: the fix (整改) and the reply to the person (反馈) are recorded (R3.1). Actor: as for
    :func:`followup_contact`; a contacted follow-up only. Audited ``ratings.followup.close``."""
    fix, answer = (fix_note or "").strip(), (reply or "").strip()
    with transaction.atomic():
        followup = _locked(followup_id)
        guard(followup, FollowUpAction.CLOSE, by)
        if not fix or not answer:
            raise DomainError(_("请填写整改措施和答复内容。"), code="reply_required", status=422,
                              fields={name: [_("此项为必填项。")] for name, v in (("fix_note", fix), ("reply", answer))
                                      if not v})
        from_status = followup.status
        followup.status = workflow.target(from_status, FollowUpAction.CLOSE)
        followup.fix_note, followup.reply = fix[:1000], answer[:1000]
        followup.closed_at = timezone.now()
        followup.handled_by = as_user(by)
        followup.save()
        record(followup, FollowUpAction.CLOSE, by, from_status=from_status)
    return followup


def followup_remind(*, by: Actor, followup_id: Any, today: datetime.date | None = None) -> FollowUp:
    """催办提醒: the handlers of a follow-up that is not closed are reminded of its due date (one
    message each, through the outbox). Actor: the system (the scheduler, :func:`followups_remind`).
    Audited ``ratings.followup.remind`` with its event row; the status does not change."""
    today = today or timezone.localdate()
    with transaction.atomic():
        followup = _locked(followup_id)
        guard(followup, FollowUpAction.REMIND, by)
        followup.reminded_on = today
        followup.save(update_fields=["reminded_on"])
        record(followup, FollowUpAction.REMIND, by, from_status=followup.status,
               data={"due_date": followup.due_date.isoformat()})
        _remind(followup)
    return followup


def followups_remind(*, today: datetime.date | None = None) -> int:
    """Remind the handlers of every follow-up due by the next working day or overdue, once a day
    (run by the scheduler as the system, through :func:`followup_remind`). Returns how many."""
    today = today or timezone.localdate()
    by = system_actor("ratings.followups_remind")
    count = 0
    with transaction.atomic():
        # Locked together, so two scheduler runs never remind the same follow-up twice a day.
        due = list(FollowUp.objects.select_for_update(of=("self",)).exclude(status=FollowUpStatus.CLOSED)
                   .filter(due_date__lte=add_working_days(today, 1)).exclude(reminded_on=today)
                   .order_by("pk").values_list("pk", flat=True))
        for pk in due:
            followup_remind(by=by, followup_id=pk, today=today)
            count += 1
    return count
