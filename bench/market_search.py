"""``python -m bench.market_search``: the market-entity registry (issue #11) beside bare baselines.

1. Search over a generated city registry (``market_generate_entities``, ``--count`` entities across
   Shanghai's districts; 3,200,000 for the issue's figure, smaller counts for a quick run):
   ``GET /api/v1/market/entities?q=…`` with a regulator's token, by two-character name fragments
   and by pinyin initials drawn from the data, at 16 clients (p99) and 64 (throughput), alternating
   with the bare one-SELECT view for R rounds (medians). Aim (issue #11): p99 < 100 ms at 16.
2. Entity profile: ``GET /api/v1/market/entities/<code>`` (the registration, versions, former names;
   an audit entry per lookup) and ``GET /api/v1/market/records/entities/<code>`` (the pooled-records
   timeline with its facets), credit codes drawn from the data, beside the same bare view. Aims
   (issue #11): throughput ≥ 0.5 of the bare view's at 64 clients, p99 < 50 ms at 16. With
   ``--records N`` (the issue: 5,000,000) the registry first gets N pooled records
   (``market_generate_records``, built once and cached by a marker like the registry), so the
   profile and timeline requests read real timelines (most entities 0–3 records, some hundreds).
3. Bulk import: rows per second of ``entities_load`` (checks, encryption, versions, search keys,
   audit) against a bare ``executemany`` of the same rows into a table of the same 18 columns,
   in one process; aim ≥ 0.3. The time to load the registry itself is printed from the build.

Usage: python -m bench.market_search [--postgres] [--database NAME] [--count N] [--records N] [--rounds R]
       [--requests N] [--seconds T] [--workers W] [--import-rows N]
       [--only fragments,initials,profile,timeline,import]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlencode

from .baseline import BASELINES
from .load import LoadResult, run_load
from .run import (
    BIN,
    RESULTS,
    ROOT,
    VAR,
    create_bench_table,
    create_postgres_database,
    django_shell,
    free_port,
    loadavg,
    log,
    own_database_env,
    start_server,
    stop_server,
)

LATENCY_CLIENTS = 16
THROUGHPUT_CLIENTS = 64
AIMS = {"search_p99_ms_at_16": 100.0, "profile_p99_ms_at_16": 50.0, "profile_throughput_ratio_at_64": 0.5,
        "import_ratio": 0.3}

MARKER_SCRIPT = """
import json
from django.db import connection
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS bench_market_ready (count INTEGER NOT NULL, info TEXT NOT NULL)")
    c.execute("SELECT info FROM bench_market_ready WHERE count = %s", [COUNT])
    row = c.fetchone()
print("READY " + row[0] if row else "MISSING")
"""

SETUP_SCRIPT = """
import json
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole, User, ApiToken, format_token, hash_token_secret, new_token_parts
from onewindow.core.models import Department, Region, RegionLevel
district = Region.objects.get(code="310106")
dept, _ = Department.objects.get_or_create(code="BENCH-310106-GAFJ", defaults={
    "name": "静安区公安分局（基准测试）", "level": RegionLevel.DISTRICT, "region": district})
user, _ = User.objects.get_or_create(username="bench_regulator")
StaffRole.objects.get_or_create(user=user, role=StaffRoleKind.REGULATOR, department=dept)
prefix, secret = new_token_parts()
ApiToken.objects.create(name="bench", owner=user, prefix=prefix, secret_hash=hash_token_secret(secret),
                        scopes=["market:read", "market.records"])
print("TOKEN " + format_token(prefix, secret))
"""

QUERIES_SCRIPT = """
import json, random
from onewindow.market.models import EntityProfile
from onewindow.market.search_keys import core_length, is_too_broad, normalize_name
rng = random.Random(4754)
top = EntityProfile.objects.order_by("-organization_id").values_list("organization_id", flat=True).first()
ids = [rng.randrange(1, top + 1) for _ in range(600)]
rows = list(EntityProfile.objects.filter(pk__in=ids).values_list("organization__name", "name_initials")[:300])
fragments, initials = [], []
for name, ini in rows:
    text = normalize_name(name)
    # the trade name and line sit between "上海" (and a district word) and the organizational form
    start = 2 if text.startswith("上海") else 0
    end = core_length(text)
    if end - start >= 2:
        i = rng.randrange(start, end - 1)
        if not is_too_broad(text[i:i + 2]):
            fragments.append(text[i:i + 2])
    if len(ini) >= 4:
        i = rng.randrange(start, max(start + 1, min(end, len(ini)) - 3))
        initials.append(ini[i:i + rng.choice((3, 4))])
codes = list(EntityProfile.objects.filter(pk__in=ids).values_list("organization__credit_code", flat=True)[:300])
from django.db.models import Count
from onewindow.market.models import PooledRecord
held = sorted(PooledRecord.objects.filter(credit_code__in=codes).values("credit_code").annotate(n=Count("id"))
              .values_list("n", flat=True))
timeline = {"codes": len(codes), "records": sum(held), "codes_with_records": len(held),
            "most": held[-1] if held else 0}
