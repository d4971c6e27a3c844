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
    "reminder_due",
    "crowd_alert",
)

LANGUAGES: tuple[str, ...] = ("zh-hans", "en")


class ReminderKind(models.TextChoices):
    """提醒管理 (issue #14 part 6): what a reminder is about. Each feeding app owns its kinds."""

    CASE_DEADLINE = "case_deadline", _("办件时限")
    APPOINTMENT = "appointment", _("预约")
    FOLLOWUP = "followup", _("差评回访")
    LICENCE_EXPIRY = "licence_expiry", _("证照到期")
    MATERIAL_EXPIRY = "material_expiry", _("材料到期")
    TRAINING = "training", _("培训")
    QUESTION = "question", _("在线问答")
    ITEM_PROPOSAL = "item_proposal", _("事项调整建议")


class ReminderState(models.TextChoices):
    """open → snoozed (until a time, then open again) → done; or closed by its source (resolved)."""

    OPEN = "open", _("待办")
    SNOOZED = "snoozed", _("已推迟")
    DONE = "done", _("已完成")
    RESOLVED = "resolved", _("已自动关闭")


class ReminderChannel(models.TextChoices):
    """How a user wants reminders delivered (besides the list, which always shows them)."""

    INAPP = "inapp", _("仅站内")
    SMS = "sms", _("站内和短信")
