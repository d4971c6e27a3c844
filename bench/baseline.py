"""The baselines every benchmark is divided by: bare Django views of the bench settings profile.

- ``constant``: a constant JSON document (Django + gunicorn and nothing else);
- ``insert``: one INSERT in a transaction (for write benchmarks of later issues);
- ``select``: one SELECT by primary key (for read benchmarks that hit the database once).
"""

from __future__ import annotations

BASELINES: dict[str, list[str]] = {
    "constant": ["/bench/bare/constant"],
    "insert": ["/bench/bare/insert"],
    "select": ["/bench/bare/select"],
}
