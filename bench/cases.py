"""``python -m bench.cases``: case handling (issue #3) with one million cases in the database.

1. Submit: ``POST /api/v1/cases/`` with ``submit: true`` (a citizen's bearer token, a new case per
   request through ``services.case_apply``: idempotency key, number, case, clock, events, audit,
   outbox) against the bare view making the same writes in raw SQL in one transaction
   (``/bench/bare/cases/submit``, cases/bench_urls.py): throughput at 64 concurrent clients and p99 at
   16, as ratios. Load client: ``wrk`` (bench/wrk.py), interleaved rounds; every request has its own
   ``Idempotency-Key`` and a body of its own (five bench items in five districts, applicant names
   from the database's persons, phones, delivery methods). Afterwards the database is checked: one
   case per 201, no duplicate numbers, no gaps in the numbering of the districts used.
2. Inbox: ``GET /api/v1/cases/inbox`` (a window clerk's token; ``selectors.inbox_for``, 50 rows by
   deadline) against the bare view doing one indexed SELECT of 50 rows: p99 at 16, in ms and as a
   ratio; and the query count of the inbox at 5 and at 50 rows (must be equal).

Aims: submit throughput ≥ 0.5 of its ceiling; inbox p99 < 50 ms; inbox queries constant in rows.

The database is built once and reused: migrated, the demo steps it needs (regions, catalog,
accounts, the demo year of cases), then the cases copied by SQL up to 1,000,000 (INSERT … SELECT
over ``generate_series`` on PostgreSQL, a recursive CTE on SQLite), a bench item without required
materials (so one request can submit), tokens, and a marker row written last. SQLite:
``var/bench/cases.sqlite3``; PostgreSQL (``--postgres``): the database ``onewindow_bench_cases`` on
the server of DATABASE_URL.

Usage: python -m bench.cases [--postgres] [--rounds R] [--requests N] [--seconds T] [--workers W]
       [--only submit|inbox] [--profile before|after] [--cpu N [--cprofile]]

``--cpu N`` (the submit phase only): the CPU time per submission in one process beside the bare view's,
no server and no wrk (bench/cases_cpu.py); ``--cprofile`` adds the top functions of a cProfile.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from .load import LoadResult, run_load
from .run import (
    BIN,
    LATENCY_CLIENTS,
    RESULTS,
    ROOT,
    THROUGHPUT_CLIENTS,
    VAR,
    create_bench_table,
    create_postgres_database,
    django_shell,
    free_port,
    log,
    own_database_env,
    start_server,
    stop_server,
)

CASES = 1_000_000
PG_DATABASE = "onewindow_bench_cases"
MARKER_VERSION = "cases-bench-1"
AIMS = {"submit_throughput_ratio_at_64": 0.5, "inbox_p99_ms_at_16": 50.0}
SUBMIT_ITEMS = 5
SUBMIT_BODIES = 4000


def database_env(postgres: bool) -> dict[str, str]:
    return own_database_env(postgres, PG_DATABASE, "cases.sqlite3")


def shell(env: dict[str, str], script: str) -> str:
    return django_shell(env, script)


MARKER_SCRIPT = """
from django.db import connection
with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS bench_cases_ready (version VARCHAR(40) NOT NULL, info TEXT NOT NULL)")
    c.execute("SELECT info FROM bench_cases_ready WHERE version = %s", [VERSION])
    row = c.fetchone()
print("READY " + row[0] if row else "MISSING")
"""

DEMO_SCRIPT = """
import importlib, time
for name in ("onewindow.core.demo", "onewindow.catalog.demo", "onewindow.accounts.demo", "onewindow.cases.demo"):
    started = time.monotonic()
    importlib.import_module(name).load(progress=lambda n: None, seed=20170929)
    print(name, round(time.monotonic() - started, 1), "s")
"""

# Copies of the demo year, each with its own ids (id + n * STRIDE), numbers ("B<n>" in front) and
# query codes (two digits in front), until the table holds exactly CASES rows.
MULTIPLY_SCRIPT = """
import time
from django.db import connection, transaction
from django.db.models import Max
from onewindow.cases.models import Case
from onewindow.cases.demo.rows import reset_sequences

