"""The queue: take a ticket, call the next, recall, skip, re-queue, transfer, start, finish, cancel.

Rules (issue #4 parts 3 and 4):
- numbers are unique and gap-free per center, category and day (core.numbering, same transaction);
- a ticket is taken only while the center is open and before its last-ticket time (core calendar);
- the next ticket of a window is the waiting one with the smallest queue key among the window's
  categories — tickets transferred to this very window first; a priority moves a ticket ahead by a
  bounded number of minutes (CENTERS_PRIORITY_MINUTES), so nobody is starved;
- two windows never get the same ticket: the claim is a conditional UPDATE (status still waiting)
  inside the caller's transaction, and on PostgreSQL candidates are locked with SKIP LOCKED;
- every step writes a TicketEvent (the analytics facts) and an audit entry; SMS go to the outbox in
  the same transaction (called; and heads-up when N people are ahead, CENTERS_NEAR_AHEAD).
"""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Field, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core import crypto
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.codes import UNAMBIGUOUS, as_id, random_code
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.identifiers import validate_mobile
from onewindow.core.numbering import next_number
from onewindow.core.prepared import insert_prepared, insert_rows, insert_statement, row_params
from onewindow.notifications.services import message_enqueue

from .. import hours, limits, selectors, workflow
from .. import permissions as perms
from ..choices import TicketAction, TicketPriority, TicketSource, TicketStatus, WindowState
from ..device_auth import touch_due
from ..models import Center, Device, Ticket, TicketCategory, TicketEvent, Window

S = TicketStatus
CODE_ALPHABET = UNAMBIGUOUS
DEFAULT_PRIORITY_MINUTES: dict[str, int] = {TicketPriority.NORMAL: 0, TicketPriority.APPOINTMENT: 20,
                                            TicketPriority.ELDERLY: 15, TicketPriority.VIP: 30}


def priority_minutes(priority: str) -> int:
    table = getattr(settings, "CENTERS_PRIORITY_MINUTES", None) or DEFAULT_PRIORITY_MINUTES
    return int(table.get(priority, 0))


def near_ahead() -> int:
    return int(getattr(settings, "CENTERS_NEAR_AHEAD", 3))


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return timezone.localtime(now or timezone.now())


_UPDATES: dict[tuple[str, tuple[str, ...]], tuple[str, list[Field[Any, Any]]]] = {}


def _field(name: str) -> Field[Any, Any]:
    field = Ticket._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _save(ticket: Ticket, names: list[str], *, only_if_status: str | None = None) -> int:
    """``save(update_fields=names)`` by a statement built once per process and field list from ``_meta``
    (issue #17: the ORM compiled each step's UPDATE inside the write transaction); with ``only_if_status``
    the row is written only if its status is still that one (the call's claim). The number of rows written."""
    key = (connection.vendor, (*names, "?" if only_if_status else ""))
    built = _UPDATES.get(key)
    if built is None:
        quote = connection.ops.quote_name
        fields = [_field(name) for name in names]
        sets = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
        where = f"{quote(Ticket._meta.pk.column)} = %s" + (
            f" AND {quote(str(_field('status').column))} = %s" if only_if_status else "")
        built = (f"UPDATE {quote(Ticket._meta.db_table)} SET {sets} WHERE {where}", fields)  # noqa: S608 - names
        _UPDATES[key] = built
    sql, prepared = built
    params = [f.get_db_prep_save(f.pre_save(ticket, False), connection) for f in prepared]
    params.append(ticket.pk)
    if only_if_status:
        params.append(only_if_status)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _event(ticket: Ticket, action: str, by: Actor | None, *, from_status: str, at: datetime.datetime,
           window: Window | None = None, **data: Any) -> None:
    event = TicketEvent(ticket=ticket, action=action, from_status=from_status, to_status=ticket.status,
                        window=window or ticket.window, actor=perms.user_of(by), data=data, at=at)
    insert_rows([event])
    device = perms.device_of(by)
    audit_record(actor=by,
                 action=f"centers.ticket.{action}", target=ticket,
                 before={"status": from_status}, after={"status": ticket.status, **data},
                 channel="device" if device else "web")


