"""Models of the housing-transaction capture (房交信息采集系统, issue #5).

Taxpayer side: :class:`ClientDraft` (the client form, 房产交易辅助). Tax side: :class:`TaxBureau`
(the bureaus whose windows capture), :class:`TaxRecord` (房交信息, the captured record with its
档案号), :class:`RecordCorrection` (audited staff corrections) and :class:`ArchiveFile`
(资料归档 index). :class:`RateRow` holds the staff-editable tax rate tables (税率表).
:class:`TaxDraftEvent` and :class:`TaxRecordEvent` are the timelines of the two lifecycles
(workflow.py): one row per action, written with its audit entry.
Personal data (ID numbers, phones) is only ever stored encrypted (EncryptedTextField).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField

from .choices import ArchiveKind, DraftAction, DraftStatus, RateKind, RecordAction


class TaxBureau(models.Model):
    """A tax bureau (税务机关) whose window captures housing-transaction records.

    Links a core.Department (e.g. 国家税务总局上海市静安区税务局) to the short code used in its
    archive numbers (``JA`` → ``JA-2017-000045``). Window clerks and reviewers of that department
    capture and list the bureau's records (税收征收管理法 art. 5: the tax authorities administer
    collection within their jurisdiction).
    """

    department = models.OneToOneField("core.Department", verbose_name=_("部门"), on_delete=models.PROTECT,
                                      related_name="tax_bureau")
    short_code = models.CharField(_("档案号简码"), max_length=4, unique=True,
                                  validators=[RegexValidator(r"^[A-Z]{2,4}$")])

    class Meta:
        verbose_name = _("税务机关")
        verbose_name_plural = _("税务机关")
        ordering = ["short_code"]

    def __str__(self) -> str:
        return f"{self.department.name} ({self.short_code})"


class RateRow(models.Model):
    """One row of the tax rate tables (税率表) with its effective dates, edited by tax staff.

    Deed tax rows use ``home_rank``/``max_area``/``rate``; VAT rows ``rate`` (held < 2 years) and the
    two long-holding rates; income-tax rows the deemed rates (核定征收率). Seeded from tax.SEED
    (DOMAIN.md §6: 财税〔2016〕23号, 36号, 公告2024年第16号, 公告2025年第17号); rows marked not
    confirmed are shown as such. The estimate engine uses these rows, or tax.SEED while empty.
    """

    kind = models.CharField(_("税种"), max_length=10, choices=RateKind.choices)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"))
    home_rank = models.PositiveSmallIntegerField(_("家庭第几套住房"), null=True, blank=True)
    max_area = models.DecimalField(_("面积上限（平方米）"), max_digits=8, decimal_places=2, null=True, blank=True)
    rate = models.DecimalField(_("税率/征收率"), max_digits=6, decimal_places=4)
    rate_long_ordinary = models.DecimalField(_("满2年普通住房征收率"), max_digits=6, decimal_places=4,
                                             null=True, blank=True)
    rate_long_non_ordinary = models.DecimalField(_("满2年非普通住房征收率"), max_digits=6, decimal_places=4,
                                                 null=True, blank=True)
    rate_non_ordinary = models.DecimalField(_("非普通住房核定征收率"), max_digits=6, decimal_places=4,
                                            null=True, blank=True)
    basis = models.CharField(_("政策依据"), max_length=200)
    confirmed = models.BooleanField(_("依据已确认"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("更新人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("税率表")
        verbose_name_plural = _("税率表")
        ordering = ["kind", "valid_from", "home_rank", "max_area"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RateKind.values), name="taxqr_raterow_kind_valid"),
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")),
                                   name="taxqr_raterow_period_ordered"),
            models.CheckConstraint(condition=~Q(kind="deed") | Q(home_rank__isnull=False),
                                   name="taxqr_raterow_deed_has_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.valid_from}–{self.valid_to} {self.rate}"


class ClientDraft(models.Model):
    """A transaction being filled in the client form (房产交易辅助) by a taxpayer or an agency clerk.

    Only its owner sees it. The form data holds ID numbers and phones, so it is stored encrypted
    as a whole (个人信息保护法 art. 51). Once coded, it keeps the code texts, the rule-set version
    that validated it and the envelope hash; editing it again returns it to draft.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填写人"), on_delete=models.PROTECT,
                              related_name="taxqr_drafts")
    organization = models.ForeignKey("accounts.Organization", verbose_name=_("房产经纪机构"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="taxqr_drafts")
    status = models.CharField(_("状态"), max_length=10, choices=DraftStatus.choices, default=DraftStatus.DRAFT)
    data_encrypted = EncryptedTextField(_("填报内容（加密）"))
    certificate_no = models.CharField(_("产权证号"), max_length=60, blank=True)
    codes = models.JSONField(_("二维码文本"), default=list, blank=True)
    ruleset_version = models.CharField(_("校验规则版本"), max_length=20, blank=True)
    coded_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("房产交易辅助填报")
        verbose_name_plural = _("房产交易辅助填报")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DraftStatus.values), name="taxqr_draft_status_valid"),
            models.CheckConstraint(condition=Q(status="draft") | Q(coded_at__isnull=False),
                                   name="taxqr_draft_coded_has_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.certificate_no}"

    @property
    def data(self) -> dict[str, Any]:
        value = json.loads(self.data_encrypted or "{}")
        return value if isinstance(value, dict) else {}


class TaxRecord(models.Model):
    """A captured housing-transaction record (房交信息) at a tax window, with its archive number.

    Written only by ``record_capture`` after the clerk confirmed the decoded, verified and
    re-validated code. Searchable columns hold no personal data beyond masked names; the full
    record (with ID numbers) is stored encrypted. The same code cannot be saved twice (envelope
    hash), and the same transaction (certificate number + contract date) only once. The archive
    number (档案号) ``<bureau>-<year>-<6 digits>`` is unique and gap-free per bureau and year.
    Basis: 税收征收管理法 art. 15-24 (涉税信息), 实施细则 art. 29 (retention 10 years).
    """

    bureau = models.ForeignKey(TaxBureau, verbose_name=_("税务机关"), on_delete=models.PROTECT,
                               related_name="records")
    archive_no = models.CharField(_("档案号"), max_length=20, unique=True)
    certificate_no = models.CharField(_("产权证号"), max_length=60)
    contract_date = models.DateField(_("合同签订日期"))
    district_code = models.CharField(_("区"), max_length=12)
    street_code = models.CharField(_("街道"), max_length=12, blank=True)
    address = models.CharField(_("房屋坐落"), max_length=200)
    area = models.DecimalField(_("建筑面积（平方米）"), max_digits=10, decimal_places=2)
    price = models.DecimalField(_("合同价格（元）"), max_digits=14, decimal_places=2)
    agency_name = models.CharField(_("房产经纪机构"), max_length=200, blank=True)
    agency_credit_code = models.CharField(_("经纪机构统一社会信用代码"), max_length=18, blank=True)
    parties_masked = models.CharField(_("交易双方（脱敏）"), max_length=200, blank=True)
    record_encrypted = EncryptedTextField(_("完整记录（加密）"))
    estimate_total = models.DecimalField(_("税费试算合计（元）"), max_digits=14, decimal_places=2, null=True,
                                         blank=True)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    envelope_hash = models.CharField(_("二维码摘要"), max_length=64, unique=True)
    ruleset_version = models.CharField(_("校验规则版本"), max_length=20)
    signing_kid = models.CharField(_("签名密钥编号"), max_length=32)
    issued_at = models.DateTimeField(_("二维码生成时间"))
    window = models.CharField(_("窗口"), max_length=20, blank=True)
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="taxqr_records")
    first_scan_at = models.DateTimeField(_("首次扫码时间"))
    saved_at = models.DateTimeField(_("保存时间"))

    class Meta:
        verbose_name = _("房交信息")
        verbose_name_plural = _("房交信息")
        ordering = ["-saved_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["certificate_no", "contract_date"], name="taxqr_record_unique_deal"),
            models.CheckConstraint(condition=Q(first_scan_at__lte=models.F("saved_at")),
                                   name="taxqr_record_scan_before_save"),
        ]
        indexes = [models.Index(fields=["bureau", "saved_at"]), models.Index(fields=["street_code"])]

    def __str__(self) -> str:
        return self.archive_no

    @property
    def record(self) -> dict[str, Any]:
        value = json.loads(self.record_encrypted or "{}")
        return value if isinstance(value, dict) else {}


