"""bench.bigscreen (issue #16 "Benchmark"): the module imports, its wrk script sends exactly the
bodies the module describes (distinct per request, the same again on the unchanged line), and its
tiny mode runs end to end."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading
from typing import Any

import pytest
from bench import bigscreen

AREAS: list[dict[str, Any]] = [{"code": "b1-api-0", "bearer": "ow_a_secret0", "source": 7, "zones": ["z1", "z2", "z3"]},
         {"code": "b1-api-1", "bearer": "ow_b_secret1", "source": 8, "zones": ["z1", "z2", "z3"]}]
BASE = 1_796_619_300  # 2026-12-07 12:55 Shanghai, a bucket start (a multiple of 300 s)

# Outside CI a machine without Debian's wrk skips these; under CI (which installs wrk, .ci/run) they
# never skip: a missing wrk fails them.
NEEDS_WRK = pytest.mark.skipif(shutil.which("wrk") is None and not os.environ.get("CI"),
                               reason="Debian's wrk is the bench's load client (apt-get install wrk)")


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.seen.append((self.path, dict(self.headers), body))
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Any:
    Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_bodies_are_distinct_and_aligned() -> None:
    bodies = [bigscreen.body_of(n, AREAS, BASE) for n in range(400)]
    keys = {(b["area"], b["bucket_start"]) for b in bodies}
    assert len(keys) == 400
    assert len({json.dumps(b["counts"]) for b in bodies}) == 400
    assert bodies[0]["bucket_start"] == "2026-12-07T12:55:00+08:00"
    assert bodies[1]["bucket_start"] == "2026-12-07T12:55:00+08:00"
    assert bodies[2]["bucket_start"] == "2026-12-07T12:50:00+08:00"
    assert [c["zone"] + "/" + c["origin"] for c in bodies[0]["counts"]] == [
        f"z{z}/{o}" for z in (1, 2, 3) for o in ("local", "domestic", "international")]
    assert all(20 <= c["present"] < 3020 and 20 <= c["arrivals"] < 420 for b in bodies for c in b["counts"])


def test_newest_bucket_has_ended() -> None:
    assert bigscreen.newest_bucket(BASE + 300 + 299.5) == BASE
    assert bigscreen.newest_bucket(BASE + 300) == BASE


@NEEDS_WRK
@pytest.mark.parametrize("modulo", [0, 5])
def test_wrk_sends_the_described_bodies(recorder: Any, modulo: int) -> None:
    script = bigscreen.wrk_script(areas=AREAS, kind="api", base=BASE, offset=10, modulo=modulo, expected=201)
    result = bigscreen.run_wrk(recorder.server_address[1], script, clients=2, seconds=1)
    seen = Recorder.seen
    assert result["bad"] == 0
    assert result["ok"] <= len(seen) <= result["ok"] + 2  # the answers wrk still awaited when it stopped
    assert len(seen) > 10
    by_area = {a["code"]: a["bearer"] for a in AREAS}
    numbers = []
    for path, headers, body in seen:
        assert path == bigscreen.API_PATH
        assert headers["Authorization"] == "Bearer " + by_area[body["area"]]
        n = next(n for n in range(10, 10 + 2 * len(seen) + 2) if bigscreen.body_of(n, AREAS, BASE) == body)
        numbers.append(n)
    if modulo:
        assert set(numbers) == set(range(10, 15))
    else:  # each thread sends its keys in turn from the first (wrk's check call uses none up)
        assert len(set(numbers)) == len(numbers)
        for tid in (0, 1):
            mine = sorted(n for n in numbers if n % 2 == tid)
            assert mine == list(range(10 + tid, 10 + tid + 2 * len(mine), 2))


@NEEDS_WRK
def test_bare_side_names_the_source(recorder: Any) -> None:
    script = bigscreen.wrk_script(areas=AREAS, kind="bare", base=BASE, offset=0, modulo=0, expected=201)
    bigscreen.run_wrk(recorder.server_address[1], script, clients=1, seconds=1)
    sources = {a["code"]: a["source"] for a in AREAS}
    assert Recorder.seen
    for path, headers, body in Recorder.seen:
        assert path == f"{bigscreen.BARE_PATH}?source={sources[body['area']]}"
        assert "Authorization" not in headers


@pytest.mark.slow
@NEEDS_WRK
def test_tiny_mode_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole bench at toy size on its own SQLite file: every ingest answer as expected, the
    database consistent with the answers, and every screen receiving every fed bucket."""
    assert bigscreen.main(["--tiny"]) == 0
    printed = capsys.readouterr().out
    saved = sorted(bigscreen.RESULTS.glob("*-bigscreen-sqlite.json"))[-1]
    result = json.loads(saved.read_text())
    saved.unlink()
    ingest = result["ingest"]
    assert ingest["consistent"] is True
    assert all(f["errors"] == 0 and f["requests"] > 0 for f in ingest["figures"].values())
    assert ingest["sent_ok"]["api"] <= ingest["check"]["api"]["reports"] <= ingest["sent"]["api"]
    assert ingest["check"]["api"]["revisions"] == ingest["check"]["api"]["reports"]
    steps = result["fanout"]["steps"]
    assert [s["screens"] for s in steps] == [1, 10]
    for s in steps:
        assert s["feeds"] >= 2
        assert s["screens_reporting"] == s["screens"]
        assert s["missed"] == 0
        assert s["deliveries"] == s["feeds"] * s["screens"]
    assert "database check: API" in printed
    assert "update latency p99" in printed
