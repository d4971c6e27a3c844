"""The web shell: languages, elderly mode, accessibility basics, and no asset from outside the server."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from onewindow.catalog.selectors import CatalogStats
from onewindow.core.context_processors import ELDERLY_COOKIE

pytestmark = pytest.mark.django_db

SEED_STATS = CatalogStats(city_approval=785, district_approval=6500, city_service=240, district_service=3000,
                          street_service=170, city_approval_fully_online=100,
                          district_approval_fully_online=700, total=10695)
MAIN_PAGES = ["/", "/catalog/", "/accounts/login/", "/admin/login/", "/api/v1/docs"]
URL_ATTRIBUTES = {"src", "href", "action", "srcset", "poster", "data", "formaction", "manifest", "background"}


class PageScan(HTMLParser):
    """Collects what the checks need from one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.label_for: set[str] = set()
        self._in_style = False
        self._label_depth = 0
        self.inputs_inside_labels: set[int] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        for name, value in values.items():
            if name in URL_ATTRIBUTES:
                self.urls.extend(part.strip().split(" ")[0] for part in value.split(",")) if name == "srcset" \
                    else self.urls.append(value.strip())
            if name == "style":
                self.styles.append(value)
        if tag == "style":
            self._in_style = True
        if tag == "label":
            self._label_depth += 1
            if values.get("for"):
                self.label_for.add(values["for"])
        if tag in ("input", "select", "textarea") and self._label_depth:
            self.inputs_inside_labels.add(len(self.tags) - 1)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def scan(html: str) -> PageScan:
    parser = PageScan()
    parser.feed(html)
    return parser


def is_local(url: str) -> bool:
    """Relative, same-origin (testserver) or a non-fetching scheme (anchors, mailto, tel, data: images)."""
    if not url or url.startswith(("#", "?", "mailto:", "tel:", "data:image/", "javascript:void")):
        return True
    parts = urlsplit(url)
    if url.startswith("//"):
        return False
    if parts.scheme in ("http", "https"):
        return parts.netloc == "testserver"
    return parts.scheme == ""


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


@pytest.fixture
def seed_stats(monkeypatch: pytest.MonkeyPatch) -> CatalogStats:
    monkeypatch.setattr("onewindow.config.views.catalog_stats", lambda: SEED_STATS)
    return SEED_STATS


def test_home_is_chinese_by_default_with_lang_attribute(client: Client, seed_stats: CatalogStats) -> None:
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans"' in html
    assert "<h1>网上政务大厅</h1>" in html
    assert response["Content-Language"] == "zh-hans"


def test_home_in_english_shows_english_text(client: Client, seed_stats: CatalogStats) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "<h1>Online service hall</h1>" in html
    assert "Skip to main content" in html
    assert "Service guides" in html
    assert "网上政务大厅" not in html


def test_language_switch_sets_the_language_for_later_pages(client: Client, seed_stats: CatalogStats) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "<h1>Online service hall</h1>" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "<h1>网上政务大厅</h1>" in client.get("/").content.decode()


def test_home_shows_the_online_hall_figures_from_the_catalog(client: Client, seed_stats: CatalogStats) -> None:
    html = client.get("/").content.decode()
    figures = re.findall(r'<span class="figure">(\d+)</span> <span class="figure-label">([^<]+)</span>', html)
    assert figures == [("785", "市级审批事项"), ("6500", "区级审批事项（16个区）"), ("240", "市级服务事项"),
                       ("3000", "区级服务事项"), ("100", "市级审批事项全程网上办理"),
                       ("700", "区级审批事项全程网上办理")]


def test_home_figures_count_the_real_catalog(client: Client) -> None:
    html = client.get("/").content.decode()
    assert html.count('<span class="figure">0</span>') == 6


def test_elderly_mode_switch_toggles_and_persists(client: Client, seed_stats: CatalogStats) -> None:
    assert '<html lang="zh-Hans" class="">' in client.get("/").content.decode()
    response = client.post("/display/elderly", {"next": "/catalog/"})
    assert response.status_code == 302
    assert response["Location"] == "/catalog/"
    cookie = response.cookies[ELDERLY_COOKIE]
    assert cookie.value == "1"
    assert cookie["max-age"] == 365 * 24 * 3600
    html = client.get("/").content.decode()
    assert '<html lang="zh-Hans" class="elderly">' in html
    assert 'id="elderly-switch" aria-pressed="true"' in html
    client.post("/display/elderly", {"next": "/"})
    assert '<html lang="zh-Hans" class="">' in client.get("/").content.decode()


def test_elderly_mode_switch_refuses_an_open_redirect(client: Client) -> None:
    response = client.post("/display/elderly", {"next": "https://evil.example.com/"})
    assert response["Location"] == "/"


