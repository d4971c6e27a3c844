"""Bare views of the centers benchmarks (issue #17): the same writes or reads as a hot path, in raw SQL, one
transaction — the ceiling the path is measured against. Mounted only by the bench settings profile
(config/bench_urls.py, under /bench/bare/centers/).

What they mirror (services/queue.py, as a device calls it):

- ``take`` (``POST devices/ticket``): the gap-free number (the counter row of the center, category and
  day, one upsert), the ticket row, its ``take`` event, the audit entry — and nothing read: the center,
  category, prefix and device come in the query string (``?center=&c=&p=&d=``).
- ``call`` (``POST devices/call-next``): the claim of the first waiting ticket of the window's
  categories (one conditional UPDATE of the oldest waiting row, SKIP LOCKED on PostgreSQL), its ``call``
  event, the audit entry (``?center=&w=&d=&cats=1,2``).
- ``skip`` (``POST devices/skip``): the window's called ticket becomes a no-show, its event, the audit
  entry (``?w=&d=``).

No authentication, no ORM, no opening-hours or rate-limit reads: the floor under the same writes. The
bench (bench/centers.py) gives these views categories and windows of their own, so their numbers never
mix with the API's.
"""

from __future__ import annotations

import json
import secrets

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
EVENT = ('INSERT INTO centers_ticketevent (ticket_id, action, from_status, to_status, window_id, actor_id, data, at) '
         'VALUES (%s, %s, %s, %s, %s, NULL, %s, %s)')
AUDIT = ("INSERT INTO core_auditentry (created_at, actor_kind, actor_id, actor_label, role, action, target_type, "
         "target_id, target_label, before, after, ip, request_id, channel, prev_hash, hash, hash_alg) "
         "VALUES (%s, 'device', %s, %s, '', %s, 'centers.ticket', %s, %s, %s, %s, NULL, '', 'device', '', '', '')")


def _int(request: HttpRequest, name: str) -> int:
    value = request.GET.get(name, "0")
    return int(value) if value.isdigit() else 0


def _audit(cursor: object, device: int, action: str, ticket: int, label: str, before: str, after: str) -> None:
    cursor.execute(AUDIT, [timezone.now(), str(device), f"device:{device}", f"centers.ticket.{action}",  # type: ignore[attr-defined]
                           str(ticket), label, json.dumps({"status": before}), after])


@csrf_exempt
def bare_take(request: HttpRequest) -> JsonResponse:
    """Counter, ticket, event, audit: the writes of a device's take-ticket."""
    center, category, device = _int(request, "center"), _int(request, "c"), _int(request, "d")
    prefix = request.GET.get("p", "X")[:2]
    now = timezone.now()
    day = timezone.localdate(now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(10))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO core_numbercounter (scope, value) VALUES (%s, 1) ON CONFLICT (scope) DO UPDATE "
                       "SET value = core_numbercounter.value + 1 RETURNING value",
                       [f"ticket:{center}:{category}:{day.isoformat()}"])
        number = cursor.fetchone()[0]
        display = f"{prefix}{number:03d}"
        cursor.execute(
            "INSERT INTO centers_ticket (center_id, category_id, date, number, display, status, priority, source, "
            "queue_key, status_code, person_id, phone, phone_hash, phone_confirmed_at, device_id, appointment_id, "
            "target_window_id, window_id, clerk_id, taken_at, called_at, started_at, finished_at, recalls, "
            "near_notified) VALUES (%s, %s, %s, %s, %s, 'waiting', 'normal', 'device', %s, %s, NULL, '', '', NULL, "
            "%s, NULL, NULL, NULL, NULL, %s, NULL, NULL, NULL, 0, %s) RETURNING id",
            [center, category, day, number, display, now, code, device, now, False])
        ticket = cursor.fetchone()[0]
        after = json.dumps({"status": "waiting", "priority": "normal", "source": "device"})
        cursor.execute(EVENT, [ticket, "take", "", "waiting", None, json.dumps({"priority": "normal",
                                                                                "source": "device"}), now])
        _audit(cursor, device, "take", ticket, display, "", after)
    return JsonResponse({"id": ticket, "display": display, "status_code": code}, status=201)


@csrf_exempt
def bare_call(request: HttpRequest) -> JsonResponse:
    """The claim of the next waiting ticket, its event, the audit entry: the writes of a call-next."""
    center, window, device = _int(request, "center"), _int(request, "w"), _int(request, "d")
    categories = [int(c) for c in request.GET.get("cats", "").split(",") if c.isdigit()] or [0]
    now = timezone.now()
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    marks = ", ".join(["%s"] * len(categories))
    claim = (f"UPDATE centers_ticket SET status = 'called', window_id = %s, called_at = %s, target_window_id = NULL "  # noqa: S608 - constants
             "WHERE status = 'waiting' AND id = (SELECT id FROM centers_ticket WHERE center_id = %s AND date = %s AND "
             f"status = 'waiting' AND category_id IN ({marks}) ORDER BY queue_key, id LIMIT 1{lock}) "
             "RETURNING id, display")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(claim, [window, now, center, timezone.localdate(now), *categories])
        row = cursor.fetchone()
        if row is None:
            return JsonResponse({"code": "queue_empty"}, status=409)
        cursor.execute(EVENT, [row[0], "call", "waiting", "called", window, "{}", now])
        _audit(cursor, device, "call", row[0], row[1], "waiting", json.dumps({"status": "called"}))
    return JsonResponse({"id": row[0], "display": row[1], "status": "called", "window": window})


@csrf_exempt
def bare_skip(request: HttpRequest) -> JsonResponse:
    """The window's called ticket becomes a no-show, its event, the audit entry: the writes of a skip."""
    window, device = _int(request, "w"), _int(request, "d")
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE centers_ticket SET status = 'no_show' WHERE window_id = %s AND status = 'called' "
                       "RETURNING id, display", [window])
        row = cursor.fetchone()
        if row is None:
            return JsonResponse({"code": "no_current_ticket"}, status=409)
        cursor.execute(EVENT, [row[0], "skip", "called", "no_show", window, "{}", now])
        _audit(cursor, device, "skip", row[0], row[1], "called", json.dumps({"status": "no_show"}))
    return JsonResponse({"id": row[0], "display": row[1], "status": "no_show", "window": window})


urlpatterns: list[URLPattern] = [
    path("take", bare_take),
    path("call", bare_call),
    path("skip", bare_skip),
]
