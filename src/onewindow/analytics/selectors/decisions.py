"""Item decisions (事项准入, issue #14 part 4): the center's items found at low volume by the rollups,
and the proposals made about them.

Rule (seed, 临汾路 — 办事结果全运用): items with a yearly or long-run volume of 0 or a single digit
get a proposal to change or withdraw them. *Volume* is the cases received for the item at the
center over all channels (``selectors.volumes``, read from the rollups, never raw history).

- A *candidate* is an item the center offers (``Center.items``) whose volume over the window is at
  most ``ANALYTICS_LOW_VOLUME_MAX`` (default 9, "single digit"). Withdrawn items stay on the list,
  marked with their withdrawal date, so that the history reads as the seed reports it.
- The window is a filter: ``since`` (from ``ANALYTICS_DECISION_SINCE``, default 2016-04-01, to
  today), ``year`` (the 12 months up to today), ``seed`` (the seed window 2016-04-01 → 2017-09-05),
  or ``custom`` (given dates).

Who (permissions.py): the center's manager sees the center's candidates and proposals; a
department admin sees the proposals about its department's items (to decide them); anyone else
nothing (404 for a center they may not see).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ItemVersion, ServiceItem
from onewindow.centers.models import Center
from onewindow.core.actors import Actor
from onewindow.core.errors import DomainError, NotFound

from .. import permissions as perms
from ..choices import ProposalAction, ProposalStatus
from ..models import ItemProposal
from .volumes import item_channels, item_last_received, item_monthly_volumes, item_volumes

SEED_START = datetime.date(2016, 4, 1)
SEED_END = datetime.date(2017, 9, 5)
PRESETS: tuple[str, ...] = ("since", "year", "seed", "custom")
PRESET_LABELS: dict[str, Any] = {
    "since": _("自统计起始日起"),
    "year": _("近12个月"),
    "seed": _("种子窗口（2016-04-01至2017-09-05）"),
    "custom": _("自定义"),
}
MAX_WINDOW_DAYS = 366 * 20


def low_volume_max() -> int:
    """The largest volume that still counts as low (ANALYTICS_LOW_VOLUME_MAX, default 9)."""
    return int(getattr(settings, "ANALYTICS_LOW_VOLUME_MAX", 9))


def decision_since() -> datetime.date:
    """The configured start of the long-run window (ANALYTICS_DECISION_SINCE, default 2016-04-01)."""
    value = getattr(settings, "ANALYTICS_DECISION_SINCE", SEED_START)
    if isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def _bad_window(message: Any) -> DomainError:
    return DomainError(message, code="analytics_bad_window", fields={"window": [message]})


def year_before(end: datetime.date) -> datetime.date:
    """The first day of the 12 months ending on ``end`` (2017-09-05 → 2016-09-06)."""
    if end.month == 2 and end.day == 29:
        return datetime.date(end.year - 1, 3, 1)
    return end.replace(year=end.year - 1) + datetime.timedelta(days=1)


def window_of(preset: str | None, start: datetime.date | None = None,
              end: datetime.date | None = None, *, today: datetime.date | None = None
              ) -> tuple[str, datetime.date, datetime.date]:
    """The (preset, start, end) of a window filter; 400 ``analytics_bad_window`` for an unknown
    preset, a custom window without both dates, an end before the start or a span over 20 years."""
    today = today or timezone.localdate()
    preset = preset or "since"
    if preset == "since":
        return preset, decision_since(), today
    if preset == "year":
        return preset, year_before(today), today
    if preset == "seed":
        return preset, SEED_START, SEED_END
    if preset != "custom":
        raise _bad_window(_("未知的统计区间。"))
    if start is None or end is None:
        raise _bad_window(_("自定义区间须填写起止日期。"))
    if end < start:
        raise _bad_window(_("截止日期不能早于起始日期。"))
    if (end - start).days > MAX_WINDOW_DAYS:
        raise _bad_window(_("统计区间不能超过20年。"))
    return preset, start, end


def center_for_manager(*, by: Actor, center_id: int) -> Center:
    """The center, if ``by`` manages it; otherwise 404 (a center one may not see does not exist)."""
    center = Center.objects.filter(pk=center_id).select_related("department").first()
    if center is None or not perms.can_manage(by, center.pk):
        raise NotFound(_("找不到该中心。"), code="center_not_found")
    return center


@dataclass
class Candidate:
    """One low-volume item of the center, with its history over the window."""

    item: ServiceItem
    volume: int
    monthly: dict[str, int]
    last_received: datetime.datetime | None
    channels: dict[str, int]
    withdrawn_on: datetime.date | None
    open_proposal: ItemProposal | None = None
    decided: list[ItemProposal] = field(default_factory=list)

    @property
    def withdrawn(self) -> bool:
        return self.item.status == ItemStatus.WITHDRAWN

    @property
    def suggested_action(self) -> str:
        """Withdraw at zero, change at a single digit (the seed's 建议调整或取消)."""
        return ProposalAction.WITHDRAW if self.volume == 0 else ProposalAction.CHANGE


def months_of(start: datetime.date, end: datetime.date) -> list[str]:
    """``"YYYY-MM"`` of every month the window touches, in order."""
    out: list[str] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _withdrawn_dates(item_ids: list[int], end: datetime.date) -> dict[int, datetime.date]:
    rows = (ItemVersion.objects.filter(item_id__in=item_ids, status=ItemStatus.WITHDRAWN)
            .values_list("item_id", "status_date", "valid_from"))
    out: dict[int, datetime.date] = {}
    for item_id, status_date, valid_from in rows:
        day = status_date or valid_from
        if item_id not in out or day < out[item_id]:
            out[item_id] = day
    return out


def candidates(*, by: Actor, center_id: int, start: datetime.date, end: datetime.date,
               maximum: int | None = None) -> list[Candidate]:
    """The center's items with volume ≤ ``maximum`` (ANALYTICS_LOW_VOLUME_MAX) from ``start`` to
    ``end``, lowest volume first; each with its monthly volume, last case, channels, withdrawal
    date and proposals. 404 unless ``by`` manages the center."""
    center = center_for_manager(by=by, center_id=center_id)
    ceiling = low_volume_max() if maximum is None else maximum
    items = list(center.items.select_related("department").order_by("code"))
    volumes = item_volumes(center_id=center.pk, start=start, end=end)
    low = [item for item in items if volumes.get(item.pk, 0) <= ceiling]
    ids = [item.pk for item in low]
    monthly = item_monthly_volumes(center_id=center.pk, item_ids=ids, start=start, end=end)
    last = item_last_received(center_id=center.pk, item_ids=ids, end=end)
    channels = item_channels(center_id=center.pk, item_ids=ids, start=start, end=end)
    withdrawn = _withdrawn_dates(ids, end)
    rows = [Candidate(item=item, volume=volumes.get(item.pk, 0), monthly=monthly.get(item.pk, {}),
                      last_received=last.get(item.pk), channels=channels.get(item.pk, {}),
                      withdrawn_on=withdrawn.get(item.pk) if item.status == ItemStatus.WITHDRAWN else None)
            for item in low]
    by_item = {row.item.pk: row for row in rows}
    for proposal in (ItemProposal.objects.filter(center_id=center.pk, item_id__in=ids)
                     .select_related("proposed_by", "decided_by", "catalog_version")
                     .order_by("-proposed_at", "-id")):
        row = by_item[proposal.item_id]
        if proposal.status == ProposalStatus.PROPOSED:
            row.open_proposal = proposal
        else:
            row.decided.append(proposal)
    rows.sort(key=lambda r: (r.volume, r.item.code))
    return rows


def home_summary(*, by: Actor, center_id: int) -> dict[str, Any]:
    """For the management home: ``candidates`` — the center's items still in use at 0 or
    single-digit volume over the default window (since ANALYTICS_DECISION_SINCE) with no open
    proposal; ``proposed`` — open proposals of the center (awaiting the department). Also
    ``start``/``end`` of the window. 404 unless ``by`` manages the center."""
    _preset, start, end = window_of("since")
    rows = candidates(by=by, center_id=center_id, start=start, end=end)
    return {
        "candidates": sum(1 for r in rows if not r.withdrawn and r.open_proposal is None),
        "proposed": ItemProposal.objects.filter(center_id=center_id, status=ProposalStatus.PROPOSED).count(),
        "start": start,
        "end": end,
    }


def deciding_departments(by: Actor) -> set[int] | None:
    """Departments whose items' proposals ``by`` decides: ``None`` meaning all (system admin), else
    the departments of ``by``'s department-admin roles (possibly empty)."""
    if account_perms.is_system_admin(by):
        return None
    return account_perms.departments_of(by, StaffRoleKind.DEPARTMENT_ADMIN)


def may_decide(by: Actor, proposal: ItemProposal) -> bool:
    """The department that owns the item decides: a department admin whose role covers the item's
    department (``has_role_in_scope``, like the catalog's own guard), or a system admin."""
    if account_perms.is_system_admin(by):
        return True
    return account_perms.has_role_in_scope(by, [StaffRoleKind.DEPARTMENT_ADMIN],
                                           department=proposal.item.department)


def proposals_visible(by: Actor) -> QuerySet[ItemProposal]:
    """Proposals ``by`` may see: those of the centers they manage and those about the items of the
    departments they administer; none for anyone else."""
    qs = ItemProposal.objects.select_related("center", "item", "item__department", "department",
                                             "proposed_by", "decided_by", "catalog_version")
    if account_perms.is_system_admin(by):
        return qs
    scope = Q(center_id__in=perms.managed_centers(by))
    departments = account_perms.departments_of(by, StaffRoleKind.DEPARTMENT_ADMIN)
    if departments:
        scope |= Q(department_id__in=departments)
    return qs.filter(scope)


def proposal_detail(*, by: Actor, proposal_id: int) -> ItemProposal:
    """One proposal with its events; 404 for one ``by`` may not see."""
    proposal = proposals_visible(by).filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound(_("找不到该建议。"), code="proposal_not_found")
    return proposal


def proposal_list(*, by: Actor, status: str | None = None) -> QuerySet[ItemProposal]:
    """Proposals ``by`` may see, newest first, optionally of one status (unknown status: 400)."""
    qs = proposals_visible(by)
    if status:
        if status not in ProposalStatus.values:
            message = _("未知的建议状态。")
            raise DomainError(message, code="proposal_bad_status", fields={"status": [message]})
        qs = qs.filter(status=status)
    return qs.order_by("-proposed_at", "-id")