def _sms(ticket: Ticket, event: str, **context: Any) -> None:
    """Queue SMS go only to a confirmed number (decision 0008)."""
    if ticket.phone and ticket.phone_confirmed_at is not None:
        message_enqueue(event=event, phone=ticket.phone, person=ticket.person if ticket.person_id else None,
                        subject_type="ticket",
                        subject_id=str(ticket.pk),
                        context={"number": ticket.display, "center": ticket.center.name, **context})


def _lock(ticket_id: Any) -> Ticket:
    pk = as_id(ticket_id)
    ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("center", "category", "window")
              .filter(pk=pk).first())
    if ticket is None:
        raise NotFound(_("找不到该排队号。"), code="ticket_not_found")
    return ticket


def _lock_current(window_id: Any) -> Ticket:
    """The window's current ticket (called or serving), found and locked in one query: 409
    no_current_ticket when there is none. Under the lock, so nothing can change it before the step."""
    ticket = (selectors.current_at_window(as_id(window_id)).select_for_update(of=("self",))
              .select_related("center", "category", "window").first())
    if ticket is None:
        raise selectors.no_current_ticket()
    return ticket


def _guard(ticket: Ticket, action: str, by: Actor) -> None:
    if not perms.is_center_staff(by, ticket.center_id):
        raise PermissionDenied(_("您不是该中心的工作人员。"), code="not_center_staff")
    if not workflow.ticket_allowed(ticket.status, action):
        raise Conflict(_("排队号 %(n)s 当前为“%(s)s”，不能执行“%(a)s”。")
                       % {"n": ticket.display, "s": TicketStatus(ticket.status).label, "a": TicketAction(action).label},
                       code="ticket_illegal_transition")


