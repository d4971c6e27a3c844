"""Unmasking a person (查看完整个人信息): the checks, the record of the view, the rate limits.

Order of the checks (each refusal has a stable code, and an authenticated caller's refusal is
recorded as exactly one ``personal_data.view_refused`` audit entry, nothing else):

1. a machine — an API token, or a browser bound to a hall device (kiosk, display, terminal) —
   never unmasks: ``unmask_machine_forbidden`` (403);
2. only staff unmask: ``unmask_forbidden`` (403);
3. the person must be in the viewer's scope (accounts.scope): ``unmask_out_of_scope`` (403);
4. a session user must have re-authenticated recently (accounts.reauth): ``reauth_required``
   (403, not recorded: nothing was refused for good);
5. at most ``ACCOUNTS_UNMASK_HARD_LIMIT`` (default 200) unmasked views per staff user in the
   last hour: ``unmask_rate_limited`` (429).

Then, in one transaction under the lock of the viewer's user row (so that concurrent requests
of one user in several worker processes count exactly): the access record (PersonAccess, which
the citizen sees) and the audit entry with the purpose. The view that goes above
``ACCOUNTS_UNMASK_SOFT_LIMIT`` (default 50 an hour) raises an alert: an audit entry
``personal_data.view_rate_alert``, a WARNING on the ``onewindow.security`` logger, and every
registered alert hook (the notifications app sends the system admins an in-app message).

Basis: 个人信息保护法 art. 6, 40-51; GB/T 22239-2019 访问控制, 安全审计, 入侵防范; OWASP ASVS 5.0
V8 (authorization), V2 (anti-automation), V16 (security logging).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core import crypto
from onewindow.core.actors import system_actor
from onewindow.core.audit import PERSONAL_DATA_VIEW, audit_record
from onewindow.core.errors import DomainError, PermissionDenied, RateLimited
from onewindow.core.fields import normalize_for_hash

from . import permissions as perms
from .choices import PurposeKind
from .models import Person, PersonAccess, User
from .scope import Purpose, unmask_purpose_for

VIEW_REFUSED = "personal_data.view_refused"
RATE_ALERT = "personal_data.view_rate_alert"
UNMASKED_FIELDS = ["birth_date", "id_number", "name", "phone"]
DEFAULT_SOFT_LIMIT = 50
DEFAULT_HARD_LIMIT = 200
WINDOW = datetime.timedelta(hours=1)

security_log = logging.getLogger("onewindow.security")


@dataclass(frozen=True)
class RateAlert:
    """A staff user went above the soft limit of unmasked views in the last hour."""

    user: User
    count: int
    limit: int


AlertHook = Callable[[RateAlert], None]
_ALERT_HOOKS: dict[str, AlertHook] = {}


def register_unmask_alert(name: str, hook: AlertHook) -> None:
    """Register (or replace, by ``name``) a hook called, after commit, for each soft-limit alert."""
    _ALERT_HOOKS[name] = hook


def is_machine_request(request: Any) -> bool:
    """True for a request that no person at a desk makes: an API call with a bearer token (a
    system, a hall device, or a user's token — none re-authenticates), or a browser bound to a
    hall device (kiosk, display, terminal: ``request.bound_device``, set by the centers
    middleware)."""
    principal = getattr(request, "auth", None)
    return getattr(principal, "token", None) is not None or getattr(request, "bound_device", None) is not None


def soft_limit() -> int:
    return int(getattr(settings, "ACCOUNTS_UNMASK_SOFT_LIMIT", DEFAULT_SOFT_LIMIT))


def hard_limit() -> int:
    return int(getattr(settings, "ACCOUNTS_UNMASK_HARD_LIMIT", DEFAULT_HARD_LIMIT))


def _refuse(user: Any, person: Person, error: DomainError) -> DomainError:
    """Record the refusal (one audit entry, masked target label) and hand the error back."""
    if perms.as_user(user) is not None:
        audit_record(actor=user, action=VIEW_REFUSED, target=person, after={"code": error.code},
                     role=perms.primary_role(user))
    return error


def check_unmask(user: Any, person: Person, *, machine: bool = False) -> Purpose:
    """Steps 1–3 above: the purpose that allows ``user`` to unmask ``person``, or the refusal
    (raised, after recording it)."""
    if machine:
        raise _refuse(user, person, PermissionDenied(
            _("自助终端、显示屏和机器令牌不能查看完整的个人信息"), code="unmask_machine_forbidden"))
    if not perms.is_staff_member(user):
        raise _refuse(user, person, PermissionDenied(_("您无权查看完整的个人信息"), code="unmask_forbidden"))
    purpose = unmask_purpose_for(user, person)
    if purpose is None:
        raise _refuse(user, person, PermissionDenied(
            _("此人不是您所在单位经办的办件、排队、预约或税务记录的当事人，不能查看完整信息"),
            code="unmask_out_of_scope"))
    return purpose


def record_unmask(user: User, person: Person, purpose: Purpose, now: datetime.datetime | None = None) -> None:
    """Steps 5 and after: the hard limit, then the access record, the audit entry and the alert."""
    now = now or timezone.now()
    limited = False
    with transaction.atomic():
        # The user row's lock serialises one user's unmasks across worker processes, so the count
        # below is exact and the hard limit cannot be overrun by parallel requests.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        count = PersonAccess.objects.filter(viewer=user, at__gt=now - WINDOW).count()
        limited = count >= hard_limit()
        if not limited:
            _write_view(user, person, purpose, now, count)
    if limited:
        raise _refuse(user, person, RateLimited(_("一小时内查看完整个人信息的次数已达上限，请稍后再试"),
                                                code="unmask_rate_limited"))


def _write_view(user: User, person: Person, purpose: Purpose, now: datetime.datetime, count: int) -> None:
    role = perms.primary_role(user)
    PersonAccess.objects.create(person=person, viewer=user, viewer_role=role, department_id=purpose.department_id,
                                purpose_kind=purpose.kind, purpose_reference=purpose.reference[:64], at=now)
    audit_record(actor=user, action=PERSONAL_DATA_VIEW, target=person, role=role,
                 after={"fields": UNMASKED_FIELDS, "purpose": purpose.as_audit()})
    if count == soft_limit():
        alert = RateAlert(user=user, count=count + 1, limit=soft_limit())
        audit_record(actor=system_actor("unmask_rate_monitor"), action=RATE_ALERT, target=user,
                     after={"count": alert.count, "limit": alert.limit, "window_seconds": int(WINDOW.total_seconds())})
        security_log.warning("unmask soft limit exceeded: user=%s count=%s limit=%s per hour",
                             user.pk, alert.count, alert.limit)
        transaction.on_commit(lambda: _raise_alert(alert))


def record_legal_rep_view(
    viewer: User, id_number: str, *, reference: str, department_id: int | None, at: datetime.datetime
) -> list[PersonAccess]:
    """The access records of a market entity's legal representative whom a regulator saw unmasked
    (``market.selectors.entity_unmasked_for``, which has checked the viewer, counted the hourly
    limit under the viewer's lock and written the audit entry, in the transaction this joins).

    The registry keeps the legal representative's ID number, not a Person: where a Person has the
    same document number (keyed hash under every known key), that person gets a row with the
    purpose 市场主体登记 and the entity's credit code, and sees it on their access log (PIPL
    art. 45). A number no Person has writes nothing here; the audit entry still records the view.
    """
    number = normalize_for_hash(id_number or "", "upper")
    if not number:
        return []
    role = perms.primary_role(viewer)
    persons = Person.objects.filter(id_number_hash__in=crypto.keyed_hash_candidates(number)).order_by("pk")
    return [PersonAccess.objects.create(person=person, viewer=viewer, viewer_role=role, department_id=department_id,
                                        purpose_kind=PurposeKind.MARKET_ENTITY, purpose_reference=reference[:64],
                                        at=at)
            for person in persons]


def _raise_alert(alert: RateAlert) -> None:
    for name, hook in list(_ALERT_HOOKS.items()):
        try:
            hook(alert)
        except Exception:  # an alert channel failing must not fail the view that was already recorded
            security_log.exception("unmask alert hook %s failed", name)
