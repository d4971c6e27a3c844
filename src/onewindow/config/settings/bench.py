"""The benchmark profile (``make bench``): the local profile plus the baseline views of bench/.

The baseline views are mounted only here (onewindow.config.bench_urls), never in a real
installation. The database is ``var/bench/bench.sqlite3`` unless DATABASE_URL says otherwise
(``python -m bench.run --postgres``).
"""

from .env import env_str
from .local import *  # noqa: F403
from .local import LOGGING, VAR_DIR

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "onewindow.config.bench_urls"
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'bench' / 'bench.sqlite3'}")
DATABASES = {"default": database_from_url(DATABASE_URL, DB_CONNECTIONS)}  # noqa: F405
# Requests are measured, not logged.
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
# A hall's printer takes at most 60 tickets in 10 minutes (centers/limits.py); the queue benchmark's
# 600 printers would meet that cap at 60 tickets/s and measure refusals instead of takes. The limit
# is still counted on every take (the same statement), it just never trips here.
CENTERS_TAKE_LIMITS = {"device": [1_000_000, 600], "phone": [3, 3600]}