pg = connection.vendor == "postgresql"
base_max = Case.objects.aggregate(m=Max("id"))["m"]
base = Case.objects.count()
stride = 10 ** len(str(base_max))
fields = [f for f in Case._meta.concrete_fields]
qn = connection.ops.quote_name
columns = ", ".join(qn(f.column) for f in fields)
def expr(f):
    col = "c." + qn(f.column)
    if f.column == "id":
        return f"{col} + g.n * {stride}"
    if f.column == "number":
        prefix = "lpad(g.n::text, 2, '0')" if pg else "printf('%02d', g.n)"
        return f"'B' || {prefix} || substr({col}, 2)"
    if f.column == "query_code":
        return f"lpad(g.n::text, 2, '0') || {col}" if pg else f"printf('%02d', g.n) || {col}"
    return col
select = ", ".join(expr(f) for f in fields)
started = time.monotonic()
full, rest = divmod(CASES - base, base)
insert = f"INSERT INTO cases_case ({columns}) SELECT {select} FROM cases_case c, "
with transaction.atomic(), connection.cursor() as cursor:
    if pg:
        cursor.execute(insert + f"generate_series(1, {full}) AS g(n) WHERE c.id <= {base_max}")
    else:
        cursor.execute(f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {full}) "
                       + insert + f"g WHERE c.id <= {base_max}")
    if rest:
        cursor.execute(f"SELECT id FROM cases_case ORDER BY id LIMIT 1 OFFSET {rest - 1}")
        last = cursor.fetchone()[0]
        cursor.execute(insert + f"(SELECT {full + 1} AS n) g WHERE c.id <= {last}")
    reset_sequences(Case)
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print("COPIED", Case.objects.count(), round(time.monotonic() - started, 1))
"""

SETUP_SCRIPT = """
import json
from django.db import connection, transaction
from onewindow.accounts import services as account_services
from onewindow.accounts.models import StaffRole, User
from onewindow.accounts.testing import make_api_token
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import ServiceItem
from onewindow.cases.models import Case
from onewindow.core.actors import system_actor
from onewindow.core.models import Department, Region

CODE = "BENCHCASES000000000000000000000001"
with transaction.atomic():
    jingan = Region.objects.get(code="310106")
    dept = Department.objects.get(code="310106-JYJ")
    if not ServiceItem.objects.filter(code=CODE).exists():
        catalog_services.item_create(
            by=system_actor("bench"),
            code=CODE, basic_code="01BENCHCASE1", name="基准测试：网上申请事项", department=dept,
            region="310106", level="district", category="approval", item_type="01",
            legal_basis="《中华人民共和国行政许可法》", handling_type="promised", statutory_limit=20,
            statutory_unit="working", promised_limit=10, promised_unit="working", fee_free=True, depth_level=4,
            depth_codes="1^2^3^4^5^6^7", on_site_visits=0, channels=["online"],
            form_schema={"type": "object", "required": ["applicant_name"],
                         "properties": {"applicant_name": {"type": "string", "title": "申请人名称"}}},
            materials=[{"name": "其他材料", "form": "copy", "required": False}])
    five, _ = Department.objects.get_or_create(code="310106-BENCH5", defaults={
        "name": "基准测试五件科", "short_name": "五件科", "level": "district", "region": jingan})
    clerk5 = User.objects.filter(username="bench-clerk5").first()
    if clerk5 is None:
        clerk5 = User.objects.create_user("bench-clerk5", password=None, is_staff=True)
        StaffRole.objects.create(user=clerk5, role="window_clerk", department=five)
    if Case.objects.filter(receiving_department=five).count() == 0:
        # Five open cases with the relations the clerk's rows have (a handler; persons and an
        # organization as applicants): the inbox loads each relation once, whatever the row count.
        under_review = Case.objects.filter(status="under_review", handler__isnull=False).order_by("-id")
        ids = [*under_review.filter(applicant_person__isnull=False).values_list("id", flat=True)[:3],
               *under_review.filter(applicant_organization__isnull=False).values_list("id", flat=True)[:2]]
        Case.objects.filter(id__in=ids).update(receiving_department=five, handling_department=five)
    tokens = {
        "citizen": make_api_token(name="bench cases submit", scopes=["cases:apply", "cases:read"],
                                  owner=User.objects.get(username="citizen"))[1],
        "clerk": make_api_token(name="bench cases inbox", scopes=["cases:read"],
                                owner=User.objects.get(username="clerk"))[1],
        "clerk5": make_api_token(name="bench cases inbox 5", scopes=["cases:read"], owner=clerk5)[1],
    }
