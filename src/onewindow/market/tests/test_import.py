"""Bulk import of the registry: good rows imported, bad rows reported, idempotent by credit code,
GBK files read, wrong columns refused with nothing written."""

from __future__ import annotations

import datetime
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from onewindow.accounts.models import Organization
from onewindow.accounts.sample_identifiers import sample_resident_id
from onewindow.core.actors import system_actor
from onewindow.core.errors import PermissionDenied
from onewindow.core.models import AuditEntry
from onewindow.market.models import EntityImport, EntityProfile, EntitySearchKey, EntityVersion, FormerName
from onewindow.market.services import COLUMNS, ImportRefused, entities_import
from onewindow.market.testing import RegistryWorld, csv_bytes, entity_row

pytestmark = pytest.mark.django_db
SYSTEM = system_actor("test_import")


def _import(data: bytes, name: str = "entities.csv", **kwargs: object) -> EntityImport:
    return entities_import(by=SYSTEM, file=io.BytesIO(data), file_name=name, **kwargs)  # type: ignore[arg-type]


def _state() -> tuple[int, int, int, int]:
    return (Organization.objects.count(), EntityProfile.objects.count(), EntityVersion.objects.count(),
            EntitySearchKey.objects.count())


def test_100_rows_with_3_bad_import_97_and_report_3(registry_world: RegistryWorld) -> None:
    rows = [entity_row() for _ in range(100)]
    rows[9]["credit_code"] = rows[9]["credit_code"][:-1] + ("0" if rows[9]["credit_code"][-1] != "0" else "1")
    rows[49]["industry_code"] = "9999"
    rows[89]["street_code"] = "310106999"
    run = _import(csv_bytes(rows), chunk=30)
    assert (run.status, run.rows_total, run.rows_created, run.rows_updated, run.rows_unchanged, run.rows_failed) == (
        "done", 100, 97, 0, 0, 3)
    assert [(e["line"], e["field"], e["code"]) for e in run.errors] == [
        (11, "credit_code", "credit_code_checksum"), (51, "industry_code", "market_industry_unknown"),
        (91, "street_code", "market_region_unknown")]
    assert EntityProfile.objects.count() == 97
    assert not Organization.objects.filter(credit_code=rows[9]["credit_code"]).exists()
    assert EntityVersion.objects.filter(kind="registered").count() == 97
    assert run.encoding == "utf-8-sig"
    assert AuditEntry.objects.filter(action="market.entities_import_chunk").count() == 4
    assert AuditEntry.objects.get(action="market.entities_import").after["created"] == 97


def test_gbk_file_from_excel_is_read(registry_world: RegistryWorld) -> None:
    rows = [entity_row(name="上海静安珺璟餐饮有限公司", address="上海市静安区芷江西路"), entity_row()]
    run = _import(csv_bytes(rows, encoding="gbk"))
    assert (run.encoding, run.rows_created, run.rows_failed) == ("gb18030", 2, 0)
    assert Organization.objects.get(credit_code=rows[0]["credit_code"]).name == "上海静安珺璟餐饮有限公司"


