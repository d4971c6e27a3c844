"""``python -m bench.cases_inbox``: the staff inbox (待办, ``GET /api/v1/cases/inbox``) with one million cases,
under a varied workload, beside the bare SELECT-50 view (issue #17).

The database is ``bench.cases``' (built once by ``bench.cases.prepare``: SQLite ``var/bench/cases.sqlite3``,
PostgreSQL ``onewindow_bench_cases`` with ``--postgres``). The workload is several staff members with
different scopes, each with a ``cases:read`` token made for the run:

- ``clerk`` (window clerk, 静安区市场监督管理局), ``reviewer`` (reviewer, the same bureau), ``manager`` (department
  admin of the bureau and center manager of 临汾路 street: a region scope), ``linfenadmin`` (department admin of
  临汾路's community affairs office) and ``bench-clerk5`` (a department with five open cases);
- every filter the inbox has: status (all open ones, and finished ones), deadline level, ``mine``, ``q`` (a case
  number of the member's scope, or a fragment of a title), ``department_id``, the four sorts and pages 1–20.

The list is shuffled with a fixed seed and sent by wrk (``bench.wrk``), never repeating a request within a round;
the baseline is ``/bench/bare/select50`` (one indexed SELECT of 50 rows, rendered). ``--profile NAME`` records
py-spy flame graphs of the workers while the inbox alone is loaded at 16 clients (``docs/profiles/NAME.svg``,
the raw stacks in ``var/inbox/``) and prints the top costs.

``--cpu N`` measures instead the CPU time per request in one process (Django's test client, no server, no
wrk): N requests of the workload, then N of the bare view, for each of ``--rounds`` rounds — a figure that the
other processes of a shared machine do not move as much as wall-clock ratios. ``--cprofile`` adds the top
functions of a cProfile of the inbox requests.

``--explain`` (with ``--postgres``) sends each request once and re-runs each of its inbox statements as
``EXPLAIN (ANALYZE)``: planning and execution per statement kind, parallel plans, the slowest requests.

Usage: python -m bench.cases_inbox [--postgres] [--rounds R] [--seconds T] [--workers W] [--profile NAME]
                                   [--cpu N [--cprofile]] [--explain]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from . import profile
from .cases import database_env, prepare, shell
from .run import RESULTS, ROOT, free_port, log, start_server, stop_server
from .wrk import Req, measure_pair, report, run_wrk

AIMS = {"throughput_ratio_at_64": 0.5, "p99_ms_at_16": 50.0}
STAFF = ["clerk", "reviewer", "manager", "linfenadmin", "bench-clerk5"]
PROFILE_VAR = ROOT / "var" / "inbox"

# For each staff member: a fresh cases:read token, the departments of their roles, a few case numbers and
# title fragments of open cases in their scope (for ``q``), and their open-case count (for the page range).
STAFF_SCRIPT = """
import json
from onewindow.accounts.models import User
from onewindow.accounts.testing import make_api_token
from onewindow.cases import permissions as perms
from onewindow.cases.models import Case
from onewindow.cases.selectors import OPEN_FOR_STAFF
out = {}
for username in STAFF:
    user = User.objects.get(username=username)
    token = make_api_token(name="bench cases inbox " + username, scopes=["cases:read"], owner=user)[1]
    roles = sorted({r.department_id for r in user.staff_roles.filter(valid=True) if r.department_id})
    open_cases = perms.staff_case_queryset_for(user).filter(status__in=OPEN_FOR_STAFF)
    sample = list(open_cases.order_by("id").values_list("number", "title")[:400:40])
    out[username] = {"token": token, "departments": roles, "open": open_cases.count(),
                     "numbers": [n for n, _t in sample if n], "titles": sorted({t[2:6] for _n, t in sample if t})}
print("STAFF " + json.dumps(out, ensure_ascii=False))
"""


def staff_info(env: dict[str, str]) -> dict[str, Any]:
    lines = shell(env, f"STAFF = {STAFF!r}\n" + STAFF_SCRIPT).strip().splitlines()
    return dict(json.loads(lines[-1][len("STAFF "):]))


# The CPU time per request in one process: the workload's requests (each once) against the bare view, per round.
CPU_SCRIPT = """
import cProfile, io, json, pstats, time
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
def one(path, headers):
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {response.content[:200]!r}")
for path, headers in REQS[:20]:
    one(path, headers)
