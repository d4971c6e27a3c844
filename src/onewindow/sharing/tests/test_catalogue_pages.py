"""The platform's home and the catalogue pages: who sees what, the forms and their refusals."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.core.models import AuditEntry
from onewindow.sharing.models import DataResource, ResourceVersion
from onewindow.sharing.testing import FAKE_PROVIDER, SharingWorld
from onewindow.sharing.views.catalogue import fields_as_text, fields_from_text

FIELDS_TEXT = ("credit_code | 统一社会信用代码 | credit_code | key\nname | 名称 | string\n"
               "legal_representative ｜ 法定代表人 ｜ string ｜ 个人")
DRAFT: dict[str, Any] = {
    "name": "企业登记信息（第二版）", "description": "", "sharing_class": "conditional", "conditions": "仅用于办件",
    "not_shared_basis": "", "legal_basis": "《上海市公共数据管理办法》", "update_frequency": "daily",
    "fields_text": FIELDS_TEXT, "contact_name": "王主任", "contact_phone": "021-12345678",
}


def _state() -> tuple[Any, ...]:
    return (DataResource.objects.count(), ResourceVersion.objects.count(), AuditEntry.objects.count(),
            sorted(DataResource.objects.values_list("code", "status", "current_id")))


def test_fields_text_round_trip() -> None:
    parsed = fields_from_text(FIELDS_TEXT)
    assert parsed == [
        {"name": "credit_code", "label": "统一社会信用代码", "type": "credit_code", "personal": False, "key": True},
        {"name": "name", "label": "名称", "type": "string", "personal": False, "key": False},
        {"name": "legal_representative", "label": "法定代表人", "type": "string", "personal": True, "key": False},
    ]
    assert fields_from_text(fields_as_text(parsed)) == parsed


@pytest.mark.parametrize(
    ("who", "status"),
    [("citizen", 403), ("clerk", 200), ("outsider_admin", 200), ("consumer_clerk", 200), ("provider_admin", 200),
     ("admin", 200)],
)
def test_pages_are_for_staff(sharing_world: SharingWorld, who: str, status: int) -> None:
    w = sharing_world
    resource = w.resource()
    client = w.client(who)
    for url in ("/sharing/", "/sharing/catalogue/", f"/sharing/catalogue/{resource.code}/"):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 403:
            assert b'data-code="sharing_staff_only"' in response.content
    anonymous = w.client("anonymous").get("/sharing/catalogue/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")


def test_home_links(sharing_world: SharingWorld) -> None:
    w = sharing_world
    page = w.client("provider_admin").get("/sharing/").content.decode()
    for href in ("/sharing/catalogue/", "/sharing/requests/", "/sharing/grants/", "/sharing/logs/", "/sharing/drops/",
                 "/sharing/statistics/"):
        assert f'href="{href}' in page, href


def test_catalogue_search_and_detail(sharing_world: SharingWorld) -> None:
    w = sharing_world
    entity = w.resource(name="企业登记信息")
    other = w.resource(name="食品经营许可证信息", sharing_class="unconditional")
    client = w.client("consumer_clerk")
    page = client.get("/sharing/catalogue/", {"q": "许可"}).content.decode()
    assert f'data-resource="{other.code}"' in page and f'data-resource="{entity.code}"' not in page
    page = client.get("/sharing/catalogue/", {"sharing_class": "conditional"}).content.decode()
    assert f'data-resource="{entity.code}"' in page and f'data-resource="{other.code}"' not in page
    odd = client.get("/sharing/catalogue/", {"sharing_class": "bogus", "kind": "x", "department": "abc"})
    assert odd.status_code == 200
    detail = client.get(f"/sharing/catalogue/{entity.code}/").content.decode()
    assert entity.current.digest in detail  # type: ignore[union-attr]
    assert 'data-field="legal_representative"' in detail
    assert detail.count('class="badge personal"') == 2  # the fields table and the request form
    assert 'id="request-form"' in detail
    assert 'id="draft-form"' not in detail
    missing = client.get("/sharing/catalogue/NO-SUCH-0001/")
    assert missing.status_code == 404
    assert b'data-code="sharing_resource_not_found"' in missing.content


def test_not_shared_has_no_request_form(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource(sharing_class="not_shared")
    page = w.client("consumer_clerk").get(f"/sharing/catalogue/{resource.code}/").content.decode()
    assert 'id="request-form"' not in page
    assert "不予共享依据" in page


def test_provider_creates_drafts_and_publishes(sharing_world: SharingWorld) -> None:
    w = sharing_world
    client = w.client("provider_admin")
    assert client.get("/sharing/catalogue/new/").status_code == 200
    response = client.post("/sharing/catalogue/new/", {"department": w.provider.pk, "kind": "query",
                                                        "adapter": "in_process", "provider": FAKE_PROVIDER})
    assert response.status_code == 302
    code = "TEST-310106-SCJ-0001"
    assert response["Location"] == f"/sharing/catalogue/{code}/"
    page = client.get(f"/sharing/catalogue/{code}/").content.decode()
    assert 'id="draft-form"' in page and 'id="publish"' not in page
    before = _state()
    bad = client.post(f"/sharing/catalogue/{code}/draft/", {**DRAFT, "fields_text": "Name | 名称 | string"})
    assert bad.status_code == 422
    assert 'data-field="fields"' in bad.content.decode()
    assert "Name | 名称 | string" in bad.content.decode()  # the typed lines are kept
    assert _state() == before
    assert client.post(f"/sharing/catalogue/{code}/draft/", DRAFT).status_code == 302
    assert 'id="publish"' in client.get(f"/sharing/catalogue/{code}/").content.decode()
    assert client.post(f"/sharing/catalogue/{code}/publish/").status_code == 302
    resource = DataResource.objects.get(code=code)
    assert resource.status == "published"
    assert resource.current is not None and resource.current.personal_field_names == ["legal_representative"]
    again = client.post(f"/sharing/catalogue/{code}/publish/")
    assert again.status_code == 409
    assert b'data-code="sharing_version_no_draft"' in again.content
    assert client.post(f"/sharing/catalogue/{code}/withdraw/", {"reason": "停止"}).status_code == 302
    resource.refresh_from_db()
    assert resource.status == "withdrawn"


@pytest.mark.parametrize("who", ["consumer_admin", "provider_clerk", "admin", "outsider_admin"])
def test_others_cannot_manage(sharing_world: SharingWorld, who: str) -> None:
    w = sharing_world
    resource = w.resource()
    client = w.client(who)
    before = _state()
    page = client.get(f"/sharing/catalogue/{resource.code}/").content.decode()
    assert 'id="draft-form"' not in page
    for url, data in ((f"/sharing/catalogue/{resource.code}/draft/", DRAFT),
                      (f"/sharing/catalogue/{resource.code}/publish/", {}),
                      (f"/sharing/catalogue/{resource.code}/withdraw/", {"reason": "停止"})):
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert b'data-code="sharing_resource_forbidden"' in response.content
    new = client.post("/sharing/catalogue/new/", {"department": w.provider.pk, "kind": "query",
                                                   "provider": FAKE_PROVIDER})
    assert new.status_code == 403
    assert _state() == before
