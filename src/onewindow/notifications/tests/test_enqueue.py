"""Writing the outbox: same transaction as the caller, channels, templates (zh-Hans/en, versions),
missing keys, truncation, the phone encrypted at rest."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from onewindow.accounts.testing import UserFactory
from onewindow.notifications.choices import EVENTS
from onewindow.notifications.defaults import DEFAULTS_V1
from onewindow.notifications.models import Message, MessageTemplate
from onewindow.notifications.rendering import render_text, truncate_sms
from onewindow.notifications.selectors import message_list_for_subject
from onewindow.notifications.services import message_enqueue, template_save_version

from .conftest import CONTEXT, PHONE

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def enqueue(**kwargs: Any) -> list[Message]:
    kwargs.setdefault("context", CONTEXT)
    with transaction.atomic():
        return message_enqueue(**kwargs)


def test_rolled_back_transaction_leaves_no_message() -> None:
    user = UserFactory.create()
    with pytest.raises(Refused), transaction.atomic():
        assert len(message_enqueue(event="case_not_accepted", context=CONTEXT, phone=PHONE, user=user)) == 2
        raise Refused
    assert Message.objects.count() == 0


def test_unknown_event_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown notification event 'case_lost'"):
        enqueue(event="case_lost", phone=PHONE)
    assert Message.objects.count() == 0


def test_one_row_per_channel() -> None:
    user = UserFactory.create()
    sms, inapp = enqueue(
        event="case_submitted", phone=" 138 1234 5678 ", user=user, subject_type="case", subject_id="JA-2026-000001"
    )
    assert (sms.channel, sms.status, sms.phone, sms.user, sms.sent_at) == ("sms", "pending", PHONE, user, None)
    assert sms.next_attempt_at is not None
    assert (inapp.channel, inapp.status, inapp.phone, inapp.user, inapp.read_at) == ("inapp", "sent", "", user, None)
    assert inapp.sent_at is not None
    assert inapp.title == "申请已提交"
    assert inapp.text == "您申请的“食品经营许可”已提交，办件编号JA-2026-000001，查询码Q7K2M9。/cases/JA-2026-000001/"
    assert list(message_list_for_subject("case", "JA-2026-000001")) == [sms, inapp]
    assert list(message_list_for_subject("case", "JA-2026-000002")) == []
    assert enqueue(event="case_submitted", phone="", user=None) == []
    assert [m.channel for m in enqueue(event="case_submitted", phone=PHONE)] == ["sms"]
    assert [m.channel for m in enqueue(event="case_submitted", user=user)] == ["inapp"]


def test_staff_deadline_events_are_in_app_only() -> None:
    clerk = UserFactory.create()
    for event in ("deadline_warning", "deadline_overdue", "rating_followup_due"):
        assert [m.channel for m in enqueue(event=event, phone=PHONE, user=clerk)] == ["inapp"]


def test_every_event_is_seeded_in_both_languages_and_renders() -> None:
    assert set(DEFAULTS_V1) == set(EVENTS)
    rows = set(MessageTemplate.objects.filter(version=1).values_list("event", "language"))
    assert rows == {(e, lang) for e in EVENTS for lang in ("zh-hans", "en")}
    user = UserFactory.create()
    for event in EVENTS:
        for language in ("zh-hans", "en"):
            inapp = enqueue(event=event, user=user, language=language)[0]
            assert inapp.title and inapp.text and "{{" not in inapp.text


def test_zh_and_en_texts() -> None:
    [zh] = enqueue(event="case_correction_requested", phone=PHONE)
    [en] = enqueue(event="case_correction_requested", phone=PHONE, language="en-US")
    [fallback] = enqueue(event="case_correction_requested", phone=PHONE, language="fr")
    assert zh.text == "办件JA-2026-000001（食品经营许可）需补正材料：材料不全。请于2026-12-08前补正。"
    assert en.text == (
        "Case JA-2026-000001 (食品经营许可) needs corrected materials: 材料不全. Please correct by 2026-12-08."
    )
    assert (zh.language, en.language, fallback.language) == ("zh-hans", "en", "zh-hans")
    assert fallback.text == zh.text
    assert (zh.template_version, en.template_version) == (1, 1)


def test_missing_key_renders_empty_and_nothing_is_escaped() -> None:
    [sms] = enqueue(event="case_not_accepted", phone=PHONE, context={"number": "A&B<1>", "item": "许可"})
    assert sms.text == "办件A&B<1>（许可）不予受理：。"
    assert render_text("{{ a.b.c }}{{ missing|upper }}x", {}) == "x"
    assert render_text("{% if %}", {}) == "{% if %}"  # broken template: raw text, never a crash


def test_sms_is_truncated_to_300_characters() -> None:
    [sms] = enqueue(event="case_not_accepted", phone=PHONE, context={**CONTEXT, "reason": "缺" * 400})
    assert len(sms.text) == 300
    assert sms.text.endswith("缺…")
    assert truncate_sms("x" * 300) == "x" * 300
    assert truncate_sms("x" * 301) == "x" * 299 + "…"


def test_a_new_template_version_is_used_and_the_old_one_kept() -> None:
    admin = UserFactory.create()
    template = MessageTemplate.objects.get(event="case_approved", language="zh-hans", version=1)
    template.sms_text = "【一窗通】{{ number }}已准予许可，请到窗口领取证照。"
    saved = template_save_version(by=admin, template=template)
    assert (saved.version, saved.created_by) == (2, admin)
    assert (
        MessageTemplate.objects.get(event="case_approved", language="zh-hans", version=1).sms_text
        == "办件{{ number }}（{{ item }}）已准予许可。"
    )
    [sms] = enqueue(event="case_approved", phone=PHONE)
    assert (sms.text, sms.template_version) == ("【一窗通】JA-2026-000001已准予许可，请到窗口领取证照。", 2)

    MessageTemplate.objects.filter(pk=saved.pk).update(is_active=False)
    [sms] = enqueue(event="case_approved", phone=PHONE)
    assert (sms.text, sms.template_version) == ("办件JA-2026-000001（食品经营许可）已准予许可。", 1)


def test_falls_back_to_shipped_defaults_without_template_rows() -> None:
    MessageTemplate.objects.all().delete()
    [sms] = enqueue(event="case_accepted", phone=PHONE, language="en")
    assert (sms.text, sms.template_version) == (
        "Case JA-2026-000001 (食品经营许可) was accepted; due by 2026-12-08.",
        0,
    )


def test_phone_is_encrypted_at_rest_and_masked() -> None:
    [sms] = enqueue(event="case_accepted", phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone FROM notifications_message WHERE id = %s",
            [sms.pk.hex if connection.vendor == "sqlite" else sms.pk],
        )
        raw = cursor.fetchone()[0]
    assert PHONE not in raw
    assert raw.count("$") == 1
    assert Message.objects.get(pk=sms.pk).phone == PHONE
    assert sms.phone_masked == "138****5678"