print("QUERIES " + json.dumps({"fragments": fragments[:200], "initials": initials[:200], "codes": codes,
                               "timeline": timeline}))
"""

IMPORT_SCRIPT = """
import json, time
from django.db import connection, transaction
from onewindow.core.actors import system_actor
from onewindow.market.demo.registry import generate_rows
from onewindow.market.management.commands.market_generate_entities import districts
from onewindow.market.models import EntityProfile
from onewindow.market.services import COLUMNS, entities_load
start = 50_000_000 + EntityProfile.objects.count()
rows = list(generate_rows(99, ROWS, districts(), start=start, unique_names=False))
t0 = time.perf_counter()
run = entities_load(by=system_actor("bench"), rows=rows, label="bench", notify=False, chunk=5000)
ours = time.perf_counter() - t0
names = [n for n, _l in COLUMNS]
with connection.cursor() as c:
    c.execute("DROP TABLE IF EXISTS bench_market_bare")
    c.execute("CREATE TABLE bench_market_bare (" + ", ".join(n + " VARCHAR(4000)" for n in names) + ")")
values = [[str(row[n]) for n in names] for _line, row in rows]
sql = "INSERT INTO bench_market_bare (" + ", ".join(names) + ") VALUES (" + ", ".join(["%s"] * len(names)) + ")"
t0 = time.perf_counter()
for i in range(0, len(values), 5000):
    with transaction.atomic(), connection.cursor() as c:
        c.executemany(sql, values[i:i + 5000])
bare = time.perf_counter() - t0
print("IMPORT " + json.dumps({"rows": ROWS, "created": run.rows_created, "ours_s": ours, "bare_s": bare}))
"""


RECORDS_MARKER_SCRIPT = """
from django.db import connection
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS bench_market_records_ready (records INTEGER NOT NULL, info TEXT NOT NULL)")
    c.execute("SELECT info FROM bench_market_records_ready WHERE records = %s", [RECORDS])
    row = c.fetchone()
print("READY " + row[0] if row else "MISSING")
"""

ANALYZE_SCRIPT = """
from django.db import connection
with connection.cursor() as c:
    c.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
