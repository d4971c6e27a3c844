"""受理信息查询 (issue #14 part 8): the criteria, the viewer's scope, and one merged result list.

Staff search the history of their own center or departments across cases, tickets, appointments
and ratings (the ``lookups`` of cases, centers and ratings) in one list, newest first, each row
masked (个人信息保护法 art. 51: the minimum necessary; the unmasked record stays behind its own
staff page and its own audited unmask). A person is found by the exact ID number or mobile number
through the keyed hashes of ``accounts.Person`` (never by decrypting and scanning) or by the exact
name. The search itself is audited by ``analytics.services.search.search_run``.

Scope (decision of this part): every member of a center's staff — clerks as well as managers —
searches the whole center (a clerk at the window serves whoever comes, and needs the person's
earlier business at the center); department staff search the cases and ratings of their
departments; a system admin searches everything; anyone else nothing (403).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import Person, User
from onewindow.cases.lookups import case_lookup, case_rows
from onewindow.catalog.models import ServiceItem
from onewindow.centers import permissions as center_perms
from onewindow.centers.lookups import appointment_lookup, appointment_rows, ticket_lookup, ticket_rows
from onewindow.centers.models import Center, Ticket
from onewindow.core.actors import Actor
from onewindow.core.crypto import keyed_hash_candidates
from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.identifiers import validate_mobile, validate_resident_id
from onewindow.core.masking import mask_id_number, mask_name, mask_phone
from onewindow.core.normalize import has_invalid_characters, nfkc
from onewindow.ratings.lookups import rating_lookup, rating_rows

KINDS: tuple[str, ...] = ("case", "ticket", "appointment", "rating")
PAGE_SIZE = 25
#: Rows are merged from four sources, so a page is read from the top of each: at most this many
#: pages (1,000 rows); a longer list asks for narrower criteria.
MAX_PAGE = 40


def max_days() -> int:
    """The longest date range of one search (``ANALYTICS_SEARCH_MAX_DAYS``, 366)."""
    return int(getattr(settings, "ANALYTICS_SEARCH_MAX_DAYS", 366))


@dataclass(frozen=True)
class SearchCriteria:
    """Checked criteria; empty text / None means "not a criterion"."""

    id_number: str = ""
    phone: str = ""
    name: str = ""
    item_code: str = ""
    window_id: int | None = None
    clerk: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    kinds: tuple[str, ...] = KINDS

    def masked(self) -> dict[str, Any]:
        """The criteria as the audit trail keeps them: the person's identifiers masked."""
        return {
            "id_number": mask_id_number(self.id_number), "phone": mask_phone(self.phone),
            "name": mask_name(self.name), "item": self.item_code, "window": self.window_id, "clerk": self.clerk,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "", "kinds": list(self.kinds),
        }


def _invalid(field_name: str, code: str, message: Any, status: int = 400) -> DomainError:
    return DomainError(message, code=code, status=status, fields={field_name: [message]})


def _date(value: Any, field_name: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(nfkc(str(value)).strip())
    except ValueError:
        raise _invalid(field_name, "search_date_invalid", _("日期格式应为 YYYY-MM-DD。")) from None


def criteria_from(raw: dict[str, Any]) -> SearchCriteria:
    """Check raw criteria (a form or the API): 400 ``search_no_criteria`` with none at all,
    ``search_id_number_invalid`` / ``search_phone_invalid`` for a malformed number,
    ``search_date_invalid`` / ``search_range_invalid`` / ``search_range_too_long`` for dates,
    ``search_window_invalid``, ``search_kind_invalid``; ``text_invalid`` for a control character
    (PostgreSQL cannot hold a NUL in a query parameter)."""
    text = {key: nfkc(str(raw.get(key) or "")).strip() for key in ("id_number", "phone", "name", "item", "clerk")}
    for key, value in text.items():
        if has_invalid_characters(value):
            raise _invalid(key, "text_invalid", _("包含无效字符"))
    id_number = ""
    if text["id_number"]:
        try:
            id_number = validate_resident_id(text["id_number"].upper(), field="id_number").number
        except DomainError:
            raise _invalid("id_number", "search_id_number_invalid", _("证件号码格式不正确。")) from None
    phone = ""
    if text["phone"]:
        try:
            phone = validate_mobile(text["phone"], field="phone")
        except DomainError:
            raise _invalid("phone", "search_phone_invalid", _("手机号码格式不正确。")) from None
    window: int | None = None
    if raw.get("window") not in (None, ""):
        try:
            window = int(nfkc(str(raw["window"])))
        except ValueError:
            raise _invalid("window", "search_window_invalid", _("窗口编号应为数字。")) from None
    kinds = tuple(k for k in KINDS if k in (raw.get("kinds") or KINDS))
    if raw.get("kinds") and (not kinds or any(k not in KINDS for k in raw["kinds"])):
        raise _invalid("kinds", "search_kind_invalid", _("查询类别不正确。"))
    date_from, date_to = _date(raw.get("date_from"), "date_from"), _date(raw.get("date_to"), "date_to")
    if date_from and date_to and date_to < date_from:
        raise _invalid("date_to", "search_range_invalid", _("结束日期不能早于开始日期。"))
    criteria = SearchCriteria(id_number=id_number, phone=phone, name=text["name"][:100], item_code=text["item"][:36],
                              window_id=window, clerk=text["clerk"][:150], date_from=date_from, date_to=date_to,
                              kinds=kinds)
    if not any((id_number, phone, criteria.name, criteria.item_code, window, criteria.clerk, date_from, date_to)):
        raise DomainError(_("请至少填写一项查询条件。"), code="search_no_criteria", status=400)
    start, end = _range(criteria)
    if (end - start).days > max_days():
        raise _invalid("date_from", "search_range_too_long",
                       _("查询的时间范围不能超过 %(days)s 天。") % {"days": max_days()})
    return criteria


def _range(criteria: SearchCriteria) -> tuple[datetime.date, datetime.date]:
    """The dates searched: as given; a missing end is today, a missing start the end minus the
    longest range."""
    end = criteria.date_to or timezone.localdate()
    start = criteria.date_from or end - datetime.timedelta(days=max_days())
    return start, end


@dataclass(frozen=True)
class SearchScope:
    everything: bool = False
    center_ids: list[int] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.everything or self.center_ids or self.department_ids)


