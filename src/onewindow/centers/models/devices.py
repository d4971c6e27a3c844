"""Hall devices (取号机, 叫号器, 评价器, 显示屏, 一体机): each authenticates with its own API token; a
browser device (kiosk, hall display) is bound to its Device by a cookie set at enrolment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import DeviceKind
from .center import Center, Window


class Device(models.Model):
    """A device of a center, bound to one API token (accounts.ApiToken, scope ``device``) and, for
    call keypads and rating pads, to one window. Revoking the token (or deactivating the device)
    shuts it out at once — the API bearer and the bound browser (DeviceBinding) alike.

    ``operator`` (终端账号) is the account a kiosk's self-fill form (自助填单, cases) acts as: a staff
    account of the center's department that never logs in itself (no usable password). The
    kiosk's browser is not logged in; it is recognised by its binding (decision 0008).
    """

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="devices")
    window = models.ForeignKey(Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="devices")
    kind = models.CharField(_("类型"), max_length=20, choices=DeviceKind.choices)
    name = models.CharField(_("名称"), max_length=60)
    token = models.OneToOneField("accounts.ApiToken", verbose_name=_("访问令牌"), on_delete=models.PROTECT,
                                 related_name="device")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("终端账号"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("一体机自助填单时代为登记的服务中心工作人员账号（不用于登录）。"))
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

    @property
    def device_label(self) -> str:
        """The device as an actor (core.actors.DeviceActor): its label in the audit trail."""
        return f"device:{self.pk} {self.name}"

    @property
    def center_code(self) -> str:
        """The code of the device's center (read, duck-typed, by the cases kiosk pages)."""
        return self.center.code

    @property
    def department_id(self) -> int:
        """The department of the device's center: the receiving body of a kiosk's drafts."""
        return self.center.department_id


class DeviceBinding(models.Model):
    """设备浏览器绑定: the browser of a kiosk or hall display, bound to its Device at enrolment.

    Enrolment (a center manager or system admin, logged in on the device's browser) sets a
    long-lived, HttpOnly, SameSite=Strict signed cookie holding the binding's id and a random
    secret; only the SHA-256 of the secret is stored here. A device has at most one live binding
    (a new enrolment revokes the earlier one). The binding works only while it is not revoked,
    the device is active, its center active and its token neither revoked nor expired, so
    revoking the device or its token kills the browser too. Basis: GB/T 22239-2019 8.1.4.1
    身份鉴别 and 8.1.4.2 访问控制 (one credential per device, revocable alone); decision 0008.
    """

    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="bindings")
    secret_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("绑定时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("绑定人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("设备浏览器绑定")
        verbose_name_plural = _("设备浏览器绑定")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.device} #{self.pk}"


class PhoneCheck(models.Model):
    """手机号验证码: the one-time code that confirms a number typed at a kiosk before any queue SMS
    (近号提醒, 叫号) goes to it.

    The code (6 digits) is sent by SMS through the notifications outbox and stored only as a keyed
    hash; it expires (CENTERS_PHONE_CODE_SECONDS) and allows a few attempts
    (CENTERS_PHONE_CODE_ATTEMPTS). Codes are capped per number and per device
    (CENTERS_PHONE_CODE_LIMITS), so the kiosk cannot be used to send SMS to strangers. Basis:
    个人信息保护法 art. 10 (no processing that harms others), GB/T 22239-2019 8.1.4.3 入侵防范.
    """

    ticket = models.ForeignKey("centers.Ticket", verbose_name=_("排队号"), on_delete=models.CASCADE,
                               related_name="phone_checks")
    device = models.ForeignKey(Device, verbose_name=_("设备"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    phone_hash = models.CharField(_("手机号码检索值"), max_length=100, db_index=True)
    code_hash = models.CharField(_("验证码摘要"), max_length=100)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("手机号验证码")
        verbose_name_plural = _("手机号验证码")
        ordering = ["-id"]
        indexes = [models.Index(fields=["device", "created_at"], name="centers_phonecheck_device")]

    def __str__(self) -> str:
        return f"{self.ticket_id} #{self.pk}"
