"""Writes of the item lists (双随机抽查事项清单, 联合检查事项清单; issue #12 part 1).

Rules (DOMAIN.md R4.1–R4.3): no inspection without a listed item and its legal basis
(国办发〔2015〕58号), ratios or frequencies set per item, 一般检查事项 with a limited ratio
(``SUPERVISION_GENERAL_ITEM_MAX_RATIO``, percent; the national figure is unconfirmed, so None means
no cap), joint items that merge the items of a lead department and its partners.

Actors: a department's admin or regulator edits its own items (a system admin any); a joint item
is edited by its lead department; a system admin (平台管理员) publishes a list, which freezes it as a
numbered :class:`~onewindow.supervision.models.ItemListVersion`. Each service checks (403 not
allowed, 404 unknown, 422 bad input, 409 a duplicate or an unchanged list), writes and audits in
one transaction; a refusal writes nothing.
"""

from __future__ import annotations

import decimal
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department
from onewindow.core.numbering import next_number

from .. import permissions as perms
from ..choices import CheckMethod, ItemCategory, ItemListKind
from ..models import CheckItem, ItemListVersion, JointCheckItem

CODE = re.compile(r"^[0-9A-Z][0-9A-Z-]{1,31}$")
EDIT_ROLES = perms.CLAIM_ROLES  # 监管人员 and 部门管理员 of the department
TEXT_LIMITS = {"name": 120, "field": 40, "target": 120, "frequency": 60, "industry": 40}
MAX_PARTNERS = 6


def _invalid(field: str, message: Any, code: str = "check_item_invalid") -> DomainError:
    return DomainError(_("抽查事项信息不正确。"), code=code, status=422, fields={field: [message]})


def _code(value: Any) -> str:
    code = "".join(unicodedata.normalize("NFKC", str(value or "")).split()).upper()
    if not CODE.match(code):
        raise _invalid("code", _("事项编码由 2 至 32 位数字、大写字母或连字符组成。"))
    return code


def _text(data: dict[str, Any], name: str, *, required: bool) -> str:
    value = " ".join(str(data.get(name) or "").split())
    if required and not value:
        raise _invalid(name, _("此项必填。"))
    if len(value) > TEXT_LIMITS.get(name, 2000):
        raise _invalid(name, _("内容过长。"))
    return value


def _methods(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    methods = [str(m) for m in items if m not in (None, "")]
    if not methods or any(m not in CheckMethod.values for m in methods):
        raise _invalid("methods", _("请选择检查方式：实地核查、书面检查或网络监测。"))
    return sorted(set(methods), key=CheckMethod.values.index)


def _ratio(value: Any, category: str) -> decimal.Decimal | None:
    if value in (None, ""):
        return None
    try:
        ratio = decimal.Decimal(unicodedata.normalize("NFKC", str(value)).strip().rstrip("%"))
    except decimal.InvalidOperation:
        raise _invalid("ratio", _("抽查比例应为 0 至 100 之间的百分数。")) from None
    if not ratio.is_finite() or ratio <= 0 or ratio > 100 or ratio != ratio.quantize(decimal.Decimal("0.01")):
        raise _invalid("ratio", _("抽查比例应为 0 至 100 之间的百分数，最多两位小数。"))
    cap = getattr(settings, "SUPERVISION_GENERAL_ITEM_MAX_RATIO", None)
    if category == ItemCategory.GENERAL and cap is not None and ratio > decimal.Decimal(str(cap)):
        raise _invalid("ratio", _("一般检查事项的抽查比例不得超过 %(cap)s%%。") % {"cap": cap})
    return ratio.quantize(decimal.Decimal("0.01"))


def _clean_item(data: dict[str, Any]) -> dict[str, Any]:
    category = str(data.get("category") or ItemCategory.GENERAL)
    if category not in ItemCategory.values:
        raise _invalid("category", _("事项类别应为一般检查事项或重点检查事项。"))
    clean = {
        "name": _text(data, "name", required=True),
        "field": _text(data, "field", required=False),
        "category": category,
        "target": _text(data, "target", required=True),
        "basis": _text(data, "basis", required=True),
        "methods": _methods(data.get("methods")),
        "ratio": _ratio(data.get("ratio"), category),
        "frequency": _text(data, "frequency", required=False),
    }
    if clean["ratio"] is None and not clean["frequency"]:
        raise _invalid("ratio", _("请填写抽查比例或抽查频次。"))
    return clean


def _require_editor(by: Actor, department_id: int) -> Any:
    user = account_perms.acting_user(by)
    if account_perms.is_system_admin(user) or department_id in perms.department_ids(user, EDIT_ROLES):
        return user
    raise PermissionDenied(_("只有本部门的监管人员或部门管理员可以维护本部门的抽查事项。"), code="check_item_forbidden")


def _department(department_id: Any) -> Department:
    department = Department.objects.filter(pk=as_id(department_id)).first()
    if department is None:
        raise NotFound(_("找不到该部门。"), code="department_not_found")
    return department


def _as_audit(item: CheckItem) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "field": item.field,
        "category": item.category,
        "target": item.target,
        "basis": item.basis,
        "methods": list(item.methods),
        "ratio": None if item.ratio is None else str(item.ratio),
        "frequency": item.frequency,
        "is_active": item.is_active,
    }


