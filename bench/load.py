"""A bounded HTTP load generator: N threads, each with one keep-alive connection (http.client).

It stops after ``max_requests`` requests in total or ``max_seconds``, whichever comes first, and
only ever talks to 127.0.0.1. Latency is measured per request from send to the last body byte.
"""

from __future__ import annotations

import http.client
import itertools
import sys
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)


def run_load(port: int, paths: list[str], *, clients: int, max_requests: int, max_seconds: float,
             headers: dict[str, str] | None = None) -> LoadResult:
    """Drive ``paths`` round-robin from ``clients`` threads; every response must be a 200."""
    if not paths:
        raise ValueError("no paths to load")
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    start_barrier = threading.Barrier(clients + 1)
    deadline = 0.0
    request_headers = {"Connection": "keep-alive", "Accept": "application/json", **(headers or {})}

    def worker(offset: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        my_errors = 0
        start_barrier.wait()
        try:
            while True:
                n = next(counter)
                if n >= max_requests or time.perf_counter() >= deadline:
                    break
                path = paths[(n + offset) % len(paths)]
                t0 = time.perf_counter()
                try:
                    conn.request("GET", path, headers=request_headers)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                    if response.getheader("Connection", "").lower() == "close":
                        conn.close()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    status = 0
                mine.append((time.perf_counter() - t0) * 1000)
                if status != 200:
                    my_errors += 1
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                errors += my_errors

    # Hand the GIL over sooner than the default 5 ms, so that a response that has arrived is read
    # promptly instead of waiting behind other client threads (this inflated the measured tail).
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline = started + max_seconds
    start_barrier.wait()
    for t in threads:
        t.join(max_seconds + 60)
    elapsed = time.perf_counter() - started
    sys.setswitchinterval(previous_interval)
    return LoadResult(clients=clients, requests=len(latencies), errors=errors, seconds=elapsed,
                      latencies_ms=tuple(latencies))
