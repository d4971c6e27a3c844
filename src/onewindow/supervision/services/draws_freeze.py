"""The freeze of a 双随机 draw plan (stage 2, issue #12 part 3): the pool and the roster are fixed,
and their digests published, before the public random value exists.

The pool (抽查对象名录, DOMAIN.md R4.1): entities of the registry in status 存续 that match the plan's
filter, less those inspected within ``exclude_inspected_months`` and those already in another open
plan (status drawn); each in the stratum of its risk grade (``-`` ungraded), or ``S`` when the plan
sets a 联合惩戒 stratum and the entity is on an active list (R4.1: inspect listed entities more
often; a plan with ratios but none for ``S`` inspects them at its highest ratio times their draw
weight, :func:`sanctioned_ratio`). The roster (执法检查人员名录库): the active officers of the plan's
departments, with their areas (``*`` where none) and specialties. The constraints: standing
declared conflicts (回避, 行政处罚法 art. 43) and the officers' visits within ``no_repeat_months``.

A plan that some random value could not staff is refused here, before the value exists
(``draw.check_feasible``); a freeze on or after the value's day is refused
(``draw_freeze_too_late``): the value may already be known.
"""

from __future__ import annotations

import secrets
import zlib
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Collate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.actors import Actor
from onewindow.core.errors import Conflict, DomainError
from onewindow.core.models import Department, Region, RegionLevel
from onewindow.market.choices import EntityStatus, SanctionSubject
from onewindow.market.models import EntityProfile, SanctionListing
from onewindow.market.models.sanctions import ACTIVE_STATUSES
from onewindow.market.sanctions_selectors import draw_weight_for

from .. import draw, workflow
from ..choices import DrawPlanAction, DrawPlanStatus
from ..models import DrawFreeze, DrawPlan, Inspection, OfficerConflict
from ..selectors import draws as draw_selectors
from ..selectors import officers_available
from . import common
from .draws import SANCTIONED, UNGRADED, guard, lock_plan, record

#: zlib level of the stored pool file. The published digests are over the uncompressed files
#: (docs/draw-algorithm.md §3), so the level changes only the stored size: level 1 compresses a
#: pool several times faster than the default 6, for a file some 10–20% larger (credit codes
#: compress well either way); any level decompresses the same.
POOL_FILE_LEVEL = 1


def compress_pool(pool: draw.Pool) -> bytes:
    """The pool file as stored with the freeze (``draw_selectors.decompress`` reads it back)."""
    return zlib.compress(pool.data, POOL_FILE_LEVEL)


def _refusal(exc: DomainError) -> DomainError:
    """The draw module's refusal as a 422 (bad input: the plan cannot be drawn as set)."""
    return DomainError(exc.message, code=exc.code, fields=exc.fields, status=422)


def _filter_q(pool_filter: dict[str, Any]) -> Q:
    q = Q(status=EntityStatus.ACTIVE)
    regions = pool_filter.get("regions") or []
    if regions:
        levels = dict(Region.objects.filter(code__in=regions).values_list("code", "level"))
        area = Q()
        for code in regions:
            area |= Q(street__code=code) if levels.get(code) == RegionLevel.STREET else Q(district__code=code)
        q &= area
    industries = pool_filter.get("industries") or []
    if industries:
        industry = Q()
        for code in industries:
            industry |= Q(industry__section=code) if code.isalpha() else Q(industry__code__startswith=code)
        q &= industry
    if pool_filter.get("entity_types"):
        q &= Q(entity_type__in=pool_filter["entity_types"])
    grades = pool_filter.get("risk_grades") or []
    if grades:
        q &= Q(risk_grade__in=["" if g == UNGRADED else g for g in grades])
    return q


