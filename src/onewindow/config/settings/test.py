"""The profile pytest runs: SQLite by default, PostgreSQL when DATABASE_URL says so."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, TASK_QUEUES, database_from_url

DEBUG = False
SECRET_KEY = "test-only-secret-key-onewindow-0123456789-abcdefghijklmnop"  # noqa: S105 (public, tests only)
ONEWINDOW_FIELD_KEYS = (
    "test2:dGVzdC1maWVsZC1rZXktc2Vjb25kLTAxMjM0NTY3ODk=,"
    "test1:dGVzdC1maWVsZC1rZXktZmlyc3QtMDEyMzQ1Njc4OWE="
)
# Both caches in memory, emptied before every test (conftest.py); test_shared_throttle.py runs the
# embedded profile's database cache and the city profile's Redis in real worker processes.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
          "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}}
# The live server's streams end soon, so none outlives its test by more than a few seconds (the
# browser tests wait for them; a stream's thread holds a database connection).
BIGSCREEN_WSGI_STREAM_SECONDS = 5
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": TASK_QUEUES}}
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="onewindow-test-media-"))
ONEWINDOW_AUDIT_CHECKPOINT_DIR = Path(tempfile.mkdtemp(prefix="onewindow-test-audit-"))
# Tests make their own tax-QR keys; never read or write the keys of a local installation.
TAXQR_KEY_DIR = Path(tempfile.mkdtemp(prefix="onewindow-test-taxqr-keys-"))
# An existing (empty) directory, so WhiteNoise does not warn; tests serve static files via finders.
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="onewindow-test-static-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# One file database per test run (not :memory:), so tests with threads and real processes see
# the same data; child processes inherit the path through the environment. pytest-xdist adds
# a _gwN suffix per worker, pytest-django prefixes nothing for SQLite file names.
os.environ.setdefault(
    "ONEWINDOW_TEST_DB", os.path.join(tempfile.gettempdir(), f"onewindow-test-{os.getpid()}.sqlite3")
)
if not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(f"sqlite:///{os.environ['ONEWINDOW_TEST_DB']}")}
    DATABASES["default"]["TEST"] = {"NAME": os.environ["ONEWINDOW_TEST_DB"]}
else:
    # PostgreSQL: the suite keeps one persistent connection per process (the test database is
    # created and dropped under it); installations default to psycopg's pool (base.py).
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"], "persistent")}
    # SQLite gives up a lock wait after its 30 s busy timeout; PostgreSQL would wait for ever, so a
    # test whose threads wait on each other's row locks hangs there. Give up after two minutes: the
    # test then fails with LockNotAvailable and the statement that waited.
    # (A child process such as the sharing tests' peer installation passes a SQLite DATABASE_URL.)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        _options = DATABASES["default"].get("OPTIONS")
        DATABASES["default"]["OPTIONS"] = {**(_options if isinstance(_options, dict) else {}),
                                           "options": "-c lock_timeout=120s"}
