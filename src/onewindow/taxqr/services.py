"""Writes of taxqr: the client draft and its code, the window capture, corrections (issue #5).

Every service takes ``by`` (an Actor), runs in one transaction, refuses with a DomainError
(nothing written) and leaves an audit entry. The draft and record actions follow the recipe of
ARCHITECTURE rule 3 with the tables of workflow.py: lock the row, guard (404 a row the actor may
not see, 403 an actor kind the table does not name, 409 a wrong status), mutate, append the event
row (TaxDraftEvent / TaxRecordEvent) and the audit entry. Summary exports live in exports.py.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor, is_device, is_system
from onewindow.core.audit import audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.normalize import nfkc, nfkc_number
from onewindow.core.numbering import next_number

from . import codec, images, keystore, rules, selectors, tax, workflow
from . import permissions as perms
from .choices import DraftAction, DraftStatus, RateKind, RecordAction, RecordStatus
from .models import (
    ClientDraft,
    RateRow,
    RecordCorrection,
    TaxBureau,
    TaxDraftEvent,
    TaxRecord,
    TaxRecordEvent,
)
from .party_scope import record_parties_index
from .record import Transaction, from_wire, to_wire, transaction_from_dict

MAX_DRAFT_BYTES = 64_000
ARCHIVE_FORMAT = "{bureau}-{year}-{n:06d}"  # e.g. JA-2017-000045: bureau short code, window year, 6 digits


def archive_number(bureau_code: str, year: int, n: int) -> str:
    """The archive number (档案号) ``<bureau short code>-<year>-<6 digits>``, gap-free per bureau and year."""
    return ARCHIVE_FORMAT.format(bureau=bureau_code, year=year, n=n)


# ---- the recipe: guard and event rows ----------------------------------------------------------

def _actor_columns(by: Actor) -> dict[str, Any]:
    user = account_perms.as_user(by)
    label = str(by) if is_system(by) else (user.get_username() if user is not None else "")
    return {"actor": user, "actor_label": label[:150]}


def _refuse_without_person(by: Actor, lifecycle: workflow.Lifecycle, action: str, code: str) -> None:
    """The system and devices have no row to be refused on: refuse them (403) before any lookup,
    unless the table names ``system`` for the action. Anonymous callers go on to the 401."""
    if is_system(by) and lifecycle.may({workflow.SYSTEM}, action):
        return
    if is_system(by) or is_device(by):
        raise PermissionDenied(_("您无权执行该操作。"), code=code)


def _draft_action_label(action: str) -> str:
    return str(DraftAction(action).label)


def draft_guard(draft: ClientDraft, action: str, by: Actor) -> None:
    """Refuse a draft action the actor or the status does not allow; nothing is written.

    403 ``tax_draft_action_forbidden`` for an actor kind the table does not name (the draft was
    found, so the caller may see it); 409 ``tax_draft_illegal_transition`` for a wrong status."""
    if not workflow.DRAFT.may(perms.draft_actor_kinds(by, draft), action):
        raise PermissionDenied(_("您无权对该填报执行“%(action)s”。") % {"action": _draft_action_label(action)},
                               code="tax_draft_action_forbidden")
    if action != workflow.DRAFT.creation and not workflow.DRAFT.allowed(draft.status, action):
        raise Conflict(_("填报当前状态为“%(status)s”，不能执行“%(action)s”，请先修改填报。")
                       % {"status": DraftStatus(draft.status).label, "action": _draft_action_label(action)},
                       code="tax_draft_illegal_transition")


def _draft_lock(user: Any, draft_id: Any) -> ClientDraft:
    """One of ``user``'s drafts, locked; another's is 404 (existence is not leaked)."""
    draft = ClientDraft.objects.select_for_update().filter(pk=as_id(draft_id), owner=user).first()
    if draft is None:
        raise NotFound(_("找不到该填报记录。"), code="tax_draft_not_found")
    return draft


def _draft_event(draft: ClientDraft, action: str, by: Actor, *, from_status: str,
                 data: dict[str, Any] | None = None, at: datetime.datetime | None = None) -> TaxDraftEvent:
    return TaxDraftEvent.objects.create(draft=draft, action=action, from_status=from_status, to_status=draft.status,
                                        data=data or {}, created_at=at or timezone.now(), **_actor_columns(by))


def _record_actor_guard(by: Actor, department_id: int, action: str) -> None:
    if not workflow.RECORD.may(perms.bureau_actor_kinds(by, department_id), action):
        raise PermissionDenied(_("您无权对该房交信息执行“%(action)s”。") % {"action": RecordAction(action).label},
                               code="tax_record_action_forbidden")


def record_guard(record: TaxRecord, action: str, by: Actor) -> None:
    """Refuse a record action the actor or the status does not allow; nothing is written.

    403 ``tax_record_action_forbidden`` for an actor kind the table does not name (e.g. a system
    admin, who reads every record but corrects none); 409 ``tax_record_illegal_transition`` for a
    wrong status (a record has one status today, workflow.RECORD, so this guards a future one)."""
    _record_actor_guard(by, record.bureau.department_id, action)
    if not workflow.RECORD.allowed(RecordStatus.SAVED, action):
        raise Conflict(_("房交信息当前状态为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": RecordStatus.SAVED.label, "action": RecordAction(action).label},
                       code="tax_record_illegal_transition")


def record_lock(*, by: Actor, record_id: Any, action: str) -> TaxRecord:
    """The record, locked for the action's transaction, after the checks that need no row: 403 for
    the system or a device (unless the table names the system), 401 anonymous, 403
    ``not_tax_staff`` for a user who is neither tax staff nor a system admin; then 404
    ``tax_record_not_found`` outside the caller's bureaus (a system actor sees every record)."""
    _refuse_without_person(by, workflow.RECORD, action, "tax_record_action_forbidden")
    queryset = TaxRecord.objects.all()
    if not is_system(by):
        perms.require_tax_reader(by)
        queryset = perms.record_queryset_for(by)
    record = (queryset.select_for_update(of=("self",)).select_related("bureau__department")
              .filter(pk=as_id(record_id)).first())
    if record is None:
        raise NotFound(_("找不到该房交信息。"), code="tax_record_not_found")
    return record


