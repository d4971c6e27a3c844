"""Bulk backfill of crowd counts from CSV (issue #16 part 2): a good file, a bad line (nothing
written, the line named), a BOM, region codes, a re-run that is unchanged, the dry run, and the
``onewindow crowd_backfill`` command."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from onewindow.bigscreen.buckets import local_zone
from onewindow.bigscreen.models import CrowdAreaBucket, CrowdCount, CrowdReport, CrowdRevision, Source
from onewindow.bigscreen.services.backfill import crowd_backfill
from onewindow.bigscreen.testing import NOW, CrowdWorld
from onewindow.core.errors import DomainError

pytestmark = pytest.mark.django_db

GOOD = """bucket_start,zone,origin,present,arrivals
2026-03-02T12:40:00+08:00,plaza66,local,300,30
2026-03-02T12:40:00+08:00,plaza66,domestic,120,12
2026-03-02T12:40:00+08:00,citic,international,8,1
2026-03-02T04:45:00Z,plaza66,local,310,31
2026-03-02T12:45:00+08:00,plaza66,US,4,0
2026-03-02T12:45:00+08:00,plaza66,JP,3,1

2026-03-02T12:50:00+08:00,zhangyuan,310106,50,5
2026-03-02T12:50:00+08:00,zhangyuan,HK,6,2
"""


def at(hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(2026, 3, 2, hour, minute, tzinfo=local_zone())


def state() -> Any:
    return (sorted(CrowdReport.objects.values_list("pk", "bucket_start", "revision", "digest")),
            sorted(CrowdRevision.objects.values_list("pk", "revision")),
            sorted(CrowdCount.objects.values_list("report_id", "zone_id", "origin", "present")),
            sorted(CrowdAreaBucket.objects.values_list("bucket_start", "present", "sources")),
            sorted(Source.objects.values_list("pk", "last_bucket_start", "last_received_at")))


def test_a_good_file_is_grouped_into_one_report_per_bucket(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    result = crowd_backfill(source=w.source, data=GOOD.encode(), now=NOW)
    assert (result.rows, result.reports, result.created, result.unchanged, result.corrected) == (8, 3, 3, 0, 0)
    assert sorted(CrowdAreaBucket.objects.values_list("bucket_start", "present", "arrivals")) == [
        (at(12, 40), 428, 43), (at(12, 45), 317, 32), (at(12, 50), 56, 7)]
    assert sorted(CrowdCount.objects.filter(report__bucket_start=at(12, 45)).values_list("origin", "present")) == [
        ("international", 7), ("local", 310)]
    assert set(CrowdRevision.objects.values_list("via", flat=True)) == {"csv"}
    assert Source.objects.get(pk=w.source.pk).last_bucket_start == at(12, 50)
    # the same file again: every report unchanged, nothing written
    before = state()
    again = crowd_backfill(source=w.source, data=GOOD.encode(), now=NOW + datetime.timedelta(minutes=1))
    assert (again.created, again.unchanged, again.corrected) == (0, 3, 0)
    assert state() == before
    # one bucket changed: that report corrected (revision 2), the others unchanged
    changed = GOOD.replace("citic,international,8,1", "citic,international,9,1")
    third = crowd_backfill(source=w.source, data=changed, now=NOW + datetime.timedelta(minutes=2))
    assert (third.created, third.unchanged, third.corrected) == (0, 2, 1)
    assert CrowdReport.objects.get(bucket_start=at(12, 40)).revision == 2


def test_a_bom_is_read_as_utf8(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    result = crowd_backfill(source=w.source, data=b"\xef\xbb\xbf" + GOOD.encode(), now=NOW)
    assert (result.rows, result.reports, result.created) == (8, 3, 3)
    assert crowd_backfill(source=w.source, data="\ufeff" + GOOD, now=NOW).unchanged == 3


@pytest.mark.parametrize(("old", "new", "code", "field"), [
    ("plaza66,JP,3,1", "plaza66,JP,-3,1", "crowd_count_negative", "lines[7].present"),
    ("plaza66,JP,3,1", "plaza66,JP,3,1.5", "crowd_count_not_integer", "lines[7].arrivals"),
    ("plaza66,JP,3,1", "plaza66,JP,3,", "crowd_count_missing", "lines[7].arrivals"),
    ("plaza66,JP,3,1", "plaza66,JP,10001,1", "crowd_count_absurd", "lines[7].present"),
    ("plaza66,JP,3,1", "ifc,JP,3,1", "crowd_zone_unknown", "lines[7].zone"),
    ("plaza66,JP,3,1", "plaza66,日本,3,1", "crowd_region_invalid", "lines[7].origin"),
    ("plaza66,JP,3,1", "plaza66,US,3,1", "crowd_count_duplicate", "lines[7]"),
    ("2026-03-02T12:50:00+08:00,zhangyuan,HK", "2026-03-02T12:52:00+08:00,zhangyuan,HK", "crowd_bucket_misaligned",
     "lines[10].bucket_start"),
    ("2026-03-02T12:50:00+08:00,zhangyuan,HK", "2026-03-02T13:50:00+08:00,zhangyuan,HK", "crowd_bucket_future",
     "lines[10].bucket_start"),
    ("2026-03-02T12:50:00+08:00,zhangyuan,HK", "yesterday,zhangyuan,HK", "crowd_bucket_invalid",
     "lines[10].bucket_start"),
    ("2026-03-02T12:50:00+08:00,zhangyuan,HK,6,2", "2026-03-02T12:50:00+08:00,zhangyuan", "crowd_csv_invalid",
     "lines[10]"),
    ("bucket_start,zone,origin,present,arrivals", "bucket_start,zone,origin,present", "crowd_csv_invalid",
     "lines[1]"),
])
def test_one_bad_line_refuses_the_whole_file_and_names_the_line(crowd_world: CrowdWorld, old: str, new: str,
                                                                  code: str, field: str) -> None:
    w = crowd_world
    assert old in GOOD
    before = state()
    with pytest.raises(DomainError) as caught:
        crowd_backfill(source=w.source, data=GOOD.replace(old, new).encode(), now=NOW)
    assert (caught.value.code, caught.value.status, list(caught.value.fields)) == (code, 422, [field])
    assert state() == before


def test_files_that_are_not_utf8_or_have_no_rows_are_refused(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    for data, code, field in ((GOOD.replace("JP", "日本").encode("gbk"), "crowd_csv_encoding", "file"),
                              (b"", "crowd_csv_invalid", "lines[1]"),
                              (b"bucket_start,zone,origin,present,arrivals\n\n", "crowd_csv_invalid", "lines[2]")):
        with pytest.raises(DomainError) as caught:
            crowd_backfill(source=w.source, data=data, now=NOW)
        assert (caught.value.code, list(caught.value.fields)) == (code, [field])
    assert CrowdReport.objects.count() == 0


def test_dry_run_writes_nothing(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    result = crowd_backfill(source=w.source, data=GOOD, dry_run=True, now=NOW)
    assert (result.reports, result.created, result.dry_run) == (3, 3, True)
    assert state() == ([], [], [], [], sorted(Source.objects.values_list("pk", "last_bucket_start",
                                                                         "last_received_at")))
    assert CrowdReport.objects.count() == 0


def test_the_command(crowd_world: CrowdWorld, tmp_path: Path) -> None:
    w = crowd_world
    path = tmp_path / "counts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    out = StringIO()
    call_command("crowd_backfill", str(path), "--source", str(w.source.pk), "--dry-run", "--quiet", stdout=out)
    assert out.getvalue().startswith("dry run, nothing written: nanjingxilu 8 rows, 3 reports: 3 created, "
                                     "0 corrected, 0 unchanged in ")
    assert CrowdReport.objects.count() == 0
    out = StringIO()
    call_command("crowd_backfill", str(path), "--source", str(w.source.pk), "--quiet", stdout=out)
    assert out.getvalue().startswith("nanjingxilu 8 rows, 3 reports: 3 created, 0 corrected, 0 unchanged in ")
    assert CrowdReport.objects.count() == 3
    path.write_text(GOOD.replace("plaza66,JP,3,1", "plaza66,JP,-3,1"), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("crowd_backfill", str(path), "--source", str(w.source.pk), "--quiet")
    assert str(caught.value) == ("crowd_count_negative: CSV 文件第 7 行有误，整个文件未导入。 "
                                 "lines[7].present: 人数不能为负数。")
    with pytest.raises(CommandError, match="no crowd source with id 999999"):
        call_command("crowd_backfill", str(path), "--source", "999999", "--quiet")
    with pytest.raises(CommandError, match="no such file"):
        call_command("crowd_backfill", str(tmp_path / "missing.csv"), "--source", str(w.source.pk))