class RecordCorrection(models.Model):
    """A correction of a captured record by tax staff (更正记录): field, masked before/after, reason.

    Corrections are appended, never edited; each has an audit entry (ARCHITECTURE rule 3).
    """

    record = models.ForeignKey(TaxRecord, verbose_name=_("房交信息"), on_delete=models.PROTECT,
                               related_name="corrections")
    field = models.CharField(_("字段"), max_length=100)
    before_masked = models.CharField(_("更正前（脱敏）"), max_length=200, blank=True)
    after_masked = models.CharField(_("更正后（脱敏）"), max_length=200, blank=True)
    reason = models.CharField(_("更正原因"), max_length=200)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("更正人"), on_delete=models.PROTECT,
                                     related_name="+")
    corrected_at = models.DateTimeField(_("更正时间"), default=timezone.now)

    class Meta:
        verbose_name = _("更正记录")
        verbose_name_plural = _("更正记录")
        ordering = ["-corrected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.record} {self.field}"


class ArchiveFile(models.Model):
    """An entry of the archive index (资料归档): one file made from captured records.

    Kept with its checksum and a retention date: 10 years (税收征收管理法实施细则 art. 29: 账簿、
    记账凭证、完税凭证及其他有关资料应当保存10年).
    """

    bureau = models.ForeignKey(TaxBureau, verbose_name=_("税务机关"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="archive_files")
    kind = models.CharField(_("类别"), max_length=20, choices=ArchiveKind.choices)
    reference = models.CharField(_("归档编号"), max_length=100)
    day = models.DateField(_("业务日期"), null=True, blank=True)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("记录数"), default=0)
    path = models.CharField(_("文件路径"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    retention_until = models.DateField(_("保管期限至"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("归档人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("归档时间"), default=timezone.now)

    class Meta:
        verbose_name = _("归档文件")
        verbose_name_plural = _("归档文件")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ArchiveKind.values), name="taxqr_archivefile_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


class TaxRecordParty(models.Model):
    """A party of a tax record (交易当事人: seller, buyer, a buyer's spouse or child), found by the
    keyed hash of their ID number — never the number itself, which stays in the encrypted record.

    It answers one question with one indexed query: is this person (accounts.Person, by the same
    keyed hash) a party to a record of the viewer's bureau? That puts the person in the bureau
    staff's unmask scope (accounts.scope, docs/decisions/0007; 个人信息保护法 art. 6)."""

    record = models.ForeignKey(TaxRecord, verbose_name=_("房交信息"), on_delete=models.CASCADE,
                               related_name="parties")
    role = models.CharField(_("身份"), max_length=10)
    id_number_hash = models.CharField(_("证件号码检索值"), max_length=100, db_index=True)

    class Meta:
        verbose_name = _("交易当事人")
        verbose_name_plural = _("交易当事人")
        constraints = [models.UniqueConstraint(fields=["record", "role", "id_number_hash"],
                                               name="taxqr_party_unique")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.role}"


class TaxDraftEvent(models.Model):
    """填报过程记录: one step of a draft's timeline (created, saved, coded), append-only.

    Written by the draft service of each action in the transaction of the change and its audit
    entry (ARCHITECTURE rule 3). It holds no form data: the draft's content stays encrypted in the
    draft (个人信息保护法 art. 51). These rows are the facts analytics reads (how often a form is
    coded, re-edited after coding) — ARCHITECTURE data-model decision 8.
    """

    draft = models.ForeignKey(ClientDraft, verbose_name=_("填报"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=DraftAction.choices)
    from_status = models.CharField(_("原状态"), max_length=10, choices=DraftStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10, choices=DraftStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("填报过程记录")
        verbose_name_plural = _("填报过程记录")
        ordering = ["draft_id", "id"]
        indexes = [models.Index(fields=["draft", "id"], name="taxqr_draftevent_draft")]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=DraftAction.values), name="taxqr_draftevent_action_valid"),
            models.CheckConstraint(condition=Q(to_status__in=DraftStatus.values),
                                   name="taxqr_draftevent_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} → {self.get_to_status_display()}"


class TaxRecordEvent(models.Model):
    """房交信息处理记录: one step of a captured record's timeline (captured, corrected, its sheet
    archived), append-only.

    A record has one status (已保存, workflow.RECORD), so the event names the action, not a status
    change. Written with the audit entry in the action's transaction; ``data`` holds no personal
    data (the window, the corrected field's path, the archive reference). Basis: 税收征收管理法
    实施细则 art. 29 (records kept 10 years, with their history).
    """

    record = models.ForeignKey(TaxRecord, verbose_name=_("房交信息"), on_delete=models.CASCADE,
                               related_name="events")
    action = models.CharField(_("操作"), max_length=20, choices=RecordAction.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("房交信息处理记录")
        verbose_name_plural = _("房交信息处理记录")
        ordering = ["record_id", "id"]
        indexes = [models.Index(fields=["record", "id"], name="taxqr_recordevent_record")]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=RecordAction.values),
                                   name="taxqr_recordevent_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.get_action_display()}"
