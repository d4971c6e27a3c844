"""Models of interaction (互动交流管理): online questions, their events, and the FAQ.

A question belongs to the receiving body of a service center (``department``, the same
``core.Department`` that cases are received under, e.g. 临汾路 ``310106021-SQSW``): the center's
clerks and manager hold their staff roles in that department, so staff scope is expressed
without importing ``centers`` (interaction sits below it in the app order).
The asker's phone is personal data: encrypted at rest, shown masked (个人信息保护法 art. 51).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField

from .choices import QuestionAction, QuestionChannel, QuestionStatus


class Question(models.Model):
    """在线问答: a resident's question, with its response deadline in working hours."""

    department = models.ForeignKey("core.Department", verbose_name=_("受理单位"), on_delete=models.PROTECT,
                                   related_name="+")
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("相关事项"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("问题"), max_length=1000)
    asker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提问用户"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    phone = EncryptedTextField(_("联系手机"), blank=True, default="")
    channel = models.CharField(_("渠道"), max_length=10, choices=QuestionChannel.choices,
                               default=QuestionChannel.WEB)
    status = models.CharField(_("状态"), max_length=12, choices=QuestionStatus.choices,
                              default=QuestionStatus.SUBMITTED)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("答复人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(_("答复"), blank=True, default="")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("答复期限"))
    created_at = models.DateTimeField(_("提问时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("在线问答")
        verbose_name_plural = _("在线问答")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status", "due_at"], name="interaction_q_inbox"),
            models.Index(fields=["status", "published_at"], name="interaction_q_public"),
        ]

    def __str__(self) -> str:
        return f"Q{self.pk}"


class QuestionEvent(models.Model):
    """One step of a question's workflow (who, when, from which status to which)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=12, choices=QuestionAction.choices)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True, default="")
    to_status = models.CharField(_("新状态"), max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("说明"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("问答记录")
        verbose_name_plural = _("问答记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.question_id}:{self.action}"


class FaqEntry(models.Model):
    """常见问题: a question and its answer, searchable in Chinese and pinyin, linked to items."""

    department = models.ForeignKey("core.Department", verbose_name=_("发布单位"), on_delete=models.PROTECT,
                                   related_name="+")
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("答复"), max_length=4000)
    question_pinyin = models.CharField(_("问题全拼"), max_length=1500, blank=True, default="")
    question_initials = models.CharField(_("问题拼音首字母"), max_length=300, blank=True, default="")
    items = models.ManyToManyField("catalog.ServiceItem", verbose_name=_("相关事项"), blank=True,
                                   related_name="+")
    sources = models.ManyToManyField(Question, verbose_name=_("来源问题"), blank=True, related_name="faqs")
    is_published = models.BooleanField(_("已发布"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.question[:40]
