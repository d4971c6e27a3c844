"""Reads of the exchange log (交换日志), scoped to the user (permissions.py, "Logs").

A department's admins (部门管理员) read the entries where their department is the consumer or the
provider — the log names a party ``<installation code>:<department code>``; system admins read
every entry (and verify the chain); everyone else reads none. Parameters are only ever a digest,
so no entry holds personal data in clear.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound
from onewindow.core.models import Department

from .. import permissions as perms
from ..canonical import installation_code
from ..models import ExchangeCheckpoint, ExchangeLogEntry, SigningKey


def log_scope_codes(user: Any) -> set[str] | None:
    """The party codes whose entries ``user`` reads: None for every entry (a system admin), else
    ``<installation code>:<department code>`` of each department the user administers."""
    if perms.may_read_all_logs(user):
        return None
    ids = perms.provider_department_ids(user)
    if not ids:
        return set()
    code = installation_code()
    return {f"{code}:{dept}" for dept in Department.objects.filter(pk__in=ids).values_list("code", flat=True)}


def may_read_logs(user: Any) -> bool:
    """A system admin, or an admin of at least one department."""
    return perms.may_read_all_logs(user) or bool(perms.provider_department_ids(user))


def log_list_for(user: Any, *, resource_code: str = "", outcome: str = "", role: str = "",
                 date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                 case_number: str = "") -> QuerySet[ExchangeLogEntry]:
    """The entries ``user`` may read, newest first, filtered by resource code (exact, or a prefix
    ending in ``-``), outcome, side, day range (local dates, inclusive) and case number."""
    rows = ExchangeLogEntry.objects.all()
    codes = log_scope_codes(user)
    if codes is not None:
        rows = rows.filter(Q(consumer_code__in=codes) | Q(provider_code__in=codes)) if codes else rows.none()
    if resource_code:
        rows = rows.filter(resource_code__startswith=resource_code) if resource_code.endswith("-") \
            else rows.filter(resource_code=resource_code)
    if outcome:
        rows = rows.filter(outcome=outcome)
    if role:
        rows = rows.filter(role=role)
    if date_from is not None:
        rows = rows.filter(created_at__gte=_day_start(date_from))
    if date_to is not None:
        rows = rows.filter(created_at__lt=_day_start(date_to + datetime.timedelta(days=1)))
    if case_number:
        rows = rows.filter(case_number=case_number)
    return rows.order_by("-id")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def log_get_for(user: Any, entry_id: int) -> ExchangeLogEntry:
    """One entry the user may read; 404 ``log_entry_not_found`` otherwise (an entry outside the
    user's departments is not acknowledged to exist)."""
    entry = log_list_for(user).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(_("找不到该交换日志条目。"), code="log_entry_not_found")
    return entry


def party_names(codes: set[str]) -> dict[str, str]:
    """Department names of the party codes of this installation (others stay codes)."""
    prefix = installation_code() + ":"
    wanted = {code[len(prefix):]: code for code in codes if code.startswith(prefix)}
    return {wanted[code]: name for code, name in
            Department.objects.filter(code__in=wanted).values_list("code", "name")}


@dataclass(frozen=True)
class ChainPosition:
    """Where a sealed entry sits in the chain: its seq, the neighbours' ids (when the user may
    read them) and the first checkpoint that covers it (None while unsealed or not yet covered)."""

    seq: int | None
    previous_id: int | None
    next_id: int | None
    checkpoint: ExchangeCheckpoint | None


def log_chain_position(user: Any, entry: ExchangeLogEntry) -> ChainPosition:
    """The chain position of ``entry`` as ``user`` may see it (neighbours outside scope unnamed)."""
    if entry.seq is None:
        return ChainPosition(None, None, None, None)
    visible = log_list_for(user)
    previous = visible.filter(seq=entry.seq - 1).values_list("id", flat=True).first()
    following = visible.filter(seq=entry.seq + 1).values_list("id", flat=True).first()
    checkpoint = ExchangeCheckpoint.objects.filter(seq__gte=entry.seq).order_by("seq").first()
    return ChainPosition(entry.seq, previous, following, checkpoint)


def signing_key_of(kid: str) -> SigningKey | None:
    """The key row named ``kid`` (own or a peer's), with its owner, for display; never its private key."""
    return SigningKey.objects.select_related("department", "peer").defer("private_key").filter(kid=kid).first()
