"""The simulated 南京西路商圈 feed (issue #16 part 7): the generator's shape (deterministic, diurnal,
weekly, holidays with more 国内 visitors, within capacity, arrivals consistent with turnover) and
the periodic task that sends each closed bucket once through the ingest service."""

from __future__ import annotations

import datetime
import statistics

import pytest
from django.utils import timezone

from onewindow.bigscreen.models import CrowdAreaBucket, CrowdReport, CrowdRevision
from onewindow.bigscreen.services import simulate
from onewindow.bigscreen.services.simulate import ZONES, bucket_counts, day_kind
from onewindow.bigscreen.testing import NOW, CrowdWorld, make_source

ALL_ZONES = [(z.code, z.capacity) for z in ZONES]
STEP = datetime.timedelta(minutes=5)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def day_buckets(day: datetime.date) -> list[datetime.datetime]:
    return [at(day, 0) + n * STEP for n in range(288)]


def total(counts: list[dict[str, object]], key: str = "present", origin: str | None = None) -> int:
    return sum(int(c[key]) for c in counts if origin is None or c["origin"] == origin)  # type: ignore[call-overload]


def day_present(day: datetime.date, origin: str | None = None) -> int:
    """The day's people present summed over its hours (person-hours), all zones."""
    return sum(total(bucket_counts(ALL_ZONES, at(day, h)), origin=origin) for h in range(24))


# ---- the generator -------------------------------------------------------------------------------

def test_same_seed_same_counts_in_any_order() -> None:
    day = datetime.date(2026, 12, 5)
    forward = [bucket_counts(ALL_ZONES, b, seed=7) for b in day_buckets(day)]
    simulate._levels.cache_clear()
    simulate.weather.cache_clear()
    backward = [bucket_counts(ALL_ZONES, b, seed=7) for b in reversed(day_buckets(day))]
    assert forward == list(reversed(backward))
    assert bucket_counts(ALL_ZONES, at(day, 12), seed=8) != forward[144]


def test_count_shape_is_the_ingest_shape() -> None:
    counts = bucket_counts([("plaza66", 12000), ("unknown", 300)], at(datetime.date(2026, 12, 7), 12))
    assert [(c["zone"], c["origin"]) for c in counts] == [
        ("plaza66", "local"), ("plaza66", "domestic"), ("plaza66", "international"),
        ("unknown", "local"), ("unknown", "domestic"), ("unknown", "international")]
    assert all(set(c) == {"zone", "origin", "present", "arrivals"} for c in counts)
    assert all(isinstance(c["present"], int) and isinstance(c["arrivals"], int) for c in counts)


@pytest.mark.parametrize("day", [datetime.date(2026, 12, 7), datetime.date(2026, 12, 5),
                                 datetime.date(2026, 10, 3), datetime.date(2026, 2, 18)])
def test_night_is_quieter_than_noon_and_evening(day: datetime.date) -> None:
    night = total(bucket_counts(ALL_ZONES, at(day, 3)))
    noon = total(bucket_counts(ALL_ZONES, at(day, 12)))
    evening = total(bucket_counts(ALL_ZONES, at(day, 19)))
    assert 0 < night * 5 < noon
    assert night * 5 < evening


def test_shops_open_lunch_and_evening_peaks() -> None:
    """An ordinary Wednesday: the visitors' lunch peak stands above the mid-afternoon dip of
    吴江路 (food street, nearly no offices), and its evening peak above both."""
    day = datetime.date(2026, 12, 9)
    zone = [("wujianglu", 5000)]
    morning, lunch, dip, evening = (total(bucket_counts(zone, at(day, h, 30 if h == 12 else 0)))
                                    for h in (9, 12, 15, 19))
    assert morning < dip < lunch < evening


def test_weekend_draws_more_visitors_than_a_weekday() -> None:
    """Over eight ordinary weeks the Saturdays' evening crowd beats the Mondays' (a rainy day may
    still make one Saturday quieter than one Monday), and the office commuters stay home."""
    saturdays = [datetime.date(2026, 11, 7) + datetime.timedelta(weeks=n) for n in range(8)]
    mondays = [d + datetime.timedelta(days=2) for d in saturdays]
    assert all(day_kind(d).key == "weekend" for d in saturdays)
    assert all(day_kind(d).key == "workday" for d in mondays)

    def evening(days: list[datetime.date]) -> int:
        return sum(total(bucket_counts(ALL_ZONES, at(d, 19))) for d in days)

    def office_hours(days: list[datetime.date]) -> int:
        return sum(total(bucket_counts([("kerry", 10000)], at(d, 10))) for d in days)

    assert evening(saturdays) > 1.3 * evening(mondays)
    assert office_hours(saturdays) < office_hours(mondays)


