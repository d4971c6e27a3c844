"""The web shell in Debian's Chromium: elderly mode, language switch, keyboard use, phone and kiosk layouts."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT_FONT = "() => getComputedStyle(document.documentElement).fontSize"
PAGES = ["/", "/catalog/", "/accounts/login/"]


def test_elderly_mode_enlarges_the_base_font_and_persists(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.evaluate(ROOT_FONT) == "16px"
    with page.expect_navigation():
        page.click("#elderly-switch")
    assert page.evaluate(ROOT_FONT) == "22px"
    assert page.get_attribute("#elderly-switch", "aria-pressed") == "true"
    page.goto("/accounts/login/")
    assert page.evaluate(ROOT_FONT) == "22px"
    button_height = page.evaluate("() => document.querySelector('#elderly-switch').getBoundingClientRect().height")
    assert button_height >= 60
    with page.expect_navigation():
        page.click("#elderly-switch")
    assert page.evaluate(ROOT_FONT) == "16px"
    assert page.url.endswith("/accounts/login/")


def test_language_switch_to_english_and_back(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.inner_text("h1") == "网上政务大厅"
    with page.expect_navigation():
        page.click("#lang-switch")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Online service hall"
    page.goto("/catalog/")
    assert page.get_attribute("html", "lang") == "en"
    with page.expect_navigation():
        page.click("#lang-switch")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.url.endswith("/catalog/")


def test_keyboard_first_tab_reaches_the_skip_link_which_focuses_main(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.evaluate("() => document.activeElement.getBoundingClientRect().left") >= 0  # shown on focus
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_focus_is_visible_on_links(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.mark.parametrize("elderly", [False, True])
def test_phone_layout_at_360px_has_no_horizontal_scroll(  # type: ignore[no-untyped-def]
    catalog_items: list[str], page, elderly: bool
) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    if elderly:
        page.goto("/")
        with page.expect_navigation():
            page.click("#elderly-switch")
    for path in [*PAGES, "/catalog/?q=hz", f"/catalog/items/{catalog_items[0]}/"]:
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide"


def test_touch_targets_of_the_shell_are_at_least_44px(page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    small = page.evaluate("""() => [...document.querySelectorAll(
        'header a, header button, main button, main input, footer a')]
        .filter(e => e.getBoundingClientRect().height < 44)
        .map(e => e.outerHTML.slice(0, 80))""")
    assert small == []


def test_kiosk_portrait_screen_uses_large_text(page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1080, "height": 1920})
    page.goto("/")
    assert page.evaluate(ROOT_FONT) == "22px"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1080


CONTRAST_SCRIPT = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x));
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === 'hidden' || style.display === 'none' || el.closest('.skip-link')) continue;
    const rect = el.getBoundingClientRect(); if (rect.width === 0 || rect.height === 0) continue;
    const fg = parse(style.color), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '" '
                                            + ratio.toFixed(2));
  }
  return bad;
}"""


def test_text_contrast_meets_wcag_aa(catalog_items: list[str], page) -> None:  # type: ignore[no-untyped-def]
    page.set_content('<p style="color:#999;background:#fff">grey on white</p><p>black on white</p>')
    assert page.evaluate(CONTRAST_SCRIPT) == ['P "grey on white" 2.85']  # the check can fail
    for path in ["/", "/catalog/?q=hz", f"/catalog/items/{catalog_items[0]}/", "/accounts/login/"]:
        page.goto(path)
        assert page.evaluate(CONTRAST_SCRIPT) == [], path
