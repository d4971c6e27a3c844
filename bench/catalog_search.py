"""Catalog search with the full demo catalog (issue #2): ``GET /api/v1/catalog/items?q=...``.

A mix of what people type: Chinese words (护照, 许可), pinyin initials (hz), a district name (静安),
and the same with filters (level, district, category, depth). Compared with the bare constant view.
Aims (issue #2): p99 under 30 ms at 16 concurrent clients; at least 0.5 of the bare view's
throughput at 64.
"""

from __future__ import annotations

from urllib.parse import urlencode

NAME = "catalog search"
BASELINE = "constant"
AIMS = {"p99_ms_at_16": 30.0, "throughput_ratio_at_64": 0.5}

QUERIES: list[dict[str, str]] = [
    {"q": "护照"},
    {"q": "hz"},
    {"q": "许可"},
    {"q": "静安"},
    {"q": "许可", "level": "district", "district": "310106"},
    {"q": "hz", "level": "city"},
    {"q": "登记", "category": "approval", "depth": "4"},
    {"q": "居住证", "level": "street"},
    {"level": "district", "district": "310104", "category": "service"},
    {"q": "xk", "page": "2"},
]


def paths() -> list[str]:
    return [f"/api/v1/catalog/items?{urlencode(query)}" for query in QUERIES]
