"""``python -m bench.sharing_exchange``: the cost of a shared query (issue #13 benchmark).

Three figures, each beside its baseline in the same run (the machine is shared: ``/proc/loadavg``
is recorded beside them):

1. **In-process exchange against the direct call it wraps.** ``exchange_query`` of the
   ``market.entity`` resource (市场主体登记信息) under a grant, for credit codes drawn from the
   registry — grant, purpose, field and rate checks, the provider query, filtering, both log
   entries signed (Ed25519) and written — against ``market_entity_query`` (the provider's own
   query, what the exchange wraps) for the same codes. Throughput in calls per second, one caller
   in a loop (not HTTP), R rounds alternating the two; the ratio is the median of the rounds'
   ratios. Aim (issue #13): ≥ 0.5 of the direct call's throughput, logging and signing included.
2. **HTTP exchange between two local servers against a bare HTTP round trip.** A second
   installation (its own database and installation code) serves the same resource under gunicorn;
   this side's ``exchange_query`` of a resource with ``adapter = http`` sends the signed request to
   its peer endpoint and checks the signed answer; the baseline is ``GET /bench/bare/constant`` on
   the same server with the same kind of connection. Calls per second, one caller, R rounds.
3. **Log verification rate**: the log written by (1) and (2) (about 2 entries per exchange) is
   sealed into the chain (``log_seal_pending``), then ``log_verify`` checks every signature,
   content hash, chain link and checkpoint: entries per second, both.

Database: the registry that ``bench.market_search`` builds, in a database of its own
(``var/bench/sharing-<N>.sqlite3`` or PostgreSQL ``bench_sharing``; ``--count`` entities, 5,000
by default), migrated on each run; the exchange log and its checkpoint file (in
``var/bench/sharing-checkpoints-<db>/``) are emptied at the start of each measurement, so the log
verified holds exactly this run's entries. The provider installation of (2) has its own copy.

Usage: python -m bench.sharing_exchange [--postgres] [--count N] [--calls C] [--rounds R] [--no-http]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .run import RESULTS, ROOT, VAR, loadavg, log, own_database_env

AIM_RATIO = 0.5
PROVIDER_CODE = "BENCH-SHARE-SCJG"
CONSUMER_CODE = "BENCH-SHARE-XZFW"
RESOURCE_NAME = "市场主体登记信息（基准测试）"


# ---- in the measuring process (Django set up on the benchmark database) -----------------------------


def reset_log() -> None:
    """Empty this benchmark database's exchange log, its checkpoints and the seal counter, and
    the checkpoint file (a bench database only: the log is append-only everywhere else)."""
    from django.db import connection

    from onewindow.sharing.services.log import SEAL_SCOPE, checkpoint_path

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sharing_exchangecheckpoint")
        cursor.execute("DELETE FROM sharing_exchangelogentry")
        cursor.execute("DELETE FROM core_numbercounter WHERE scope = %s", [SEAL_SCOPE])
    checkpoint_path().unlink(missing_ok=True)


def departments() -> tuple[Any, Any]:
    from onewindow.core.models import Department, Region, RegionLevel

    region = Region.objects.filter(code="310106").first()
    district = {"level": RegionLevel.DISTRICT, "region": region}
    provider, _ = Department.objects.get_or_create(code=PROVIDER_CODE,
                                                   defaults={"name": "基准测试市场监督管理局", **district})
    consumer, _ = Department.objects.get_or_create(code=CONSUMER_CODE,
                                                   defaults={"name": "基准测试行政服务中心", **district})
    return provider, consumer


def entity_resource(department: Any, **kwargs: Any) -> Any:
    """The published 市场主体登记信息 resource of the bench provider (made once)."""
    from onewindow.sharing.choices import SharingClass
    from onewindow.sharing.models import DataResource
    from onewindow.sharing.providers import ENTITY_SCHEMA
    from onewindow.sharing.testing import make_resource

    code = kwargs.pop("code", f"{department.code}-0001")
    existing = DataResource.objects.filter(code=code).first()
    if existing is not None:
        return existing
    terms = {"provider": "market.entity", **kwargs}
    return make_resource(department, fields=ENTITY_SCHEMA, code=code, name=RESOURCE_NAME,
                         sharing_class=SharingClass.UNCONDITIONAL, **terms)


def entity_grant(resource: Any, consumer: Any) -> tuple[Any, str]:
    """An active grant of every field, rate high enough never to refuse (a new one each run, so
    the token is known)."""
    from onewindow.sharing.choices import Purpose
    from onewindow.sharing.testing import make_grant

    today = datetime.date.today()
    return make_grant(resource, consumer, purpose=Purpose.CASE_HANDLING, rate_per_minute=1_000_000_000,
                      valid_from=today - datetime.timedelta(days=1), valid_to=today + datetime.timedelta(days=3650))


def credit_codes(calls: int, seed: int = 20170929) -> list[str]:
    from onewindow.market.models import EntityProfile

    codes = sorted(EntityProfile.objects.values_list("organization__credit_code", flat=True))
    if not codes:
        raise SystemExit("the benchmark database has no market entities")
    rng = random.Random(seed)
    return [rng.choice(codes) for _ in range(calls)]


def timed(fn: Any, items: list[Any]) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn(item)`` for every item."""
    start, cpu = time.perf_counter(), time.process_time()
    for item in items:
        fn(item)
    return time.perf_counter() - start, time.process_time() - cpu


