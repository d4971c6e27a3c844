"""Writes of the market-entity registry (市场主体库): registration, changes, status, risk grades.

Each service takes the actor as ``by`` (a registrar's data clerk or department admin, the system
admin, or a system actor for imports and the demo), and in one transaction locks the row, checks,
writes the profile, its :class:`EntityVersion` (who, when, masked before/after) and the audit
entry. A registration or a change of business scope calls the entity-change listeners (双告知,
DOMAIN.md R5.1) in the same transaction, so a notice exists exactly when the change does.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import Organization
from onewindow.core.actors import Actor, is_system, system_actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.masking import mask_id_number, mask_phone

from .. import permissions as perms
from ..choices import EntityStatus, RiskGrade, VersionKind
from ..listeners import EntityChange, notify_entity_change
from ..models import EntityProfile, EntitySearchKey, EntityVersion, FormerName
from ..search_keys import name_initials, search_keys
from ..workflow import status_change_allowed
from .bulk import insert_rows, insert_values, update_rows
from .records import records_match_pending
from .validation import EntityInput, References, RowError, check_entity, refuse

#: The fields of a version snapshot, in order; personal ones are masked in it.
SNAPSHOT_FIELDS = (
    "name",
    "entity_type",
    "registration_number",
    "legal_representative_name",
    "legal_rep_id_number",
    "legal_rep_phone",
    "address",
    "district",
    "street",
    "industry",
    "registered_capital",
    "currency",
    "established_on",
    "approved_on",
    "status",
    "status_on",
    "business_scope",
)
#: Fields an update may change (the key — credit code or 注册号 — never changes here).
UPDATABLE = frozenset(SNAPSHOT_FIELDS) - {"registration_number"}


def _actor_user(by: Actor) -> Any:
    return None if is_system(by) else account_perms.as_user(by)


def _actor_label(by: Actor) -> str:
    return str(by)[:150] if is_system(by) else ""


def check_writer(by: Actor) -> None:
    """System actors (import jobs, the demo) and registrars write; others get 403."""
    if not is_system(by) and not perms.can_write_registry(by):
        raise PermissionDenied(
            _("只有登记机关的数据报送员或部门管理员可以维护市场主体库"), code="market_registry_forbidden"
        )


def _shown(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


PERSONAL = ("legal_rep_id_number", "legal_rep_phone")


def masked(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A snapshot with the personal fields masked (for versions and the audit trail)."""
    out = dict(snapshot)
    if "legal_rep_id_number" in out:
        out["legal_rep_id_number"] = mask_id_number(out["legal_rep_id_number"])
    if "legal_rep_phone" in out:
        out["legal_rep_phone"] = mask_phone(out["legal_rep_phone"])
    return out


def snapshot_of(data: EntityInput) -> dict[str, Any]:
    """The comparable values (not masked) of checked input."""
    values = {
        "name": data.name,
        "entity_type": data.entity_type,
        "registration_number": data.registration_number,
        "legal_representative_name": data.legal_representative_name,
        "legal_rep_id_number": data.legal_rep_id_number,
        "legal_rep_phone": data.legal_rep_phone,
        "address": data.address,
        "district": data.district_code,
        "street": data.street_code,
        "industry": data.industry_code,
        "registered_capital": data.registered_capital,
        "currency": data.currency,
        "established_on": data.established_on,
        "approved_on": data.approved_on,
        "status": data.status,
        "status_on": data.status_on,
        "business_scope": data.business_scope,
    }
    return {name: _shown(values[name]) for name in SNAPSHOT_FIELDS}


