"""``python -m bench.bigscreen [--postgres]``: the big screens' ingest and fan-out (issue #16 "Benchmark").

**1. Ingest.** Buckets per second through ``POST /api/v1/bigscreen/crowd/reports`` (a source's Bearer
token; 3 zones × 3 origin classes per report) against the bare view ``/bench/bare/crowd-report``
(``bigscreen/bench_urls.py``: the same rows — report, revision, counts, area-bucket upsert — in raw
SQL in one transaction), interleaved in the same run: p50/p99 at 16 clients, throughput at 64.
Inputs vary: request n goes to one of ``--areas`` areas (each with its own source and token) and a
bucket of its own, going back 5 minutes at a time from the newest closed bucket (so all but the first
are late data, which the ingest accepts and recomputes), with counts drawn from n — never one
repeated body. The repeated body is the *unchanged* path (the same (source, area, bucket) and
counts again: answered 200 "unchanged", nothing written); it is measured as a line of its own,
cycling over 64 bodies already sent. After the phases the database is checked: one report and one
revision per 201 answer, no revision added by the unchanged path.

Load client: Debian's ``wrk`` (``apt-get install wrk``) with ``bench/bigscreen_wrk.lua``, 2 threads,
keep-alive connections, each phase ``--seconds`` long; the Lua script builds each body and checks
each status (201, 200 for the unchanged line). wrk's latency is from send to the last response byte.

**2. Fan-out.** ``bench/bigscreen_fanout.py`` (the streaming process's load script) opens 1, 10,
100 and 1,000 SSE screens on ``crowd:<area>`` against the streaming process (uvicorn, one process)
while this module posts a correction of the area's newest bucket through the ingest API every
``--feed-every`` seconds (each one a new zone count, so the snapshot changes). Measured per step:
the database statements per second of the streaming process (its producer's own count, and on
PostgreSQL the ``pg_stat_database`` deltas of the whole database: ``xact_commit`` and ``tup_returned``,
the feeder's writes included) — constant as screens grow is the aim — and the update latency: from
the ingest's 201 to each screen's receipt of the envelope that shows it; p99 < 5 s is the aim.

Databases: SQLite ``var/bench/bigscreen.sqlite3``; PostgreSQL (``--postgres``) the database
``onewindow_bench_bigscreen`` on the server of DATABASE_URL. Migrated on each run; the areas are new
for each run (``b<time>-api-<k>``, ``b<time>-bare-<k>``, ``b<time>-feed-0``). Figures are saved to
``bench/results/<time>-bigscreen-<db>.json``.

Usage: python -m bench.bigscreen [--postgres] [--rounds R] [--seconds T] [--workers W] [--areas A]
                                 [--screens 1,10,100,1000] [--fanout-seconds S] [--feed-every F]
                                 [--no-ingest] [--no-fanout] [--tiny]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .run import (
    LATENCY_CLIENTS,
    RESULTS,
    ROOT,
    THROUGHPUT_CLIENTS,
    VAR,
    create_postgres_database,
    django_shell,
    free_port,
    loadavg,
    log,
    own_database_env,
    start_server,
    stop_server,
)

PG_DATABASE = "onewindow_bench_bigscreen"
API_PATH = "/api/v1/bigscreen/crowd/reports"
BARE_PATH = "/bench/bare/crowd-report"
LUA = Path(__file__).with_name("bigscreen_wrk.lua")
BUCKET_SECONDS = 300
WRK_THREADS = 2
UNCHANGED_KEYS = 64
ORIGINS = ("local", "domestic", "international")


# ---- the benchmark world ------------------------------------------------------------------------------------------

MIGRATE_SCRIPT = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
"""

