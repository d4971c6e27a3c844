"""The week's proposal and its proof by simulation (issue #15 parts 2, 3 and 4).

* :func:`needs_for` (a read, in ``selectors.advice`` beside the live flags that use it too; imported
  here so callers of the proposal find it here) — the windows each slot needs: Erlang C for
  dedicated windows, simulation for the comprehensive ones.
* :func:`comparison_for` — replays the center's REAL arrival history (``centers.facts.replay_of``:
  the real mix of priorities, the real head starts in ``queue_key``, the real transfers and service
  times) under several plans and reports waits, staff-hours and idle share per weekday and in total.
  Tickets never served (no-show, cancelled) have no service time: they are left out and counted.
* :func:`proposal_make` — the manager's week: needs, a draft roster (``rostering.propose`` and
  ``roster_create(source="proposal")``), the three-way comparison (a) current duty plan, (b) peak
  rule, (c) proposal; one transaction, audited; a refusal writes nothing.
* :func:`what_if` — the manager's window counts for some slots; returns the changed needs and
  their simulated effect on the same replay. It writes nothing (the proposal keeps what it was
  made with; saving a what-if as a roster goes through the roster services).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onewindow.centers.facts import ReplayRow, replay_of
from onewindow.centers.hours import hours_on
from onewindow.centers.models import Center, TicketCategory
from onewindow.centers.permissions import user_of
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError, NotFound

from .. import permissions, simulation
from ..models import Proposal
from ..plans import SLOT_SECONDS, Arrival, SimResult, SlotDemand, SlotNeed, Span, Target, slot_label
from ..selectors.advice import (
    SEEDS,
    WEEKDAYS,
    Impossible,
    apply_override,
    center_windows,
    measure,
    meets,
    needs_for,
    open_slots,
    simulate_slot,
    slot_name,
    target_of,
)

__all__ = ["SEEDS", "WEEKDAYS", "Impossible", "comparison_for", "measure", "meets", "needs_for", "open_slots",
           "proposal_make", "simulate_slot", "slot_name", "target_of", "what_if"]

#: Weeks of history replayed per weekday in the comparison.
REPLAY_WEEKS = 4
#: The comparison's plans, in display order (choices.Scenario).
PLANS = ("current", "peak", "proposal")


def needs_json(needs: Sequence[SlotNeed], target: Target) -> dict[str, Any]:
    """The needs as stored in ``Proposal.needs`` (the reasons of each slot)."""
    return {"target": {"kind": target.kind, "share": target.share, "minutes": target.minutes},
            "slots": [{"date": n.date.isoformat(), "slot": n.slot, "label": slot_label(n.slot), "windows": n.windows,
                       "by_window": {str(w): sorted(c) for w, c in n.by_window.items()},
                       "arrivals": {str(c): round(a, 3) for c, a in n.arrivals.items()},
                       "service_mean": {str(c): round(s, 1) for c, s in n.service_mean.items()},
                       "utilisation": n.utilisation, "method": n.method, "expected": n.expected} for n in needs]}


def spans_from_needs(needs: Iterable[SlotNeed]) -> dict[datetime.date, list[Span]]:
    """The plan the needs give: each window open over its consecutive slots with the same categories."""
    runs: dict[datetime.date, list[Span]] = defaultdict(list)
    open_: dict[tuple[datetime.date, int], Span] = {}
    for need in sorted(needs, key=lambda n: (n.date, n.slot)):
        for w, cats in sorted(need.by_window.items()):
            start = need.slot * SLOT_SECONDS
            prev = open_.get((need.date, w))
            if prev is not None and prev.end == start and prev.category_ids == cats:
                open_[(need.date, w)] = Span(w, cats, prev.start, start + SLOT_SECONDS)
            else:
                if prev is not None:
                    runs[need.date].append(prev)
                open_[(need.date, w)] = Span(w, cats, start, start + SLOT_SECONDS)
    for (day, _w), span in open_.items():
        runs[day].append(span)
    return {day: sorted(spans, key=lambda s: (s.start, s.window_id)) for day, spans in runs.items()}


def peak_plan(center_id: int, needs: Iterable[SlotNeed]) -> dict[datetime.date, list[Span]]:
    """(b) the peak rule: every date as many windows as its busiest slot needs, open all day
    (from its first open slot to its last), each with its usual categories."""
    usual = dict(center_windows(center_id))
    usual_by_id = {w.pk: cats for w, cats in usual.items()}
    per_day: dict[datetime.date, list[SlotNeed]] = defaultdict(list)
    for n in needs:
        per_day[n.date].append(n)
    out = {}
    for day, rows in per_day.items():
        busiest = max(rows, key=lambda n: (n.windows, -n.slot))
        start, end = min(n.slot for n in rows) * SLOT_SECONDS, (max(n.slot for n in rows) + 1) * SLOT_SECONDS
        out[day] = [Span(w, usual_by_id.get(w) or cats, start, end) for w, cats in sorted(busiest.by_window.items())]
    return out


def on_weekdays(plan: Mapping[datetime.date, list[Span]],
                days: Iterable[datetime.date]) -> dict[datetime.date, list[Span]]:
    """A week's plan mapped onto other dates by weekday (a replay day gets its weekday's spans)."""
    by_weekday = {day.weekday(): spans for day, spans in plan.items()}
    return {day: list(by_weekday.get(day.weekday(), [])) for day in days}


def _seconds(moment: datetime.datetime, day: datetime.date) -> int:
    local = timezone.localtime(moment)
    return int((local.replace(tzinfo=None) - datetime.datetime.combine(day, datetime.time())).total_seconds())


def replay_arrivals(center_id: int, days: Iterable[datetime.date]) -> tuple[dict[datetime.date, list[Arrival]], int]:
    """The real arrivals of ``days`` as ``Arrival`` lists, and how many tickets were left out
    (never served: no service time to replay). A transferred ticket is taken in its first
    category and sent on to the one it was served in after the first category's mean service."""
    rows: list[ReplayRow] = replay_of(center_id, days)
    prefix = dict(TicketCategory.objects.filter(center_id=center_id).values_list("prefix", "pk"))
    service: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        if r.started_at and r.finished_at and r.transfer_at is None:
            service[r.category_id].append(int((r.finished_at - r.started_at).total_seconds()))
    mean = {c: sum(v) // len(v) for c, v in service.items() if v}
    planned = dict(TicketCategory.objects.filter(center_id=center_id).values_list("pk", "service_minutes"))
    out: dict[datetime.date, list[Arrival]] = defaultdict(list)
    left_out = 0
    for r in rows:
        if r.status != "done" or r.started_at is None or r.finished_at is None:
            left_out += 1
            continue
        at, key = _seconds(r.taken_at, r.date), _seconds(r.queue_key, r.date)
        served = max(1, int((r.finished_at - r.started_at).total_seconds()))
        first = prefix.get(r.first_category_prefix or "", r.category_id)
        if r.transfer_at is not None and first != r.category_id:
            after = mean.get(first) or 60 * int(planned.get(first, 8))
            out[r.date].append(Arrival(at=at, category_id=first, key=key, service=served, priority=r.priority,
                                       transfer_to=r.category_id, transfer_after=after))
        else:
            out[r.date].append(Arrival(at=at, category_id=r.category_id, key=key, service=served,
                                       priority=r.priority))
    return out, left_out


def _figures(result: SimResult, target: Target) -> dict[str, Any]:
    return {"people": len(result.waits), "mean_wait_minutes": round(result.mean_wait() / 60, 2),
            "p90_minutes": round(result.quantile(0.9) / 60, 2),
            "within_target": round(result.share_within(target.minutes * 60), 4),
            "staff_hours": round(result.staff_seconds / 3600, 2), "idle_share": round(result.idle_share(), 4),
            "events": result.events, "unserved": result.unserved, "meets_target": meets(result, target)}


def comparison_for(center_id: int, plans: Mapping[str, Mapping[datetime.date, list[Span]]],
                   replay_days: Iterable[datetime.date], *, target: Target | None = None) -> dict[str, Any]:
    """Proof by simulation: each plan (name → date → spans, covering ``replay_days``) run on the
    real history of those days; per weekday and in total the figures of :func:`_figures`.
    ``proposal_beats_peak``: the proposal meets the target with fewer staff-hours than the peak
    rule; ``proposal_beats_current``: on every weekday where the current plan misses the target,
    the proposal does better (a larger share within target, or a lower mean wait)."""
    target = target or target_of(center_id)
    days = sorted(set(replay_days))
    arrivals, left_out = replay_arrivals(center_id, days)
    out: dict[str, Any] = {"target": {"kind": target.kind, "share": target.share, "minutes": target.minutes},
                           "days": [d.isoformat() for d in days], "left_out": left_out, "plans": {}}
    for name, plan in plans.items():
        per_weekday: dict[int, list[SimResult]] = defaultdict(list)
        for day in days:
            per_weekday[day.weekday()].append(simulation.simulate(arrivals.get(day, []), plan.get(day, [])))
        weekdays = {str(WEEKDAYS[w]): _figures(simulation.merge(rs), target) for w, rs in sorted(per_weekday.items())}
        total = simulation.merge([r for rs in per_weekday.values() for r in rs])
        out["plans"][name] = {"weekdays": weekdays, "total": _figures(total, target)}
    p = out["plans"]
    if "proposal" in p and "peak" in p:
        c, b = p["proposal"]["total"], p["peak"]["total"]
        out["proposal_beats_peak"] = bool(c["meets_target"] and c["staff_hours"] < b["staff_hours"])
    if "proposal" in p and "current" in p:
        better = True
        for day, a in p["current"]["weekdays"].items():
            c = p["proposal"]["weekdays"][day]
            if not a["meets_target"]:
                better &= (c["within_target"] > a["within_target"] if target.kind == "service_level"
                           else c["mean_wait_minutes"] < a["mean_wait_minutes"])
        out["proposal_beats_current"] = bool(better)
    return out


def replay_days_for(center: Center, week_start: datetime.date, weeks: int = REPLAY_WEEKS) -> list[datetime.date]:
    """The most recent ``weeks`` weeks before ``week_start``: every open date of them."""
    days = [week_start - datetime.timedelta(days=7 * k - d) for k in range(1, weeks + 1) for d in range(7)]
    return sorted(d for d in days if hours_on(center, d))


def _guard(by: Actor, center_id: int) -> None:
    """The center's manager (or the system: the demo, a job); anyone else 404 as if absent."""
    if is_system(by) or permissions.can_manage(by, center_id):
        return
    raise permissions.center_not_found()


def proposal_make(*, by: Actor, center_id: Any, week_start: datetime.date) -> Proposal:
    """排班建议 for the week starting ``week_start`` (a Monday) of a center: the manager only.
    Needs with their reasons, a draft roster from them (source proposal), and the three-way
    comparison on the last weeks of history, in one transaction and audited. Refusals write nothing."""
    center = Center.objects.filter(pk=_pk(center_id, "staffing_center_not_found")).first()
    if center is None:
        raise permissions.center_not_found()
    _guard(by, center.pk)
    if not isinstance(week_start, datetime.date) or week_start.weekday() != 0:
        raise DomainError(_("周起始日须为星期一。"), code="staffing_week_invalid", status=422,
                          fields={"week_start": [_("请选择星期一。")]})
    target = target_of(center.pk)
    dates = [week_start + datetime.timedelta(days=d) for d in range(7)]
    needs = needs_for(center.pk, dates, target=target)
    from ..rostering import propose
    from ..selectors import roster as roster_selectors
    from . import roster as roster_services

    result = propose(needs, roster_selectors.clerks_of(center.pk, week_start),
                     roster_selectors.rules_for(center.pk, week_start),
                     fairness=roster_selectors.fairness_of(center.pk, week_start))
    replay = replay_days_for(center, week_start)
    proposed = on_weekdays(spans_from_shifts(result.shifts), replay)
    plans = {"current": roster_selectors.current_plan(center.pk, replay),
             "peak": on_weekdays(peak_plan(center.pk, needs), replay), "proposal": proposed}
    comparison = comparison_for(center.pk, plans, replay, target=target)
    comparison["shortfalls"] = [_plain(s) for s in result.shortfalls]
    with transaction.atomic():
        proposal = Proposal.objects.create(
            center=center, week_start=week_start, model=_latest_model(center.pk),
            policy=_policy_json(center.pk, target), needs=needs_json(needs, target),
            comparison=comparison, created_by=None if is_system(by) else user_of(by), created_at=timezone.now())
        roster_services.roster_create(by=by, center_id=center.pk, week_start=week_start, shifts=result.shifts,
                                      source="proposal", proposal_id=proposal.pk)
        audit_record(actor=by, action="staffing.proposal.make", target=proposal,
                     after={"week_start": week_start.isoformat(), "slots": len(needs),
                            "beats_peak": comparison.get("proposal_beats_peak"),
                            "beats_current": comparison.get("proposal_beats_current")})
    return proposal


def _policy_json(center_id: int, target: Target) -> dict[str, Any]:
    """The target and duty rules the proposal was made under (its record of them)."""
    from ..selectors.roster import policy_of

    policy = policy_of(center_id)
    return {"target": {"kind": target.kind, "share": target.share, "minutes": target.minutes},
            "shrinkage": policy.shrinkage, "shift_min_minutes": policy.shift_min_minutes,
            "shift_max_minutes": policy.shift_max_minutes, "break_after_minutes": policy.break_after_minutes,
            "break_minutes": policy.break_minutes}


def _latest_model(center_id: int) -> Any:
    from ..selectors import demand as demand_selectors

    return demand_selectors.latest_model(center_id)


def spans_from_shifts(shifts: Iterable[Any]) -> dict[datetime.date, list[Span]]:
    """The spans of proposed shifts (``plans.ShiftPlan``): one per window assignment."""
    out: dict[datetime.date, list[Span]] = defaultdict(list)
    for shift in shifts:
        for window_id, cats, start, end in shift.assignments:
            out[shift.date].append(Span(window_id, frozenset(cats), start, end, shift.user_id))
    return dict(out)


def _plain(value: Any) -> Any:
    """A shortfall (date, slot, windows short) as JSON."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return [_plain(v) for v in value] if isinstance(value, tuple | list) else value


def _pk(value: Any, code: str) -> int:
    """An id from ``value`` (a row or a number); anything else is 404 ``code`` (the entity's)."""
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        raise NotFound(_("找不到该记录。"), code=code) from None


def parse_overrides(overrides: Mapping[Any, Any]) -> dict[tuple[datetime.date, int], int]:
    """``{"2026-03-09:18": 3}`` or ``{(date, 18): 3}`` → ``{(date, 18): 3}``; else 422."""
    out = {}
    for key, count in overrides.items():
        try:
            if isinstance(key, tuple):
                day, slot = key
            else:
                text, _sep, slot_text = str(key).partition(":")
                day, slot = datetime.date.fromisoformat(text), int(slot_text)
            slot, count = int(slot), int(count)
            if not 0 <= slot < 48 or isinstance(count, bool):
                raise ValueError
        except (TypeError, ValueError):
            raise DomainError(_("调整的时段或窗口数不正确。"), code="staffing_override_invalid", status=422) from None
        out[(day, slot)] = count
    return out


def needs_from_json(data: Mapping[str, Any]) -> list[SlotNeed]:
    """The needs stored in ``Proposal.needs`` back as ``SlotNeed`` values."""
    out = []
    for row in data.get("slots", []):
        out.append(SlotNeed(
            date=datetime.date.fromisoformat(row["date"]), slot=int(row["slot"]), windows=int(row["windows"]),
            by_window={int(w): frozenset(int(c) for c in cats) for w, cats in row.get("by_window", {}).items()},
            arrivals={int(c): float(a) for c, a in row.get("arrivals", {}).items()},
            service_mean={int(c): float(m) for c, m in row.get("service_mean", {}).items()},
            utilisation=float(row.get("utilisation") or 0.0), method=str(row.get("method", "")),
            expected=row.get("expected")))
    return out


def what_if(*, by: Actor, proposal_id: Any, overrides: Mapping[Any, Any]) -> dict[str, Any]:
    """假设调整: the proposal's stored needs with the manager's window counts for some open slots
    (windows added: comprehensive first, by number; removed: the last chosen first), each changed
    slot's expected measure simulated afresh from its stored arrivals and service times, and the
    effect on the same replay as the proposal's comparison (the current plan, the proposal's needs
    and the what-if side by side). Writes nothing: the proposal keeps what it was made with; a
    manager who likes the what-if edits the draft roster (roster services). Refusals: 404
    ``staffing_proposal_not_found`` (absent or not the manager's), 422 ``staffing_override_invalid``
    (a date outside the week, a slot the center is closed, a count outside 0..windows)."""
    from ..selectors import roster as roster_selectors

    proposal = (Proposal.objects.filter(pk=_pk(proposal_id, "staffing_proposal_not_found"))
                .select_related("center").first())
    if proposal is None or not (is_system(by) or permissions.can_manage(by, proposal.center_id)):
        raise NotFound(_("找不到该排班建议。"), code="staffing_proposal_not_found")
    parsed = parse_overrides(overrides)
    target = target_of(proposal.center_id)
    base = needs_from_json(proposal.needs)
    changed = needs_from_json(proposal.needs)
    by_key = {(n.date, n.slot): n for n in changed}
    if any(key not in by_key for key in parsed):
        raise DomainError(_("调整的时段不在该周的开放时段内。"), code="staffing_override_invalid", status=422)
    windows = center_windows(proposal.center_id)
    for key, count in parsed.items():
        need = by_key[key]
        apply_override(need, count, windows)
        demands = [SlotDemand(need.date, need.slot, c, a, 0, need.service_mean.get(c, 480.0))
                   for c, a in need.arrivals.items()]
        load = sum(d.arrivals * d.service_mean for d in demands) / SLOT_SECONDS
        need.utilisation = round(load / need.windows, 4) if need.windows else 0.0
        need.expected = round(measure(simulate_slot(demands, need.by_window, need.slot), target), 4) \
            if need.windows else None  # no window: nobody is called (the replay shows the effect)
    replay = [datetime.date.fromisoformat(d) for d in proposal.comparison.get("days", [])] or \
        replay_days_for(proposal.center, proposal.week_start)
    plans = {"current": roster_selectors.current_plan(proposal.center_id, replay),
             "proposal": on_weekdays(spans_from_needs(base), replay),
             "what_if": on_weekdays(spans_from_needs(changed), replay)}
    comparison = comparison_for(proposal.center_id, plans, replay, target=target)
    return {"needs": needs_json(changed, target), "comparison": comparison,
            "overrides": {f"{d.isoformat()}:{s}": n for (d, s), n in sorted(parsed.items())},
            "message": gettext("假设调整未保存。")}