def search_scope(by: Actor) -> SearchScope:
    """What ``by`` may search (the module docstring)."""
    user = center_perms.user_of(by)
    if user is None or not getattr(user, "is_authenticated", False):
        return SearchScope()
    if account_perms.is_system_admin(user):
        return SearchScope(everything=True)
    centers = center_perms.centers_of(user)
    departments = set(account_perms.departments_of(user))
    departments |= set(Center.objects.filter(pk__in=centers, department__isnull=False)
                       .values_list("department_id", flat=True))
    return SearchScope(center_ids=sorted(centers), department_ids=sorted(d for d in departments if d is not None))


def require_scope(by: Actor) -> SearchScope:
    """The viewer's scope; 403 ``search_forbidden`` for one who may search nothing."""
    scope = search_scope(by)
    if scope.empty:
        raise PermissionDenied(_("您无权使用受理信息查询。"), code="search_forbidden")
    return scope


@dataclass(frozen=True)
class SearchResult:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


def _persons(criteria: SearchCriteria) -> list[int] | None:
    """Ids of the persons the criteria name (exact ID number / mobile via the keyed hashes, exact
    name; all given must match), or None when no person criterion is given."""
    if not (criteria.id_number or criteria.phone or criteria.name):
        return None
    persons = Person.objects.all()
    if criteria.id_number:
        persons = persons.filter(id_number_hash__in=keyed_hash_candidates(criteria.id_number.upper()))
    if criteria.phone:
        persons = persons.filter(phone_hash__in=keyed_hash_candidates(criteria.phone))
    if criteria.name:
        persons = persons.filter(name=criteria.name)
    return list(persons.values_list("pk", flat=True)[:50])


def search_results(by: Actor, criteria: SearchCriteria, *, page: int = 1, page_size: int = PAGE_SIZE) -> SearchResult:
    """One page of the merged, masked result list in the viewer's scope (403 without one)."""
    scope = require_scope(by)
    page = max(1, min(page, MAX_PAGE))
    start, end = _range(criteria)
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    until = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min))
    person_ids = _persons(criteria)
    phone_hashes = keyed_hash_candidates(criteria.phone) if criteria.phone and not criteria.name else None
    item_id: int | None = None
    if criteria.item_code:
        item_id = ServiceItem.objects.filter(code=criteria.item_code).values_list("pk", flat=True).first() or 0
    clerk_id: int | None = None
    if criteria.clerk:
        clerk_id = User.objects.filter(username=criteria.clerk).values_list("pk", flat=True).first() or 0
    sources: list[tuple[Any, Any]] = []
    window = criteria.window_id
    if "case" in criteria.kinds and window is None:
        sources.append((case_lookup(everything=scope.everything, department_ids=scope.department_ids,
                                    person_ids=person_ids, item_id=item_id, clerk_id=clerk_id, since=since,
                                    until=until), case_rows))
    if "ticket" in criteria.kinds and item_id is None:
        sources.append((ticket_lookup(everything=scope.everything, center_ids=scope.center_ids,
                                      person_ids=person_ids if person_ids is not None or phone_hashes else None,
                                      phone_hashes=phone_hashes, window_id=window, clerk_id=clerk_id, since=since,
                                      until=until), ticket_rows))
    if "appointment" in criteria.kinds and window is None and clerk_id is None:
        sources.append((appointment_lookup(everything=scope.everything, center_ids=scope.center_ids,
                                           person_ids=person_ids, item_id=item_id, since=since, until=until),
                        appointment_rows))
    if "rating" in criteria.kinds:
        cases_of_item = None
        if item_id is not None:
            cases_of_item = (case_lookup(everything=True, item_id=item_id, since=since - datetime.timedelta(days=400),
                                         until=until).annotate(sid=Cast("pk", CharField())).values("sid"))
        tickets_at_window = None
        if window is not None:
            tickets_at_window = (Ticket.objects.filter(window_id=window).annotate(sid=Cast("pk", CharField()))
                                 .values("sid"))
        sources.append((rating_lookup(everything=scope.everything, department_ids=scope.department_ids,
                                      person_ids=person_ids, case_subjects=cases_of_item,
                                      service_subjects=tickets_at_window, clerk_id=clerk_id, since=since,
                                      until=until), rating_rows))
    total = sum(queryset.count() for queryset, _render in sources)
    top = page * page_size
    rows = [row for queryset, render in sources for row in render(queryset, top)]
    rows.sort(key=lambda row: (row["at"], row["kind"], row["id"]), reverse=True)
    pages = max(1, min(MAX_PAGE, -(-total // page_size)))
    return SearchResult(rows=rows[(page - 1) * page_size:top], total=total, page=page, pages=pages)
