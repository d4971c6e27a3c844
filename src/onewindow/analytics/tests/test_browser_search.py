"""Browser test (Playwright + Debian Chromium): a center manager searches by a resident's ID number
and finds the resident's case, ticket, appointment and rating at the center, masked, each linking
to its staff page; the search is audited."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.core.masking import mask_id_number

from .test_search import History, history  # noqa: F401 - the fixed history at one center

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def facts(history: History) -> dict[str, Any]:  # noqa: F811
    # Read before the page fixture starts Playwright's event loop (the ORM is sync-only).
    return {"id_number": history.person.id_number, "case": history.ids["case"]}


def test_a_manager_searches_by_id_number(facts: dict[str, Any], page: Any) -> None:
    page.goto("/accounts/login/?next=/analytics/search/")
    page.get_by_label("用户名").fill("p_manager")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("h1").inner_text() == "受理信息查询"
    page.get_by_label("证件号码").fill(facts["id_number"])
    with page.expect_navigation():
        page.get_by_label("证件号码").press("Enter")
    assert page.url.endswith("/analytics/search/") and facts["id_number"] not in page.url
    assert page.locator("#results-title").inner_text() == "共 4 条记录"
    kinds = page.locator("#search-results tbody tr").evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert sorted(kinds) == ["appointment", "case", "rating", "ticket"]
    cells = page.locator("#search-results tbody td:nth-child(4)").all_inner_texts()
    assert all(mask_id_number(facts["id_number"]) in cell for cell in cells)
    assert facts["id_number"] not in page.locator("#search-results").inner_text()
    link = page.locator('#search-results tr[data-kind="case"] a')
    assert link.get_attribute("href") == f"/cases/staff/{facts['case']}/"
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    assert page.locator("#search-results").is_visible()