def snapshot_profile(profile: EntityProfile, codes: Mapping[str, str]) -> dict[str, Any]:
    """The comparable values (not masked) of a stored profile; ``codes`` maps ``district``/
    ``street``/``industry`` to their codes (the caller loaded them)."""
    org = profile.organization
    values = {
        "name": org.name,
        "entity_type": profile.entity_type,
        "registration_number": profile.registration_number,
        "legal_representative_name": org.legal_representative_name,
        "legal_rep_id_number": profile.legal_rep_id_number or "",
        "legal_rep_phone": profile.legal_rep_phone or "",
        "address": profile.address,
        "district": codes.get("district", ""),
        "street": codes.get("street", ""),
        "industry": codes.get("industry", ""),
        "registered_capital": profile.registered_capital,
        "currency": profile.currency,
        "established_on": profile.established_on,
        "approved_on": profile.approved_on,
        "status": profile.status,
        "status_on": profile.status_on,
        "business_scope": profile.business_scope,
    }
    return {name: _shown(values[name]) for name in SNAPSHOT_FIELDS}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, as (before, after), masked."""
    changed = [k for k in after if before.get(k) != after[k]]
    return masked({k: before.get(k) for k in changed}), masked({k: after[k] for k in changed})


def apply_input(org: Organization, profile: EntityProfile, data: EntityInput) -> None:
    """Copy checked input onto the (unsaved or locked) organization and profile."""
    org.name = data.name
    org.kind = data.organization_kind
    org.legal_representative_name = data.legal_representative_name
    org.region_id = data.region_id
    profile.has_credit_code = data.has_credit_code
    profile.registration_number = data.registration_number
    profile.entity_type = data.entity_type
    profile.legal_rep_id_number = data.legal_rep_id_number
    profile.legal_rep_phone = data.legal_rep_phone
    profile.address = data.address
    profile.district_id = data.district_id
    profile.street_id = data.street_id
    profile.industry_id = data.industry_id
    profile.registered_capital = data.registered_capital
    profile.currency = data.currency
    profile.established_on = data.established_on
    profile.approved_on = data.approved_on
    profile.status = data.status
    profile.status_on = data.status_on
    profile.business_scope = data.business_scope
    profile.name_initials = name_initials(data.name)[:100]


def key_rows(organization_id: int, name: str, initials: str) -> list[tuple[str, int]]:
    return [(key, organization_id) for key in sorted(search_keys(name, initials))]


def insert_keys(rows: list[tuple[str, int]]) -> None:
    """Insert search keys (``(key, organization id)``) in one statement."""
    insert_values(EntitySearchKey, ["key", "organization"], rows)


def rewrite_keys(organization_id: int, name: str, initials: str) -> None:
    """Replace the search keys of one entity (after a registration or a rename)."""
    EntitySearchKey.objects.filter(organization_id=organization_id).delete()
    insert_keys(key_rows(organization_id, name, initials))


def version_row(
    org_id: int, number: int, kind: str, by: Actor, before: dict[str, Any], after: dict[str, Any], at: datetime.datetime
) -> EntityVersion:
    return EntityVersion(
        organization_id=org_id,
        number=number,
        kind=kind,
        at=at,
        by=_actor_user(by),
        by_label=_actor_label(by),
        before=before,
        after=after,
    )


def change_event(
    profile: EntityProfile,
    kind: str,
    data_scope: str,
    previous_scope: str,
    industry_code: str,
    region_code: str,
    at: datetime.datetime,
) -> EntityChange:
    org = profile.organization
    return EntityChange(
        organization_id=org.pk,
        credit_code=org.credit_code,
        kind=kind,  # type: ignore[arg-type]
        industry_code=industry_code,
        business_scope=data_scope,
        previous_scope=previous_scope,
        region_code=region_code,
        at=at,
    )


def _codes(profile: EntityProfile) -> dict[str, str]:
    return {
        "district": profile.district.code,
        "street": profile.street.code if profile.street else "",
        "industry": profile.industry.code,
    }


def _locked(credit_code: str) -> EntityProfile:
    profile = (
        EntityProfile.objects.select_for_update(of=("self",))
        .select_related("organization", "district", "street", "industry")
        .filter(organization__credit_code=str(credit_code or "").strip().upper())
        .first()
    )
    if profile is None:
        raise NotFound(_("未找到该市场主体"), code="entity_not_found")
    return profile


def entity_register(*, by: Actor, data: Mapping[str, Any], notify: bool = True) -> EntityProfile:
    """设立登记: record a new market entity (an Organization with its registry profile).

    An Organization that already exists without a profile (created for an application by
    ``accounts``) becomes the entity; one that already has a profile is refused
    (``market_entity_exists``, 409). Refusals before any write: 403 ``market_registry_forbidden``,
    422 with the first problem's code (``credit_code_checksum``, ``market_region_unknown``,
    ``market_industry_unknown`` …) and every field. Writes version 1, the search keys and the
    audit entry, and tells the listeners (双告知) of the registration.
    """
    check_writer(by)
    checked, errors = check_entity(data, References.load())
    if checked is None:
        raise refuse(errors)
    now = timezone.now()
    with transaction.atomic():
        org = Organization.objects.select_for_update().filter(credit_code=checked.credit_code).first()
        if org is not None and EntityProfile.objects.filter(organization=org).exists():
            raise Conflict(
                _("该统一社会信用代码（注册号）已登记"),
                code="market_entity_exists",
                fields={"credit_code": [_("该统一社会信用代码（注册号）已登记")]},
            )
        if org is None:
            org = Organization(credit_code=checked.credit_code, created_by=_actor_user(by))
        profile = EntityProfile(version=1, updated_at=now)
        apply_input(org, profile, checked)
        org.save()
        profile.organization = org
        profile.save()
        rewrite_keys(org.pk, org.name, profile.name_initials)
        after = masked(snapshot_of(checked))
        EntityVersion.objects.bulk_create([version_row(org.pk, 1, VersionKind.REGISTERED, by, {}, after, now)])
        audit_record(
            actor=by, action="market.entity_register", target=org, after=after, role=account_perms.primary_role(by)
        )
        if notify:
            notify_entity_change(
                change_event(
                    profile,
                    "registered",
                    checked.business_scope,
                    "",
                    checked.industry_code,
                    checked.street_code or checked.district_code,
                    now,
                )
            )
        # records that arrived before the entity (the matching queue) land under it at once
        records_match_pending(system_actor("market.entity_register"), credit_code=org.credit_code)
    return profile


def entity_update(
    *, by: Actor, credit_code: str, changes: Mapping[str, Any], renamed_on: datetime.date | None = None
) -> EntityProfile:
    """变更登记: change an entity's registration; ``changes`` uses the field names of the
    import (``name``, ``address``, ``district_code`` …). Nothing that differs → nothing written
    (no version). A new name keeps the old one as a 曾用名 (used until ``renamed_on``, default
    today) and rewrites the search keys; a new business scope tells the listeners
    (``scope_changed``, 双告知 at a change of 经营范围, DOMAIN.md R5.1). Refusals: 403
    ``market_registry_forbidden``, 404 ``entity_not_found``, 422 as for a registration
    (``market_field_not_updatable`` for the key or an unknown field).
    """
    check_writer(by)
    unknown = sorted(set(changes) - (UPDATABLE | {"district_code", "street_code", "industry_code"}))
    if unknown:
        raise DomainError(
            _("这些字段不能变更：%(f)s") % {"f": "、".join(unknown)},
            code="market_field_not_updatable",
            fields={name: [_("不能变更")] for name in unknown},
            status=422,
        )
    refs = References.load()
    now = timezone.now()
    with transaction.atomic():
        profile = _locked(credit_code)
        org = profile.organization
        current = current_input(profile)
        merged = {**current, **{k: v for k, v in changes.items()}}
        checked, errors = check_entity(merged, refs)
        if checked is None:
            raise refuse(errors)
        before, after = diff(snapshot_profile(profile, _codes(profile)), snapshot_of(checked))
        if not after:
            return profile
        old_name, old_scope = org.name, profile.business_scope
        apply_input(org, profile, checked)
        profile.version += 1
        profile.updated_at = now
        org.save()
        profile.save()
        if org.name != old_name:
            FormerName.objects.create(
                organization=org, name=old_name, used_until=renamed_on or timezone.localdate(), recorded_at=now
            )
            rewrite_keys(org.pk, org.name, profile.name_initials)
        EntityVersion.objects.bulk_create(
            [version_row(org.pk, profile.version, VersionKind.UPDATED, by, before, after, now)]
        )
        audit_record(
            actor=by,
            action="market.entity_update",
            target=org,
            before=before,
            after=after,
            role=account_perms.primary_role(by),
        )
        if profile.business_scope != old_scope:
            notify_entity_change(
                change_event(
                    profile,
                    "scope_changed",
                    profile.business_scope,
                    old_scope,
                    checked.industry_code,
                    checked.street_code or checked.district_code,
                    now,
                )
            )
    return profile


def current_input(profile: EntityProfile) -> dict[str, Any]:
    """A stored profile as raw input (the shape :func:`check_entity` reads)."""
    org = profile.organization
    return {
        "credit_code": org.credit_code if profile.has_credit_code else "",
        "registration_number": profile.registration_number,
        "name": org.name,
        "entity_type": profile.entity_type,
        "legal_representative_name": org.legal_representative_name,
        "legal_rep_id_number": profile.legal_rep_id_number,
        "legal_rep_phone": profile.legal_rep_phone,
        "address": profile.address,
        "district_code": profile.district.code,
        "street_code": profile.street.code if profile.street else "",
        "industry_code": profile.industry.code,
        "registered_capital": "" if profile.registered_capital is None else str(profile.registered_capital),
        "currency": profile.currency,
        "established_on": profile.established_on.isoformat(),
        "approved_on": profile.approved_on.isoformat() if profile.approved_on else "",
        "status": profile.status,
        "status_on": profile.status_on.isoformat() if profile.status_on else "",
        "business_scope": profile.business_scope,
    }


def entity_status_set(
    *, by: Actor, credit_code: str, status: str, on: datetime.date, reason: str = ""
) -> EntityProfile:
    """Record a change of 登记状态 (吊销, 注销, 迁出) on date ``on`` (see ``workflow``).
    Refusals: 403 ``market_registry_forbidden``, 404 ``entity_not_found``, 422
    ``market_status_unknown`` / ``market_date_out_of_range``, 409 ``market_status_illegal``."""
    check_writer(by)
    if status not in EntityStatus.values:
        raise DomainError(
            _("登记状态应为存续、吊销、注销或迁出"),
            code="market_status_unknown",
            fields={"status": [_("请从给定选项中选择。")]},
            status=422,
        )
    if on > timezone.localdate():
        raise DomainError(
            _("日期不能晚于今天，也不能早于1949年"),
            code="market_date_out_of_range",
            fields={"on": [_("日期不能晚于今天，也不能早于1949年")]},
            status=422,
        )
    now = timezone.now()
    with transaction.atomic():
        profile = _locked(credit_code)
        if not status_change_allowed(profile.status, status):
            raise Conflict(
                _("当前登记状态为“%(s)s”，不能变更为该状态") % {"s": profile.get_status_display()},
                code="market_status_illegal",
            )
        before = {"status": profile.status, "status_on": _shown(profile.status_on)}
        after = {"status": status, "status_on": on.isoformat(), "reason": reason[:200]}
        profile.status, profile.status_on = status, on
        profile.version += 1
        profile.updated_at = now
        profile.save(update_fields=["status", "status_on", "version", "updated_at"])
        EntityVersion.objects.bulk_create(
            [version_row(profile.pk, profile.version, VersionKind.STATUS, by, before, after, now)]
        )
        audit_record(
            actor=by,
            action="market.entity_status_set",
            target=profile.organization,
            before=before,
            after=after,
            role=account_perms.primary_role(by),
        )
    return profile


@dataclass(frozen=True, slots=True)
class RiskGradeRow:
    """One row of the regulator's monthly classification (企业信用风险分类, DOMAIN.md R4.6)."""

    line: int
    credit_code: str
    grade: str
    graded_on: datetime.date | None
    source: str


