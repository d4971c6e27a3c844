"""信息归集: the records of every department pooled under an entity's credit code (issue #11 part 3).

The licences, filings, penalties and inspection results that departments hold separately are
pooled under the entity's unified social credit code (统一记于企业名下, DOMAIN.md §5, GB 32100-2015),
so every supervising department sees them on one page (信息共享, issue #11 part 4).

- :class:`PooledRecord` is one row per (source department, source record id): a second delivery
  of the same id with the same content changes nothing, with other content it is a correction
  (a new :class:`RecordRevision`, the row updated); a revocation (撤销) keeps the row, with status
  revoked. One table with typed columns for the four kinds, so that the timeline, the facet counts
  and the matching queue are plain indexed queries.
- A record whose credit code is not (yet) in the registry keeps ``entity`` empty and waits in the
  matching queue (待匹配); it is never dropped, and is attached once the entity registers.
- :class:`Objection` (异议): the entity objects to a record; the source department answers within
  ``MARKET_OBJECTION_DAYS`` working days.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    DisclosureStatus,
    InspectionResult,
    ObjectionStatus,
    PenaltyKind,
    RecordChannel,
    RecordKind,
    RecordStatus,
    RevisionAction,
)


class PooledRecord(models.Model):
    """归集信息: one licence (行政许可), filing (备案), penalty (行政处罚) or inspection result (检查结果)
    that a department (``department``, 来源部门) delivered under a credit code.

    Actor: the source department's data clerk (数据报送员), by API or spreadsheet, or the platform
    itself for licences of its own approved cases. Only the source department corrects or revokes
    its records (谁产生、谁负责). Columns by kind:

    - licence: ``number`` = 许可决定文书号, ``title`` = licence name, ``item`` = the catalog item
      where one exists, ``record_date`` = 许可决定日期, ``valid_from`` / ``valid_to``; the issuing
      department is the source department.
    - filing: ``number`` = 备案编号, ``record_date`` = 备案日期.
    - penalty: ``number`` = 行政处罚决定书文号, ``legal_basis``, ``penalty_kinds`` (a list of
      :class:`~onewindow.market.choices.PenaltyKind`, 行政处罚法 art. 9), ``amount`` (yuan),
      ``record_date`` = 处罚决定日期, ``disclosure``.
    - inspection: ``record_date`` = 检查日期, ``inspection_result``, ``inspector_department``
      (检查实施机关; a joint inspection may be run by another department than the one reporting).

    Provenance on every row: the department, ``channel``, ``received_at``, ``received_by``,
    ``source_id`` and ``batch_id``.
    """

    kind = models.CharField(_("信息类别"), max_length=12, choices=RecordKind.choices)
    department = models.ForeignKey(
        "core.Department", verbose_name=_("来源部门"), on_delete=models.PROTECT, related_name="pooled_records"
    )
    source_id = models.CharField(_("来源记录编号"), max_length=64)
    credit_code = models.CharField(_("统一社会信用代码（报送值）"), max_length=18, db_index=True)
    entity_name = models.CharField(_("主体名称（报送值）"), max_length=200, blank=True)
    entity = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("市场主体"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pooled_records",
    )
    status = models.CharField(_("状态"), max_length=12, choices=RecordStatus.choices, default=RecordStatus.ACTIVE)
    title = models.CharField(_("名称"), max_length=200, blank=True)
    number = models.CharField(_("文号或编号"), max_length=100, blank=True)
    record_date = models.DateField(_("决定或发生日期"))
    item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name=_("许可事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_to = models.DateField(_("有效期至"), null=True, blank=True)
    legal_basis = models.TextField(_("处罚依据"), blank=True)
    penalty_kinds = models.JSONField(_("处罚种类"), default=list, blank=True)
    amount = models.DecimalField(_("罚没金额（元）"), max_digits=16, decimal_places=2, null=True, blank=True)
    disclosure = models.CharField(_("公示状态"), max_length=12, choices=DisclosureStatus.choices, blank=True)
    inspection_result = models.CharField(_("检查结果"), max_length=16, choices=InspectionResult.choices, blank=True)
    inspector_department = models.ForeignKey(
        "core.Department",
        verbose_name=_("检查实施机关"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    content_hash = models.CharField(_("内容摘要"), max_length=64, editable=False)
    revision = models.PositiveIntegerField(_("版本"), default=1)
    # provenance (来源)
    channel = models.CharField(_("归集渠道"), max_length=8, choices=RecordChannel.choices)
    batch_id = models.CharField(_("批次号"), max_length=40)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    matched_at = models.DateTimeField(_("匹配时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("归集信息")
        verbose_name_plural = _("归集信息")
        ordering = ["-record_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "source_id"], name="market_record_one_per_source"),
            models.CheckConstraint(condition=Q(kind__in=RecordKind.values), name="market_record_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=RecordStatus.values), name="market_record_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=RecordChannel.values), name="market_record_channel_valid"),
            models.CheckConstraint(
                condition=Q(disclosure="") | Q(disclosure__in=DisclosureStatus.values),
                name="market_record_disclosure_valid",
            ),
            models.CheckConstraint(
                condition=Q(inspection_result="") | Q(inspection_result__in=InspectionResult.values),
                name="market_record_inspection_result_valid",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="market_record_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="market_record_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["entity", "-record_date", "-id"], name="market_record_timeline"),
            models.Index(fields=["entity", "kind", "department"], name="market_record_facets"),
            models.Index(fields=["received_at"], condition=Q(entity__isnull=True), name="market_record_unmatched"),
            models.Index(fields=["department", "kind", "-received_at"], name="market_record_by_department"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.source_id} ({self.credit_code})"

    @property
    def penalty_kind_labels(self) -> list[str]:
        """The penalty kinds in words (警告、罚款 …), in the order of 行政处罚法 art. 9."""
        labels = dict(PenaltyKind.choices)
        return [str(labels.get(kind, kind)) for kind in self.penalty_kinds or []]


class RecordRevision(models.Model):
    """历史版本 of a pooled record: revision 1 is the record as first received; each correction (更正)
    or revocation (撤销) by the source department adds the next one, with the whole content as it
    then stood and the fields that changed (before → after). Append-only."""

    record = models.ForeignKey(
        PooledRecord, verbose_name=_("归集信息"), on_delete=models.PROTECT, related_name="revisions"
    )
    revision = models.PositiveIntegerField(_("版本"))
    action = models.CharField(_("操作"), max_length=12, choices=RevisionAction.choices)
    content = models.JSONField(_("内容"))
    changes = models.JSONField(_("变更字段"), default=dict, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    channel = models.CharField(_("归集渠道"), max_length=8, choices=RecordChannel.choices)
    batch_id = models.CharField(_("批次号"), max_length=40, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("归集信息历史版本")
        verbose_name_plural = _("归集信息历史版本")
        ordering = ["record_id", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["record", "revision"], name="market_revision_unique"),
            models.CheckConstraint(condition=Q(action__in=RevisionAction.values), name="market_revision_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.revision} {self.get_action_display()}"


class Objection(models.Model):
    """异议: the entity (a user of the Organization, or an agent with a valid mandate for it) objects
    to a pooled record with a reason; the source department answers within ``due_date``
    (``MARKET_OBJECTION_DAYS`` working days, core.calendar): the record is upheld (维持) or
    corrected (更正). An answer after the due date is accepted and marked late; an open objection
    past its due date is overdue (逾期). Basis: 企业信息公示暂行条例 art. 13 (信息有误的更正),
    上海市社会信用条例 (异议处理; the exact number of days is unconfirmed, hence the setting).
    """

    record = models.ForeignKey(
        PooledRecord, verbose_name=_("归集信息"), on_delete=models.PROTECT, related_name="objections"
    )
    entity = models.ForeignKey(
        "accounts.Organization", verbose_name=_("异议主体"), on_delete=models.PROTECT, related_name="record_objections"
    )
    department = models.ForeignKey(
        "core.Department", verbose_name=_("处理部门"), on_delete=models.PROTECT, related_name="record_objections"
    )
    reason = models.TextField(_("异议理由"))
    raised_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("答复期限"))
    status = models.CharField(_("状态"), max_length=12, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    answer = models.TextField(_("答复意见"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_late = models.BooleanField(_("逾期答复"), default=False)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ObjectionStatus.values), name="market_objection_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=ObjectionStatus.OPEN, answered_at__isnull=True)
                | (~Q(status=ObjectionStatus.OPEN) & Q(answered_at__isnull=False)),
                name="market_objection_answered_has_time",
            ),
        ]
        indexes = [models.Index(fields=["department", "status", "due_date"], name="market_objection_queue")]

    def __str__(self) -> str:
        return f"{self.record} · {self.get_status_display()}"
