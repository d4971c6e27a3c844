"""``python -m bench.analytics_rollups [--postgres] [--events N ...]``: the rollups at history scale
(issue #14 benchmark).

For each size N (ticket and case events of ``bench.analytics_history``, generated first if the
database lacks them; ``--events`` may be given several times, e.g. 1,000,000 and 10,000,000):

1. **Raw GROUP BY** — plain SQL over the same raw rows and the same dimensions as the facts
   (tickets by center, day, hour, category, source, window, clerk; their events by center, day,
   action, window; cases by department, day, item, channel, clerk, status; their events; ratings
   by department, day, clerk, channel, subject, level; window events by center, day, window,
   clerk, action), every result row fetched: the floor of any rollup in this database.
2. **DuckDB GROUP BY** — the same queries in DuckDB over a Parquet export of the same rows
   (written with pyarrow; DuckDB reads Parquet with its built-in reader, no extension download):
   the physical limit of a columnar engine on this machine. The export time is printed apart.
3. **Rollup rebuild** — ``analytics.services.rollups.rollup_rebuild``: seconds, and events per
   second as a ratio to (1) in the same run.
4. **Incremental update** — one more day of average volume appended (``NEW_DAY``), then
   ``rollup_update`` timed; the day is removed again afterwards (the next run rebuilds).
5. **Pages from the rollups** — gunicorn (3 workers) on this database, logged in as the manager of
   the first bench center (a session made in the database): the management home ``/manage/``, the
   statistics page for the last month and for the last year, and the statistics API (every chart,
   last month and last year); p50/p99 at 16 clients beside the bare constant view, and the median
   of one client alone (the cost of a request without queueing). Aim: p99 < 1 s at every size.

The machine's load average is printed beside every figure (the machine is shared). When more than
one size ran, the growth of each cost from the smallest to each larger size is printed: the build
should grow with the history, the pages should stay flat. Figures are saved to
``bench/results/<time>-analytics-<db>.json``.

Usage: python -m bench.analytics_rollups [--postgres] [--events N]... [--requests N] [--seconds T]
       [--no-pages] [--no-duckdb]
       python -m bench.analytics_rollups --compare RESULT.json RESULT.json  (growth between earlier runs)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import analytics_history as history
from .load import LoadResult, run_load
from .run import RESULTS, ROOT, VAR, free_port, loadavg, log, start_server, stop_server

PAGE_AIM_MS = 1000.0
CLIENTS = 16


# ---- the same GROUP BYs in three dialects ----------------------------------------------------------


class Dialect:
    """Local (Asia/Shanghai, UTC+8) day and hour, and seconds between two timestamps."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor

    def day(self, x: str) -> str:
        if self.vendor == "sqlite":
            return f"date({x}, '+8 hours')"
        if self.vendor == "postgresql":
            return f"(({x}) AT TIME ZONE 'Asia/Shanghai')::date"
        return f"CAST({x} + INTERVAL 8 HOUR AS DATE)"

    def hour(self, x: str) -> str:
        if self.vendor == "sqlite":
            return f"CAST(strftime('%H', {x}, '+8 hours') AS INTEGER)"
        if self.vendor == "postgresql":
            return f"EXTRACT(HOUR FROM ({x}) AT TIME ZONE 'Asia/Shanghai')"
        return f"hour({x} + INTERVAL 8 HOUR)"

    def seconds(self, a: str, b: str) -> str:
        if self.vendor == "sqlite":
            return f"(julianday({b}) - julianday({a})) * 86400"
        if self.vendor == "postgresql":
            return f"EXTRACT(EPOCH FROM ({b}) - ({a}))"
        return f"(epoch({b}) - epoch({a}))"


