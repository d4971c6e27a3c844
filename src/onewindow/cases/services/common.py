"""The recipe every case service follows (ARCHITECTURE rule 3): lock the row, check the guard,
mutate, append a timeline event and an audit entry, queue notifications in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import SYSTEM as _SYSTEM
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import AuditItem, audit_record, audit_record_batch
from onewindow.core.codes import UNAMBIGUOUS, as_id, random_code
from onewindow.core.errors import Conflict, NotFound, PermissionDenied
from onewindow.core.models import Department
from onewindow.core.numbering import next_number
from onewindow.core.prepared import insert_rows
from onewindow.notifications.services import message_enqueue, message_texts

from .. import deadlines, workflow
from .. import permissions as perms
from ..choices import CaseAction, CaseStatus, ClockLevel, DocumentKind
from ..models import Case, CaseClock, CaseEvent, Document

QUERY_ALPHABET = UNAMBIGUOUS
SYSTEM = _SYSTEM  # the one system actor (core.actors); kept here for the callers of cases

DOCUMENT_PREFIX: dict[str, str] = {
    DocumentKind.RECEIPT: "SL", DocumentKind.NON_ACCEPTANCE: "BSL", DocumentKind.CORRECTION: "BZ",
    DocumentKind.SUSPENSION: "TB", DocumentKind.EXTENSION: "YQ", DocumentKind.APPROVAL: "ZY",
    DocumentKind.REJECTION: "BY",
}


def today() -> datetime.date:
    return timezone.localdate()


def new_query_code() -> str:
    """A random 10-character query code (一码查询) from an alphabet without 0/O/1/I."""
    return random_code(QUERY_ALPHABET, 10)


def district_code(department: Department) -> str:
    """The district of a receiving body for case numbers: its region's district, or the city."""
    region = department.region
    while region.level == "street" and region.parent_id is not None:  # the parent is read only for a street
        parent = region.parent
        assert parent is not None
        region = parent
    return region.code[:6]


def case_number(department: Department, year: int) -> str:
    """办件编号 ``<district code>-<year>-<7 digits>``, gap-free per receiving district and year."""
    district = district_code(department)
    n = next_number(f"cases:{district}:{year}")
    return f"{district}-{year}-{n:07d}"


def lock_case(case_id: Any) -> Case:
    """The case row, locked for the rest of the transaction; 404 for an unknown id."""
    pk = as_id(case_id)
    case = (Case.objects.select_for_update().select_related("item_version", "receiving_department",
                                                             "handling_department").filter(pk=pk).first())
    if case is None:
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    return case


def guard(case: Case, action: str, by: Actor, *, kinds: set[str] | None = None) -> None:
    """Refuse an action the current status or the actor does not allow (nothing is written).

    A user who may not see the case at all gets 404 (no existence leak); one who may see it but
    not take this action gets 403; a legal actor with an illegal status gets 409. ``kinds``: the
    actor kinds of ``by`` when the caller knows them already (a case ``by`` is creating).
    """
    if kinds is None:
        kinds = {"system"} if is_system(by) else kinds_for(by, case)
    if not kinds & workflow.ACTORS[action]:
        raise PermissionDenied(_("您无权对该办件执行“%(action)s”。") % {"action": CaseAction(action).label},
                               code="case_action_forbidden")
    if not workflow.allowed(case.status, action):
        raise Conflict(_("办件当前状态为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": CaseStatus(case.status).label, "action": CaseAction(action).label},
                       code="case_illegal_transition")


def kinds_for(by: Actor, case: Case) -> set[str]:
    """The actor kinds of ``by`` on the case; 404 when the case is not visible to them at all."""
    kinds = perms.actor_kinds(by, case)
    if not kinds and not perms.case_queryset_for(by).filter(pk=case.pk).exists():
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    return kinds


