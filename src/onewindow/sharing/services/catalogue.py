"""Services of the data-resource catalogue (政务数据资源目录): create, draft, publish, withdraw.

Rule (《上海市政务数据资源共享管理办法》; 国发〔2016〕51号, number to be checked): a department
publishes each data resource it holds with its fields (and which are personal), the sharing class
(无条件 / 有条件 with the conditions / 不予共享 with the legal basis), the update frequency, the
legal basis and a contact. The catalogue is versioned: a published version is immutable and its
terms carry a digest; a change is drafted as the next version and published in turn.

Actor: a 部门管理员 of the provider department (``permissions.is_provider_of``), or the system
(the demo loader, a command). A system admin's login acts for no department and is refused.
Each service checks (403 not allowed, 404 unknown, 422 bad input, 409 wrong state), writes and
audits in one transaction; a refusal writes nothing.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department
from onewindow.core.numbering import next_number

from .. import canonical
from .. import permissions as perms
from ..choices import AdapterKind, FieldType, ResourceKind, ResourceStatus, SharingClass, UpdateFrequency
from ..models import DataResource, ResourceVersion
from ..providers import provider_for

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 200
MAX_RESOURCES_PER_DEPARTMENT = 9999
TEXT_LIMITS = {"name": 200, "contact_name": 50, "contact_phone": 30, "label": 60, "provider": 60,
               "remote_code": 40, "endpoint": 300, "description": 4000, "conditions": 4000,
               "not_shared_basis": 4000, "legal_basis": 4000, "reason": 2000}


def _pk(value: Any) -> Any:
    """The primary key of a model instance, or the value itself (an id)."""
    return getattr(value, "pk", value)


def _invalid(field: str, message: Any, code: str = "sharing_resource_invalid") -> DomainError:
    return DomainError(_("数据资源信息不正确。"), code=code, status=422, fields={field: [message]})


def _text(value: Any, field: str, *, required: bool, multiline: bool = False) -> str:
    raw = str(value or "")
    text = raw.strip() if multiline else " ".join(raw.split())
    if required and not text:
        raise _invalid(field, _("此项必填。"))
    if len(text) > TEXT_LIMITS.get(field, 2000):
        raise _invalid(field, _("内容过长。"))
    return text


def version_terms(version: ResourceVersion) -> dict[str, Any]:
    """The terms of a version whose canonical digest is ``ResourceVersion.digest``: the
    resource's code, kind and provider department code, the version number, and every term a
    consumer relies on (name, description, class, conditions, basis, frequency, fields, contact)."""
    resource = version.resource
    return {
        "resource": resource.code,
        "kind": resource.kind,
        "provider_department": resource.provider_department.code,
        "version": version.number,
        "name": version.name,
        "description": version.description,
        "sharing_class": version.sharing_class,
        "conditions": version.conditions,
        "not_shared_basis": version.not_shared_basis,
        "legal_basis": version.legal_basis,
        "update_frequency": version.update_frequency,
        "fields": [
            {"name": f["name"], "label": f["label"], "type": f["type"], "personal": bool(f.get("personal")),
             "key": bool(f.get("key"))}
            for f in version.fields
        ],
        "contact_name": version.contact_name,
        "contact_phone": version.contact_phone,
    }


def clean_fields(value: Any) -> list[dict[str, Any]]:
    """The fields schema, checked: a non-empty list of ``{name, label, type, personal, key}``;
    names unique and ``[a-z][a-z0-9_]*`` (at most 40), labels present, types of
    ``FieldType``, at most one ``key`` field. 422 ``sharing_fields_invalid`` naming the problem."""
    def bad(message: Any) -> DomainError:
        return _invalid("fields", message, code="sharing_fields_invalid")

    if not isinstance(value, (list, tuple)) or not value:
        raise bad(_("请至少填写一个数据项。"))
    if len(value) > MAX_FIELDS:
        raise bad(_("数据项不能超过 %(n)s 个。") % {"n": MAX_FIELDS})
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise bad(_("第 %(n)s 个数据项格式不正确。") % {"n": position})
        name = str(item.get("name") or "").strip()
        if not FIELD_NAME.match(name):
            raise bad(_("第 %(n)s 个数据项的名称应以小写字母开头，由小写字母、数字和下划线组成，最多 40 位。")
                      % {"n": position})
        if name in seen:
            raise bad(_("数据项名称“%(name)s”重复。") % {"name": name})
        seen.add(name)
        label = " ".join(str(item.get("label") or "").split())
        if not label or len(label) > TEXT_LIMITS["label"]:
            raise bad(_("数据项“%(name)s”须有不超过 60 字的中文名称。") % {"name": name})
        kind = str(item.get("type") or "")
        if kind not in FieldType.values:
            raise bad(_("数据项“%(name)s”的类型不正确。") % {"name": name})
        flags = {}
        for flag in ("personal", "key"):
            raw = item.get(flag, False)
            if not isinstance(raw, bool):
                raise bad(_("数据项“%(name)s”的标记应为是或否。") % {"name": name})
            flags[flag] = raw
        clean.append({"name": name, "label": label, "type": kind, **flags})
    if sum(1 for f in clean if f["key"]) > 1:
        raise bad(_("最多只能有一个查询键数据项。"))
    return clean


def _require_provider(by: Actor, department_id: int) -> Any:
    """The acting user (None for the system), if it administers the provider department."""
    if is_system(by):
        return None
    user = account_perms.as_user(by)
    if user is None or not perms.is_provider_of(user, department_id):
        raise PermissionDenied(_("只有提供部门的部门管理员可以维护本部门的数据资源。"),
                               code="sharing_resource_forbidden")
    return user


def _lock_resource(resource: DataResource | Any) -> DataResource:
    pk = _pk(resource)
    locked = (DataResource.objects.select_for_update(of=("self",)).select_related("provider_department")
              .filter(pk=pk).first())
    if locked is None:
        raise NotFound(_("找不到该数据资源。"), code="sharing_resource_not_found")
    return locked


def _check_target(adapter: str, provider: str, endpoint: str, remote_code: str) -> None:
    if adapter == AdapterKind.IN_PROCESS:
        if not provider:
            raise _invalid("provider", _("请填写本平台提供者名称。"), code="sharing_provider_unknown")
        if provider_for(provider) is None:
            raise _invalid("provider", _("本平台没有名为“%(name)s”的数据提供者。") % {"name": provider},
                           code="sharing_provider_unknown")
        return
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _invalid("endpoint", _("请填写以 http:// 或 https:// 开头的对端交换地址。"))
    if not remote_code:
        raise _invalid("remote_code", _("请填写对端资源编码。"))


def _as_audit(version: ResourceVersion) -> dict[str, Any]:
    return {"number": version.number, "name": version.name, "sharing_class": version.sharing_class,
            "fields": [f["name"] for f in version.fields], "digest": version.digest}


@transaction.atomic
def resource_create(*, by: Actor, provider_department: Department, kind: str, adapter: str = AdapterKind.IN_PROCESS,
                    provider: str = "", endpoint: str = "", remote_code: str = "") -> DataResource:
    """Register a new data resource of ``provider_department`` (a draft until its first version
    is published), with the next code ``<department code>-<4 digits>`` of that department
    (gap-free, ``core.numbering`` scope ``sharing-resource-<department code>``). An in-process
    resource names a provider registered in ``sharing.providers``; an HTTP one the other side's
    exchange endpoint and its code there."""
    user = _require_provider(by, provider_department.pk)
    if kind not in ResourceKind.values:
        raise _invalid("kind", _("请选择数据集或查询服务。"))
    if adapter not in AdapterKind.values:
        raise _invalid("adapter", _("请选择交换方式。"))
    provider = _text(provider, "provider", required=False) if adapter == AdapterKind.IN_PROCESS else ""
    endpoint = _text(endpoint, "endpoint", required=False) if adapter == AdapterKind.HTTP else ""
    remote_code = _text(remote_code, "remote_code", required=False) if adapter == AdapterKind.HTTP else ""
    _check_target(adapter, provider, endpoint, remote_code)
    serial = next_number(f"sharing-resource-{provider_department.code}")
    if serial > MAX_RESOURCES_PER_DEPARTMENT:
        raise Conflict(_("本部门的资源编码已用尽。"), code="sharing_resource_codes_exhausted")
    resource = DataResource.objects.create(
        code=f"{provider_department.code}-{serial:04d}", provider_department=provider_department, kind=kind,
        adapter=adapter, provider=provider, endpoint=endpoint, remote_code=remote_code, created_by=user,
    )
    audit_record(actor=by, action="sharing.resource_create", target=resource,
                 after={"code": resource.code, "kind": kind, "adapter": adapter, "provider": provider,
                        "endpoint": endpoint, "remote_code": remote_code})
    return resource


@transaction.atomic
def version_draft(*, by: Actor, resource: DataResource, name: str, description: str = "", sharing_class: str,
                  conditions: str = "", not_shared_basis: str = "", legal_basis: str, update_frequency: str,
                  fields: Any, contact_name: str, contact_phone: str) -> ResourceVersion:
    """Write the terms of the resource's next version: edits the open draft (the unpublished
    version) or creates version ``n + 1``. 有条件共享 needs the conditions, 不予共享 the legal
    basis for not sharing; an in-process resource's fields must be ones its provider answers."""
    locked = _lock_resource(resource)
    user = _require_provider(by, locked.provider_department_id)
    if locked.status == ResourceStatus.WITHDRAWN:
        raise Conflict(_("该数据资源已撤销，不能再修改。"), code="sharing_resource_withdrawn")
    if sharing_class not in SharingClass.values:
        raise _invalid("sharing_class", _("请选择共享类型。"))
    if update_frequency not in UpdateFrequency.values:
        raise _invalid("update_frequency", _("请选择更新周期。"))
    terms: dict[str, Any] = {
        "name": _text(name, "name", required=True),
        "description": _text(description, "description", required=False, multiline=True),
        "sharing_class": sharing_class,
        "conditions": _text(conditions, "conditions", required=sharing_class == SharingClass.CONDITIONAL,
                            multiline=True),
        "not_shared_basis": _text(not_shared_basis, "not_shared_basis",
                                  required=sharing_class == SharingClass.NOT_SHARED, multiline=True),
        "legal_basis": _text(legal_basis, "legal_basis", required=True, multiline=True),
        "update_frequency": update_frequency,
        "fields": clean_fields(fields),
        "contact_name": _text(contact_name, "contact_name", required=True),
        "contact_phone": _text(contact_phone, "contact_phone", required=True),
    }
    if sharing_class != SharingClass.CONDITIONAL:
        terms["conditions"] = ""
    if sharing_class != SharingClass.NOT_SHARED:
        terms["not_shared_basis"] = ""
    _check_provider_fields(locked, terms["fields"])
    draft = locked.versions.filter(published_at__isnull=True).order_by("-number").first()
    if draft is None:
        last = locked.versions.order_by("-number").values_list("number", flat=True).first() or 0
        draft = ResourceVersion.objects.create(resource=locked, number=last + 1, created_by=user, **terms)
        action = "sharing.version_create"
    else:
        for key, value in terms.items():
            setattr(draft, key, value)
        draft.save()
        action = "sharing.version_update"
    audit_record(actor=by, action=action, target=draft, after=_as_audit(draft))
    return draft


