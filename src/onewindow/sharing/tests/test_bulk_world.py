"""Fixtures of the bulk-drop tests (no tests here), on helper A's sharing world (``sharing.testing``):
a published person-registration dataset of the provider department (provider ``sharing.dataset``),
the department's signing key (``services.keys.signing_key_for``), bearer tokens for the API
matrix, and builders of CSV/xlsx files and their signatures."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.models import User
from onewindow.accounts.testing import make_api_token, make_credit_code, make_resident_id
from onewindow.core.xlsx import Sheet, workbook_bytes

from .. import signing
from ..choices import FieldType, ResourceKind
from ..models import DataResource, SigningKey
from ..services.keys import signing_key_for
from ..testing import SharingWorld, build_world
from ..testing import make_resource as make_shared_resource

FIELDS: list[dict[str, Any]] = [
    {"name": "id_number", "label": "身份证件号码", "type": FieldType.ID_NUMBER, "personal": True, "key": True},
    {"name": "name", "label": "姓名", "type": FieldType.STRING, "personal": True, "key": False},
    {"name": "district", "label": "户籍区", "type": FieldType.REGION, "personal": False, "key": False},
    {"name": "registered", "label": "是否登记", "type": FieldType.BOOLEAN, "personal": False, "key": False},
    {"name": "registered_on", "label": "登记日期", "type": FieldType.DATE, "personal": False, "key": False},
    {"name": "household_size", "label": "户内人数", "type": FieldType.INTEGER, "personal": False, "key": False},
    {"name": "area", "label": "住房面积", "type": FieldType.DECIMAL, "personal": False, "key": False},
    {"name": "employer", "label": "单位信用代码", "type": FieldType.CREDIT_CODE, "personal": False, "key": False},
]
HEADER = [f["name"] for f in FIELDS]


def make_resource(department: Any, *, fields: list[dict[str, Any]] | None = None,
                  kind: str = ResourceKind.DATASET, published: bool = True) -> DataResource:
    """A dataset resource of ``department`` with version 1 (published unless told otherwise)."""
    resource = make_shared_resource(department, fields=fields if fields is not None else FIELDS, kind=kind,
                                    provider="sharing.dataset", name="户籍登记信息")
    if not published:
        DataResource.objects.filter(pk=resource.pk).update(status="draft", current=None)
        resource.refresh_from_db()
    return resource


def person_row(**overrides: Any) -> dict[str, Any]:
    row = {"id_number": make_resident_id("310106"), "name": "张伟", "district": "310106", "registered": "是",
           "registered_on": "2020-05-01", "household_size": "3", "area": "85.50",
           "employer": make_credit_code("310106")}
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, Any]], header: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = header or HEADER
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(n, "") for n in names])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict[str, Any]], header: list[str] | None = None) -> bytes:
    names = header or HEADER
    return workbook_bytes([Sheet(name="data", headers=names, rows=[[r.get(n, "") for n in names] for r in rows])])


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class BulkWorld:
    """The sharing world, the dataset ``resource`` and the provider department's signing key."""

    w: SharingWorld
    resource: DataResource
    key: SigningKey

    @property
    def department(self) -> Any:
        return self.w.provider

    def user(self, name: str) -> User | None:
        return self.w.user(name)

    def client(self, name: str) -> Client:
        return self.w.client(name)

    def sign(self, content: bytes) -> dict[str, str]:
        """The keyword arguments of a correctly declared and signed drop of ``content``."""
        digest = sha256(content)
        return {"declared_sha256": digest, "kid": self.key.kid,
                "signature": signing.sign(self.key.private_key, digest.encode("ascii"))}


def build_bulk_world() -> BulkWorld:
    w = build_world()
    _t, w.bearers["provider_readonly"] = make_api_token(name="报送系统 只读", scopes=["sharing:read"],
                                                        owner=w.users["provider_clerk"])
    _t, w.bearers["clerk_token"] = make_api_token(name="报送系统", scopes=["sharing:read", "sharing:manage"],
                                                  owner=w.users["provider_clerk"])
    _t, w.bearers["ownerless"] = make_api_token(name="无主系统", scopes=["sharing:read", "sharing:manage"],
                                                system_name="bridge")
    return BulkWorld(w=w, resource=make_resource(w.provider), key=signing_key_for(w.provider))


@pytest.fixture
def bulk(db: None) -> BulkWorld:
    return build_bulk_world()
