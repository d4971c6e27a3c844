"""联合惩戒 writes: a department lists an entity, a credit repair is asked for and reviewed.

Rules (issue #12 part 7; 国发〔2016〕33号; 失信被执行人: 法释〔2017〕7号; DOMAIN.md R5.2):

- :func:`sanction_list`: the listing department (its regulator, data clerk or admin, or its system
  with the ``market.records`` token scope) delivers an entry. Keyed by (department, source record
  id) as pooled records are: the same content again writes nothing (``unchanged``), other content
  corrects the entry (``corrected``, an event, a new revision); a removed entry is final.
- :func:`sanction_request_repair` (信用修复): the listed organization (its login or agent) or the
  listing department asks for removal, with the reason.
- :func:`sanction_repair_approve` / :func:`sanction_repair_reject`: the listing department's
  regulator or admin decides; removal before the earliest removal date (the list's period) is
  refused with 409 ``sanction_removal_too_early`` and nothing is written.

Every action locks the row, checks the guard (404 not visible, 403 not allowed, 409 wrong state),
writes, and appends an event and an audit entry in one transaction (ARCHITECTURE rule 3).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onewindow.catalog.models import ItemType, ServiceItem
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.identifiers import validate_resident_id
from onewindow.core.masking import mask_name
from onewindow.core.models import Department

from .. import workflow
from ..choices import RecordChannel, SanctionAction, SanctionList, SanctionMeasure, SanctionStatus, SanctionSubject
from ..models import SanctionEvent, SanctionListing
from ..sanctions_selectors import lister_department_ids, reviewer_department_ids, sees_every_list, speaks_for
from .record_import import _choice, _date, _text, content_digest, credit_code_check
from .records import actor_role, actor_user

#: Days from the listing date to the earliest removal, per list (``MARKET_SANCTION_PERIOD_DAYS``
#: overrides any of them). All three figures are **unconfirmed** (DOMAIN.md R5.2 confirms only
#: 国发〔2016〕33号 and the triggers of 法释〔2017〕7号 art. 1): 经营异常名录 0 (removal once the cause
#: is corrected, e.g. the annual report filed); 严重违法失信企业名单 365 (the one-year wait before 信用修复
#: of the 2021 市场监管 rules, number unconfirmed); 失信被执行人 730 (the two-year term of 法释〔2017〕7号
#: art. 2, an article DOMAIN.md does not confirm). A listing may name a later date itself.
DEFAULT_PERIOD_DAYS: dict[str, int] = {
    SanctionList.BUSINESS_ANOMALY: 0,
    SanctionList.SERIOUS_VIOLATION: 365,
    SanctionList.DISHONEST_DEBTOR: 730,
}
#: Measures of a listing that names none (``MARKET_SANCTION_DEFAULT_MEASURES`` overrides; local rule).
DEFAULT_MEASURES: dict[str, tuple[str, ...]] = {
    SanctionList.BUSINESS_ANOMALY: (SanctionMeasure.WINDOW_WARNING, SanctionMeasure.PUBLIC_DISCLOSURE),
    SanctionList.SERIOUS_VIOLATION: (
        SanctionMeasure.WINDOW_WARNING,
        SanctionMeasure.DRAW_WEIGHT,
        SanctionMeasure.PUBLIC_DISCLOSURE,
    ),
    SanctionList.DISHONEST_DEBTOR: (SanctionMeasure.WINDOW_WARNING, SanctionMeasure.PUBLIC_DISCLOSURE),
}
ORGANIZATION_ONLY = frozenset({SanctionList.BUSINESS_ANOMALY, SanctionList.SERIOUS_VIOLATION})
MAX_WEIGHT = Decimal("100")


def period_days(list_kind: str) -> int:
    """Days a listing stays at least on ``list_kind`` (see :data:`DEFAULT_PERIOD_DAYS`, unconfirmed)."""
    configured = getattr(settings, "MARKET_SANCTION_PERIOD_DAYS", {}) or {}
    return int(configured.get(list_kind, DEFAULT_PERIOD_DAYS.get(list_kind, 0)))


def default_measures(list_kind: str) -> tuple[str, ...]:
    configured = getattr(settings, "MARKET_SANCTION_DEFAULT_MEASURES", {}) or {}
    return tuple(configured.get(list_kind, DEFAULT_MEASURES.get(list_kind, ())))


def default_draw_weight() -> Decimal:
    """The ratio multiplier of ``draw_weight`` when a listing names none (``MARKET_SANCTION_DRAW_WEIGHT``,
    2; the national mapping of risk to ratio is unconfirmed, DOMAIN.md R4.6)."""
    return Decimal(str(getattr(settings, "MARKET_SANCTION_DRAW_WEIGHT", 2)))


# --------------------------------------------------------------------------- content
@dataclass(frozen=True)
class ListingContent:
    """A checked listing: every field of the entry but its state."""

    list_kind: str
    subject_type: str
    credit_code: str
    subject_name: str
    id_number: str
    reason: str
    legal_basis: str
    listed_on: datetime.date
    removable_on: datetime.date
    measures: tuple[str, ...]
    refused_items: tuple[str, ...]
    refused_item_types: tuple[str, ...]
    draw_weight: Decimal

    def public_json(self) -> dict[str, Any]:
        """The content without the ID number (which never enters a digest, an event or the audit)."""
        return {
            "list_kind": self.list_kind,
            "subject_type": self.subject_type,
            "credit_code": self.credit_code,
            "subject_name": self.subject_name,
            "reason": self.reason,
            "legal_basis": self.legal_basis,
            "listed_on": self.listed_on.isoformat(),
            "removable_on": self.removable_on.isoformat(),
            "measures": list(self.measures),
            "refused_items": list(self.refused_items),
            "refused_item_types": list(self.refused_item_types),
            "draw_weight": str(self.draw_weight),
        }

    def digest(self) -> str:
        return content_digest(self.public_json())


def listing_json(listing: SanctionListing) -> dict[str, Any]:
    """A stored entry in the form of :meth:`ListingContent.public_json` (for corrections' before/after)."""
    return {
        "list_kind": listing.list_kind,
        "subject_type": listing.subject_type,
        "credit_code": listing.credit_code,
        "subject_name": listing.subject_name,
        "reason": listing.reason,
        "legal_basis": listing.legal_basis,
        "listed_on": listing.listed_on.isoformat(),
        "removable_on": listing.removable_on.isoformat(),
        "measures": list(listing.measures or []),
        "refused_items": list(listing.refused_items or []),
        "refused_item_types": list(listing.refused_item_types or []),
        "draw_weight": str(Decimal(listing.draw_weight).quantize(Decimal("0.01"))),
    }


def masked(values: dict[str, Any], subject_type: str) -> dict[str, Any]:
    """``values`` fit for an event or the audit: a person's name masked (个人信息保护法 art. 51)."""
    if subject_type != SanctionSubject.PERSON or "subject_name" not in values:
        return values
    return {**values, "subject_name": mask_name(str(values["subject_name"] or ""))}


def _codes(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value.replace("，", ",").replace("、", ",").split(",") if isinstance(value, str) else list(value)
    return sorted({_text(item).upper() for item in items if _text(item)})


def listing_parse(raw: Mapping[str, Any]) -> tuple[ListingContent | None, dict[str, list[str]]]:
    """Check one delivered entry; (content, {}) or (None, {field: [messages]})."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    list_kind = _choice(raw.get("list_kind"), SanctionList) or ""
    if not list_kind:
        fail("list_kind", gettext("请选择名单类别。"))
    subject_type = _choice(raw.get("subject_type") or SanctionSubject.ORGANIZATION, SanctionSubject) or ""
    if not subject_type:
        fail("subject_type", gettext("主体类别应为组织或自然人。"))
    elif subject_type == SanctionSubject.PERSON and list_kind in ORGANIZATION_ONLY:
        fail("subject_type", gettext("该名单只列入企业等组织，不列入自然人。"))
    subject_name = _text(raw.get("subject_name"))[:200]
    if not subject_name:
        fail("subject_name", gettext("请填写主体名称或姓名。"))
    credit_code = id_number = ""
    if subject_type == SanctionSubject.ORGANIZATION:
        credit_code, problem = credit_code_check(raw.get("credit_code"))
        if problem:
            fail("credit_code", problem)
    elif subject_type == SanctionSubject.PERSON:
        try:
            id_number = validate_resident_id(_text(raw.get("id_number"))).number
        except DomainError as exc:
            fail("id_number", str(exc.message))
    reason = _text(raw.get("reason"))[:2000]
    if not reason:
        fail("reason", gettext("请填写列入事由。"))
    legal_basis = _text(raw.get("legal_basis"))[:2000]
    if not legal_basis:
        fail("legal_basis", gettext("请填写列入依据。"))
    listed_on = _date(raw.get("listed_on"))
    if listed_on is None:
        fail("listed_on", gettext("请填写有效日期（YYYY-MM-DD）。"))
    elif listed_on > timezone.localdate():
        fail("listed_on", gettext("列入日期不能晚于今天。"))
    removable_on: datetime.date | None = None
    if listed_on is not None:
        removable_on = listed_on + datetime.timedelta(days=period_days(list_kind))
        if raw.get("removable_on") not in (None, ""):
            named = _date(raw.get("removable_on"))
            if named is None:
                fail("removable_on", gettext("请填写有效日期（YYYY-MM-DD）。"))
            elif named < removable_on:
                fail(
                    "removable_on",
                    gettext("最早移出日期不能早于该名单的期限届满日 %(day)s。") % {"day": removable_on},
                )
            else:
                removable_on = named
    measure_values = raw.get("measures")
    measures = [_choice(m, SanctionMeasure) for m in (measure_values or default_measures(list_kind))]
    if any(m is None for m in measures):
        fail("measures", gettext("惩戒措施应为窗口受理提示、限制办理事项、提高抽查比例或向社会公示。"))
    ordered = tuple(m for m in SanctionMeasure.values if m in measures)
    refused_items, refused_types = _codes(raw.get("refused_items")), _codes(raw.get("refused_item_types"))
    if SanctionMeasure.WINDOW_REFUSAL in ordered:
        if not refused_items and not refused_types:
            fail("refused_items", gettext("限制办理事项须写明事项编码或事项类型。"))
        known_items = set(ServiceItem.objects.filter(code__in=refused_items).values_list("code", flat=True))
        if set(refused_items) - known_items:
            fail(
                "refused_items",
                gettext("找不到这些事项：%(codes)s") % {"codes": "、".join(sorted(set(refused_items) - known_items))},
            )
        known_types = set(ItemType.objects.filter(code__in=refused_types).values_list("code", flat=True))
        if unknown_types := sorted(set(refused_types) - known_types):
            fail("refused_item_types", gettext("找不到这些事项类型：%(codes)s") % {"codes": "、".join(unknown_types)})
    else:
        refused_items, refused_types = [], []
    weight = Decimal(1)
    if SanctionMeasure.DRAW_WEIGHT in ordered:
        try:
            given = raw.get("draw_weight")
            weight = default_draw_weight() if given in (None, "") else Decimal(str(given))
        except InvalidOperation:
            weight = Decimal(0)
        if not weight.is_finite() or not Decimal(1) <= weight <= MAX_WEIGHT:
            fail("draw_weight", gettext("抽查比例倍数应在1到100之间。"))
    if errors or listed_on is None or removable_on is None:
        return None, errors
    return (
        ListingContent(
            list_kind=list_kind,
            subject_type=subject_type,
            credit_code=credit_code,
            subject_name=subject_name,
            id_number=id_number,
            reason=reason,
            legal_basis=legal_basis,
            listed_on=listed_on,
            removable_on=removable_on,
            measures=ordered,
            refused_items=tuple(refused_items),
            refused_item_types=tuple(refused_types),
            draw_weight=weight.quantize(Decimal("0.01")),
        ),
        {},
    )


# --------------------------------------------------------------------------- who
def listing_department(by: Actor, department: int | str | None) -> Department:
    """The department ``by`` lists for: the one named (id or code), which must be one of theirs, or
    their only one. 403 ``sanction_not_listing_department``; 422 for an unknown or missing one."""
    wanted: Department | None = None
    if department not in (None, ""):
        text = str(department)
        wanted = Department.objects.filter(**({"pk": as_id(text)} if text.isdigit() else {"code": text})).first()
        if wanted is None:
            message = _("找不到该部门。")
            raise DomainError(message, code="sanction_unknown_department", status=422, fields={"department": [message]})
    if is_system(by):
        if wanted is None:
            raise DomainError(_("请指定列入部门。"), code="sanction_department_required", status=422)
        return wanted
    mine = lister_department_ids(by)
    if not mine or (wanted is not None and wanted.pk not in mine):
        raise PermissionDenied(_("只有列入部门可以报送或更正其名单。"), code="sanction_not_listing_department")
    if wanted is None:
        if len(mine) > 1:
            message = _("您在多个部门任职，请选择列入部门。")
            raise DomainError(
                message, code="sanction_department_required", status=422, fields={"department": [message]}
            )
        return Department.objects.get(pk=next(iter(mine)))
    return wanted


def _kinds(by: Actor, listing: SanctionListing) -> set[str]:
    """The actor kinds of ``by`` on the listing; 404 when ``by`` may not see it at all."""
    if is_system(by):
        return {"department", "reviewer"}
    kinds: set[str] = set()
    if listing.department_id in lister_department_ids(by):
        kinds.add("department")
    if listing.department_id in reviewer_department_ids(by):
        kinds.add("reviewer")
    if speaks_for(by, listing):
        kinds.add("entity")
    if not kinds and not sees_every_list(by):
        raise NotFound(_("找不到该名单条目。"), code="sanction_not_found")
    return kinds


def _lock(listing_id: Any) -> SanctionListing:
    listing = (
        SanctionListing.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(pk=as_id(listing_id))
        .first()
    )
    if listing is None:
        raise NotFound(_("找不到该名单条目。"), code="sanction_not_found")
    return listing


def _guard(by: Actor, listing: SanctionListing, action: str) -> None:
    if not _kinds(by, listing) & workflow.SANCTION_ACTORS[action]:
        raise PermissionDenied(
            _("您无权对该名单条目执行“%(action)s”。") % {"action": SanctionAction(action).label},
            code="sanction_action_forbidden",
        )
    if not workflow.sanction_allowed(listing.status, action):
        raise Conflict(
            _("名单条目当前状态为“%(status)s”，不能执行“%(action)s”。")
            % {"status": SanctionStatus(listing.status).label, "action": SanctionAction(action).label},
            code="sanction_illegal_transition",
        )


def _label(by: Actor) -> str:
    user = actor_user(by)
    if user is None:
        return str(getattr(by, "name", "")) or str(_("系统"))
    return user.get_username()


def _record(
    listing: SanctionListing,
    action: str,
    by: Actor,
    *,
    from_status: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    channel: str = "web",
    before: dict[str, Any] | None = None,
) -> None:
    """The event row and the audit entry of one step (no personal data in either)."""
    SanctionEvent.objects.create(
        listing=listing,
        action=action,
        from_status=from_status,
        to_status=listing.status,
        by=actor_user(by),
        by_label=_label(by)[:150],
        note=note,
        data=data or {},
    )
    audit_record(
        actor=by,
        action=f"market.sanction_{action}",
        target=("market.sanctionlisting", str(listing.pk), str(listing)[:200]),
        role=actor_role(by),
        channel=channel,
        before=before if before is not None else ({"status": from_status} if from_status else None),
        after={"status": listing.status, **({"note": note[:200]} if note else {}), **(data or {})},
    )


def _reason(text: str, field: str, message: Any) -> str:
    text = (text or "").strip()
    if not text or len(text) > 2000:
        raise DomainError(message, code="sanction_reason_required", status=422, fields={field: [message]})
    return text


# --------------------------------------------------------------------------- actions
@dataclass(frozen=True)
class ListingResult:
    listing: SanctionListing
    outcome: str  # created, corrected or unchanged


def sanction_list(
    *, by: Actor, entry: Mapping[str, Any], department: int | str | None = None, channel: str = RecordChannel.API
) -> ListingResult:
    """列入: the listing department delivers an entry (``entry``: list_kind, source_id, subject_type,
    credit_code or id_number, subject_name, reason, legal_basis, listed_on, optional removable_on,
    measures, refused_items, refused_item_types, draw_weight). Idempotent per (department,
    source_id): the same content is ``unchanged``; other content ``corrected`` (409
    ``sanction_illegal_transition`` on a removed entry). Bad values: 422 with the fields."""
    dept = listing_department(by, department)
    source_id = _text(entry.get("source_id"))[:64]
    content, errors = listing_parse(entry)
    if not source_id:
        errors = {**errors, "source_id": [gettext("请填写来源记录编号。")]}
    if errors or content is None:
        raise DomainError(
            _("名单条目有误，请检查标出的字段。"),
            code="sanction_invalid",
            status=422,
            fields={k: list(v) for k, v in errors.items()},
        )
    with transaction.atomic():
        Department.objects.select_for_update().filter(pk=dept.pk).first()
        found = (
            SanctionListing.objects.select_for_update(of=("self",))
            .select_related("department")
            .filter(department=dept, source_id=source_id)
            .first()
        )
        now = timezone.now()
        if found is None:
            listing = SanctionListing(department=dept, source_id=source_id, channel=channel, created_by=actor_user(by))
            _apply(listing, content, now)
            listing.created_at = now
            listing.save()
            data = masked(content.public_json(), content.subject_type)
            _record(listing, SanctionAction.LIST, by, from_status="", channel=channel, data=data)
            return ListingResult(listing, "created")
        if found.content_hash == content.digest() and found.id_number == content.id_number:
            return ListingResult(found, "unchanged")
        if found.subject_type != content.subject_type or found.list_kind != content.list_kind:
            message = _("来源记录编号已用于另一名单或另一主体类别，不能更改。")
            raise DomainError(message, code="sanction_invalid", status=422, fields={"source_id": [message]})
        if not workflow.sanction_allowed(found.status, SanctionAction.CORRECT):
            raise Conflict(_("该名单条目已移出，不能更正。"), code="sanction_illegal_transition")
        before = listing_json(found)
        _apply(found, content, now)
        found.revision += 1
        found.save()
        after = content.public_json()
        changed = masked({k: v for k, v in after.items() if before.get(k) != v}, found.subject_type)
        if found.id_number and found.id_number != content.id_number:
            changed["id_number"] = "changed"
        _record(
            found,
            SanctionAction.CORRECT,
            by,
            from_status=found.status,
            channel=channel,
            data={"changes": changed, "revision": found.revision},
            before=masked({k: before.get(k) for k in changed if k in before}, found.subject_type),
        )
        return ListingResult(found, "corrected")


def _apply(listing: SanctionListing, content: ListingContent, now: datetime.datetime) -> None:
    for name in (
        "list_kind",
        "subject_type",
        "credit_code",
        "subject_name",
        "id_number",
        "reason",
        "legal_basis",
        "listed_on",
        "removable_on",
        "draw_weight",
    ):
        setattr(listing, name, getattr(content, name))
    listing.measures = list(content.measures)
    listing.refused_items = list(content.refused_items)
    listing.refused_item_types = list(content.refused_item_types)
    listing.content_hash = content.digest()
    listing.updated_at = now


def sanction_request_repair(*, by: Actor, listing_id: Any, reason: str, channel: str = "web") -> SanctionListing:
    """信用修复申请: the listed organization (its login or an agent with a valid mandate) or the listing
    department asks for removal, with the reason (what was corrected). 404 / 403 / 409, 422 without
    a reason; nothing is written on a refusal."""
    with transaction.atomic():
        listing = _lock(listing_id)
        _guard(by, listing, SanctionAction.REQUEST_REPAIR)
        text = _reason(reason, "reason", _("请填写信用修复理由（不超过2000字）。"))
        from_status = listing.status
        listing.status = workflow.sanction_target(from_status, SanctionAction.REQUEST_REPAIR)
        listing.repair_reason = text
        listing.repair_requested_at = timezone.now()
        listing.decision_note = ""
        listing.updated_at = listing.repair_requested_at
        listing.save(update_fields=["status", "repair_reason", "repair_requested_at", "decision_note", "updated_at"])
        _record(listing, SanctionAction.REQUEST_REPAIR, by, from_status=from_status, note=text, channel=channel)
        return listing


def sanction_repair_approve(*, by: Actor, listing_id: Any, note: str = "", channel: str = "web") -> SanctionListing:
    """准予移出: the listing department's regulator or admin removes the entry after a repair request.
    Never before ``removable_on`` (the list's period): 409 ``sanction_removal_too_early``, nothing
    written."""
    with transaction.atomic():
        listing = _lock(listing_id)
        _guard(by, listing, SanctionAction.APPROVE_REPAIR)
        today = timezone.localdate()
        if today < listing.removable_on:
            raise Conflict(
                _("“%(list)s”的列入期限未满，%(day)s 前不能移出。")
                % {"list": SanctionList(listing.list_kind).label, "day": listing.removable_on.isoformat()},
                code="sanction_removal_too_early",
            )
        from_status = listing.status
        listing.status = workflow.sanction_target(from_status, SanctionAction.APPROVE_REPAIR)
        listing.removed_on = today
        listing.decision_note = (note or "").strip()[:2000]
        listing.updated_at = timezone.now()
        listing.save(update_fields=["status", "removed_on", "decision_note", "updated_at"])
        _record(
            listing,
            SanctionAction.APPROVE_REPAIR,
            by,
            from_status=from_status,
            note=listing.decision_note,
            channel=channel,
            data={"removed_on": today.isoformat()},
        )
        return listing


def sanction_repair_reject(*, by: Actor, listing_id: Any, note: str, channel: str = "web") -> SanctionListing:
    """不予移出: the listing department's regulator or admin keeps the entry on the list, with the
    reason; the entry is listed again (the entity may ask anew)."""
    with transaction.atomic():
        listing = _lock(listing_id)
        _guard(by, listing, SanctionAction.REJECT_REPAIR)
        text = _reason(note, "note", _("请填写不予移出的理由（不超过2000字）。"))
        from_status = listing.status
        listing.status = workflow.sanction_target(from_status, SanctionAction.REJECT_REPAIR)
        listing.decision_note = text
        listing.updated_at = timezone.now()
        listing.save(update_fields=["status", "decision_note", "updated_at"])
        _record(listing, SanctionAction.REJECT_REPAIR, by, from_status=from_status, note=text, channel=channel)
        return listing


def sanctions_list_many(
    *, by: Actor, entries: Iterable[Mapping[str, Any]], department: int | str | None = None
) -> list[ListingResult]:
    """Several entries of one department (the demo, a department's batch), each as :func:`sanction_list`."""
    return [sanction_list(by=by, entry=entry, department=department) for entry in entries]
