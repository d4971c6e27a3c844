"""The built-in providers answer from the real registers: market's registration and pooled licences,
and the dataset rows loaded by bulk drops; their parameters are checked; not found is an empty
answer; and an exchange over market's registry answers the granted fields with the personal one
masked."""

from __future__ import annotations

import datetime
import json
import random
from typing import Any

import pytest
from django.db import connection

from onewindow.accounts.sample_identifiers import sample_credit_code, sample_resident_id
from onewindow.market.choices import RecordChannel
from onewindow.market.services import entity_register
from onewindow.market.services.records import records_ingest
from onewindow.market.testing import RegistryWorld, build_registry_world, entity_row, new_credit_code
from onewindow.sharing import providers
from onewindow.sharing.choices import ExchangeOutcome, Purpose, ResourceKind
from onewindow.sharing.models import BulkDrop, DatasetRow, ExchangeLogEntry
from onewindow.sharing.providers import ProviderError, provider_for
from onewindow.sharing.services.exchange import exchange_query
from onewindow.sharing.testing import make_grant, make_resource


@pytest.fixture
def w(db: None) -> RegistryWorld:
    return build_registry_world()


def register(w: RegistryWorld, **over: Any) -> dict[str, Any]:
    row = entity_row(**over)
    entity_register(by=w.user("data_clerk"), data=row, notify=False)
    return row


def licence(source_id: str, credit_code: str, **over: Any) -> dict[str, Any]:
    row = {"kind": "licence", "source_id": source_id, "credit_code": credit_code, "title": "食品经营许可证",
           "number": f"JY{source_id}", "record_date": "2017-03-01", "valid_from": "2017-03-01",
           "valid_to": "2022-02-28"}
    row.update(over)
    return row


def test_the_registry_providers_are_registered_with_their_schema() -> None:
    entity = provider_for("market.entity")
    licences = provider_for("market.licences")
    dataset = provider_for("sharing.dataset")
    assert entity is not None and licences is not None and dataset is not None
    assert entity.fields == ("credit_code", "name", "entity_type", "status", "legal_representative", "address",
                             "industry_code", "industry", "established_on", "district_code", "district")
    assert [f["name"] for f in entity.extra["schema"] if f["personal"]] == ["legal_representative"]
    assert licences.fields == ("credit_code", "licence_name", "licence_number", "issuing_department", "decided_on",
                               "valid_from", "valid_to", "status")
    assert (entity.params, licences.params, dataset.params) == (("credit_code",), ("credit_code",), ("key",))
    # the dataset's schema is the catalogue's: any field a version defines is within it
    assert "district" in dataset.fields and "registered" in dataset.fields


def test_market_entity_answers_the_registration(w: RegistryWorld) -> None:
    row = register(w, name="上海静安共享测试有限公司", legal_representative_name="李四", established_on="2016-08-15")
    answer = providers.market_entity_query({"credit_code": row["credit_code"].lower()})
    assert answer.rows == [{
        "credit_code": row["credit_code"], "name": "上海静安共享测试有限公司", "entity_type": "有限责任公司",
        "status": "存续", "legal_representative": "李四", "address": "上海市静安区南京西路1号",
        "industry_code": "5211", "industry": answer.rows[0]["industry"], "established_on": "2016-08-15",
        "district_code": "310106", "district": "静安区",
    }]
    assert answer.rows[0]["industry"]  # the GB/T 4754 name of 5211
    assert answer.as_of is not None


def test_market_entity_of_an_unknown_code_is_an_empty_answer(w: RegistryWorld) -> None:
    answer = providers.market_entity_query({"credit_code": new_credit_code()})
    assert (answer.rows, answer.as_of) == ([], None)


def _wrong_check_digit() -> str:
    code = sample_credit_code("310106", random.Random(7), "91")
    return code[:-1] + ("0" if code[-1] != "0" else "1")


@pytest.mark.parametrize(("params", "message_part"), [
    ({"credit_code": _wrong_check_digit()}, "校验位"),
    ({"credit_code": "abc"}, "18位"),
    ({}, "credit_code"),
    ({"credit_code": 123}, "credit_code"),
    ({"credit_code": "91310106MA1FL0TEST", "name": "x"}, "name"),
])
def test_market_providers_refuse_bad_parameters(db: None, params: dict[str, Any], message_part: str) -> None:
    for query in (providers.market_entity_query, providers.market_licences_query):
        with pytest.raises(ProviderError) as caught:
            query(params)
        assert caught.value.code == "sharing_params_invalid"
        assert message_part in caught.value.message


