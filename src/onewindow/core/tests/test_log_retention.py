"""Logs are kept for at least six months (网络安全法 art. 21(3); issue #9 point 8).

The retention setting has a floor of 180 days (system check error below it); production writes
the application log (logins, lock-outs, errors, with request ids) to a file rotated daily that
keeps ≥ 190 days, safely when several gunicorn workers share the file. Audit entries are never
deleted by the application (test_audit_protection.py).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from onewindow.core import checks


@pytest.mark.parametrize(("days", "errors"), [(30, ["onewindow.E004"]), (179, ["onewindow.E004"]),
                                               (180, []), (365, [])])
def test_log_retention_below_six_months_is_a_system_check_error(days: int, errors: list[str]) -> None:
    with override_settings(ONEWINDOW_LOG_RETENTION_DAYS=days):
        assert [m.id for m in checks.log_retention()] == errors


@pytest.mark.slow
def test_production_logs_rotate_daily_and_keep_at_least_190_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import base64
    import secrets

    env = {key: value for key, value in os.environ.items() if not key.startswith("ONEWINDOW_")}
    env.update(DJANGO_SETTINGS_MODULE="onewindow.config.settings.production", SECRET_KEY=secrets.token_urlsafe(50),
               ONEWINDOW_FIELD_KEYS=f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
               ALLOWED_HOSTS="zwfw.example.gov.cn", TAXQR_ROLE="tax", ONEWINDOW_VAR_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    script = "import json; from django.conf import settings; print(json.dumps(settings.LOGGING, default=str))"
    result = subprocess.run([str(Path(sys.executable).with_name("onewindow")), "shell", "-c", script], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout.strip().splitlines()[-1])
    handler = config["handlers"]["file"]
    assert handler["class"] == "onewindow.core.logs.SharedTimedRotatingFileHandler"
    assert (handler["when"], handler["interval"]) == ("midnight", 1)
    assert handler["backupCount"] >= 190
    assert handler["filename"] == str(tmp_path / "log" / "onewindow.log")
    assert "file" in config["root"]["handlers"]


def test_two_processes_rotating_one_log_file_lose_no_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each gunicorn worker has its own handler on the same file, and each rolls over at midnight."""
    from onewindow.core.logs import SharedTimedRotatingFileHandler

    path = tmp_path / "onewindow.log"
    handlers = [SharedTimedRotatingFileHandler(str(path), when="midnight", backupCount=190, encoding="utf-8")
                for _ in range(2)]
    loggers = []
    for number, handler in enumerate(handlers):
        logger = logging.getLogger(f"test.rotation.{number}")
        logger.propagate = False
        logger.addHandler(handler)
        loggers.append(logger)
    try:
        loggers[0].warning("a1")
        loggers[1].warning("b1")
        for handler in handlers:
            handler.doRollover()
        loggers[0].warning("a2")
        loggers[1].warning("b2")
    finally:
        for logger, handler in zip(loggers, handlers, strict=True):
            logger.removeHandler(handler)
            handler.close()
    rotated = sorted(p for p in tmp_path.iterdir() if p.name not in {"onewindow.log", "onewindow.log.rotation-lock"})
    assert len(rotated) == 1
    assert rotated[0].read_text(encoding="utf-8").split() == ["a1", "b1"]
    assert path.read_text(encoding="utf-8").split() == ["a2", "b2"]
