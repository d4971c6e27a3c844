"""Child-process side of the 双告知 concurrency tests (imported by spawned processes)."""

from __future__ import annotations

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


def claim_all(db_name: str, user_id: int, task_ids: list[int]) -> list[str]:
    """Try to claim every task for the user's department; ``ok`` or the refusal's code for each."""
    _setup(db_name)
    from django.db import connection

    from onewindow.accounts.models import User
    from onewindow.core.errors import DomainError
    from onewindow.supervision.services import dual_notice_task_claim

    user = User.objects.get(pk=user_id)
    outcomes = []
    try:
        for task_id in task_ids:
            try:
                dual_notice_task_claim(by=user, task_id=task_id)
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.code)
    finally:
        connection.close()
    return outcomes
