"""Appointment slots (预约时段), appointments (网上预约) and their event rows (预约记录)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField

from ..choices import AppointmentAction, AppointmentStatus
from .center import Center, TicketCategory


class AppointmentSlot(models.Model):
    """A time band of a center and category with a capacity. ``booked`` counts active bookings and is
    only changed by a conditional UPDATE (``booked < capacity``), so concurrent bookings can never
    exceed the capacity (a check constraint stands behind it)."""

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="slots")
    category = models.ForeignKey(TicketCategory, verbose_name=_("类别"), on_delete=models.CASCADE,
                                 related_name="slots")
    date = models.DateField(_("日期"))
    starts = models.TimeField(_("开始"))
    ends = models.TimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("可预约数"))
    booked = models.PositiveSmallIntegerField(_("已预约数"), default=0)

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["date", "starts", "category_id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "date", "starts"], name="centers_slot_unique"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="centers_slot_not_overbooked"),
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="centers_slot_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.starts:%H:%M}-{self.ends:%H:%M}"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class Appointment(models.Model):
    """网上预约: one person's booking of a slot. At most one active booking (booked or checked in) per
    person, category and day (a partial unique constraint). Check-in turns it into a priority ticket;
    a booking not checked in by the end of its slot becomes a no-show (爽约), and repeated no-shows
    restrict booking for a while (CENTERS_NO_SHOW_* settings)."""

    slot = models.ForeignKey(AppointmentSlot, verbose_name=_("时段"), on_delete=models.PROTECT,
                             related_name="appointments")
    category = models.ForeignKey(TicketCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))
    person = models.ForeignKey("accounts.Person", verbose_name=_("预约人"), on_delete=models.PROTECT,
                               related_name="appointments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("预约账号"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="appointments")
    code = models.CharField(_("预约码"), max_length=12, unique=True)
    # The number typed at the kiosk for this booking (its SMS, the phone tail that changes or cancels
    # it there); empty for a booking made logged in, which uses the person's own number.
    phone = EncryptedTextField(_("联系手机"), blank=True, default="")
    status = models.CharField(_("状态"), max_length=12, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    channel = models.CharField(_("预约渠道"), max_length=12, default="web")
    item = models.ForeignKey("catalog.ServiceItem", verbose_name=_("办理事项"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("预约时间"), auto_now_add=True)
    changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    reminded_day = models.BooleanField(_("已发前一日提醒"), default=False)
    reminded_hour = models.BooleanField(_("已发一小时提醒"), default=False)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["-date", "slot_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "category", "date"],
                                    condition=Q(status__in=["booked", "checked_in"]),
                                    name="centers_one_active_booking_per_day"),
            models.CheckConstraint(condition=Q(status__in=AppointmentStatus.values),
                                   name="centers_appointment_status_valid"),
        ]
        indexes = [models.Index(fields=["person", "status", "date"], name="centers_appointment_person")]

    def __str__(self) -> str:
        return f"{self.code} {self.slot}"


class AppointmentEvent(models.Model):
    """预约记录: one step of an appointment — booked, changed (改约), cancelled, checked in, no-show —
    with who took it (a user; a device or the scheduler by ``actor_label``) and when. The
    appointment's timeline and the facts the analytics read (lead times, no-show rates); written by
    the service of the step in the same transaction as the step and its audit entry."""

    appointment = models.ForeignKey(Appointment, verbose_name=_("预约"), on_delete=models.CASCADE,
                                    related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=AppointmentAction.choices)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("操作人名称"), max_length=100, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("预约记录")
        verbose_name_plural = _("预约记录")
        ordering = ["appointment_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AppointmentAction.values),
                                   name="centers_appointment_event_action_valid"),
        ]
        indexes = [models.Index(fields=["at"], name="centers_appointment_event_at")]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.action}"
