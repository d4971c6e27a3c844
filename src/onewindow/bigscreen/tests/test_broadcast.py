"""The push layer's shared computation (issue #16 part 6): one producer per interval behind the
cache, seq moves only when the data or the emergency message changed, unknown channels refused."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signing
from django.utils import timezone

from onewindow.bigscreen import broadcast
from onewindow.bigscreen.models import EmergencyMessage
from onewindow.core.errors import NotFound
from onewindow.core.testing import join_all

from .stubs import PUBLIC, SECRET, START, StubFeed

INTERVAL = 2.0


@pytest.fixture
def feed(monkeypatch: pytest.MonkeyPatch, settings: Any, db: None) -> Iterator[StubFeed]:
    settings.BIGSCREEN_INTERVAL_SECONDS = INTERVAL
    stub = StubFeed()
    monkeypatch.setattr(broadcast, "clock", stub.clock)
    monkeypatch.setattr(broadcast, "stats", broadcast.Counter())
    broadcast.register(PUBLIC, stub.produce, public=True, takes_arg=False)
    broadcast.register(SECRET, stub.produce, public=False, takes_arg=False)
    yield stub
    broadcast.unregister(PUBLIC)
    broadcast.unregister(SECRET)


def at(seconds: float) -> str:
    return timezone.localtime(datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)).isoformat(timespec="seconds")


def test_first_envelope(feed: StubFeed) -> None:
    assert broadcast.current(PUBLIC) == {
        "channel": "stub", "seq": 1, "computed_at": "2027-01-15T16:00:00+08:00", "emergency": None,
        "data": {"value": 1, "areas": 0}}
    assert at(START) == "2027-01-15T16:00:00+08:00"
    assert feed.calls == 1
    assert broadcast.stats == {"computed": 1, "published": 1, "queries": 2}  # the stub's count + the emergency


def test_within_the_interval_nobody_recomputes(feed: StubFeed, django_assert_num_queries: Any) -> None:
    first = broadcast.current(PUBLIC)
    feed.value = 2
    feed.step(INTERVAL - 0.1)
    with django_assert_num_queries(0):
        for _ in range(50):
            assert broadcast.current(PUBLIC) == first
    assert feed.calls == 1


def test_seq_unchanged_when_the_data_is_unchanged(feed: StubFeed) -> None:
    broadcast.current(PUBLIC)
    feed.step(INTERVAL)
    again = broadcast.current(PUBLIC)
    assert feed.calls == 2
    assert again["seq"] == 1
    assert again["computed_at"] == at(START + INTERVAL)
    assert broadcast.stats["published"] == 1


def test_seq_grows_by_one_when_the_data_changes(feed: StubFeed) -> None:
    broadcast.current(PUBLIC)
    seqs = []
    for value in (2, 2, 3, 3, 3, 4):
        feed.value = value
        feed.step(INTERVAL)
        seqs.append(broadcast.current(PUBLIC)["seq"])
    assert seqs == [2, 2, 3, 3, 3, 4]
    assert broadcast.current(PUBLIC)["data"] == {"value": 4, "areas": 0}


def test_emergency_message_in_the_envelope(feed: StubFeed) -> None:
    assert broadcast.current(PUBLIC)["emergency"] is None
    since = timezone.make_aware(datetime.datetime(2027, 1, 15, 15, 58))
    message = EmergencyMessage.objects.create(text="南京西路临时交通管制",
                                              text_en="Traffic control on West Nanjing Road",
                                              severity="critical", starts_at=since)
    feed.step(INTERVAL)
    envelope = broadcast.current(PUBLIC)
    assert envelope["seq"] == 2
    assert envelope["emergency"] == {"id": message.pk, "text": "南京西路临时交通管制",
                                     "text_en": "Traffic control on West Nanjing Road", "severity": "critical",
                                     "since": "2027-01-15T15:58:00+08:00"}
    assert envelope["data"] == {"value": 1, "areas": 0}
    feed.step(INTERVAL)
    assert broadcast.current(PUBLIC)["seq"] == 2  # still the same message: nothing to redraw
    message.cleared_at = timezone.now()
    message.save(update_fields=["cleared_at"])
    feed.step(INTERVAL)
    cleared = broadcast.current(PUBLIC)
    assert (cleared["seq"], cleared["emergency"]) == (3, None)


def test_ended_and_future_messages_are_not_shown(feed: StubFeed) -> None:
    now = datetime.datetime.fromtimestamp(START, tz=datetime.UTC)
    EmergencyMessage.objects.create(text="已结束", starts_at=now - datetime.timedelta(hours=2),
                                    ends_at=now - datetime.timedelta(hours=1))
    EmergencyMessage.objects.create(text="尚未开始", starts_at=now + datetime.timedelta(hours=1))
    assert broadcast.current(PUBLIC)["emergency"] is None


@pytest.mark.parametrize("channel", ["", "nope", "stub:x", "crowd", "crowd:", "crowd:bad code", "wall:x",
                                     "crowd:" + "a" * 65, "CROWD:nanjingxilu", "crowd:a:b"])
def test_unknown_channel(feed: StubFeed, channel: str) -> None:
    with pytest.raises(NotFound) as refused:
        broadcast.current(channel)
    assert (refused.value.code, refused.value.status) == ("bigscreen_channel_not_found", 404)
    assert feed.calls == 0
    assert broadcast.stats["computed"] == 0


def test_a_producer_refusal_passes_through_and_caches_nothing(feed: StubFeed) -> None:
    def gone(_arg: str) -> dict[str, Any]:
        raise NotFound("no such area", code="bigscreen_area_not_found")

    broadcast.register("gone", gone, public=True, takes_arg=True)
    try:
        with pytest.raises(NotFound) as refused:
            broadcast.current("gone:xyz")
        assert refused.value.code == "bigscreen_area_not_found"
        assert broadcast.cached("gone:xyz") is None
    finally:
        broadcast.unregister("gone")


def test_while_another_producer_works_the_previous_envelope_stands(feed: StubFeed) -> None:
    first = broadcast.current(PUBLIC)
    feed.value = 2
    feed.step(INTERVAL * 3)
    assert broadcast.cache().add("bigscreen:push:lock:stub", "someone-else", timeout=30)
    assert broadcast.current(PUBLIC) == first
    assert feed.calls == 1
    broadcast.cache().delete("bigscreen:push:lock:stub")
    assert broadcast.current(PUBLIC)["seq"] == 2


def test_a_failing_producer_keeps_the_previous_envelope_for_an_interval(feed: StubFeed) -> None:
    first = broadcast.current(PUBLIC)
    feed.fail = True
    feed.step(INTERVAL)
    assert broadcast.current(PUBLIC) == first
    assert broadcast.current(PUBLIC) == first
    assert feed.calls == 2  # not retried by every caller
    feed.fail = False
    feed.value = 5
    feed.step(INTERVAL)
    assert broadcast.current(PUBLIC)["seq"] == 2


def test_a_failing_first_computation_is_an_error(feed: StubFeed) -> None:
    feed.fail = True
    with pytest.raises(RuntimeError):
        broadcast.current(PUBLIC)
    assert broadcast.cached(PUBLIC) is None
    assert broadcast.cache().get("bigscreen:push:lock:stub") is None  # the lock was released


def test_exactly_one_producer_among_concurrent_callers(feed: StubFeed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight threads ask for an expired channel at once: one computes, seven answer the previous."""
    monkeypatch.setattr(broadcast, "active_emergency", lambda now: None)  # no database in the threads
    started = threading.Event()
    computations = []

    def slow(_arg: str) -> dict[str, Any]:
        computations.append(1)
        started.set()
        time.sleep(0.3)
        return {"value": len(computations) + 100}

    broadcast.register("slow", slow, public=True, takes_arg=False)
    try:
        first = broadcast.current("slow")
        feed.step(INTERVAL)
        answers: list[dict[str, Any]] = []
        threads = [threading.Thread(target=lambda: answers.append(broadcast.current("slow"))) for _ in range(8)]
        for thread in threads:
            thread.start()
        join_all(threads)
        assert len(computations) == 2  # the first envelope, then one for the eight callers
        assert all(a == first or a["data"] == {"value": 102} for a in answers)
        assert broadcast.current("slow")["data"] == {"value": 102}
    finally:
        broadcast.unregister("slow")


