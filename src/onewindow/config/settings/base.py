"""Settings shared by every profile (local, test, production).

Profiles: ``local`` (make demo), ``test`` (pytest), ``production`` (a city installation).
Everything that differs between installations comes from the environment (see env.py and
docs/operations.md).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("ONEWINDOW_VAR_DIR", str(Path.cwd() / "var")))

# Which profile this is: production.py says "production", and core/checks.py then refuses the
# published development keys and an implicit TAXQR_ROLE.
ONEWINDOW_PROFILE = "development"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "onewindow.core",
    "onewindow.accounts",
    "onewindow.catalog",
    "onewindow.taxqr",
    "onewindow.notifications",
    "onewindow.ratings",
    "onewindow.market",
    "onewindow.sharing",
    "onewindow.cases",
    "onewindow.interaction",
    "onewindow.centers",
    "onewindow.supervision",
    "onewindow.analytics",
    "onewindow.training",
    "onewindow.staffing",
    "onewindow.bigscreen",
    "onewindow.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response, static files included (decision 0010).
    "onewindow.core.headers.SecurityHeadersMiddleware",
    # A request that waited in the queue longer than ONEWINDOW_SHED_QUEUE_MS: 503 + Retry-After (decision 0021).
    "onewindow.core.shedding.LoadSheddingMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "onewindow.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "onewindow.core.middleware.RequestSizeLimitMiddleware",
    "onewindow.core.middleware.ApiJsonErrorMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.bound_device: the kiosk or hall display this browser is enrolled as (decision 0008).
    "onewindow.centers.middleware.BoundDeviceMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After the centers device middleware (request.bound_device), before the 2FA gate.
    "onewindow.accounts.middleware.SessionTimeoutMiddleware",
    "onewindow.accounts.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onewindow.config.urls"
WSGI_APPLICATION = "onewindow.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onewindow.core.context_processors.display",
            ],
        },
    }
]


#: How a worker holds its PostgreSQL connection (ONEWINDOW_DB_CONNECTIONS, docs/operations.md):
#: "pool" (the default) checks one out of psycopg's pool per request (Django 5.1+); "persistent"
#: keeps one per worker for CONN_MAX_AGE seconds with a health check (one more round trip per
#: request: 0.6-0.85 of the pool's rate on the bare views, docs/benchmarks.md); "per-request" opens
#: and closes one per request (behind PgBouncer; 0.2-0.8). SQLite always keeps its connection.
DB_CONNECTION_MODES = ("persistent", "pool", "per-request")


def database_from_url(url: str, connections: str = "pool") -> dict[str, object]:
    """A Django DATABASES entry from a URL; SQLite gets WAL and IMMEDIATE transactions.

    IMMEDIATE makes every transaction take the write lock at BEGIN, so two writers queue on the
    busy timeout instead of failing with "database is locked" at their first write.
    Connections persist between requests on both databases (CONN_MAX_AGE): opening a SQLite
    connection and running its PRAGMAs costs more than a cached page, so a fresh connection per
    request cut the catalog search's throughput by half (docs/benchmarks.md).
    """
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    config["CONN_MAX_AGE"] = 600 if config["ENGINE"] == "django.db.backends.sqlite3" else 60
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.postgresql" and connections != "persistent":
        if connections not in DB_CONNECTION_MODES:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"ONEWINDOW_DB_CONNECTIONS must be one of {', '.join(DB_CONNECTION_MODES)}, "
                                       f"not {connections!r}.")
        config["CONN_MAX_AGE"] = 0  # Django refuses persistent connections beside a pool
        # With checks on, the pool tests a connection when a request takes it (one round trip), so a
        # database restart costs no request an error; ONEWINDOW_DB_POOL_CHECK=0 skips that round
        # trip (1.2-1.7x the bare views' rate, docs/benchmarks.md) and lets each worker's first
        # request after a restart fail once.
        config["CONN_HEALTH_CHECKS"] = connections == "pool" and env_bool("ONEWINDOW_DB_POOL_CHECK", True)
        if connections == "pool":
            options = config.get("OPTIONS")
            config["OPTIONS"] = {**(options if isinstance(options, dict) else {}),
                                 "pool": {"min_size": 1, "max_size": int(env_str("ONEWINDOW_DB_POOL_MAX", "4")),
                                          "timeout": 10}}
    return config


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'onewindow.sqlite3'}")
DB_CONNECTIONS = env_str("ONEWINDOW_DB_CONNECTIONS", "pool")
DATABASES = {"default": database_from_url(DATABASE_URL, DB_CONNECTIONS)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Login throttling (django-axes): lock a username+IP pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "onewindow.accounts.views.lockout_response"
# The client behind the load balancer (core/net.py): X-Forwarded-For is believed only when the
# connecting peer is one of TRUSTED_PROXIES (addresses or CIDR networks, comma-separated in the
# environment, e.g. "10.0.0.2,10.0.1.0/24"). Empty: the connecting address is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
AXES_CLIENT_IP_CALLABLE = "onewindow.core.net.client_ip"

# Staff must confirm a TOTP device in production (see production.py).
ONEWINDOW_REQUIRE_STAFF_2FA = env_bool("ONEWINDOW_REQUIRE_STAFF_2FA", False)

# Sessions (accounts/session_timeout.py, 等保2.0 登录连接超时自动退出): idle limits for staff and
# for citizens, the absolute lifetime of a staff session, and how long one re-authentication
# (password, plus TOTP when enrolled) covers unmasking, exports and key operations (reauth.py).
ACCOUNTS_STAFF_IDLE_SECONDS = int(env_str("ACCOUNTS_STAFF_IDLE_SECONDS", "900"))
ACCOUNTS_CITIZEN_IDLE_SECONDS = int(env_str("ACCOUNTS_CITIZEN_IDLE_SECONDS", "1800"))
ACCOUNTS_STAFF_SESSION_MAX_SECONDS = int(env_str("ACCOUNTS_STAFF_SESSION_MAX_SECONDS", "43200"))
ACCOUNTS_REAUTH_SECONDS = int(env_str("ACCOUNTS_REAUTH_SECONDS", "600"))
# Staff TOTP binding needs a system admin's grant (decision 0008); a grant's one-time code
# expires after this many hours.
ACCOUNTS_OTP_ENROLMENT_HOURS = int(env_str("ACCOUNTS_OTP_ENROLMENT_HOURS", "24"))
# A TOTP secret is shown once, to its owner, at binding (decision 0009). django-otp's admin would
# otherwise show any device's key and QR code to an admin, who could then clone the second factor.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Machine tokens expire (accounts/tokens.py): the longest lifetime of a system token and of a
# hall device's token (scope "device"); `onewindow tokens_expiring` lists those expiring soon.
ACCOUNTS_TOKEN_MAX_DAYS = int(env_str("ACCOUNTS_TOKEN_MAX_DAYS", "365"))
ACCOUNTS_DEVICE_TOKEN_MAX_DAYS = int(env_str("ACCOUNTS_DEVICE_TOKEN_MAX_DAYS", "365"))
# Unmasking a person (accounts/scope.py, accounts/unmask.py, decision 0007): a record concluded
# longer ago than this many days no longer puts its parties in the staff's scope; per staff user
# and hour, the view above the soft limit raises an alert, views at the hard limit are refused.
ACCOUNTS_UNMASK_SCOPE_DAYS = int(env_str("ACCOUNTS_UNMASK_SCOPE_DAYS", "90"))
ACCOUNTS_UNMASK_SOFT_LIMIT = int(env_str("ACCOUNTS_UNMASK_SOFT_LIMIT", "50"))
ACCOUNTS_UNMASK_HARD_LIMIT = int(env_str("ACCOUNTS_UNMASK_HARD_LIMIT", "200"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SHARED_CACHE_TABLE = "onewindow_shared_cache"


def cache_settings(redis_url: str) -> dict[str, dict[str, object]]:
    """The two caches: ``default`` for derived data, ``shared`` for counters all workers agree on.

    ``shared`` holds the throttles and rate limits (core/throttle.py): every gunicorn worker and
    every app server must count against one budget, or a limit of 10 lets 10 per worker through.
    Embedded profile (no REDIS_URL): ``default`` is each process's memory, ``shared`` the database
    cache table (created by the core migration 0003, or ``onewindow createcachetable``).
    City profile: both in Redis; sessions are read from it and written through to the database,
    so a Redis restart logs nobody out. Needs the ``redis`` package (extra "redis").
    """
    if redis_url:
        redis: dict[str, object] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
        return {"default": redis, "shared": {**redis, "KEY_PREFIX": "shared"}}
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": SHARED_CACHE_TABLE,
                   # Culling must not drop live counters: an address could otherwise clear its own.
                   "OPTIONS": {"MAX_ENTRIES": 1_000_000}},
    }


CACHES = cache_settings(env_str("REDIS_URL"))
if env_str("REDIS_URL"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Two queues: "default" for every job, "live" for the jobs a screen waits on (the simulated crowd
# feed, the demo's live hall), so that a long nightly job never holds the big screen's data back;
# `make serve` runs one worker on every queue and one on "live" only.
TASK_QUEUES = ["default", "live"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}

# Personal-data encryption (AES-256-GCM) and keyed hashes (HMAC-SHA256) for lookup.
# ONEWINDOW_FIELD_KEYS = "k2:<base64 32 bytes>,k1:<base64 32 bytes>"; the first key encrypts,
# every listed key decrypts, so keys rotate without downtime (see core/crypto.py).
ONEWINDOW_FIELD_KEYS = env_str("ONEWINDOW_FIELD_KEYS", "")
# Crypto agility (GB/T 39786-2021 密评): the algorithms of a key entry that names none (an entry
# may name its own: kid:sm4-gcm+hmac-sm3:base64), and the hash of new audit chain links.
# sm4-gcm / hmac-sm3 / sm3 need an OpenSSL with the SM algorithms (system check E005).
ONEWINDOW_FIELD_CIPHER = env_str("ONEWINDOW_FIELD_CIPHER", "aes-256-gcm")
ONEWINDOW_FIELD_MAC = env_str("ONEWINDOW_FIELD_MAC", "hmac-sha256")
ONEWINDOW_AUDIT_HASH = env_str("ONEWINDOW_AUDIT_HASH", "sha256")

# Checkpoints of the audit chain head are also appended to a file here, outside the database
# (put it on another volume or ship it off the machine), so truncating the trail is detected.
ONEWINDOW_AUDIT_CHECKPOINT_DIR = Path(env_str("ONEWINDOW_AUDIT_CHECKPOINT_DIR", str(VAR_DIR / "audit-checkpoints")))

# Data sharing (issue #13): this installation's code in the exchange log (consumer and provider
# codes are "<installation code>:<department code>", key ids "<installation code>-<dept>-<n>"),
# and the directory the exchange log's chain checkpoints are appended to, outside the database
# (empty: beside the audit checkpoints, in ONEWINDOW_AUDIT_CHECKPOINT_DIR; docs/sharing-log.md).
SHARING_INSTALLATION_CODE = env_str("SHARING_INSTALLATION_CODE", "OW-LOCAL")
SHARING_LOG_CHECKPOINT_DIR = env_str("SHARING_LOG_CHECKPOINT_DIR", "")
# Exchange with another installation (sharing.services.peer_client, breaker): seconds to connect
# and to read an answer (a provider that hangs answers 504 within connect + read), retries of a
# connection that failed before anything was sent, the circuit breaker's failures before it opens
# and its cool-down in seconds, and the largest answer read (bytes).
SHARING_PEER_CONNECT_TIMEOUT = float(env_str("SHARING_PEER_CONNECT_TIMEOUT", "2"))
SHARING_PEER_READ_TIMEOUT = float(env_str("SHARING_PEER_READ_TIMEOUT", "5"))
SHARING_PEER_RETRIES = int(env_str("SHARING_PEER_RETRIES", "1"))
SHARING_PEER_RETRY_BACKOFF = float(env_str("SHARING_PEER_RETRY_BACKOFF", "0.2"))
SHARING_PEER_MAX_RESPONSE_BYTES = int(env_str("SHARING_PEER_MAX_RESPONSE_BYTES", str(20 * 1024 * 1024)))
SHARING_BREAKER_THRESHOLD = int(env_str("SHARING_BREAKER_THRESHOLD", "5"))
SHARING_BREAKER_COOL_DOWN = float(env_str("SHARING_BREAKER_COOL_DOWN", "30"))

# Smart tax (taxqr): which side of the QR code this instance is (taxpayer / tax / both), where its
# keys live (`onewindow taxqr_keys generate`), and how long codes made under a superseded rule set
# are still accepted at the window.
TAXQR_ROLE = env_str("TAXQR_ROLE", "both")
TAXQR_KEY_DIR = Path(env_str("TAXQR_KEY_DIR", str(VAR_DIR / "taxqr-keys")))
TAXQR_RULESET_GRACE_DAYS = int(env_str("TAXQR_RULESET_GRACE_DAYS", "30"))
# Where archived summary lists and record sheets are written (资料归档, kept 10 years); empty:
# MEDIA_ROOT/taxqr-archive. Only taxqr.exports.archive_path() names files under it.
TAXQR_ARCHIVE_ROOT = env_str("TAXQR_ARCHIVE_ROOT", "")

# Notifications (docs/operations.md "SMS gateway"): "outbox" keeps SMS in the outbox (default),
# "console" logs them, "http" posts them to the installation's SMS gateway, the only outside call.
NOTIFICATIONS_SMS_BACKEND = env_str("NOTIFICATIONS_SMS_BACKEND", "outbox")
NOTIFICATIONS_SMS_URL = env_str("NOTIFICATIONS_SMS_URL", "")
NOTIFICATIONS_SMS_AUTH_HEADER = env_str("NOTIFICATIONS_SMS_AUTH_HEADER", "")
NOTIFICATIONS_SMS_BODY_TEMPLATE = env_str("NOTIFICATIONS_SMS_BODY_TEMPLATE", "")
NOTIFICATIONS_SMS_TIMEOUT = float(env_str("NOTIFICATIONS_SMS_TIMEOUT", "10"))
NOTIFICATIONS_MAX_ATTEMPTS = int(env_str("NOTIFICATIONS_MAX_ATTEMPTS", "8"))
NOTIFICATIONS_BACKOFF_BASE_SECONDS = int(env_str("NOTIFICATIONS_BACKOFF_BASE_SECONDS", "60"))
NOTIFICATIONS_BACKOFF_CAP_SECONDS = int(env_str("NOTIFICATIONS_BACKOFF_CAP_SECONDS", "3600"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Logs are kept at least six months (网络安全法 art. 21(3)); the floor of 180 days is a system check
# (core/checks.py). Production writes ONEWINDOW_LOG_DIR/onewindow.log, rotated daily, keeping this
# many days plus 10 (core/logs.py); docs/operations.md has the same for nginx and gunicorn logs.
ONEWINDOW_LOG_RETENTION_DAYS = int(env_str("ONEWINDOW_LOG_RETENTION_DAYS", "180"))
ONEWINDOW_LOG_DIR = Path(env_str("ONEWINDOW_LOG_DIR", str(VAR_DIR / "log")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Bulk drops of data sharing (批量交换, sharing/services/bulk.py): a CSV/xlsx drop must carry an
# Ed25519 signature of its SHA-256 by a key of the provider department unless this is off.
SHARING_DROPS_REQUIRE_SIGNATURE = env_bool("SHARING_DROPS_REQUIRE_SIGNATURE", True)

# Case handling: deadline warning ratio (yellow at 80 % of a limit) and the upload limit per file.
CASES_WARN_RATIO = float(env_str("CASES_WARN_RATIO", "0.8"))
CASES_MAX_UPLOAD_BYTES = int(env_str("CASES_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
# Request bodies (core.middleware.RequestSizeLimitMiddleware): a body that is not a file upload
# may hold DATA_UPLOAD_MAX_MEMORY_SIZE bytes; an upload one file plus its fields. Larger: 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env_str("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
ONEWINDOW_MAX_REQUEST_BYTES = int(env_str("ONEWINDOW_MAX_REQUEST_BYTES", "0")) or None
ONEWINDOW_IDEMPOTENCY_HOURS = int(env_str("ONEWINDOW_IDEMPOTENCY_HOURS", "48"))

# Load shedding (core/shedding.py, decision 0021): a request stamped by the front proxy
# (X-Request-Start) that waited longer than this many milliseconds before a worker took it is
# answered 503 with Retry-After (seconds) at once; 0 turns shedding off.
ONEWINDOW_SHED_QUEUE_MS = int(env_str("ONEWINDOW_SHED_QUEUE_MS", "1000"))
ONEWINDOW_SHED_RETRY_AFTER = int(env_str("ONEWINDOW_SHED_RETRY_AFTER", "5"))

# The address citizens reach this installation at, for links in SMS (rating link, case page).
ONEWINDOW_PUBLIC_URL = env_str("ONEWINDOW_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Training (培训管理, issue #14 part 5): an item received at least TRAINING_KEY_VOLUME times over
# the 12 months before a date is proposed for key training (重点培训); the effect of a course
# compares TRAINING_EFFECT_DAYS before and after each session; signals flag an average score
# below TRAINING_SIGNAL_MIN_SCORE, a bad-rating share above TRAINING_SIGNAL_BAD_SHARE or a median
# handling time above TRAINING_SIGNAL_MEDIAN_HOURS (with at least TRAINING_SIGNAL_MIN_COUNT cases).
TRAINING_KEY_VOLUME = int(env_str("TRAINING_KEY_VOLUME", "500"))
TRAINING_EFFECT_DAYS = int(env_str("TRAINING_EFFECT_DAYS", "90"))
TRAINING_SIGNAL_MIN_SCORE = float(env_str("TRAINING_SIGNAL_MIN_SCORE", "4.0"))
TRAINING_SIGNAL_BAD_SHARE = float(env_str("TRAINING_SIGNAL_BAD_SHARE", "0.05"))
TRAINING_SIGNAL_MEDIAN_HOURS = float(env_str("TRAINING_SIGNAL_MEDIAN_HOURS", "72"))
TRAINING_SIGNAL_MIN_COUNT = int(env_str("TRAINING_SIGNAL_MIN_COUNT", "20"))
# Clerks invited to a planned session are reminded of it this many days ahead (training/reminder_feed.py).
TRAINING_REMINDER_DAYS = int(env_str("TRAINING_REMINDER_DAYS", "14"))

# Elastic staffing (弹性调配, issue #15). The defaults of a center's StaffingPolicy (its target and
# duty rules; each center may change them): STAFFING_TARGET_SHARE of people called within
# STAFFING_TARGET_MINUTES; STAFFING_SHRINKAGE of rostered time away from the window; shifts of
# STAFFING_SHIFT_MIN/MAX_MINUTES, a break of STAFFING_BREAK_MINUTES in any shift longer than
# STAFFING_BREAK_AFTER_MINUTES. None is a published figure. STAFFING_HISTORY_WEEKS of rollups feed
# the demand model, STAFFING_HOLDOUT_WEEKS of them held out for its error; live advice flags a slot
# 人浮于事 when the windows open exceed its need by more than STAFFING_IDLE_MARGIN.
STAFFING_TARGET_SHARE = float(env_str("STAFFING_TARGET_SHARE", "0.8"))
STAFFING_TARGET_MINUTES = int(env_str("STAFFING_TARGET_MINUTES", "15"))
STAFFING_SHRINKAGE = float(env_str("STAFFING_SHRINKAGE", "0.15"))
STAFFING_SHIFT_MIN_MINUTES = int(env_str("STAFFING_SHIFT_MIN_MINUTES", "180"))
STAFFING_SHIFT_MAX_MINUTES = int(env_str("STAFFING_SHIFT_MAX_MINUTES", "480"))
STAFFING_BREAK_AFTER_MINUTES = int(env_str("STAFFING_BREAK_AFTER_MINUTES", "270"))
STAFFING_BREAK_MINUTES = int(env_str("STAFFING_BREAK_MINUTES", "45"))
STAFFING_HISTORY_WEEKS = int(env_str("STAFFING_HISTORY_WEEKS", "52"))
STAFFING_HOLDOUT_WEEKS = int(env_str("STAFFING_HOLDOUT_WEEKS", "4"))
STAFFING_IDLE_MARGIN = int(env_str("STAFFING_IDLE_MARGIN", "1"))
# Publishing a roster sets each appointment slot's capacity to this share of the window time planned
# for its category (so bookings never exceed the windows planned; walk-ins keep the rest).
STAFFING_BOOKABLE_SHARE = float(env_str("STAFFING_BOOKABLE_SHARE", "0.5"))

# Big-data display (大数据应用展示, issue #16). Crowd flow: a bucket up to BIGSCREEN_SKEW_SECONDS in
# the future is accepted (clock skew) and aligned; public screens show "<k" for a count below
# BIGSCREEN_REDACTION_THRESHOLD (FlowKit's rule; an area may set its own); a zone turns amber at
# BIGSCREEN_AMBER_SHARE and red at BIGSCREEN_RED_SHARE of its capacity (a zone may set its own).
# BIGSCREEN_ORIGIN_RULE maps a home-region code to an origin class ("class=code|code|…" pairs; a
# code ending in * is a prefix; a code no rule names is international). Codes: GB/T 2260 province
# codes (31 = Shanghai; 71, 81, 82 = Taiwan, Hong Kong, Macao) and ISO 3166-1 alpha-2 for HK, MO, TW
# and other countries.
BIGSCREEN_SKEW_SECONDS = int(env_str("BIGSCREEN_SKEW_SECONDS", "120"))
BIGSCREEN_REDACTION_THRESHOLD = int(env_str("BIGSCREEN_REDACTION_THRESHOLD", "15"))
BIGSCREEN_AMBER_SHARE = float(env_str("BIGSCREEN_AMBER_SHARE", "0.8"))
BIGSCREEN_RED_SHARE = float(env_str("BIGSCREEN_RED_SHARE", "0.95"))
BIGSCREEN_ORIGIN_RULE = {
    klass.strip(): [code.strip() for code in codes.split("|") if code.strip()]
    for klass, codes in (pair.split("=", 1) for pair in env_list("BIGSCREEN_ORIGIN_RULE", [
        "local=31", "domestic=1*|2*|3*|4*|5*|6*|71|81|82|HK|MO|TW"]))
}
# Push (issue #16 part 6; decision 0019): the shared snapshot of each channel is recomputed at most
# once per BIGSCREEN_INTERVAL_SECONDS by one producer; the streams answer from it. Where the
# streaming process runs on another origin (the demo: uvicorn on port 8001), its address is
# BIGSCREEN_STREAM_ORIGIN ("" = this origin, as behind nginx); a stream ticket lives
# BIGSCREEN_TICKET_SECONDS. A WSGI worker ends a stream after BIGSCREEN_WSGI_STREAM_SECONDS (the
# browser reconnects), so a sync worker is never held for long.
BIGSCREEN_INTERVAL_SECONDS = float(env_str("BIGSCREEN_INTERVAL_SECONDS", "2"))
BIGSCREEN_STREAM_ORIGIN = env_str("BIGSCREEN_STREAM_ORIGIN", "")
BIGSCREEN_TICKET_SECONDS = int(env_str("BIGSCREEN_TICKET_SECONDS", "900"))
BIGSCREEN_WSGI_STREAM_SECONDS = int(env_str("BIGSCREEN_WSGI_STREAM_SECONDS", "20"))
# The service wall is stale (数据延迟) when no rollup run has finished for this many minutes (the
# rollups run every 5 minutes, even without new events; three missed runs mean the worker is down).
BIGSCREEN_WALL_STALE_MINUTES = int(env_str("BIGSCREEN_WALL_STALE_MINUTES", "15"))
# The demo's live hall (issue #16, centers.services.demo_hall): comma-separated codes of the centers
# whose day the scheduler plays every minute through the real queue services ("" = none; never in
# production — the local demo profile names 临汾路).
CENTERS_DEMO_HALL = env_str("CENTERS_DEMO_HALL", "")

# Item decisions (事项准入, issue #14 part 4): an item of a center whose volume over a window is at
# most ANALYTICS_LOW_VOLUME_MAX (9: "0 or a single digit") is listed for a change or withdrawal
# proposal; the default window runs from ANALYTICS_DECISION_SINCE (the seed's 统计 since) to today.
ANALYTICS_LOW_VOLUME_MAX = int(env_str("ANALYTICS_LOW_VOLUME_MAX", "9"))
ANALYTICS_DECISION_SINCE = env_str("ANALYTICS_DECISION_SINCE", "2016-04-01")

# Appraisal (绩效考核, issue #14 part 3): the weights of the monthly score when a center has saved
# no scheme (analytics.selectors.appraisal.MEASURES), "measure=weight" pairs separated by commas.
ANALYTICS_APPRAISAL_WEIGHTS = {
    name.strip(): int(weight)
    for name, weight in (pair.split("=", 1) for pair in env_list("ANALYTICS_APPRAISAL_WEIGHTS", [
        "served=25", "accepted=15", "effective_share=20", "satisfaction=20", "followup=10", "on_time=10"]))
}
