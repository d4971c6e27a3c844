"""Writes of notifications: the outbox (消息出站), delivery with retries, read receipts, templates.

The rule of the issue: every change the applicant must learn of writes its messages in the same
transaction as the change, so a refusal or any rolled-back change queues nothing; delivery runs
only after commit (``transaction.on_commit``) and, whatever happens to that task, again from the
periodic sweep. Delivery is at-least-once towards the gateway with a per-message id to
deduplicate on; a message the gateway acknowledged is marked sent at once and never claimed again.
"""

from __future__ import annotations

import datetime
import logging
import random
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.permissions import as_user
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import add_working_days
from onewindow.core.errors import Conflict, DomainError
from onewindow.core.locks import lock_or_create
from onewindow.core.prepared import insert_rows

from . import selectors
from .backends import SendResult, SmsBackend, get_sms_backend, sms_backend_delivers
from .choices import EVENTS, AttemptOutcome, Channel, MessageStatus, ReminderChannel, ReminderKind, ReminderState
from .defaults import DEFAULTS_V1
from .models import DeliveryAttempt, Message, MessageTemplate, Reminder, ReminderPreference
from .rendering import render_text, truncate_sms

if TYPE_CHECKING:
    from onewindow.accounts.models import Person, User

logger = logging.getLogger(__name__)

#: A worker that claimed a message and then died leaves it "sending"; after this lease another
#: worker may claim it again (it is far longer than any gateway timeout).
CLAIM_LEASE = datetime.timedelta(minutes=5)


# ---- enqueue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Texts:
    sms_text: str
    inapp_title: str
    inapp_text: str
    version: int


def _language(language: str) -> str:
    code = (language or "").lower().replace("_", "-")
    return "en" if code.startswith("en") else "zh-hans"


def recipient_language(*, user: User | None = None, person: Person | None = None) -> str:
    """The language a message to this recipient goes out in: the preferred language of the user
    (set by their language switch), else of the person (an applicant without a login), else
    zh-Hans — a bare phone number, e.g. a walk-in's ticket, is written to in zh-Hans."""
    for party in (user, person):
        preferred = getattr(party, "preferred_language", "") if party is not None else ""
        if preferred:
            return _language(str(preferred))
    return "zh-hans"


def message_texts(event: str, *, user: User | None = None, person: Person | None = None,
                  language: str | None = None) -> tuple[str, _Texts]:
    """The language of the recipient (``recipient_language`` unless ``language`` forces one) and the
    event's texts in it, as :func:`message_enqueue` reads them (one query)."""
    lang = _language(language) if language else recipient_language(user=user, person=person)
    return lang, _texts(event, lang)


def _texts(event: str, language: str) -> _Texts:
    """The newest active template of the event in the language, else in zh-Hans, else the shipped
    default (version 0: a database without the seeded rows)."""
    for lang in dict.fromkeys((language, "zh-hans")):
        row = MessageTemplate.objects.filter(event=event, language=lang, is_active=True).order_by("-version").first()
        if row is not None:
            return _Texts(row.sms_text, row.inapp_title, row.inapp_text, row.version)
    defaults = DEFAULTS_V1[event]
    sms, title, text = defaults.get(language) or defaults["zh-hans"]
    return _Texts(sms, title, text, 0)


