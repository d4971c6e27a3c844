"""The import page of the registration authority: upload, result with per-row errors, refusals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onewindow.market.models import EntityImport, EntityProfile
from onewindow.market.testing import RegistryWorld, csv_bytes, entity_row

pytestmark = pytest.mark.django_db


def test_upload_100_rows_with_3_bad(registry_world: RegistryWorld) -> None:
    rows = [entity_row() for _ in range(100)]
    for i in (4, 40, 77):
        rows[i]["industry_code"] = "0000"
    client = registry_world.client("data_clerk")
    response = client.post("/market/import/", {"file": SimpleUploadedFile("entities.csv", csv_bytes(rows))})
    run = EntityImport.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/market/import/{run.pk}/")
    page = client.get(response["Location"]).content.decode()
    assert '<strong data-count="created">97</strong>' in page and '<strong data-count="failed">3</strong>' in page
    assert [line for line in (6, 42, 79) if f"<tr><td>{line}</td><td>industry_code</td>" in page] == [6, 42, 79]
    assert EntityProfile.objects.count() == 97


def test_wrong_columns_are_refused_on_the_page(registry_world: RegistryWorld) -> None:
    client = registry_world.client("data_clerk")
    response = client.post("/market/import/", {"file": SimpleUploadedFile("a.csv", "名称\nx\n".encode())})
    html = response.content.decode()
    assert response.status_code == 422 and 'data-code="market_import_columns"' in html and "统一社会信用代码" in html
    assert EntityImport.objects.count() == 0
    assert client.post("/market/import/", {}).status_code == 422


@pytest.mark.parametrize(("name", "status"), [("regulator", 403), ("data_clerk_other", 403), ("citizen", 403),
                                              ("admin", 200), ("data_clerk", 200)])
def test_who_imports(registry_world: RegistryWorld, name: str, status: int) -> None:
    assert registry_world.client(name).get("/market/import/").status_code == status


def test_template_download(registry_world: RegistryWorld) -> None:
    response = registry_world.client("data_clerk").get("/market/import/template.csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("统一社会信用代码,注册号,名称,主体类型")
    from stdnum.cn import uscc

    code = text.splitlines()[1].split(",")[0]
    assert uscc.is_valid(code)
    assert csv_bytes([]).decode("utf-8-sig").splitlines()[0] == text.splitlines()[0]
