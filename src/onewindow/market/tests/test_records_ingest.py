"""信息归集 ingest: idempotency, corrections with history, the source-department rule, the matching
queue, and records always landing under the entity of their credit code."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.models import AuditEntry
from onewindow.market.choices import RecordChannel, RecordStatus, RevisionAction
from onewindow.market.models import PooledRecord, RecordRevision
from onewindow.market.services import records

from .test_records_world import (
    RecordsWorld,
    build_records_world,
    inspection_row,
    licence_row,
    new_entity,
    penalty_row,
    snapshot,
    unknown_code,
)

API = RecordChannel.API


@pytest.fixture
def w(db: None) -> RecordsWorld:
    return build_records_world()


def ingest(w: RecordsWorld, rows: list[dict[str, Any]], who: str = "data_clerk") -> records.IngestResult:
    return records.records_ingest(by=w.user(who), rows=rows, channel=API)


def test_a_batch_creates_one_row_per_source_id_with_provenance(w: RecordsWorld) -> None:
    code = w.entity.credit_code
    result = ingest(w, [licence_row("L1", code), penalty_row("P1", code), inspection_row("I1", code)])
    assert [(r.line, r.source_id, r.outcome, r.matched, r.errors) for r in result.rows] == [
        (1, "L1", "created", True, {}),
        (2, "P1", "created", True, {}),
        (3, "I1", "created", True, {}),
    ]
    licence = PooledRecord.objects.get(source_id="L1")
    assert (licence.kind, licence.entity_id, licence.department_id, licence.channel, licence.received_by_id) == (
        "licence",
        w.entity.pk,
        w.p.department.pk,
        "api",
        w.users["data_clerk"].pk,
    )
    assert (licence.batch_id, licence.revision, licence.valid_to) == (result.batch_id, 1, datetime.date(2022, 2, 28))
    penalty = PooledRecord.objects.get(source_id="P1")
    assert (penalty.penalty_kinds, penalty.amount, penalty.disclosure) == (
        ["warning", "fine"],
        Decimal("5000.00"),
        "pending",
    )
    inspection = PooledRecord.objects.get(source_id="I1")
    assert (inspection.inspection_result, inspection.inspector_department_id) == ("no_issue", w.p.department.pk)
    assert list(RecordRevision.objects.order_by("id").values_list("record__source_id", "revision", "action")) == [
        ("L1", 1, "created"),
        ("P1", 1, "created"),
        ("I1", 1, "created"),
    ]
    assert AuditEntry.objects.filter(action="market.record_ingest").count() == 3


def test_the_same_batch_twice_changes_nothing(w: RecordsWorld) -> None:
    rows = [licence_row("L1", w.entity.credit_code), penalty_row("P1", w.entity.credit_code)]
    ingest(w, rows)
    before = snapshot()
    again = ingest(w, rows)
    assert [r.outcome for r in again.rows] == ["unchanged", "unchanged"]
    assert snapshot() == before


def test_a_changed_field_is_one_correction_with_history(w: RecordsWorld) -> None:
    code = w.entity.credit_code
    ingest(w, [licence_row("L1", code)])
    result = ingest(w, [licence_row("L1", code, valid_to="2023-02-28")])
    assert [r.outcome for r in result.rows] == ["corrected"]
    assert PooledRecord.objects.count() == 1
    record = PooledRecord.objects.get()
    assert (record.revision, record.valid_to) == (2, datetime.date(2023, 2, 28))
    revisions = list(record.revisions.order_by("revision"))
    assert [(r.revision, r.action) for r in revisions] == [(1, "created"), (2, "corrected")]
    assert revisions[0].content["valid_to"] == "2022-02-28"
    assert revisions[1].changes == {"valid_to": {"before": "2022-02-28", "after": "2023-02-28"}}


def test_revocation_keeps_the_row_with_status_revoked(w: RecordsWorld) -> None:
    code = w.entity.credit_code
    ingest(w, [licence_row("L1", code)])
    result = ingest(w, [licence_row("L1", code, status="撤销")])
    assert [r.outcome for r in result.rows] == ["corrected"]
    record = PooledRecord.objects.get()
    assert (record.status, record.revision) == (RecordStatus.REVOKED, 2)
    assert record.revisions.get(revision=2).action == RevisionAction.REVOKED


def test_record_correct_and_revoke_by_the_source_department(w: RecordsWorld) -> None:
    ingest(w, [penalty_row("P1", w.entity.credit_code)])
    record = PooledRecord.objects.get()
    records.record_correct(
        by=w.user("data_clerk"), record_id=record.pk, changes={"amount": "3000"}, reason="金额录入错误"
    )
    records.record_revoke(by=w.user("data_clerk"), record_id=record.pk, reason="复议撤销")
    record.refresh_from_db()
    assert (record.amount, record.status, record.revision) == (Decimal("3000.00"), "revoked", 3)
    assert list(record.revisions.order_by("revision").values_list("action", "reason")) == [
        ("created", ""),
        ("corrected", "金额录入错误"),
        ("revoked", "复议撤销"),
    ]
    with pytest.raises(DomainError) as refused:
        records.record_revoke(by=w.user("data_clerk"), record_id=record.pk, reason="再次撤销")
    assert (refused.value.status, refused.value.code) == (409, "records_already_revoked")


@pytest.mark.parametrize("who", ["data_clerk_other", "regulator", "clerk", "admin"])
def test_another_department_cannot_correct_and_nothing_changes(w: RecordsWorld, who: str) -> None:
    ingest(w, [penalty_row("P1", w.entity.credit_code)])
    record = PooledRecord.objects.get()
    before = snapshot()
    for call in (
        lambda: records.record_correct(by=w.user(who), record_id=record.pk, changes={"amount": "1"}, reason="x"),
        lambda: records.record_revoke(by=w.user(who), record_id=record.pk, reason="x"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            call()
        assert refused.value.code == "records_not_source_department"
    assert snapshot() == before


def test_another_department_delivering_for_this_department_is_refused(w: RecordsWorld) -> None:
    ingest(w, [penalty_row("P1", w.entity.credit_code)])
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        records.records_ingest(
            by=w.user("data_clerk_other"),
            rows=[penalty_row("P1", w.entity.credit_code, amount="1")],
            channel=API,
            department=w.p.department.code,
        )
    assert refused.value.code == "records_not_source_department"
    assert snapshot() == before


def test_bad_rows_are_reported_by_line_and_field_while_good_rows_land(w: RecordsWorld) -> None:
    code = w.entity.credit_code
    bad_code = code[:-1] + ("0" if code[-1] != "0" else "1")
    result = ingest(
        w,
        [
            licence_row("L1", code),
            licence_row("L2", bad_code),
            penalty_row("P1", code, penalty_kinds=["fine", "flogging"]),
            penalty_row("P2", code, amount=""),
            inspection_row("I1", code, record_date="2999-01-01", inspection_result="fine"),
            licence_row("L1", code, number="dup"),
        ],
    )
    assert [(r.line, r.outcome) for r in result.rows] == [
        (1, "created"),
        (2, "rejected"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "rejected"),
        (6, "rejected"),
    ]
    assert result.rows[1].errors == {"credit_code": ["统一社会信用代码校验位错误，请核对后重新输入"]}
    assert result.rows[2].errors == {"penalty_kinds": ["无法识别的处罚种类：flogging"]}
    assert result.rows[3].errors == {"amount": ["处罚种类含罚款时，请填写罚没金额。"]}
    assert result.rows[4].errors == {"record_date": ["日期不能晚于今天。"], "inspection_result": ["请选择检查结果。"]}
    assert result.rows[5].errors == {"source_id": ["同一批次中来源记录编号重复。"]}
    assert list(PooledRecord.objects.values_list("source_id", flat=True)) == ["L1"]


def test_unknown_credit_code_waits_in_the_queue_and_is_matched_after_registration(w: RecordsWorld) -> None:
    code = unknown_code()
    result = ingest(w, [licence_row("L9", code)])
    assert [(r.outcome, r.matched) for r in result.rows] == [("created", False)]
    record = PooledRecord.objects.get()
    assert (record.entity_id, record.credit_code) == (None, code)
    assert records.records_match_pending(system_actor("test"), credit_code=code) == 0
    entity = new_entity()
    entity.credit_code = code
    entity.save()
    assert records.records_match_pending(system_actor("test")) == 1
    record.refresh_from_db()
    assert (record.entity_id, record.revision) == (entity.pk, 1)
    assert record.matched_at is not None
    assert AuditEntry.objects.filter(action="market.record_match", target_id=str(record.pk)).count() == 1


def test_a_corrected_credit_code_moves_the_record_to_the_right_entity(w: RecordsWorld) -> None:
    other = new_entity()
    ingest(w, [licence_row("L1", other.credit_code)])
    ingest(w, [licence_row("L1", w.entity.credit_code)])
    assert PooledRecord.objects.get().entity_id == w.entity.pk


def test_licence_record_from_case_is_idempotent(w: RecordsWorld) -> None:
    kwargs: dict[str, Any] = {
        "case_number": "310106-2017-0000001",
        "credit_code": w.entity.credit_code,
        "department_id": w.p.department.pk,
        "title": "食品经营许可证",
        "decision_number": "JY13101060000001",
        "issue_date": datetime.date(2017, 4, 1),
        "valid_to": datetime.date(2022, 3, 31),
    }
    first = records.licence_record_from_case(by=system_actor("cases"), **kwargs)
    again = records.licence_record_from_case(by=w.user("clerk"), **kwargs)
    assert (first.outcome, again.outcome, first.record_id) == ("created", "unchanged", again.record_id)
    record = PooledRecord.objects.get()
    assert (record.channel, record.source_id, record.entity_id, record.valid_from) == (
        "case",
        "310106-2017-0000001",
        w.entity.pk,
        datetime.date(2017, 4, 1),
    )
    with pytest.raises(PermissionDenied):
        records.licence_record_from_case(by=w.user("data_clerk_other"), **kwargs)


def test_a_citizen_cannot_deliver(w: RecordsWorld) -> None:
    with pytest.raises(PermissionDenied) as refused:
        ingest(w, [licence_row("L1", w.entity.credit_code)], who="citizen")
    assert refused.value.code == "records_not_data_clerk"
    assert PooledRecord.objects.count() == 0


# --------------------------------------------------------------------------- properties
_row_kinds = st.sampled_from(["licence", "penalty", "inspection"])
_builders = {"licence": licence_row, "penalty": penalty_row, "inspection": inspection_row}


class IngestProperties(HypothesisTestCase):
    """Hypothesis: ingest is idempotent, a change is exactly one revision, and every record lands
    under the entity of its credit code (or in the queue when none is registered)."""

    def setUp(self) -> None:
        self.w = build_records_world()
        self.entities = [self.w.entity, new_entity("甲公司"), new_entity("乙公司")]
        self.unknown = [unknown_code(), unknown_code()]

    @given(
        picks=st.lists(
            st.tuples(st.integers(0, 4), _row_kinds, st.integers(0, 30)),
            min_size=1,
            max_size=12,
            unique_by=lambda t: t[2],
        )
    )
    def test_idempotent_and_always_under_the_right_entity(self, picks: list[tuple[int, str, int]]) -> None:
        codes = [e.credit_code for e in self.entities] + self.unknown
        rows = [_builders[kind](f"S{sid}", codes[who]) for who, kind, sid in picks]
        by = self.w.user("data_clerk")
        first = records.records_ingest(by=by, rows=rows, channel=API)
        revisions = RecordRevision.objects.count()
        state = snapshot()
        second = records.records_ingest(by=by, rows=rows, channel=API)
        assert {r.outcome for r in second.rows} == {"unchanged"}
        assert snapshot() == state
        assert RecordRevision.objects.count() == revisions
        by_id = {r.source_id: r.record_id for r in first.rows}
        for who, _kind, sid in picks:
            record = PooledRecord.objects.get(pk=by_id[f"S{sid}"])
            expected = self.entities[who].pk if who < len(self.entities) else None
            assert (record.entity_id, record.credit_code) == (expected, codes[who])

    @given(kind=_row_kinds, title=st.text(alphabet="违法检查许可食品药品", min_size=1, max_size=20))
    def test_a_changed_field_is_exactly_one_revision(self, kind: str, title: str) -> None:
        by = self.w.user("data_clerk")
        code = self.w.entity.credit_code
        records.records_ingest(by=by, rows=[_builders[kind]("X1", code, title="原名称")], channel=API)
        record = PooledRecord.objects.get(source_id="X1")
        result = records.records_ingest(by=by, rows=[_builders[kind]("X1", code, title=title)], channel=API)
        record.refresh_from_db()
        if title == "原名称":
            assert (result.rows[0].outcome, record.revision) == ("unchanged", 1)
        else:
            assert (result.rows[0].outcome, record.revision) == ("corrected", 2)
            assert record.revisions.filter(revision=2).get().changes == {"title": {"before": "原名称", "after": title}}
        assert PooledRecord.objects.filter(source_id="X1").count() == 1


def test_a_clerk_of_two_departments_names_the_department(w: RecordsWorld) -> None:
    from onewindow.accounts.choices import StaffRoleKind
    from onewindow.accounts.testing import StaffRoleFactory

    clerk = w.user("data_clerk")
    StaffRoleFactory.create(user=clerk, role=StaffRoleKind.DATA_CLERK, department=w.p.other_department)
    rows = [licence_row("L1", w.entity.credit_code)]
    with pytest.raises(DomainError) as refused:
        records.records_ingest(by=clerk, rows=rows, channel=API)
    assert (refused.value.status, refused.value.code, list(refused.value.fields)) == (
        422,
        "records_department_required",
        ["department"],
    )
    with pytest.raises(DomainError) as unknown:
        records.records_ingest(by=clerk, rows=rows, channel=API, department="NO-SUCH-DEPT")
    assert unknown.value.code == "records_unknown_department"
    assert PooledRecord.objects.count() == 0
    result = records.records_ingest(by=clerk, rows=rows, channel=API, department=w.p.other_department.code)
    assert (result.department_code, PooledRecord.objects.get().department_id) == (
        w.p.other_department.code,
        w.p.other_department.pk,
    )


def test_registering_the_entity_matches_its_queued_records_at_once(w: RecordsWorld, registry_world: Any) -> None:
    """A record that arrived before the entity waits in the queue; the registration itself attaches
    it (no wait for the periodic job), in the registering transaction."""
    from onewindow.core.actors import SYSTEM
    from onewindow.market.services.registry import entity_register
    from onewindow.market.testing import entity_row

    row = entity_row(name="上海静安先来后到餐饮有限公司")
    ingest(w, [licence_row("EARLY-1", row["credit_code"])])
    record = PooledRecord.objects.get(source_id="EARLY-1")
    assert record.entity_id is None
    profile = entity_register(by=SYSTEM, data=row)
    record.refresh_from_db()
    assert (record.entity_id, record.revision) == (profile.organization_id, 1)
    assert AuditEntry.objects.filter(action="market.record_match", target_id=str(record.pk),
                                     actor_label="market.entity_register").count() == 1