def test_elderly_mode_switch_only_accepts_post(client: Client) -> None:
    response = client.get("/display/elderly")
    assert response.status_code == 405
    assert ELDERLY_COOKIE not in response.cookies


@pytest.mark.parametrize("path", MAIN_PAGES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_main_pages_load_nothing_from_outside_the_server(
    client: Client, seed_stats: CatalogStats, path: str, language: str
) -> None:
    client.cookies[ELDERLY_COOKIE] = "1"
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = scan(response.content.decode())
    assert page.urls, "the page should reference at least its stylesheet"
    foreign = [url for url in page.urls if not is_local(url)]
    foreign += [m for style in page.styles for m in CSS_URL.findall(style) if not is_local(m[0] or m[1])]
    assert foreign == []


@pytest.mark.parametrize("suffix", ["", "?q=hz", "?q=%E6%8A%A4%E7%85%A7&level=district"])
def test_catalog_pages_with_items_load_nothing_from_outside_the_server(
    client: Client, catalog_items: list[str], suffix: str
) -> None:
    for path in ["/catalog/" + suffix, f"/catalog/items/{catalog_items[0]}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        page = scan(response.content.decode())
        assert [url for url in page.urls if not is_local(url)] == [], path
        assert [m for style in page.styles for m in CSS_URL.findall(style) if not is_local(m[0] or m[1])] == []


def test_stylesheets_load_nothing_from_outside_the_server(client: Client, seed_stats: CatalogStats) -> None:
    page = scan(client.get("/").content.decode())
    sheets = [url for tag, attrs in page.tags if tag == "link" and attrs.get("rel") == "stylesheet"
              for url in [attrs["href"]]]
    assert sheets == ["/static/css/site.css"]
    for sheet in sheets:
        found = finders.find(sheet.removeprefix("/static/"))
        assert found, sheet
        css = Path(str(found)).read_text(encoding="utf-8")
        referenced = [a or b for a, b in CSS_URL.findall(css)]
        assert [url for url in referenced if not is_local(url)] == []


def test_shell_landmarks_skip_link_and_navigation(client: Client, seed_stats: CatalogStats) -> None:
    page = scan(client.get("/").content.decode())
    tags = [tag for tag, _ in page.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert tags.count(landmark) == 1, landmark
    first_link = next(attrs for tag, attrs in page.tags if tag == "a")
    assert first_link == {"class": "skip-link", "href": "#main"}
    main = next(attrs for tag, attrs in page.tags if tag == "main")
    assert main["id"] == "main" and main["tabindex"] == "-1"
    nav = next(attrs for tag, attrs in page.tags if tag == "nav")
    assert nav["aria-label"] == "主导航"
    hrefs = {attrs.get("href") for tag, attrs in page.tags if tag == "a"}
    assert {"/catalog/", "/accounts/login/"} <= hrefs
    actions = {attrs.get("action") for tag, attrs in page.tags if tag == "form"}
    assert {"/i18n/setlang/", "/display/elderly"} <= actions


def test_logged_in_user_sees_logout_instead_of_login(client: Client, seed_stats: CatalogStats,
                                                     django_user_model) -> None:  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(username="clerk1", password="x-long-password-1")
    client.force_login(user)
    page = scan(client.get("/").content.decode())
    hrefs = {attrs.get("href") for tag, attrs in page.tags if tag == "a"}
    actions = {attrs.get("action") for tag, attrs in page.tags if tag == "form"}
    assert "/accounts/login/" not in hrefs
    assert "/accounts/logout/" in actions


@pytest.mark.parametrize("path", ["/", "/catalog/", "/accounts/login/"])
def test_every_form_control_has_a_label(client: Client, seed_stats: CatalogStats, path: str) -> None:
    page = scan(client.get(path).content.decode())
    unlabeled = []
    for index, (tag, attrs) in enumerate(page.tags):
        if tag not in ("input", "select", "textarea") or attrs.get("type") in ("hidden", "submit", "button"):
            continue
        labelled = (attrs.get("id") in page.label_for or attrs.get("aria-label") or attrs.get("aria-labelledby")
                    or index in page.inputs_inside_labels)
        if not labelled:
            unlabeled.append((tag, attrs))
    assert unlabeled == []


def test_stylesheet_has_focus_style_touch_targets_and_elderly_mode() -> None:
    css = Path(str(finders.find("css/site.css"))).read_text(encoding="utf-8")
    assert ":focus-visible" in css
    assert "--touch: 44px" in css
    assert re.search(r"html\.elderly \{ --base: 22px; --touch: 60px; \}", css)
    assert "@media print" in css
    assert "orientation: portrait" in css
