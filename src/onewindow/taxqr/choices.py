"""Choices of taxqr: statuses and actions of the tax draft and tax record lifecycles (workflow.py),
rate kinds and archive kinds. Plain TextChoices, so the models, the table and the pages share
one label per value."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateKind(models.TextChoices):
    DEED = "deed", _("契税")
    VAT = "vat", _("增值税")
    INCOME = "income", _("个人所得税")


class DraftStatus(models.TextChoices):
    """The status of a client-form draft (房产交易辅助填报)."""

    DRAFT = "draft", _("填写中")
    CODED = "coded", _("已生成二维码")


class DraftAction(models.TextChoices):
    """The actions on a client-form draft (one service each; workflow.DRAFT)."""

    CREATE = "create", _("新建填报")
    SAVE = "save", _("修改填报")
    CODE = "code", _("生成二维码")


class RecordStatus(models.TextChoices):
    """The one status of a captured tax record (房交信息). Not stored: see workflow.RECORD."""

    SAVED = "saved", _("已保存")


class RecordAction(models.TextChoices):
    """The actions on a captured tax record (one service each; workflow.RECORD)."""

    CAPTURE = "capture", _("扫码采集")
    CORRECT = "correct", _("更正")
    ARCHIVE = "archive", _("归档房交信息表")


class ArchiveKind(models.TextChoices):
    SUMMARY_XLSX = "summary_xlsx", _("汇总清单（Excel）")
    SUMMARY_PDF = "summary_pdf", _("汇总清单（PDF）")
    RECORD_PDF = "record_pdf", _("房交信息表（PDF）")
