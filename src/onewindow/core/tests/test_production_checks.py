"""Production refuses published keys and an implicit TAXQR_ROLE (issue #9 point 8).

The checks are system-check errors, so ``onewindow check``/``migrate`` and the WSGI start refuse to
run with them; tests switch the profile with override_settings and call the check functions.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from django.test import override_settings

from onewindow.core import checks

REPO = Path(__file__).resolve().parents[4]
GOOD_SECRET = "q8Zr3LwN5vXp2Tb7Yc9Hd4Kf6Jm1Ps0Ug8Ea5Wn3Ri7Ox2Vt9Qy4Bl6Gz1Cs5Dh3Fk"
GOOD_FIELD_KEY = "k2027:" + base64.b64encode(bytes(range(100, 132))).decode()
LOCAL_SECRET = "dev-only-not-secret-onewindow-local-profile-0123456789"
LOCAL_FIELD_KEY = "dev1:ZGV2LW9ubHktZmllbGQta2V5LW5vdC1zZWNyZXQtMDE="
TEST_FIELD_KEY = "test1:dGVzdC1maWVsZC1rZXktZmlyc3QtMDEyMzQ1Njc4OWE="


def production(**overrides: object) -> override_settings:
    values = {"ONEWINDOW_PROFILE": "production", "SECRET_KEY": GOOD_SECRET, "SECRET_KEY_FALLBACKS": [],
              "ONEWINDOW_FIELD_KEYS": GOOD_FIELD_KEY, **overrides}
    return override_settings(**values)


def ids(messages) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.id for m in messages]


def test_a_production_installation_with_its_own_keys_and_role_passes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TAXQR_ROLE", "tax")
    with production():
        assert checks.production_keys() == []
        assert checks.production_taxqr_role() == []


@pytest.mark.parametrize("secret", [
    LOCAL_SECRET,
    "test-only-secret-key-onewindow-0123456789-abcdefghijklmnop",
    "x7Qm2vN9pL4rT8wK1zY6bH3jF5dS0aGcE2uI9oP7nM4qR1tV8yX3wZ6kJ5hL0gB2",  # the old deploy-check test key
    "short-but-random-3fK9",
    "django-insecure-" + "a1" * 30,
    "a" * 60,
])
def test_production_refuses_a_published_or_weak_secret_key(secret: str) -> None:
    with production(SECRET_KEY=secret):
        assert ids(checks.production_keys()) == ["onewindow.E001"]
    with production(SECRET_KEY_FALLBACKS=[secret]):
        assert ids(checks.production_keys()) == ["onewindow.E001"]


@pytest.mark.parametrize("spec", [
    LOCAL_FIELD_KEY,
    f"{GOOD_FIELD_KEY},{TEST_FIELD_KEY}",
    # The same published secret under another key id is still the published secret.
    "mine:ZGV2LW9ubHktZmllbGQta2V5LW5vdC1zZWNyZXQtMDE=",
    "k1:cHJvZC10ZXN0LWZpZWxkLWtleS0zMi1ieXRlcy0wMTI=",
])
def test_production_refuses_a_published_field_key(spec: str) -> None:
    with production(ONEWINDOW_FIELD_KEYS=spec):
        [error] = checks.production_keys()
    assert error.id == "onewindow.E002"
    assert "ONEWINDOW_FIELD_KEYS" in error.msg


@pytest.mark.parametrize("value", [None, "", "both "])
def test_production_requires_taxqr_role_set_explicitly(monkeypatch, value: str | None) -> None:  # type: ignore[no-untyped-def]
    if value is None:
        monkeypatch.delenv("TAXQR_ROLE", raising=False)
    else:
        monkeypatch.setenv("TAXQR_ROLE", value)
    with production():
        assert ids(checks.production_taxqr_role()) == ["onewindow.E003"]


def test_the_development_profiles_are_not_held_to_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TAXQR_ROLE", raising=False)
    with override_settings(ONEWINDOW_PROFILE="development", SECRET_KEY=LOCAL_SECRET,
                           ONEWINDOW_FIELD_KEYS=LOCAL_FIELD_KEY):
        assert checks.production_keys() == []
        assert checks.production_taxqr_role() == []


def test_every_key_published_in_the_repository_is_on_the_refused_list() -> None:
    """A key added to a settings file, a test or the docs later is refused too (or this fails)."""
    secret_pattern = re.compile(r"(?:SECRET_KEY\s*=\s*|[\"']SECRET_KEY[\"']\s*:\s*|"
                                r"env_str\(\s*[\"']SECRET_KEY[\"']\s*,\s*)[\"']([^\"']{8,})[\"']")
    field_key_pattern = re.compile(r"\b[\w-]{1,20}:([A-Za-z0-9+/]{43}=)")
    found_secrets, found_field_keys = set(), set()
    for folder in ("src", "tests", "docs", "bench"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix not in {".py", ".md", ".txt", ".toml", ".cfg", ".sh", ".env"} or "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            found_secrets.update(secret_pattern.findall(text))
            found_field_keys.update(field_key_pattern.findall(text))
    assert "dev-only-not-secret-onewindow-local-profile-0123456789" in found_secrets
    assert len(found_field_keys) >= 3
    for secret in found_secrets:
        assert checks.is_published_secret_key(secret), secret
    for encoded in found_field_keys:
        assert checks.is_published_field_secret(base64.b64decode(encoded)), encoded


@pytest.mark.slow
def test_production_refuses_to_start_with_the_local_profile_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``onewindow check`` (so migrate and every command) and the WSGI start both stop."""
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key not in {"TAXQR_ROLE", "DATABASE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="onewindow.config.settings.production", SECRET_KEY=LOCAL_SECRET,
               ONEWINDOW_FIELD_KEYS=LOCAL_FIELD_KEY, ALLOWED_HOSTS="zwfw.example.gov.cn",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", ONEWINDOW_VAR_DIR=str(tmp_path))
    check = subprocess.run([str(Path(sys.executable).with_name("onewindow")), "check"], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 1
    assert all(code in check.stderr for code in ("onewindow.E001", "onewindow.E002", "onewindow.E003"))
    wsgi = subprocess.run([sys.executable, "-c", "import onewindow.config.wsgi"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert wsgi.returncode == 1
    assert "ImproperlyConfigured: onewindow.E001" in wsgi.stderr
