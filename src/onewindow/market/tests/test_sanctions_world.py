"""The world of the 联合惩戒 tests: the standard principals plus the supervision actors, and builders.

Who is who (on top of accounts.testing.build_principals and cases.testing.build_case_world):
``p.department`` (上海市静安区市场监督管理局) is the listing department; ``regulator`` and
``data_clerk`` are its 监管人员 and 数据报送员, ``manager`` its 部门管理员; ``regulator_other`` is a
监管人员 of ``p.other_department``; ``clerk`` is a window clerk of ``p.department``; ``agent`` is a
login of the listed organization ``p.organization``; ``token`` is the data clerk's API token with
the scope ``market.records``, ``token_unscoped`` one without it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import ApiToken, Organization, User
from onewindow.accounts.testing import Principals, StaffRoleFactory, UserFactory, build_principals, make_api_token
from onewindow.cases.testing import CaseWorld, build_case_world
from onewindow.market.models import SanctionEvent, SanctionListing
from onewindow.market.sanctions_selectors import SANCTIONS_SCOPE

#: The principals of the sanctions authorization matrix.
SANCTION_PRINCIPALS = [
    "anonymous",
    "citizen",
    "agent",
    "clerk",
    "data_clerk",
    "regulator",
    "regulator_other",
    "manager",
    "admin",
    "token",
    "token_unscoped",
    "device",
]
TODAY = timezone.localdate()


@dataclass
class SanctionsWorld:
    p: Principals
    cw: CaseWorld
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


def build_sanctions_world() -> SanctionsWorld:
    p = build_principals()
    w = SanctionsWorld(p=p, cw=build_case_world(p))
    for name, role, dept in (
        ("data_clerk", StaffRoleKind.DATA_CLERK, p.department),
        ("regulator", StaffRoleKind.REGULATOR, p.department),
        ("regulator_other", StaffRoleKind.REGULATOR, p.other_department),
    ):
        user = UserFactory.create(username=f"s_{name}")
        StaffRoleFactory.create(user=user, role=role, department=dept)
        w.users[name] = user
    w.tokens["token"], w.bearers["token"] = make_api_token(
        name="静安区市场监管局信用系统", scopes=[SANCTIONS_SCOPE], owner=w.users["data_clerk"]
    )
    w.tokens["token_unscoped"], w.bearers["token_unscoped"] = make_api_token(
        name="只读令牌", scopes=["catalog:read"], owner=w.users["data_clerk"]
    )
    w.bearers["device"] = p.device_bearer
    return w


def entry(source_id: str, credit_code: str, **over: Any) -> dict[str, Any]:
    """A valid 经营异常名录 entry of an organization, listed a year ago."""
    row: dict[str, Any] = {
        "list_kind": "business_anomaly",
        "source_id": source_id,
        "credit_code": credit_code,
        "subject_name": "上海静安示例科技有限公司",
        "reason": "未按规定报送年度报告",
        "legal_basis": "《企业信息公示暂行条例》第八条、第十七条",
        "listed_on": (TODAY - datetime.timedelta(days=400)).isoformat(),
    }
    row.update(over)
    return row


def snapshot() -> tuple[Any, ...]:
    """Everything a sanctions write may change (for the "nothing written" assertions)."""
    from onewindow.core.models import AuditEntry

    return (
        tuple(
            SanctionListing.objects.order_by("id").values_list(
                "id", "status", "content_hash", "revision", "removed_on", "repair_reason", "decision_note"
            )
        ),
        SanctionEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def test_world_has_every_principal(db: None) -> None:
    w = build_sanctions_world()
    named = {*w.users, *w.bearers, *w.p.users, "anonymous"}
    assert set(SANCTION_PRINCIPALS) <= named
    assert w.tokens["token"].scopes == ["market.records"]
