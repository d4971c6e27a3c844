"""Staff pages of 双随机 draw plans (抽查任务, issue #12 parts 2–4): my departments' plans, the form
that drafts one, and one plan's page with its stage buttons.

Rule (国办发〔2015〕58号, DOMAIN.md R4.1): the computer, not a person, picks entities and officers,
in fixed stages nobody can re-run — publish (naming a future public random value), freeze (the
pool and roster, before that value exists), draw (once), close (the names are published) — or
cancel with a reason. Each stage button is a POST that calls one service
(``services.draws``/``draws_freeze``/``draws_run``); a refusal re-renders the page with its stable
code and message and its HTTP status (403, 404, 409, 422), and nothing is written. Planners are
the 监管人员 and 部门管理员 of the plan's (lead) department; every supervision staff member reads.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts import permissions as account_perms
from onewindow.core.errors import DomainError, field_messages
from onewindow.core.models import Department
from onewindow.core.pagination import page_number, paginate
from onewindow.market.choices import EntityType

from .. import draw, services, workflow
from .. import permissions as perms
from ..choices import DrawPlanAction, DrawPlanKind, DrawPlanStatus, ItemListKind
from ..models import CheckItem, DrawFreeze, DrawOutcome, Inspection, ItemListVersion, JointCheckItem, Officer
from ..selectors import draws as draw_selectors
from ..services import draws_freeze, draws_run
from .common import error_page, require_staff

PAGE_SIZE = 30
#: The strata of the form: the risk grades, ``-`` ungraded (``U`` in field names), ``S`` listed.
STRATA = (("A", "A"), ("B", "B"), ("C", "C"), ("D", "D"), ("-", "U"), ("S", "S"))
RISK_GRADES = ("A", "B", "C", "D", "-")
#: Codes after which there is no plan page to show again.
NOT_FOUND = frozenset({"draw_plan_not_found"})


# ---- reads for the pages (scoped to the user) ------------------------------------------------------


def _my_department_ids(user: Any) -> set[int]:
    return perms.department_ids(user)


def _planner_departments(user: Any) -> list[Department]:
    ids = draw_selectors.planner_department_ids(user)
    return list(Department.objects.filter(pk__in=ids, is_active=True).order_by("sort_order", "id"))


def _published_items(departments: list[Department]) -> list[CheckItem]:
    """The active items of these departments in the latest published 双随机 list."""
    version = ItemListVersion.objects.filter(kind=ItemListKind.RANDOM).order_by("-number").first()
    if version is None or not departments:
        return []
    published = {(i["department"], i["code"]) for i in version.snapshot.get("items", [])}
    rows = CheckItem.objects.filter(department__in=departments, is_active=True).select_related("department")
    return [
        i for i in rows.order_by("department__code", "sort_order", "code") if (i.department.code, i.code) in published
    ]


def _joint_items(departments: list[Department]) -> list[JointCheckItem]:
    return list(
        JointCheckItem.objects.filter(lead_department__in=departments, is_active=True)
        .select_related("lead_department")
        .order_by("lead_department__code", "sort_order", "code")
    )


# ---- list ------------------------------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    """抽查任务: the plans of my departments (every plan for a system admin), ``?status=`` filters."""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    status = request.GET.get("status", "")
    rows = draw_selectors.plan_list_for(request.user, status=status)
    if not account_perms.is_system_admin(request.user):
        rows = rows.filter(department_id__in=_my_department_ids(request.user))
    result = paginate(rows, page_number(request.GET.get("page")), PAGE_SIZE)
    return render(
        request,
        "supervision/plans.html",
        {
            "nav": "plans",
            "rows": result.items,
            "page": result,
            "status": status if status in DrawPlanStatus.values else "",
            "statuses": DrawPlanStatus.choices,
            "may_plan": bool(draw_selectors.planner_department_ids(request.user)),
        },
    )


# ---- the form ----------------------------------------------------------------------------------------


def _form_page(request: HttpRequest, data: QueryDict | None = None, error: DomainError | None = None) -> HttpResponse:
    departments = _planner_departments(request.user)
    data = data if data is not None else QueryDict()
    return render(
        request,
        "supervision/plan_form.html",
        {
            "nav": "plans",
            "departments": departments,
            "items": _published_items(departments),
            "joint_items": _joint_items(departments),
            "kinds": DrawPlanKind.choices,
            "entity_types": EntityType.choices,
            "risk_grades": RISK_GRADES,
            "strata": [
                (label, field, data.get(f"ratio_{field}", ""), data.get(f"count_{field}", ""))
                for label, field in STRATA
            ],
            "data": data,
            "checked_items": data.getlist("item_ids"),
            "checked_types": data.getlist("entity_types"),
            "checked_grades": data.getlist("risk_grades"),
            "mode": data.get("mode", "ratios"),
            "default_officers": services.draws.default_officers(),
            "error": error,
            "field_errors": field_messages(error),
            "today": services.common.today(),
        },
        status=error.status if error else 200,
    )


def _by_stratum(post: QueryDict, prefix: str) -> dict[str, str]:
    values = {label: post.get(f"{prefix}_{field}", "").strip()[:12] for label, field in STRATA}
    return {label: value for label, value in values.items() if value}


def _plan_arguments(post: QueryDict) -> dict[str, Any]:
    """The service's arguments from the form (the service checks every value)."""
    mode = post.get("mode", "ratios")
    sanctioned = post.get("sanctioned_stratum") == "1"
    ratios = _by_stratum(post, "ratio") if mode == "ratios" else None
    counts = _by_stratum(post, "count") if mode == "counts" else None
    if not sanctioned:
        ratios = {k: v for k, v in (ratios or {}).items() if k != "S"} if ratios is not None else None
        counts = {k: v for k, v in (counts or {}).items() if k != "S"} if counts is not None else None
    return {
        "department_id": post.get("department_id", "")[:20],
        "title": post.get("title", "")[:200],
        "kind": post.get("kind", DrawPlanKind.RANDOM)[:10],
        "item_ids": [v[:20] for v in post.getlist("item_ids")[:200]],
        "joint_item_id": post.get("joint_item_id", "")[:20] or None,
        "pool_filter": {
            "regions": post.get("regions", "")[:2000],
            "industries": post.get("industries", "")[:2000],
            "entity_types": post.getlist("entity_types")[:20],
            "risk_grades": post.getlist("risk_grades")[:10],
        },
        "ratios": ratios or None,
        "counts": counts or None,
        "sanctioned_stratum": sanctioned,
        "exclude_inspected_months": post.get("exclude_inspected_months", "12")[:5],
        "exclude_open_plans": post.get("exclude_open_plans") == "1",
        "officers_per_department": post.get("officers_per_department", "")[:5],
        "no_repeat_months": post.get("no_repeat_months", "12")[:5],
        "random_source": post.get("random_source", "")[:300],
        "random_expected_on": post.get("random_expected_on", "")[:20],
        "inspection_ends_on": post.get("inspection_ends_on", "")[:20],
    }


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    """制定抽查任务: the form (GET) and the draft (POST, ``services.plan_create``)."""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    if request.method == "GET":
        return _form_page(request, QueryDict("exclude_open_plans=1"))
    try:
        plan = services.plan_create(by=request.user, **_plan_arguments(request.POST))
    except DomainError as exc:
        return _form_page(request, request.POST, exc)
    messages.success(request, gettext("已制定抽查任务 %(number)s。") % {"number": plan.number})
    return redirect("supervision:plan", number=plan.number)


