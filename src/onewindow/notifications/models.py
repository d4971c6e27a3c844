"""Models of notifications (消息通知): the outbox, its delivery record and the message templates.

GOV.UK Notify is the model: every change an applicant must learn of writes a :class:`Message`
row (出站消息) in the same transaction as the change, so a rolled-back change sends nothing;
workers deliver SMS rows afterwards and record each try as a :class:`DeliveryAttempt`.
In-app messages (站内消息) are delivered by being written. :class:`MessageTemplate` (消息模板)
holds the staff-editable texts per event and language, versioned.
Phones are personal information (PIPL art. 28, 51): stored encrypted, shown masked.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField
from onewindow.core.masking import mask_phone

from .choices import (
    EVENTS,
    LANGUAGES,
    AttemptOutcome,
    Channel,
    MessageStatus,
    ReminderChannel,
    ReminderKind,
    ReminderState,
)


class MessageTemplate(models.Model):
    """The texts of one event in one language (消息模板), one row per version.

    Edited by system administrators in the admin; each save writes a new version and the newest
    active version is used, so a message always names the exact text it was rendered from.
    Django template syntax (``{{ number }}``); a missing key renders empty. An empty SMS text means
    the event is never sent by SMS.
    """

    event = models.CharField(_("事件"), max_length=64, choices=[(e, e) for e in EVENTS])
    language = models.CharField(_("语言"), max_length=10, choices=[(lang, lang) for lang in LANGUAGES])
    version = models.PositiveIntegerField(_("版本"), default=1)
    sms_text = models.TextField(_("短信内容"), blank=True, help_text=_("留空则此事件不发短信；超过 300 字将被截断。"))
    inapp_title = models.CharField(_("站内消息标题"), max_length=200)
    inapp_text = models.TextField(_("站内消息内容"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        ordering = ["event", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "language", "version"], name="notifications_template_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} [{self.language}] v{self.version}"


class Message(models.Model):
    """One message to one recipient on one channel (出站消息), the outbox row.

    Written by ``services.message_enqueue`` inside the caller's transaction. ``id`` is a UUID that
    goes to the SMS gateway with every try, so the gateway can drop a duplicate after a timeout.
    Lifecycle of an SMS: pending → sending (claimed by one worker, ``claimed_at`` is its lease) →
    sent | failed (``next_attempt_at``) | dead. An in-app message is sent when written and gets
    ``read_at`` when its user opens it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(_("事件"), max_length=64)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    phone = EncryptedTextField(_("手机号码"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收用户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    subject_type = models.CharField(_("关联对象类型"), max_length=40, blank=True)
    subject_id = models.CharField(_("关联对象编号"), max_length=64, blank=True)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    template_version = models.PositiveIntegerField(_("模板版本"), default=0)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    text = models.TextField(_("内容"))
    status = models.CharField(_("状态"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="notif_msg_subject_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="notif_msg_due_idx"),
            models.Index(fields=["user", "channel", "read_at"], name="notif_msg_inbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="notifications_message_status_valid"
            ),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="notifications_message_channel_valid"),
            models.CheckConstraint(
                condition=Q(channel="sms") | Q(user__isnull=False), name="notifications_message_inapp_has_user"
            ),
            models.CheckConstraint(
                condition=~Q(channel="sms") | ~Q(phone=""), name="notifications_message_sms_has_phone"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="notifications_message_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_at__isnull=False),
                name="notifications_message_sending_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.channel} {self.id}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class DeliveryAttempt(models.Model):
    """One try to hand a message to the SMS gateway (投递记录): when, the outcome, the HTTP status.

    Written by the worker after each try; together they are the delivery status of the message.
    """

    message = models.ForeignKey(
        Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    number = models.PositiveIntegerField(_("第几次"))
    backend = models.CharField(_("发送通道"), max_length=20)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"))
    outcome = models.CharField(_("结果"), max_length=10, choices=AttemptOutcome.choices)
    http_status = models.PositiveSmallIntegerField(_("HTTP 状态码"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        ordering = ["message", "started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=AttemptOutcome.values), name="notifications_attempt_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number} {self.outcome}"


class Reminder(models.Model):
    """提醒: one thing due for one user (提醒管理, issue #14 part 6).

    Written only by ``notifications.services.reminder_upsert`` / ``reminder_resolve`` (called by the
    feeding apps: cases, centers, ratings, training, interaction, analytics) and by the user's
    snooze and done. ``source_key`` names the fact that raised it (``"case:123:decision"``); a
    feeder upserts by (user, source_key), so a periodic sync never duplicates. ``link`` is a path
    inside this site (never an outside URL). ``sent_at`` records the SMS/in-app delivery per the
    user's :class:`ReminderPreference`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="reminders")
    kind = models.CharField(_("类别"), max_length=20, choices=ReminderKind.choices)
    source_key = models.CharField(_("来源"), max_length=100)
    title = models.CharField(_("标题"), max_length=200)
    detail = models.CharField(_("说明"), max_length=500, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=ReminderState.choices, default=ReminderState.OPEN)
    snoozed_until = models.DateTimeField(_("推迟至"), null=True, blank=True)
    sent_at = models.DateTimeField(_("已通知时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["state", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "source_key"], name="notifications_reminder_unique_source"),
            models.CheckConstraint(condition=Q(kind__in=ReminderKind.values), name="notifications_reminder_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=ReminderState.values),
                                   name="notifications_reminder_state_valid"),
            models.CheckConstraint(condition=~Q(state="snoozed") | Q(snoozed_until__isnull=False),
                                   name="notifications_reminder_snooze_has_time"),
        ]
        indexes = [models.Index(fields=["user", "state", "due_at"], name="notifications_reminder_inbox")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.source_key}"


class ReminderPreference(models.Model):
    """A user's choice of how reminders reach them (in-app only, or also SMS); absent = in-app."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                                related_name="reminder_preference")
    channel = models.CharField(_("提醒方式"), max_length=10, choices=ReminderChannel.choices,
                               default=ReminderChannel.INAPP)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("提醒方式")
        verbose_name_plural = _("提醒方式")
        constraints = [models.CheckConstraint(condition=Q(channel__in=ReminderChannel.values),
                                              name="notifications_reminder_channel_valid")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.channel}"