def record_event(record: TaxRecord, action: str, by: Actor, *, data: dict[str, Any] | None = None,
                 at: datetime.datetime | None = None) -> TaxRecordEvent:
    """Append one step of the record's timeline (call it beside the action's audit entry)."""
    return TaxRecordEvent.objects.create(record=record, action=action, data=data or {},
                                         created_at=at or timezone.now(), **_actor_columns(by))


# ---- taxpayer side --------------------------------------------------------------------------

def draft_save(*, by: Actor, data: dict[str, Any], draft_id: int | None = None) -> ClientDraft:
    """Save the client form (房产交易辅助) as a draft of ``by`` (citizen or agency clerk).

    Incomplete data may be saved; rules run when the code is generated. Editing a coded draft
    returns it to draft (its old code stays valid at the window, it is the same transaction).
    Actor: the taxpayer (workflow.DRAFT): another's draft is 404 ``tax_draft_not_found``, the
    system or a device 403 ``tax_draft_action_forbidden``, an anonymous caller 401.
    """
    action = DraftAction.CREATE if draft_id is None else DraftAction.SAVE
    _refuse_without_person(by, workflow.DRAFT, action, "tax_draft_action_forbidden")
    user = perms.require_user(by)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    if len(text.encode()) > MAX_DRAFT_BYTES:
        raise DomainError(_("填报内容过多。"), code="draft_too_large", status=422)
    certificate = ""
    if isinstance(data.get("property"), dict):
        certificate = rules.normalize_certificate(str(data["property"].get("certificate_no", "")))[:60]
    with transaction.atomic():
        draft = ClientDraft(owner=user, organization_id=user.organization_id) if draft_id is None \
            else _draft_lock(user, draft_id)
        from_status = "" if draft_id is None else draft.status
        draft_guard(draft, action, by)
        draft.data_encrypted = text
        draft.certificate_no = certificate
        draft.status = workflow.DRAFT.initial if draft_id is None else workflow.DRAFT.target(from_status, action)
        draft.codes, draft.ruleset_version, draft.coded_at = [], "", None
        draft.save()
        _draft_event(draft, action, by, from_status=from_status)
        audit_record(actor=user, action="taxqr.draft.create" if draft_id is None else "taxqr.draft.update",
                     target=draft, before={"status": from_status} if from_status else None,
                     after={"status": draft.status, "certificate_no": certificate})
    return draft


