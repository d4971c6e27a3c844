"""``python -m bench.bigscreen_fanout``: the big screens' load script (issue #16 part 6, decision 0019).

**Screens** (what ``bench.bigscreen``'s fan-out steps run, in a process of their own)::

    python -m bench.bigscreen_fanout --url URL --clients N --seconds S --receipts FILE

N Server-Sent-Events screens on raw asyncio sockets (HTTP/1.0, so no chunked framing to undo; a
screen only looks for the ``id:`` and ``data:`` line starts, it parses no JSON: the client stays
much cheaper than the server). FILE gets ``{"receipts": [[[seq, epoch], …] per screen], "opened":
[seconds to the status line per screen, null if never], "errors": […], "error_count": n}``. A SIGTERM
ends the run early and still writes FILE.

**Compare** the servers that could carry the streams (decision 0019)::

    python -m bench.bigscreen_fanout --compare [--clients 4] [--seconds 12] [--channel crowd:<code>]

starts, one after the other on the bench database (``var/bench/bigscreen.sqlite3``, made by
``python -m bench.bigscreen``), (a) the streaming process as ``make serve`` runs it (uvicorn, one
process), (b) gunicorn with 3 sync workers, (c) gunicorn with 3 gthread workers × 4 threads, opens
``--clients`` streams on each and reports per server: how many streams got their status line, the
seconds to it (p50, max), the snapshots received, and the server's resident size and CPU seconds
(all its processes). A sync worker holds one stream until ``BIGSCREEN_WSGI_STREAM_SECONDS`` ends it,
so with 3 workers the 4th screen waits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


async def screen(host: str, port: int, path: str, until: float, started: float, receipts: list[list[float]],
                 opened: list[float | None], index: int, errors: list[str], gate: asyncio.Semaphore) -> None:
    """One screen: each snapshot's (seq, arrival time)."""
    async with gate:  # connect a hundred at a time, as screens switched on together would
        try:
            reader, writer = await asyncio.open_connection(host, port, limit=2**23)
            writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
            await writer.drain()
        except OSError as exc:
            errors.append(repr(exc))
            return
    try:
        try:
            status = await asyncio.wait_for(reader.readline(), max(0.01, until - time.time()))
        except TimeoutError:
            return  # never answered within the run (a sync worker busy with another screen)
        opened[index] = time.time() - started
        if b" 200 " not in status:
            errors.append(status.decode(errors="replace").strip())
            return
        seq = -1
        while (left := until - time.time()) > 0:
            try:
                line = await asyncio.wait_for(reader.readline(), left)
            except TimeoutError:
                break
            if not line:
                break  # the server ended the stream (WSGI: after BIGSCREEN_WSGI_STREAM_SECONDS)
            if line.startswith(b"id: "):
                seq = int(line[4:])
            elif line.startswith(b"data: ") and seq >= 0:
                receipts.append([seq, time.time()])
    finally:
        writer.close()


async def screens(url: str, clients: int, seconds: float) -> dict[str, Any]:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    started = time.time()
    until = started + seconds
    gate = asyncio.Semaphore(100)
    receipts: list[list[list[float]]] = [[] for _ in range(clients)]
    opened: list[float | None] = [None] * clients
    errors: list[str] = []
    # SIGTERM ends the run early with what was received so far (bench.bigscreen_push stops the
    # screens once the step's last feed has had its time to arrive, instead of idling to ``seconds``).
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    running = asyncio.gather(*(screen(parts.hostname or "127.0.0.1", parts.port or 80, path, until, started,
                                      receipts[k], opened, k, errors, gate) for k in range(clients)))
    stopped = asyncio.ensure_future(stop.wait())
    either: list[asyncio.Future[Any]] = [running, stopped]
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not running.done():
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    return {"receipts": receipts, "opened": opened, "errors": errors[:20], "error_count": len(errors)}


# ---- compare servers ------------------------------------------------------------------------------------------

def process_tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        pids += process_tree(int(child))
    return pids


