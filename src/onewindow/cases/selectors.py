"""Reads of case handling, always scoped to the requesting user (ARCHITECTURE rule 1)."""

from __future__ import annotations

import datetime
import hmac
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts import scope as account_scope
from onewindow.accounts import unmask as account_unmask
from onewindow.accounts.choices import PurposeKind
from onewindow.accounts.models import StaffRole, User
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.personal_fields import personal_fields
from onewindow.core.audit import PERSONAL_DATA_VIEW, audit_record
from onewindow.core.calendar import uncovered_years
from onewindow.core.codes import as_id
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.core.models import Department

from . import permissions as perms
from . import workflow
from .application_form import form_rows
from .choices import DECIDED, FINAL, CaseStatus, ClockKind, ClockLevel
from .deadlines import days_between

# The inbox (待办) lives in its own module; its public names are the selectors' as before.
from .inbox import INBOX_COUNT_CAP as INBOX_COUNT_CAP
from .inbox import INBOX_PAGE as INBOX_PAGE
from .inbox import INBOX_SORTS as INBOX_SORTS
from .inbox import OPEN_FOR_STAFF as OPEN_FOR_STAFF
from .inbox import Inbox as Inbox
from .inbox import inbox_for as inbox_for
from .inbox import inbox_values_for as inbox_values_for
from .inbox import mark_provisional as mark_provisional
from .models import Case, CaseClock, CaseEvent

#: Audit action of a refused unmask (the same code as the accounts app's person unmask).
PERSONAL_DATA_VIEW_REFUSED = "personal_data.view_refused"


def case_list_for_applicant(user: Any) -> QuerySet[Case]:
    """我的办件: the cases of the user's applicant side, newest first."""
    if perms.applicant_q(user) == Q(pk__in=[]):
        return Case.objects.none()
    # The applicant sees the date told to them (告知到期日), never the internal target (issue #10).
    told = (CaseClock.objects.filter(case=OuterRef("pk"), stopped_on__isnull=True).order_by("due_date", "id")
            .values("promised_due_date")[:1])
    return (Case.objects.filter(perms.applicant_q(user)).select_related("receiving_department")
            .annotate(promised_due_date=Subquery(told)).order_by("-id"))


def case_get_for(user: Any, case_id: Any) -> Case:
    """One case the user may see (applicant side or staff scope); 404 otherwise (no existence leak)."""
    case = (perms.case_queryset_for(user).select_related(
        "item", "item_version", "receiving_department", "handling_department", "handler", "applicant_person",
        "applicant_organization", "agent", "submitter").filter(pk=as_id(case_id)).first())
    if case is None:
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    return case


def timeline_for(user: Any, case: Case) -> list[CaseEvent]:
    """The steps of a case: everything for staff in scope, the public steps for the applicant side."""
    events = CaseEvent.objects.filter(case=case).select_related("department").order_by("id")
    if not perms.staff_case_queryset_for(user).filter(pk=case.pk).exists():
        events = events.filter(public=True)
    return list(events)


def actions_for(user: Any, case: Case) -> list[str]:
    """The actions the user may take on the case now (for the buttons), in workflow order."""
    kinds = perms.actor_kinds(user, case)
    return [a for a in workflow.actions_from(case.status) if kinds & workflow.ACTORS[a]]


def review_queue_for(user: Any) -> QuerySet[Case]:
    """网上办理审核: online and WeChat applications waiting for pre-review or acceptance in the
    user's receiving scope, oldest first (first come, first served)."""
    ids = perms.staff_department_ids(user, perms.RECEIVER_ROLES)
    qs = Case.objects.filter(status__in=[CaseStatus.SUBMITTED, CaseStatus.PRE_REVIEW],
                             channel__in=["online", "wechat"])
    if ids is not None:
        qs = qs.filter(receiving_department_id__in=ids)
    return qs.select_related("receiving_department", "handler").order_by("submitted_at", "id")


@dataclass
class PublicStatus:
    """What the public query page (一码查询) shows: no personal data."""

    number: str
    title: str
    status: str
    status_label: str
    receiving_department: str
    handling_department: str
    submitted_at: Any
    due_date: Any
    steps: list[CaseEvent]
    is_final: bool


