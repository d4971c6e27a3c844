"""Reads of the accounts app, always scoped to the requesting user (see permissions.py).

Personal data leaves these functions masked, except :func:`person_detail_for` with
``unmask=True`` for authorized staff, which records the view in the audit trail.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.core import crypto
from onewindow.core.audit import audit_personal_data_view
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.identifiers import validate_resident_id
from onewindow.core.masking import mask_id_number, mask_name, mask_phone

from . import permissions as perms
from .choices import Gender, IdType
from .models import ApiToken, Mandate, Organization, Person, StaffRole

_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
CREDIT_CODE_SHAPE = re.compile(r"^[0-9A-Z]{18}$")


def _refuse(field: str, code: str, message: Any) -> DomainError:
    return DomainError(message, code=code, fields={field: [message]})


@dataclass(frozen=True)
class CheckedDocument:
    id_type: str
    id_number: str
    birth_date: datetime.date | None
    gender: str


def check_document(id_type: str, id_number: str) -> CheckedDocument:
    """Validate an identity document: resident ID numbers per GB 11643-1999 (core.identifiers);
    other documents (passport, permits) by their printed form: 5–20 letters or digits."""
    if id_type not in IdType.values:
        raise _refuse("id_type", "id_type_invalid", _("不支持的证件类型"))
    if id_type == IdType.RESIDENT_ID:
        rid = validate_resident_id(id_number, field="id_number")
        return CheckedDocument(id_type, rid.number, rid.birth_date, rid.gender)
    number = re.sub(r"[\s-]", "", str(id_number or "")).upper()
    if not _OTHER_DOCUMENT.match(number):
        raise _refuse("id_number", "id_number_format", _("证件号码应为5至20位字母或数字"))
    return CheckedDocument(id_type, number, None, Gender.UNKNOWN)


@dataclass(frozen=True)
class PersonView:
    """What a reader may see of a person: masked unless ``unmasked`` is True."""

    id: int
    name: str
    id_type: str
    id_number: str
    phone: str
    birth_date: Any
    gender: str
    real_name_verified: bool
    unmasked: bool


def _view(person: Person, *, unmask: bool) -> PersonView:
    return PersonView(
        id=person.pk,
        name=person.name if unmask else mask_name(person.name),
        id_type=person.id_type,
        id_number=person.id_number if unmask else mask_id_number(person.id_number),
        phone=person.phone if unmask else mask_phone(person.phone),
        birth_date=person.birth_date if unmask else None,
        gender=person.gender,
        real_name_verified=person.real_name_verified,
        unmasked=unmask,
    )


def person_list_for(user: Any) -> list[PersonView]:
    """Persons the user may list (own person, principals of valid mandates; admins all), masked.

    A citizen recognises their own record by its masked form; staff find other persons only by
    an explicit lookup (:func:`person_lookup_for`), never by browsing (PIPL art. 6: minimum
    necessary)."""
    return [_view(p, unmask=False) for p in perms.person_queryset_for(user).order_by("id")[:200]]


def person_visible_to(user: Any, person_id: int) -> Person:
    """The person ``person_id`` if the user may see it, else ``NotFound`` (existence not leaked).

    Visible: the user's own person, principals of their valid mandates, and any person for
    staff who may look persons up (the explicit lookup of a window)."""
    if perms.can_lookup_persons(user):
        person = Person.objects.filter(pk=person_id).first()
    else:
        person = perms.person_queryset_for(user).filter(pk=person_id).first()
    if person is None:
        raise NotFound(_("未找到该人员"))
    return person


def person_detail_for(user: Any, person_id: int, unmask: bool = False) -> PersonView:
    """A person's detail (自然人详情), masked; unmasked only for a window clerk / reviewer with a
    valid role or a system admin, and each unmasked view is audited (ARCHITECTURE rule 6,
    个人信息保护法 art. 51). Refusals: ``not_found`` (404), ``unmask_forbidden`` (403)."""
    person = person_visible_to(user, person_id)
    if unmask:
        if not perms.can_unmask_person(user):
            raise PermissionDenied(_("您无权查看完整的个人信息"), code="unmask_forbidden")
        audit_personal_data_view(actor=user, target=person, fields=["name", "id_number", "phone", "birth_date"],
                                 role=perms.primary_role(user))
    return _view(person, unmask=unmask)


def person_lookup_for(user: Any, id_number: str, id_type: str = IdType.RESIDENT_ID) -> list[PersonView]:
    """Staff lookup of a person by exact document number through the keyed hash (按证件号码查询),
    masked. Only staff who serve applicants may look up (``forbidden``); an invalid resident ID
    number is refused with its validation code before any query."""
    if not perms.can_lookup_persons(user):
        raise PermissionDenied(_("只有工作人员可以按证件号码查询"))
    doc = check_document(id_type, id_number)
    found = Person.objects.filter(id_type=doc.id_type,
                                  id_number_hash__in=crypto.keyed_hash_candidates(doc.id_number))
    return [_view(p, unmask=False) for p in found]


def organization_detail_for(user: Any, credit_code: str) -> Organization:
    """An organization by credit code, if visible to the user (staff: all; an agent: their own
    and those they hold a valid mandate for), else ``not_found``."""
    code = str(credit_code or "").strip().upper()
    org = (perms.organization_queryset_for(user).select_related("region").filter(credit_code=code).first()
           if CREDIT_CODE_SHAPE.match(code) else None)
    if org is None:
        raise NotFound(_("未找到该组织"))
    return org


def mandate_list_for(user: Any) -> QuerySet[Mandate]:
    """Mandates where the user (or their organization) is agent or principal; admins all."""
    return (perms.mandate_queryset_for(user)
            .select_related("agent", "principal_person", "principal_organization").order_by("-id"))


def mandate_get_for(user: Any, mandate_id: int) -> Mandate:
    """One mandate visible to the user, else ``not_found``. Window staff (clerk, reviewer) reach
    any mandate by its number — an explicit lookup at the window — but list only their own."""
    base = Mandate.objects.all() if perms.can_register_for_others(user) else perms.mandate_queryset_for(user)
    mandate = (base.select_related("agent", "principal_person", "principal_organization")
               .filter(pk=mandate_id).first())
    if mandate is None:
        raise NotFound(_("未找到该委托"))
    return mandate


def api_token_list_for(user: Any) -> QuerySet[ApiToken]:
    """Machine tokens (system admins only; others get ``forbidden``). Secrets are never readable."""
    if not perms.is_system_admin(user):
        raise PermissionDenied(_("只有系统管理员可以管理令牌"))
    return perms.api_token_queryset_for(user).select_related("owner").order_by("-id")


def api_token_get_for(user: Any, token_id: int) -> ApiToken:
    token = api_token_list_for(user).filter(pk=token_id).first()
    if token is None:
        raise NotFound(_("未找到该令牌"))
    return token


def staff_roles_for(user: Any) -> list[StaffRole]:
    """The user's own valid staff roles (for /me and the navigation)."""
    return perms.valid_roles(user)
