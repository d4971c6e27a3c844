"""The world of the pre-fill tests (issue #13 part 5), on top of ``case_world``:

- a person-registration dataset (户籍登记信息) of 徐汇区 (the provider, ``p.other_department``),
  keyed by the ID number, answered by a fake in-process provider holding the citizen's record;
- an entity registry (企业登记信息) keyed by the credit code, holding the test organization;
- an online item of ``p.department`` (the consumer: it implements the item) whose form maps
  three fields to the person dataset (``x-prefill``) and one to the entity registry, with two
  materials — 居民身份证 (to upload) and 户口簿 (proven by the person dataset: 可免交);
- grants of purpose ``prefill`` for both resources to ``p.department`` (``grants=False``: none).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.cases import services
from onewindow.cases.models import Case
from onewindow.cases.testing import CaseWorld
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.sharing.choices import Purpose, ResourceKind
from onewindow.sharing.models import DataResource, Grant
from onewindow.sharing.testing import make_grant, make_resource, register_fake_provider

AS_OF = datetime.datetime(2026, 11, 30, 18, 0, tzinfo=datetime.UTC)
PERSON_PROVIDER = "test.prefill.person"
ENTITY_PROVIDER = "test.prefill.entity"
PERSON_FIELDS: list[dict[str, Any]] = [
    {"name": "id_number", "label": "公民身份号码", "type": "id_number", "personal": True, "key": True},
    {"name": "name", "label": "姓名", "type": "string", "personal": True, "key": False},
    {"name": "address", "label": "户籍地址", "type": "string", "personal": True, "key": False},
    {"name": "district", "label": "户籍所在区", "type": "string", "personal": False, "key": False},
]
ENTITY_FIELDS: list[dict[str, Any]] = [
    {"name": "credit_code", "label": "统一社会信用代码", "type": "credit_code", "personal": False, "key": True},
    {"name": "name", "label": "名称", "type": "string", "personal": False, "key": False},
]
PREFILL_SCHEMA_PROPS: dict[str, Any] = {
    "applicant_name": {"type": "string", "title": "申请人姓名", "maxLength": 100, "x-personal": "name"},
    "id_number": {"type": "string", "title": "身份证号码", "format": "cn-resident-id"},
    "home_address": {"type": "string", "title": "户籍地址", "maxLength": 200, "x-personal": "address"},
    "household_district": {"type": "string", "title": "户籍所在区", "maxLength": 20},
    "entity_name": {"type": "string", "title": "单位名称", "maxLength": 100},
    "contact_phone": {"type": "string", "title": "联系电话", "format": "cn-mobile"},
    "description": {"type": "string", "title": "申请事项说明", "maxLength": 500},
}


@dataclass
class PrefillWorld:
    w: CaseWorld
    item: ServiceItem
    person_resource: DataResource
    entity_resource: DataResource
    person_grant: Grant | None
    entity_grant: Grant | None

    @property
    def citizen_record(self) -> dict[str, Any]:
        person = self.w.p.citizen.person
        return {"id_number": person.id_number, "name": person.name, "address": "上海市静安区共和新路1号",
                "district": "静安区"}

    def draft(self, by: Any = None, form: dict[str, Any] | None = None, **fields: Any) -> Case:
        with transaction.atomic():
            return services.case_create(by=by or self.w.p.citizen, item_code=self.item.code, channel="online",
                                        form_data=dict(form if form is not None else {"description": "迁入"}),
                                        **fields)


def schema(person_code: str, entity_code: str) -> dict[str, Any]:
    props = {name: dict(spec) for name, spec in PREFILL_SCHEMA_PROPS.items()}
    props["applicant_name"]["x-prefill"] = {"resource": person_code, "field": "name"}
    props["id_number"]["x-prefill"] = {"resource": person_code, "field": "id_number"}
    props["home_address"]["x-prefill"] = {"resource": person_code, "field": "address"}
    props["household_district"]["x-prefill"] = {"resource": person_code, "field": "district"}
    props["entity_name"]["x-prefill"] = {"resource": entity_code, "field": "name"}
    return {"type": "object", "required": ["applicant_name", "id_number", "contact_phone"], "properties": props}


def build_prefill_world(w: CaseWorld, *, grants: bool = True, channels: tuple[str, ...] = ("online", "window"),
                        item_code: str = "TESTPREFILL000000000000000001") -> PrefillWorld:
    p = w.p
    person = p.citizen.person
    register_fake_provider(PERSON_PROVIDER, fields=PERSON_FIELDS, as_of=AS_OF, rows=[
        {"id_number": person.id_number, "name": person.name, "address": "上海市静安区共和新路1号",
         "district": "静安区"}])
    register_fake_provider(ENTITY_PROVIDER, fields=ENTITY_FIELDS, as_of=AS_OF, rows=[
        {"credit_code": p.organization.credit_code, "name": p.organization.name}])
    person_resource = make_resource(p.other_department, fields=PERSON_FIELDS, name="户籍登记信息",
                                    provider=PERSON_PROVIDER, kind=ResourceKind.DATASET)
    entity_resource = make_resource(p.other_department, fields=ENTITY_FIELDS, name="企业登记信息",
                                    provider=ENTITY_PROVIDER)
    item = catalog_services.item_create(
        by=system_actor("test"), code=item_code, basic_code=item_code[-12:], name="户口迁入登记（测试）",
        department=p.department, region=p.district.code, level="district", category="service",
        item_type="20", legal_basis="《中华人民共和国户口登记条例》", handling_type="promised",
        statutory_limit=20, statutory_unit="working", promised_limit=5, promised_unit="working", fee_free=True,
        depth_level=3, depth_codes="1^2^3^4", on_site_visits=1, channels=list(channels),
        form_schema=schema(person_resource.code, entity_resource.code),
        materials=[{"name": "居民身份证", "form": "original", "required": True},
                   {"name": "户口簿", "form": "original", "required": True,
                    "shared_resource": person_resource.code}])
    person_grant = entity_grant = None
    if grants:
        person_grant, _t = make_grant(person_resource, p.department, purpose=Purpose.PREFILL)
        entity_grant, _t = make_grant(entity_resource, p.department, purpose=Purpose.PREFILL)
    return PrefillWorld(w=w, item=item, person_resource=person_resource, entity_resource=entity_resource,
                        person_grant=person_grant, entity_grant=entity_grant)


def local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d")
