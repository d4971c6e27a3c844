"""The data-resource catalogue (政务数据资源目录): what each department shares, on what terms.

Rule (《上海市政务数据资源共享管理办法》; 国发〔2016〕51号, number to be checked): each department
publishes its data resources with their fields, the sharing class (无条件 / 有条件 with the
conditions / 不予共享 with the legal basis), the update frequency, the legal basis and a contact.
The catalogue is versioned: a published version is immutable; a change publishes the next one.
It is readable by every member of staff of the installation (public inside the extranet).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import AdapterKind, ResourceKind, ResourceStatus, SharingClass, UpdateFrequency


class DataResource(models.Model):
    """One data resource (数据资源) of a provider department, named by a stable ``code``
    (``<department code>-<4 digits>``, e.g. ``310106-SCJG-0001``) that grants, exchanges and
    logs refer to across installations. Its terms live in :class:`ResourceVersion`;
    ``current`` points at the published version in force (None while only a draft exists).

    ``adapter`` says how the exchange reaches it: ``in_process`` calls the provider registered
    under ``provider`` in ``sharing.providers``; ``http`` calls ``endpoint`` (another
    installation's exchange URL) naming ``remote_code``, the resource's code over there.
    """

    code = models.CharField(_("资源编码"), max_length=40, unique=True)
    provider_department = models.ForeignKey(
        "core.Department", verbose_name=_("提供部门"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("资源类型"), max_length=10, choices=ResourceKind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=ResourceStatus.choices,
                              default=ResourceStatus.DRAFT)
    adapter = models.CharField(_("交换方式"), max_length=12, choices=AdapterKind.choices,
                               default=AdapterKind.IN_PROCESS)
    provider = models.CharField(_("本平台提供者"), max_length=60, blank=True,
                                help_text=_("sharing.providers 中登记的提供者名称"))
    endpoint = models.URLField(_("对端交换地址"), max_length=300, blank=True)
    remote_code = models.CharField(_("对端资源编码"), max_length=40, blank=True)
    current = models.ForeignKey("ResourceVersion", verbose_name=_("现行版本"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("数据资源")
        verbose_name_plural = _("数据资源")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ResourceKind.values), name="sharing_resource_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ResourceStatus.values),
                                   name="sharing_resource_status_valid"),
            models.CheckConstraint(condition=Q(adapter__in=AdapterKind.values),
                                   name="sharing_resource_adapter_valid"),
            models.CheckConstraint(
                condition=(Q(adapter=AdapterKind.IN_PROCESS) & ~Q(provider=""))
                | (Q(adapter=AdapterKind.HTTP) & ~Q(endpoint="") & ~Q(remote_code="")),
                name="sharing_resource_adapter_target",
            ),
            models.CheckConstraint(condition=~Q(status=ResourceStatus.PUBLISHED) | Q(current__isnull=False),
                                   name="sharing_resource_published_has_version"),
        ]

    def __str__(self) -> str:
        return self.code


class ResourceVersion(models.Model):
    """One version of a resource's terms (资源目录版本), numbered 1, 2, … per resource.

    ``fields`` is the schema: a list of ``{"name", "label", "type" (FieldType), "personal"
    (bool: 个人信息, masked unless the grant names it), "key" (bool: the field a query or a bulk
    row is looked up by)}``. ``conditions`` is required for 有条件共享 and ``not_shared_basis`` for
    不予共享. Immutable once published (``published_at`` set): a change is the next version.
    ``digest`` is the SHA-256 of the canonical JSON of the terms, shown in the catalogue.
    """

    resource = models.ForeignKey(DataResource, verbose_name=_("数据资源"), on_delete=models.CASCADE,
                                 related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    name = models.CharField(_("资源名称"), max_length=200)
    description = models.TextField(_("资源摘要"), blank=True)
    sharing_class = models.CharField(_("共享类型"), max_length=14, choices=SharingClass.choices)
    conditions = models.TextField(_("共享条件"), blank=True)
    not_shared_basis = models.TextField(_("不予共享依据"), blank=True)
    legal_basis = models.TextField(_("法律依据"))
    update_frequency = models.CharField(_("更新周期"), max_length=10, choices=UpdateFrequency.choices)
    fields = models.JSONField(_("数据项"), default=list)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话（办公）"), max_length=30)
    digest = models.CharField(_("摘要值"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("资源目录版本")
        verbose_name_plural = _("资源目录版本")
        ordering = ["resource_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="sharing_version_unique_number"),
            models.CheckConstraint(condition=Q(sharing_class__in=SharingClass.values),
                                   name="sharing_version_class_valid"),
            models.CheckConstraint(condition=Q(update_frequency__in=UpdateFrequency.values),
                                   name="sharing_version_frequency_valid"),
            models.CheckConstraint(condition=~Q(sharing_class=SharingClass.CONDITIONAL) | ~Q(conditions=""),
                                   name="sharing_version_conditional_has_conditions"),
            models.CheckConstraint(condition=~Q(sharing_class=SharingClass.NOT_SHARED) | ~Q(not_shared_basis=""),
                                   name="sharing_version_not_shared_has_basis"),
            models.CheckConstraint(condition=Q(published_at__isnull=True) | ~Q(digest=""),
                                   name="sharing_version_published_has_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A published version is immutable (only the publishing step sets it published)."""
        if self.pk is not None and not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("published_at", flat=True).first()
            if stored is not None:
                raise ValueError("a published resource version is immutable; publish the next version")
        super().save(*args, **kwargs)

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    @property
    def personal_field_names(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("personal")]