@dataclass
class Coded:
    draft: ClientDraft
    warnings: list[rules.Finding]
    estimate: tax.Estimate | None


def estimate_of(tx: Transaction) -> tax.Estimate | None:
    """The tax estimate (税费试算, 仅供参考) of a valid record, or None out of the tables' range."""
    try:
        return tax.estimate(tx, table=selectors.rate_table())
    except (ValueError, StopIteration, IndexError):
        return None


def draft_generate_code(*, by: Actor, draft_id: int, now: datetime.datetime | None = None) -> Coded:
    """Validate the draft with the current rule set and make its signed, encrypted QR code(s).

    Errors refuse with per-field messages (``record_invalid``); warnings are returned for the
    user to see. The rule-set version travels in the code (the window re-checks with it). A coded
    draft is not coded again (409 ``tax_draft_illegal_transition``): a new code follows an edit.
    """
    _refuse_without_person(by, workflow.DRAFT, DraftAction.CODE, "tax_draft_action_forbidden")
    user = perms.require_user(by)
    now = now or timezone.now()
    with transaction.atomic():
        draft = _draft_lock(user, draft_id)
        draft_guard(draft, DraftAction.CODE, by)
        from_status = draft.status
        tx = transaction_from_dict(draft.data)
        ruleset = next((r for r in reversed(rules.RULESETS) if r.effective_on <= timezone.localdate(now)),
                       rules.RULESETS[0])
        findings = rules.check(tx, ruleset=ruleset, today=timezone.localdate(now))
        rules.raise_for_errors(findings)
        texts = codec.encode(to_wire(tx), keys=keystore.sender_keys(), ruleset_version=ruleset.version,
                             issued_at=int(now.timestamp()))
        draft.codes, draft.ruleset_version, draft.coded_at = texts, ruleset.version, now
        draft.status = workflow.DRAFT.target(from_status, DraftAction.CODE)
        draft.save(update_fields=["codes", "ruleset_version", "coded_at", "status", "updated_at"])
        facts = {"parts": len(texts), "ruleset": ruleset.version}
        _draft_event(draft, DraftAction.CODE, by, from_status=from_status, data=facts, at=now)
        audit_record(actor=user, action="taxqr.draft.code", target=draft, before={"status": from_status},
                     after={"status": draft.status, **facts})
    return Coded(draft, [f for f in findings if f.severity == rules.WARNING], estimate_of(tx))


# ---- tax side: window ---------------------------------------------------------------------

@dataclass
class Preview:
    """What the window shows before the clerk confirms (nothing written yet)."""

    decoded: codec.Decoded
    transaction: Transaction
    envelope_sha256: str
    warnings: list[rules.Finding] = field(default_factory=list)
    estimate: tax.Estimate | None = None
    text: str = ""

    @property
    def record(self) -> dict[str, Any]:
        return self.transaction.to_dict()


def scanned_text(*, text: str = "", image: bytes | None = None) -> str:
    """The code texts from scanner-gun keystrokes or from a photo/screenshot (several codes)."""
    if image:
        return "\n".join(images.read_image(image))
    if not text.strip():
        raise codec.QrError(_("请扫描二维码，或上传二维码照片。"), code="qr_empty")
    return text


def _decode(by: Actor, text: str, today: datetime.date) -> Preview:
    envelope = codec.join(codec.parse_parts(text))
    decoded = codec.open_envelope(envelope, keys=keystore.receiver_keys())
    ruleset = rules.ruleset_status(decoded.ruleset_version, today=today,
                                   grace_days=int(settings.TAXQR_RULESET_GRACE_DAYS))
    tx = from_wire(decoded.record)
    findings = rules.check(tx, ruleset=ruleset, today=today)
    rules.raise_for_errors(findings)
    digest = hashlib.sha256(envelope).hexdigest()
    saved = TaxRecord.objects.filter(envelope_hash=digest).values_list("archive_no", flat=True).first()
    if saved:
        raise Conflict(_("该二维码已于此前保存，档案号 %(no)s，请勿重复录入。") % {"no": saved},
                       code="qr_already_saved")
    certificate = rules.normalize_certificate(tx.property.certificate_no)
    same = TaxRecord.objects.filter(certificate_no=certificate, contract_date=tx.contract.signed_on)
    duplicate = same.values_list("archive_no", flat=True).first()
    if duplicate:
        raise Conflict(_("同一产权证号、同一合同日期的交易已采集（档案号 %(no)s），请核实是否重复申报。")
                       % {"no": duplicate}, code="duplicate_transaction")
    return Preview(decoded, tx, digest, [f for f in findings if f.severity == rules.WARNING], estimate_of(tx), text)


