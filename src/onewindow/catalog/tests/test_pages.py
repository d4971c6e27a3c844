"""Catalog pages: search (full page and htmx partial), the service guide, its PDF, the admin."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pypdf import PdfReader

from onewindow.catalog import services
from onewindow.catalog.models import ItemVersion, ServiceItem

from .conftest import TEST_ACTOR


@pytest.fixture
def passport(make_item: Callable[..., ServiceItem]) -> ServiceItem:
    return make_item(materials=[{"name": "居民身份证", "form": "original"},
                                {"name": "户口簿", "form": "copy", "copies": 2, "required": False,
                                 "note": "未满16周岁者提交"}],
                     on_site_reason="采集指纹和人像")


def test_search_page_shows_figures_and_results(passport: ServiceItem, client: Client) -> None:
    response = client.get("/catalog/", {"q": "hz"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd data-figure="city_approval">1</dd>' in html
    assert '<dd data-figure="district_approval">0</dd>' in html
    assert f'href="/catalog/items/{passport.code}/"' in html
    assert "普通护照签发" in html
    assert 'role="search"' in html and '<label for="q">' in html
    assert html.count("<h1") == 1


def test_search_partial_for_htmx(passport: ServiceItem, client: Client) -> None:
    response = client.get("/catalog/", {"q": "护照"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "普通护照签发" in html
    assert "data-figure" not in html


def test_search_page_bad_filter_is_a_4xx_with_message(passport: ServiceItem, client: Client) -> None:
    response = client.get("/catalog/", {"level": "province"})
    assert response.status_code == 422
    assert "层级只能是 city、district 或 street。" in response.content.decode()
    partial = client.get("/catalog/", {"q": "x" * 101}, headers={"HX-Request": "true"})
    assert partial.status_code == 200  # htmx swaps only 2xx: the refusal is shown in place
    assert 'role="alert"' in partial.content.decode()
    assert "搜索词不能超过100个字。" in partial.content.decode()


def test_guide_page_has_every_section(passport: ServiceItem, client: Client) -> None:
    response = client.get(f"/catalog/items/{passport.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("<h1 id=\"guide-h\">普通护照签发</h1>", "基本信息", "设定依据", "《中华人民共和国护照法》第五条",
                 "申请材料", "居民身份证", "户口簿", "未满16周岁者提交", "办理时限", "15 工作日", "7 工作日",
                 "收费标准", "120元/本", "网上办理深度", "Ⅱ级：网上预审", "互联网咨询、互联网收件、互联网预审",
                 "办理渠道", "网上办理、窗口办理", "到现场次数", "须到现场办理的环节", "采集指纹和人像",
                 "上海市公安局", passport.code, "下载PDF", "@media print" if False else "catalog.css"):
        assert text in html, text
    assert re.findall(r"<h([1-3])", html)[:3] == ["1", "2", "2"]


def test_guide_shows_status_of_suspended_item_and_hides_withdrawn(passport: ServiceItem, client: Client) -> None:
    services.item_suspend(by=TEST_ACTOR, item=passport, reason="系统升级")
    html = client.get(f"/catalog/items/{passport.code}/").content.decode()
    assert "暂停办理" in html and "系统升级" in html
    services.item_withdraw(by=TEST_ACTOR, item=passport, reason="取消")
    response = client.get(f"/catalog/items/{passport.code}/")
    assert response.status_code == 404
    assert "找不到该事项。" in response.content.decode()
    staff = get_user_model().objects.create_user("staffer", password="x-very-long-pw", is_staff=True)
    client.force_login(staff)
    assert client.get(f"/catalog/items/{passport.code}/").status_code == 200


def test_unknown_item_is_404(db: Any, client: Client) -> None:
    assert client.get("/catalog/items/NOPE/").status_code == 404
    assert client.get("/catalog/items/NOPE/guide.pdf").status_code == 404


def _pdf_text(data: bytes) -> tuple[str, str]:
    """(document title, text of every page) read back with pypdf, whatever the embedded font."""
    reader = PdfReader(io.BytesIO(data))
    return reader.metadata.title or "", "".join(page.extract_text() for page in reader.pages)


def test_guide_pdf(passport: ServiceItem, client: Client) -> None:
    response = client.get(f"/catalog/items/{passport.code}/guide.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    title, drawn = _pdf_text(data)
    assert title == "普通护照签发"
    for text in ("普通护照签发", "居民身份证", "户口簿", "上海市公安局", "申请材料", "设定依据"):
        assert text in drawn, text


def test_admin_add_and_change_make_versions(passport: ServiceItem, client: Client) -> None:
    admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "x-very-long-pw")
    client.force_login(admin_user)
    url = f"/admin/catalog/serviceitem/{passport.pk}/change/"
    assert client.get(url).status_code == 200
    form = {
        "sort_order": 5, "v_name": "普通护照签发", "v_category": "approval", "v_item_type": passport.item_type_id,
        "legal_basis": "《中华人民共和国护照法》", "handling_type": "promised", "statutory_limit": 15,
        "statutory_unit": "working", "promised_limit": 5, "promised_unit": "working", "fee_text": "120元/本",
        "fee_amount": "120", "v_depth_level": 2, "depth_codes": ["1", "2", "3"], "channels": ["online", "window"],
        "on_site_visits": 1, "form_schema": "{}", "materials_text": "居民身份证|original|1|1|", "v_status": "active",
        "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0,
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    passport.refresh_from_db()
    assert passport.current_version is not None
    assert (passport.current_version.number, passport.current_version.promised_limit) == (2, 5)
    bad = client.post(url, {**form, "promised_limit": 30})
    assert bad.status_code == 200
    assert "不能超过法定办结时限" in bad.content.decode()
    assert ItemVersion.objects.filter(item=passport).count() == 2
    response = client.post(url, {**form, "v_status": "suspended", "status_reason": "系统升级"})
    assert response.status_code == 302
    passport.refresh_from_db()
    assert passport.status == "suspended"
    assert ItemVersion.objects.filter(item=passport).count() == 3


def test_admin_refuses_another_departments_admin_and_a_withdrawn_item(
    passport: ServiceItem, jingan_market: Any, client: Client
) -> None:
    """The admin is no back door: a department admin of another department, holding Django's
    permission to change items, is refused by the catalog's guard (shown as the admin's error
    message, nothing written); a withdrawn item is final, so its change form is read-only."""
    from django.contrib.auth.models import Permission

    from onewindow.accounts.choices import StaffRoleKind
    from onewindow.accounts.testing import StaffRoleFactory, UserFactory
    from onewindow.core.models import AuditEntry

    outsider = UserFactory.create(username="outsider", is_staff=True)
    StaffRoleFactory.create(user=outsider, role=StaffRoleKind.DEPARTMENT_ADMIN, department=jingan_market, region=None)
    outsider.user_permissions.add(*Permission.objects.filter(codename__in=["view_serviceitem", "change_serviceitem"]))
    client.force_login(outsider)
    url = f"/admin/catalog/serviceitem/{passport.pk}/change/"
    form = {
        "sort_order": 5, "v_name": "普通护照签发", "v_category": "approval", "v_item_type": passport.item_type_id,
        "legal_basis": "《中华人民共和国护照法》", "handling_type": "promised", "statutory_limit": 15,
        "statutory_unit": "working", "promised_limit": 5, "promised_unit": "working", "fee_text": "120元/本",
        "fee_amount": "120", "v_depth_level": 2, "depth_codes": ["1", "2", "3"], "channels": ["online", "window"],
        "on_site_visits": 1, "form_schema": "{}", "materials_text": "居民身份证|original|1|1|", "v_status": "active",
        "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0,
    }
    audit = AuditEntry.objects.count()
    response = client.post(url, form, follow=True)
    assert "您无权对该事项执行“修订事项”。" in response.content.decode()
    passport.refresh_from_db()
    assert (passport.current_version.number, passport.current_version.promised_limit) == (1, 7)  # type: ignore[union-attr]
    assert (ItemVersion.objects.filter(item=passport).count(), AuditEntry.objects.count()) == (1, audit)

    services.item_withdraw(by=TEST_ACTOR, item=passport, reason="许可已取消")
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x-very-long-pw")
    client.force_login(root)
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert "已取消" in page.content.decode() and "许可已取消" in page.content.decode()
    assert client.post(url, {**form, "v_status": "active", "status_reason": "恢复"}).status_code == 403
    passport.refresh_from_db()
    assert (passport.status, ItemVersion.objects.filter(item=passport).count()) == ("withdrawn", 2)


def test_admin_add_goes_through_item_create(passport: ServiceItem, client: Client) -> None:
    admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "x-very-long-pw")
    client.force_login(admin_user)
    form = {
        "code": "11310000002419539T0100000099", "basic_code": "010000000099", "department": passport.department_id,
        "region": passport.region_id, "level": "city", "sort_order": 10, "v_name": "往来港澳通行证签发",
        "v_category": "approval", "v_item_type": passport.item_type_id, "legal_basis": "",
        "handling_type": "promised", "statutory_limit": 15, "statutory_unit": "working", "promised_limit": 7,
        "promised_unit": "working", "fee_free": "on", "v_depth_level": 4, "v_fully_online": "on",
        "channels": ["online"], "on_site_visits": 0, "form_schema": "{}", "materials_text": "居民身份证|original|1|1|",
        "v_status": "active", "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0,
    }
    bad = client.post("/admin/catalog/serviceitem/add/", {**form, "on_site_visits": 1})
    assert bad.status_code == 200
    assert "全程网上办理的事项到现场次数必须为0。" in bad.content.decode()
    assert not ServiceItem.objects.filter(code=form["code"]).exists()
    response = client.post("/admin/catalog/serviceitem/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    item = ServiceItem.objects.get(code=form["code"])
    assert (item.name, item.fully_online, item.current_version.number) == ("往来港澳通行证签发", True, 1)
    assert list(item.current_version.materials.values_list("name", flat=True)) == ["居民身份证"]


def test_pdf_font_embeds_a_configured_truetype_font_else_falls_back(settings: Any) -> None:
    from pathlib import Path

    from onewindow.core.pdf import FONT_CANDIDATES, pdf_font

    pdf_font.cache_clear()
    try:
        settings.ONEWINDOW_PDF_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
        assert pdf_font() == "OneWindowCJK"
        pdf_font.cache_clear()
        # Debian's Noto CJK is CFF-based (.ttc): reportlab cannot embed it, so the CID font is used
        settings.ONEWINDOW_PDF_FONT = "/nonexistent/font.ttf"
        truetype_cjk = any(Path(p).exists() for p in FONT_CANDIDATES if not p.endswith("NotoSansCJK-Regular.ttc"))
        assert pdf_font() == ("OneWindowCJK" if truetype_cjk else "STSong-Light")
    finally:
        pdf_font.cache_clear()
