"""Seed version 1 of every event's message template (zh-Hans and English) from defaults.DEFAULTS_V1."""

from django.db import migrations


def seed(apps, schema_editor):
    from onewindow.notifications.defaults import DEFAULTS_V1

    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for event, languages in DEFAULTS_V1.items():
        for language, (sms_text, title, text) in languages.items():
            MessageTemplate.objects.get_or_create(
                event=event, language=language, version=1,
                defaults={"sms_text": sms_text, "inapp_title": title, "inapp_text": text, "is_active": True})


def unseed(apps, schema_editor):
    apps.get_model("notifications", "MessageTemplate").objects.filter(version=1, created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_outbox_and_templates")]
    operations = [migrations.RunPython(seed, unseed)]
