"""Child-process side of the window concurrency test (imported by spawned processes)."""

from __future__ import annotations

import datetime
import os


def capture_all(db_name: str, key_dir: str, clerk_id: int, texts: list[str], now_iso: str) -> list[str]:
    """Set Django up against the parent's test database and capture ``texts`` in turn at one
    window; return each archive number, or the refusal code."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    os.environ["ONEWINDOW_TEST_DB"] = db_name
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = db_name
    connection.settings_dict["NAME"] = db_name
    settings.TAXQR_KEY_DIR = key_dir
    from onewindow.accounts.models import User
    from onewindow.core.errors import DomainError
    from onewindow.taxqr import services

    clerk = User.objects.get(pk=clerk_id)
    now = datetime.datetime.fromisoformat(now_iso)
    results = []
    try:
        for text in texts:
            try:
                results.append(services.record_capture(by=clerk, text=text, now=now).archive_no)
            except DomainError as exc:
                results.append(exc.code)
    finally:
        connection.close()
    return results
