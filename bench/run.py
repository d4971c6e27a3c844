"""``make bench`` / ``python -m bench.run``: prepare the benchmark database, start gunicorn on
127.0.0.1, run each benchmark beside its baseline, print the figures and ratios.

Usage: python -m bench.run [--postgres] [--only catalog_search] [--rounds R] [--requests N] [--seconds T]
                           [--workers W] [--threads K]

- SQLite: ``var/bench/bench.sqlite3``, migrated and loaded with ``onewindow demo_data --quiet``
  once; a marker keyed on the migration files skips both steps on the next run.
- ``--postgres``: the database of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench).
- Load: ``bench.load`` — threads with keep-alive http.client connections; each phase stops after N
  requests or T seconds, whichever comes first. Latency is measured at 16 concurrent clients,
  throughput at 64. Baseline and benchmark phases alternate for R rounds, so both see the same
  background load; the figures are medians over the rounds, each ratio the median of the rounds'
  ratios.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import http.client
import importlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .baseline import BASELINES
from .load import LoadResult, run_load

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
BENCHMARKS = ["catalog_search"]  # run by default
ALL_BENCHMARKS = [*BENCHMARKS, "catalog_search_uncached", "core_regions"]
LATENCY_CLIENTS = 16
THROUGHPUT_CLIENTS = 64


def loadavg() -> str:
    """The machine's load average (1, 5, 15 minutes) beside each figure: the machine is shared."""
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return ""


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def bench_env(postgres: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.bench"
    env["ONEWINDOW_VAR_DIR"] = str(ROOT / "var")
    if postgres:
        env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
    else:
        env["DATABASE_URL"] = f"sqlite:///{VAR / 'bench.sqlite3'}"
    return env


def own_database_env(postgres: bool, pg_database: str, sqlite_file: str) -> dict[str, str]:
    """The environment of a benchmark that keeps its own cached database (a PostgreSQL database on
    DATABASE_URL's server, or a SQLite file under var/bench/)."""
    env = bench_env(postgres)
    if postgres:
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + pg_database
    else:
        env["DATABASE_URL"] = f"sqlite:///{VAR / sqlite_file}"
    return env


def django_shell(env: dict[str, str], script: str) -> str:
    """Run ``script`` in ``onewindow shell`` with ``env``; returns what it printed."""
    out = subprocess.run([str(BIN / "onewindow"), "shell", "--no-imports", "-c", script], env=env, check=True,
                         cwd=ROOT, capture_output=True, text=True)
    return out.stdout


def onewindow(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "onewindow"), *args], env=env, check=True, cwd=ROOT)


def migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "onewindow").glob("*/migrations/*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for path in sorted((ROOT / "src" / "onewindow").glob("*/demo*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def create_postgres_database(url: str) -> None:
    """Create the benchmark database on the PostgreSQL server if it is missing."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare_database(env: dict[str, str], postgres: bool) -> None:
    """Migrate and load the demo data once; later runs reuse the database."""
    VAR.mkdir(parents=True, exist_ok=True)
    marker = VAR / (".ready-postgres" if postgres else ".ready-sqlite")
    fingerprint = migrations_fingerprint() + env["DATABASE_URL"]
    if marker.exists() and marker.read_text() == fingerprint:
        log("database ready (cached)")
    else:
        if postgres:
            create_postgres_database(env["DATABASE_URL"])
        log("migrating the benchmark database")
        onewindow(env, "migrate", "--noinput", "--verbosity", "0")
        onewindow(env, "collectstatic", "--noinput", "--verbosity", "0")
        log("loading the demo data (onewindow demo_data --quiet)")
        started = time.monotonic()
        onewindow(env, "demo_data", "--quiet")
        log(f"demo data loaded in {time.monotonic() - started:.1f} s")
        marker.write_text(fingerprint)
    create_bench_table(env)


BENCH_TABLE_SCRIPT = """
from django.db import connection
from onewindow.config.bench_urls import BENCH_ROWS
pk = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS bench_row (id " + pk + ", payload VARCHAR(100) NOT NULL)")
    c.execute("SELECT COUNT(*) FROM bench_row")
    missing = BENCH_ROWS - c.fetchone()[0]
    if missing > 0:
        c.executemany("INSERT INTO bench_row (payload) VALUES (%s)", [("seed",)] * missing)
"""


def create_bench_table(env: dict[str, str]) -> None:
    """The table of the bare INSERT/SELECT views (benchmark database only, not a migration)."""
    onewindow(env, "shell", "--no-imports", "-c", BENCH_TABLE_SCRIPT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start_server(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    command = [str(BIN / "gunicorn"), "onewindow.config.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--log-level", "warning"]
    if threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if get(port, "/healthz") == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()


def check_and_warm(port: int, paths: list[str]) -> None:
    sample = paths if len(paths) <= 50 else random.Random(1).sample(paths, 50)
    bad = [(p, status) for p in sample if (status := get(port, p)) != 200]
    if bad:
        raise SystemExit(f"these paths do not answer 200: {bad}")
    run_load(port, paths, clients=LATENCY_CLIENTS, max_requests=max(300, len(paths) * 30), max_seconds=5)


def measure_pair(port: int, base_paths: list[str], bench_paths: list[str],
                 args: argparse.Namespace, *, fresh: bool = False) -> list[dict[str, LoadResult]]:
    """Rounds of baseline and benchmark phases, interleaved, so both see the same background load.

    ``fresh``: the benchmark's paths are shuffled in each phase (a module with many distinct paths
    that wants cache misses sets ``FRESH_PATHS = True``)."""
    check_and_warm(port, base_paths)
    check_and_warm(port, bench_paths)
    shuffler = random.Random(20170929)
    rounds = []
    for index in range(args.rounds):
        log(f"round {index + 1} of {args.rounds}")
        one: dict[str, LoadResult] = {}
        for phase, clients in (("latency", LATENCY_CLIENTS), ("throughput", THROUGHPUT_CLIENTS)):
            for side, paths in (("base", base_paths), ("bench", bench_paths)):
                if side == "bench" and fresh:
                    paths = shuffler.sample(paths, len(paths))
                one[f"{side}_{phase}"] = run_load(port, paths, clients=clients, max_requests=args.requests,
                                                  max_seconds=args.seconds)
        rounds.append(one)
    return rounds


def median(values: list[float]) -> float:
    return statistics.median(values)


def summary(results: list[LoadResult]) -> dict[str, float]:
    """Median over rounds of each figure (requests and errors are totals)."""
    return {"clients": results[0].clients, "requests": sum(r.requests for r in results),
            "errors": sum(r.errors for r in results),
            "req_per_s": round(median([r.throughput for r in results]), 1),
            "p50_ms": round(median([r.p50 for r in results]), 2),
            "p99_ms": round(median([r.p99 for r in results]), 2)}


def row(label: str, f: dict[str, float]) -> str:
    return (f"{label:<28} {f['clients']:>7} {f['requests']:>8} {f['errors']:>6} {f['req_per_s']:>9.0f} "
            f"{f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f}")


def report(name: str, base_name: str, rounds: list[dict[str, LoadResult]],
           aims: dict[str, float]) -> dict[str, Any]:
    per_round = [{
        "p50_ratio_at_16": r["bench_latency"].p50 / r["base_latency"].p50,
        "p99_ratio_at_16": r["bench_latency"].p99 / r["base_latency"].p99,
        "throughput_ratio_at_64": r["bench_throughput"].throughput / r["base_throughput"].throughput,
    } for r in rounds]
    ratios = {key: median([r[key] for r in per_round]) for key in per_round[0]}
    figures = {key: summary([r[key] for r in rounds]) for key in rounds[0]}
    lat, base_lat = figures["bench_latency"], figures["base_latency"]
    thr, base_thr = figures["bench_throughput"], figures["base_throughput"]
    print()
    print(f"{name}: median of {len(rounds)} interleaved rounds")
    print(f"{'':<28} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    print(row(f"bare {base_name} view", base_lat))
    print(row(name, lat))
    print(row(f"bare {base_name} view", base_thr))
    print(row(name, thr))
    print(f"latency at {LATENCY_CLIENTS} concurrent clients: {name} p50 {lat['p50_ms']:.1f} ms "
          f"({ratios['p50_ratio_at_16']:.2f}x the bare view), p99 {lat['p99_ms']:.1f} ms "
          f"({ratios['p99_ratio_at_16']:.2f}x the bare view)")
    print(f"throughput at {THROUGHPUT_CLIENTS} concurrent clients: {name} {thr['req_per_s']:.0f} req/s = "
          f"{ratios['throughput_ratio_at_64']:.2f} of the bare view's {base_thr['req_per_s']:.0f} req/s")
    print("throughput ratio per round: " + ", ".join(f"{r['throughput_ratio_at_64']:.2f}" for r in per_round))
    verdicts = {}
    if "p99_ms_at_16" in aims:
        verdicts["p99_ms_at_16"] = lat["p99_ms"] < aims["p99_ms_at_16"]
        print(f"aim p99 < {aims['p99_ms_at_16']:.0f} ms at {LATENCY_CLIENTS}: "
              f"{'met' if verdicts['p99_ms_at_16'] else 'NOT met'}")
    if "throughput_ratio_at_64" in aims:
        verdicts["throughput_ratio_at_64"] = ratios["throughput_ratio_at_64"] >= aims["throughput_ratio_at_64"]
        print(f"aim throughput >= {aims['throughput_ratio_at_64']} of bare at {THROUGHPUT_CLIENTS}: "
              f"{'met' if verdicts['throughput_ratio_at_64'] else 'NOT met'}")
    errors = sum(f["errors"] for f in figures.values())
    if errors:
        print(f"WARNING: {errors} requests did not answer 200")
    return {"name": name, "baseline": base_name, "ratios": {k: round(v, 3) for k, v in ratios.items()},
            "ratios_per_round": per_round, "aims_met": verdicts, "figures": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use DATABASE_URL (PostgreSQL)")
    parser.add_argument("--only", action="append", choices=ALL_BENCHMARKS, help="run only this benchmark")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase (default 2000)")
    parser.add_argument("--seconds", type=float, default=10, help="time limit per phase (default 10 s)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as make demo)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; >1 uses gthread")
    args = parser.parse_args(argv)

    env = bench_env(args.postgres)
    prepare_database(env, args.postgres)
    port = free_port()
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers x {args.threads} threads, "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}")
    server = start_server(env, port, args.workers, args.threads)
    results = []
    try:
        for module_name in args.only or BENCHMARKS:
            module = importlib.import_module(f"bench.{module_name}")
            log(f"measuring {module.NAME} against the bare {module.BASELINE} view")
            rounds = measure_pair(port, BASELINES[module.BASELINE], module.paths(), args,
                                  fresh=getattr(module, "FRESH_PATHS", False))
            results.append(report(module.NAME, module.BASELINE, rounds, module.AIMS))
    finally:
        stop_server(server)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps({"cpu_count": os.cpu_count(), "workers": args.workers, "threads": args.threads,
                               "database": "postgresql" if args.postgres else "sqlite",
                               "results": results}, indent=2))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