# ---- one plan ------------------------------------------------------------------------------------------


def _assignments(plan: Any, outcome: DrawOutcome | None) -> list[dict[str, Any]]:
    """The drawn entities with their officers (for the planner's replacement form), in draw order."""
    if outcome is None:
        return []
    result = draw.DrawResult.from_dict(outcome.result)
    inspections = {
        i.credit_code: i for i in Inspection.objects.filter(plan=plan).only("pk", "credit_code", "entity_name")
    }
    officers = {o.certificate_number: o.name for o in plan_officers(plan)}
    by_entity: dict[str, list[dict[str, str]]] = {}
    for a in result.assignments:
        by_entity.setdefault(a.entity, []).append(
            {"department": a.department, "cert": a.cert, "name": officers.get(a.cert, "")}
        )
    rows = []
    for n, pick in enumerate(result.selection, start=1):
        inspection = inspections.get(pick.code)
        rows.append(
            {
                "sequence": n,
                "code": pick.code,
                "stratum": pick.stratum,
                "name": inspection.entity_name if inspection else "",
                "inspection_id": inspection.pk if inspection else None,
                "officers": by_entity.get(pick.code, []),
            }
        )
    return rows


def plan_officers(plan: Any) -> list[Officer]:
    return list(Officer.objects.filter(inspections__plan=plan).distinct().only("certificate_number", "name"))


