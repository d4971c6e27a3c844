"""Reads of 双随机 draw plans (issue #12 parts 2–4): the stored inputs of a draw, its
verification, and what the public page (一公开) may show at each stage.

Rule (国办发〔2015〕58号, DOMAIN.md R4.1, R4.5): draws and their results are public. The stages
follow docs/draw-algorithm.md §1: at publication the plan and the named future random value; at
the freeze the pool and roster files with their digests and the secret's commitment; at the draw
the value and the selection digest, but not the names (nobody is tipped off); once the inspection
ends (closed) the entities, the officers, every skip and replacement, the constraints file and
the secret, so anyone can recompute the draw. A cancelled plan stays visible with its reason.

:func:`stored_inputs` rebuilds ``draw.DrawInputs`` from the rows exactly as stored; the draw
service, the replacement service and ``supervision_verify_draw`` all go through it, so what is
verified is what was drawn from.
"""

from __future__ import annotations

import calendar
import datetime
import json
import zlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.core.codes import as_id
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.models import Department

from .. import draw
from .. import permissions as perms
from ..choices import DrawPlanStatus
from ..models import DrawFreeze, DrawOutcome, DrawPlan, DrawPlanEvent, Inspection, Officer

#: Statuses whose names and secret are public (the inspection has ended).
REVEALED = (DrawPlanStatus.CLOSED,)


def _not_found() -> NotFound:
    return NotFound(_("找不到该抽查任务。"), code="draw_plan_not_found")


# ---- the stored files ------------------------------------------------------------------------------


def compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def decompress(data: Any) -> str:
    return zlib.decompress(bytes(data)).decode("utf-8")


def parse_pool(text: str) -> draw.Pool:
    """The pool file (``code TAB stratum TAB street LF``) back into a :class:`draw.Pool`."""
    rows = []
    for line in text.splitlines():
        code, stratum, street = [*line.split("\t"), "", ""][:3]
        rows.append(draw.Entity(code, stratum, street))
    return draw.Pool(rows)


def parse_roster(text: str) -> draw.Roster:
    """The roster file (``cert TAB department TAB areas TAB specialties LF``) back into a Roster."""
    rows = []
    for line in text.splitlines():
        cert, department, areas, specialties = [*line.split("\t"), "", "", ""][:4]
        rows.append(
            draw.Officer(
                cert,
                department,
                tuple(a for a in areas.split(",") if a),
                tuple(s for s in specialties.split(",") if s),
            )
        )
    return draw.Roster(rows)


def parse_plan(plan_json: str, constraints_text: str) -> draw.Plan:
    """The canonical plan JSON and the constraints file back into a :class:`draw.Plan`."""
    document = json.loads(plan_json)
    conflicts: list[tuple[str, str]] = []
    visits: list[tuple[str, str]] = []
    for line in constraints_text.splitlines():
        kind, cert, code = [*line.split("\t"), "", ""][:3]
        (conflicts if kind == draw.CONFLICT else visits).append((cert, code))
    return draw.Plan(
        quotas=document["quotas"],
        departments=document["departments"],
        secret_commitment=document["secret_commitment"],
        officers_per_department=document["officers_per_department"],
        required_specialty=document["required_specialty"],
        conflicts=frozenset(conflicts),
        recent_visits=frozenset(visits),
    )


@dataclass(frozen=True)
class StoredFiles:
    pool: draw.Pool
    roster: draw.Roster
    plan: draw.Plan
    constraints_text: str


def stored_files(freeze: DrawFreeze) -> StoredFiles:
    constraints = decompress(freeze.constraints_file)
    return StoredFiles(
        pool=parse_pool(decompress(freeze.pool_file)),
        roster=parse_roster(decompress(freeze.roster_file)),
        plan=parse_plan(freeze.plan_json, constraints),
        constraints_text=constraints,
    )


def stored_inputs(freeze: DrawFreeze, random_value: str) -> draw.DrawInputs:
    """The draw's inputs rebuilt from the freeze row and a random value (the secret must match
    its commitment: ``supervision_draw_secret_mismatch`` otherwise)."""
    files = stored_files(freeze)
    return draw.DrawInputs(files.pool, files.roster, files.plan, random_value, freeze.secret)


# ---- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """MATCH (``ok``) or the first difference found, as text for the command's output."""

    ok: bool
    difference: str = ""


