"""The results of the demo's draws (``demo.draws``): recorded by the drawn officers, the plans
closed after their end date and the results published within 20 working days (DOMAIN.md R4.5).

The services judge days by ``services.common.today``; :func:`on_day` sets that clock for a step run
on its historical day (as the tests do), and :func:`at` gives the time to date its rows with.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.market.choices import RecordChannel, RecordKind
from onewindow.market.services import records as market_records

from .. import services
from ..choices import DrawPlanAction, InspectionStatus, ResultOutcome
from ..models import DrawPlan, DrawPlanEvent, Inspection, InspectionResult
from ..selectors.inspections import checklist_items, results_due_on
from ..services import common
from ..services.inspections import MARKET_OUTCOME, result_referral_hook

SYSTEM = system_actor("demo_data")
OUTCOMES = (
    (ResultOutcome.NO_PROBLEM, 84),
    (ResultOutcome.RECTIFY, 9),
    (ResultOutcome.NOT_DISCLOSED, 4),
    (ResultOutcome.UNCOOPERATIVE, 2),
    (ResultOutcome.REFERRED, 1),
)
NOTES: dict[str, str] = {
    ResultOutcome.NO_PROBLEM: "现场检查未发现问题。",
    ResultOutcome.RECTIFY: "发现问题，已当场责令限期整改。",
    ResultOutcome.NOT_DISCLOSED: "未按规定公示年度报告信息。",
    ResultOutcome.UNCOOPERATIVE: "经营者拒绝提供相关资料。",
    ResultOutcome.REFERRED: "涉嫌违法，移交立案查处。",
}
RESULTS_SHARE = 0.92  # entities with results; the others' inspections are closed without


@contextmanager
def on_day(day: datetime.date) -> Iterator[None]:
    """Run services on ``day``: the day they judge stages by (``common.today``)."""
    with mock.patch.object(common, "today", lambda: day):
        yield


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def stamp(plan: DrawPlan, action: str, when: datetime.datetime, **fields: Any) -> None:
    DrawPlanEvent.objects.filter(plan=plan, action=action).update(at=when)
    if fields:
        DrawPlan.objects.filter(pk=plan.pk).update(**fields)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


def record_results(plan: DrawPlan, drawn: datetime.date, rng: random.Random) -> int:
    """Each drawn officer records their department's items of the one checklist (一张表)."""
    items = checklist_items(plan)
    ends = plan.inspection_ends_on
    written = 0
    rows = Inspection.objects.filter(plan=plan).order_by("sequence").prefetch_related("officers__user")
    with on_day(ends):
        for inspection in rows:
            if rng.random() > RESULTS_SHARE:
                continue
            visited = drawn + datetime.timedelta(days=rng.randint(2, (ends - drawn).days - 2))
            by_department = {o.department_id: o for o in sorted(inspection.officers.all(), key=lambda o: o.pk)}
            for item in items:
                officer = by_department.get(item.department_id)
                if officer is None or officer.user is None:
                    continue
                outcome = _weighted(rng, OUTCOMES)
                services.result_record(
                    by=officer.user,
                    inspection_id=inspection.pk,
                    check_item_id=item.pk,
                    outcome=outcome,
                    note=NOTES[outcome],
                    rectify_by=visited + datetime.timedelta(days=30) if outcome == ResultOutcome.RECTIFY else None,
                    visited_on=visited,
                )
                written += 1
            InspectionResult.objects.filter(inspection=inspection).update(recorded_at=at(visited, 16))
    return written


