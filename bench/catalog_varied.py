"""``python -m bench.catalog_varied``: catalog search under a varied workload (issue #17).

``GET /api/v1/catalog/items?q=…`` with a list of many thousands of distinct searches generated from
the catalog's own names — 2–4-character substrings, their full pinyin and pinyin initials (as the
catalog stores them, ``catalog.search_keys.name_search_keys``), the full pinyin of whole names, some
with a level, category or district filter, some asking for page 2 — shuffled deterministically and
sent in order by wrk (``bench.wrk``), so a run never repeats a request (``wrapped`` stays false) and
the caches warm only from the workload itself. Beside it, the bare constant view, interleaved.

Aims: throughput ≥ 0.5 of the bare constant view at 64 clients; p99 < 30 ms at 16 clients.

The database is the demo catalog only (regions, then the catalog's 10,741 items: the ``load`` of
``onewindow.core.demo`` and ``onewindow.catalog.demo``, each a no-op when already loaded), in
``var/bench/catalog.sqlite3`` or (``--postgres``) the database ``onewindow_bench_catalog`` on the
server of DATABASE_URL.

``--profile NAME`` records the gunicorn workers with py-spy during one extra 15-s phase at 16 clients
(after the rounds): ``docs/profiles/catalog-NAME.svg`` and ``var/bench/profiles/catalog-NAME.txt``,
and prints the top costs.

``--cpu N`` measures instead the CPU time per request in one process, no server: Django's test
client against the same database, N searches of the workload against N requests of the bare constant
view, interleaved in blocks of 50, ``time.process_time()`` (steadier than wrk on a shared machine);
it prints both, their ratio and the mean answer size.

Usage: python -m bench.catalog_varied [--postgres] [--rounds 3] [--seconds 8] [--workers 3]
                                      [--distinct N] [--profile before|after] [--cpu N]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import random
import shutil
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlencode

from . import profile
from .run import (
    BIN,
    RESULTS,
    ROOT,
    VAR,
    create_postgres_database,
    django_shell,
    free_port,
    log,
    own_database_env,
    start_server,
    stop_server,
)
from .wrk import LATENCY_CLIENTS, Req, loadavg, measure_pair, report, run_wrk

NAME = "catalog search, varied"
PG_DATABASE = "onewindow_bench_catalog"
SQLITE_FILE = "catalog.sqlite3"
AIMS = {"throughput_ratio_at_64": 0.5, "p99_ms_at_16": 30.0}
SEED = 20170929
#: Distinct searches of ``--cpu`` (its first N + 200 are measured: the same searches as the earlier runs'),
#: and the least of a wrk run.
TARGET = 60_000
#: A wrk run's list is sized for every request it may send (``list_size``) at this rate of the search side
#: (the idle 2-core machine's second pass: 2,260 req/s at 64 clients), so that no search repeats. wrk reads
#: the list from a file (``bench.wrk``): the 65,536 constants of a Lua chunk no longer cap it; the
#: generator runs dry at ~370,000 distinct searches of the demo catalog.
RATE_CEILING = 3_000
WARM_SECONDS = 3
PROFILE_SECONDS = 15

DEMO_SCRIPT = """
import importlib, time
for name in ("onewindow.core.demo", "onewindow.catalog.demo"):
    started = time.monotonic()
    importlib.import_module(name).load(progress=lambda n: None, seed=20170929)
    print(name, round(time.monotonic() - started, 1), "s")
"""

NAMES_SCRIPT = """
import json
from onewindow.catalog.models import ServiceItem
rows = list(ServiceItem.objects.filter(status="active").order_by("id")
            .values_list("name", "level", "category", "district__code"))
print("NAMES " + json.dumps(rows, ensure_ascii=False))
"""


def prepare(env: dict[str, str], postgres: bool) -> list[tuple[str, str, str, str | None]]:
    """Migrate, load regions and the demo catalog (no-ops once done); the active items' names."""
    VAR.mkdir(parents=True, exist_ok=True)
    if postgres:
        create_postgres_database(env["DATABASE_URL"])
    subprocess.run([str(BIN / "onewindow"), "migrate", "--noinput", "--verbosity", "0"], env=env, check=True,
                   cwd=ROOT)
    started = time.monotonic()
    print(django_shell(env, DEMO_SCRIPT), end="")
    log(f"regions and demo catalog ready in {time.monotonic() - started:.1f} s")
    out = django_shell(env, NAMES_SCRIPT).strip().splitlines()[-1]
    return [tuple(row) for row in json.loads(out[len("NAMES "):])]  # type: ignore[misc]


