"""Writes of 双随机 draw plans (抽查任务, issue #12 parts 2–3): create, publish, cancel, close.
The freeze is in ``draws_freeze``, the draw and officer replacement in ``draws_run``.

Rules: inspected entities and inspectors are drawn at random (国办发〔2015〕58号, DOMAIN.md R4.1)
from the items of a published 随机抽查事项清单 — no inspection without a listed item — with ratios
per 企业信用风险分类 grade set per plan (DOMAIN.md R4.6: the national mapping is unconfirmed), a
number of officers per entity (the national minimum is unconfirmed, R4.4: the setting
``SUPERVISION_DRAW_OFFICERS``, default 2, the 行政处罚法 art. 42 minimum for a penalty) and recusal
(回避, art. 43). The stages are fixed (``workflow.PLAN_TRANSITIONS``) so nobody can try filters or
seeds until the result suits them: publish (naming a future public random value) → freeze (before
that value exists) → draw (once) → close (the names and the secret are revealed).

Actor: a 监管人员 or 部门管理员 of the plan's (lead) department (the ``planner``). A system admin
reads every plan but plans for no department. Each service locks the plan, checks (404 unknown or
invisible, 403 not the planner, 409 the stage, 422 bad input), writes, appends a
:class:`DrawPlanEvent` and an audit entry in one transaction; a refusal writes nothing.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department, Region, RegionLevel
from onewindow.core.numbering import next_number
from onewindow.market.choices import EntityType, RiskGrade
from onewindow.market.models import Industry

from .. import workflow
from ..choices import DrawPlanAction, DrawPlanKind, DrawPlanStatus, ItemListKind, Specialty
from ..models import CheckItem, DrawPlan, DrawPlanEvent, ItemListVersion, JointCheckItem
from ..selectors import draws as draw_selectors
from . import common
from .common import actor_label, actor_user
from .inspections import plan_inspections_close

#: Strata a plan may set a ratio or count for: the risk grades, ``-`` ungraded, ``S`` listed.
GRADE_STRATA = ("A", "B", "C", "D", "-")
SANCTIONED = "S"
FILTER_KEYS = ("regions", "industries", "entity_types", "risk_grades")
UNGRADED = "-"


def default_officers() -> int:
    return int(getattr(settings, "SUPERVISION_DRAW_OFFICERS", 2))


# ---- refusals --------------------------------------------------------------------------------------


def invalid(field: str, message: Any) -> DomainError:
    return DomainError(_("抽查任务信息不正确。"), code="draw_plan_invalid", status=422, fields={field: [message]})


def _not_found() -> NotFound:
    return NotFound(_("找不到该抽查任务。"), code="draw_plan_not_found")


def _forbidden() -> PermissionDenied:
    return PermissionDenied(
        _("只有本部门（牵头部门）的监管人员或部门管理员可以管理该抽查任务。"), code="draw_plan_forbidden"
    )


#: Specific codes where a step is refused by the stage, for the refusals the issue names.
STAGE_CODES: dict[tuple[str, str], tuple[str, Any]] = {
    (DrawPlanAction.DRAW, DrawPlanStatus.DRAWN): (
        "draw_already_drawn",
        _("该任务已经抽取，抽取结果不能重新生成。"),
    ),
    (DrawPlanAction.DRAW, DrawPlanStatus.CLOSED): (
        "draw_already_drawn",
        _("该任务已经抽取，抽取结果不能重新生成。"),
    ),
    (DrawPlanAction.FREEZE, DrawPlanStatus.FROZEN): ("draw_pool_frozen", _("名录已冻结，不能更改。")),
    (DrawPlanAction.FREEZE, DrawPlanStatus.DRAWN): ("draw_pool_frozen", _("名录已冻结，不能更改。")),
    (DrawPlanAction.FREEZE, DrawPlanStatus.CLOSED): ("draw_pool_frozen", _("名录已冻结，不能更改。")),
}


def lock_plan(plan_id: Any) -> DrawPlan:
    plan = (
        DrawPlan.objects.select_for_update(of=("self",)).select_related("department").filter(pk=as_id(plan_id)).first()
    )
    if plan is None:
        raise _not_found()
    return plan


def guard(plan: DrawPlan, action: str, by: Actor) -> Any:
    """Refuse what the actor or the stage does not allow; the acting user.

    404 when the actor may not see the plan (a draft, to anyone but supervision staff), 403 when
    they see it but are not its planner, 409 when the stage does not allow the action.
    """
    user = account_perms.as_user(by)
    if not draw_selectors.plan_queryset_for(user).filter(pk=plan.pk).exists():
        raise _not_found()
    if user is None or plan.department_id not in draw_selectors.planner_department_ids(user):
        raise _forbidden()
    if plan.status not in workflow.PLAN_TRANSITIONS[action].sources:
        fallback: tuple[str, Any] = (
            "draw_plan_illegal_transition",
            _("该任务当前状态为“%(status)s”，不能执行“%(action)s”。")
            % {"status": DrawPlanStatus(plan.status).label, "action": DrawPlanAction(action).label},
        )
        code, message = STAGE_CODES.get((action, plan.status), fallback)
        raise Conflict(message, code=code)
    return user


def record(
    plan: DrawPlan,
    action: str,
    by: Actor,
    *,
    from_status: str,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> DrawPlanEvent:
    """The timeline event and the audit entry of one step."""
    user = actor_user(by)
    event = DrawPlanEvent.objects.create(
        plan=plan,
        action=action,
        from_status=from_status,
        to_status=plan.status,
        note=note[:300],
        details=details or {},
        by=user,
        by_label=actor_label(user),
    )
    audit_record(
        actor=by,
        action=f"supervision.draw_plan.{action}",
        target=plan,
        before={"status": from_status},
        after={"status": plan.status, "number": plan.number, **(details or {})},
        role=account_perms.primary_role(user) if user is not None else "",
    )
    return event


# ---- cleaning the plan's parameters --------------------------------------------------------------------


def _text(value: Any, field: str, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise invalid(field, _("此项必填。"))
    if len(text) > limit:
        raise invalid(field, _("内容过长。"))
    return text


def _date(value: Any, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise invalid(field, _("请填写有效日期（YYYY-MM-DD）。")) from None


def _codes(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, (list, tuple, set)) else str(value).replace("，", ",").split(",")
    return sorted({"".join(unicodedata.normalize("NFKC", str(v)).split()) for v in items} - {""})


def clean_pool_filter(raw: Any) -> dict[str, list[str]]:
    """The registry filter: district or street codes, GB/T 4754 prefixes (a section letter or
    digits), entity types, risk grades (``-`` for ungraded); status 存续 always applies."""
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, dict) or set(raw) - set(FILTER_KEYS):
        raise invalid("pool_filter", _("抽取范围只能按区域、行业、主体类型和风险分类筛选。"))
    clean = {key: _codes(raw.get(key)) for key in FILTER_KEYS}
    regions = clean["regions"]
    known = set(
        Region.objects.filter(code__in=regions, level__in=[RegionLevel.DISTRICT, RegionLevel.STREET]).values_list(
            "code", flat=True
        )
    )
    if set(regions) - known:
        raise invalid(
            "pool_filter", _("未知的区或街镇代码：%(codes)s") % {"codes": "、".join(sorted(set(regions) - known))}
        )
    industries = [c.upper() for c in clean["industries"]]
    known = set(Industry.objects.filter(code__in=industries).values_list("code", flat=True))
    if set(industries) - known:
        raise invalid(
            "pool_filter",
            _("未知的国民经济行业代码：%(codes)s") % {"codes": "、".join(sorted(set(industries) - known))},
        )
    clean["industries"] = sorted(industries)
    if set(clean["entity_types"]) - set(EntityType.values):
        raise invalid("pool_filter", _("未知的主体类型。"))
    grades = [g.upper() for g in clean["risk_grades"]]
    if set(grades) - {*RiskGrade.values, UNGRADED}:
        raise invalid("pool_filter", _("风险分类应为 A、B、C、D 或 -（未分类）。"))
    clean["risk_grades"] = sorted(grades)
    return {k: v for k, v in clean.items() if v}


def _strata(sanctioned: bool) -> tuple[str, ...]:
    return (*GRADE_STRATA, SANCTIONED) if sanctioned else GRADE_STRATA


def clean_ratios(raw: Any, sanctioned: bool) -> dict[str, str]:
    """Percent per stratum, 0 to 100 with at most two decimals, at least one above 0."""
    if not isinstance(raw, dict):
        raise invalid("ratios", _("请按风险分类填写抽查比例（%）。"))
    clean: dict[str, str] = {}
    for stratum, value in raw.items():
        key = str(stratum).strip().upper()
        if key not in _strata(sanctioned):
            raise invalid("ratios", _("未知的分类：%(s)s") % {"s": str(stratum)[:5]})
        try:
            ratio = Decimal(unicodedata.normalize("NFKC", str(value)).strip().rstrip("%"))
        except InvalidOperation:
            raise invalid("ratios", _("抽查比例应为 0 至 100 之间的百分数。")) from None
        if not ratio.is_finite() or not 0 <= ratio <= 100 or ratio != ratio.quantize(Decimal("0.01")):
            raise invalid("ratios", _("抽查比例应为 0 至 100 之间的百分数，最多两位小数。"))
        clean[key] = format(ratio.normalize(), "f") if ratio else "0"  # 10, not 1E+1
    if not any(Decimal(v) > 0 for v in clean.values()):
        raise invalid("ratios", _("至少一类的抽查比例应大于 0。"))
    return dict(sorted(clean.items()))


def clean_counts(raw: Any, sanctioned: bool) -> dict[str, int]:
    """Entities per stratum, whole numbers, at least one above 0."""
    if not isinstance(raw, dict):
        raise invalid("counts", _("请按风险分类填写抽取户数。"))
    clean: dict[str, int] = {}
    for stratum, value in raw.items():
        key = str(stratum).strip().upper()
        if key not in _strata(sanctioned):
            raise invalid("counts", _("未知的分类：%(s)s") % {"s": str(stratum)[:5]})
        try:
            count = int(str(value).strip())
        except ValueError:
            count = -1
        if count < 0 or count > 1_000_000:
            raise invalid("counts", _("抽取户数应为非负整数。"))
        clean[key] = count
    if not any(clean.values()):
        raise invalid("counts", _("至少一类的抽取户数应大于 0。"))
    return dict(sorted(clean.items()))


def _months(value: Any, field: str) -> int:
    try:
        months = int(value)
    except (TypeError, ValueError):
        months = -1
    if not 0 <= months <= 120:
        raise invalid(field, _("月数应为 0 至 120 之间的整数。"))
    return months


def _specialty(raw: Any, departments: list[Department]) -> dict[str, str]:
    """A specialty for every department (a string), or per department code (a dict)."""
    if raw in (None, "", {}):
        return {}
    codes = [d.code for d in departments]
    pairs = raw.items() if isinstance(raw, dict) else ((code, raw) for code in codes)
    clean = {str(code): str(s) for code, s in pairs if s}
    if set(clean) - set(codes) or set(clean.values()) - set(Specialty.values):
        raise invalid("required_specialty", _("执法专长须为参与部门的有效专长。"))
    return dict(sorted(clean.items()))


def _latest(kind: str) -> ItemListVersion:
    version = ItemListVersion.objects.filter(kind=kind).order_by("-number").first()
    if version is None:
        raise invalid("item_ids", _("事项清单尚未发布，不能制定抽查任务。"))
    return version


def _items(item_ids: Iterable[Any], departments: list[Department], version: ItemListVersion) -> list[CheckItem]:
    """The plan's items: active, of one of its departments, and in the latest published list."""
    wanted = {as_id(i) for i in item_ids if i not in (None, "")}
    if not wanted:
        raise invalid("item_ids", _("请选择至少一项抽查事项。"))
    items = list(CheckItem.objects.filter(pk__in=wanted, is_active=True).select_related("department"))
    published = {(i["department"], i["code"]) for i in version.snapshot.get("items", [])}
    ids = {d.pk for d in departments}
    if len(items) != len(wanted) or any(
        i.department_id not in ids or (i.department.code, i.code) not in published for i in items
    ):
        raise invalid("item_ids", _("抽查事项须为参与部门在最新发布清单中的事项。"))
    return items