#: The raw GROUP BYs, one per fact family (the same dimensions as ``analytics.models.facts``);
#: ``DAY(x)``, ``HOUR(x)`` (local time) and ``SECS(a, b)`` are written in each dialect.
GROUP_QUERIES = {
    "tickets": (
        "SELECT center_id, DAY(taken_at), HOUR(taken_at), category_id, source, window_id, clerk_id, COUNT(*), "
        "SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'no_show' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), COUNT(called_at), SUM(SECS(taken_at, called_at)), "
        "COUNT(finished_at), SUM(SECS(started_at, finished_at)) FROM centers_ticket GROUP BY 1, 2, 3, 4, 5, 6, 7"),
    "ticket_events": (
        "SELECT t.center_id, DAY(e.\"at\"), e.action, e.window_id, COUNT(*) "
        "FROM centers_ticketevent e JOIN centers_ticket t ON t.id = e.ticket_id GROUP BY 1, 2, 3, 4"),
    "cases": (
        "SELECT receiving_department_id, DAY(submitted_at), item_id, channel, handler_id, status, COUNT(*), "
        "COUNT(decided_at), SUM(SECS(submitted_at, decided_at)) "
        "FROM cases_case WHERE submitted_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6"),
    "case_events": (
        "SELECT c.receiving_department_id, DAY(c.submitted_at), e.action, COUNT(*) "
        "FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id GROUP BY 1, 2, 3"),
    "ratings": (
        "SELECT department_id, DAY(created_at), staff_id, channel, subject_type, level, COUNT(*), SUM(score) "
        "FROM ratings_rating GROUP BY 1, 2, 3, 4, 5, 6"),
    "duty": (
        "SELECT center_id, DAY(\"at\"), window_id, clerk_id, COUNT(*), "
        "SUM(CASE WHEN action = 'pause' THEN 1 ELSE 0 END), MIN(\"at\"), MAX(\"at\") "
        "FROM centers_windowevent GROUP BY 1, 2, 3, 4"),
}


def group_queries(d: Dialect) -> dict[str, str]:
    """``GROUP_QUERIES`` in the dialect ``d``."""
    def one(sql: str) -> str:
        sql = re.sub(r"DAY\(([\w.\"]+)\)", lambda m: d.day(m[1]), sql)
        sql = re.sub(r"HOUR\(([\w.]+)\)", lambda m: d.hour(m[1]), sql)
        return re.sub(r"SECS\(([\w.]+), ([\w.]+)\)", lambda m: d.seconds(m[1], m[2]), sql)

    return {name: one(sql) for name, sql in GROUP_QUERIES.items()}


def raw_group_by() -> tuple[float, int]:
    """Every raw GROUP BY in this database, all rows fetched: (seconds, result rows)."""
    from django.db import connection

    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in group_queries(Dialect(connection.vendor)).values():
            cursor.execute(sql)
            rows += len(cursor.fetchall())
    return time.perf_counter() - started, rows


# ---- Parquet export and DuckDB ---------------------------------------------------------------------

EXPORT: dict[str, dict[str, str]] = {  # table → column → type ("i" integer, "s" text, "t" timestamp)
    "centers_ticket": {"id": "i", "center_id": "i", "category_id": "i", "source": "s", "window_id": "i",
                       "clerk_id": "i", "status": "s", "taken_at": "t", "called_at": "t", "started_at": "t",
                       "finished_at": "t"},
    "centers_ticketevent": {"id": "i", "ticket_id": "i", "action": "s", "window_id": "i", "at": "t"},
    "cases_case": {"id": "i", "receiving_department_id": "i", "item_id": "i", "channel": "s", "handler_id": "i",
                   "status": "s", "submitted_at": "t", "decided_at": "t"},
    "cases_caseevent": {"id": "i", "case_id": "i", "action": "s", "created_at": "t"},
    "ratings_rating": {"id": "i", "department_id": "i", "staff_id": "i", "channel": "s", "subject_type": "s",
                       "level": "i", "score": "i", "created_at": "t"},
    "centers_windowevent": {"id": "i", "center_id": "i", "window_id": "i", "clerk_id": "i", "action": "s",
                            "at": "t"},
}