def _first_difference(plan: DrawPlan, freeze: DrawFreeze, outcome: DrawOutcome) -> str:
    try:
        files = stored_files(freeze)
    except (DomainError, ValueError, KeyError, TypeError, zlib.error) as exc:
        return f"stored files unreadable: {exc}"
    checks = (
        ("pool_digest", files.pool.digest, freeze.pool_digest),
        ("pool_size", len(files.pool), freeze.pool_size),
        ("roster_digest", files.roster.digest, freeze.roster_digest),
        ("roster_size", len(files.roster), freeze.roster_size),
        ("plan_json", files.plan.canonical_json(), freeze.plan_json),
        ("plan_digest", files.plan.digest, freeze.plan_digest),
        ("secret_commitment", draw.commit_secret(freeze.secret), freeze.secret_commitment),
        ("plan.secret_commitment", files.plan.secret_commitment, freeze.secret_commitment),
        ("quotas", dict(files.plan.quotas), {k: v for k, v in freeze.quotas.items() if v}),
    )
    for name, recomputed, stored in checks:
        if recomputed != stored:
            return f"{name}: recomputed {recomputed!r}, stored {stored!r}"
    try:
        inputs = draw.DrawInputs(files.pool, files.roster, files.plan, outcome.random_value, freeze.secret)
        stored_result = draw.DrawResult.from_dict(outcome.result)
    except DomainError as exc:
        return f"refused: {exc.code}"
    except (KeyError, TypeError, ValueError) as exc:
        return f"stored result unreadable: {exc}"
    if stored_result.selection_digest != outcome.selection_digest:
        return f"selection_digest: result {stored_result.selection_digest!r}, published {outcome.selection_digest!r}"
    ok, difference = draw.verify(inputs, stored_result)
    if not ok:
        return str(difference)
    return _inspections_difference(plan, stored_result)


def _inspections_difference(plan: DrawPlan, result: draw.DrawResult) -> str:
    """The inspections must be the stored selection, in order, with the stored officers."""
    rows = list(Inspection.objects.filter(plan=plan).order_by("sequence").prefetch_related("officers"))
    codes = [i.credit_code for i in rows]
    expected = [p.code for p in result.selection]
    if codes != expected:
        index = next(
            (n for n, (a, b) in enumerate(zip(expected, codes, strict=False)) if a != b), min(len(codes), len(expected))
        )
        got = codes[index] if index < len(codes) else None
        want = expected[index] if index < len(expected) else None
        return f"inspections[{index}]: result {want!r}, stored {got!r}"
    officers: dict[str, set[str]] = {}
    for a in result.assignments:
        officers.setdefault(a.entity, set()).add(a.cert)
    for n, inspection in enumerate(rows):
        stored = {o.certificate_number for o in inspection.officers.all()}
        if stored != officers.get(inspection.credit_code, set()):
            return (
                f"inspections[{n}].officers: result {sorted(officers.get(inspection.credit_code, set()))!r}, "
                f"stored {sorted(stored)!r}"
            )
    return ""


def plan_verify(plan: DrawPlan) -> Verification:
    """Recompute a drawn plan from its stored inputs and compare with everything stored: the files'
    digests, the plan JSON, the secret's commitment, the result, the replacements and the
    inspections (docs/draw-algorithm.md §9). Not scoped: the command runs as the operator."""
    freeze = DrawFreeze.objects.filter(plan=plan).first()
    outcome = DrawOutcome.objects.filter(plan=plan).first()
    if freeze is None or outcome is None:
        return Verification(False, "not drawn: nothing to verify")
    difference = _first_difference(plan, freeze, outcome)
    return Verification(not difference, difference)


def plan_by_number(number: str) -> DrawPlan:
    plan = DrawPlan.objects.filter(number=str(number).strip()).first()
    if plan is None:
        raise _not_found()
    return plan


# ---- staff reads ---------------------------------------------------------------------------------


def plan_queryset_for(user: Any) -> QuerySet[DrawPlan]:
    """Supervision staff and system admins see every plan (信息共享: plans are coordinated across
    departments, DOMAIN.md R4.2); anyone else sees the plans once published (一公开)."""
    qs = DrawPlan.objects.select_related("department")
    if perms.is_supervision_staff(user):
        return qs
    return qs.filter(published_at__isnull=False)


def plan_get_for(user: Any, plan_id: Any) -> DrawPlan:
    plan = plan_queryset_for(user).filter(pk=as_id(plan_id)).first()
    if plan is None:
        raise _not_found()
    return plan


def plan_list_for(user: Any, *, department_id: Any = None, status: str = "") -> QuerySet[DrawPlan]:
    qs = plan_queryset_for(user)
    if department_id not in (None, ""):
        qs = qs.filter(department_id=as_id(department_id))
    if status in DrawPlanStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def planner_department_ids(user: Any) -> set[int]:
    """The departments whose plans ``user`` makes and runs: 监管人员 and 部门管理员 of the department
    (a system admin reads every plan but plans for no department)."""
    return perms.department_ids(user, perms.CLAIM_ROLES)


def plan_events(plan: DrawPlan) -> list[DrawPlanEvent]:
    return list(DrawPlanEvent.objects.filter(plan=plan).order_by("at", "id"))


# ---- the public page (一公开) ------------------------------------------------------------------------