def _pool_queryset(plan: DrawPlan, today: Any) -> QuerySet[EntityProfile, tuple[str, str, str]]:
    """The pool's statement: the plan's filter and exclusions, each row already in the pool file's
    form (credit code, stratum, street code or ``""``); in credit-code order (code points,
    ``COLLATE "C"``) on PostgreSQL, unordered on SQLite (``draw.Pool`` sorts either way)."""
    profiles = EntityProfile.objects.filter(_filter_q(plan.pool_filter))
    if plan.exclude_inspected_months:
        since = draw_selectors.months_before(today, plan.exclude_inspected_months)
        visited = Inspection.objects.filter(draw_selectors.inspected_since_q(since)).exclude(plan=plan)
        profiles = profiles.exclude(organization_id__in=visited.values("organization_id"))
    if plan.exclude_open_plans:
        open_rows = Inspection.objects.filter(plan__status=DrawPlanStatus.DRAWN).exclude(plan=plan)
        profiles = profiles.exclude(organization_id__in=open_rows.values("organization_id"))
    graded = [When(risk_grade="", then=Value(UNGRADED))]
    if plan.sanctioned_stratum:
        listed = SanctionListing.objects.filter(
            subject_type=SanctionSubject.ORGANIZATION,
            status__in=ACTIVE_STATUSES,
            credit_code=OuterRef("organization__credit_code"),
        )
        graded.insert(0, When(Exists(listed), then=Value(SANCTIONED)))
    rows = profiles.annotate(
        pool_stratum=Case(*graded, default=F("risk_grade"), output_field=CharField()),
        pool_street=Coalesce(F("street__code"), Value(""), output_field=CharField()),
    )
    if connection.vendor == "postgresql":
        # PostgreSQL sorts in the server, fast; SQLite's sorter took 10 of the 15 s of a pool of
        # 2.75 M (3.2 M registry, 2026-12-06), where reading unsorted takes 5.5 s and draw.Pool
        # sorts the rows in Python in about 1.5 s — so on SQLite the rows come unsorted.
        rows = rows.order_by(Collate(F("organization__credit_code"), "C"))
    else:
        rows = rows.order_by()
    return rows.values_list("organization__credit_code", "pool_stratum", "pool_street")


def pool_rows(plan: DrawPlan, today: Any) -> list[tuple[str, str, str]]:
    """The plan's pool, one statement: (credit code, stratum, street code) per entity (sorted by
    credit code on PostgreSQL; ``draw.Pool`` sorts), read through a raw cursor (no model
    instances and no per-row conversion: a pool may hold millions of entities, issue #12 asks its
    freeze to take under 2 s per million)."""
    sql, params = _pool_queryset(plan, today).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[str, str, str]] = cursor.fetchall()
    return rows


def roster_rows(plan: DrawPlan, today: Any) -> tuple[list[draw.Officer], dict[int, str]]:
    """The active officers of the plan's departments (areas ``*`` where none); also id → cert."""
    departments = dict(Department.objects.filter(code__in=plan.departments).values_list("pk", "code"))
    rows: list[draw.Officer] = []
    certs: dict[int, str] = {}
    for department_id, code in departments.items():
        officers = officers_available(department_id, today).prefetch_related("areas", "specialties")
        for officer in officers:
            areas = tuple(sorted(r.code for r in officer.areas.all())) or (draw.ANY_AREA,)
            specialties = tuple(sorted(s.specialty for s in officer.specialties.all()))
            rows.append(draw.Officer(officer.certificate_number, code, areas, specialties))
            certs[officer.pk] = officer.certificate_number
    return rows, certs