def message_enqueue(
    *,
    event: str,
    context: dict[str, Any],
    phone: str = "",
    user: User | None = None,
    person: Person | None = None,
    subject_type: str = "",
    subject_id: str = "",
    language: str | None = None,
    prepared: tuple[str, _Texts] | None = None,
) -> list[Message]:
    """Write the outbox rows of one event, inside the caller's transaction.

    One row per channel: ``sms`` when a phone is given and the event has an SMS text, ``inapp``
    when a user is given (sent on write). Texts come from the event's template in the recipient's
    language (``recipient_language`` of ``user``, else ``person``: the applicant the phone belongs
    to), unless the caller forces ``language``; zh-Hans fallback; a missing context key renders
    empty; SMS text is cut to 300 characters.
    SMS delivery is scheduled with ``transaction.on_commit``, so a rolled-back change (e.g. a
    refusal) sends nothing. With neither phone nor user, nothing is written (a walk-in applicant).

    ``prepared``: the language and texts of :func:`message_texts`, read by the caller before its
    transaction (issue #17: the template's read then waits outside a write lock).

    Raises ValueError for an unknown event and RuntimeError outside ``transaction.atomic`` (both
    programming errors of the caller).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("message_enqueue() must be called inside the caller's transaction.atomic().")
    lang, texts = prepared or message_texts(event, user=user, person=person, language=language)
    now = timezone.now()
    common = {
        "event": event,
        "user": user,
        "subject_type": subject_type[:40],
        "subject_id": str(subject_id)[:64],
        "language": lang,
        "template_version": texts.version,
    }
    messages: list[Message] = []
    phone = "".join(str(phone or "").split())
    sms_text = truncate_sms(render_text(texts.sms_text, context)) if phone else ""
    if sms_text:
        messages.append(
            Message(
                channel=Channel.SMS,
                phone=phone,
                text=sms_text,
                status=MessageStatus.PENDING,
                next_attempt_at=now,
                **common,
            )
        )
    if user is not None:
        messages.append(
            Message(
                channel=Channel.INAPP,
                title=render_text(texts.inapp_title, context)[:200],
                text=render_text(texts.inapp_text, context),
                status=MessageStatus.SENT,
                sent_at=now,
                **common,
            )
        )
    # Both rows in one INSERT built once per process (issue #17: two ORM creates, compiled anew, were
    # ~9 % of a submission); Message has no save override or save signals.
    insert_rows(messages)
    sms_ids = [str(m.pk) for m in messages if m.channel == Channel.SMS]
    if sms_ids and sms_backend_delivers():
        transaction.on_commit(lambda: _schedule_delivery(sms_ids), robust=True)
    return messages


def _schedule_delivery(message_ids: list[str]) -> None:
    from .tasks import message_deliver

    for message_id in message_ids:
        message_deliver.enqueue(message_id)


# ---- delivery ------------------------------------------------------------------------------


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential back-off after the ``attempts``-th failed try: base·2^(attempts−1), at most the
    cap, plus up to 10 % jitter so messages failed together do not retry together."""
    base = float(getattr(settings, "NOTIFICATIONS_BACKOFF_BASE_SECONDS", 60))
    cap = float(getattr(settings, "NOTIFICATIONS_BACKOFF_CAP_SECONDS", 3600))
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return datetime.timedelta(seconds=delay + random.uniform(0, delay / 10))


