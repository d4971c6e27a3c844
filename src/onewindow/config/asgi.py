"""ASGI entry point of the streaming process only (docs/decisions/0002 and 0019).

Ordinary views are faster under gunicorn's sync workers; the big screens' streams
(``/bigscreen/stream/``, ``/bigscreen/poll/``) hold a connection each, so one uvicorn process
serves them: ``uvicorn onewindow.config.asgi:application --port 8001`` (``make serve`` starts it;
behind nginx only those paths are routed to it, docs/operations.md).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.config.settings.local")
application = get_asgi_application()
