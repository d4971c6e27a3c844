"""System checks: production secrets and roles, log retention, and the reference data.

Production (``ONEWINDOW_PROFILE = "production"``; issue #9 point 8; GB/T 22239-2019 等保2.0 三级
身份鉴别/数据保密性 and GB/T 39786-2021 密钥管理; OWASP ASVS 5.0 V13 Configuration, V11
Cryptography): the development and test keys published in this repository, a short or low-entropy
``SECRET_KEY`` and an implicit ``TAXQR_ROLE`` are **errors**, so ``onewindow check``/``migrate``
and the WSGI start (config/wsgi.py, :func:`refuse_to_start_on_errors`) refuse to run.

The working-day calendar (行政许可法 art. 82: limits in working days) comes from the
``chinesecalendar`` package, which covers the years whose holiday notice (国务院办公厅关于部分节假日
安排的通知) was published when it was released. A year it does not cover counts Monday to Friday
unless an administrator enters its holidays and adjusted workdays (调休) as ``CalendarDay`` rows
and confirms the year (``CalendarYear``): this check warns from 1 November of the last covered
year, when the next notice is due, until then; running deadlines that reach such a year are
flagged 期限暂定 on the pages (decision 0011).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.utils import timezone


def next_year_uncovered(today: datetime.date) -> int | None:
    """The coming year if neither the library covers it nor an administrator has confirmed its
    holidays entered (a ``CalendarYear`` row; decision 0011)."""
    from .calendar import uncovered_years

    if today.month < 11:
        return None
    year = today.year + 1
    return year if uncovered_years(year, year) else None


@register("onewindow")
def calendar_covers_next_year(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        year = next_year_uncovered(timezone.localdate())
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if year is None:
        return []
    return [Warning(
        f"The working-day calendar has no holidays for {year}: deadlines in {year} will count every "
        "Monday to Friday as a working day.",
        hint=f"Enter the {year} holidays and adjusted workdays (调休) of the State Council notice as "
             "Calendar days in the admin and confirm the year, or upgrade the chinesecalendar package "
             f"and run `onewindow core_calendar_recompute --year {year}`.",
        id="onewindow.W001",
    )]


# ---- production secrets -------------------------------------------------------------------------

SECURITY_TAG = "onewindow_security"

#: SECRET_KEY values published in this repository (settings local.py/test.py, tests, docs): public,
#: so anyone could forge sessions, password-reset links and signed values with them.
PUBLISHED_SECRET_KEYS = frozenset({
    "dev-only-not-secret-onewindow-local-profile-0123456789",
    "test-only-secret-key-onewindow-0123456789-abcdefghijklmnop",
    "x7Qm2vN9pL4rT8wK1zY6bH3jF5dS0aGcE2uI9oP7nM4qR1tV8yX3wZ6kJ5hL0gB2",
})
#: The secrets (base64) of the field keys published here: whoever has them decrypts the ID numbers.
PUBLISHED_FIELD_SECRETS = frozenset(base64.b64decode(encoded) for encoded in (
    "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1zZWNyZXQtMDE=",  # local.py dev1
    "dGVzdC1maWVsZC1rZXktZmlyc3QtMDEyMzQ1Njc4OWE=",  # test.py test1
    "dGVzdC1maWVsZC1rZXktc2Vjb25kLTAxMjM0NTY3ODk=",  # test.py test2
    "cHJvZC10ZXN0LWZpZWxkLWtleS0zMi1ieXRlcy0wMTI=",  # the old deploy-check test key
))
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE = 5
#: The sides of the smart-tax QR code (taxqr.keystore.ROLES; core does not import taxqr).
TAXQR_ROLES = ("taxpayer", "tax", "both")


def is_production() -> bool:
    return getattr(settings, "ONEWINDOW_PROFILE", "") == "production"


def is_published_secret_key(value: str) -> bool:
    return value in PUBLISHED_SECRET_KEYS


def is_published_field_secret(secret: bytes) -> bool:
    return secret in PUBLISHED_FIELD_SECRETS


def _weak_secret_key(value: str) -> bool:
    return (len(value) < MIN_SECRET_KEY_LENGTH or len(set(value)) < MIN_SECRET_KEY_UNIQUE
            or value.startswith("django-insecure-"))


def _field_secrets(spec: str) -> list[tuple[str, bytes]]:
    found = []
    for part in spec.split(","):
        kid, _, encoded = part.strip().partition(":")
        encoded = encoded.rpartition(":")[2]  # "kid:alg:base64" names its algorithm (core.crypto)
        try:
            found.append((kid, base64.b64decode(encoded, validate=True)))
        except (binascii.Error, ValueError):
            continue  # core.crypto refuses an unreadable key with its own message
    return found


@register("onewindow", SECURITY_TAG)
def production_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E001: a published or weak SECRET_KEY (or fallback); E002: a published field key."""
    if not is_production():
        return []
    errors: list[CheckMessage] = []
    keys = [str(settings.SECRET_KEY), *(str(k) for k in getattr(settings, "SECRET_KEY_FALLBACKS", []))]
    if any(is_published_secret_key(key) or _weak_secret_key(key) for key in keys):
        errors.append(Error(
            "SECRET_KEY (or one of SECRET_KEY_FALLBACKS) is a key published in the OneWindow repository, "
            f"or shorter than {MIN_SECRET_KEY_LENGTH} characters, or not random.",
            hint='Set SECRET_KEY to 50+ random characters: python -c "import secrets; '
                 'print(secrets.token_urlsafe(50))" (docs/operations.md).',
            id="onewindow.E001",
        ))
    published = [kid for kid, secret in _field_secrets(str(getattr(settings, "ONEWINDOW_FIELD_KEYS", "")))
                 if is_published_field_secret(secret)]
    if published:
        errors.append(Error(
            f"ONEWINDOW_FIELD_KEYS holds a key published in the OneWindow repository ({', '.join(published)}): "
            "anyone can decrypt the personal data encrypted under it.",
            hint="Generate a key with `onewindow core_new_field_key`, put it first, rotate with "
                 "`onewindow core_rotate_keys`, then remove the published key (docs/operations.md).",
            id="onewindow.E002",
        ))
    return errors


