"""Version 2 of the case_delivered message: it carries the 好差评 rating link (一事一评 from the SMS).

Added only where version 1 is still the active, uncustomised text; an administrator's own version
is left alone.
"""

from django.db import migrations

TEXTS = {
    "zh-hans": ("办件{{ number }}（{{ item }}）的结果已送达。请对本次服务评价：{{ rate_url }}",
                "结果已送达",
                "办件{{ number }}（{{ item }}）的结果已送达。请对本次服务评价：{{ rate_url }}"),
    "en": ("The result of case {{ number }} ({{ item }}) was delivered. Please rate the service: {{ rate_url }}",
           "Result delivered",
           "The result of case {{ number }} ({{ item }}) was delivered. Please rate the service: {{ rate_url }}"),
}


def forward(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for language, (sms_text, title, text) in TEXTS.items():
        latest = MessageTemplate.objects.filter(event="case_delivered", language=language).order_by("-version").first()
        if latest is None or latest.version != 1 or latest.created_by_id is not None:
            continue
        MessageTemplate.objects.create(event="case_delivered", language=language, version=2, sms_text=sms_text,
                                       inapp_title=title, inapp_text=text, is_active=True)
        MessageTemplate.objects.filter(pk=latest.pk).update(is_active=False)


def backward(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.filter(event="case_delivered", version=2, created_by__isnull=True).delete()
    MessageTemplate.objects.filter(event="case_delivered", version=1).update(is_active=True)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_seed_templates")]
    operations = [migrations.RunPython(forward, backward)]