print("TOKENS " + json.dumps(tokens))
"""

QUERIES_SCRIPT = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
out = {}
for who, token in TOKENS.items():
    if who == "citizen":
        continue
    client = Client(HTTP_AUTHORIZATION="Bearer " + token, HTTP_HOST="127.0.0.1")
    client.get("/api/v1/cases/inbox")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/cases/inbox")
    body = response.json()
    out[who] = {"status": response.status_code, "rows": len(body["items"]), "total": body["total"],
                "queries": len(queries)}
print("QUERIES " + json.dumps(out))
"""


# The submit phase's own setup, run on every start (idempotent, not part of the cached build): four
# more bench items like the first, each of a district department of its own (so the numbers of five
# districts are drawn), and the applicant names the bodies use, taken from the persons of the data.
SUBMIT_SETUP_SCRIPT = """
import json
from django.db import transaction
from onewindow.accounts.models import Person
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.models import Department

codes = ["BENCHCASES000000000000000000000001"]
with transaction.atomic():
    seen = {"310106"}
    departments = []
    for dept in Department.objects.filter(level="district").select_related("region").order_by("code"):
        district = dept.region.code[:6]
        if district not in seen and dept.region.level == "district":
            seen.add(district)
            departments.append(dept)
        if len(departments) == ITEMS - 1:
            break
    for index, dept in enumerate(departments, start=2):
        code = f"BENCHCASES{index:024d}"
        codes.append(code)
        if ServiceItem.objects.filter(code=code).exists():
            continue
        catalog_services.item_create(
            by=system_actor("bench"), code=code, basic_code=f"01BENCHCASE{index}",
            name=f"基准测试：网上申请事项{index}", department=dept, region=dept.region.code, level="district",
            category="approval", item_type="01",
            legal_basis="《中华人民共和国行政许可法》", handling_type="promised", statutory_limit=20,
            statutory_unit="working", promised_limit=10, promised_unit="working", fee_free=True, depth_level=4,
            depth_codes="1^2^3^4^5^6^7", on_site_visits=0, channels=["online"],
            form_schema={"type": "object", "required": ["applicant_name"],
                         "properties": {"applicant_name": {"type": "string", "title": "申请人名称"},
                                        "description": {"type": "string", "title": "申请事项说明"}}},
            materials=[{"name": "其他材料", "form": "copy", "required": False}])
names = list(Person.objects.order_by("id").values_list("name", flat=True)[:500])
print("SUBMIT " + json.dumps({"items": codes, "names": names}, ensure_ascii=False))
"""

# The database check of the submit phase: the cases made since ``SINCE_ID`` (the largest id before the
# run), their idempotency keys, duplicate numbers among them, and the gap-free numbering of every
# district and year they were numbered in (the counter row against the numbers present).
SUBMIT_CHECK_SCRIPT = """
import json
from django.db.models import Count
from onewindow.cases.models import Case
from onewindow.core.models import IdempotencyKey, NumberCounter
# the bare view's cases (numbers "B…") are the citizen's too
new = Case.objects.filter(id__gt=SINCE_ID, submitter__username="citizen").exclude(number__startswith="B")
numbers = list(new.values_list("number", flat=True))
statuses = dict(new.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
keys = IdempotencyKey.objects.filter(operation="cases.apply", key__startswith=PREFIX)
done_keys = keys.exclude(result_id="").count()
duplicates = (Case.objects.filter(number__in=[n for n in numbers if n]).values("number")
              .annotate(n=Count("id")).filter(n__gt=1).count())
gaps = {}
for scope in sorted({f"cases:{n[:6]}:{n[7:11]}" for n in numbers if n}):
    counter = NumberCounter.objects.get(scope=scope).value
    prefix = scope.split(":")[1] + "-" + scope.split(":")[2] + "-"
    present = {int(n[len(prefix):]) for n in Case.objects.filter(number__startswith=prefix)
               .values_list("number", flat=True) if n[len(prefix):].isdigit()}
    gaps[scope] = {"counter": counter, "present": len(present), "missing": len(set(range(1, counter + 1)) - present),
                   "beyond": len({n for n in present if n > counter})}
print("CHECK " + json.dumps({"cases": len(numbers), "statuses": statuses, "keys": keys.count(),
                             "keys_with_result": done_keys, "unnumbered": sum(1 for n in numbers if not n),
                             "duplicate_numbers": duplicates, "districts": gaps}))
"""

