"""The wrk load client of the benches (issue #17): varied requests, each phase beside its baseline.

Debian's ``wrk`` (C, epoll, keep-alive connections; ``apt-get install wrk``) costs far less CPU than
the server it loads, unlike ``bench/load.py``'s Python threads, which shared the 2 cores with
gunicorn and flattened every ratio. A phase sends a list of :class:`Req` in order through
``bench/wrk_requests.lua``: request *n* is ``reqs[n % len(reqs)]``, and ``{n}`` in its path, body or a
header value becomes *n* (a unique idempotency key, say). Phases continue the list where the last one
stopped (:class:`Cursor`), so a list longer than a round's requests is never repeated within the round
(``wrapped`` in the result says when it was).

The list travels in a file that each wrk thread reads in its ``init`` (:func:`request_line`: one request
a line), not as Lua literals: wrk's LuaJIT refuses a chunk of more than 65,536 constants, which capped a
list at ~60,000 paths. Thread *t* of *T* sends requests ``offset + t``, ``offset + t + T``, … — the threads'
parts are disjoint.

Requests that must follow each other's answers (a keypad's call, then its skip) travel as a *unit* of
``group`` consecutive requests of the list: with ``group`` > 1 every connection has a wrk thread of its own
and sends its units' requests in order, each after the answer to the one before (:func:`thread_requests`).
wrk stops in the middle of a unit: its result names the requests still ``owed``, and :func:`measure_pair`
sends them (:func:`settle`) before the next phase of that list — after the other side's phase, so the
abandoned requests the server was still answering are done by then — so every phase starts with every
unit complete (every window free).

Use::

    from bench.wrk import Req, Cursor, run_wrk, measure_pair, report
    base = [Req("/bench/bare/constant")]
    bench = [Req(f"/api/v1/catalog/items?q={quote(q)}") for q in queries]
    rounds = measure_pair(port, base, bench, rounds=3, seconds=10)
    result = report("catalog search (varied)", "constant", rounds, aims={"throughput_ratio_at_64": 0.5})

Latency is wrk's: from sending a request to the last byte of its answer, per connection.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .run import loadavg

LUA = Path(__file__).with_name("wrk_requests.lua")
LATENCY_CLIENTS = 16
THROUGHPUT_CLIENTS = 64
WRK_THREADS = 2


@dataclasses.dataclass(frozen=True)
class Req:
    """One request of a workload. ``{n}`` anywhere in path, body or a header value is replaced by the
    request's number in the run."""

    path: str
    method: str = "GET"
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, path: str, payload: Any, *, method: str = "POST", headers: dict[str, str] | None = None) -> Req:
        """A JSON request; the body keeps Chinese as UTF-8 (the Lua literal escapes its bytes)."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        merged = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        return cls(path, method, body, tuple(merged.items()))


def lua_string(value: str) -> str:
    """A Lua 5.1 string literal of ``value``'s UTF-8 bytes (wrk's LuaJIT has no ``\\u`` escapes)."""
    out = []
    for byte in value.encode():
        if 32 <= byte < 127 and byte not in (34, 92):
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


#: The escapes of :func:`request_line`'s fields (the Lua side, ``ESCAPES`` in wrk_requests.lua, undoes them).
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
#: A body that is absent (``Req.body is None``), as PostgreSQL's COPY writes a NULL.
NO_BODY = "\\N"


def request_line(req: Req) -> str:
    """One request as a line of the list file: method, path, body, then each header's name and value,
    separated by tabs; a backslash, tab, newline or carriage return inside a field is written ``\\\\``,
    ``\\t``, ``\\n``, ``\\r``; an absent body is ``\\N``. Everything else is the field's UTF-8 as is."""
    body = NO_BODY if req.body is None else req.body.translate(_ESCAPES)
    fields = [req.method.translate(_ESCAPES), req.path.translate(_ESCAPES), body]
    fields += [part.translate(_ESCAPES) for pair in req.headers for part in pair]
    return "\t".join(fields) + "\n"


def parse_request_line(line: str) -> Req:
    """The inverse of :func:`request_line` (what the Lua script does; for tests and tools)."""
    marks = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}

    def unescape(field: str) -> str:
        out, i = [], 0
        while i < len(field):
            if field[i] == "\\" and i + 1 < len(field):
                out.append(marks.get(field[i + 1], field[i:i + 2]))  # as Lua's gsub keeps an unknown one
                i += 2
            else:
                out.append(field[i])
                i += 1
        return "".join(out)

    fields = line.rstrip("\n").split("\t")
    body = None if fields[2] == NO_BODY else unescape(fields[2])
    pairs = [unescape(f) for f in fields[3:]]
    return Req(unescape(fields[1]), unescape(fields[0]), body, tuple(zip(pairs[::2], pairs[1::2], strict=True)))


