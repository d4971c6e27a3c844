"""``python -m bench.market_replicate [--postgres] --count 3200000``: a city-scale registry fast.

Loading 3.2 million generated entities through the import service (``market_generate_entities``)
takes 55–85 minutes of an otherwise idle 2-core machine (docs/benchmarks.md), more when the
machine is shared. For the search, profile and draw benchmarks what matters is the size of the
tables and indexes, not how the rows got there, so this script takes the entities already loaded
in the benchmark database (a partial or smaller ``market_generate_entities`` run) and copies them
with new, valid credit codes (the demo's ``credit_code`` scheme at indexes from 100,000,000:
GB 11714 and GB 32100 check characters) until the registry holds ``--count`` entities:
organizations, profiles, versions and search keys, in SQL (``INSERT … SELECT`` by batches).

What differs from a generated registry of the same size: names repeat (each source name appears
``count / sources`` times), so a name fragment matches about as many entities as it would in a
generated registry of that size (names there are drawn from the same small character set), and
exact names are not unique. The registry is marked ready for ``bench.market_search`` (same token
set-up and marker row) with ``replicated_from`` in its info, and every figure measured on it says
so. The import-rate figure stays measured by ``bench.market_search --only import`` (20,000 rows
through the real import service).

Usage: python -m bench.market_replicate [--postgres] [--count N] [--batch N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from .market_search import SETUP_SCRIPT, loadavg, shell
from .run import ROOT, create_bench_table, django_shell, log, own_database_env

REPLICATE_SCRIPT = """
import sys, time, json
sys.path.insert(0, ROOT)
from django.db import connection, transaction
from onewindow.accounts.models import Organization
from onewindow.market.demo.registry import credit_code
from onewindow.market.models import EntityProfile, EntitySearchKey, EntityVersion

def columns(model, skip=()):
    return [f.column for f in model._meta.concrete_fields if f.column not in skip]

org_cols = columns(Organization, skip=("id", "credit_code"))
profile_cols = columns(EntityProfile, skip=("organization_id",))
version_cols = columns(EntityVersion, skip=("id", "organization_id"))
q = connection.ops.quote_name
with connection.cursor() as c:
    if connection.vendor == "sqlite":
        # A fixture load: a 2 GB page cache keeps the key index's pages in memory (the default 2 MB
        # cache makes every insert into a 50-million-row index a disk read), no fsync per batch.
        c.execute("PRAGMA cache_size = -2000000")
        c.execute("PRAGMA synchronous = OFF")
    c.execute("SELECT organization_id FROM market_entityprofile ORDER BY organization_id")
    sources = [r[0] for r in c.fetchall()]
    c.execute("SELECT MAX(id) FROM accounts_organization")
    top = c.fetchone()[0]
    c.execute("SELECT id, credit_code FROM accounts_organization "
              "WHERE id IN (SELECT organization_id FROM market_entityprofile)")
    codes = dict(c.fetchall())
    c.execute("DROP TABLE IF EXISTS bench_replica_map")
    c.execute("CREATE TABLE bench_replica_map (dst BIGINT PRIMARY KEY, src BIGINT NOT NULL, code VARCHAR(18) NOT NULL)")