def write_results(plan: DrawPlan, drawn: datetime.date, rng: random.Random) -> int:
    """The results of a 双随机 plan as ``result_record`` writes them — one per entity and item, by
    the drawn officer of the item's department, the visit day, the entity's pooled inspection record
    in market (through ``records_ingest``, in batches) — but in bulk, as the 双告知 history is:
    5,000 calls of the service take minutes. Most 责令整改 were re-inspected in time; the rest are
    overdue (the 监管预警 rule finds them). One audit entry for the batch."""
    items = checklist_items(plan)
    ends = plan.inspection_ends_on
    results: list[InspectionResult] = []
    visits: dict[datetime.date, list[int]] = {}
    rows = Inspection.objects.filter(plan=plan).order_by("sequence").prefetch_related("officers")
    for inspection in rows:
        if rng.random() > RESULTS_SHARE:
            continue
        visited = drawn + datetime.timedelta(days=rng.randint(2, (ends - drawn).days - 2))
        inspection.visited_on = visited
        by_department = {o.department_id: o for o in sorted(inspection.officers.all(), key=lambda o: o.pk)}
        for item in items:
            officer = by_department.get(item.department_id)
            if officer is None:
                continue
            outcome = _weighted(rng, OUTCOMES)
            rectify_by = visited + datetime.timedelta(days=30) if outcome == ResultOutcome.RECTIFY else None
            reinspected = None
            if rectify_by is not None and rng.random() < 0.85:
                reinspected = rectify_by - datetime.timedelta(days=rng.randint(0, 10))
            result = InspectionResult(
                inspection=inspection,
                check_item=item,
                department_id=item.department_id,
                outcome=outcome,
                note=NOTES[outcome],
                rectify_by=rectify_by,
                reinspected_on=reinspected,
                recorded_by=officer,
                recorded_at=at(visited, 16),
            )
            results.append(result)
        visits.setdefault(visited, []).append(inspection.pk)
    InspectionResult.objects.bulk_create(results, batch_size=1000)
    for day, ids in visits.items():
        Inspection.objects.filter(pk__in=ids).update(visited_on=day, status=InspectionStatus.RECORDED)
    pooled: dict[int, list[dict[str, Any]]] = {}
    names = {i.pk: i for i in rows}
    for result in results:
        inspection = names[result.inspection_id]
        pooled.setdefault(result.department_id, []).append(
            {
                "source_id": f"SUP-RESULT-{result.pk}",
                "credit_code": inspection.credit_code,
                "entity_name": inspection.entity_name,
                "title": f"{plan.title}：{result.check_item.name}"[:200],
                "number": plan.number,
                "record_date": inspection.visited_on,
                "inspection_result": MARKET_OUTCOME[result.outcome],
                "inspector_department": result.check_item.department.code,
            }
        )
    for department_id, batch in pooled.items():
        for start in range(0, len(batch), 500):
            market_records.records_ingest(
                by=system_actor("supervision.result_record"),
                rows=batch[start : start + 500],
                channel=RecordChannel.CASE,
                department=department_id,
                kind=RecordKind.INSPECTION,
            )
    for result in results:
        if result.outcome == ResultOutcome.REFERRED:
            result_referral_hook(result, SYSTEM)
    audit_record(
        actor=SYSTEM,
        action="supervision.demo_results",
        target=plan,
        after={"results": len(results), "inspections": sum(len(v) for v in visits.values())},
    )
    return len(results)


def close_plan(plan: DrawPlan, planner: User, rng: random.Random) -> None:
    """End the inspection the day after its end date; publish the results within 20 working days."""
    closed = plan.inspection_ends_on + datetime.timedelta(days=1)
    with on_day(closed):
        services.plan_close(by=planner, plan_id=plan.pk)
        stamp(plan, DrawPlanAction.CLOSE, at(closed, 17), closed_at=at(closed, 17))
    if not InspectionResult.objects.filter(inspection__plan=plan).exists():
        return
    published = closed + datetime.timedelta(days=rng.randint(3, 14))
    with on_day(published):
        services.results_publish(by=planner, plan_id=plan.pk)
    due = results_due_on(plan)
    InspectionResult.objects.filter(inspection__plan=plan).update(published_at=at(published, 10))
    event = DrawPlanEvent.objects.get(plan=plan, action=DrawPlanAction.PUBLISH_RESULTS)
    event.at = at(published, 10)
    event.details = {**event.details, "late": published > due}
    event.note = "逾期公示" if published > due else ""
    event.save(update_fields=["at", "details", "note"])
