"""Authorization matrix of the 信息归集 API (ARCHITECTURE rule 8): every operation by every principal
of :data:`RECORD_PRINCIPALS`, with the exact status and code, and for every refusal that nothing
changed (records, revisions, objections, audit entries).

Who may what: the data clerk of the source department (session or its scoped token) delivers,
corrects, revokes and answers objections; a data clerk of another department is refused on this
department's records; staff (window clerk, regulator, admin) read every entity's records, the
regulator and admin every department's queue; the entity's agent reads its own records and objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from onewindow.market.models import Objection, PooledRecord
from onewindow.market.services import record_objections, records

from .test_records_world import (
    RECORD_PRINCIPALS,
    RecordsWorld,
    build_records_world,
    licence_row,
    snapshot,
    unknown_code,
)

BASE = "/api/v1/market/records"
Expected = tuple[int, str | None]
OK: Expected = (200, None)
UNAUTHENTICATED: Expected = (401, "unauthenticated")
NO_SCOPE: Expected = (403, "insufficient_scope")


def expect(default: Expected, **overrides: Expected) -> dict[str, Expected]:
    table = dict.fromkeys(RECORD_PRINCIPALS, default)
    table["anonymous"] = UNAUTHENTICATED
    table["token_unscoped"] = NO_SCOPE
    table["device"] = NO_SCOPE
    table.update(overrides)
    return table


NOT_CLERK: Expected = (403, "records_not_data_clerk")
NOT_SOURCE: Expected = (403, "records_not_source_department")
STAFF_READ = {"data_clerk": OK, "data_clerk_other": OK, "clerk": OK, "regulator": OK, "admin": OK, "token": OK}


@dataclass
class Setting:
    """The data an operation needs: a matched record of the department, a queued one, an objection."""

    w: RecordsWorld
    record: PooledRecord
    queued: PooledRecord
    objection: Objection


def _setting() -> Setting:
    w = build_records_world()
    clerk = w.user("data_clerk")
    result = records.records_ingest(
        by=clerk, rows=[licence_row("L1", w.entity.credit_code), licence_row("Q1", unknown_code())], channel="api"
    )
    record, queued = (PooledRecord.objects.get(pk=r.record_id) for r in result.rows)
    records.records_ingest(by=clerk, rows=[licence_row("L2", w.entity.credit_code)], channel="api")
    second = PooledRecord.objects.get(source_id="L2")
    objection = record_objections.objection_raise(by=w.user("agent"), record_id=second.pk, reason="该许可已注销")
    return Setting(w=w, record=record, queued=queued, objection=objection)


def _json(client: Client, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(url)
    return call(url, data=json.dumps(body), content_type="application/json")


OPERATIONS: dict[str, tuple[Callable[[Setting], tuple[str, str, Any]], dict[str, Expected]]] = {
    "batch": (
        lambda s: (
            "post",
            f"{BASE}/batch",
            {"department": s.w.p.department.code, "records": [licence_row("N1", s.w.entity.credit_code)]},
        ),
        expect(NOT_CLERK, data_clerk=OK, token=OK, data_clerk_other=NOT_SOURCE),
    ),
    "entity": (
        lambda s: ("get", f"{BASE}/entities/{s.w.entity.credit_code}", None),
        expect((404, "records_entity_not_found"), agent=OK, **STAFF_READ),
    ),
    "queue": (
        lambda s: ("get", f"{BASE}/queue", None),
        expect((403, "records_queue_forbidden"), data_clerk=OK, data_clerk_other=OK, regulator=OK, admin=OK, token=OK),
    ),
    "match": (
        lambda s: ("post", f"{BASE}/queue/match", None),
        expect((403, "records_match_forbidden"), data_clerk=OK, data_clerk_other=OK, regulator=OK, admin=OK, token=OK),
    ),
    "detail": (
        lambda s: ("get", f"{BASE}/{s.record.pk}", None),
        expect((404, "records_not_found"), agent=OK, **STAFF_READ),
    ),
    "correct": (
        lambda s: ("patch", f"{BASE}/{s.record.pk}", {"changes": {"valid_to": "2024-01-01"}, "reason": "延续"}),
        expect(NOT_SOURCE, anonymous=UNAUTHENTICATED, citizen=(404, "records_not_found"), data_clerk=OK, token=OK),
    ),
    "revoke": (
        lambda s: ("post", f"{BASE}/{s.record.pk}/revoke", {"reason": "撤销许可"}),
        expect(NOT_SOURCE, citizen=(404, "records_not_found"), data_clerk=OK, token=OK),
    ),
    "object": (
        lambda s: ("post", f"{BASE}/{s.record.pk}/objections", {"reason": "信息有误"}),
        expect((403, "records_objection_not_entity"), citizen=(404, "records_not_found"), agent=(201, None)),
    ),
    "objections": (
        lambda s: ("get", f"{BASE}/objections", None),
        expect(OK, clerk=(403, "records_queue_forbidden")),
    ),
    "answer": (
        lambda s: ("post", f"{BASE}/objections/{s.objection.pk}/answer", {"outcome": "upheld", "answer": "经核实无误"}),
        expect(
            NOT_SOURCE,
            citizen=(404, "records_objection_not_found"),
            agent=(404, "records_objection_not_found"),
            data_clerk=OK,
            token=OK,
        ),
    ),
}
CASES = [pytest.param(op, who, id=f"{op}-{who}") for op in OPERATIONS for who in RECORD_PRINCIPALS]


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "who"), CASES)
def test_records_api_matrix(operation: str, who: str) -> None:
    s = _setting()
    build, table = OPERATIONS[operation]
    method, url, body = build(s)
    before = snapshot()
    response = _json(s.w.client(who), method, url, body)
    status, code = table[who]
    assert response.status_code == status, response.content
    if code is not None:
        assert response.json()["code"] == code
        assert snapshot() == before


@pytest.mark.django_db
def test_what_each_reader_sees_in_the_queue_and_the_timeline() -> None:
    s = _setting()
    totals = {
        who: s.w.client(who).get(f"{BASE}/queue").json()["total"]
        for who in ("data_clerk", "data_clerk_other", "regulator", "admin", "token")
    }
    assert totals == {"data_clerk": 1, "data_clerk_other": 0, "regulator": 1, "admin": 1, "token": 1}
    row = s.w.client("regulator").get(f"{BASE}/queue").json()["items"][0]
    assert (row["source_id"], row["entity_id"], row["age_days"], row["department"]) == (
        "Q1",
        None,
        0,
        s.w.p.department.code,
    )
    timeline = s.w.client("agent").get(f"{BASE}/entities/{s.w.entity.credit_code}").json()
    assert [i["source_id"] for i in timeline["items"]] == ["L2", "L1"]
    assert timeline["kinds"] == [{"value": "licence", "label": "行政许可", "count": 2}]
    assert timeline["departments"] == [{"value": str(s.w.p.department.pk), "label": s.w.p.department.name, "count": 2}]


@pytest.mark.django_db
def test_batch_answer_lists_each_record() -> None:
    s = _setting()
    body = {
        "records": [
            licence_row("L1", s.w.entity.credit_code),
            licence_row("B2", s.w.entity.credit_code, record_date="不是日期"),
            licence_row("B3", unknown_code()),
        ]
    }
    response = _json(s.w.client("token"), "post", f"{BASE}/batch", body)
    assert response.status_code == 200
    data = response.json()
    assert (data["department"], data["created"], data["unchanged"], data["rejected"]) == (
        s.w.p.department.code,
        1,
        1,
        1,
    )
    assert [(r["line"], r["source_id"], r["outcome"], r["matched"], r["errors"]) for r in data["results"]] == [
        (1, "L1", "unchanged", True, {}),
        (2, "B2", "rejected", False, {"record_date": ["请填写有效日期（YYYY-MM-DD）。"]}),
        (3, "B3", "created", False, {}),
    ]
