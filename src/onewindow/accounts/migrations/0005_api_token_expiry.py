"""Every machine token expires (issue #9, decision 0009): tokens issued without an expiry get the
maximum lifetime from the day this migration runs (device tokens the device maximum), so nothing
stops working at once and each installation has a year to renew."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def give_tokens_an_expiry(apps: Any, schema_editor: Any) -> None:
    ApiToken = apps.get_model("accounts", "ApiToken")
    now = timezone.now()
    system_days = int(getattr(settings, "ACCOUNTS_TOKEN_MAX_DAYS", 365))
    device_days = int(getattr(settings, "ACCOUNTS_DEVICE_TOKEN_MAX_DAYS", 365))
    for token in ApiToken.objects.filter(expires_at__isnull=True).only("pk", "scopes"):
        days = device_days if "device" in (token.scopes or []) else system_days
        ApiToken.objects.filter(pk=token.pk).update(expires_at=now + datetime.timedelta(days=days))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_person_ref_unique_and_access_log")]

    operations = [migrations.RunPython(give_tokens_an_expiry, migrations.RunPython.noop)]