def test_golden_week_has_a_larger_domestic_share_than_an_ordinary_week() -> None:
    golden = [datetime.date(2026, 10, d) for d in range(1, 8)]
    ordinary = [datetime.date(2026, 10, d) for d in range(12, 19)]

    def share(days: list[datetime.date]) -> float:
        domestic = sum(day_present(d, "domestic") for d in days)
        return domestic / sum(day_present(d) for d in days)

    assert share(golden) > share(ordinary) + 0.15
    assert all(day_kind(d).key == "golden_week" for d in golden)


def test_zhangyuan_turns_amber_on_a_fair_weekend_and_red_in_golden_week() -> None:
    """张园 (the fullest zone) crosses the default amber share (0.8) on a fair Saturday evening and
    the red share (0.95) in Golden Week, and stays below amber on an ordinary weekday, so the
    demo's 大客流预警 have something to show."""
    def peak(day: datetime.date) -> float:
        return max(total(bucket_counts([("zhangyuan", 4000)], b)) for b in day_buckets(day)) / 4000

    assert peak(datetime.date(2026, 12, 5)) > 0.8
    assert max(peak(datetime.date(2026, 10, d)) for d in range(1, 8)) > 0.95
    assert peak(datetime.date(2026, 12, 9)) < 0.8


@pytest.mark.parametrize(("day", "key"), [
    (datetime.date(2026, 12, 7), "workday"),
    (datetime.date(2026, 12, 5), "weekend"),
    (datetime.date(2026, 10, 10), "workday"),  # 调休: a working Saturday after Golden Week
    (datetime.date(2026, 10, 3), "golden_week"),
    (datetime.date(2026, 2, 18), "spring_festival"),
    (datetime.date(2026, 5, 2), "labour_day"),
    (datetime.date(2026, 6, 19), "holiday"),  # 端午节
    (datetime.date(2027, 10, 2), "golden_week"),  # a year chinese-calendar does not know: fixed dates
    (datetime.date(2027, 3, 6), "weekend"),
    (datetime.date(2027, 3, 8), "workday"),
])
def test_day_kinds(day: datetime.date, key: str) -> None:
    assert day_kind(day).key == key


def test_counts_are_within_capacity_and_non_negative() -> None:
    days = [datetime.date(2026, 10, 3), datetime.date(2026, 12, 5), datetime.date(2026, 2, 18)]
    capacity = dict(ALL_ZONES)
    for day in days:
        for bucket in day_buckets(day):
            for c in bucket_counts(ALL_ZONES, bucket):
                assert 0 <= int(c["present"]) <= capacity[str(c["zone"])] * 2  # type: ignore[call-overload]
                assert 0 <= int(c["arrivals"]) <= capacity[str(c["zone"])] * 2  # type: ignore[call-overload]


def test_arrivals_cover_the_growth_of_the_crowd_and_its_turnover() -> None:
    """Each bucket's arrivals are at least the increase of the people present (less one for the
    rounding of two components), and over a day about the person-time divided by the dwell."""
    day = datetime.date(2026, 12, 9)
    before = bucket_counts(ALL_ZONES, at(day, 0) - STEP)
    arrivals = 0
    for bucket in day_buckets(day):
        now = bucket_counts(ALL_ZONES, bucket)
        for old, new in zip(before, now, strict=True):
            assert int(new["arrivals"]) >= int(new["present"]) - int(old["present"]) - 1  # type: ignore[call-overload]
        arrivals += total(now, "arrivals")
        before = now
    assert 100_000 < arrivals < 400_000


def test_weather_is_a_unit_ar1_with_one_rainy_day_in_six() -> None:
    days = [datetime.date(2020, 1, 1) + datetime.timedelta(days=n) for n in range(1500)]
    z = [simulate.weather(simulate.DEFAULT_SEED, d) for d in days]
    assert abs(statistics.mean(z)) < 0.1
    assert 0.9 < statistics.pstdev(z) < 1.1
    assert 0.6 - 0.1 < statistics.correlation(z[:-1], z[1:]) < 0.6 + 0.1
    assert 0.12 < sum(simulate.is_rainy(simulate.DEFAULT_SEED, d) for d in days) / len(days) < 0.20


def test_a_rainy_day_dampens_the_visitors() -> None:
    """Two Wednesdays of the same weeks' kind, one rainy and one fair: the rainy one has fewer
    people at the evening peak."""
    wednesdays = [datetime.date(2026, 3, 4) + datetime.timedelta(weeks=n) for n in range(30)]
    ordinary = [d for d in wednesdays if day_kind(d).key == "workday"]
    rainy = [d for d in ordinary if simulate.is_rainy(simulate.DEFAULT_SEED, d)]
    fair = [d for d in ordinary if simulate.weather(simulate.DEFAULT_SEED, d) > 0]
    assert rainy and fair
    assert (max(total(bucket_counts(ALL_ZONES, at(d, 19))) for d in rainy)
            < min(total(bucket_counts(ALL_ZONES, at(d, 19))) for d in fair))


