"""The ``onewindow`` command: Django's manage.py under the project's name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.config.settings.local")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A missing or malformed setting: one line that names it, not a traceback.
        sys.stderr.write(f"onewindow: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
