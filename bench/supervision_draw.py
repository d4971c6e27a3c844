"""``python -m bench.supervision_draw``: a 双随机 draw over the generated city registry (issue #12).

On the registry that ``bench.market_search`` builds (``market_generate_entities``; the largest one
that exists, or ``--count`` entities, built when missing), one draw plan of a department with 150
officers goes through the real services — create, publish, freeze, draw — for 1,000 entities
(risk grades A 200, B 300, C 300, D 100, ungraded 100) with 2 officers each, from a pool of every
active entity (or those of ``--district``). Everything happens in one transaction that is rolled
back at the end: the registry is left as it was (the generated registry carries no risk grades, so
they are set inside that transaction, by entity id).

Timed, as medians over R rounds (wall and CPU time; the machine is shared, ``/proc/loadavg`` is
printed beside the figures):

- freezing the pool, step by step as ``plan_freeze`` runs them: the query (``pool_rows``: one raw
  statement, rows already sorted and in the pool file's form), building the pool (``draw.Pool``),
  its digest (building the file's bytes once and hashing them), grouping by stratum, the
  feasibility check, and compressing the stored file (``compress_pool``, zlib level 1); and the
  whole ``plan_freeze`` service once (it writes);
- the selection alone: ``draw.draw`` over the stored inputs (entities, officer walks, digest);
- ``onewindow supervision_verify_draw <number>`` (files read back, recomputed, compared with the
  stored result and the 1,000 inspections);
- the baseline in the same run: ``SELECT credit_code … WHERE <the same filter> ORDER BY random()
  LIMIT 1000``, which is neither reproducible nor verifiable; each figure is printed as a ratio to it.

Aims (issue #12, on an idle machine): selection < 100 ms; freezing a pool of 1M entities < 2 s.
Usage: python -m bench.supervision_draw [--postgres] [--database NAME] [--count N] [--district CODE] [--rounds R]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import io
import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from .run import RESULTS, ROOT, VAR, loadavg, log, own_database_env

AIMS = {"selection_ms": 100.0, "freeze_1m_ms": 2000.0}
QUOTAS = {"A": 200, "B": 300, "C": 300, "D": 100, "-": 100}
OFFICERS = 150
#: Risk grades set inside the rolled-back transaction: 40% A, 30% B, 15% C, 5% D, 10% ungraded.
GRADE_SQL = (
    "UPDATE market_entityprofile SET risk_grade = CASE "
    "WHEN organization_id % 20 < 8 THEN 'A' WHEN organization_id % 20 < 14 THEN 'B' "
    "WHEN organization_id % 20 < 17 THEN 'C' WHEN organization_id % 20 < 18 THEN 'D' ELSE '' END"
)
#: The baseline: the same filter, ORDER BY random() LIMIT 1000 (neither reproducible nor verifiable).
RANDOM_CITY_SQL = (
    "SELECT o.credit_code FROM market_entityprofile p JOIN accounts_organization o ON o.id = p.organization_id "
    "WHERE p.status = 'active' ORDER BY random() LIMIT 1000"
)
RANDOM_DISTRICT_SQL = (
    "SELECT o.credit_code FROM market_entityprofile p JOIN accounts_organization o ON o.id = p.organization_id "
    "JOIN core_region r ON r.id = p.district_id WHERE p.status = 'active' AND r.code = %s "
    "ORDER BY random() LIMIT 1000"
)


def existing_count(postgres: bool, database: str = "bench_market") -> int:
    """The size of the largest generated registry that exists (0: none)."""
    if postgres:
        env = own_database_env(True, database, "")
        try:
            import psycopg

            with psycopg.connect(env["DATABASE_URL"]) as conn:
                rows = conn.execute("SELECT count FROM bench_market_ready").fetchall()
        except Exception:  # no server, no database or no marker: nothing exists
            return 0
        return max((int(r[0]) for r in rows), default=0)
    names = (re.fullmatch(r"market-(\d+)\.sqlite3", p.name) for p in VAR.glob("market-*.sqlite3"))
    counts = [int(m.group(1)) for m in names if m]
    return max(counts, default=0)


# ---- the measurement, in a process set up on the benchmark database -----------------------------------


def measure(rounds: int, district: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from onewindow.accounts.choices import StaffRoleKind
    from onewindow.accounts.models import StaffRole, User
    from onewindow.core.models import Department, Region, RegionLevel
    from onewindow.supervision import draw, services
    from onewindow.supervision.models import Officer
    from onewindow.supervision.selectors import draws as draw_selectors
    from onewindow.supervision.services import common, draws_freeze

    timings: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    @contextlib.contextmanager
    def clock(name: str) -> Iterator[None]:
        start, start_cpu = time.perf_counter(), time.process_time()
        yield
        timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        cpu.setdefault(name, []).append((time.process_time() - start_cpu) * 1000)

    from django.utils import timezone

    today = timezone.localdate()
    out: dict[str, Any] = {"database": connection.vendor, "loadavg_start": loadavg()}
    with transaction.atomic():
        district_row = Region.objects.filter(code=district or "310106").first()
        department = Department.objects.create(
            code="BENCH-DRAW-SCJ",
            name="双随机基准测试部门",
            level=RegionLevel.DISTRICT,
            region=district_row,
        )
        admin = User.objects.create(username="bench_draw_admin", is_superuser=True, is_staff=True)
        planner = User.objects.create(username="bench_draw_regulator")
        StaffRole.objects.create(user=planner, role=StaffRoleKind.REGULATOR, department=department)
        item = services.check_item_create(
            by=planner,
            department_id=department.pk,
            code="BENCH-DRAW-001",
            name="企业公示信息抽查（基准测试）",
            target="辖区内企业",
            basis="《企业信息公示暂行条例》第十四条",
            methods=["on_site"],
            ratio="3",
        )
        services.item_list_publish(by=admin, kind="random")
        Officer.objects.bulk_create(
            Officer(
                department=department,
                name=f"基准执法员{n:03d}",
                certificate_number=f"BENCH{n:06d}",
                active_from=datetime.date(2020, 1, 1),
            )
            for n in range(OFFICERS)
        )
        with connection.cursor() as cursor, clock("set_grades"):
            cursor.execute(GRADE_SQL)
        plan = services.plan_create(
            by=planner,
            department_id=department.pk,
            title="基准测试：1,000 户双随机抽查",
            item_ids=[item.pk],
            pool_filter={"regions": [district]} if district else {},
            counts=QUOTAS,
            random_source="上海福利彩票（基准测试）第 1 期开奖号码",
            random_expected_on=today + datetime.timedelta(days=2),
            inspection_ends_on=today + datetime.timedelta(days=30),
        )
        services.plan_publish(by=planner, plan_id=plan.pk)
        plan.refresh_from_db()
        for _round in range(rounds):
            gc.collect()
            with clock("query"):
                rows = draws_freeze.pool_rows(plan, today)
            with clock("build"):
                pool = draw.Pool(rows)
            with clock("digest"):
                pool.digest  # noqa: B018
            with clock("group"):
                pool.members  # noqa: B018
            officers, _certs = draws_freeze.roster_rows(plan, today)
            roster = draw.Roster(officers)
            frozen_plan = draw.Plan(
                quotas=draws_freeze.quotas_for(plan, pool),
                departments=list(plan.departments),
                secret_commitment=draw.commit_secret("bench"),
            )
            with clock("check"):
                draw.check_feasible(pool, roster, frozen_plan)
            with clock("compress"):
                draws_freeze.compress_pool(pool)
            del rows, pool
        gc.collect()
        with clock("freeze_service"):
            freeze = services.plan_freeze(by=planner, plan_id=plan.pk)
        out["pool_size"] = freeze.pool_size
        out["strata"] = freeze.strata
        out["pool_file_bytes"] = len(bytes(freeze.pool_file))
        common.today = lambda: plan.random_expected_on  # type: ignore[assignment]  # the value's day has come
        value = "上海福利彩票（基准测试）第 1 期：03 07 12 19 25 31 + 08"
        with clock("draw_service"):
            outcome = services.plan_draw(by=planner, plan_id=plan.pk, random_value=value)
        inputs = draw_selectors.stored_inputs(freeze, outcome.random_value)
        inputs.seed  # noqa: B018 - the seed is part of the inputs, not of the selection
        for _round in range(rounds):
            gc.collect()
            with clock("selection"):
                result = draw.draw(inputs)
        assert result.selection_digest == outcome.selection_digest
        out["selected"] = len(result.selection)
        out["officers"] = len(result.assignments)
        out["skips"] = len(result.skips)
        for _round in range(rounds):
            with clock("verify"):
                call_command("supervision_verify_draw", plan.number, stdout=io.StringIO())
        sql, params = (RANDOM_DISTRICT_SQL, [district]) if district else (RANDOM_CITY_SQL, [])
        with connection.cursor() as cursor:
            for _round in range(rounds):
                with clock("random_limit"):
                    cursor.execute(sql, params)
                    cursor.fetchall()
        transaction.set_rollback(True)
    out["loadavg_end"] = loadavg()
    out["ms"] = {k: round(statistics.median(v), 1) for k, v in timings.items()}
    out["cpu_ms"] = {k: round(statistics.median(v), 1) for k, v in cpu.items()}
    out["rounds"] = rounds
    return out


def report(figures: dict[str, Any]) -> None:
    ms, cpu = figures["ms"], figures["cpu_ms"]
    steps = ("query", "build", "digest", "group", "check", "compress")
    freeze = sum(ms[s] for s in steps)
    base = ms["random_limit"]
    size = figures["pool_size"]
    print(
        f"{figures['database']}: pool {size:,} entities {figures['strata']}, {figures['selected']} selected, "
        f"{figures['officers']} officers, {figures['skips']} skips; medians of {figures['rounds']} rounds; "
        f"load {figures['loadavg_start']} → {figures['loadavg_end']}"
    )
    print("freeze steps (ms): " + ", ".join(f"{s} {ms[s]:.0f}" for s in steps) + f" = {freeze:.0f}")
    freeze_cpu = sum(cpu[s] for s in steps)
    print(
        f"freeze per 1M entities (linear): {freeze * 1_000_000 / max(size, 1):.0f} ms, "
        f"CPU {freeze_cpu * 1_000_000 / max(size, 1):.0f} ms  (aim < 2000)"
    )
    print(
        f"plan_freeze service end to end (one run, with the roster, constraints and writes): {ms['freeze_service']:.0f}"
    )
    print(f"selection alone: {ms['selection']:.1f} ms  (aim < 100); CPU {cpu['selection']:.1f} ms")
    print(f"plan_draw service (selection + 1,000 inspections and their officers written): {ms['draw_service']:.0f}")
    print(f"supervision_verify_draw: {ms['verify']:.0f} ms")
    print(f"ORDER BY random() LIMIT 1000 (baseline): {base:.0f} ms")
    print(
        f"ratios to the baseline: selection {ms['selection'] / base:.3f}, freeze {freeze / base:.1f}, "
        f"freeze + selection {(freeze + ms['selection']) / base:.1f}, verify {ms['verify'] / base:.1f}"
    )
    print("CPU time (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (database --database)")
    parser.add_argument("--database", default="bench_market", help="PostgreSQL database name (default bench_market)")
    parser.add_argument("--count", type=int, default=0, help="registry size (default: the largest that exists)")
    parser.add_argument("--district", default="", help="pool of one district (e.g. 310106) instead of the city")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print("FIGURES " + json.dumps(measure(args.rounds, args.district), ensure_ascii=False))
        return 0
    count = args.count or existing_count(args.postgres, args.database) or 200_000
    env = own_database_env(args.postgres, args.database, f"market-{count}.sqlite3")
    from .market_search import prepare

    prepare(env, args.postgres, count)
    log(f"draw of 1,000 from a registry of {count:,} ({'PostgreSQL' if args.postgres else 'SQLite'}), load {loadavg()}")
    command = [sys.executable, "-m", "bench.supervision_draw", "--measure", "--rounds", str(args.rounds)]
    if args.district:
        command += ["--district", args.district]
    done = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("FIGURES "))
    figures = json.loads(line[len("FIGURES ") :]) | {"registry": count, "district": args.district, "aims": AIMS}
    report(figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-supervision-draw-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    log(f"figures saved to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
