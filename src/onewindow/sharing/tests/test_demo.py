"""The sharing demo (issue #13 "Demo"): 静安区's departments publish 10 resources (among them the
entity registry, licences and person registration), signed bulk drops load person registration
and social insurance, grants serve the cases app's pre-fill, case handling, the supervision
platform and statistics, months of exchanges went through the real exchange service, the demo
citizen's application to a fully-online item is pre-filled with 2 materials marked 已共享, and
the exchange log verifies; a second load adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Count

from onewindow.accounts import demo as accounts_demo
from onewindow.accounts.models import User
from onewindow.cases.models import Case, CaseMaterial, PrefilledField
from onewindow.catalog import demo as catalog_demo
from onewindow.core.actors import system_actor
from onewindow.core.services import regions_load
from onewindow.demo.management import prefill_story
from onewindow.market import demo as market_demo
from onewindow.sharing import demo
from onewindow.sharing.choices import DropStatus, ExchangeRole, Purpose, SharingClass
from onewindow.sharing.demo.story import HOUSEHOLD, INSURANCE, story_item
from onewindow.sharing.models import BulkDrop, DataResource, DatasetRow, ExchangeLogEntry, Grant
from onewindow.sharing.selectors.bulk import dataset_row_for
from onewindow.sharing.selectors.statistics import sharing_statistics
from onewindow.sharing.services.log import log_verify

SEED = 20170929
#: The error codes the history's refusals may carry (the rate window follows the real clock).
REFUSALS = {"sharing_purpose_mismatch", "sharing_fields_not_granted", "sharing_grant_expired",
            "sharing_rate_limited"}


def counts() -> dict[str, Any]:
    return {
        "resources": DataResource.objects.count(),
        "rows": DatasetRow.objects.count(),
        "drops": BulkDrop.objects.count(),
        "grants": Grant.objects.count(),
        "entries": ExchangeLogEntry.objects.count(),
        "cases": Case.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_the_sharing_demo_and_the_prefilled_application() -> None:
    regions_load(by=system_actor("test"))
    for module in (catalog_demo, accounts_demo):
        module.load(progress=lambda n: None, seed=SEED)
    market_demo.load(progress=lambda n: None, seed=SEED, size="small")
    demo.load(progress=lambda n: None, seed=SEED, size="small")
    prefill_story.load(progress=lambda n: None, seed=SEED)

    # The catalogue: ten published resources of 静安区's departments, codes <department>-NNNN.
    resources = {r.current.name: r for r in DataResource.objects.select_related("current", "provider_department")
                 if r.current is not None}
    assert len(resources) == 10 and all(r.status == "published" for r in resources.values())
    entity, licences = resources["市场主体登记信息"], resources["行政许可信息（电子证照）"]
    persons = resources["户籍人口登记信息"]
    assert (entity.code, licences.code, persons.code) == ("310106-SCJG-0001", "310106-SCJG-0002", "310106-GAFJ-0001")
    assert (entity.provider, licences.provider, persons.provider) == ("market.entity", "market.licences",
                                                                      "sharing.dataset")
    classes = {r.current.sharing_class for r in resources.values() if r.current is not None}
    assert classes == {SharingClass.UNCONDITIONAL, SharingClass.CONDITIONAL, SharingClass.NOT_SHARED}
    health = resources["居民电子健康档案"].current
    assert health is not None and health.sharing_class == SharingClass.NOT_SHARED
    assert "第九十二条" in health.not_shared_basis
    assert all(r.current.legal_basis and r.current.contact_phone for r in resources.values() if r.current)

    # Signed drops loaded every row; the demo citizen is registered in 静安区.
    drops = list(BulkDrop.objects.values_list("resource__code", "status", "rows_total", "rows_failed", "kid"))
    assert {(code, status, failed) for code, status, _t, failed, _k in drops} == {
        (persons.code, DropStatus.LOADED, 0), ("310106-RS-0001", DropStatus.LOADED, 0)}
    assert all(kid for *_rest, kid in drops)
    assert DatasetRow.objects.filter(resource=persons).count() == demo.PEOPLE["small"]
    citizen = User.objects.select_related("person").get(username="citizen")
    assert citizen.person is not None
    found = dataset_row_for(persons, citizen.person.id_number)
    assert found is not None and (found[0]["name"], found[0]["district"], found[0]["registered"]) == (
        citizen.person.name, "310106", True)

    # Grants for the cases app's pre-fill, the supervision platform, case handling and statistics.
    item = story_item()
    assert item is not None and item.fully_online
    by_purpose = dict(Grant.objects.values_list("purpose").annotate(n=Count("id")).order_by())
    assert set(by_purpose) == {Purpose.PREFILL, Purpose.SUPERVISION, Purpose.CASE_HANDLING, Purpose.STATISTICS}
    prefill = set(Grant.objects.filter(purpose=Purpose.PREFILL).values_list("consumer_department__code",
                                                                            "resource__code"))
    assert {(item.department.code, persons.code), (item.department.code, "310106-RS-0001"),
            ("310106-SCJG", entity.code), ("310106-SCJG", licences.code)} <= prefill
    assert Grant.objects.filter(purpose=Purpose.SUPERVISION, resource=entity).count() >= 4

    # Months of exchanges through the service, each logged on both sides; realistic refusals.
    provider = ExchangeLogEntry.objects.filter(role=ExchangeRole.PROVIDER)
    consumer = ExchangeLogEntry.objects.filter(role=ExchangeRole.CONSUMER)
    assert provider.count() == consumer.count() > 100
    codes = set(provider.exclude(error_code="").values_list("error_code", flat=True))
    assert codes and codes <= REFUSALS
    stats = sharing_statistics(User.objects.get(username="admin"))
    assert len(stats.months) >= 2 and stats.totals["saved"] > 0 and stats.totals["failed"] > 0

    # The demo citizen's application: submitted, filled from two registers, two uploads avoided.
    case = Case.objects.get(item=item, applicant_person=citizen.person)
    assert case.status == "submitted" and case.channel == "online"
    shared = set(CaseMaterial.objects.filter(case=case).exclude(shared_resource="")
                 .values_list("material__name", "shared_resource"))
    assert shared == {(HOUSEHOLD, persons.code), (INSURANCE, "310106-RS-0001")}
    assert not CaseMaterial.objects.filter(case=case, material__name__in=[HOUSEHOLD, INSURANCE],
                                           shared_resource="").exists()
    filled = dict(PrefilledField.objects.filter(case=case).values_list("field_name", "resource_code"))
    assert filled == {"applicant_name": persons.code, "household_street": persons.code,
                      "months_paid": "310106-RS-0001"}
    assert case.form_values()["applicant_name"] == citizen.person.name
    logged = set(ExchangeLogEntry.objects.filter(case_number=f"DRAFT-{case.pk}", purpose=Purpose.PREFILL,
                                                 outcome="ok").values_list("role", "resource_code"))
    assert logged == {(role, code) for role in ExchangeRole.values for code in (persons.code, "310106-RS-0001")}

    # The log is sealed and verifies.
    assert not ExchangeLogEntry.objects.filter(seq__isnull=True).exists()
    report = log_verify()
    assert report.ok and report.checked == ExchangeLogEntry.objects.count()

    # Loaded once: a second run adds nothing.
    before = counts()
    demo.load(progress=lambda n: None, seed=SEED, size="small")
    prefill_story.load(progress=lambda n: None, seed=SEED)
    assert counts() == before
