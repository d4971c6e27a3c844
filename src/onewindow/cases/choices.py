"""Enumerations of case handling (办件): statuses, actions, channels, clocks and documents.

Sources: 行政许可法 arts. 32, 42, 44, 45, 82 (DOMAIN.md §2) for the steps and clocks.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    """办件状态. Open statuses keep clocks running; final ones end the case."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    PRE_REVIEW = "pre_review", _("网上预审中")
    CORRECTION = "correction", _("待补正")
    ACCEPTED = "accepted", _("已受理")
    FORWARDED = "forwarded", _("已转报")
    UNDER_REVIEW = "under_review", _("审查中")
    SUSPENDED = "suspended", _("特别程序中")
    APPROVED = "approved", _("准予许可")
    REJECTED = "rejected", _("不予许可")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    DELIVERED = "delivered", _("已送达")
    WITHDRAWN = "withdrawn", _("已撤回")


#: Statuses in which a decision has been made (办结).
DECIDED = frozenset({CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.DELIVERED})
#: Statuses that end the case: nothing but rating happens afterwards.
FINAL = frozenset({CaseStatus.DELIVERED, CaseStatus.NOT_ACCEPTED, CaseStatus.WITHDRAWN})
#: Statuses after which the applicant may rate the case (好差评 一事一评: after it concludes).
RATEABLE = frozenset({CaseStatus.DELIVERED, CaseStatus.NOT_ACCEPTED, CaseStatus.APPROVED, CaseStatus.REJECTED})


class CaseAction(models.TextChoices):
    """The actions of the case workflow (one service each in services.py)."""

    CREATE = "create", _("创建申请")
    SUBMIT = "submit", _("提交申请")
    START_PRE_REVIEW = "start_pre_review", _("开始预审")
    REQUEST_CORRECTION = "request_correction", _("一次性告知补正")
    RESUBMIT = "resubmit", _("补正后重新提交")
    ACCEPT = "accept", _("受理")
    DEEM_ACCEPTED = "deem_accepted", _("逾期未告知补正，视为受理")
    REFUSE = "refuse", _("不予受理")
    FORWARD = "forward", _("转报承办部门")
    START_REVIEW = "start_review", _("开始审查")
    SUSPEND = "suspend", _("进入特别程序")
    RESUME = "resume", _("特别程序结束")
    EXTEND = "extend", _("延长审查期限")
    APPROVE = "approve", _("准予许可")
    REJECT = "reject", _("不予许可")
    DELIVER = "deliver", _("送达结果")
    WITHDRAW = "withdraw", _("撤回申请")
    REASSIGN = "reassign", _("改派经办人")
    RECALCULATE = "deadline_recalculated", _("期限随工作日历调整")
    RATE = "rate", _("评价")


class CaseChannel(models.TextChoices):
    """受理渠道 recorded on the case (the same codes as the catalog's item channels)."""

    ONLINE = "online", _("网上办理")
    WINDOW = "window", _("窗口办理")
    KIOSK = "kiosk", _("自助终端")
    WECHAT = "wechat", _("微信")
    APPOINTMENT = "appointment", _("网上预约")


class ClockKind(models.TextChoices):
    """The statutory clocks of a case (行政许可法)."""

    CORRECTION = "correction", _("补正告知期限")  # art. 32(4): 5 working days from receipt
    DECISION = "decision", _("审查决定期限")  # art. 42: 20 working days (+10) from acceptance
    DELIVERY = "delivery", _("送达期限")  # art. 44: 10 working days from the decision


class ClockLevel(models.TextChoices):
    """Deadline warning (预警): green in time, yellow at 80 % of the limit, red when overdue."""

    GREEN = "green", _("正常")
    YELLOW = "yellow", _("临近到期")
    RED = "red", _("已超期")


class SuspensionBasis(models.TextChoices):
    """Periods not counted in the decision limit (行政许可法 art. 45)."""

    HEARING = "hearing", _("听证")
    TENDER = "tender", _("招标")
    AUCTION = "auction", _("拍卖")
    INSPECTION = "inspection", _("检验")
    TESTING = "testing", _("检测")
    QUARANTINE = "quarantine", _("检疫")
    APPRAISAL = "appraisal", _("鉴定")
    EXPERT_REVIEW = "expert_review", _("专家评审")


class RefusalReason(models.TextChoices):
    """不予受理的情形 (行政许可法 art. 32(1), 32(2)) and incomplete materials never corrected."""

    NOT_REQUIRED = "not_required", _("申请事项依法不需要取得行政许可")
    NOT_COMPETENT = "not_competent", _("申请事项不属于本机关职权范围")
    NOT_CORRECTED = "not_corrected", _("申请人未按要求补正材料")
    OTHER = "other", _("其他法定情形")


class DeliveryMethod(models.TextChoices):
    """送达方式 (行政许可法 art. 44)."""

    WINDOW = "window", _("窗口领取")
    MAIL = "mail", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子证照")


class DocumentKind(models.TextChoices):
    """Numbered documents (文书) a case produces."""

    RECEIPT = "receipt", _("受理通知书")
    NON_ACCEPTANCE = "non_acceptance", _("不予受理决定书")
    CORRECTION = "correction", _("补正材料通知书")
    SUSPENSION = "suspension", _("特别程序告知书")
    EXTENSION = "extension", _("延长期限告知书")
    APPROVAL = "approval", _("准予行政许可决定书")
    REJECTION = "rejection", _("不予行政许可决定书")


class PrefillOutcome(models.TextChoices):
    """What one shared resource gave an online application's pre-fill (申请表预填, 减材料; issue #13
    part 5). Only ``filled`` fills fields or proves materials; every other outcome leaves the
    applicant to type or upload, and the page says why."""

    FILLED = "filled", _("已预填")
    NO_GRANT = "no_grant", _("未获共享授权")
    NO_KEY = "no_key", _("不适用于该申请人")
    NOT_FOUND = "not_found", _("共享数据中无记录")
    REFUSED = "refused", _("共享交换被拒绝")
    FAILED = "failed", _("共享数据暂不可用")
