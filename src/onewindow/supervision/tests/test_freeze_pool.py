"""The freeze's pool query (issue #12 benchmark: freezing 1M entities in under 2 s): the one raw
statement of ``draws_freeze.pool_rows`` gives exactly the rows, and so the pool file and digest,
of the ORM read it replaced, for every kind of filter, exclusion and the 联合惩戒 stratum; the
stored pool file is the published text compressed (the digest is over the text, whatever the
level)."""

from __future__ import annotations

import hashlib
import itertools
import zlib
from typing import Any

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef

from onewindow.core.models import Region
from onewindow.market.choices import SanctionSubject
from onewindow.market.models import EntityProfile, Industry, SanctionListing
from onewindow.market.models.sanctions import ACTIVE_STATUSES
from onewindow.supervision import draw
from onewindow.supervision.choices import DrawPlanStatus
from onewindow.supervision.models import DrawPlan, Inspection
from onewindow.supervision.selectors import draws as draw_selectors
from onewindow.supervision.services import draws_freeze

from .test_draw_plans_world import OTHER_STREET, STREET, DrawWorld, draw_world_fixture  # noqa: F401
from .test_sanction_weight import _list

pytestmark = pytest.mark.django_db


def orm_pool_rows(plan: DrawPlan, today: Any) -> list[draw.Entity]:
    """The pool as the freeze read it before (the ORM's row iterator): the reference."""
    profiles = EntityProfile.objects.filter(draws_freeze._filter_q(plan.pool_filter))
    if plan.exclude_inspected_months:
        since = draw_selectors.months_before(today, plan.exclude_inspected_months)
        visited = Inspection.objects.filter(draw_selectors.inspected_since_q(since)).exclude(plan=plan)
        profiles = profiles.exclude(organization_id__in=visited.values("organization_id"))
    if plan.exclude_open_plans:
        open_rows = Inspection.objects.filter(plan__status=DrawPlanStatus.DRAWN).exclude(plan=plan)
        profiles = profiles.exclude(organization_id__in=open_rows.values("organization_id"))
    fields = ["organization__credit_code", "risk_grade", "street__code"]
    if plan.sanctioned_stratum:
        listed = SanctionListing.objects.filter(
            subject_type=SanctionSubject.ORGANIZATION,
            status__in=ACTIVE_STATUSES,
            credit_code=OuterRef("organization__credit_code"),
        )
        profiles = profiles.annotate(listed=Exists(listed))
        return [
            draw.Entity(code, "S" if listed else (grade or "-"), street or "")
            for code, grade, street, listed in profiles.values_list(*fields, "listed")
        ]
    return [draw.Entity(code, grade or "-", street or "") for code, grade, street in profiles.values_list(*fields)]


@pytest.fixture
def varied(dw: DrawWorld) -> DrawWorld:
    """The draw world with entities off the common case: no street, another street, other
    industries, an individual business, two listed (one removed), four in an open plan."""
    section = Industry.objects.get_or_create(
        code="H", defaults={"name": "住宿和餐饮业", "level": "section", "section": "H"}
    )[0]
    catering = Industry.objects.get_or_create(
        code="62", defaults={"name": "餐饮业", "level": "division", "section": "H", "parent": section}
    )[0]
    ids = [o.pk for o in dw.entities]
    EntityProfile.objects.filter(pk=ids[1]).update(street=None)
    EntityProfile.objects.filter(pk=ids[2]).update(street=Region.objects.get(code=OTHER_STREET))
    EntityProfile.objects.filter(pk__in=ids[3:5]).update(industry=catering)
    EntityProfile.objects.filter(pk=ids[5]).update(entity_type="individual_business")
    _list(dw, 6, measures=["draw_weight"], weight="2")
    _list(dw, 10, measures=["window_warning"], status="removed")
    dw.to_status("drawn", counts={"A": 1, "B": 1, "C": 1, "D": 1})
    return dw


