"""Screens and the emergency message (issue #16 part 5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import ScreenLayout, Severity


class Screen(models.Model):
    """大屏: a full-screen browser with no login. It is a hall display device of the existing
    scheme (centers.Device, kind ``display``, decision 0008): enrolled by a manager on the
    screen's own browser, recognised by its binding cookie, revocable by deactivating the device,
    revoking its token or unbinding it. ``panels`` is the ordered list of
    :class:`~onewindow.bigscreen.choices.Panel` codes it rotates through, ``rotate_seconds`` apart;
    ``area`` the business district its crowd panels show."""

    device = models.OneToOneField("centers.Device", verbose_name=_("设备"), on_delete=models.CASCADE,
                                  related_name="bigscreen")
    name = models.CharField(_("名称"), max_length=60)
    layout = models.CharField(_("分辨率"), max_length=8, choices=ScreenLayout.choices, default=ScreenLayout.HD)
    area = models.ForeignKey("bigscreen.Area", verbose_name=_("商圈"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="screens")
    panels = models.JSONField(_("轮播面板"), default=list)
    rotate_seconds = models.PositiveSmallIntegerField(_("轮播间隔（秒）"), default=20)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("大屏")
        verbose_name_plural = _("大屏")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(layout__in=ScreenLayout.values), name="bigscreen_screen_layout_valid"),
            models.CheckConstraint(condition=Q(rotate_seconds__gte=5), name="bigscreen_screen_rotate_min"),
        ]

    def __str__(self) -> str:
        return self.name


class EmergencyMessage(models.Model):
    """紧急通告: a message an operator puts over every screen until it ends or is cleared. At most
    one is live at a time (a new one clears the earlier). Audited."""

    text = models.CharField(_("内容"), max_length=200)
    text_en = models.CharField(_("英文内容"), max_length=300, blank=True)
    severity = models.CharField(_("级别"), max_length=10, choices=Severity.choices, default=Severity.WARNING)
    starts_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    cleared_at = models.DateTimeField(_("撤除时间"), null=True, blank=True)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤除人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("紧急通告")
        verbose_name_plural = _("紧急通告")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__in=Severity.values),
                                   name="bigscreen_emergency_severity_valid"),
        ]

    def __str__(self) -> str:
        return self.text[:40]
