"""Bare views of the cases benchmarks (issue #17): the same writes or reads as a hot path, in raw SQL, one
transaction — the ceiling the path is measured against. Mounted only by the bench settings profile
(config/bench_urls.py, under /bench/bare/cases/).

What they mirror:

- ``submit`` (``POST /api/v1/cases/`` with ``submit: true`` and an ``Idempotency-Key``, as
  ``services.case_apply`` writes it): the idempotency key row, the gap-free case number (the counter row
  of the receiving district and year, one upsert), the case row (already submitted, numbered), its
  correction clock, its two timeline events (create, submit), their two audit entries and the two
  outbox messages (SMS and in-app) — and nothing read per request: the item, its version, the
  department and the citizen are looked up once per process (the bench item and login of bench/cases.py).

No authentication, no ORM, no form check, encryption, calendar or template reads: the floor under the
same writes. Its numbers use a counter scope of their own (``bench-bare:<district>:<year>``) and its
idempotency keys an operation of their own, so they never mix with the API's.
"""

from __future__ import annotations

import datetime
import json
import secrets
import uuid
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

ITEM_CODE = "BENCHCASES000000000000000000000001"
CITIZEN = "citizen"
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CONTEXT: dict[str, Any] = {}

CASE = ("INSERT INTO cases_case (number, query_code, status, channel, item_id, item_version_id, title, "
        "applicant_person_id, applicant_organization_id, agent_id, mandate_id, submitter_id, owner_id, "
        "receiving_department_id, handling_department_id, handler_id, form_data, form_personal, contact_phone, "
        "phone_tail, delivery_method, delivery_address, refusal_reason, deadline_level, due_date, created_at, "
        "updated_at, submitted_at) VALUES (%s, %s, 'submitted', 'online', %s, %s, %s, %s, NULL, NULL, NULL, %s, %s, "
        "%s, %s, NULL, %s, '', %s, %s, %s, '', '', 'green', %s, %s, %s, %s) RETURNING id")
CLOCK = ("INSERT INTO cases_caseclock (case_id, kind, basis, limit_days, unit, start_date, extended_days, "
         "suspended_days, due_date, promised_due_date, level, stopped_on, created_at) "
         "VALUES (%s, 'correction', %s, 5, 'working', %s, 0, 0, %s, %s, 'green', NULL, %s)")
EVENTS = ("INSERT INTO cases_caseevent (case_id, action, from_status, to_status, actor_id, actor_label, "
          "department_id, note, data, public, created_at) VALUES "
          "(%s, 'create', '', 'draft', %s, %s, NULL, '', %s, %s, %s), "
          "(%s, 'submit', 'draft', 'submitted', %s, %s, NULL, '', %s, %s, %s)")
AUDITS = ("INSERT INTO core_auditentry (created_at, actor_kind, actor_id, actor_label, role, action, target_type, "
          "target_id, target_label, before, after, ip, request_id, channel, prev_hash, hash, hash_alg) VALUES "
          "(%s, 'user', %s, %s, '', 'cases.create', 'cases.case', %s, %s, %s, %s, NULL, '', 'web', '', '', ''), "
          "(%s, 'user', %s, %s, '', 'cases.submit', 'cases.case', %s, %s, %s, %s, NULL, '', 'web', '', '', '')")
MESSAGES = ("INSERT INTO notifications_message (id, event, channel, phone, user_id, subject_type, subject_id, "
            "language, template_version, title, text, status, attempts, next_attempt_at, claimed_at, last_error, "
            "sent_at, read_at, created_at) VALUES "
            "(%s, 'case_submitted', 'sms', %s, %s, 'case', %s, 'zh-hans', 1, '', %s, 'pending', 0, %s, NULL, '', "
            "NULL, NULL, %s), "
            "(%s, 'case_submitted', 'inapp', '', %s, 'case', %s, 'zh-hans', 1, %s, %s, 'sent', 0, NULL, NULL, '', "
            "%s, NULL, %s)")


