"""Numbered documents (文书) and the licences or certificates (证照) an approval yields
(ARCHITECTURE data-model decision 4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import DocumentKind
from .case import Case


class Document(models.Model):
    """文书: a notice or decision issued on a case, numbered gap-free per issuing department, kind
    and year (``<prefix>-<department code>-<year>-<5 digits>``, e.g. ``SL-310106-SCJ-2026-00012``).

    Acceptance and non-acceptance are written and dated (行政许可法 art. 32, last paragraph); a
    correction notice lists every missing or wrong material at once (art. 32(4)). ``content``
    keeps the structured text (the items to correct, the reason, the legal basis).
    """

    number = models.CharField(_("文号"), max_length=60, unique=True)
    kind = models.CharField(_("文书类别"), max_length=20, choices=DocumentKind.choices)
    case = models.ForeignKey(Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="documents")
    department = models.ForeignKey("core.Department", verbose_name=_("出具单位"), on_delete=models.PROTECT,
                                   related_name="+")
    content = models.JSONField(_("内容"), default=dict)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("出具人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("出具时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("文书")
        verbose_name_plural = _("文书")
        ordering = ["case_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=DocumentKind.values),
                                              name="cases_document_kind_valid")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class Licence(models.Model):
    """证照: the licence or certificate an approved case yields for its holder (持证主体), numbered
    gap-free per handling department and year. The supervision platform aggregates these."""

    number = models.CharField(_("证照编号"), max_length=60, unique=True)
    case = models.OneToOneField(Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="licence")
    name = models.CharField(_("证照名称"), max_length=200)
    holder_person = models.ForeignKey("accounts.Person", verbose_name=_("持证人（自然人）"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="licences")
    holder_organization = models.ForeignKey("accounts.Organization", verbose_name=_("持证人（组织）"), null=True,
                                            blank=True, on_delete=models.PROTECT, related_name="licences")
    department = models.ForeignKey("core.Department", verbose_name=_("发证单位"), on_delete=models.PROTECT,
                                   related_name="licences")
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期至"), null=True, blank=True)
    issued_at = models.DateTimeField(_("发证时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证照")
        verbose_name_plural = _("证照")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holder_person__isnull=False, holder_organization__isnull=True)
                | Q(holder_person__isnull=True, holder_organization__isnull=False),
                name="cases_licence_exactly_one_holder"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.number}"
