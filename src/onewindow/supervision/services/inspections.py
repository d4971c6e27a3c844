"""Inspections of drawn entities: results, re-inspections, closing, publication and objections
(issue #12 parts 5–6).

- **One combined checklist (一张表).** An inspection's checklist is its plan's items — for a
  联合检查 also the joint item's items of every department (DOMAIN.md R4.3, "进一次门、查多项事").
  Each department records only its own items: :func:`result_record` takes a result from an officer
  (``Officer.user``) drawn for that inspection and belonging to the item's department, never from
  anyone else (403 ``inspection_result_not_drawn``, issue #12 "bad input"), and never after the
  inspection or its plan is closed (409 ``inspection_closed``). A second result for the same item
  is a correction, kept in the audit with its before and after.
- Each result is pooled in ``market`` as an inspection record (检查结果) under the entity's
  credit code, the result's department as source and ``SUP-RESULT-<id>`` as source record id, so
  the entity profile shows it and a correction corrects the same record (信息归集, issue #11).
- 发现问题责令整改 needs a rectification date after the visit; the re-inspection is recorded later
  (:func:`result_reinspect`). 移交立案 records that a penalty case is to be opened
  (:func:`result_referral_hook`): the cases app has no service that opens a penalty case yet.
- Results are published within 20 working days after the inspection ends (DOMAIN.md R4.5, SAMR
  2018; 企业信息公示暂行条例 art. 6): :func:`results_publish` takes a late publication and marks
  it late.
- 异议: the entity's agent objects (:func:`objection_file`); the result's department answers within
  ``SUPERVISION_OBJECTION_DAYS`` working days (5 by default; no legal source is confirmed);
  an upheld objection corrects the result (:func:`objection_answer`).

Every service locks, guards with stable codes, mutates and audits in one transaction; a refusal
writes nothing (ARCHITECTURE rule 3).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import is_system, system_actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import add_working_days
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.market.choices import InspectionResult as MarketResult
from onewindow.market.choices import RecordChannel, RecordKind
from onewindow.market.services import records as market_records

from .. import permissions as perms
from .. import workflow
from ..choices import DrawPlanAction, DrawPlanStatus, InspectionStatus, ObjectionStatus, ResultOutcome
from ..models import CheckItem, DrawPlan, DrawPlanEvent, Inspection, InspectionResult, Officer, ResultObjection
from ..selectors.inspections import (
    checklist_items,
    inspection_visible_to,
    plan_department_ids,
    results_due_on,
)
from . import common

NOTE_MAX = 1000
#: Each outcome as the closest result of market's pooled inspection records (检查结果).
MARKET_OUTCOME: dict[str, str] = {
    ResultOutcome.NO_PROBLEM: MarketResult.NO_ISSUE,
    ResultOutcome.RECTIFY: MarketResult.CORRECTED,
    ResultOutcome.NOT_DISCLOSED: MarketResult.FOLLOW_UP,
    ResultOutcome.UNCOOPERATIVE: MarketResult.REFUSED,
    ResultOutcome.REFERRED: MarketResult.FOLLOW_UP,
}
DEFAULT_OBJECTION_DAYS = 5


def objection_days() -> int:
    """The working days a department has to answer an objection (setting, default 5, unconfirmed)."""
    return max(1, int(getattr(settings, "SUPERVISION_OBJECTION_DAYS", DEFAULT_OBJECTION_DAYS)))


def _invalid(field: str, message: Any, code: str) -> DomainError:
    return DomainError(message, code=code, status=422, fields={field: [message]})


def _closed() -> Conflict:
    return Conflict(_("该检查已结束或任务已撤销，不能再录入或更改检查结果。"), code="inspection_closed")


def _planner(by: Any, plan: DrawPlan) -> bool:
    """A regulator or department admin of the plan's (lead) department (``PLAN_ACTORS`` planner)."""
    return plan.department_id in perms.department_ids(by, perms.CLAIM_ROLES)


def _lock_inspection(inspection_id: Any, by: Any) -> Inspection:
    inspection = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("plan", "organization")
        .filter(pk=as_id(inspection_id))
        .first()
    )
    if inspection is None or not (is_system(by) or inspection_visible_to(by, inspection)):
        raise NotFound(_("找不到该检查。"), code="inspection_not_found")
    return inspection