def _check_provider_fields(resource: DataResource, fields: list[dict[str, Any]]) -> None:
    if resource.adapter != AdapterKind.IN_PROCESS:
        return
    provider = provider_for(resource.provider)
    if provider is None:
        raise _invalid("provider", _("本平台没有名为“%(name)s”的数据提供者。") % {"name": resource.provider},
                       code="sharing_provider_unknown")
    unknown = [f["name"] for f in fields if f["name"] not in provider.fields]
    if unknown:
        raise _invalid("fields", _("提供者“%(provider)s”不提供以下数据项：%(names)s。")
                       % {"provider": provider.name, "names": "、".join(unknown)}, code="sharing_fields_invalid")


@transaction.atomic
def version_publish(*, by: Actor, version: ResourceVersion) -> ResourceVersion:
    """Publish a drafted version: its digest is fixed, it becomes immutable and the resource's
    current version (the resource is published). Grants already made keep their fields; requests
    from now on are made against this version."""
    locked = _lock_resource(version.resource_id)
    user = _require_provider(by, locked.provider_department_id)
    if locked.status == ResourceStatus.WITHDRAWN:
        raise Conflict(_("该数据资源已撤销，不能再发布。"), code="sharing_resource_withdrawn")
    draft = ResourceVersion.objects.select_for_update().filter(pk=version.pk, resource=locked).first()
    if draft is None:
        raise NotFound(_("找不到该资源目录版本。"), code="sharing_version_not_found")
    if draft.published_at is not None:
        raise Conflict(_("该版本已发布，不能重复发布。"), code="sharing_version_already_published")
    _check_provider_fields(locked, cast(list[dict[str, Any]], draft.fields))
    draft.resource = locked
    draft.digest = canonical.digest(version_terms(draft))
    draft.published_at = timezone.now()
    draft.published_by = user
    draft.save()
    previous = locked.current_id
    locked.current = draft
    locked.status = ResourceStatus.PUBLISHED
    locked.save(update_fields=["current", "status", "updated_at"])
    audit_record(actor=by, action="sharing.version_publish", target=draft,
                 before={"current_version_id": previous}, after=_as_audit(draft))
    return draft


@transaction.atomic
def resource_withdraw(*, by: Actor, resource: DataResource, reason: str) -> DataResource:
    """Withdraw a resource from the catalogue (撤销), with a reason: no new requests, and the
    exchange refuses queries of a resource that is not published. Final."""
    locked = _lock_resource(resource)
    _require_provider(by, locked.provider_department_id)
    text = _text(reason, "reason", required=True, multiline=True)
    if locked.status == ResourceStatus.WITHDRAWN:
        raise Conflict(_("该数据资源已撤销。"), code="sharing_resource_withdrawn")
    before = locked.status
    locked.status = ResourceStatus.WITHDRAWN
    locked.save(update_fields=["status", "updated_at"])
    audit_record(actor=by, action="sharing.resource_withdraw", target=locked, before={"status": before},
                 after={"status": locked.status, "reason": text})
    return locked