def _detail(
    request: HttpRequest, number: str, error: DomainError | None = None, posted: dict[str, str] | None = None
) -> HttpResponse:
    try:
        require_staff(request.user)
        plan = draw_selectors.plan_by_number(number)
        plan = draw_selectors.plan_get_for(request.user, plan.pk)
    except DomainError as exc:
        return error_page(request, exc)
    planner = plan.department_id in draw_selectors.planner_department_ids(request.user)
    freeze = DrawFreeze.objects.filter(plan=plan).defer("pool_file", "roster_file", "constraints_file").first()
    outcome = DrawOutcome.objects.filter(plan=plan).first()
    in_plan = planner or bool(
        _my_department_ids(request.user)
        & set(Department.objects.filter(code__in=plan.departments).values_list("pk", flat=True))
    )
    actions = workflow.plan_actions_from(plan.status) if planner else []
    today = services.common.today()  # the day the services judge stages by
    return render(
        request,
        "supervision/plan_detail.html",
        {
            "nav": "plans",
            "plan": plan,
            "items": plan.items.select_related("department").order_by("department__code", "code"),
            "departments": Department.objects.filter(code__in=plan.departments).order_by("code"),
            "freeze": freeze,
            "outcome": outcome,
            "events": draw_selectors.plan_events(plan),
            "planner": planner,
            "actions": [a for a in actions if a != DrawPlanAction.PUBLISH_RESULTS],
            "assignments": _assignments(plan, outcome) if in_plan else [],
            "value_day_come": today >= plan.random_expected_on,
            "error": error,
            "field_errors": field_messages(error),
            "posted": posted or {},
        },
        status=error.status if error else 200,
    )


@login_required
@require_GET
def plan_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One plan: its parameters, each stage's digests, the timeline and (for its planners) the
    buttons of the stages its status allows."""
    return _detail(request, number)


def _posted(request: HttpRequest) -> dict[str, str]:
    return {k: str(v)[:300] for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}


#: The stage buttons (URL segment = action) and the message after each.
DONE = {
    DrawPlanAction.PUBLISH: _("已发布任务 %(number)s。"),
    DrawPlanAction.FREEZE: _("已冻结任务 %(number)s 的名录，并公开其摘要。"),
    DrawPlanAction.DRAW: _("已完成任务 %(number)s 的抽取。"),
    DrawPlanAction.REPLACE: _("已更换任务 %(number)s 的执法人员。"),
    DrawPlanAction.CANCEL: _("已撤销任务 %(number)s。"),
    DrawPlanAction.CLOSE: _("任务 %(number)s 的检查已结束，抽取结果已公开。"),
}


def _run(request: HttpRequest, plan_id: int, action: str) -> None:
    post, by = request.POST, request.user
    if action == DrawPlanAction.PUBLISH:
        services.plan_publish(by=by, plan_id=plan_id)
    elif action == DrawPlanAction.FREEZE:
        draws_freeze.plan_freeze(by=by, plan_id=plan_id)
    elif action == DrawPlanAction.DRAW:
        draws_run.plan_draw(by=by, plan_id=plan_id, random_value=post.get("random_value", "")[:300])
    elif action == DrawPlanAction.REPLACE:
        code, _sep, rest = post.get("assignment", "").partition("|")
        department, _sep, cert = rest.partition("|")
        draws_run.plan_replace_officer(
            by=by,
            plan_id=plan_id,
            credit_code=code[:40],
            department_code=department[:40],
            certificate_number=cert[:40],
            reason=post.get("reason", "")[:300],
        )
    elif action == DrawPlanAction.CANCEL:
        services.plan_cancel(by=by, plan_id=plan_id, reason=post.get("reason", "")[:300])
    else:
        services.plan_close(by=by, plan_id=plan_id)


@login_required
@require_POST
def plan_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One stage button: publish, freeze, draw (with the random value), replace (an officer, with
    the reason), cancel (with the reason), close. Each is one service call."""
    try:
        require_staff(request.user)
        plan = draw_selectors.plan_get_for(request.user, draw_selectors.plan_by_number(number).pk)
    except DomainError as exc:
        return error_page(request, exc)
    try:
        _run(request, plan.pk, action)
    except DomainError as exc:
        if exc.code in NOT_FOUND:
            return error_page(request, exc)
        return _detail(request, number, exc, _posted(request))
    messages.success(request, str(DONE[DrawPlanAction(action)]) % {"number": plan.number})
    return redirect("supervision:plan", number=plan.number)


urlpatterns: list[URLPattern] = [
    path("plans/", plan_list, name="plans"),
    path("plans/new/", plan_new, name="plan-new"),
    path("plans/<str:number>/", plan_detail, name="plan"),
    *[path(f"plans/<str:number>/{action}/", plan_action, {"action": action}, name=f"plan-{action}") for action in DONE],
]