CPU_SCRIPT = """
import json, time
from django.test import Client
paths = json.loads(open(PATHS).read())
client = Client(HTTP_HOST="127.0.0.1")  # an allowed host of the bench profile
for path in paths[:200]:  # warm-up: the index, the translations, the URL resolver
    client.get(path)
client.get("/bench/bare/constant")
cpu = {"bare": 0.0, "search": 0.0}
size = 0
done = 0
for start in range(200, len(paths), 50):
    block = paths[start:start + 50]
    began = time.process_time()
    for _ in block:
        client.get("/bench/bare/constant")
    cpu["bare"] += time.process_time() - began
    began = time.process_time()
    for path in block:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        size += len(response.content)
    cpu["search"] += time.process_time() - began
    done += len(block)
print("CPU " + json.dumps({"requests": done, "bare_ms": 1000 * cpu["bare"] / done,
                           "search_ms": 1000 * cpu["search"] / done, "bytes": size / done}))
"""


def cpu_per_request(env: dict[str, str], paths: list[str]) -> dict[str, Any]:
    """``--cpu``: CPU time per request in one process (``CPU_SCRIPT``), search against bare view."""
    listing = VAR / "catalog-cpu-paths.json"
    listing.write_text(json.dumps(paths))
    out = django_shell(env, CPU_SCRIPT.replace("PATHS", repr(str(listing)))).strip().splitlines()[-1]
    figures: dict[str, Any] = json.loads(out[len("CPU "):])
    figures["ratio"] = figures["bare_ms"] / figures["search_ms"]
    return figures


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


@functools.cache
def _starts(name: str, size: int) -> tuple[int, ...]:
    """Where a run of ``size`` Chinese characters starts in ``name`` (kept: a name is drawn ~20 times in a
    list of 150,000 searches, and this scan was two thirds of the list's generation)."""
    return tuple(i for i in range(len(name) - size + 1) if all(_is_han(c) for c in name[i:i + size]))


def _span(rng: random.Random, name: str) -> tuple[int, int]:
    """A random 2–4-character run of Chinese characters of ``name`` (start, end)."""
    size = rng.randint(2, 4)
    starts = _starts(name, size)
    if not starts:
        return 0, len(name)
    start = rng.choice(starts)
    return start, start + size


def queries(names: list[tuple[str, str, str, str | None]], target: int = TARGET,
            seed: int = SEED) -> list[dict[str, str]]:
    """Distinct search parameter sets, in a deterministic shuffled order (see the module doc).

    A substring's pinyin is the slice of its name's syllables, as the catalog stores them
    (``search_keys.name_search_keys``: one syllable per character, in the name's context)."""
    from pypinyin import lazy_pinyin

    rng = random.Random(seed)
    syllables = {}
    for name, *_rest in names:
        if name not in syllables:
            one = [s.lower() for s in lazy_pinyin(name, errors=list)]
            syllables[name] = one if len(one) == len(name) else [c.lower() for c in name]
    seen: set[tuple[tuple[str, str], ...]] = set()
    out: list[dict[str, str]] = []
    attempts = 0
    while len(out) < target and attempts < target * 20:
        attempts += 1
        name, level, category, district = names[rng.randrange(len(names))]
        start, end = _span(rng, name)
        keys = syllables[name][start:end]
        kind = rng.random()
        if kind < 0.45:
            q = name[start:end]
        elif kind < 0.65:
            q = "".join(keys)
        elif kind < 0.70:
            q = "".join(s for s in syllables[name] if s.isalnum())[:rng.randint(8, 30)]
        else:
            q = "".join(s[:1] for s in keys)
        params = {"q": q}
        extra = rng.random()
        if extra < 0.10:
            params["level"] = level
        elif extra < 0.18:
            params["category"] = category
        elif extra < 0.24 and district:
            params["district"] = district
        if rng.random() < 0.10:
            params["page"] = "2"
        key = tuple(sorted(params.items()))
        if q.strip() and q.isalnum() and key not in seen:
            seen.add(key)
            out.append(params)
    rng.shuffle(out)
    return out


