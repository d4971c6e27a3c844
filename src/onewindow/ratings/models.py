"""The rating (好差评) of a case or a window service: one each (一事一评 / 一次一评)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import BAD_LEVELS, FollowUpAction, FollowUpStatus, RatingChannel, RatingLevel, SubjectType


class Rating(models.Model):
    """好差评: a rating on the five national levels with an optional comment (国办发〔2019〕51号; GB/T
    39734-2020 "一次一评""一事一评"). Exactly one per subject (a case, or a window service of the
    service-center issue): the unique constraint makes a second rating impossible even under
    concurrent submissions. ``department`` is the evaluated body, ``staff`` the evaluated clerk.
    Actor: the applicant, from any channel (web, WeChat, SMS link, rating pad, kiosk).
    """

    subject_type = models.CharField(_("评价对象类别"), max_length=10, choices=SubjectType.choices)
    subject_id = models.CharField(_("评价对象"), max_length=64)
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=RatingLevel.choices)
    score = models.PositiveSmallIntegerField(_("分值"))
    comment = models.CharField(_("评价内容"), max_length=500, blank=True)
    channel = models.CharField(_("评价渠道"), max_length=10, choices=RatingChannel.choices)
    department = models.ForeignKey("core.Department", verbose_name=_("被评价单位"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="ratings")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("被评价工作人员"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="ratings_received")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评价人账号"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="ratings_given")
    rater_person = models.ForeignKey("accounts.Person", verbose_name=_("评价人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="ratings")
    created_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], name="ratings_one_per_subject"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="ratings_level_valid"),
            models.CheckConstraint(condition=Q(subject_type__in=SubjectType.values), name="ratings_subject_valid"),
            models.CheckConstraint(condition=Q(channel__in=RatingChannel.values), name="ratings_channel_valid"),
        ]
        indexes = [models.Index(fields=["department", "created_at"], name="ratings_department_time")]

    def __str__(self) -> str:
        return f"{self.get_subject_type_display()} {self.subject_id}: {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        """差评: 不满意 or 非常不满意 (R3.2)."""
        return self.level in BAD_LEVELS


class FollowUp(models.Model):
    """差评回访整改: every bad rating (不满意 / 非常不满意) opens a follow-up that the evaluated body
    must handle — investigate and contact the person, fix, reply (调查核实、督促整改、反馈, 国办发
    〔2019〕51号) — by ``due_date``, counted in working days (RATINGS_FOLLOWUP_WORKING_DAYS; DOMAIN.md
    R3.3 has only local examples, 5 to 15 days, so it is configurable). Actor: the center manager or
    department admin of ``department``."""

    Status = FollowUpStatus  # the choices live in choices.py

    rating = models.OneToOneField(Rating, verbose_name=_("评价"), on_delete=models.PROTECT, related_name="followup")
    department = models.ForeignKey("core.Department", verbose_name=_("责任单位"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="rating_followups")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    due_date = models.DateField(_("办结期限"))
    contacted_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    contact_note = models.CharField(_("回访情况"), max_length=1000, blank=True)
    fix_note = models.CharField(_("整改措施"), max_length=1000, blank=True)
    reply = models.CharField(_("答复内容"), max_length=1000, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    reminded_on = models.DateField(_("最近提醒"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("差评回访")
        verbose_name_plural = _("差评回访")
        ordering = ["status", "due_date", "id"]
        constraints = [models.CheckConstraint(condition=Q(status__in=FollowUpStatus.values),
                                              name="ratings_followup_status_valid")]

    def __str__(self) -> str:
        return f"{self.rating} → {self.get_status_display()}"


class FollowUpEvent(models.Model):
    """差评回访记录: one row per step of a follow-up — opened by the bad rating, contacted, closed,
    reminded — appended by the service that takes the step, in its transaction, beside the audit
    entry (ARCHITECTURE rule 3). They are the follow-up's timeline and the facts analytics reads
    (国办发〔2019〕51号 uses 差评 handling in performance assessment, DOMAIN.md R3.1). ``actor`` is the
    user who acted (empty for the system and devices); ``actor_label`` names the system job, the
    device or the staff login, never a rater's identity. Rows are only ever added."""

    followup = models.ForeignKey(FollowUp, verbose_name=_("差评回访"), on_delete=models.PROTECT,
                                 related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=FollowUpAction.choices)
    from_status = models.CharField(_("原状态"), max_length=10, blank=True,
                                   help_text=_("差评转办时为空"))
    to_status = models.CharField(_("新状态"), max_length=10, choices=FollowUpStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人账号"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=150, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("差评回访记录")
        verbose_name_plural = _("差评回访记录")
        ordering = ["followup_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=FollowUpAction.values),
                                   name="ratings_followupevent_action_valid"),
            models.CheckConstraint(condition=Q(to_status__in=FollowUpStatus.values)
                                   & Q(from_status__in=[*FollowUpStatus.values, ""]),
                                   name="ratings_followupevent_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.followup_id}: {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Events are facts: only inserts are allowed."""
        if self.pk is not None and not self._state.adding:
            raise ValueError("FollowUpEvent rows are never changed")
        super().save(*args, **kwargs)
