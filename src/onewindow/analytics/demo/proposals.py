"""Demo step: the 临汾路 center's item proposals of the seed window (事项调整建议, issue #14).

The history the seed reports: since 2016-04 the center's data showed items at zero volume; the
center proposed withdrawing them and the department withdrew 5 in 2016–2017. Each of the catalog
demo's withdrawn versions (``catalog.demo.LINFEN_WITHDRAWN``, dated in the history) gets the
proposal that led to it: made by the center about a month before, accepted by the department on
the withdrawal date, linked to that version. Written in bulk with the historical dates (the
services stamp today), with their events and one audit entry for the load. The proposals of the
present (the manager's) are left to the demo user. Idempotent; nothing to do without the center.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ItemVersion
from onewindow.centers.models import Center
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record

from ..choices import ProposalAction, ProposalEventAction, ProposalStatus
from ..models import ItemProposal, ItemProposalEvent

CENTER_CODE = "310106021"
SINCE = datetime.date(2016, 4, 1)
LEAD_DAYS = 30  # the center proposed about a month before the department decided


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour, 0))


def proposals_load(progress: Callable[[int], object], seed: int) -> None:
    center = Center.objects.filter(code=CENTER_CODE).select_related("department").first()
    if center is None or ItemProposal.objects.filter(center=center).exists():
        return
    withdrawals = list(ItemVersion.objects.filter(item__in=center.items.all(), status=ItemStatus.WITHDRAWN,
                                                  status_date__isnull=False)
                       .select_related("item").order_by("status_date", "item__code"))
    center_label = f"{center.short_name or center.name}（中心负责人）"[:100]
    department_label = f"{center.department.short_name or center.department.name}（部门管理员）"[:100]
    with transaction.atomic():
        proposals: list[ItemProposal] = []
        events: list[tuple[Any, ...]] = []
        for version in withdrawals:
            decided = version.status_date
            assert decided is not None
            proposed = max(SINCE, decided - datetime.timedelta(days=LEAD_DAYS))
            window_end = proposed - datetime.timedelta(days=1)
            reason = f"自{SINCE:%Y年%m月}起至{window_end:%Y年%m月%d日}零办件，建议取消。"
            proposal = ItemProposal(
                center=center, item=version.item, department=version.item.department, window_start=SINCE,
                window_end=max(SINCE, window_end), volume=0, last_case_at=None,
                action=ProposalAction.WITHDRAW, reason=reason, status=ProposalStatus.ACCEPTED,
                decision_note=version.status_reason, catalog_version=version, proposed_by=None,
                proposed_at=_at(proposed, 10), decided_by=None, decided_at=_at(decided, 15))
            proposals.append(proposal)
            events.append((proposal, ProposalEventAction.PROPOSE, "", ProposalStatus.PROPOSED, center_label,
                           reason, proposal.proposed_at))
            events.append((proposal, ProposalEventAction.ACCEPT, ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED,
                           department_label, version.status_reason, proposal.decided_at))
        ItemProposal.objects.bulk_create(proposals)
        ItemProposalEvent.objects.bulk_create(
            ItemProposalEvent(proposal=p, action=a, from_status=f, to_status=t, actor_label=label, note=note, at=at)
            for p, a, f, t, label, note, at in events)
        audit_record(actor=system_actor("demo_data"), action="analytics.demo_proposals", target=None,
                     after={"proposals": len(proposals), "seed": seed})
    progress(len(proposals))