def ticket_take(*, by: Actor, center_id: Any, category_id: Any, priority: str = TicketPriority.NORMAL,
                source: str = TicketSource.KIOSK, phone: str = "", person: Any = None, appointment: Any = None,
                device: Device | None = None, now: datetime.datetime | None = None) -> Ticket:
    """取号: a ticket of a category at an open center, numbered gap-free per center, category and day.

    Actors: the kiosk or ticket printer (a device: ``by`` on the API, ``device`` for a bound kiosk
    browser whose ``by`` is the staff member logged in at it, if any), the WeChat page (the
    person), a clerk (at the window). Refused: unknown center or category (404), closed center or
    after the last ticket (409 center_closed), an invalid mobile number for SMS (422), a device of
    another center (403 device_wrong_center). Priorities other than normal need staff or an
    appointment (the elderly/disabled lane is granted by staff or the device's button).

    Abuse of the public devices (decision 0008): unless a staff member of the center takes it,
    a ticket is refused with 429 ``device_rate_limited`` / ``phone_rate_limited`` and nothing
    written when the device or the typed number has had its CENTERS_TAKE_LIMITS tickets; a typed
    number gets queue SMS only once confirmed — by the one-time code sent to it
    (services.phone), or at once when it is the number of an appointment, of the logged-in
    resident's own record, or typed by a clerk of the center.
    """
    moment = _now(now)
    device = device or perms.device_of(by)
    if device is not None and (not device.is_active or device.center_id != as_id(center_id)):
        raise PermissionDenied(_("本设备属于其他服务中心。"), code="device_wrong_center")
    if device is not None and Device.center.is_cached(device) and device.center.is_active:
        center: Center | None = device.center  # the device's authentication loaded it (one query fewer)
    else:
        center = Center.objects.filter(pk=as_id(center_id), is_active=True).first()
    if center is None:
        raise NotFound(_("找不到该服务中心。"), code="center_not_found")
    found = list(TicketCategory.objects.filter(pk=as_id(category_id), center=center, is_active=True).order_by()[:1])
    category = found[0] if found else None  # by its primary key: no ORDER BY needed
    if category is None:
        raise NotFound(_("该中心没有这个排队类别。"), code="category_not_found")
    if priority not in TicketPriority.values:
        raise DomainError(_("不支持的优先类别。"), code="priority_invalid", status=422,
                          fields={"priority": [_("请从给定选项中选择。")]})
    if priority in (TicketPriority.VIP, TicketPriority.ELDERLY) and not perms.is_center_staff(by, center):
        raise PermissionDenied(_("优先取号须由工作人员或取号设备办理。"), code="priority_not_allowed")
    if phone:
        try:
            phone = str(validate_mobile(phone))
        except DomainError as exc:
            raise DomainError(exc.message, code=exc.code, status=422, fields={"phone": [exc.message]}) from None
    if not hours.accepts_tickets(center, moment):
        raise Conflict(_("中心现在不在取号时间内，请在开放时间内取号。"), code="center_closed")
    clerk = perms.user_of(by) is not None and perms.is_center_staff(perms.user_of(by), center)
    # Everything the rows need is prepared before BEGIN (issue #17): on SQLite the write lock serialises the
    # takes, so the time inside the transaction is what limits them. Inside: the limits, the number, the
    # prepared ticket INSERT (its number and display patched in), the event and the audit entry.
    day = moment.date()
    confirmed = bool(phone) and (clerk or appointment is not None or _own_number(by, phone))
    ticket = Ticket(center=center, category=category, date=day, number=1, display="", status=S.WAITING,
                    priority=priority, source=source,
                    queue_key=moment - datetime.timedelta(minutes=priority_minutes(priority)),
                    status_code=random_code(CODE_ALPHABET, 10), person=person, phone=phone,
                    phone_confirmed_at=moment if confirmed else None, device=device, appointment=appointment,
                    taken_at=moment)
    insert = insert_statement(Ticket)
    params = row_params(ticket, insert.fields)
    number_at = next(i for i, f in enumerate(insert.fields) if f.name == "number")
    display_at = next(i for i, f in enumerate(insert.fields) if f.name == "display")
    scope = f"ticket:{center.pk}:{category.pk}:{day.isoformat()}"
    checks = None if clerk else _take_limits_sql(device, phone, moment)
    with transaction.atomic():
        touch_due(device)  # a device's once-a-minute "seen", deferred by its API authentication
        if checks is not None:
            _take_limits(device, checks)
        n = next_number(scope)
        ticket.number, ticket.display = n, f"{category.prefix}{n:03d}"
        params[number_at], params[display_at] = n, ticket.display
        insert_prepared([ticket], insert, params)
        _event(ticket, TicketAction.TAKE, by or device, from_status="", at=moment, priority=priority, source=source)
        if phone and not confirmed:
            from .phone import phone_check_start

            phone_check_start(ticket=ticket, phone=phone, device=device, now=moment)
    return ticket


def _own_number(by: Actor, phone: str) -> bool:
    """The number on the logged-in resident's own person record (no code needed)."""
    user = perms.user_of(by)
    person = getattr(user, "person", None) if user is not None else None
    return person is not None and bool(person.phone) and person.phone == phone


_Check = tuple[str, list[Any], int, RateLimited]


