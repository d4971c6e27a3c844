"""The case (办件), its timeline (办事过程记录) and its uploaded materials (申请材料附件)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField

from ..application_form import split_form
from ..choices import CaseAction, CaseChannel, CaseStatus, ClockLevel, DeliveryMethod


class Case(models.Model):
    """办件: one application for one catalog item, from draft to delivered result.

    Parties (ARCHITECTURE data-model decision 2): the applicant is a Person *or* an Organization;
    the submitter is the login that entered it (the applicant, an agent, or a window clerk); the
    agent acts under a Mandate. The receiving body (受理单位) is where the case was received —
    possibly a street center taking in a district or city item (代收代办, 三级联动) — and the
    handling body (承办单位) the department that owns the item and decides. The case pins the
    immutable item version it was filed under. Actor: services.py only writes it.

    Numbers: ``number`` (办件编号, ``<district>-<year>-<7 digits>``) is assigned at submission,
    gap-free per receiving district and year, and kept when the case is forwarded; ``query_code``
    (查询码, 一码查询) is random and, with the applicant's phone tail, lets anyone check progress.

    The application form (申请表) is stored in two parts (issue #9; 个人信息保护法 art. 51): the
    personal fields its schema marks (身份证号码, 联系电话, names …) are encrypted together in
    ``form_personal`` under the current field key (rotated by ``core_rotate_keys``), and
    ``form_data`` keeps the other fields with the personal ones masked, which is all that lists,
    the API, exports and logs ever read. ``form_values()`` decrypts, for the services and the
    audited staff unmask only; ``form_set()`` writes both parts.
    """

    number = models.CharField(_("办件编号"), max_length=32, unique=True, null=True, blank=True)
    query_code = models.CharField(_("查询码"), max_length=16, unique=True)
    status = models.CharField(_("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    channel = models.CharField(_("受理渠道"), max_length=20, choices=CaseChannel.choices)
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.PROTECT,
                             related_name="cases")
    item_version = models.ForeignKey("catalog.ItemVersion", verbose_name=_("事项版本"), on_delete=models.PROTECT,
                                     related_name="cases")
    title = models.CharField(_("事项名称"), max_length=200)
    applicant_person = models.ForeignKey("accounts.Person", verbose_name=_("申请人（自然人）"), null=True,
                                         blank=True, on_delete=models.PROTECT, related_name="cases")
    applicant_organization = models.ForeignKey("accounts.Organization", verbose_name=_("申请人（组织）"),
                                               null=True, blank=True, on_delete=models.PROTECT,
                                               related_name="cases")
    agent = models.ForeignKey("accounts.Person", verbose_name=_("代理人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="cases_as_agent")
    mandate = models.ForeignKey("accounts.Mandate", verbose_name=_("委托授权"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="cases")
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="cases_submitted")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请账号"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="cases",
                              help_text=_("在网上查看此办件的账号；窗口代录的无账号申请人为空"))
    receiving_department = models.ForeignKey("core.Department", verbose_name=_("受理单位"),
                                             on_delete=models.PROTECT, related_name="cases_received")
    handling_department = models.ForeignKey("core.Department", verbose_name=_("承办单位"),
                                            on_delete=models.PROTECT, related_name="cases_handled")
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="cases_handling")
    form_data = models.JSONField(_("申请表"), default=dict, blank=True,
                                 help_text=_("个人信息字段在此仅存脱敏值，原值加密存于“申请表个人信息”"))
    form_personal = EncryptedTextField(_("申请表个人信息"), blank=True,
                                       help_text=_("申请表中个人信息字段的原值（JSON，加密存储）"))
    contact_phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_tail = models.CharField(_("手机尾号"), max_length=4, blank=True)
    delivery_method = models.CharField(_("送达方式"), max_length=12, choices=DeliveryMethod.choices,
                                       default=DeliveryMethod.WINDOW)
    delivery_address = models.CharField(_("邮寄地址"), max_length=300, blank=True)
    refusal_reason = models.CharField(_("不予受理/不予许可理由"), max_length=1000, blank=True)
    deadline_level = models.CharField(_("时限预警"), max_length=10, choices=ClockLevel.choices,
                                      default=ClockLevel.GREEN)
    due_date = models.DateField(_("当前时限到期日"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    forwarded_at = models.DateTimeField(_("转报时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("终结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="cases_case_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=CaseChannel.values), name="cases_case_channel_valid"),
            models.CheckConstraint(condition=Q(delivery_method__in=DeliveryMethod.values),
                                   name="cases_case_delivery_valid"),
            models.CheckConstraint(condition=Q(deadline_level__in=ClockLevel.values),
                                   name="cases_case_level_valid"),
            models.CheckConstraint(
                condition=Q(applicant_person__isnull=False, applicant_organization__isnull=True)
                | Q(applicant_person__isnull=True, applicant_organization__isnull=False),
                name="cases_case_exactly_one_applicant"),
            # A draft has no number yet; a draft withdrawn (discarded) never gets one.
            models.CheckConstraint(condition=Q(status__in=[CaseStatus.DRAFT, CaseStatus.WITHDRAWN])
                                   | Q(number__isnull=False),
                                   name="cases_case_numbered_once_submitted"),
        ]
        indexes = [
            # The inbox's page per receiving body and status, by deadline then id (a finished case has
            # no deadline: without the id, a page of a busy body's finished cases sorted them all).
            models.Index(fields=["receiving_department", "status", "due_date", "id"], name="cases_inbox_receiving_id"),
            models.Index(fields=["handling_department", "status", "due_date"], name="cases_inbox_handling"),
            # The inbox's handling side: the cases handled by another body than the one that received
            # them (forwarded, a few thousand in a million); the rest are found by the receiving side.
            models.Index(fields=["handling_department", "status", "due_date", "id"],
                         condition=~Q(receiving_department=F("handling_department")), name="cases_inbox_handled_apart"),
            models.Index(fields=["owner", "-id"], name="cases_owner"),
            # The service wall's "concluded today" per receiving body, read every few seconds (issue #16).
            models.Index(fields=["receiving_department", "decided_at"], name="cases_decided_receiving"),
            models.Index(fields=["applicant_person", "-id"], name="cases_applicant_person"),
            models.Index(fields=["applicant_organization", "-id"], name="cases_applicant_org"),
            models.Index(fields=["status", "deadline_level"], name="cases_status_level"),
        ]

    def __str__(self) -> str:
        return f"{self.number or _('草稿')} {self.title}"

    def form_values(self) -> dict[str, Any]:
        """The whole form in clear: the shown copy with the personal values put back."""
        personal = json.loads(self.form_personal) if self.form_personal else {}
        return {**(self.form_data or {}), **personal}

    def form_set(self, schema: dict[str, Any], data: dict[str, Any]) -> None:
        """Store ``data`` (already checked): personal values encrypted, the shown copy masked."""
        shown, personal = split_form(schema or {}, data)
        self.form_data = shown
        self.form_personal = json.dumps(personal, ensure_ascii=False, sort_keys=True) if personal else ""

    @property
    def is_forwarded_case(self) -> bool:
        """Received at one body for an item another body decides (代收代办)."""
        return self.receiving_department_id != self.handling_department_id


class CaseEvent(models.Model):
    """办事过程记录: one step of a case's timeline (办事过程全纪录), append-only.

    Each service writes exactly one event with the status before and after; ``public`` events are
    shown to the applicant and on the public query page, internal notes only to staff. These rows
    are also the facts that analytics reads (ARCHITECTURE data-model decision 8).
    """

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=30, choices=CaseAction.choices)
    from_status = models.CharField(_("原状态"), max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=CaseStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("操作人名称"), max_length=100, blank=True)
    department = models.ForeignKey("core.Department", verbose_name=_("操作单位"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    public = models.BooleanField(_("申请人可见"), default=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("办事过程记录")
        verbose_name_plural = _("办事过程记录")
        ordering = ["case_id", "id"]
        indexes = [models.Index(fields=["case", "id"], name="cases_event_case")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} → {self.get_to_status_display()}"


class CaseMaterial(models.Model):
    """申请材料附件: one uploaded file for a case, matched to a required material of its version.

    Files are stored under an opaque name (never the uploaded name), with their SHA-256, size and
    the sniffed type; they are only ever served as downloads with ``nosniff`` (see views), so an
    upload can never be executed or rendered by the browser.

    A row with ``shared_resource`` has no file: the material is proven by a shared register (免交
    （已共享）, 减材料; issue #13 part 5) — the pre-fill exchange ``exchange_id`` of that resource
    answered for the applicant, so no upload is needed and submission counts it as provided.
    """

    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey("catalog.Material", verbose_name=_("材料"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("文件"), upload_to="cases/%Y/%m/", blank=True)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    removed_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    shared_resource = models.CharField(_("共享数据资源"), max_length=40, blank=True,
                                       help_text=_("由共享数据证明、无需上传时为资源编码"))
    exchange_id = models.UUIDField(_("交换编号"), null=True, blank=True)

    class Meta:
        verbose_name = _("申请材料附件")
        verbose_name_plural = _("申请材料附件")
        ordering = ["case_id", "id"]
        constraints = [
            # A row is either an uploaded file or a material proven by a shared register's exchange.
            models.CheckConstraint(condition=(Q(shared_resource="") & ~Q(file=""))
                                   | (~Q(shared_resource="") & Q(file="") & Q(exchange_id__isnull=False)),
                                   name="cases_material_file_or_shared"),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_shared(self) -> bool:
        """No upload needed: proven by a shared register (已共享)."""
        return bool(self.shared_resource)
