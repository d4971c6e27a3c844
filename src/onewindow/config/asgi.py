"""ASGI entry point, kept for streaming endpoints only (sync views are faster under gunicorn)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.config.settings.local")
application = get_asgi_application()
