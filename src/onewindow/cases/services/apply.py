"""Applying (申请): drafts, the form, materials, submission, correction rounds and withdrawal.

Actors: a citizen or enterprise agent online (web, WeChat H5), a window clerk entering the case
for a walk-in applicant (一口受理), a kiosk user filling the form by themselves (自助填单).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import Mandate, Organization, Person, valid_mandates_q
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ItemVersion, ServiceItem
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.idempotency import idempotency_claim, idempotency_done
from onewindow.core.identifiers import validate_mobile
from onewindow.core.models import Department
from onewindow.core.prepared import insert_rows

from .. import permissions as perms
from ..application_form import check_form, restore_unchanged
from ..choices import CaseAction, CaseChannel, CaseStatus, ClockKind, DeliveryMethod
from ..models import Case, CaseMaterial
from . import common
from .prefill import prefill_track_corrections

# Magic numbers of the accepted upload types: the declared type and the name are not trusted.
UPLOAD_TYPES = {b"%PDF-": ("application/pdf", ".pdf"), b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
                b"\x89PNG\r\n\x1a\n": ("image/png", ".png")}
MAX_FILES_PER_CASE = 50
_ONLINE = {CaseChannel.ONLINE, CaseChannel.WECHAT}


def max_upload_bytes() -> int:
    return int(getattr(settings, "CASES_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


def channel_allowed(version: ItemVersion, channel: str) -> bool:
    """Whether the item version accepts applications on ``channel``. WeChat H5 is the web pages on
    a phone, so it goes wherever online goes; a kiosk form continues at a window."""
    channels = set(version.channel_list)
    if channel == CaseChannel.WECHAT:
        return bool(channels & {"wechat", "online"})
    if channel == CaseChannel.KIOSK:
        return bool(channels & {"kiosk", "window"})
    if channel == CaseChannel.APPOINTMENT:  # a booking is served at the window (services.origins)
        return "window" in channels
    return channel in channels


# The code is unique: no ORDER BY (``first()`` ordered by the model's three-column ordering, whose
# compile was a third of this query's cost per submission); the statement compiled once (issue #17).
_ITEM_BY_CODE = common.PreparedQuery(lambda code: ServiceItem.objects.select_related(
    "current_version", "department", "department__region").filter(code=code).order_by()[:1])


def _item(item_code: str) -> ServiceItem:
    item = next(iter(_ITEM_BY_CODE(str(item_code)[:36])), None)
    if item is None or item.current_version is None or item.status == ItemStatus.WITHDRAWN:
        raise NotFound(_("找不到该事项，或该事项已取消。"), code="item_not_found")
    if item.status == ItemStatus.SUSPENDED:
        raise Conflict(_("该事项暂停办理，暂不接受申请。"), code="item_suspended")
    return item


def _phone(value: str) -> str:
    if not value:
        return ""
    try:
        return str(validate_mobile(value))
    except DomainError as exc:
        raise DomainError(exc.message, code=exc.code, status=422, fields={"contact_phone": [exc.message]}) from None


def _mandate_for(user: Any, item_code: str, *, person: Person | None = None,
                 organization: Organization | None = None) -> Mandate | None:
    u = account_perms.as_user(user)
    if u is None or u.person_id is None:
        return None
    qs = Mandate.objects.filter(valid_mandates_q(timezone.localdate()), agent_id=u.person_id)
    qs = qs.filter(principal_person=person) if person is not None else qs.filter(principal_organization=organization)
    return next((m for m in qs if m.covers(item_code)), None)


def _parties(by: Actor, item: ServiceItem, channel: str, *, applicant_person: Person | None,
             applicant_organization: Organization | None) -> dict[str, Any]:
    """Applicant, agent, mandate and owner of a new case, checked against who ``by`` is."""
    user = account_perms.as_user(by)
    if user is None:
        raise PermissionDenied(_("请先登录。"), code="login_required", status=401)
    staff_entry = channel in (CaseChannel.WINDOW, CaseChannel.APPOINTMENT) or (
        channel != CaseChannel.ONLINE and (applicant_person is not None or applicant_organization is not None)
        and account_perms.is_staff_member(user))
    if staff_entry and account_perms.is_staff_member(user):
        if applicant_person is None and applicant_organization is None:
            raise DomainError(_("窗口代录须指明申请人。"), code="applicant_required", status=422,
                              fields={"applicant": [_("此项为必填项。")]})
        owner = getattr(applicant_person, "user", None) if applicant_person is not None else None
        return {"applicant_person": applicant_person, "applicant_organization": applicant_organization,
                "agent": None, "mandate": None, "owner": owner}
    if user.person_id is None:
        raise DomainError(_("请先完成实名登记再申请办事。"), code="real_name_required", status=422)
    if applicant_organization is not None:
        mandate = _mandate_for(user, item.code, organization=applicant_organization)
        if user.organization_id != applicant_organization.pk and mandate is None:
            raise PermissionDenied(_("您没有代表该单位办理此事项的有效授权。"), code="mandate_required")
        return {"applicant_person": None, "applicant_organization": applicant_organization,
                "agent": user.person, "mandate": mandate, "owner": user}
    if applicant_person is not None and applicant_person.pk != user.person_id:
        mandate = _mandate_for(user, item.code, person=applicant_person)
        if mandate is None:
            raise PermissionDenied(_("您没有代表该申请人办理此事项的有效授权。"), code="mandate_required")
        return {"applicant_person": applicant_person, "applicant_organization": None, "agent": user.person,
                "mandate": mandate, "owner": user}
    return {"applicant_person": user.person, "applicant_organization": None, "agent": None, "mandate": None,
            "owner": user}


def _receiving(by: Actor, item: ServiceItem, channel: str, department: Department | None) -> Department:
    if channel in _ONLINE or department is None:
        if channel in (CaseChannel.WINDOW, CaseChannel.APPOINTMENT):
            raise DomainError(_("窗口受理须指明受理单位。"), code="receiving_department_required", status=422,
                              fields={"receiving_department": [_("此项为必填项。")]})
        return item.department
    if channel in (CaseChannel.WINDOW, CaseChannel.APPOINTMENT) and not perms.may_receive_for(by, department):
        raise PermissionDenied(_("您不是该受理单位的窗口人员。"), code="not_receiver")
    return department


def case_create(*, by: Actor, item_code: str, channel: str, form_data: dict[str, Any] | None = None,
                applicant_person: Person | None = None, applicant_organization: Organization | None = None,
                receiving_department: Department | None = None, contact_phone: str = "",
                delivery_method: str = DeliveryMethod.WINDOW, delivery_address: str = "") -> Case:
    """Start a case as a draft (草稿) for ``item_code`` on ``channel``.

    Refused: an unknown or withdrawn item (404), a suspended item (409), a channel the item does
    not allow (422), an invalid partial form (422), acting for someone without a valid mandate
    (民法典 art. 161-175; 403).
    """
    case = _new_case(by=by, item_code=item_code, channel=channel, form_data=form_data, partial=True,
                     applicant_person=applicant_person, applicant_organization=applicant_organization,
                     receiving_department=receiving_department, contact_phone=contact_phone,
                     delivery_method=delivery_method, delivery_address=delivery_address)
    common.require_atomic()
    case.save(force_insert=True)
    common.record(case, "create", by, from_status="", public=False, data={"channel": channel})
    return case


def _new_case(*, by: Actor, item_code: str, channel: str, form_data: dict[str, Any] | None, partial: bool,
              applicant_person: Person | None = None, applicant_organization: Organization | None = None,
              receiving_department: Department | None = None, contact_phone: str = "",
              delivery_method: str = DeliveryMethod.WINDOW, delivery_address: str = "") -> Case:
    """The draft of ``case_create``, checked and not yet saved (the form complete unless ``partial``)."""
    if channel not in CaseChannel.values:
        raise DomainError(_("不支持的受理渠道。"), code="channel_invalid", status=422,
                          fields={"channel": [_("请从给定选项中选择。")]})
    if delivery_method not in DeliveryMethod.values:
        raise DomainError(_("不支持的送达方式。"), code="delivery_method_invalid", status=422,
                          fields={"delivery_method": [_("请从给定选项中选择。")]})
    item = _item(item_code)
    version = item.current_version
    assert version is not None
    if not channel_allowed(version, channel):
        raise DomainError(_("该事项不支持通过“%(channel)s”办理。") % {"channel": CaseChannel(channel).label},
                          code="channel_not_allowed", status=422, fields={"channel": [_("该事项不支持此渠道。")]})
    data = check_form(version.form_schema, form_data or {}, partial=partial)
    parties = _parties(by, item, channel, applicant_person=applicant_person,
                       applicant_organization=applicant_organization)
    receiving = _receiving(by, item, channel, receiving_department)
    phone = _phone(contact_phone)
    if not phone:
        holder = parties["applicant_person"] or parties["agent"]
        phone = holder.phone if holder is not None else ""
    case = Case(query_code=common.new_query_code(), channel=channel, item=item, item_version=version,
                title=version.name, submitter=account_perms.as_user(by), receiving_department=receiving,
                handling_department=item.department, contact_phone=phone, phone_tail=phone[-4:],
                delivery_method=delivery_method, delivery_address=delivery_address[:300], **parties)
    case.form_set(version.form_schema, data)  # personal fields encrypted, the shown copy masked
    return case


def case_apply(*, by: Actor, item_code: str, channel: str, submit: bool = False, idempotency_key: str = "",
               **fields: Any) -> tuple[Case, bool]:
    """Create a case and, with ``submit``, submit it at once — idempotently per key.

    Returns ``(case, replayed)``: a repeat with the same key (double click, network retry)
    returns the first case and writes nothing; the same key with another body is refused (422).
    """
    body = {"item_code": item_code, "channel": channel, "submit": submit,
            **{k: (v.pk if hasattr(v, "pk") else v) for k, v in fields.items()}}
    user = account_perms.as_user(by)
    if user is None:
        raise PermissionDenied(_("请先登录。"), code="login_required", status=401)
    prepared: Case | None = None
    texts: Any = None
    if submit:
        # The reads and checks of the new case before the write transaction, which on SQLite holds the
        # database's one write lock (issue #17: the other workers waited through them). A refusal is
        # not answered here: checked again after the claim, a repeat of an earlier success still replays.
        # So are the version's required materials (a version's materials never change once written)
        # and the caller's roles for the audit entries (cached on the user for this request).
        try:
            prepared = _new_case(by=by, item_code=item_code, channel=channel, partial=False, **fields)
            _check_complete(prepared, fresh=True)
            texts = common.notify_texts(prepared, "case_submitted")  # the template read outside the lock too
        except DomainError:
            prepared = None
        account_perms.primary_role(user)
    with transaction.atomic():
        claim = idempotency_claim(user=user, operation="cases.apply", key=idempotency_key, body=body)
        if claim.replay_id:
            return Case.objects.get(pk=int(claim.replay_id)), True
        if submit:
            if prepared is not None:
                case = _create_submitted(by, prepared, checked=True, texts=texts)
            else:
                case = _create_submitted(by, _new_case(by=by, item_code=item_code, channel=channel, partial=False,
                                                       **fields))
        else:
            case = case_create(by=by, item_code=item_code, channel=channel, **fields)
        idempotency_done(claim, case.pk)
    return case, False


def _create_submitted(by: Actor, case: Case, *, checked: bool = False, texts: Any = None) -> Case:
    """``case_create`` then ``_submit`` for a new case (issue #17): the same checks and the same rows —
    the case (inserted once, already numbered), its correction clock, the create and submit events and
    audit entries, the notification — without writing a draft first and reading it back. The form is
    checked complete once; the new case has no uploads, so a required material is missing (422).
    ``case``: the unsaved case of ``_new_case``; this runs inside case_apply's transaction. ``checked``:
    ``_check_complete`` passed already, before the transaction (case_apply); ``texts``: the notification's,
    read then too (``common.notify_texts``)."""
    common.require_atomic()
    # The submitter is ``by`` (case_create sets it), so ``by`` is the applicant side (permissions.applicant_q).
    common.guard(case, CaseAction.SUBMIT, by, kinds={"applicant"})
    if not checked:
        _check_complete(case, fresh=True)
    draft_label = str(case)
    now = timezone.now()
    case.status = CaseStatus.SUBMITTED
    case.number = common.case_number(case.receiving_department, timezone.localdate(now).year)
    case.submitted_at = now
    clock = common.new_clock(case, ClockKind.CORRECTION, common.today(), common.CORRECTION_LIMIT)
    case.due_date, case.deadline_level = clock.due_date, clock.level  # common.refresh_due with this one clock
    insert_rows([case])  # the statements built once per process (case.save compiled them anew)
    clock.case = case
    insert_rows([clock])
    case.fresh_clocks = [clock]  # type: ignore[attr-defined]  # the API's 201 answers from these
    case.fresh_events = common.record_steps(case, by, [  # type: ignore[attr-defined]
        common.Step("create", "", CaseStatus.DRAFT, public=False, data={"channel": case.channel}, label=draft_label),
        common.Step(CaseAction.SUBMIT, CaseStatus.DRAFT, CaseStatus.SUBMITTED, data={"number": case.number})])
    common.notify(case, "case_submitted", texts=texts)
    return case


def case_update(*, by: Actor, case_id: Any, form_data: dict[str, Any] | None = None,
                form_patch: dict[str, Any] | None = None, contact_phone: str | None = None,
                delivery_method: str | None = None, delivery_address: str | None = None) -> Case:
    """Save the draft (or, during a correction round, the corrected form) of the applicant side.

    ``form_data`` replaces the whole form (the pages post every field); ``form_patch`` changes only
    the fields it names, ``None`` removing one (the API's PATCH). The patch is merged with the
    stored form here, under the case's row lock, so two edits of different fields at the same time
    both survive (issue #10 part 3); a personal field is merged in clear and stored encrypted again.
    A pre-filled field changed here is recorded as the applicant's correction beside the value the
    shared register gave (``prefill.prefill_track_corrections``; issue #13 part 5).
    """
    if form_data is not None and form_patch is not None:
        raise ValueError("case_update takes form_data or form_patch, not both")
    with transaction.atomic():
        case = common.lock_case(case_id)
        kinds = common.kinds_for(by, case)
        if not kinds & {"applicant", "receiver"}:
            raise PermissionDenied(_("您无权修改该办件。"), code="case_action_forbidden")
        if case.status not in (CaseStatus.DRAFT, CaseStatus.CORRECTION):
            raise Conflict(_("办件已提交，不能再修改申请内容。"), code="case_not_editable")
        before = {"status": case.status}
        if form_patch is not None:
            merged = {**case.form_values(), **form_patch}
            form_data = {name: value for name, value in merged.items() if value is not None}
        if form_data is not None:
            # A masked value sent back unchanged (the page or the API showed it masked) keeps the stored one.
            schema = case.item_version.form_schema
            data = restore_unchanged(schema, form_data, case.form_values())
            case.form_set(schema, check_form(schema, data, partial=True))
            prefill_track_corrections(case)  # a changed pre-filled value is kept beside its source
        if contact_phone is not None:
            case.contact_phone = _phone(contact_phone)
            case.phone_tail = case.contact_phone[-4:]
        if delivery_method is not None:
            if delivery_method not in DeliveryMethod.values:
                raise DomainError(_("不支持的送达方式。"), code="delivery_method_invalid", status=422,
                                  fields={"delivery_method": [_("请从给定选项中选择。")]})
            case.delivery_method = delivery_method
        if delivery_address is not None:
            case.delivery_address = delivery_address[:300]
        case.save()
        audit_record(actor=by, action="cases.update", target=case, before=before, after={"status": case.status})
    return case


def _sniff(head: bytes) -> tuple[str, str] | None:
    return next((kind for magic, kind in UPLOAD_TYPES.items() if head.startswith(magic)), None)


def case_attach(*, by: Actor, case_id: Any, name: str, content: bytes, material_id: int | None = None) -> CaseMaterial:
    """Upload one material file (PDF, JPEG or PNG, by content; at most ``CASES_MAX_UPLOAD_BYTES``).

    The file is stored under a random name with its SHA-256; it is never executed or rendered
    inline (served as a download with ``nosniff``).
    """
    if len(content) > max_upload_bytes():
        raise DomainError(_("文件过大，单个文件不能超过 %(mb)s MB。") % {"mb": max_upload_bytes() // (1024 * 1024)},
                          code="upload_too_large", status=422, fields={"file": [_("文件过大。")]})
    if not content:
        raise DomainError(_("文件为空。"), code="upload_empty", status=422, fields={"file": [_("文件为空。")]})
    kind = _sniff(content[:16])
    if kind is None:
        raise DomainError(_("只接受 PDF、JPG 或 PNG 文件。"), code="upload_type_not_allowed", status=422,
                          fields={"file": [_("文件类型不支持。")]})
    with transaction.atomic():
        case = common.lock_case(case_id)
        kinds = common.kinds_for(by, case)
        if not kinds & {"applicant", "receiver"}:
            raise PermissionDenied(_("您无权为该办件上传材料。"), code="case_action_forbidden")
        if case.status not in (CaseStatus.DRAFT, CaseStatus.CORRECTION):
            raise Conflict(_("办件已提交，不能再上传材料。"), code="case_not_editable")
        material = None
        if material_id is not None:
            material = case.item_version.materials.filter(pk=material_id).first()
            if material is None:
                raise DomainError(_("该事项没有这项材料。"), code="material_unknown", status=422,
                                  fields={"material_id": [_("请从给定选项中选择。")]})
        if case.materials.filter(removed_at__isnull=True).count() >= MAX_FILES_PER_CASE:
            raise DomainError(_("上传的文件过多。"), code="upload_too_many", status=422)
        content_type, ext = kind
        row = CaseMaterial(case=case, material=material, original_name=(name or "file")[-200:],
                           content_type=content_type, size=len(content),
                           sha256=hashlib.sha256(content).hexdigest(), uploaded_by=account_perms.as_user(by))
        row.file.save(f"{uuid.uuid4().hex}{ext}", ContentFile(content), save=False)
        row.save()
        audit_record(actor=by, action="cases.attach", target=case, after={"material": row.pk,
                                                                                "sha256": row.sha256})
    return row


def case_detach(*, by: Actor, case_id: Any, attachment_id: int) -> None:
    """Remove an uploaded file from a draft or a correction round (kept, marked removed)."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        kinds = common.kinds_for(by, case)
        if not kinds & {"applicant", "receiver"}:
            raise PermissionDenied(_("您无权删除该办件的材料。"), code="case_action_forbidden")
        if case.status not in (CaseStatus.DRAFT, CaseStatus.CORRECTION):
            raise Conflict(_("办件已提交，不能再删除材料。"), code="case_not_editable")
        updated = case.materials.filter(pk=attachment_id, removed_at__isnull=True).update(removed_at=timezone.now())
        if not updated:
            raise NotFound(_("找不到该材料。"), code="attachment_not_found")
        audit_record(actor=by, action="cases.detach", target=case, after={"material": attachment_id})


def _check_complete(case: Case, *, fresh: bool = False) -> None:
    """Before submission: the form is complete, and online applications carry every required material
    — uploaded, or proven by a shared register (a shared row of ``services.prefill``: 已共享).

    ``fresh``: a case not saved yet, built from the item's current version with its form checked
    complete (``_create_submitted``): only the materials are left to check, and none is uploaded."""
    item = case.item
    if item.status != ItemStatus.ACTIVE or item.current_version_id is None:
        raise Conflict(_("该事项暂停办理或已取消，暂不接受申请。"), code="item_suspended")
    if fresh:
        if case.channel in _ONLINE:
            _require_materials(case, set())
        return
    values = case.form_values()
    if item.current_version_id != case.item_version_id:  # filed under the version in force at submission
        version = item.current_version
        assert version is not None
        case.item_version = version
        case.title = version.name
    # Re-stored under the schema it is filed under: that version's personal fields are encrypted.
    case.form_set(case.item_version.form_schema, check_form(case.item_version.form_schema, values, partial=False))
    if case.channel in _ONLINE:
        # Matched by name: a draft's files may name the materials of an earlier version of the item.
        uploaded = set(case.materials.filter(removed_at__isnull=True).values_list("material__name", flat=True))
        _require_materials(case, uploaded)


def _require_materials(case: Case, uploaded: set[str]) -> None:
    """422 ``materials_missing`` naming the required materials of the case's version not in ``uploaded``."""
    missing: list[Any] = [name for name in case.item_version.materials.filter(required=True)
                          .values_list("name", flat=True) if name not in uploaded]
    if missing:
        raise DomainError(_("请上传全部必需材料：%(names)s") % {"names": "、".join(missing)},
                          code="materials_missing", status=422, fields={"materials": list(missing)})


def _submit(case: Case, by: Actor) -> Case:
    common.guard(case, CaseAction.SUBMIT, by)
    _check_complete(case)
    from_status = case.status
    now = timezone.now()
    case.status = CaseStatus.SUBMITTED
    case.number = common.case_number(case.receiving_department, timezone.localdate(now).year)
    case.submitted_at = now
    common.start_clock(case, ClockKind.CORRECTION, common.today(), common.CORRECTION_LIMIT)
    common.save(case, "number", "submitted_at", "item_version", "title", "form_data", "form_personal")
    common.record(case, CaseAction.SUBMIT, by, from_status=from_status, data={"number": case.number})
    common.notify(case, "case_submitted")
    return case


def case_submit(*, by: Actor, case_id: Any) -> Case:
    """Submit a draft (提交申请): the case gets its number and the 5-working-day clock for a
    correction notice starts (行政许可法 art. 32(4))."""
    with transaction.atomic():
        return _submit(common.lock_case(case_id), by)


def case_resubmit(*, by: Actor, case_id: Any) -> Case:
    """Hand in the corrected materials (补正后提交): a new 5-day correction clock from this receipt."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, CaseAction.RESUBMIT, by)
        _check_complete(case)
        case.status = CaseStatus.SUBMITTED
        common.stop_clocks(case, ClockKind.CORRECTION)
        common.start_clock(case, ClockKind.CORRECTION, common.today(), common.CORRECTION_LIMIT)
        common.save(case, "item_version", "title", "form_data", "form_personal")
        common.record(case, CaseAction.RESUBMIT, by, from_status=CaseStatus.CORRECTION)
        common.notify(case, "case_submitted")
    return case


def case_withdraw(*, by: Actor, case_id: Any, reason: str = "") -> Case:
    """The applicant withdraws the application before a decision (撤回申请); all clocks stop."""
    with transaction.atomic():
        case = common.lock_case(case_id)
        common.guard(case, CaseAction.WITHDRAW, by)
        from_status = case.status
        case.status = CaseStatus.WITHDRAWN
        case.closed_at = timezone.now()
        common.stop_clocks(case)
        common.save(case, "closed_at")
        common.record(case, CaseAction.WITHDRAW, by, from_status=from_status, note=reason[:500])
        if from_status != CaseStatus.DRAFT:
            common.notify(case, "case_withdrawn", reason=reason[:100])
    return case
