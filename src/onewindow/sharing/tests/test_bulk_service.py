"""Bulk drops (批量交换, issue #13 part 4): checksum, signature, schema, per-row checks, idempotent loads."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onewindow.accounts.testing import make_credit_code, make_resident_id
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry

from .. import signing
from ..choices import DropStatus, FieldType, ResourceKind
from ..models import BulkDrop, DatasetRow, SigningKey
from ..selectors.bulk import dataset_row_for, drop_repeat_of
from ..services.bulk import MAX_STORED_ERRORS, drop_receive, drop_sign
from .test_bulk_world import HEADER, BulkWorld, bulk, csv_bytes, make_resource, person_row, sha256, xlsx_bytes

__all__ = ["bulk"]
pytestmark = pytest.mark.django_db


def receive(world: BulkWorld, content: bytes, *, name: str = "persons.csv", by: Any = None,
            resource: Any = None, **overrides: Any) -> BulkDrop:
    kwargs = {**world.sign(content), **overrides}
    actor: Any = by or world.user("provider_clerk")
    return drop_receive(by=actor, resource=resource or world.resource, file_name=name,
                        content=content, **kwargs)


def stored(world: BulkWorld) -> dict[str, dict[str, Any]]:
    return {r.row_key: json.loads(r.data) for r in DatasetRow.objects.filter(resource=world.resource)}


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.filter(action__startswith="sharing.drop").values_list("action", flat=True))


def test_a_hundred_rows_with_three_bad_ones_load_ninety_seven_and_report_the_three(bulk: BulkWorld) -> None:
    rows = [person_row(id_number=make_resident_id("310106", serial=i)) for i in range(100)]
    good_id = rows[9]["id_number"]
    rows[9]["id_number"] = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")  # check character wrong
    rows[49]["registered"] = "也许"
    rows[76]["id_number"] = rows[2]["id_number"]  # the key again
    drop = receive(bulk, csv_bytes(rows))
    assert (drop.status, drop.refusal_code) == (DropStatus.LOADED, "")
    assert (drop.rows_total, drop.rows_created, drop.rows_updated, drop.rows_unchanged, drop.rows_failed) == (
        100, 97, 0, 0, 3)
    assert [(e["line"], e["field"], e["code"]) for e in drop.errors] == [
        (11, "id_number", "id_number_checksum"),
        (51, "registered", "sharing_row_boolean"),
        (78, "id_number", "sharing_row_key_duplicate"),
    ]
    assert drop.errors[2]["message"] == "主键与第 4 行重复。"
    assert DatasetRow.objects.filter(resource=bulk.resource).count() == 97
    assert drop.version == bulk.resource.current and drop.created_by == bulk.user("provider_clerk")
    assert drop.actual_sha256 == drop.declared_sha256 and drop.finished_at is not None
    assert audit_actions() == ["sharing.drop_receive"]
    entry = AuditEntry.objects.get(action="sharing.drop_receive")
    assert (entry.target_type, entry.target_id, entry.channel, entry.role) == (
        "sharing.bulkdrop", str(drop.pk), "import", "data_clerk")
    assert entry.after == {"resource": bulk.resource.code, "file": "persons.csv", "sha256": drop.actual_sha256,
                           "kid": bulk.key.kid, "status": "loaded", "refusal_code": "", "total": 100, "created": 97,
                           "updated": 0, "unchanged": 0, "failed": 3}
    first = stored(bulk)[rows[0]["id_number"]]
    assert first == {"id_number": rows[0]["id_number"], "name": "张伟", "district": "310106", "registered": True,
                     "registered_on": "2020-05-01", "household_size": 3, "area": "85.5",
                     "employer": rows[0]["employer"]}


def _refused(world: BulkWorld, drop: BulkDrop, code: str) -> None:
    assert (drop.status, drop.refusal_code) == (DropStatus.REFUSED, code)
    assert (drop.rows_total, drop.rows_created, drop.rows_updated, drop.rows_failed) == (0, 0, 0, 0)
    assert drop.errors[0]["code"] == code
    assert DatasetRow.objects.count() == 0
    assert audit_actions() == ["sharing.drop_receive"]


def test_a_wrong_checksum_refuses_the_whole_file(bulk: BulkWorld) -> None:
    content = csv_bytes([person_row()])
    drop = receive(bulk, content, declared_sha256=sha256(content + b"x"))
    _refused(bulk, drop, "sharing_drop_checksum")
    assert drop.actual_sha256 == sha256(content)


def test_drop_sign_signs_with_the_departments_own_key(bulk: BulkWorld) -> None:
    content = csv_bytes([person_row()])
    signed = drop_sign(department=bulk.department, content=content)
    assert signed == bulk.sign(content)
    assert receive(bulk, content, **signed).status == DropStatus.LOADED


def test_a_malformed_checksum_is_a_wrong_checksum(bulk: BulkWorld) -> None:
    drop = receive(bulk, csv_bytes([person_row()]), declared_sha256="not-a-hash")
    _refused(bulk, drop, "sharing_drop_checksum")


@pytest.mark.parametrize("case", ["other_content", "unknown_kid", "other_department_key", "retired_key",
                                  "missing", "garbage"])
def test_a_signature_that_does_not_verify_refuses_the_whole_file(bulk: BulkWorld, case: str) -> None:
    content = csv_bytes([person_row()])
    good = bulk.sign(content)
    overrides: dict[str, str] = {}
    if case == "other_content":
        overrides["signature"] = signing.sign(bulk.key.private_key, sha256(b"other").encode())
    elif case == "unknown_kid":
        overrides["kid"] = "OW-LOCAL-NOPE-1"
    elif case == "other_department_key":
        private, public = signing.new_key_pair()
        SigningKey.objects.create(kid="OW-LOCAL-OTHER-1", department=bulk.w.outsider, public_key=public,
                                  private_key=private)
        overrides = {"kid": "OW-LOCAL-OTHER-1", "signature": signing.sign(private, good["declared_sha256"].encode())}
    elif case == "retired_key":
        SigningKey.objects.filter(pk=bulk.key.pk).update(active=False)
    elif case == "missing":
        overrides = {"kid": "", "signature": ""}
    else:
        overrides["signature"] = "!!not base64!!"
    drop = receive(bulk, content, **overrides)
    _refused(bulk, drop, "sharing_drop_signature")


@override_settings(SHARING_DROPS_REQUIRE_SIGNATURE=False)
def test_an_unsigned_drop_loads_when_signatures_are_not_required_but_a_bad_one_still_refuses(bulk: BulkWorld) -> None:
    content = csv_bytes([person_row()])
    drop = receive(bulk, content, kid="", signature="")
    assert (drop.status, drop.rows_created) == (DropStatus.LOADED, 1)
    bad = receive(bulk, content, signature=signing.sign(bulk.key.private_key, b"0" * 64))
    assert (bad.status, bad.refusal_code) == (DropStatus.REFUSED, "sharing_drop_signature")
    assert DatasetRow.objects.count() == 1


@pytest.mark.parametrize(("header", "named"), [
    ([n for n in HEADER if n != "district"], "缺少列：district"),
    ([*HEADER, "remarks"], "未知列：remarks"),
    ([*HEADER[:-1], "name"], "重复列：name"),
])
def test_columns_that_are_not_the_catalogue_schema_refuse_the_file_naming_them(
        bulk: BulkWorld, header: list[str], named: str) -> None:
    drop = receive(bulk, csv_bytes([person_row()], header=header))
    _refused(bulk, drop, "sharing_drop_schema")
    assert named in drop.errors[0]["message"] and drop.errors[0]["line"] == 1


def test_the_header_may_use_the_labels_in_any_order(bulk: BulkWorld) -> None:
    labels = {"id_number": "身份证件号码", "name": "姓名"}
    names = list(reversed(HEADER))
    row = person_row()
    content = csv_bytes([{labels.get(n, n): v for n, v in row.items()}], header=[labels.get(n, n) for n in names])
    drop = receive(bulk, content)
    assert (drop.status, drop.rows_created) == (DropStatus.LOADED, 1)
    assert stored(bulk)[row["id_number"]]["name"] == "张伟"


def test_a_gbk_file_loads_with_its_chinese_text(bulk: BulkWorld) -> None:
    row = person_row(name="欧阳娜娜")
    drop = receive(bulk, csv_bytes([row], encoding="gbk"))
    assert (drop.status, drop.rows_created, drop.rows_failed) == (DropStatus.LOADED, 1, 0)
    assert stored(bulk)[row["id_number"]]["name"] == "欧阳娜娜"


def test_an_xlsx_file_loads_with_typed_cells(bulk: BulkWorld) -> None:
    row = person_row(registered=True, registered_on=datetime.date(2021, 3, 4), household_size=4, area=92.25,
                     district="310104")
    drop = receive(bulk, xlsx_bytes([row]), name="persons.xlsx")
    assert (drop.status, drop.rows_created, drop.rows_failed) == (DropStatus.LOADED, 1, 0), drop.errors
    assert stored(bulk)[row["id_number"]] == {
        "id_number": row["id_number"], "name": "张伟", "district": "310104", "registered": True,
        "registered_on": "2021-03-04", "household_size": 4, "area": "92.25", "employer": row["employer"]}


@pytest.mark.parametrize(("content", "name", "code"), [
    (b"%PDF-1.4 not a table", "persons.pdf", "sharing_drop_format"),
    (b"PK\x03\x04 broken workbook", "persons.xlsx", "sharing_drop_format"),
    (b"", "persons.csv", "sharing_drop_empty"),
    (b"id_number,name\n\xff\xfe\xff\x81\x30\xff", "persons.csv", "sharing_drop_encoding"),
])
def test_a_file_that_is_not_a_readable_table_is_refused(bulk: BulkWorld, content: bytes, name: str,
                                                        code: str) -> None:
    _refused(bulk, receive(bulk, content, name=name), code)


def test_a_file_that_stops_decoding_after_good_rows_loads_nothing(bulk: BulkWorld) -> None:
    content = csv_bytes([person_row() for _ in range(3)]) + b"x" * 300_000 + b"\n\xff\xff\xff\n"
    _refused(bulk, receive(bulk, content), "sharing_drop_encoding")


@pytest.mark.parametrize(("column", "value", "code"), [
    ("id_number", "", "sharing_row_key_missing"),
    ("id_number", "12345", "id_number_format"),
    ("employer", "91310106MA1FL00000", "credit_code_checksum"),
    ("employer", "abc", "credit_code_format"),
    ("district", "999999", "sharing_row_region"),
    ("registered", "yes", "sharing_row_boolean"),
    ("registered_on", "2020/05/01", "sharing_row_date"),
    ("registered_on", "2020-02-30", "sharing_row_date"),
    ("household_size", "3.5", "sharing_row_integer"),
    ("household_size", "三", "sharing_row_integer"),
    ("area", "八十", "sharing_row_decimal"),
    ("area", "NaN", "sharing_row_decimal"),
    ("name", "张" * 501, "sharing_row_too_long"),
])
def test_each_field_type_is_checked_per_row(bulk: BulkWorld, column: str, value: str, code: str) -> None:
    drop = receive(bulk, csv_bytes([person_row(), person_row(**{column: value})]))
    assert (drop.status, drop.rows_total, drop.rows_created, drop.rows_failed) == (DropStatus.LOADED, 2, 1, 1)
    assert [(e["line"], e["field"], e["code"]) for e in drop.errors] == [(3, column, code)]


def test_accepted_spellings_are_stored_in_one_form(bulk: BulkWorld) -> None:
    rows = [person_row(registered="否", household_size="１２", area="1.50", name="  李娜  ", registered_on="",
                       employer=""),
            person_row(registered="TRUE", area="100", id_number=make_resident_id("310104").lower())]
    drop = receive(bulk, csv_bytes(rows))
    assert (drop.rows_created, drop.rows_failed) == (2, 0), drop.errors
    data = stored(bulk)
    assert data[rows[0]["id_number"]] | {"id_number": ""} == {
        "id_number": "", "name": "李娜", "district": "310106", "registered": False, "registered_on": None,
        "household_size": 12, "area": "1.5", "employer": None}
    assert data[rows[1]["id_number"].upper()]["registered"] is True
    assert data[rows[1]["id_number"].upper()]["area"] == "100"


def test_a_row_with_more_cells_than_the_header_is_reported(bulk: BulkWorld) -> None:
    row = person_row()
    content = csv_bytes([row]) + (",".join(str(v) for v in person_row().values()) + ",extra\n").encode()
    drop = receive(bulk, content)
    assert [(e["line"], e["code"]) for e in drop.errors] == [(3, "sharing_row_extra_cells")]
    assert drop.rows_created == 1


def test_only_the_first_thousand_errors_are_kept_but_every_failed_row_is_counted(bulk: BulkWorld) -> None:
    rows = [person_row(registered="?") for _ in range(MAX_STORED_ERRORS + 5)]
    drop = receive(bulk, csv_bytes(rows))
    assert (drop.rows_total, drop.rows_failed, drop.rows_created) == (MAX_STORED_ERRORS + 5, MAX_STORED_ERRORS + 5, 0)
    assert len(drop.errors) == MAX_STORED_ERRORS


def test_loading_the_same_file_again_changes_nothing_and_says_which_file_it_repeated(bulk: BulkWorld) -> None:
    rows = [person_row() for _ in range(5)]
    content = csv_bytes(rows)
    first = receive(bulk, content)
    before = {r.pk: (r.digest, r.drop_id, r.updated_at) for r in DatasetRow.objects.all()}
    second = receive(bulk, content)
    assert (second.rows_created, second.rows_updated, second.rows_unchanged) == (0, 0, 5)
    assert {r.pk: (r.digest, r.drop_id, r.updated_at) for r in DatasetRow.objects.all()} == before
    assert drop_repeat_of(second) == first and drop_repeat_of(first) is None
    rows[1]["name"] = "王芳"
    third = receive(bulk, csv_bytes(rows))
    assert (third.rows_created, third.rows_updated, third.rows_unchanged) == (0, 1, 4)
    assert stored(bulk)[rows[1]["id_number"]]["name"] == "王芳"
    assert DatasetRow.objects.get(row_key_hash__isnull=False, drop=third).row_key == rows[1]["id_number"]


def test_the_dataset_row_is_found_by_its_key_for_the_provider(bulk: BulkWorld) -> None:
    row = person_row()
    receive(bulk, csv_bytes([row]))
    found = dataset_row_for(bulk.resource, row["id_number"].lower())
    assert found is not None and found[0]["name"] == "张伟"
    assert dataset_row_for(bulk.resource, make_resident_id("310106")) is None


def test_chunks_of_a_large_file_are_all_written(bulk: BulkWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from ..services import bulk as bulk_services

    monkeypatch.setattr(bulk_services, "CHUNK", 7)
    rows = [person_row(id_number=make_resident_id("310106", serial=i)) for i in range(30)]
    drop = receive(bulk, csv_bytes(rows))
    assert (drop.rows_created, DatasetRow.objects.count()) == (30, 30)


# --------------------------------------------------------------------------- who and what
def test_a_department_admin_and_the_system_may_send_drops(bulk: BulkWorld) -> None:
    assert receive(bulk, csv_bytes([person_row()]), by=bulk.user("provider_admin")).status == DropStatus.LOADED
    drop = receive(bulk, csv_bytes([person_row()]), by=system_actor("sharing_load_drop"))
    assert (drop.status, drop.created_by) == (DropStatus.LOADED, None)


@pytest.mark.parametrize("name", ["clerk", "reviewer", "outsider_admin", "consumer_admin", "consumer_clerk", "admin",
                                  "citizen"])
def test_others_may_not_send_drops_and_nothing_is_stored(bulk: BulkWorld, name: str) -> None:
    with pytest.raises(DomainError) as refused:
        receive(bulk, csv_bytes([person_row()]), by=bulk.user(name))
    assert (refused.value.status, refused.value.code) == (403, "sharing_drop_forbidden")
    assert (BulkDrop.objects.count(), DatasetRow.objects.count(), audit_actions()) == (0, 0, [])


@pytest.mark.parametrize(("kind", "published", "fields", "code"), [
    (ResourceKind.QUERY, True, None, "sharing_drop_not_dataset"),
    (ResourceKind.DATASET, False, None, "sharing_drop_not_published"),
    (ResourceKind.DATASET, True, [{"name": "a", "label": "A", "type": FieldType.STRING, "personal": False,
                                   "key": False}], "sharing_drop_no_key"),
])
def test_a_resource_that_cannot_take_drops_is_refused_and_nothing_is_stored(
        bulk: BulkWorld, kind: str, published: bool, fields: Any, code: str) -> None:
    resource = make_resource(bulk.department, kind=kind, published=published, fields=fields)
    with pytest.raises(DomainError) as refused:
        receive(bulk, csv_bytes([person_row()]), resource=resource)
    assert (refused.value.status, refused.value.code) == (409, code)
    assert (BulkDrop.objects.count(), audit_actions()) == (0, [])


# --------------------------------------------------------------------------- property
_names = st.text(alphabet=st.characters(codec="gbk", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)
_row = st.fixed_dictionaries({
    "name": _names.map(str.strip),
    "district": st.sampled_from(["310106", "310104", ""]),
    "registered": st.sampled_from(["是", "否", "true", "false", ""]),
    "registered_on": st.one_of(st.just(""), st.dates(datetime.date(1950, 1, 1), datetime.date(2030, 12, 31))
                               .map(datetime.date.isoformat)),
    "household_size": st.one_of(st.just(""), st.integers(-10**9, 10**9).map(str)),
    "area": st.one_of(st.just(""), st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False)
                      .map(str)),
})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, min_size=1, max_size=12), serial=st.integers(0, 10**6),
       as_gbk=st.booleans())
def test_loading_any_valid_file_twice_changes_nothing_the_second_time(
        bulk: BulkWorld, rows: list[dict[str, Any]], serial: int, as_gbk: bool) -> None:
    resource = make_resource(bulk.department)
    for index, row in enumerate(rows):
        row["id_number"] = make_resident_id("310106", datetime.date(1980, 1, 1) + datetime.timedelta(days=index),
                                            serial=serial % 500)
        row["employer"] = make_credit_code("310106")
    if as_gbk:  # a GBK file whose bytes are also valid UTF-8 is read as UTF-8 (core.tabular): make it plain GBK
        rows[0]["name"] = "张" + rows[0]["name"]
    content = csv_bytes(rows, encoding="gbk" if as_gbk else "utf-8")
    first = receive(bulk, content, resource=resource)
    assert (first.rows_created, first.rows_failed) == (len(rows), 0), first.errors
    snapshot = {r.pk: (r.data, r.digest, r.drop_id) for r in DatasetRow.objects.filter(resource=resource)}
    second = receive(bulk, content, resource=resource)
    assert (second.rows_created, second.rows_updated, second.rows_unchanged) == (0, 0, len(rows))
    assert {r.pk: (r.data, r.digest, r.drop_id) for r in DatasetRow.objects.filter(resource=resource)} == snapshot
    loaded = {r.row_key: json.loads(r.data) for r in DatasetRow.objects.filter(resource=resource)}
    assert set(loaded) == {row["id_number"] for row in rows}
    for row in rows:
        got = loaded[row["id_number"]]
        assert got["name"] == (row["name"] or None)
        assert got["district"] == (row["district"] or None)
        assert got["registered"] == {"是": True, "true": True, "否": False, "false": False, "": None}[row["registered"]]
        assert got["registered_on"] == (row["registered_on"] or None)
        assert got["household_size"] == (int(row["household_size"]) if row["household_size"] else None)
        assert (got["area"] is None) == (row["area"] == "")
        if row["area"]:
            from decimal import Decimal

            assert Decimal(got["area"]) == Decimal(row["area"])
