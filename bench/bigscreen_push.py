"""The fan-out half of ``bench.bigscreen`` (issue #16 "Benchmark": 1,000 open screens).

The streaming process is ``uvicorn bench.bigscreen_asgi:application`` (the project's ASGI
application plus a statement counter, one process, as ``make serve`` runs it). For each step of
``--screens`` (1, 10, 100, 1,000), the screens open ``crowd:<feed area>``; once the streaming
process counts them all (its hub's subscribers), for ``--fanout-seconds`` this module posts, every
``--feed-every`` seconds, a correction of the feed area's newest bucket through the ingest API on
gunicorn, in which zone z1's count is a marker (2,000 + feed number). The screens are those of
``bench/bigscreen_fanout.py`` (the streaming layer's load script: raw asyncio sockets in a process
of their own, each screen's receipts written to a file). One monitor screen of this module reads
every envelope's ``zones[0].present`` to learn which seq first shows which marker.

Per step: the streaming process's statements per second (its own counter, every statement of the
process), its producer runs per second (``broadcast.stats``), and on PostgreSQL the database's
``xact_commit``, ``tup_returned`` and ``tup_fetched`` per second (``pg_stat_database``: the whole
database, the feeder's writes through gunicorn included); the process's CPU share and resident
size; the update latency: for each feed and each screen, from the ingest's 201/200 answer to the
screen's receipt of the first envelope whose seq shows that feed's marker (p50, p99, max); and the
screens that missed a feed (none is the aim). A step's screens stop 5 s (the latency aim) after the
monitor received the last feed: a screen that has not received it by then misses the aim anyway.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .run import BIN, ROOT, free_port, log

MARKER_BASE = 2000
OTHER = 300  # every other count of a fed report; zone z1 = marker + 2 × OTHER
SETTLE_SECONDS = 3.0
LATENCY_AIM_SECONDS = 5.0  # the update latency aim (p99 < 5 s)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def feed_body(area: dict[str, Any], bucket_start: str, marker: int) -> dict[str, Any]:
    counts = []
    for zone in area["zones"]:
        for origin in ("local", "domestic", "international"):
            present = marker if (zone, origin) == (area["zones"][0], "local") else OTHER
            counts.append({"zone": zone, "origin": origin, "present": present, "arrivals": 10})
    return {"area": area["code"], "bucket_start": bucket_start, "counts": counts}


def marker_of(envelope: dict[str, Any]) -> int | None:
    """The feed marker an envelope shows (zone z1 holds marker + 2 × OTHER), None before any feed."""
    try:
        present = envelope["data"]["zones"][0]["present"]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(present, int) or present < MARKER_BASE + 2 * OTHER:
        return None
    return present - 2 * OTHER


# ---- the streaming process --------------------------------------------------------------------------------------


def start_stream(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [str(BIN / "uvicorn"), "bench.bigscreen_asgi:application", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "30"]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn exited with {server.returncode}")
        try:
            stream_stats(port)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("uvicorn did not answer within 60 s")


def stream_stats(port: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/bench/stream-stats")
        return dict(json.loads(conn.getresponse().read()))
    finally:
        conn.close()


def pg_stats(url: str) -> dict[str, int]:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT xact_commit, tup_returned, tup_fetched FROM pg_stat_database WHERE datname = %s",
                           [name]).fetchone()
    return {"xact_commit": int(row[0]), "tup_returned": int(row[1]), "tup_fetched": int(row[2])} if row else {}


# ---- the monitor screen -----------------------------------------------------------------------------------------


class Monitor(threading.Thread):
    """One SSE screen of this process that parses every envelope: seq → (marker, time received)."""

    def __init__(self, port: int, path: str) -> None:
        super().__init__(daemon=True)
        self.port, self.path = port, path
        self.seen: dict[int, tuple[int | None, float]] = {}
        self.stop = threading.Event()
        self.error = ""

    def run(self) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("GET", self.path, headers={"Accept": "text/event-stream"})
            response = conn.getresponse()
            if response.status != 200:
                self.error = f"{response.status} {response.read()[:300]!r}"
                return
            while not self.stop.is_set():
                line = response.readline()
                if not line:
                    return
                if line.startswith(b"data: "):
                    envelope = json.loads(line[6:])
                    self.seen.setdefault(int(envelope["seq"]), (marker_of(envelope), time.time()))
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if not self.stop.is_set():
                self.error = repr(exc)

    def shown_at(self, marker: int) -> float | None:
        """When this screen first received an envelope showing ``marker`` (or a later one)."""
        times = [at for shown, at in list(self.seen.values()) if shown is not None and shown >= marker]
        return min(times) if times else None

    def first_seq_showing(self) -> dict[int, int]:
        """marker → the first seq whose envelope shows it (or a later marker)."""
        out: dict[int, int] = {}
        for seq in sorted(self.seen):
            marker = self.seen[seq][0]
            if marker is not None and marker not in out:
                out[marker] = seq
        return out


# ---- the screens ------------------------------------------------------------------------------------------------


class Screens:
    """The screens: ``python -m bench.bigscreen_fanout --url … --clients N --seconds S --receipts
    FILE`` (the streaming layer's load script, raw asyncio sockets, a process of its own); it
    writes each screen's receipts (seq, epoch seconds) to FILE when it ends."""

    def __init__(self, port: int, path: str, clients: int, seconds: float) -> None:
        fd, name = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        self.out = Path(name)
        command = [sys.executable, "-m", "bench.bigscreen_fanout", "--url", f"http://127.0.0.1:{port}{path}",
                   "--clients", str(clients), "--seconds", str(seconds), "--receipts", str(self.out)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)

    def stop(self) -> None:
        """End the screens now (SIGTERM: they still write their receipts)."""
        if self.process.poll() is None:
            self.process.terminate()

    def wait(self, timeout: float) -> dict[str, Any]:
        try:
            stdout, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, _ = self.process.communicate()
        try:
            data = json.loads(self.out.read_text() or "{}")
        finally:
            self.out.unlink(missing_ok=True)
        data["stdout"] = stdout[-3000:]
        return dict(data)


# ---- one step ---------------------------------------------------------------------------------------------------


def step(*, screens: int, stream_port: int, api_port: int, feed: dict[str, Any], env: dict[str, str],
         args: argparse.Namespace, postgres: bool, marker: list[int]) -> dict[str, Any]:
    from .bigscreen import iso_shanghai, newest_bucket

    path = f"/bigscreen/stream/crowd:{feed['code']}/"
    run_seconds = SETTLE_SECONDS * 3 + args.fanout_seconds + 10 + screens / 20
    started = time.monotonic()
    clients = Screens(stream_port, path, screens, run_seconds)
    monitor = Monitor(stream_port, path)
    monitor.start()
    channel = f"crowd:{feed['code']}"
    deadline = time.monotonic() + 60 + screens / 20
    while stream_stats(stream_port)["subscribers"].get(channel, 0) < screens + 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    opened = int(stream_stats(stream_port)["subscribers"].get(channel, 0)) - 1
    time.sleep(SETTLE_SECONDS)
    s0, t0 = stream_stats(stream_port), time.time()
    p0 = pg_stats(env["DATABASE_URL"]) if postgres else {}
    feeds: list[tuple[int, float]] = []
    statuses: list[int] = []
    from .bigscreen import post_json  # the module's one POST helper

    next_feed = time.monotonic()
    end = time.monotonic() + args.fanout_seconds
    while time.monotonic() < end:
        marker[0] += 1
        body = feed_body(feed, iso_shanghai(newest_bucket()), MARKER_BASE + marker[0])
        status, _ = post_json(api_port, "/api/v1/bigscreen/crowd/reports", body, feed["bearer"])
        statuses.append(status)
        if status in (200, 201):
            feeds.append((MARKER_BASE + marker[0], time.time()))
        next_feed += args.feed_every
        time.sleep(max(0.0, min(next_feed, end) - time.monotonic()))
    s1, t1 = stream_stats(stream_port), time.time()
    p1 = pg_stats(env["DATABASE_URL"]) if postgres else {}
    if feeds:
        # The screens run until ``run_seconds`` unless stopped: once the monitor has seen the last
        # feed, the other screens get LATENCY_AIM_SECONDS more for it (a screen later than that
        # misses the latency aim either way), then they stop instead of idling to the end.
        screens_end = started + run_seconds
        while (seen := monitor.shown_at(feeds[-1][0])) is None and time.monotonic() < screens_end:
            time.sleep(0.1)
        if seen is not None:
            time.sleep(max(0.0, seen + LATENCY_AIM_SECONDS - time.time()))
            clients.stop()
    receipts = clients.wait(run_seconds + 60)
    monitor.stop.set()
    monitor.join(5)
    result = measure(screens=screens, s0=s0, s1=s1, t0=t0, t1=t1, p0=p0, p1=p1, feeds=feeds, statuses=statuses,
                   receipts=receipts, monitor=monitor)
    result["opened"] = opened
    result["client_errors"] = receipts.get("error_count", 0)
    return result


def measure(*, screens: int, s0: dict[str, Any], s1: dict[str, Any], t0: float, t1: float, p0: dict[str, int],
            p1: dict[str, int], feeds: list[tuple[int, float]], statuses: list[int], receipts: dict[str, Any],
            monitor: Monitor) -> dict[str, Any]:
    seconds = t1 - t0
    b0, b1 = s0.get("broadcast", {}), s1.get("broadcast", {})
    first_seq = monitor.first_seq_showing()
    latencies: list[float] = []
    missed = 0
    per_client: list[list[list[float]]] = receipts.get("receipts", [])
    for marker, at in feeds:
        seq = first_seq.get(marker)
        if seq is None:  # the monitor never saw it: a later marker's seq stands for it
            later = [s for m, s in first_seq.items() if m > marker]
            seq = min(later) if later else None
        for got in per_client:
            when = next((t for s, t in got if s >= seq), None) if seq is not None else None
            if when is None:
                missed += 1
            else:
                latencies.append(max(0.0, when - at))
    out = {
        "screens": screens, "seconds": round(seconds, 1), "feeds": len(feeds),
        "feed_statuses": sorted(set(statuses)),
        "screens_reporting": len(per_client),
        "statements_per_s": round((s1["statements"] - s0["statements"]) / seconds, 2),
        "producer_runs_per_s": round((b1.get("computed", 0) - b0.get("computed", 0)) / seconds, 2),
        "producer_queries_per_s": round((b1.get("queries", 0) - b0.get("queries", 0)) / seconds, 2),
        "seq_moves": b1.get("published", 0) - b0.get("published", 0),
        "stream_cpu_share": round((s1["cpu_seconds"] - s0["cpu_seconds"]) / seconds, 3),
        "stream_rss_mb": round(s1["rss_kb"] / 1024, 1),
        "latency_p50_s": round(percentile(latencies, 50), 3), "latency_p99_s": round(percentile(latencies, 99), 3),
        "latency_max_s": round(max(latencies), 3) if latencies else None, "deliveries": len(latencies),
        "missed": missed, "monitor_error": monitor.error,
    }
    if p0 and p1:
        for key in ("xact_commit", "tup_returned", "tup_fetched"):
            out[f"pg_{key}_per_s"] = round((p1[key] - p0[key]) / seconds, 1)
    return out


def fanout(*, api_port: int, env: dict[str, str], world: dict[str, Any], args: argparse.Namespace,
           postgres: bool) -> dict[str, Any]:
    stream_port = free_port()
    stream_env = {**env, "BIGSCREEN_STREAM_ORIGIN": ""}
    server = start_stream(stream_env, stream_port)
    log(f"streaming process (uvicorn bench.bigscreen_asgi) on 127.0.0.1:{stream_port}, pid {server.pid}")
    steps = []
    marker = [0]
    try:
        for screens in [int(s) for s in str(args.screens).split(",") if s.strip()]:
            log(f"fan-out: {screens} screens for {args.fanout_seconds:.0f} s, a fed bucket every "
                f"{args.feed_every:.0f} s (load average {os.getloadavg()[0]:.2f})")
            one = step(screens=screens, stream_port=stream_port, api_port=api_port, feed=world["feed"][0], env=env,
                       args=args, postgres=postgres, marker=marker)
            one["load_average"] = round(os.getloadavg()[0], 2)
            steps.append(one)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    return report(steps, postgres)


def report(steps: list[dict[str, Any]], postgres: bool) -> dict[str, Any]:
    print()
    print("fan-out: one streaming process (uvicorn), screens on one crowd channel, a fed bucket every few seconds")
    head = (f"{'screens':>7} {'feeds':>5} {'stmt/s':>7} {'runs/s':>6} {'seq':>4} "
            + (f"{'pg xact/s':>9} {'pg tup_ret/s':>12} " if postgres else "")
            + f"{'cpu':>5} {'rss MB':>6} {'p50 s':>6} {'p99 s':>6} {'max s':>6} {'deliv':>6} {'missed':>6}")
    print(head)
    for s in steps:
        pg = f"{s.get('pg_xact_commit_per_s', 0):>9.1f} {s.get('pg_tup_returned_per_s', 0):>12.0f} " if postgres else ""
        print(f"{s['screens']:>7} {s['feeds']:>5} {s['statements_per_s']:>7.2f} {s['producer_runs_per_s']:>6.2f} "
              f"{s['seq_moves']:>4} {pg}{s['stream_cpu_share']:>5.2f} {s['stream_rss_mb']:>6.1f} "
              f"{s['latency_p50_s']:>6.2f} {s['latency_p99_s']:>6.2f} {s['latency_max_s'] or 0:>6.2f} "
              f"{s['deliveries']:>6} {s['missed']:>6}")
    rates = [s["statements_per_s"] for s in steps]
    spread = (max(rates) - min(rates)) / statistics.mean(rates) if rates and statistics.mean(rates) else 0.0
    worst = max((s["latency_p99_s"] for s in steps), default=float("nan"))
    missed = sum(s["missed"] for s in steps)
    latency_ok = worst < LATENCY_AIM_SECONDS and missed == 0
    print(f"statements per second of the streaming process from {steps[0]['screens']} to {steps[-1]['screens']} "
          f"screens: {', '.join(f'{r:.2f}' for r in rates)} (spread {spread:.0%} of the mean)")
    print(f"update latency p99, worst step: {worst:.2f} s (aim < 5 s, no screen missing a feed: "
          f"{'met' if latency_ok else 'NOT met'})")
    return {"steps": steps, "statement_rate_spread": round(spread, 3), "worst_p99_s": worst,
            "latency_aim_met": latency_ok, "ok": latency_ok,
            "measured_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
