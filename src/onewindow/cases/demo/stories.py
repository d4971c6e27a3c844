"""The demo accounts' stories, through the real services (genuine timelines, audit and outbox)."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction

from onewindow.accounts import services as account_services
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Person, StaffRole, User
from onewindow.accounts.sample_identifiers import sample_mobile, sample_resident_id
from onewindow.catalog.models import ServiceItem
from onewindow.core import crypto
from onewindow.core.models import Department

from .. import services
from ..models import Case
from .year import CENTERCLERK, JINGAN, PDF, version_of


def centerclerk_ensure(admin: User, center: Department, rng: random.Random) -> User:
    """The window clerk of 临汾路街道社区事务受理服务中心 (idempotent)."""
    username, password, _label = CENTERCLERK
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=password, is_staff=True)
    if user.person_id is None:
        number = sample_resident_id(JINGAN, datetime.date(1988, 3, 8), 321, female=True)
        person = Person.objects.filter(id_number_hash=crypto.keyed_hash(number)).first()
        user.person = person or account_services.person_register(by=admin, name="赵敏", id_number=number,
                                                                  phone=sample_mobile(rng), link_to_self=False)
        user.save(update_fields=["person"])
    if not StaffRole.objects.filter(user=user, role=StaffRoleKind.WINDOW_CLERK, department=center,
                                    valid=True).exists():
        account_services.staff_role_grant(by=admin, user=user, role=StaffRoleKind.WINDOW_CLERK, department=center)
    return user


def _form(item: ServiceItem, name: str, phone: str, extra: dict[str, str]) -> dict[str, str]:
    props = (version_of(item).form_schema or {}).get("properties", {})
    data = {"applicant_name": name, "contact_phone": phone, "description": "新办", **extra}
    return {k: v for k, v in data.items() if k in props}


def _with_materials(by: User, case: Case) -> None:
    for material in case.item_version.materials.filter(required=True).order_by("sort", "pk"):
        services.case_attach(by=by, case_id=case.pk, name=f"{material.name}.pdf", content=PDF,
                             material_id=material.pk)


def stories_play(center: Department, department: Department) -> dict[str, Case]:
    users = {u.username: u for u in User.objects.filter(
        username__in=["citizen", "agent", "clerk", "reviewer", CENTERCLERK[0]]).select_related("person",
                                                                                                 "organization")}
    citizen, agent, clerk, reviewer = users["citizen"], users["agent"], users["clerk"], users["reviewer"]
    assert citizen.person is not None and agent.person is not None and agent.organization is not None
    items = list(ServiceItem.objects.filter(department=department, status="active", current_version__isnull=False)
                 .select_related("current_version").order_by("code"))
    online = [i for i in items if "online" in version_of(i).channel_list and version_of(i).form_schema]
    fully_online = next((i for i in online if i.fully_online), online[0])
    personal = [i for i in online if i is not fully_online
                and "id_number" in version_of(i).form_schema.get("properties", {})] or online[1:]
    business = [i for i in online if "credit_code" in version_of(i).form_schema.get("properties", {})] or online
    window = [i for i in items if "window" in version_of(i).channel_list]
    person, phone = citizen.person, citizen.person.phone
    mine = {"id_number": person.id_number}
    stories: dict[str, Case] = {}

    def apply(by: User, item: ServiceItem, form: dict[str, str], **fields: Any) -> Case:
        with transaction.atomic():
            case = services.case_create(by=by, item_code=item.code, channel=fields.pop("channel", "online"),
                                        form_data=form, **fields)
        return case

    case = apply(citizen, fully_online, _form(fully_online, person.name, phone, mine),
                 delivery_method="electronic")
    _with_materials(citizen, case)
    services.case_submit(by=citizen, case_id=case.pk)
    services.case_start_pre_review(by=clerk, case_id=case.pk)
    services.case_accept(by=clerk, case_id=case.pk, note="材料齐全，符合法定形式")
    services.case_start_review(by=reviewer, case_id=case.pk)
    stories["approved"] = services.case_approve(by=reviewer, case_id=case.pk, note="经审查符合条件")

    item = personal[0]
    case = apply(citizen, item, _form(item, person.name, phone, mine))
    _with_materials(citizen, case)
    services.case_submit(by=citizen, case_id=case.pk)
    material = case.item_version.materials.filter(required=True).order_by("sort", "pk").first()
    assert material is not None
    stories["correction"] = services.case_request_correction(by=clerk, case_id=case.pk, items=[
        {"material_id": material.pk, "name": material.name, "reason": "复印件不清晰，请上传清晰的扫描件"}])

    item = personal[1 % len(personal)]
    stories["draft"] = apply(citizen, item, {k: v for k, v in _form(item, person.name, phone, mine).items()
                                             if k != "contact_phone"})

    item = window[0]
    centerclerk = users[CENTERCLERK[0]]
    case = apply(centerclerk, item, _form(item, person.name, phone, mine), channel="window",
                 applicant_person=person, receiving_department=center)
    services.case_submit(by=centerclerk, case_id=case.pk)
    services.case_accept(by=centerclerk, case_id=case.pk, note="社区中心代收")
    stories["forwarded"] = services.case_forward(by=centerclerk, case_id=case.pk, note="代收代办，转报区市场监管局")

    item = business[0]
    org = agent.organization
    case = apply(agent, item, _form(item, org.name, agent.person.phone, {"credit_code": org.credit_code}),
                 applicant_organization=org, delivery_method="mail", delivery_address="上海市静安区临汾路380号")
    _with_materials(agent, case)
    stories["enterprise"] = services.case_submit(by=agent, case_id=case.pk)
    return stories


