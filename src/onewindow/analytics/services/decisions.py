"""Services of item decisions (事项准入: 建议调整或取消, issue #14 part 4).

Rule (seed, 临汾路 — 办事数据全采集、办事结果全运用): items the rollups find at 0 or a single digit
over a window get a proposal to keep, change or withdraw them. The center manager proposes, with
the evidence frozen at that moment (the window, the volume in it, the last case); the department
that owns the item (its 部门管理员, as the catalog's own guard recognises them) accepts or rejects;
the proposer may cancel while it waits (``workflow``). An accepted withdrawal is a new catalog
version with status withdrawn, made by ``catalog.services.item_withdraw`` in the same transaction
and linked as ``catalog_version``; an accepted change records the decision (the department then
revises the item in the catalog).

Every service locks, guards (404 not visible, 403 may see but not act, 409 wrong status or an open
proposal for the item already, 400 bad input), writes the proposal's event and an audit entry in
one transaction; a refusal writes nothing. One open proposal per item and center is also a
database constraint: a concurrent second proposal gets 409, never a 500.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.catalog import services as catalog_services
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.normalize import has_invalid_characters

from .. import workflow
from ..choices import ProposalAction, ProposalEventAction, ProposalStatus
from ..models import ItemProposal, ItemProposalEvent
from ..selectors.decisions import MAX_WINDOW_DAYS, center_for_manager, may_decide, proposals_visible
from ..selectors.volumes import item_last_received, item_volumes

TEXT_LIMIT = 2000


def _invalid(field: str, message: Any, code: str = "proposal_invalid") -> DomainError:
    return DomainError(_("事项调整建议信息不正确。"), code=code, fields={field: [message]})


def _text(value: Any, field: str, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _invalid(field, _("此项必填。"))
    if len(text) > TEXT_LIMIT:
        raise _invalid(field, _("内容过长。"))
    if has_invalid_characters(text):
        raise _invalid(field, _("包含无效字符"), code="text_invalid")
    return text


def _date(value: Any, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or ""))
    except ValueError:
        raise _invalid(field, _("请输入有效的日期。")) from None


def _summary(proposal: ItemProposal) -> dict[str, Any]:
    return {"item": proposal.item_id, "center": proposal.center_id, "action": proposal.action,
            "status": proposal.status, "volume": proposal.volume,
            "window": [proposal.window_start.isoformat(), proposal.window_end.isoformat()],
            "catalog_version": proposal.catalog_version_id}


def _user(by: Actor) -> Any:
    return None if is_system(by) else account_perms.as_user(by)


def _event(proposal: ItemProposal, action: str, from_status: str, by: Actor, note: str = "") -> None:
    ItemProposalEvent.objects.create(proposal=proposal, action=action, from_status=from_status,
                                     to_status=proposal.status, actor=_user(by),
                                     actor_label=str(by)[:100] if is_system(by) else "", note=note,
                                     at=timezone.now())


def proposal_make(*, by: Actor, center_id: int, item_id: int, action: str, reason: str,
                  window_start: Any, window_end: Any) -> ItemProposal:
    """The center manager proposes ``action`` (keep / change / withdraw) for an item the center
    offers, on the evidence of the window ``window_start`` → ``window_end`` (volume and last case
    read from the rollups and frozen on the proposal).

    404 for a center ``by`` does not manage or an item the center does not offer; 400
    ``proposal_invalid`` for an unknown action, an empty reason or a bad window (end before start,
    in the future, longer than 20 years); 409 ``proposal_item_withdrawn`` for an item already
    withdrawn, 409 ``proposal_open_exists`` when the item has a proposal waiting."""
    center = center_for_manager(by=by, center_id=center_id)
    if action not in ProposalAction.values:
        raise _invalid("action", _("请选择保留、调整或取消。"))
    reason = _text(reason, "reason")
    start, end = _date(window_start, "window_start"), _date(window_end, "window_end")
    if end < start:
        raise _invalid("window_end", _("截止日期不能早于起始日期。"))
    if end > timezone.localdate():
        raise _invalid("window_end", _("截止日期不能晚于今天。"))
    if (end - start).days > MAX_WINDOW_DAYS:
        raise _invalid("window_start", _("统计区间不能超过20年。"))
    if not center.items.filter(pk=item_id).exists():
        raise NotFound(_("该中心没有这个事项。"), code="item_not_found")
    with transaction.atomic():
        item = ServiceItem.objects.select_for_update(of=("self",)).select_related("department").get(pk=item_id)
        if item.status == ItemStatus.WITHDRAWN:
            raise Conflict(_("该事项已取消，无需再提建议。"), code="proposal_item_withdrawn")
        if ItemProposal.objects.filter(center=center, item=item, status=ProposalStatus.PROPOSED).exists():
            raise Conflict(_("该事项已有待部门决定的建议。"), code="proposal_open_exists")
        volume = item_volumes(center_id=center.pk, start=start, end=end).get(item.pk, 0)
        last = item_last_received(center_id=center.pk, item_ids=[item.pk], end=end).get(item.pk)
        try:
            with transaction.atomic():
                proposal = ItemProposal.objects.create(
                    center=center, item=item, department=item.department, window_start=start, window_end=end,
                    volume=volume, last_case_at=last, action=action, reason=reason,
                    status=workflow.target(ProposalEventAction.PROPOSE), proposed_by=_user(by),
                    proposed_at=timezone.now())
        except IntegrityError:
            raise Conflict(_("该事项已有待部门决定的建议。"), code="proposal_open_exists") from None
        _event(proposal, ProposalEventAction.PROPOSE, "", by, reason)
        audit_record(actor=by, action="analytics.proposal_make", target=proposal, after=_summary(proposal),
                     role="center_manager")
    return proposal


def _locked(by: Actor, proposal_id: int) -> ItemProposal:
    """The proposal, locked, if ``by`` may see it (404 otherwise)."""
    visible = proposals_visible(by).filter(pk=proposal_id).values_list("pk", flat=True)
    proposal = (ItemProposal.objects.select_for_update(of=("self",)).select_related("item__department")
                .filter(pk__in=list(visible)).first())
    if proposal is None:
        raise NotFound(_("找不到该建议。"), code="proposal_not_found")
    return proposal


def _guard(by: Actor, proposal: ItemProposal, action: str) -> None:
    kinds: set[str] = set()
    if may_decide(by, proposal):
        kinds.add("department")
    user = _user(by)
    if user is not None and proposal.proposed_by_id == user.pk:
        kinds.add("proposer")
    if not kinds & workflow.ACTORS[action]:
        raise PermissionDenied(_("您无权对该建议执行“%(action)s”。")
                               % {"action": ProposalEventAction(action).label}, code="proposal_action_forbidden")
    if not workflow.can(action, proposal.status):
        raise Conflict(_("建议当前状态为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": ProposalStatus(proposal.status).label,
                          "action": ProposalEventAction(action).label}, code="proposal_illegal_transition")


def _decide(by: Actor, proposal_id: int, action: str, note: str, *, note_required: bool) -> ItemProposal:
    note = _text(note, "note", required=note_required)
    with transaction.atomic():
        proposal = _locked(by, proposal_id)
        _guard(by, proposal, action)
        before = _summary(proposal)
        if action == ProposalEventAction.ACCEPT and proposal.action == ProposalAction.WITHDRAW:
            reason = _("依据中心办件量分析（%(start)s至%(end)s办件%(volume)s件）取消事项") % {
                "start": proposal.window_start.isoformat(), "end": proposal.window_end.isoformat(),
                "volume": proposal.volume}
            proposal.catalog_version = catalog_services.item_withdraw(
                by=by, item=proposal.item, reason=f"{reason}{'：' + note if note else ''}")
        from_status = proposal.status
        proposal.status = workflow.target(action)
        proposal.decision_note = note
        if action != ProposalEventAction.CANCEL:
            proposal.decided_by, proposal.decided_at = _user(by), timezone.now()
        proposal.save(update_fields=["status", "decision_note", "decided_by", "decided_at", "catalog_version"])
        _event(proposal, action, from_status, by, note)
        role = "proposer" if action == ProposalEventAction.CANCEL else "department_admin"
        audit_record(actor=by, action=f"analytics.proposal_{action}", target=proposal, before=before,
                     after=_summary(proposal), role=role)
    return proposal


def proposal_accept(*, by: Actor, proposal_id: int, note: str = "") -> ItemProposal:
    """The item's department adopts the proposal; a withdrawal becomes catalog version n+1 with
    status withdrawn (``catalog.services.item_withdraw``), linked as ``catalog_version``. 404 not
    visible; 403 ``proposal_action_forbidden`` for anyone but the department's admins; 409
    ``proposal_illegal_transition`` once decided (or the catalog's 409 if the item changed)."""
    return _decide(by, proposal_id, ProposalEventAction.ACCEPT, note, note_required=False)


def proposal_reject(*, by: Actor, proposal_id: int, note: str) -> ItemProposal:
    """The item's department does not adopt the proposal; the reason is required."""
    return _decide(by, proposal_id, ProposalEventAction.REJECT, note, note_required=True)


def proposal_cancel(*, by: Actor, proposal_id: int, note: str = "") -> ItemProposal:
    """The proposer withdraws a proposal still waiting (403 for anyone else)."""
    return _decide(by, proposal_id, ProposalEventAction.CANCEL, note, note_required=False)
