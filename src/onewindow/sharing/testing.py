"""Test helpers of data sharing: departments, staff with sharing roles, resources and grants.

``SharingWorld`` extends the standard principals (``accounts.testing``):

- ``provider`` is ``p.department`` (上海市静安区市场监督管理局, code ``TEST-310106-SCJ``), so
  resource codes look like ``TEST-310106-SCJ-0001``; ``consumer`` is 静安区行政服务中心
  (``TEST-310106-XZFW``), ``outsider`` a third department (徐汇区, ``p.other_department``);
- users (``world.<name>`` or ``world.user(name)``; ``world.client(name)`` logs them in):
  ``provider_admin`` (部门管理员 of the provider; ``p.manager`` is one too), ``provider_clerk``
  (数据报送员 of the provider: reads, cannot publish or approve), ``consumer_admin`` and
  ``consumer_clerk`` (部门管理员 / 数据报送员 of the consumer: requesters),
  ``outsider_admin`` (部门管理员 of the other department), plus the standard ``admin``
  (system admin), ``citizen``, ``clerk`` (受理员 of the provider), ``anonymous``;
- ``sharing_token`` / ``readonly_token``: bearer API tokens owned by ``consumer_admin`` with
  scopes ``sharing:read`` + ``sharing:manage`` / ``sharing:read`` only; ``provider_token`` the
  same for ``provider_admin`` (``world.client("token")``, ``"readonly_token"``,
  ``"provider_token"``); ``system_token`` has both scopes and no owner (403 ``token_without_user``).

Resources and grants (plain functions, usable without the world):

- :func:`register_fake_provider` registers an in-process provider answering fixed rows;
- :func:`make_resource` creates a **published** resource with version 1 (default: a query
  service over :data:`DEFAULT_FIELDS` — a key field, a plain field and a personal field — of the
  fake provider ``test.entity``, 有条件共享);
- :func:`make_grant` creates an approved request and its active grant; returns ``(grant, token)``.

Both write rows directly (no audit, no events): they set up state for tests of *other* services.
Tests of the catalogue and access services themselves call the services.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import User, format_token, hash_token_secret, new_token_parts
from onewindow.accounts.testing import (
    DepartmentFactory,
    Principals,
    StaffRoleFactory,
    UserFactory,
    build_principals,
    make_api_token,
)
from onewindow.core.models import Department, RegionLevel
from onewindow.core.numbering import next_number

from . import canonical
from .choices import (
    AdapterKind,
    GrantStatus,
    Purpose,
    RequestStatus,
    ResourceKind,
    ResourceStatus,
    SharingClass,
    UpdateFrequency,
)
from .models import AccessRequest, DataResource, Grant, ResourceVersion
from .providers import Provider, ProviderAnswer, register_provider

#: A small schema: the key (credit code), a plain field and a personal field.
DEFAULT_FIELDS: list[dict[str, Any]] = [
    {"name": "credit_code", "label": "统一社会信用代码", "type": "credit_code", "personal": False, "key": True},
    {"name": "name", "label": "名称", "type": "string", "personal": False, "key": False},
    {"name": "legal_representative", "label": "法定代表人", "type": "string", "personal": True, "key": False},
]
FAKE_PROVIDER = "test.entity"
#: The rows the fake provider answers by default (one entity).
FAKE_ROWS: list[dict[str, Any]] = [
    {"credit_code": "91310106MA1FL0TEST", "name": "上海静安示例科技有限公司", "legal_representative": "周建国"},
]
SHARING_PRINCIPALS = [
    "anonymous", "citizen", "clerk", "outsider_admin", "provider_clerk", "provider_admin",
    "consumer_clerk", "consumer_admin", "admin", "token", "readonly_token", "provider_token", "system_token",
]

_resource_serial = itertools.count(9000)


def register_fake_provider(name: str = FAKE_PROVIDER, *, fields: list[dict[str, Any]] | None = None,
                           rows: list[dict[str, Any]] | None = None, params: tuple[str, ...] = ("key",),
                           as_of: datetime.datetime | None = None) -> Provider:
    """Register an in-process provider named ``name`` that answers ``rows`` (those whose key
    field equals ``params["key"]`` when given) and return it. Registration replaces an earlier
    provider of the same name; tests that need the registry untouched should restore it."""
    schema = fields if fields is not None else DEFAULT_FIELDS
    answer_rows = list(rows if rows is not None else FAKE_ROWS)
    key = next((f["name"] for f in schema if f.get("key")), None)

    def query(params: dict[str, Any], **_: Any) -> ProviderAnswer:
        wanted = params.get("key")
        found = [r for r in answer_rows if wanted is None or key is None or r.get(key) == wanted]
        return ProviderAnswer(rows=[dict(r) for r in found], as_of=as_of)

    provider = Provider(name=name, fields=tuple(f["name"] for f in schema), params=params, query=query,
                        description="测试提供者")
    register_provider(provider)
    return provider


def version_terms_digest(version: ResourceVersion) -> str:
    """The digest a published version carries (the same terms ``services.catalogue`` hashes)."""
    from .services.catalogue import version_terms

    return canonical.digest(version_terms(version))


def make_resource(
    provider_department: Department,
    *,
    fields: list[dict[str, Any]] | None = None,
    name: str = "测试企业登记信息",
    sharing_class: str = SharingClass.CONDITIONAL,
    kind: str = ResourceKind.QUERY,
    provider: str = FAKE_PROVIDER,
    adapter: str = AdapterKind.IN_PROCESS,
    endpoint: str = "",
    remote_code: str = "",
    code: str = "",
    by: User | None = None,
    **terms: Any,
) -> DataResource:
    """A published resource of ``provider_department`` with version 1 holding ``fields``
    (default :data:`DEFAULT_FIELDS`). ``terms`` override the version's other columns
    (``conditions``, ``not_shared_basis``, ``legal_basis``, ``update_frequency``,
    ``description``, ``contact_name``, ``contact_phone``). Sensible defaults satisfy the class
    rules (conditions for 有条件, a basis for 不予共享)."""
    values: dict[str, Any] = {
        "description": "测试用数据资源",
        "conditions": "仅用于政务服务办件" if sharing_class == SharingClass.CONDITIONAL else "",
        "not_shared_basis": (
            "《中华人民共和国个人信息保护法》第十三条" if sharing_class == SharingClass.NOT_SHARED else ""
        ),
        "legal_basis": "《上海市公共数据管理办法》",
        "update_frequency": UpdateFrequency.DAILY,
        "contact_name": "王主任",
        "contact_phone": "021-12345678",
    }
    values.update(terms)
    with transaction.atomic():
        resource = DataResource.objects.create(
            code=code or f"{provider_department.code}-{next(_resource_serial):04d}",
            provider_department=provider_department,
            kind=kind,
            adapter=adapter,
            provider=provider if adapter == AdapterKind.IN_PROCESS else "",
            endpoint=endpoint,
            remote_code=remote_code,
            created_by=by,
        )
        version = ResourceVersion.objects.create(
            resource=resource, number=1, name=name, sharing_class=sharing_class,
            fields=[dict(f) for f in (fields if fields is not None else DEFAULT_FIELDS)], created_by=by, **values,
        )
        version.digest = version_terms_digest(version)
        version.published_at = timezone.now()
        version.published_by = by
        ResourceVersion.objects.filter(pk=version.pk).update(digest=version.digest,
                                                             published_at=version.published_at,
                                                             published_by=by)
        resource.current = version
        resource.status = ResourceStatus.PUBLISHED
        resource.save(update_fields=["current", "status"])
    return resource


def make_grant(
    resource: DataResource,
    consumer_department: Department,
    *,
    purpose: str = Purpose.CASE_HANDLING,
    fields: list[str] | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    rate_per_minute: int = 60,
    by: User | None = None,
    revoked: bool = False,
) -> tuple[Grant, str]:
    """An approved request of ``consumer_department`` for ``resource`` and its active grant
    (all the version's fields unless ``fields``; from yesterday for a year unless given);
    returns ``(grant, token)`` with the clear ``ow_<prefix>_<secret>`` token. ``revoked=True``
    makes the grant revoked (reason 测试撤销)."""
    version = resource.current
    assert version is not None, "make_grant needs a published resource"
    today = timezone.localdate()
    start = valid_from or today - datetime.timedelta(days=1)
    end = valid_to or start + datetime.timedelta(days=365)
    chosen = list(fields) if fields is not None else version.field_names
    prefix, secret = new_token_parts()
    now = timezone.now()
    with transaction.atomic():
        year = now.year
        number = f"GX{year}{next_number(f'sharing-request-{year}'):06d}"
        request = AccessRequest.objects.create(
            number=number, resource=resource, version=version, consumer_department=consumer_department,
            purpose=purpose, purpose_text="测试用途", legal_basis="《上海市公共数据管理办法》", fields=chosen,
            valid_from=start, valid_to=end, rate_per_minute=rate_per_minute, status=RequestStatus.APPROVED,
            created_by=by, decided_at=now, decided_by_label="sharing.testing",
        )
        grant = Grant.objects.create(
            request=request, resource=resource, consumer_department=consumer_department, purpose=purpose,
            fields=chosen, valid_from=start, valid_to=end, rate_per_minute=rate_per_minute,
            token_prefix=prefix, token_hash=hash_token_secret(secret),
            status=GrantStatus.REVOKED if revoked else GrantStatus.ACTIVE,
            revoked_at=now if revoked else None, revoke_reason="测试撤销" if revoked else "",
        )
    return grant, format_token(prefix, secret)


@dataclass
class SharingWorld:
    """The standard principals plus a provider and a consumer department (module docstring)."""

    p: Principals
    consumer: Department
    users: dict[str, User] = field(default_factory=dict)
    bearers: dict[str, str] = field(default_factory=dict)

    @property
    def provider(self) -> Department:
        return self.p.department

    @property
    def outsider(self) -> Department:
        return self.p.other_department

    def __getattr__(self, name: str) -> Any:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        return getattr(self.__dict__["p"], name)

    def user(self, name: str) -> User | None:
        """The User behind a principal name (None for anonymous and the tokens)."""
        return self.users.get(name) or self.p.user(name)

    def client(self, name: str) -> Client:
        """A test client acting as ``name`` (one of :data:`SHARING_PRINCIPALS` or the standard ones)."""
        if name in self.bearers:
            return Client(headers={"Authorization": f"Bearer {self.bearers[name]}"})
        if name in self.users:
            client = Client()
            client.force_login(self.users[name])
            return client
        return self.p.client(name)

    def resource(self, **kwargs: Any) -> DataResource:
        """:func:`make_resource` of the provider department."""
        return make_resource(self.provider, **kwargs)

    def grant(self, resource: DataResource, **kwargs: Any) -> tuple[Grant, str]:
        """:func:`make_grant` for the consumer department."""
        return make_grant(resource, self.consumer, **kwargs)


def build_world() -> SharingWorld:
    """Create the sharing world (see the module docstring) and register the fake provider."""
    p = build_principals()
    consumer = DepartmentFactory.create(code="TEST-310106-XZFW", name="上海市静安区行政服务中心",
                                        level=RegionLevel.DISTRICT, region=p.district)
    world = SharingWorld(p=p, consumer=consumer)
    staff = {
        "provider_admin": (StaffRoleKind.DEPARTMENT_ADMIN, p.department),
        "provider_clerk": (StaffRoleKind.DATA_CLERK, p.department),
        "consumer_admin": (StaffRoleKind.DEPARTMENT_ADMIN, consumer),
        "consumer_clerk": (StaffRoleKind.DATA_CLERK, consumer),
        "outsider_admin": (StaffRoleKind.DEPARTMENT_ADMIN, p.other_department),
    }
    for name, (role, department) in staff.items():
        user = UserFactory.create(username=f"sh_{name}", first_name="")
        StaffRoleFactory.create(user=user, role=role, department=department)
        world.users[name] = user
    _t, world.bearers["token"] = make_api_token(
        name="静安区行政服务中心 共享接口", scopes=["sharing:read", "sharing:manage"],
        owner=world.users["consumer_admin"],
    )
    _t, world.bearers["readonly_token"] = make_api_token(
        name="静安区行政服务中心 只读", scopes=["sharing:read"], owner=world.users["consumer_admin"]
    )
    _t, world.bearers["provider_token"] = make_api_token(
        name="静安区市场监管局 共享接口", scopes=["sharing:read", "sharing:manage"],
        owner=world.users["provider_admin"],
    )
    _t, world.bearers["system_token"] = make_api_token(
        name="无主系统", scopes=["sharing:read", "sharing:manage"], system_name="sharing-bridge",
    )
    register_fake_provider()
    return world


@pytest.fixture
def sharing_world(db: None) -> SharingWorld:
    """The sharing test world (see the module docstring)."""
    return build_world()
