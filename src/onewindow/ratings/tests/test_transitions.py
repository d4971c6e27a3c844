"""Every (status, action) pair of a 差评回访 (follow-up of a bad rating) through the real services,
and every principal against every action.

A legal pair moves the follow-up to its target status and appends its event row (action, from and
to status, who) with the audit entry ``ratings.followup.<action>``; a reminder also queues one
message per handler. An illegal pair is refused with 409 ``followup_illegal_transition``; an actor
who holds no handler role 403 ``followup_forbidden``; a handler out of scope, who cannot see the
follow-up, 404 ``followup_not_found``. A refusal changes nothing: the same status, no event, no
audit entry, no message.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import PRINCIPAL_NAMES, Principals, StaffRoleFactory, UserFactory
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message
from onewindow.ratings import services, workflow
from onewindow.ratings.choices import FollowUpStatus
from onewindow.ratings.models import FollowUp, FollowUpEvent, Rating

OPEN, CONTACTED, CLOSED = FollowUpStatus.OPEN, FollowUpStatus.CONTACTED, FollowUpStatus.CLOSED
ACTIONS = ["contact", "close", "remind"]
#: (status, action) -> the status after the action; every pair not listed is refused with 409.
EXPECTED: dict[tuple[str, str], str] = {
    (OPEN, "contact"): CONTACTED,
    (CONTACTED, "close"): CLOSED,
    (OPEN, "remind"): OPEN,
    (CONTACTED, "remind"): CONTACTED,
}
#: Who may take each action: the handlers (the department admin of the rated body, "manager", and
#: a system admin, "admin") contact and close; only the scheduler ("system") reminds.
ALLOWED = {"contact": {"manager", "admin"}, "close": {"manager", "admin"}, "remind": {"system"}}
REMINDER = "ratings.followups_remind"
_subjects = itertools.count(1)


@dataclass(frozen=True)
class Pad:
    """A rating pad acting through its token (core.actors.DeviceActor)."""

    pk: int = 1
    device_label: str = "静安区评价器 01"


def actor_of(p: Principals, name: str) -> Any:
    if name == "anonymous":
        return AnonymousUser()
    if name == "device":
        return Pad()
    if name == "system":
        return system_actor(REMINDER)
    if name == "handler_other_department":
        user = UserFactory.create(username="p_handler_other_department", is_staff=True)
        StaffRoleFactory.create(
            user=user, role=StaffRoleKind.DEPARTMENT_ADMIN, department=p.other_department, region=None
        )
        return user
    return p.users[name]


ACTORS = [*PRINCIPAL_NAMES, "system", "handler_other_department"]


def events(followup: FollowUp) -> QuerySet[FollowUpEvent]:
    return FollowUpEvent.objects.filter(followup=followup).order_by("id")


def bad_rating(p: Principals) -> FollowUp:
    """A case rated 非常不满意 by its applicant: the rated body's follow-up opens."""
    with transaction.atomic():
        rating = services.rating_record(
            subject_type="case",
            subject_id=str(next(_subjects)),
            level=1,
            comment="等候太久",
            channel="web",
            rater=p.citizen,
            department=p.department,
            actor=p.citizen,
        )
    return FollowUp.objects.get(rating=rating)


def followup_in(p: Principals, status: str) -> FollowUp:
    followup = bad_rating(p)
    if status in (CONTACTED, CLOSED):
        services.followup_contact(by=p.manager, followup_id=followup.pk, note="已电话回访")
    if status == CLOSED:
        services.followup_close(by=p.manager, followup_id=followup.pk, fix_note="窗口人员培训", reply="已致歉")
    followup.refresh_from_db()
    assert followup.status == status
    return followup


def call(action: str, by: Any, followup: FollowUp) -> FollowUp:
    calls: dict[str, Callable[[], FollowUp]] = {
        "contact": lambda: services.followup_contact(by=by, followup_id=followup.pk, note="已电话回访，核实属实"),
        "close": lambda: services.followup_close(
            by=by, followup_id=followup.pk, fix_note="高峰增开窗口", reply="已致歉并说明整改"
        ),
        "remind": lambda: services.followup_remind(by=by, followup_id=followup.pk),
    }
    return calls[action]()


def snapshot(followup: FollowUp) -> tuple[Any, ...]:
    f = FollowUp.objects.get(pk=followup.pk)
    return (
        f.status,
        f.contact_note,
        f.fix_note,
        f.reply,
        f.handled_by_id,
        f.reminded_on,
        events(f).count(),
        AuditEntry.objects.filter(target_type="ratings.followup", target_id=str(f.pk)).count(),
        Message.objects.filter(subject_type="rating_followup", subject_id=str(f.pk)).count(),
    )