def public_plans(*, status: str = "") -> QuerySet[DrawPlan]:
    """Every plan that was published, newest first; a cancelled one stays with its reason."""
    qs = DrawPlan.objects.filter(published_at__isnull=False).select_related("department")
    if status in DrawPlanStatus.values and status != DrawPlanStatus.DRAFT:
        qs = qs.filter(status=status)
    return qs.order_by("-published_at", "-id")


def public_plan(number: str) -> DrawPlan:
    """One published plan by its number; 404 ``draw_plan_not_found`` for a draft or an unknown one."""
    plan = public_plans().prefetch_related("items__department").filter(number=str(number)).first()
    if plan is None:
        raise _not_found()
    return plan


@dataclass
class PublicEntity:
    sequence: int
    credit_code: str
    name: str
    stratum: str
    officers: list[tuple[str, str, str]]  # (department, name, certificate)


@dataclass
class PublicDraw:
    """What the public page shows of a plan at its current stage (nothing it may not)."""

    plan: DrawPlan
    departments: list[tuple[str, str]]
    freeze: DrawFreeze | None
    outcome: DrawOutcome | None
    revealed: bool
    entities: list[PublicEntity]
    skips: list[dict[str, Any]]
    replacements: list[dict[str, Any]]
    secret: str


def _department_names(codes: list[str]) -> dict[str, str]:
    return dict(Department.objects.filter(code__in=codes).values_list("code", "name"))


def public_draw(plan: DrawPlan) -> PublicDraw:
    """The stage view of a published plan: the names, officers, skips, replacements and the secret
    only once the plan is closed (the inspection ended)."""
    names = _department_names(list(plan.departments))
    departments = [(code, names.get(code, code)) for code in plan.departments]
    freeze = DrawFreeze.objects.filter(plan=plan).defer("pool_file", "roster_file", "constraints_file").first()
    outcome = DrawOutcome.objects.filter(plan=plan).first()
    revealed = plan.status in REVEALED and outcome is not None
    entities: list[PublicEntity] = []
    skips: list[dict[str, Any]] = []
    replacements: list[dict[str, Any]] = []
    secret = ""
    if revealed and outcome is not None and freeze is not None:
        result = draw.DrawResult.from_dict(outcome.result)
        certs = {a.cert for a in result.assignments} | {s.cert for s in result.skips}
        certs |= {r.cert for r in result.replacements} | {r.replaced_by for r in result.replacements}
        officer_names = dict(
            Officer.objects.filter(certificate_number__in=certs).values_list("certificate_number", "name")
        )
        entity_names = dict(Inspection.objects.filter(plan=plan).values_list("credit_code", "entity_name"))
        by_entity: dict[str, list[tuple[str, str, str]]] = {}
        for a in result.assignments:
            by_entity.setdefault(a.entity, []).append((a.department, officer_names.get(a.cert, ""), a.cert))
        entities = [
            PublicEntity(n + 1, p.code, entity_names.get(p.code, ""), p.stratum, by_entity.get(p.code, []))
            for n, p in enumerate(result.selection)
        ]
        skips = [
            {**s._asdict(), "name": officer_names.get(s.cert, ""), "entity_name": entity_names.get(s.entity, "")}
            for s in result.skips
        ]
        replacements = [
            {
                **r._asdict(),
                "name": officer_names.get(r.cert, ""),
                "replaced_by_name": officer_names.get(r.replaced_by, ""),
            }
            for r in result.replacements
        ]
        secret = freeze.secret
    return PublicDraw(plan, departments, freeze, outcome, revealed, entities, skips, replacements, secret)


def public_file(plan: DrawPlan, name: str) -> tuple[str, str]:
    """A published file of a plan: (text, content type). ``pool`` and ``roster`` from the freeze,
    ``plan`` (the canonical JSON) from the freeze, ``constraints`` once the plan is closed.
    404 ``draw_file_not_found`` before the stage that publishes it."""
    freeze = DrawFreeze.objects.filter(plan=plan).first()
    missing = NotFound(_("该文件尚未公开。"), code="draw_file_not_found")
    if freeze is None:
        raise missing
    if name == "pool":
        return decompress(freeze.pool_file), "text/plain; charset=utf-8"
    if name == "roster":
        return decompress(freeze.roster_file), "text/plain; charset=utf-8"
    if name == "plan":
        return freeze.plan_json, "application/json; charset=utf-8"
    if name == "constraints" and plan.status in REVEALED:
        return decompress(freeze.constraints_file), "text/plain; charset=utf-8"
    raise missing


# ---- exclusions used at the freeze -------------------------------------------------------------------


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` calendar months earlier (the month's last day where it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def inspected_since_q(since: datetime.date) -> Q:
    """Inspections that count as a visit on or after ``since``: visited then, or not yet visited
    but created then by a plan that was not cancelled."""
    return Q(visited_on__gte=since) | Q(
        visited_on__isnull=True,
        created_at__date__gte=since,
        plan__status__in=[
            DrawPlanStatus.DRAWN,
            DrawPlanStatus.CLOSED,
        ],
    )
