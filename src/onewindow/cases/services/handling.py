"""Handling (办理): pre-review, correction notice, acceptance or not, forwarding, review, periods not
counted, extension, decision, delivery and reassignment — one service per action, each following
the recipe of ``common`` (lock, guard, mutate, event + audit, notifications in the transaction).

Legal basis: 行政许可法 arts. 32 (acceptance, correction notice), 38 (decision with reasons),
42 (limit and extension), 44 (delivery), 45 (periods not counted).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import User
from onewindow.catalog.models import ItemType, ServiceItem
from onewindow.core.actors import Actor, is_system
from onewindow.core.errors import Conflict, DomainError
from onewindow.core.numbering import next_number
from onewindow.market import sanctions_selectors
from onewindow.market.choices import SanctionMeasure

from .. import deadlines
from .. import permissions as perms
from ..choices import (
    CaseAction,
    CaseStatus,
    ClockKind,
    DeliveryMethod,
    DocumentKind,
    RefusalReason,
    SuspensionBasis,
)
from ..models import Case, ClockExtension, ClockSuspension, Licence
from . import common
from .pooling import pool_licence
from .rating import rating_token

A = CaseAction
S = CaseStatus


def _reason(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请填写理由。"), code="reason_required", status=422, fields={field: [_("此项为必填项。")]})
    return text[:1000]


def _take(case: Case, by: Actor) -> None:
    """The first staff member to act on an unassigned case becomes its handler (经办人)."""
    user = account_perms.as_user(by)
    if case.handler_id is None and user is not None:
        case.handler = user


def case_start_pre_review(*, by: Actor, case_id: Any) -> Case:
    """网上预审: a receiver takes an online application into pre-review."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.START_PRE_REVIEW, by)
        case.status = S.PRE_REVIEW
        _take(case, by)
        common.save(case, "handler")
        common.record(case, A.START_PRE_REVIEW, by, from_status=S.SUBMITTED, department=case.receiving_department)
    return case


def case_request_correction(*, by: Actor, case_id: Any, items: list[dict[str, Any]]) -> Case:
    """一次性告知补正 (行政许可法 art. 32(4)): list *every* missing or wrong material at once.

    ``items`` are ``{"material_id": optional id, "name": text, "reason": text}``; at least one,
    each with a reason. A numbered correction notice is issued and the correction clock stops.
    """
    if not isinstance(items, list) or not items:
        raise DomainError(_("请列明需要补正的全部材料。"), code="correction_items_required", status=422,
                          fields={"items": [_("此项为必填项。")]})
    clean: list[dict[str, Any]] = []
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.REQUEST_CORRECTION, by)
        known = {m.pk: m.name for m in case.item_version.materials.all()}
        for index, entry in enumerate(items):
            if not isinstance(entry, dict):
                raise DomainError(_("补正项格式不正确。"), code="correction_items_invalid", status=422)
            material_id = entry.get("material_id")
            if material_id is not None and material_id not in known:
                raise DomainError(_("该事项没有这项材料。"), code="material_unknown", status=422,
                                  fields={f"items.{index}.material_id": [_("请从给定选项中选择。")]})
            default_name = known.get(material_id, "") if material_id is not None else ""
            name = str(entry.get("name") or default_name).strip()[:300]
            reason = str(entry.get("reason") or "").strip()[:500]
            if not name or not reason:
                raise DomainError(_("每个补正项须写明材料名称和补正要求。"), code="correction_items_invalid",
                                  status=422, fields={f"items.{index}": [_("此项为必填项。")]})
            clean.append({"material_id": material_id, "name": name, "reason": reason})
        from_status = case.status
        case.status = S.CORRECTION
        _take(case, by)
        common.stop_clocks(case, ClockKind.CORRECTION)
        document = common.issue_document(case, DocumentKind.CORRECTION, case.receiving_department, by,
                                         {"items": clean})
        common.save(case, "handler")
        common.record(case, A.REQUEST_CORRECTION, by, from_status=from_status, department=case.receiving_department,
                      data={"document": document.number, "items": clean})
        common.notify(case, "case_correction_requested", reason="；".join(f"{i['name']}：{i['reason']}" for i in clean))
    return case