def test_the_table_is_the_expected_one() -> None:
    """The workflow's table says what this walk checks, no more and no less."""
    table = {(s, a): workflow.target(s, a) for s in FollowUpStatus.values for a in ACTIONS if workflow.allowed(s, a)}
    assert table == EXPECTED
    assert set(workflow.ACTORS) == {"open", *ACTIONS} and workflow.OPENED == OPEN


def test_a_bad_rating_opens_its_follow_up_with_an_event(principals: Principals) -> None:
    p = principals
    followup = bad_rating(p)
    assert followup.status == OPEN
    opened = events(followup).get()
    assert (opened.action, opened.from_status, opened.to_status, opened.actor_id) == ("open", "", OPEN, p.citizen.pk)
    entry = AuditEntry.objects.get(action="ratings.followup.open", target_id=str(followup.pk))
    assert (entry.actor_id, entry.after) == (
        str(p.citizen.pk),
        {"status": OPEN, "due_date": followup.due_date.isoformat()},
    )
    with transaction.atomic():
        good = services.rating_record(
            subject_type="case",
            subject_id="good-1",
            level=5,
            channel="web",
            rater=p.citizen,
            department=p.department,
            actor=p.citizen,
        )
    assert not FollowUp.objects.filter(rating=good).exists() and Rating.objects.count() == 2


@pytest.mark.parametrize("status", FollowUpStatus.values)
def test_each_action_from_status(principals: Principals, status: str) -> None:
    p = principals
    for action in ACTIONS:
        followup = followup_in(p, status)
        by = actor_of(p, "system" if action == "remind" else "manager")
        before = snapshot(followup)
        if (status, action) not in EXPECTED:
            with pytest.raises(DomainError) as refused:
                call(action, by, followup)
            assert (refused.value.status, refused.value.code) == (409, "followup_illegal_transition"), (status, action)
            assert snapshot(followup) == before, (status, action)
            continue
        result = call(action, by, followup)
        target = EXPECTED[(status, action)]
        assert FollowUp.objects.get(pk=followup.pk).status == result.status == target, (status, action)
        event = events(followup).last()
        assert (event.action, event.from_status, event.to_status) == (action, status, target), (status, action)
        assert event.actor_id == (None if action == "remind" else p.manager.pk)
        assert event.actor_label == (REMINDER if action == "remind" else p.manager.get_username())
        assert events(followup).count() == before[6] + 1
        entry = AuditEntry.objects.filter(target_type="ratings.followup", target_id=str(followup.pk)).latest("id")
        assert (entry.action, entry.before["status"], entry.after["status"]) == (
            f"ratings.followup.{action}",
            status,
            target,
        )
        sent = Message.objects.filter(subject_type="rating_followup", subject_id=str(followup.pk)).count()
        if action == "remind":  # one message to the one handler of the rated body, once a day
            assert (sent, FollowUp.objects.get(pk=followup.pk).reminded_on) == (before[8] + 1, timezone.localdate())
        else:
            assert sent == before[8]


@pytest.mark.parametrize("action", ACTIONS)
def test_who_may_take_each_action(principals: Principals, action: str) -> None:
    p = principals
    status = CONTACTED if action == "close" else OPEN
    for name in ACTORS:
        followup = followup_in(p, status)
        before = snapshot(followup)
        by = actor_of(p, name)
        if name in ALLOWED[action]:
            assert call(action, by, followup).status == EXPECTED[(status, action)], (action, name)
            continue
        with pytest.raises(DomainError) as refused:
            call(action, by, followup)
        expected = (404, "followup_not_found") if name == "handler_other_department" else (403, "followup_forbidden")
        assert (refused.value.status, refused.value.code) == expected, (action, name)
        assert snapshot(followup) == before, (action, name)


def test_the_reminder_job_reminds_each_due_follow_up_once_a_day(principals: Principals) -> None:
    """The scheduled job calls followup_remind as the system for every follow-up due by the next
    working day and not yet reminded today; closed ones and ones due later are left alone."""
    p = principals
    due, contacted, closed, later = (followup_in(p, s) for s in (OPEN, CONTACTED, CLOSED, OPEN))
    today = timezone.localdate()
    FollowUp.objects.filter(pk__in=[due.pk, contacted.pk, closed.pk]).update(due_date=today)
    FollowUp.objects.filter(pk=later.pk).update(due_date=today.replace(year=today.year + 1))
    assert services.followups_remind(today=today) == 2
    assert [events(f).last().action for f in (due, contacted, closed, later)] == ["remind", "remind", "close", "open"]
    assert services.followups_remind(today=today) == 0
    assert events(due).filter(action="remind").count() == 1