def record(case: Case, action: str, by: Actor, *, from_status: str, note: str = "", data: dict[str, Any] | None = None,
           public: bool = True, department: Department | None = None, label: str = "") -> CaseEvent:
    """Append the timeline event and the audit entry of one step."""
    actor = None if is_system(by) else account_perms.as_user(by)
    if not label:
        label = str(_("系统")) if actor is None else (actor.person.name if actor.person else actor.get_username())
    event = CaseEvent.objects.create(case=case, action=action, from_status=from_status, to_status=case.status,
                                     actor=actor, actor_label=label[:100], department=department, note=note,
                                     data=data or {}, public=public)
    audit_record(actor=by if actor is not None or is_system(by) else SYSTEM, action=f"cases.{action}", target=case,
                 before={"status": from_status}, after={"status": case.status, **(data or {})},
                 role=account_perms.primary_role(actor) if actor is not None else "")
    return event


@dataclass(frozen=True)
class Step:
    """One timeline step of :func:`record_steps`: the event's action, statuses, visibility and data."""

    action: str
    from_status: str
    to_status: str
    public: bool = True
    data: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the audit target's label when it differs from the case's present one


def record_steps(case: Case, by: Actor, steps: list[Step]) -> list[CaseEvent]:
    """:func:`record` for several steps of one service call (a case created and submitted at once):
    the timeline events in one INSERT, then the audit entries ``record`` writes, one per step, in one INSERT."""
    actor = None if is_system(by) else account_perms.as_user(by)
    label = str(_("系统")) if actor is None else (actor.person.name if actor.person else actor.get_username())
    events = [CaseEvent(case=case, action=s.action, from_status=s.from_status, to_status=s.to_status, actor=actor,
                        actor_label=label[:100], department=None, note="", data=s.data, public=s.public)
              for s in steps]
    insert_rows(events)  # ids in step order, as bulk_create's
    role = account_perms.primary_role(actor) if actor is not None else ""
    audit_record_batch(actor=by if actor is not None or is_system(by) else SYSTEM, role=role, items=[
        AuditItem(f"cases.{s.action}", ("cases.case", str(case.pk), s.label) if s.label else case,
                  before={"status": s.from_status}, after={"status": s.to_status, **s.data}) for s in steps])
    return events


def notify(case: Case, event: str, *, texts: Any = None, **context: Any) -> None:
    """Queue the applicant's SMS and in-app message for ``event`` (same transaction). ``texts``: the
    template's texts read before the transaction (:func:`notify_texts`)."""
    if not case.contact_phone and case.owner_id is None:
        return
    base = str(getattr(settings, "ONEWINDOW_PUBLIC_URL", "")).rstrip("/")
    links = {k: f"{base}{v}" for k, v in context.items() if k.endswith("url")}
    message_enqueue(event=event, context={"number": case.number or "", "item": case.title,
                                          "query_code": case.query_code,
                                          "status": str(CaseStatus(case.status).label),
                                          "url": f"{base}/cases/{case.pk}/", **context, **links},
                    phone=case.contact_phone, user=case.owner, person=case.applicant_person, subject_type="case",
                    subject_id=str(case.pk), prepared=texts)


def notify_texts(case: Case, event: str) -> Any:
    """The texts :func:`notify` will send for ``event`` to the case's applicant, read now (before the write
    transaction, issue #17); None when ``notify`` writes nothing. A template edited in between is used
    from the next message on, as if this one had been sent a moment earlier."""
    if not case.contact_phone and case.owner_id is None:
        return None
    return message_texts(event, user=case.owner, person=case.applicant_person)


def issue_document(case: Case, kind: str, department: Department, by: Actor, content: dict[str, Any]) -> Document:
    """A numbered document ``<prefix>-<department code>-<year>-<5 digits>``, gap-free per body, kind, year."""
    year = today().year
    n = next_number(f"cases.doc:{kind}:{department.pk}:{year}")
    number = f"{DOCUMENT_PREFIX[kind]}-{department.code}-{year}-{n:05d}"
    actor = None if is_system(by) else account_perms.as_user(by)
    return Document.objects.create(number=number, kind=kind, case=case, department=department, content=content,
                                   issued_by=actor)


def start_clock(case: Case, kind: str, start: datetime.date, limit: deadlines.Limit) -> CaseClock:
    clock = new_clock(case, kind, start, limit)
    clock.save(force_insert=True)
    return clock