def record_preview(*, by: Actor, text: str = "", image: bytes | None = None,
                   now: datetime.datetime | None = None) -> Preview:
    """Decode, verify and re-validate a scanned code for the clerk to confirm; writes nothing.

    Actor: a tax window clerk or reviewer. Refusals (each with its own code): qr_foreign,
    qr_corrupt, qr_truncated, qr_part_missing, qr_parts_mixed, qr_unknown_key,
    qr_bad_signature, qr_image_unreadable, qr_not_found, ruleset_expired, record_invalid,
    qr_already_saved, duplicate_transaction.
    """
    perms.require_window_bureau(by)
    now = now or timezone.now()
    return _decode(by, scanned_text(text=text, image=image), timezone.localdate(now))


def record_capture(*, by: Actor, text: str = "", image: bytes | None = None, window: str = "",
                   first_scan_at: datetime.datetime | None = None,
                   now: datetime.datetime | None = None) -> TaxRecord:
    """The clerk confirmed: save the tax record (房交信息) with the next archive number (档案号).

    Same checks as :func:`record_preview`, then, in one transaction: the archive number from the
    bureau-and-year counter (gap-free), the record, the audit entry. A property outside the
    bureau's district is refused (``property_not_in_bureau``: 属地管理); a window code other than
    letters, digits, ``-`` and ``_`` is ``window_invalid``. ``first_scan_at`` (when
    the window first read a part) measures the window time; it is clamped to the last 12 hours.
    Actor (workflow.RECORD): a window clerk or reviewer of a tax bureau — 403 ``not_tax_staff``
    for other users, ``tax_record_action_forbidden`` for the system or a device.
    """
    _refuse_without_person(by, workflow.RECORD, RecordAction.CAPTURE, "tax_record_action_forbidden")
    bureau = perms.require_window_bureau(by)
    _record_actor_guard(by, bureau.department_id, RecordAction.CAPTURE)
    window = rules.window_code(window)
    now = now or timezone.now()
    preview = _decode(by, scanned_text(text=text, image=image), timezone.localdate(now))
    tx = preview.transaction
    district = bureau.department.region
    if district.level == "district" and tx.property.district_code != district.code:
        raise DomainError(_("该房屋不在本局管辖区域内，请到房屋所在区的税务机关办理。"),
                          code="property_not_in_bureau", status=422)
    if first_scan_at is None or not now - datetime.timedelta(hours=12) <= first_scan_at <= now:
        first_scan_at = now
    year = timezone.localtime(now).year
    data = tx.to_dict()
    try:
        with transaction.atomic():
            # The record goes in first under a placeholder number, so that the bureau's counter row
            # is locked (until commit) only for the last, small statements: captures at several
            # windows of one bureau queue on that lock (PostgreSQL), not on the whole insert.
            record = TaxRecord.objects.create(
                bureau=bureau, archive_no=f"~{preview.envelope_sha256[:19]}",
                certificate_no=rules.normalize_certificate(tx.property.certificate_no),
                contract_date=datetime.date.fromisoformat(tx.contract.signed_on),
                district_code=tx.property.district_code,
                street_code=tx.property.street_code, address=tx.property.address[:200],
                area=Decimal(tx.property.area), price=Decimal(tx.contract.price),
                agency_name=tx.contract.agency_name[:200], agency_credit_code=tx.contract.agency_credit_code,
                parties_masked=selectors.parties_masked(data),
                record_encrypted=json.dumps(data, ensure_ascii=False),
                estimate_total=preview.estimate.total if preview.estimate else None,
                warnings=[{"path": w.path, "code": w.code, "message": str(w.message)} for w in preview.warnings],
                envelope_hash=preview.envelope_sha256, ruleset_version=preview.decoded.ruleset_version,
                signing_kid=preview.decoded.signing_kid,
                issued_at=datetime.datetime.fromtimestamp(preview.decoded.issued_at, tz=datetime.UTC),
                window=window[:20], clerk=account_perms.acting_user(by), first_scan_at=first_scan_at, saved_at=now,
            )
            record_event(record, RecordAction.CAPTURE, by, data={"window": record.window}, at=now)
            record.archive_no = archive_number(bureau.short_code, year,
                                               next_number(f"taxqr:{bureau.short_code}:{year}"))
            TaxRecord.objects.filter(pk=record.pk).update(archive_no=record.archive_no)
            record_parties_index(record, data)  # who is a party: the bureau's unmask scope (issue #9)
            audit_record(actor=by, action="taxqr.record.capture", target=record,
                         role=account_perms.primary_role(by),
                         after={"archive_no": record.archive_no, "certificate_no": record.certificate_no,
                                "parties": record.parties_masked, "window": record.window})
    except IntegrityError as exc:
        # A concurrent window saved the same code or transaction first; the checks above now say which.
        _decode(by, scanned_text(text=text, image=image), timezone.localdate(now))
        raise Conflict(_("该交易刚被其他窗口保存，请刷新后核实。"), code="duplicate_transaction") from exc
    return record