def write_requests(reqs: list[Req], path: Path) -> None:
    """The list file of a phase (:func:`request_line` per request, UTF-8, ``\\n`` line ends)."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(request_line(r) for r in reqs)


_LIST_FOLDER: list[tempfile.TemporaryDirectory[str]] = []  # one per process, removed at its exit
_LIST_FILES: dict[tuple[int, int], Path] = {}


def list_file(reqs: list[Req]) -> Path:
    """The list file of ``reqs``, written once per process and content: a bench sends the same list in
    every phase (:func:`measure_pair`: ~14), and writing 200,000 requests takes about a second."""
    key = (len(reqs), hash(tuple(reqs)))
    if key not in _LIST_FILES:
        if not _LIST_FOLDER:
            _LIST_FOLDER.append(tempfile.TemporaryDirectory(prefix="bench-wrk-"))
        path = Path(_LIST_FOLDER[0].name) / f"requests-{len(_LIST_FILES)}.tsv"
        write_requests(reqs, path)
        _LIST_FILES[key] = path
    return _LIST_FILES[key]


def lua_script(reqs_file: Path, count: int, *, offset: int, threads: int, expected: tuple[int, ...],
               group: int = 1) -> str:
    """``bench/wrk_requests.lua`` behind a header naming the list file and its request count."""
    if count < 1:
        raise ValueError("a wrk phase needs at least one request")
    if group < 1 or count % group or offset % group:
        raise ValueError(f"units of {group}: the list ({count}) and the offset ({offset}) must hold whole units")
    header = (f"reqs_file = {lua_string(str(reqs_file))}\nnreqs = {int(count)}\n"
              f"offset = {int(offset)}\nnthreads = {int(threads)}\n"
              "expected = {" + ", ".join(f"[{int(s)}]=true" for s in expected) + "}\n"
              f"group = {int(group)}\n")
    return header + LUA.read_text()


def thread_requests(thread: int, *, offset: int, threads: int, group: int = 1, units: int) -> list[int]:
    """The numbers of the requests that wrk thread ``thread`` of ``threads`` sends first, in order, over its
    first ``units`` units (what wrk_requests.lua does): unit *u* = ``offset / group + thread + threads × i``,
    its requests ``u × group`` … ``u × group + group - 1``; request *n* is ``reqs[n % len(reqs)]``."""
    out: list[int] = []
    for i in range(units):
        start = (offset // group + thread + threads * i) * group
        out += range(start, start + group)
    return out


def wrk_binary() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (the benches' load client)")
    return wrk


def run_wrk(port: int, reqs: list[Req], clients: int, seconds: float, *, offset: int = 0,
            expected: tuple[int, ...] = (200,), threads: int = WRK_THREADS, host: str = "127.0.0.1",
            group: int = 1) -> dict[str, Any]:
    """One phase: ``clients`` keep-alive connections for ``seconds``; returns wrk's figures.

    ``group`` > 1: the list is units of ``group`` requests sent in order on one connection, so each connection
    gets a thread of its own (``threads`` is ignored: a wrk thread hands its next request to whichever of its
    connections is free); ``owed`` in the result lists the requests of units left unfinished."""
    threads = clients if group > 1 else max(1, min(threads, clients))
    if not reqs:
        raise ValueError("a wrk phase needs at least one request")
    listing = list_file(reqs)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder) / "requests.lua"
        script.write_text(lua_script(listing, len(reqs), offset=offset, threads=threads, expected=expected,
                                     group=group), encoding="utf-8")
        out = subprocess.run([wrk_binary(), "-t", str(threads), "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
                              "--timeout", "30s", "-s", str(script), f"http://{host}:{port}"],
                             check=True, capture_output=True, text=True)
    lines = [line for line in out.stdout.splitlines() if line.startswith("WRKJSON ")]
    if not lines:
        raise SystemExit(f"wrk printed no figures:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(lines[-1][len("WRKJSON "):])
    seconds_run = result["duration_us"] / 1e6
    result.update(clients=clients, threads=threads, offset=offset, seconds=seconds_run,
                  req_per_s=result["requests"] / seconds_run if seconds_run else 0.0,
                  p50_ms=result["p50_us"] / 1000, p90_ms=result["p90_us"] / 1000, p99_ms=result["p99_us"] / 1000,
                  errors=result["bad"] + result["socket_errors"],
                  wrapped=result["sent"] > len(reqs), loadavg=loadavg())
    if result["errors"]:
        print(f"[bench] WARNING: {result['bad']} answers not in {expected}, {result['socket_errors']} socket errors"
              f" ({result['timeouts']} timeouts); first: {result['first_bad']}", flush=True)
    return result


def settle(port: int, reqs: list[Req], owed: list[int], *, expected: tuple[int, ...] = (200,),
           host: str = "127.0.0.1", tries: int = 3, pause: float = 0.5) -> Counter[int]:
    """Send the requests a phase left ``owed`` (numbers *n*: ``reqs[n % len(reqs)]`` with ``{n}`` filled), one
    after the other on one connection, outside any measurement; a request answered outside ``expected`` is
    tried again after ``pause`` (its unit's earlier request may still be under way on the server), up to
    ``tries`` times. Returns the final statuses (0: no answer)."""
    statuses: Counter[int] = Counter()
    for n in owed:
        req = reqs[n % len(reqs)]
        key = str(n)
        body = None if req.body is None else req.body.replace("{n}", key).encode()
        status = 0
        for attempt in range(tries):
            if attempt:
                time.sleep(pause)
            conn = http.client.HTTPConnection(host, port, timeout=60)
            try:
                conn.request(req.method, req.path.replace("{n}", key), body=body,
                             headers={k: v.replace("{n}", key) for k, v in req.headers})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
            finally:
                conn.close()
            if status in expected:
                break
        statuses[status] += 1
    return statuses


class Cursor:
    """Where the next phase of a request list starts, so phases do not repeat each other's requests."""

    def __init__(self, start: int = 0) -> None:
        self.next = start

    def advance(self, result: dict[str, Any]) -> None:
        # Every thread started at most units_per_thread units (+1 for wrk's unsent check request).
        self.next += result["threads"] * (int(result["units_per_thread"]) + 1) * int(result["group"])


def measure_pair(port: int, base: list[Req], bench: list[Req], *, rounds: int = 3, seconds: float = 10,
                 warm_seconds: float = 3, expected: tuple[int, ...] = (200,),
                 base_expected: tuple[int, ...] = (200,), clients: tuple[int, int] = (LATENCY_CLIENTS,
                                                                                   THROUGHPUT_CLIENTS),
                 log: Any = print, group: int = 1) -> list[dict[str, Any]]:
    """Interleaved rounds: in each, the baseline then the benchmark at 16 clients (latency), then both at
    64 (throughput); both sides see the same background load. A short warm-up of each side first (it
    uses up the first requests of the list: caches warm only from the workload itself).

    ``group`` > 1: both lists are units of ``group`` requests (:func:`run_wrk`); before each phase of a side,
    the units its last phase left unfinished are finished (:func:`settle`, not measured)."""
    cursors = {"base": Cursor(), "bench": Cursor()}
    lists = {"base": base, "bench": bench}
    wanted = {"base": base_expected, "bench": expected}
    owed: dict[str, list[int]] = {"base": [], "bench": []}

    def phase(side: str, count: int, phase_seconds: float) -> dict[str, Any]:
        if owed[side]:
            statuses = settle(port, lists[side], owed[side], expected=wanted[side])
            log(f"[bench] {len(owed[side])} requests of units the last {side} phase left unfinished, sent: "
                + ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items())))
        result = run_wrk(port, lists[side], count, phase_seconds, offset=cursors[side].next, expected=wanted[side],
                         group=group)
        cursors[side].advance(result)
        owed[side] = result["owed"]
        return result

    if warm_seconds > 0:
        for side in ("base", "bench"):
            phase(side, LATENCY_CLIENTS, warm_seconds)
    out = []
    for index in range(rounds):
        log(f"[bench] round {index + 1} of {rounds} (load average {loadavg()})")
        one: dict[str, Any] = {}
        for name, count in zip(("latency", "throughput"), clients, strict=True):
            for side in ("base", "bench"):
                one[f"{side}_{name}"] = phase(side, count, seconds)
        out.append(one)
    return out


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    med = statistics.median
    return {"clients": results[0]["clients"], "requests": sum(r["requests"] for r in results),
            "errors": sum(r["errors"] for r in results), "wrapped": any(r["wrapped"] for r in results),
            "req_per_s": round(med([r["req_per_s"] for r in results]), 1),
            "p50_ms": round(med([r["p50_ms"] for r in results]), 2),
            "p99_ms": round(med([r["p99_ms"] for r in results]), 2)}