def case_by_query_code(code: str, phone_tail: str) -> PublicStatus:
    """一码查询: anyone holding the query code and the last four digits of the applicant's phone may
    see the progress; a wrong code or tail both answer 404 alike (no oracle)."""
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:16]
    case = (Case.objects.select_related("receiving_department", "handling_department")
            .filter(query_code=code).exclude(status=CaseStatus.DRAFT).first())
    tail = (phone_tail or "").strip()
    if case is None or not case.phone_tail or not hmac.compare_digest(case.phone_tail, tail):
        raise NotFound(_("查询码或手机尾号不正确。"), code="query_not_found")
    steps = list(CaseEvent.objects.filter(case=case, public=True).select_related("department").order_by("id"))
    return PublicStatus(number=case.number or "", title=case.title, status=case.status,
                        status_label=str(CaseStatus(case.status).label),
                        receiving_department=case.receiving_department.name,
                        handling_department=case.handling_department.name, submitted_at=case.submitted_at,
                        due_date=promised_due_date(case), steps=steps, is_final=case.status in FINAL)


@dataclass
class UnmaskedForm:
    """A case's application form in clear, for the one staff view that shows it."""

    case: Case
    rows: list[tuple[str, str]]  # (field title, value) in schema order
    fields: list[str]  # the personal fields that were shown unmasked


def case_form_unmasked_for(user: Any, case_id: Any, *, machine: bool = False) -> UnmaskedForm:
    """The application form of a case with its personal fields in clear (查看完整申请表), for the
    staff who receive or decide it; every such view is audited with its purpose (the case).

    Rule (ARCHITECTURE rule 6; 个人信息保护法 arts. 6, 45, 51; GB/T 22239-2019 访问控制, 安全审计): a
    case outside the viewer's staff scope is not found (404, no existence leak); a browser bound to
    a hall device or a machine token never unmasks (403 ``unmask_machine_forbidden``); in scope,
    only a receiver or handler role of the receiving or handling body may (403 ``unmask_forbidden``
    for e.g. a center manager or a system admin without such a role), and only while the case is
    open or concluded within ``ACCOUNTS_UNMASK_SCOPE_DAYS`` (403 ``unmask_out_of_scope``); each
    refusal is audited. A view of a person's form counts as an unmasked view of that person
    (``accounts.unmask.record_unmask``): the hourly limits apply (429 ``unmask_rate_limited``) and
    the applicant sees it among "who viewed my data". Re-authentication is the view's job
    (``accounts.reauth``), before this is called.
    """
    case = (perms.staff_case_queryset_for(user).select_related("item_version", "receiving_department",
                                                                "applicant_person")
            .filter(pk=as_id(case_id)).first())
    if case is None or not staff_may_open(case):
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    role = account_perms.primary_role(user)
    department_id = None if machine else perms.form_unmask_department(user, case)
    error: PermissionDenied | None = None
    if machine:
        error = PermissionDenied(_("自助终端、显示屏和机器令牌不能查看完整的个人信息"), code="unmask_machine_forbidden")
    elif department_id is None:
        error = PermissionDenied(_("只有受理或审查此办件的工作人员可以查看完整申请表"), code="unmask_forbidden")
    elif case.status in FINAL and (case.closed_at is None or case.closed_at < timezone.now() - datetime.timedelta(
            days=account_scope.scope_days())):
        error = PermissionDenied(_("此办件已办结超过规定期限，不能再查看完整的个人信息"), code="unmask_out_of_scope")
    if error is not None:
        audit_record(actor=user, action=PERSONAL_DATA_VIEW_REFUSED, target=case, after={"code": error.code},
                     role=role)
        raise error
    schema = case.item_version.form_schema or {}
    values = case.form_values()
    fields = sorted(name for name in personal_fields(schema) if values.get(name))
    purpose = account_scope.Purpose(PurposeKind.CASE, case.number or case.query_code, department_id, case.pk)
    viewer = account_perms.as_user(user)
    if case.applicant_person is not None and fields and viewer is not None:
        account_unmask.record_unmask(viewer, case.applicant_person, purpose)
    audit_record(actor=user, action=PERSONAL_DATA_VIEW, target=case, role=role,
                 after={"fields": fields, "purpose": purpose.as_audit()})
    return UnmaskedForm(case=case, rows=form_rows(schema, values, masked=False), fields=fields)


# ---- deadlines on the pages (issue #10) ---------------------------------------------------------