def _joint(joint_item_id: Any, lead: Department) -> tuple[JointCheckItem, list[Department]]:
    joint = (
        JointCheckItem.objects.filter(pk=as_id(joint_item_id), is_active=True).select_related("lead_department").first()
    )
    if joint is None or joint.lead_department_id != lead.pk:
        raise invalid("joint_item_id", _("请选择本部门牵头的联合检查事项。"))
    published = {i["code"] for i in _latest(ItemListKind.JOINT).snapshot.get("items", [])}
    if joint.code not in published:
        raise invalid("joint_item_id", _("该联合检查事项不在最新发布的联合检查事项清单中。"))
    partners = sorted(joint.partner_departments.all(), key=lambda d: d.code)
    return joint, [lead, *partners]


@transaction.atomic
def plan_create(
    *,
    by: Actor,
    department_id: Any,
    title: Any,
    kind: str = DrawPlanKind.RANDOM,
    item_ids: Iterable[Any] = (),
    joint_item_id: Any = None,
    pool_filter: Any = None,
    ratios: Any = None,
    counts: Any = None,
    sanctioned_stratum: bool = False,
    exclude_inspected_months: Any = 12,
    exclude_open_plans: bool = True,
    officers_per_department: Any = None,
    no_repeat_months: Any = 12,
    required_specialty: Any = None,
    random_source: Any = "",
    random_expected_on: Any = None,
    inspection_ends_on: Any = None,
) -> DrawPlan:
    """Draft a 抽查任务 for a department (for a 联合检查, the lead department of the joint item).

    Numbered ``SC<year><6 digits>`` without gaps. Ratios (percent per stratum) or counts, one of
    the two. Refusals: 404 ``department_not_found``, 403 ``draw_plan_forbidden``, 422
    ``draw_plan_invalid`` (with the field).
    """
    department = Department.objects.filter(pk=as_id(department_id)).first()
    if department is None:
        raise NotFound(_("找不到该部门。"), code="department_not_found")
    user = account_perms.as_user(by)
    if user is None or department.pk not in draw_selectors.planner_department_ids(user):
        raise _forbidden()
    clean_title = _text(title, "title", 120)
    if kind not in DrawPlanKind.values:
        raise invalid("kind", _("任务类型应为双随机抽查或联合检查。"))
    joint = None
    departments = [department]
    if kind == DrawPlanKind.JOINT:
        joint, departments = _joint(joint_item_id, department)
        if not list(item_ids):
            item_ids = list(joint.check_items.values_list("pk", flat=True))
    elif joint_item_id not in (None, ""):
        raise invalid("joint_item_id", _("只有联合检查任务可以选择联合检查事项。"))
    version = _latest(ItemListKind.RANDOM)
    items = _items(item_ids, departments, version)
    sanctioned = bool(sanctioned_stratum)
    if (ratios in (None, "", {})) == (counts in (None, "", {})):
        raise invalid("ratios", _("请填写各类抽查比例或抽取户数（二者选一）。"))
    clean_r = clean_ratios(ratios, sanctioned) if ratios not in (None, "", {}) else {}
    clean_c = clean_counts(counts, sanctioned) if counts not in (None, "", {}) else {}
    per = default_officers() if officers_per_department in (None, "") else officers_per_department
    try:
        per = int(per)
    except (TypeError, ValueError):
        per = 0
    if not 1 <= per <= 10:
        raise invalid("officers_per_department", _("每户每部门执法人员数应为 1 至 10。"))
    source = _text(random_source, "random_source", 200)
    expected_on = _date(random_expected_on, "random_expected_on")
    if expected_on <= common.today():
        raise invalid("random_expected_on", _("公开随机数须在今后产生（晚于今天）。"))
    ends_on = _date(inspection_ends_on, "inspection_ends_on")
    if ends_on < expected_on:
        raise invalid("inspection_ends_on", _("检查截止日期不得早于随机数产生日期。"))
    year = timezone.localdate().year
    plan = DrawPlan.objects.create(
        number=f"SC{year}{next_number(f'supervision.draw_plan.{year}'):06d}",
        kind=kind,
        title=clean_title,
        department=department,
        joint_item=joint,
        item_list_version=version,
        departments=[d.code for d in departments],
        pool_filter=clean_pool_filter(pool_filter),
        ratios=clean_r,
        counts=clean_c,
        sanctioned_stratum=sanctioned,
        exclude_inspected_months=_months(exclude_inspected_months, "exclude_inspected_months"),
        exclude_open_plans=bool(exclude_open_plans),
        officers_per_department=per,
        no_repeat_months=_months(no_repeat_months, "no_repeat_months"),
        required_specialty=_specialty(required_specialty, departments),
        random_source=source,
        random_expected_on=expected_on,
        inspection_ends_on=ends_on,
        created_by=user,
    )
    plan.items.set(items)
    audit_record(
        actor=user,
        action="supervision.draw_plan.create",
        target=plan,
        after={
            "number": plan.number,
            "departments": plan.departments,
            "items": sorted(i.pk for i in items),
            "pool_filter": plan.pool_filter,
            "ratios": plan.ratios,
            "counts": plan.counts,
            "random_source": source,
            "random_expected_on": expected_on.isoformat(),
        },
        role=account_perms.primary_role(user),
    )
    return plan