print("ANALYZED")
"""


def shell(env: dict[str, str], script: str, prefix: str) -> str:
    out = django_shell(env, script).strip().splitlines()
    return next(line[len(prefix):] for line in reversed(out) if line.startswith(prefix))


def prepare(env: dict[str, str], postgres: bool, count: int) -> dict[str, Any]:
    """Build the registry of ``count`` entities once (cached by a marker row)."""
    VAR.mkdir(parents=True, exist_ok=True)
    if postgres:
        create_postgres_database(env["DATABASE_URL"])
    subprocess.run([str(BIN / "onewindow"), "migrate", "--noinput", "--verbosity", "0"], env=env, check=True,
                   cwd=ROOT)
    state = shell(env, f"COUNT = {count}\n" + MARKER_SCRIPT, "")
    if state.startswith("READY "):
        log(f"registry of {count:,} entities ready (cached)")
        return dict(json.loads(state[6:]))
    subprocess.run([str(BIN / "onewindow"), "core_load_regions"], env=env, check=True, cwd=ROOT)
    log(f"generating and loading {count:,} entities (market_generate_entities)")
    started = time.monotonic()
    subprocess.run([str(BIN / "onewindow"), "market_generate_entities", "--count", str(count), "--quiet"],
                   env=env, check=True, cwd=ROOT)
    seconds = time.monotonic() - started
    create_bench_table(env)
    token = shell(env, SETUP_SCRIPT, "TOKEN ")
    info = {"token": token, "load_seconds": round(seconds, 1), "rows_per_s": round(count / seconds, 1),
            "loadavg_after_load": loadavg(),
            "built": datetime.datetime.now().isoformat()}
    django_shell(env, "from django.db import connection\nwith connection.cursor() as c:\n"  # noqa: S608 - our values
                      f"    c.execute('INSERT INTO bench_market_ready (count, info) VALUES (%s, %s)', "
                      f"[{count}, {json.dumps(json.dumps(info))}])\n")
    log(f"loaded in {seconds:.0f} s ({count / seconds:.0f} rows/s)")
    return info


def prepare_records(env: dict[str, str], records: int) -> dict[str, Any]:
    """Pool ``records`` generated records over the registry once (``market_generate_records``, cached
    by a marker row; the command itself adds only what is missing)."""
    state = shell(env, f"RECORDS = {records}\n" + RECORDS_MARKER_SCRIPT, "")
    if state.startswith("READY "):
        log(f"{records:,} pooled records ready (cached)")
        return dict(json.loads(state[6:]))
    log(f"generating {records:,} pooled records (market_generate_records), load {loadavg()}")
    started = time.monotonic()
    subprocess.run([str(BIN / "onewindow"), "market_generate_records", "--count", str(records), "--quiet"],
                   env=env, check=True, cwd=ROOT)
    seconds = time.monotonic() - started
    info = {"records": records, "load_seconds": round(seconds, 1), "records_per_s": round(records / seconds, 1),
            "loadavg_after_load": loadavg(), "built": datetime.datetime.now().isoformat()}
    django_shell(env, "from django.db import connection\nwith connection.cursor() as c:\n"  # noqa: S608 - our values
                      f"    c.execute('INSERT INTO bench_market_records_ready (records, info) VALUES (%s, %s)', "
                      f"[{records}, {json.dumps(json.dumps(info))}])\n")
    log(f"records generated in {seconds:.0f} s ({records / seconds:.0f} records/s)")
    return info


def search_paths(queries: dict[str, list[str]], kind: str) -> list[str]:
    if kind == "profile":
        return [f"/api/v1/market/entities/{code}" for code in queries["codes"]]
    if kind == "timeline":
        return [f"/api/v1/market/records/entities/{code}" for code in queries["codes"]]
    return [f"/api/v1/market/entities?{urlencode({'q': q})}" for q in queries[kind]]


def measure(port: int, bench: list[str], headers: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    base = BASELINES["select"]
    run_load(port, base, clients=LATENCY_CLIENTS, max_requests=300, max_seconds=5)
    run_load(port, bench, clients=LATENCY_CLIENTS, max_requests=300, max_seconds=5, headers=headers)
    rounds: list[dict[str, LoadResult]] = []
    for _ in range(args.rounds):
        one = {}
        for phase, clients in (("latency", LATENCY_CLIENTS), ("throughput", THROUGHPUT_CLIENTS)):
            one[f"base_{phase}"] = run_load(port, base, clients=clients, max_requests=args.requests,
                                            max_seconds=args.seconds)
            one[f"bench_{phase}"] = run_load(port, bench, clients=clients, max_requests=args.requests,
                                             max_seconds=args.seconds, headers=headers)
        rounds.append(one)

    def med(key: str, attr: str) -> float:
        return round(statistics.median(getattr(r[key], attr) for r in rounds), 2)

    return {
        "loadavg": loadavg(),
        "errors": sum(r[k].errors for r in rounds for k in r),
        "bench_p50_ms_at_16": med("bench_latency", "p50"), "bench_p99_ms_at_16": med("bench_latency", "p99"),
        "base_p50_ms_at_16": med("base_latency", "p50"), "base_p99_ms_at_16": med("base_latency", "p99"),
        "bench_req_s_at_64": med("bench_throughput", "throughput"),
        "base_req_s_at_64": med("base_throughput", "throughput"),
        "throughput_ratio_at_64": round(statistics.median(
            r["bench_throughput"].throughput / r["base_throughput"].throughput for r in rounds), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (database --database)")
    parser.add_argument("--database", default="bench_market", help="PostgreSQL database name (default bench_market)")
    parser.add_argument("--count", type=int, default=3_200_000, help="entities (default 3,200,000)")
    parser.add_argument("--records", type=int, default=0,
                        help="pooled records to generate over the registry first (the issue: 5,000,000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--only", default="fragments,initials,profile,timeline,import",
                        help="comma-separated parts: fragments, initials, profile, timeline, import")
    args = parser.parse_args(argv)

    env = own_database_env(args.postgres, args.database, f"market-{args.count}.sqlite3")
    info = prepare(env, args.postgres, args.count)
    records = prepare_records(env, args.records) if args.records else None
    # A bulk load leaves PostgreSQL's visibility map unset and its statistics stale: without VACUUM
    # ANALYZE the key range is a bitmap heap scan and a sort instead of an index-only scan.
    shell(env, ANALYZE_SCRIPT, "ANALYZED")
    queries = json.loads(shell(env, QUERIES_SCRIPT, "QUERIES "))
    log(f"timelines of the sampled entities: {queries['timeline']}")
    headers = {"Authorization": f"Bearer {info['token']}"}
    port = free_port()
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers, {'PostgreSQL' if args.postgres else 'SQLite'}")
    server = start_server(env, port, args.workers, 1)
    results: dict[str, Any] = {}
    parts = args.only.split(",")
    try:
        for kind in ("fragments", "initials", "profile", "timeline"):
            if kind not in parts:
                continue
            log(f"{kind} ({len(search_paths(queries, kind))} paths drawn from the data), load {loadavg()}")
            results[kind] = measure(port, search_paths(queries, kind), headers, args)
            print(kind, json.dumps(results[kind]))
    finally:
        stop_server(server)
    if "import" in parts:
        log(f"bulk import of {args.import_rows:,} rows beside a bare executemany, load {loadavg()}")
        imported = json.loads(shell(env, f"ROWS = {args.import_rows}\n" + IMPORT_SCRIPT, "IMPORT "))
        imported["ours_rows_per_s"] = round(imported["rows"] / imported["ours_s"], 1)
        imported["bare_rows_per_s"] = round(imported["rows"] / imported["bare_s"], 1)
        imported["ratio"] = round(imported["bare_s"] / imported["ours_s"], 3)
        imported["loadavg"] = loadavg()
        print("import", json.dumps(imported))
        results["imported"] = imported
    results.update(build=info | {"token": "…"}, count=args.count, records=records,
                   timeline_sample=queries.get("timeline"), cpu_count=os.cpu_count(),
                   database="postgresql" if args.postgres else "sqlite", aims=AIMS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-market-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps(results, indent=2))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
