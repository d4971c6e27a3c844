"""Writes to the service catalog (事项目录): publish, revise, suspend, restore and withdraw items.

The item's lifecycle is the transition table of ``workflow.py`` (ARCHITECTURE rule 3). Every
write, in one transaction: locks the item, checks the guard (403 ``item_action_forbidden`` for an
actor who may not act, 409 ``item_illegal_transition`` for a status the table does not allow),
validates its input (other refusals raise :class:`DomainError` with a ``catalog.*`` code), adds
an immutable :class:`ItemVersion` — the item's event row: number, who, when, status, reason
(ARCHITECTURE data-model decision 1) — refreshes the item's search copy (name, pinyin, filters),
records the audit entry ``catalog.item_<action>`` and bumps the catalog generation so cached
facet counts are recomputed. A refusal writes nothing.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from onewindow.accounts.permissions import as_user
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record, changed_values
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department, Region

from . import permissions, workflow
from .choices import (
    LEVEL_RANK,
    Category,
    Channel,
    DayUnit,
    DepthCode,
    DepthLevel,
    HandlingType,
    ItemAction,
    ItemStatus,
    Level,
    MaterialForm,
)
from .models import BasicItem, CatalogGeneration, ItemType, ItemVersion, Material, ServiceItem
from .personal_fields import marking_problems
from .search_keys import name_search_keys
from .selectors import forget_generation

#: Version fields a caller may set; everything else on a version is derived or bookkeeping.
CONTENT_FIELDS = (
    "name", "category", "item_type", "legal_basis", "handling_type",
    "statutory_limit", "statutory_unit", "statutory_note",
    "promised_limit", "promised_unit", "promised_note",
    "fee_free", "fee_text", "fee_amount",
    "depth_level", "depth_codes", "fully_online", "channels", "on_site_visits", "on_site_reason",
    "form_schema", "valid_from", "change_note",
)
_STATUS_FIELDS = ("status", "status_reason", "status_date")
#: The form-schema keyword that maps a form property to a field of a sharing resource (pre-fill,
#: 减材料): ``{"resource": "<resource code>", "field": "<resource field name>"}`` (cases.services.prefill).
PREFILL_KEYWORD = "x-prefill"
_JSON_SCHEMA_TYPES = {"object", "string", "number", "integer", "boolean", "array", "null"}


def _refuse(code: str, message: Any, field: str | None = None) -> DomainError:
    return DomainError(message, code=f"catalog.{code}", fields={field: [message]} if field else None)


def bump_generation() -> None:
    """Invalidate cached search pages and facet counts: called inside every catalog write's
    transaction, so the new generation commits (or rolls back) with the write."""
    if not CatalogGeneration.objects.filter(pk=1).update(value=F("value") + 1, changed_at=timezone.now()):
        CatalogGeneration.objects.create(pk=1, value=1)
    # This worker sees its own write at once (inside the transaction, and after commit or rollback).
    forget_generation()
    transaction.on_commit(forget_generation)


#: DOMAIN.md R1.2 type codes (non-normative, unconfirmed): seeded into the editable dictionary.
ITEM_TYPES: tuple[tuple[str, str, bool], ...] = (
    ("01", "行政许可", True), ("02", "行政处罚", True), ("03", "行政强制", True), ("04", "行政征收", True),
    ("05", "行政给付", True), ("06", "行政检查", True), ("07", "行政确认", True), ("08", "行政奖励", True),
    ("09", "行政裁决", True), ("10", "其他行政权力", True), ("20", "公共服务", False),
)


def item_types_seed() -> int:
    """Create the missing entries of the 事项类型 dictionary (DOMAIN.md R1.1/R1.2), marked
    unconfirmed; existing (possibly edited) entries are left alone. Returns how many were added.
    Actor: the system, after every migrate."""
    existing = set(ItemType.objects.values_list("code", flat=True))
    missing = [ItemType(code=code, name=name, is_power=power, is_confirmed=False, sort_order=index)
               for index, (code, name, power) in enumerate(ITEM_TYPES) if code not in existing]
    ItemType.objects.bulk_create(missing)
    return len(missing)


#: What an administrator sets on an entry of the 事项类型 dictionary.
ITEM_TYPE_FIELDS = ("code", "name", "is_power", "is_confirmed", "sort_order")


def item_type_save(*, by: Actor, item_type_id: Any = None, **values: Any) -> ItemType:
    """Add or change an entry of the 事项类型 dictionary (DOMAIN.md R1.1/R1.2: its name, whether it
    is a 行政权力 type, whether its code is verified, its order) — a system administrator in the
    admin. Refused: an empty name or code (422), a code taken (409 ``catalog.item_type_code_taken``).
    Entries are never deleted (items refer to them). Audited ``catalog.item_type.save``; the
    catalog's cached pages are renewed (:func:`bump_generation`)."""
    unknown = sorted(set(values) - set(ITEM_TYPE_FIELDS))
    if unknown:
        raise _refuse("item_type_invalid", _("该项不能修改。"), unknown[0])
    for name in ("code", "name"):
        if name in values and not str(values[name] or "").strip():
            raise _refuse("item_type_invalid", _("请填写该项。"), name)
    with transaction.atomic():
        found = ItemType() if item_type_id is None else (
            ItemType.objects.select_for_update().filter(pk=item_type_id).first())
        if found is None:
            raise NotFound(_("找不到该事项类型。"), code="item_type_not_found")
        row = found
        code = values.get("code", row.code)
        if ItemType.objects.filter(code=code).exclude(pk=row.pk).exists():
            raise Conflict(_("该类型代码已存在。"), code="catalog.item_type_code_taken")
        before, after = changed_values(row, values)
        if not after and row.pk is not None:
            return row
        for name in after:
            setattr(row, name, values[name])
        row.save()
        audit_record(actor=by, action="catalog.item_type.save", target=row, before=before or None, after=after)
        bump_generation()
    return row


