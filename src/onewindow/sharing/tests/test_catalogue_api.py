"""The catalogue API: shapes, and the authorization matrix of every route (each refusal writes nothing)."""

from __future__ import annotations

from typing import Any

from onewindow.core.models import AuditEntry
from onewindow.sharing.models import DataResource, ResourceVersion
from onewindow.sharing.testing import DEFAULT_FIELDS, FAKE_PROVIDER, SharingWorld

BASE = "/api/v1/sharing"
#: The answer of each principal to a read of the catalogue.
READERS: dict[str, tuple[int, str]] = {
    "anonymous": (401, "unauthenticated"),
    "citizen": (403, "sharing_staff_only"),
    "system_token": (403, "token_without_user"),
    "clerk": (200, ""), "outsider_admin": (200, ""), "provider_clerk": (200, ""), "provider_admin": (200, ""),
    "consumer_clerk": (200, ""), "consumer_admin": (200, ""), "admin": (200, ""), "token": (200, ""),
    "readonly_token": (200, ""), "provider_token": (200, ""),
}
#: The answer of each principal to a catalogue write of the provider department.
WRITERS: dict[str, tuple[int, str]] = {
    "anonymous": (401, "unauthenticated"),
    "citizen": (403, "sharing_staff_only"),
    "system_token": (403, "token_without_user"),
    "readonly_token": (403, "insufficient_scope"),
    "clerk": (403, "sharing_resource_forbidden"), "outsider_admin": (403, "sharing_resource_forbidden"),
    "provider_clerk": (403, "sharing_resource_forbidden"), "consumer_clerk": (403, "sharing_resource_forbidden"),
    "consumer_admin": (403, "sharing_resource_forbidden"), "admin": (403, "sharing_resource_forbidden"),
    "token": (403, "sharing_resource_forbidden"),
    "provider_admin": (200, ""), "provider_token": (200, ""),
}
TERMS: dict[str, Any] = {
    "name": "企业登记基本信息", "sharing_class": "conditional", "conditions": "仅用于办件",
    "legal_basis": "《上海市公共数据管理办法》", "update_frequency": "daily", "fields": DEFAULT_FIELDS,
    "contact_name": "王主任", "contact_phone": "021-12345678",
}


def _state() -> tuple[Any, ...]:
    return (DataResource.objects.count(), ResourceVersion.objects.count(), AuditEntry.objects.count(),
            sorted(DataResource.objects.values_list("code", "status", "current_id")),
            sorted(ResourceVersion.objects.values_list("pk", "name", "published_at")))


def _check(w: SharingWorld, expected: dict[str, tuple[int, str]], call: Any) -> None:
    for name, (status, code) in expected.items():
        before = _state()
        response = call(w.client(name))
        assert response.status_code == status, (name, response.content)
        if status != 200:
            assert response.json()["code"] == code, name
            assert _state() == before, name


def test_list_and_detail_shapes(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    body = w.client("consumer_clerk").get(f"{BASE}/resources", {"q": "法定代表人"}).json()
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    assert body["items"] == [{
        "code": resource.code, "kind": "query", "kind_label": "查询服务", "status": "published",
        "status_label": "已发布", "provider_department_id": w.provider.pk,
        "provider_department": "上海市静安区市场监督管理局", "adapter": "in_process", "name": "测试企业登记信息",
        "sharing_class": "conditional", "sharing_class_label": "有条件共享", "current_version": 1,
    }]
    detail = w.client("token").get(f"{BASE}/resources/{resource.code}").json()
    assert detail["current"]["digest"] == resource.current.digest  # type: ignore[union-attr]
    assert [f["name"] for f in detail["current"]["fields"] if f["personal"]] == ["legal_representative"]
    assert [v["number"] for v in detail["versions"]] == [1]
    bad = w.client("token").get(f"{BASE}/resources", {"sharing_class": "some"})
    assert (bad.status_code, bad.json()["code"], list(bad.json()["fields"])) == (422, "invalid_filter",
                                                                                  ["sharing_class"])
    missing = w.client("token").get(f"{BASE}/resources/NO-SUCH-0001")
    assert (missing.status_code, missing.json()["code"]) == (404, "sharing_resource_not_found")


def test_read_matrix(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    _check(w, READERS, lambda c: c.get(f"{BASE}/resources"))
    _check(w, READERS, lambda c: c.get(f"{BASE}/resources/{resource.code}"))


def test_draft_hidden_from_other_departments(sharing_world: SharingWorld) -> None:
    w = sharing_world
    created = w.client("provider_admin").post(f"{BASE}/resources", {"kind": "dataset", "provider": FAKE_PROVIDER},
                                              content_type="application/json")
    assert created.status_code == 200
    code = created.json()["code"]
    assert code == "TEST-310106-SCJ-0001"
    for name in ("consumer_admin", "outsider_admin", "admin", "token"):
        response = w.client(name).get(f"{BASE}/resources/{code}")
        assert (response.status_code, response.json()["code"]) == (404, "sharing_resource_not_found"), name
    assert w.client("provider_token").get(f"{BASE}/resources/{code}").status_code == 200


def test_create_matrix(sharing_world: SharingWorld) -> None:
    w = sharing_world
    payload = {"provider_department_id": w.provider.pk, "kind": "query", "provider": FAKE_PROVIDER}
    _check(w, WRITERS, lambda c: c.post(f"{BASE}/resources", payload, content_type="application/json"))
    assert DataResource.objects.count() == 2  # provider_admin and provider_token
    bad = w.client("provider_admin").post(f"{BASE}/resources", {**payload, "provider": "no.such"},
                                          content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (422, "sharing_provider_unknown")


def test_draft_publish_withdraw_matrix(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    url = f"{BASE}/resources/{resource.code}"
    _check(w, WRITERS, lambda c: c.post(f"{url}/versions", TERMS, content_type="application/json"))
    assert list(resource.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
    _check(w, {**WRITERS, "provider_token": (409, "sharing_version_no_draft")},
           lambda c: c.post(f"{url}/publish", content_type="application/json"))
    resource.refresh_from_db()
    assert resource.current.number == 2  # type: ignore[union-attr]
    _check(w, {**WRITERS, "provider_token": (409, "sharing_resource_withdrawn")},
           lambda c: c.post(f"{url}/withdraw", {"reason": "停止提供"}, content_type="application/json"))
    resource.refresh_from_db()
    assert resource.status == "withdrawn"


def test_draft_refusal_is_field_shaped(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    before = _state()
    response = w.client("provider_admin").post(
        f"{BASE}/resources/{resource.code}/versions",
        {**TERMS, "fields": [{"name": "Bad", "label": "名称", "type": "string"}]}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "sharing_fields_invalid"
    assert list(response.json()["fields"]) == ["fields"]
    assert _state() == before
