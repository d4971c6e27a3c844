"""大客流预警 (issue #16 part 3): zones open, raise and close alerts from the latest bucket, and the
duty officer hears of each level once.

Zones of ``crowd_world``: plaza66 (capacity 1,000), citic (500), zhangyuan (200); amber at 0.8 and
red at 0.95 of capacity (the settings) unless a zone sets its own.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import connection, transaction

from onewindow.accounts.models import User
from onewindow.accounts.testing import UserFactory
from onewindow.bigscreen.models import CrowdAlert, CrowdAreaBucket
from onewindow.bigscreen.selectors.crowd import SHANGHAI, crowd_snapshot
from onewindow.bigscreen.services import alerts as alert_services
from onewindow.bigscreen.services.alerts import alerts_evaluate
from onewindow.bigscreen.services.ingest import crowd_report_ingest
from onewindow.bigscreen.testing import NOW, CrowdWorld, build_crowd_world
from onewindow.core.testing import join_all, start_barrier
from onewindow.notifications.models import Message


def at(hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(2026, 3, 2, hour, minute, tzinfo=SHANGHAI)


def put(world: CrowdWorld, start: datetime.datetime, **by_zone: int) -> CrowdAreaBucket:
    """The merged bucket (created, or corrected in place) with the zones' present counts."""
    row, _ = CrowdAreaBucket.objects.update_or_create(
        area=world.area, bucket_start=start,
        defaults={"present": sum(by_zone.values()), "sources": 1,
                  "by_zone": {code: {"present": n, "arrivals": 0} for code, n in by_zone.items()}})
    return row


def evaluate(world: CrowdWorld, start: datetime.datetime, **by_zone: int) -> None:
    put(world, start, **by_zone)
    alerts_evaluate(area_id=world.area.pk, bucket_start=start)


def state(world: CrowdWorld) -> list[tuple[str, str, datetime.datetime, float, bool]]:
    """(zone, level, opened bucket, peak share, open) of every alert, oldest first."""
    return [(a.zone.code, a.level, a.opened_bucket, a.peak_share, a.closed_at is None)
            for a in CrowdAlert.objects.filter(area=world.area).select_related("zone").order_by("pk")]


def messages() -> list[tuple[int | None, str, str, str, str]]:
    return [(m.user_id, m.channel, m.subject_id, m.title, m.text)
            for m in Message.objects.filter(event="crowd_alert").order_by("created_at", "pk")]


@pytest.fixture
def officer(crowd_world: CrowdWorld) -> User:
    user = UserFactory.create(username="duty_officer")
    crowd_world.area.duty_officer = user
    crowd_world.area.save(update_fields=["duty_officer"])
    return user


URL = "/bigscreen/nanjingxilu/"


def amber_text(zone: str, time: str, share: int) -> tuple[str, str]:
    return (f"大客流黄色预警：南京西路商圈{zone}",
            f"南京西路商圈{zone}{time}在场人数达到承载量的{share}%，已触发黄色预警，请及时处置。{URL}")


def red_text(zone: str, time: str, share: int) -> tuple[str, str]:
    return (f"大客流红色预警：南京西路商圈{zone}",
            f"南京西路商圈{zone}{time}在场人数达到承载量的{share}%，已触发红色预警，请及时处置。{URL}")


