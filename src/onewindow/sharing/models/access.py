"""Access requests (共享申请) and grants (共享授权).

Rule (《上海市政务数据资源共享管理办法》; PIPL art. 6 purpose limitation and minimum necessity): a
consumer department requests a published resource for a stated purpose and legal basis, limited
to the fields it needs. The provider department approves with a scope (fields, period, rate) or
refuses with a reason; a request for an 无条件共享 resource is approved at once by the system; a
不予共享 resource cannot be requested. An approval is a :class:`Grant` whose token lets the
consumer's systems query the resource, within the granted fields, purpose, period and rate,
until it expires or the provider revokes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import GrantStatus, Purpose, RequestStatus


class AccessRequest(models.Model):
    """One 共享申请, numbered ``GX<year><6 digits>`` gap-free per year (``core.numbering``
    scope ``sharing-request-<year>``). ``fields`` are the field names asked for (a subset of the
    version's); ``rate_per_minute`` the rate asked for. The decision (approve with a scope, refuse
    with a reason) is the provider department's."""

    number = models.CharField(_("申请编号"), max_length=20, unique=True)
    resource = models.ForeignKey("sharing.DataResource", verbose_name=_("数据资源"), on_delete=models.PROTECT,
                                 related_name="requests")
    version = models.ForeignKey("sharing.ResourceVersion", verbose_name=_("申请时的目录版本"),
                                on_delete=models.PROTECT, related_name="+")
    consumer_department = models.ForeignKey("core.Department", verbose_name=_("使用部门"),
                                            on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("共享用途"), max_length=20, choices=Purpose.choices)
    purpose_text = models.TextField(_("用途说明"))
    legal_basis = models.TextField(_("使用依据"))
    fields = models.JSONField(_("申请数据项"), default=list)
    valid_from = models.DateField(_("申请使用起始日"))
    valid_to = models.DateField(_("申请使用截止日"))
    rate_per_minute = models.PositiveIntegerField(_("申请调用频率（次/分钟）"), default=60)
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.SUBMITTED)
    reason = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_by_label = models.CharField(_("审核人（系统）"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resource", "status"], name="sharing_request_res_status")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RequestStatus.values), name="sharing_request_status_valid"),
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="sharing_request_purpose_valid"),
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")),
                                   name="sharing_request_period_ordered"),
            models.CheckConstraint(condition=~Q(status=RequestStatus.REFUSED) | ~Q(reason=""),
                                   name="sharing_request_refusal_has_reason"),
            models.CheckConstraint(condition=Q(rate_per_minute__gte=1), name="sharing_request_rate_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class Grant(models.Model):
    """共享授权: the approved scope of one request — resource, consumer, purpose, fields, period
    and rate — and its token (``ow_<prefix>_<secret>``, only the SHA-256 of the secret stored,
    shown once at approval to the consumer). An exchange under it answers only ``fields``;
    personal fields are masked unless granted. Expired when ``valid_to`` has passed; revoked by
    the provider with a reason. A grant of a resource reached over HTTP (another installation)
    stores the token the other side issued in ``remote_token`` (encrypted)."""

    request = models.OneToOneField(AccessRequest, verbose_name=_("共享申请"), on_delete=models.PROTECT,
                                   related_name="grant")
    resource = models.ForeignKey("sharing.DataResource", verbose_name=_("数据资源"), on_delete=models.PROTECT,
                                 related_name="grants")
    consumer_department = models.ForeignKey("core.Department", verbose_name=_("使用部门"),
                                            on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("共享用途"), max_length=20, choices=Purpose.choices)
    fields = models.JSONField(_("授权数据项"), default=list)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    rate_per_minute = models.PositiveIntegerField(_("调用频率上限（次/分钟）"))
    status = models.CharField(_("状态"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.ACTIVE)
    token_prefix = models.CharField(_("令牌前缀"), max_length=12, unique=True)
    token_hash = models.CharField(_("令牌摘要"), max_length=64)
    remote_token = models.TextField(_("对端令牌（加密）"), blank=True)
    created_at = models.DateTimeField(_("授权时间"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤销人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    revoke_reason = models.TextField(_("撤销原因"), blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["consumer_department", "resource", "status"], name="sharing_grant_consumer")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=GrantStatus.values), name="sharing_grant_status_valid"),
            models.CheckConstraint(condition=Q(purpose__in=Purpose.values), name="sharing_grant_purpose_valid"),
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")),
                                   name="sharing_grant_period_ordered"),
            models.CheckConstraint(
                condition=Q(status=GrantStatus.ACTIVE, revoked_at__isnull=True)
                | (Q(status=GrantStatus.REVOKED, revoked_at__isnull=False) & ~Q(revoke_reason="")),
                name="sharing_grant_revocation_complete",
            ),
            models.CheckConstraint(condition=Q(rate_per_minute__gte=1), name="sharing_grant_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} → {self.consumer_department_id} ({self.token_prefix})"

    def is_current(self, on: object | None = None) -> bool:
        """Active and within its period on ``on`` (a date; today by default)."""
        day = on or timezone.localdate()
        return self.status == GrantStatus.ACTIVE and self.valid_from <= day <= self.valid_to  # type: ignore[operator]


class AccessEvent(models.Model):
    """The timeline of a request and its grant: submitted, approved, refused, withdrawn, revoked,
    token reissued (the facts statistics read; each also leaves an audit entry)."""

    request = models.ForeignKey(AccessRequest, verbose_name=_("共享申请"), on_delete=models.CASCADE,
                                related_name="events")
    action = models.CharField(_("动作"), max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    by_label = models.CharField(_("操作人（系统）"), max_length=150, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("共享申请事件")
        verbose_name_plural = _("共享申请事件")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action}"