@dataclass
class PausedDeadline:
    """A clock paused during a correction round (补正): the due date it had and the days used."""

    due_date: Any
    used: int
    limit: int
    unit: str


@dataclass
class DeadlineNotes:
    """What the case pages say about the running deadline: the date told to the applicant, the
    first year without a holiday calendar the deadline reaches (期限暂定), the clock paused by a
    correction round."""

    promised_due_date: Any
    provisional_year: int | None
    paused: PausedDeadline | None


def promised_due_date(case: Case) -> Any:
    """The date told to the applicant for the case's most urgent running clock (告知到期日)."""
    clock = (CaseClock.objects.filter(case=case, stopped_on__isnull=True).order_by("due_date", "id")
             .values_list("promised_due_date", "due_date").first())
    return (clock[0] or clock[1]) if clock else None


def deadline_notes_for(case: Case) -> DeadlineNotes:
    """The deadline notes of a case page (staff and applicant; the case is already scoped).

    - provisional: a running working-day clock whose span (start to due date) reaches a year not
      covered (package or confirmed year), flagged 期限暂定 until the year is confirmed;
    - paused (补正, 行政许可法 art. 32(4)): while the case waits for corrected materials, the
      correction-notice clock stands still; the page shows the due date it had and the working days
      used from receipt to the notice, of its limit.
    """
    clocks = list(CaseClock.objects.filter(case=case).order_by("id"))
    running = sorted((c for c in clocks if c.stopped_on is None), key=lambda c: (c.due_date, c.pk))
    provisional: int | None = None
    if case.status not in FINAL:
        for clock in running:
            if clock.unit != "working":
                continue
            years = uncovered_years(clock.start_date.year, clock.due_date.year)
            if years and (provisional is None or years[0] < provisional):
                provisional = years[0]
    paused = None
    if case.status == CaseStatus.CORRECTION:
        stopped = [(c, c.stopped_on) for c in clocks if c.kind == ClockKind.CORRECTION and c.stopped_on is not None]
        if stopped:
            clock, stopped_on = stopped[-1]
            paused = PausedDeadline(due_date=clock.due_date, limit=clock.limit_days, unit=clock.unit,
                                    used=max(0, days_between(clock.start_date, stopped_on, clock.unit)))
    promised = (running[0].promised_due_date or running[0].due_date) if running else None
    return DeadlineNotes(promised_due_date=promised, provisional_year=provisional, paused=paused)


def window_cases_today_for(user: Any, *, department_id: int, day: datetime.date, limit: int = 20) -> list[Case]:
    """The numbered cases ``user`` entered (submitter) or handles today under the receiving body
    ``department_id``, newest first: what a window service may be linked to (the centers' window
    terminal; ``ticket_finish`` keeps only cases of the center's body). Scoped to the user's own
    cases, so a clerk never sees another clerk's applicants here (个人信息保护法 art. 6)."""
    u = account_perms.as_user(user)
    if u is None:
        return []
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return list(Case.objects.filter(receiving_department_id=department_id, created_at__gte=start,
                                    created_at__lt=start + datetime.timedelta(days=1))
                .filter(Q(submitter=u) | Q(handler=u)).exclude(number__isnull=True)
                .order_by("-created_at")[:limit])


def kiosk_of(device: Any) -> tuple[Any, Any, Department]:
    """The self-service kiosk a hall browser is bound to (decision 0008), its terminal account and
    its center's department (the receiving body of its drafts). Cases sits below centers and reads
    the device duck-typed: ``kind`` "kiosk", ``operator``, ``department_id``.

    Refused (403): no bound device or not a kiosk (device_not_enrolled); no active staff terminal
    account or no department (kiosk_operator_missing)."""
    if device is None or getattr(device, "kind", "") != "kiosk":
        raise PermissionDenied(_("本设备尚未登记为自助服务一体机，不能自助填单。请联系中心管理员登记本设备。"),
                               code="device_not_enrolled")
    operator = getattr(device, "operator", None)
    department = Department.objects.filter(pk=int(getattr(device, "department_id", 0) or 0)).first()
    if operator is None or not operator.is_active or not account_perms.is_staff_member(operator) \
            or department is None:
        raise PermissionDenied(_("此一体机未配置终端账号，请联系中心管理员。"), code="kiosk_operator_missing")
    return device, operator, department


# --------------------------------------------------------------------------- the staff pages' choice lists
# (moved from staff_forms, issue #10 part 3)

