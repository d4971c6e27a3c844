"""The timeline partial of the profile page, the matching queue page and the periodic matching task,
with query-count guards on the lists."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from onewindow.core import scheduling
from onewindow.core.models import Department
from onewindow.market import records_selectors as selectors
from onewindow.market.models import PooledRecord
from onewindow.market.services import records
from onewindow.market.tasks import market_records_match

from .test_records_world import (
    RecordsWorld,
    build_records_world,
    inspection_row,
    licence_row,
    new_entity,
    penalty_row,
    unknown_code,
)


@pytest.fixture
def w(db: None) -> RecordsWorld:
    return build_records_world()


def _three_departments(w: RecordsWorld) -> list[Department]:
    """Licences of the entity from three departments (the data clerk holds a role in each)."""
    from onewindow.accounts.choices import StaffRoleKind
    from onewindow.accounts.testing import DepartmentFactory, StaffRoleFactory

    third = DepartmentFactory.create(code="TEST-310106-WJW", name="上海市静安区卫生健康委员会", region=w.p.district)
    StaffRoleFactory.create(user=w.user("data_clerk"), role=StaffRoleKind.DATA_CLERK, department=third)
    StaffRoleFactory.create(user=w.user("data_clerk"), role=StaffRoleKind.DATA_CLERK, department=w.p.other_department)
    depts = [w.p.department, w.p.other_department, third]
    code = w.entity.credit_code
    for n, dept in enumerate(depts):
        rows = [licence_row(f"L{n}", code, record_date=f"2017-0{n + 1}-10")]
        if n == 0:
            rows += [penalty_row("P1", code), inspection_row("I1", code)]
        records.records_ingest(by=w.user("data_clerk"), rows=rows, channel="api", department=dept.code)
    return depts


def test_the_profile_partial_loads_the_timeline(w: RecordsWorld) -> None:
    html = render_to_string("market/_records.html", {"entity": w.entity})
    assert f'hx-get="/market/records/entity/{w.entity.pk}/"' in html


def test_timeline_shows_licences_from_three_departments_with_facets(
    w: RecordsWorld, django_assert_max_num_queries: object
) -> None:
    depts = _three_departments(w)
    client = w.client("regulator")
    url = f"/market/records/entity/{w.entity.pk}/"
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the partial only
    assert '<span class="count" data-count="total">5</span>' in html
    rows = list(selectors.record_timeline_for(w.user("regulator"), w.entity).values_list("source_id", flat=True))
    assert rows == ["I1", "P1", "L2", "L1", "L0"]
    facets = selectors.record_facets_for(w.user("regulator"), w.entity)
    assert [(f.value, f.count) for f in facets.kinds] == [("licence", 3), ("penalty", 1), ("inspection", 1)]
    assert [(f.label, f.count) for f in facets.departments] == [
        (depts[0].name, 3),
        (depts[1].name, 1),
        (depts[2].name, 1),
    ]
    licences = client.get(f"{url}?kind=licence").content.decode()
    assert licences.count('data-kind="licence"') == 3 + 1  # three rows and the facet link
    for dept in depts:
        assert f"<td>{dept.name}</td>" in licences


def test_timeline_is_scoped(w: RecordsWorld) -> None:
    url = f"/market/records/entity/{w.entity.pk}/"
    assert w.client("agent").get(url).status_code == 200  # the entity itself
    assert w.client("citizen").get(url).status_code == 404
    other = new_entity()
    assert w.client("agent").get(f"/market/records/entity/{other.pk}/").status_code == 404


def test_queue_page_lists_ages_and_matches_on_request(w: RecordsWorld, django_assert_max_num_queries: object) -> None:
    code = unknown_code()
    records.records_ingest(
        by=w.user("data_clerk"), rows=[licence_row("Q1", code), licence_row("Q2", code)], channel="api"
    )
    PooledRecord.objects.filter(source_id="Q1").update(received_at=timezone.now() - datetime.timedelta(days=12))
    client = w.client("data_clerk")
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        html = client.get("/market/records/queue/").content.decode()
    q1, q2 = PooledRecord.objects.get(source_id="Q1"), PooledRecord.objects.get(source_id="Q2")
    assert html.index(f'data-record="{q1.pk}"') < html.index(f'data-record="{q2.pk}"')  # oldest first
    assert '<td data-age="12">12</td>' in html and '<td data-age="0">0</td>' in html
    assert w.client("clerk").get("/market/records/queue/").status_code == 403
    entity = new_entity()
    entity.credit_code = code
    entity.save()
    response = client.post("/market/records/queue/")
    assert response.status_code == 302
    assert PooledRecord.objects.filter(entity=entity).count() == 2
    assert "没有待匹配的信息。" in client.get("/market/records/queue/").content.decode()


def test_the_periodic_task_matches_the_queue(w: RecordsWorld) -> None:
    code = unknown_code()
    records.records_ingest(by=w.user("data_clerk"), rows=[licence_row("Q1", code)], channel="api")
    assert market_records_match.call() == {"matched": 0}
    entity = new_entity()
    entity.credit_code = code
    entity.save()
    assert market_records_match.call() == {"matched": 1}
    assert PooledRecord.objects.get().entity_id == entity.pk
    scheduling.discover()
    assert scheduling.registered()["market.records_match"].every == datetime.timedelta(minutes=10)


def test_detail_page_shows_provenance_and_revisions(w: RecordsWorld) -> None:
    records.records_ingest(by=w.user("data_clerk"), rows=[licence_row("L1", w.entity.credit_code)], channel="api")
    record = PooledRecord.objects.get()
    records.record_revoke(by=w.user("data_clerk"), record_id=record.pk, reason="申请人主动注销")
    html = w.client("regulator").get(f"/market/records/{record.pk}/").content.decode()
    assert '<dd id="record-status">撤销</dd>' in html
    assert "v2 · 撤销" in html and "申请人主动注销" in html
    assert w.client("citizen").get(f"/market/records/{record.pk}/").status_code == 404