# --- validation -------------------------------------------------------------------------------


def _check_choice(value: Any, allowed: Iterable[Any], field: str) -> None:
    if value not in set(allowed):
        raise _refuse("bad_choice", _("“%(value)s”不是有效的选项。") % {"value": value}, field)


def _check_limit(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse("bad_limit", _("办结时限必须是整数天数。"), field)
    if value < 0:
        raise _refuse("negative_limit", _("办结时限不能为负数。"), field)
    if value > 3650:
        raise _refuse("bad_limit", _("办结时限不能超过3650天。"), field)
    return value


def _clean_multi(value: Any, allowed: Iterable[str], field: str, code: str) -> str:
    """A ``^``-joined multi-select value from a list or a ``3^4^5`` string, in canonical order."""
    items = [v for v in value.split("^") if v] if isinstance(value, str) else list(value or [])
    allowed_list = list(allowed)
    for v in items:
        if v not in allowed_list:
            raise _refuse(code, _("“%(value)s”不是有效的选项。") % {"value": v}, field)
    if len(set(items)) != len(items):
        raise _refuse(code, _("选项不能重复。"), field)
    return "^".join(sorted(items, key=allowed_list.index))


_PERSONAL_PROBLEMS: dict[str, Any] = {
    "personal_field_not_string": _("网上申请表字段“%(name)s”标记为个人信息，其 type 必须为 string。"),
    "personal_kind_unknown": _("网上申请表字段“%(name)s”的 x-personal 取值无效（可为 name、id-number、phone、"
                               "address、other 或 true/false）。"),
    "unmarked_personal_field": _("网上申请表字段“%(name)s”看似身份证号码或电话号码：请标注 format（cn-resident-id、"
                                 "cn-mobile）或 x-personal；确非个人信息的请标注 \"x-personal\": false。"),
}


def validate_form_schema(schema: Any) -> dict[str, Any]:
    """The online application form (网上申请表) must be a JSON Schema of an object with properties.

    The structure (``type: object``, ``properties`` mapping names to sub-schemas with a known
    ``type``, ``required`` naming existing properties), the marks of its personal fields
    (``personal_fields``: a ``format`` of ``cn-resident-id``/``cn-mobile`` or ``x-personal`` on
    string fields; a field named like an ID number or a phone must carry one, 个人信息保护法
    art. 51), the pre-fill mappings (``x-prefill``: ``{"resource": <sharing resource code>,
    "field": <resource field>}``, issue #13 part 5), and then the whole schema against the JSON
    Schema 2020-12 meta-schema (``jsonschema``); an empty schema means "no online form".
    """
    if schema in (None, {}):
        return {}
    message = _("网上申请表必须是 JSON Schema 对象（type 为 object，并含 properties）。")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise _refuse("bad_form_schema", message, "form_schema")
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        raise _refuse("bad_form_schema", message, "form_schema")
    for name, sub in props.items():
        if not isinstance(sub, dict) or sub.get("type") not in _JSON_SCHEMA_TYPES:
            raise _refuse("bad_form_schema",
                          _("网上申请表字段“%(name)s”缺少有效的 type。") % {"name": name}, "form_schema")
    required = schema.get("required", [])
    if not isinstance(required, list) or any(r not in props for r in required):
        raise _refuse("bad_form_schema", _("网上申请表的 required 只能列出已定义的字段。"), "form_schema")
    for name, problem in marking_problems(schema):  # personal fields are declared (issue #9)
        raise _refuse("bad_form_schema", _PERSONAL_PROBLEMS[problem] % {"name": name}, "form_schema")
    for name, sub in props.items():  # pre-fill from a shared register (issue #13 part 5)
        mapping = sub.get(PREFILL_KEYWORD)
        if mapping is not None and not (
                isinstance(mapping, dict) and set(mapping) <= {"resource", "field"}
                and isinstance(mapping.get("field"), str) and mapping["field"].strip()
                and isinstance(mapping.get("resource"), str) and _RESOURCE_CODE.match(mapping["resource"])):
            raise _refuse("bad_form_schema", _("网上申请表字段“%(name)s”的 x-prefill 须为含 resource（共享数据资源"
                                               "编码）和 field（数据项名称）的对象。") % {"name": name}, "form_schema")
    try:
        # The whole schema against the JSON Schema 2020-12 meta-schema: case forms are rendered and
        # validated from it (issue #3), so a bad keyword must be refused here, not at an applicant.
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path) or "(root)"
        raise _refuse("bad_form_schema", _("网上申请表不是有效的 JSON Schema：%(where)s：%(error)s")
                      % {"where": where, "error": exc.message}, "form_schema") from None
    return schema