missing = TARGET - len(sources)
print("SOURCES", len(sources), "MISSING", missing, flush=True)
t0 = time.perf_counter()
done = 0
while done < missing:
    n = min(BATCH, missing - done)
    rows = []
    for i in range(done, done + n):
        src = sources[i % len(sources)]
        code = codes[src]
        # Indexes past every id used so far: a second run (resuming a stopped one) makes new codes.
        rows.append((top + 1 + i, src, credit_code(100_000_000 + top + i, code[2:8], code[:2])))
    lo, hi = rows[0][0], rows[-1][0]
    with transaction.atomic(), connection.cursor() as c:
        c.executemany("INSERT INTO bench_replica_map (dst, src, code) VALUES (%s, %s, %s)", rows)
        c.execute(
            "INSERT INTO accounts_organization (id, credit_code, " + ", ".join(q(x) for x in org_cols) + ") "
            "SELECT m.dst, m.code, " + ", ".join("o." + q(x) for x in org_cols) + " FROM bench_replica_map m "
            "JOIN accounts_organization o ON o.id = m.src WHERE m.dst BETWEEN %s AND %s", [lo, hi])
        c.execute(
            "INSERT INTO market_entityprofile (organization_id, " + ", ".join(q(x) for x in profile_cols) + ") "
            "SELECT m.dst, " + ", ".join("p." + q(x) for x in profile_cols) + " FROM bench_replica_map m "
            "JOIN market_entityprofile p ON p.organization_id = m.src WHERE m.dst BETWEEN %s AND %s", [lo, hi])
        c.execute(
            "INSERT INTO market_entityversion (organization_id, " + ", ".join(q(x) for x in version_cols) + ") "
            "SELECT m.dst, " + ", ".join("v." + q(x) for x in version_cols) + " FROM bench_replica_map m "
            "JOIN market_entityversion v ON v.organization_id = m.src WHERE m.dst BETWEEN %s AND %s", [lo, hi])
        c.execute(
            "INSERT INTO market_entitysearchkey (key, organization_id) SELECT k.key, m.dst FROM bench_replica_map m "
            "JOIN market_entitysearchkey k ON k.organization_id = m.src WHERE m.dst BETWEEN %s AND %s "
            "ORDER BY k.key", [lo, hi])
    done += n
    print("DONE", done, round(time.perf_counter() - t0, 1), flush=True)
with connection.cursor() as c:
    c.execute("DROP TABLE bench_replica_map")
    if connection.vendor == "postgresql":
        c.execute("SELECT setval(pg_get_serial_sequence('accounts_organization', 'id'), "
                  "(SELECT MAX(id) FROM accounts_organization))")
seconds = round(time.perf_counter() - t0, 1)
print("REPLICATED " + json.dumps({"sources": len(sources), "added": missing, "seconds": seconds}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (database bench_market)")
    parser.add_argument("--count", type=int, default=3_200_000)
    parser.add_argument("--batch", type=int, default=100_000)
    args = parser.parse_args(argv)
    env = own_database_env(args.postgres, "bench_market", f"market-{args.count}.sqlite3")
    check = ("from django.db import connection\nwith connection.cursor() as c:\n"  # noqa: S608 - our values
             "    c.execute('CREATE TABLE IF NOT EXISTS bench_market_ready "
             "(count INTEGER NOT NULL, info TEXT NOT NULL)')\n"
             f"    c.execute('SELECT count(*) FROM bench_market_ready WHERE count = %s', [{args.count}])\n"
             "    print('MARK', c.fetchone()[0])\n")
    state = shell(env, check, "MARK ")
    if state.strip() != "0":
        log(f"a registry of {args.count:,} is already marked ready: nothing to do")
        return 0
    log(f"replicating to {args.count:,} entities, load {loadavg()}")
    started = time.monotonic()
    out = django_shell(env, f"ROOT = {str(ROOT)!r}\nTARGET = {args.count}\nBATCH = {args.batch}\n" + REPLICATE_SCRIPT)
    summary = json.loads(next(line[11:] for line in out.splitlines() if line.startswith("REPLICATED ")))
    create_bench_table(env)
    token = shell(env, SETUP_SCRIPT, "TOKEN ")
    info = {"token": token, "replicated_from": summary["sources"], "replicated_added": summary["added"],
            "replicate_seconds": summary["seconds"], "load_seconds": None, "loadavg_after_load": loadavg(),
            "built": time.strftime("%Y-%m-%dT%H:%M:%S")}
    django_shell(env, "from django.db import connection\nwith connection.cursor() as c:\n"  # noqa: S608 - our values
                      f"    c.execute('INSERT INTO bench_market_ready (count, info) VALUES (%s, %s)', "
                      f"[{args.count}, {json.dumps(json.dumps(info))}])\n")
    log(f"replicated {summary['sources']:,} → {args.count:,} in {time.monotonic() - started:.0f} s")
    print(json.dumps(info | {"token": "…"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
