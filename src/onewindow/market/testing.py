"""Test helpers of the market-entity registry: the world of its authorization matrix and rows.

``registry_world`` (a pytest fixture; import it into a test module) builds on
``accounts.testing.build_principals``: the GB/T 4754 industries, two streets of 静安区, the
registration authority 上海市静安区市场监督管理局 (``310106-SCJG``) and these users:

- ``data_clerk``: 数据报送员 of the registration authority (searches, registers, imports);
- ``data_clerk_other``: 数据报送员 of another department (searches; may not write);
- ``regulator``: 监管人员 of another department (searches, unmasks);
- ``admin`` (system admin), ``clerk_other_department`` (window clerk: no registry), ``citizen``;
- API tokens: ``token`` (the regulator's, scopes ``market:read`` and ``market:write``),
  ``token_unscoped`` (the regulator's, no market scope), ``clerk_token`` (the data clerk's).
"""

from __future__ import annotations

import datetime
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import ApiToken, User
from onewindow.accounts.sample_identifiers import sample_credit_code, sample_resident_id
from onewindow.accounts.testing import (
    DepartmentFactory,
    Principals,
    StaffRoleFactory,
    UserFactory,
    build_principals,
    make_api_token,
)
from onewindow.core.actors import system_actor
from onewindow.core.models import Department, Region, RegionLevel

from .services import COLUMNS, industries_load

READ_SCOPE = "market:read"
WRITE_SCOPE = "market:write"
REGISTRY_PRINCIPALS = [
    "anonymous",
    "citizen",
    "clerk_other_department",
    "data_clerk",
    "data_clerk_other",
    "regulator",
    "admin",
    "token",
    "token_unscoped",
    "clerk_token",
    "device",
]
STREETS = {"310106012": "南京西路街道", "310106021": "临汾路街道"}
_sequence = itertools.count(1)


@dataclass
class RegistryWorld:
    p: Principals
    registrar: Department
    streets: dict[str, Region]
    users: dict[str, User] = field(default_factory=dict)
    bearers: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.users[name]

    def client(self, name: str) -> Client:
        if name in self.bearers:
            return Client(headers={"Authorization": f"Bearer {self.bearers[name]}"})
        if name == "device":
            return self.p.client("device")
        if name == "anonymous":
            return Client()
        client = Client()
        client.force_login(self.users[name])
        return client


def _staff(username: str, role: str, department: Department | None) -> User:
    user = UserFactory.create(username=username, is_staff=True)
    StaffRoleFactory.create(user=user, role=role, department=department, region=None)
    return user


def build_registry_world() -> RegistryWorld:
    p = build_principals()
    industries_load(by=system_actor("test"))
    streets = {
        code: Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": RegionLevel.STREET, "parent": p.district}
        )[0]
        for code, name in STREETS.items()
    }
    registrar = DepartmentFactory.create(
        code="310106-SCJG", name="上海市静安区市场监督管理局", level=RegionLevel.DISTRICT, region=p.district
    )
    w = RegistryWorld(p=p, registrar=registrar, streets=streets)
    w.users.update({name: p.users[name] for name in ("citizen", "clerk_other_department", "admin")})
    w.users["data_clerk"] = _staff("m_data_clerk", StaffRoleKind.DATA_CLERK, registrar)
    w.users["data_clerk_other"] = _staff("m_data_clerk_other", StaffRoleKind.DATA_CLERK, p.other_department)
    w.users["regulator"] = _staff("m_regulator", StaffRoleKind.REGULATOR, p.other_department)
    w.tokens["token"], w.bearers["token"] = make_api_token(
        name="监管系统", scopes=[READ_SCOPE, WRITE_SCOPE], owner=w.users["regulator"]
    )
    w.tokens["token_unscoped"], w.bearers["token_unscoped"] = make_api_token(
        name="无市场范围", scopes=["cases:read"], owner=w.users["regulator"]
    )
    w.tokens["clerk_token"], w.bearers["clerk_token"] = make_api_token(
        name="登记系统", scopes=[READ_SCOPE, WRITE_SCOPE], owner=w.users["data_clerk"]
    )
    return w


@pytest.fixture
def registry_world(db: None) -> RegistryWorld:
    """The registry's principals (see the module docstring)."""
    return build_registry_world()


def new_credit_code(region_code: str = "310106") -> str:
    return sample_credit_code(region_code, random.Random(10_000 + next(_sequence)), "91")


def entity_row(**overrides: Any) -> dict[str, Any]:
    """A valid registration (the field names of the import), with a fresh credit code."""
    n = next(_sequence)
    row: dict[str, Any] = {
        "credit_code": new_credit_code(),
        "registration_number": "",
        "name": f"上海静安宏达{n}号贸易有限公司",
        "entity_type": "limited_company",
        "legal_representative_name": "张三",
        "legal_rep_id_number": sample_resident_id("310106", datetime.date(1980, 1, 1) + datetime.timedelta(n), n),
        "legal_rep_phone": f"139{n:08d}",
        "address": "上海市静安区南京西路1号",
        "district_code": "310106",
        "street_code": "310106012",
        "industry_code": "5211",
        "registered_capital": "100",
        "currency": "CNY",
        "established_on": "2016-08-15",
        "approved_on": "2016-08-15",
        "status": "active",
        "status_on": "",
        "business_scope": "日用百货销售",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, Any]], *, encoding: str = "utf-8-sig", labels: bool = True) -> bytes:
    """A CSV import file of ``rows`` with the template's header (Chinese labels or field names)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([label if labels else name for name, label in COLUMNS])
    for row in rows:
        writer.writerow([row.get(name, "") for name, _label in COLUMNS])
    return out.getvalue().encode(encoding)
