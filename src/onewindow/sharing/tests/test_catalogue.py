"""The resource catalogue: create, draft, publish, withdraw; the schema and class rules; who may."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.sharing import canonical
from onewindow.sharing.choices import ResourceStatus, SharingClass
from onewindow.sharing.models import DataResource, ResourceVersion
from onewindow.sharing.selectors import catalogue as sel
from onewindow.sharing.services import catalogue as svc
from onewindow.sharing.testing import DEFAULT_FIELDS, FAKE_PROVIDER, SharingWorld, register_fake_provider

TERMS: dict[str, Any] = {
    "name": "企业登记基本信息", "description": "企业名称与法定代表人", "sharing_class": SharingClass.CONDITIONAL,
    "conditions": "仅用于政务服务办件", "not_shared_basis": "", "legal_basis": "《上海市公共数据管理办法》",
    "update_frequency": "daily", "fields": DEFAULT_FIELDS, "contact_name": "王主任", "contact_phone": "021-12345678",
}


def _create(w: SharingWorld) -> DataResource:
    return svc.resource_create(by=w.provider_admin, provider_department=w.provider, kind="query",
                               provider=FAKE_PROVIDER)


def _state() -> tuple[int, int, int]:
    return DataResource.objects.count(), ResourceVersion.objects.count(), AuditEntry.objects.count()


def test_create_draft_publish(sharing_world: SharingWorld) -> None:
    w = sharing_world
    first = _create(w)
    second = _create(w)
    assert (first.code, second.code) == ("TEST-310106-SCJ-0001", "TEST-310106-SCJ-0002")
    assert first.status == ResourceStatus.DRAFT
    draft = svc.version_draft(by=w.provider_admin, resource=first, **TERMS)
    again = svc.version_draft(by=w.provider_admin, resource=first, **{**TERMS, "name": "企业登记信息"})
    assert again.pk == draft.pk
    assert again.number == 1
    assert again.name == "企业登记信息"
    published = svc.version_publish(by=w.provider_admin, version=again)
    first.refresh_from_db()
    assert first.status == ResourceStatus.PUBLISHED
    assert first.current_id == published.pk
    assert published.digest == canonical.digest(svc.version_terms(published))
    assert published.published_by == w.provider_admin
    nxt = svc.version_draft(by=w.provider_admin, resource=first, **{**TERMS, "sharing_class": "unconditional"})
    assert nxt.number == 2
    assert nxt.conditions == ""
    first.refresh_from_db()
    assert first.current_id == published.pk  # the draft is not in force until published
    assert [a for a in AuditEntry.objects.filter(action__startswith="sharing.").values_list("action", flat=True)
            .order_by("id")] == ["sharing.resource_create", "sharing.resource_create", "sharing.version_create",
                                 "sharing.version_update", "sharing.version_publish", "sharing.version_create"]


def test_published_version_is_immutable(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    before = _state()
    with pytest.raises(DomainError) as err:
        svc.version_publish(by=w.provider_admin, version=resource.current)  # type: ignore[arg-type]
    assert (err.value.code, err.value.status) == ("sharing_version_already_published", 409)
    assert _state() == before


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ([], "至少"),
        ([{"name": "Name", "label": "名称", "type": "string"}], "小写字母"),
        ([{"name": "name", "label": "名称", "type": "string"}, {"name": "name", "label": "又", "type": "string"}],
         "重复"),
        ([{"name": "name", "label": "", "type": "string"}], "名称"),
        ([{"name": "name", "label": "名称", "type": "blob"}], "类型"),
        ([{"name": "name", "label": "名称", "type": "string", "key": True},
          {"name": "credit_code", "label": "代码", "type": "credit_code", "key": True}], "查询键"),
        ([{"name": "name", "label": "名称", "type": "string", "personal": "yes"}], "是或否"),
        ("name", "至少"),
    ],
)
def test_schema_refusals(sharing_world: SharingWorld, fields: Any, fragment: str) -> None:
    w = sharing_world
    resource = _create(w)
    before = _state()
    with pytest.raises(DomainError) as err:
        svc.version_draft(by=w.provider_admin, resource=resource, **{**TERMS, "fields": fields})
    assert (err.value.code, err.value.status) == ("sharing_fields_invalid", 422)
    assert fragment in str(err.value.fields["fields"][0])
    assert _state() == before


def test_fields_outside_the_provider_refused(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = _create(w)
    before = _state()
    extra = [*DEFAULT_FIELDS, {"name": "capital", "label": "注册资本", "type": "decimal"}]
    with pytest.raises(DomainError) as err:
        svc.version_draft(by=w.provider_admin, resource=resource, **{**TERMS, "fields": extra})
    assert err.value.code == "sharing_fields_invalid"
    assert "capital" in str(err.value.fields["fields"][0])
    assert _state() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sharing_class": "conditional", "conditions": " "}, "conditions"),
        ({"sharing_class": "not_shared", "not_shared_basis": ""}, "not_shared_basis"),
        ({"sharing_class": "sometimes"}, "sharing_class"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"update_frequency": "hourly"}, "update_frequency"),
        ({"contact_name": ""}, "contact_name"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_terms_refusals(sharing_world: SharingWorld, change: dict[str, Any], field: str) -> None:
    w = sharing_world
    resource = _create(w)
    before = _state()
    with pytest.raises(DomainError) as err:
        svc.version_draft(by=w.provider_admin, resource=resource, **{**TERMS, **change})
    assert (err.value.code, err.value.status) == ("sharing_resource_invalid", 422)
    assert list(err.value.fields) == [field]
    assert _state() == before


def test_create_refusals(sharing_world: SharingWorld) -> None:
    w = sharing_world
    before = _state()
    cases = [
        ({"provider": "no.such"}, "sharing_provider_unknown"),
        ({"provider": ""}, "sharing_provider_unknown"),
        ({"kind": "table"}, "sharing_resource_invalid"),
        ({"adapter": "http", "endpoint": "ftp://x", "remote_code": "A-0001"}, "sharing_resource_invalid"),
        ({"adapter": "http", "endpoint": "https://peer.example/api", "remote_code": ""}, "sharing_resource_invalid"),
    ]
    for change, code in cases:
        kwargs: dict[str, Any] = {"kind": "query", "provider": FAKE_PROVIDER, **change}
        with pytest.raises(DomainError) as err:
            svc.resource_create(by=w.provider_admin, provider_department=w.provider, **kwargs)
        assert (err.value.code, err.value.status) == (code, 422)
    assert _state() == before
    http = svc.resource_create(by=w.provider_admin, provider_department=w.provider, kind="query", adapter="http",
                               endpoint="https://peer.example/api/v1/sharing/peer/", remote_code="310104-SCJ-0001",
                               provider="ignored")
    assert (http.provider, http.remote_code) == ("", "310104-SCJ-0001")


@pytest.mark.parametrize("who", ["provider_clerk", "consumer_admin", "outsider_admin", "admin", "citizen", "clerk"])
def test_only_the_provider_admin_writes(sharing_world: SharingWorld, who: str) -> None:
    w = sharing_world
    resource = _create(w)
    svc.version_draft(by=w.provider_admin, resource=resource, **TERMS)
    draft = resource.versions.get()
    before = _state()
    actor: Any = w.user(who)
    attempts = [
        lambda: svc.resource_create(by=actor, provider_department=w.provider, kind="query", provider=FAKE_PROVIDER),
        lambda: svc.version_draft(by=actor, resource=resource, **TERMS),
        lambda: svc.version_publish(by=actor, version=draft),
        lambda: svc.resource_withdraw(by=actor, resource=resource, reason="不再提供"),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as err:
            attempt()
        assert (err.value.code, err.value.status) == ("sharing_resource_forbidden", 403)
    assert _state() == before


def test_manager_and_system_may_write(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = svc.resource_create(by=system_actor("sharing.demo"), provider_department=w.provider, kind="dataset",
                                   provider=FAKE_PROVIDER)
    version = svc.version_draft(by=w.manager, resource=resource, **TERMS)
    svc.version_publish(by=system_actor("sharing.demo"), version=version)
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.PUBLISHED
    assert resource.created_by is None


def test_withdraw(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    before = _state()
    with pytest.raises(DomainError) as err:
        svc.resource_withdraw(by=w.provider_admin, resource=resource, reason="  ")
    assert err.value.code == "sharing_resource_invalid"
    assert _state() == before
    svc.resource_withdraw(by=w.provider_admin, resource=resource, reason="数据源停止更新")
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.WITHDRAWN
    entry = AuditEntry.objects.filter(action="sharing.resource_withdraw").get()
    assert entry.after == {"status": "withdrawn", "reason": "数据源停止更新"}
    for attempt in (lambda: svc.resource_withdraw(by=w.provider_admin, resource=resource, reason="again"),
                    lambda: svc.version_draft(by=w.provider_admin, resource=resource, **TERMS)):
        with pytest.raises(DomainError) as err:
            attempt()
        assert (err.value.code, err.value.status) == ("sharing_resource_withdrawn", 409)


def test_catalogue_reads(sharing_world: SharingWorld) -> None:
    w = sharing_world
    register_fake_provider("test.person", fields=[
        {"name": "id_number", "label": "身份证件号码", "type": "id_number", "personal": True, "key": True},
        {"name": "district", "label": "户籍所在区", "type": "region"},
    ])
    entity = w.resource(name="企业登记信息")
    person = w.resource(name="户籍登记信息", provider="test.person", sharing_class="unconditional", kind="dataset",
                        fields=[{"name": "id_number", "label": "身份证件号码", "type": "id_number", "personal": True,
                                 "key": True},
                                {"name": "district", "label": "户籍所在区", "type": "region", "personal": False,
                                 "key": False}])
    draft = _create(w)
    withdrawn = w.resource(name="旧资源")
    svc.resource_withdraw(by=w.provider_admin, resource=withdrawn, reason="停止")
    codes = lambda user, **kw: [r.code for r in sel.resource_list_for(user, **kw)]  # noqa: E731
    assert codes(w.consumer_clerk) == [entity.code, person.code]
    assert codes(w.clerk) == [entity.code, person.code]
    assert codes(w.admin) == [entity.code, person.code]
    assert codes(w.provider_admin) == sorted([entity.code, person.code, draft.code, withdrawn.code])
    assert codes(w.citizen) == []
    assert codes(w.consumer_clerk, q="户籍") == [person.code]
    assert codes(w.consumer_clerk, q="法定代表人") == [entity.code]  # a field label
    assert codes(w.consumer_clerk, q="hjdj") == [person.code]  # pinyin initials
    assert codes(w.consumer_clerk, q="huji") == [person.code]
    assert codes(w.consumer_clerk, q="静安区市场") == [entity.code, person.code]
    assert codes(w.consumer_clerk, sharing_class="unconditional") == [person.code]
    assert codes(w.consumer_clerk, sharing_class="bogus") == []
    assert codes(w.consumer_clerk, kind="dataset") == [person.code]
    assert codes(w.consumer_clerk, department_id=w.outsider.pk) == []
    assert codes(w.consumer_clerk, include_withdrawn=True) == [entity.code, person.code, withdrawn.code]
    with pytest.raises(DomainError) as err:
        sel.resource_detail_for(w.consumer_clerk, draft.code)
    assert (err.value.code, err.value.status) == ("sharing_resource_not_found", 404)
    assert sel.resource_detail_for(w.provider_admin, draft.code) == draft
    version2 = svc.version_draft(by=w.provider_admin, resource=entity, **TERMS)
    assert [v.number for v in sel.version_list_for(w.consumer_clerk, entity)] == [1]
    assert [v.number for v in sel.version_list_for(w.provider_admin, entity)] == [2, 1]
    assert sel.open_draft_for(w.provider_admin, entity) == version2
    assert sel.open_draft_for(w.consumer_admin, entity) is None
