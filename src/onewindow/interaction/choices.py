"""Choices of interaction: the question's status, the actions on it, the channel it came by."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class QuestionStatus(models.TextChoices):
    """在线问答 status: submitted → assigned → answered → published | closed."""

    SUBMITTED = "submitted", _("待分派")
    ASSIGNED = "assigned", _("待答复")
    ANSWERED = "answered", _("已答复")
    PUBLISHED = "published", _("已公开")
    CLOSED = "closed", _("已关闭")


class QuestionAction(models.TextChoices):
    SUBMIT = "submit", _("提问")
    ASSIGN = "assign", _("分派")
    ANSWER = "answer", _("答复")
    PUBLISH = "publish", _("公开")
    CLOSE = "close", pgettext_lazy("question action", "关闭")


class QuestionChannel(models.TextChoices):
    WEB = "web", _("网站")
    WECHAT = "wechat", _("微信（美好临汾）")


#: Statuses in which a question still waits for its answer (counted as open, reminded).
OPEN_STATUSES = (QuestionStatus.SUBMITTED, QuestionStatus.ASSIGNED)