def constraint_pairs(
    plan: DrawPlan, today: Any, certs: dict[int, str], codes: set[str]
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(cert, credit code) pairs of standing conflicts and of visits within the no-repeat period,
    limited to the roster and the pool."""
    conflicts = {
        (certs[officer_id], code)
        for officer_id, code in OfficerConflict.objects.filter(
            officer_id__in=certs, withdrawn_at__isnull=True
        ).values_list("officer_id", "organization__credit_code")
        if code in codes
    }
    visits: set[tuple[str, str]] = set()
    if plan.no_repeat_months:
        since = draw_selectors.months_before(today, plan.no_repeat_months)
        through = Inspection.officers.through
        rows = through.objects.filter(
            officer_id__in=certs,
            inspection__in=Inspection.objects.filter(draw_selectors.inspected_since_q(since)).exclude(plan=plan),
        ).values_list("officer_id", "inspection__credit_code")
        visits = {(certs[officer_id], code) for officer_id, code in rows if code in codes}
    return conflicts, visits


def sanctioned_weight(pool: draw.Pool) -> Decimal:
    """The draw weight of the pool's ``S`` stratum: the largest weight (``draw_weight_for``) of the
    active organization listings of its entities, 1 when none carries the ``draw_weight``
    measure. A listing delivered with that measure and no weight of its own was given
    ``MARKET_SANCTION_DRAW_WEIGHT`` when it was listed (market.services.sanctions). One query."""
    codes = {pool.codes[i] for i in pool.members.get(SANCTIONED, [])}
    if not codes:
        return Decimal(1)
    listings = SanctionListing.objects.filter(
        subject_type=SanctionSubject.ORGANIZATION, status__in=ACTIVE_STATUSES
    ).only("credit_code", "measures", "draw_weight")
    return draw_weight_for([entry for entry in listings if entry.credit_code in codes])


def sanctioned_ratio(plan: DrawPlan, pool: draw.Pool) -> Fraction | None:
    """The ratio of the 联合惩戒 stratum ``S`` when the plan sets the stratum and ratios but none for
    ``S``: the highest ratio the plan gives any grade times the stratum's draw weight
    (:func:`sanctioned_weight`), at most 100 %. None when the plan names ``S`` itself, draws by
    counts, or has no such stratum. Basis: 国发〔2016〕33号 (加大对失信主体的抽查比例和频次) and
    DOMAIN.md R4.1, R4.6 (the ratio per grade is a plan parameter; the weight is configurable)."""
    if not plan.sanctioned_stratum or plan.counts or not plan.ratios or SANCTIONED in plan.ratios:
        return None
    highest = max(Fraction(Decimal(str(v))) / 100 for v in plan.ratios.values())
    return min(Fraction(1), highest * Fraction(sanctioned_weight(pool)))


def quotas_for(plan: DrawPlan, pool: draw.Pool) -> dict[str, int]:
    """Counts per stratum: the plan's counts, or its ratios (percent) of each stratum's size
    (``draw.quotas_from_ratios``: round half up, at least 1 of a non-empty stratum), with the
    ``S`` ratio of :func:`sanctioned_ratio` where the plan gives none."""
    if plan.counts:
        return {k: int(v) for k, v in plan.counts.items()}
    sizes = {stratum: len(members) for stratum, members in pool.members.items()}
    ratios = {k: Fraction(Decimal(str(v))) / 100 for k, v in plan.ratios.items()}
    derived = sanctioned_ratio(plan, pool)
    if derived is not None:
        ratios[SANCTIONED] = derived
    return draw.quotas_from_ratios(sizes, ratios)


@transaction.atomic
def plan_freeze(*, by: Actor, plan_id: Any) -> DrawFreeze:
    """Freeze the pool, the roster and the constraints, generate the operator's secret and
    publish its commitment (stage 2). Refusals (nothing written): 404, 403; 409
    ``draw_pool_frozen`` (already frozen: a frozen pool never changes), 409
    ``draw_freeze_too_late`` (on or after the random value's day); 422
    ``supervision_draw_pool_too_small`` (a count above its stratum), 422
    ``supervision_draw_too_few_officers`` (an entity without enough officers free of conflicts,
    in area, not recently there and qualified), 422 ``draw_plan_nothing_to_draw``."""
    plan = lock_plan(plan_id)
    guard(plan, DrawPlanAction.FREEZE, by)
    today = common.today()
    if today >= plan.random_expected_on:
        raise Conflict(
            _("名录须在公开随机数产生之前冻结（%(day)s 之前），本任务已不能冻结，请撤销后重新制定。")
            % {"day": plan.random_expected_on.isoformat()},
            code="draw_freeze_too_late",
        )
    pool = draw.Pool(pool_rows(plan, today))
    officers, certs = roster_rows(plan, today)
    roster = draw.Roster(officers)
    conflicts, visits = constraint_pairs(plan, today, certs, set(pool.codes))
    secret = secrets.token_hex(32)
    try:
        quotas = quotas_for(plan, pool)
        frozen_plan = draw.Plan(
            quotas=quotas,
            departments=list(plan.departments),
            secret_commitment=draw.commit_secret(secret),
            officers_per_department=plan.officers_per_department,
            required_specialty=dict(plan.required_specialty),
            conflicts=frozenset(conflicts),
            recent_visits=frozenset(visits),
        )
        if not frozen_plan.quotas:
            raise DomainError(
                _("按当前比例和名录，没有可抽取的市场主体。"), code="draw_plan_nothing_to_draw", status=422
            )
        draw.check_feasible(pool, roster, frozen_plan)
    except DomainError as exc:
        raise _refusal(exc) from None
    freeze = DrawFreeze.objects.create(
        plan=plan,
        pool_file=compress_pool(pool),
        pool_digest=pool.digest,
        pool_size=len(pool),
        strata={stratum: len(members) for stratum, members in sorted(pool.members.items())},
        quotas=dict(sorted(quotas.items())),
        roster_file=draw_selectors.compress(roster.text()),
        roster_digest=roster.digest,
        roster_size=len(roster),
        constraints_file=draw_selectors.compress(frozen_plan.constraints_text()),
        plan_json=frozen_plan.canonical_json(),
        plan_digest=frozen_plan.digest,
        secret=secret,
        secret_commitment=frozen_plan.secret_commitment,
    )
    before = plan.status
    plan.status = workflow.plan_target(plan.status, DrawPlanAction.FREEZE)
    plan.frozen_at = freeze.frozen_at = timezone.now()
    plan.save(update_fields=["status", "frozen_at"])
    DrawFreeze.objects.filter(pk=freeze.pk).update(frozen_at=plan.frozen_at)
    record(
        plan,
        DrawPlanAction.FREEZE,
        by,
        from_status=before,
        details={
            "pool_digest": pool.digest,
            "pool_size": len(pool),
            "roster_digest": roster.digest,
            "roster_size": len(roster),
            "plan_digest": frozen_plan.digest,
            "secret_commitment": frozen_plan.secret_commitment,
            "quotas": freeze.quotas,
        },
    )
    return freeze