def usage(pid: int) -> tuple[float, float]:
    """Resident MB and CPU seconds of a server and its workers."""
    rss_kb, ticks = 0, 0
    for each in process_tree(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss_kb += int(line.split()[1])
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return rss_kb / 1024, ticks / os.sysconf("SC_CLK_TCK")


def wait_port(port: int, server: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("server did not listen within 60 s")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVERS: dict[str, list[str]] = {
    "uvicorn": ["uvicorn", "onewindow.config.asgi:application", "--host", "127.0.0.1", "--port", "{port}",
                "--log-level", "warning", "--no-access-log"],
    "gunicorn-sync-3": ["gunicorn", "onewindow.config.wsgi:application", "--bind", "127.0.0.1:{port}",
                        "--workers", "3", "--log-level", "warning"],
    "gunicorn-gthread-3x4": ["gunicorn", "onewindow.config.wsgi:application", "--bind", "127.0.0.1:{port}",
                             "--workers", "3", "--worker-class", "gthread", "--threads", "4", "--log-level", "warning"],
}


def bench_channel(database: Path) -> str:
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT code FROM bigscreen_area WHERE is_active ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        raise SystemExit(f"no area in {database}: run python -m bench.bigscreen first")
    return f"crowd:{row[0]}"


def compare(clients: int, seconds: float, channel: str | None, servers: list[str]) -> dict[str, Any]:
    database = ROOT / "var" / "bench" / "bigscreen.sqlite3"
    channel = channel or bench_channel(database)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="onewindow.config.settings.bench",
               DATABASE_URL=f"sqlite:///{database}", ONEWINDOW_VAR_DIR=str(ROOT / "var"))
    results: dict[str, Any] = {"channel": channel, "clients": clients, "seconds": seconds,
                               "interval_s": float(env.get("BIGSCREEN_INTERVAL_SECONDS", "2")),
                               "wsgi_stream_s": float(env.get("BIGSCREEN_WSGI_STREAM_SECONDS", "25")), "servers": {}}
    for name in servers:
        port = free_port()
        command = [str(BIN / SERVERS[name][0])] + [a.format(port=port) for a in SERVERS[name][1:]]
        server = subprocess.Popen(command, env=env, cwd=ROOT)
        try:
            wait_port(port, server)
            time.sleep(2)  # workers booted
            rss0, cpu0 = usage(server.pid)
            run = asyncio.run(screens(f"http://127.0.0.1:{port}/bigscreen/stream/{channel}/", clients, seconds))
            rss1, cpu1 = usage(server.pid)
        finally:
            server.terminate()
            server.wait(30)
        opened = sorted(o for o in run["opened"] if o is not None)
        results["servers"][name] = {
            "streams_opened": len(opened), "of": clients,
            "open_p50_s": round(statistics.median(opened), 3) if opened else None,
            "open_max_s": round(opened[-1], 3) if opened else None,
            "snapshots": sum(len(r) for r in run["receipts"]),
            "screens_with_a_snapshot": sum(1 for r in run["receipts"] if r),
            "errors": run["errors"][:5], "error_count": run["error_count"],
            "rss_mb_before": round(rss0, 1), "rss_mb_after": round(rss1, 1),
            "cpu_s": round(cpu1 - cpu0, 2),
        }
        print(f"[bench] {name}: {json.dumps(results['servers'][name], ensure_ascii=False)}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="the stream to open (screens mode)")
    parser.add_argument("--clients", type=int, default=None, help="screens (default 1; --compare: 4)")
    parser.add_argument("--seconds", type=float, default=None, help="how long (default 30; --compare: 12)")
    parser.add_argument("--receipts", help="JSON file for the screens' receipts (screens mode)")
    parser.add_argument("--compare", action="store_true", help="uvicorn against gunicorn sync and gthread")
    parser.add_argument("--channel", help="--compare: the channel (default: the bench database's newest area)")
    parser.add_argument("--servers", default=",".join(SERVERS), help="--compare: which servers")
    args = parser.parse_args(argv)
    if args.compare:
        result = compare(args.clients or 4, args.seconds or 12.0, args.channel, args.servers.split(","))
        out = ROOT / "bench" / "results" / time.strftime("%Y%m%d-%H%M%S-bigscreen-fanout-compare.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
        print(f"[bench] saved {out.relative_to(ROOT)}")
        return 0
    if not args.url or not args.receipts:
        parser.error("screens mode needs --url and --receipts (or use --compare)")
    clients, seconds = args.clients or 1, args.seconds or 30.0
    result = asyncio.run(screens(args.url, clients, seconds))
    Path(args.receipts).write_text(json.dumps(result))
    print(f"{clients} screens, {sum(1 for o in result['opened'] if o is not None)} opened, "
          f"{sum(len(r) for r in result['receipts'])} events, {result['error_count']} errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