def alternate(rounds: int, items: list[Any], base: Any, subject: Any) -> dict[str, Any]:
    """R rounds of ``base`` and ``subject`` over ``items`` (order swapped each round); calls per
    second of each (medians) and the median of the rounds' ratios subject / base."""
    warm = items[: max(1, len(items) // 20)]
    timed(base, warm)
    timed(subject, warm)
    base_rates, subject_rates, ratios, base_cpu, subject_cpu = [], [], [], [], []
    for r in range(rounds):
        order = [("base", base), ("subject", subject)]
        if r % 2:
            order.reverse()
        got: dict[str, tuple[float, float]] = {}
        for name, fn in order:
            got[name] = timed(fn, items)
        b, s = len(items) / got["base"][0], len(items) / got["subject"][0]
        base_rates.append(b)
        subject_rates.append(s)
        ratios.append(s / b)
        base_cpu.append(got["base"][1] * 1000 / len(items))
        subject_cpu.append(got["subject"][1] * 1000 / len(items))
    return {
        "calls": len(items),
        "base_per_s": round(statistics.median(base_rates), 1),
        "subject_per_s": round(statistics.median(subject_rates), 1),
        "ratio": round(statistics.median(ratios), 3),
        "ratios": [round(x, 3) for x in ratios],
        "base_cpu_ms": round(statistics.median(base_cpu), 3),
        "subject_cpu_ms": round(statistics.median(subject_cpu), 3),
    }


def measure_in_process(calls: int, rounds: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection

    from onewindow.sharing.choices import Purpose
    from onewindow.sharing.providers import market_entity_query
    from onewindow.sharing.services.exchange import exchange_query

    out: dict[str, Any] = {"database": connection.vendor, "loadavg_start": loadavg()}
    reset_log()
    provider, consumer = departments()
    resource = entity_resource(provider)
    grant, _token = entity_grant(resource, consumer)
    codes = credit_codes(calls)
    answered = sum(1 for c in codes[:50] if exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING,
                                                           params={"credit_code": c}).rows)
    if answered != 50:
        raise SystemExit(f"only {answered} of 50 codes answered: the registry and the provider disagree")

    def direct(code: str) -> Any:
        return market_entity_query({"credit_code": code})

    def shared(code: str) -> Any:
        return exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"credit_code": code})

    out["in_process"] = alternate(rounds, codes, direct, shared)
    out["loadavg_end"] = loadavg()
    return out


def measure_verify() -> dict[str, Any]:
    """Seal the pending entries, then verify the whole log; entries per second of each."""
    from onewindow.sharing.models import ExchangeLogEntry
    from onewindow.sharing.services.log import log_seal_pending, log_verify

    pending = ExchangeLogEntry.objects.filter(seq__isnull=True).count()
    start = time.perf_counter()
    sealed = log_seal_pending()
    seal_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    report = log_verify()
    verify_s, verify_cpu = time.perf_counter() - start, time.process_time() - cpu
    if not report.ok:
        raise SystemExit(f"the log does not verify: {report.problems[:5]}")
    return {
        "pending": pending,
        "sealed": sealed,
        "seal_s": round(seal_s, 3),
        "seal_per_s": round(sealed / seal_s, 1) if seal_s else None,
        "checked": report.checked,
        "verify_s": round(verify_s, 3),
        "verify_cpu_s": round(verify_cpu, 3),
        "verify_per_s": round(report.checked / verify_s, 1) if verify_s else None,
    }


# ---- the HTTP exchange between two installations ------------------------------------------------------

PEER_A, PEER_B = "OW-BENCH-A", "OW-BENCH-B"
PEER_PATH = "/api/v1/sharing/peer/exchange"


