"""The stream views (issue #16 part 6): SSE under WSGI (the test client reads the first event) and
under ASGI (the hub wakes the stream), the long-poll fallback, who may read which channel, stream
tickets, and CORS on the stream paths only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from onewindow.accounts.testing import Principals
from onewindow.bigscreen import broadcast
from onewindow.bigscreen.models import Screen
from onewindow.centers.testing import CenterWorld, enrol
from onewindow.core.testing import until

from .stubs import PUBLIC, SECRET, StubFeed, TickGate

INTERVAL = 2.0
SITE = "http://127.0.0.1:8000"


@pytest.fixture
def feed(monkeypatch: pytest.MonkeyPatch, settings: Any, db: None) -> Iterator[StubFeed]:
    settings.BIGSCREEN_INTERVAL_SECONDS = INTERVAL
    settings.BIGSCREEN_WSGI_STREAM_SECONDS = 0  # the WSGI stream ends after its first event
    settings.ONEWINDOW_PUBLIC_URL = SITE
    settings.ALLOWED_HOSTS = ["*"]
    stub = StubFeed()
    monkeypatch.setattr(broadcast, "clock", stub.clock)
    broadcast.register(PUBLIC, stub.produce, public=True, takes_arg=False)
    broadcast.register(SECRET, stub.produce, public=False, takes_arg=False)
    yield stub
    broadcast.unregister(PUBLIC)
    broadcast.unregister(SECRET)


def event(envelope: dict[str, Any]) -> bytes:
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    return f"id: {envelope['seq']}\nevent: snapshot\ndata: {body}\n\n".encode()


def read(response: Any) -> bytes:
    """A WSGI stream's whole body (it ends after BIGSCREEN_WSGI_STREAM_SECONDS); the test client
    closes the response when its content is exhausted (closing it again would close the database)."""
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def envelope_of(feed: StubFeed, channel: str = PUBLIC, seq: int = 1) -> dict[str, Any]:
    return {"channel": channel, "seq": seq, "computed_at": "2027-01-15T16:00:00+08:00", "emergency": None,
            "data": {"value": feed.value, "areas": 0}}


def refusal(response: Any) -> tuple[int, str]:
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "fields"}
    return response.status_code, body["code"]


# -- SSE under WSGI ---------------------------------------------------------------------------------

def test_stream_first_event(feed: StubFeed) -> None:
    response = Client().get("/bigscreen/stream/stub/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response["Cache-Control"] == "no-cache, no-store"
    assert response["X-Accel-Buffering"] == "no"
    assert read(response) == b"retry: 3000\n\n" + event(envelope_of(feed))


def test_stream_honours_last_event_id(feed: StubFeed) -> None:
    read(Client().get("/bigscreen/stream/stub/"))
    assert read(Client().get("/bigscreen/stream/stub/", headers={"Last-Event-ID": "1"})) == b"retry: 3000\n\n"
    assert read(Client().get("/bigscreen/stream/stub/", headers={"Last-Event-ID": "7"})) == (
        b"retry: 3000\n\n" + event(envelope_of(feed)))
    assert read(Client().get("/bigscreen/stream/stub/", headers={"Last-Event-ID": "junk"})) == (
        b"retry: 3000\n\n" + event(envelope_of(feed)))


def test_wsgi_stream_follows_the_shared_envelope_then_ends(feed: StubFeed, settings: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Within its time the WSGI stream reads the cache once an interval (sleep stepped by hand)."""
    from onewindow.bigscreen.views import stream

    settings.BIGSCREEN_WSGI_STREAM_SECONDS = 3
    slept: list[float] = []
    moments = iter([0.0, 0.0, 0.0, 2.0, 2.0, 4.0, 4.0])  # request start, stream start, then per wait

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        feed.value += 1
        feed.step(INTERVAL)

    monkeypatch.setattr(stream, "sleep", fake_sleep)
    monkeypatch.setattr(stream, "monotonic", lambda: next(moments))
    body = read(Client().get("/bigscreen/stream/stub/"))
    second = {**envelope_of(feed, seq=2), "computed_at": "2027-01-15T16:00:02+08:00", "data": {"value": 2, "areas": 0}}
    assert slept == [2.0, 1.0]
    feed.value = 1
    assert body.startswith(b"retry: 3000\n\n" + event(envelope_of(feed)) + event(second))
    assert body.count(b"event: snapshot") == 3