def _take_limits_sql(device: Device | None, phone: str, moment: datetime.datetime) -> list[_Check]:
    """CENTERS_TAKE_LIMITS as prepared counts (statement, parameters, limit, refusal), built before BEGIN;
    counted on the ticket rows inside the take's transaction (:func:`_take_limits`)."""
    checks: list[_Check] = []
    quote = connection.ops.quote_name
    table = quote(Ticket._meta.db_table)
    at = connection.ops.adapt_datetimefield_value  # the form the ORM stores (naive UTC on SQLite)
    taken = quote(Ticket._meta.get_field("taken_at").column)
    if device is not None:
        count, seconds = limits.take_limit("device")
        column = quote(Ticket._meta.get_field("device").column)
        checks.append((f"SELECT COUNT(*) FROM {table} WHERE {column} = %s AND {taken} > %s",  # noqa: S608 - names
                       [device.pk, at(moment - datetime.timedelta(seconds=seconds))], count,
                       RateLimited(_("本设备取号过于频繁，请稍后再试或到咨询台求助。"), code="device_rate_limited")))
    if phone:
        count, seconds = limits.take_limit("phone")
        hashes = list(crypto.keyed_hash_candidates(phone))
        column = quote(Ticket._meta.get_field("phone_hash").column)
        checks.append((f"SELECT COUNT(*) FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(hashes))}) "  # noqa: S608
                       f"AND {taken} > %s", [*hashes, at(moment - datetime.timedelta(seconds=seconds))], count,
                       RateLimited(_("该手机号取号次数已达上限，请稍后再试。"), code="phone_rate_limited",
                                   fields={"phone": [_("该手机号取号次数已达上限。")]})))
    return checks


def _take_limits(device: Device | None, checks: list[_Check]) -> None:
    """The prepared counts, in the take's transaction: the device row locked first on PostgreSQL, so two takes
    at one device count one after the other (a statement of its own: the COUNT must see the rows committed
    while it waited for the lock, which a count in the locking statement would not under READ COMMITTED);
    SQLite has no row locks and needs none, the IMMEDIATE transaction holds the write lock. Refused (429)
    with nothing written."""
    with connection.cursor() as cursor:
        if device is not None and connection.features.has_select_for_update:
            cursor.execute(_device_lock_sql(), [device.pk])
        for sql, params, limit, refusal in checks:
            cursor.execute(sql, params)
            if cursor.fetchone()[0] >= limit:
                raise refusal


def _device_lock_sql() -> str:
    quote = connection.ops.quote_name
    return (f"SELECT {quote(Device._meta.pk.column)} FROM {quote(Device._meta.db_table)} "  # noqa: S608 - names
            f"WHERE {quote(Device._meta.pk.column)} = %s FOR UPDATE")


def _notify_near(ticket: Ticket, moment: datetime.datetime) -> None:
    """Heads-up SMS to the ticket that now has N people ahead in its category."""
    n = near_ahead()
    waiting = (Ticket.objects.filter(center_id=ticket.center_id, date=ticket.date, category_id=ticket.category_id,
                                     status=S.WAITING).order_by("queue_key", "id"))
    # Three columns of the N-th ticket; the whole row (its number, decrypted) only when an SMS is due.
    row = waiting.values_list("pk", "phone_confirmed_at", "near_notified")[n:n + 1] if n >= 0 else []
    due = [pk for pk, confirmed, notified in row if confirmed is not None and not notified]
    target = Ticket.objects.filter(pk=due[0]).first() if due else None
    if target is not None and target.phone and target.phone_confirmed_at and not target.near_notified:
        Ticket.objects.filter(pk=target.pk).update(near_notified=True)
        target.center = ticket.center
        _sms(target, "ticket_near", ahead=n)