def _refuse_if_sanctioned(case: Case) -> None:
    """联合惩戒 at the window (国发〔2016〕33号; issue #12 part 7): an applicant organization or person
    (失信被执行人, 法释〔2017〕7号) on a list whose ``window_refusal`` measure names this item or its type
    is not accepted (409 ``case_applicant_sanctioned``, nothing written). One query for an unlisted
    organization; two for a person (the person, then the listings by the ID number's hash)."""
    if case.applicant_organization_id is not None:
        entries = sanctions_selectors.sanctions_for_organization(case.applicant_organization_id)
    elif case.applicant_person is not None:
        entries = sanctions_selectors.sanctions_for_person(case.applicant_person)
    else:
        return
    if not any(e.has_measure(SanctionMeasure.WINDOW_REFUSAL) for e in entries):
        return
    item_code = ServiceItem.objects.filter(pk=case.item_id).values_list("code", flat=True).first() or ""
    type_code = ItemType.objects.filter(pk=case.item_version.item_type_id).values_list("code", flat=True).first() or ""
    listing = sanctions_selectors.refusal_for_item(entries, item_code=item_code, item_type_code=type_code)
    if listing is not None:
        raise Conflict(
            _("申请人已被%(department)s列入“%(list)s”（%(reason)s），依联合惩戒措施不予受理该事项。")
            % {"department": listing.department.name, "list": listing.get_list_kind_display(),
               "reason": listing.reason},
            code="case_applicant_sanctioned")


def _accept(case: Case, by: Actor, action: str, accepted_on: datetime.date, note: str = "") -> Case:
    common.guard(case, action, by)
    if action == A.ACCEPT:
        _refuse_if_sanctioned(case)
    from_status = case.status
    case.status = S.ACCEPTED
    case.accepted_at = timezone.now()
    if not is_system(by):
        _take(case, by)
    common.stop_clocks(case, ClockKind.CORRECTION)
    common.start_clock(case, ClockKind.DECISION, accepted_on, deadlines.decision_limit(case.item_version))
    document = common.issue_document(case, DocumentKind.RECEIPT, case.receiving_department, by,
                                     {"accepted_on": accepted_on.isoformat(), "note": note})
    common.save(case, "accepted_at", "handler")
    common.record(case, action, by, from_status=from_status, note=note, department=case.receiving_department,
                  data={"document": document.number, "accepted_on": accepted_on.isoformat()})
    common.notify(case, "case_deemed_accepted" if action == A.DEEM_ACCEPTED else "case_accepted",
                  due_date=case.due_date.isoformat() if case.due_date else "")
    return case


def case_accept(*, by: Actor, case_id: Any, note: str = "") -> Case:
    """受理: a written, dated receipt (art. 32, last paragraph); the decision clock starts today.
    An applicant whose 联合惩戒 listing refuses this item is not accepted (:func:`_refuse_if_sanctioned`)."""
    with transaction.atomic():
        return _accept(common.lock_case(case_id), by, A.ACCEPT, common.today(), note[:500])


