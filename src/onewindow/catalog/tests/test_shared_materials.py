"""可免交（已共享） (issue #13 part 5): a material that a shared register proves is marked in a NEW
item version (versions are immutable), shown on the guide, its PDF and the API; the form schema's
``x-prefill`` mappings are checked when the version is written."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from onewindow.catalog import services
from onewindow.catalog.models import BasicItem, ItemVersion, Material, ServiceItem
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry

from .conftest import TEST_ACTOR

ENTITY = "310106-SCJG-0001"
LICENCES = "310106-SCJG-0002"


def _counts() -> tuple[int, int, int, int, int]:
    return (ServiceItem.objects.count(), ItemVersion.objects.count(), Material.objects.count(),
            BasicItem.objects.count(), AuditEntry.objects.count())


@pytest.fixture
def item(make_item: Callable[..., ServiceItem]) -> ServiceItem:
    return make_item(materials=[{"name": "营业执照", "form": "copy"},
                                {"name": "食品经营许可证", "form": "copy", "required": False},
                                {"name": "法定代表人身份证明", "form": "original"}])


def test_revision_marks_materials_in_a_new_version_and_keeps_the_old(item: ServiceItem) -> None:
    v1 = item.current_version
    assert v1 is not None
    v2 = services.item_revise(by=TEST_ACTOR, item=item, change_note="营业执照通过数据共享获取",
                              shared_materials={"营业执照": ENTITY, "食品经营许可证": LICENCES})
    assert v2.number == 2
    assert list(v2.materials.values_list("name", "shared_resource")) == [
        ("营业执照", ENTITY), ("食品经营许可证", LICENCES), ("法定代表人身份证明", "")]
    assert list(v1.materials.values_list("name", "shared_resource")) == [
        ("营业执照", ""), ("食品经营许可证", ""), ("法定代表人身份证明", "")]
    # A later revision copies the marks; clearing one is a revision of its own.
    v3 = services.item_revise(by=TEST_ACTOR, item=item, promised_limit=5)
    assert list(v3.materials.values_list("shared_resource", flat=True)) == [ENTITY, LICENCES, ""]
    v4 = services.item_revise(by=TEST_ACTOR, item=item, shared_materials={"食品经营许可证": ""})
    assert list(v4.materials.values_list("shared_resource", flat=True)) == [ENTITY, "", ""]
    assert AuditEntry.objects.filter(action="catalog.item_revise").count() == 3


def test_materials_given_in_full_carry_their_code(make_item: Callable[..., ServiceItem]) -> None:
    made = make_item(materials=[{"name": "营业执照", "form": "copy", "shared_resource": f"  {ENTITY} "}])
    assert made.current_version is not None
    assert list(made.current_version.materials.values_list("shared_resource", flat=True)) == [ENTITY]


def test_same_marks_again_is_no_change(item: ServiceItem) -> None:
    services.item_revise(by=TEST_ACTOR, item=item, shared_materials={"营业执照": ENTITY})
    before = _counts()
    with pytest.raises(DomainError) as info:
        services.item_revise(by=TEST_ACTOR, item=item, shared_materials={"营业执照": ENTITY})
    assert info.value.code == "catalog.no_change"
    assert _counts() == before


@pytest.mark.parametrize(("shared", "code", "field"), [
    ({"户口簿": ENTITY}, "catalog.material_unknown", "shared_materials.0"),
    ({"营业执照": "310106 SCJG 0001"}, "catalog.bad_shared_resource", "materials.0.shared_resource"),
    ({"营业执照": "X" * 41}, "catalog.bad_shared_resource", "materials.0.shared_resource"),
    ({"营业执照": "<script>"}, "catalog.bad_shared_resource", "materials.0.shared_resource"),
])
def test_bad_marks_are_refused_and_write_nothing(item: ServiceItem, shared: dict[str, str], code: str,
                                                 field: str) -> None:
    before = _counts()
    with pytest.raises(DomainError) as info:
        services.item_revise(by=TEST_ACTOR, item=item, shared_materials=shared)
    assert (info.value.code, info.value.status, list(info.value.fields or {})) == (code, 400, [field])
    assert _counts() == before
    item.refresh_from_db()
    assert item.current_version is not None and item.current_version.number == 1


def _schema(prefill: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"entity_name": {"type": "string", "title": "单位名称",
                                                             "x-prefill": prefill}}}


def test_form_schema_prefill_mapping_is_checked(item: ServiceItem) -> None:
    good = _schema({"resource": ENTITY, "field": "name"})
    version = services.item_revise(by=TEST_ACTOR, item=item, form_schema=good)
    assert version.form_schema["properties"]["entity_name"]["x-prefill"] == {"resource": ENTITY, "field": "name"}
    before = _counts()
    for bad in ("310106-SCJG-0001", {"resource": ENTITY}, {"field": "name"}, {"resource": "a b", "field": "name"},
                {"resource": ENTITY, "field": ""}, {"resource": ENTITY, "field": "name", "where": {}},
                {"resource": ENTITY, "field": 3}):
        with pytest.raises(DomainError) as info:
            services.item_revise(by=TEST_ACTOR, item=item, form_schema=_schema(bad))
        assert (info.value.code, list(info.value.fields or {})) == ("catalog.bad_form_schema", ["form_schema"])
        assert "x-prefill" in str(info.value.message)
    assert _counts() == before


def test_guide_pdf_and_api_show_shared_materials(item: ServiceItem, client: Client) -> None:
    html = client.get(f"/catalog/items/{item.code}/").content.decode()
    assert "可免交（已共享）" not in html and 'id="shared-note"' not in html
    services.item_revise(by=TEST_ACTOR, item=item, shared_materials={"营业执照": ENTITY})
    html = client.get(f"/catalog/items/{item.code}/").content.decode()
    assert html.count("可免交（已共享）") == 2  # the badge beside 营业执照 and the note under the table
    assert f'<span class="badge shared" data-shared="{ENTITY}">可免交（已共享）</span>' in html
    assert html.index("营业执照") < html.index('data-shared=') < html.index("食品经营许可证")
    assert 'id="shared-note"' in html
    body = client.get(f"/api/v1/catalog/items/{item.code}").json()
    assert [(m["name"], m["shared_resource"]) for m in body["current_version"]["materials"]] == [
        ("营业执照", ENTITY), ("食品经营许可证", ""), ("法定代表人身份证明", "")]
    pdf = client.get(f"/catalog/items/{item.code}/guide.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.getvalue())).pages)
    assert "可免交" in text.replace("\n", "")