def new_clock(case: Case, kind: str, start: datetime.date, limit: deadlines.Limit) -> CaseClock:
    """The clock :func:`start_clock` starts, not saved yet (its due date and level computed)."""
    due = deadlines.due_date(start=start, limit_days=limit.days, extended_days=0, suspended_days=0, unit=limit.unit)
    return CaseClock(case=case, kind=kind, basis=limit.basis[:200], limit_days=limit.days, unit=limit.unit,
                     start_date=start, due_date=due, promised_due_date=due,
                     level=deadlines.level_on(today=today(), start=start, limit_days=limit.days, extended_days=0,
                                              suspended_days=0, due=due, unit=limit.unit))


def running_clock(case: Case, kind: str) -> CaseClock | None:
    return CaseClock.objects.select_for_update().filter(case=case, kind=kind, stopped_on__isnull=True).first()


def stop_clocks(case: Case, *kinds: str) -> None:
    qs = CaseClock.objects.filter(case=case, stopped_on__isnull=True)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    qs.update(stopped_on=today())


def refresh_due(case: Case) -> None:
    """Copy the running clock that matters most (earliest due) onto the case for the inbox."""
    clocks = list(CaseClock.objects.filter(case=case, stopped_on__isnull=True).order_by("due_date"))
    if clocks:
        case.due_date = clocks[0].due_date
        case.deadline_level = max((c.level for c in clocks), key=lambda lvl: deadlines.LEVEL_RANK[lvl])
    else:
        case.due_date = None
        case.deadline_level = ClockLevel.GREEN


def save(case: Case, *fields: str) -> None:
    refresh_due(case)
    case.save(update_fields=[*fields, "status", "due_date", "deadline_level", "updated_at"])


M = TypeVar("M", bound=models.Model)
_PARAM = "\x00prepared-query-param\x00"  # the text a PreparedQuery is compiled with, for its value


class PreparedQuery(Generic[M]):
    """A model query of one shape whose SQL is compiled once per process and database vendor, then run
    with each call's value (issue #17: compiling the item's four-table ``select_related`` query was 15 % of
    a submission's CPU). ``build(value)`` gives the queryset; it is compiled with a placeholder text for
    ``value`` (a text column's value), which must come out as one of its parameters. Rows become model
    instances (with their ``select_related`` objects) as the queryset's own iteration makes them, the
    backend's converters applied; nothing is cached but the statement."""

    def __init__(self, build: Callable[[Any], models.QuerySet[M]]) -> None:
        self._build = build
        self._compiled: dict[str, tuple[str, list[Any], int, Any, list[str], int, int, list[Any]]] = {}

    def __call__(self, value: Any) -> list[M]:
        from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

        connection = connections[DEFAULT_DB_ALIAS]
        compiled = self._compiled.get(connection.vendor)
        if compiled is None:
            compiler = self._build(_PARAM).query.get_compiler(DEFAULT_DB_ALIAS)
            sql, params = compiler.as_sql()
            info = compiler.klass_info
            start, end = info["select_fields"][0], info["select_fields"][-1] + 1
            init = [f[0].target.attname for f in compiler.select[start:end]]
            compiled = (sql, list(params), list(params).index(_PARAM), compiler, init, start, end,
                        get_related_populators(info, compiler.select, DEFAULT_DB_ALIAS))
            self._compiled[connection.vendor] = compiled
        sql, params, index, compiler, init, start, end, populators = compiled
        params = list(params)
        params[index] = value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        model = compiler.klass_info["model"]
        objs = []
        for row in compiler.results_iter([fetched]):
            obj = model.from_db(DEFAULT_DB_ALIAS, init, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            objs.append(obj)
        return objs


def require_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case services run inside transaction.atomic()")


CORRECTION_LIMIT = deadlines.Limit(deadlines.CORRECTION_DAYS, "working", deadlines.BASIS_CORRECTION)
DELIVERY_LIMIT = deadlines.Limit(deadlines.DELIVERY_DAYS, "working", deadlines.BASIS_DELIVERY)
