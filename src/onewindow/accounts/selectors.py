"""Reads of the accounts app, always scoped to the requesting user (see permissions.py).

Personal data leaves these functions masked, except :func:`person_detail_for` with
``unmask=True`` for staff in scope (accounts.scope), which records the view (accounts.unmask).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.core import crypto
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.identifiers import validate_resident_id
from onewindow.core.masking import mask_id_number, mask_name, mask_phone

from . import permissions as perms
from . import unmask as unmasking
from .choices import Gender, IdType
from .models import REF_ALPHABET, REF_LENGTH, ApiToken, Mandate, Organization, Person, PersonAccess, StaffRole
from .scope import Purpose

_OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,20}$")
CREDIT_CODE_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
PERSON_REF_SHAPE = re.compile(f"^[{REF_ALPHABET}]{{{REF_LENGTH}}}$")


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
    """What a reader may see of a person: masked unless ``unmasked`` is True. ``ref`` is the
    public reference (the sequential id stays internal); ``purpose_kind``/``purpose_reference``
    say, on an unmasked view, which record it was for."""

    ref: str
    name: str
    id_type: str
    id_number: str
    phone: str
    birth_date: Any
    gender: str
    real_name_verified: bool
    unmasked: bool
    purpose_kind: str | None = None
    purpose_reference: str | None = None


def _view(person: Person, *, unmask: bool, purpose: Purpose | None = None) -> PersonView:
    return PersonView(
        ref=person.ref,
        name=person.name if unmask else mask_name(person.name),
        id_type=person.id_type,
        id_number=person.id_number if unmask else mask_id_number(person.id_number),
        phone=person.phone if unmask else mask_phone(person.phone),
        birth_date=person.birth_date if unmask else None,
        gender=person.gender,
        real_name_verified=person.real_name_verified,
        unmasked=unmask,
        purpose_kind=purpose.kind if purpose else None,
        purpose_reference=purpose.reference if purpose else None,
    )


def person_list_for(user: Any) -> list[PersonView]:
    """Persons the user may list (own person, principals of valid mandates; admins all), masked.

    A citizen recognises their own record by its masked form; staff find other persons only by
    an explicit lookup (:func:`person_lookup_for`), never by browsing (PIPL art. 6: minimum
    necessary)."""
    return [_view(p, unmask=False) for p in perms.person_queryset_for(user).order_by("id")[:200]]


def person_visible_to(user: Any, ref: str) -> Person:
    """The person with public reference ``ref`` if the user may see it, else ``NotFound``
    (existence not leaked; a malformed reference is simply not found).

    Visible: the user's own person, principals of their valid mandates, and — masked — any
    person for staff who may look persons up (the explicit lookup of a window)."""
    ref = str(ref or "").strip().lower()
    person = None
    if PERSON_REF_SHAPE.match(ref):
        base = Person.objects.all() if perms.can_lookup_persons(user) else perms.person_queryset_for(user)
        person = base.filter(ref=ref).first()
    if person is None:
        raise NotFound(_("未找到该人员"), code="person_not_found")
    return person


def person_detail_for(user: Any, ref: str, unmask: bool = False, *, machine: bool = False,
                      confirm: Callable[[], None] | None = None) -> PersonView:
    """A person's detail (自然人详情), masked; unmasked only for staff whose department or center
    handles a record the person is a party to (accounts.scope, accounts.unmask): each unmasked
    view is recorded with its purpose in the audit trail and the person's access log
    (ARCHITECTURE rule 6, 个人信息保护法 art. 45, 51).

    ``machine``: the caller is an API token or a device-bound browser (never unmasks).
    ``confirm``: called once the view is allowed and before it is recorded — the API and admin
    pass ``require_reauth`` there. Refusals: ``person_not_found`` (404), ``unmask_machine_forbidden``,
    ``unmask_forbidden``, ``unmask_out_of_scope``, ``reauth_required`` (403),
    ``unmask_rate_limited`` (429)."""
    person = person_visible_to(user, ref)
    if not unmask:
        return _view(person, unmask=False)
    purpose = unmasking.check_unmask(user, person, machine=machine)
    if confirm is not None:
        confirm()
    unmasking.record_unmask(user, person, purpose)
    return _view(person, unmask=True, purpose=purpose)


def person_lookup_for(user: Any, id_number: str, id_type: str = IdType.RESIDENT_ID) -> list[PersonView]:
    """Staff lookup of a person by exact document number through the keyed hash (按证件号码查询),
    masked. Only staff who serve applicants may look up (``forbidden``); an invalid resident ID
    number is refused with its validation code before any query. The number comes in a request
    body, never in a URL (logs, browser history)."""
    if not perms.can_lookup_persons(user):
        raise PermissionDenied(_("只有工作人员可以按证件号码查询"))
    doc = check_document(id_type, id_number)
    found = Person.objects.filter(id_type=doc.id_type,
                                  id_number_hash__in=crypto.keyed_hash_candidates(doc.id_number))
    return [_view(p, unmask=False) for p in found]


@dataclass(frozen=True)
class AccessLogPage:
    """One page of a person's access log (who viewed my data, 个人信息查阅记录)."""

    count: int
    page: int
    page_size: int
    items: list[PersonAccess]


ACCESS_LOG_PAGE_SIZE = 20


def access_log_for(user: Any, page: int = 1, page_size: int = ACCESS_LOG_PAGE_SIZE) -> AccessLogPage:
    """The unmasked views of the user's own person data, newest first, one page (PIPL art. 45:
    the person may consult how their data is handled). Each row names the time, the handling
    department and the viewer's role, and the purpose (case number etc.); the viewer's name is
    not shown (decision 0007). A login without a person has an empty log; anonymous ``401``."""
    u = perms.as_user(user)
    if u is None:
        raise PermissionDenied(_("请先登录"), code="unauthenticated", status=401)
    page = max(1, int(page))
    if u.person_id is None:
        return AccessLogPage(0, page, page_size, [])
    rows = PersonAccess.objects.filter(person_id=u.person_id)
    count = rows.count()
    start = (page - 1) * page_size
    items = list(rows.select_related("department").order_by("-at", "-id")[start:start + page_size])
    return AccessLogPage(count, page, page_size, items)


def organization_detail_for(user: Any, credit_code: str) -> Organization:
    """An organization by credit code, if visible to the user (staff: all; an agent: their own
    and those they hold a valid mandate for), else ``not_found``."""
    code = str(credit_code or "").strip().upper()
    org = (perms.organization_queryset_for(user).select_related("region").filter(credit_code=code).first()
           if CREDIT_CODE_SHAPE.match(code) else None)
    if org is None:
        raise NotFound(_("未找到该组织"), code="organization_not_found")
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
        raise NotFound(_("未找到该委托"), code="mandate_not_found")
    return mandate


def api_token_list_for(user: Any) -> QuerySet[ApiToken]:
    """Machine tokens (system admins only; others get ``forbidden``). Secrets are never readable."""
    if not perms.is_system_admin(user):
        raise PermissionDenied(_("只有系统管理员可以管理令牌"))
    return perms.api_token_queryset_for(user).select_related("owner").order_by("-id")


def api_token_get_for(user: Any, token_id: int) -> ApiToken:
    token = api_token_list_for(user).filter(pk=token_id).first()
    if token is None:
        raise NotFound(_("未找到该令牌"), code="token_not_found")
    return token


def staff_roles_for(user: Any) -> list[StaffRole]:
    """The user's own valid staff roles (for /me and the navigation)."""
    return perms.valid_roles(user)