def case_deem_accepted(*, case_id: Any) -> Case:
    """视为受理 (art. 32(4)): no correction notice within 5 working days of receipt, so the
    application counts as accepted from the day the materials were received. Actor: the scheduler."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        received = timezone.localdate(case.submitted_at) if case.submitted_at else common.today()
        clock = common.running_clock(case, ClockKind.CORRECTION)
        if clock is not None:
            received = clock.start_date
        return _accept(case, common.SYSTEM, A.DEEM_ACCEPTED, received,
                       str(_("未在法定期限内一次性告知补正，依《行政许可法》第三十二条视为受理")))


def case_refuse(*, by: Actor, case_id: Any, reason_code: str, reason: str = "") -> Case:
    """不予受理 with the reason (art. 32(1)(2)); a numbered decision; the case ends."""
    if reason_code not in RefusalReason.values:
        raise DomainError(_("请选择不予受理的情形。"), code="refusal_reason_invalid", status=422,
                          fields={"reason_code": [_("请从给定选项中选择。")]})
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.REFUSE, by)
        text = f"{RefusalReason(reason_code).label}" + (f"：{reason.strip()[:800]}" if reason.strip() else "")
        from_status = case.status
        case.status = S.NOT_ACCEPTED
        case.refusal_reason = text
        case.closed_at = timezone.now()
        common.stop_clocks(case)
        document = common.issue_document(case, DocumentKind.NON_ACCEPTANCE, case.receiving_department, by,
                                         {"reason_code": reason_code, "reason": text})
        common.save(case, "refusal_reason", "closed_at")
        common.record(case, A.REFUSE, by, from_status=from_status, note=text, department=case.receiving_department,
                      data={"document": document.number, "reason_code": reason_code})
        common.notify(case, "case_not_accepted", reason=text[:100])
    return case


def case_forward(*, by: Actor, case_id: Any, note: str = "") -> Case:
    """代收代办: a street or district center forwards a case it received to the handling department
    (三级联动). The number stays; the receiving window keeps seeing the case and delivers the result."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.FORWARD, by)
        if not case.is_forwarded_case:
            raise Conflict(_("本单位即为承办单位，无需转报。"), code="case_not_forwardable")
        case.status = S.FORWARDED
        case.forwarded_at = timezone.now()
        common.save(case, "forwarded_at")
        common.record(case, A.FORWARD, by, from_status=S.ACCEPTED, note=note[:500],
                      department=case.receiving_department,
                      data={"to": case.handling_department.name})
        common.notify(case, "case_forwarded")
    return case


def case_start_review(*, by: Actor, case_id: Any) -> Case:
    """审查: a reviewer of the handling department takes the case and becomes its handler."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.START_REVIEW, by)
        if case.status == S.ACCEPTED and case.is_forwarded_case:
            raise Conflict(_("代收的办件须先转报承办部门。"), code="case_not_forwarded")
        from_status = case.status
        case.status = S.UNDER_REVIEW
        case.handler = account_perms.as_user(by)  # the reviewer who reviews is the handler from now on
        common.save(case, "handler")
        common.record(case, A.START_REVIEW, by, from_status=from_status, department=case.handling_department)
    return case


def case_suspend(*, by: Actor, case_id: Any, basis: str, reason: str = "") -> Case:
    """Periods not counted (art. 45: hearing, tender, auction, inspection, testing, quarantine,
    appraisal, expert review): the decision clock stands still; the applicant is told in writing."""
    if basis not in SuspensionBasis.values:
        raise DomainError(_("请选择不计入期限的法定情形。"), code="suspension_basis_invalid", status=422,
                          fields={"basis": [_("请从给定选项中选择。")]})
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.SUSPEND, by)
        clock = common.running_clock(case, ClockKind.DECISION)
        if clock is None:  # every case under review has a decision clock; defensive
            raise Conflict(_("办件没有正在计算的审查期限。"), code="clock_missing")
        user = account_perms.as_user(by)
        assert user is not None
        ClockSuspension.objects.create(clock=clock, basis=basis, reason=reason[:500], start_date=common.today(),
                                       started_by=user)
        case.status = S.SUSPENDED
        document = common.issue_document(case, DocumentKind.SUSPENSION, case.handling_department, by,
                                         {"basis": basis, "reason": reason[:500]})
        common.save(case)
        label = str(SuspensionBasis(basis).label)
        common.record(case, A.SUSPEND, by, from_status=S.UNDER_REVIEW, note=reason[:500],
                      department=case.handling_department, data={"basis": basis, "document": document.number})
        common.notify(case, "case_suspended", reason=label)
    return case


def case_resume(*, by: Actor, case_id: Any) -> Case:
    """The art. 45 period ends: its days are added to the limit and the due date moves back."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.RESUME, by)
        clock = common.running_clock(case, ClockKind.DECISION)
        suspension = clock.suspensions.select_for_update().filter(end_date__isnull=True).first() if clock else None
        if clock is None or suspension is None:
            raise Conflict(_("办件没有进行中的特别程序。"), code="suspension_missing")
        end = common.today()
        suspension.end_date = end
        suspension.ended_by = account_perms.as_user(by)
        suspension.save(update_fields=["end_date", "ended_by"])
        days = max(0, deadlines.days_between(suspension.start_date, end, clock.unit))
        clock.suspended_days += days
        clock.due_date = deadlines.due_date(start=clock.start_date, limit_days=clock.limit_days,
                                            extended_days=clock.extended_days, suspended_days=clock.suspended_days,
                                            unit=clock.unit)
        clock.promised_due_date = deadlines.promise(clock.promised_due_date, clock.due_date)
        clock.save(update_fields=["suspended_days", "due_date", "promised_due_date"])
        case.status = S.UNDER_REVIEW
        common.save(case)
        common.record(case, A.RESUME, by, from_status=S.SUSPENDED, department=case.handling_department,
                      data={"days_not_counted": days, "due_date": clock.promised_due_date.isoformat()})
        common.notify(case, "case_resumed", due_date=clock.promised_due_date.isoformat())
    return case