def consumer_keys() -> dict[str, Any]:
    """Installation A (the consumer): its departments and keys; its public keys for B."""
    import django

    django.setup()
    from onewindow.sharing.services.keys import public_keys_export, signing_key_for

    _provider, consumer = departments()
    signing_key_for(consumer)
    return public_keys_export()


def provider_setup(a_keys: dict[str, Any]) -> dict[str, Any]:
    """Installation B (the provider): its resource, a grant for A's consumer department (a new
    token each run), A's public keys; returns what A needs."""
    import django

    django.setup()
    from onewindow.core.actors import system_actor
    from onewindow.sharing.services.keys import peer_keys_import, public_keys_export, signing_key_for

    reset_log()
    provider, consumer = departments()
    resource = entity_resource(provider)
    _grant, token = entity_grant(resource, consumer)
    signing_key_for(provider)
    peer_keys_import(by=system_actor("bench"), peer_code=PEER_A, name="基准测试平台 A", base_url="http://127.0.0.1:9",
                     keys_json=a_keys)
    return {"resource": resource.code, "token": token, "keys": public_keys_export()}


def consumer_setup(peer_url: str, b: dict[str, Any]) -> Any:
    """Installation A: B's keys, the resource reached over HTTP, the grant B issued."""
    from onewindow.core.actors import system_actor
    from onewindow.sharing.choices import AdapterKind, Purpose
    from onewindow.sharing.models import DataResource
    from onewindow.sharing.services.keys import peer_keys_import
    from onewindow.sharing.services.remote_grants import grant_register_remote

    by = system_actor("bench")
    peer_keys_import(by=by, peer_code=PEER_B, name="基准测试平台 B", base_url=peer_url, keys_json=b["keys"])
    provider, consumer = departments()
    endpoint = peer_url + PEER_PATH
    resource = entity_resource(provider, code=f"{provider.code}-0002", adapter=AdapterKind.HTTP, provider="",
                               endpoint=endpoint, remote_code=b["resource"])
    if resource.endpoint != endpoint:  # a new port each run (bench database only)
        DataResource.objects.filter(pk=resource.pk).update(endpoint=endpoint, remote_code=b["resource"])
        resource.refresh_from_db()
    today = datetime.date.today()
    assert resource.current is not None
    return grant_register_remote(by=by, resource=resource, consumer_department=consumer,
                                 purpose=Purpose.CASE_HANDLING, fields=resource.current.field_names,
                                 valid_from=today - datetime.timedelta(days=1),
                                 valid_to=today + datetime.timedelta(days=3650), rate_per_minute=1_000_000_000,
                                 remote_token=b["token"])


def bare_get(port: int) -> Any:
    """One bare round trip as the peer client makes its calls: a new connection, one request."""
    import http.client

    def call(_item: Any) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/bench/bare/constant")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"the bare view answered {response.status}")
        finally:
            conn.close()

    return call


def measure_http_calls(peer_url: str, b: dict[str, Any], calls: int, rounds: int) -> dict[str, Any]:
    """In A's measuring process: the HTTP exchange against the bare round trip to B's server."""
    from onewindow.sharing.choices import Purpose
    from onewindow.sharing.services.exchange import exchange_query

    grant = consumer_setup(peer_url, b)
    codes = credit_codes(calls)
    if not exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"credit_code": codes[0]}).rows:
        raise SystemExit("the HTTP exchange found nothing: the two registries differ")

    def shared(code: str) -> Any:
        return exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"credit_code": code})

    return alternate(rounds, codes, bare_get(int(peer_url.rsplit(":", 1)[1])), shared)


