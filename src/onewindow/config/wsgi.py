"""WSGI entry point: gunicorn serves ``onewindow.config.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.config.settings.local")
application = get_wsgi_application()

# Production refuses published keys and an implicit TAXQR_ROLE before serving (core/checks.py).
from onewindow.core.checks import refuse_to_start_on_errors  # noqa: E402

refuse_to_start_on_errors()
