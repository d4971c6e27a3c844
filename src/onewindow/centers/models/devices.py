"""Hall devices (取号机, 叫号器, 评价器, 显示屏, 一体机): each authenticates with its own API token."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import DeviceKind
from .center import Center, Window


class Device(models.Model):
    """A device of a center, bound to one API token (accounts.ApiToken, scope ``device``) and, for
    call keypads and rating pads, to one window. Revoking the token (or deactivating the device)
    shuts it out at once."""

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="devices")
    window = models.ForeignKey(Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="devices")
    kind = models.CharField(_("类型"), max_length=20, choices=DeviceKind.choices)
    name = models.CharField(_("名称"), max_length=60)
    token = models.OneToOneField("accounts.ApiToken", verbose_name=_("访问令牌"), on_delete=models.PROTECT,
                                 related_name="device")
    is_active = models.BooleanField(_("启用"), default=True)
    last_seen_at = models.DateTimeField(_("最近在线"), null=True, blank=True)

    class Meta:
        verbose_name = _("设备")
        verbose_name_plural = _("设备")
        ordering = ["center_id", "kind", "name"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=DeviceKind.values),
                                              name="centers_device_kind_valid")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"