def _due(now: datetime.datetime) -> Q:
    waiting = Q(status__in=[MessageStatus.PENDING, MessageStatus.FAILED], next_attempt_at__lte=now)
    abandoned = Q(status=MessageStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    return Q(channel=Channel.SMS) & (waiting | abandoned)


def _claim(message_id: Any, now: datetime.datetime) -> bool:
    """Take the message for this worker in one UPDATE; exactly one of concurrent claimers wins."""
    claimed = Message.objects.filter(_due(now), pk=message_id).update(
        status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return claimed == 1


def _record(
    message: Message, result: SendResult, *, backend: str, claimed_at: datetime.datetime, started_at: datetime.datetime
) -> str:
    """Store the outcome of one try and the attempt row in one transaction; returns the new status."""
    finished_at = timezone.now()
    max_attempts = int(getattr(settings, "NOTIFICATIONS_MAX_ATTEMPTS", 8))
    outcome, error = result.outcome, result.error
    if outcome == AttemptOutcome.RETRY and message.attempts >= max_attempts:
        outcome, error = AttemptOutcome.DEAD, f"{error} (gave up after {message.attempts} attempts)".strip()
    with transaction.atomic():
        mine = Message.objects.filter(pk=message.pk)
        if outcome == AttemptOutcome.SENT:
            # The gateway acknowledged: sent, whoever holds the claim now.
            mine.exclude(status=MessageStatus.SENT).update(
                status=MessageStatus.SENT, sent_at=finished_at, claimed_at=None, next_attempt_at=None, last_error=""
            )
            status = MessageStatus.SENT
        else:
            status = MessageStatus.DEAD if outcome == AttemptOutcome.DEAD else MessageStatus.FAILED
            next_at = claimed_at + retry_delay(message.attempts) if status == MessageStatus.FAILED else None
            mine.filter(status=MessageStatus.SENDING, claimed_at=claimed_at).update(
                status=status, claimed_at=None, next_attempt_at=next_at, last_error=error
            )
        DeliveryAttempt.objects.create(
            message=message,
            number=message.attempts,
            backend=backend,
            started_at=started_at,
            finished_at=finished_at,
            outcome=outcome,
            http_status=result.http_status,
            error=error,
        )
    return str(status)


def _deliver(message_id: Any, backend: SmsBackend, now: datetime.datetime | None) -> SendResult | None:
    claimed_at = now or timezone.now()
    if not _claim(message_id, claimed_at):
        return None
    message = Message.objects.get(pk=message_id)
    started_at = timezone.now()
    try:
        result = backend.send(message_id=str(message.pk), phone=message.phone, text=message.text)
    except Exception as exc:  # a backend bug must not leave the message to the lease
        logger.exception("SMS backend %s failed on message %s", backend.name, message.pk)
        result = SendResult(AttemptOutcome.RETRY, error=f"{type(exc).__name__}: {exc}"[:500])
    _record(message, result, backend=backend.name, claimed_at=claimed_at, started_at=started_at)
    return result


def message_deliver_one(message_id: uuid.UUID | str, *, now: datetime.datetime | None = None) -> bool:
    """Try to hand one SMS to the gateway if it is due and nobody else holds it; True if tried.

    The outbox-only backend never tries. Actor: a task worker (after commit) or the sweep.
    """
    backend = get_sms_backend()
    if not backend.delivers:
        return False
    return _deliver(message_id, backend, now) is not None


def messages_deliver_due(*, now: datetime.datetime | None = None, limit: int = 200) -> int:
    """The periodic sweep: try every due SMS (pending, failed past its back-off, or abandoned by a
    crashed worker), oldest first, up to ``limit``; returns how many were tried.

    When the gateway does not answer at all, the sweep stops for this round, so an outage costs one
    attempt per round rather than one per due message.
    """
    backend = get_sms_backend()
    if not backend.delivers:
        return 0
    ids = list(
        Message.objects.filter(_due(now or timezone.now()))
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", flat=True)[:limit]
    )
    tried = 0
    for message_id in ids:
        result = _deliver(message_id, backend, now)
        if result is None:
            continue
        tried += 1
        if result.unreachable:
            break
    return tried


def message_requeue(*, by: Actor, message_id: uuid.UUID | str) -> Message:
    """Give a dead or failed SMS a fresh set of attempts (an operator, after a long gateway outage).

    Audited. A sent message is never requeued: the gateway acknowledged it.
    """
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.channel != Channel.SMS or message.status not in (MessageStatus.DEAD, MessageStatus.FAILED):
            return message
        before = {"status": message.status, "attempts": message.attempts}
        message.status, message.attempts = MessageStatus.PENDING, 0
        message.next_attempt_at, message.claimed_at = timezone.now(), None
        message.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_at"])
        audit_record(
            actor=by,
            action="notifications.message_requeue",
            target=message,
            before=before,
            after={"status": message.status, "attempts": 0},
        )
    return message


# ---- inbox ---------------------------------------------------------------------------------


def message_mark_read(*, by: Actor, message_id: uuid.UUID | str) -> Message:
    """The user opened one of their own in-app messages: set ``read_at`` once (idempotent).
    Another user's message is not found (404)."""
    message = selectors.message_get_for(by, message_id)
    if message.read_at is None:
        now = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.read_at = now
    return message


def message_mark_all_read(*, by: Actor) -> int:
    """Mark all of the user's unread in-app messages read; returns how many changed."""
    return selectors.message_list_for(by, unread_only=True).update(read_at=timezone.now())


# ---- templates -----------------------------------------------------------------------------


def template_save_version(*, by: Actor, template: MessageTemplate) -> MessageTemplate:
    """Save the edited texts as a new version of the event's template (old versions stay, so each
    message names the text it was rendered from). Actor: a system administrator. Audited."""
    with transaction.atomic():
        versions = list(
            MessageTemplate.objects.select_for_update()
            .filter(event=template.event, language=template.language)
            .values_list("version", flat=True)
        )
        latest = max(versions, default=0)
        template.pk = None
        template._state.adding = True
        template.version = latest + 1
        template.created_by = as_user(by)
        template.save()
        audit_record(
            actor=by,
            action="notifications.template_save",
            target=template,
            after={"event": template.event, "language": template.language, "version": template.version},
        )
    return template


# ---- reminders (提醒管理, issue #14 part 6) ----------------------------------------------------


def _check_link(link: str) -> str:
    """A reminder links only inside this site: a path ("/…"), never "//host" or a scheme."""
    link = (link or "").strip()
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link or ":" in link.split("?")[0]):
        raise ValueError(f"reminder link must be a site path, got {link!r}")
    return link


def reminder_upsert(
    *,
    user: User,
    kind: str,
    source_key: str,
    title: str,
    detail: str = "",
    link: str = "",
    due_at: datetime.datetime | None = None,
) -> Reminder:
    """Create or update the user's reminder of one source fact (idempotent by (user, source_key)).

    Called by the feeders (``<app>/reminder_feed.py``) on every sync, so a periodic run never
    duplicates. Title, detail, link and due time follow the source. A reminder the user marked
    done stays done unless the due time moves later (a new deadline is a new thing due); one the
    source resolved re-opens (it is due again). A moved due time clears ``sent_at``, so the new due
    is notified once. ``link`` must be a site path (ValueError otherwise: a programming error).
    Not audited: the source fact's own change is; the reminder only mirrors it.
    """
    if kind not in ReminderKind.values:
        raise ValueError(f"unknown reminder kind {kind!r}")
    link = _check_link(link)
    values = {"kind": kind, "title": title[:200], "detail": detail[:500], "link": link, "due_at": due_at}
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().filter(user=user, source_key=source_key[:100]).first()
        if reminder is None:
            try:
                with transaction.atomic():
                    return Reminder.objects.create(user=user, source_key=source_key[:100], **values)
            except IntegrityError:  # a concurrent sync created it first: update that one
                reminder = Reminder.objects.select_for_update().get(user=user, source_key=source_key[:100])
        moved = reminder.due_at != due_at
        later = due_at is not None and (reminder.due_at is None or due_at > reminder.due_at)
        changed = [name for name, value in values.items() if getattr(reminder, name) != value]
        for name in changed:
            setattr(reminder, name, values[name])
        if reminder.state == ReminderState.RESOLVED or (reminder.state == ReminderState.DONE and later):
            reminder.state, reminder.done_at, reminder.snoozed_until = ReminderState.OPEN, None, None
            reminder.sent_at = None
            changed += ["state", "done_at", "snoozed_until", "sent_at"]
        elif moved and reminder.state != ReminderState.DONE and reminder.sent_at is not None:
            reminder.sent_at = None
            changed.append("sent_at")
        if changed:
            reminder.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
    return reminder


def reminder_resolve(*, source_key: str, user: User | None = None) -> int:
    """The source says the fact is no longer due (the case left the status, the follow-up was
    made): its open and snoozed reminders become resolved, for one user or all. A reminder the
    user already marked done keeps its state. Returns how many changed."""
    reminders = Reminder.objects.filter(
        source_key=source_key[:100], state__in=[ReminderState.OPEN, ReminderState.SNOOZED]
    )
    if user is not None:
        reminders = reminders.filter(user=user)
    return reminders.update(state=ReminderState.RESOLVED, snoozed_until=None, updated_at=timezone.now())


#: The snooze choices of the reminder list: an hour, tomorrow 9:00, the next working day 9:00
#: (core.calendar), or a time the user picks (custom).
SNOOZE_CHOICES: tuple[str, ...] = ("hour", "tomorrow", "next_working_day", "custom")
SNOOZE_MAX = datetime.timedelta(days=90)


def snooze_until(choice: str, *, now: datetime.datetime | None = None,
                 custom: datetime.datetime | None = None) -> datetime.datetime:
    """The end of a snooze for one of :data:`SNOOZE_CHOICES` in local time; bad input is a 422
    ``reminder_snooze_invalid``."""
    now = timezone.localtime(now or timezone.now())
    nine = datetime.time(9, 0)
    if choice == "hour":
        return now + datetime.timedelta(hours=1)
    if choice == "tomorrow":
        return timezone.make_aware(datetime.datetime.combine(now.date() + datetime.timedelta(days=1), nine))
    if choice == "next_working_day":
        return timezone.make_aware(datetime.datetime.combine(add_working_days(now.date(), 1), nine))
    if choice == "custom" and custom is not None:
        return custom if timezone.is_aware(custom) else timezone.make_aware(custom)
    raise DomainError(_("请选择推迟到的时间。"), code="reminder_snooze_invalid", status=422,
                      fields={"until": [_("请选择推迟到的时间。")]})


def _own_for_update(by: Actor, reminder_id: int | str) -> Reminder:
    selectors.reminder_get_for(by, reminder_id)  # another user's reminder: 404
    return Reminder.objects.select_for_update().get(pk=int(str(reminder_id)))


def reminder_snooze(*, by: Actor, reminder_id: int | str, until: datetime.datetime) -> Reminder:
    """The user puts their own reminder off until ``until`` (in the future, at most 90 days);
    it comes back, and is notified again, when the snooze ends. Only the owner (others: 404);
    a done or resolved reminder is 409 ``reminder_closed``. Audited."""
    now = timezone.now()
    if until <= now or until > now + SNOOZE_MAX:
        raise DomainError(_("推迟时间须晚于现在，且不超过 90 天。"), code="reminder_snooze_invalid", status=422,
                          fields={"until": [_("推迟时间须晚于现在，且不超过 90 天。")]})
    with transaction.atomic():
        reminder = _own_for_update(by, reminder_id)
        if reminder.state not in (ReminderState.OPEN, ReminderState.SNOOZED):
            raise Conflict(_("该提醒已完成或已关闭。"), code="reminder_closed")
        previous = reminder.snoozed_until
        before = {"state": reminder.state, "snoozed_until": previous.isoformat() if previous else None}
        reminder.state, reminder.snoozed_until, reminder.sent_at = ReminderState.SNOOZED, until, None
        reminder.save(update_fields=["state", "snoozed_until", "sent_at", "updated_at"])
        audit_record(actor=by, action="notifications.reminder_snooze", target=reminder, before=before,
                     after={"state": reminder.state, "snoozed_until": until.isoformat()})
    return reminder


def reminder_done(*, by: Actor, reminder_id: int | str) -> Reminder:
    """The user marks their own reminder done (idempotent). Only the owner (others: 404); one the
    source resolved is 409 ``reminder_closed``. Audited."""
    with transaction.atomic():
        reminder = _own_for_update(by, reminder_id)
        if reminder.state == ReminderState.DONE:
            return reminder
        if reminder.state == ReminderState.RESOLVED:
            raise Conflict(_("该提醒已完成或已关闭。"), code="reminder_closed")
        before = {"state": reminder.state}
        reminder.state, reminder.done_at, reminder.snoozed_until = ReminderState.DONE, timezone.now(), None
        reminder.save(update_fields=["state", "done_at", "snoozed_until", "updated_at"])
        audit_record(actor=by, action="notifications.reminder_done", target=reminder, before=before,
                     after={"state": reminder.state})
    return reminder


def reminder_preference_set(*, by: Actor, channel: str) -> ReminderPreference:
    """The user chooses how reminders reach them: in-app only, or in-app and SMS. Audited."""
    if channel not in ReminderChannel.values:
        raise DomainError(_("请选择提醒方式。"), code="reminder_channel_invalid", status=422,
                          fields={"channel": [_("请选择提醒方式。")]})
    user = as_user(by)
    if user is None:
        raise DomainError(_("请先登录。"), code="unauthenticated", status=401)
    with transaction.atomic():
        preference = lock_or_create(ReminderPreference, user=user)
        before = {"channel": preference.channel}
        if preference.channel != channel:
            preference.channel = channel
            preference.save(update_fields=["channel", "updated_at"])
        audit_record(actor=by, action="notifications.reminder_preference", target=preference, before=before,
                     after={"channel": channel})
    return preference


def reminders_deliver_due(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """The periodic delivery: each reminder that became due — open, not yet notified, and due within
    ``NOTIFICATIONS_REMINDER_LEAD_HOURS`` (undated ones at once), or snoozed until a time now
    passed — writes one ``reminder_due`` message in-app, plus an SMS to the user's phone when they
    chose SMS. ``sent_at`` is set in the same transaction, so each due is notified once; a woken
    snoozed reminder turns open again. Returns how many were notified."""
    now = now or timezone.now()
    lead = datetime.timedelta(hours=float(getattr(settings, "NOTIFICATIONS_REMINDER_LEAD_HOURS", 24)))
    due = (Q(state=ReminderState.OPEN) & (Q(due_at__isnull=True) | Q(due_at__lte=now + lead))) | Q(
        state=ReminderState.SNOOZED, snoozed_until__lte=now
    )
    ids = list(Reminder.objects.filter(due, sent_at__isnull=True).order_by("id").values_list("pk", flat=True)[:limit])
    sent = 0
    for pk in ids:
        with transaction.atomic():
            reminder = (Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("user__person").filter(due, pk=pk, sent_at__isnull=True).first())
            if reminder is None:
                continue
            user = reminder.user
            channel = ReminderPreference.objects.filter(user=user).values_list("channel", flat=True).first()
            phone = user.person.phone if channel == ReminderChannel.SMS and user.person is not None else ""
            due_text = timezone.localtime(reminder.due_at).strftime("%Y-%m-%d %H:%M") if reminder.due_at else ""
            message_enqueue(event="reminder_due", user=user, phone=phone, subject_type="reminder",
                            subject_id=str(reminder.pk),
                            context={"title": reminder.title, "detail": reminder.detail, "due": due_text,
                                     "url": reminder.link})
            reminder.sent_at = now
            if reminder.state == ReminderState.SNOOZED:
                reminder.state, reminder.snoozed_until = ReminderState.OPEN, None
            reminder.save(update_fields=["sent_at", "state", "snoozed_until", "updated_at"])
            sent += 1
    return sent


@dataclass(frozen=True)
class ReminderWant:
    """One reminder a feeder wants to exist now (see :func:`reminders_sync`)."""

    user: User
    source_key: str
    title: str
    detail: str = ""
    link: str = ""
    due_at: datetime.datetime | None = None


def reminders_sync(*, kind: str, key_prefix: str, wanted: list[ReminderWant]) -> dict[str, int]:
    """One feeder run: upsert every wanted reminder, and resolve this feeder's open or snoozed
    reminders (``kind`` and ``source_key`` starting with ``key_prefix``) that are no longer wanted
    — for the user no longer concerned, or for everyone when the fact left its status. Idempotent.
    Returns ``{"upserted": n, "resolved": n}``."""
    keep: set[tuple[int, str]] = set()
    for want in wanted:
        reminder_upsert(user=want.user, kind=kind, source_key=want.source_key, title=want.title,
                        detail=want.detail, link=want.link, due_at=want.due_at)
        keep.add((want.user.pk, want.source_key[:100]))
    stale = [
        (user_id, key)
        for user_id, key in Reminder.objects.filter(
            kind=kind, source_key__startswith=key_prefix, state__in=[ReminderState.OPEN, ReminderState.SNOOZED]
        ).values_list("user_id", "source_key")
        if (user_id, key) not in keep
    ]
    resolved = 0
    for user_id, key in stale:
        resolved += Reminder.objects.filter(
            user_id=user_id, source_key=key, state__in=[ReminderState.OPEN, ReminderState.SNOOZED]
        ).update(state=ReminderState.RESOLVED, snoozed_until=None, updated_at=timezone.now())
    return {"upserted": len(keep), "resolved": resolved}