def test_field_names_header_and_xlsx(registry_world: RegistryWorld) -> None:
    rows = [entity_row(), entity_row()]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([name for name, _label in COLUMNS])
    for row in rows:
        sheet.append([row[name] for name, _label in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    run = _import(out.getvalue(), "entities.xlsx")
    assert (run.encoding, run.rows_created, run.rows_failed) == ("xlsx", 2, 0)


@pytest.mark.parametrize(("data", "name", "code"), [
    ("统一社会信用代码,名称\n91310106MA1FL0000X,x\n".encode(), "a.csv", "market_import_columns"),
    (b"\xff\xfe\x00\x00garbage\x81\x30", "a.csv", "market_import_encoding"),
    (b"", "a.csv", "market_import_empty"),
    (b"not a workbook", "a.xlsx", "market_import_format"),
    (b"x", "a.txt", "market_import_format"),
])
def test_wrong_files_are_refused_with_nothing_written(registry_world: RegistryWorld, data: bytes, name: str,
                                                      code: str) -> None:
    before = (_state(), EntityImport.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ImportRefused) as err:
        _import(data, name)
    assert (err.value.code, err.value.status) == (code, 422)
    assert (_state(), EntityImport.objects.count(), AuditEntry.objects.count()) == before


def test_columns_message_lists_the_expected_columns(registry_world: RegistryWorld) -> None:
    with pytest.raises(ImportRefused) as err:
        _import("名称,住所\nx,y\n".encode())
    assert "统一社会信用代码、注册号、名称、主体类型" in str(err.value.message)


def test_changed_rows_update_with_a_version_and_unchanged_rows_write_nothing(registry_world: RegistryWorld) -> None:
    rows = [entity_row(name="上海静安宏达贸易有限公司"), entity_row(), entity_row()]
    _import(csv_bytes(rows))
    rows[0]["name"] = "上海静安恒通贸易有限公司"
    # A change inside the masked middle of the ID number is a change too (compared in clear).
    rows[1]["legal_rep_id_number"] = sample_resident_id("310106", datetime.date(1970, 5, 5), 7)
    run = _import(csv_bytes(rows))
    assert (run.rows_created, run.rows_updated, run.rows_unchanged, run.rows_failed) == (0, 2, 1, 0)
    imported = EntityVersion.objects.filter(kind="imported").order_by("organization_id")
    assert list(imported.values_list("organization__credit_code", flat=True)) == [r["credit_code"] for r in rows[:2]]
    assert list(FormerName.objects.values_list("name", flat=True)) == ["上海静安宏达贸易有限公司"]
    profile = EntityProfile.objects.get(organization__credit_code=rows[1]["credit_code"])
    assert profile.legal_rep_id_number == rows[1]["legal_rep_id_number"]
    assert EntityProfile.objects.filter(legal_rep_id_number_hash=profile.legal_rep_id_number_hash).count() == 1
    keys = set(EntitySearchKey.objects.filter(organization__credit_code=rows[0]["credit_code"])
               .values_list("key", flat=True))
    assert "恒通贸易有限公司" in keys and "宏达贸易有限公司" not in keys


def test_duplicate_code_in_one_chunk_reports_the_later_line(registry_world: RegistryWorld) -> None:
    row = entity_row()
    run = _import(csv_bytes([row, entity_row(credit_code=row["credit_code"])]))
    assert (run.rows_created, run.rows_failed) == (1, 1)
    assert [(e["line"], e["code"]) for e in run.errors] == [(3, "market_import_duplicate")]


def test_a_decoding_failure_midway_keeps_the_written_chunks(registry_world: RegistryWorld) -> None:
    # Larger than the first bytes read for detection and than the text reader's buffer, so the
    # bad bytes at the end are met after whole chunks have been written.
    good = csv_bytes([entity_row() for _ in range(120)])
    from onewindow.core import tabular

    sniff = tabular.SNIFF_BYTES
    tabular.SNIFF_BYTES = 4096
    try:
        run = _import(good + b"\xff\xff\xff,\n", chunk=20)
    finally:
        tabular.SNIFF_BYTES = sniff
    assert run.status == "failed"
    assert run.rows_created == EntityProfile.objects.count()
    assert run.rows_created >= 20 and run.rows_created % 20 == 0
    assert "无法按 utf-8-sig 解码" in run.message


def test_only_registrars_import(registry_world: RegistryWorld) -> None:
    with pytest.raises(PermissionDenied):
        entities_import(by=registry_world.user("regulator"), file=io.BytesIO(csv_bytes([entity_row()])),
                        file_name="a.csv")
    assert EntityImport.objects.count() == 0


names = st.text(alphabet="宏达恒通贸易餐饮科技静安华美佳禾信息咨询", min_size=2, max_size=8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=st.lists(st.tuples(names, st.sampled_from(["5211", "62", "6232", "7212"]),
                               st.sampled_from(["310106012", "310106021", ""]),
                               st.decimals(min_value=0, max_value=100000, places=2)), min_size=1, max_size=8))
def test_importing_the_same_file_twice_gives_the_same_rows_and_no_new_versions(
        registry_world: RegistryWorld, spec: list[tuple[str, str, str, object]]) -> None:
    rows = [entity_row(name=f"上海{name}有限公司", industry_code=industry, street_code=street,
                       registered_capital=str(capital)) for name, industry, street, capital in spec]
    data = csv_bytes(rows)
    first = _import(data)
    assert (first.rows_created, first.rows_failed) == (len(rows), 0)
    codes = [r["credit_code"] for r in rows]
    snapshot = list(EntityProfile.objects.filter(organization__credit_code__in=codes).order_by("pk").values())
    keys = list(EntitySearchKey.objects.filter(organization__credit_code__in=codes).order_by("key", "organization")
                .values_list("key", "organization"))
    versions = EntityVersion.objects.count()
    second = _import(data)
    assert (second.rows_created, second.rows_updated, second.rows_unchanged) == (0, 0, len(rows))
    assert list(EntityProfile.objects.filter(organization__credit_code__in=codes).order_by("pk").values()) == snapshot
    assert list(EntitySearchKey.objects.filter(organization__credit_code__in=codes).order_by("key", "organization")
                .values_list("key", "organization")) == keys
    assert EntityVersion.objects.count() == versions


def test_personal_fields_are_encrypted_at_rest_after_a_bulk_import(registry_world: RegistryWorld) -> None:
    from django.db import connection

    from onewindow.core import crypto

    row = entity_row()
    _import(csv_bytes([row]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_rep_id_number, legal_rep_phone, legal_rep_id_number_hash FROM "
                       "market_entityprofile")
        stored_id, stored_phone, stored_hash = cursor.fetchone()
    assert row["legal_rep_id_number"] not in stored_id and row["legal_rep_phone"] not in stored_phone
    assert crypto.decrypt(stored_id) == row["legal_rep_id_number"]
    assert stored_hash == crypto.keyed_hash(row["legal_rep_id_number"])
    profile = EntityProfile.objects.get()
    assert EntityProfile.objects.filter(legal_rep_id_number_hash=profile.legal_rep_id_number_hash).count() == 1
