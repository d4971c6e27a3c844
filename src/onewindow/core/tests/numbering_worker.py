"""Child-process side of the numbering concurrency test (imported by spawned processes)."""

from __future__ import annotations

import os

from onewindow.core.actors import system_actor


def take_numbers(db_name: str, scope: str, count: int, fail_every: int) -> list[int]:
    """Set Django up against the parent's test database and take ``count`` numbers.

    Every ``fail_every``-th transaction rolls back after taking its number. Returns the numbers
    of the committed transactions; each is also recorded by an audit entry in the same transaction.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    os.environ["ONEWINDOW_TEST_DB"] = db_name
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = db_name
    connection.settings_dict["NAME"] = db_name
    return run(scope, count, fail_every)


class Rollback(Exception):
    pass


def run(scope: str, count: int, fail_every: int) -> list[int]:
    from django.db import connection, transaction

    from onewindow.core.audit import audit_record
    from onewindow.core.numbering import next_number

    committed = []
    try:
        for i in range(1, count + 1):
            try:
                with transaction.atomic():
                    number = next_number(scope)
                    audit_record(actor=system_actor("numbering-test"), action="test.number",
                                 target=("test", str(number), scope))
                    if fail_every and i % fail_every == 0:
                        raise Rollback
                committed.append(number)
            except Rollback:
                pass
    finally:
        connection.close()
    return committed