def ticket_call_next(*, by: Actor, window_id: Any, now: datetime.datetime | None = None) -> Ticket:
    """叫号: the next waiting ticket for this window (see the module rules); one key for the clerk.

    Refused: the window is not open (409 window_not_open), still has a called or serving ticket
    (409 window_busy), or nobody waits (409 queue_empty) — nothing changes then.
    """
    moment = _now(now)
    with transaction.atomic():
        touch_due(perms.device_of(by))  # a keypad's once-a-minute "seen", deferred by its API authentication
        # The window locked, with "still has a called or serving ticket?" in the same query.
        busy = Exists(Ticket.objects.filter(window=OuterRef("pk"), status__in=[S.CALLED, S.SERVING]))
        # No ORDER BY (by primary key): ordering by the model's Meta would hash the annotation's expressions.
        found = list(Window.objects.select_for_update(of=("self",)).select_related("center").annotate(busy=busy)
                     .filter(pk=as_id(window_id)).order_by()[:1])
        window = found[0] if found else None
        if window is None:
            raise NotFound(_("找不到该窗口。"), code="window_not_found")
        if not perms.is_center_staff(by, window.center_id):
            raise PermissionDenied(_("您不是该中心的工作人员。"), code="not_center_staff")
        device = perms.device_of(by)
        if device is not None and device.window_id not in (None, window.pk):
            raise PermissionDenied(_("该设备不属于此窗口。"), code="device_wrong_window")
        if window.state != WindowState.OPEN:
            raise Conflict(_("窗口未开放，请先开窗。"), code="window_not_open")
        if window.busy:  # read under the window's lock: no call can be made at this window meanwhile
            raise Conflict(_("本窗口还有未办结的排队号，请先办结或过号。"), code="window_busy")
        candidates = (selectors.waiting_for_window(window, moment.date()).select_related("category")
                      .order_by("queue_key", "id"))
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        clerk = perms.user_of(by)
        # The first candidate is claimed nearly always (it is locked by this query on PostgreSQL; SQLite's write
        # lock is held): read it alone, and the next 19 only if its claim failed.
        first = list(candidates[:1])
        for candidate in itertools.chain(first, candidates[1:20] if first else []):
            # The claim: written only if the row is still waiting (a candidate whose claim fails is dropped).
            candidate.status, candidate.window, candidate.clerk = S.CALLED, window, clerk
            candidate.called_at, candidate.target_window = moment, None
            if _save(candidate, ["status", "window", "clerk", "called_at", "target_window"],
                     only_if_status=S.WAITING):
                # The claimed row as the UPDATE left it, without reading it again: the candidate is locked
                # (PostgreSQL) or the transaction holds the write lock (SQLite), so nothing else changed it.
                ticket = candidate
                ticket.center = window.center
                _event(ticket, TicketAction.CALL, by, from_status=S.WAITING, at=moment)
                _sms(ticket, "ticket_called", window=window.number)
                _notify_near(ticket, moment)
                return ticket
        raise Conflict(_("当前没有等候的排队号。"), code="queue_empty")


def _step(ticket_id: Any, by: Actor, action: str, now: datetime.datetime | None, *, window_id: Any = None,
          **changes: Any) -> Ticket:
    """One step of a ticket, by its id — or, ``window_id`` given, of that window's current ticket."""
    moment = _now(now)
    with transaction.atomic():
        touch_due(perms.device_of(by))  # a keypad's once-a-minute "seen", deferred by its API authentication
        ticket = _lock_current(window_id) if window_id is not None else _lock(ticket_id)
        _guard(ticket, action, by)
        device = perms.device_of(by)
        if device is not None and device.window_id is not None and ticket.window_id not in (None, device.window_id):
            raise PermissionDenied(_("该设备不属于此窗口。"), code="device_wrong_window")
        from_status = ticket.status
        ticket.status = workflow.ticket_target(from_status, action)
        data: dict[str, Any] = {}
        fields = ["status"]
        for name, value in changes.items():
            if callable(value):
                value = value(ticket, moment)
            if name.startswith("_"):
                data[name[1:]] = value
                continue
            setattr(ticket, name, value)
            fields.append(name)
        _save(ticket, fields)  # the changed columns only (a skip writes one)
        _event(ticket, action, by, from_status=from_status, at=moment, window=ticket.window, **data)
        if action == TicketAction.RECALL:
            _sms(ticket, "ticket_called", window=ticket.window.number if ticket.window else "")
        return ticket


def ticket_recall(*, by: Actor, ticket_id: Any, now: datetime.datetime | None = None) -> Ticket:
    """重呼: call the same ticket again (the display and the voice repeat it)."""
    return _step(ticket_id, by, TicketAction.RECALL, now, recalls=lambda t, m: t.recalls + 1,
                 called_at=lambda t, m: m)


def ticket_skip(*, by: Actor, ticket_id: Any, now: datetime.datetime | None = None) -> Ticket:
    """过号: the called person did not come; the window is free for the next."""
    return _step(ticket_id, by, TicketAction.SKIP, now)


