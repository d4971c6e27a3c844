"""``python -m bench.market_index``: which index serves entity-name search (decision 0014).

On the registry that ``bench.market_search`` builds (``--count`` entities), the same queries —
two- and four-character name fragments and 3–4 letter pinyin initials drawn from the data — are
answered four ways, each returning the first 10,001 matching entity ids (the search's cap):

- ``suffix``: our ``market_entitysearchkey`` (every name suffix cut to 8 characters, and ``~`` +
  every initials suffix): one primary-key range ``key >= q AND key < q || U+10FFFF``;
- ``like``: ``name LIKE '%q%'`` on ``accounts_organization`` (initials: on the profile's
  ``name_initials``), a scan;
- ``bigram``: a table of (bigram, entity) with its primary key, built here from the names; a
  two-character fragment is one key lookup, a longer one intersects its bigrams and checks the
  name (initials bigrams are not built: 676 letter pairs are too unselective to help);
- ``trigram`` (PostgreSQL only): a pg_trgm GIN index on the name with ``LIKE '%q%'``; trigrams
  cannot serve a fragment shorter than three characters, so two-character queries fall back.

Prints the median and p99 milliseconds of each method per query kind, and the rows and size of
each index.

With ``--writes N``: the cost of writing the keys of N entities (their names taken from the
registry) into scratch copies of the key table, the next steps of decision 0014 each alone —
``current`` (primary key (key, entity) and the index on the entity, as migrated), ``no_org_index``,
``without_rowid`` (SQLite), ``key6`` (keys cut to 6 characters) — and all together: keys per
entity, key rows written per second, bytes per entity, and a 2-character range read in each.

Usage: python -m bench.market_index [--postgres] [--count N] [--writes N]
"""

from __future__ import annotations

import argparse
import json
import sys

from .run import django_shell, log, own_database_env

SCRIPT = r"""
import json, random, statistics, time
from django.db import connection
from onewindow.market.models import EntityProfile
from onewindow.market.search_keys import KEY_LENGTH, RANGE_END, core_length, is_too_broad, normalize_name
pg = connection.vendor == "postgresql"
rng = random.Random(14)
top = EntityProfile.objects.order_by("-organization_id").values_list("organization_id", flat=True).first()
ids = [rng.randrange(1, top + 1) for _ in range(900)]
sample = list(EntityProfile.objects.filter(pk__in=ids).values_list("organization__name", "name_initials")[:400])
two, four, initials = [], [], []
for name, ini in sample:
    text = normalize_name(name)
    start, end = (2 if text.startswith("上海") else 0), core_length(text)
    if end - start >= 2:
        i = rng.randrange(start, end - 1)
        if not is_too_broad(text[i:i + 2]):
            two.append(text[i:i + 2])
    if end - start >= 4:
        i = rng.randrange(start, end - 3)
        four.append(text[i:i + 4])
    if len(ini) >= 4:
        i = rng.randrange(start, max(start + 1, min(end, len(ini)) - 3))
        initials.append(ini[i:i + rng.choice((3, 4))])
queries = {"two": two[:150], "four": four[:150], "initials": initials[:150]}
cur = connection.cursor()
cur.execute("SELECT COUNT(*) FROM market_entitysearchkey")
key_rows = cur.fetchone()[0]
# the bigram table, built once
cur.execute("CREATE TABLE IF NOT EXISTS bench_bigram "
            "(gram VARCHAR(2) NOT NULL, org BIGINT NOT NULL, PRIMARY KEY (gram, org))")
cur.execute("SELECT COUNT(*) FROM bench_bigram")
if cur.fetchone()[0] == 0:
    cur.execute("SELECT id, name FROM accounts_organization")
    rows = cur.fetchall()
    grams = {(t[i:i + 2], pk) for pk, name in rows for t in [normalize_name(name)] for i in range(len(t) - 1)}
    cur.executemany("INSERT INTO bench_bigram (gram, org) VALUES (%s, %s)", sorted(grams))
cur.execute("SELECT COUNT(*) FROM bench_bigram")
bigram_rows = cur.fetchone()[0]
if pg:
    cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    cur.execute("CREATE INDEX IF NOT EXISTS bench_org_name_trgm ON accounts_organization USING gin (name gin_trgm_ops)")
    cur.execute("ANALYZE")
CAP = 10001
def suffix(q, kind):
    key = ("~" + q)[:KEY_LENGTH] if kind == "initials" else q[:KEY_LENGTH]
    cur.execute("SELECT organization_id FROM market_entitysearchkey WHERE key >= %s AND key < %s "
                "ORDER BY key, organization_id LIMIT %s", [key, key + RANGE_END, CAP])
    return cur.fetchall()
def like(q, kind):
    if kind == "initials":
        cur.execute("SELECT organization_id FROM market_entityprofile WHERE name_initials LIKE %s LIMIT %s",
                    ["%" + q + "%", CAP])
    else:
        cur.execute("SELECT id FROM accounts_organization WHERE name LIKE %s LIMIT %s", ["%" + q + "%", CAP])
    return cur.fetchall()
def bigram(q, kind):
    if kind == "initials":
        return None
    grams = sorted({q[i:i + 2] for i in range(len(q) - 1)})
    if len(grams) == 1:
        cur.execute("SELECT org FROM bench_bigram WHERE gram = %s ORDER BY org LIMIT %s", [grams[0], CAP])
    else:
        marks = ", ".join(["%s"] * len(grams))
        cur.execute("SELECT b.org FROM bench_bigram b JOIN accounts_organization o ON o.id = b.org "
                    f"WHERE b.gram IN ({marks}) GROUP BY b.org HAVING COUNT(*) = %s AND MAX(o.name) LIKE %s "
                    "ORDER BY b.org LIMIT %s", [*grams, len(grams), "%" + q + "%", CAP])
    return cur.fetchall()
def trigram(q, kind):
    if not pg or kind == "initials":
        return None
    cur.execute("SELECT id FROM accounts_organization WHERE name LIKE %s LIMIT %s", ["%" + q + "%", CAP])
    return cur.fetchall()
out = {"entities": EntityProfile.objects.count(), "key_rows": key_rows, "bigram_rows": bigram_rows, "methods": {}}
for method in (suffix, like, bigram, trigram):
    for kind, qs in queries.items():
        times, found = [], []
        for q in qs:
            t0 = time.perf_counter()
            rows = method(q, kind)
            if rows is None:
                break
            times.append((time.perf_counter() - t0) * 1000)
            found.append(len(rows))
        if times:
            times.sort()
            out["methods"][f"{method.__name__}/{kind}"] = {
                "queries": len(times), "median_ms": round(statistics.median(times), 2),
                "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
                "median_found": statistics.median(found)}
if pg:
    sizes = {}
    for rel in ("market_entitysearchkey", "bench_bigram", "bench_org_name_trgm", "accounts_organization"):
        cur.execute("SELECT pg_total_relation_size(%s)", [rel])
        sizes[rel] = cur.fetchone()[0]
    out["bytes"] = sizes
else:
    try:
        cur.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
        out["bytes"] = {n: s for n, s in cur.fetchall()
                        if "searchkey" in n or "bigram" in n or n == "accounts_organization"}
    except Exception as exc:
        out["bytes"] = str(exc)
print("INDEX " + json.dumps(out))
"""


