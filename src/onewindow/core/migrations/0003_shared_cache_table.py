"""The table of the ``shared`` database cache (throttles and rate limits, core/throttle.py).

The embedded profile keeps the counters that every worker process must agree on in the database
cache (config/settings/base.py ``cache_settings``); ``migrate`` creates its table, so ``make
demo`` and a fresh installation need no extra step. It runs Django's ``createcachetable``, which
creates the table of every configured DatabaseCache that does not exist yet and does nothing in
the city profile (Redis). After changing CACHES later, run ``onewindow createcachetable``.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_idempotency_keys")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=True)]
