"""Child-process side of the shared-throttle test: one gunicorn-like worker sending wrong guesses."""

from __future__ import annotations

import json
import os


def wrong_guesses(db_name: str, caches_json: str, count: int, start_at: float) -> list[int]:
    """Set Django up against the parent's test database and the given CACHES, then send ``count``
    wrong 一码查询 answers from one client address; return the status codes."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    os.environ["ONEWINDOW_TEST_DB"] = db_name
    import time

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.DATABASES["default"]["NAME"] = db_name
    connection.settings_dict["NAME"] = db_name
    settings.CACHES = json.loads(caches_json)  # before the first use of any cache
    client = Client(REMOTE_ADDR="198.51.100.77")
    client.get("/cases/query/")  # warm up (templates, URL resolver) before the race starts
    time.sleep(max(0.0, start_at - time.time()))
    try:
        return [client.post("/cases/query/", {"code": "ZZZZZZZZZZ", "tail": "0000"}).status_code
                for _ in range(count)]
    finally:
        connection.close()
