"""Reads of inspections and their results (issue #12 parts 4–6), scoped to the requesting user.

Who sees an inspection:

- supervision staff of a department taking part in its plan (the lead and, for a 联合检查, the
  partners) and system admins;
- the officers drawn for it (an officer's login need not hold a staff role);
- the inspected entity's agents (``permissions.entity_organization_ids``) once the group has
  visited — before that the names are not shown to anyone outside, so nobody is tipped off
  (issue #12 part 4).

The combined checklist (一张表, DOMAIN.md R4.3) is the plan's items and, for a joint plan, the joint
item's items of every participating department, grouped by department in the plan's order (lead
first). Results are due for publication 20 working days after the inspection ends (DOMAIN.md R4.5).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.calendar import WorkingDays, add_working_days
from onewindow.core.codes import as_id
from onewindow.core.errors import NotFound
from onewindow.core.models import Department

from .. import permissions as perms
from ..choices import DrawPlanAction, DrawPlanStatus, InspectionStatus, ObjectionStatus, ResultOutcome
from ..models import CheckItem, DrawPlan, DrawPlanEvent, Inspection, InspectionResult, Officer, ResultObjection

#: Working days after the inspection's end within which results are published (DOMAIN.md R4.5).
RESULTS_DUE_DAYS = 20


def results_due_on(plan: DrawPlan, *, days: WorkingDays | None = None) -> datetime.date:
    """The last day to publish the plan's results: 20 working days after ``inspection_ends_on``."""
    return add_working_days(plan.inspection_ends_on, RESULTS_DUE_DAYS, days=days)


def plan_department_ids(plan: DrawPlan) -> set[int]:
    """The lead department and every department named in the plan's ``departments`` codes."""
    codes = [str(code) for code in plan.departments or []]
    ids = set(Department.objects.filter(code__in=codes).values_list("pk", flat=True)) if codes else set()
    return ids | {plan.department_id}


def checklist_items(plan: DrawPlan) -> list[CheckItem]:
    """一张表: the plan's items and its joint item's items, of the plan's departments, each once,
    in the plan's department order (lead first), then the items' own order."""
    items = {item.pk: item for item in plan.items.select_related("department")}
    if plan.joint_item_id is not None:
        for item in CheckItem.objects.filter(joint_items=plan.joint_item_id).select_related("department"):
            items.setdefault(item.pk, item)
    order = [str(code) for code in plan.departments or []]
    rank = {code: index for index, code in enumerate(order)}
    if order:
        lead_code = plan.department.code
        rank.setdefault(lead_code, -1)
        chosen = [item for item in items.values() if item.department.code in rank]
    else:
        chosen = list(items.values())
    return sorted(chosen, key=lambda i: (rank.get(i.department.code, 0), i.department_id, i.sort_order, i.code))


def inspection_visible_to(user: Any, inspection: Inspection) -> bool:
    """Whether ``user`` may see the inspection (see the module docstring)."""
    u = account_perms.as_user(user)
    if u is None:
        return False
    if account_perms.is_system_admin(u):
        return True
    if perms.department_ids(u) & plan_department_ids(inspection.plan):
        return True
    if inspection.officers.filter(user_id=u.pk).exists():
        return True
    return inspection.visited_on is not None and inspection.organization_id in perms.entity_organization_ids(u)


def inspection_get_for(user: Any, inspection_id: Any) -> Inspection:
    """One inspection the user may see; 404 ``inspection_not_found`` otherwise."""
    inspection = (
        Inspection.objects.select_related("plan__department", "plan__joint_item", "organization")
        .filter(pk=as_id(inspection_id))
        .first()
    )
    if inspection is None or not inspection_visible_to(user, inspection):
        raise NotFound(_("找不到该检查。"), code="inspection_not_found")
    return inspection


def acting_officer(user: Any, inspection: Inspection) -> Officer | None:
    """The user's officer among those drawn for ``inspection`` (None when not drawn)."""
    u = account_perms.as_user(user)
    if u is None:
        return None
    return inspection.officers.filter(user_id=u.pk).select_related("department").first()


def is_open(inspection: Inspection) -> bool:
    """Results may be entered: the inspection is not closed and its plan is drawn (not closed)."""
    return inspection.status != InspectionStatus.CLOSED and inspection.plan.status == DrawPlanStatus.DRAWN


@dataclass
class ChecklistRow:
    item: CheckItem
    result: InspectionResult | None
    objections: list[ResultObjection] = field(default_factory=list)


@dataclass
class ChecklistSection:
    """One department's part of the combined checklist; ``may_record`` for its drawn officer."""

    department: Department
    officers: list[Officer]
    rows: list[ChecklistRow] = field(default_factory=list)
    may_record: bool = False

    @property
    def done(self) -> bool:
        return all(row.result is not None for row in self.rows)


def checklist_for(user: Any, inspection: Inspection) -> list[ChecklistSection]:
    """The combined checklist of one visit, one section per department (lead first), each item with
    its result; the user's own department's section is writable while the inspection is open."""
    results = {
        r.check_item_id: r for r in InspectionResult.objects.filter(inspection=inspection).select_related("recorded_by")
    }
    officers = list(inspection.officers.select_related("department").order_by("department_id", "certificate_number"))
    objections = result_objections(inspection)
    mine = acting_officer(user, inspection)
    sections: dict[int, ChecklistSection] = {}
    for item in checklist_items(inspection.plan):
        section = sections.get(item.department_id)
        if section is None:
            section = ChecklistSection(
                department=item.department,
                officers=[o for o in officers if o.department_id == item.department_id],
                may_record=mine is not None and mine.department_id == item.department_id and is_open(inspection),
            )
            sections[item.department_id] = section
        result = results.get(item.pk)
        section.rows.append(
            ChecklistRow(item=item, result=result, objections=objections.get(result.pk, []) if result else [])
        )
    return list(sections.values())


