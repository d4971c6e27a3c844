"""联合惩戒: the sanction lists that every department and the window consult (issue #12 part 7).

国发〔2016〕33号 sets up 失信联合惩戒 across regions, departments and fields (DOMAIN.md R5.2). The
lists live in ``market`` beside the registry, below ``cases`` and ``supervision``, which read
them through :mod:`onewindow.market.sanctions_selectors`:

- :class:`SanctionListing` is one entry of one list (经营异常名录, 严重违法失信企业名单 or
  失信被执行人名单, the last governed by 法释〔2017〕7号) for an organization (by credit code) or a
  person (by ID number, stored encrypted with a keyed hash, never shown unmasked). It is keyed by
  (listing department, source record id) as pooled records are: the same delivery again changes
  nothing, other content corrects it.
- :class:`SanctionEvent` is its timeline: listed, corrected, repair requested, removed or kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField, KeyedHashField
from onewindow.core.masking import mask_id_number, mask_name

from ..choices import RecordChannel, SanctionAction, SanctionList, SanctionMeasure, SanctionStatus, SanctionSubject

ACTIVE_STATUSES = (SanctionStatus.LISTED, SanctionStatus.REPAIR_REQUESTED)


class SanctionListing(models.Model):
    """联合惩戒名单条目: one entry of a sanction list, with its reason, legal basis, listing department
    (列入部门), listing date, earliest removal date and the measures (惩戒措施) that apply.

    Actor: the listing department (its regulators, data clerks or admins, or its system by API
    token). Removal is 信用修复: the entity or the department asks, the department reviews, never
    before ``removable_on`` (the period of the list, ``MARKET_SANCTION_PERIOD_DAYS``). Measures:
    ``measures`` lists :class:`~onewindow.market.choices.SanctionMeasure` values;
    ``refused_items`` (implementation-item codes) and ``refused_item_types`` (item-type codes)
    name what ``window_refusal`` refuses; ``draw_weight`` multiplies the entity's draw ratio.
    Basis: 国发〔2016〕33号; 失信被执行人: 法释〔2017〕7号 (DOMAIN.md R5.2).
    """

    list_kind = models.CharField(_("名单"), max_length=20, choices=SanctionList.choices)
    subject_type = models.CharField(
        _("主体类别"), max_length=12, choices=SanctionSubject.choices, default=SanctionSubject.ORGANIZATION
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    subject_name = models.CharField(_("主体名称或姓名"), max_length=200)
    id_number = EncryptedTextField(_("证件号码"), blank=True)
    id_number_hash = KeyedHashField(_("证件号码检索值"), source="id_number", normalize="upper")
    reason = models.TextField(_("列入事由"))
    legal_basis = models.TextField(_("列入依据"))
    department = models.ForeignKey(
        "core.Department", verbose_name=_("列入部门"), on_delete=models.PROTECT, related_name="sanction_listings"
    )
    source_id = models.CharField(_("来源记录编号"), max_length=64)
    listed_on = models.DateField(_("列入日期"))
    removable_on = models.DateField(_("最早移出日期"))
    measures = models.JSONField(_("惩戒措施"), default=list, blank=True)
    refused_items = models.JSONField(_("限制办理的事项"), default=list, blank=True)
    refused_item_types = models.JSONField(_("限制办理的事项类型"), default=list, blank=True)
    draw_weight = models.DecimalField(_("抽查比例倍数"), max_digits=6, decimal_places=2, default=1)
    status = models.CharField(_("状态"), max_length=20, choices=SanctionStatus.choices, default=SanctionStatus.LISTED)
    content_hash = models.CharField(_("内容摘要"), max_length=64, editable=False)
    revision = models.PositiveIntegerField(_("版本"), default=1)
    channel = models.CharField(_("报送渠道"), max_length=8, choices=RecordChannel.choices, default=RecordChannel.API)
    created_at = models.DateTimeField(_("列入时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    repair_reason = models.TextField(_("信用修复理由"), blank=True)
    repair_requested_at = models.DateTimeField(_("修复申请时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)
    removed_on = models.DateField(_("移出日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("联合惩戒名单条目")
        verbose_name_plural = _("联合惩戒名单条目")
        ordering = ["-listed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "source_id"], name="market_sanction_one_per_source"),
            models.CheckConstraint(condition=Q(list_kind__in=SanctionList.values), name="market_sanction_list_valid"),
            models.CheckConstraint(
                condition=Q(subject_type__in=SanctionSubject.values), name="market_sanction_subject_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=SanctionStatus.values), name="market_sanction_status_valid"),
            models.CheckConstraint(
                condition=(Q(subject_type=SanctionSubject.ORGANIZATION) & ~Q(credit_code=""))
                | (Q(subject_type=SanctionSubject.PERSON) & ~Q(id_number_hash="")),
                name="market_sanction_subject_key",
            ),
            models.CheckConstraint(
                condition=Q(removable_on__gte=models.F("listed_on")), name="market_sanction_period_ordered"
            ),
            models.CheckConstraint(condition=Q(draw_weight__gt=0), name="market_sanction_weight_positive"),
            models.CheckConstraint(
                condition=Q(status=SanctionStatus.REMOVED, removed_on__isnull=False)
                | (~Q(status=SanctionStatus.REMOVED) & Q(removed_on__isnull=True)),
                name="market_sanction_removed_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["credit_code", "status"], name="market_sanction_subject"),
            models.Index(fields=["department", "list_kind", "status", "-listed_on"], name="market_sanction_dept"),
        ]

    def __str__(self) -> str:
        return f"{self.get_list_kind_display()} {self.subject_label} ({self.source_id})"

    @property
    def subject_label(self) -> str:
        """The subject as anyone may see it: an organization's name and credit code, a person's
        masked name and masked ID number (个人信息保护法 art. 51)."""
        if self.subject_type == SanctionSubject.PERSON:
            return f"{mask_name(self.subject_name)} {mask_id_number(self.id_number)}"
        return f"{self.subject_name} {self.credit_code}".strip()

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def measure_labels(self) -> list[str]:
        labels = dict(SanctionMeasure.choices)
        return [str(labels.get(m, m)) for m in self.measures or []]

    def has_measure(self, measure: str) -> bool:
        return measure in (self.measures or [])


class SanctionEvent(models.Model):
    """One step of a listing (名单条目记录): listed, corrected, repair requested, removed or kept on
    the list, with who, when and the note. Append-only; the facts supervision's alerts read."""

    listing = models.ForeignKey(
        SanctionListing, verbose_name=_("名单条目"), on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=20, choices=SanctionAction.choices)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    by_label = models.CharField(_("操作人（显示）"), max_length=150, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("名单条目记录")
        verbose_name_plural = _("名单条目记录")
        ordering = ["listing_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=SanctionAction.values), name="market_sanction_event_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.get_action_display()}"