@transaction.atomic
def check_item_create(*, by: Actor, department_id: Any, code: Any, **data: Any) -> CheckItem:
    """Add a 双随机抽查事项 to a department's list (not public until the list is published).
    Refusals: 404 ``department_not_found``, 403 ``check_item_forbidden``, 422 ``check_item_invalid``,
    409 ``check_item_duplicate`` (the department already has the code)."""
    department = _department(department_id)
    user = _require_editor(by, department.pk)
    clean = _clean_item(data)
    number = _code(code)
    if CheckItem.objects.filter(department=department, code=number).exists():
        raise Conflict(_("本部门已有此编码的抽查事项。"), code="check_item_duplicate")
    item = CheckItem.objects.create(
        department=department, code=number, sort_order=int(data.get("sort_order") or 100), **clean
    )
    audit_record(actor=user, action="supervision.check_item_create", target=item, after=_as_audit(item))
    return item


@transaction.atomic
def check_item_update(*, by: Actor, item_id: Any, **data: Any) -> CheckItem:
    """Change an item (all its fields are given again) or retire it (``is_active=False``).
    Refusals: 404 ``check_item_not_found``, 403 ``check_item_forbidden``, 422 ``check_item_invalid``."""
    item = CheckItem.objects.select_for_update().filter(pk=as_id(item_id)).first()
    if item is None:
        raise NotFound(_("找不到该抽查事项。"), code="check_item_not_found")
    user = _require_editor(by, item.department_id)
    before = _as_audit(item)
    for name, value in _clean_item(data).items():
        setattr(item, name, value)
    if "is_active" in data:
        item.is_active = bool(data["is_active"])
    item.save()
    audit_record(actor=user, action="supervision.check_item_update", target=item, before=before, after=_as_audit(item))
    return item


@transaction.atomic
def joint_item_create(
    *,
    by: Actor,
    code: Any,
    name: str,
    industry: str,
    lead_department_id: Any,
    partner_department_ids: Iterable[Any],
    check_item_ids: Iterable[Any],
    basis: str = "",
) -> JointCheckItem:
    """Add a 联合检查事项: the lead department and 1 to 6 partners, merging listed, active items of
    each of them (every department brings at least one). Only the lead department's staff (or a
    system admin) add it. Refusals: 404 ``department_not_found``, 403 ``check_item_forbidden``,
    422 ``joint_item_invalid``, 409 ``joint_item_duplicate``."""
    lead = _department(lead_department_id)
    user = _require_editor(by, lead.pk)

    def invalid(field: str, message: Any) -> DomainError:
        return _invalid(field, message, code="joint_item_invalid")

    number = _code(code)
    text = {"name": name, "industry": industry}
    clean_name, clean_industry = (_text(text, "name", required=True), _text(text, "industry", required=True))
    partner_ids = {as_id(p) for p in partner_department_ids if p not in (None, "")}
    partners = list(Department.objects.filter(pk__in=partner_ids))
    if not partners or len(partners) != len(partner_ids) or lead.pk in partner_ids:
        raise invalid("partner_department_ids", _("请选择 1 个以上的配合部门（不含牵头部门）。"))
    if len(partners) > MAX_PARTNERS:
        raise invalid("partner_department_ids", _("配合部门不超过 6 个。"))
    wanted = {as_id(i) for i in check_item_ids if i not in (None, "")}
    items = list(CheckItem.objects.filter(pk__in=wanted, is_active=True))
    departments = {lead.pk, *partner_ids}
    if len(items) != len(wanted) or any(i.department_id not in departments for i in items):
        raise invalid("check_item_ids", _("合并的事项须为牵头部门或配合部门的有效抽查事项。"))
    if {i.department_id for i in items} != departments:
        raise invalid("check_item_ids", _("每个参与部门至少合并一项本部门的抽查事项。"))
    if JointCheckItem.objects.filter(code=number).exists():
        raise Conflict(_("已有此编码的联合检查事项。"), code="joint_item_duplicate")
    joint = JointCheckItem.objects.create(
        code=number, name=clean_name, industry=clean_industry, lead_department=lead, basis=str(basis or "").strip()
    )
    joint.partner_departments.set(partners)
    joint.check_items.set(items)
    audit_record(
        actor=user,
        action="supervision.joint_item_create",
        target=joint,
        after={"code": number, "partners": sorted(partner_ids), "items": sorted(i.pk for i in items)},
    )
    return joint