FILTERS: list[dict[str, Any]] = [
    {},
    {"regions": ["310106"]},
    {"regions": [STREET]},
    {"regions": [OTHER_STREET, STREET]},
    {"industries": ["F"]},
    {"industries": ["H", "52"]},
    {"entity_types": ["individual_business", "limited_company"]},
    {"risk_grades": ["A", "-"]},
    {"regions": ["310106"], "industries": ["52"], "risk_grades": ["B", "C", "D"]},
]


def test_the_raw_statement_gives_the_rows_of_the_orm_read(varied: DrawWorld) -> None:
    plan = varied.create(title="对照")
    seen = set()
    for pool_filter, sanctioned, open_plans, months in itertools.product(
        FILTERS, (False, True), (False, True), (0, 12)
    ):
        plan.pool_filter, plan.sanctioned_stratum = pool_filter, sanctioned
        plan.exclude_open_plans, plan.exclude_inspected_months = open_plans, months
        rows = draws_freeze.pool_rows(plan, varied.clock.day)
        reference = orm_pool_rows(plan, varied.clock.day)
        assert sorted(rows) == sorted(tuple(r) for r in reference), (pool_filter, sanctioned, open_plans, months)
        if connection.vendor == "postgresql":  # sorted by the server there; draw.Pool sorts on SQLite
            assert [r[0] for r in rows] == sorted(r[0] for r in rows)
        pool = draw.Pool(rows)
        assert pool.data == draw.Pool(reference).data
        assert pool.digest == draw.Pool(reference).digest
        seen.add(len(rows))
    # The variations reach different pools (12 active entities, 4 of them in the open plan).
    assert {12, 8} <= seen
    assert len(seen) >= 6


def test_the_strata_and_streets_are_the_pool_files(varied: DrawWorld) -> None:
    plan = varied.create(title="对照")
    plan.pool_filter, plan.sanctioned_stratum = {}, True
    plan.exclude_open_plans, plan.exclude_inspected_months = False, 0
    rows = {code: (stratum, street) for code, stratum, street in draws_freeze.pool_rows(plan, varied.clock.day)}
    codes = [o.credit_code for o in varied.entities]
    assert rows[codes[0]] == ("A", STREET)
    assert rows[codes[1]] == ("A", "")  # no street: an empty field
    assert rows[codes[2]] == ("A", OTHER_STREET)
    assert rows[codes[6]] == ("S", STREET)  # listed: the 联合惩戒 stratum
    assert rows[codes[10]] == ("-", STREET)  # ungraded; its listing was removed
    assert len(rows) == 12


def test_the_pool_file_is_built_once_and_its_digest_is_over_the_text() -> None:
    rows = [("913101010000000002", "B", ""), ("913101010000000001", "A", "310101013")]
    pool = draw.Pool(rows)
    text = "913101010000000001\tA\t310101013\n913101010000000002\tB\t\n"
    assert pool.data == text.encode()
    assert pool.text() == text
    assert pool.digest == hashlib.sha256(text.encode()).hexdigest()
    assert pool.data is pool.data
    assert draw.Pool([]).data == b""
    assert draw.Pool([]).text() == ""
    assert draw.Pool([]).digest == hashlib.sha256(b"").hexdigest()


def test_the_frozen_pool_file_is_the_text_compressed_and_verifies(varied: DrawWorld) -> None:
    plan = varied.to_status("drawn", counts={"A": 1}, title="冻结")
    freeze = plan.freeze
    stored = bytes(freeze.pool_file)
    text = draw_selectors.decompress(stored)
    assert stored == zlib.compress(text.encode(), draws_freeze.POOL_FILE_LEVEL)
    assert hashlib.sha256(text.encode()).hexdigest() == freeze.pool_digest
    assert draw_selectors.stored_files(freeze).pool.digest == freeze.pool_digest
    assert draw_selectors.plan_verify(plan).ok
