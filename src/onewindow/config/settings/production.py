"""A city installation: every secret from the environment; passes ``onewindow check --deploy``."""

from typing import Any

from .base import *  # noqa: F403
from .base import LOGGING, ONEWINDOW_LOG_DIR, ONEWINDOW_LOG_RETENTION_DAYS
from .env import env_bool, env_list, env_str

ONEWINDOW_PROFILE = "production"
DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", required=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "The environment variable ALLOWED_HOSTS is required in production but is not set."
    )
ONEWINDOW_FIELD_KEYS = env_str("ONEWINDOW_FIELD_KEYS", required=True)
ONEWINDOW_REQUIRE_STAFF_2FA = env_bool("ONEWINDOW_REQUIRE_STAFF_2FA", True)

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The application log also goes to a file rotated at midnight, kept ONEWINDOW_LOG_RETENTION_DAYS + 10
# days (at least 190; 网络安全法 art. 21(3)); several workers share it safely (core/logs.py).
ONEWINDOW_LOG_DIR.mkdir(parents=True, exist_ok=True)
_BASE_LOGGING: dict[str, Any] = LOGGING
LOGGING = {
    **_BASE_LOGGING,
    "handlers": {
        **_BASE_LOGGING["handlers"],
        "file": {
            "class": "onewindow.core.logs.SharedTimedRotatingFileHandler",
            "filename": str(ONEWINDOW_LOG_DIR / "onewindow.log"),
            "when": "midnight",
            "interval": 1,
            "backupCount": max(ONEWINDOW_LOG_RETENTION_DAYS, 180) + 10,
            "encoding": "utf-8",
            "formatter": "plain",
        },
    },
    "root": {**_BASE_LOGGING["root"], "handlers": ["console", "file"]},
}
