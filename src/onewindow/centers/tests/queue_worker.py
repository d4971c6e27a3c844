"""Child-process side of the queue concurrency tests (imported by spawned processes)."""

from __future__ import annotations

import datetime
import os


def _setup(db_name: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    os.environ["ONEWINDOW_TEST_DB"] = db_name
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = db_name
    connection.settings_dict["NAME"] = db_name


def take_tickets(db_name: str, center_id: int, category_id: int, count: int) -> list[str]:
    """Take ``count`` tickets; returns their displays."""
    _setup(db_name)
    from django.db import connection

    from onewindow.centers.services import ticket_take
    from onewindow.centers.testing import MONDAY_10

    try:
        return [ticket_take(by=None, center_id=center_id, category_id=category_id,
                            now=MONDAY_10 + datetime.timedelta(seconds=i)).display for i in range(count)]
    finally:
        connection.close()


def call_until_empty(db_name: str, window_id: int, clerk_id: int) -> list[int]:
    """Call, start and finish tickets at one window until the queue is empty; returns the ids called."""
    _setup(db_name)
    from django.db import connection

    from onewindow.accounts.models import User
    from onewindow.centers.services import ticket_call_next, ticket_finish, ticket_start
    from onewindow.centers.testing import MONDAY_10
    from onewindow.core.errors import DomainError

    clerk = User.objects.get(pk=clerk_id)
    called: list[int] = []
    try:
        while True:
            try:
                ticket = ticket_call_next(by=clerk, window_id=window_id, now=MONDAY_10)
            except DomainError as exc:
                if exc.code == "queue_empty":
                    return called
                raise
            called.append(ticket.pk)
            ticket_start(by=clerk, ticket_id=ticket.pk, now=MONDAY_10)
            ticket_finish(by=clerk, ticket_id=ticket.pk, now=MONDAY_10)
    finally:
        connection.close()


def book(db_name: str, slot_id: int, user_ids: list[int]) -> list[str]:
    """Each user tries to book the slot; returns the outcome codes ("ok" or the refusal code)."""
    _setup(db_name)
    from django.db import connection

    from onewindow.accounts.models import User
    from onewindow.centers.services import appointment_book
    from onewindow.centers.testing import MONDAY_10
    from onewindow.core.errors import DomainError

    outcomes: list[str] = []
    try:
        for user in User.objects.filter(pk__in=user_ids).select_related("person"):
            try:
                appointment_book(by=user, slot_id=slot_id, now=MONDAY_10)
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.code)
        return outcomes
    finally:
        connection.close()
