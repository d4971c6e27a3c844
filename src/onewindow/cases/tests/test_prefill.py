"""Once-only (减材料, issue #13 part 5): pre-fill of an online application from shared registers.

Each pre-fill is an exchange under the implementing department's grant (purpose prefill), logged
on both sides with the case reference; values keep their source and as-of; the applicant's
correction sits beside the source; declining fetches nothing and clears what was fetched; a shared
material needs no upload; a missing, revoked or failing source never blocks applying."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from onewindow.cases import services
from onewindow.cases.choices import CaseStatus, PrefillOutcome
from onewindow.cases.models import Case, CaseMaterial, CasePrefill, PrefilledField, PrefillSource
from onewindow.cases.testing import PDF, CaseWorld
from onewindow.core.errors import DomainError
from onewindow.core.masking import mask_id_number, mask_name
from onewindow.core.models import AuditEntry
from onewindow.sharing.choices import ExchangeOutcome, ExchangeRole, Purpose
from onewindow.sharing.models import ExchangeLogEntry
from onewindow.sharing.providers import Provider, ProviderAnswer, register_provider
from onewindow.sharing.services.access import grant_revoke
from onewindow.sharing.testing import make_grant

from .prefill_world import AS_OF, ENTITY_FIELDS, PERSON_PROVIDER, PrefillWorld, build_prefill_world


@pytest.fixture
def pw(case_world: CaseWorld) -> PrefillWorld:
    return build_prefill_world(case_world)


def _run(pw: PrefillWorld, case: Case, by: Any = None, **kwargs: Any) -> CasePrefill | None:
    return services.prefill_run(by=by or pw.w.p.citizen, case_id=case.pk, **kwargs)


def _log(case: Case) -> list[ExchangeLogEntry]:
    return list(ExchangeLogEntry.objects.filter(case_number=f"DRAFT-{case.pk}").order_by("id"))


def _upload(pw: PrefillWorld, case: Case, name: str, by: Any = None) -> None:
    material = case.item_version.materials.get(name=name)
    services.case_attach(by=by or pw.w.p.citizen, case_id=case.pk, name=f"{name}.pdf", content=PDF,
                         material_id=material.pk)


def test_prefill_fills_the_mapped_fields_with_source_and_as_of(pw: PrefillWorld) -> None:
    person = pw.w.p.citizen.person
    case = pw.draft()
    state = _run(pw, case)
    assert state is not None and state.fetched_at is not None and not state.declined
    case.refresh_from_db()
    values = case.form_values()
    assert (values["applicant_name"], values["id_number"], values["home_address"], values["household_district"]) == (
        person.name, person.id_number, "上海市静安区共和新路1号", "静安区")
    assert values["description"] == "迁入"  # what the applicant typed stays
    assert "entity_name" not in values  # a citizen has no credit code: the entity registry is not asked
    # personal values are stored like the form's own: masked in the shown copy, encrypted beside it
    assert case.form_data["applicant_name"] == mask_name(person.name)
    assert case.form_data["id_number"] == mask_id_number(person.id_number)
    fields = {f.field_name: f for f in PrefilledField.objects.filter(case=case)}
    assert set(fields) == {"applicant_name", "id_number", "home_address", "household_district"}
    name = fields["applicant_name"]
    assert (name.resource_code, name.resource_name, name.source_field, name.personal) == (
        pw.person_resource.code, "户籍登记信息", "name", True)
    assert (name.source(), name.source_value, name.as_of, name.corrected, name.declined) == (
        person.name, mask_name(person.name), AS_OF, False, False)
    with connection.cursor() as cursor:  # at rest: encrypted
        cursor.execute("SELECT source_personal FROM cases_prefilledfield WHERE id = %s", [name.pk])
        assert person.name not in cursor.fetchone()[0]
    district = fields["household_district"]
    assert (district.personal, district.source_value, district.source_personal) == (False, "静安区", "")
    sources = {s.resource_code: s for s in PrefillSource.objects.filter(case=case)}
    assert (sources[pw.person_resource.code].outcome, sources[pw.person_resource.code].as_of) == (
        PrefillOutcome.FILLED, AS_OF)
    entity = sources[pw.entity_resource.code]
    assert (entity.outcome, entity.error_code, entity.exchange_id, entity.skipped) == (
        PrefillOutcome.NO_KEY, "credit_code", None, ["entity_name"])
    audit = AuditEntry.objects.get(action="cases.prefill")
    # (orders below are compared sorted: PostgreSQL's jsonb keeps a schema's properties in its own order)
    assert sorted(audit.after["fields"]) == ["applicant_name", "home_address", "household_district", "id_number"]
    assert audit.after["materials"] == ["户口簿"]
    # runs once per draft: opening it again asks nobody
    assert _run(pw, case) == state
    assert len(_log(case)) == 2


def test_every_prefill_is_an_exchange_logged_on_both_sides(pw: PrefillWorld) -> None:
    case = pw.draft(form={"contact_phone": "13800138000"})
    _run(pw, case)
    entries = _log(case)
    assert [(e.role, e.purpose, e.resource_code, e.outcome) for e in entries] == [
        (ExchangeRole.PROVIDER, Purpose.PREFILL, pw.person_resource.code, ExchangeOutcome.OK),
        (ExchangeRole.CONSUMER, Purpose.PREFILL, pw.person_resource.code, ExchangeOutcome.OK)]
    assert pw.person_grant is not None
    assert {e.exchange_id for e in entries} == {PrefilledField.objects.get(case=case,
                                                                            field_name="applicant_name").exchange_id}
    assert {e.grant_id for e in entries} == {pw.person_grant.pk}
    assert sorted(entries[1].fields) == ["address", "district", "id_number", "name"]  # only what the form maps
    shared = CaseMaterial.objects.get(case=case, shared_resource=pw.person_resource.code)
    assert shared.exchange_id == entries[0].exchange_id
    # once submitted the case's number names later exchanges; the draft's stay under DRAFT-<id>
    _upload(pw, case, "居民身份证")
    case = services.case_submit(by=pw.w.p.citizen, case_id=case.pk)
    assert len(_log(case)) == 2


def test_enterprise_applicant_is_looked_up_by_credit_code(pw: PrefillWorld) -> None:
    p = pw.w.p
    case = pw.draft(by=p.agent, applicant_organization=p.organization,
                    form={"applicant_name": "周建国", "description": "单位集体户"})
    _run(pw, case, by=p.agent)
    case.refresh_from_db()
    assert case.form_values()["entity_name"] == p.organization.name
    field = PrefilledField.objects.get(case=case, field_name="entity_name")
    assert (field.resource_code, field.source(), field.personal) == (pw.entity_resource.code, p.organization.name,
                                                                     False)
    sources = dict(PrefillSource.objects.filter(case=case).values_list("resource_code", "outcome"))
    assert sources == {pw.person_resource.code: PrefillOutcome.NO_KEY, pw.entity_resource.code: PrefillOutcome.FILLED}
    # 户口簿 is proven by the person dataset only: an organization uploads it
    assert not CaseMaterial.objects.filter(case=case).exists()
    entry = ExchangeLogEntry.objects.get(case_number=f"DRAFT-{case.pk}", role=ExchangeRole.CONSUMER)
    assert (entry.resource_code, entry.fields) == (pw.entity_resource.code, ["name"])


def test_a_correction_is_kept_beside_the_source(pw: PrefillWorld) -> None:
    person = pw.w.p.citizen.person
    case = pw.draft()
    _run(pw, case)
    form = {**Case.objects.get(pk=case.pk).form_values(), "home_address": "上海市静安区大统路2号"}
    services.case_update(by=pw.w.p.citizen, case_id=case.pk, form_data=form)
    field = PrefilledField.objects.get(case=case, field_name="home_address")
    assert (field.source(), field.corrected, field.correction()) == (
        "上海市静安区共和新路1号", True, "上海市静安区大统路2号")
    # personal (an address): masked to the first six characters, the values encrypted beside
    assert (field.source_value, field.correction_value) == ("上海市静安区******", "上海市静安区*****")
    assert Case.objects.get(pk=case.pk).form_values()["home_address"] == "上海市静安区大统路2号"
    untouched = PrefilledField.objects.get(case=case, field_name="applicant_name")
    assert (untouched.source(), untouched.corrected) == (person.name, False)
    # back to the register's value: no correction any more
    services.case_update(by=pw.w.p.citizen, case_id=case.pk, form_patch={"home_address": "上海市静安区共和新路1号"})
    field.refresh_from_db()
    assert (field.corrected, field.correction(), field.source()) == (False, None, "上海市静安区共和新路1号")


def test_a_value_typed_before_prefill_wins_and_is_the_correction(pw: PrefillWorld) -> None:
    case = pw.draft(form={"household_district": "普陀区"})
    _run(pw, case)
    case.refresh_from_db()
    assert case.form_values()["household_district"] == "普陀区"
    field = PrefilledField.objects.get(case=case, field_name="household_district")
    assert (field.source(), field.corrected, field.correction()) == ("静安区", True, "普陀区")


def test_declining_first_fetches_nothing(pw: PrefillWorld) -> None:
    case = pw.draft()
    state = services.prefill_decline(by=pw.w.p.citizen, case_id=case.pk)
    assert state.declined and state.declined_at is not None and state.fetched_at is None
    assert _run(pw, case) == state  # opening the draft again asks nobody
    assert ExchangeLogEntry.objects.count() == 0
    assert not PrefilledField.objects.exists() and not PrefillSource.objects.exists()
    assert not CaseMaterial.objects.exists()
    assert "applicant_name" not in Case.objects.get(pk=case.pk).form_values()


def test_declining_clears_what_was_fetched_and_fetches_nothing_more(pw: PrefillWorld) -> None:
    case = pw.draft()
    _run(pw, case)
    services.case_update(by=pw.w.p.citizen, case_id=case.pk,
                         form_patch={"household_district": "普陀区"})  # the applicant's own value
    logged = ExchangeLogEntry.objects.count()
    services.prefill_decline(by=pw.w.p.citizen, case_id=case.pk)
    case.refresh_from_db()
    values = case.form_values()
    assert {"applicant_name", "id_number", "home_address"} & set(values) == set()
    assert values["household_district"] == "普陀区" and values["description"] == "迁入"
    for field in PrefilledField.objects.filter(case=case):
        assert (field.declined, field.source(), field.source_value, field.source_personal) == (True, None, None, "")
    assert not case.materials.filter(removed_at__isnull=True).exists()  # 户口簿 must be uploaded now
    _run(pw, case)
    assert ExchangeLogEntry.objects.count() == logged
    with pytest.raises(DomainError) as info:
        services.case_update(by=pw.w.p.citizen, case_id=case.pk,
                             form_patch={"applicant_name": "张伟", "id_number": pw.w.p.citizen.person.id_number,
                                         "contact_phone": "13800138000"})
        services.case_submit(by=pw.w.p.citizen, case_id=case.pk)
    assert (info.value.code, info.value.fields) == ("materials_missing", {"materials": ["居民身份证", "户口簿"]})
    # asking again (consent) fills again: a new exchange
    state = _run(pw, case, consent=True)
    assert state is not None and not state.declined
    assert ExchangeLogEntry.objects.count() == logged + 2
    assert PrefilledField.objects.get(case=case, field_name="home_address").source() == "上海市静安区共和新路1号"


def test_a_shared_material_needs_no_upload_and_submission_passes(pw: PrefillWorld) -> None:
    case = pw.draft(form={"contact_phone": "13800138000", "description": "迁入"})
    _run(pw, case)
    shared = CaseMaterial.objects.get(case=case)
    assert (shared.material.name, shared.shared_resource, shared.is_shared, shared.file.name) == (
        "户口簿", pw.person_resource.code, True, "")
    _upload(pw, case, "居民身份证")
    case = services.case_submit(by=pw.w.p.citizen, case_id=case.pk)
    assert case.status == CaseStatus.SUBMITTED and case.number


@pytest.mark.parametrize("how", ["missing", "revoked", "other_purpose"])
def test_no_grant_means_no_prefill_and_applying_still_works(case_world: CaseWorld, how: str) -> None:
    pw = build_prefill_world(case_world, grants=False)
    p = case_world.p
    if how == "revoked":
        grant, _t = make_grant(pw.person_resource, p.department, purpose=Purpose.PREFILL)
        with transaction.atomic():
            grant_revoke(by=_provider_admin(pw), grant=grant, reason="停止共享")
    elif how == "other_purpose":
        make_grant(pw.person_resource, p.department, purpose=Purpose.CASE_HANDLING)
    case = pw.draft(form={"contact_phone": "13800138000"})
    _run(pw, case)
    assert ExchangeLogEntry.objects.filter(case_number=f"DRAFT-{case.pk}").count() == 0
    assert not PrefilledField.objects.exists() and not CaseMaterial.objects.exists()
    source = PrefillSource.objects.get(case=case, resource_code=pw.person_resource.code)
    assert (source.outcome, sorted(source.skipped)) == (
        PrefillOutcome.NO_GRANT, ["applicant_name", "home_address", "household_district", "id_number"])
    assert str(services.prefill.reason_of(source)) == "承办部门尚未获得该数据的共享授权"
    services.case_update(by=p.citizen, case_id=case.pk, form_patch={
        "applicant_name": p.citizen.person.name, "id_number": p.citizen.person.id_number})
    _upload(pw, case, "居民身份证")
    _upload(pw, case, "户口簿")
    assert services.case_submit(by=p.citizen, case_id=case.pk).status == CaseStatus.SUBMITTED


def _provider_admin(pw: PrefillWorld) -> Any:
    from onewindow.accounts.choices import StaffRoleKind
    from onewindow.accounts.testing import StaffRoleFactory, UserFactory

    user = UserFactory.create(username="prefill_provider_admin")
    StaffRoleFactory.create(user=user, role=StaffRoleKind.DEPARTMENT_ADMIN, department=pw.w.p.other_department)
    return user


def test_a_failing_register_never_blocks_applying(pw: PrefillWorld) -> None:
    def broken(params: dict[str, Any], **_: Any) -> ProviderAnswer:
        raise RuntimeError("register down")

    register_provider(Provider(name=PERSON_PROVIDER, fields=tuple(f["name"] for f in ENTITY_FIELDS),
                               params=("key",), query=broken))
    case = pw.draft(form={"contact_phone": "13800138000"})
    _run(pw, case)
    source = PrefillSource.objects.get(case=case, resource_code=pw.person_resource.code)
    assert (source.outcome, source.error_code) == (PrefillOutcome.FAILED, "sharing_provider_error")
    assert str(services.prefill.reason_of(source)) == "共享数据暂不可用"
    assert [(e.role, e.outcome, e.error_code) for e in _log(case)] == [
        (ExchangeRole.PROVIDER, ExchangeOutcome.ERROR, "sharing_provider_error"),
        (ExchangeRole.CONSUMER, ExchangeOutcome.ERROR, "sharing_provider_error")]
    assert not PrefilledField.objects.exists() and not CaseMaterial.objects.exists()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_fields_outside_the_grant_are_not_asked(case_world: CaseWorld) -> None:
    pw = build_prefill_world(case_world, grants=False)
    make_grant(pw.person_resource, case_world.p.department, purpose=Purpose.PREFILL, fields=["id_number", "district"])
    case = pw.draft()
    _run(pw, case)
    assert set(PrefilledField.objects.filter(case=case).values_list("field_name", flat=True)) == {
        "id_number", "household_district"}
    source = PrefillSource.objects.get(case=case, resource_code=pw.person_resource.code)
    assert (source.outcome, sorted(source.skipped)) == (PrefillOutcome.FILLED, ["applicant_name", "home_address"])
    entry = ExchangeLogEntry.objects.get(case_number=f"DRAFT-{case.pk}", role=ExchangeRole.CONSUMER)
    assert entry.fields == ["id_number", "district"]


def test_no_record_fills_nothing(pw: PrefillWorld) -> None:
    other = pw.w.p.another_citizen
    case = pw.draft(by=other)
    _run(pw, case, by=other)
    source = PrefillSource.objects.get(case=case, resource_code=pw.person_resource.code)
    assert source.outcome == PrefillOutcome.NOT_FOUND and source.exchange_id is not None
    assert [e.outcome for e in _log(case)] == [ExchangeOutcome.NOT_FOUND, ExchangeOutcome.NOT_FOUND]
    assert not PrefilledField.objects.exists() and not CaseMaterial.objects.exists()


def _refused(call: Any, code: str, status: int, **kwargs: Any) -> None:
    with pytest.raises(DomainError) as info:
        call(**kwargs)
    assert (info.value.code, info.value.status) == (code, status), kwargs


def test_who_may_run_decline_and_see_the_prefill(pw: PrefillWorld) -> None:
    p = pw.w.p
    case = pw.draft(form={"contact_phone": "13800138000"})
    _run(pw, case)

    def snapshot() -> tuple[int, int, int, bool]:
        return (PrefilledField.objects.filter(declined=False).count(), ExchangeLogEntry.objects.count(),
                AuditEntry.objects.count(), CasePrefill.objects.get(case=case).declined)

    before = snapshot()
    # a draft is the applicant's alone: everyone else is told it does not exist
    for who in ("another_citizen", "agent", "clerk", "clerk_other_department", "reviewer", "manager"):
        _refused(services.prefill_run, "case_not_found", 404, by=p.user(who), case_id=case.pk, consent=True)
        _refused(services.prefill_decline, "case_not_found", 404, by=p.user(who), case_id=case.pk)
        _refused(services.prefill_view_for, "case_not_found", 404, user=p.user(who), case=case)
    # the system admin sees every case, but acts for no applicant
    _refused(services.prefill_run, "case_action_forbidden", 403, by=p.admin, case_id=case.pk, consent=True)
    _refused(services.prefill_decline, "case_action_forbidden", 403, by=p.admin, case_id=case.pk)
    assert snapshot() == before
    _upload(pw, case, "居民身份证")
    services.case_submit(by=p.citizen, case_id=case.pk)
    before = snapshot()
    # submitted: staff in scope see the pre-fill, but only the applicant side may decline it
    for who in ("clerk", "reviewer", "manager"):
        view = services.prefill_view_for(p.user(who), case)
        assert set(view.fields) == {"applicant_name", "id_number", "home_address", "household_district"}
        _refused(services.prefill_decline, "case_action_forbidden", 403, by=p.user(who), case_id=case.pk)
    for who in ("another_citizen", "agent", "clerk_other_department"):
        _refused(services.prefill_view_for, "case_not_found", 404, user=p.user(who), case=case)
        _refused(services.prefill_decline, "case_not_found", 404, by=p.user(who), case_id=case.pk)
    _refused(services.prefill_decline, "case_not_editable", 409, by=p.citizen, case_id=case.pk)
    assert snapshot() == before
    view = services.prefill_view_for(p.citizen, case)
    assert sorted(title for title, _row in view.rows) == sorted(["申请人姓名", "身份证号码", "户籍地址", "户籍所在区"])


def test_only_online_drafts_are_prefilled(pw: PrefillWorld) -> None:
    p = pw.w.p
    with transaction.atomic():
        window = services.case_create(by=p.clerk, item_code=pw.item.code, channel="window",
                                      applicant_person=p.citizen.person, receiving_department=p.department)
    with pytest.raises(DomainError) as info:
        services.prefill_run(by=p.clerk, case_id=window.pk)
    assert info.value.code in ("case_action_forbidden", "prefill_not_online")
    case = pw.draft(form={"contact_phone": "13800138000"})
    _run(pw, case)
    _upload(pw, case, "居民身份证")
    services.case_submit(by=p.citizen, case_id=case.pk)
    with pytest.raises(DomainError) as info:
        _run(pw, case, consent=True)
    assert (info.value.code, info.value.status) == ("case_not_editable", 409)
    assert ExchangeLogEntry.objects.count() == 2
    assert timezone.now() >= CasePrefill.objects.get(case=case).fetched_at