MAX_ID_SCRIPT = """
from django.db.models import Max
from onewindow.cases.models import Case
print("MAXID", Case.objects.aggregate(m=Max("id"))["m"] or 0)
"""


def submit_bodies(items: list[str], names: list[str], count: int = SUBMIT_BODIES) -> list[dict[str, Any]]:
    """``count`` distinct application bodies: items, applicant names, phones and delivery methods vary."""
    methods = ("electronic", "mail", "window")
    bodies = []
    for index in range(count):
        method = methods[index % 3]
        form = {"applicant_name": names[index % len(names)]}
        if index % len(items):  # the first bench item's form (prepare) has no description
            form["description"] = f"网上申请 第{index + 1}件"
        body: dict[str, Any] = {
            "item_code": items[index % len(items)], "channel": "online", "submit": True, "form_data": form,
            "contact_phone": f"13{index % 10}{(index * 7919) % 100_000_000:08d}", "delivery_method": method}
        if method == "mail":
            body["delivery_address"] = f"上海市静安区共和新路{index % 5000 + 1}号"
        bodies.append(body)
    return bodies


def submit_requests(bodies: list[dict[str, Any]], path: str, token: str, stamp: str) -> list[Any]:
    from .wrk import Req

    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{stamp}-{{n}}"}
    return [Req.json(path, body, headers=headers) for body in bodies]


def submit_phase(env: dict[str, str], port: int, server_pid: int, tokens: dict[str, str],
                 args: argparse.Namespace) -> dict[str, Any]:
    """The submit benchmark with wrk: the bare same-writes view and the API, interleaved; then the check."""
    from . import profile as profiler
    from .wrk import measure_pair, report, run_wrk

    setup = json.loads(shell(env, f"ITEMS = {SUBMIT_ITEMS}\n" + SUBMIT_SETUP_SCRIPT).strip().splitlines()[-1][7:])
    bodies = submit_bodies(setup["items"], setup["names"])
    stamp = "bench-" + datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    since = int(shell(env, MAX_ID_SCRIPT).strip().splitlines()[-1].split()[-1])
    base = submit_requests(bodies, "/bench/bare/cases/submit", tokens["citizen"], stamp + "-bare")
    bench = submit_requests(bodies, "/api/v1/cases/", tokens["citizen"], stamp)
    statuses = {"api_201": 0}
    if args.profile:
        # The profile first, on its own requests (a key range of its own), at 16 clients.
        out = ROOT / "var" / "profiles" / f"submit-{args.profile}"
        recorders = profiler.start(server_pid, args.seconds, out)
        result = run_wrk(port, bench, LATENCY_CLIENTS, args.seconds, offset=10_000_000, expected=(201,))
        profiler.finish(recorders)
        statuses["api_201"] += result["ok"]
        svg = ROOT / "docs" / "profiles" / f"submit-{args.profile}.svg"
        svg.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".svg").replace(svg)
        log(f"profile: {svg.relative_to(ROOT)} ({result['req_per_s']:.0f} req/s while sampled)")
        print(profiler.top_costs(out.with_suffix(".txt"), 30))
    rounds = measure_pair(port, base, bench, rounds=args.rounds, seconds=args.seconds, expected=(201,),
                          base_expected=(201,), warm_seconds=2, log=log)
    statuses["api_201"] += sum(r["bench_latency"]["ok"] + r["bench_throughput"]["ok"] for r in rounds)
    (VAR / f"submit-rounds-{stamp}.json").write_text(json.dumps(rounds, indent=1, default=str))
    starved = [i + 1 for i, r in enumerate(rounds) if not (r["base_latency"]["requests"] and
                                                           r["base_throughput"]["requests"])]
    if starved:
        # A slow API phase leaves up to 64 requests in the workers' queue when wrk stops; the bare phase
        # after it can wait through all of them and get no answer at all within its seconds.
        log(f"rounds {starved}: a bare phase got no answer (the API's unfinished requests still held the "
            "workers); left out of the medians")
        rounds = [r for i, r in enumerate(rounds) if i + 1 not in starved] or rounds[:1]
    result = report("submit POST /api/v1/cases/", "same-writes submit", rounds,
                    aims={"throughput_ratio_at_64": AIMS["submit_throughput_ratio_at_64"]}, distinct=len(bodies))
    check = json.loads(shell(env, f"SINCE_ID = {since}\nPREFIX = {stamp!r}\n" + SUBMIT_CHECK_SCRIPT)
                       .strip().splitlines()[-1][6:])
    gapless = all(d["missing"] == 0 and d["beyond"] == 0 for d in check["districts"].values())
    # wrk counts the answers it read; requests still in flight when a phase ends are served too, so
    # the database may hold up to one more case per connection and phase than 201s were counted.
    print(f"database check: {check['cases']} new cases ({check['statuses']}), {statuses['api_201']}+ answered 201 "
          f"by wrk (warm-up not counted), {check['keys']} idempotency keys of this run "
          f"({check['keys_with_result']} with their case), {check['duplicate_numbers']} duplicate numbers, "
          f"{check['unnumbered']} unnumbered, numbering of {len(check['districts'])} districts "
          f"{'gap-free' if gapless else 'WITH GAPS'}: "
          + ", ".join(f"{k} {v['counter']}/{v['present']}" for k, v in check["districts"].items()))
    ok = (check["cases"] == check["keys"] == check["keys_with_result"] and check["duplicate_numbers"] == 0
          and check["unnumbered"] == 0 and gapless and check["cases"] >= statuses["api_201"])
    result.update(check=check, check_ok=ok, answered_201=statuses["api_201"], load_average=os.getloadavg()[0])
    return result