@register("onewindow", SECURITY_TAG)
def production_taxqr_role(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E003: in production the smart-tax side of the instance must be chosen, never defaulted."""
    if not is_production():
        return []
    value = os.environ.get("TAXQR_ROLE")
    if value in TAXQR_ROLES:
        return []
    return [Error(
        f"The environment variable TAXQR_ROLE must be set explicitly in production to one of "
        f"{', '.join(TAXQR_ROLES)} (it is {value!r}).",
        hint="taxpayer on the internet-zone instance, tax on the government-network instance, both only "
             "on a single-zone installation (docs/operations.md).",
        id="onewindow.E003",
    )]


def refuse_to_start_on_errors() -> None:
    """Run the security checks at WSGI start (gunicorn runs no management command): errors stop it."""
    # Django keeps its checks in a set: sort by id so that the message is the same at every start.
    errors = sorted((m for m in run_checks(tags=[SECURITY_TAG]) if m.is_serious()), key=lambda m: str(m.id))
    if errors:
        raise ImproperlyConfigured("; ".join(f"{m.id}: {m.msg}" for m in errors))


# ---- log retention ------------------------------------------------------------------------------

@register("onewindow", SECURITY_TAG)
def log_retention(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E004: logs must be kept at least 180 days (网络安全法 art. 21(3): 不少于六个月), in every profile."""
    from .logs import RETENTION_FLOOR_DAYS

    days = int(getattr(settings, "ONEWINDOW_LOG_RETENTION_DAYS", RETENTION_FLOOR_DAYS))
    if days >= RETENTION_FLOOR_DAYS:
        return []
    return [Error(
        f"ONEWINDOW_LOG_RETENTION_DAYS is {days}: logs must be kept for at least {RETENTION_FLOOR_DAYS} days "
        "(网络安全法 art. 21(3)).",
        hint=f"Set ONEWINDOW_LOG_RETENTION_DAYS to {RETENTION_FLOOR_DAYS} or more; keep the nginx and gunicorn "
             "access logs as long (docs/operations.md).",
        id="onewindow.E004",
    )]


# ---- cryptographic algorithms (密评) ---------------------------------------------------------------

@register("onewindow", SECURITY_TAG)
def crypto_algorithms(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E005: every configured algorithm is known and supported by this OpenSSL (GB/T 39786-2021)."""
    from . import crypto
    from .models.audit import CHAIN_HASHES

    problems = []
    for name, allowed in (("ONEWINDOW_FIELD_CIPHER", crypto.CIPHERS), ("ONEWINDOW_FIELD_MAC", crypto.MACS),
                          ("ONEWINDOW_AUDIT_HASH", CHAIN_HASHES)):
        value = str(getattr(settings, name, "") or allowed[0])
        if value not in allowed:
            problems.append(f"{name} is {value!r}, not one of {', '.join(allowed)}")
        elif not crypto.supported({"sha256": crypto.HMAC_SHA256, "sm3": crypto.HMAC_SM3}.get(value, value)):
            problems.append(f"{name} is {value}, which this OpenSSL does not support")
    spec = str(getattr(settings, "ONEWINDOW_FIELD_KEYS", ""))
    if spec.strip() and not problems:
        try:
            crypto.keyring()
        except ImproperlyConfigured as exc:
            problems.append(str(exc))
    return [Error(problem, hint="See docs/operations.md, 'Cryptographic algorithms'.", id="onewindow.E005")
            for problem in problems]
