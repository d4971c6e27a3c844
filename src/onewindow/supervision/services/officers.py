"""Writes of the officer roster (执法人员名录库, DOMAIN.md R4.1, R4.4): officers and their conflicts.

Actors: a department's admin (部门管理员) for its own officers, or a system admin; a conflict of
interest (回避关系, 行政处罚法 art. 43) may also be declared by the officer themself. Each service
locks, checks (403 not allowed, 404 unknown, 422 bad input, 409 a duplicate), writes and audits
in one transaction; a refusal writes nothing. Officers are never deleted: ``active_to`` ends them.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import Organization, User
from onewindow.core.audit import audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department, Region

from .. import permissions as perms
from ..choices import ConflictRelation, Specialty
from ..models import Officer, OfficerConflict, OfficerSpecialty

CERTIFICATE = re.compile(r"^[0-9A-Z][0-9A-Z-]{3,31}$")
NAME_MAX = 50


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(_("执法人员信息不正确。"), code="officer_invalid", status=422, fields={field: [message]})


def normalise_certificate(value: str) -> str:
    """执法证号 as stored: NFKC (full-width digits become ASCII), no spaces, upper case."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise _invalid("name", _("请填写姓名（不超过 50 个字）。"))
    return name


def _check_certificate(value: str, *, officer_id: int | None = None) -> str:
    number = normalise_certificate(value)
    if not CERTIFICATE.match(number):
        raise _invalid("certificate_number", _("执法证号由 4 至 32 位数字、大写字母或连字符组成。"))
    others = Officer.objects.filter(certificate_number=number)
    if officer_id is not None:
        others = others.exclude(pk=officer_id)
    if others.exists():
        raise Conflict(_("该执法证号已登记在其他执法人员名下。"), code="officer_certificate_taken")
    return number


def _check_period(active_from: Any, active_to: Any) -> tuple[datetime.date, datetime.date | None]:
    if not isinstance(active_from, datetime.date):
        raise _invalid("active_from", _("请填写在岗起始日期。"))
    if active_to is not None and (not isinstance(active_to, datetime.date) or active_to < active_from):
        raise _invalid("active_to", _("截止日期不能早于起始日期。"))
    return active_from, active_to


def _check_specialties(values: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(str(v) for v in values))
    if any(v not in Specialty.values for v in wanted):
        raise _invalid("specialties", _("请从给定选项中选择专长。"))
    return wanted


def _check_areas(ids: Iterable[Any]) -> list[Region]:
    wanted = list(dict.fromkeys(as_id(i) for i in ids))
    regions = list(Region.objects.filter(pk__in=wanted))
    if len(regions) != len(wanted):
        raise _invalid("areas", _("负责区域中有未知的区划。"))
    return regions


def _check_user(user_id: Any, *, officer_id: int | None = None) -> User | None:
    if user_id in (None, ""):
        return None
    user = User.objects.filter(pk=as_id(user_id), is_active=True).first()
    if user is None:
        raise _invalid("user_id", _("找不到该登录账户。"))
    linked = Officer.objects.filter(user=user)
    if officer_id is not None:
        linked = linked.exclude(pk=officer_id)
    if linked.exists():
        raise Conflict(_("该登录账户已关联其他执法人员。"), code="officer_user_taken")
    return user


def _summary(officer: Officer, specialties: list[str], areas: list[Region]) -> dict[str, Any]:
    return {
        "name": officer.name,
        "certificate_number": officer.certificate_number,
        "department": officer.department_id,
        "user": officer.user_id,
        "active_from": officer.active_from.isoformat(),
        "active_to": officer.active_to.isoformat() if officer.active_to else None,
        "specialties": sorted(specialties),
        "areas": sorted(r.code for r in areas),
    }


@contextmanager
def _unique_or_conflict() -> Iterator[None]:
    """A certificate number or login taken by a concurrent write since the check: 409, not a 500."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise Conflict(
            _("该执法证号或登录账户刚被登记在其他执法人员名下。"), code="officer_certificate_taken"
        ) from None


def _role(by: Any) -> str:
    return account_perms.primary_role(by)


def officer_create(
    *,
    by: Any,
    department_id: Any,
    name: str,
    certificate_number: str,
    active_from: Any,
    active_to: Any = None,
    specialties: Iterable[str] = (),
    area_ids: Iterable[Any] = (),
    user_id: Any = None,
) -> Officer:
    """Add an officer to a department's roster (部门管理员 of that department, or a system admin)."""
    with transaction.atomic():
        department = Department.objects.select_for_update().filter(pk=as_id(department_id), is_active=True).first()
        if department is None:
            raise _invalid("department_id", _("请选择部门。"))
        if not perms.may_manage_officers(by, department.pk):
            raise PermissionDenied(_("只有本部门管理员可以维护执法人员名录。"), code="officer_manage_forbidden")
        name = _check_name(name)
        number = _check_certificate(certificate_number)
        start, end = _check_period(active_from, active_to)
        codes = _check_specialties(specialties)
        areas = _check_areas(area_ids)
        user = _check_user(user_id)
        with _unique_or_conflict():
            officer = Officer.objects.create(
                department=department,
                user=user,
                name=name,
                certificate_number=number,
                active_from=start,
                active_to=end,
            )
        OfficerSpecialty.objects.bulk_create([OfficerSpecialty(officer=officer, specialty=c) for c in codes])
        officer.areas.set(areas)
        audit_record(
            actor=by,
            action="supervision.officer.create",
            target=officer,
            role=_role(by),
            after=_summary(officer, codes, areas),
        )
        return officer


