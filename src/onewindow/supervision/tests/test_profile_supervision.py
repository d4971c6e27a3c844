"""Supervision's sections on a market entity's profile page (``market.profile_sections``): its open
alerts (监管预警) and its inspections with results (抽查检查结果), each scoped to the viewer.

The inspection world (``inspection_world``): a joint plan led by the market bureau (the world's
department) with the culture bureau and a health commission as partners, one inspection of the
world's organization. Who sees what (``supervision.selectors.profile``):

- a regulator (or department admin) of a participating department, and a system admin: every
  result, published or not, with a link to the inspection;
- other supervision staff — the lead department's data clerk, another department's regulator —
  the published results only; an inspection without any is not listed;
- anyone who is not supervision staff: neither section (and the profile page refuses them).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.market.models import EntityProfile, Industry
from onewindow.market.tests.test_profile_sections import PROFILE_PAGE_QUERIES
from onewindow.supervision.choices import ResultOutcome
from onewindow.supervision.models import Alert, InspectionResult
from onewindow.supervision.models.alerts import AlertRule, AlertState
from onewindow.supervision.selectors import profile
from onewindow.supervision.testing import SupervisionWorld

from .inspection_world import InspectionWorld, build_inspection_world

pytestmark = pytest.mark.django_db

#: the page without sections, then the alerts (1) and the inspections with their results (2)
SUPERVISION_PAGE_QUERIES = PROFILE_PAGE_QUERIES + 3
RECTIFY_BY = datetime.date(2026, 5, 15)


@pytest.fixture
def iw(world: SupervisionWorld) -> InspectionWorld:
    iw = build_inspection_world(world)
    iw.inspection.visited_on = datetime.date(2026, 4, 20)
    iw.inspection.save(update_fields=["visited_on"])
    industry = Industry.objects.get_or_create(
        code="62", defaults={"name": "餐饮业", "level": "division", "section": "H"}
    )[0]
    EntityProfile.objects.create(
        organization=world.p.organization,
        entity_type="limited_company",
        address="上海市静安区南京西路1号",
        district=world.p.district,
        industry=industry,
        established_on=datetime.date(2018, 1, 1),
        status="active",
    )
    return iw


def _result(iw: InspectionWorld, item: str, officer: str, outcome: str, *, published: bool) -> InspectionResult:
    return InspectionResult.objects.create(
        inspection=iw.inspection,
        check_item=iw.items[item],
        department=iw.items[item].department,
        outcome=outcome,
        rectify_by=RECTIFY_BY if outcome == ResultOutcome.RECTIFY else None,
        recorded_by=iw.officers[officer],
        published_at=timezone.now() if published else None,
    )


def _alert(w: SupervisionWorld, rule: str, state: str, n: int) -> Alert:
    org = w.p.organization
    return Alert.objects.create(
        rule=rule,
        dedupe_key=f"test-{n}",
        organization=org,
        credit_code=org.credit_code,
        entity_name=org.name,
        department=w.department,
        state=state,
        summary=f"预警内容{n}",
        closed_at=timezone.now() if state == AlertState.CLOSED else None,
    )


def _results(iw: InspectionWorld) -> tuple[InspectionResult, InspectionResult]:
    published = _result(iw, "market1", "market_a", ResultOutcome.NO_PROBLEM, published=True)
    unpublished = _result(iw, "culture", "culture_a", ResultOutcome.RECTIFY, published=False)
    return published, unpublished


def _seen(iw: InspectionWorld, name: str) -> list[tuple[int, bool, list[int]]] | None:
    data = profile.profile_inspections(iw.user(name), iw.w.p.organization)
    if data is None:
        return None
    return [(row.inspection.pk, row.full, [r.pk for r in row.results]) for row in data["inspections"]]


@pytest.mark.parametrize(
    ("name", "sees"),
    [
        ("regulator", "all"),  # the lead department's regulator
        ("culture_regulator", "all"),  # a partner department's regulator
        ("admin", "all"),
        ("data_clerk", "published"),  # the lead department's data clerk
        ("regulator_other", "published"),  # a department outside the plan
        ("citizen", None),
        ("anonymous", None),
    ],
)
def test_who_sees_which_results(iw: InspectionWorld, name: str, sees: str | None) -> None:
    published, unpublished = _results(iw)
    expected = {
        "all": [(iw.inspection.pk, True, [published.pk, unpublished.pk])],
        "published": [(iw.inspection.pk, False, [published.pk])],
        None: None,
    }[sees]
    assert _seen(iw, name) == expected


def test_an_inspection_without_published_results_is_not_listed_for_others(iw: InspectionWorld) -> None:
    _result(iw, "market1", "market_a", ResultOutcome.NO_PROBLEM, published=False)
    assert _seen(iw, "regulator_other") == []
    assert _seen(iw, "data_clerk") == []
    assert _seen(iw, "regulator") == [(iw.inspection.pk, True, [InspectionResult.objects.get().pk])]


@pytest.mark.parametrize(
    ("name", "count"),
    [("regulator", 2), ("data_clerk", 2), ("regulator_other", 2), ("admin", 2), ("citizen", None), ("anonymous", None)],
)
def test_open_alerts_for_supervision_staff(iw: InspectionWorld, name: str, count: int | None) -> None:
    w = iw.w
    first = _alert(w, AlertRule.LICENCE_EXPIRING, AlertState.OPEN, 1)
    second = _alert(w, AlertRule.NEW_SANCTION, AlertState.ACKNOWLEDGED, 2)
    _alert(w, AlertRule.REPEATED_PENALTIES, AlertState.CLOSED, 3)
    data = profile.profile_alerts(iw.user(name), w.p.organization)
    if count is None:
        assert data is None
        return
    assert data is not None
    assert [a.pk for a in data["alerts"]] == [second.pk, first.pk]


def _page(iw: InspectionWorld, name: str, client: Any = None) -> Any:
    return (client or iw.w.client(name)).get(f"/market/entities/{iw.w.p.organization.credit_code}/")


def test_the_regulator_sees_both_sections_on_the_page(iw: InspectionWorld, django_assert_num_queries: Any) -> None:
    published, unpublished = _results(iw)
    alert = _alert(iw.w, AlertRule.LICENCE_EXPIRING, AlertState.OPEN, 1)
    client = iw.w.client("regulator")
    with django_assert_num_queries(SUPERVISION_PAGE_QUERIES):
        response = _page(iw, "regulator", client)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index('data-section="supervision_alerts"') < html.index('data-section="supervision_inspections"')
    assert f'<tr data-alert="{alert.pk}" data-state="open">' in html and "预警内容1" in html
    assert f'data-result="{published.pk}" data-outcome="no_problem"' in html
    assert f'data-result="{unpublished.pk}" data-outcome="rectify"' in html
    assert f'<a href="/supervision/inspections/{iw.inspection.pk}/">{iw.plan.number}</a>' in html
    assert "2026-05-15" in html and "2026-04-20" in html  # the rectification deadline, the visit
    assert "营业性演出的检查" in html and "未公示" in html


def test_the_data_clerk_sees_the_alerts_and_published_results_only(iw: InspectionWorld) -> None:
    published, unpublished = _results(iw)
    alert = _alert(iw.w, AlertRule.LICENCE_EXPIRING, AlertState.OPEN, 1)
    response = _page(iw, "data_clerk")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<tr data-alert="{alert.pk}" data-state="open">' in html
    assert f'data-result="{published.pk}"' in html and f'data-result="{unpublished.pk}"' not in html
    assert "营业性演出的检查" not in html and "2026-05-15" not in html
    assert f"/supervision/inspections/{iw.inspection.pk}/" not in html


@pytest.mark.parametrize(("name", "status"), [("anonymous", 302), ("citizen", 403)])
def test_who_may_not_open_the_profile_sees_no_section(iw: InspectionWorld, name: str, status: int) -> None:
    _results(iw)
    _alert(iw.w, AlertRule.LICENCE_EXPIRING, AlertState.OPEN, 1)
    response = _page(iw, name)
    html = response.content.decode()
    assert response.status_code == status
    assert "预警内容1" not in html and "data-section" not in html and iw.plan.number not in html


def test_the_page_with_nothing_to_show(iw: InspectionWorld) -> None:
    html = _page(iw, "regulator_other").content.decode()
    assert '<span class="count" data-count="alerts">0</span>' in html
    assert "该主体没有未办结的监管预警。" in html and "没有可显示的抽查检查结果。" in html
