"""Choices of data sharing (政务数据资源共享, 《上海市政务数据资源共享管理办法》; the three sharing
classes of 国发〔2016〕51号 — the number is to be checked, DOMAIN.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResourceKind(models.TextChoices):
    """资源类型: a dataset (数据集, rows a provider keeps current) or a query service (查询服务)."""

    DATASET = "dataset", _("数据集")
    QUERY = "query", _("查询服务")


class SharingClass(models.TextChoices):
    """共享类型: 无条件共享 (granted at once), 有条件共享 (the provider decides, under stated
    conditions), 不予共享 (never shared; the legal basis is stated)."""

    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NOT_SHARED = "not_shared", _("不予共享")


class UpdateFrequency(models.TextChoices):
    """更新周期 of a resource."""

    REAL_TIME = "real_time", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")
    ON_CHANGE = "on_change", _("按需")


class FieldType(models.TextChoices):
    """The type of one field of a resource (its schema, also used to validate bulk drops)."""

    STRING = "string", _("文本")
    INTEGER = "integer", _("整数")
    DECIMAL = "decimal", _("小数")
    DATE = "date", _("日期")
    BOOLEAN = "boolean", _("是/否")
    CREDIT_CODE = "credit_code", _("统一社会信用代码")
    ID_NUMBER = "id_number", _("身份证件号码")
    REGION = "region", _("行政区划代码")


class ResourceStatus(models.TextChoices):
    """A resource is drafted, published in the catalogue (发布), or withdrawn (撤销)."""

    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤销")


class AdapterKind(models.TextChoices):
    """How the exchange reaches the provider: in this installation's process, or over HTTP to
    another installation's exchange endpoint (or a department's own system)."""

    IN_PROCESS = "in_process", _("本平台")
    HTTP = "http", _("跨平台接口")


class Purpose(models.TextChoices):
    """共享用途: what the consumer uses the data for; a grant names one, and every exchange must
    state the grant's purpose (个人信息保护法 art. 6: purpose limitation)."""

    CASE_HANDLING = "case_handling", _("政务服务办件")
    PREFILL = "prefill", _("申请表预填（减材料）")
    SUPERVISION = "supervision", _("事中事后监管")
    STATISTICS = "statistics", _("统计分析")
    VERIFICATION = "verification", _("信息核验")


class RequestStatus(models.TextChoices):
    """共享申请: submitted → approved (a grant) or refused; the requester may withdraw while it is
    submitted. An unconditional resource's request is approved at once by the system."""

    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")


class RequestAction(models.TextChoices):
    APPROVE = "approve", _("批准")
    REFUSE = "refuse", _("拒绝")
    WITHDRAW = "withdraw", _("撤回")


class GrantStatus(models.TextChoices):
    """授权: active until revoked (an active grant past its end date is expired, computed)."""

    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已撤销")


class ExchangeRole(models.TextChoices):
    """Which side of an exchange this installation's log entry records."""

    CONSUMER = "consumer", _("使用方")
    PROVIDER = "provider", _("提供方")


class ExchangeOutcome(models.TextChoices):
    OK = "ok", _("成功")
    REFUSED = "refused", _("拒绝")
    NOT_FOUND = "not_found", _("无结果")
    TIMEOUT = "timeout", _("超时")
    UNAVAILABLE = "unavailable", _("提供方不可用")
    ERROR = "error", _("错误")


class DropStatus(models.TextChoices):
    """A bulk drop (批量交换文件): received, refused whole (checksum, signature or schema), or loaded
    (some rows may have failed; each failure is reported)."""

    RECEIVED = "received", _("已接收")
    REFUSED = "refused", _("已拒收")
    LOADED = "loaded", _("已加载")
