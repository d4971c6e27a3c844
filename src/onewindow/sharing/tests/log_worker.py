"""Child-process side of the exchange log concurrency test (imported by spawned processes, so
nothing of Django is imported before ``django.setup``)."""

from __future__ import annotations

import os


def _setup(db_name: str, checkpoint_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    os.environ["ONEWINDOW_TEST_DB"] = db_name
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = db_name
    connection.settings_dict["NAME"] = db_name
    settings.SHARING_LOG_CHECKPOINT_DIR = checkpoint_dir


def append_and_seal(db_name: str, checkpoint_dir: str, department_id: int, count: int) -> int:
    """Child process: append ``count`` entries, sealing after each; the number this process sealed."""
    _setup(db_name, checkpoint_dir)
    import uuid

    from django.db import connection

    from onewindow.core.models import Department
    from onewindow.sharing import canonical
    from onewindow.sharing.services import log as child_log

    department = Department.objects.get(pk=department_id)
    sealed = 0
    try:
        for n in range(count):
            child_log.log_append(
                role="consumer", exchange_id=uuid.uuid4(), consumer_code=f"OW-LOCAL:{department.code}",
                provider_code="OW-LOCAL:TEST-310106-SCJ", resource_code="TEST-310106-SCJ-0001",
                purpose="prefill", fields=["name"], params_digest=canonical.digest({"n": n}), outcome="ok",
                signer_department=department)
            sealed += child_log.log_seal_pending(batch_size=3)
    finally:
        connection.close()
    return sealed
