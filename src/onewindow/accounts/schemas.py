"""Request and response shapes of the accounts API. Personal data in responses is masked unless
the response says ``unmasked: true`` (authorized staff, audited)."""

from __future__ import annotations

import datetime

from ninja import Field, Schema

from onewindow.core.normalize import NfkcStr
from onewindow.core.schemas import ErrorOut as ErrorOut  # re-exported: the one error shape
from onewindow.core.schemas import PageOut

from .choices import IdType, MandateScope


class PersonOut(Schema):
    ref: str = Field(..., description="公开编号（随机，不可枚举）；路径 /persons/{ref} 使用此编号")
    name: str
    id_type: str
    id_number: str
    phone: str
    birth_date: datetime.date | None = None
    gender: str
    real_name_verified: bool
    unmasked: bool
    purpose_kind: str | None = Field(None, description="查看完整信息的目的（办件、排队、预约、房交信息、窗口登记）")
    purpose_reference: str | None = Field(None, description="相关业务编号，如办件编号")


class PersonLookupIn(Schema):
    """按证件号码查询: the number goes in the body, never in a URL (logs, browser history)."""

    id_type: IdType = IdType.RESIDENT_ID
    id_number: NfkcStr = Field(..., max_length=40)


class AccessLogItemOut(Schema):
    at: datetime.datetime
    department: str | None = Field(None, description="经办单位")
    viewer_role: str = Field(..., description="查看人角色代码")
    viewer_role_label: str
    purpose_kind: str
    purpose_label: str
    purpose_reference: str


class AccessLogOut(PageOut):
    items: list[AccessLogItemOut]


class PersonIn(Schema):
    name: str = Field(..., max_length=200)
    id_type: IdType = IdType.RESIDENT_ID
    id_number: NfkcStr = Field(..., max_length=40)
    phone: NfkcStr = Field(..., max_length=40)
    for_self: bool | None = Field(None, description="登记为本人（默认：工作人员为他人，其他用户为本人）")


class RegionOut(Schema):
    code: str
    name: str


class OrganizationOut(Schema):
    credit_code: str
    name: str
    kind: str
    legal_representative_name: str
    region: RegionOut | None = None


class RoleOut(Schema):
    role: str
    department: str | None = None
    region: str | None = None


class MeOut(Schema):
    kind: str
    username: str | None = None
    person: PersonOut | None = None
    organization: OrganizationOut | None = None
    roles: list[RoleOut]
    is_staff: bool
    is_system_admin: bool
    token_name: str | None = None
    scopes: list[str] | None = None


class MandateOut(Schema):
    id: int
    agent_name: str
    agent_id_number: str
    principal_kind: str
    principal_name: str
    principal_reference: str
    scope: str
    item_codes: list[str]
    valid_from: datetime.date
    valid_to: datetime.date | None = None
    revoked_at: datetime.datetime | None = None
    revoked_reason: str
    in_force: bool


class MandateIn(Schema):
    agent_id_type: IdType = IdType.RESIDENT_ID
    agent_id_number: NfkcStr = Field(..., max_length=40)
    principal_person_ref: NfkcStr | None = Field(None, max_length=24)
    principal_credit_code: NfkcStr | None = Field(None, max_length=40)
    scope: MandateScope = MandateScope.ALL
    item_codes: list[NfkcStr] = Field(default_factory=list, max_length=200)
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


class RevokeIn(Schema):
    reason: str = Field(..., max_length=500)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    owner: str | None = None
    system_name: str
    scopes: list[str]
    created_at: datetime.datetime
    expires_at: datetime.datetime | None = None
    last_used_at: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None
    revoked_reason: str


class TokenIssuedOut(TokenOut):
    token: str = Field(..., description="完整令牌，仅在签发时显示一次")


class TokenIn(Schema):
    name: str = Field(..., max_length=200)
    scopes: list[str] = Field(..., max_length=50)
    owner_username: str | None = Field(None, max_length=150)
    system_name: str = Field("", max_length=200)
    expires_at: datetime.datetime | None = None


class PersonPageOut(PageOut):
    items: list[PersonOut]


class MandatePageOut(PageOut):
    items: list[MandateOut]


class TokenPageOut(PageOut):
    items: list[TokenOut]
