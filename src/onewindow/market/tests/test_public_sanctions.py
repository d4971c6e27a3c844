"""联合惩戒名单公示 (/market/public/sanctions/, 国发〔2016〕33号): anyone sees the active entries of
organizations whose measures include public disclosure — name, credit code, list, reason, basis,
listing department, listing date — filtered by list and paged; never a natural person, a removed
entry or one without the measure."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.sample_identifiers import sample_credit_code, sample_resident_id
from onewindow.accounts.testing import Principals, build_principals
from onewindow.market import sanctions_selectors
from onewindow.market.models import SanctionListing
from onewindow.market.views import public

pytestmark = pytest.mark.django_db

URL = "/market/public/sanctions/"
DAY = datetime.date(2026, 3, 2)
PERSON_ID = sample_resident_id("310106", datetime.date(1980, 5, 17), 42)
_serial = iter(range(1, 10_000))


@pytest.fixture
def p(db: None) -> Principals:
    return build_principals()


def _listing(p: Principals, name: str, **overrides: Any) -> SanctionListing:
    n = next(_serial)
    data: dict[str, Any] = {
        "list_kind": "business_anomaly",
        "subject_type": "organization",
        "credit_code": sample_credit_code("310106", random.Random(500 + n), "91"),
        "subject_name": name,
        "reason": f"通过登记的住所无法联系（{n}）",
        "legal_basis": "《企业经营异常名录管理暂行办法》第四条",
        "department": p.department,
        "source_id": f"GS-{n}",
        "listed_on": DAY - datetime.timedelta(days=n),
        "removable_on": DAY + datetime.timedelta(days=1000),
        "measures": ["window_warning", "public_disclosure"],
        "content_hash": "x" * 64,
    }
    data.update(overrides)
    return SanctionListing.objects.create(**data)


def _codes(html: str, rows: list[SanctionListing]) -> list[str]:
    """The credit codes of ``rows`` in the order the page shows them."""
    shown = [
        (html.index(f'data-code="{r.credit_code}"'), r.credit_code)
        for r in rows
        if f'data-code="{r.credit_code}"' in html
    ]
    return [code for _at, code in sorted(shown)]


def test_anyone_sees_the_disclosed_organizations(p: Principals) -> None:
    shown = _listing(p, "上海静安公示一号贸易有限公司")
    serious = _listing(
        p,
        "上海静安公示二号贸易有限公司",
        list_kind="serious_violation",
        reason="提交虚假材料取得登记",
        legal_basis="《严重违法失信企业名单管理暂行办法》第五条",
        measures=["public_disclosure"],
        status="repair_requested",
    )
    hidden = [
        _listing(p, "上海静安未公示贸易有限公司", measures=["window_warning", "draw_weight"]),
        _listing(p, "上海静安已移出贸易有限公司", status="removed", removed_on=DAY),
    ]
    person = _listing(
        p,
        "张三丰",
        list_kind="dishonest_debtor",
        subject_type="person",
        credit_code="",
        id_number=PERSON_ID,
        reason="有履行能力而拒不履行生效法律文书确定义务",
        legal_basis="《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
    )
    response = Client().get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert _codes(html, [shown, serious, *hidden]) == [shown.credit_code, serious.credit_code]  # newest first
    row = html[html.index(f'data-code="{serious.credit_code}"') :].split("</tr>")[0]
    for text in (
        "上海静安公示二号贸易有限公司",
        serious.credit_code,
        "严重违法失信企业名单",
        "提交虚假材料取得登记",
        "《严重违法失信企业名单管理暂行办法》第五条",
        p.department.name,
        "2026-02-28",
    ):
        assert text in row
    for text in (
        "上海静安未公示贸易有限公司",
        "上海静安已移出贸易有限公司",
        "张三丰",
        "张*",
        PERSON_ID,
        PERSON_ID[-4:],
    ):
        assert text not in html
    assert "共 2 条" in html and 'id="persons-note"' in html
    assert person.pk not in list(sanctions_selectors.public_listings().values_list("pk", flat=True))


def test_the_list_filter(p: Principals) -> None:
    anomaly = _listing(p, "上海静安异常贸易有限公司")
    serious = _listing(p, "上海静安严重贸易有限公司", list_kind="serious_violation")
    debtor = _listing(p, "上海静安被执行贸易有限公司", list_kind="dishonest_debtor")
    client = Client()
    every = [anomaly, serious, debtor]
    for list_kind, expected in [
        ("serious_violation", [serious]),
        ("dishonest_debtor", [debtor]),
        ("business_anomaly", [anomaly]),
        ("", every),
        ("no_such_list", every),  # an unknown list is no filter
    ]:
        response = client.get(URL, {"list_kind": list_kind})
        assert response.status_code == 200
        assert _codes(response.content.decode(), every) == [r.credit_code for r in expected], list_kind


def test_paged(p: Principals, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(public, "PAGE_SIZE", 2)
    rows = [_listing(p, f"上海静安分页{n}号贸易有限公司") for n in range(5)]  # newest first: rows in order
    client = Client()
    pages = [client.get(URL, {"page": n}).content.decode() for n in (1, 2, 3)]
    assert [_codes(html, rows) for html in pages] == [
        [rows[0].credit_code, rows[1].credit_code],
        [rows[2].credit_code, rows[3].credit_code],
        [rows[4].credit_code],
    ]
    assert "第 2 / 3 页" in pages[1] and 'rel="next"' in pages[1] and 'rel="prev"' in pages[1]
    # past the end: the last page; not a number: the first
    assert _codes(client.get(URL, {"page": 99}).content.decode(), rows) == [rows[4].credit_code]
    assert _codes(client.get(URL, {"page": "x"}).content.decode(), rows) == [rows[0].credit_code, rows[1].credit_code]


def test_empty_and_read_only(p: Principals, django_assert_num_queries: Any) -> None:
    client = Client()
    with django_assert_num_queries(2):  # the count and the page
        response = client.get(URL)
    assert response.status_code == 200 and 'id="no-sanctions"' in response.content.decode()
    _listing(p, "上海静安只读贸易有限公司")
    with django_assert_num_queries(2):  # the count and the page, the department joined
        assert client.get(URL).status_code == 200
    before = SanctionListing.objects.count()
    assert client.post(URL).status_code == 405
    assert SanctionListing.objects.count() == before


@pytest.mark.parametrize("name", ["citizen", "clerk", "admin"])
def test_the_same_page_for_a_logged_in_user(p: Principals, name: str) -> None:
    listing = _listing(p, "上海静安登录贸易有限公司")
    html = p.client(name).get(URL).content.decode()
    assert _codes(html, [listing]) == [listing.credit_code]