def result_objections(inspection: Inspection) -> dict[int, list[ResultObjection]]:
    """The objections of the inspection's results, newest first, keyed by result id."""
    found: dict[int, list[ResultObjection]] = {}
    for objection in ResultObjection.objects.filter(result__inspection=inspection).order_by("-filed_at", "-id"):
        found.setdefault(objection.result_id, []).append(objection)
    return found


def inspections_for_officer(user: Any) -> QuerySet[Inspection]:
    """我的检查: the inspections the user's officer was drawn for, open ones first."""
    u = account_perms.as_user(user)
    if u is None:
        return Inspection.objects.none()
    return (
        Inspection.objects.filter(officers__user_id=u.pk)
        .select_related("plan")
        .order_by("status", "plan__inspection_ends_on", "id")
        .distinct()
    )


def objections_open_for(user: Any) -> QuerySet[ResultObjection]:
    """Open objections the user's departments must answer (regulators and department admins)."""
    ids = perms.department_ids(user, perms.CLAIM_ROLES)
    return (
        ResultObjection.objects.filter(status=ObjectionStatus.OPEN, result__department_id__in=ids)
        .select_related("result__inspection", "result__check_item")
        .order_by("due_on", "id")
    )


@dataclass(frozen=True)
class PublishedResult:
    """One published result row of the public page (一公开)."""

    entity_name: str
    credit_code: str
    item: str
    department: str
    outcome: str
    outcome_label: str
    published_on: datetime.date


def published_results(plan: DrawPlan) -> list[PublishedResult]:
    """The plan's published results for the public draw page: entity name, credit code, item,
    outcome label and publication date, in draw order. Unpublished results never appear."""
    rows = (
        InspectionResult.objects.filter(inspection__plan=plan, published_at__isnull=False)
        .select_related("inspection", "check_item", "department")
        .order_by("inspection__sequence", "department_id", "check_item__sort_order", "check_item__code")
    )
    return [
        PublishedResult(
            entity_name=r.inspection.entity_name,
            credit_code=r.inspection.credit_code,
            item=r.check_item.name,
            department=r.department.name,
            outcome=r.outcome,
            outcome_label=str(ResultOutcome(r.outcome).label),
            published_on=timezone.localdate(r.published_at) if r.published_at else plan.inspection_ends_on,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class LateResults:
    """A plan whose results were not published by their due date (published late, or not yet)."""

    plan: DrawPlan
    due_on: datetime.date
    published_on: datetime.date | None
    days_late: int


def plans_results_late(user: Any, *, today: datetime.date | None = None) -> list[LateResults]:
    """Closed plans of the user's departments (every plan for a system admin) whose results are
    late: unpublished after the due date, or published after it. Oldest due date first."""
    today = today or timezone.localdate()
    plans = DrawPlan.objects.filter(status=DrawPlanStatus.CLOSED).select_related("department")
    if not account_perms.is_system_admin(user):
        plans = plans.filter(department_id__in=perms.department_ids(user))
    # 20 working days are at least 20 calendar days: older plans only.
    plans = plans.filter(inspection_ends_on__lt=today - datetime.timedelta(days=RESULTS_DUE_DAYS))
    firsts: dict[int, datetime.datetime] = {}
    for plan_id, at in DrawPlanEvent.objects.filter(plan__in=plans, action=DrawPlanAction.PUBLISH_RESULTS).values_list(
        "plan_id", "at"
    ):
        firsts[plan_id] = min(at, firsts.get(plan_id, at))
    days = WorkingDays()
    late: list[LateResults] = []
    for plan in plans:
        due = results_due_on(plan, days=days)
        published = timezone.localdate(firsts[plan.pk]) if plan.pk in firsts else None
        end = published or today
        if end > due:
            late.append(LateResults(plan=plan, due_on=due, published_on=published, days_late=(end - due).days))
    return sorted(late, key=lambda row: (row.due_on, row.plan.pk))


@dataclass(frozen=True)
class InspectionActions:
    """What the user may do on the inspection page (the services decide again on each write)."""

    may_close: bool
    is_entity: bool
    answer_department_ids: frozenset[int]
    may_publish: bool


def inspection_actions_for(user: Any, inspection: Inspection) -> InspectionActions:
    """The page's buttons: close (the lead department's regulators and admins, while open),
    object (the entity's agents), answer objections (the result's department), publish results
    (the lead department, once the plan is closed)."""
    planner = inspection.plan.department_id in perms.department_ids(user, perms.CLAIM_ROLES)
    return InspectionActions(
        may_close=planner and inspection.status != InspectionStatus.CLOSED,
        is_entity=inspection.organization_id in perms.entity_organization_ids(user),
        answer_department_ids=frozenset(perms.department_ids(user, perms.CLAIM_ROLES)),
        may_publish=planner and inspection.plan.status == DrawPlanStatus.CLOSED,
    )
