"""The main pages under the Content-Security-Policy in Debian's Chromium: no violation (issue #9).

Each page is opened (and, where it has live parts, used: the catalog's htmx search, the hall
display's polling, the tax form's street list, the admin's change form, the Swagger UI). The test
collects every ``securitypolicyviolation`` event of the pages and every console message about the
policy or the Permissions-Policy, and asserts there are none — and that the policy was in force.
"""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.centers.testing import CenterWorld, binding_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
window.__settled = 0;
document.addEventListener("htmx:afterSettle", function () { window.__settled += 1; });
"""
POLICY_WORDS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy", "Permissions policy",
                "Refused to")


@pytest.fixture
def world(center_world: CenterWorld) -> tuple[CenterWorld, dict[str, tuple[str, str]]]:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only); the kiosk
    # and the hall display open only in a browser bound to them (decision 0008).
    from onewindow.centers.tests.test_pages_public import open_around_the_clock

    open_around_the_clock(center_world)
    return center_world, {"kiosk": binding_cookie(center_world.kiosk),
                          "display": binding_cookie(center_world.display)}


class Watch:
    """Opens pages and keeps what the browser said about the policies."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        self.violations: list[str] = []
        self.policies: dict[str, str] = {}
        page.context.add_init_script(WATCH)
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if any(word in message.text for word in POLICY_WORDS):
            self.console.append(f"{self.page.url}: {message.text}")

    def open(self, path: str) -> Any:
        response = self.page.goto(path)
        assert response is not None
        assert response.status == 200, path
        self.policies[path] = response.headers.get("content-security-policy", "")
        return response

    def collect(self) -> None:
        """Violations of the page now shown (events of a page are lost once it is left)."""
        self.violations += [f"{self.page.url}: {v}" for v in self.page.evaluate("() => window.__csp || []")]

    def bind(self, cookie: tuple[str, str]) -> None:
        """The browser holds a device's binding cookie, as after its enrolment."""
        name, value = cookie
        self.page.context.clear_cookies()
        origin = self.page.evaluate("() => location.origin")
        self.page.context.add_cookies([{"name": name, "value": value, "url": origin, "httpOnly": True,
                                        "sameSite": "Strict"}])

    def login(self, username: str) -> None:
        self.page.context.clear_cookies()
        self.open("/accounts/login/")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="登录").click()
        self.collect()


def test_main_pages_have_no_csp_violation(world: tuple[CenterWorld, dict[str, tuple[str, str]]], page: Any) -> None:
    w, cookies = world
    watch = Watch(page)

    watch.open("/")
    watch.collect()

    watch.open("/catalog/")
    page.locator("#q").fill("许可")
    page.wait_for_function("() => window.__settled > 0")  # the htmx search swapped its results
    watch.collect()

    watch.open(f"/catalog/items/{w.cw.item.code}/")
    watch.collect()

    watch.bind(cookies["kiosk"])
    watch.open(f"/centers/{w.center.code}/kiosk/")
    watch.collect()

    watch.bind(cookies["display"])
    watch.open(f"/centers/{w.center.code}/display/")
    page.wait_for_function("() => window.__settled > 0")  # one poll of the live fragment (every second)
    page.get_by_role("button", name="启用语音播报").click()
    watch.collect()

    watch.login("p_center_clerk")
    watch.open(f"/centers/window/{w.w1.pk}/")
    watch.collect()

    watch.login("p_citizen")
    watch.open("/tax/client/new/")
    page.locator('select[name="property.district_code"]').select_option(index=1)
    page.wait_for_function("() => window.__settled > 0")  # the street list came by htmx
    watch.collect()

    watch.login("p_admin")
    watch.open("/admin/")
    watch.collect()
    watch.open("/admin/accounts/user/")
    watch.collect()
    watch.open(f"/admin/accounts/user/{w.cw.p.user('admin').pk}/change/")
    watch.collect()
    watch.open("/tax/analysis/")
    watch.collect()
    watch.open("/api/v1/docs")
    page.locator(".swagger-ui .info").wait_for()  # the Swagger UI rendered the OpenAPI document
    watch.collect()

    assert watch.violations == []
    assert watch.console == []
    assert all("default-src 'self'" in policy for policy in watch.policies.values()), watch.policies