def test_wsgi_stream_heartbeat_while_nothing_changes(feed: StubFeed, settings: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from onewindow.bigscreen.views import stream

    settings.BIGSCREEN_WSGI_STREAM_SECONDS = 20
    now = [0.0]

    def fake_sleep(seconds: float) -> None:
        now[0] += seconds
        feed.step(seconds)

    monkeypatch.setattr(stream, "sleep", fake_sleep)
    monkeypatch.setattr(stream, "monotonic", lambda: now[0])
    body = read(Client().get("/bigscreen/stream/stub/"))
    assert body == b"retry: 3000\n\n" + event(envelope_of(feed)) + b": heartbeat\n\n"  # at 16 s of 20
    assert feed.calls == 1 + 10  # the first envelope, then one read per 2-s interval (each recomputed here)


def test_unknown_channel_refused(feed: StubFeed) -> None:
    for path in ("/bigscreen/stream/nope/", "/bigscreen/poll/nope/", "/bigscreen/ticket/nope/",
                 "/bigscreen/stream/stub:x/", "/bigscreen/poll/crowd/"):
        assert refusal(Client().get(path)) == (404, "bigscreen_channel_not_found")
    assert feed.calls == 0


def test_post_refused(feed: StubFeed) -> None:
    assert Client().post("/bigscreen/stream/stub/").status_code == 405
    assert Client().post("/bigscreen/poll/stub/").status_code == 405
    assert feed.calls == 0


# -- Who reads which channel ------------------------------------------------------------------------

@pytest.fixture
def screen(center_world: CenterWorld) -> Screen:
    return Screen.objects.create(device=center_world.display, name="南京西路大屏", panels=["crowd_now"])


def test_secret_channel_access(feed: StubFeed, principals: Principals, screen: Screen,
                               center_world: CenterWorld) -> None:
    url = "/bigscreen/stream/secret/"
    assert refusal(Client().get(url)) == (403, "bigscreen_stream_forbidden")
    assert refusal(principals.client("citizen").get(url)) == (403, "bigscreen_stream_forbidden")
    assert refusal(principals.client("device").get(url)) == (403, "bigscreen_stream_forbidden")
    assert refusal(enrol(Client(), center_world.kiosk).get(url)) == (403, "bigscreen_stream_forbidden")
    assert feed.calls == 0  # nothing computed for a refused reader
    assert read(principals.client("clerk").get(url)) == b"retry: 3000\n\n" + event(envelope_of(feed, SECRET))
    assert read(enrol(Client(), center_world.display).get(url)).startswith(b"retry: 3000\n\nid: 1\n")
    screen.is_active = False
    screen.save(update_fields=["is_active"])
    assert refusal(enrol(Client(), center_world.display).get(url)) == (403, "bigscreen_stream_forbidden")


def test_public_channel_needs_nobody(feed: StubFeed) -> None:
    response = Client().get("/bigscreen/stream/stub/")
    assert (response.status_code, read(response)[:13]) == (200, b"retry: 3000\n\n")
    assert Client().get("/bigscreen/poll/stub/").status_code == 200


def test_ticket_issued_to_staff_and_screens_only(feed: StubFeed, principals: Principals, screen: Screen,
                                                 center_world: CenterWorld, settings: Any) -> None:
    settings.BIGSCREEN_STREAM_ORIGIN = "http://127.0.0.1:8001"
    url = "/bigscreen/ticket/secret/"
    assert refusal(Client().get(url)) == (403, "bigscreen_stream_forbidden")
    assert refusal(principals.client("citizen").get(url)) == (403, "bigscreen_stream_forbidden")
    response = principals.client("clerk").get(url, headers={"Origin": SITE})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in response  # the ticket is for the page's own origin
    body = response.json()
    assert set(body) == {"channel", "ticket", "expires_in", "stream", "poll"}
    assert (body["channel"], body["expires_in"]) == ("secret", 900)
    assert body["stream"] == f"http://127.0.0.1:8001/bigscreen/stream/secret/?t={body['ticket']}"
    assert body["poll"] == f"http://127.0.0.1:8001/bigscreen/poll/secret/?t={body['ticket']}"
    assert broadcast.ticket_allows(body["ticket"], SECRET)
    center_world.display.refresh_from_db()
    assert center_world.display.last_seen_at is None
    assert enrol(Client(), center_world.display).get(url).status_code == 200
    center_world.display.refresh_from_db()
    assert center_world.display.last_seen_at is not None  # the screen's renewal is its "last seen"
    assert Client().get("/bigscreen/ticket/stub/").status_code == 200  # a public channel: anyone


def test_ticket_opens_its_channel_only(feed: StubFeed) -> None:
    ticket = broadcast.make_ticket(SECRET)
    assert read(Client().get(f"/bigscreen/stream/secret/?t={ticket}")).startswith(b"retry: 3000\n\nid: 1\n")
    assert Client().get(f"/bigscreen/poll/secret/?t={ticket}").json()["channel"] == "secret"
    broadcast.register("classified", feed.produce, public=False, takes_arg=False)
    try:
        assert refusal(Client().get(f"/bigscreen/stream/classified/?t={ticket}")) == (403, "bigscreen_stream_forbidden")
    finally:
        broadcast.unregister("classified")
    assert refusal(Client().get(f"/bigscreen/stream/secret/?t={ticket}x")) == (403, "bigscreen_stream_forbidden")


def test_expired_ticket_refused(feed: StubFeed, settings: Any) -> None:
    ticket = broadcast.make_ticket(SECRET)
    settings.BIGSCREEN_TICKET_SECONDS = -1
    assert refusal(Client().get(f"/bigscreen/stream/secret/?t={ticket}")) == (403, "bigscreen_stream_forbidden")
    assert refusal(Client().get(f"/bigscreen/poll/secret/?t={ticket}")) == (403, "bigscreen_stream_forbidden")


# -- CORS on the stream paths only -------------------------------------------------------------------

@pytest.mark.parametrize("origin", [SITE, "http://localhost:8000"])
def test_cors_for_the_site_origin(feed: StubFeed, settings: Any, origin: str) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    for path in ("/bigscreen/stream/stub/", "/bigscreen/poll/stub/", "/bigscreen/stream/nope/"):
        response = Client().get(path, headers={"Origin": origin})
        assert response["Access-Control-Allow-Origin"] == origin
        assert "Access-Control-Allow-Credentials" not in response
        assert "Origin" in [name.strip() for name in response["Vary"].split(",")]
        read(response)


def test_no_cors_for_other_origins_or_other_paths(feed: StubFeed, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    for origin in ("http://evil.example", "null", "http://127.0.0.1.evil.example:8000", "file://"):
        response = Client().get("/bigscreen/stream/stub/", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in response
        read(response)
    assert "Access-Control-Allow-Origin" not in Client().get("/", headers={"Origin": SITE})


def test_cors_preflight_of_the_stream_paths(feed: StubFeed, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    for path in ("/bigscreen/stream/stub/", "/bigscreen/poll/stub/"):
        response = Client().options(path, headers={"Origin": SITE, "Access-Control-Request-Method": "GET",
                                                   "Access-Control-Request-Headers": "last-event-id"})
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == SITE
        assert response["Access-Control-Allow-Methods"] == "GET"
        assert response["Access-Control-Allow-Headers"] == "Last-Event-ID, Cache-Control"
        assert "Access-Control-Allow-Credentials" not in response
        other = Client().options(path, headers={"Origin": "http://evil.example"})
        assert other.status_code == 204
        assert "Access-Control-Allow-Origin" not in other
        assert "Access-Control-Allow-Methods" not in other
    assert feed.calls == 0


# -- Long poll ---------------------------------------------------------------------------------------

def test_poll_under_wsgi(feed: StubFeed) -> None:
    first = Client().get("/bigscreen/poll/stub/")
    assert first.status_code == 200
    assert first["Cache-Control"] == "no-store"
    assert first.json() == envelope_of(feed)
    unchanged = Client().get("/bigscreen/poll/stub/?since=1")
    assert (unchanged.status_code, unchanged.content) == (204, b"")
    assert Client().get("/bigscreen/poll/stub/?since=9").json() == envelope_of(feed)
    assert Client().get("/bigscreen/poll/stub/?since=abc").json() == envelope_of(feed)
    feed.value = 2
    feed.step(INTERVAL)
    assert Client().get("/bigscreen/poll/stub/?since=1").json()["seq"] == 2


# -- Under ASGI: the hub wakes the streams -----------------------------------------------------------

async def next_chunk(content: AsyncIterator[bytes]) -> bytes:
    return await anext(content)


async def ticked(hub: broadcast.Hub, ticks: int) -> None:
    """Until the hub has finished ``ticks`` fetches (the fetch runs in the sync thread)."""
    await until(lambda: hub.ticks >= ticks, f"the hub has finished {ticks} fetches")


def test_asgi_stream_is_woken_by_the_hub(feed: StubFeed, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        gate = TickGate()
        monkeypatch.setattr(broadcast.Hub, "sleep", staticmethod(gate.sleep))
        response = await AsyncClient().get("/bigscreen/stream/stub/")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream; charset=utf-8"
        content = aiter(response.streaming_content)  # type: ignore[attr-defined]
        assert await next_chunk(content) == b"retry: 3000\n\n"
        assert await next_chunk(content) == event(envelope_of(feed))
        hub = broadcast.live_hubs()["stub"]
        assert hub.subscribers == 1
        feed.value = 2
        feed.step(INTERVAL)
        await gate.next_tick()
        chunk = await next_chunk(content)
        assert chunk.startswith(b"id: 2\nevent: snapshot\n")
        assert json.loads(chunk.split(b"data: ", 1)[1])["data"] == {"value": 2, "areas": 0}
        feed.step(INTERVAL)
        await gate.next_tick()  # unchanged data: no event; the stream waits for the next change
        await ticked(hub, 2)
        feed.value = 3
        feed.step(INTERVAL)
        await gate.next_tick()
        assert (await next_chunk(content)).startswith(b"id: 3\n")
        reader = asyncio.ensure_future(next_chunk(content))
        await asyncio.sleep(0)
        reader.cancel()  # the screen goes away: the ASGI handler cancels the response's task
        with pytest.raises(asyncio.CancelledError):
            await reader
        assert hub.subscribers == 0
        await gate.next_tick()  # the hub's task notices it has nobody left and ends
        await asyncio.sleep(0)
        assert broadcast.live_hubs() == {}
        assert hub.ticks == 3

    async_to_sync(scenario)()
    assert feed.calls == 4


def test_asgi_poll_waits_for_the_next_seq(feed: StubFeed, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        gate = TickGate()
        monkeypatch.setattr(broadcast.Hub, "sleep", staticmethod(gate.sleep))
        client = AsyncClient()
        first = await client.get("/bigscreen/poll/stub/")
        assert first.json()["seq"] == 1
        waiting = asyncio.ensure_future(client.get("/bigscreen/poll/stub/?since=1"))
        # the poll found nothing newer and waits on the hub
        await until(lambda: "stub" in broadcast.live_hubs(), "the poll waits on the hub", tasks=[waiting])
        assert not waiting.done()
        feed.value = 2
        feed.step(INTERVAL)
        await gate.next_tick()
        answer = await waiting
        assert answer.status_code == 200
        assert (answer.json()["seq"], answer.json()["data"]) == (2, {"value": 2, "areas": 0})

    async_to_sync(scenario)()


def test_asgi_poll_answers_204_when_nothing_changes(feed: StubFeed, monkeypatch: pytest.MonkeyPatch) -> None:
    from onewindow.bigscreen.views import stream

    monkeypatch.setattr(stream, "POLL_WAIT_SECONDS", 0)

    async def scenario() -> None:
        client = AsyncClient()
        assert (await client.get("/bigscreen/poll/stub/")).status_code == 200
        unchanged = await client.get("/bigscreen/poll/stub/?since=1")
        assert (unchanged.status_code, unchanged.content) == (204, b"")

    async_to_sync(scenario)()
