"""The embedded profile that ``make demo`` runs: SQLite in ./var, a fixed development key.

Never use it on a network: the keys below are public.
"""

from .base import *  # noqa: F403
from .env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-not-secret-onewindow-local-profile-0123456789")
# Development-only field key (public; a production installation sets ONEWINDOW_FIELD_KEYS).
ONEWINDOW_FIELD_KEYS = env_str(
    "ONEWINDOW_FIELD_KEYS", "dev1:ZGV2LW9ubHktZmllbGQta2V5LW5vdC1zZWNyZXQtMDE="
)
# The demo's live hall: today's queue of 临汾路 (center code 310106021) is played every minute.
CENTERS_DEMO_HALL = env_str("CENTERS_DEMO_HALL", "310106021")
# The big screens' streams come from the streaming process that `make serve` starts beside
# gunicorn (uvicorn on port 8001, decision 0019); behind nginx set it to "" (one origin).
BIGSCREEN_STREAM_ORIGIN = env_str("BIGSCREEN_STREAM_ORIGIN", "http://127.0.0.1:8001")
