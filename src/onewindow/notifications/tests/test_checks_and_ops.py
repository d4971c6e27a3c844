"""Operations: the settings checks, the scheduler registration, re-queueing given-up messages, and
a misconfigured gateway never rolling back the change that writes a message."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from onewindow.accounts.testing import UserFactory
from onewindow.core import scheduling
from onewindow.core.models import AuditEntry
from onewindow.notifications.checks import sms_gateway_configured
from onewindow.notifications.models import Message
from onewindow.notifications.services import message_enqueue, message_requeue, messages_deliver_due

from .conftest import CONTEXT, PHONE, Gateway, enqueue_sms


def check_ids() -> list[str]:
    return [e.id for e in sms_gateway_configured()]


def test_checks_name_each_wrong_setting(settings: Any) -> None:
    settings.NOTIFICATIONS_SMS_BACKEND = "outbox"
    assert check_ids() == []
    settings.NOTIFICATIONS_SMS_BACKEND = "sms"
    assert check_ids() == ["notifications.E001"]
    settings.NOTIFICATIONS_SMS_BACKEND = "http"
    settings.NOTIFICATIONS_SMS_URL = "ftp://gateway"
    settings.NOTIFICATIONS_SMS_AUTH_HEADER = "Bearer xyz"
    settings.NOTIFICATIONS_SMS_BODY_TEMPLATE = '{"text": {text}}'
    assert check_ids() == ["notifications.E002", "notifications.E003", "notifications.E004"]
    settings.NOTIFICATIONS_SMS_URL = "https://sms.example.gov.cn/send"
    settings.NOTIFICATIONS_SMS_AUTH_HEADER = "X-Api-Key: abc"
    settings.NOTIFICATIONS_SMS_BODY_TEMPLATE = '{"mobile": "{phone}", "content": "{text}", "bizId": "{id}"}'
    assert check_ids() == []


def test_sweep_is_registered_every_10_seconds() -> None:
    scheduling.discover()
    job = scheduling.registered()["notifications.deliver_due"]
    assert job.every.total_seconds() == 10


@pytest.mark.django_db
def test_misconfigured_gateway_does_not_roll_back_the_change(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTIFICATIONS_SMS_BACKEND = "http"
    settings.NOTIFICATIONS_SMS_URL = ""
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        [sms] = message_enqueue(event="case_accepted", context=CONTEXT, phone=PHONE)
    assert len(callbacks) == 1
    assert Message.objects.get(pk=sms.pk).status == "pending"


@pytest.mark.django_db
def test_requeue_gives_a_dead_message_new_attempts_and_is_audited(gateway: Gateway) -> None:
    operator = UserFactory.create()
    gateway.script = ["400"]
    gateway.start()
    message = enqueue_sms()
    messages_deliver_due()
    assert Message.objects.get(pk=message.pk).status == "dead"

    requeued = message_requeue(by=operator, message_id=message.pk)
    assert (requeued.status, requeued.attempts) == ("pending", 0)
    entry = AuditEntry.objects.get(action="notifications.message_requeue")
    assert (entry.before, entry.after) == ({"status": "dead", "attempts": 1}, {"status": "pending", "attempts": 0})

    assert messages_deliver_due() == 1
    assert Message.objects.get(pk=message.pk).status == "sent"
    # A sent message is never re-queued: the gateway acknowledged it.
    assert message_requeue(by=operator, message_id=message.pk).status == "sent"
    assert AuditEntry.objects.filter(action="notifications.message_requeue").count() == 1
    assert gateway.ids() == [str(message.pk)] * 2
