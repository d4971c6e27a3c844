"""The HTTP SMS gateway backend against a real HTTP server on 127.0.0.1: acknowledged, down, slow,
errors, give-up, never twice; the outbox-only and console backends."""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from onewindow.notifications.models import DeliveryAttempt, Message
from onewindow.notifications.services import message_deliver_one, message_enqueue, messages_deliver_due

from .conftest import CONTEXT, PHONE, Gateway, enqueue_sms

pytestmark = pytest.mark.django_db

HOURS = datetime.timedelta(hours=2)


def attempts_of(message: Message) -> list[tuple[int, str, int | None]]:
    return [
        (a.number, a.outcome, a.http_status) for a in DeliveryAttempt.objects.filter(message=message).order_by("number")
    ]


def test_acknowledged_message_is_sent_with_id_phone_text_and_auth(gateway: Gateway) -> None:
    gateway.start()
    message = enqueue_sms()
    assert message.status == "pending"

    assert messages_deliver_due() == 1

    message.refresh_from_db()
    assert message.status == "sent"
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.last_error == ""
    assert len(gateway.seen) == 1
    seen = gateway.seen[0]
    assert seen.body == {
        "id": str(message.pk),
        "phone": PHONE,
        "text": "办件JA-2026-000001（食品经营许可）已受理，承诺办结日期2026-12-08。",
    }
    assert seen.headers["Authorization"] == "Bearer test-gateway-secret"
    assert seen.headers["Idempotency-Key"] == str(message.pk)
    assert seen.headers["Content-Type"] == "application/json; charset=utf-8"
    assert attempts_of(message) == [(1, "sent", 200)]


def test_acknowledged_message_is_never_posted_again(gateway: Gateway) -> None:
    gateway.start()
    message = enqueue_sms()
    assert messages_deliver_due() == 1
    assert messages_deliver_due() == 0
    assert messages_deliver_due(now=timezone.now() + datetime.timedelta(days=1)) == 0
    assert message_deliver_one(message.pk) is False
    assert gateway.ids() == [str(message.pk)]
    assert attempts_of(message) == [(1, "sent", 200)]


def test_gateway_down_keeps_message_pending_until_it_comes_back(gateway: Gateway) -> None:
    message = enqueue_sms()  # the gateway is not started: connection refused
    before = timezone.now()

    assert messages_deliver_due() == 1

    message.refresh_from_db()
    assert message.status == "failed"
    assert message.attempts == 1
    assert message.next_attempt_at is not None
    assert message.next_attempt_at >= before + datetime.timedelta(seconds=60)
    assert "ConnectionRefusedError" in message.last_error
    assert attempts_of(message) == [(1, "retry", None)]
    # Not due yet: the next sweep leaves it alone.
    assert messages_deliver_due() == 0
    assert Message.objects.get(pk=message.pk).attempts == 1

    gateway.start()
    assert messages_deliver_due(now=timezone.now() + HOURS) == 1

    message.refresh_from_db()
    assert message.status == "sent"
    assert message.attempts == 2
    assert gateway.ids() == [str(message.pk)]
    assert attempts_of(message) == [(1, "retry", None), (2, "sent", 200)]


def test_gateway_down_costs_one_attempt_per_sweep_not_one_per_message(gateway: Gateway) -> None:
    messages = [enqueue_sms() for _ in range(3)]
    assert messages_deliver_due() == 1
    statuses = sorted((m.status, m.attempts) for m in Message.objects.filter(pk__in=[m.pk for m in messages]))
    assert statuses == [("failed", 1), ("pending", 0), ("pending", 0)]


def test_slow_gateway_times_out_and_the_retry_reuses_the_same_id(gateway: Gateway, settings: Any) -> None:
    settings.NOTIFICATIONS_SMS_TIMEOUT = 0.5
    gateway.script = ["slow", "ok"]
    gateway.start()
    message = enqueue_sms()

    assert messages_deliver_due() == 1
    message.refresh_from_db()
    assert message.status == "failed"
    assert "timed out" in message.last_error.lower()

    assert messages_deliver_due(now=timezone.now() + HOURS) == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert gateway.ids() == [str(message.pk), str(message.pk)]
    assert [s.headers["Idempotency-Key"] for s in gateway.seen] == [str(message.pk)] * 2
    # Acknowledged once: never handed over again.
    assert messages_deliver_due(now=timezone.now() + 2 * HOURS) == 0
    assert len(gateway.seen) == 2
    assert attempts_of(message) == [(1, "retry", None), (2, "sent", 200)]


@pytest.mark.parametrize("status", ["500", "503", "429", "408"])
def test_server_errors_and_throttling_are_retried(gateway: Gateway, status: str) -> None:
    gateway.script = [status]
    gateway.start()
    message = enqueue_sms()

    assert messages_deliver_due() == 1
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error.startswith(f"HTTP {status}")

    assert messages_deliver_due(now=timezone.now() + HOURS) == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert attempts_of(message) == [(1, "retry", int(status)), (2, "sent", 200)]


@pytest.mark.parametrize("status", ["400", "401", "404", "422"])
def test_client_errors_are_permanent(gateway: Gateway, status: str) -> None:
    gateway.mode = status
    gateway.start()
    message = enqueue_sms()

    assert messages_deliver_due() == 1
    message.refresh_from_db()
    assert message.status == "dead"
    assert message.next_attempt_at is None
    assert messages_deliver_due(now=timezone.now() + HOURS) == 0
    assert len(gateway.seen) == 1
    assert attempts_of(message) == [(1, "dead", int(status))]


