"""监管预警: the alert lifecycle (acknowledge, close), its reminders and its small transition table.

Lifecycle (issue #12 part 8): a scan (``services.alert_scan``) raises an alert **open** (待处理);
the owner department acknowledges it (签收, **acknowledged**) and closes it (办结, **closed**) with
a note saying what was done; an open alert may be closed at once. Closed is final.

Actors (:data:`ALERT_ACTORS`): ``department`` — a regulator (监管人员) or department admin
(部门管理员) of the alert's owner department. Every supervising department reads every alert
(信息共享, as for 双告知 tasks; the entity profile shows them), but only the owner department acts:
another department's staff get 403, a system admin reads all and acts for no department (403).

Each action, in one transaction: lock the alert, guard (404 invisible, 403 not the owner, 409
wrong state, 422 bad note), mutate, append an :class:`~onewindow.supervision.models.AlertEvent`
and an audit entry. A refusal writes nothing.

Reminders (催办, :func:`alert_reminders_send`, daily with the scan): an alert still **open** more
than ``SUPERVISION_ALERT_REMIND_DAYS`` working days (default 3) after it was raised — or after its
last reminder — is reminded to its department's admins, in-app, through the notifications outbox.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole, User
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import WorkingDays, working_days_between
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.notifications.services import message_enqueue

from .. import permissions as perms
from ..models import Alert, AlertEvent
from ..models.alerts import AlertAction, AlertState
from ..workflow import Transition
from . import common

NOTE_MAX = 500
DEFAULT_REMIND_DAYS = 3
REMINDER_LIMIT = 500
REMINDER_ACTOR = system_actor("supervision.alert_reminders")
#: The in-app event of an alert reminder (notifications migration 0010 seeds its templates).
REMINDER_EVENT = "supervision_alert_reminder"
#: Roles of the owner department that acknowledge and close its alerts.
ACT_ROLES: tuple[str, ...] = (StaffRoleKind.REGULATOR, StaffRoleKind.DEPARTMENT_ADMIN)


#: The alert workflow (pure): the states an action may start from and the state it leads to.
ALERT_TRANSITIONS: dict[str, Transition] = {
    AlertAction.ACKNOWLEDGE: Transition(frozenset({AlertState.OPEN}), AlertState.ACKNOWLEDGED),
    AlertAction.CLOSE: Transition(frozenset({AlertState.OPEN, AlertState.ACKNOWLEDGED}), AlertState.CLOSED),
}
#: Who may take each action: the owner department's regulators and admins.
ALERT_ACTORS: dict[str, frozenset[str]] = {
    AlertAction.ACKNOWLEDGE: frozenset({"department"}),
    AlertAction.CLOSE: frozenset({"department"}),
}


def alert_allowed(state: str, action: str) -> bool:
    """Whether ``action`` may be taken on an alert in ``state``."""
    transition = ALERT_TRANSITIONS.get(action)
    return transition is not None and state in transition.sources


def acting_department_ids(user: Any) -> set[int]:
    """The departments whose alerts ``user`` acknowledges and closes (own roles only)."""
    return perms.department_ids(user, ACT_ROLES)


def alert_actor_kinds(user: Any, alert: Alert) -> set[str]:
    """The actor kinds of :data:`ALERT_ACTORS` that ``user`` holds for ``alert``."""
    if account_perms.as_user(user) is not None and alert.department_id in acting_department_ids(user):
        return {"department"}
    return set()


def alert_actions_for(user: Any, alert: Alert) -> list[str]:
    """The actions ``user`` may take on ``alert`` now (the page's buttons; pure of the table)."""
    kinds = alert_actor_kinds(user, alert)
    return [action for action, actors in ALERT_ACTORS.items() if kinds & actors and alert_allowed(alert.state, action)]


def _lock(alert_id: Any) -> Alert:
    alert = (
        Alert.objects.select_for_update(of=("self",)).select_related("department").filter(pk=as_id(alert_id)).first()
    )
    if alert is None:
        raise NotFound(_("找不到该监管预警。"), code="alert_not_found")
    return alert


def _guard(alert: Alert, action: str, by: Any) -> None:
    if not perms.is_supervision_staff(by):
        raise NotFound(_("找不到该监管预警。"), code="alert_not_found")
    if not alert_actor_kinds(by, alert) & ALERT_ACTORS[action]:
        raise PermissionDenied(
            _("只有责任部门的监管人员可以“%(action)s”该预警。") % {"action": AlertAction(action).label},
            code="alert_action_forbidden",
        )
    if not alert_allowed(alert.state, action):
        raise Conflict(
            _("该预警当前状态为“%(state)s”，不能“%(action)s”。")
            % {"state": AlertState(alert.state).label, "action": AlertAction(action).label},
            code="alert_illegal_transition",
        )


def _note(note: Any, *, required: bool) -> str:
    text = str(note or "").strip()
    if required and not text:
        raise DomainError(
            _("请填写办结说明。"), code="alert_note_required", fields={"note": [_("请填写办结说明。")]}, status=422
        )
    if len(text) > NOTE_MAX:
        raise DomainError(
            _("说明不能超过 %(n)s 个字。") % {"n": NOTE_MAX},
            code="alert_note_too_long",
            fields={"note": [_("说明不能超过 %(n)s 个字。") % {"n": NOTE_MAX}]},
            status=422,
        )
    return text


def alert_record(
    alert: Alert,
    action: str,
    by: Any,
    *,
    from_state: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> AlertEvent:
    """Append the timeline event and the audit entry of one step of ``alert``."""
    user = common.actor_user(by)
    event = AlertEvent.objects.create(
        alert=alert,
        action=action,
        from_state=from_state,
        to_state=alert.state,
        by=user,
        by_label=common.actor_label(user),
        note=note[:NOTE_MAX],
        data=data or {},
        at=at or timezone.now(),
    )
    audit_record(
        actor=by,
        action=f"supervision.alert.{action}",
        target=alert,
        before={"state": from_state} if from_state else None,
        after={"state": alert.state, **(data or {})},
        role=account_perms.primary_role(user) if user is not None else "",
    )
    return event


def _transition(by: Any, alert_id: Any, action: str, note: Any) -> Alert:
    with transaction.atomic():
        alert = _lock(alert_id)
        _guard(alert, action, by)
        text = _note(note, required=action == AlertAction.CLOSE)
        user = common.actor_user(by)
        before = alert.state
        now = timezone.now()
        alert.state = ALERT_TRANSITIONS[action].target
        if action == AlertAction.ACKNOWLEDGE:
            alert.acknowledged_at, alert.acknowledged_by = now, user
            fields = ["state", "acknowledged_at", "acknowledged_by"]
        else:
            alert.closed_at, alert.closed_by, alert.close_note = now, user, text
            fields = ["state", "closed_at", "closed_by", "close_note"]
        alert.save(update_fields=fields)
        alert_record(alert, action, by, from_state=before, note=text)
        return alert


def alert_acknowledge(*, by: Any, alert_id: Any, note: str = "") -> Alert:
    """签收: the owner department takes the alert up (open → acknowledged), with an optional note."""
    return _transition(by, alert_id, AlertAction.ACKNOWLEDGE, note)


def alert_close(*, by: Any, alert_id: Any, note: str) -> Alert:
    """办结: the owner department closes the alert with a note of what was done (required)."""
    return _transition(by, alert_id, AlertAction.CLOSE, note)


# ---- reminders (催办) ---------------------------------------------------------------------------


def moment(today: datetime.date) -> datetime.datetime:
    """The time to stamp on a step taken for ``today``: now when it is today, else noon of that day
    (a scan or sweep run for a fixed day — the demo's, a test's — dates its rows on that day)."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))


def remind_days() -> int:
    """Working days an alert may stay open before (and between) reminders (setting, default 3)."""
    return max(1, int(getattr(settings, "SUPERVISION_ALERT_REMIND_DAYS", DEFAULT_REMIND_DAYS)))


def reminder_recipients(alert: Alert) -> list[User]:
    """The owner department's admins (active logins, in id order)."""
    ids = StaffRole.objects.filter(
        valid=True, role=StaffRoleKind.DEPARTMENT_ADMIN, department_id=alert.department_id
    ).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def alert_context(alert: Alert) -> dict[str, Any]:
    """What a reminder says: the rule, the entity (name and credit code), the summary, when it was
    raised, how many reminders so far, and the alert's page."""
    return {
        "rule": str(alert.get_rule_display()),
        "entity": alert.entity_name,
        "credit_code": alert.credit_code,
        "summary": alert.summary,
        "raised_on": timezone.localdate(alert.raised_at).isoformat(),
        "count": alert.reminder_count,
        "url": f"/supervision/alerts/{alert.pk}/",
    }


def _due_for_reminder(alert: Alert, today: datetime.date, days: WorkingDays) -> bool:
    since = timezone.localdate(alert.last_reminded_at or alert.raised_at)
    return working_days_between(since, today, days=days) > remind_days()


def _remind(alert_id: int, today: datetime.date, days: WorkingDays) -> bool:
    with transaction.atomic():
        alert = _lock(alert_id)
        if alert.state != AlertState.OPEN or not _due_for_reminder(alert, today, days):
            return False
        users = reminder_recipients(alert)
        alert.reminder_count += 1
        alert.last_reminded_at = moment(today)
        context = alert_context(alert)
        for user in users:
            message_enqueue(
                event=REMINDER_EVENT,
                user=user,
                subject_type="supervision_alert",
                subject_id=str(alert.pk),
                context=context,
            )
        alert.save(update_fields=["reminder_count", "last_reminded_at"])
        alert_record(
            alert,
            AlertAction.REMIND,
            REMINDER_ACTOR,
            from_state=alert.state,
            data={"count": alert.reminder_count, "recipients": [u.pk for u in users]},
            at=alert.last_reminded_at,
        )
        return True


def alert_reminders_send(*, today: datetime.date | None = None, limit: int = REMINDER_LIMIT) -> int:
    """Remind the open alerts due for a reminder (oldest first, at most ``limit``); how many."""
    today = today or timezone.localdate()
    days = WorkingDays()
    # A cheap bound first: nothing raised or reminded within the last remind_days() calendar days
    # can be due; the working-day count decides for the rest.
    horizon = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=remind_days()), datetime.time.min)
    )
    candidates = (
        Alert.objects.filter(state=AlertState.OPEN, raised_at__lt=horizon)
        .order_by("raised_at", "pk")
        .values_list("pk", "raised_at", "last_reminded_at")
    )
    reminded = 0
    for pk, raised_at, last in candidates.iterator():
        if reminded >= limit:
            break
        since = timezone.localdate(last or raised_at)
        if working_days_between(since, today, days=days) <= remind_days():
            continue
        reminded += _remind(pk, today, days)
    return reminded
