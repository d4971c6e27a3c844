"""Test fixtures of case handling, shared by the case tests and later apps (centers, analytics).

``case_world`` builds on the authorization-matrix principals: an item of the principals'
department (online, window and kiosk, with a form and a required material), a street-level
community center (社区事务受理服务中心) with its own clerk, and helpers that drive a case to any
status through the real services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import User
from onewindow.accounts.testing import DepartmentFactory, Principals, StaffRoleFactory, UserFactory
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import Actor, system_actor
from onewindow.core.models import Department, Region, RegionLevel

from . import services
from .choices import CaseStatus, RefusalReason, SuspensionBasis
from .models import Case

#: The personal fields are marked (docs/glossary.md, 申请表个人信息): ``x-personal`` for a person's
#: name, ``format`` for the identifiers that are also validated (GB 11643 ID numbers, mobiles).
FORM_SCHEMA = {
    "type": "object", "required": ["applicant_name", "contact_phone"],
    "properties": {"applicant_name": {"type": "string", "title": "申请人名称", "maxLength": 100,
                                      "x-personal": "name"},
                   "id_number": {"type": "string", "title": "身份证号码", "format": "cn-resident-id"},
                   "contact_phone": {"type": "string", "title": "联系电话", "format": "cn-mobile"},
                   "description": {"type": "string", "title": "申请事项说明", "maxLength": 500}},
}
FORM = {"applicant_name": "张伟", "contact_phone": "13800138000", "description": "新办"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass
class CaseWorld:
    p: Principals
    item: ServiceItem  # 区级 item of p.department: online, window, kiosk, wechat
    street_item: ServiceItem  # the same department's item, received at the street center
    street: Region
    center: Department  # 临汾路街道社区事务受理服务中心 (test copy)
    center_clerk: User

    def draft(self, by: Actor | None = None, *, item: ServiceItem | None = None, channel: str = "online",
              **fields: Any) -> Case:
        from django.db import transaction

        with transaction.atomic():
            return services.case_create(by=by or self.p.citizen, item_code=(item or self.item).code,
                                        channel=channel, form_data=dict(FORM), **fields)

    def submitted(self, by: Actor | None = None, **fields: Any) -> Case:
        case = self.draft(by, **fields)
        if case.channel in ("online", "wechat"):
            material = case.item_version.materials.get(required=True)
            services.case_attach(by=by or self.p.citizen, case_id=case.pk, name="身份证.pdf", content=PDF,
                                 material_id=material.pk)
        return services.case_submit(by=by or self.p.citizen, case_id=case.pk)

    def forwarded_case(self) -> Case:
        """A case received at the street center for the district department's item (代收代办)."""
        from django.db import transaction

        with transaction.atomic():
            case = services.case_create(by=self.center_clerk, item_code=self.item.code, channel="window",
                                        form_data=dict(FORM), applicant_person=self.p.citizen.person,
                                        receiving_department=self.center)
        return services.case_submit(by=self.center_clerk, case_id=case.pk)

    def in_status(self, status: str) -> Case:
        """A fresh case brought to ``status`` through the real services."""
        p = self.p
        if status == CaseStatus.DRAFT:
            return self.draft()
        case = self.submitted()
        steps: dict[str, list[Any]] = {
            CaseStatus.SUBMITTED: [],
            CaseStatus.PRE_REVIEW: [lambda c: services.case_start_pre_review(by=p.clerk, case_id=c.pk)],
            CaseStatus.CORRECTION: [lambda c: services.case_request_correction(
                by=p.clerk, case_id=c.pk, items=[{"name": "居民身份证", "reason": "复印件不清晰"}])],
            CaseStatus.NOT_ACCEPTED: [lambda c: services.case_refuse(
                by=p.clerk, case_id=c.pk, reason_code=RefusalReason.NOT_COMPETENT, reason="应向区住建委申请")],
            CaseStatus.WITHDRAWN: [lambda c: services.case_withdraw(by=p.citizen, case_id=c.pk)],
        }
        accepted = [lambda c: services.case_accept(by=p.clerk, case_id=c.pk)]
        review = [*accepted, lambda c: services.case_start_review(by=p.reviewer, case_id=c.pk)]
        approved = [*review, lambda c: services.case_approve(by=p.reviewer, case_id=c.pk)]
        steps.update({
            CaseStatus.ACCEPTED: accepted,
            CaseStatus.UNDER_REVIEW: review,
            CaseStatus.SUSPENDED: [*review, lambda c: services.case_suspend(
                by=p.reviewer, case_id=c.pk, basis=SuspensionBasis.EXPERT_REVIEW, reason="专家评审")],
            CaseStatus.APPROVED: approved,
            CaseStatus.REJECTED: [*review, lambda c: services.case_reject(by=p.reviewer, case_id=c.pk,
                                                                           reason="不符合法定条件")],
            CaseStatus.DELIVERED: [*approved, lambda c: services.case_deliver(by=p.clerk, case_id=c.pk,
                                                                               method="window")],
        })
        if status == CaseStatus.FORWARDED:
            case = self.forwarded_case()
            services.case_accept(by=self.center_clerk, case_id=case.pk)
            return services.case_forward(by=self.center_clerk, case_id=case.pk)
        for step in steps[status]:
            case = step(case)
        case.refresh_from_db()
        assert case.status == status
        return case


def build_case_world(p: Principals) -> CaseWorld:
    schema = dict(FORM_SCHEMA)
    common: dict[str, Any] = {
        "by": system_actor("cases.testing"), "department": p.department, "region": p.district.code, "level": "district",
        "category": "approval", "item_type": "01", "legal_basis": "《中华人民共和国行政许可法》",
        "handling_type": "promised", "statutory_limit": 20, "statutory_unit": "working",
        "promised_limit": 10, "promised_unit": "working", "fee_free": True, "depth_level": 3,
        "depth_codes": "1^2^3^4", "on_site_visits": 1, "form_schema": schema,
        "materials": [{"name": "居民身份证", "form": "original", "required": True},
                      {"name": "其他证明材料", "form": "copy", "required": False}],
    }
    item = catalog_services.item_create(code="TESTCASE0000000000000000000001", basic_code="01TESTCASE01",
                                        name="食品经营许可（测试）",
                                        channels=["online", "window", "kiosk", "wechat"], **common)
    street_item = catalog_services.item_create(code="TESTCASE0000000000000000000002", basic_code="01TESTCASE02",
                                               name="小餐饮经营许可（测试）", channels=["window", "kiosk"],
                                               **common)
    street, _ = Region.objects.get_or_create(code="310106021", defaults={
        "name": "临汾路街道", "level": RegionLevel.STREET, "parent": p.district})
    center = DepartmentFactory.create(code="TEST-310106021-SQSW", name="临汾路街道社区事务受理服务中心",
                                      level=RegionLevel.STREET, region=street)
    center_clerk = UserFactory.create(username="p_center_clerk")
    StaffRoleFactory.create(user=center_clerk, role=StaffRoleKind.WINDOW_CLERK, department=center, region=None)
    return CaseWorld(p=p, item=item, street_item=street_item, street=street, center=center,
                     center_clerk=center_clerk)


@pytest.fixture
def case_world(principals: Principals) -> CaseWorld:
    return build_case_world(principals)