one("/bench/bare/select50", {})
out = []
profiler = cProfile.Profile() if PROFILE else None
for r in range(ROUNDS):
    chunk = REQS[(r * N) % len(REQS):][:N]
    if profiler:
        profiler.enable()
    t = time.process_time()
    for path, headers in chunk:
        one(path, headers)
    inbox = (time.process_time() - t) / len(chunk)
    if profiler:
        profiler.disable()
    t = time.process_time()
    for _n in range(len(chunk)):
        one("/bench/bare/select50", {})
    bare = (time.process_time() - t) / len(chunk)
    out.append({"inbox_ms": round(inbox * 1000, 2), "bare_ms": round(bare * 1000, 2), "ratio": round(bare / inbox, 3)})
if profiler:
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(45)
    print(text.getvalue())
print("CPU " + json.dumps(out))
"""


def cpu_per_request(env: dict[str, str], reqs: list[Req], n: int, rounds: int, cprofile: bool) -> list[dict[str, Any]]:
    """CPU time per inbox request and per bare request in one process (``CPU_SCRIPT``)."""
    listed = PROFILE_VAR / "cpu-requests.json"
    listed.parent.mkdir(parents=True, exist_ok=True)
    listed.write_text(json.dumps([(r.path, dict(r.headers)) for r in reqs]))
    script = (f"import json, pathlib\nREQS = json.loads(pathlib.Path({str(listed)!r}).read_text())\n"
              f"N = {n}\nROUNDS = {rounds}\nPROFILE = {cprofile}\n" + CPU_SCRIPT)
    printed = shell(env, script)
    lines = printed.strip().splitlines()
    if cprofile:
        print("\n".join(lines[:-1]))
    return list(json.loads(lines[-1][len("CPU "):]))


# Every request of the workload once, each inbox statement re-run as EXPLAIN (ANALYZE) with its parameters
# (PostgreSQL): planning and execution per statement kind, parallel plans, the slowest requests.
EXPLAIN_SCRIPT = """
import json, statistics
from django.db import connection
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
def kind(sql):
    sql = sql.split("; ", 1)[1] if sql.startswith("SET LOCAL") else sql
    for prefix, name in (("SELECT status, COUNT", "counts"), ("SELECT COUNT(*)", "capped"), ("SELECT id FROM", "ids")):
        if sql.startswith(prefix):
            return name
    return "rows" if "catalog_serviceitem" in sql else "other"
def gathers(node):
    return node["Node Type"].startswith("Gather") or any(gathers(n) for n in node.get("Plans", []))
per, kinds = [], {}
for path, headers in REQS:
    seen = []
    def wrap(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)
    with connection.execute_wrapper(wrap):
        client.get(path, headers=headers)
    total, parts = 0.0, []
    for sql, params in seen:
        if "accounts_apitoken" in sql:
            continue
        pre, _sep, rest = sql.partition("; ") if sql.startswith("SET LOCAL") else ("", "", sql)
        with connection.cursor() as cursor:
            cursor.execute((pre + "; " if pre else "") + "EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) " + rest, params)
            if pre:
                cursor.nextset()
            plan = cursor.fetchone()[0]
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
        k = kind(sql)
        kinds.setdefault(k, []).append((plan["Planning Time"], plan["Execution Time"], gathers(plan["Plan"])))
        total += plan["Planning Time"] + plan["Execution Time"]
        parts.append(f"{k}={plan['Planning Time']:.2f}+{plan['Execution Time']:.2f}")
    per.append((total, path, " ".join(parts)))
for k, xs in sorted(kinds.items()):
    print(f"{k:7} n={len(xs):4} planning {statistics.mean(x[0] for x in xs):6.3f} ms, execution "
          f"{statistics.mean(x[1] for x in xs):6.3f} ms (mean), parallel plans {sum(x[2] for x in xs)}")
totals = sorted(t for t, _p, _s in per)
print(f"per request: mean {statistics.mean(totals):.2f} ms, median {totals[len(totals) // 2]:.2f}, "
      f"p99 {totals[int(len(totals) * 0.99)]:.2f}, max {totals[-1]:.1f}")
for total, path, parts in sorted(per, reverse=True)[:TOP]:
    print(f"{total:7.1f} {path[20:60]:40} {parts}")
