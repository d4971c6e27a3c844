"""The production profile: passes ``check --deploy`` and refuses to start without its secrets."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ONEWINDOW = str(Path(sys.executable).with_name("onewindow"))
# Fresh keys per run: production refuses every key published in the repository (core/checks.py).
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "onewindow.config.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "zwfw.example.gov.cn",
    "ONEWINDOW_FIELD_KEYS": f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
    "TAXQR_ROLE": "tax",
    "DATABASE_URL": "sqlite:////tmp/onewindow-deploy-check.sqlite3",
}


def run_onewindow(env_overrides: dict[str, str | None], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    for name, value in {**PRODUCTION_ENV, **env_overrides}.items():
        if value is not None:
            env[name] = value
    return subprocess.run([ONEWINDOW, *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.slow
def test_production_profile_passes_deploy_check_without_any_warning() -> None:
    result = run_onewindow({}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["SECRET_KEY", "ONEWINDOW_FIELD_KEYS", "ALLOWED_HOSTS"])
def test_production_profile_refuses_to_start_without_a_required_variable(missing: str) -> None:
    result = run_onewindow({missing: None}, "check")
    assert result.returncode == 2
    assert f"environment variable {missing} is required" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_production_profile_refuses_an_empty_secret_key() -> None:
    result = run_onewindow({"SECRET_KEY": ""}, "check")
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr


def _redis_reachable() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.slow
def test_redis_url_gives_every_process_one_shared_cache() -> None:
    """City scale (docs/operations.md): with REDIS_URL, a value one process caches another reads."""
    if not _redis_reachable():
        if os.environ.get("CI"):
            pytest.fail("CI must reach the machine's Redis on 127.0.0.1:6379.")
        pytest.skip("no Redis on 127.0.0.1:6379 on this machine")
    key = f"onewindow-ci-{os.getpid()}"
    redis_env = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    wrote = run_onewindow(redis_env, "shell", "-c",
                          f"from django.core.cache import cache; cache.set({key!r}, 'shared', 60); "
                          "from django.core.cache import caches; print(type(caches['default']).__name__)")
    assert (wrote.returncode, wrote.stdout.strip().splitlines()[-1]) == (0, "RedisCache"), wrote.stderr
    read = run_onewindow(redis_env, "shell", "-c",
                         f"from django.core.cache import cache; print(cache.get({key!r})); cache.delete({key!r})")
    assert (read.returncode, read.stdout.strip().splitlines()[-1]) == (0, "shared"), read.stderr
