"""``market_generate_records``: the benchmark's pooled records are what a real import would store,
under existing entities, deterministic, and a rerun adds nothing (issue #11 benchmark)."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count

from onewindow.accounts.models import Organization
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, Department
from onewindow.market.choices import RecordKind, RevisionAction
from onewindow.market.management.commands import market_generate_records as generator
from onewindow.market.models import EntityProfile, PooledRecord, RecordRevision
from onewindow.market.records_selectors import record_facets_for, record_timeline_for
from onewindow.market.services import entities_load
from onewindow.market.services.record_import import CONTENT_FIELDS
from onewindow.market.services.records import records_ingest
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db

SEED = 11
ENTITIES = 40


@pytest.fixture
def world(registry_world: RegistryWorld) -> RegistryWorld:
    rows = [(i + 2, entity_row()) for i in range(ENTITIES)]
    entities_load(by=system_actor("test"), rows=rows, label="test", notify=False)
    return registry_world


def generate(count: int, *, seed: int = SEED, chunk: int = 70) -> str:
    out = io.StringIO()
    call_command("market_generate_records", count=count, seed=seed, chunk=chunk, quiet=True, stdout=out)
    return out.getvalue()


def generated(seed: int = SEED):  # type: ignore[no-untyped-def]
    return PooledRecord.objects.filter(source_id__startswith=f"GEN{seed}-")


def test_the_records_land_under_existing_entities_with_their_first_revision(world: RegistryWorld) -> None:
    assert "300 records created (0 there already)" in generate(300)
    assert list(AuditEntry.objects.filter(action="market.records_generate").values_list("after", flat=True)) == [
        {"seed": SEED, "count": 300, "created": 300}
    ]
    records = generated()
    assert records.count() == 300
    assert sorted(records.values_list("source_id", flat=True)) == [generator.source_id(SEED, n) for n in range(300)]
    registered = dict(EntityProfile.objects.values_list("organization_id", "organization__credit_code"))
    names = dict(Organization.objects.values_list("pk", "name"))
    for entity_id, code, name, matched, revision in records.values_list(
        "entity_id", "credit_code", "entity_name", "matched_at", "revision"
    ):
        assert registered[entity_id] == code
        assert names[entity_id] == name
        assert matched is not None
        assert revision == 1
    revisions = RecordRevision.objects.filter(record__in=records)
    assert revisions.count() == 300
    assert {
        (r, a, json.dumps(c), why) for r, a, c, why in revisions.values_list("revision", "action", "changes", "reason")
    } == {(1, RevisionAction.CREATED, "{}", "")}
    kinds = Counter(records.values_list("kind", flat=True))
    assert set(kinds) == set(RecordKind.values)
    assert kinds.most_common(1)[0][0] == RecordKind.LICENCE
    assert records.values("department").distinct().count() >= 5
    assert set(records.values_list("department__code", flat=True)) <= {
        f"SH-{kind.upper()}" for kind in generator.DEPARTMENTS
    }


def test_a_generated_record_is_stored_as_the_import_stores_the_same_content(world: RegistryWorld) -> None:
    generate(300)
    checked = set()
    for record in generated().select_related("department").order_by("id"):
        if record.kind in checked:
            continue
        checked.add(record.kind)
        content = RecordRevision.objects.get(record=record).content
        result = records_ingest(
            by=system_actor("test"),
            rows=[{**content, "source_id": f"COPY-{record.pk}"}],
            channel=record.channel,
            department=record.department_id,
        )
        assert [row.outcome for row in result.rows] == ["created"]
        assert result.rows[0].record_id is not None
        imported = PooledRecord.objects.get(pk=result.rows[0].record_id)
        for name in (*CONTENT_FIELDS, "content_hash", "entity_id", "revision", "channel"):
            assert getattr(imported, name) == getattr(record, name), name
        assert RecordRevision.objects.get(record=imported).content == content
    assert checked == set(RecordKind.values)


def test_a_rerun_adds_nothing_and_an_interrupted_run_resumes_with_the_same_records(world: RegistryWorld) -> None:
    generate(200)
    before = dict(generated().values_list("source_id", "content_hash"))
    audits = AuditEntry.objects.filter(action="market.records_generate").count()
    assert "nothing to add" in generate(200)
    assert generated().count() == 200
    assert AuditEntry.objects.filter(action="market.records_generate").count() == audits
    # A run stopped after 130 records: the last 70 are gone; the rerun writes exactly those again.
    tail = generated().filter(source_id__gte=generator.source_id(SEED, 130))
    RecordRevision.objects.filter(record__in=tail).delete()
    tail.delete()
    assert generated().count() == 130
    assert "70 records created (130 there already)" in generate(200, chunk=33)
    assert dict(generated().values_list("source_id", "content_hash")) == before
    assert RecordRevision.objects.filter(record__in=generated()).count() == 200
    # Record n does not depend on the count: a longer run keeps the first 200 and adds 50.
    assert "50 records created (200 there already)" in generate(250)
    assert {k: v for k, v in generated().values_list("source_id", "content_hash") if k in before} == before


def test_a_seed_gives_its_own_records_and_another_seed_others(world: RegistryWorld) -> None:
    generate(50, seed=1)
    generate(50, seed=2)
    one = list(generated(1).order_by("source_id").values_list("entity_id", "kind", "record_date"))
    two = list(generated(2).order_by("source_id").values_list("entity_id", "kind", "record_date"))
    assert len(one) == len(two) == 50
    assert one != two


def test_most_entities_hold_few_records_and_some_many(world: RegistryWorld) -> None:
    gen = generator.Generator(SEED, generator.departments())
    draws = [gen.per_entity() for _ in range(50_000)]
    counts = Counter(draws)
    assert sum(counts[k] for k in (0, 1, 2)) / len(draws) > 0.85
    assert 1.4 < sum(draws) / len(draws) < 1.8
    assert max(draws) >= 100
    generate(400)
    per_entity = dict(generated().values_list("entity").annotate(n=Count("id")).values_list("entity", "n"))
    assert max(per_entity.values()) >= 5 * min(per_entity.values())


def test_the_timeline_and_facets_read_the_generated_records(world: RegistryWorld) -> None:
    generate(300)
    top = generated().values("entity").annotate(n=Count("id")).order_by("-n", "entity").first()
    assert top is not None
    entity = Organization.objects.get(pk=top["entity"])
    regulator = world.user("regulator")
    timeline = list(record_timeline_for(regulator, entity))
    assert len(timeline) == top["n"]
    assert [(r.record_date, r.pk) for r in timeline] == sorted(((r.record_date, r.pk) for r in timeline), reverse=True)
    facets = record_facets_for(regulator, entity)
    assert facets.total == top["n"]
    assert sum(f.count for f in facets.kinds) == top["n"]


def test_an_empty_registry_is_refused(registry_world: RegistryWorld) -> None:
    from django.core.management.base import CommandError

    departments = Department.objects.count()
    with pytest.raises(CommandError, match="no entities"):
        generate(10)
    assert PooledRecord.objects.count() == 0
    assert Department.objects.count() == departments
