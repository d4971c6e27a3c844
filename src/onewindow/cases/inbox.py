"""The staff inbox (待办): which cases of the user's scope a page shows, its total and its counts.

Scoped exactly as ``permissions.staff_cases_in`` (the receiving or the handling body in the user's staff
scope, online drafts excluded: ARCHITECTURE rule 1). Split from ``selectors`` (which re-exports the public
names) because the inbox is the hottest read of a million cases (issue #17) and its SQL is written here
by hand, once per shape of the request, rather than compiled by the ORM on every request.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from onewindow.core.calendar import confirmed_years, covered_by_library, uncovered_years

from . import permissions as perms
from .choices import FINAL, CaseStatus, ClockLevel
from .models import Case

INBOX_PAGE = 50
INBOX_SORTS = {"due": ("due_date", "id"), "-due": ("-due_date", "-id"), "new": ("-id",), "old": ("id",)}
#: Statuses that wait for staff (the inbox's default filter).
OPEN_FOR_STAFF = [CaseStatus.SUBMITTED, CaseStatus.PRE_REVIEW, CaseStatus.CORRECTION, CaseStatus.ACCEPTED,
                  CaseStatus.FORWARDED, CaseStatus.UNDER_REVIEW, CaseStatus.SUSPENDED, CaseStatus.APPROVED,
                  CaseStatus.REJECTED]


@dataclass
class Inbox:
    rows: list[Any]  # Case instances (inbox_for) or value rows (inbox_values_for)
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    #: True when there are more than ``total`` (= INBOX_COUNT_CAP) cases: the total says "1,000+".
    capped: bool = False


#: A list is counted up to this many cases (20 pages): a finished status of a busy body holds hundreds of
#: thousands, and counting them all on every page view was most of the inbox's time (issue #17).
INBOX_COUNT_CAP = 1000
#: Up to this many departments in scope, the page is picked per department and side (receiving, handling),
#: each an ordered index range, then merged: an OR over both sides forced a sort of every matching case.
INBOX_BRANCHES = 8
#: The columns of an inbox row (``inbox_values_for``): one statement with its joins, no model instances.
INBOX_VALUES = ("id", "number", "status", "channel", "title", "item__code", "applicant_person__name",
                "applicant_organization_id", "applicant_organization__name", "applicant_organization__credit_code",
                "receiving_department__code", "receiving_department__name", "handling_department__code",
                "handling_department__name", "handler_id", "handler__username", "handler__person__name",
                "deadline_level", "due_date", "created_at", "submitted_at")


@dataclass
class _Selection:
    page_ids: list[int]
    order: tuple[str, ...]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    capped: bool


@dataclass(frozen=True)
class _Ask:
    """What one request filters on, beside the scope; ``shape`` is what its SQL depends on (the values are
    parameters), so the SQL is written once per shape and process."""

    department_id: int | None
    handler_id: int | None  # ``mine``
    q: str
    status: str | None  # one status; None: the open ones (OPEN_FOR_STAFF)
    level: str | None
    drafts: bool  # the status filter may hold drafts: the online ones are left out

    def shape(self) -> tuple[bool, bool, bool, bool, bool, bool, bool]:
        sparse = self.status is None or self.status in OPEN_FOR_STAFF
        return (self.department_id is not None, self.handler_id is not None, bool(self.q), self.status is not None,
                self.level is not None, self.drafts, sparse)

    def values(self, ids: list[int]) -> dict[str, Any]:
        like = f"%{connection.ops.prep_for_like_query(self.q)}%"
        values: dict[str, Any] = {f"s{i}": d for i, d in enumerate(ids)}
        values.update(dept=self.department_id, handler=self.handler_id, like=like, code=self.q.upper(),
                      status=self.status, level=self.level, draft=CaseStatus.DRAFT)
        values.update({f"o{i}": str(s) for i, s in enumerate(OPEN_FOR_STAFF)})
        return values


_C = '"cases_case".'
_ORDER = {"due": f"{_C}due_date ASC, {_C}id ASC", "-due": f"{_C}due_date DESC, {_C}id DESC",
          "new": f"{_C}id DESC", "old": f"{_C}id ASC"}
_OUTER_ORDER = {"due": "due_date, id", "-due": "due_date DESC, id DESC", "new": "id DESC", "old": "id"}
#: The predicate of the partial index ``cases_inbox_handled_apart`` as the ORM writes it (a query must state
#: it in this form for SQLite to use the index).
_APART = f'NOT ({_C}"receiving_department_id" = ({_C}"handling_department_id"))'


@functools.lru_cache(maxsize=2048)
def _branches_sql(vendor: str, n: int, shape: tuple[bool, ...], sort: str | None,
                  limit: int | None) -> tuple[str, tuple[str, ...]]:
    """The scope of ``n`` departments as disjoint branches, UNION ALL: per department, its receiving side,
    and its handling side less the cases also received in scope; each branch its first ``limit`` by
    ``sort`` (an ordered range of the ``cases_inbox_receiving_id`` or ``cases_inbox_handled_apart``
    index). The scope's OR made the database collect and sort every matching case of the scope instead.
    Returns the SQL and the names of its parameters in order (``_Ask.values``). ``vendor`` picks the
    case-insensitive LIKE of the database (as the ORM's ``icontains``). The limit is written into the SQL,
    not bound: with ``LIMIT ?`` SQLite walked a department's every case by id instead of the covering index.

    ``shape``: ``_Ask.shape``. Drafts: for any status but ``draft`` the online-draft exclusion is moot, and
    without it the index alone answers (no table rows read)."""
    with_dept, mine, has_q, one_status, has_level, drafts, sparse = shape
    where: list[str] = []
    keys: list[str] = []
    if with_dept:
        where.append(f'({_C}"receiving_department_id" = %s OR {_C}"handling_department_id" = %s)')
        keys += ["dept", "dept"]
    if mine:
        where.append(f'{_C}"handler_id" = %s')
        keys.append("handler")
    if has_q:
        lhs = connection.ops.lookup_cast("icontains", "CharField")
        like = connection.operators["icontains"] % "%s"
        where.append(f'({lhs % (_C + chr(34) + "number" + chr(34))} {like} OR '
                     f'{lhs % (_C + chr(34) + "title" + chr(34))} {like} OR {_C}"query_code" = %s)')
        keys += ["like", "like", "code"]
    if one_status:
        where.append(f'{_C}"status" = %s')
        keys.append("status")
    else:
        where.append(f'{_C}"status" IN ({", ".join(["%s"] * len(OPEN_FOR_STAFF))})')
        keys += [f"o{i}" for i in range(len(OPEN_FOR_STAFF))]
    if has_level:
        where.append(f'{_C}"deadline_level" = %s')
        keys.append("level")
    if drafts:
        where.append(f"NOT ({_C}\"channel\" IN ('online', 'wechat') AND {_C}\"status\" = %s)")
        keys.append("draft")
    order = _ORDER[sort] if sort else ""
    if sparse and sort in ("new", "old"):
        # The open cases are a few in a thousand of a busy body: by the primary key PostgreSQL walked 263,000
        # of them backwards for 500 (1.6 s); ``id + 0`` leaves it the department's index and a short sort.
        order = f"{_C}id + 0 {'DESC' if sort == 'new' else 'ASC'}"
    tail = (f" ORDER BY {order}" if order else "") + (f" LIMIT {int(limit)}" if limit is not None else "")
    parts: list[str] = []
    all_keys: list[str] = []
    scope = ", ".join(["%s"] * n)
    for side in ("receiving", "apart"):
        for i in range(n):
            if side == "receiving":
                head = [f'{_C}"receiving_department_id" = %s']
                head_keys = [f"s{i}"]
            elif n == 1:
                # One department: "received elsewhere" is the index's own predicate, so the index alone
                # answers (Index Only Scan). Stating "not received in scope" again as a filter made
                # PostgreSQL read the table for it and cost the branch from the whole body's cases: 16,784
                # for a scan of nothing (parallel workers launched for the count), or the one-column
                # handling index with 18,731 rows filtered out (26 ms, issue #17). With more departments
                # the filter stays (branches disjoint; deduplicating with UNION cost more: 1.3 -> 2.2 ms).
                head = [f'{_C}"handling_department_id" = %s', _APART]
                head_keys = [f"s{i}"]
            else:
                head = [f'{_C}"handling_department_id" = %s', f'NOT ({_C}"receiving_department_id" IN ({scope}))',
                        _APART]
                head_keys = [f"s{i}", *(f"s{j}" for j in range(n))]
            table = '"cases_case"'
            if vendor == "sqlite" and side == "receiving":
                # Without statistics SQLite took the one-column department index for the open statuses
                # sorted by id (every case of a busy body, 0.5 s); this index answers every branch shape.
                table += " INDEXED BY cases_inbox_receiving_id"
            sql = (f'SELECT {_C}"id" AS "id", {_C}"due_date" AS "due_date", {_C}"status" AS "status" '  # noqa: S608
                   f'FROM {table} WHERE {" AND ".join(head + where)}{tail}')  # our SQL, values as parameters
            parts.append(f"SELECT * FROM ({sql}) b{len(parts)}")  # noqa: S608 - as above
            all_keys += head_keys + keys
    return " UNION ALL ".join(parts), tuple(all_keys)


def _branches(ids: list[int], ask: _Ask, sort: str | None, limit: int | None) -> tuple[str, list[Any]]:
    sql, keys = _branches_sql(connection.vendor, len(ids), ask.shape(), sort, limit)
    values = ask.values(ids)
    return sql, [values[k] for k in keys]


def _serial(cursor: Any, sql: str, params: list[Any]) -> list[Any]:
    """Run a count of the branches without parallel workers on PostgreSQL: with statistics the planner
    costed the handled-apart branches from the whole table (688,595 cases handled by one body, none apart,
    estimated 16,784 for an index scan that reads nothing) and launched two workers for a count whose
    branches ran in 0.3 ms; the launch cost 33 ms on average (issue #17, 222 of the bench's 840 counts).
    The ``SET LOCAL`` is sent with the count as one query string (one round trip, one implicit
    transaction: the setting ends with the statement); inside a transaction it would last to its end, so
    there, and with server-side binding (one statement per query), the count runs as it is."""
    options = connection.settings_dict.get("OPTIONS") or {}
    if connection.vendor == "postgresql" and not connection.in_atomic_block and not options.get(
            "server_side_binding"):
        cursor.execute(f"SET LOCAL max_parallel_workers_per_gather = 0; {sql}", params)
        cursor.nextset()
    else:
        cursor.execute(sql, params)
    return list(cursor.fetchall())


def _branch_counts(ids: list[int], ask: _Ask) -> dict[str, int]:
    """The cases of the scope matching ``ask`` (open ones: no drafts), per status."""
    sql, params = _branches(ids, ask, None, None)
    with connection.cursor() as cursor:
        rows = _serial(cursor, f"SELECT status, COUNT(*) FROM ({sql}) u GROUP BY status", params)  # noqa: S608
        return {str(status): int(n) for status, n in rows}


def _branch_ids(ids: list[int], ask: _Ask, sort: str, offset: int) -> list[int]:
    """The page's ids: each branch's ``offset + 50`` first, merged by the same sort."""
    sql, params = _branches(ids, ask, sort, offset + INBOX_PAGE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ({sql}) u ORDER BY {_OUTER_ORDER[sort]} "  # noqa: S608 - as above
                       f"LIMIT {INBOX_PAGE} OFFSET {int(offset)}", params)
        return [row[0] for row in cursor.fetchall()]


def _branch_count(ids: list[int], ask: _Ask) -> int:
    """The cases of the scope matching ``ask``, counted up to ``INBOX_COUNT_CAP + 1`` per branch (the
    branches are disjoint: a sum above the cap means more than the cap)."""
    sql, params = _branches(ids, ask, None, INBOX_COUNT_CAP + 1)
    with connection.cursor() as cursor:
        return int(_serial(cursor, f"SELECT COUNT(*) FROM ({sql}) u", params)[0][0])  # noqa: S608 - as above


def _inbox_select(user: Any, *, status: str, level: str, q: str, mine: bool, sort: str, page: int,
                  department_id: int | None) -> _Selection:
    """The inbox's page (its ids, in order), its total and its counts, the scope computed once."""
    ids = perms.staff_department_ids(user)
    q = q.strip()[:60] if q else ""
    sort = sort if sort in INBOX_SORTS else "due"
    one = status if status in CaseStatus.values else None
    lvl = level if level in ClockLevel.values else None
    # ``mine`` for a user without an id (never staff) matches nothing rather than the unassigned cases.
    handler_id = (getattr(user, "pk", None) or 0) if mine else None
    if ids is not None and 0 < len(ids) <= INBOX_BRANCHES:
        return _select_branches(sorted(ids), _Ask(department_id or None, handler_id, q, one, lvl, one == "draft"),
                                sort, page)
    filters = Q()
    if department_id:
        filters &= Q(receiving_department_id=department_id) | Q(handling_department_id=department_id)
    if mine:
        filters &= Q(handler_id=handler_id)
    if q:
        filters &= Q(number__icontains=q) | Q(title__icontains=q) | Q(query_code=q.upper())
    base = perms.staff_cases_in(ids).filter(filters)
    # One row of conditional counts rather than GROUP BY status: grouping made SQLite walk the status
    # index over the whole table instead of the department indexes of the scope. Counted per status only
    # where staff still have work (the finished cases of a busy body are most of its rows).
    counts = base.filter(status__in=OPEN_FOR_STAFF).aggregate(
        **{str(s): Count("id", filter=Q(status=s)) for s in OPEN_FOR_STAFF})
    counts = {s: n for s, n in counts.items() if n}
    filters &= Q(status=one) if one else Q(status__in=OPEN_FOR_STAFF)
    if lvl:
        filters &= Q(deadline_level=lvl)
    qs = base.filter(filters)
    total, capped = _total(counts, one, lvl, lambda: qs[:INBOX_COUNT_CAP + 1].count())
    pages = max(1, -(-total // INBOX_PAGE))
    page = min(max(1, page), pages)
    offset = (page - 1) * INBOX_PAGE
    page_ids = list(qs.order_by(*INBOX_SORTS[sort]).values_list("id", flat=True)[offset:offset + INBOX_PAGE]
                    ) if total else []
    return _Selection(page_ids=page_ids, order=INBOX_SORTS[sort], total=total, page=page, pages=pages,
                      counts=counts, capped=capped)


def _total(counts: dict[str, int], one: str | None, level: str | None, count: Any) -> tuple[int, bool]:
    """The list's total from the open counts, or counted (``count()``) up to the cap; a finished status
    filtered on is added to ``counts``."""
    if one in OPEN_FOR_STAFF and level is None:
        return counts.get(one, 0), False
    if one is None and level is None:
        return sum(counts.values()), False
    total = count()
    capped = total > INBOX_COUNT_CAP
    total = min(total, INBOX_COUNT_CAP)
    if one is not None and one not in OPEN_FOR_STAFF:
        counts[one] = total
    return total, capped


def _select_branches(ids: list[int], ask: _Ask, sort: str, page: int) -> _Selection:
    counts_ask = _Ask(ask.department_id, ask.handler_id, ask.q, None, None, False)
    counts = {s: n for s, n in _branch_counts(ids, counts_ask).items() if n}
    total, capped = _total(counts, ask.status, ask.level, lambda: _branch_count(ids, ask))
    pages = max(1, -(-total // INBOX_PAGE))
    page = min(max(1, page), pages)
    offset = (page - 1) * INBOX_PAGE
    page_ids = _branch_ids(ids, ask, sort, offset) if total else []
    return _Selection(page_ids=page_ids, order=INBOX_SORTS[sort], total=total, page=page, pages=pages,
                      counts=counts, capped=capped)


def inbox_for(user: Any, *, status: str = "", level: str = "", q: str = "", mine: bool = False,
              sort: str = "due", page: int = 1, department_id: int | None = None) -> Inbox:
    """The staff inbox (待办): cases in the user's scope, filtered, sorted by deadline by default,
    50 a page, with counts per open status (and of a finished status when it is the filter; a
    filtered total counts up to ``INBOX_COUNT_CAP``). A constant number of queries whatever the page
    size. Rows are Case instances with departments and handler (the staff page)."""
    sel = _inbox_select(user, status=status, level=level, q=q, mine=mine, sort=sort, page=page,
                        department_id=department_id)
    rows = list(Case.objects.filter(pk__in=sel.page_ids).select_related(
        "receiving_department", "handling_department", "handler").order_by(*sel.order))
    mark_provisional(rows)
    return Inbox(rows=rows, total=sel.total, page=sel.page, pages=sel.pages, counts=sel.counts, capped=sel.capped)


@functools.lru_cache(maxsize=64)
def _rows_sql(vendor: str, n: int, order: tuple[str, ...]) -> str:
    """The statement of ``n`` rows' ``INBOX_VALUES`` in ``order``, compiled by the ORM once per size and
    order (its only parameters are the ids): compiling six joins on every request cost more than running them."""
    query = Case.objects.filter(pk__in=list(range(1, n + 1))).order_by(*order).values(*INBOX_VALUES).query
    sql, params = query.sql_with_params()
    if list(params) != list(range(1, n + 1)):
        raise RuntimeError("the inbox rows' statement has parameters other than the ids")
    return sql


def _path_sql(path: str) -> str:
    """One ``INBOX_VALUES`` path as SQL over ``cases_case``: its column, or a scalar subquery along the path's
    foreign keys (a missing relation gives NULL, as the ORM's LEFT OUTER JOIN). Names from the models' _meta."""
    qn = connection.ops.quote_name
    *hops, name = path.split("__")
    model: Any = Case
    prev = qn(Case._meta.db_table)
    tables: list[str] = []
    joins: list[str] = []
    for i, hop in enumerate(hops):
        field: Any = model._meta.get_field(hop)
        alias = f"r{i}"
        tables.append(f"{qn(field.related_model._meta.db_table)} {alias}")
        joins.append(f"{alias}.{qn(field.target_field.column)} = {prev}.{qn(field.column)}")
        model, prev = field.related_model, alias
    target: Any = model._meta.get_field(name)
    column = f"{prev}.{qn(target.column)}"
    return f"(SELECT {column} FROM {', '.join(tables)} WHERE {' AND '.join(joins)})" if hops else column  # noqa: S608 - names from _meta


@functools.lru_cache(maxsize=64)
def _rows_by_id_sql(vendor: str, n: int, order: tuple[str, ...]) -> str:
    """``_rows_sql`` with each related value a scalar subquery by primary key instead of a join: PostgreSQL
    planned the eight-table join in 2.6 ms on every request (its join-order search) and ran it in 0.5; ten
    one-row subqueries need no join search. ``vendor`` keys the cache (quoting)."""
    qn = connection.ops.quote_name
    table = qn(Case._meta.db_table)
    keys = ", ".join(f"{_path_sql(f.lstrip('-'))}{' DESC' if f[0] == '-' else ''}" for f in order)
    return (f"SELECT {', '.join(_path_sql(path) for path in INBOX_VALUES)} FROM {table} "  # noqa: S608
            f"WHERE {_path_sql('id')} IN ({', '.join(['%s'] * n)}) ORDER BY {keys}")


def _when(value: Any, tz: datetime.tzinfo | None) -> Any:
    """A datetime read without the ORM's converters, made as the ORM makes it: SQLite answers it naive (or
    as text), in the connection's time zone (UTC as Django stores it). ``tz``: the connection's time zone
    with ``USE_TZ``, else None (left naive); ``timezone.make_aware`` is this ``replace``."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and tz is not None and value.utcoffset() is None:
        value = value.replace(tzinfo=tz)
    return value


def _day(value: Any) -> Any:
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def inbox_values_for(user: Any, *, status: str = "", level: str = "", q: str = "", mine: bool = False,
                     sort: str = "due", page: int = 1, department_id: int | None = None) -> Inbox:
    """``inbox_for`` with value rows (``INBOX_VALUES`` and ``provisional_year``), item, applicant and
    handler joined in the same statement: the API's inbox (issue #17: no model instances on list paths)."""
    sel = _inbox_select(user, status=status, level=level, q=q, mine=mine, sort=sort, page=page,
                        department_id=department_id)
    rows: list[dict[str, Any]] = []
    if sel.page_ids:
        with connection.cursor() as cursor:
            cursor.execute(_rows_statement(len(sel.page_ids), sel.order), sel.page_ids)
            fetched = cursor.fetchall()
        # The settings and the connection's time zone read once a page, not twice a row (issue #17).
        when = functools.partial(_when, tz=connection.timezone if settings.USE_TZ else None)
        provisional = _Provisional()
        for values in fetched:
            row = dict(zip(INBOX_VALUES, values, strict=True))
            row["due_date"] = due = _day(row["due_date"])
            row["created_at"], row["submitted_at"] = when(row["created_at"]), when(row["submitted_at"])
            row["provisional_year"] = provisional.year(due, row["status"])
            rows.append(row)
    return Inbox(rows=rows, total=sel.total, page=sel.page, pages=sel.pages, counts=sel.counts, capped=sel.capped)


def _rows_statement(n: int, order: tuple[str, ...]) -> str:
    """The rows' statement for this database: by key on PostgreSQL (``_rows_by_id_sql``); SQLite plans the
    joins cheaply and ran them faster (0.31-0.47 against 0.45-0.54 ms of CPU for 50 rows)."""
    vendor = connection.vendor
    return _rows_by_id_sql(vendor, n, order) if vendor == "postgresql" else _rows_sql(vendor, n, order)


class _Provisional:
    """The first year without a holiday calendar that a running deadline reaches (期限暂定), for the rows
    of one page: the confirmed years are read at most once."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.confirmed: set[int] | None = None
        #: ``covered_by_library`` per year (the package knows whole years): asked once a page, not once a row.
        self.covered: dict[int, bool] = {}

    def year(self, due_date: datetime.date | None, status: str) -> int | None:
        if due_date is None or status in FINAL:
            return None
        covered = self.covered.get(due_date.year)
        if covered is None:
            covered = self.covered[due_date.year] = covered_by_library(due_date)
        if covered:
            return None
        if self.confirmed is None:
            self.confirmed = confirmed_years()
        years = uncovered_years(min(self.today.year, due_date.year), due_date.year, confirmed=self.confirmed)
        return years[0] if years else None


def mark_provisional(rows: list[Case]) -> None:
    """Set ``provisional_year`` on each inbox row whose running deadline reaches a year with no
    holiday calendar (期限暂定; a year is covered by the package or a ``CalendarYear`` row). The
    row carries no clock start, so the years from this year to its due date are checked (the past
    part of a running clock is in covered years). At most one query for the whole page."""
    provisional = _Provisional()
    for row in rows:
        row.provisional_year = provisional.year(row.due_date, row.status)  # type: ignore[attr-defined]