def case_extend(*, by: Actor, case_id: Any, reason: str, days: int = deadlines.EXTENSION_DAYS) -> Case:
    """延长期限 (art. 42 ¶1): up to 10 more days in total, approved by the agency head (a department
    admin of the handling body, recorded as the approver); the reason is told to the applicant."""
    text = _reason(reason)
    if not isinstance(days, int) or days < 1:
        raise DomainError(_("延长天数须为正整数。"), code="extension_days_invalid", status=422,
                          fields={"days": [_("数值过小。")]})
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.EXTEND, by)
        clock = common.running_clock(case, ClockKind.DECISION)
        if clock is None:
            raise Conflict(_("办件没有正在计算的审查期限。"), code="clock_missing")
        if clock.extended_days + days > deadlines.EXTENSION_DAYS:
            raise Conflict(_("审查期限最多延长 %(n)s 日（《行政许可法》第四十二条）。")
                           % {"n": deadlines.EXTENSION_DAYS}, code="extension_exceeds_limit")
        user = account_perms.as_user(by)
        assert user is not None
        ClockExtension.objects.create(clock=clock, days=days, reason=text, approved_by=user)
        clock.extended_days += days
        clock.due_date = deadlines.due_date(start=clock.start_date, limit_days=clock.limit_days,
                                            extended_days=clock.extended_days, suspended_days=clock.suspended_days,
                                            unit=clock.unit)
        clock.level = deadlines.level_on(today=common.today(), start=clock.start_date, limit_days=clock.limit_days,
                                         extended_days=clock.extended_days, suspended_days=clock.suspended_days,
                                         due=clock.due_date, unit=clock.unit)
        clock.promised_due_date = deadlines.promise(clock.promised_due_date, clock.due_date)
        clock.save(update_fields=["extended_days", "due_date", "level", "promised_due_date"])
        document = common.issue_document(case, DocumentKind.EXTENSION, case.handling_department, by,
                                         {"days": days, "reason": text})
        common.save(case)
        common.record(case, A.EXTEND, by, from_status=case.status, note=text, department=case.handling_department,
                      data={"days": days, "due_date": clock.promised_due_date.isoformat(),
                            "document": document.number})
        common.notify(case, "case_extended", reason=text[:100], due_date=clock.promised_due_date.isoformat())
    return case