def receiving_departments_for(user: Any) -> list[Department]:
    """The bodies a window clerk may receive cases for (their receiver roles); all for an admin."""
    ids = perms.staff_department_ids(user, perms.RECEIVER_ROLES)
    qs = Department.objects.filter(is_active=True) if ids is None else Department.objects.filter(pk__in=ids)
    return list(qs.order_by("code")[:500])


def inbox_departments_for(user: Any) -> list[Department]:
    """The departments the inbox may be narrowed to: those of the user's case roles."""
    ids = perms.staff_department_ids(user)
    qs = Department.objects.filter(is_active=True) if ids is None else Department.objects.filter(pk__in=ids)
    return list(qs.order_by("code")[:500])


def window_items(query: str, limit: int = 20) -> list[ServiceItem]:
    """Active catalog items whose current version may be applied for at a window, by code or name."""
    text = (query or "").strip()[:60]
    if not text:
        return []
    qs = (ServiceItem.objects.filter(status=ItemStatus.ACTIVE, current_version__channels__contains="window")
          .filter(Q(code__iexact=text) | Q(name__icontains=text))
          .select_related("department", "current_version").order_by("level_rank", "sort_order", "id"))
    return list(qs[:limit])


def handler_choices(case: Case) -> list[User]:
    """改派: active staff of the case's bodies who may receive or handle it (the service re-checks)."""
    roles = {*perms.RECEIVER_ROLES, *perms.HANDLER_ROLES}
    user_ids = (StaffRole.objects.filter(valid=True, role__in=roles,
                                         department_id__in={case.receiving_department_id,
                                                            case.handling_department_id})
                .values("user_id"))
    qs: QuerySet[User] = (User.objects.filter(pk__in=user_ids, is_active=True).select_related("person")
                          .order_by("username"))
    return list(qs[:200])


def window_case_for(user: Any, query_code: str) -> Case:
    """窗口续办: the case behind a kiosk receipt's query code, if its receiving body is in the
    clerk's receiving scope; 404 otherwise (the same answer for an unknown code)."""
    code = "".join(ch for ch in str(query_code or "").upper() if ch.isalnum())[:16]
    case = (perms.staff_case_queryset_for(user).select_related("receiving_department")
            .filter(query_code=code).first()) if code else None
    if case is None or not perms.may_receive_for(user, case.receiving_department):
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    return case


#: Drafts staff may open: those begun at a window or a kiosk, to be continued at the window. An
#: online draft is the applicant's unfinished work and stays theirs until submitted.
STAFF_DRAFT_CHANNELS = frozenset({"window", "kiosk"})


def staff_may_open(case: Case) -> bool:
    """Whether staff in scope may open the case: any but someone else's online draft."""
    return case.status != CaseStatus.DRAFT or case.channel in STAFF_DRAFT_CHANNELS


# ---- the service wall (政务服务大屏, issue #16 part 4): counts per receiving body --------------------

#: Open cases: received, not yet decided (办结) nor ended.
OPEN_STATUSES = sorted(set(CaseStatus.values) - set(DECIDED) - set(FINAL) - {CaseStatus.DRAFT})


def concluded_counts(*, department_ids: list[int], start: datetime.datetime,
                     end: datetime.datetime) -> dict[int, int]:
    """Cases decided (办结: cases.choices.DECIDED) from ``start`` to before ``end``, per receiving
    department among ``department_ids`` (absent: none). Public aggregates; one statement."""
    rows = (Case.objects.filter(receiving_department_id__in=department_ids, status__in=sorted(DECIDED),
                                decided_at__gte=start, decided_at__lt=end)
            .order_by().values("receiving_department_id").annotate(n=Count("id"))
            .values_list("receiving_department_id", "n"))
    return dict(rows)


def overdue_open_counts(*, department_ids: list[int]) -> dict[int, int]:
    """Open cases past their deadline (超期: the deadline warning is red, as the periodic deadline
    check last set it — 行政许可法 art. 42), per receiving department among ``department_ids``.
    Public aggregates; one statement."""
    rows = (Case.objects.filter(receiving_department_id__in=department_ids, status__in=OPEN_STATUSES,
                                deadline_level=ClockLevel.RED)
            .order_by().values("receiving_department_id").annotate(n=Count("id"))
            .values_list("receiving_department_id", "n"))
    return dict(rows)
