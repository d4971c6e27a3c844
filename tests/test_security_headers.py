"""Every page of the project carries the Content-Security-Policy and the Permissions-Policy (issue #9).

The test walks the whole URLconf (``django.urls.get_resolver()``, recursively), builds a concrete
URL for every pattern from fixture objects (or dummies that answer 404/403/302: those answers must
carry the headers too), checks that the URL resolves back to the same pattern, fetches it as the
system administrator and checks the headers. Patterns that are not fetched are named below, with
the reason; the walk must cover every namespace of the URLconf. A page answered 200 as HTML is also
read: no inline script or style without the response's nonce, no ``style=`` or ``on*=`` attribute,
no ``javascript:`` link, because the policy would block them in the browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern

from onewindow.centers.testing import CenterWorld

pytestmark = pytest.mark.django_db

#: Patterns deliberately not fetched, and why. API JSON answers are checked once in
#: test_api_json_answers_carry_the_headers_too; every name here must still exist in the URLconf.
NOT_FETCHED = {
    "catalog:guide-pdf": "file download (PDF)",
    "taxqr:client-code-png": "file download (PNG)",
    "taxqr:record-sheet": "file download (PDF)",
    "cases:file": "file download (an attachment)",
}
#: The API namespace answers JSON; only its docs page (HTML) is fetched.
API_NAMESPACE = "api-v1"
API_HTML = {"api-v1:openapi-view"}

NONCE = re.compile(r"^'nonce-[A-Za-z0-9_-]{22,}'$")
REQUIRED_CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid",
                   "midi", "display-capture", "magnetometer", "gyroscope", "accelerometer",
                   "publickey-credentials-get", "idle-detection", "xr-spatial-tracking", "fullscreen")
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the route itself for an unnamed pattern
    namespace: str
    parts: tuple[Any, ...]  # the pattern objects from the root down to the URLPattern
    callback: Any


def walk(patterns: list[Any], parts: tuple[Any, ...] = (), namespace: str = "") -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else \
                (entry.namespace or namespace)
            routes += walk(entry.url_patterns, (*parts, entry.pattern), inner or "")
        elif isinstance(entry, URLPattern):
            route = "".join(str(p) for p in (*parts, entry.pattern))
            key = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or route)
            routes.append(Route(key, namespace, (*parts, entry.pattern), entry.callback))
    return routes


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class InlineFinder(HTMLParser):
    """Collects what a strict policy would block: inline code without the nonce, inline styles, handlers."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> (inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}> (inline style attribute)")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "style" and (self.nonce is None or values.get("nonce") != self.nonce):
            self.problems.append("<style> without the response's nonce")
        if tag == "script" and "src" not in values and (values.get("type") or "") not in DATA_SCRIPT_TYPES \
                and (self.nonce is None or values.get("nonce") != self.nonce):
            self.problems.append("inline <script> without the response's nonce")


@dataclass
class Values:
    """Path values from the fixture objects, by (route key, parameter), then by parameter."""

    by_key: dict[tuple[str, str], str]
    by_name: dict[str, str]

    def get(self, key: str, name: str) -> str:
        if (key, name) in self.by_key:
            return self.by_key[(key, name)]
        if name == "object_id":
            return admin_object_id(key)
        return self.by_name.get(name, "1")


def admin_object_id(key: str) -> str:
    """An existing row of the admin page's model (its change, history and delete pages render)."""
    from django.contrib import admin

    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}"
        if key.startswith(f"admin:{prefix}_") or key.startswith(f"admin/{model._meta.app_label}/"
                                                                  f"{model._meta.model_name}/"):
            row = model._default_manager.order_by("pk").first()
            return str(row.pk) if row is not None else "999999"
    return "999999"


def fill(route: Route, values: Values) -> str:
    """A concrete path for the route: each converter or named group gets its value."""
    path = ""
    for part in route.parts:
        text = str(part)
        if isinstance(part, RegexPattern):  # the admin's app index and catch-all
            text = text.removeprefix("^").removesuffix("$").replace("\\", "")
            text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(route.key, m.group(1)), text)
        else:
            text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(route.key, m.group(1)), text)
        path += text
    return "/" + path


