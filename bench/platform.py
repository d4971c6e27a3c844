"""Platform levers of issue #17: the middleware's cost per request, PostgreSQL connections (psycopg's
pool, persistent connections, one per request) with 2 and 4 workers, load shedding at 4x capacity,
and the size of Chinese JSON payloads.

    python -m bench.platform middleware [--postgres] [--profile docs/profiles/platform-before]
    python -m bench.platform connections --postgres [--workers 2 4]
    python -m bench.platform shedding [--postgres]
    python -m bench.platform payload
    python -m bench.platform workers [--postgres] [--workers 3] [--threads 4]
    python -m bench.platform inproc [--postgres] [--profile var/platform/me.prof --path '/healthz']

Load client: Debian's wrk (bench/wrk.py). Own database: ``onewindow_bench_platform`` on PostgreSQL,
``var/bench/platform.sqlite3`` on SQLite (migrated, the regions loaded, no demo data).
Every comparison runs its servers side by side and interleaves their phases, so all see the same
background load; the figures are ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import profile, run
from bench.wrk import Req, loadavg, run_wrk, wrk_binary

VAR = run.VAR
TOKEN_SCRIPT = """
from onewindow.accounts.models import User
from onewindow.accounts.testing import make_api_token
user, _ = User.objects.get_or_create(username="bench-platform")
print("TOKEN", make_api_token(owner=user, name="bench platform")[1])
"""


def log(message: str) -> None:
    print(f"[platform] {message}", flush=True)


def environment(postgres: bool, **extra: str) -> dict[str, str]:
    env = run.own_database_env(postgres, "onewindow_bench_platform", "platform.sqlite3")
    env.update(extra)
    return env


def prepare(postgres: bool) -> str:
    """Migrate once (own marker), load the regions, the bare views' table; returns a bearer token."""
    env = environment(postgres)
    VAR.mkdir(parents=True, exist_ok=True)
    marker = VAR / (".platform-ready-" + ("postgres" if postgres else "sqlite"))
    fingerprint = run.migrations_fingerprint() + env["DATABASE_URL"]
    if not (marker.exists() and marker.read_text() == fingerprint):
        if postgres:
            run.create_postgres_database(env["DATABASE_URL"])
        log("migrating the platform database")
        run.onewindow(env, "migrate", "--noinput", "--verbosity", "0")
        run.onewindow(env, "core_load_regions")
        marker.write_text(fingerprint)
    run.create_bench_table(env)
    out = run.django_shell(env, TOKEN_SCRIPT)
    return next(line.split()[1] for line in out.splitlines() if line.startswith("TOKEN "))