WRITES_SCRIPT = r"""
import json, random, statistics, time
from django.db import connection, transaction
from onewindow.accounts.models import Organization
from onewindow.market.search_keys import RANGE_END, name_initials, search_keys, normalize_name
import onewindow.market.search_keys as sk
pg = connection.vendor == "postgresql"
names = list(Organization.objects.order_by("id").values_list("id", "name")[:WRITES])
rng = random.Random(6)
sample = [normalize_name(n) for _i, n in rng.sample(names, min(150, len(names)))]
fragments = [t[i:i + 2] for t in sample for i in [rng.randrange(2, max(3, len(t) - 5))]]
collate = ' COLLATE "C"' if pg else ""
variants = {
    "current": dict(length=8, org_index=True, rowid=True),
    "no_org_index": dict(length=8, org_index=False, rowid=True),
    "key6": dict(length=6, org_index=True, rowid=True),
}
if not pg:
    variants["without_rowid"] = dict(length=8, org_index=True, rowid=False)
    variants["all_three"] = dict(length=6, org_index=False, rowid=False)
else:
    variants["no_org_index_key6"] = dict(length=6, org_index=False, rowid=True)
out = {"entities": len(names), "variants": {}}
cur = connection.cursor()
for name, v in variants.items():
    table = "bench_keys_" + name
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    tail = " WITHOUT ROWID" if not v["rowid"] else ""
    cur.execute(f"CREATE TABLE {table} (key VARCHAR(24){collate} NOT NULL, org BIGINT NOT NULL, "
                f"PRIMARY KEY (key, org)){tail}")
    if v["org_index"]:
        cur.execute(f"CREATE INDEX {table}_org ON {table} (org)")
    sk.KEY_LENGTH = v["length"]
    t0 = time.perf_counter()
    rows = sorted((k, pk) for pk, n in names for k in search_keys(n, name_initials(n)))
    keys_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(0, len(rows), 80_000):
        with transaction.atomic():
            cur.executemany(f"INSERT INTO {table} (key, org) VALUES (%s, %s)", rows[i:i + 80_000])
    write_s = time.perf_counter() - t0
    if pg:
        cur.execute(f"ANALYZE {table}")
        cur.execute("SELECT pg_total_relation_size(%s)", [table])
        size = cur.fetchone()[0]
    else:
        cur.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = %s OR name LIKE %s",
                    [table, "%" + table + "%"])
        size = cur.fetchone()[0]
    times = []
    for q in fragments:
        t0 = time.perf_counter()
        cur.execute(f"SELECT org FROM {table} WHERE key >= %s AND key < %s ORDER BY key, org LIMIT 10001",
                    [q, q + RANGE_END])
        cur.fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    out["variants"][name] = {
        "keys_per_entity": round(len(rows) / len(names), 2), "key_rows_per_s": round(len(rows) / write_s),
        "entities_per_s": round(len(names) / write_s), "making_keys_s": round(keys_s, 2),
        "bytes_per_entity": round(size / len(names)), "two_char_median_ms": round(statistics.median(times), 2),
        "two_char_p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2)}
    cur.execute(f"DROP TABLE {table}")
sk.KEY_LENGTH = 8
print("WRITES " + json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--count", type=int, default=3_200_000, help="the registry built by bench.market_search")
    parser.add_argument("--writes", type=int, default=0, help="measure key-table variants writing N entities")
    args = parser.parse_args(argv)
    env = own_database_env(args.postgres, "bench_market", f"market-{args.count}.sqlite3")
    if args.writes:
        log(f"key-table variants, {args.writes:,} entities, on {env['DATABASE_URL']}")
        out = django_shell(env, f"WRITES = {args.writes}\n" + WRITES_SCRIPT).strip().splitlines()
        result = json.loads(next(line[7:] for line in reversed(out) if line.startswith("WRITES ")))
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    log(f"comparing name-search indexes on {env['DATABASE_URL']}")
    out = django_shell(env, SCRIPT).strip().splitlines()
    result = json.loads(next(line[6:] for line in reversed(out) if line.startswith("INDEX ")))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