def test_gives_up_after_max_attempts(gateway: Gateway, settings: Any) -> None:
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    gateway.mode = "500"
    gateway.start()
    message = enqueue_sms()
    now = timezone.now()
    for round_ in range(1, 5):
        messages_deliver_due(now=now + round_ * HOURS)

    message.refresh_from_db()
    assert message.status == "dead"
    assert message.attempts == 3
    assert "gave up after 3 attempts" in message.last_error
    assert len(gateway.seen) == 3
    assert attempts_of(message) == [(1, "retry", 500), (2, "retry", 500), (3, "dead", 500)]


def test_back_off_doubles_up_to_the_cap(gateway: Gateway, settings: Any) -> None:
    settings.NOTIFICATIONS_BACKOFF_CAP_SECONDS = 200
    message = enqueue_sms()  # gateway down
    now = timezone.now()
    delays = []
    for round_ in range(1, 5):
        at = now + round_ * HOURS
        messages_deliver_due(now=at)
        message.refresh_from_db()
        assert message.next_attempt_at is not None
        delays.append((message.next_attempt_at - at).total_seconds())
    # base·2^(n-1) plus at most 10 % jitter, capped at 200 s: 60, 120, 200, 200.
    for delay, expected in zip(delays, [60, 120, 200, 200], strict=True):
        assert expected <= delay <= expected * 1.1


def test_body_template_json_escapes_values(gateway: Gateway, settings: Any) -> None:
    settings.NOTIFICATIONS_SMS_BODY_TEMPLATE = (
        '{"msgid": "{id}", "to": ["{phone}"], "content": "{text}", "sign": "一窗通"}'
    )
    gateway.start()
    with transaction.atomic():
        [message] = message_enqueue(
            event="case_not_accepted", context={**CONTEXT, "reason": '缺少"身份证"\\{phone}\n复印件'}, phone=PHONE
        )
    assert messages_deliver_due() == 1
    assert gateway.seen[0].body == {
        "msgid": str(message.pk),
        "to": [PHONE],
        "sign": "一窗通",
        "content": '办件JA-2026-000001（食品经营许可）不予受理：缺少"身份证"\\{phone}\n复印件。',
    }
    assert Message.objects.get(pk=message.pk).status == "sent"


def test_abandoned_claim_is_taken_again_after_the_lease(gateway: Gateway) -> None:
    gateway.start()
    stuck = enqueue_sms()
    fresh = enqueue_sms()
    now = timezone.now()
    Message.objects.filter(pk=stuck.pk).update(
        status="sending", claimed_at=now - datetime.timedelta(minutes=6), attempts=1
    )
    Message.objects.filter(pk=fresh.pk).update(
        status="sending", claimed_at=now - datetime.timedelta(minutes=1), attempts=1
    )

    assert messages_deliver_due(now=now) == 1

    assert gateway.ids() == [str(stuck.pk)]
    assert Message.objects.get(pk=stuck.pk).status == "sent"
    assert Message.objects.get(pk=stuck.pk).attempts == 2
    assert Message.objects.get(pk=fresh.pk).status == "sending"


def test_delivery_runs_after_commit_and_not_after_rollback(
    gateway: Gateway, django_capture_on_commit_callbacks: Any
) -> None:
    gateway.start()

    class Refused(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Refused), transaction.atomic():
        message_enqueue(event="case_not_accepted", context=CONTEXT, phone=PHONE)
        raise Refused
    assert callbacks == []
    assert Message.objects.count() == 0
    assert gateway.seen == []

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        [message] = message_enqueue(event="case_accepted", context=CONTEXT, phone=PHONE)
    assert len(callbacks) == 1
    assert gateway.ids() == [str(message.pk)]
    assert Message.objects.get(pk=message.pk).status == "sent"


def test_outbox_only_backend_leaves_sms_pending(settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.NOTIFICATIONS_SMS_BACKEND = "outbox"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue_sms()
    assert callbacks == []
    assert messages_deliver_due() == 0
    assert message_deliver_one(message.pk) is False
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == ("pending", 0, None)
    assert DeliveryAttempt.objects.count() == 0


def test_console_backend_logs_masked_phone_and_marks_sent(settings: Any, caplog: Any) -> None:
    settings.NOTIFICATIONS_SMS_BACKEND = "console"
    message = enqueue_sms()
    with caplog.at_level(logging.INFO, logger="onewindow.notifications.backends"):
        call_command("notifications_deliver")
    message.refresh_from_db()
    assert message.status == "sent"
    assert attempts_of(message) == [(1, "sent", None)]
    assert "138****5678" in caplog.text
    assert PHONE not in caplog.text


def test_gateway_request_body_is_valid_json_for_any_text(gateway: Gateway) -> None:
    gateway.start()
    with transaction.atomic():
        [message] = message_enqueue(
            event="case_rejected", context={"number": "1", "item": "x", "reason": 'a"b\\c\t{text}'}, phone=PHONE
        )
    messages_deliver_due()
    assert json.loads(json.dumps(gateway.seen[0].body))["text"] == message.text
