"""异议: the entity objects to its record; the source department answers within N working days,
upheld or corrected (a correction with history); a late answer is accepted and marked late; open
objections past their deadline are listed as overdue; nobody else may answer."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from onewindow.core.calendar import add_working_days
from onewindow.core.errors import DomainError
from onewindow.market import records_selectors as selectors
from onewindow.market.models import Objection, PooledRecord
from onewindow.market.services import record_objections, records

from .test_records_world import RecordsWorld, build_records_world, penalty_row, snapshot


@pytest.fixture
def w(db: None) -> RecordsWorld:
    return build_records_world()


@pytest.fixture
def record(w: RecordsWorld) -> PooledRecord:
    result = records.records_ingest(
        by=w.user("data_clerk"), rows=[penalty_row("P1", w.entity.credit_code)], channel="api"
    )
    return PooledRecord.objects.get(pk=result.rows[0].record_id)


@override_settings(MARKET_OBJECTION_DAYS=7)
def test_the_entity_objects_with_a_working_day_deadline(w: RecordsWorld, record: PooledRecord) -> None:
    objection = record_objections.objection_raise(by=w.user("agent"), record_id=record.pk, reason="已按期缴纳罚款")
    today = timezone.localdate()
    assert (objection.status, objection.entity_id, objection.department_id) == ("open", w.entity.pk, w.p.department.pk)
    assert objection.due_date == add_working_days(today, 7)
    with pytest.raises(DomainError) as refused:
        record_objections.objection_raise(by=w.user("agent"), record_id=record.pk, reason="再次提出")
    assert (refused.value.status, refused.value.code) == (409, "records_objection_open")


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("data_clerk", "records_objection_not_entity"),
        ("regulator", "records_objection_not_entity"),
        ("citizen", "records_not_found"),
    ],
)
def test_only_the_entity_objects(w: RecordsWorld, record: PooledRecord, who: str, code: str) -> None:
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        record_objections.objection_raise(by=w.user(who), record_id=record.pk, reason="理由")
    assert refused.value.code == code
    assert snapshot() == before


def test_upheld_answer_in_time(w: RecordsWorld, record: PooledRecord) -> None:
    objection = record_objections.objection_raise(by=w.user("agent"), record_id=record.pk, reason="有误")
    answered = record_objections.objection_answer(
        by=w.user("data_clerk"), objection_id=objection.pk, outcome="upheld", answer="经核实，记录无误"
    )
    record.refresh_from_db()
    assert (answered.status, answered.answered_late, record.revision) == ("upheld", False, 1)
    with pytest.raises(DomainError) as refused:
        record_objections.objection_answer(
            by=w.user("data_clerk"), objection_id=objection.pk, outcome="upheld", answer="再答复"
        )
    assert (refused.value.status, refused.value.code) == (409, "records_objection_answered")


def test_corrected_answer_is_a_correction_with_history(w: RecordsWorld, record: PooledRecord) -> None:
    objection = record_objections.objection_raise(by=w.user("agent"), record_id=record.pk, reason="金额有误")
    record_objections.objection_answer(
        by=w.user("data_clerk"),
        objection_id=objection.pk,
        outcome="corrected",
        answer="已更正金额",
        changes={"amount": "500"},
    )
    record.refresh_from_db()
    assert (str(record.amount), record.revision) == ("500.00", 2)
    revision = record.revisions.get(revision=2)
    assert (revision.action, revision.reason, revision.changes) == (
        "corrected",
        "异议更正",
        {"amount": {"before": "5000.00", "after": "500.00"}},
    )


def test_a_correction_that_changes_nothing_is_refused(w: RecordsWorld, record: PooledRecord) -> None:
    objection = record_objections.objection_raise(by=w.user("agent"), record_id=record.pk, reason="金额有误")
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        record_objections.objection_answer(
            by=w.user("data_clerk"),
            objection_id=objection.pk,
            outcome="corrected",
            answer="更正",
            changes={"amount": "5000"},
        )
    assert refused.value.code == "records_objection_no_change"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("data_clerk_other", "records_not_source_department"),
        ("regulator", "records_not_source_department"),
        ("admin", "records_not_source_department"),
        ("agent", "records_objection_not_found"),
    ],
)
def test_only_the_source_department_answers(w: RecordsWorld, record: PooledRecord, who: str, code: str) -> None:
    objection = record_objections.objection_raise(by=w.user("agent"), record_id=record.pk, reason="有误")
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        record_objections.objection_answer(by=w.user(who), objection_id=objection.pk, outcome="upheld", answer="x")
    assert refused.value.code == code
    assert snapshot() == before


def test_overdue_objections_are_flagged_and_a_late_answer_is_marked(w: RecordsWorld, record: PooledRecord) -> None:
    objection = record_objections.objection_raise(by=w.user("agent"), record_id=record.pk, reason="有误")
    # Ten days have passed since the deadline.
    Objection.objects.filter(pk=objection.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=10))
    rows = list(selectors.objection_list_for(w.user("data_clerk")))
    assert [(o.pk, o.is_overdue) for o in rows] == [(objection.pk, True)]
    assert [o.pk for o in selectors.objection_list_for(w.user("regulator"), overdue=True)] == [objection.pk]
    assert list(selectors.objection_list_for(w.user("data_clerk_other"))) == []
    assert [o.pk for o in selectors.objection_list_for(w.user("agent"))] == [objection.pk]
    answered = record_objections.objection_answer(
        by=w.user("data_clerk"), objection_id=objection.pk, outcome="upheld", answer="逾期答复"
    )
    assert (answered.status, answered.answered_late) == ("upheld", True)
    assert [(o.pk, o.is_overdue) for o in selectors.objection_list_for(w.user("data_clerk"))] == [(objection.pk, False)]


def test_objection_pages(w: RecordsWorld, record: PooledRecord) -> None:
    agent = w.client("agent")
    page = agent.get(f"/market/records/{record.pk}/")
    assert page.status_code == 200
    assert "提出异议" in page.content.decode()
    response = agent.post(f"/market/records/{record.pk}/object/", {"reason": "罚款已缴清"})
    assert response.status_code == 302
    objection = Objection.objects.get()
    clerk = w.client("data_clerk")
    listing = clerk.get("/market/records/objections/").content.decode()
    assert f'<tr data-objection="{objection.pk}">' in listing
    response = clerk.post(
        f"/market/records/objections/{objection.pk}/answer/",
        {"outcome": "corrected", "field": "amount", "value": "100", "answer": "已更正"},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    objection.refresh_from_db()
    assert (objection.status, str(record.amount)) == ("corrected", "100.00")
    refused = w.client("data_clerk_other").post(
        f"/market/records/objections/{objection.pk}/answer/", {"outcome": "upheld", "answer": "x"}
    )
    assert refused.status_code == 403
    assert "提出异议" not in w.client("data_clerk").get(f"/market/records/{record.pk}/").content.decode()