def _context() -> dict[str, Any]:
    """The ids the view writes with, read once per process (the bench item's and the citizen's)."""
    if not _CONTEXT:
        with connection.cursor() as cursor:
            cursor.execute("SELECT i.id, i.current_version_id, i.department_id, v.name, r.code "
                           "FROM catalog_serviceitem i JOIN catalog_itemversion v ON v.id = i.current_version_id "
                           "JOIN core_department d ON d.id = i.department_id JOIN core_region r ON r.id = d.region_id "
                           "WHERE i.code = %s", [ITEM_CODE])
            item, version, department, title, region = cursor.fetchone()
            cursor.execute("SELECT u.id, u.person_id, u.username, p.phone FROM accounts_user u "
                           "JOIN accounts_person p ON p.id = u.person_id WHERE u.username = %s", [CITIZEN])
            user, person, username, phone = cursor.fetchone()
        _CONTEXT.update(item=item, version=version, department=department, title=title, district=region[:6],
                        user=user, person=person, username=username, phone=phone)
    return _CONTEXT


def _message_id() -> Any:
    return uuid.uuid4() if connection.vendor == "postgresql" else uuid.uuid4().hex


@csrf_exempt
def bare_submit(request: HttpRequest) -> JsonResponse:
    """Idempotency key, counter, case, clock, two events, two audit entries, two outbox messages."""
    ctx = _context()
    body = json.loads(request.body or b"{}")
    key = request.headers.get("Idempotency-Key", "")[:100] or secrets.token_hex(8)
    now = timezone.now()
    today = timezone.localdate(now)
    due = today + datetime.timedelta(days=7)
    code = "".join(secrets.choice(ALPHABET) for _ in range(10))
    form = json.dumps(body.get("form_data") or {}, ensure_ascii=False)
    phone = str(body.get("contact_phone") or ctx["phone"])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO core_idempotencykey (user_id, operation, key, request_hash, result_id, created_at) "
                       "VALUES (%s, 'bench.bare.submit', %s, %s, '', %s) RETURNING id",
                       [ctx["user"], key, secrets.token_hex(32), now])
        key_id = cursor.fetchone()[0]
        cursor.execute("INSERT INTO core_numbercounter (scope, value) VALUES (%s, 1) ON CONFLICT (scope) DO UPDATE "
                       "SET value = core_numbercounter.value + 1 RETURNING value",
                       [f"bench-bare:{ctx['district']}:{today.year}"])
        number = f"{ctx['district']}-{today.year}-{cursor.fetchone()[0]:07d}"
        cursor.execute(CASE, [f"B{number}", code, ctx["item"], ctx["version"], ctx["title"], ctx["person"],
                              ctx["user"], ctx["user"], ctx["department"], ctx["department"], form, phone, phone[-4:],
                              str(body.get("delivery_method") or "electronic"), due, now, now, now])
        case = cursor.fetchone()[0]
        cursor.execute(CLOCK, [case, "《行政许可法》第三十二条", today, due, due, now])
        label = ctx["username"]
        cursor.execute(EVENTS, [case, ctx["user"], label, json.dumps({"channel": "online"}), False, now,
                                case, ctx["user"], label, json.dumps({"number": number}), True, now])
        target = f"case {number}"
        cursor.execute(AUDITS, [now, str(ctx["user"]), label, str(case), target, json.dumps({"status": ""}),
                                json.dumps({"status": "draft"}),
                                now, str(ctx["user"]), label, str(case), target, json.dumps({"status": "draft"}),
                                json.dumps({"status": "submitted", "number": number})])
        text = f"您的办件{number}已提交，查询码{code}。"
        cursor.execute(MESSAGES, [_message_id(), phone, ctx["user"], str(case), text, now, now,
                                  _message_id(), ctx["user"], str(case), "办件已提交", text, now, now])
        cursor.execute("UPDATE core_idempotencykey SET result_id = %s WHERE id = %s", [str(case), key_id])
    response = JsonResponse({"id": case, "number": number, "status": "submitted"}, status=201)
    response["Location"] = f"/api/v1/cases/{case}"
    return response


urlpatterns: list[URLPattern] = [
    path("submit", bare_submit),
]