def parquet_export(directory: Path) -> float:
    """Write each table's columns to ``directory/<table>.parquet``; returns the seconds taken."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = {"i": pa.int64(), "s": pa.string(), "t": pa.timestamp("us")}
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for table, columns in EXPORT.items():
        schema = pa.schema([(name, kinds[kind]) for name, kind in columns.items()])
        sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"  # noqa: S608 - our names
        with pq.ParquetWriter(directory / f"{table}.parquet", schema) as writer:
            for rows in history.iter_rows(sql, 200_000):
                arrays = []
                for i, (_name, kind) in enumerate(columns.items()):
                    values = [r[i] for r in rows]
                    if kind == "t":
                        arrays.append(_timestamps(pa, values))
                    else:
                        arrays.append(pa.array(values, type=kinds[kind]))
                writer.write_batch(pa.record_batch(arrays, schema=schema))
    return time.perf_counter() - started


def _timestamps(pa: Any, values: list[Any]) -> Any:
    """UTC timestamps without a zone: SQLite gives text or naive UTC datetimes (Django's converter),
    PostgreSQL aware datetimes."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, str):
        return pa.array(values, type=pa.string()).cast(pa.timestamp("us"))
    naive = [v if v is None or v.tzinfo is None else v.astimezone(datetime.UTC).replace(tzinfo=None)
             for v in values]
    return pa.array(naive, type=pa.timestamp("us"))


def duckdb_group_by(directory: Path, *, arrow: bool = False) -> tuple[float, int]:
    """The same GROUP BYs in DuckDB over the Parquet files (views, read at query time); ``arrow``:
    results fetched as Arrow tables instead of Python tuples (the engine without the fetch)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    for table in EXPORT:
        path = str(directory / f"{table}.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")  # noqa: S608 - ours
    rows = 0
    started = time.perf_counter()
    for sql in group_queries(Dialect("duckdb")).values():
        result = con.execute(sql)
        if arrow:  # to_arrow_table since DuckDB 1.4, fetch_arrow_table before
            fetch = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
            rows += fetch().num_rows
        else:
            rows += len(result.fetchall())
    seconds = time.perf_counter() - started
    con.close()
    return seconds, rows


# ---- pages -----------------------------------------------------------------------------------------


def manager_cookie(manager_id: int) -> str:
    """A logged-in session of the bench center's manager, stored where the server reads it."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(pk=manager_id))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def page_groups(center_id: int) -> dict[str, list[str]]:
    from onewindow.analytics.selectors.statistics import CHARTS

    month = f"center={center_id}&month={history.HISTORY_END:%Y-%m}"
    year = f"center={center_id}&start={history.HISTORY_END.replace(year=history.HISTORY_END.year - 1) + datetime.timedelta(days=1):%Y-%m-%d}&end={history.HISTORY_END:%Y-%m-%d}"  # noqa: E501
    return {
        "bare constant view": ["/bench/bare/constant"],
        "management home /manage/": [f"/manage/?center={center_id}"],
        "statistics page, last month": [f"/analytics/statistics/?{month}"],
        "statistics page, last year": [f"/analytics/statistics/?{year}"],
        "statistics API, every chart, month": [f"/api/v1/analytics/statistics/{c}?{month}" for c in CHARTS],
        "statistics API, every chart, year": [f"/api/v1/analytics/statistics/{c}?{year}" for c in CHARTS],
    }


def measure_pages(env: dict[str, str], center_id: int, manager_id: int, args: argparse.Namespace) -> dict[str, Any]:
    import http.client

    cookie = manager_cookie(manager_id)
    headers = {"Cookie": cookie, "Accept": "text/html,application/json"}
    port = free_port()
    server = start_server(env, port, 3, 1)
    out: dict[str, Any] = {}
    try:
        groups = page_groups(center_id)
        for paths in groups.values():  # every path answers 200 before it is measured
            for path in paths:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    raise SystemExit(f"{path} answered {response.status} (as the bench manager)")
            run_load(port, paths, clients=CLIENTS, max_requests=len(paths) * 4, max_seconds=10, headers=headers)
        for label, paths in groups.items():
            # One client first: the cost of a request without queueing behind the other 15.
            alone = run_load(port, paths, clients=1, max_requests=max(10, len(paths)), max_seconds=args.seconds,
                             headers=headers)
            results: list[LoadResult] = []
            for _ in range(args.rounds):
                results.append(run_load(port, paths, clients=CLIENTS, max_requests=args.requests,
                                        max_seconds=args.seconds, headers=headers))
            out[label] = {"requests": sum(r.requests for r in results), "errors": sum(r.errors for r in results),
                          "req_per_s": round(statistics.median(r.throughput for r in results), 1),
                          "p50_ms": round(statistics.median(r.p50 for r in results), 1),
                          "p99_ms": round(statistics.median(r.p99 for r in results), 1),
                          "alone_p50_ms": round(alone.p50, 1), "load": loadavg()}
    finally:
        stop_server(server)
    return out


# ---- one size ----------------------------------------------------------------------------------------


def timed(step: Callable[[], Any]) -> tuple[float, Any, str]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result, loadavg()


def measure_size(events: int, args: argparse.Namespace) -> dict[str, Any]:
    from onewindow.analytics.services import rollups

    env = history.history_env(args.postgres, events, args.years)
    history.prepare(env, args.postgres)
    made = history.generate(events, args.years, args.seed)
    rows = history.counts()
    n = rows["centers_ticketevent"] + rows["cases_caseevent"]
    fx = history.bench_centers()
    result: dict[str, Any] = {"target": events, "events": n, "rows": rows, "generated": made}
    log(f"{n:,} ticket and case events ({rows['centers_ticket']:,} tickets, {rows['cases_case']:,} cases, "
        f"{rows['ratings_rating']:,} ratings, {rows['centers_windowevent']:,} window events), load {loadavg()}")

    _outer, groups, load = timed(raw_group_by)
    result["raw"] = {"seconds": round(groups[0], 2), "rows": groups[1], "events_per_s": round(n / groups[0]),
                     "load": load}
    log(f"raw GROUP BY: {groups[0]:.2f} s, {groups[1]:,} groups, {n / groups[0]:,.0f} events/s (load {load})")

    if args.duckdb:
        years = "" if args.years == 3 else f"-{args.years}y"
        directory = VAR / f"analytics-parquet-{history.size_label(events)}{years}-{'pg' if args.postgres else 'sqlite'}"
        export_s, _none, load = timed(lambda: parquet_export(directory))
        duck_s, duck_rows = duckdb_group_by(directory)
        arrow_s, _rows = duckdb_group_by(directory, arrow=True)
        result["duckdb"] = {"seconds": round(duck_s, 3), "rows": duck_rows, "events_per_s": round(n / duck_s),
                            "arrow_seconds": round(arrow_s, 3), "export_seconds": round(export_s, 1),
                            "load": loadavg()}
        log(f"DuckDB GROUP BY over Parquet: {duck_s:.3f} s, {duck_rows:,} groups, {n / duck_s:,.0f} events/s "
            f"(export {export_s:.1f} s, load {loadavg()})")

    seconds, run, load = timed(rollups.rollup_rebuild)
    result["rebuild"] = {"seconds": round(seconds, 2), "events_read": run.events, "partitions": run.partitions,
                         "events_per_s": round(n / seconds), "ratio_to_raw": round(groups[0] / seconds, 3),
                         "error": run.error, "load": load}
    log(f"rollup_rebuild: {seconds:.1f} s, {n / seconds:,.0f} events/s = {groups[0] / seconds:.3f} of the raw "
        f"GROUP BY's rate ({run.partitions:,} partitions, load {load})")

    marks, day_events = history.add_day(events, args.years, args.seed)
    try:
        seconds, run, load = timed(rollups.rollup_update)
        result["update"] = {"seconds": round(seconds, 3), "day_events": day_events, "events_read": run.events,
                            "partitions": run.partitions, "error": run.error, "load": load}
        log(f"rollup_update of one day ({day_events:,} events): {seconds:.2f} s ({run.partitions} partitions, "
            f"load {load})")
    finally:
        history.truncate_after(marks)

    if args.pages:
        center = fx.centers[0]
        result["pages"] = measure_pages(env, center.id, center.manager_id, args)
    return result


def print_size(r: dict[str, Any], database: str) -> None:
    print()
    print(f"analytics rollups ({database}, {os.cpu_count()} CPUs): {r['events']:,} ticket and case events "
          f"({r['rows']['centers_ticket']:,} tickets, {r['rows']['cases_case']:,} cases, "
          f"{r['rows']['ratings_rating']:,} ratings, {r['rows']['centers_windowevent']:,} window events)")
    print(f"{'':<38} {'seconds':>9} {'events/s':>11} {'ratio':>7}  load")
    print(f"{'raw GROUP BY (same dimensions)':<38} {r['raw']['seconds']:>9.2f} {r['raw']['events_per_s']:>11,} "
          f"{1:>7.2f}  {r['raw']['load']}")
    if "duckdb" in r:
        d = r["duckdb"]
        print(f"{'DuckDB GROUP BY over Parquet':<38} {d['seconds']:>9.3f} {d['events_per_s']:>11,} "
              f"{r['raw']['seconds'] / d['seconds']:>7.2f}  {d['load']}  (export {d['export_seconds']} s)")
        if "arrow_seconds" in d:
            print(f"{'  the same, results as Arrow':<38} {d['arrow_seconds']:>9.3f} "
                  f"{round(r['events'] / d['arrow_seconds']):>11,} {r['raw']['seconds'] / d['arrow_seconds']:>7.2f}")
    b = r["rebuild"]
    print(f"{'rollup_rebuild':<38} {b['seconds']:>9.2f} {b['events_per_s']:>11,} {b['ratio_to_raw']:>7.3f}  "
          f"{b['load']}")
    u = r["update"]
    print(f"{'rollup_update, one day (' + format(u['day_events'], ',') + ' events)':<38} {u['seconds']:>9.3f} "
          f"{'':>11} {'':>7}  {u['load']}")
    if "pages" in r:
        print(f"{'pages at 16 clients':<38} {'req/s':>9} {'p50 ms':>11} {'p99 ms':>7}  {'1 client p50':>12}  load")
        for label, f in r["pages"].items():
            aim = "" if label.startswith("bare") else ("  aim < 1 s: met" if f["p99_ms"] < PAGE_AIM_MS
                                                       else "  aim < 1 s: NOT met")
            err = f"  ERRORS {f['errors']}" if f["errors"] else ""
            alone = f"{f['alone_p50_ms']:>9.1f} ms" if "alone_p50_ms" in f else f"{'':>12}"
            print(f"{label:<38} {f['req_per_s']:>9.1f} {f['p50_ms']:>11.1f} {f['p99_ms']:>7.1f}  {alone}  "
                  f"{f['load']}{aim}{err}")


def print_growth(sizes: list[dict[str, Any]]) -> None:
    if len(sizes) < 2:
        return
    first = sizes[0]
    print()
    print(f"growth from {first['events']:,} events (x = the cost at the larger size / at the smaller)")
    for r in sizes[1:]:
        scale = r["events"] / first["events"]
        parts = [f"history x{scale:.1f}", f"raw GROUP BY x{r['raw']['seconds'] / first['raw']['seconds']:.1f}",
                 f"rebuild x{r['rebuild']['seconds'] / first['rebuild']['seconds']:.1f}",
                 f"one-day update x{r['update']['seconds'] / first['update']['seconds']:.1f}"]
        if "duckdb" in r and "duckdb" in first:
            parts.append(f"DuckDB x{r['duckdb']['seconds'] / first['duckdb']['seconds']:.1f}")
        for label in r.get("pages", {}):
            if label in first.get("pages", {}) and not label.startswith("bare"):
                parts.append(f"{label} p99 x{r['pages'][label]['p99_ms'] / first['pages'][label]['p99_ms']:.2f}")
        print(f"  {r['events']:,}: " + "; ".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (databases bench_analytics_<N>)")
    parser.add_argument("--events", type=int, action="append", help="history size (repeatable; default 1,000,000)")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20170929)
    parser.add_argument("--rounds", type=int, default=3, help="load rounds per page group (default 3)")
    parser.add_argument("--requests", type=int, default=400, help="requests per round (default 400)")
    parser.add_argument("--seconds", type=float, default=10, help="time limit per round (default 10 s)")
    parser.add_argument("--no-pages", dest="pages", action="store_false")
    parser.add_argument("--no-duckdb", dest="duckdb", action="store_false")
    parser.add_argument("--json-out", help=argparse.SUPPRESS)  # a child process's result file
    parser.add_argument("--compare", nargs="+", metavar="RESULT",
                        help="print the sizes of earlier result files (bench/results/…-analytics-*.json) and the "
                             "growth between them, measuring nothing")
    args = parser.parse_args(argv)
    if args.compare:
        loaded = [(json.loads(Path(f).read_text()), f) for f in args.compare]
        earlier = sorted(((s, d["database"]) for d, _f in loaded for s in d["sizes"]), key=lambda x: x[0]["events"])
        for size, database in earlier:
            print_size(size, database)
        print_growth([size for size, _db in earlier])
        return 0
    if args.duckdb:
        try:
            import duckdb  # noqa: F401
            import pyarrow  # noqa: F401
        except ImportError:
            log("DuckDB or pyarrow missing (pip install -e '.[bench]'): the DuckDB figure is left out")
            args.duckdb = False
    sizes = sorted(args.events or [1_000_000])
    database = "PostgreSQL" if args.postgres else "SQLite"
    results = []
    for events in sizes:
        # One Django set-up per process: each size runs in a child process of its own database.
        if len(sizes) > 1:
            results.append(_child(events, args))
            continue
        history.setup_django(history.history_env(args.postgres, events, args.years))
        results.append(measure_size(events, args))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(results[-1], default=str))
            return 0
    for r in results:
        print_size(r, database)
    print_growth(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-analytics-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps({"cpu_count": os.cpu_count(), "database": database, "sizes": results}, indent=2,
                              default=str))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return 0


def _child(events: int, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one size in a child process (Django binds one database per process)."""
    import subprocess

    out = VAR / f".analytics-{history.size_label(events)}.json"
    command = [sys.executable, "-m", "bench.analytics_rollups", "--events", str(events), "--years", str(args.years),
               "--seed", str(args.seed), "--rounds", str(args.rounds), "--requests", str(args.requests),
               "--seconds", str(args.seconds), "--json-out", str(out)]
    command += ["--postgres"] * args.postgres + ["--no-pages"] * (not args.pages) + ["--no-duckdb"] * (not args.duckdb)
    subprocess.run(command, check=True, cwd=ROOT)
    data: dict[str, Any] = json.loads(out.read_text())
    return data


if __name__ == "__main__":
    sys.exit(main())