def submit_cpu(env: dict[str, str], tokens: dict[str, str], args: argparse.Namespace) -> int:
    """``--cpu N``: CPU per submission in one process, the API beside the bare view (bench/cases_cpu.py)."""
    from .cases_cpu import cpu_per_submission

    setup = json.loads(shell(env, f"ITEMS = {SUBMIT_ITEMS}\n" + SUBMIT_SETUP_SCRIPT).strip().splitlines()[-1][7:])
    bodies = submit_bodies(setup["items"], setup["names"])
    stamp = "bench-cpu-" + datetime.datetime.now().strftime("%Y%m%d%H%M%S")
    out = cpu_per_submission(env, shell, tokens["citizen"], bodies, stamp, n=args.cpu, rounds=args.rounds,
                             cprofile=args.cprofile)
    print(f"statements per submission: {out['statements']} ({out['inside']} inside the write transaction)")
    for sql in out["sql"]:
        print("  " + sql)
    for r in out["rounds"]:
        print(f"CPU per request: submission {r['api_ms']} ms, bare same-writes {r['bare_ms']} ms, ratio {r['ratio']}")
    now = datetime.datetime.now(datetime.UTC)
    print(f"{'PostgreSQL' if args.postgres else 'SQLite'}; load average {os.getloadavg()[0]:.2f} "
          f"{os.getloadavg()[1]:.2f} on {os.cpu_count()} CPUs, {now:%Y-%m-%d %H:%M} UTC")
    return 0


def prepare(env: dict[str, str], postgres: bool) -> dict[str, Any]:
    """Build the million-case database once; later runs find the marker row and reuse it."""
    VAR.mkdir(parents=True, exist_ok=True)
    if postgres:
        create_postgres_database(env["DATABASE_URL"])
    subprocess.run([str(BIN / "onewindow"), "migrate", "--noinput", "--verbosity", "0"], env=env, check=True,
                   cwd=ROOT)
    state = shell(env, f"VERSION = {MARKER_VERSION!r}\n" + MARKER_SCRIPT).strip().splitlines()[-1]
    if state.startswith("READY "):
        log(f"database with {CASES:,} cases ready (cached): {env['DATABASE_URL']}")
        return dict(json.loads(state[6:]))
    started = time.monotonic()
    log("loading the demo steps (regions, catalog, accounts, the demo year of cases)")
    print(shell(env, DEMO_SCRIPT), end="")
    demo_seconds = time.monotonic() - started
    log(f"copying the cases by SQL up to {CASES:,}")
    copied = shell(env, f"CASES = {CASES}\n" + MULTIPLY_SCRIPT).strip().splitlines()[-1]
    log(copied)
    create_bench_table(env)
    if postgres:
        # A freshly copied million rows have no statistics and no visibility map: the planner guesses and
        # index-only scans read the table. Production's autovacuum would have done this long since.
        log("VACUUM (ANALYZE) after the copies")
        shell(env, "from django.db import connection\nconnection.ensure_connection()\n"
                   "connection.connection.autocommit = True\n"
                   "connection.cursor().execute('VACUUM (ANALYZE)')\n")
    tokens = json.loads(shell(env, SETUP_SCRIPT).strip().splitlines()[-1][7:])
    info = {"tokens": tokens, "demo_seconds": round(demo_seconds, 1),
            "copy_seconds": float(copied.split()[-1]), "built": datetime.datetime.now().isoformat()}
    shell(env, "from django.db import connection\nwith connection.cursor() as c:\n"  # noqa: S608 - our values
               f"    c.execute('INSERT INTO bench_cases_ready (version, info) VALUES (%s, %s)', "
               f"[{MARKER_VERSION!r}, {json.dumps(json.dumps(info))}])\n")
    log(f"built in {time.monotonic() - started:.0f} s (demo {demo_seconds:.0f} s, copies {info['copy_seconds']} s)")
    return info


