"""Crowd-flow ingest (issue #16 part 2 and "Bad input"): the bucket grid and skew, the origin rule,
idempotency with corrections kept as revisions, late data recomputing its own bucket, the merge of
two sources, every refusal (with nothing written), the batch, and the statement count."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onewindow.bigscreen import buckets
from onewindow.bigscreen.choices import OriginClass
from onewindow.bigscreen.models import Area, CrowdAreaBucket, CrowdCount, CrowdReport, CrowdRevision, Source
from onewindow.bigscreen.origins import check_origin_rule, origin_of
from onewindow.bigscreen.services import ingest
from onewindow.bigscreen.testing import NOW, CrowdWorld
from onewindow.core.errors import DomainError

pytestmark = pytest.mark.django_db

B1255 = "2026-03-02T12:55:00+08:00"
B1250 = "2026-03-02T12:50:00+08:00"
SH = buckets.local_zone()


def at(hour: int, minute: int, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, 2, hour, minute, second, tzinfo=SH)


def grid(**zones: tuple[int, int, int]) -> list[dict[str, Any]]:
    """Counts by class: zone=(local, domestic, international) present; arrivals = present // 10."""
    rows = []
    for zone, values in zones.items():
        for origin, present in zip(OriginClass.values, values, strict=True):
            rows.append({"zone": zone, "origin": origin, "present": present, "arrivals": present // 10})
    return rows


def send(w: CrowdWorld, counts: Any, bucket: Any = B1255, *, now: datetime.datetime = NOW,
         source: Source | None = None, area: Any = "nanjingxilu") -> ingest.IngestResult:
    return ingest.crowd_report_ingest(source=source or w.source, area_code=area, bucket_start=bucket,
                                      counts=counts, now=now)


def state() -> Any:
    """Every row the ingest writes, to assert that a refusal left them as they were."""
    return (sorted(CrowdReport.objects.values_list("pk", "source_id", "bucket_start", "revision", "digest")),
            sorted(CrowdRevision.objects.values_list("pk", "revision", "digest")),
            sorted(CrowdCount.objects.values_list("report_id", "zone_id", "origin", "present", "arrivals")),
            sorted(CrowdAreaBucket.objects.values_list("area_id", "bucket_start", "present", "arrivals", "sources")),
            sorted(Source.objects.values_list("pk", "last_bucket_start", "last_received_at")))


# ---- the bucket grid ----------------------------------------------------------------------------

def test_bucket_align_normalises_any_offset_to_the_shanghai_grid() -> None:
    for sent in ("2026-03-02T12:55:00+08:00", "2026-03-02T04:55:00Z", "2026-03-02T04:55:00+00:00",
                 "2026-03-02T13:55:00+09:00", "2026-03-02T12:55:00", "2026-03-02T12:55:00.999+08:00",
                 at(12, 55), datetime.datetime(2026, 3, 2, 4, 55, tzinfo=datetime.UTC)):
        start = buckets.bucket_align(sent, bucket_minutes=5, now=NOW)
        assert start == at(12, 55)
        assert buckets.bucket_iso(start) == "2026-03-02T12:55:00+08:00"


@pytest.mark.parametrize(("sent", "code"), [
    ("2026-03-02T12:56:00+08:00", "crowd_bucket_misaligned"),
    ("2026-03-02T12:55:30+08:00", "crowd_bucket_misaligned"),
    ("2026-03-02T04:57:00Z", "crowd_bucket_misaligned"),
    ("2026-03-02 noon", "crowd_bucket_invalid"),
    ("", "crowd_bucket_invalid"),
    (None, "crowd_bucket_invalid"),
    (1772427300, "crowd_bucket_invalid"),
    ("0001-01-01T00:00:00+08:00", "crowd_bucket_too_old"),
    ("2026-03-02T13:00:00+08:00", "crowd_bucket_future"),  # ends 13:05 > 13:02 + 2 min
    ("2027-03-02T12:55:00+08:00", "crowd_bucket_future"),
])
def test_bucket_align_refusals(sent: Any, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        buckets.bucket_align(sent, bucket_minutes=5, now=NOW)
    assert (caught.value.code, caught.value.status, list(caught.value.fields)) == (code, 422, ["bucket_start"])


def test_clock_skew_up_to_two_minutes_is_accepted() -> None:
    # the bucket 13:00–13:05 at 13:03:00: its end is exactly now + 120 s
    assert buckets.bucket_align("2026-03-02T13:00:00+08:00", bucket_minutes=5, now=at(13, 3)) == at(13, 0)
    with pytest.raises(DomainError) as caught:
        buckets.bucket_align("2026-03-02T13:00:00+08:00", bucket_minutes=5, now=at(13, 2, 59))
    assert caught.value.code == "crowd_bucket_future"


def test_grid_of_other_bucket_sizes() -> None:
    assert buckets.is_aligned(at(12, 45), 15) and not buckets.is_aligned(at(12, 50), 15)
    assert buckets.bucket_floor(at(12, 59, 59), 15) == at(12, 45)
    assert buckets.bucket_floor(at(0, 3), 5) == at(0, 0)


# ---- the origin rule ---------------------------------------------------------------------------

def test_origin_rule_default() -> None:
    assert [origin_of(code) for code in ("31", "310106", "3101", "32", "320102", "11", "hk", "MO", "TW", "US",
                                         "JP", "CN")] == [
        "local", "local", "local", "domestic", "domestic", "domestic", "domestic", "domestic", "domestic",
        "international", "international", "international"]


def test_origin_rule_exact_beats_prefix_and_longest_prefix_wins(settings: Any) -> None:
    settings.BIGSCREEN_ORIGIN_RULE = {"local": ["31", "320*"], "domestic": ["3*", "JP"]}
    assert [origin_of(c) for c in ("31", "310106", "32", "3205", "320583", "JP", "33", "11")] == [
        "local", "local", "domestic", "local", "local", "domestic", "domestic", "international"]


def test_origin_rule_naming_an_unknown_class_is_a_clear_error(settings: Any) -> None:
    settings.BIGSCREEN_ORIGIN_RULE = {"local": ["31"], "overseas": ["US"]}
    assert check_origin_rule() == [
        "BIGSCREEN_ORIGIN_RULE names the origin class 'overseas'; the classes are local, domestic, international."]
    with pytest.raises(ImproperlyConfigured):
        origin_of("31")
    settings.BIGSCREEN_ORIGIN_RULE = {"local": ["31"], "domestic": ["31"]}
    assert check_origin_rule() == ["BIGSCREEN_ORIGIN_RULE puts '31' in both local and domestic."]


# ---- idempotency, corrections, merged figures -------------------------------------------------

def test_first_send_creates_the_report_revision_counts_and_bucket(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    result = send(w, grid(plaza66=(300, 200, 20), citic=(100, 50, 5)))
    assert (result.status, result.revision) == ("created", 1)
    report = CrowdReport.objects.get()
    assert (report.source_id, report.area_id, report.bucket_start, report.revision) == (
        w.source.pk, w.area.pk, at(12, 55), 1)
    revision = CrowdRevision.objects.get()
    assert (revision.revision, revision.via, revision.digest) == (1, "api", report.digest)
    assert revision.counts == [
        {"zone": "citic", "origin": "domestic", "present": 50, "arrivals": 5},
        {"zone": "citic", "origin": "international", "present": 5, "arrivals": 0},
        {"zone": "citic", "origin": "local", "present": 100, "arrivals": 10},
        {"zone": "plaza66", "origin": "domestic", "present": 200, "arrivals": 20},
        {"zone": "plaza66", "origin": "international", "present": 20, "arrivals": 2},
        {"zone": "plaza66", "origin": "local", "present": 300, "arrivals": 30}]
    assert CrowdCount.objects.count() == 6
    bucket = CrowdAreaBucket.objects.get()
    assert (bucket.bucket_start, bucket.present, bucket.arrivals, bucket.sources) == (at(12, 55), 675, 67, 1)
    assert bucket.by_origin == {"local": {"present": 400, "arrivals": 40},
                                "domestic": {"present": 250, "arrivals": 25},
                                "international": {"present": 25, "arrivals": 2}}
    assert bucket.by_zone == {"citic": {"present": 155, "arrivals": 15}, "plaza66": {"present": 520, "arrivals": 52}}
    source = Source.objects.get(pk=w.source.pk)
    assert (source.last_bucket_start, source.last_received_at) == (at(12, 55), NOW)


def test_resend_is_unchanged_and_a_changed_send_is_a_correction_with_history(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    send(w, grid(plaza66=(300, 200, 20)))
    before = state()
    # the same counts in another order, and by another offset of the same instant: unchanged
    again = send(w, list(reversed(grid(plaza66=(300, 200, 20)))), "2026-03-02T04:55:00Z",
                 now=NOW + datetime.timedelta(seconds=30))
    assert (again.status, again.revision) == ("unchanged", 1)
    assert state() == before
    later = NOW + datetime.timedelta(seconds=40)
    fixed = send(w, grid(plaza66=(310, 200, 20)), now=later)
    assert (fixed.status, fixed.revision) == ("corrected", 2)
    assert list(CrowdRevision.objects.order_by("revision").values_list("revision", flat=True)) == [1, 2]
    assert CrowdRevision.objects.get(revision=1).counts[2]["present"] == 300
    assert sorted(CrowdCount.objects.values_list("origin", "present")) == [
        ("domestic", 200), ("international", 20), ("local", 310)]
    assert CrowdAreaBucket.objects.get().present == 530
    assert CrowdReport.objects.get().received_at == later


def test_late_data_recomputes_its_own_bucket_only(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    send(w, grid(plaza66=(300, 200, 20)))
    newest = CrowdAreaBucket.objects.get(bucket_start=at(12, 55))
    computed = newest.computed_at
    send(w, grid(plaza66=(100, 10, 1)), "2026-03-02T09:00:00+08:00", now=NOW + datetime.timedelta(minutes=1))
    assert sorted(CrowdAreaBucket.objects.values_list("bucket_start", "present")) == [
        (at(9, 0), 111), (at(12, 55), 520)]
    assert CrowdAreaBucket.objects.get(bucket_start=at(12, 55)).computed_at == computed
    # late data never moves the source's latest bucket back
    assert Source.objects.get(pk=w.source.pk).last_bucket_start == at(12, 55)


def test_two_sources_of_one_zone_the_report_received_last_wins(crowd_world: CrowdWorld) -> None:
    from onewindow.bigscreen.testing import make_source

    w = crowd_world
    second, _bearer = make_source(w.area, "运营商B")
    send(w, grid(plaza66=(300, 200, 20), citic=(100, 0, 0)))
    send(w, grid(plaza66=(330, 210, 21), zhangyuan=(50, 5, 0)), source=second, now=NOW + datetime.timedelta(seconds=5))
    bucket = CrowdAreaBucket.objects.get()
    assert bucket.by_zone == {"citic": {"present": 100, "arrivals": 10}, "plaza66": {"present": 561, "arrivals": 56},
                              "zhangyuan": {"present": 55, "arrivals": 5}}
    assert (bucket.present, bucket.sources) == (716, 2)
    # the first source corrects its plaza66 counts: now it was received last
    send(w, grid(plaza66=(301, 200, 20), citic=(100, 0, 0)), now=NOW + datetime.timedelta(seconds=9))
    bucket.refresh_from_db()
    assert bucket.by_zone["plaza66"] == {"present": 521, "arrivals": 52}
    assert bucket.by_origin["local"] == {"present": 451, "arrivals": 45}


def test_counts_by_region_are_summed_into_their_class(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    counts = [{"zone": "plaza66", "region": "31", "present": 100, "arrivals": 10},
              {"zone": "plaza66", "region": "320102", "present": 40, "arrivals": 4},
              {"zone": "plaza66", "region": "HK", "present": 7, "arrivals": 1},
              {"zone": "plaza66", "region": "US", "present": 3, "arrivals": 0},
              {"zone": "plaza66", "region": "JP", "present": 2, "arrivals": 1},
              {"zone": "citic", "origin": "local", "present": 9, "arrivals": 0}]
    send(w, counts)
    assert sorted(CrowdCount.objects.values_list("zone__code", "origin", "present", "arrivals")) == [
        ("citic", "local", 9, 0), ("plaza66", "domestic", 47, 5), ("plaza66", "international", 5, 1),
        ("plaza66", "local", 100, 10)]


def test_statements_of_a_report_of_three_zones_by_three_origins(crowd_world: CrowdWorld,
                                                              django_assert_num_queries: Any) -> None:
    w = crowd_world
    counts = grid(plaza66=(300, 200, 20), citic=(100, 50, 5), zhangyuan=(40, 10, 1))
    with django_assert_num_queries(12) as captured:
        # 1 SELECT the area's zones (validation)
        # 2 SAVEPOINT of the service's transaction
        # 3 SELECT the report FOR UPDATE (absent)
        # 4 SAVEPOINT around the INSERT (a concurrent first send loses inside it)
        # 5 INSERT the report
        # 6 RELEASE that savepoint
        # 7 INSERT the revision (history)
        # 8 INSERT the 9 counts (one bulk statement)
        # 9 SELECT the bucket's current counts (recompute)
        # 10 INSERT … ON CONFLICT UPDATE the area bucket
        # 11 UPDATE the source's marks
        # 12 RELEASE the service's savepoint
        send(w, counts)
    del captured
    with django_assert_num_queries(4):
        # zones, SAVEPOINT, SELECT FOR UPDATE (found, same digest), RELEASE — and nothing else
        # (on SQLite FOR UPDATE is dropped; the statement count is the same)
        assert send(w, counts).status == "unchanged"
    with CaptureQueriesContext(connection) as corrected:
        send(w, grid(plaza66=(301, 200, 20), citic=(100, 50, 5), zhangyuan=(40, 10, 1)),
             now=NOW + datetime.timedelta(seconds=1))
    # zones, SAVEPOINT, SELECT FOR UPDATE, UPDATE report, DELETE counts, INSERT revision, INSERT counts,
    # SELECT counts, upsert bucket, UPDATE source, RELEASE
    assert len(corrected.captured_queries) == 11


# ---- refusals: nothing written -----------------------------------------------------------------

GOOD = {"zone": "plaza66", "origin": "local", "present": 10, "arrivals": 1}


@pytest.mark.parametrize(("area", "bucket", "counts", "code", "status", "field"), [
    ("nanjingxilu", B1255, [{**GOOD, "present": -1}], "crowd_count_negative", 422, "counts[0].present"),
    ("nanjingxilu", B1255, [GOOD, {**GOOD, "origin": "domestic", "arrivals": -3}], "crowd_count_negative", 422,
     "counts[1].arrivals"),
    ("nanjingxilu", B1255, [{**GOOD, "present": 10_001}], "crowd_count_absurd", 422, "counts[0].present"),
    ("nanjingxilu", B1255, [{**GOOD, "zone": "zhangyuan", "arrivals": 2_001}], "crowd_count_absurd", 422,
     "counts[0].arrivals"),
    ("nanjingxilu", B1255, [{"zone": "plaza66", "region": "31", "present": 6_000, "arrivals": 0},
                            {"zone": "plaza66", "region": "310106", "present": 4_001, "arrivals": 0}],
     "crowd_count_absurd", 422, "counts[1]"),
    ("nanjingxilu", B1255, [{**GOOD, "present": 2**40}], "crowd_count_absurd", 422, "counts[0].present"),
    ("nanjingxilu", B1255, [{**GOOD, "present": 1.5}], "crowd_count_not_integer", 422, "counts[0].present"),
    ("nanjingxilu", B1255, [{**GOOD, "present": "10"}], "crowd_count_not_integer", 422, "counts[0].present"),
    ("nanjingxilu", B1255, [{**GOOD, "arrivals": True}], "crowd_count_not_integer", 422, "counts[0].arrivals"),
    ("nanjingxilu", B1255, [{"zone": "plaza66", "origin": "local", "present": 1}], "crowd_count_missing", 422,
     "counts[0].arrivals"),
    ("nanjingxilu", B1255, [], "crowd_counts_required", 422, "counts"),
    ("nanjingxilu", B1255, None, "crowd_counts_required", 422, "counts"),
    ("nanjingxilu", B1255, ["plaza66"], "crowd_count_invalid", 422, "counts[0]"),
    ("nanjingxilu", B1255, [{**GOOD, "zone": "ifc"}], "crowd_zone_unknown", 422, "counts[0].zone"),
    ("nanjingxilu", B1255, [{**GOOD, "origin": "martian"}], "crowd_origin_unknown", 422, "counts[0].origin"),
    ("nanjingxilu", B1255, [{**GOOD, "origin": "LOCAL"}], "crowd_origin_unknown", 422, "counts[0].origin"),
    ("nanjingxilu", B1255, [{**GOOD, "region": "31"}], "crowd_origin_required", 422, "counts[0].origin"),
    ("nanjingxilu", B1255, [{"zone": "plaza66", "present": 1, "arrivals": 0}], "crowd_origin_required", 422,
     "counts[0].origin"),
    ("nanjingxilu", B1255, [{"zone": "plaza66", "region": "上海", "present": 1, "arrivals": 0}],
     "crowd_region_invalid", 422, "counts[0].region"),
    ("nanjingxilu", B1255, [GOOD, dict(GOOD)], "crowd_count_duplicate", 422, "counts[1]"),
    ("nanjingxilu", B1255, [GOOD, {"zone": "plaza66", "region": "31", "present": 1, "arrivals": 0}],
     "crowd_count_duplicate", 422, "counts[1]"),
    ("nanjingxilu", B1255, [{"zone": "plaza66", "region": "US", "present": 1, "arrivals": 0},
                            {"zone": "plaza66", "region": "us", "present": 1, "arrivals": 0}],
     "crowd_count_duplicate", 422, "counts[1]"),
    ("nowhere", B1255, [GOOD], "crowd_area_unknown", 422, "area"),
    (None, B1255, [GOOD], "crowd_area_unknown", 422, "area"),
    ("lujiazui", B1255, [GOOD], "crowd_source_wrong_area", 403, "area"),
    ("nanjingxilu", "2026-03-02T13:00:00+08:00", [GOOD], "crowd_bucket_future", 422, "bucket_start"),
    ("nanjingxilu", "2026-03-02T12:57:00+08:00", [GOOD], "crowd_bucket_misaligned", 422, "bucket_start"),
])
def test_refusals_write_nothing(crowd_world: CrowdWorld, area: Any, bucket: Any, counts: Any, code: str,
                                status: int, field: str) -> None:
    w = crowd_world
    send(w, [GOOD], B1250)
    before = state()
    with pytest.raises(DomainError) as caught:
        send(w, counts, bucket, area=area)
    assert (caught.value.code, caught.value.status, list(caught.value.fields)) == (code, status, [field])
    assert state() == before


def test_an_inactive_area_or_source_is_refused(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    before = state()
    Area.objects.filter(pk=w.area.pk).update(is_active=False)
    w.source.area.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        send(w, [GOOD])
    assert (caught.value.code, caught.value.status) == ("crowd_area_unknown", 422)
    w.source.is_active = False
    with pytest.raises(DomainError) as caught:
        send(w, [GOOD])
    assert (caught.value.code, caught.value.status) == ("crowd_source_inactive", 403)
    assert state() == before


# ---- batch ----------------------------------------------------------------------------------------

def test_batch_writes_all_and_names_the_failing_report(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    reports = [{"area": "nanjingxilu", "bucket_start": f"2026-03-02T12:{m:02d}:00+08:00", "counts": [GOOD]}
               for m in (40, 45, 50)]
    before = state()
    bad = [*reports[:2], {**reports[2], "counts": [GOOD, {**GOOD, "origin": "domestic", "present": -1}]}]
    with pytest.raises(DomainError) as caught:
        ingest.crowd_reports_ingest(source=w.source, reports=bad, now=NOW)
    assert (caught.value.code, caught.value.fields) == ("crowd_count_negative",
                                                        {"reports[2].counts[1].present": ["人数不能为负数。"]})
    assert state() == before
    for broken, code, field in (([*reports, reports[0]], "crowd_batch_duplicate", "reports[3].bucket_start"),
                                ([reports[0], "x"], "crowd_report_invalid", "reports[1]"),
                                ([], "crowd_reports_required", "reports"),
                                ([reports[0]] * 501, "crowd_batch_too_large", "reports"),
                                ([{**reports[0], "area": "lujiazui"}], "crowd_source_wrong_area", "reports[0].area")):
        with pytest.raises(DomainError) as caught:
            ingest.crowd_reports_ingest(source=w.source, reports=broken, now=NOW)
        assert (caught.value.code, list(caught.value.fields)) == (code, [field])
        assert state() == before
    results = ingest.crowd_reports_ingest(source=w.source, reports=reports, now=NOW)
    assert [(r.status, r.revision) for r in results] == [("created", 1)] * 3
    assert CrowdAreaBucket.objects.count() == 3
    assert Source.objects.get(pk=w.source.pk).last_bucket_start == at(12, 50)
    again = ingest.crowd_reports_ingest(source=w.source, reports=reports, now=NOW)
    assert [r.status for r in again] == ["unchanged"] * 3


def test_alerts_are_evaluated_after_commit_for_the_latest_changed_bucket(
        crowd_world: CrowdWorld, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any) -> None:
    w = crowd_world
    calls: list[tuple[int, datetime.datetime]] = []
    monkeypatch.setattr(ingest.alerts, "alerts_evaluate",
                        lambda *, area_id, bucket_start: calls.append((area_id, bucket_start)))
    reports = [{"area": "nanjingxilu", "bucket_start": f"2026-03-02T12:{m:02d}:00+08:00", "counts": [GOOD]}
               for m in (50, 40)]
    with django_capture_on_commit_callbacks(execute=True):
        ingest.crowd_reports_ingest(source=w.source, reports=reports, now=NOW)
    assert calls == [(w.area.pk, at(12, 50))]
    with django_capture_on_commit_callbacks(execute=True):
        send(w, [GOOD], B1250)  # unchanged: nothing to evaluate
    assert calls == [(w.area.pk, at(12, 50))]


# ---- areas, zones and sources (services/sources.py) ---------------------------------------------

def test_admin_registers_an_area_zone_and_source_whose_token_ingests(principals: Any) -> None:
    from django.test import Client

    from onewindow.accounts.models import ApiToken
    from onewindow.bigscreen.models import Zone
    from onewindow.bigscreen.services import sources
    from onewindow.core.models import AuditEntry

    admin = principals.admin
    area = sources.area_create(by=admin, code="xujiahui", name="徐家汇商圈", name_en="Xujiahui", bucket_minutes=15)
    zone = sources.zone_create(by=admin, area=area, code="grand-gateway", name="港汇恒隆", capacity=800,
                               amber_share=0.7, red_share=0.9)
    source, bearer = sources.source_create(by=admin, area=area, name="运营商C")
    token = ApiToken.objects.get(pk=source.token_id)
    assert (token.scopes, token.system_name) == (["crowd:ingest"], "crowd-xujiahui")
    assert list(AuditEntry.objects.filter(action__startswith="bigscreen.").order_by("pk")
                .values_list("action", flat=True)) == [
        "bigscreen.area.create", "bigscreen.zone.create", "bigscreen.source.create"]
    client = Client(headers={"Authorization": f"Bearer {bearer}"})
    start = buckets.bucket_iso(buckets.bucket_floor(datetime.datetime.now(tz=SH) - datetime.timedelta(minutes=30), 15))
    answer = client.post("/api/v1/bigscreen/crowd/reports", content_type="application/json", data={
        "area": "xujiahui", "bucket_start": start,
        "counts": [{"zone": "grand-gateway", "origin": "local", "present": 5, "arrivals": 1}]})
    assert (answer.status_code, answer.json()["status"]) == (201, "created")
    sources.source_deactivate(by=admin, source=source, reason="合同到期")
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert Source.objects.get(pk=source.pk).is_active is False
    answer = client.post("/api/v1/bigscreen/crowd/reports", content_type="application/json", data={
        "area": "xujiahui", "bucket_start": start,
        "counts": [{"zone": "grand-gateway", "origin": "local", "present": 6, "arrivals": 1}]})
    assert (answer.status_code, answer.json()["code"]) == (401, "token_revoked")
    assert Zone.objects.get(pk=zone.pk).capacity == 800


def test_source_services_refusals_change_nothing(principals: Any, crowd_world: CrowdWorld) -> None:
    from onewindow.accounts.models import ApiToken
    from onewindow.bigscreen.models import Zone
    from onewindow.bigscreen.services import sources
    from onewindow.core.models import AuditEntry

    w = crowd_world

    def rows() -> Any:
        return (sorted(Area.objects.values_list("code", "name")), sorted(Zone.objects.values_list("code", "capacity")),
                sorted(Source.objects.values_list("name", "is_active")), ApiToken.objects.count(),
                AuditEntry.objects.count())

    before = rows()
    refusals: list[tuple[Any, str, int]] = [
        (lambda: sources.area_create(by=principals.clerk, code="x", name="X"), "bigscreen_admin_only", 403),
        (lambda: sources.source_create(by=principals.manager, area=w.area, name="X"), "bigscreen_admin_only", 403),
        (lambda: sources.source_deactivate(by=principals.citizen, source=w.source, reason="x"),
         "bigscreen_admin_only", 403),
        (lambda: sources.area_create(by=principals.admin, code="nanjingxilu", name="X"), "bigscreen_area_exists", 409),
        (lambda: sources.area_create(by=principals.admin, code="Bad Code", name="X"), "bigscreen_code_invalid", 422),
        (lambda: sources.area_create(by=principals.admin, code="x", name="X", bucket_minutes=7),
         "bigscreen_number_invalid", 422),
        (lambda: sources.area_create(by=principals.admin, code="x", name=""), "bigscreen_field_required", 422),
        (lambda: sources.zone_create(by=principals.admin, area=w.area, code="plaza66", name="X", capacity=5),
         "bigscreen_zone_exists", 409),
        (lambda: sources.zone_create(by=principals.admin, area=w.area, code="z", name="X", capacity=0),
         "bigscreen_number_invalid", 422),
        (lambda: sources.zone_create(by=principals.admin, area=w.area, code="z", name="X", capacity=5,
                                     amber_share=0.9, red_share=0.8), "bigscreen_share_invalid", 422),
        (lambda: sources.source_create(by=principals.admin, area=w.area, name=" "), "bigscreen_field_required", 422),
        (lambda: sources.source_deactivate(by=principals.admin, source=w.source, reason=""),
         "bigscreen_field_required", 422),
    ]
    for call, code, status in refusals:
        with pytest.raises(DomainError) as caught:
            call()
        assert (caught.value.code, caught.value.status) == (code, status)
        assert rows() == before
    sources.source_deactivate(by=principals.admin, source=w.source, reason="停用")
    after = rows()
    with pytest.raises(DomainError) as caught:
        sources.source_deactivate(by=principals.admin, source=w.source, reason="再次")
    assert (caught.value.code, caught.value.status, rows()) == ("bigscreen_source_inactive", 409, after)


# ---- two identical first sends at once -------------------------------------------------------------

def test_the_loser_of_the_insert_race_answers_unchanged(crowd_world: CrowdWorld,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the second of two simultaneous first sends meets: it found no report, its INSERT is
    refused by the unique key inside a savepoint, and it goes on with the winner's row."""
    w = crowd_world
    send(w, [GOOD])
    before = state()
    monkeypatch.setattr(ingest, "_locked_report", lambda key: None)
    again = send(w, [GOOD], now=NOW + datetime.timedelta(seconds=1))
    assert (again.status, again.revision) == ("unchanged", 1)
    assert state() == before
    fixed = send(w, [{**GOOD, "present": 11}], now=NOW + datetime.timedelta(seconds=2))
    assert (fixed.status, fixed.revision) == ("corrected", 2)


@pytest.mark.django_db(transaction=True)
def test_two_identical_first_sends_at_once_make_one_report() -> None:
    import threading

    from onewindow.bigscreen.testing import build_crowd_world
    from onewindow.core.testing import join_all, start_barrier

    world = build_crowd_world()
    barrier = start_barrier(2)
    results: list[str] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            source = Source.objects.select_related("area").get(pk=world.source.pk)
            barrier.wait()
            results.append(ingest.crowd_report_ingest(source=source, area_code="nanjingxilu", bucket_start=B1255,
                                                      counts=grid(plaza66=(300, 200, 20)), now=NOW).status)
        except Exception as exc:  # the test reports any failure of a thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert errors == []
    assert sorted(results) == ["created", "unchanged"]
    assert (CrowdReport.objects.count(), CrowdRevision.objects.count(), CrowdCount.objects.count()) == (1, 1, 3)
    assert CrowdAreaBucket.objects.get().present == 520


def test_the_system_check_names_a_broken_origin_rule(settings: Any) -> None:
    from django.core.checks import run_checks

    assert [m.id for m in run_checks() if m.id == "bigscreen.E001"] == []
    settings.BIGSCREEN_ORIGIN_RULE = {"local": ["31"], "abroad": ["US"]}
    found = [m for m in run_checks() if m.id == "bigscreen.E001"]
    assert [m.msg for m in found] == [
        "BIGSCREEN_ORIGIN_RULE names the origin class 'abroad'; the classes are local, domestic, international."]