def _random_snapshot() -> list[dict[str, Any]]:
    rows = CheckItem.objects.filter(is_active=True).select_related("department")
    rows = rows.order_by("department__code", "sort_order", "code")
    return [
        {
            "department": item.department.code,
            "department_name": item.department.name,
            "code": item.code,
            "name": item.name,
            "field": item.field,
            "category": item.category,
            "target": item.target,
            "basis": item.basis,
            "methods": list(item.methods),
            "ratio": None if item.ratio is None else str(item.ratio),
            "frequency": item.frequency,
        }
        for item in rows
    ]


def _joint_snapshot() -> list[dict[str, Any]]:
    rows = (
        JointCheckItem.objects.filter(is_active=True)
        .select_related("lead_department")
        .prefetch_related("partner_departments", "check_items__department")
        .order_by("lead_department__code", "sort_order", "code")
    )
    return [
        {
            "code": joint.code,
            "name": joint.name,
            "industry": joint.industry,
            "lead": {"code": joint.lead_department.code, "name": joint.lead_department.name},
            "partners": [
                {"code": d.code, "name": d.name} for d in sorted(joint.partner_departments.all(), key=lambda d: d.code)
            ],
            "check_items": [
                {"department": i.department.code, "code": i.code, "name": i.name}
                for i in sorted(joint.check_items.all(), key=lambda i: (i.department.code, i.code))
            ],
            "basis": joint.basis,
        }
        for joint in rows
    ]


def list_digest(items: list[dict[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of a list's items (sorted keys, no spaces, UTF-8): what the
    public page prints beside each version, so a copy can be checked against it."""
    text = json.dumps(items, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@transaction.atomic
def item_list_publish(*, by: Actor, kind: str, note: str = "") -> ItemListVersion:
    """Publish the current active items of one list as its next version (1, 2, … without gaps).
    Refusals: 403 ``item_list_publish_forbidden`` (system admins only), 422 ``item_list_kind_unknown``,
    422 ``item_list_empty``, 409 ``item_list_unchanged`` (same digest as the latest version)."""
    user = account_perms.acting_user(by)
    if not account_perms.is_system_admin(user):
        raise PermissionDenied(_("只有平台管理员可以发布事项清单。"), code="item_list_publish_forbidden")
    if kind not in ItemListKind.values:
        raise DomainError(_("未知的事项清单。"), code="item_list_kind_unknown", status=422)
    items = _random_snapshot() if kind == ItemListKind.RANDOM else _joint_snapshot()
    if not items:
        raise DomainError(_("清单中没有有效事项，不能发布。"), code="item_list_empty", status=422)
    digest = list_digest(items)
    latest = ItemListVersion.objects.filter(kind=kind).order_by("-number").first()
    if latest is not None and latest.digest == digest:
        raise Conflict(_("清单与最新发布的版本相同，无需重新发布。"), code="item_list_unchanged")
    if kind == ItemListKind.RANDOM:
        departments = {i["department"] for i in items}
    else:
        departments = {i["lead"]["code"] for i in items}
    version = ItemListVersion.objects.create(
        kind=kind,
        number=next_number(f"supervision.item_list.{kind}"),
        snapshot={"kind": kind, "items": items},
        digest=digest,
        item_count=len(items),
        department_count=len(departments),
        note=" ".join(str(note or "").split())[:200],
        published_by=user,
    )
    audit_record(
        actor=user,
        action="supervision.item_list_publish",
        target=version,
        after={"kind": kind, "number": version.number, "digest": digest, "items": len(items)},
    )
    return version