def post_load(port: int, path: str, body: bytes, headers: dict[str, str], *, clients: int, max_requests: int,
              max_seconds: float, ok: int = 201) -> LoadResult:
    """Like ``bench.load.run_load`` for POST requests (keep-alive, bounded by requests and time)."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[int] = []
    barrier = threading.Barrier(clients + 1)
    deadline = 0.0
    request_headers = {"Connection": "keep-alive", "Accept": "application/json",
                       "Content-Type": "application/json", **headers}

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        bad: list[int] = []
        barrier.wait()
        while next(counter) < max_requests and time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=request_headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            mine.append((time.perf_counter() - t0) * 1000)
            if status != ok:
                bad.append(status)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline = started + max_seconds
    barrier.wait()
    for t in threads:
        t.join(max_seconds + 120)
    elapsed = time.perf_counter() - started
    sys.setswitchinterval(previous)
    if errors:
        log(f"WARNING: {len(errors)} submissions did not answer {ok}: {sorted(set(errors))}")
    return LoadResult(clients=clients, requests=len(latencies), errors=len(errors), seconds=elapsed,
                      latencies_ms=tuple(latencies))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help=f"PostgreSQL (database {PG_DATABASE})")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--requests", type=int, default=1500, help="requests per phase (default 1500)")
    parser.add_argument("--seconds", type=float, default=10, help="time limit per phase (default 10 s)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as make demo)")
    parser.add_argument("--only", choices=("submit", "inbox"), help="run one of the two phases")
    parser.add_argument("--profile", metavar="NAME",
                        help="first sample the workers with py-spy while wrk submits (docs/profiles/submit-NAME.svg)")
    parser.add_argument("--cpu", type=int, default=0,
                        help="submit only: CPU time per submission in one process, N a round (bench/cases_cpu.py)")
    parser.add_argument("--cprofile", action="store_true", help="with --cpu: the top functions of a cProfile")
    args = parser.parse_args(argv)

    env = database_env(args.postgres)
    info = prepare(env, args.postgres)
    tokens = info["tokens"]
    if args.cpu:
        return submit_cpu(env, tokens, args)
    queries = {}
    if args.only != "submit":
        queries = json.loads(shell(env, f"TOKENS = {tokens!r}\n" + QUERIES_SCRIPT).strip().splitlines()[-1][8:])
    port = free_port()
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers, {'PostgreSQL' if args.postgres else 'SQLite'}")
    server = start_server(env, port, args.workers, 1)
    clerk = {"Authorization": f"Bearer {tokens['clerk']}"}
    rounds: list[dict[str, LoadResult]] = []
    submit: dict[str, Any] = {}
    try:
        if args.only != "inbox":
            submit = submit_phase(env, port, server.pid, tokens, args)
        if args.only != "submit":
            run_load(port, ["/bench/bare/select50"], clients=LATENCY_CLIENTS, max_requests=300, max_seconds=5)
            run_load(port, ["/api/v1/cases/inbox"], clients=LATENCY_CLIENTS, max_requests=100, max_seconds=10,
                     headers=clerk)
            for index in range(args.rounds):
                log(f"round {index + 1} of {args.rounds}")
                one: dict[str, LoadResult] = {}
                one["select50_16"] = run_load(port, ["/bench/bare/select50"], clients=LATENCY_CLIENTS,
                                              max_requests=args.requests, max_seconds=args.seconds)
                one["inbox_16"] = run_load(port, ["/api/v1/cases/inbox"], clients=LATENCY_CLIENTS,
                                           max_requests=args.requests, max_seconds=args.seconds, headers=clerk)
                rounds.append(one)
    finally:
        stop_server(server)
    return report(args, info, queries, rounds, submit)


def report(args: argparse.Namespace, info: dict[str, Any], queries: dict[str, Any],
           rounds: list[dict[str, LoadResult]], submit: dict[str, Any]) -> int:
    med = statistics.median

    def fig(key: str) -> dict[str, float]:
        rs = [r[key] for r in rounds]
        return {"clients": rs[0].clients, "requests": sum(r.requests for r in rs), "errors": sum(r.errors for r in rs),
                "req_per_s": round(med([r.throughput for r in rs]), 1), "p50_ms": round(med([r.p50 for r in rs]), 2),
                "p99_ms": round(med([r.p99 for r in rs]), 2)}

    figures = {key: fig(key) for key in rounds[0]} if rounds else {}
    ratios = ({"inbox_p99_ratio_at_16": med([r["inbox_16"].p99 / r["select50_16"].p99 for r in rounds])}
              if rounds else {})
    database = "PostgreSQL" if args.postgres else "SQLite"
    print()
    print(f"cases ({database}, {CASES:,} cases, {args.workers} gunicorn workers)")
    if submit:
        figs, ratio = submit["figures"], submit["ratios"]["throughput_ratio_at_64"]
        met = "met" if submit["aims_met"].get("throughput_ratio_at_64") else "NOT met"
        print(f"submit: throughput at {THROUGHPUT_CLIENTS} {ratio:.2f} of the bare same-writes view "
              f"(aim >= {AIMS['submit_throughput_ratio_at_64']}: {met}); p99 at {LATENCY_CLIENTS} "
              f"{figs['bench_latency']['p99_ms']:.1f} ms beside the bare view's "
              f"{figs['base_latency']['p99_ms']:.1f} ms; database check {'passed' if submit['check_ok'] else 'FAILED'}")
    if rounds:
        print(f"inbox, median of {len(rounds)} interleaved rounds (load client bench/load.py)")
        print(f"{'':<34} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        labels = {"select50_16": "bare SELECT 50 rows view", "inbox_16": "inbox GET /api/v1/cases/inbox"}
        for key, label in labels.items():
            f = figures[key]
            print(f"{label:<34} {f['clients']:>7} {f['requests']:>8} {f['errors']:>6} {f['req_per_s']:>9.0f} "
                  f"{f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f}")
        inbox = figures["inbox_16"]
        print(f"inbox p99 at {LATENCY_CLIENTS}: {inbox['p99_ms']:.1f} ms = {ratios['inbox_p99_ratio_at_16']:.2f}x the "
              f"bare SELECT-50 view (aim < {AIMS['inbox_p99_ms_at_16']:.0f} ms: "
              f"{'met' if inbox['p99_ms'] < AIMS['inbox_p99_ms_at_16'] else 'NOT met'})")
        q5, q50 = queries["clerk5"], queries["clerk"]
        constant = q50["queries"] <= q5["queries"]
        print(f"inbox queries: {q5['queries']} at {q5['rows']} rows, {q50['queries']} at {q50['rows']} rows "
              f"(of {q50['total']:,} open in the clerk's scope): "
              f"{'constant (no query per row)' if constant else 'NOT constant: grows with rows'}")
    print(f"database built once: demo steps {info['demo_seconds']} s, copies to {CASES:,} by SQL "
          f"{info['copy_seconds']} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-cases-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps({"cases": CASES, "workers": args.workers, "figures": figures,
                               "ratios": {k: round(v, 3) for k, v in ratios.items()}, "queries": queries,
                               "submit": submit, "build": {k: v for k, v in info.items() if k != "tokens"},
                               "load_average_1min": os.getloadavg()[0]}, indent=2, default=str))
    log(f"figures saved to {out.relative_to(ROOT)}")
    errors = sum(f["errors"] for f in figures.values())
    if submit:
        errors += sum(f["errors"] for f in submit["figures"].values()) + (0 if submit["check_ok"] else 1)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
