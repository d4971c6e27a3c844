"""监管预警 rules and the scan that raises their alerts (issue #12 part 8).

Actor: the scheduler (``supervision.alerts_scan``, daily; ``schedules.py``), or the demo loader
with a fixed "today". The scan is idempotent: each finding has a ``dedupe_key`` unique per rule
(``Alert`` constraint), so a second run — or a run of another process at the same time — raises
nothing new. Each new alert is written in its own transaction with its ``raise`` event and audit
entry.

Rules (``SUPERVISION_ALERT_RULES`` overrides :data:`DEFAULT_RULES` per rule and parameter; a rule
with ``"enabled": False`` is skipped). The owner department is the department whose record, task,
listing or result it is (谁审批谁监管、谁主管谁监管, DOMAIN.md R5.1):

- ``licence_expiring``: an active pooled licence (market 信息归集) whose ``valid_to`` falls within
  ``days`` (30) from today, unless the same department has pooled a later licence of the same
  name for the entity (a renewal). Key: the record and its expiry date (a corrected expiry can
  expire again). Owner: the licence's source department.
- ``licence_missing``: a 双告知 task (DOMAIN.md R5.1) past its due date by more than
  ``grace_days`` (0) whose department has not answered 已发放许可, 已申请许可 or 无需许可, and has
  pooled no active licence for the entity. Key: the task. Owner: the task's department.
- ``repeated_penalties``: ``count`` (3) or more active penalty records (行政处罚, any department)
  under one credit code dated within the last ``months`` (12) months. Key: the entity and the
  last delivered penalty of the window; nothing while an alert of the rule for the entity is
  still open. So an entity is alerted once, and again once that alert is closed only if a
  penalty arrived that no alert counted yet (during the open alert or after it) and the count
  still holds. Owner: the department of the most recent penalty.
- ``new_sanction``: an active listing of an organization on a 联合惩戒 list (国发〔2016〕33号,
  DOMAIN.md R5.2) listed within the last ``days`` (30) days. Key: the listing. Owner: the listing
  department.
- ``rectification_overdue``: an inspection result 发现问题责令整改 whose ``rectify_by`` passed more
  than ``grace_days`` (0) ago with no re-inspection recorded. Key: the result and its deadline.
  Owner: the result's department.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext

from onewindow.accounts.models import Organization
from onewindow.core.actors import system_actor
from onewindow.market.choices import RecordKind, RecordStatus, SanctionSubject
from onewindow.market.models import PooledRecord, SanctionListing
from onewindow.market.models.sanctions import ACTIVE_STATUSES as SANCTION_ACTIVE

from ..choices import Answer, ResultOutcome, TaskStatus
from ..models import Alert, DualNoticeTask, InspectionResult
from ..models.alerts import AlertAction, AlertRule, AlertState
from .alerts import alert_record, moment

ACTOR = system_actor("supervision.alerts_scan")
#: Keys looked up per query (well under SQLite's bound on query parameters).
KEY_CHUNK = 500

DEFAULT_RULES: dict[str, dict[str, Any]] = {
    AlertRule.LICENCE_EXPIRING: {"enabled": True, "days": 30},
    AlertRule.LICENCE_MISSING: {"enabled": True, "grace_days": 0},
    AlertRule.REPEATED_PENALTIES: {"enabled": True, "count": 3, "months": 12},
    AlertRule.NEW_SANCTION: {"enabled": True, "days": 30},
    AlertRule.RECTIFICATION_OVERDUE: {"enabled": True, "grace_days": 0},
}
#: Answers of a 双告知 task that settle the licence question (no alert).
SETTLED_ANSWERS = (Answer.ISSUED, Answer.APPLIED, Answer.NOT_NEEDED)


def rule_config() -> dict[str, dict[str, Any]]:
    """The rules and their parameters: :data:`DEFAULT_RULES` with ``SUPERVISION_ALERT_RULES``
    laid over them, rule by rule and parameter by parameter (unknown rules are ignored)."""
    configured = getattr(settings, "SUPERVISION_ALERT_RULES", None) or {}
    result: dict[str, dict[str, Any]] = {}
    for rule, defaults in DEFAULT_RULES.items():
        result[str(rule)] = {**defaults, **(configured.get(str(rule)) or {})}
    return result


@dataclass
class Finding:
    """What a rule found about one subject, before it becomes an :class:`Alert`."""

    dedupe_key: str
    credit_code: str
    department_id: int
    summary: str
    due_on: datetime.date | None
    organization_id: int | None = None
    entity_name: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _months_before(day: datetime.date, months: int) -> datetime.date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 exists in every month


def licence_expiring(today: datetime.date, params: dict[str, Any]) -> Iterator[Finding]:
    horizon = today + datetime.timedelta(days=int(params["days"]))
    licences = PooledRecord.objects.filter(kind=RecordKind.LICENCE, status=RecordStatus.ACTIVE)
    renewed = licences.filter(
        department_id=OuterRef("department_id"),
        credit_code=OuterRef("credit_code"),
        title=OuterRef("title"),
        valid_to__gt=OuterRef("valid_to"),
    )
    rows = (
        licences.filter(valid_to__gte=today, valid_to__lte=horizon)
        .exclude(Exists(renewed))
        .select_related("entity")
        .order_by("valid_to", "pk")
    )
    for r in rows.iterator(chunk_size=1000):
        assert r.valid_to is not None
        yield Finding(
            dedupe_key=f"record:{r.pk}:{r.valid_to.isoformat()}",
            credit_code=r.credit_code,
            organization_id=r.entity_id,
            entity_name=r.entity.name if r.entity is not None else r.entity_name,
            department_id=r.department_id,
            due_on=r.valid_to,
            summary=gettext("许可证“%(title)s”（%(number)s）将于%(date)s到期。")
            % {"title": r.title, "number": r.number or r.source_id, "date": r.valid_to.isoformat()},
            details={
                "record_id": r.pk,
                "title": r.title,
                "number": r.number,
                "valid_to": r.valid_to.isoformat(),
                "days_left": (r.valid_to - today).days,
            },
        )


def licence_missing(today: datetime.date, params: dict[str, Any]) -> Iterator[Finding]:
    last_due = today - datetime.timedelta(days=int(params["grace_days"]) + 1)
    pooled = PooledRecord.objects.filter(
        kind=RecordKind.LICENCE,
        status=RecordStatus.ACTIVE,
        department_id=OuterRef("department_id"),
        credit_code=OuterRef("notice__credit_code"),
    )
    rows = (
        DualNoticeTask.objects.filter(department__isnull=False, due_date__lte=last_due)
        .exclude(status=TaskStatus.ANSWERED, answer__in=SETTLED_ANSWERS)
        .exclude(Exists(pooled))
        .select_related("notice")
        .order_by("due_date", "pk")
    )
    for t in rows.iterator(chunk_size=1000):
        assert t.department_id is not None
        licences = "、".join(t.licences)
        yield Finding(
            dedupe_key=f"task:{t.pk}",
            credit_code=t.notice.credit_code,
            organization_id=t.notice.organization_id,
            entity_name=t.notice.entity_name,
            department_id=t.department_id,
            due_on=t.due_date,
            summary=gettext("双告知书%(number)s的反馈期限%(date)s已过，仍未取得%(licences)s。")
            % {"number": t.notice.number, "date": t.due_date.isoformat(), "licences": licences},
            details={
                "task_id": t.pk,
                "notice": t.notice.number,
                "licences": list(t.licences),
                "due_date": t.due_date.isoformat(),
                "task_status": t.status,
                "answer": t.answer,
            },
        )


def repeated_penalties(today: datetime.date, params: dict[str, Any]) -> Iterator[Finding]:
    threshold = max(1, int(params["count"]))
    first = _months_before(today, int(params["months"]))
    window = PooledRecord.objects.filter(
        kind=RecordKind.PENALTY, status=RecordStatus.ACTIVE, record_date__gt=first, record_date__lte=today
    )
    codes = list(
        window.order_by()
        .values("credit_code")
        .annotate(n=Count("id"))
        .filter(n__gte=threshold)
        .values_list("credit_code", flat=True)
    )
    still_open = set(
        Alert.objects.filter(rule=AlertRule.REPEATED_PENALTIES, credit_code__in=codes)
        .exclude(state=AlertState.CLOSED)
        .values_list("credit_code", flat=True)
    )
    by_code: dict[str, list[PooledRecord]] = {}
    rows = window.filter(credit_code__in=[c for c in codes if c not in still_open]).select_related("entity")
    for r in rows.order_by("credit_code", "record_date", "pk"):
        by_code.setdefault(r.credit_code, []).append(r)
    for code, penalties in sorted(by_code.items()):
        last = penalties[-1]
        newest = max(p.pk for p in penalties)  # the last delivered, even if backdated
        yield Finding(
            dedupe_key=f"entity:{code}:{newest}",
            credit_code=code,
            organization_id=last.entity_id,
            entity_name=last.entity.name if last.entity is not None else last.entity_name,
            department_id=last.department_id,
            due_on=last.record_date,
            summary=gettext("%(first)s至%(last)s受到行政处罚%(n)s次。")
            % {
                "first": penalties[0].record_date.isoformat(),
                "last": last.record_date.isoformat(),
                "n": len(penalties),
            },
            details={
                "count": len(penalties),
                "record_ids": [p.pk for p in penalties],
                "numbers": [p.number for p in penalties],
                "since": first.isoformat(),
            },
        )


def new_sanction(today: datetime.date, params: dict[str, Any]) -> Iterator[Finding]:
    since = today - datetime.timedelta(days=int(params["days"]))
    rows = list(
        SanctionListing.objects.filter(
            subject_type=SanctionSubject.ORGANIZATION,
            status__in=SANCTION_ACTIVE,
            listed_on__gte=since,
            listed_on__lte=today,
        ).order_by("listed_on", "pk")
    )
    orgs = dict(
        Organization.objects.filter(credit_code__in={r.credit_code for r in rows}).values_list("credit_code", "pk")
    )
    for r in rows:
        yield Finding(
            dedupe_key=f"listing:{r.pk}",
            credit_code=r.credit_code,
            organization_id=orgs.get(r.credit_code),
            entity_name=r.subject_name,
            department_id=r.department_id,
            due_on=r.listed_on,
            summary=gettext("%(date)s被列入%(list)s：%(reason)s")
            % {"date": r.listed_on.isoformat(), "list": r.get_list_kind_display(), "reason": r.reason[:150]},
            details={"listing_id": r.pk, "list_kind": r.list_kind, "listed_on": r.listed_on.isoformat()},
        )


def rectification_overdue(today: datetime.date, params: dict[str, Any]) -> Iterator[Finding]:
    last_due = today - datetime.timedelta(days=int(params["grace_days"]) + 1)
    rows = (
        InspectionResult.objects.filter(
            outcome=ResultOutcome.RECTIFY, rectify_by__lte=last_due, reinspected_on__isnull=True
        )
        .select_related("inspection__plan", "check_item")
        .order_by("rectify_by", "pk")
    )
    for r in rows.iterator(chunk_size=1000):
        assert r.rectify_by is not None
        inspection = r.inspection
        yield Finding(
            dedupe_key=f"result:{r.pk}:{r.rectify_by.isoformat()}",
            credit_code=inspection.credit_code,
            organization_id=inspection.organization_id,
            entity_name=inspection.entity_name,
            department_id=r.department_id,
            due_on=r.rectify_by,
            summary=gettext("抽查任务%(plan)s“%(item)s”责令整改的期限%(date)s已过，尚未复查。")
            % {"plan": inspection.plan.number, "item": r.check_item.name, "date": r.rectify_by.isoformat()},
            details={
                "result_id": r.pk,
                "inspection_id": inspection.pk,
                "plan": inspection.plan.number,
                "rectify_by": r.rectify_by.isoformat(),
            },
        )


RULES: dict[str, Callable[[datetime.date, dict[str, Any]], Iterator[Finding]]] = {
    AlertRule.LICENCE_EXPIRING: licence_expiring,
    AlertRule.LICENCE_MISSING: licence_missing,
    AlertRule.REPEATED_PENALTIES: repeated_penalties,
    AlertRule.NEW_SANCTION: new_sanction,
    AlertRule.RECTIFICATION_OVERDUE: rectification_overdue,
}


def _raise(rule: str, finding: Finding, by: Any, at: datetime.datetime) -> bool:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                raised_at=at,
                rule=rule,
                dedupe_key=finding.dedupe_key[:120],
                organization_id=finding.organization_id,
                credit_code=finding.credit_code[:18],
                entity_name=finding.entity_name[:200],
                department_id=finding.department_id,
                summary=finding.summary[:300],
                details=finding.details,
                due_on=finding.due_on,
            )
            alert_record(
                alert, AlertAction.RAISE, by, from_state="", data={"rule": rule, "key": alert.dedupe_key}, at=at
            )
    except IntegrityError:
        # Raised meanwhile by another run (the unique key): nothing to add.
        return False
    return True


def alerts_scan(
    *, today: datetime.date | None = None, by: Any = ACTOR, only: Iterable[str] | None = None
) -> dict[str, int]:
    """Run every enabled rule once for ``today``; the number of new alerts per rule (0 for a
    disabled rule, or one left out of ``only``). New alerts are dated ``today``
    (:func:`~.alerts.moment`)."""
    today = today or timezone.localdate()
    config = rule_config()
    at = moment(today)
    raised: dict[str, int] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for rule, find in RULES.items():
            raised[str(rule)] = 0
            params = config[str(rule)]
            if not params.get("enabled", True) or (only is not None and str(rule) not in set(only)):
                continue
            findings = list(find(today, params))
            known: set[str] = set()
            for start in range(0, len(findings), KEY_CHUNK):
                keys = [f.dedupe_key for f in findings[start : start + KEY_CHUNK]]
                known |= set(Alert.objects.filter(rule=rule, dedupe_key__in=keys).values_list("dedupe_key", flat=True))
            for finding in findings:
                if finding.dedupe_key not in known and _raise(str(rule), finding, by, at):
                    raised[str(rule)] += 1
    return raised


__all__ = ["DEFAULT_RULES", "RULES", "Finding", "alerts_scan", "rule_config"]