CORRECTABLE = {
    "property.address": "address", "property.street_code": "street_code", "property.area": "area",
    "contract.price": "price", "contract.agency_name": "agency_name",
}
NUMERIC_FIELDS = ("property.street_code", "property.area", "contract.price")


def record_correct(*, by: Actor, record_id: int, field_path: str, value: str, reason: str) -> RecordCorrection:
    """Correct one field of a captured record (更正) — tax staff of the record's bureau only.

    The correction, the updated record and an audit entry (masked before/after) are written
    together. Area and price must stay within the record's rule-set ranges. Numbers and codes
    typed in full-width mode are stored as their ASCII twins, in the record and the column alike.
    Actor (workflow.RECORD): a window clerk or reviewer of the record's bureau; another bureau's
    staff get 404, a system admin (who reads but does not correct) 403.
    """
    if field_path in NUMERIC_FIELDS:
        value = nfkc_number(value)
    if field_path not in CORRECTABLE:
        raise DomainError(_("该项不能更正。"), code="field_not_correctable", status=422,
                          fields={"field": [_("可更正：坐落、街道、面积、价格、经纪机构")]})
    if not reason.strip():
        raise DomainError(_("请填写更正原因。"), code="reason_required", status=422,
                          fields={"reason": [_("必填")]})
    with transaction.atomic():
        record = record_lock(by=by, record_id=record_id, action=RecordAction.CORRECT)
        record_guard(record, RecordAction.CORRECT, by)
        data = record.record
        section, key = field_path.split(".")
        before = str(data.get(section, {}).get(key, ""))
        data.setdefault(section, {})[key] = value
        ruleset = rules.get(record.ruleset_version) or rules.current()
        findings = rules.check(transaction_from_dict(data), ruleset=ruleset,
                               today=timezone.localdate(record.saved_at))
        rules.raise_for_errors([f for f in findings if f.path == field_path])
        column = CORRECTABLE[field_path]
        setattr(record, column, Decimal(value) if column in ("area", "price") else value)
        record.record_encrypted = json.dumps(data, ensure_ascii=False)
        record.save()
        correction = RecordCorrection.objects.create(record=record, field=field_path, before_masked=before[:200],
                                                     after_masked=value[:200], reason=reason[:200],
                                                     corrected_by=account_perms.acting_user(by))
        record_event(record, RecordAction.CORRECT, by, data={"field": field_path, "correction": correction.pk},
                     at=correction.corrected_at)
        audit_record(actor=by, action="taxqr.record.correct", target=record, role=account_perms.primary_role(by),
                     before={field_path: before}, after={field_path: value, "reason": reason[:200]})
    return correction


def record_reveal(*, by: Actor, record_id: int) -> TaxRecord:
    """The record with unmasked personal data for its bureau's staff or an admin (audited view)."""
    from onewindow.core.audit import audit_personal_data_view

    record = selectors.record_get_for(by, record_id)
    if not perms.can_unmask(by):
        raise DomainError(_("您无权查看未脱敏的个人信息。"), code="forbidden", status=403)
    audit_personal_data_view(actor=by, target=record, fields=["id_number", "phone", "name"],
                             role=account_perms.primary_role(by))
    return record