def test_midnight_does_not_jump_into_a_saturday() -> None:
    friday = datetime.date(2026, 12, 4)
    late = total(bucket_counts(ALL_ZONES, at(friday, 23, 55) - STEP))
    midnight = total(bucket_counts(ALL_ZONES, at(friday, 23, 55)))
    assert abs(midnight - late) < 0.1 * late


# ---- the feed: the periodic task sends every closed bucket once ----------------------------------

@pytest.fixture
def simulator(crowd_world: CrowdWorld) -> CrowdWorld:
    """The test world's 南京西路 area with a simulator source (named as the task looks for)."""
    source, _bearer = make_source(crowd_world.area, simulate.SOURCE_NAME)
    crowd_world.source = source
    return crowd_world


def sent_buckets(world: CrowdWorld) -> list[datetime.datetime]:
    return list(CrowdReport.objects.filter(source=world.source).order_by("bucket_start")
                .values_list("bucket_start", flat=True))


def test_task_catches_up_one_day_then_sends_each_new_bucket_once(simulator: CrowdWorld) -> None:
    world = simulator
    first = simulate.simulate_sources_send(now=NOW)
    # NOW is 13:02: the last closed bucket starts at 12:55; a fresh source catches up one day
    last = at(NOW.date(), 12, 55)
    assert first == {"sources": 1, "buckets": 288}
    assert sent_buckets(world) == [last - n * STEP for n in range(287, -1, -1)]
    assert CrowdRevision.objects.filter(report__source=world.source, via="simulator").count() == 288
    assert CrowdAreaBucket.objects.filter(area=world.area).count() == 288
    world.source.refresh_from_db()
    assert world.source.last_bucket_start == last

    # a re-run at the same moment, and one a few minutes on inside the next bucket, send nothing
    assert simulate.simulate_sources_send(now=NOW) == {"sources": 1, "buckets": 0}
    assert simulate.simulate_sources_send(now=NOW + datetime.timedelta(minutes=2, seconds=59)) == {
        "sources": 1, "buckets": 0}
    # 13:05 closes the 13:00 bucket: exactly that one is sent, with the generator's counts
    assert simulate.simulate_sources_send(now=at(NOW.date(), 13, 5)) == {"sources": 1, "buckets": 1}
    bucket = CrowdAreaBucket.objects.get(area=world.area, bucket_start=at(NOW.date(), 13))
    zones = [("plaza66", 1000), ("citic", 500), ("zhangyuan", 200)]
    expected = bucket_counts(zones, at(NOW.date(), 13))
    assert bucket.present == total(expected)
    assert bucket.arrivals == total(expected, "arrivals")
    assert CrowdRevision.objects.filter(report__source=world.source).count() == 289
    assert not CrowdRevision.objects.filter(revision__gt=1).exists()  # nothing was sent twice

    # after downtime (the task did not run for 40 minutes) the gap is filled, oldest first
    out = simulate.simulate_sources_send(now=at(NOW.date(), 13, 47))
    assert out == {"sources": 1, "buckets": 8}
    assert sent_buckets(world)[-9:] == [at(NOW.date(), 13) + n * STEP for n in range(9)]


def test_catch_up_reaches_back_one_day_at_most(simulator: CrowdWorld) -> None:
    world = simulator
    simulate.simulate_sources_send(now=NOW - datetime.timedelta(days=3))
    sent = simulate.simulate_sources_send(now=NOW)
    assert sent == {"sources": 1, "buckets": 288}
    assert sent_buckets(world)[-288] == at(NOW.date(), 13) - datetime.timedelta(days=1)


def test_only_active_simulator_sources_send(simulator: CrowdWorld) -> None:
    world = simulator
    world.source.is_active = False
    world.source.save()
    assert simulate.simulate_sources_send(now=NOW) == {"sources": 0, "buckets": 0}
    assert not CrowdReport.objects.exists()  # the other sources of the world are no simulators


def test_the_task_and_its_schedule(simulator: CrowdWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from onewindow.bigscreen import schedules, tasks  # noqa: F401 - registers the job
    from onewindow.core import scheduling

    assert scheduling.registered()["bigscreen.crowd_simulate"].every == datetime.timedelta(minutes=1)
    monkeypatch.setattr(simulate.timezone, "now", lambda: NOW)
    assert tasks.bigscreen_crowd_simulate.call() == {"sources": 1, "buckets": 288}
    assert tasks.bigscreen_crowd_simulate.call() == {"sources": 1, "buckets": 0}
    assert CrowdReport.objects.filter(source=simulator.source).count() == 288