@pytest.fixture
def values(center_world: CenterWorld) -> Values:
    from django.contrib.contenttypes.models import ContentType
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onewindow.accounts.models import User
    from onewindow.centers.tests.test_pages_staff import open_now, take

    cw = center_world.cw
    case = cw.submitted()
    open_now(center_world.center)
    ticket = take(center_world)
    admin = cw.p.user("admin")
    TOTPDevice.objects.create(user=admin, name="test", confirmed=False)  # the admin's TOTP pages need a row
    return Values(
        by_key={("catalog:guide", "code"): cw.item.code, ("centers:book", "code"): center_world.center.code,
                ("centers:appointment", "code"): "NOSUCHCODE", ("centers:appointment-cancel", "code"): "NOSUCHCODE",
                ("centers:appointment-change", "code"): "NOSUCHCODE"},
        by_name={"item_code": cw.item.code, "query_code": case.query_code, "case_id": str(case.pk),
                 "attachment_id": "999999", "action": "accept", "token": "no-such-token",
                 "window_id": str(center_world.w1.pk), "center_id": str(center_world.center.pk),
                 "center_code": center_world.center.code, "status_code": ticket.status_code,
                 "message_id": "no-such-message", "id": str(admin.pk),
                 "app_label": "accounts", "url": "no-such-admin-page/",
                 "content_type_id": str(ContentType.objects.get_for_model(User).pk)},
    )


def fetched_routes() -> tuple[list[Route], list[Route]]:
    routes = walk(get_resolver().url_patterns)
    fetched, skipped = [], []
    for route in routes:
        api_json = route.namespace == API_NAMESPACE and route.key not in API_HTML
        (skipped if api_json or route.key in NOT_FETCHED else fetched).append(route)
    return fetched, skipped


def test_the_skip_list_names_only_existing_patterns_and_every_namespace_is_fetched() -> None:
    fetched, _skipped = fetched_routes()
    keys = {r.key for r in walk(get_resolver().url_patterns)}
    assert set(NOT_FETCHED) <= keys
    assert keys >= API_HTML
    namespaces = {r.namespace for r in walk(get_resolver().url_patterns)}
    assert {r.namespace for r in fetched} == namespaces
    assert {"", "accounts", "catalog", "taxqr", "notifications", "cases", "centers", "ratings", "admin",
            API_NAMESPACE} <= namespaces
    assert len(fetched) > 100


def test_every_page_carries_the_csp_and_permissions_policy(values: Values, client: Client) -> None:
    fetched, _skipped = fetched_routes()
    client.force_login(values_admin())
    failures: list[str] = []
    pages_read = 0
    for route in fetched:
        path = fill(route, values)
        match = resolve(path)
        assert match.func == route.callback, f"{route.key}: {path} resolves to {match.view_name}"
        response = client.get(path)
        problems = header_problems(response)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            finder = InlineFinder(csp_nonce(response))
            finder.feed(response.content.decode())
            problems += finder.problems
            pages_read += 1
        failures += [f"{route.key} GET {path} → {response.status_code}: {p}" for p in problems]
    assert not failures, "\n".join(failures)
    assert pages_read >= 40


def test_api_json_answers_carry_the_headers_too(client: Client, values: Values) -> None:
    response = client.get("/api/v1/core/regions")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert header_problems(response) == []


def values_admin() -> Any:
    from onewindow.accounts.models import User

    return User.objects.get(username="p_admin")


def csp_nonce(response: Any) -> str | None:
    for token in csp_directives(response.get("Content-Security-Policy", "")).get("script-src", []):
        if NONCE.match(token):
            return token[len("'nonce-"):-1]
    return None


def header_problems(response: Any) -> list[str]:
    problems: list[str] = []
    header = response.get("Content-Security-Policy")
    if not header:
        return ["no Content-Security-Policy"]
    directives = csp_directives(header)
    for name, required in REQUIRED_CSP.items():
        tokens = [t for t in directives.get(name, []) if not NONCE.match(t)]
        if set(tokens) != required:
            problems.append(f"CSP {name} is {directives.get(name)}, not {sorted(required)}")
    if "unsafe" in header:
        problems.append(f"CSP allows unsafe sources: {header}")
    policy = response.get("Permissions-Policy", "")
    features = dict(item.strip().split("=", 1) for item in policy.split(",") if "=" in item)
    problems += [f"Permissions-Policy does not deny {f}" for f in DENIED_FEATURES if features.get(f) != "()"]
    if response.get("Referrer-Policy") != "same-origin":
        problems.append("Referrer-Policy is not same-origin")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    return problems