def start(postgres: bool, workers: int, **extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port = run.free_port()
    return run.start_server(environment(postgres, **extra), port, workers, 1), port


def med(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def interleave(servers: dict[str, int], paths: dict[str, list[Req]], *, rounds: int, seconds: float,
               clients: int) -> dict[str, dict[str, dict[str, float]]]:
    """Every (server, path) phase once per round, in turn; the median req/s and p99 of each."""
    seen: dict[tuple[str, str], list[dict[str, Any]]] = {}
    offsets: dict[tuple[str, str], int] = {}
    for index in range(rounds):
        log(f"round {index + 1} of {rounds} (load average {loadavg()})")
        for path_name, reqs in paths.items():
            for server_name, port in servers.items():
                key = (server_name, path_name)
                result = run_wrk(port, reqs, clients, seconds, offset=offsets.get(key, 0))
                offsets[key] = offsets.get(key, 0) + int(result["requests"]) + 2
                seen.setdefault(key, []).append(result)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for (server_name, path_name), results in seen.items():
        table.setdefault(path_name, {})[server_name] = {
            "req_per_s": round(med([r["req_per_s"] for r in results]), 1),
            "p50_ms": round(med([r["p50_ms"] for r in results]), 2),
            "p99_ms": round(med([r["p99_ms"] for r in results]), 2),
            "errors": sum(r["errors"] for r in results)}
    return table


def print_table(title: str, table: dict[str, dict[str, dict[str, float]]], baseline: str) -> None:
    print(f"\n{title} (load client wrk; load average now {loadavg()}; {time.strftime('%H:%M UTC', time.gmtime())})")
    print(f"{'path':<34} {'server':<14} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for path_name, by_server in table.items():
        base = by_server.get(baseline, {}).get("req_per_s") or 1.0
        for server_name, f in by_server.items():
            print(f"{path_name:<34} {server_name:<14} {f['req_per_s']:>8.0f} {f['req_per_s'] / base:>6.2f} "
                  f"{f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f} {f['errors']:>6.0f}")


def api_reqs(token: str) -> dict[str, list[Req]]:
    auth = (("Authorization", f"Bearer {token}"),)
    return {
        "/bench/bare/constant": [Req("/bench/bare/constant")],
        "/healthz": [Req("/healthz")],
        "GET /api/v1/accounts/me (token)": [Req("/api/v1/accounts/me", headers=auth)],
        "GET /api/v1/core/regions?page=n": [Req(f"/api/v1/core/regions?page={p}&page_size=20") for p in range(1, 11)],
        "/bench/bare/select": [Req("/bench/bare/select")],
        "/bench/bare/insert": [Req("/bench/bare/insert")],
    }


def cmd_middleware(args: argparse.Namespace) -> None:
    """The cost of the project's stack: bare Django view vs /healthz vs an authenticated API GET."""
    token = prepare(args.postgres)
    server, port = start(args.postgres, args.workers[0])
    try:
        reqs = api_reqs(token)
        paths = {k: reqs[k] for k in ("/bench/bare/constant", "/healthz", "GET /api/v1/accounts/me (token)")}
        for reqs_ in paths.values():
            run_wrk(port, reqs_, 16, 2)
        if args.profile:
            out = Path(args.profile)
            recorders = profile.start(server.pid, args.seconds * 2, out)
            run_wrk(port, paths["/healthz"], 64, args.seconds)
            run_wrk(port, paths["GET /api/v1/accounts/me (token)"], 64, args.seconds)
            profile.finish(recorders)
            log(f"flame graph: {out.with_suffix('.svg')}")
        table = interleave({"gunicorn": port}, paths, rounds=args.rounds, seconds=args.seconds, clients=64)
        flat = {path: by_server["gunicorn"] for path, by_server in table.items()}
        base = flat["/bench/bare/constant"]["req_per_s"] or 1.0
        database = "PostgreSQL" if args.postgres else "SQLite"
        print(f"\nmiddleware cost, {args.workers[0]} sync workers, 64 clients ({database};"
              f" load average {loadavg()}; {time.strftime('%H:%M UTC', time.gmtime())})")
        for path, f in flat.items():
            us = 1e6 * args.workers[0] / f["req_per_s"] if f["req_per_s"] else 0
            print(f"{path:<34} {f['req_per_s']:>8.0f} req/s  {f['req_per_s'] / base:>5.2f} of bare  "
                  f"~{us:>6.0f} us of a worker per request  p99 {f['p99_ms']:.1f} ms")
    finally:
        run.stop_server(server)


def cmd_connections(args: argparse.Namespace) -> None:
    """PostgreSQL: persistent connections vs psycopg's pool vs a new connection per request."""
    token = prepare(args.postgres)
    reqs = api_reqs(token)
    paths = {k: reqs[k] for k in ("/bench/bare/select", "/bench/bare/insert", "GET /api/v1/core/regions?page=n")}
    for workers in args.workers:
        servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        try:
            for mode in ("persistent", "pool", "per-request"):
                servers[mode] = start(args.postgres, workers, ONEWINDOW_DB_CONNECTIONS=mode)
            ports = {mode: port for mode, (_, port) in servers.items()}
            for port in ports.values():
                for reqs_ in paths.values():
                    run_wrk(port, reqs_, 16, 1)
            table = interleave(ports, paths, rounds=args.rounds, seconds=args.seconds, clients=64)
            print_table(f"connections, {workers} sync workers, 64 clients", table, "persistent")
        finally:
            for server, _ in servers.values():
                run.stop_server(server)


SHED_LUA = r"""
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_usec; } pl_timeval; int gettimeofday(pl_timeval *t, void *tz); ]]
local tv = ffi.new("pl_timeval")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; shed = 0; other = 0; n = 0 end
function request()
  ffi.C.gettimeofday(tv, nil)
  n = n + 1
  local stamp = string.format("t=%d.%03d", tonumber(tv.tv_sec), math.floor(tonumber(tv.tv_usec) / 1000))
  return wrk.format("GET", PATHS[(n % #PATHS) + 1], {["X-Request-Start"] = stamp})
end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 elseif status == 503 then shed = shed + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local o, s, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); s = s + t:get("shed"); x = x + t:get("other") end
  local e = summary.errors
  io.write(string.format('SHEDJSON {"ok": %d, "shed": %d, "other": %d, "timeouts": %d, "connect": %d, '
    .. '"read": %d, "write": %d, "p50_ms": %.1f, "p90_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f, "seconds": %.2f}\n',
    o, s, x, e.timeout, e.connect, e.read, e.write, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.duration / 1e6))
end
"""


def shed_phase(port: int, paths: list[str], connections: int, seconds: float, timeout_s: float) -> dict[str, Any]:
    script = ("PATHS = {" + ", ".join(json.dumps(p) for p in paths) + "}\n" + SHED_LUA)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run([wrk_binary(), "-t", "2", "-c", str(connections), "-d", f"{round(seconds)}s",
                              "--timeout", f"{timeout_s}s", "-s", handle.name, f"http://127.0.0.1:{port}"],
                             check=True, capture_output=True, text=True)
    finally:
        Path(handle.name).unlink()
    line = next(x for x in out.stdout.splitlines() if x.startswith("SHEDJSON "))
    result: dict[str, Any] = json.loads(line[len("SHEDJSON "):])
    result["loadavg"] = loadavg()
    return result


def cmd_shedding(args: argparse.Namespace) -> None:
    """At 4x the capacity of an API read: fast 200s vs quick 503s vs timeouts, shedding off and on."""
    prepare(args.postgres)
    paths = [f"/api/v1/core/regions?page={p}&page_size=20" for p in range(1, 11)]
    servers = {"off": start(args.postgres, args.workers[0], ONEWINDOW_SHED_QUEUE_MS="0"),
               "on": start(args.postgres, args.workers[0], ONEWINDOW_SHED_QUEUE_MS=str(args.shed_ms))}
    try:
        capacity = []
        for _ in range(2):
            for _name, (_, port) in servers.items():
                capacity.append(run_wrk(port, [Req(p) for p in paths], 64, 4)["req_per_s"])
        cap = med(capacity)
        # A surge of 4 x capacity: as many clients at once as the server answers in 4 s, each sending its
        # next request as soon as it has an answer (closed loop; wrk has no think time before connecting,
        # and a sync worker would sit on a connected idle client).
        connections = min(2000, max(64, round(4 * cap)))
        log(f"capacity {cap:.0f} req/s; surge of {connections} clients at once (4 s of capacity); "
            f"client timeout {args.timeout} s")
        results: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
        for index in range(args.rounds):
            log(f"round {index + 1} of {args.rounds} (load average {loadavg()})")
            for name, (_, port) in servers.items():
                results[name].append(shed_phase(port, paths, connections, args.seconds, args.timeout))
        print(f"\nload shedding, a surge of 4x capacity ({cap:.0f} req/s, {args.workers[0]} sync workers, "
              f"{connections} connections, client timeout {args.timeout} s, shed after {args.shed_ms} ms; "
              f"{time.strftime('%H:%M UTC', time.gmtime())})")
        print("answers: all answers received; late: answers after the client timeout (wrk counts them as timeouts;"
              " a person has given up); in-time 200 = 200 - late (late answers are nearly all 200s)")
        print(f"{'shedding':<9} {'answers':>8} {'200':>7} {'503':>7} {'late':>7} {'other':>6} {'in-time 200':>11} "
              f"{'p50 ms':>8} {'p99 ms':>8}  load")
        for name, rows in results.items():
            for r in rows:
                total = r["ok"] + r["shed"] + r["other"]

                def share(count: float, total: int = total) -> str:
                    return f"{100 * count / total:5.1f}%" if total else "  -  "

                print(f"{name:<9} {total:>8} {share(r['ok']):>7} {share(r['shed']):>7} {share(r['timeouts']):>7} "
                      f"{r['other']:>6} {share(max(0, r['ok'] - r['timeouts'])):>11} {r['p50_ms']:>8.0f} "
                      f"{r['p99_ms']:>8.0f}  {r['loadavg']}")
    finally:
        for server, _ in servers.values():
            run.stop_server(server)


def cmd_payload(args: argparse.Namespace) -> None:
    """Bytes of a Chinese API page rendered with and without \\u escapes (the renderer's one change)."""
    token = prepare(args.postgres)
    server, port = start(args.postgres, 1)
    try:
        import http.client

        for path in ("/api/v1/core/regions?page=1&page_size=100", "/api/v1/core/departments?page=1&page_size=100",
                     "/api/v1/accounts/me"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            body = conn.getresponse().read()
            conn.close()
            escaped = json.dumps(json.loads(body)).encode()
            print(f"{path:<50} UTF-8 {len(body):>7} bytes, escaped {len(escaped):>7} bytes "
                  f"({len(body) / len(escaped):.2f} of the escaped size)")
    finally:
        run.stop_server(server)


def cmd_workers(args: argparse.Namespace) -> None:
    """gunicorn's sync worker (closes every connection) against gthread with keep-alive, side by side
    on the catalog's bench database: the bare constant view and the catalog's varied search, phases
    interleaved, at 16 and at 64 clients. Both servers get the same search list from its start."""
    from urllib.parse import urlencode

    from bench import catalog_varied

    env = run.own_database_env(args.postgres, catalog_varied.PG_DATABASE, catalog_varied.SQLITE_FILE)
    names = catalog_varied.prepare(env, args.postgres)
    searches = [Req("/api/v1/catalog/items?" + urlencode(p)) for p in catalog_varied.queries(names)]
    workers = args.workers[0]
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for name, threads in (("sync", 1), (f"gthread x{args.threads}", args.threads)):
            port = run.free_port()
            servers[name] = (run.start_server(env, port, workers, threads), port)
        ports = {name: port for name, (_server, port) in servers.items()}
        paths = {"/bench/bare/constant": [Req("/bench/bare/constant")], "catalog search, varied": searches}
        for clients in (16, 64):
            table = interleave(ports, paths, rounds=args.rounds, seconds=args.seconds, clients=clients)
            print_table(f"{workers} workers, {clients} clients, sync vs gthread (keep-alive), "
                        f"{'PostgreSQL' if args.postgres else 'SQLite'}", table, "sync")
            for path_name, by_server in table.items():
                for server_name, f in by_server.items():
                    base = table["/bench/bare/constant"][server_name]["req_per_s"] or 1.0
                    print(f"  {path_name} on {server_name}: {f['req_per_s'] / base:.2f} of its own bare view")
    finally:
        for server, _port in servers.values():
            run.stop_server(server)


INPROC_PATHS = ("bare constant", "/healthz", "/accounts/me (bearer)", "/accounts/me (session)")


def _environ(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """A WSGI environ as gunicorn builds it for a GET (no body)."""
    import io
    import sys

    route, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET", "PATH_INFO": route, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000", "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "*/*", "HTTP_USER_AGENT": "wrk", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def cmd_inproc(args: argparse.Namespace) -> None:
    """CPU per request in one process (``time.process_time``), interleaved: Django's WSGI handler
    called as gunicorn calls it, for the bare constant view, /healthz, /accounts/me with a bearer
    token and /accounts/me with a session. Immune to the other processes on the machine, unlike wrk.
    ``--profile PATH`` writes a cProfile of the bearer requests instead."""
    import os

    token = prepare(args.postgres)
    os.environ.update(environment(args.postgres))
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.test import Client

    from onewindow.accounts.models import User

    app = get_wsgi_application()
    user = User.objects.get(username="bench-platform")
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    heads = {"bare constant": ("/bench/bare/constant", {}), "/healthz": ("/healthz", {}),
             "/accounts/me (bearer)": ("/api/v1/accounts/me", {"Authorization": f"Bearer {token}"}),
             "/accounts/me (session)": ("/api/v1/accounts/me", {"Cookie": f"sessionid={session}"})}

    def call(name: str) -> int:
        path, headers = heads[name]
        status: list[str] = []
        body = app(_environ(path, headers), lambda s, h, *a: status.append(s))
        b"".join(body)
        body.close()
        return int(status[0][:3])

    for name in INPROC_PATHS:  # warm up; every answer must be a 200
        for _ in range(20):
            if (code := call(name)) != 200:
                raise SystemExit(f"{name}: HTTP {code}")
    if args.profile:
        import cProfile
        import pstats

        name = args.path or "/accounts/me (bearer)"
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call(name)
        profiler.disable()
        profiler.dump_stats(args.profile)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        return
    cpu: dict[str, list[float]] = {name: [] for name in INPROC_PATHS}
    for _round in range(args.rounds):
        for name in INPROC_PATHS:
            started = time.process_time()
            for _ in range(args.requests):
                call(name)
            cpu[name].append((time.process_time() - started) / args.requests)
    base = med(cpu["bare constant"])
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nCPU per request in one process ({database}; {args.rounds} rounds x {args.requests} requests;"
          f" load average {loadavg()}; {time.strftime('%H:%M UTC', time.gmtime())})")
    for name, values in cpu.items():
        print(f"{name:<26} {1e6 * med(values):>8.0f} us  (bare/this {base / med(values):.2f})"
              f"  rounds: {', '.join(f'{1e6 * v:.0f}' for v in values)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["middleware", "connections", "shedding", "payload", "inproc", "workers"])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--profile", default="")
    parser.add_argument("--shed-ms", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=3)
    parser.add_argument("--threads", type=int, default=4, help="workers: gthread threads per worker")
    parser.add_argument("--requests", type=int, default=300, help="inproc: requests per path and round")
    parser.add_argument("--path", default="", help="inproc --profile: which path to profile")
    args = parser.parse_args(argv)
    {"middleware": cmd_middleware, "connections": cmd_connections, "shedding": cmd_shedding,
     "payload": cmd_payload, "inproc": cmd_inproc, "workers": cmd_workers}[args.command](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
