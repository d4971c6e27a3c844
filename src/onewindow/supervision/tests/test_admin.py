"""The supervision admin: every page renders for a superuser; notices and tasks are read-only (no
add, change or delete: the 双告知 workflow is their only writer); officers, their conflicts and
the rules are written through the services (audited), and a service's refusal writes nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from onewindow.core.models import AuditEntry
from onewindow.supervision import services
from onewindow.supervision.models import (
    DualNotice,
    DualNoticeTask,
    DualNoticeTaskEvent,
    LicenceRule,
    Officer,
    OfficerConflict,
    OfficerSpecialty,
)
from onewindow.supervision.testing import SupervisionWorld

D = datetime.date


def admin_client(world: SupervisionWorld) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def officer_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "孙立新",
        "certificate_number": "31010600301",
        "active_from": "2016-08-15",
        "active_to": "",
        "user": "",
        "areas": "",
        "specialty_codes": ["food", "registration"],
        **management("conflicts"),
        **management("conflicts-2"),
    }
    form.update(overrides)
    return form


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(Officer.objects.order_by("pk").values_list("pk", "name", "certificate_number", "active_to")),
        tuple(OfficerSpecialty.objects.order_by("pk").values_list("officer_id", "specialty")),
        tuple(OfficerConflict.objects.order_by("pk").values_list("pk", "withdrawn_at")),
        tuple(LicenceRule.objects.order_by("pk").values_list("pk", "licence_name", "is_active")),
        tuple(DualNoticeTask.objects.order_by("pk").values_list("pk", "status", "department_id", "answer")),
        DualNotice.objects.count(),
        DualNoticeTaskEvent.objects.count(),
        AuditEntry.objects.filter(action__startswith="supervision.").count(),
    )


def test_every_page_renders_for_a_superuser(world: SupervisionWorld) -> None:
    notice = world.register()
    assert notice is not None
    task = notice.tasks.get(department=world.department)
    officer = services.officer_create(
        by=world.manager,
        department_id=world.department.pk,
        name="赵振华",
        certificate_number="31010600101",
        active_from=D(2016, 1, 1),
        specialties=["food"],
    )
    services.officer_conflict_declare(
        by=world.manager, officer_id=officer.pk, organization_id=world.p.organization.pk, relation="relative"
    )
    client = admin_client(world)
    for model in ("officer", "licencerule", "dualnotice", "dualnoticetask"):
        assert client.get(f"/admin/supervision/{model}/").status_code == 200, model
    pages = [
        f"/admin/supervision/officer/{officer.pk}/change/",
        "/admin/supervision/officer/add/",
        f"/admin/supervision/licencerule/{world.rules['food'].pk}/change/",
        "/admin/supervision/licencerule/add/",
        f"/admin/supervision/dualnotice/{notice.pk}/change/",
        f"/admin/supervision/dualnoticetask/{task.pk}/change/",
        f"/admin/supervision/dualnotice/?q={notice.credit_code}",
        f"/admin/supervision/dualnotice/?q={notice.number}",
        f"/admin/supervision/dualnotice/?tasks__status__exact=pending&tasks__department__id__exact={world.culture.pk}",
        f"/admin/supervision/dualnoticetask/?status__exact=pending&department__id__exact={world.department.pk}",
        f"/admin/supervision/dualnoticetask/?q={notice.number}",
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    found = client.get(f"/admin/supervision/dualnotice/?q={notice.credit_code}").content.decode()
    assert notice.number in found
    tasks = (
        client.get(f"/admin/supervision/dualnoticetask/?department__id__exact={world.culture.pk}")
        .context["cl"]
        .result_list
    )
    assert [t.pk for t in tasks] == [notice.tasks.get(department=world.culture).pk]


def test_notices_and_tasks_are_read_only(world: SupervisionWorld) -> None:
    notice = world.register()
    assert notice is not None
    task = notice.tasks.get(department=world.department)
    client = admin_client(world)
    before = snapshot()
    assert client.get("/admin/supervision/dualnotice/add/").status_code == 403
    assert client.get("/admin/supervision/dualnoticetask/add/").status_code == 403
    assert client.post("/admin/supervision/dualnotice/add/", {"number": "SGZ-2016-999999"}).status_code == 403
    assert client.post("/admin/supervision/dualnoticetask/add/", {"notice": notice.pk}).status_code == 403
    assert client.get(f"/admin/supervision/dualnotice/{notice.pk}/delete/").status_code == 403
    assert client.post(f"/admin/supervision/dualnoticetask/{task.pk}/delete/", {"post": "yes"}).status_code == 403
    changed = client.post(
        f"/admin/supervision/dualnoticetask/{task.pk}/change/", {"status": "answered", "answer": "issued"}
    )
    assert changed.status_code == 403
    page = client.get(f"/admin/supervision/dualnoticetask/{task.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert snapshot() == before


def test_an_officer_added_in_the_admin_goes_through_the_service(world: SupervisionWorld) -> None:
    client = admin_client(world)
    response = client.post("/admin/supervision/officer/add/", officer_form(department=world.department.pk))
    assert response.status_code == 302
    officer = Officer.objects.get(certificate_number="31010600301")
    assert (officer.name, officer.department, officer.active_from) == ("孙立新", world.department, D(2016, 8, 15))
    assert sorted(officer.specialties.values_list("specialty", flat=True)) == ["food", "registration"]
    entry = AuditEntry.objects.get(action="supervision.officer.create")
    assert (entry.actor_label, entry.target_id) == (world.admin.username, str(officer.pk))


def test_a_refused_officer_writes_nothing(world: SupervisionWorld) -> None:
    services.officer_create(
        by=world.manager,
        department_id=world.department.pk,
        name="赵振华",
        certificate_number="31010600101",
        active_from=D(2016, 1, 1),
    )
    client = admin_client(world)
    before = snapshot()
    # A taken number is refused by the form (the unique field); a malformed one by the service.
    taken = client.post(
        "/admin/supervision/officer/add/",
        officer_form(department=world.department.pk, certificate_number="31010600101"),
    )
    assert taken.status_code == 200
    assert taken.context["adminform"].form.errors["certificate_number"]
    assert snapshot() == before
    refused = client.post(
        "/admin/supervision/officer/add/",
        officer_form(department=world.department.pk, certificate_number="执法证#1"),
        follow=True,
    )
    assert refused.status_code == 200
    assert [str(m) for m in refused.context["messages"]] == ["执法人员信息不正确。"]
    assert snapshot() == before


def test_conflicts_are_declared_and_withdrawn_through_the_services(world: SupervisionWorld) -> None:
    officer = services.officer_create(
        by=world.manager,
        department_id=world.department.pk,
        name="赵振华",
        certificate_number="31010600101",
        active_from=D(2016, 1, 1),
        specialties=["food"],
    )
    client = admin_client(world)
    url = f"/admin/supervision/officer/{officer.pk}/change/"
    form = officer_form(
        name="赵振华", certificate_number="31010600101", active_from="2016-01-01", specialty_codes=["food"]
    )
    form.update(management("conflicts-2", total=1))
    form.update(
        {
            "conflicts-2-0-organization": world.p.organization.pk,
            "conflicts-2-0-relation": "investment",
            "conflicts-2-0-note": "持股 5%",
            "conflicts-2-0-officer": officer.pk,
        }
    )
    assert client.post(url, form).status_code == 302
    conflict = OfficerConflict.objects.get()
    assert (conflict.organization, conflict.relation, conflict.note, conflict.declared_by, conflict.withdrawn_at) == (
        world.p.organization,
        "investment",
        "持股 5%",
        world.admin,
        None,
    )
    assert AuditEntry.objects.filter(action="supervision.officer_conflict.declare").count() == 1
    assert AuditEntry.objects.filter(action="supervision.officer.update").count() == 1
    form = officer_form(
        name="赵振华", certificate_number="31010600101", active_from="2016-01-01", specialty_codes=["food"]
    )
    form.update(management("conflicts", total=1, initial=1))
    form.update({"conflicts-0-id": conflict.pk, "conflicts-0-officer": officer.pk, "conflicts-0-withdraw": "on"})
    assert client.post(url, form).status_code == 302
    conflict.refresh_from_db()
    assert (conflict.withdrawn_by, conflict.withdrawn_at is not None) == (world.admin, True)
    assert AuditEntry.objects.filter(action="supervision.officer_conflict.withdraw").count() == 1


def test_a_rule_added_in_the_admin_goes_through_the_service(world: SupervisionWorld) -> None:
    client = admin_client(world)
    form = {
        "licence_name": "药品经营许可证",
        "industry_prefixes": "5251、F5251",
        "keywords": "药品零售\n药品批发",
        "item": "",
        "department": world.department.pk,
        "region_prefix": "310106",
        "basis": "《中华人民共和国药品管理法》第五十一条",
        "is_active": "on",
        "sort_order": "40",
    }
    added = client.post("/admin/supervision/licencerule/add/", form, follow=True)
    assert added.redirect_chain == [("/admin/supervision/licencerule/", 302)]
    rule = LicenceRule.objects.get(licence_name="药品经营许可证")
    assert (rule.industry_prefixes, rule.keywords, rule.department, rule.updated_by) == (
        ["5251", "F5251"],
        ["药品零售", "药品批发"],
        world.department,
        world.admin,
    )
    assert AuditEntry.objects.filter(action="supervision.licence_rule.create", target_id=str(rule.pk)).count() == 1
    before = snapshot()
    bad = client.post(
        "/admin/supervision/licencerule/add/", {**form, "industry_prefixes": "", "keywords": ""}, follow=True
    )
    assert [str(m) for m in bad.context["messages"]] == ["双告知规则内容不正确。"]
    assert snapshot() == before
    assert client.get(f"/admin/supervision/licencerule/{rule.pk}/delete/").status_code == 403


@pytest.mark.parametrize(("name", "status"), [("manager", 403), ("regulator", 302), ("citizen", 302)])
def test_no_admin_for_others(world: SupervisionWorld, name: str, status: int) -> None:
    """A staff login without model permissions is refused; a login that is not staff is sent to
    the admin's login page."""
    client = Client()
    client.force_login(world.user(name))
    for model in ("officer", "licencerule", "dualnotice", "dualnoticetask"):
        assert client.get(f"/admin/supervision/{model}/").status_code == status, model