def measure_http(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any] | None:
    """Set up installation B (its own database and code) under gunicorn, then A's measurement."""
    from .market_search import prepare
    from .run import free_port, start_server, stop_server

    peer_env = measure_env(args.postgres, args.count, suffix="_peer") | {"SHARING_INSTALLATION_CODE": PEER_B}
    Path(peer_env["SHARING_LOG_CHECKPOINT_DIR"]).mkdir(parents=True, exist_ok=True)
    prepare(peer_env, args.postgres, args.count)
    a_keys = run_measure(env, "--step", "consumer-keys")
    tmp = VAR / "sharing-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "a-keys.json").write_text(json.dumps(a_keys))
    b = run_measure(peer_env, "--step", "provider-setup", "--file", str(tmp / "a-keys.json"))
    (tmp / "b.json").write_text(json.dumps(b))
    port = free_port()
    server = start_server(peer_env, port, workers=2, threads=1)
    try:
        log(f"installation B serves on 127.0.0.1:{port}; HTTP exchange against a bare round trip")
        figures = run_measure(env, "--step", "http", "--file", str(tmp / "b.json"), "--peer-url",
                              f"http://127.0.0.1:{port}", "--calls", str(max(50, args.calls // 2)),
                              "--rounds", str(args.rounds))
    finally:
        stop_server(server)
    return figures


# ---- the driver ---------------------------------------------------------------------------------------


def checkpoint_dir(env: dict[str, str]) -> str:
    name = env["DATABASE_URL"].rsplit("/", 1)[1].replace(".sqlite3", "")
    return str(VAR / f"sharing-checkpoints-{name}")


def measure_env(postgres: bool, count: int, suffix: str = "") -> dict[str, str]:
    env = own_database_env(postgres, f"bench_sharing{suffix}", f"sharing{suffix}-{count}.sqlite3")
    env["SHARING_LOG_CHECKPOINT_DIR"] = checkpoint_dir(env)
    env["SHARING_INSTALLATION_CODE"] = PEER_A
    return env


def run_measure(env: dict[str, str], *args: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.sharing_exchange", "--measure", *args]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"the measurement failed ({done.returncode})")
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("FIGURES "))
    return dict(json.loads(line[len("FIGURES "):]))


def report(figures: dict[str, Any]) -> None:
    p = figures["in_process"]
    print(f"{figures['database']}: registry of {figures['registry']:,} entities; {p['calls']} calls per round, "
          f"medians of {figures['rounds']} rounds; load {figures['loadavg_start']} → {figures['loadavg_end']}")
    print(f"direct market_entity_query: {p['base_per_s']:.0f} calls/s ({p['base_cpu_ms']:.2f} ms CPU per call)")
    print(f"exchange_query (checks, provider, filtering, 2 signed log entries): {p['subject_per_s']:.0f} calls/s "
          f"({p['subject_cpu_ms']:.2f} ms CPU per call)")
    print(f"ratio exchange / direct: {p['ratio']:.3f}  (aim ≥ {AIM_RATIO}; rounds {p['ratios']})")
    h = figures.get("http")
    if h:
        print(f"HTTP: bare GET round trip {h['base_per_s']:.0f}/s, exchange over HTTP {h['subject_per_s']:.0f}/s, "
              f"ratio {h['ratio']:.3f} (rounds {h['ratios']})")
    v = figures["verify"]
    print(f"log: sealed {v['sealed']:,} entries in {v['seal_s']:.2f} s ({v['seal_per_s']:.0f}/s); verified "
          f"{v['checked']:,} in {v['verify_s']:.2f} s ({v['verify_per_s']:.0f} entries/s, "
          f"CPU {v['verify_cpu_s']:.2f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (databases bench_sharing*)")
    parser.add_argument("--count", type=int, default=5000, help="registry size (default 5,000)")
    parser.add_argument("--calls", type=int, default=1000, help="calls per round and side (default 1,000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP exchange between two servers")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--step", default="in-process", help=argparse.SUPPRESS)
    parser.add_argument("--file", default="", help=argparse.SUPPRESS)
    parser.add_argument("--peer-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        if args.step == "consumer-keys":
            figures = consumer_keys()
        elif args.step == "provider-setup":
            figures = provider_setup(json.loads(Path(args.file).read_text()))
        elif args.step == "verify":
            import django

            django.setup()
            figures = measure_verify()
        elif args.step == "http":
            import django

            django.setup()
            figures = measure_http_calls(args.peer_url, json.loads(Path(args.file).read_text()), args.calls,
                                         args.rounds)
        else:
            figures = measure_in_process(args.calls, args.rounds)
        print("FIGURES " + json.dumps(figures, ensure_ascii=False))
        return 0
    from .market_search import prepare

    env = measure_env(args.postgres, args.count)
    Path(env["SHARING_LOG_CHECKPOINT_DIR"]).mkdir(parents=True, exist_ok=True)
    prepare(env, args.postgres, args.count)
    log(f"shared query over a registry of {args.count:,} ({'PostgreSQL' if args.postgres else 'SQLite'}), "
        f"load {loadavg()}")
    figures = run_measure(env, "--calls", str(args.calls), "--rounds", str(args.rounds))
    figures |= {"registry": args.count, "rounds": args.rounds, "aim_ratio": AIM_RATIO,
                "cpus": os.cpu_count(), "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    if not args.no_http:
        figures["http"] = measure_http(args, env)
    figures["verify"] = run_measure(env, "--step", "verify")
    figures["loadavg_end"] = loadavg()
    report(figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-sharing-exchange-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    log(f"figures saved to {out.relative_to(ROOT)}")
    shutil.rmtree(VAR / "sharing-tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
