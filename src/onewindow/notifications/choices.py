"""Choices of notifications: channels, message statuses, attempt outcomes and the known events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    INAPP = "inapp", _("站内消息")


class MessageStatus(models.TextChoices):
    """pending → sending (claimed by one worker) → sent | failed (retry later) | dead (given up)."""

    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败待重试")
    DEAD = "dead", _("已放弃")


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("网关已确认")
    RETRY = "retry", _("稍后重试")
    DEAD = "dead", _("永久失败")


#: Every event that may write an outbox row. Callers name one of these; another name is a
#: programming error (ValueError). The texts live in MessageTemplate (seeded from defaults.py).
EVENTS: tuple[str, ...] = (
    "case_submitted",
    "case_correction_requested",
    "case_accepted",
    "case_not_accepted",
    "case_forwarded",
    "case_suspended",
    "case_resumed",
    "case_extended",
    "case_approved",
    "case_rejected",
    "case_delivered",
    "case_withdrawn",
    "case_deemed_accepted",
    "case_deadline_postponed",
    "deadline_warning",
    "deadline_overdue",
    "appointment_booked",
    "appointment_reminder",
    "ticket_near",
    "ticket_called",
    "rating_followup_due",
    "phone_code",
    "unmask_rate_alert",
    "service_rating",
    "dual_notice_task_new",
    "dual_notice_deadline_warning",
    "dual_notice_overdue",
    "dual_notice_to_entity",
    "supervision_alert_reminder",
)

LANGUAGES: tuple[str, ...] = ("zh-hans", "en")