def test_market_licences_answers_the_pooled_licences_newest_first(w: RegistryWorld) -> None:
    row = register(w)
    code = row["credit_code"]
    other = register(w)["credit_code"]
    records_ingest(by=w.user("data_clerk"), channel=RecordChannel.API, rows=[
        licence("L1", code),
        licence("L2", code, title="酒类商品零售许可证", number="JL2", record_date="2019-05-06", valid_from="2019-05-06",
                valid_to="2024-05-05"),
        licence("L3", other),
        {"kind": "penalty", "source_id": "P1", "credit_code": code, "title": "销售过期食品", "number": "沪处1号",
         "legal_basis": "《食品安全法》第一百二十四条", "penalty_kinds": ["warning"], "record_date": "2018-01-02"},
    ])
    answer = providers.market_licences_query({"credit_code": code})
    assert answer.rows == [
        {"credit_code": code, "licence_name": "酒类商品零售许可证", "licence_number": "JL2",
         "issuing_department": "上海市静安区市场监督管理局", "decided_on": "2019-05-06", "valid_from": "2019-05-06",
         "valid_to": "2024-05-05", "status": "有效"},
        {"credit_code": code, "licence_name": "食品经营许可证", "licence_number": "JYL1",
         "issuing_department": "上海市静安区市场监督管理局", "decided_on": "2017-03-01", "valid_from": "2017-03-01",
         "valid_to": "2022-02-28", "status": "有效"},
    ]
    assert answer.as_of is not None
    assert providers.market_licences_query({"credit_code": new_credit_code()}).rows == []


PERSON_FIELDS = [
    {"name": "id_number", "label": "身份证件号码", "type": "id_number", "personal": True, "key": True},
    {"name": "district", "label": "户籍所在区", "type": "string", "personal": False, "key": False},
    {"name": "registered", "label": "是否登记", "type": "boolean", "personal": False, "key": False},
]


def test_sharing_dataset_finds_the_row_by_the_keyed_hash_of_its_key(w: RegistryWorld) -> None:
    resource = make_resource(w.registrar, provider="sharing.dataset", kind=ResourceKind.DATASET, fields=PERSON_FIELDS,
                             name="户籍人口登记信息")
    drop = BulkDrop.objects.create(resource=resource, file_name="persons.csv", declared_sha256="0" * 64,
                                   actual_sha256="0" * 64)
    number = sample_resident_id("310106", datetime.date(1985, 3, 4), 12)
    updated = datetime.datetime(2026, 5, 1, 8, tzinfo=datetime.UTC)
    DatasetRow.objects.create(resource=resource, row_key=number, drop=drop, digest="d" * 64, updated_at=updated,
                              data=json.dumps({"id_number": number, "district": "静安区", "registered": True,
                                               "extra": "not in the schema"}))
    answer = providers.sharing_dataset_query({"key": number.lower()}, resource=resource)
    assert answer.rows == [{"id_number": number, "district": "静安区", "registered": True}]
    assert answer.as_of == updated
    other = sample_resident_id("310106", datetime.date(1985, 3, 4), 14)
    assert providers.sharing_dataset_query({"key": other}, resource=resource).rows == []
    with pytest.raises(ProviderError) as caught:
        providers.sharing_dataset_query({"key": number[:-1] + ("0" if number[-1] != "0" else "1")}, resource=resource)
    assert caught.value.code == "sharing_params_invalid"
    # the row is stored encrypted: the ID number is nowhere in clear
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_key, row_key_hash, data FROM sharing_datasetrow")
        stored = cursor.fetchone()
    assert all(number not in str(value) for value in stored)
    # "is person Y registered in district Z": a grant of the two fields, the ID number as the key
    grant, _token = make_grant(resource, w.p.other_department, purpose=Purpose.VERIFICATION,
                               fields=["district", "registered"])
    result = exchange_query(grant=grant, purpose=Purpose.VERIFICATION, params={"key": number})
    assert (result.fields, result.rows, result.as_of) == (["district", "registered"],
                                                          [{"district": "静安区", "registered": True}], updated)


def test_an_exchange_over_the_registry_answers_granted_fields_and_masks_the_legal_representative(
        w: RegistryWorld) -> None:
    row = register(w, legal_representative_name="王小明")
    resource = make_resource(w.registrar, provider="market.entity", fields=providers.ENTITY_SCHEMA)
    consumer = w.p.other_department
    grant, _token = make_grant(resource, consumer, purpose=Purpose.PREFILL,
                               fields=["credit_code", "name", "status", "district"])
    result = exchange_query(grant=grant, purpose=Purpose.PREFILL, params={"credit_code": row["credit_code"]},
                            fields=["name", "legal_representative", "status"])
    assert result.fields == ["name", "status", "legal_representative"]
    assert result.rows == [{"name": row["name"], "status": "存续", "legal_representative": "王**"}]
    entries = list(ExchangeLogEntry.objects.filter(exchange_id=result.exchange_id).order_by("role"))
    assert [(e.role, e.outcome, e.fields) for e in entries] == [
        ("consumer", ExchangeOutcome.OK, result.fields), ("provider", ExchangeOutcome.OK, result.fields)]
    default = exchange_query(grant=grant, purpose=Purpose.PREFILL, params={"credit_code": row["credit_code"]})
    assert default.rows == [{"credit_code": row["credit_code"], "name": row["name"], "status": "存续",
                             "district": "静安区"}]
