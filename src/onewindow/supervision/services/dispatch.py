"""双告知 on a registration or a change of business scope (DOMAIN.md R5.1 steps 1 and 3).

Actor: the market registration itself. ``market.listeners.notify_entity_change`` calls
:func:`dual_notice_dispatch` (registered in ``SupervisionConfig.ready()``) inside the
transaction that writes the registration, so the entity and its notices commit together.

Rule (after 先照后证; the 工商总局 2015 notice, number unconfirmed):
1. 告知申请人 — the licences the entity's business needs, found by the mapping table
   (``LicenceRule``, :mod:`..rules`), are listed on a numbered notice with the address of each
   licence's guide (办事指南) in the catalog.
2. 告知部门 — each competent department (谁审批谁监管、谁主管谁监管) gets one task listing its
   licences, to answer within ``SUPERVISION_DUAL_NOTICE_DAYS`` working days.
3. Where a matched licence names no department, or a registration matches no rule at all (no
   approval clearly applies), one task goes to the 认领 pool for a department to claim.
A change of scope that adds no licence writes nothing.

After the registration commits (``transaction.on_commit``, robust: a failing message never undoes
a registration), two messages go out, each in a transaction of its own:

- :func:`dual_notice_announce` tells each department's handlers — its active regulators, data
  clerks and admins (``permissions.TASK_ROLES``) — that a task arrived, in-app (event
  ``dual_notice_task_new``). The 认领 pool is announced to nobody: every supervising department's
  claimers see it on the pool page, and a message to all of them would be noise.
- :func:`dual_notice_tell_entity` (告知申请人, step 1) sends the entity the licences it may need
  and the public addresses of their guides (event ``dual_notice_to_entity``, no deadline: the
  deadline is the departments'), by SMS and in-app to every contact the project knows
  (:func:`entity_contacts`); a contact without a phone gets the in-app message only. A notice
  that lists no licence tells the entity nothing.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import Mandate, Organization, Person, StaffRole, User, valid_mandates_q
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import WorkingDays
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.identifiers import validate_mobile
from onewindow.core.numbering import next_number
from onewindow.market.listeners import EntityChange
from onewindow.market.models import EntityProfile
from onewindow.notifications.services import message_enqueue

from .. import deadlines, rules
from ..choices import TaskAction, TaskStatus
from ..models import DualNotice, DualNoticeTask, DualNoticeTaskEvent, LicenceRule
from ..permissions import TASK_ROLES
from .reminders import task_context

LISTENER = "supervision.dual_notice"
ACTOR = system_actor("supervision.dual_notice")


def notified_on_of(at: datetime.datetime) -> datetime.date:
    """The day of the notice: the local date of the registration (day 0 of the answer clock)."""
    return timezone.localdate(at) if timezone.is_aware(at) else at.date()


def notice_number(year: int) -> str:
    """告知书编号 ``SGZ-<year>-<6 digits>``, gap-free per year (ARCHITECTURE rule 5)."""
    return f"SGZ-{year}-{next_number(f'supervision.dual_notice:{year}'):06d}"


def active_rules() -> list[LicenceRule]:
    """The rules in force, in their order, with their department and catalog item."""
    return list(
        LicenceRule.objects.filter(is_active=True).select_related("department", "item").order_by("sort_order", "id")
    )


def licence_entry(rule: LicenceRule) -> dict[str, Any]:
    """How a licence is listed on the notice: name, catalog item and its guide, department."""
    code = rule.item.code if rule.item is not None else ""
    return {
        "rule": rule.pk,
        "name": rule.licence_name,
        "item_code": code,
        "guide_url": reverse("catalog:guide", args=[code]) if code else "",
        "department_id": rule.department_id,
        "department": rule.department.name if rule.department is not None else "",
    }


def group_by_department(entries: list[dict[str, Any]]) -> dict[int | None, list[str]]:
    """The licence names per competent department (None: the 认领 pool), in notice order."""
    groups: dict[int | None, list[str]] = defaultdict(list)
    for entry in entries:
        names = groups[entry["department_id"]]
        if entry["name"] not in names:
            names.append(entry["name"])
    return dict(groups)


def dual_notice_dispatch(
    change: EntityChange, *, rule_rows: list[LicenceRule] | None = None, days: WorkingDays | None = None
) -> DualNotice | None:
    """The 双告知 listener: write the notice and the departments' tasks for one entity change;
    None when a change of scope adds no licence. ``rule_rows`` and ``days`` let a batch (the
    demo) read the rules and the calendar once."""
    with transaction.atomic():
        organization = Organization.objects.filter(pk=change.organization_id).first()
        if organization is None:
            raise NotFound(_("找不到该市场主体。"), code="organization_not_found")
        chosen = rules.rules_to_notify(
            rule_rows if rule_rows is not None else active_rules(),
            kind=change.kind,
            industry_code=change.industry_code,
            scope=change.business_scope,
            previous_scope=change.previous_scope,
            region_code=change.region_code,
        )
        if change.kind == "scope_changed" and not chosen:
            return None
        notified_on = notified_on_of(change.at)
        limit = deadlines.answer_days()
        due = deadlines.due_date(notified_on, limit, days=days)
        entries = [licence_entry(rule) for rule in chosen]
        notice = DualNotice.objects.create(
            number=notice_number(notified_on.year),
            organization=organization,
            credit_code=change.credit_code,
            entity_name=organization.name,
            change_kind=change.kind,
            industry_code=change.industry_code[:10],
            business_scope=change.business_scope,
            region_code=change.region_code[:12],
            licences=entries,
            changed_at=change.at,
            notified_on=notified_on,
        )
        groups = group_by_department(entries) or {None: []}
        tasks = [
            DualNoticeTask(
                notice=notice,
                department_id=department_id,
                licences=names,
                status=TaskStatus.PENDING if department_id is not None else TaskStatus.POOL,
                notified_on=notified_on,
                limit_days=limit,
                due_date=due,
                created_at=change.at,
                updated_at=change.at,
            )
            for department_id, names in sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ]
        DualNoticeTask.objects.bulk_create(tasks)
        label = str(_("系统"))
        DualNoticeTaskEvent.objects.bulk_create(
            [
                DualNoticeTaskEvent(
                    task=task,
                    action=TaskAction.DISPATCH,
                    from_status="",
                    to_status=task.status,
                    actor_label=label,
                    department_id=task.department_id,
                    data={"due_date": due.isoformat(), "licences": task.licences},
                    created_at=change.at,
                )
                for task in tasks
            ]
        )
        audit_record(
            actor=ACTOR,
            action="supervision.dual_notice.dispatch",
            target=notice,
            channel="system",
            after={
                "number": notice.number,
                "kind": change.kind,
                "due_date": due.isoformat(),
                "departments": [t.department_id for t in tasks],
                "licences": [e["name"] for e in entries],
            },
        )
        notice_id = notice.pk
        # Lambdas, not functools.partial: Django names the callback (__qualname__) when it fails.
        transaction.on_commit(lambda: dual_notice_announce(notice_id), robust=True)
        transaction.on_commit(lambda: dual_notice_tell_entity(notice_id), robust=True)
        return notice


def department_handlers(department_id: int) -> list[User]:
    """The active logins that may receive and answer the department's tasks, in id order."""
    user_ids = StaffRole.objects.filter(valid=True, role__in=TASK_ROLES, department_id=department_id).values("user_id")
    return list(User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"))


def dual_notice_announce(notice_id: int) -> int:
    """Tell each competent department's handlers of their new task (``dual_notice_task_new``,
    in-app), in a transaction of its own after the registration; returns how many messages."""
    sent = 0
    with transaction.atomic():
        tasks = (
            DualNoticeTask.objects.filter(notice_id=notice_id, department__isnull=False)
            .select_related("notice")
            .order_by("department_id")
        )
        for task in tasks:
            assert task.department_id is not None
            context = task_context(task)
            for user in department_handlers(task.department_id):
                sent += len(
                    message_enqueue(
                        event="dual_notice_task_new",
                        user=user,
                        subject_type="dual_notice_task",
                        subject_id=str(task.pk),
                        context=context,
                    )
                )
    return sent


@dataclass(frozen=True)
class Contact:
    """Someone who speaks for an entity: a login (in-app), a person (their language), a phone (SMS)."""

    user: User | None
    person: Person | None
    phone: str


def sms_number(phone: str) -> str:
    """The 11 digits of a mainland mobile number, else "" (a landline, e.g. a legal representative's
    office number, cannot receive an SMS)."""
    try:
        return validate_mobile(phone) if phone else ""
    except DomainError:
        return ""


def entity_contacts(organization_id: int, today: datetime.date | None = None) -> list[Contact]:
    """Who is told for an entity, each login and each phone once, in this order: the entity's own
    active logins (with their person's phone), the agents holding a mandate for it valid today
    (their login if they have one, their phone), then the legal representative's phone from the
    registry (法定代表人联系电话, no login). Phones are the encrypted ones the project already holds;
    only mobile numbers are kept (:func:`sms_number`)."""
    today = today or timezone.localdate()
    found: list[Contact] = []
    for user in User.objects.filter(organization_id=organization_id, is_active=True).select_related("person"):
        found.append(Contact(user, user.person, user.person.phone if user.person is not None else ""))
    mandates = (
        Mandate.objects.filter(valid_mandates_q(today), principal_organization_id=organization_id)
        .select_related("agent")
        .order_by("pk")
    )
    for mandate in mandates:
        login = User.objects.filter(person=mandate.agent, is_active=True).first()
        found.append(Contact(login, mandate.agent, mandate.agent.phone))
    profile = EntityProfile.objects.filter(organization_id=organization_id).only("legal_rep_phone").first()
    if profile is not None and profile.legal_rep_phone:
        found.append(Contact(None, None, profile.legal_rep_phone))
    users: set[int] = set()
    phones: set[str] = set()
    contacts: list[Contact] = []
    for contact in found:
        login = contact.user if contact.user is not None and contact.user.pk not in users else None
        phone = sms_number(contact.phone)
        phone = phone if phone not in phones else ""
        if login is None and not phone:
            continue
        if login is not None:
            users.add(login.pk)
        if phone:
            phones.add(phone)
        contacts.append(Contact(login, contact.person, phone))
    return contacts


def entity_context(notice: DualNotice) -> dict[str, Any]:
    """The notice as the entity reads it: its licences and the public address of each guide."""
    base = str(getattr(settings, "ONEWINDOW_PUBLIC_URL", "")).rstrip("/")
    names: list[str] = []
    guides: list[str] = []
    for entry in notice.licences:
        if entry["name"] not in names:
            names.append(entry["name"])
        guide = f"{entry['name']} {base}{entry['guide_url']}" if entry.get("guide_url") else ""
        if guide and guide not in guides:
            guides.append(guide)
    return {
        "number": notice.number,
        "entity": notice.entity_name,
        "credit_code": notice.credit_code,
        "licences": "、".join(names),
        "guides": "；".join(guides),
        "url": f"{base}{reverse('supervision:notice', args=[notice.pk])}",
    }


def dual_notice_tell_entity(notice_id: int) -> int:
    """告知申请人 (DOMAIN.md R5.1 step 1): the licences the entity may need, to each of its contacts,
    by SMS where a phone is known and in-app where it has a login (``dual_notice_to_entity``), in
    a transaction of its own after the registration; returns how many messages were written."""
    sent = 0
    with transaction.atomic():
        notice = DualNotice.objects.filter(pk=notice_id).first()
        if notice is None or not notice.licences:
            return 0
        context = entity_context(notice)
        for contact in entity_contacts(notice.organization_id):
            sent += len(
                message_enqueue(
                    event="dual_notice_to_entity",
                    phone=contact.phone,
                    user=contact.user,
                    person=contact.person,
                    subject_type="dual_notice",
                    subject_id=str(notice.pk),
                    context=context,
                )
            )
    return sent


def dual_notice_listener(change: EntityChange) -> None:
    """The function market calls (``register_entity_listener``); the notice is not needed there."""
    dual_notice_dispatch(change)