def test_ticket_for_one_channel(feed: StubFeed) -> None:
    ticket = broadcast.make_ticket(SECRET)
    assert broadcast.ticket_allows(ticket, SECRET) is True
    assert broadcast.ticket_allows(ticket, PUBLIC) is False
    assert broadcast.ticket_allows(ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB"), SECRET) is False
    assert broadcast.ticket_allows("", SECRET) is False
    assert broadcast.ticket_allows("garbage", SECRET) is False
    other_salt = signing.dumps({"c": SECRET}, salt="another-purpose")
    assert broadcast.ticket_allows(other_salt, SECRET) is False
    with pytest.raises(NotFound):
        broadcast.make_ticket("nope")


def test_ticket_expires(feed: StubFeed, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.BIGSCREEN_TICKET_SECONDS = 900
    issued = time.time() - 901
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(issued)))
        old = broadcast.make_ticket(SECRET)
    assert broadcast.ticket_allows(old, SECRET) is False
    settings.BIGSCREEN_TICKET_SECONDS = 1000
    assert broadcast.ticket_allows(old, SECRET) is True


# -- The real channels (selectors of issue #16 parts 3 and 4) ------------------------------------------

def test_crowd_channel_carries_the_redacted_snapshot(crowd_world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from onewindow.bigscreen.selectors.crowd import crowd_snapshot
    from onewindow.bigscreen.testing import NOW

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    envelope = broadcast.current("crowd:nanjingxilu")
    assert envelope["channel"] == "crowd:nanjingxilu"
    assert envelope["seq"] == 1
    assert envelope["data"] == crowd_snapshot("nanjingxilu", redact=True)
    assert envelope["data"]["redacted"] is True
    assert broadcast.is_public("crowd:nanjingxilu") is True


def test_crowd_channel_of_an_unknown_or_inactive_area(crowd_world: Any) -> None:
    with pytest.raises(NotFound) as refused:
        broadcast.current("crowd:nosuch")
    assert refused.value.code == "bigscreen_area_not_found"
    crowd_world.other_area.is_active = False
    crowd_world.other_area.save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        broadcast.current("crowd:lujiazui")
    assert broadcast.cached("crowd:lujiazui") is None


def test_wall_channel_is_staff_only_and_carries_the_wall(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from onewindow.bigscreen.selectors.wall import wall_snapshot
    from onewindow.bigscreen.testing import NOW

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    assert broadcast.is_public("wall") is False
    assert broadcast.current("wall")["data"] == wall_snapshot()
