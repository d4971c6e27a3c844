"""Baseline views for ``make bench``, mounted only in the bench settings profile.

Each benchmark is reported as a ratio to these, measured in the same run on the same machine:
the cost of Django + gunicorn with nothing else (constant JSON), with one INSERT, with one
indexed SELECT, and with one indexed SELECT of a 50-row page. They bypass sessions, auth and the
ORM on purpose; the table ``bench_row`` is created by ``bench.run`` (not a migration: it exists
only in the benchmark database).
"""

from __future__ import annotations

import random

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from ..bigscreen.bench_urls import bare_crowd_report
from .urls import urlpatterns as project_urlpatterns

BENCH_ROWS = 10_000


def bare_constant(request: HttpRequest) -> JsonResponse:
    """A constant JSON document: the floor under every benchmark."""
    return JsonResponse({"status": "ok", "items": [1, 2, 3]})


def bare_insert(request: HttpRequest) -> JsonResponse:
    """One INSERT in its own transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_row (payload) VALUES (%s)", ["bench"])
    return JsonResponse({"status": "ok"})


def bare_select(request: HttpRequest) -> JsonResponse:
    """One SELECT by primary key."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, payload FROM bench_row WHERE id = %s", [random.randint(1, BENCH_ROWS)])
        row = cursor.fetchone()
    return JsonResponse({"id": row[0] if row else None})


def bare_select_page(request: HttpRequest) -> JsonResponse:
    """One indexed SELECT of 50 rows (a page), rendered: the ceiling of list pages such as an inbox."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, payload FROM bench_row WHERE id > %s ORDER BY id LIMIT 50",
                       [random.randint(0, BENCH_ROWS - 50)])
        rows = cursor.fetchall()
    return JsonResponse({"items": [{"id": r[0], "payload": r[1]} for r in rows]})


def bare_counter_insert(request: HttpRequest) -> JsonResponse:
    """One counter increment and one INSERT in one transaction: the floor under gap-free numbering
    (a queue ticket is a counter row plus the ticket row). ``k`` picks one of the counter rows of
    ``bench_counter``, which ``bench.centers`` creates."""
    scope = request.GET.get("k", "0")[:8]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE bench_counter SET value = value + 1 WHERE scope = %s RETURNING value", [scope])
        row = cursor.fetchone()
        cursor.execute("INSERT INTO bench_row (payload) VALUES (%s)", [f"{scope}-{row[0] if row else 0}"])
    return JsonResponse({"number": row[0] if row else None})


urlpatterns = [
    path("bench/bare/cases/", include("onewindow.cases.bench_urls")),
    path("bench/bare/centers/", include("onewindow.centers.bench_urls")),
    path("bench/bare/crowd-report", bare_crowd_report),
    path("bench/bare/counter-insert", bare_counter_insert),
    path("bench/bare/constant", bare_constant),
    path("bench/bare/select50", bare_select_page),
    path("bench/bare/insert", bare_insert),
    path("bench/bare/select", bare_select),
    *project_urlpatterns,
]
