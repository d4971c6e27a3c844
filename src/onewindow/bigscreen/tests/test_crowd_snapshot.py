"""The crowd snapshot (issue #16 part 3) on a hand-made history with known means and peaks.

``NOW`` is Monday 2 March 2026, 13:02 Shanghai: the week shown is 24 February – 2 March, and the
same weekday last week is Monday 23 February.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onewindow.bigscreen import redaction
from onewindow.bigscreen.models import CrowdAlert, CrowdAreaBucket, Zone
from onewindow.bigscreen.selectors.crowd import SHANGHAI, crowd_snapshot, estimate_present, zone_level
from onewindow.bigscreen.testing import NOW, CrowdWorld, make_source
from onewindow.core.errors import NotFound

FIVE = datetime.timedelta(minutes=5)


def at(day: int, hour: int, minute: int, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def bucket(world: CrowdWorld, start: datetime.datetime, present: int, *, by_origin: dict[str, int] | None = None,
           by_zone: dict[str, int] | None = None) -> CrowdAreaBucket:
    return CrowdAreaBucket.objects.create(
        area=world.area, bucket_start=start, present=present, arrivals=0, sources=1,
        by_origin={o: {"present": n, "arrivals": 0} for o, n in (by_origin or {}).items()},
        by_zone={z: {"present": n, "arrivals": 0} for z, n in (by_zone or {}).items()})


def fresh(world: CrowdWorld, last: datetime.datetime) -> None:
    world.source.last_bucket_start = last
    world.source.save(update_fields=["last_bucket_start"])


@pytest.fixture
def history(crowd_world: CrowdWorld) -> CrowdWorld:
    w = crowd_world
    # Six full days before today: two buckets at 10:00 each, means 150, 160, … 200.
    for i in range(6):
        day = 24 + i if i < 5 else 1
        month = 2 if i < 5 else 3
        bucket(w, at(day, 10, 0, month), 100 + 10 * i)
        bucket(w, at(day, 10, 5, month), 200 + 10 * i)
    bucket(w, at(25, 15, 0, 2), 40)
    # Last Monday (whole day): 800 twice — the first one is the peak, counted at 11:10.
    bucket(w, at(23, 11, 0, 2), 500)
    bucket(w, at(23, 11, 5, 2), 800)
    bucket(w, at(23, 11, 10, 2), 800)
    bucket(w, at(22, 12, 0, 2), 9999)  # before the window: read by nothing
    # Today.
    bucket(w, at(2, 9, 0), 10)
    bucket(w, at(2, 12, 50), 400, by_origin={"local": 260, "domestic": 130, "international": 10},
           by_zone={"plaza66": 340, "citic": 50, "zhangyuan": 10})
    bucket(w, at(2, 12, 55), 460, by_origin={"local": 300, "domestic": 150, "international": 10},
           by_zone={"plaza66": 400, "citic": 50, "zhangyuan": 10})
    bucket(w, at(2, 13, 5), 9000)  # later than now (a clock running ahead): not read at 13:02
    fresh(w, at(2, 12, 55))
    CrowdAlert.objects.create(area=w.area, zone=w.citic, level="amber", opened_bucket=at(2, 12, 50),
                              peak_share=0.85)
    CrowdAlert.objects.create(area=w.area, zone=w.plaza, level="red", opened_bucket=at(2, 9, 0),
                              peak_share=0.97, closed_at=NOW)  # closed: not shown
    return w


HEATMAP = [[0, 10, 150], [1, 10, 160], [1, 15, 40], [2, 10, 170], [3, 10, 180], [4, 10, 190], [5, 10, 200],
           [6, 9, 10], [6, 12, 430]]
LINE = [["2026-02-24T10:00:00+08:00", 150], ["2026-02-25T10:00:00+08:00", 160], ["2026-02-25T15:00:00+08:00", 40],
        ["2026-02-26T10:00:00+08:00", 170], ["2026-02-27T10:00:00+08:00", 180], ["2026-02-28T10:00:00+08:00", 190],
        ["2026-03-01T10:00:00+08:00", 200], ["2026-03-02T09:00:00+08:00", 10], ["2026-03-02T12:00:00+08:00", 430]]


def expected(*, redacted: bool) -> dict[str, Any]:
    def hide(value: int) -> int | str:
        return "<15" if redacted and value < 15 else value

    return {
        "area": {"code": "nanjingxilu", "name": "南京西路商圈", "name_en": "West Nanjing Road"},
        "bucket_minutes": 5,
        "as_of": "2026-03-02T13:00:00+08:00",
        "stale": False,
        "late_sources": [],
        "redacted": redacted,
        "threshold": 15,
        # 460 at 13:00, +60 per bucket: two minutes later 460 + 60 × 120 / 300 = 484.
        "now": {"present": 484, "estimated": True, "at": "2026-03-02T13:02:00+08:00"},
        "origins": [
            {"origin": "local", "label": "市内", "present": 300, "share": 0.6522},
            {"origin": "domestic", "label": "国内", "present": 150, "share": 0.3261},
            {"origin": "international", "label": "国际", "present": hide(10), "share": None if redacted else 0.0217},
        ],
        "week": {"days": ["2026-02-24", "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01",
                          "2026-03-02"],
                 "heatmap": [[d, h, hide(v)] for d, h, v in HEATMAP],
                 "line": [[h, hide(v)] for h, v in LINE]},
        "peak": {"today": {"present": 460, "at": "2026-03-02T13:00:00+08:00"},
                 "last_week": {"present": 800, "at": "2026-02-23T11:10:00+08:00", "date": "2026-02-23"},
                 "ratio": 0.575},
        "zones": [
            {"code": "plaza66", "name": "恒隆广场", "present": 400, "capacity": 1000, "share": 0.4, "level": "normal"},
            {"code": "citic", "name": "中信泰富", "present": 50, "capacity": 500, "share": 0.1, "level": "normal"},
            {"code": "zhangyuan", "name": "张园", "present": hide(10), "capacity": 200,
             "share": None if redacted else 0.05, "level": "normal"},
        ],
        "alerts": [{"zone": "citic", "level": "amber", "since": "2026-03-02T12:55:00+08:00", "peak_share": 0.85}],
    }


def test_snapshot_of_a_known_week_redacted(history: CrowdWorld) -> None:
    assert crowd_snapshot("nanjingxilu", now=NOW) == expected(redacted=True)


def test_snapshot_unredacted_for_staff(history: CrowdWorld) -> None:
    assert crowd_snapshot("nanjingxilu", now=NOW, redact=False) == expected(redacted=False)


def test_snapshot_reads_in_six_queries(history: CrowdWorld, django_assert_num_queries: Any) -> None:
    # area, zones, active sources, latest two buckets, eight days of (start, present), open alerts
    with django_assert_num_queries(6):
        crowd_snapshot("nanjingxilu", now=NOW)
    for day in range(1, 7):  # more history: still six
        bucket(history, at(day, 8, 0, 1), 1000)
        bucket(history, at(27, 8, 0, 2) + day * FIVE, 1000)
    with django_assert_num_queries(6):
        crowd_snapshot("nanjingxilu", now=NOW)


def test_snapshot_small_peak_and_ratio_redacted(crowd_world: CrowdWorld) -> None:
    bucket(crowd_world, at(23, 11, 0, 2), 100)
    bucket(crowd_world, at(2, 11, 0), 12)
    fresh(crowd_world, at(2, 12, 55))
    peak = crowd_snapshot("nanjingxilu", now=NOW)["peak"]
    assert peak == {"today": {"present": "<15", "at": "2026-03-02T11:05:00+08:00"},
                    "last_week": {"present": 100, "at": "2026-02-23T11:05:00+08:00", "date": "2026-02-23"},
                    "ratio": None}
    assert crowd_snapshot("nanjingxilu", now=NOW, redact=False)["peak"]["ratio"] == 0.12


def test_no_data_gives_nulls_never_zero(crowd_world: CrowdWorld) -> None:
    snap = crowd_snapshot("nanjingxilu", now=NOW)
    assert snap["as_of"] is None
    assert snap["stale"] is True
    assert snap["late_sources"] == ["运营商测试源"]
    assert snap["now"] == {"present": None, "estimated": True, "at": "2026-03-02T13:02:00+08:00"}
    assert snap["origins"] == [{"origin": "local", "label": "市内", "present": None, "share": None},
                               {"origin": "domestic", "label": "国内", "present": None, "share": None},
                               {"origin": "international", "label": "国际", "present": None, "share": None}]
    assert snap["week"]["heatmap"] == [] and snap["week"]["line"] == []
    assert snap["peak"] == {"today": {"present": None, "at": None},
                            "last_week": {"present": None, "at": None, "date": "2026-02-23"}, "ratio": None}
    assert [(z["code"], z["present"], z["share"], z["level"]) for z in snap["zones"]] == [
        ("plaza66", None, None, "normal"), ("citic", None, None, "normal"), ("zhangyuan", None, None, "normal")]
    assert snap["alerts"] == []


def test_a_zone_missing_from_the_latest_bucket_is_unknown_not_zero(crowd_world: CrowdWorld) -> None:
    bucket(crowd_world, at(2, 12, 55), 300, by_origin={"local": 300}, by_zone={"plaza66": 300})
    fresh(crowd_world, at(2, 12, 55))
    snap = crowd_snapshot("nanjingxilu", now=NOW)
    assert [(z["code"], z["present"], z["share"]) for z in snap["zones"]] == [
        ("plaza66", 300, 0.3), ("citic", None, None), ("zhangyuan", None, None)]
    # The origin classes partition the count: a class absent from the bucket had no one.
    assert [(o["present"], o["share"]) for o in snap["origins"]] == [(300, 1.0), ("<15", None), ("<15", None)]


def test_stale_when_one_of_two_sources_is_late(crowd_world: CrowdWorld) -> None:
    other, _ = make_source(crowd_world.area, "运营商B")
    quiet, _ = make_source(crowd_world.area, "停用源")
    quiet.is_active = False
    quiet.save(update_fields=["is_active"])  # inactive: never late
    bucket(crowd_world, at(2, 12, 55), 300)
    fresh(crowd_world, at(2, 12, 55))
    other.last_bucket_start = at(2, 12, 40)  # ends 12:45
    other.save(update_fields=["last_bucket_start"])
    # 13:00: the limit is 12:45, which the bucket reaches: in time.
    on_time = crowd_snapshot("nanjingxilu", now=at(2, 13, 0))
    assert (on_time["stale"], on_time["late_sources"]) == (False, [])
    late = crowd_snapshot("nanjingxilu", now=NOW)  # 13:02: the limit is 12:47
    assert (late["stale"], late["late_sources"]) == (True, ["运营商B"])
    assert late["now"]["present"] == 300  # the data there is still shown


def test_stale_when_the_latest_bucket_is_old_even_without_a_source(crowd_world: CrowdWorld) -> None:
    crowd_world.source.is_active = False
    crowd_world.source.save(update_fields=["is_active"])
    bucket(crowd_world, at(2, 12, 30), 300)
    snap = crowd_snapshot("nanjingxilu", now=NOW)
    assert (snap["stale"], snap["late_sources"], snap["as_of"]) == (True, [], "2026-03-02T12:35:00+08:00")


def test_unknown_or_inactive_area_is_not_found(crowd_world: CrowdWorld) -> None:
    with pytest.raises(NotFound) as unknown:
        crowd_snapshot("nowhere", now=NOW)
    assert (unknown.value.code, unknown.value.status) == ("bigscreen_area_not_found", 404)
    crowd_world.other_area.is_active = False
    crowd_world.other_area.save(update_fields=["is_active"])
    with pytest.raises(NotFound) as inactive:
        crowd_snapshot("lujiazui", now=NOW)
    assert inactive.value.code == "bigscreen_area_not_found"


def test_settings_threshold_when_the_area_sets_none(crowd_world: CrowdWorld) -> None:
    crowd_world.area.redaction_threshold = 0
    crowd_world.area.save(update_fields=["redaction_threshold"])
    bucket(crowd_world, at(2, 12, 55), 40)
    with override_settings(BIGSCREEN_REDACTION_THRESHOLD=50):
        snap = crowd_snapshot("nanjingxilu", now=NOW)
    assert (snap["threshold"], snap["now"]["present"]) == (50, "<50")


# ---- extrapolation ------------------------------------------------------------------------------


def _two(first: int, second: int, *, gap: int = 0) -> list[CrowdAreaBucket]:
    start = at(2, 12, 55)
    return [CrowdAreaBucket(bucket_start=start, present=second),
            CrowdAreaBucket(bucket_start=start - FIVE * (1 + gap), present=first)]


@pytest.mark.parametrize(("now", "first", "second", "estimate"), [
    (at(2, 13, 0), 400, 460, 460),       # at the bucket's end: the count itself
    (at(2, 13, 1), 400, 460, 472),       # a fifth of a bucket on: +12
    (at(2, 13, 2), 400, 460, 484),
    (at(2, 13, 5), 400, 460, 520),       # one bucket on: the whole trend
    (at(2, 13, 30), 400, 460, 520),      # never more than one bucket ahead
    (at(2, 12, 58), 400, 460, 460),      # before the end (a clock ahead): never backwards
    (at(2, 13, 5), 460, 400, 340),       # falling
    (at(2, 13, 5), 500, 100, 0),         # never below zero
    (at(2, 13, 2), 400, 401, 401),       # 401.4 rounds to 401
    (at(2, 13, 2) + datetime.timedelta(seconds=30), 400, 403, 405),  # 404.5 rounds half up
])
def test_estimate_moves_with_the_trend(now: datetime.datetime, first: int, second: int, estimate: int) -> None:
    assert estimate_present(_two(first, second), FIVE, now) == estimate


def test_estimate_without_a_trend() -> None:
    assert estimate_present(_two(400, 460, gap=1), FIVE, at(2, 13, 5)) == 460  # not consecutive
    assert estimate_present(_two(400, 460)[:1], FIVE, at(2, 13, 5)) == 460
    assert estimate_present([], FIVE, at(2, 13, 5)) is None


def test_snapshot_estimate_moves_between_buckets(history: CrowdWorld) -> None:
    seen = [crowd_snapshot("nanjingxilu", now=at(2, 13, 0) + datetime.timedelta(seconds=s))["now"]["present"]
            for s in (0, 60, 150)]
    assert seen == [460, 472, 490]


# ---- zone levels --------------------------------------------------------------------------------


def test_zone_levels_from_the_zone_or_the_settings(crowd_world: CrowdWorld) -> None:
    plaza = crowd_world.plaza  # 1,000; settings 0.8 / 0.95
    assert [zone_level(plaza, n) for n in (None, 0, 799, 800, 949, 950, 5000)] == [
        None, None, None, "amber", "amber", "red", "red"]
    plaza.amber_share, plaza.red_share = 0.5, 0.7
    assert [zone_level(plaza, n) for n in (499, 500, 699, 700)] == [None, "amber", "amber", "red"]


def test_snapshot_zone_levels(crowd_world: CrowdWorld) -> None:
    bucket(crowd_world, at(2, 12, 55), 1500, by_zone={"plaza66": 800, "citic": 480, "zhangyuan": 199})
    snap = crowd_snapshot("nanjingxilu", now=NOW)
    assert [(z["code"], z["share"], z["level"]) for z in snap["zones"]] == [
        ("plaza66", 0.8, "amber"), ("citic", 0.96, "red"), ("zhangyuan", 0.995, "red")]


# ---- redaction never leaks a small count ----------------------------------------------------------


def _counts(snap: dict[str, Any]) -> list[Any]:
    return ([snap["now"]["present"]] + [o["present"] for o in snap["origins"]]
            + [c[2] for c in snap["week"]["heatmap"]] + [p[1] for p in snap["week"]["line"]]
            + [snap["peak"]["today"]["present"], snap["peak"]["last_week"]["present"]]
            + [z["present"] for z in snap["zones"]])


ZONE_CODES = ("plaza66", "citic", "zhangyuan")
ORIGINS = ("local", "domestic", "international")
small = st.integers(min_value=0, max_value=30)
cells = st.fixed_dictionaries({(z, o): small for z in ZONE_CODES for o in ORIGINS})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(min_value=1, max_value=60),
       buckets=st.lists(st.tuples(st.integers(min_value=0, max_value=7 * 288), cells), min_size=1, max_size=6,
                        unique_by=lambda b: b[0]))
def test_a_redacted_snapshot_shows_no_count_below_k(crowd_world: CrowdWorld, k: int,
                                                    buckets: list[tuple[int, dict[tuple[str, str], int]]]) -> None:
    """Whatever the counts: every count of the public payload is a number of at least k, "<k" or
    null; it is exactly the unredacted count redacted; a share is null exactly where its count is
    hidden, else the same share."""
    with transaction.atomic():
        crowd_world.area.redaction_threshold = k
        crowd_world.area.save(update_fields=["redaction_threshold"])
        for steps_back, cell in buckets:
            by_zone = {z: sum(cell[(z, o)] for o in ORIGINS) for z in ZONE_CODES}
            by_origin = {o: sum(cell[(z, o)] for z in ZONE_CODES) for o in ORIGINS}
            bucket(crowd_world, at(2, 12, 55) - steps_back * FIVE, sum(by_zone.values()),
                   by_origin=by_origin, by_zone=by_zone)
        public = crowd_snapshot("nanjingxilu", now=NOW)
        plain = crowd_snapshot("nanjingxilu", now=NOW, redact=False)
        transaction.set_rollback(True)
    shown = _counts(public)
    assert all(v is None or v == f"<{k}" or (isinstance(v, int) and v >= k) for v in shown)
    assert shown == [redaction.redact(v, k) for v in _counts(plain)]
    for part in ("origins", "zones"):
        for red, true in zip(public[part], plain[part], strict=True):
            hidden = true["present"] is not None and true["present"] < k
            assert red["share"] == (None if hidden else true["share"])
    ratio_hidden = any(redaction.is_hidden(plain["peak"][p]["present"], k) for p in ("today", "last_week"))
    assert public["peak"]["ratio"] == (None if ratio_hidden else plain["peak"]["ratio"])


def test_an_alert_of_a_zone_too_small_for_k_has_no_peak_share_in_public(crowd_world: CrowdWorld) -> None:
    tiny = Zone.objects.create(area=crowd_world.area, code="kiosk", name="问询亭", capacity=10, position=9)
    CrowdAlert.objects.create(area=crowd_world.area, zone=tiny, level="red", opened_bucket=at(2, 12, 55),
                              peak_share=1.4)  # 14 people
    CrowdAlert.objects.create(area=crowd_world.area, zone=crowd_world.zhangyuan, level="amber",
                              opened_bucket=at(2, 12, 55), peak_share=0.075)  # 15 people: shown
    public = crowd_snapshot("nanjingxilu", now=NOW)["alerts"]
    assert [(a["zone"], a["peak_share"]) for a in public] == [("zhangyuan", 0.075), ("kiosk", None)]
    plain = crowd_snapshot("nanjingxilu", now=NOW, redact=False)["alerts"]
    assert [(a["zone"], a["peak_share"]) for a in plain] == [("zhangyuan", 0.075), ("kiosk", 1.4)]
