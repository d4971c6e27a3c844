"""The demo records: the seed's figures, spread over the Jing'an departments and the registry's
entities, the first entity with licences from three departments, a matching queue; idempotent."""

from __future__ import annotations

import pytest
from django.db.models import Count

from onewindow.accounts.models import Organization
from onewindow.accounts.testing import DepartmentFactory, OrganizationFactory, build_principals
from onewindow.core.models import Department
from onewindow.market.demo import records as demo
from onewindow.market.models import PooledRecord, RecordRevision
from onewindow.market.services.record_import import RowRefs, content_digest, record_parse

pytestmark = pytest.mark.django_db


def test_the_full_demo_reproduces_the_seed_figures() -> None:
    # shared/seed/figures.json → supervision: licence_records, penalty_records, inspection_records.
    assert (demo.LICENCES, demo.PENALTIES, demo.INSPECTIONS) == (48_483, 10_740, 4_091)


def test_small_demo_spreads_records_and_is_idempotent() -> None:
    p = build_principals()
    for kind, name in (
        ("SCJG", "市场监督管理局"),
        ("WJW", "卫生健康委员会"),
        ("WHLY", "文化和旅游局"),
        ("STHJ", "生态环境局"),
    ):
        DepartmentFactory.create(code=f"310106-{kind}", name=f"上海市静安区{name}", region=p.district)
    for n in range(20):
        OrganizationFactory.create(name=f"上海静安演示企业{n}")
    first = Organization.objects.order_by("pk").values_list("pk", flat=True).first()
    seen: list[int] = []
    assert demo.load(progress=seen.append, seed=7, size="small") == []
    counts = dict(PooledRecord.objects.values_list("kind").annotate(n=Count("id")).order_by())
    assert counts == {"licence": demo.SMALL, "penalty": demo.SMALL, "inspection": demo.SMALL, "filing": demo.SMALL // 5}
    assert sum(seen) == PooledRecord.objects.count() == RecordRevision.objects.count()
    assert PooledRecord.objects.filter(entity__isnull=True).count() == 5
    assert set(PooledRecord.objects.values_list("department__code", flat=True)) <= set(
        Department.objects.filter(code__startswith="310106-").values_list("code", flat=True)
    )
    departments = set(
        PooledRecord.objects.filter(entity_id=first, kind="licence").values_list("department__code", flat=True)
    )
    assert {"310106-SCJG", "310106-WJW", "310106-WHLY"} <= departments
    for record in PooledRecord.objects.select_related("department").prefetch_related("revisions"):
        (revision,) = record.revisions.all()
        assert (revision.revision, content_digest(revision.content)) == (1, record.content_hash)
        # Every demo row passes the same checks as a delivered one, with the same digest.
        row = {**revision.content, "source_id": record.source_id}
        _source, content, errors = record_parse(row, kind=record.kind, refs=RowRefs.load(record.department, [row]))
        assert errors == {}
        assert content is not None and content.digest() == record.content_hash
    before = PooledRecord.objects.count()
    demo.load(progress=seen.append, seed=7, size="small")
    assert PooledRecord.objects.count() == before