def _decide(case: Case, by: Actor, action: str, status: str, kind: str, content: dict[str, Any]) -> Case:
    """Record the decision (办结): stop the decision clock, start the delivery clock, issue the document.
    For a forwarded case the result goes back to the receiving body, which delivers it."""
    case.status = status
    case.decided_at = timezone.now()
    common.stop_clocks(case, ClockKind.DECISION)
    common.start_clock(case, ClockKind.DELIVERY, common.today(), common.DELIVERY_LIMIT)
    document = common.issue_document(case, kind, case.handling_department, by, content)
    common.save(case, "decided_at", "refusal_reason")
    data: dict[str, Any] = {"document": document.number}
    if "licence" in content:
        data["licence"] = content["licence"]
    if case.is_forwarded_case:
        data["returned_to"] = case.receiving_department.name
    common.record(case, action, by, from_status=S.UNDER_REVIEW, note=str(content.get("reason", ""))[:1000],
                  department=case.handling_department, data=data)
    common.notify(case, "case_approved" if action == A.APPROVE else "case_rejected",
                  reason=str(content.get("reason", ""))[:100])
    return case


def case_approve(*, by: Actor, case_id: Any, note: str = "", licence_name: str = "",
                 valid_to: datetime.date | None = None) -> Case:
    """准予许可 (办结): a numbered decision and a licence or certificate record (证照) for the holder,
    numbered gap-free per handling department and year; the 10-day delivery clock starts (art. 44).
    An organization's licence is pooled under its credit code in ``market`` (services/pooling.py)."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.APPROVE, by)
        year = common.today().year
        n = next_number(f"cases.licence:{case.handling_department_id}:{year}")
        licence = Licence.objects.create(
            number=f"ZZ-{case.handling_department.code}-{year}-{n:06d}", case=case,
            name=(licence_name or case.title)[:200], holder_person=case.applicant_person,
            holder_organization=case.applicant_organization, department=case.handling_department,
            valid_from=common.today(), valid_to=valid_to)
        _decide(case, by, A.APPROVE, S.APPROVED, DocumentKind.APPROVAL,
                {"note": note[:1000], "licence": licence.number})
        pool_licence(case, licence)
        return case


def case_reject(*, by: Actor, case_id: Any, reason: str) -> Case:
    """不予许可 (办结) with written reasons and the applicant's remedies (art. 38 ¶2)."""
    text = _reason(reason)
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.REJECT, by)
        case.refusal_reason = text
        return _decide(case, by, A.REJECT, S.REJECTED, DocumentKind.REJECTION,
                       {"reason": text, "remedy": str(_("如不服本决定，可依法申请行政复议或者提起行政诉讼。"))})


def case_deliver(*, by: Actor, case_id: Any, method: str, note: str = "") -> Case:
    """送达 (art. 44): collected at the window, mailed, or issued as an electronic certificate —
    by the receiving body, which for a forwarded case got the result back."""
    if method not in DeliveryMethod.values:
        raise DomainError(_("请选择送达方式。"), code="delivery_method_invalid", status=422,
                          fields={"method": [_("请从给定选项中选择。")]})
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.DELIVER, by)
        from_status = case.status
        case.status = S.DELIVERED
        case.delivery_method = method
        case.delivered_at = case.closed_at = timezone.now()
        common.stop_clocks(case, ClockKind.DELIVERY)
        common.save(case, "delivery_method", "delivered_at", "closed_at")
        common.record(case, A.DELIVER, by, from_status=from_status, note=note[:500],
                      department=case.receiving_department, data={"method": method})
        common.notify(case, "case_delivered", reason=str(DeliveryMethod(method).label),
                      rate_url=f"/cases/rate/{rating_token(case)}/")
    return case


def case_reassign(*, by: Actor, case_id: Any, handler_id: int) -> Case:
    """改派: a department admin hands the case to another staff member of the same body."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, A.REASSIGN, by)
        target = User.objects.filter(pk=handler_id, is_active=True).first()
        if target is None or not (perms.actor_kinds(target, case) & {"receiver", "handler"}):
            raise DomainError(_("只能改派给本单位有权办理该办件的工作人员。"), code="handler_invalid", status=422,
                              fields={"handler_id": [_("请从给定选项中选择。")]})
        previous = case.handler_id
        case.handler = target
        common.save(case, "handler")
        common.record(case, A.REASSIGN, by, from_status=case.status, public=False,
                      data={"from": previous, "to": target.pk})
    return case