@transaction.atomic
def plan_publish(*, by: Actor, plan_id: Any) -> DrawPlan:
    """Publish the plan with its filters and the named future random value (stage 1). Refused
    (409 ``draw_random_value_not_future``) once the value's day has come: it may exist already."""
    plan = lock_plan(plan_id)
    guard(plan, DrawPlanAction.PUBLISH, by)
    if plan.random_expected_on <= common.today():
        raise Conflict(
            _("公开随机数的产生日期须晚于今天，请撤销本任务后重新制定。"), code="draw_random_value_not_future"
        )
    before = plan.status
    plan.status = workflow.plan_target(plan.status, DrawPlanAction.PUBLISH)
    plan.published_at = timezone.now()
    plan.save(update_fields=["status", "published_at"])
    record(
        plan,
        DrawPlanAction.PUBLISH,
        by,
        from_status=before,
        details={"random_source": plan.random_source, "random_expected_on": plan.random_expected_on.isoformat()},
    )
    return plan


@transaction.atomic
def plan_cancel(*, by: Actor, plan_id: Any, reason: Any) -> DrawPlan:
    """Cancel a plan before it is closed, with a reason; it stays visible (a draw that was not
    liked cannot silently disappear). Refusals: 404, 403, 409, 422 ``draw_plan_invalid``."""
    plan = lock_plan(plan_id)
    guard(plan, DrawPlanAction.CANCEL, by)
    text = _text(reason, "reason", 200)
    before = plan.status
    plan.status = workflow.plan_target(plan.status, DrawPlanAction.CANCEL)
    plan.cancel_reason = text
    plan.save(update_fields=["status", "cancel_reason"])
    record(plan, DrawPlanAction.CANCEL, by, from_status=before, note=text, details={"reason": text})
    if before == DrawPlanStatus.DRAWN:  # a cancelled draw's inspections end with it
        plan_inspections_close(by=by, plan_id=plan.pk)
    return plan