def rate_rows_seed(*, by: Actor) -> int:
    """Fill the rate table (税率表) from tax.SEED (DOMAIN.md §6) if it is empty; return rows added."""
    with transaction.atomic():
        if RateRow.objects.exists():
            return 0
        rows = [RateRow(kind=RateKind.DEED, valid_from=r.valid_from, valid_to=r.valid_to, home_rank=r.home_rank,
                        max_area=r.max_area, rate=r.rate, basis=r.basis, confirmed=r.confirmed)
                for r in tax.SEED.deed]
        rows += [RateRow(kind=RateKind.VAT, valid_from=r.valid_from, valid_to=r.valid_to, rate=r.short_rate,
                         rate_long_ordinary=r.long_ordinary_rate, rate_long_non_ordinary=r.long_non_ordinary_rate,
                         basis=r.basis) for r in tax.SEED.vat]
        rows += [RateRow(kind=RateKind.INCOME, valid_from=r.valid_from, valid_to=r.valid_to, rate=r.deemed_ordinary,
                         rate_non_ordinary=r.deemed_non_ordinary, basis=r.basis, confirmed=r.confirmed)
                 for r in tax.SEED.income]
        RateRow.objects.bulk_create(rows)
        audit_record(actor=by, action="taxqr.rates.seed", target=("taxqr.raterow", "", "tax.SEED"),
                     after={"rows": len(rows)})
    return len(rows)


def bureau_register(*, by: Actor, department: Any, short_code: str) -> TaxBureau:
    """Register a department as a tax bureau (税务机关) with its archive short code (admin/demo)."""
    bureau, created = TaxBureau.objects.get_or_create(department=department, defaults={"short_code": short_code})
    if created:
        audit_record(actor=by, action="taxqr.bureau.register", target=bureau, after={"short_code": short_code})
    return bureau



def bureau_update(*, by: Actor, bureau_id: Any, short_code: str) -> TaxBureau:
    """Change a tax bureau's archive short code (档案号简码), which prefixes the archive numbers it
    issues from now on (numbers already issued keep theirs). Refused: a code taken by another
    bureau (409 ``bureau_code_taken``), a code that is not 1–4 letters or digits (422). Tax bureaus
    are never deleted (archive numbers refer to them). Audited ``taxqr.bureau.update``."""
    code = nfkc(str(short_code or "")).strip().upper()
    if not (1 <= len(code) <= 4 and code.isascii() and code.isalnum()):
        raise DomainError(_("档案号简码须为 1 到 4 位字母或数字。"), code="bureau_invalid", status=422,
                          fields={"short_code": [_("档案号简码须为 1 到 4 位字母或数字。")]})
    with transaction.atomic():
        bureau = TaxBureau.objects.select_for_update().filter(pk=bureau_id).first()
        if bureau is None:
            raise NotFound(_("找不到该税务机关。"), code="bureau_not_found")
        if bureau.short_code == code:
            return bureau
        if TaxBureau.objects.filter(short_code=code).exclude(pk=bureau.pk).exists():
            raise Conflict(_("该档案号简码已被其他税务机关使用。"), code="bureau_code_taken")
        before = bureau.short_code
        bureau.short_code = code
        bureau.save(update_fields=["short_code"])
        audit_record(actor=by, action="taxqr.bureau.update", target=bureau, before={"short_code": before},
                     after={"short_code": code})
    return bureau


def rate_row_save(*, by: Actor, row: RateRow) -> RateRow:
    """Save a rate-table row (税率表) edited by tax staff in the admin, with an audit entry.

    The estimate engine reads the rows at once (selectors.rate_table); the estimate stays labelled
    仅供参考 — the tax office assesses the amount due (税收征收管理法 art. 28).
    """
    with transaction.atomic():
        before = None
        if row.pk:
            old = RateRow.objects.filter(pk=row.pk).values("kind", "valid_from", "valid_to", "rate").first()
            before = {k: str(v) for k, v in (old or {}).items()}
        row.updated_by = account_perms.as_user(by)
        row.save()
        audit_record(actor=by, action="taxqr.rates.save", target=row, before=before,
                     after={"kind": row.kind, "valid_from": str(row.valid_from), "valid_to": str(row.valid_to),
                            "rate": str(row.rate)})
    return row