def ticket_skip_current(*, by: Actor, window_id: Any, now: datetime.datetime | None = None) -> Ticket:
    """过号 at a call keypad: the window's current ticket (409 no_current_ticket), read and locked at once."""
    return _step(None, by, TicketAction.SKIP, now, window_id=window_id)


def ticket_requeue(*, by: Actor, ticket_id: Any, now: datetime.datetime | None = None) -> Ticket:
    """过号重排: a late arrival is put back in the queue, at the end (its place was lost)."""
    return _step(ticket_id, by, TicketAction.REQUEUE, now, queue_key=lambda t, m: m, window=None, clerk=None,
                 called_at=None, target_window=None)


def ticket_start(*, by: Actor, ticket_id: Any, now: datetime.datetime | None = None) -> Ticket:
    """开始办理: the person is at the window."""
    return _step(ticket_id, by, TicketAction.START, now, started_at=lambda t, m: m)


def ticket_finish(*, by: Actor, ticket_id: Any, case_ids: list[int] | None = None,
                  now: datetime.datetime | None = None) -> Ticket:
    """办结: the service ends; the cases accepted during it are linked (the rating pad then asks, and
    a confirmed number gets the SMS with the signed rating link — services.rating)."""
    from .rating import service_rating_sms

    with transaction.atomic():
        ticket = _step(ticket_id, by, TicketAction.FINISH, now, finished_at=lambda t, m: m,
                       _cases=list(case_ids or []))
        if case_ids:
            from onewindow.cases.models import Case

            ticket.cases.add(*Case.objects.filter(pk__in=case_ids, receiving_department=ticket.center.department))
        service_rating_sms(ticket)  # the signed rating link, to a confirmed number only
    return ticket


def ticket_transfer(*, by: Actor, ticket_id: Any, to_category_id: Any = None, to_window_id: Any = None,
                    now: datetime.datetime | None = None) -> Ticket:
    """转移: send the ticket to another category or to a given window; it keeps its place (queue key)."""
    with transaction.atomic():
        ticket = _lock(ticket_id)
        category = ticket.category
        window = None
        if to_window_id not in (None, ""):
            window = Window.objects.filter(pk=as_id(to_window_id), center_id=ticket.center_id).first()
            if window is None:
                raise DomainError(_("目标窗口不属于本中心。"), code="transfer_target_invalid", status=422,
                                  fields={"to_window_id": [_("请从给定选项中选择。")]})
        if to_category_id not in (None, ""):
            found = TicketCategory.objects.filter(pk=as_id(to_category_id), center_id=ticket.center_id,
                                                  is_active=True).first()
            if found is None:
                raise DomainError(_("目标类别不属于本中心。"), code="transfer_target_invalid", status=422,
                                  fields={"to_category_id": [_("请从给定选项中选择。")]})
            category = found
        if window is None and category.pk == ticket.category_id:
            raise DomainError(_("请选择要转往的窗口或类别。"), code="transfer_target_required", status=422)
    return _step(ticket.pk, by, TicketAction.TRANSFER, now, category=category, target_window=window, window=None,
                 clerk=None, called_at=None, started_at=None,
                 _to={"category": category.prefix, "window": window.number if window else None})


def ticket_cancel(*, status_code: str, now: datetime.datetime | None = None) -> Ticket:
    """取消: the holder of the ticket (its status page) leaves the queue while still waiting."""
    moment = _now(now)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(status_code=str(status_code)[:16]).first()
        if ticket is None:
            raise NotFound(_("找不到该排队号。"), code="ticket_not_found")
        if not workflow.ticket_allowed(ticket.status, TicketAction.CANCEL):
            raise Conflict(_("排队号已叫号或已结束，不能取消。"), code="ticket_illegal_transition")
        ticket.status = S.CANCELLED
        ticket.save(update_fields=["status"])
        _event(ticket, TicketAction.CANCEL, None, from_status=S.WAITING, at=moment)
    return ticket