def list_size(rounds: int, seconds: float, profile: bool) -> int:
    """Distinct searches for a run of ``rounds`` × 2 phases of ``seconds`` (after the warm-up, before the
    profile phase) at ``RATE_CEILING`` req/s, in tens of thousands, at least ``TARGET``."""
    sent = (WARM_SECONDS + 2 * rounds * seconds + (PROFILE_SECONDS if profile else 0)) * RATE_CEILING
    return max(TARGET, -(-int(sent) // 10_000) * 10_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (the server of DATABASE_URL)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3, as make demo)")
    parser.add_argument("--distinct", type=int, help=f"distinct searches to generate (default: {TARGET:,} with "
                        f"--cpu, else enough for the run at {RATE_CEILING:,} req/s: 160,000 for 3 rounds of 8 s)")
    parser.add_argument("--profile", metavar="NAME", help="py-spy phase: docs/profiles/catalog-NAME.svg")
    parser.add_argument("--cpu", type=int, metavar="N", help="CPU per request in one process, N searches")
    args = parser.parse_args(argv)

    env = own_database_env(args.postgres, PG_DATABASE, SQLITE_FILE)
    names = prepare(env, args.postgres)
    started = time.monotonic()
    distinct = args.distinct or (TARGET if args.cpu else list_size(args.rounds, args.seconds, bool(args.profile)))
    params = queries(names, distinct)
    log(f"{len(params):,} distinct searches from {len(names):,} active items' names "
        f"in {time.monotonic() - started:.1f} s")
    bench = [Req("/api/v1/catalog/items?" + urlencode(p)) for p in params]
    if args.cpu:
        log(f"CPU per request, one process, {args.cpu} searches; load average {loadavg()}")
        figures = cpu_per_request(env, [r.path for r in bench[:args.cpu + 200]])
        log(f"bare view {figures['bare_ms']:.3f} ms, search {figures['search_ms']:.3f} ms, "
            f"ratio {figures['ratio']:.2f}, answer {figures['bytes']:.0f} bytes")
        return 0
    base = [Req("/bench/bare/constant")]
    port = free_port()
    database = "PostgreSQL" if args.postgres else "SQLite"
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} sync workers, {database}; "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, load average {loadavg()}")
    server = start_server(env, port, args.workers, 1)
    top = ""
    try:
        rounds = measure_pair(port, base, bench, rounds=args.rounds, seconds=args.seconds, warm_seconds=WARM_SECONDS)
        result = report(NAME, "constant", rounds, AIMS, distinct=len(bench))
        last = rounds[-1]["bench_throughput"]
        repeated = max(0, last["offset"] + last["threads"] * (int(last["sent_per_thread"]) + 1) - len(bench))
        result["repeated_across_rounds"] = repeated
        if repeated:
            print(f"NOTE: the run went past the end of the list: its last {repeated:,} requests repeated earlier "
                  "ones (answers cached by then); use fewer --seconds")
        if args.profile:
            used = max(r["bench_throughput"]["offset"] + r["bench_throughput"]["sent"] for r in rounds) + 1000
            stem = VAR / "profiles" / f"catalog-{args.profile}"
            log(f"profiling the workers with py-spy for {PROFILE_SECONDS} s at {LATENCY_CLIENTS} clients")
            recorders = profile.start(server.pid, PROFILE_SECONDS, stem)
            time.sleep(1)
            phase = run_wrk(port, bench, LATENCY_CLIENTS, PROFILE_SECONDS - 2, offset=used)
            profile.finish(recorders)
            target = ROOT / "docs" / "profiles" / f"catalog-{args.profile}.svg"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stem.with_suffix(".svg"), target)
            top = profile.top_costs(stem.with_suffix(".txt"), 25)
            log(f"profile phase: {phase['req_per_s']:.0f} req/s, p99 {phase['p99_ms']:.1f} ms; "
                f"flame graph {target.relative_to(ROOT)}")
            print(top)
    finally:
        stop_server(server)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-catalog-varied-{'postgres' if args.postgres else 'sqlite'}.json"
    payload: dict[str, Any] = {"cpu_count": os.cpu_count(), "workers": args.workers, "database": database.lower(),
                               "utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                               "loadavg": loadavg(), "results": [result], "profile_top": top}
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