@dataclass
class RiskImportResult:
    updated: int
    unchanged: int
    errors: list[RowError]


def risk_grades_import(*, by: Actor, rows: Iterable[RiskGradeRow], chunk: int = 2000) -> RiskImportResult:
    """Import the monthly risk classification: per row a credit code, grade A–D, its date and
    source. A row for an unknown entity, a bad grade or date is reported (line, field, code) and
    the others are written, chunk by chunk: the profile's grade, a version and one audit entry per
    chunk. A row older than the grade already held is ignored as unchanged (months may arrive out
    of order)."""
    check_writer(by)
    result = RiskImportResult(updated=0, unchanged=0, errors=[])
    batch: list[RiskGradeRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            _risk_chunk(by, batch, result)
            batch = []
    if batch:
        _risk_chunk(by, batch, result)
    return result


def _risk_chunk(by: Actor, rows: list[RiskGradeRow], result: RiskImportResult) -> None:
    good: list[RiskGradeRow] = []
    for row in rows:
        if row.grade not in RiskGrade.values:
            result.errors.append(
                RowError("grade", "market_risk_grade_invalid", _("风险分类应为 A、B、C 或 D"), row.line)
            )
        elif row.graded_on is None or row.graded_on > timezone.localdate():
            result.errors.append(RowError("graded_on", "market_date_invalid", _("日期格式应为 YYYY-MM-DD"), row.line))
        elif not row.source.strip():
            result.errors.append(RowError("source", "market_field_required", _("此项为必填项"), row.line))
        else:
            good.append(row)
    now = timezone.now()
    with transaction.atomic():
        profiles = {
            p.organization.credit_code: p
            for p in EntityProfile.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(organization__credit_code__in=[r.credit_code for r in good])
        }
        changed: dict[int, EntityProfile] = {}
        versions: list[EntityVersion] = []
        for row in good:
            profile = profiles.get(row.credit_code)
            if profile is None:
                result.errors.append(RowError("credit_code", "entity_not_found", _("未找到该市场主体"), row.line))
                continue
            assert row.graded_on is not None
            if profile.risk_graded_on is not None and row.graded_on <= profile.risk_graded_on:
                result.unchanged += 1
                continue
            before = {
                "risk_grade": profile.risk_grade,
                "risk_graded_on": _shown(profile.risk_graded_on),
                "risk_source": profile.risk_source,
            }
            profile.risk_grade, profile.risk_graded_on, profile.risk_source = row.grade, row.graded_on, row.source[:100]
            profile.version += 1
            profile.updated_at = now
            after = {
                "risk_grade": row.grade,
                "risk_graded_on": row.graded_on.isoformat(),
                "risk_source": profile.risk_source,
            }
            versions.append(version_row(profile.pk, profile.version, VersionKind.RISK_GRADE, by, before, after, now))
            changed[profile.pk] = profile
        update_rows(
            EntityProfile,
            list(changed.values()),
            ["risk_grade", "risk_graded_on", "risk_source", "version", "updated_at"],
        )
        insert_rows(EntityVersion, versions)
        if versions:
            audit_record(
                actor=by,
                action="market.risk_grades_import",
                target=None,
                after={
                    "updated": len(versions),
                    "credit_codes": sorted(p.organization.credit_code for p in changed.values()),
                },
                role=account_perms.primary_role(by),
            )
        result.updated += len(versions)