def _row(label: str, f: dict[str, Any]) -> str:
    return (f"{label:<40} {f['clients']:>7} {f['requests']:>8} {f['errors']:>6} {f['req_per_s']:>9.0f} "
            f"{f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f}")


def report(name: str, base_name: str, rounds: list[dict[str, Any]], aims: dict[str, float],
           *, distinct: int | None = None) -> dict[str, Any]:
    """Print the medians and ratios of :func:`measure_pair`'s rounds; returns them (for the JSON file).

    ``aims``: ``throughput_ratio_at_64`` (≥), ``p99_ms_at_16`` (<)."""
    med = statistics.median
    per_round = [{
        "p50_ratio_at_16": r["bench_latency"]["p50_ms"] / r["base_latency"]["p50_ms"],
        "p99_ratio_at_16": r["bench_latency"]["p99_ms"] / r["base_latency"]["p99_ms"],
        "throughput_ratio_at_64": r["bench_throughput"]["req_per_s"] / r["base_throughput"]["req_per_s"],
    } for r in rounds]
    ratios = {key: med([r[key] for r in per_round]) for key in per_round[0]}
    figures = {key: summary([r[key] for r in rounds]) for key in rounds[0]}
    lat, base_lat = figures["bench_latency"], figures["base_latency"]
    thr, base_thr = figures["bench_throughput"], figures["base_throughput"]
    print()
    grouped = rounds[0]["bench_throughput"].get("group", 1) > 1
    threads = "one thread per connection" if grouped else f"{WRK_THREADS} threads"
    print(f"{name}: median of {len(rounds)} interleaved rounds, load client wrk ({threads})"
          + (f", {distinct} distinct requests" if distinct else ""))
    print(f"{'':<40} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    print(_row(f"bare {base_name} view", base_lat))
    print(_row(name, lat))
    print(_row(f"bare {base_name} view", base_thr))
    print(_row(name, thr))
    print(f"latency at {lat['clients']} clients: p50 {lat['p50_ms']:.1f} ms ({ratios['p50_ratio_at_16']:.2f}x the bare "
          f"view), p99 {lat['p99_ms']:.1f} ms ({ratios['p99_ratio_at_16']:.2f}x; the bare view's p99 "
          f"{base_lat['p99_ms']:.1f} ms)")
    print(f"throughput at {thr['clients']} clients: {thr['req_per_s']:.0f} req/s = "
          f"{ratios['throughput_ratio_at_64']:.2f} of the bare view's {base_thr['req_per_s']:.0f} req/s (per round: "
          + ", ".join(f"{r['throughput_ratio_at_64']:.2f}" for r in per_round) + ")")
    if lat["wrapped"] or thr["wrapped"]:
        print("NOTE: a phase sent more requests than the list holds: it wrapped around and repeated requests")
    verdicts = {}
    if "p99_ms_at_16" in aims:
        verdicts["p99_ms_at_16"] = lat["p99_ms"] < aims["p99_ms_at_16"]
        print(f"aim p99 < {aims['p99_ms_at_16']:.0f} ms at {lat['clients']}: "
              f"{'met' if verdicts['p99_ms_at_16'] else 'NOT met'}")
    if "throughput_ratio_at_64" in aims:
        verdicts["throughput_ratio_at_64"] = ratios["throughput_ratio_at_64"] >= aims["throughput_ratio_at_64"]
        print(f"aim throughput >= {aims['throughput_ratio_at_64']} of the bare view at {thr['clients']}: "
              f"{'met' if verdicts['throughput_ratio_at_64'] else 'NOT met'}")
    errors = sum(f["errors"] for f in figures.values())
    if errors:
        print(f"WARNING: {errors} requests were not answered as expected")
    return {"name": name, "baseline": base_name, "client": "wrk", "distinct": distinct,
            "ratios": {k: round(v, 3) for k, v in ratios.items()}, "ratios_per_round": per_round,
            "aims_met": verdicts, "figures": figures}