@transaction.atomic
def plan_close(*, by: Actor, plan_id: Any) -> DrawPlan:
    """End the inspection (after ``inspection_ends_on``, or earlier when the planner says it has
    ended): the public page then shows the entities, the officers, every skip and replacement and
    the secret, so anyone can verify the draw. Refusals: 404, 403, 409."""
    plan = lock_plan(plan_id)
    guard(plan, DrawPlanAction.CLOSE, by)
    before = plan.status
    plan.status = workflow.plan_target(plan.status, DrawPlanAction.CLOSE)
    plan.closed_at = timezone.now()
    plan.save(update_fields=["status", "closed_at"])
    record(
        plan, DrawPlanAction.CLOSE, by, from_status=before, details={"early": common.today() <= plan.inspection_ends_on}
    )
    plan_inspections_close(by=by, plan_id=plan.pk)  # no result is recorded after the inspection ends
    return plan


def plans_close_due(*, by: Actor = common.SYSTEM) -> list[str]:
    """Close, as the system, every drawn plan whose inspection ended before today (the timer of
    the close step; the planner may close earlier with :func:`plan_close`). Each plan in its own
    transaction, locked and re-checked; returns the numbers closed. Only the system actor runs it."""
    if not is_system(by):
        raise _forbidden()
    closed: list[str] = []
    due = DrawPlan.objects.filter(status=DrawPlanStatus.DRAWN, inspection_ends_on__lt=common.today())
    for plan_id in due.order_by("id").values_list("pk", flat=True):
        with transaction.atomic():
            plan = lock_plan(plan_id)
            if plan.status != DrawPlanStatus.DRAWN or plan.inspection_ends_on >= common.today():
                continue
            before = plan.status
            plan.status = workflow.plan_target(plan.status, DrawPlanAction.CLOSE)
            plan.closed_at = timezone.now()
            plan.save(update_fields=["status", "closed_at"])
            record(plan, DrawPlanAction.CLOSE, by, from_status=before, details={"early": False})
            plan_inspections_close(by=by, plan_id=plan.pk)
            closed.append(plan.number)
    return closed
