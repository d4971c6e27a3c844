"""The registry pages: search (full page and htmx partial), profile, unmask, and who may open them."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import expire_reauth
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def entity(registry_world: RegistryWorld) -> dict[str, Any]:
    row = entity_row(name="上海静安宏达贸易有限公司")
    entity_register(by=system_actor("test"), data=row)
    return row


def test_search_page_and_partial(registry_world: RegistryWorld, entity: dict[str, Any]) -> None:
    client = registry_world.client("regulator")
    page = client.get("/market/", {"q": "hdmy"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "上海静安宏达贸易有限公司" in html and 'id="registry-search"' in html and "南京西路街道" in html
    partial = client.get("/market/", {"q": "宏达"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.content.decode().lstrip().startswith('<section id="results"')
    refused = client.get("/market/", {"q": "公司"}, headers={"HX-Request": "true"})
    assert refused.status_code == 200 and 'data-code="market_search_too_broad"' in refused.content.decode()
    assert client.get("/market/", {"q": "公司"}).status_code == 422


@pytest.mark.parametrize(("name", "status"), [("citizen", 403), ("clerk_other_department", 403), ("admin", 200),
                                              ("data_clerk_other", 200)])
def test_who_opens_the_search_page(registry_world: RegistryWorld, name: str, status: int) -> None:
    assert registry_world.client(name).get("/market/").status_code == status


def test_anonymous_goes_to_login(registry_world: RegistryWorld) -> None:
    response = registry_world.client("anonymous").get("/market/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_profile_is_masked_and_audited(registry_world: RegistryWorld, entity: dict[str, Any]) -> None:
    response = registry_world.client("data_clerk").get(f"/market/entities/{entity['credit_code']}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert entity["legal_rep_id_number"] not in html and entity["legal_rep_phone"] not in html
    assert entity["legal_rep_id_number"][:3] + "*" * 11 + entity["legal_rep_id_number"][-4:] in html
    assert 'id="records"' in html  # the pooled records (market/_records.html) have their place
    assert AuditEntry.objects.filter(action="market.entity_view").count() == 1
    missing = registry_world.client("data_clerk").get("/market/entities/91310106MA1FL00000/")
    assert missing.status_code == 404


def test_unmask_page(registry_world: RegistryWorld, entity: dict[str, Any]) -> None:
    url = f"/market/entities/{entity['credit_code']}/unmask/"
    client = registry_world.client("regulator")
    response = client.post(url)
    assert response.status_code == 200 and entity["legal_rep_id_number"] in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    refused = registry_world.client("data_clerk").post(url)
    assert refused.status_code == 403 and entity["legal_rep_id_number"] not in refused.content.decode()
    stale = expire_reauth(registry_world.client("regulator")).post(url)
    assert stale.status_code == 302 and "reauth" in stale["Location"]
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 1
    assert client.get(url).status_code == 405
