"""The demo 联合惩戒 lists: 20 entities on the 经营异常名录, 5 on the 严重违法失信企业名单, and the demo
agent's organization refused at the window for its item types; deterministic and idempotent. The
profile page of a listed entity shows the section."""

from __future__ import annotations

from collections import Counter

import pytest

from onewindow.accounts.models import Organization
from onewindow.accounts.testing import UserFactory
from onewindow.cases import services as case_services
from onewindow.cases.testing import build_case_world
from onewindow.core.errors import Conflict
from onewindow.market.demo import sanctions as demo
from onewindow.market.models import SanctionEvent, SanctionListing
from onewindow.market.services import entity_register
from onewindow.market.testing import build_registry_world, entity_row

pytestmark = pytest.mark.django_db


def test_demo_lists_are_small_deterministic_and_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    rw = build_registry_world()
    for _n in range(demo.ANOMALIES + demo.SERIOUS + 2):
        entity_register(by=rw.user("data_clerk"), data=entity_row(), notify=False)
    cw = build_case_world(rw.p)
    UserFactory.create(username="agent", organization=rw.p.organization)
    monkeypatch.setattr(demo, "_refused_types", lambda: ["01"])
    seen: list[int] = []
    demo.load(progress=seen.append, seed=7)
    first = list(SanctionListing.objects.order_by("source_id").values_list("source_id", "credit_code", "listed_on"))
    kinds = Counter(SanctionListing.objects.values_list("list_kind", flat=True))
    assert kinds == {"business_anomaly": 20, "serious_violation": 6}
    assert sum(seen) == 26
    window = SanctionListing.objects.get(source_id="demo-yzsx-window")
    assert (window.credit_code, window.refused_item_types) == (rw.p.organization.credit_code, ["01"])
    events = SanctionEvent.objects.count()
    demo.load(progress=seen.append, seed=7)
    assert SanctionEvent.objects.count() == events
    assert (
        list(SanctionListing.objects.order_by("source_id").values_list("source_id", "credit_code", "listed_on"))
        == first
    )

    case = cw.submitted(by=rw.p.agent, applicant_organization=rw.p.organization)
    with pytest.raises(Conflict) as refused:
        case_services.case_accept(by=rw.p.clerk, case_id=case.pk)
    assert refused.value.code == "case_applicant_sanctioned"

    listed = SanctionListing.objects.get(source_id="demo-jyyc-001")
    client = rw.client("regulator")
    profile = client.get(f"/market/entities/{listed.credit_code}/").content.decode()
    assert 'id="sanctions"' in profile and "/market/sanctions/entity/" in profile
    section = client.get(
        f"/market/sanctions/entity/{Organization.objects.get(credit_code=listed.credit_code).pk}/",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "经营异常名录" in section and listed.reason in section
