"""The 双告知 mapping table: which licences a business needs and which department answers for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LicenceRule(models.Model):
    """双告知规则 (工商登记后置审批事项目录 entry, DOMAIN.md R5.1 step 1).

    A rule matches a registration or change of business scope when the entity's industry code
    (GB/T 4754-2017) starts with one of ``industry_prefixes`` or its business scope text contains
    one of ``keywords`` (either list may be empty; an entity matches on either). It names the
    licence, links the catalog item whose guide the applicant is sent to (null where the catalog
    has none), and the competent department under 谁审批谁监管、谁主管谁监管 (null: nobody is
    clearly competent, the task goes to the 认领 pool). ``region_prefix`` limits the rule to
    entities registered in one district (blank: everywhere). Editable by a system admin through
    ``services.licence_rule_create`` / ``licence_rule_update`` (audited); never deleted, only
    set inactive, because notices keep the rule they came from.
    """

    licence_name = models.CharField(_("许可名称"), max_length=100)
    industry_prefixes = models.JSONField(
        _("行业代码前缀"),
        default=list,
        blank=True,
        help_text=_("GB/T 4754-2017 门类、大类、中类或小类代码，如 62、5251"),
    )
    keywords = models.JSONField(_("经营范围关键词"), default=list, blank=True)
    item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name=_("对应事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "core.Department",
        verbose_name=_("审批（主管）部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence_rules",
    )
    region_prefix = models.CharField(_("适用区划代码前缀"), max_length=12, blank=True)
    basis = models.CharField(_("设定依据"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=100)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("双告知规则")
        verbose_name_plural = _("双告知规则")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.licence_name