def test_open_raise_keep_close_and_reopen(crowd_world: CrowdWorld, officer: User) -> None:
    w = crowd_world
    evaluate(w, at(12, 50), plaza66=799, citic=100, zhangyuan=10)  # below amber everywhere
    assert state(w) == [] and messages() == []

    evaluate(w, at(12, 55), plaza66=800, citic=100, zhangyuan=10)  # 0.8: amber opens
    alert = CrowdAlert.objects.get()
    assert state(w) == [("plaza66", "amber", at(12, 55), 0.8, True)]
    assert alert.notified_at is not None
    assert messages() == [(officer.pk, "inapp", str(alert.pk), *amber_text("恒隆广场", "13:00", 80))]

    evaluate(w, at(12, 55), plaza66=800, citic=100, zhangyuan=10)  # the same bucket again: nothing new
    assert state(w) == [("plaza66", "amber", at(12, 55), 0.8, True)]
    assert len(messages()) == 1

    evaluate(w, at(13, 0), plaza66=960, citic=100, zhangyuan=10)  # 0.96: raised to red in place
    assert state(w) == [("plaza66", "red", at(12, 55), 0.96, True)]
    assert CrowdAlert.objects.get().pk == alert.pk
    assert messages()[1] == (officer.pk, "inapp", str(alert.pk), *red_text("恒隆广场", "13:05", 96))

    evaluate(w, at(13, 5), plaza66=900, citic=100, zhangyuan=10)  # 0.9: stays red, peak kept
    evaluate(w, at(13, 10), plaza66=990, citic=100, zhangyuan=10)  # 0.99: red again, no second call
    assert state(w) == [("plaza66", "red", at(12, 55), 0.99, True)]
    assert len(messages()) == 2

    evaluate(w, at(13, 15), plaza66=799, citic=100, zhangyuan=10)  # below amber: closed
    assert state(w) == [("plaza66", "red", at(12, 55), 0.99, False)]
    assert len(messages()) == 2

    evaluate(w, at(13, 20), plaza66=1000, citic=100, zhangyuan=10)  # a new alert, red at once
    assert state(w) == [("plaza66", "red", at(12, 55), 0.99, False), ("plaza66", "red", at(13, 20), 1.0, True)]
    new = CrowdAlert.objects.get(closed_at__isnull=True)
    assert messages()[2:] == [(officer.pk, "inapp", str(new.pk), *red_text("恒隆广场", "13:25", 100))]


def test_each_zone_has_its_own_alert_and_thresholds(crowd_world: CrowdWorld, officer: User) -> None:
    w = crowd_world
    w.zhangyuan.amber_share, w.zhangyuan.red_share = 0.5, 0.6
    w.zhangyuan.save(update_fields=["amber_share", "red_share"])
    evaluate(w, at(12, 55), plaza66=100, citic=475, zhangyuan=110)  # citic 0.95 red, zhangyuan 0.55 amber
    assert state(w) == [("citic", "red", at(12, 55), 0.95, True), ("zhangyuan", "amber", at(12, 55), 0.55, True)]
    assert [m[3] for m in messages()] == ["大客流红色预警：南京西路商圈中信泰富", "大客流黄色预警：南京西路商圈张园"]


def test_only_the_latest_bucket_moves_alerts(crowd_world: CrowdWorld, officer: User) -> None:
    w = crowd_world
    put(w, at(13, 0), plaza66=100)
    evaluate(w, at(12, 55), plaza66=900)  # late data of an older bucket: its history, not the present
    assert state(w) == [] and messages() == []
    evaluate(w, at(13, 0), plaza66=850)
    assert state(w) == [("plaza66", "amber", at(13, 0), 0.85, True)]
    evaluate(w, at(12, 50), plaza66=10)  # an older bucket below amber closes nothing
    assert state(w) == [("plaza66", "amber", at(13, 0), 0.85, True)]


def test_a_correction_of_the_same_bucket_below_amber_closes_the_alert(crowd_world: CrowdWorld,
                                                                         officer: User) -> None:
    w = crowd_world
    evaluate(w, at(12, 55), plaza66=900)
    evaluate(w, at(12, 55), plaza66=300)  # the source corrected its count
    assert state(w) == [("plaza66", "amber", at(12, 55), 0.9, False)]
    assert len(messages()) == 1


def test_a_zone_absent_from_the_bucket_keeps_its_alert(crowd_world: CrowdWorld, officer: User) -> None:
    w = crowd_world
    evaluate(w, at(12, 55), plaza66=900, citic=100)
    evaluate(w, at(13, 0), citic=100)  # plaza66 not reported: unknown, not zero
    assert state(w) == [("plaza66", "amber", at(12, 55), 0.9, True)]


def test_without_an_officer_the_alert_is_still_recorded(crowd_world: CrowdWorld) -> None:
    w = crowd_world
    evaluate(w, at(12, 55), plaza66=900)
    evaluate(w, at(13, 0), plaza66=990)
    assert state(w) == [("plaza66", "red", at(12, 55), 0.99, True)]
    assert CrowdAlert.objects.get().notified_at is None
    assert messages() == []
    assert Message.objects.count() == 0


