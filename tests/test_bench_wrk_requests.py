"""bench.wrk (issue #17): the request list travels to wrk as a file (one escaped request a line), so a
list may be longer than LuaJIT's 65,536 constants; wrk sends exactly the listed requests, each thread
its own disjoint part, none twice while the list lasts."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from bench import wrk
from bench.wrk import Req

# Outside CI a machine without Debian's wrk skips these; under CI (which installs wrk, .ci/run) they
# never skip: a missing wrk fails them.
NEEDS_WRK = pytest.mark.skipif(shutil.which("wrk") is None and not os.environ.get("CI"),
                               reason="Debian's wrk is the bench's load client (apt-get install wrk)")


def test_line_of_a_get_without_body() -> None:
    assert wrk.request_line(Req("/api/v1/catalog/items?q=%E6%88%B7%E7%B1%8D")) == (
        "GET\t/api/v1/catalog/items?q=%E6%88%B7%E7%B1%8D\t\\N\n")


def test_line_of_a_json_post_keeps_chinese_and_escapes_controls() -> None:
    req = Req.json("/api/v1/cases/", {"名": "张\t三\n", "k": "a\\b"}, headers={"Idempotency-Key": "k-{n}"})
    assert wrk.request_line(req) == (
        'POST\t/api/v1/cases/\t{"名":"张\\\\t三\\\\n","k":"a\\\\\\\\b"}'
        "\tContent-Type\tapplication/json\tAccept\tapplication/json\tIdempotency-Key\tk-{n}\n")


def test_line_escapes_raw_tab_newline_return_backslash() -> None:
    assert wrk.request_line(Req("/p", "PUT", "a\tb\nc\rd\\e")) == "PUT\t/p\ta\\tb\\nc\\rd\\\\e\n"


def test_empty_body_is_not_an_absent_body() -> None:
    assert wrk.request_line(Req("/p", "POST", "")) == "POST\t/p\t\n"
    assert wrk.request_line(Req("/p", "POST", "\\N")) == "POST\t/p\t\\\\N\n"
    assert wrk.parse_request_line("POST\t/p\t\n").body == ""
    assert wrk.parse_request_line("POST\t/p\t\\\\N\n").body == "\\N"
    assert wrk.parse_request_line("POST\t/p\t\\N\n").body is None


@pytest.mark.parametrize("req", [
    Req("/a?q=%20x"),
    Req("/b", "DELETE", None, (("X-Forwarded-For", "10.0.0.7"),)),
    Req.json("/c", {"text": "一码查询 \\ \t\r\n ok", "n": "{n}"}),
    Req("/d", "POST", "", (("Authorization", "Bearer ow_x"), ("X-Empty", ""))),
])
def test_parse_undoes_line(req: Req) -> None:
    assert wrk.parse_request_line(wrk.request_line(req)) == req


def test_file_holds_one_line_per_request(tmp_path: Path) -> None:
    reqs = [Req(f"/r/{i}", body="x\ny" if i % 2 else None) for i in range(5)]
    wrk.write_requests(reqs, tmp_path / "list.tsv")
    data = (tmp_path / "list.tsv").read_bytes()
    assert data.count(b"\n") == 5
    assert [wrk.parse_request_line(line) for line in data.decode().splitlines(keepends=True)] == reqs


def test_list_file_written_once_per_content() -> None:
    reqs = [Req(f"/once/{i}") for i in range(3)]
    first = wrk.list_file(reqs)
    assert wrk.list_file(list(reqs)) == first  # the same requests: the same file, not written again
    assert first.read_text(encoding="utf-8") == "GET\t/once/0\t\\N\nGET\t/once/1\t\\N\nGET\t/once/2\t\\N\n"
    changed = wrk.list_file([*reqs[:2], Req("/once/x")])
    assert changed != first and changed.read_text(encoding="utf-8").endswith("GET\t/once/x\t\\N\n")


def test_script_header_names_file_and_count(tmp_path: Path) -> None:
    script = wrk.lua_script(tmp_path / "list.tsv", 150_000, offset=7, threads=2, expected=(200, 304))
    header = script.split("\n")[:6]
    assert header == [f'reqs_file = "{tmp_path}/list.tsv"', "nreqs = 150000", "offset = 7", "nthreads = 2",
                      "expected = {[200]=true, [304]=true}", "group = 1"]
    assert "reqs = {" not in script  # the list itself is never a Lua literal
    with pytest.raises(ValueError):
        wrk.lua_script(tmp_path / "list.tsv", 0, offset=0, threads=1, expected=(200,))
    assert wrk.lua_script(tmp_path / "l.tsv", 10, offset=4, threads=3, expected=(200,), group=2).split("\n")[5] == (
        "group = 2")
    for count, offset in ((9, 0), (10, 3)):  # a unit cut by the list's end or the phase's start
        with pytest.raises(ValueError, match="whole units"):
            wrk.lua_script(tmp_path / "l.tsv", count, offset=offset, threads=3, expected=(200,), group=2)


def test_thread_requests_of_units() -> None:
    # group 1: thread t sends offset + t, offset + t + T, … (as before units)
    assert wrk.thread_requests(1, offset=7, threads=2, units=4) == [8, 10, 12, 14]
    # group 2: thread t sends unit offset/2 + t + T·i, both its requests in order
    assert wrk.thread_requests(0, offset=4, threads=3, group=2, units=3) == [4, 5, 10, 11, 16, 17]
    assert wrk.thread_requests(2, offset=4, threads=3, group=2, units=2) == [8, 9, 14, 15]


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, str | None, str | None]] = []
    lock = threading.Lock()

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else None
        with self.lock:
            self.seen.append((self.command, self.path, body, self.headers.get("X-Key")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _record

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


@NEEDS_WRK
def test_wrk_sends_the_listed_requests_once_each(recorder: Any) -> None:
    reqs = [Req(f"/r/{i}?n={{n}}&q=" + urllib.parse.quote(f"户籍{i}")) if i % 2 else
            Req.json(f"/r/{i}?n={{n}}", {"名": f"张\t三\n{i}", "k": "a\\b"}, headers={"X-Key": "k-{n}"})
            for i in range(5_000)]
    result = wrk.run_wrk(recorder.server_address[1], reqs, clients=2, seconds=1, offset=1_000, threads=2)
    seen = Recorder.seen
    assert result["distinct"] == 5_000 and not result["wrapped"] and result["errors"] == 0
    assert result["ok"] <= len(seen) <= result["ok"] + 2  # the answers wrk still awaited when it stopped
    numbers = []
    for method, path, body, key in seen:
        n = int(urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["n"][0])
        want = reqs[n % len(reqs)]
        numbers.append(n)
        assert (method, path, body) == (want.method, want.path.replace("{n}", str(n)), want.body)
        assert key == (f"k-{n}" if want.body is not None else None)
    assert len(set(numbers)) == len(numbers)  # none twice
    # Thread t sends offset + t, offset + t + 2, … from the first: two disjoint runs with no holes.
    evens, odds = sorted(n for n in numbers if n % 2 == 0), sorted(n for n in numbers if n % 2)
    assert evens == list(range(1_000, 1_000 + 2 * len(evens), 2))
    assert odds == list(range(1_001, 1_001 + 2 * len(odds), 2))


class ConnectionRecorder(Recorder):
    """Records each request with its connection (the client's port) and knows when wrk's are all closed."""

    by_port: dict[int, list[int]] = {}
    open_connections = 0
    closed = threading.Condition()

    def handle(self) -> None:
        with self.closed:
            ConnectionRecorder.open_connections += 1
        try:
            super().handle()
        finally:
            with self.closed:
                ConnectionRecorder.open_connections -= 1
                self.closed.notify_all()

    def _record(self) -> None:
        n = int(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["n"][0])
        with self.lock:
            self.by_port.setdefault(self.client_address[1], []).append(n)
        super()._record()

    do_GET = do_POST = _record


@NEEDS_WRK
def test_wrk_sends_each_unit_in_order_on_one_connection() -> None:
    ConnectionRecorder.by_port, ConnectionRecorder.seen = {}, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ConnectionRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        reqs = [Req(f"/call/{i // 2}?n={{n}}", "POST") if i % 2 == 0 else Req(f"/skip/{i // 2}?n={{n}}", "POST")
                for i in range(1_000)]
        result = wrk.run_wrk(server.server_address[1], reqs, clients=4, seconds=1, offset=20, group=2)
        with ConnectionRecorder.closed:  # every request wrk sent has been read (wrk closed its connections)
            assert ConnectionRecorder.closed.wait_for(lambda: ConnectionRecorder.open_connections == 0, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert result["threads"] == 4 and result["group"] == 2 and result["errors"] == 0  # a thread per connection
    sequences = sorted(ConnectionRecorder.by_port.values())
    assert len(sequences) == 4
    owed = sorted(result["owed"])
    expected_owed = []
    for thread, sent in enumerate(sequences):  # thread t's first request is unit 10 + t's first
        assert sent[0] == (10 + thread) * 2
        assert sent == wrk.thread_requests(thread, offset=20, threads=4, group=2, units=len(sent) // 2 + 1)[
            :len(sent)]
        if len(sent) % 2:  # stopped between a unit's two requests: the second is owed
            expected_owed.append(sent[-1] + 1)
    assert owed == sorted(expected_owed)
    assert result["units_per_thread"] == max((len(s) + 1) // 2 for s in sequences)
    assert result["sent"] == sum(len(s) for s in sequences)


def test_settle_sends_the_owed_requests_in_order(recorder: Any) -> None:
    reqs = [Req("/call/{n}", "POST", '{"k":"{n}"}', (("X-Key", "k-{n}"),)), Req("/skip/{n}", "POST")]
    statuses = wrk.settle(recorder.server_address[1], reqs, [7, 3, 10])
    assert statuses == {200: 3}
    assert Recorder.seen == [("POST", "/skip/7", None, None), ("POST", "/skip/3", None, None),
                             ("POST", "/call/10", '{"k":"10"}', "k-10")]


@NEEDS_WRK
def test_wrk_reads_a_list_beyond_luajits_constant_limit(recorder: Any) -> None:
    reqs = [Req(f"/r/{i}") for i in range(70_000)]  # as Lua literals: "main function has more than 65536 constants"
    result = wrk.run_wrk(recorder.server_address[1], reqs, clients=1, seconds=1, offset=69_990, threads=1)
    assert result["distinct"] == 70_000 and result["errors"] == 0
    assert [path for _m, path, _b, _k in Recorder.seen[:12]] == [f"/r/{i % 70_000}" for i in range(69_990, 70_002)]


def test_catalog_list_outlasts_its_run() -> None:
    from bench import catalog_varied

    # 3 + 2 × 3 × 8 s at 3,000 req/s = 153,000 (+ 45,000 with the 15-s profile phase); --cpu's 60,000 the least
    assert catalog_varied.list_size(3, 8, False) == 160_000
    assert catalog_varied.list_size(3, 8, True) == 200_000
    assert catalog_varied.list_size(1, 8, False) == 60_000


def test_catalog_runs_of_chinese_characters() -> None:
    from bench import catalog_varied

    assert catalog_varied._starts("户籍A证明办理", 2) == (0, 3, 4, 5)
    assert catalog_varied._starts("户籍A证明办理", 4) == (3,)
    assert catalog_varied._starts("ABC", 2) == ()
