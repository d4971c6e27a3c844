"""ONEWINDOW_DB_CONNECTIONS (issue #17, docs/operations.md "PostgreSQL"): how a worker holds its
PostgreSQL connection; SQLite always keeps its own."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from onewindow.config.settings.base import database_from_url

PG = "postgres://app:secret@db.internal:5432/onewindow"


def test_persistent_keeps_one_connection_with_health_checks() -> None:
    config = database_from_url(PG, "persistent")
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)
    assert "pool" not in dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]


def test_the_pool_is_the_default_without_persistent_connections() -> None:
    config = database_from_url(PG)
    assert config["CONN_MAX_AGE"] == 0  # Django refuses CONN_MAX_AGE beside a pool
    assert config["OPTIONS"] == {"pool": {"min_size": 1, "max_size": 4, "timeout": 10}}
    # Django gives the pool psycopg's check_connection when health checks are on: a connection that
    # died in the pool (a database restart) is replaced before a request gets it, not failed on.
    assert config["CONN_HEALTH_CHECKS"] is True


def test_the_pools_check_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEWINDOW_DB_POOL_CHECK", "0")
    config = database_from_url(PG)
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (0, False)
    assert config["OPTIONS"] == {"pool": {"min_size": 1, "max_size": 4, "timeout": 10}}


def test_per_request_closes_each_connection() -> None:
    config = database_from_url(PG, "per-request")
    assert config["CONN_MAX_AGE"] == 0 and "pool" not in dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]


def test_sqlite_keeps_its_connection_whatever_the_mode() -> None:
    assert database_from_url("sqlite:////tmp/x.sqlite3", "per-request")["CONN_MAX_AGE"] == 600


def test_an_unknown_mode_stops_the_process_at_start() -> None:
    with pytest.raises(ImproperlyConfigured, match="ONEWINDOW_DB_CONNECTIONS"):
        database_from_url(PG, "pooled")
