"""The profile sections (``market.profile_sections``): apps above market add sections to an entity's
profile page; each section decides who sees it (None: not shown), the page lays them out in
(order, key) order, and the page's SQL statement count is pinned.

The statement count of the profile page (HTML) with no section registered is
:data:`PROFILE_PAGE_QUERIES`; supervision's sections add theirs on top (pinned in
supervision/tests/test_profile_supervision.py). The JSON profile (``PROFILE_QUERIES`` in
test_search_paging.py) renders no section and is unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Template

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import system_actor
from onewindow.market import profile_sections
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db

#: session, user, the viewer's roles, the profile, versions, former names, the audit entry, and the
#: page's navigation (the viewer's roles again, the service-center staff rows, the count of the
#: viewer's due reminders in the header)
PROFILE_PAGE_QUERIES = 10
SECTION = Template('<p data-probe="{{ data.who }}">{{ data.who }} {{ entity.credit_code }}</p>')


@pytest.fixture
def sections(monkeypatch: pytest.MonkeyPatch) -> dict[str, profile_sections.ProfileSection]:
    """An empty registry for the test (the installed apps' sections are put back afterwards)."""
    registry: dict[str, profile_sections.ProfileSection] = {}
    monkeypatch.setattr(profile_sections, "_SECTIONS", registry)
    return registry


@pytest.fixture
def code(registry_world: RegistryWorld) -> str:
    row = entity_row(name="上海静安宏达贸易有限公司")
    entity_register(by=system_actor("test"), data=row)
    return str(row["credit_code"])


def _regulators_only(user: Any, organization: Any) -> dict[str, str] | None:
    if "regulator" not in account_perms.role_names(user):
        return None
    return {"who": "regulator"}


def _everyone(user: Any, organization: Any) -> dict[str, str]:
    return {"who": f"everyone-{organization.pk}"}


def test_the_registry_orders_replaces_and_removes(sections: dict[str, Any]) -> None:
    profile_sections.register_profile_section("b", "乙", _everyone, template="x.html")
    profile_sections.register_profile_section("a", "甲", _everyone, template="x.html")
    profile_sections.register_profile_section("c", "丙", _everyone, template="x.html", order=5)
    assert [s.key for s in profile_sections.profile_sections()] == ["c", "a", "b"]
    profile_sections.register_profile_section("a", "甲二", _regulators_only, template="y.html", order=200)
    assert [(s.key, s.title, s.template) for s in profile_sections.profile_sections()] == [
        ("c", "丙", "x.html"),
        ("b", "乙", "x.html"),
        ("a", "甲二", "y.html"),
    ]
    profile_sections.unregister_profile_section("c")
    profile_sections.unregister_profile_section("missing")
    assert [s.key for s in profile_sections.profile_sections()] == ["b", "a"]


def test_a_section_decides_who_sees_it(registry_world: RegistryWorld, sections: dict[str, Any]) -> None:
    profile_sections.register_profile_section("mine", "监管", _regulators_only, template="x.html")
    profile_sections.register_profile_section("all", "全部", _everyone, template="x.html")
    org = registry_world.p.organization
    seen = profile_sections.sections_for(registry_world.user("regulator"), org)
    assert [(s.key, dict(s.data)) for s in seen] == [
        ("all", {"who": f"everyone-{org.pk}"}),
        ("mine", {"who": "regulator"}),
    ]
    clerk = profile_sections.sections_for(registry_world.user("data_clerk"), org)
    assert [s.key for s in clerk] == ["all"]


def test_the_page_renders_each_shown_section_in_order(
    registry_world: RegistryWorld, sections: dict[str, Any], code: str
) -> None:
    profile_sections.register_profile_section("z_all", "全部主体", _everyone, template=SECTION, order=1)
    profile_sections.register_profile_section("mine", "仅监管人员", _regulators_only, template=SECTION, order=2)
    url = f"/market/entities/{code}/"
    html = registry_world.client("regulator").get(url).content.decode()
    assert html.index('data-section="z_all"') < html.index('data-section="mine"')
    assert '<h2 id="section-mine-h">仅监管人员</h2>' in html
    assert f'<p data-probe="regulator">regulator {code}</p>' in html
    clerk = registry_world.client("data_clerk").get(url)
    assert clerk.status_code == 200
    page = clerk.content.decode()
    assert 'data-section="z_all"' in page and 'data-section="mine"' not in page and "仅监管人员" not in page


@pytest.mark.parametrize("name", ["anonymous", "citizen", "clerk_other_department"])
def test_no_section_is_rendered_for_who_may_not_open_the_profile(
    registry_world: RegistryWorld, sections: dict[str, Any], code: str, name: str
) -> None:
    calls: list[Any] = []

    def spy(user: Any, organization: Any) -> dict[str, str]:
        calls.append(user)
        return {"who": "x"}

    profile_sections.register_profile_section("spy", "探针", spy, template=SECTION)
    response = registry_world.client(name).get(f"/market/entities/{code}/")
    assert response.status_code == (302 if name == "anonymous" else 403)
    assert "探针" not in response.content.decode() and calls == []


def test_the_page_statement_count_is_pinned(
    registry_world: RegistryWorld, sections: dict[str, Any], code: str, django_assert_num_queries: Any
) -> None:
    client = registry_world.client("regulator")
    with django_assert_num_queries(PROFILE_PAGE_QUERIES):
        assert client.get(f"/market/entities/{code}/").status_code == 200
    # a section that reads nothing adds nothing
    profile_sections.register_profile_section("all", "全部", _everyone, template=SECTION)
    with django_assert_num_queries(PROFILE_PAGE_QUERIES):
        assert client.get(f"/market/entities/{code}/").status_code == 200
