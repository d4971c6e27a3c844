"""The world of the 信息归集 tests: the standard principals plus the supervision actors, and row builders.

Who is who (on top of accounts.testing.build_principals): ``data_clerk`` delivers for
``p.department`` (上海市静安区市场监督管理局), ``data_clerk_other`` for ``p.other_department``,
``regulator`` is a 监管人员 of ``p.department``; ``p.organization`` is the entity (its ``agent``
is a login of the organization); ``token`` is the data clerk's API token with the scope
``market.records``, ``token_unscoped`` one without it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import ApiToken, Organization, User
from onewindow.accounts.testing import (
    OrganizationFactory,
    Principals,
    StaffRoleFactory,
    UserFactory,
    build_principals,
    make_api_token,
    make_credit_code,
)
from onewindow.market.models import PooledRecord, RecordRevision
from onewindow.market.records_selectors import RECORDS_SCOPE

#: The principals of the records authorization matrix.
RECORD_PRINCIPALS = [
    "anonymous",
    "citizen",
    "agent",
    "data_clerk",
    "data_clerk_other",
    "clerk",
    "regulator",
    "admin",
    "token",
    "token_unscoped",
    "device",
]


@dataclass
class RecordsWorld:
    p: Principals
    users: dict[str, User] = field(default_factory=dict)
    bearers: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)

    @property
    def entity(self) -> Organization:
        return self.p.organization

    def user(self, name: str) -> User:
        return self.users.get(name) or self.p.users[name]

    def client(self, name: str) -> Client:
        if name in self.bearers:
            return Client(headers={"Authorization": f"Bearer {self.bearers[name]}"})
        if name in self.users:
            client = Client()
            client.force_login(self.users[name])
            return client
        return self.p.client(name)


def build_records_world() -> RecordsWorld:
    p = build_principals()
    w = RecordsWorld(p=p)
    for name, role, dept in (
        ("data_clerk", StaffRoleKind.DATA_CLERK, p.department),
        ("data_clerk_other", StaffRoleKind.DATA_CLERK, p.other_department),
        ("regulator", StaffRoleKind.REGULATOR, p.department),
    ):
        user = UserFactory.create(username=f"p_{name}")
        StaffRoleFactory.create(user=user, role=role, department=dept)
        w.users[name] = user
    w.tokens["token"], w.bearers["token"] = make_api_token(
        name="静安区市场监管局数据接口", scopes=[RECORDS_SCOPE], owner=w.users["data_clerk"]
    )
    w.tokens["token_unscoped"], w.bearers["token_unscoped"] = make_api_token(
        name="只读令牌", scopes=["catalog:read"], owner=w.users["data_clerk"]
    )
    w.bearers["device"] = p.device_bearer
    return w


def new_entity(name: str = "上海静安归集测试有限公司") -> Organization:
    return OrganizationFactory.create(name=name)


def unknown_code() -> str:
    """A valid credit code that no Organization holds."""
    while True:
        code = make_credit_code()
        if not Organization.objects.filter(credit_code=code).exists():
            return code


YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


def licence_row(source_id: str, credit_code: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": "licence",
        "source_id": source_id,
        "credit_code": credit_code,
        "entity_name": "上海静安示例科技有限公司",
        "title": "食品经营许可证",
        "number": f"JY{source_id}",
        "record_date": "2017-03-01",
        "valid_from": "2017-03-01",
        "valid_to": "2022-02-28",
    }
    row.update(over)
    return row


def penalty_row(source_id: str, credit_code: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": "penalty",
        "source_id": source_id,
        "credit_code": credit_code,
        "title": "销售过期食品",
        "number": f"沪市监静处〔2017〕{source_id}号",
        "legal_basis": "《中华人民共和国食品安全法》第一百二十四条",
        "penalty_kinds": ["warning", "fine"],
        "amount": "5000.00",
        "record_date": "2017-05-12",
    }
    row.update(over)
    return row


def inspection_row(source_id: str, credit_code: str, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kind": "inspection",
        "source_id": source_id,
        "credit_code": credit_code,
        "title": "食品经营许可事项检查",
        "record_date": "2017-06-20",
        "inspection_result": "no_issue",
    }
    row.update(over)
    return row


def snapshot() -> tuple[Any, ...]:
    """Everything a records write may change (for the "nothing written" assertions)."""
    from onewindow.core.models import AuditEntry
    from onewindow.market.models import Objection

    return (
        tuple(
            PooledRecord.objects.order_by("id").values_list(
                "id", "source_id", "entity_id", "status", "content_hash", "revision"
            )
        ),
        RecordRevision.objects.count(),
        tuple(Objection.objects.order_by("id").values_list("id", "status")),
        AuditEntry.objects.count(),
    )


def test_world_has_every_principal(db: None) -> None:
    w = build_records_world()
    named = {*w.users, *w.bearers, *w.p.users, "anonymous"}
    assert set(RECORD_PRINCIPALS) <= named
    assert w.tokens["token"].scopes == ["market.records"]
