"""Writes of the 双告知 mapping table (工商登记后置审批事项目录, DOMAIN.md R5.1 step 1).

Actor: a system admin (the table is platform configuration; ``permissions.may_manage_rules``).
Each service checks (403, 404, 422), writes and audits in one transaction. Rules are never
deleted (notices name the rule they came from): ``is_active`` retires one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.catalog.models import ServiceItem
from onewindow.core.audit import audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department

from .. import permissions as perms
from .. import rules
from ..models import LicenceRule

#: A GB/T 4754-2017 section letter (A–T), a division, group or class code, or a letter and a code.
INDUSTRY_PREFIX = re.compile(r"^(?:[A-T]|[A-T]?[0-9]{2,4})$")
FIELDS = (
    "licence_name",
    "industry_prefixes",
    "keywords",
    "item",
    "department",
    "region_prefix",
    "basis",
    "is_active",
    "sort_order",
)


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(_("双告知规则内容不正确。"), code="licence_rule_invalid", status=422, fields={field: [message]})


def _require_admin(by: Any) -> None:
    if not perms.may_manage_rules(by):
        raise PermissionDenied(_("只有系统管理员可以维护双告知规则。"), code="licence_rule_forbidden")


def _clean(
    *,
    licence_name: str,
    industry_prefixes: str | Iterable[str],
    keywords: str | Iterable[str],
    item_code: str,
    department_id: Any,
    region_prefix: str,
    basis: str,
    is_active: bool,
    sort_order: Any,
) -> dict[str, Any]:
    name = (licence_name or "").strip()
    if not name or len(name) > 100:
        raise _invalid("licence_name", _("请填写许可名称（不超过 100 个字）。"))
    prefixes = [p.upper() for p in rules.parse_list(industry_prefixes)]
    if not all(INDUSTRY_PREFIX.match(p) for p in prefixes):
        raise _invalid("industry_prefixes", _("行业代码前缀应为 GB/T 4754 的门类字母或 2 至 4 位数字代码。"))
    words = rules.parse_list(keywords)
    if any(len(w) > 30 for w in words):
        raise _invalid("keywords", _("每个关键词不超过 30 个字。"))
    if not prefixes and not words:
        raise _invalid("keywords", _("请至少填写一个行业代码前缀或经营范围关键词。"))
    item = None
    if (item_code or "").strip():
        item = ServiceItem.objects.filter(code=item_code.strip()).first()
        if item is None:
            raise _invalid("item_code", _("找不到该事项编码。"))
    department = None
    if department_id not in (None, ""):
        department = Department.objects.filter(pk=as_id(department_id), is_active=True).first()
        if department is None:
            raise _invalid("department_id", _("请选择部门。"))
    region = (region_prefix or "").strip()
    if region and (not region.isdigit() or len(region) > 12):
        raise _invalid("region_prefix", _("区划代码前缀应为数字。"))
    basis = (basis or "").strip()
    if len(basis) > 200:
        raise _invalid("basis", _("设定依据不超过 200 个字。"))
    try:
        order = int(sort_order)
    except (TypeError, ValueError):
        raise _invalid("sort_order", _("排序应为整数。")) from None
    if not 0 <= order <= 100_000:
        raise _invalid("sort_order", _("排序应为整数。"))
    return {
        "licence_name": name,
        "industry_prefixes": prefixes,
        "keywords": words,
        "item": item,
        "department": department,
        "region_prefix": region,
        "basis": basis,
        "is_active": bool(is_active),
        "sort_order": order,
    }


def _summary(rule: LicenceRule) -> dict[str, Any]:
    return {
        "licence_name": rule.licence_name,
        "industry_prefixes": rule.industry_prefixes,
        "keywords": rule.keywords,
        "item": rule.item.code if rule.item_id and rule.item else "",
        "department": rule.department_id,
        "region_prefix": rule.region_prefix,
        "basis": rule.basis,
        "is_active": rule.is_active,
        "sort_order": rule.sort_order,
    }


def licence_rule_create(
    *,
    by: Any,
    licence_name: str,
    industry_prefixes: str | Iterable[str] = (),
    keywords: str | Iterable[str] = (),
    item_code: str = "",
    department_id: Any = None,
    region_prefix: str = "",
    basis: str = "",
    is_active: bool = True,
    sort_order: Any = 100,
) -> LicenceRule:
    """Add a rule: industry prefixes and/or scope keywords → licence (catalog item) → department."""
    _require_admin(by)
    values = _clean(
        licence_name=licence_name,
        industry_prefixes=industry_prefixes,
        keywords=keywords,
        item_code=item_code,
        department_id=department_id,
        region_prefix=region_prefix,
        basis=basis,
        is_active=is_active,
        sort_order=sort_order,
    )
    with transaction.atomic():
        rule = LicenceRule.objects.create(updated_by=account_perms.as_user(by), **values)
        audit_record(
            actor=by,
            action="supervision.licence_rule.create",
            target=rule,
            role=account_perms.primary_role(by),
            after=_summary(rule),
        )
        return rule


def licence_rule_update(
    *,
    by: Any,
    rule_id: Any,
    licence_name: str,
    industry_prefixes: str | Iterable[str] = (),
    keywords: str | Iterable[str] = (),
    item_code: str = "",
    department_id: Any = None,
    region_prefix: str = "",
    basis: str = "",
    is_active: bool = True,
    sort_order: Any = 100,
) -> LicenceRule:
    """Change a rule (the whole rule is given); notices already sent keep what they said."""
    _require_admin(by)
    with transaction.atomic():
        rule = (
            LicenceRule.objects.select_for_update(of=("self",)).select_related("item").filter(pk=as_id(rule_id)).first()
        )
        if rule is None:
            raise NotFound(_("找不到该双告知规则。"), code="licence_rule_not_found")
        values = _clean(
            licence_name=licence_name,
            industry_prefixes=industry_prefixes,
            keywords=keywords,
            item_code=item_code,
            department_id=department_id,
            region_prefix=region_prefix,
            basis=basis,
            is_active=is_active,
            sort_order=sort_order,
        )
        before = _summary(rule)
        for name, value in values.items():
            setattr(rule, name, value)
        rule.updated_by = account_perms.as_user(by)
        rule.save()
        after = _summary(rule)
        audit_record(
            actor=by,
            action="supervision.licence_rule.update",
            target=rule,
            role=account_perms.primary_role(by),
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
        return rule
