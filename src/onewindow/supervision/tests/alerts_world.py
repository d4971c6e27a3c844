"""Builders of the alert and statistics tests: pooled records, listings, draw plans, inspections
and results, written as rows (the facts the rules and the statistics read), on top of the
supervision test world (``supervision.testing``)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.utils import timezone

from onewindow.accounts.models import Organization
from onewindow.core.models import Department
from onewindow.market.choices import RecordChannel, RecordKind, RecordStatus, SanctionList, SanctionStatus
from onewindow.market.models import PooledRecord, SanctionListing
from onewindow.supervision.choices import (
    DrawPlanKind,
    DrawPlanStatus,
    InspectionStatus,
    ItemListKind,
    ResultOutcome,
)
from onewindow.supervision.models import (
    CheckItem,
    DrawPlan,
    Inspection,
    InspectionResult,
    ItemListVersion,
    Officer,
)

_serial = itertools.count(1)


def aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def pooled(
    department: Department,
    organization: Organization,
    kind: str,
    record_date: datetime.date,
    *,
    title: str = "",
    valid_to: datetime.date | None = None,
    status: str = RecordStatus.ACTIVE,
    matched: bool = True,
) -> PooledRecord:
    n = next(_serial)
    return PooledRecord.objects.create(
        kind=kind,
        department=department,
        source_id=f"T-{kind}-{n}",
        credit_code=organization.credit_code,
        entity_name=organization.name,
        entity=organization if matched else None,
        status=status,
        title=title or ("食品经营许可证" if kind == RecordKind.LICENCE else "违法行为"),
        number=f"沪测{n:05d}号",
        record_date=record_date,
        valid_from=record_date if kind == RecordKind.LICENCE else None,
        valid_to=valid_to,
        content_hash=f"{n:064d}",
        channel=RecordChannel.API,
        batch_id="T",
    )


def licence(department: Department, organization: Organization, valid_to: datetime.date, **kw: Any) -> PooledRecord:
    return pooled(
        department, organization, RecordKind.LICENCE, valid_to - datetime.timedelta(days=1000), valid_to=valid_to, **kw
    )


def penalty(department: Department, organization: Organization, day: datetime.date, **kw: Any) -> PooledRecord:
    return pooled(department, organization, RecordKind.PENALTY, day, **kw)


def listing(
    department: Department,
    organization: Organization,
    listed_on: datetime.date,
    *,
    list_kind: str = SanctionList.BUSINESS_ANOMALY,
    status: str = SanctionStatus.LISTED,
) -> SanctionListing:
    n = next(_serial)
    return SanctionListing.objects.create(
        list_kind=list_kind,
        credit_code=organization.credit_code,
        subject_name=organization.name,
        reason="通过登记的住所无法联系",
        legal_basis="《企业经营异常名录管理暂行办法》第四条",
        department=department,
        source_id=f"L-{n}",
        listed_on=listed_on,
        removable_on=listed_on + datetime.timedelta(days=1095),
        status=status,
        removed_on=listed_on + datetime.timedelta(days=1200) if status == SanctionStatus.REMOVED else None,
        content_hash=f"{n:064d}",
    )


def item_version() -> ItemListVersion:
    version = ItemListVersion.objects.filter(kind=ItemListKind.RANDOM).first()
    if version is None:
        version = ItemListVersion.objects.create(
            kind=ItemListKind.RANDOM, number=1, snapshot={}, digest="0" * 64, item_count=1, department_count=1
        )
    return version


def check_item(department: Department) -> CheckItem:
    item, _ = CheckItem.objects.get_or_create(
        department=department,
        code=f"CI-{department.pk}",
        defaults={
            "name": "食品经营场所卫生检查",
            "target": "食品经营者",
            "basis": "《食品安全法》第一百一十条",
            "methods": ["on_site"],
        },
    )
    return item


def officer(department: Department) -> Officer:
    n = next(_serial)
    return Officer.objects.create(
        department=department, name=f"执法{n}", certificate_number=f"ZF{n:08d}", active_from=datetime.date(2010, 1, 1)
    )


def plan(
    department: Department,
    *,
    status: str = DrawPlanStatus.DRAWN,
    drawn_on: datetime.date | None = None,
    kind: str = DrawPlanKind.RANDOM,
) -> DrawPlan:
    n = next(_serial)
    drawn_at = aware(drawn_on) if drawn_on is not None else None
    p = DrawPlan.objects.create(
        number=f"CC-T-{n:05d}",
        kind=kind,
        title=f"测试抽查任务{n}",
        department=department,
        item_list_version=item_version(),
        departments=[department.code],
        random_source="上海福利彩票“东方6+1”第2017100期开奖号码",
        random_expected_on=drawn_on or datetime.date(2017, 9, 1),
        inspection_ends_on=(drawn_on or datetime.date(2017, 9, 1)) + datetime.timedelta(days=60),
        status=status,
        drawn_at=drawn_at,
    )
    p.items.add(check_item(department))
    return p


def inspection(p: DrawPlan, organization: Organization, *, group: int | None = None) -> Inspection:
    sequence = p.inspections.count() + 1
    return Inspection.objects.create(
        plan=p,
        organization=organization,
        credit_code=organization.credit_code,
        entity_name=organization.name,
        sequence=sequence,
        group_number=group if group is not None else sequence,
        status=InspectionStatus.RECORDED,
    )


def result(
    insp: Inspection,
    department: Department,
    outcome: str = ResultOutcome.NO_PROBLEM,
    *,
    rectify_by: datetime.date | None = None,
    reinspected_on: datetime.date | None = None,
    recorded_on: datetime.date | None = None,
    item: CheckItem | None = None,
) -> InspectionResult:
    return InspectionResult.objects.create(
        inspection=insp,
        check_item=item or check_item(department),
        department=department,
        outcome=outcome,
        rectify_by=rectify_by,
        reinspected_on=reinspected_on,
        recorded_by=officer(department),
        recorded_at=aware(recorded_on) if recorded_on is not None else timezone.now(),
    )


__all__ = ["aware", "inspection", "licence", "listing", "penalty", "plan", "pooled", "result"]