def _lock_result(result_id: Any, by: Any) -> InspectionResult:
    result = (
        InspectionResult.objects.select_for_update(of=("self",))
        .select_related("inspection__plan", "inspection__organization", "check_item", "department")
        .filter(pk=as_id(result_id))
        .first()
    )
    if result is None or not (is_system(by) or inspection_visible_to(by, result.inspection)):
        raise NotFound(_("找不到该检查结果。"), code="inspection_result_not_found")
    return result


def _is_open(inspection: Inspection) -> bool:
    return inspection.status != InspectionStatus.CLOSED and inspection.plan.status == DrawPlanStatus.DRAWN


def _not_drawn() -> PermissionDenied:
    return PermissionDenied(
        _("只有抽中检查该主体的本部门执法人员才能录入该事项的检查结果。"), code="inspection_result_not_drawn"
    )


def _drawn_officer(by: Any, inspection: Inspection, department_id: int | None = None) -> Officer:
    """The acting officer, drawn for ``inspection`` (and of ``department_id`` when given); else 403."""
    user = account_perms.as_user(by)
    officer = inspection.officers.filter(user_id=user.pk).first() if user is not None else None
    if officer is None or (department_id is not None and officer.department_id != department_id):
        raise _not_drawn()
    return officer


def _date(value: Any, field: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _invalid(field, _("请填写有效日期（YYYY-MM-DD）。"), "inspection_date_invalid") from None


def _note(value: Any) -> str:
    note = (value or "").strip()
    if len(note) > NOTE_MAX:
        raise _invalid("note", _("内容不能超过 %(n)s 个字。") % {"n": NOTE_MAX}, "inspection_note_too_long")
    return str(note)


def _visit_date(inspection: Inspection, visited_on: datetime.date | None) -> datetime.date:
    """The group's one visit date: given with the first result, the same (or omitted) after."""
    if visited_on is None:
        if inspection.visited_on is None:
            raise _invalid("visited_on", _("请填写检查日期。"), "inspection_visit_date_required")
        return inspection.visited_on
    if inspection.visited_on is not None and visited_on != inspection.visited_on:
        raise _invalid(
            "visited_on",
            _("检查组已录入检查日期 %(date)s，一次检查只有一个检查日期。")
            % {"date": inspection.visited_on.isoformat()},
            "inspection_visit_date_fixed",
        )
    if visited_on > common.today():
        raise _invalid("visited_on", _("检查日期不能晚于今天。"), "inspection_visit_date_future")
    drawn = inspection.plan.drawn_at
    if drawn is not None and visited_on < timezone.localdate(drawn):
        raise _invalid("visited_on", _("检查日期不能早于抽取日期。"), "inspection_visit_before_draw")
    return visited_on


def _rectify_date(outcome: str, rectify_by: Any, visited_on: datetime.date) -> datetime.date | None:
    date = _date(rectify_by, "rectify_by")
    if outcome != ResultOutcome.RECTIFY:
        return None
    if date is None or date <= visited_on:
        raise _invalid("rectify_by", _("责令整改须填写晚于检查日期的整改期限。"), "inspection_rectify_by_invalid")
    return date


def _values(result: InspectionResult) -> dict[str, Any]:
    return {
        "outcome": result.outcome,
        "note": result.note,
        "rectify_by": result.rectify_by.isoformat() if result.rectify_by else None,
        "reinspected_on": result.reinspected_on.isoformat() if result.reinspected_on else None,
    }


def _pool(result: InspectionResult) -> None:
    """File (or correct) the result's inspection record in market under the entity's credit code."""
    inspection = result.inspection
    row = {
        "source_id": f"SUP-RESULT-{result.pk}",
        "credit_code": inspection.credit_code,
        "entity_name": inspection.entity_name,
        "title": f"{inspection.plan.title}：{result.check_item.name}"[:200],
        "number": inspection.plan.number,
        "record_date": inspection.visited_on,
        "inspection_result": MARKET_OUTCOME[result.outcome],
        "inspector_department": result.department.code,
    }
    outcome = market_records.records_ingest(
        by=system_actor("supervision.result_record"),
        rows=[row],
        channel=RecordChannel.CASE,
        department=result.department_id,
        kind=RecordKind.INSPECTION,
    ).rows[0]
    if outcome.outcome == "rejected":
        raise DomainError(
            _("检查结果未能归集到市场主体信息，请联系管理员。"),
            code="inspection_result_pool_failed",
            status=422,
            fields={k: list(v) for k, v in outcome.errors.items()},
        )


def result_referral_hook(result: InspectionResult, by: Any) -> None:
    """移交立案: record that a penalty case is to be opened for ``result``.

    Hook: ``cases`` has no service yet that opens a penalty case (行政处罚立案); when it has one,
    call it here (supervision sits above cases and calls its service directly). Until then the
    referral is the audit entry ``supervision.result_referred`` that the department follows up."""
    audit_record(
        actor=by,
        action="supervision.result_referred",
        target=result,
        after={"credit_code": result.inspection.credit_code, "penalty_case": "to_open"},
    )


def _mark_recorded(inspection: Inspection) -> None:
    """scheduled → recorded once every item of the combined checklist has its result."""
    wanted = {item.pk for item in checklist_items(inspection.plan)}
    done = set(inspection.results.values_list("check_item_id", flat=True))
    if inspection.status == InspectionStatus.SCHEDULED and wanted <= done:
        inspection.status = workflow.inspection_target(inspection.status, "record")
        inspection.save(update_fields=["status"])


def result_record(
    *,
    by: Any,
    inspection_id: Any,
    check_item_id: Any,
    outcome: str,
    note: str = "",
    rectify_by: Any = None,
    visited_on: Any = None,
) -> InspectionResult:
    """录入检查结果: an officer drawn for the inspection records one item of their own department.

    A second call for the same item corrects the result (audited with before and after); the same
    values again write nothing. The first result fixes the group's visit date. The result is
    pooled in market as the entity's inspection record (信息归集)."""
    with transaction.atomic():
        inspection = _lock_inspection(inspection_id, by)
        officer = _drawn_officer(by, inspection)
        item = CheckItem.objects.filter(pk=as_id(check_item_id)).first()
        if item is None or item not in checklist_items(inspection.plan):
            raise _invalid("check_item", _("该事项不在本次检查的检查表中。"), "inspection_item_not_in_checklist")
        if officer.department_id != item.department_id:
            raise _not_drawn()
        if not _is_open(inspection):
            raise _closed()
        if outcome not in ResultOutcome.values:
            raise _invalid("outcome", _("请选择检查结果。"), "inspection_outcome_invalid")
        day = _visit_date(inspection, _date(visited_on, "visited_on"))
        values = {"outcome": outcome, "note": _note(note), "rectify_by": _rectify_date(outcome, rectify_by, day)}
        if inspection.visited_on is None:
            inspection.visited_on = day
            inspection.save(update_fields=["visited_on"])
        result = InspectionResult.objects.select_for_update().filter(inspection=inspection, check_item=item).first()
        before: dict[str, Any] | None = None
        if result is None:
            result = InspectionResult(inspection=inspection, check_item=item, department_id=item.department_id)
        else:
            before = _values(result)
            if all(getattr(result, name) == value for name, value in values.items()):
                return result
        for name, value in values.items():
            setattr(result, name, value)
        result.recorded_by = officer
        result.recorded_at = timezone.now()
        result.save()
        _mark_recorded(inspection)
        _pool(result)
        audit_record(
            actor=by,
            action="supervision.result_correct" if before else "supervision.result_record",
            target=result,
            before=before,
            after={**_values(result), "visited_on": day.isoformat(), "officer": officer.certificate_number},
            role=account_perms.primary_role(by),
        )
        if outcome == ResultOutcome.REFERRED and (before is None or before["outcome"] != outcome):
            result_referral_hook(result, by)
        return result


def result_reinspect(*, by: Any, result_id: Any, reinspected_on: Any, note: str = "") -> InspectionResult:
    """复查: the date a 责令整改 result was re-inspected, recorded by a drawn officer of the
    result's department (also after the inspection closed: rectification may outlast it)."""
    with transaction.atomic():
        result = _lock_result(result_id, by)
        _drawn_officer(by, result.inspection, result.department_id)
        if result.outcome != ResultOutcome.RECTIFY:
            raise Conflict(_("只有“发现问题责令整改”的结果需要复查。"), code="inspection_result_not_rectify")
        day = _date(reinspected_on, "reinspected_on")
        visited = result.inspection.visited_on
        if day is None or day > common.today() or (visited is not None and day < visited):
            raise _invalid(
                "reinspected_on", _("复查日期应在检查日期之后、且不晚于今天。"), "inspection_reinspect_date_invalid"
            )
        before = _values(result)
        result.reinspected_on = day
        extra = _note(note)
        if extra:
            result.note = f"{result.note}\n{_('复查')} {day.isoformat()}：{extra}".strip()[: NOTE_MAX * 2]
        result.save(update_fields=["reinspected_on", "note"])
        audit_record(
            actor=by,
            action="supervision.result_reinspect",
            target=result,
            before=before,
            after=_values(result),
            role=account_perms.primary_role(by),
        )
        return result


def inspection_close(*, by: Any, inspection_id: Any) -> Inspection:
    """办结: the plan's lead department (regulator or department admin) or the system closes one
    inspection; no result is entered or changed after that (issue #12 "bad input")."""
    with transaction.atomic():
        inspection = _lock_inspection(inspection_id, by)
        if not (is_system(by) or _planner(by, inspection.plan)):
            raise PermissionDenied(_("只有任务发起（牵头）部门可以办结检查。"), code="inspection_close_forbidden")
        return _close(inspection, by)


def _close(inspection: Inspection, by: Any) -> Inspection:
    from_status = inspection.status
    try:
        inspection.status = workflow.inspection_target(from_status, "close")
    except workflow.IllegalTransition:
        raise Conflict(_("该检查已办结。"), code="inspection_already_closed") from None
    inspection.save(update_fields=["status"])
    audit_record(
        actor=by,
        action="supervision.inspection_close",
        target=inspection,
        before={"status": from_status},
        after={"status": inspection.status},
    )
    return inspection


def plan_inspections_close(*, by: Any, plan_id: Any) -> int:
    """Close every open inspection of a plan (for the plan's 结束检查, helper of ``plan_close``);
    how many were closed. Same actors as :func:`inspection_close`."""
    with transaction.atomic():
        plan = DrawPlan.objects.select_for_update().filter(pk=as_id(plan_id)).first()
        if plan is None:
            raise NotFound(_("找不到该抽查任务。"), code="draw_plan_not_found")
        if not (is_system(by) or _planner(by, plan)):
            raise PermissionDenied(_("只有任务发起（牵头）部门可以办结检查。"), code="inspection_close_forbidden")
        rows = list(
            Inspection.objects.select_for_update()
            .select_related("plan")
            .filter(plan=plan)
            .exclude(status=InspectionStatus.CLOSED)
        )
        for inspection in rows:
            _close(inspection, by)
        return len(rows)


def results_publish(*, by: Any, plan_id: Any) -> DrawPlanEvent:
    """公示检查结果: the lead department publishes the results of a closed plan (each result's
    ``published_at``, a ``publish_results`` event). Due 20 working days after the inspection ends
    (DOMAIN.md R4.5); later publication is accepted and marked late in the event."""
    with transaction.atomic():
        plan = DrawPlan.objects.select_for_update().filter(pk=as_id(plan_id)).first()
        if plan is None or not (
            account_perms.is_system_admin(by) or plan_department_ids(plan) & perms.department_ids(by)
        ):
            raise NotFound(_("找不到该抽查任务。"), code="draw_plan_not_found")
        if not _planner(by, plan):
            raise PermissionDenied(_("只有任务发起（牵头）部门可以公示检查结果。"), code="results_publish_forbidden")
        try:
            workflow.plan_target(plan.status, DrawPlanAction.PUBLISH_RESULTS)
        except workflow.IllegalTransition:
            raise Conflict(_("检查结束后才能公示检查结果。"), code="results_publish_not_closed") from None
        pending = InspectionResult.objects.select_for_update().filter(inspection__plan=plan, published_at__isnull=True)
        ids = list(pending.values_list("pk", flat=True))
        if not ids:
            raise Conflict(_("该任务没有待公示的检查结果。"), code="results_nothing_to_publish")
        now = timezone.now()
        InspectionResult.objects.filter(pk__in=ids).update(published_at=now)
        due = results_due_on(plan)
        late = timezone.localdate(now) > due
        user = common.actor_user(by)
        event = DrawPlanEvent.objects.create(
            plan=plan,
            action=DrawPlanAction.PUBLISH_RESULTS,
            from_status=plan.status,
            to_status=plan.status,
            note=str(_("逾期公示")) if late else "",
            details={"results": len(ids), "due_on": due.isoformat(), "late": late},
            by=user,
            by_label=common.actor_label(user),
            at=now,
        )
        audit_record(
            actor=by,
            action="supervision.results_publish",
            target=plan,
            after={"results": len(ids), "due_on": due.isoformat(), "late": late},
            role=account_perms.primary_role(by),
        )
        return event


def objection_file(*, by: Any, result_id: Any, reason: str) -> ResultObjection:
    """异议: the entity (its login or an agent with a valid mandate) disputes a result; the result's
    department answers within ``SUPERVISION_OBJECTION_DAYS`` working days. One open objection per
    result at a time."""
    with transaction.atomic():
        result = _lock_result(result_id, by)
        if result.inspection.organization_id not in perms.entity_organization_ids(by):
            raise PermissionDenied(_("只有被检查的市场主体可以提出异议。"), code="objection_not_entity")
        text = (reason or "").strip()
        if not text:
            raise _invalid("reason", _("请填写异议理由。"), "objection_reason_required")
        if len(text) > NOTE_MAX:
            raise _invalid("reason", _("内容不能超过 %(n)s 个字。") % {"n": NOTE_MAX}, "objection_reason_too_long")
        if result.objections.filter(status=ObjectionStatus.OPEN).exists():
            raise Conflict(_("该检查结果已有待处理的异议。"), code="objection_already_open")
        today = common.today()
        objection = ResultObjection.objects.create(
            result=result,
            reason=text,
            filed_by=common.actor_user(by),
            due_on=add_working_days(today, objection_days()),
        )
        audit_record(
            actor=by,
            action="supervision.objection_file",
            target=objection,
            after={"result": result.pk, "due_on": objection.due_on.isoformat()},
        )
        return objection


def objection_answer(
    *,
    by: Any,
    objection_id: Any,
    upheld: bool,
    answer: str,
    outcome: str = "",
    note: str | None = None,
    rectify_by: Any = None,
) -> ResultObjection:
    """答复异议: a regulator or department admin of the result's department answers. Upheld (异议成立)
    corrects the result to ``outcome`` (and ``note``, ``rectify_by``), audited with before and
    after and re-pooled in market; rejected leaves it. A late answer is taken and marked late."""
    with transaction.atomic():
        objection = ResultObjection.objects.select_for_update().filter(pk=as_id(objection_id)).first()
        if objection is None:
            raise NotFound(_("找不到该异议。"), code="objection_not_found")
        result = _lock_result(objection.result_id, by)
        if result.department_id not in perms.department_ids(by, perms.CLAIM_ROLES):
            raise PermissionDenied(_("只有作出该检查结果的部门可以答复异议。"), code="objection_answer_forbidden")
        if objection.status != ObjectionStatus.OPEN:
            raise Conflict(_("该异议已答复。"), code="objection_not_open")
        text = (answer or "").strip()
        if not text or len(text) > NOTE_MAX:
            raise _invalid(
                "answer", _("请填写答复（不超过 %(n)s 个字）。") % {"n": NOTE_MAX}, "objection_answer_invalid"
            )
        before = _values(result)
        if upheld:
            if outcome not in ResultOutcome.values:
                raise _invalid("outcome", _("异议成立时请选择更正后的检查结果。"), "objection_outcome_required")
            visited = result.inspection.visited_on or common.today()
            result.rectify_by = _rectify_date(outcome, rectify_by, visited)
            result.outcome = outcome
            if note is not None:
                result.note = _note(note)
            result.save(update_fields=["outcome", "note", "rectify_by"])
            _pool(result)
        now = timezone.now()
        late = common.today() > objection.due_on
        objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
        objection.answer = text
        objection.answered_by = common.actor_user(by)
        objection.answered_at = now
        objection.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        audit_record(
            actor=by,
            action="supervision.objection_answer",
            target=objection,
            before={"status": ObjectionStatus.OPEN},
            after={"status": objection.status, "late": late},
            role=account_perms.primary_role(by),
        )
        if upheld:
            audit_record(
                actor=by,
                action="supervision.result_correct",
                target=result,
                before=before,
                after={**_values(result), "objection": objection.pk},
                role=account_perms.primary_role(by),
            )
            if outcome == ResultOutcome.REFERRED and before["outcome"] != outcome:
                result_referral_hook(result, by)
        return objection