def _lock_officer(by: Any, officer_id: Any) -> Officer:
    officer = Officer.objects.select_for_update().filter(pk=as_id(officer_id)).first()
    if officer is None or not perms.officer_queryset_for(by).filter(pk=officer.pk).exists():
        raise NotFound(_("找不到该执法人员。"), code="officer_not_found")
    return officer


def officer_update(
    *,
    by: Any,
    officer_id: Any,
    name: str,
    certificate_number: str,
    active_from: Any,
    active_to: Any = None,
    specialties: Iterable[str] = (),
    area_ids: Iterable[Any] = (),
    user_id: Any = None,
) -> Officer:
    """Change an officer's entry (the whole entry is given, as the form shows it); the department
    is fixed (an officer who moves is ended here and added to the new department)."""
    with transaction.atomic():
        officer = _lock_officer(by, officer_id)
        if not perms.may_manage_officers(by, officer.department_id):
            raise PermissionDenied(_("只有本部门管理员可以维护执法人员名录。"), code="officer_manage_forbidden")
        before = _summary(
            officer, list(officer.specialties.values_list("specialty", flat=True)), list(officer.areas.all())
        )
        officer.name = _check_name(name)
        officer.certificate_number = _check_certificate(certificate_number, officer_id=officer.pk)
        officer.active_from, officer.active_to = _check_period(active_from, active_to)
        codes = _check_specialties(specialties)
        areas = _check_areas(area_ids)
        officer.user = _check_user(user_id, officer_id=officer.pk)
        with _unique_or_conflict():
            officer.save()
        officer.specialties.exclude(specialty__in=codes).delete()
        have = set(officer.specialties.values_list("specialty", flat=True))
        OfficerSpecialty.objects.bulk_create(
            [OfficerSpecialty(officer=officer, specialty=c) for c in codes if c not in have]
        )
        officer.areas.set(areas)
        after = _summary(officer, codes, areas)
        audit_record(
            actor=by,
            action="supervision.officer.update",
            target=officer,
            role=_role(by),
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
        return officer


def officer_conflict_declare(
    *, by: Any, officer_id: Any, organization_id: Any, relation: str, note: str = ""
) -> OfficerConflict:
    """申报回避: record that the officer has an interest in the entity (行政处罚法 art. 43); draws
    leave the officer out for that entity until the declaration is withdrawn."""
    with transaction.atomic():
        officer = _lock_officer(by, officer_id)
        if not perms.may_declare_conflict(by, officer):
            raise PermissionDenied(
                _("只有执法人员本人或本部门管理员可以申报回避关系。"), code="officer_conflict_forbidden"
            )
        organization = Organization.objects.filter(pk=as_id(organization_id)).first()
        if organization is None:
            raise DomainError(
                _("找不到该市场主体。"),
                code="officer_conflict_invalid",
                status=422,
                fields={"organization_id": [_("请选择市场主体。")]},
            )
        if relation not in ConflictRelation.values:
            raise DomainError(
                _("请选择关系类型。"),
                code="officer_conflict_invalid",
                status=422,
                fields={"relation": [_("请从给定选项中选择。")]},
            )
        note = (note or "").strip()
        if len(note) > 200:
            raise DomainError(
                _("说明不能超过 200 个字。"),
                code="officer_conflict_invalid",
                status=422,
                fields={"note": [_("内容过长。")]},
            )
        if OfficerConflict.objects.filter(
            officer=officer, organization=organization, withdrawn_at__isnull=True
        ).exists():
            raise Conflict(_("该回避关系已申报。"), code="officer_conflict_exists")
        conflict = OfficerConflict.objects.create(
            officer=officer,
            organization=organization,
            relation=relation,
            note=note,
            declared_by=account_perms.as_user(by),
        )
        audit_record(
            actor=by,
            action="supervision.officer_conflict.declare",
            target=conflict,
            role=_role(by),
            after={"officer": officer.pk, "organization": organization.credit_code, "relation": relation},
        )
        return conflict


def officer_conflict_withdraw(*, by: Any, conflict_id: Any) -> OfficerConflict:
    """Withdraw a declaration (the relation ended); kept as history."""
    with transaction.atomic():
        conflict = (
            OfficerConflict.objects.select_for_update(of=("self",))
            .select_related("officer")
            .filter(pk=as_id(conflict_id))
            .first()
        )
        if conflict is None or not perms.officer_queryset_for(by).filter(pk=conflict.officer_id).exists():
            raise NotFound(_("找不到该回避关系。"), code="officer_conflict_not_found")
        if not perms.may_declare_conflict(by, conflict.officer):
            raise PermissionDenied(
                _("只有执法人员本人或本部门管理员可以撤销回避关系。"), code="officer_conflict_forbidden"
            )
        if conflict.withdrawn_at is not None:
            raise Conflict(_("该回避关系已撤销。"), code="officer_conflict_withdrawn")
        conflict.withdrawn_at = timezone.now()
        conflict.withdrawn_by = account_perms.as_user(by)
        conflict.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(
            actor=by,
            action="supervision.officer_conflict.withdraw",
            target=conflict,
            role=_role(by),
            before={"withdrawn": False},
            after={"withdrawn": True},
        )
        return conflict
