"""End to end in Chromium: an agency user fills the client form and gets the code; the window
types it as a scanner gun would, confirms with Enter, and sees the archive number."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import DepartmentFactory, StaffRoleFactory, UserFactory, build_principals
from onewindow.core.models import Region, RegionLevel
from onewindow.core.testing import orm_beside_browser
from onewindow.taxqr import keystore
from onewindow.taxqr.models import TaxBureau, TaxRecord

from .conftest import sample


def _session(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies[django_settings.SESSION_COOKIE_NAME].value)


def _use_session(page: Any, session: str, url: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": url}])


_orm = orm_beside_browser


@pytest.fixture
def sessions(transactional_db: Any, settings: Any, tmp_path: Any) -> dict[str, str]:
    # Set up before the page fixture starts Playwright's event loop.
    settings.TAXQR_KEY_DIR = tmp_path / "keys"
    keystore.generate()
    p = build_principals()
    Region.objects.create(code="310106021", name="临汾路街道", level=RegionLevel.STREET, parent=p.district)
    dept = DepartmentFactory.create(code="310106-SW", name="国家税务总局上海市静安区税务局",
                                    level=RegionLevel.DISTRICT, region=p.district)
    TaxBureau.objects.create(department=dept, short_code="JA")
    clerk = UserFactory.create(username="browser_tax_clerk")
    StaffRoleFactory.create(user=clerk, role=StaffRoleKind.WINDOW_CLERK, department=dept)
    return {"agent": _session(p.agent), "clerk": _session(clerk)}


@pytest.mark.browser
def test_agency_form_to_window_capture_with_a_typed_scan(sessions: dict[str, str], page: Any,
                                                         live_server: Any) -> None:
    data = sample(200)
    _use_session(page, sessions["agent"], live_server.url)
    page.goto("/tax/client/new/")
    prop, contract = data["property"], data["contract"]
    for name in ("certificate_no", "address", "area", "acquired_on"):
        page.fill(f'[name="property.{name}"]', prop[name])
    page.select_option('[name="property.street_code"]', prop["street_code"])
    for name in ("price", "signed_on", "agency_name", "agency_credit_code", "agent_name"):
        page.fill(f'[name="contract.{name}"]', contract[name])
    for side in ("sellers", "buyers"):
        for name in ("name", "id_number", "phone", "share"):
            page.fill(f'[name="{side}.0.{name}"]', data[side][0][name])
    page.check('[name="sellers.0.only_family_home"]')
    family = data["buyers"][0]["family"]
    for name in ("name", "id_number"):
        page.fill(f'[name="buyers.0.family.spouse.{name}"]', family["spouse"][name])
    page.click('button[value="add:buyers.0.family.children"]')
    for name in ("name", "id_number"):
        page.fill(f'[name="buyers.0.family.children.0.{name}"]', family["children"][0][name])
    page.click("#generate")
    page.wait_for_selector("#code-ready")
    assert page.locator("svg.taxqr-code").count() == 1
    assert "仅供参考" in page.content()
    text = page.locator("pre.code-text").first.text_content()
    assert text and text.startswith("OWT1:1/1:")

    _use_session(page, sessions["clerk"], live_server.url)
    page.goto("/tax/window/")
    page.fill('[name="window"]', "3")
    page.focus("#scan")
    page.keyboard.type(text + "\n")
    page.wait_for_selector("#confirm")
    assert page.evaluate("document.activeElement.id") == "confirm"
    page.keyboard.press("Enter")
    page.wait_for_selector("#saved-archive-no")
    record = _orm(TaxRecord.objects.get)
    assert page.text_content("#saved-archive-no") == record.archive_no
    assert record.archive_no.startswith("JA-") and record.archive_no.endswith("-000001")
    assert record.window == "3" and record.street_code == "310106021"
    assert record.record["buyers"][0]["family"]["children"][0]["id_number"] == family["children"][0]["id_number"]
