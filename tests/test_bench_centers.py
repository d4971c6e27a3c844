"""bench.centers (issue #17): the call + skip lists are pairs — a keypad's call, then its skip — that wrk
sends on one connection each, in order, the skip after the call's answer; at any moment a phase's
connections hold different keypads, so the API answers every call and skip 200 (no skip before its
call, no call at a busy window). The bare view gets the same pairs on its own windows. No server here:
the lists and bench.wrk's per-thread order (the Lua script's, pinned against wrk in
test_bench_wrk_requests.py)."""

from __future__ import annotations

from typing import Any

import pytest
from bench import centers
from bench.wrk import Cursor, Req, thread_requests

KEYPADS = 256
CENTER = 7
BARE_CATEGORIES = [[31, "W"], [32, "X"], [33, "Y"], [34, "V"]]
CATS = "31,32,33,34"


def fake_info(keypads: int = KEYPADS) -> dict[str, Any]:
    return {"center": CENTER, "keypads": [f"ow_key{k}" for k in range(keypads)],
            "bare_windows": [1000 + k for k in range(keypads)], "bare_categories": BARE_CATEGORIES}


def keypad_step(req: Req) -> tuple[str, int]:
    """("call" | "skip", keypad index) of an API or bare request of the lists."""
    if req.path.startswith("/bench/bare/centers/"):
        action, query = req.path.removeprefix("/bench/bare/centers/").split("?")
        window = int(dict(part.split("=") for part in query.split("&"))["w"])
        return action, window - 1000
    action = {centers.CALL: "call", centers.SKIP: "skip"}[req.path]
    return action, int(dict(req.headers)["Authorization"].removeprefix("Bearer ow_key"))


def test_lists_are_call_then_skip_pairs_keypad_after_keypad() -> None:
    bare, api = centers.call_lists(fake_info(), cycles=3)
    assert len(api) == len(bare) == 3 * KEYPADS * 2
    want = [(action, j % KEYPADS) for j in range(3 * KEYPADS) for action in ("call", "skip")]
    assert [keypad_step(r) for r in api] == want
    assert [keypad_step(r) for r in bare] == want  # the bare view: the same pairs on its own windows
    assert api[0] == Req.json(centers.CALL, {}, headers={"Authorization": "Bearer ow_key0"})
    assert api[1] == Req.json(centers.SKIP, {}, headers={"Authorization": "Bearer ow_key0"})
    assert bare[0] == Req(f"/bench/bare/centers/call?center={CENTER}&w=1000&d=1000&cats={CATS}", "POST")
    assert bare[1] == Req("/bench/bare/centers/skip?w=1000&d=1000", "POST")


@pytest.mark.parametrize("clients", [16, 64])
@pytest.mark.parametrize("offset", [0, 2, 130, 5_118, 10_238])
def test_each_connection_sends_a_keypads_skip_right_after_its_call(clients: int, offset: int) -> None:
    # One wrk thread per connection (units of 2): its requests leave one after the other's answer.
    bare, api = centers.call_lists(fake_info())
    for reqs in (api, bare):
        for thread in range(clients):
            sent = [keypad_step(reqs[n % len(reqs)])
                    for n in thread_requests(thread, offset=offset, threads=clients, group=centers.CALL_UNIT,
                                             units=200)]
            assert [action for action, _ in sent] == ["call", "skip"] * 200
            assert all(sent[i][1] == sent[i + 1][1] for i in range(0, 400, 2))  # the skip is its call's keypad


@pytest.mark.parametrize("clients", [16, 64])
@pytest.mark.parametrize("offset", [0, 2, 130, 5_118])
def test_a_phases_connections_never_hold_the_same_keypad(clients: int, offset: int) -> None:
    # Whatever pace each connection keeps, no two of them ever send to the same keypad: thread t's keypads
    # are ≡ offset / 2 + t (mod clients), and clients divides KEYPADS.
    bare, api = centers.call_lists(fake_info())
    for reqs in (api, bare):
        keypads = [{keypad_step(reqs[n % len(reqs)])[1]
                    for n in thread_requests(thread, offset=offset, threads=clients, group=centers.CALL_UNIT,
                                             units=300)} for thread in range(clients)]
        assert sum(len(k) for k in keypads) == KEYPADS  # each thread has KEYPADS / clients keypads
        assert set().union(*keypads) == set(range(KEYPADS))
        assert [sorted(k) for k in keypads] == [
            sorted(range((offset // 2 + t) % clients, KEYPADS, clients)) for t in range(clients)]


def test_next_phase_starts_on_a_whole_pair() -> None:
    cursor = Cursor()
    cursor.advance({"threads": 64, "units_per_thread": 9, "group": 2, "sent_per_thread": 17})
    assert cursor.next == 64 * 10 * 2
    cursor.advance({"threads": 16, "units_per_thread": 3, "group": 2, "sent_per_thread": 6})
    assert cursor.next == 1_280 + 16 * 4 * 2


def test_keypads_must_divide_among_the_connections() -> None:
    with pytest.raises(ValueError, match="not a multiple of 16 and 64"):
        centers.call_lists(fake_info(keypads=96))
    assert centers.KEYPADS % 16 == 0 and centers.KEYPADS % 64 == 0


def test_queue_sized_for_the_call_phases() -> None:
    # warm 3 s + 2 rounds x (4 s at 16 + 4 s at 64); the profile adds one phase
    assert centers.call_seconds(2, 4, 3, False) == 19
    assert centers.call_seconds(3, 10, 3, True) == 73
    assert centers.call_seconds(1, 0.2, 3, False) == 5  # wrk runs a phase for 1 s at least
    take_rounds = [{"base_latency": {"req_per_s": 311.0}, "base_throughput": {"req_per_s": 396.5},
                    "bench_latency": {"req_per_s": 157.2}, "bench_throughput": {"req_per_s": 150.0}},
                   {"base_latency": {"req_per_s": 400.0}, "base_throughput": {"req_per_s": 380.0},
                    "bench_latency": {"req_per_s": 140.0}, "bench_throughput": {"req_per_s": 158.0}}]
    assert centers.queue_need(take_rounds, "base", 19) == int(2 * 400.0 * 19) + 1
    assert centers.queue_need(take_rounds, "bench", 19) == int(2 * 158.0 * 19) + 1