"""


def explain(env: dict[str, str], reqs: list[Req], top: int = 15) -> None:
    """``EXPLAIN_SCRIPT`` over the workload (PostgreSQL; issue #17's third pass)."""
    listed = PROFILE_VAR / "explain-requests.json"
    listed.parent.mkdir(parents=True, exist_ok=True)
    listed.write_text(json.dumps([(r.path, dict(r.headers)) for r in reqs]))
    print(shell(env, f"import json, pathlib\nREQS = json.loads(pathlib.Path({str(listed)!r}).read_text())\n"
                     f"TOP = {top}\n" + EXPLAIN_SCRIPT))


def workload(staff: dict[str, Any], seed: int = 20170929) -> list[Req]:
    """Every combination of the inbox's filters worth asking, for each staff member, shuffled."""
    open_statuses = ["submitted", "pre_review", "correction", "accepted", "forwarded", "under_review",
                     "suspended", "approved", "rejected"]
    finished = ["delivered", "not_accepted", "withdrawn"]
    sorts = ["due", "-due", "new", "old"]
    reqs: list[Req] = []
    for info in staff.values():
        header = (("Authorization", f"Bearer {info['token']}"), ("Accept", "application/json"))
        pages = max(1, min(20, -(-int(info["open"]) // 50)))
        params: list[dict[str, Any]] = []
        for sort in sorts:
            params += [{"sort": sort, "page": page} for page in range(1, pages + 1)]
            params += [{"sort": sort, "status": status, "page": page} for status in open_statuses for page in (1, 2)]
            params += [{"sort": sort, "level": level} for level in ("green", "yellow", "red")]
            params += [{"sort": sort, "mine": "true"}, {"sort": sort, "status": "accepted", "page": 2}]
            params += [{"sort": sort, "department_id": d} for d in info["departments"]]
        params += [{"status": status} for status in finished]
        params += [{"q": number} for number in info["numbers"]]
        params += [{"q": title} for title in info["titles"]]
        params += [{"status": "under_review", "level": level} for level in ("green", "yellow", "red")]
        for p in params:
            reqs.append(Req("/api/v1/cases/inbox?" + urlencode(p), headers=header))
    random.Random(seed).shuffle(reqs)
    return reqs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (database onewindow_bench_cases)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=8, help="seconds per phase (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as make demo)")
    parser.add_argument("--profile", default="", help="also record flame graphs: docs/profiles/<NAME>.svg")
    parser.add_argument("--cpu", type=int, default=0, help="CPU time per request in one process, N requests a round")
    parser.add_argument("--cprofile", action="store_true", help="with --cpu: the top functions of a cProfile")
    parser.add_argument("--explain", action="store_true", help="with --postgres: EXPLAIN (ANALYZE) every request")
    args = parser.parse_args(argv)

    env = database_env(args.postgres)
    prepare(env, args.postgres)
    staff = staff_info(env)
    reqs = workload(staff)
    log("inbox workload: " + ", ".join(f"{name} ({info['open']:,} open cases in scope)" for name, info in staff.items())
        + f"; {len(reqs)} distinct requests")
    if args.explain:
        explain(env, reqs)
        return 0
    if args.cpu:
        rounds = cpu_per_request(env, reqs, args.cpu, args.rounds, args.cprofile)
        for r in rounds:
            print(f"CPU per request: inbox {r['inbox_ms']} ms, bare {r['bare_ms']} ms, ratio {r['ratio']}")
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} CPUs, "
              f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
        return 0
    port = free_port()
    database = "PostgreSQL" if args.postgres else "SQLite"
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers, {database}")
    server = start_server(env, port, args.workers, 1)
    top = ""
    try:
        if args.profile:
            top = record_profile(server.pid, port, reqs, args.profile)
        rounds = measure_pair(port, [Req("/bench/bare/select50")], reqs, rounds=args.rounds, seconds=args.seconds)
    finally:
        stop_server(server)
    PROFILE_VAR.mkdir(parents=True, exist_ok=True)
    raw = PROFILE_VAR / f"rounds-{'postgres' if args.postgres else 'sqlite'}.json"
    raw.write_text(json.dumps(rounds, default=str))  # kept should the report fail
    result = report(f"inbox ({database}, 1M cases)", "SELECT-50", rounds, AIMS, distinct=len(reqs))
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} CPUs, "
          f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    if top:
        print(top)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-cases-inbox-{'postgres' if args.postgres else 'sqlite'}.json"
    result.update(workers=args.workers, database=database, load_average=os.getloadavg(),
                  staff={name: info["open"] for name, info in staff.items()})
    out.write_text(json.dumps(result, indent=2, default=str))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return 1 if any(f["errors"] for f in result["figures"].values()) else 0


def record_profile(pid: int, port: int, reqs: list[Req], name: str, seconds: float = 12) -> str:
    """Flame graphs of the workers while wrk sends the inbox workload at 16 clients (from its end, so the
    measured rounds that follow start on requests the profile did not send)."""
    svg = ROOT / "docs" / "profiles" / f"{name}.svg"
    raw = PROFILE_VAR / f"{name}.txt"
    recorders = profile.start(pid, seconds, raw)
    time.sleep(1)
    run_wrk(port, reqs[len(reqs) // 2:], 16, seconds - 2)
    profile.finish(recorders)
    svg.parent.mkdir(parents=True, exist_ok=True)
    Path(raw.with_suffix(".svg")).replace(svg)
    return profile.top_costs(raw, 25)


if __name__ == "__main__":
    sys.exit(main())
