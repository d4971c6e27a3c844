"""Child-process side of the approval concurrency test (imported by spawned processes)."""

from __future__ import annotations

import os


def approve(db_name: str, user_id: int, request_id: int) -> str:
    """Approve the request as the user: ``ok`` or the refusal's code."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    os.environ["ONEWINDOW_TEST_DB"] = db_name
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = db_name
    connection.settings_dict["NAME"] = db_name

    from onewindow.accounts.models import User
    from onewindow.core.errors import DomainError
    from onewindow.sharing.models import AccessRequest
    from onewindow.sharing.services.access import request_approve

    try:
        user = User.objects.get(pk=user_id)
        request = AccessRequest.objects.get(pk=request_id)
        try:
            request_approve(by=user, request=request)
            return "ok"
        except DomainError as exc:
            return exc.code
    finally:
        connection.close()