def test_an_inactive_officer_is_not_written_to(crowd_world: CrowdWorld, officer: User) -> None:
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    evaluate(crowd_world, at(12, 55), plaza66=900)
    assert state(crowd_world) == [("plaza66", "amber", at(12, 55), 0.9, True)]
    assert messages() == []


def test_unknown_area_or_no_bucket_changes_nothing(crowd_world: CrowdWorld, officer: User) -> None:
    alerts_evaluate(area_id=crowd_world.area.pk, bucket_start=at(12, 55))  # no bucket at all
    alerts_evaluate(area_id=999_999, bucket_start=at(12, 55))
    assert state(crowd_world) == [] and messages() == []


def test_alerts_of_one_area_leave_the_other_alone(crowd_world: CrowdWorld, officer: User) -> None:
    w = crowd_world
    evaluate(w, at(12, 55), plaza66=900)
    CrowdAreaBucket.objects.create(area=w.other_area, bucket_start=at(12, 55), present=100,
                                   by_zone={"ifc": {"present": 100, "arrivals": 0}})
    alerts_evaluate(area_id=w.other_area.pk, bucket_start=at(12, 55))
    assert state(w) == [("plaza66", "amber", at(12, 55), 0.9, True)]


def test_an_insert_refused_by_the_one_open_alert_rule_continues_with_the_open_alert(
        crowd_world: CrowdWorld, officer: User) -> None:
    """What the loser of two simultaneous openings meets: the partial unique constraint refuses its
    insert inside a savepoint, the transaction goes on with the winner's alert, and no second
    message is written."""
    w = crowd_world
    first = CrowdAlert.objects.create(area=w.area, zone=w.plaza, level="amber", opened_bucket=at(12, 55),
                                      peak_share=0.9)
    with transaction.atomic():
        found = alert_services._open(w.area, w.plaza, "amber", 0.9, at(12, 55), at(13, 0))
        assert found is not None and found.pk == first.pk
        assert CrowdAlert.objects.count() == 1  # the transaction is still usable
    assert messages() == []


@pytest.mark.django_db(transaction=True)
def test_two_evaluations_at_once_open_one_alert_and_notify_once() -> None:
    world = build_crowd_world()
    user = UserFactory.create(username="duty_officer_threads")
    world.area.duty_officer = user
    world.area.save(update_fields=["duty_officer"])
    put(world, at(12, 55), plaza66=990)
    barrier = start_barrier(2)
    errors: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            alerts_evaluate(area_id=world.area.pk, bucket_start=at(12, 55))
        except Exception as exc:  # the test reports any failure of a thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    join_all(threads)
    assert errors == []
    assert state(world) == [("plaza66", "red", at(12, 55), 0.99, True)]
    assert len(messages()) == 1


def test_through_the_ingest_a_report_then_its_correction(crowd_world: CrowdWorld, officer: User,
                                                         django_capture_on_commit_callbacks: Any) -> None:
    """The ingest evaluates the alerts after its commit: a report over amber opens one and notifies;
    the source's correction below amber closes it; the crowd snapshot shows it while open."""
    def send(plaza: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            crowd_report_ingest(source=crowd_world.source, area_code="nanjingxilu", bucket_start=at(12, 55),
                                counts=[{"zone": "plaza66", "origin": "local", "present": plaza, "arrivals": 5},
                                        {"zone": "citic", "origin": "domestic", "present": 100, "arrivals": 5}],
                                now=NOW)

    send(880)
    assert state(crowd_world) == [("plaza66", "amber", at(12, 55), 0.88, True)]
    assert [m[3] for m in messages()] == ["大客流黄色预警：南京西路商圈恒隆广场"]
    snap = crowd_snapshot("nanjingxilu", now=NOW)
    assert snap["alerts"] == [{"zone": "plaza66", "level": "amber", "since": "2026-03-02T13:00:00+08:00",
                               "peak_share": 0.88}]
    assert (snap["stale"], snap["now"]["present"], snap["zones"][0]["level"]) == (False, 980, "amber")

    send(400)
    assert state(crowd_world) == [("plaza66", "amber", at(12, 55), 0.88, False)]
    assert len(messages()) == 1
    assert crowd_snapshot("nanjingxilu", now=NOW)["alerts"] == []
