"""``python -m bench.taxqr``: the housing-transaction QR code (issue #5), each figure beside its bare
library baseline measured in the same run.

1. Encode per transaction: record → signed, encrypted Base45 text(s) → PNG, against bare segno
   rendering the same text(s) to PNG.
2. Decode per transaction: a photo-like image (rotated 5°, scaled 1.3×, JPEG) → verified,
   decrypted record, against bare zxing-cpp reading the same image.
3. Scan-to-saved through the window endpoint (POST /api/v1/taxqr/window/capture, a bearer token
   of the demo's tax clerk, a new transaction per request) at 16 concurrent clients under gunicorn,
   against the bare one-INSERT view at 16 clients; the two alternate for R rounds (medians).

Aims (issue #5): overhead under 2× the bare libraries; scan-to-saved p99 under 300 ms.
Usage: python -m bench.taxqr [--postgres] [--transactions N] [--captures N] [--workers W] [--rounds R]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import django
import segno
import zxingcpp
from PIL import Image

from onewindow.taxqr import codec, images, keys, samples
from onewindow.taxqr.record import from_wire, to_wire

from .load import LoadResult, run_load
from .run import BIN, RESULTS, ROOT, bench_env, free_port, log, prepare_database, start_server, stop_server

LATENCY_CLIENTS = 16
AIMS = {"overhead_ratio": 2.0, "capture_p99_ms": 300.0}


def _timed(fn: Any, repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def photo_of(png: bytes) -> bytes:
    image = Image.open(io.BytesIO(png)).convert("L")
    image = image.rotate(5, expand=True, fillcolor=255)
    image = image.resize((int(image.width * 1.3), int(image.height * 1.3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def codec_figures(n: int) -> dict[str, Any]:
    """Encode and decode per transaction, ours and bare, interleaved in one run."""
    keyset = keys.generate("bench-sig", "bench-enc")
    transactions = [samples.transaction(seed) for seed in range(1, n + 1)]
    ours_encode, bare_encode, ours_decode, bare_decode, parts = [], [], [], [], []
    fmt = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    for tx in transactions:
        texts: list[str] = []

        def encode(tx: Any = tx, texts: list[str] = texts) -> list[bytes]:
            texts[:] = codec.encode(to_wire(tx), keys=keyset.sender, ruleset_version="2026.1")
            return [images.render_png(t) for t in texts]

        ours_encode.append(_timed(encode))
        pngs = encode()
        parts.append(len(texts))

        def bare_png(texts: list[str] = texts) -> None:
            for t in texts:
                out = io.BytesIO()
                segno.make_qr(t, error="m", boost_error=False).save(out, kind="png", scale=4, border=4)

        bare_encode.append(_timed(bare_png))
        photos = [photo_of(p) for p in pngs]

        def decode(photos: list[bytes] = photos, tx: Any = tx) -> None:
            scanned = [text for photo in photos for text in images.read_image(photo)]
            decoded = codec.decode(scanned, keys=keyset.receiver)
            assert from_wire(decoded.record) == tx

        def bare_decode_fn(photos: list[bytes] = photos) -> None:
            for photo in photos:
                with Image.open(io.BytesIO(photo)) as image:
                    found = zxingcpp.read_barcodes(image.convert("L"), formats=fmt)
                assert found

        ours_decode.append(_timed(decode))
        bare_decode.append(_timed(bare_decode_fn))
    median = statistics.median
    return {
        "transactions": n, "parts_per_transaction": median(parts),
        "encode_ms": round(median(ours_encode), 3), "bare_segno_encode_ms": round(median(bare_encode), 3),
        "encode_ratio": round(median(ours_encode) / median(bare_encode), 3),
        "decode_ms": round(median(ours_decode), 3), "bare_zxing_decode_ms": round(median(bare_decode), 3),
        "decode_ratio": round(median(ours_decode) / median(bare_decode), 3),
    }


TOKEN_SCRIPT = """
from onewindow.accounts.models import User
from onewindow.accounts.testing import make_api_token
clerk = User.objects.get(username="taxclerk")
print(make_api_token(name="bench taxqr", scopes=["taxqr:read", "taxqr:write"], owner=clerk)[1])
"""


def bench_token(env: dict[str, str]) -> str:
    out = subprocess.run([str(BIN / "onewindow"), "shell", "--no-imports", "-c", TOKEN_SCRIPT], env=env,
                         check=True, cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def server_sender_keys() -> keys.SenderKeys:
    data = json.loads((ROOT / "var" / "taxqr-keys" / "sender.json").read_text())
    return keys.SenderKeys(data["signing"]["kid"], keys.load_ed25519_private(data["signing"]["key"]),
                           data["recipient"]["kid"], keys.load_x25519_public(data["recipient"]["public"]))


def capture_bodies(count: int) -> list[bytes]:
    """``count`` codes of new transactions (certificate numbers unique to this run)."""
    sender = server_sender_keys()
    run = int(time.time()) % 10_000
    bodies = []
    for i in range(count):
        tx = samples.transaction(i + 1, signed_on=datetime.date(2026, 1, 5))
        tx.property.certificate_no = f"沪(2020)静字不动产权第{run:04d}{i:04d}号"
        texts = codec.encode(to_wire(tx), keys=sender, ruleset_version="2026.1")
        bodies.append(urlencode({"text": "\n".join(texts), "window": "9"}).encode())
    return bodies


def capture_load(port: int, token: str, bodies: list[bytes], clients: int) -> LoadResult:
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[int] = []
    queue = list(reversed(bodies))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded",
               "Connection": "keep-alive", "Accept": "application/json"}
    barrier = threading.Barrier(clients + 1)

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/taxqr/window/capture", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 201:
                    errors.append(status)
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join(300)
    if errors:
        log(f"WARNING: {len(errors)} captures did not answer 201: {sorted(set(errors))}")
    return LoadResult(clients=clients, requests=len(latencies), errors=len(errors),
                      seconds=time.perf_counter() - started, latencies_ms=tuple(latencies))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--transactions", type=int, default=100, help="codec transactions (default 100)")
    parser.add_argument("--captures", type=int, default=800, help="window captures (default 800)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4, help="alternating baseline/capture rounds (default 4)")
    args = parser.parse_args(argv)

    env = bench_env(args.postgres)
    os.environ.update(env)  # the codec's error messages are translated strings: Django must be set up
    django.setup()
    log(f"codec: {args.transactions} transactions")
    figures: dict[str, Any] = {"codec": codec_figures(args.transactions)}
    c = figures["codec"]
    print(f"encode per transaction: {c['encode_ms']:.2f} ms vs bare segno {c['bare_segno_encode_ms']:.2f} ms "
          f"= {c['encode_ratio']:.2f}x (aim < {AIMS['overhead_ratio']}x)")
    print(f"decode per transaction (photo): {c['decode_ms']:.2f} ms vs bare zxing-cpp "
          f"{c['bare_zxing_decode_ms']:.2f} ms = {c['decode_ratio']:.2f}x (aim < {AIMS['overhead_ratio']}x)")

    prepare_database(env, args.postgres)
    token = bench_token(env)
    bodies = capture_bodies(args.captures)
    port = free_port()
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers, {'PostgreSQL' if args.postgres else 'SQLite'}")
    server = start_server(env, port, args.workers, 1)
    rounds: list[tuple[LoadResult, LoadResult]] = []
    per_round = max(LATENCY_CLIENTS, len(bodies) // args.rounds)
    try:
        run_load(port, ["/bench/bare/insert"], clients=LATENCY_CLIENTS, max_requests=200, max_seconds=5)
        for r in range(args.rounds):
            # Baseline and captures alternate, so both see the same background load.
            base = run_load(port, ["/bench/bare/insert"], clients=LATENCY_CLIENTS, max_requests=per_round,
                            max_seconds=30)
            ours = capture_load(port, token, bodies[r * per_round:(r + 1) * per_round], LATENCY_CLIENTS)
            rounds.append((base, ours))
    finally:
        stop_server(server)
    median = statistics.median
    figures["window"] = {
        "clients": LATENCY_CLIENTS, "rounds": len(rounds), "captures": sum(o.requests for _, o in rounds),
        "errors": sum(o.errors for _, o in rounds),
        "captures_per_s": round(median(o.throughput for _, o in rounds), 1),
        "p50_ms": round(median(o.p50 for _, o in rounds), 2), "p99_ms": round(median(o.p99 for _, o in rounds), 2),
        "bare_insert_p50_ms": round(median(b.p50 for b, _ in rounds), 2),
        "bare_insert_p99_ms": round(median(b.p99 for b, _ in rounds), 2),
        "p50_ratio": round(median(o.p50 / b.p50 for b, o in rounds), 2),
        "p99_ratio": round(median(o.p99 / b.p99 for b, o in rounds), 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    w = figures["window"]
    print(f"scan-to-saved at {LATENCY_CLIENTS} clients: p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms "
          f"({w['captures_per_s']:.0f} captures/s, {w['errors']} errors); bare INSERT view p50 "
          f"{w['bare_insert_p50_ms']:.1f} ms, p99 {w['bare_insert_p99_ms']:.1f} ms "
          f"(ratios {w['p50_ratio']:.1f}x / {w['p99_ratio']:.1f}x); aim p99 < {AIMS['capture_p99_ms']:.0f} ms: "
          f"{'met' if w['p99_ms'] < AIMS['capture_p99_ms'] else 'NOT met'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"{stamp}-taxqr-{'postgres' if args.postgres else 'sqlite'}.json"
    out.write_text(json.dumps(figures, indent=2))
    log(f"figures saved to {Path(out).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