def clean_content(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the content of a version (DOMAIN.md §1) and return it normalized.

    Refusals: empty name, unknown type or enumeration value, negative or non-integer limits,
    promised limit above the statutory one in the same unit (R1.4, local rule), bad fee, bad depth
    codes, 全程网办 with on-site visits (R1.6: level Ⅳ needs 到现场次数 = 0), bad channels, bad
    form schema.
    """
    unknown = set(data) - set(CONTENT_FIELDS)
    if unknown:
        raise _refuse("unknown_field", _("不能修改字段：%(names)s。") % {"names": ", ".join(sorted(unknown))})
    c = dict(data)
    name = " ".join(str(c.get("name") or "").split())
    if not name:
        raise _refuse("name_required", _("事项名称不能为空。"), "name")
    if len(name) > 200:
        raise _refuse("name_too_long", _("事项名称不能超过200个字。"), "name")
    c["name"] = name
    _check_choice(c.get("category"), Category.values, "category")
    item_type = c.get("item_type")
    if not isinstance(item_type, ItemType):
        found = ItemType.objects.filter(code=str(item_type or "")).first()
        if found is None:
            raise _refuse("unknown_type", _("未知的事项类型：%(code)s。") % {"code": item_type}, "item_type")
        c["item_type"] = found
    c.setdefault("handling_type", HandlingType.PROMISED)
    _check_choice(c["handling_type"], HandlingType.values, "handling_type")
    for field in ("statutory_unit", "promised_unit"):
        c.setdefault(field, DayUnit.WORKING)
        _check_choice(c[field], DayUnit.values, field)
    c["statutory_limit"] = _check_limit(c.get("statutory_limit"), "statutory_limit")
    c["promised_limit"] = _check_limit(c.get("promised_limit"), "promised_limit")
    if (c["statutory_limit"] is not None and c["promised_limit"] is not None
            and c["statutory_unit"] == c["promised_unit"] and c["promised_limit"] > c["statutory_limit"]):
        raise _refuse("promised_exceeds_statutory",
                      _("承诺办结时限（%(p)s天）不能超过法定办结时限（%(s)s天）。")
                      % {"p": c["promised_limit"], "s": c["statutory_limit"]}, "promised_limit")
    if c["handling_type"] == HandlingType.IMMEDIATE and c["promised_limit"] not in (None, 0):
        raise _refuse("immediate_with_limit", _("即办件当场办结，承诺时限应为0或不填。"), "promised_limit")
    c["fee_free"] = bool(c.get("fee_free", True))
    amount = c.get("fee_amount")
    if amount not in (None, ""):
        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            raise _refuse("bad_fee", _("收费金额必须是数字。"), "fee_amount") from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e8"):
            raise _refuse("bad_fee", _("收费金额不能为负数。"), "fee_amount")
        c["fee_amount"] = amount.quantize(Decimal("0.01"))
    else:
        c["fee_amount"] = None
    if c["fee_free"] and c["fee_amount"]:
        raise _refuse("bad_fee", _("不收费的事项不能填写收费金额。"), "fee_amount")
    if not c["fee_free"] and not (c.get("fee_text") or c["fee_amount"] is not None):
        raise _refuse("fee_required", _("收费事项须写明收费标准或金额。"), "fee_text")
    depth = c.setdefault("depth_level", DepthLevel.NONE)
    _check_choice(depth, DepthLevel.values, "depth_level")
    c["depth_codes"] = _clean_multi(c.get("depth_codes", ""), DepthCode.values, "depth_codes", "bad_depth_codes")
    c["channels"] = _clean_multi(c.get("channels", Channel.WINDOW), Channel.values, "channels", "bad_channel")
    if not c["channels"]:
        raise _refuse("bad_channel", _("至少需要一个办理渠道。"), "channels")
    visits = c.setdefault("on_site_visits", 0 if depth == DepthLevel.IV else 1)
    if isinstance(visits, bool) or not isinstance(visits, int) or visits < 0 or visits > 9:
        raise _refuse("bad_visits", _("到现场次数必须是0到9之间的整数。"), "on_site_visits")
    fully = c["fully_online"] = bool(c.get("fully_online", depth == DepthLevel.IV))
    if (fully or depth == DepthLevel.IV) and visits != 0:
        raise _refuse("fully_online_visits", _("全程网上办理的事项到现场次数必须为0。"), "on_site_visits")
    if depth == DepthLevel.IV and not fully:
        raise _refuse("depth_mismatch", _("Ⅳ级深度即全程网办，须同时标记全程网上办理。"), "fully_online")
    if fully and Channel.ONLINE not in c["channels"].split("^"):
        raise _refuse("depth_mismatch", _("全程网上办理的事项须开通网上办理渠道。"), "channels")
    c["form_schema"] = validate_form_schema(c.get("form_schema"))
    valid_from = c.get("valid_from") or timezone.localdate()
    if not isinstance(valid_from, datetime.date):
        raise _refuse("bad_date", _("生效日期无效。"), "valid_from")
    c["valid_from"] = valid_from
    for text_field, limit in (("legal_basis", 5000), ("statutory_note", 500), ("promised_note", 500),
                              ("fee_text", 500), ("on_site_reason", 500), ("change_note", 500)):
        c[text_field] = str(c.get(text_field) or "").strip()[:limit]
    return c


#: A sharing resource code as the sharing catalogue allocates it (``<department code>-<4 digits>``):
#: letters, digits and hyphens, at most 40 characters (only the code is stored, catalog sits below sharing).
_RESOURCE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")


def _clean_resource_code(value: Any, field: str) -> str:
    code = str(value or "").strip()
    if code and not _RESOURCE_CODE.match(code):
        raise _refuse("bad_shared_resource", _("共享数据资源编码“%(code)s”无效（字母、数字和连字符，最多40位）。")
                      % {"code": code[:60]}, field)
    return code


def clean_materials(materials: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate 申请材料 rows: a name, a known form (原件/复印件 …), at least one copy, and an optional
    ``shared_resource`` — the code of the sharing resource whose data proves the material
    (可免交（已共享）, issue #13 part 5)."""
    cleaned: list[dict[str, Any]] = []
    for index, raw in enumerate(materials):
        row = dict(raw)
        name = " ".join(str(row.get("name") or "").split())
        if not name:
            raise _refuse("material_name_required", _("材料名称不能为空。"), f"materials.{index}.name")
        form = row.get("form", MaterialForm.ORIGINAL)
        _check_choice(form, MaterialForm.values, f"materials.{index}.form")
        copies = row.get("copies", 1)
        if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= 99:
            raise _refuse("bad_copies", _("材料份数必须是1到99之间的整数。"), f"materials.{index}.copies")
        cleaned.append({"name": name[:300], "form": form, "copies": copies,
                        "required": bool(row.get("required", True)),
                        "note": str(row.get("note") or "")[:500], "sort": index,
                        "shared_resource": _clean_resource_code(row.get("shared_resource"),
                                                                f"materials.{index}.shared_resource")})
    return cleaned


def _content_of(version: ItemVersion) -> dict[str, Any]:
    return {f: getattr(version, f) for f in CONTENT_FIELDS}


def _materials_of(version: ItemVersion) -> list[dict[str, Any]]:
    return [{"name": m.name, "form": m.form, "copies": m.copies, "required": m.required, "note": m.note,
             "shared_resource": m.shared_resource} for m in version.materials.all()]


def _with_shared(materials: list[dict[str, Any]], shared: Mapping[str, str]) -> list[dict[str, Any]]:
    """``materials`` with ``shared_resource`` set (or cleared, with "") for the materials named in
    ``shared`` (material name -> resource code); a name the version does not have is refused."""
    names = {m["name"] for m in materials}
    for index, name in enumerate(shared):
        if name not in names:
            raise _refuse("material_unknown", _("该事项没有材料“%(name)s”。") % {"name": name},
                          f"shared_materials.{index}")
    return [{**m, "shared_resource": shared[m["name"]]} if m["name"] in shared else m for m in materials]


def _summary(version: ItemVersion) -> dict[str, Any]:
    return {"number": version.number, "name": version.name, "status": version.status,
            "statutory_limit": version.statutory_limit, "promised_limit": version.promised_limit,
            "depth_level": version.depth_level, "fully_online": version.fully_online}


def _audit(by: Actor, action: str, item: ServiceItem, before: dict[str, Any] | None,
           after: dict[str, Any] | None, role: str = "") -> None:
    audit_record(actor=by, action=action, target=item, before=before, after=after, role=role)


def guard(by: Actor, department: Department, action: str, status: str | None = None) -> str:
    """Refuse an action that the actor or the item's status does not allow, before anything is
    written: 403 ``item_action_forbidden`` when ``by`` holds none of ``workflow.ACTORS[action]``
    for an item of ``department``; 409 ``item_illegal_transition`` when a legal actor meets a
    ``status`` the table does not allow (``None``: publishing, which has no source status).
    Returns the role the actor acts in, for the audit entry ('' for the system)."""
    kinds = permissions.actor_kinds(by, department) & workflow.ACTORS[action]
    label = ItemAction(action).label
    if not kinds:
        raise PermissionDenied(_("您无权对该事项执行“%(action)s”。") % {"action": label},
                               code="item_action_forbidden")
    if status is not None and not workflow.allowed(status, action):
        raise Conflict(_("事项当前状态为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": ItemStatus(status).label, "action": label}, code="item_illegal_transition")
    return next((kind for kind in ("system_admin", "department_admin") if kind in kinds), "")


# --- writes -----------------------------------------------------------------------------------


def _add_version(*, by: Actor, item: ServiceItem, number: int, content: dict[str, Any],
                 materials: list[dict[str, Any]], status: str, status_reason: str,
                 status_date: datetime.date | None) -> ItemVersion:
    version = ItemVersion(item=item, number=number, status=status, status_reason=status_reason,
                          status_date=status_date,
                          created_by=as_user(by), **content)
    version.save()
    Material.objects.bulk_create(Material(version=version, **m) for m in materials)
    pinyin, initials = name_search_keys(version.name)
    item.current_version = version
    item.name, item.name_pinyin, item.name_initials = version.name, pinyin, initials
    item.item_type, item.category = version.item_type, version.category
    item.depth_level, item.fully_online, item.status = version.depth_level, version.fully_online, status
    item.save()
    bump_generation()
    return version


def item_create(*, by: Actor, code: str, basic_code: str, department: Department | str,
                region: Region | str, level: str, materials: Iterable[Mapping[str, Any]] = (),
                sort_order: int = 1000, **content: Any) -> ServiceItem:
    """Publish a new implementation item (实施清单事项) with version 1, in force (action ``publish``).

    Actor: a department admin of ``department``, a system admin (the Django admin) or the system
    (an import); anyone else 403 ``item_action_forbidden`` (``workflow.ACTORS``). Codes are stored
    as given and only their lengths are validated (DOMAIN.md R1.3: 实施编码 ≤36, 基本编码 ≤12); the
    basic item is found by its code or created from this item's name, type and category.
    """
    code = (code or "").strip()
    basic_code = (basic_code or "").strip()
    if not code or len(code) > 36 or not code.isascii() or not code.isalnum():
        raise _refuse("bad_code", _("实施编码须为1到36位字母或数字。"), "code")
    if not basic_code or len(basic_code) > 12 or not basic_code.isascii() or not basic_code.isalnum():
        raise _refuse("bad_basic_code", _("基本编码须为1到12位字母或数字。"), "basic_code")
    _check_choice(level, Level.values, "level")
    if not isinstance(department, Department):
        found_dept = Department.objects.filter(code=str(department)).first()
        if found_dept is None:
            raise _refuse("unknown_department", _("未知的实施部门：%(code)s。") % {"code": department},
                          "department")
        department = found_dept
    if not isinstance(region, Region):
        found_region = Region.objects.filter(code=str(region)).first()
        if found_region is None:
            raise _refuse("unknown_region", _("未知的行政区划：%(code)s。") % {"code": region}, "region")
        region = found_region
    role = guard(by, department, ItemAction.PUBLISH)
    if region.level != level:
        raise _refuse("region_level_mismatch", _("实施区划的层级与事项层级不一致。"), "region")
    cleaned = clean_content(content)
    cleaned_materials = clean_materials(materials)
    district = {Level.CITY: None, Level.DISTRICT: region, Level.STREET: region.parent}[Level(level)]
    try:
        with transaction.atomic():
            basic, _created = BasicItem.objects.get_or_create(
                code=basic_code, defaults={"name": cleaned["name"], "item_type": cleaned["item_type"],
                                           "category": cleaned["category"]})
            if ServiceItem.objects.filter(code=code).exists():
                raise Conflict(_("实施编码 %(code)s 已存在。") % {"code": code}, code="catalog.duplicate_code",
                               fields={"code": [_("实施编码已存在。")]})
            item = ServiceItem.objects.create(
                code=code, basic_item=basic, department=department, region=region, district=district,
                level=level, level_rank=LEVEL_RANK[Level(level)], sort_order=sort_order,
                name=cleaned["name"], item_type=cleaned["item_type"], category=cleaned["category"])
            version = _add_version(by=by, item=item, number=1, content=cleaned, materials=cleaned_materials,
                                   status=workflow.PUBLISHED, status_reason="", status_date=None)
            _audit(by, "catalog.item_create", item, None, _summary(version), role)
    except IntegrityError:
        raise Conflict(_("该部门在该区划已实施此基本目录事项。"), code="catalog.duplicate_item") from None
    return item


def _locked(item: ServiceItem) -> ServiceItem:
    locked = (ServiceItem.objects.select_for_update(of=("self",)).select_related("current_version")
              .filter(pk=item.pk).first())
    if locked is None or locked.current_version is None:
        raise NotFound(_("找不到该事项。"), code="item_not_found")
    return locked


def item_revise(*, by: Actor, item: ServiceItem, materials: Iterable[Mapping[str, Any]] | None = None,
                shared_materials: Mapping[str, str] | None = None, **changes: Any) -> ItemVersion:
    """Edit an item: a new immutable version n+1 with the changes applied (old versions stay).

    Actor: see ``workflow.ACTORS`` (403 ``item_action_forbidden``). An active or suspended item
    keeps its status; a withdrawn one is never revised (409 ``item_illegal_transition``).
    Materials are replaced when given, else copied. ``shared_materials`` (material name -> sharing
    resource code, "" to clear) marks materials that a shared register proves (可免交（已共享）,
    减材料, issue #13 part 5) in the new version; an unknown material name is refused
    (``catalog.material_unknown``), a malformed code too (``catalog.bad_shared_resource``). A
    revision that changes nothing is refused (``catalog.no_change``). Audited ``catalog.item_revise``.
    """
    with transaction.atomic():
        item = _locked(item)
        current = item.current_version
        assert current is not None
        role = guard(by, item.department, ItemAction.REVISE, current.status)
        merged = {**_content_of(current), **changes}
        merged.setdefault("change_note", "")
        if "change_note" not in changes:
            merged["change_note"] = ""
        if "valid_from" not in changes:
            merged["valid_from"] = timezone.localdate()
        cleaned = clean_content(merged)
        new_materials = clean_materials(materials if materials is not None else _materials_of(current))
        if shared_materials:
            new_materials = clean_materials(_with_shared(new_materials, shared_materials))
        if (all(cleaned[f] == getattr(current, f) for f in CONTENT_FIELDS
                if f not in ("valid_from", "change_note"))
                and new_materials == clean_materials(_materials_of(current))):
            raise _refuse("no_change", _("没有任何修改。"))
        version = _add_version(by=by, item=item, number=current.number + 1, content=cleaned,
                               materials=new_materials, status=current.status,
                               status_reason=current.status_reason, status_date=current.status_date)
        _audit(by, "catalog.item_revise", item, _summary(current), _summary(version), role)
    return version


def _status_change(*, by: Actor, item: ServiceItem, action: ItemAction, reason: str) -> ItemVersion:
    """One status change of ``workflow.TRANSITIONS``: lock, guard, a version with the new status
    and the reason, audit ``catalog.item_<action>`` (one transaction)."""
    reason = " ".join((reason or "").split())
    with transaction.atomic():
        item = _locked(item)
        current = item.current_version
        assert current is not None
        role = guard(by, item.department, action, current.status)
        if not reason:
            raise _refuse("reason_required", _("请填写原因。"), "reason")
        status = workflow.target(current.status, action)
        content = _content_of(current)
        content["valid_from"] = timezone.localdate()
        content["change_note"] = reason[:500]
        version = _add_version(by=by, item=item, number=current.number + 1, content=content,
                               materials=clean_materials(_materials_of(current)), status=status,
                               status_reason=reason[:500], status_date=timezone.localdate())
        _audit(by, f"catalog.item_{action}", item, _summary(current), _summary(version), role)
    return version


def item_suspend(*, by: Actor, item: ServiceItem, reason: str) -> ItemVersion:
    """暂停办理: an active item stops taking applications (new version with status suspended)."""
    return _status_change(by=by, item=item, action=ItemAction.SUSPEND, reason=reason)


def item_restore(*, by: Actor, item: ServiceItem, reason: str) -> ItemVersion:
    """恢复办理: a suspended item takes applications again (withdrawn items cannot come back)."""
    return _status_change(by=by, item=item, action=ItemAction.RESTORE, reason=reason)


def item_withdraw(*, by: Actor, item: ServiceItem, reason: str) -> ItemVersion:
    """取消事项: the item is withdrawn for good (e.g. the licence was abolished, or the centre's
    volume review of the seed article — zero applications for a year — recommends withdrawal)."""
    return _status_change(by=by, item=item, action=ItemAction.WITHDRAW, reason=reason)
