"""Queue tickets (排队号) and their event rows (the facts of the analytics issue)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onewindow.core.fields import EncryptedTextField, KeyedHashField

from ..choices import TicketAction, TicketPriority, TicketSource, TicketStatus
from .center import Center, TicketCategory, Window


class Ticket(models.Model):
    """排队号: ``A012`` — unique and gap-free per center, category and day (core numbering).

    The queue order is ``queue_key``: the time of taking minus the priority's bounded head start
    (appointment, elderly/disabled, VIP; configurable), so a priority ticket moves ahead by at
    most that many minutes and a normal ticket is never starved. A transfer keeps the key (its
    place). ``status_code`` is the random code of the public status page (the ticket's QR code).
    Every step is timestamped: taken, called, started, finished. ``device`` is the kiosk or
    ticket printer it was taken at (rate limits and flooding detection per device).
    """

    center = models.ForeignKey(Center, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="tickets")
    category = models.ForeignKey(TicketCategory, verbose_name=_("类别"), on_delete=models.PROTECT,
                                 related_name="tickets")
    date = models.DateField(_("日期"))
    number = models.PositiveIntegerField(_("序号"))
    display = models.CharField(_("排队号"), max_length=8)
    status = models.CharField(_("状态"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    priority = models.CharField(_("优先类别"), max_length=12, choices=TicketPriority.choices,
                                default=TicketPriority.NORMAL)
    source = models.CharField(_("取号渠道"), max_length=12, choices=TicketSource.choices, default=TicketSource.KIOSK)
    queue_key = models.DateTimeField(_("排队序位"))
    status_code = models.CharField(_("查询码"), max_length=16, unique=True)
    person = models.ForeignKey("accounts.Person", verbose_name=_("办事人"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="tickets")
    phone = EncryptedTextField(_("手机号码"), blank=True)
    # The typed number's keyed hash: rate limits and flooding per number (decision 0008).
    phone_hash = KeyedHashField(_("手机号码检索值"), source="phone", db_default="")
    # Queue SMS go only to a confirmed number: a kiosk's one-time code (PhoneCheck), or the
    # number of the logged-in resident, an appointment or a clerk at the window.
    phone_confirmed_at = models.DateTimeField(_("手机号确认时间"), null=True, blank=True)
    device = models.ForeignKey("centers.Device", verbose_name=_("取号设备"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    appointment = models.OneToOneField("centers.Appointment", verbose_name=_("预约"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="ticket")
    target_window = models.ForeignKey(Window, verbose_name=_("指定窗口"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    window = models.ForeignKey(Window, verbose_name=_("办理窗口"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="tickets")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理员"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    cases = models.ManyToManyField("cases.Case", verbose_name=_("受理的办件"), blank=True, related_name="tickets")
    taken_at = models.DateTimeField(_("取号时间"))
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始办理"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(_("重呼次数"), default=0)
    near_notified = models.BooleanField(_("已发临近提醒"), default=False)

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["-date", "queue_key", "id"]
        constraints = [
            # The display (prefix + number) is unique per center and day; a transfer changes the
            # category but never the number the person holds.
            models.UniqueConstraint(fields=["center", "date", "display"], name="centers_ticket_display_unique"),
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="centers_ticket_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=TicketPriority.values),
                                   name="centers_ticket_priority_valid"),
            models.CheckConstraint(condition=Q(number__gte=1), name="centers_ticket_number_positive"),
            models.CheckConstraint(condition=~Q(status__in=["called", "serving"]) | Q(window__isnull=False),
                                   name="centers_ticket_called_has_window"),
        ]
        indexes = [models.Index(fields=["center", "date", "status", "queue_key"], name="centers_ticket_queue"),
                   models.Index(fields=["window", "status"], name="centers_ticket_window"),
                   models.Index(fields=["device", "taken_at"], name="centers_ticket_device")]

    def __str__(self) -> str:
        return f"{self.display} ({self.date})"


class TicketEvent(models.Model):
    """One step of a ticket (take, call, recall, skip, transfer, start, finish, cancel) with its time,
    window and clerk: the facts the analytics issue reads (waiting and service times)."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("排队号"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=TicketAction.choices)
    from_status = models.CharField(_("原状态"), max_length=10, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10)
    window = models.ForeignKey(Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("排队记录")
        verbose_name_plural = _("排队记录")
        ordering = ["ticket_id", "id"]
        indexes = [models.Index(fields=["at"], name="centers_ticket_event_at")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"
