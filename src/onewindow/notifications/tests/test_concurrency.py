"""Two sweeps at once on a file database (SQLite file in tests, or PostgreSQL): each message is
posted to the gateway exactly once. Outside a transaction, enqueueing is refused."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from onewindow.core.testing import join_all, start_barrier
from onewindow.notifications.models import Message
from onewindow.notifications.services import message_enqueue, messages_deliver_due

from .conftest import CONTEXT, PHONE, Gateway, enqueue_sms


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_never_post_a_message_twice(gateway: Gateway, settings: Any) -> None:
    assert connection.vendor != "sqlite" or connection.settings_dict["NAME"] != ":memory:"
    gateway.start()
    settings.NOTIFICATIONS_SMS_BACKEND = "outbox"  # these commits must not deliver on commit
    ids = {str(enqueue_sms().pk) for _ in range(30)}
    settings.NOTIFICATIONS_SMS_BACKEND = "http"
    start = start_barrier(2)
    tried: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait()
            tried.append(messages_deliver_due())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    join_all(threads)

    assert errors == []
    assert len(tried) == 2
    assert sum(tried) == 30, tried
    assert Counter(gateway.ids()) == Counter(dict.fromkeys(ids, 1))
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        message_enqueue(event="case_accepted", context=CONTEXT, phone=PHONE)
    assert Message.objects.count() == 0