SETUP_SCRIPT = """
import datetime, json
from django.db import transaction
from django.utils import timezone
from onewindow.bigscreen.models import Area, CrowdAreaBucket, Zone
ORIGINS = ("local", "domestic", "international")
from onewindow.bigscreen.testing import make_source
stamp = timezone.localtime().strftime("%m%d%H%M%S")
out = {"stamp": stamp}
with transaction.atomic():
    for kind, count in (("api", AREAS), ("bare", AREAS), ("feed", 1)):
        rows = []
        for k in range(count):
            area = Area.objects.create(code=f"b{stamp}-{kind}-{k}", name=f"基准商圈 {kind} {k}", name_en=f"Bench {k}",
                                       bucket_minutes=5, stale_minutes=15, redaction_threshold=15)
            zones = [Zone.objects.create(area=area, code=f"z{j}", name=f"分区{j}", capacity=20000, position=j).code
                     for j in range(1, 4)]
            source, bearer = make_source(area, f"基准数据源 {kind} {k}")
            rows.append({"code": area.code, "bearer": bearer, "source": source.pk, "zones": zones})
        out[kind] = rows
    # The fed area gets a week and a day of history (one merged bucket per 5 minutes), so its
    # snapshot draws a full week as the demo's does.
    area = Area.objects.get(code=out["feed"][0]["code"])
    end = timezone.now().replace(second=0, microsecond=0)
    end -= datetime.timedelta(minutes=end.minute % 5 + 10)
    history = []
    for k in range(8 * 288):
        at = end - datetime.timedelta(minutes=5 * k)
        n = 900 + (k * 37) % 600
        history.append(CrowdAreaBucket(area=area, bucket_start=at, present=3 * n, arrivals=300, sources=1,
                                       by_origin={o: {"present": n, "arrivals": 100} for o in ORIGINS},
                                       by_zone={z: {"present": n, "arrivals": 100} for z in ("z1", "z2", "z3")}))
    CrowdAreaBucket.objects.bulk_create(history)
print("SETUP " + json.dumps(out))
"""

CHECK_SCRIPT = """
import json
from django.db.models import Max
from onewindow.bigscreen.models import CrowdAreaBucket, CrowdReport, CrowdRevision
out = {}
for kind in ("api", "bare"):
    codes = [f"b{STAMP}-{kind}-{k}" for k in range(AREAS)]
    reports = CrowdReport.objects.filter(area__code__in=codes)
    out[kind] = {"reports": reports.count(),
                 "revisions": CrowdRevision.objects.filter(report__area__code__in=codes).count(),
                 "max_revision": reports.aggregate(m=Max("revision"))["m"] or 0,
                 "area_buckets": CrowdAreaBucket.objects.filter(area__code__in=codes).count()}
print("CHECK " + json.dumps(out))
"""


def database_env(postgres: bool, sqlite_file: str = "bigscreen.sqlite3") -> dict[str, str]:
    return own_database_env(postgres, PG_DATABASE, sqlite_file)


def last_line(output: str, tag: str) -> dict[str, Any]:
    for line in reversed(output.splitlines()):
        if line.startswith(tag + " "):
            return dict(json.loads(line[len(tag) + 1:]))
    raise SystemExit(f"no {tag} line in: {output[-2000:]}")


def prepare(env: dict[str, str], postgres: bool, areas: int) -> dict[str, Any]:
    VAR.mkdir(parents=True, exist_ok=True)
    if postgres:
        create_postgres_database(env["DATABASE_URL"])
    log("migrating the benchmark database")
    # Migrated, static files collected and the world made in one process (each start of the
    # project's command costs seconds of imports on a loaded machine).
    return last_line(django_shell(env, MIGRATE_SCRIPT + f"AREAS = {areas}\n" + SETUP_SCRIPT), "SETUP")


