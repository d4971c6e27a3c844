"""Give every person a random public reference (Person.ref) so URLs stop naming the sequential id
(issue #9). Added nullable, filled here row by row, made unique and required in 0004."""

import secrets

from django.db import migrations, models

ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def _ref() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(16))


def backfill(apps, schema_editor):
    Person = apps.get_model("accounts", "Person")
    used = set(Person.objects.exclude(ref__isnull=True).values_list("ref", flat=True))
    batch = []
    for pk in Person.objects.filter(ref__isnull=True).values_list("pk", flat=True).iterator(chunk_size=2000):
        ref = _ref()
        while ref in used:
            ref = _ref()
        used.add(ref)
        batch.append(Person(pk=pk, ref=ref))
        if len(batch) >= 1000:
            Person.objects.bulk_update(batch, ["ref"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["ref"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_parties_roles_tokens")]

    operations = [
        migrations.AddField(model_name="person", name="ref",
                            field=models.CharField(max_length=24, null=True, editable=False, verbose_name="公开编号")),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
