"""Reads of the 联合惩戒 lists (issue #12 part 7), the one place other apps consult them.

- :func:`sanctions_for_organization` is what ``cases`` (the window) and ``supervision`` (draw
  weights, alerts) call: the organization's active listings and their measures, in one query;
  :func:`sanctions_for_person` is the same for a natural person (by the ID number's keyed hash).
- :func:`refusal_for_item` and :func:`draw_weight_for` read those measures without the database.
- :func:`listing_list_for` (a department's lists with filters), :func:`listing_get_for` and
  :func:`entity_listings_for` (the profile section) are scoped to the user: every supervising
  department's staff and the system admin see every list (信息共享, 国发〔2016〕33号: the lists are
  shared across departments); the listed organization sees its own entries; others see none.
- :func:`public_listings` is the public page (向社会公示): anyone, organizations only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import IdType, StaffRoleKind
from onewindow.accounts.models import Organization, Person
from onewindow.core import crypto
from onewindow.core.codes import as_id
from onewindow.core.errors import NotFound
from onewindow.core.fields import normalize_for_hash

from .choices import SanctionList, SanctionMeasure, SanctionStatus, SanctionSubject
from .models import SanctionListing
from .models.sanctions import ACTIVE_STATUSES
from .permissions import can_view_registry
from .records_selectors import RECORDS_SCOPE

#: The token scope of a department's system that delivers listings (the pooled-records scope).
SANCTIONS_SCOPE = RECORDS_SCOPE
#: Roles of the listing department that deliver, correct and ask to remove its listings.
LISTER_ROLES = (StaffRoleKind.REGULATOR, StaffRoleKind.DATA_CLERK, StaffRoleKind.DEPARTMENT_ADMIN)
#: Roles of the listing department that decide a credit repair (a decision, not a delivery).
REVIEWER_ROLES = (StaffRoleKind.REGULATOR, StaffRoleKind.DEPARTMENT_ADMIN)
WINDOW_MEASURES = frozenset({SanctionMeasure.WINDOW_WARNING, SanctionMeasure.WINDOW_REFUSAL})


def lister_department_ids(user: Any) -> set[int]:
    """The departments whose listings ``user`` delivers, corrects and asks to remove."""
    return account_perms.departments_of(user, *LISTER_ROLES)


def reviewer_department_ids(user: Any) -> set[int]:
    """The departments whose credit repairs ``user`` decides (regulators and department admins)."""
    return account_perms.departments_of(user, *REVIEWER_ROLES)


def sees_every_list(user: Any) -> bool:
    """Supervising staff of any department and the system admin (market.permissions)."""
    return can_view_registry(user)


def speaks_for(user: Any, listing: SanctionListing) -> bool:
    """Whether ``user`` is the listed organization: its own login, or an agent with a valid
    all-items mandate for it (staff never speak for an entity here)."""
    u = account_perms.as_user(user)
    if listing.subject_type != SanctionSubject.ORGANIZATION or u is None or account_perms.is_staff_member(u):
        return False
    organization = Organization.objects.filter(credit_code=listing.credit_code).first()
    if organization is None:
        return False
    return u.organization_id == organization.pk or account_perms.may_act_for_organization(u, organization)


def sanctions_for_organization(organization: Organization | int) -> list[SanctionListing]:
    """The organization's active listings (在列 or 信用修复申请中) with their listing department, newest
    first, in one SQL query (an id is looked up by a subquery on its credit code). Not scoped: the
    callers are services and pages that have already checked the user (the window's case, a draw)."""
    rows = SanctionListing.objects.filter(subject_type=SanctionSubject.ORGANIZATION, status__in=ACTIVE_STATUSES)
    if isinstance(organization, Organization):
        rows = rows.filter(credit_code=organization.credit_code)
    else:
        rows = rows.filter(credit_code__in=Organization.objects.filter(pk=organization).values("credit_code"))
    return list(rows.select_related("department").order_by("-listed_on", "-id"))


def sanctions_for_person(person: Person) -> list[SanctionListing]:
    """A natural person's active listings (失信被执行人, 法释〔2017〕7号) with their listing department,
    newest first, in one SQL query: the listing and the person store the keyed hash of the same
    normalised resident ID number, looked up under every key (rotation). None for another kind of
    document (listings name resident ID numbers only). Not scoped, as
    :func:`sanctions_for_organization`."""
    if person.id_type != IdType.RESIDENT_ID or not person.id_number:
        return []
    hashes = crypto.keyed_hash_candidates(normalize_for_hash(person.id_number, "upper"))
    rows = SanctionListing.objects.filter(
        subject_type=SanctionSubject.PERSON, status__in=ACTIVE_STATUSES, id_number_hash__in=hashes
    )
    return list(rows.select_related("department").order_by("-listed_on", "-id"))


def window_sanctions(entries: list[SanctionListing]) -> list[SanctionListing]:
    """The entries a window clerk must see (a warning or a refusal measure)."""
    return [e for e in entries if WINDOW_MEASURES & set(e.measures or [])]


def refusal_for_item(entries: list[SanctionListing], *, item_code: str, item_type_code: str) -> SanctionListing | None:
    """The first entry whose ``window_refusal`` measure names this item (by code) or its type."""
    for entry in entries:
        if entry.has_measure(SanctionMeasure.WINDOW_REFUSAL) and (
            item_code in (entry.refused_items or []) or item_type_code in (entry.refused_item_types or [])
        ):
            return entry
    return None


def draw_weight_for(entries: list[SanctionListing]) -> Decimal:
    """The ratio multiplier of a 双随机 draw for a listed entity: the largest weight of its entries
    with the ``draw_weight`` measure, 1 when none has it (issue #12 part 2)."""
    weights = [Decimal(e.draw_weight) for e in entries if e.has_measure(SanctionMeasure.DRAW_WEIGHT)]
    return max(weights, default=Decimal(1))


def _visible(user: Any) -> QuerySet[SanctionListing]:
    rows = SanctionListing.objects.select_related("department")
    if sees_every_list(user):
        return rows
    if account_perms.as_user(user) is None or account_perms.is_staff_member(user):
        return rows.none()
    codes = account_perms.organization_queryset_for(user).values("credit_code")
    return rows.filter(subject_type=SanctionSubject.ORGANIZATION, credit_code__in=codes)


def listing_get_for(user: Any, listing_id: Any) -> SanctionListing:
    """One listing with its events: supervising staff any, the listed organization its own; else 404."""
    listing = _visible(user).prefetch_related("events").filter(pk=as_id(listing_id)).first()
    if listing is None:
        raise NotFound(_("找不到该名单条目。"), code="sanction_not_found")
    return listing


def listing_list_for(
    user: Any,
    *,
    department_id: Any = None,
    list_kind: str = "",
    status: str = "",
    credit_code: str = "",
    active: bool | None = None,
) -> QuerySet[SanctionListing]:
    """A department's lists (or every department's) with filters, newest listing first."""
    rows = _visible(user)
    if department_id not in (None, ""):
        rows = rows.filter(department_id=as_id(department_id))
    if list_kind in SanctionList.values:
        rows = rows.filter(list_kind=list_kind)
    if status in SanctionStatus.values:
        rows = rows.filter(status=status)
    if active is not None:
        rows = rows.filter(status__in=ACTIVE_STATUSES) if active else rows.exclude(status__in=ACTIVE_STATUSES)
    if credit_code:
        rows = rows.filter(credit_code=credit_code.strip().upper())
    return rows.order_by("-listed_on", "-id")


def entity_listings_for(user: Any, organization: Organization) -> list[SanctionListing]:
    """The profile section: every listing of the organization (active first, then removed), for the
    users who see its profile or the organization itself."""
    rows = _visible(user).filter(subject_type=SanctionSubject.ORGANIZATION, credit_code=organization.credit_code)
    listings = list(rows.order_by("-listed_on", "-id"))
    return sorted(listings, key=lambda e: not e.is_active)


#: The fields the public page reads (nothing personal: organizations only, no ID number).
PUBLIC_FIELDS = ("list_kind", "credit_code", "subject_name", "reason", "legal_basis", "listed_on", "department__name")


def public_listings(*, list_kind: str = "") -> QuerySet[SanctionListing]:
    """向社会公示: the active entries of organizations whose measures include ``public_disclosure``,
    newest listing first, for anyone (no login); ``list_kind`` narrows to one list when valid.
    Basis: 国发〔2016〕33号 (失信信息向社会公开) and 《企业信息公示暂行条例》 (经营异常名录, 严重违法失信
    企业名单 are published through the enterprise credit information publicity system).

    A natural person's entry is never listed here, whatever its measures: the public channel of
    失信被执行人 is the people's courts' own publication of their list (法释〔2017〕7号, DOMAIN.md R5.2),
    and repeating a person's name and ID number on another site would process personal information
    beyond that purpose (个人信息保护法 arts. 6, 27)."""
    rows = (
        SanctionListing.objects.filter(subject_type=SanctionSubject.ORGANIZATION, status__in=ACTIVE_STATUSES)
        # a JSON list: portable as text on SQLite and PostgreSQL (JSON ``contains`` is PostgreSQL-only)
        .annotate(measures_text=Cast("measures", TextField()))
        .filter(measures_text__contains=f'"{SanctionMeasure.PUBLIC_DISCLOSURE.value}"')
        .select_related("department")
        .only(*PUBLIC_FIELDS)
    )
    if list_kind in SanctionList.values:
        rows = rows.filter(list_kind=list_kind)
    return rows.order_by("-listed_on", "-id")