def newest_bucket(now: float | None = None) -> int:
    """The start (epoch seconds) of the newest 5-minute bucket that has ended: the grid is Shanghai's
    from midnight, and UTC+8 is a whole number of buckets, so flooring the epoch is the same grid."""
    now = time.time() if now is None else now
    return int(now // BUCKET_SECONDS) * BUCKET_SECONDS - BUCKET_SECONDS


def iso_shanghai(epoch: float) -> str:
    tz = datetime.timezone(datetime.timedelta(hours=8))
    return datetime.datetime.fromtimestamp(epoch, tz).isoformat()


def count_of(n: int, zone: int, origin: int, salt: int, span: int) -> int:
    """The counts of request n (the Lua script's ``count``): distinct n, distinct counts."""
    return (n * 7919 + zone * 104729 + origin * 1299709 + salt) % span + 20


def body_of(n: int, areas: list[dict[str, Any]], base: int) -> dict[str, Any]:
    """Request n's body, as the Lua script builds it (the tests compare the two)."""
    area = areas[n % len(areas)]
    counts = [{"zone": z, "origin": o, "present": count_of(n, zi, oi, 0, 3000),
               "arrivals": count_of(n, zi, oi, 17, 400)}
              for zi, z in enumerate(area["zones"], 1) for oi, o in enumerate(ORIGINS, 1)]
    return {"area": area["code"], "bucket_start": iso_shanghai(base - (n // len(areas)) * BUCKET_SECONDS),
            "counts": counts}


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII is a valid Lua string literal


def wrk_script(*, areas: list[dict[str, Any]], kind: str, base: int, offset: int, modulo: int, expected: int,
               threads: int = WRK_THREADS) -> str:
    """The Lua header of one phase plus bench/bigscreen_wrk.lua."""
    rows = ",\n".join(
        f"  {{code={lua_string(a['code'])}, bearer={lua_string(a['bearer'])}, source={int(a['source'])}, "
        f"zones={{{', '.join(lua_string(z) for z in a['zones'])}}}}}"
        for a in areas)
    header = (f"areas = {{\n{rows}\n}}\nkind = {lua_string(kind)}\napi_path = {lua_string(API_PATH)}\n"
              f"bare_path = {lua_string(BARE_PATH)}\nbase = {base}\nstep = {BUCKET_SECONDS}\noffset = {offset}\n"
              f"modulo = {modulo}\nnthreads = {threads}\nexpected = {expected}\n")
    return header + LUA.read_text()


def run_wrk(port: int, script: str, clients: int, seconds: float, threads: int = WRK_THREADS) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        path = handle.name
    try:
        out = subprocess.run([wrk, "-t", str(min(threads, clients)), "-c", str(clients),
                              "-d", f"{max(1, round(seconds))}s", "--timeout", "60s", "-s", path,
                              f"http://127.0.0.1:{port}"],
                             check=True, capture_output=True, text=True)
    finally:
        os.unlink(path)
    result = last_line(out.stdout, "WRKJSON")
    result["clients"] = clients
    result["seconds"] = result["duration_us"] / 1e6
    result["req_per_s"] = result["requests"] / result["seconds"] if result["seconds"] else 0.0
    result["p50_ms"] = result["p50_us"] / 1000
    result["p99_ms"] = result["p99_us"] / 1000
    if result["bad"] or result["socket_errors"]:
        log(f"WARNING: {result['bad']} answers not {'as expected'}, {result['socket_errors']} socket errors; "
            f"first: {result['first_bad']}")
    return result


class Keys:
    """The next unused request number of each kind (a phase uses offset … offset + threads × sent)."""

    def __init__(self) -> None:
        self.next = {"api": 0, "bare": 0}

    def phase(self, kind: str, result: dict[str, Any], threads: int) -> None:
        self.next[kind] += threads * (int(result["sent_per_thread"]) + 1)


def ingest(port: int, world: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    keys = Keys()
    base = newest_bucket()
    sides = {"api": world["api"], "bare": world["bare"]}

    unchanged_keys = [UNCHANGED_KEYS]

    def phase(kind: str, clients: int, seconds: float, *, unchanged: bool = False) -> dict[str, Any]:
        threads = min(WRK_THREADS, clients)
        side = "api" if unchanged else kind
        script = wrk_script(areas=sides[side], kind=side, base=base,
                            offset=0 if unchanged else keys.next[side], modulo=unchanged_keys[0] if unchanged else 0,
                            expected=200 if unchanged else 201, threads=threads)
        result = run_wrk(port, script, clients, seconds, threads)
        if not unchanged:
            keys.phase(side, result, threads)
        return result

    log("warm-up: the first keys of each side (the unchanged line repeats the API's first ones)")
    warm = {"api": phase("api", LATENCY_CLIENTS, max(2.0, args.seconds / 3)),
            "bare": phase("bare", LATENCY_CLIENTS, max(2.0, args.seconds / 3))}
    # Keys 0 … threads × (least - 1) - 1 were sent and answered by every thread of the warm-up.
    unchanged_keys[0] = min(UNCHANGED_KEYS, WRK_THREADS * (int(warm["api"]["least_per_thread"]) - 1))
    if unchanged_keys[0] < 2 * WRK_THREADS:
        raise SystemExit(f"the warm-up sent only {warm['api']['sent']} reports: too few to repeat")
    rounds = []
    for index in range(args.rounds):
        log(f"ingest round {index + 1} of {args.rounds} (load average {loadavg()})")
        one: dict[str, Any] = {}
        for clients in (LATENCY_CLIENTS, THROUGHPUT_CLIENTS):
            one[f"bare_{clients}"] = phase("bare", clients, args.seconds)
            one[f"api_{clients}"] = phase("api", clients, args.seconds)
            one[f"unchanged_{clients}"] = phase("api", clients, args.seconds, unchanged=True)
        rounds.append(one)
    phases = {side: [warm[side]] + [r[f"{side}_{c}"] for r in rounds for c in (LATENCY_CLIENTS, THROUGHPUT_CLIENTS)]
              for side in ("api", "bare")}
    return {"base": base, "warm": warm, "rounds": rounds, "unchanged_keys": unchanged_keys[0],
            "sent_ok": {side: sum(p["ok"] for p in phases[side]) for side in phases},
            "sent": {side: sum(p["sent"] for p in phases[side]) for side in phases}}


def ingest_report(result: dict[str, Any], check: dict[str, Any]) -> dict[str, Any]:
    rounds = result["rounds"]
    med = statistics.median
    keys = [f"{side}_{c}" for c in (LATENCY_CLIENTS, THROUGHPUT_CLIENTS) for side in ("bare", "api", "unchanged")]
    figures = {key: {"clients": rounds[0][key]["clients"], "requests": sum(r[key]["requests"] for r in rounds),
                     "errors": sum(r[key]["bad"] + r[key]["socket_errors"] for r in rounds),
                     "req_per_s": round(med([r[key]["req_per_s"] for r in rounds]), 1),
                     "p50_ms": round(med([r[key]["p50_ms"] for r in rounds]), 2),
                     "p99_ms": round(med([r[key]["p99_ms"] for r in rounds]), 2)} for key in keys}
    lo, hi = LATENCY_CLIENTS, THROUGHPUT_CLIENTS
    ratios = {}
    for side in ("api", "unchanged"):
        ratios[f"{side}_throughput_ratio_at_{hi}"] = med(
            [r[f"{side}_{hi}"]["req_per_s"] / r[f"bare_{hi}"]["req_per_s"] for r in rounds])
        ratios[f"{side}_p50_ratio_at_{lo}"] = med([r[f"{side}_{lo}"]["p50_ms"] / r[f"bare_{lo}"]["p50_ms"]
                                                  for r in rounds])
        ratios[f"{side}_p99_ratio_at_{lo}"] = med([r[f"{side}_{lo}"]["p99_ms"] / r[f"bare_{lo}"]["p99_ms"]
                                                  for r in rounds])
    labels = {"bare": "bare crowd-report view (raw SQL)", "api": "POST crowd/reports (new)",
              "unchanged": "POST crowd/reports (unchanged)"}
    print()
    print(f"ingest: median of {len(rounds)} interleaved rounds, wrk {WRK_THREADS} threads, "
          "3 zones x 3 origins a report")
    print(f"{'':<36} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for key in keys:
        f = figures[key]
        print(f"{labels[key.split('_')[0]]:<36} {f['clients']:>7} {f['requests']:>8} {f['errors']:>6} "
              f"{f['req_per_s']:>9.0f} {f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f}")
    for side, what in (("api", "new buckets"), ("unchanged", "unchanged resends")):
        print(f"{what}: {figures[f'{side}_{hi}']['req_per_s']:.0f} buckets/s at {hi} clients = "
              f"{ratios[f'{side}_throughput_ratio_at_{hi}']:.2f} of the bare view's "
              f"{figures[f'bare_{hi}']['req_per_s']:.0f}; p50 at {lo} {figures[f'{side}_{lo}']['p50_ms']:.1f} ms "
              f"({ratios[f'{side}_p50_ratio_at_{lo}']:.2f}x), p99 {figures[f'{side}_{lo}']['p99_ms']:.1f} ms "
              f"({ratios[f'{side}_p99_ratio_at_{lo}']:.2f}x the bare view)")
    print("throughput ratio per round (new buckets): "
          + ", ".join(f"{r[f'api_{hi}']['req_per_s'] / r[f'bare_{hi}']['req_per_s']:.2f}" for r in rounds))
    ok, sent = result["sent_ok"], result["sent"]
    api, bare = check["api"], check["bare"]
    # A request wrk had sent but not seen answered when a phase ended is still served and committed:
    # between the 201 answers and the requests sent.
    consistent = (ok["api"] <= api["reports"] <= sent["api"] and api["revisions"] == api["reports"]
                  and api["max_revision"] == 1 and api["area_buckets"] == api["reports"]
                  and ok["bare"] <= bare["reports"] <= sent["bare"])
    print(f"database check: API {ok['api']} answers 201 of {sent['api']} sent -> {api['reports']} reports, "
          f"{api['revisions']} revisions (highest {api['max_revision']}), {api['area_buckets']} area buckets; bare "
          f"{ok['bare']} answers 201 of {sent['bare']} sent -> {bare['reports']} reports; the unchanged resends "
          f"({result['unchanged_keys']} bodies repeated) added {api['revisions'] - api['reports']} revisions: "
          f"{'consistent' if consistent else 'INCONSISTENT'}")
    return {"figures": figures, "ratios": {k: round(v, 3) for k, v in ratios.items()}, "check": check,
            "sent_ok": ok, "sent": sent, "unchanged_keys": result["unchanged_keys"], "consistent": consistent}


# ---- fan-out ------------------------------------------------------------------------------------------------------


def post_json(port: int, path: str, body: dict[str, Any], bearer: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={
            "Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {bearer}"})
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else {})
    finally:
        conn.close()


def fanout(port: int, env: dict[str, str], world: dict[str, Any], args: argparse.Namespace,
           postgres: bool) -> dict[str, Any]:
    from .bigscreen_push import fanout as run_fanout

    return run_fanout(api_port=port, env=env, world=world, args=args, postgres=postgres)


# ---- main ---------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help=f"PostgreSQL (database {PG_DATABASE})")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved ingest rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=10, help="length of an ingest phase (default 10 s)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as make demo)")
    parser.add_argument("--areas", type=int, default=16, help="areas (each with a source) per side (default 16)")
    parser.add_argument("--screens", default="1,10,100,1000", help="fan-out steps (default 1,10,100,1000)")
    parser.add_argument("--fanout-seconds", type=float, default=30, help="length of a fan-out step (default 30 s)")
    parser.add_argument("--feed-every", type=float, default=3, help="seconds between two fed buckets (default 3)")
    parser.add_argument("--no-ingest", action="store_true", help="skip the ingest measurement")
    parser.add_argument("--no-fanout", action="store_true", help="skip the fan-out measurement")
    parser.add_argument("--tiny", action="store_true",
                        help="a smoke run: 1 round of 2 s phases, 2 areas, fan-out at 1 and 10 screens for 8 s "
                             "(database var/bench/bigscreen-tiny.sqlite3 or PostgreSQL as given)")
    args = parser.parse_args(argv)
    if args.tiny:
        args.rounds, args.seconds, args.areas = 1, 2.0, 2
        args.screens, args.fanout_seconds, args.feed_every = "1,10", 8.0, 2.0

    env = database_env(args.postgres, "bigscreen-tiny.sqlite3" if args.tiny else "bigscreen.sqlite3")
    world = prepare(env, args.postgres, args.areas)
    database = "PostgreSQL" if args.postgres else "SQLite"
    log(f"areas b{world['stamp']}-*: {args.areas} for the API, {args.areas} for the bare view, 1 fed for the screens")
    port = free_port()
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} sync workers, {database}, load average {loadavg()}")
    started = datetime.datetime.now(datetime.UTC)
    server = start_server(env, port, args.workers, 1)
    out: dict[str, Any] = {"database": database.lower(), "workers": args.workers, "cpu_count": os.cpu_count(),
                           "started_utc": started.isoformat(timespec="seconds"), "load_average_start": loadavg()}
    ok = True
    try:
        if not args.no_ingest:
            result = ingest(port, world, args)
            check = last_line(django_shell(env, f"STAMP = {world['stamp']!r}\nAREAS = {args.areas}\n" + CHECK_SCRIPT),
                              "CHECK")
            out["ingest"] = ingest_report(result, check)
            ok = ok and out["ingest"]["consistent"]
        if not args.no_fanout:
            out["fanout"] = fanout(port, env, world, args, args.postgres)
            ok = ok and bool(out["fanout"].get("ok", True))
    finally:
        stop_server(server)
    out["load_average_end"] = loadavg()
    out["ended_utc"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"{stamp}-bigscreen-{'postgres' if args.postgres else 'sqlite'}.json"
    path.write_text(json.dumps(out, indent=2, default=str))
    log(f"{started:%H:%M}–{datetime.datetime.now(datetime.UTC):%H:%M} UTC; figures saved to {path.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
