"""Ingest idempotency and late-data recomputation (issue #16 "Done means": hypothesis).

Any sequence of sends, resends and late sends by two sources over a few buckets leaves every
:class:`CrowdAreaBucket` equal to a model recomputed from the counts each source sent last (per
zone, the report changed last wins); resending the same counts is ``unchanged`` and adds no
revision; a report's revisions are its distinct consecutive changes."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onewindow.bigscreen.buckets import local_zone
from onewindow.bigscreen.choices import OriginClass
from onewindow.bigscreen.models import CrowdAreaBucket, CrowdReport, CrowdRevision, Source
from onewindow.bigscreen.services.ingest import crowd_report_ingest
from onewindow.bigscreen.testing import NOW, CrowdWorld, make_source

pytestmark = pytest.mark.django_db

BUCKETS = [datetime.datetime(2026, 3, 2, 12, minute, tzinfo=local_zone()) for minute in (40, 45, 50)]
ZONES = ["plaza66", "citic", "zhangyuan"]

COUNTS = st.dictionaries(st.tuples(st.sampled_from(ZONES), st.sampled_from(OriginClass.values)),
                         st.tuples(st.integers(0, 60), st.integers(0, 20)), min_size=1, max_size=4)
SEND = st.tuples(st.integers(0, 1), st.integers(0, len(BUCKETS) - 1), COUNTS)
# a resend of the previous step's counts (same source and bucket), to exercise "unchanged" often
STEP = st.one_of(SEND, st.just("again"))


def expected_bucket(reports: dict[tuple[int, int], dict[str, Any]], bucket: int) -> dict[str, Any] | None:
    mine = {source: report for (source, b), report in reports.items() if b == bucket}
    if not mine:
        return None
    winners: dict[str, tuple[int, int]] = {}  # zone → (changed at step, source)
    for source, report in mine.items():
        for zone, _origin in report["counts"]:
            mark = (report["changed"], source)
            if zone not in winners or mark > winners[zone]:
                winners[zone] = mark
    by_zone: dict[str, dict[str, int]] = {}
    by_origin = {klass: {"present": 0, "arrivals": 0} for klass in OriginClass.values}
    for zone, (_changed, source) in winners.items():
        for (z, origin), (present, arrivals) in mine[source]["counts"].items():
            if z != zone:
                continue
            cell = by_zone.setdefault(zone, {"present": 0, "arrivals": 0})
            cell["present"] += present
            cell["arrivals"] += arrivals
            by_origin[origin]["present"] += present
            by_origin[origin]["arrivals"] += arrivals
    return {"present": sum(c["present"] for c in by_zone.values()),
            "arrivals": sum(c["arrivals"] for c in by_zone.values()),
            "by_zone": by_zone, "by_origin": by_origin, "sources": len(mine)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=12))
def test_buckets_equal_the_model_of_the_last_sent_counts(crowd_world: CrowdWorld, steps: list[Any]) -> None:
    w = crowd_world
    second = Source.objects.filter(area=w.area, name="运营商B").first() or make_source(w.area, "运营商B")[0]
    sources = [w.source, second]
    with transaction.atomic():
        model: dict[tuple[int, int], dict[str, Any]] = {}
        previous: tuple[int, int, dict[Any, Any]] | None = None
        for index, step in enumerate(steps):
            if step == "again":
                if previous is None:
                    continue
                step = previous
            source, bucket, counts = step
            previous = (source, bucket, counts)
            payload = [{"zone": z, "origin": o, "present": p, "arrivals": a} for (z, o), (p, a) in counts.items()]
            result = crowd_report_ingest(source=sources[source], area_code="nanjingxilu",
                                         bucket_start=BUCKETS[bucket].isoformat(), counts=payload,
                                         now=NOW + datetime.timedelta(seconds=index))
            known = model.get((source, bucket))
            if known is None:
                model[(source, bucket)] = {"counts": dict(counts), "changed": index, "revisions": 1}
                assert (result.status, result.revision) == ("created", 1)
            elif known["counts"] == counts:
                assert (result.status, result.revision) == ("unchanged", known["revisions"])
            else:
                known.update(counts=dict(counts), changed=index, revisions=known["revisions"] + 1)
                assert (result.status, result.revision) == ("corrected", known["revisions"])
        for bucket, start in enumerate(BUCKETS):
            expected = expected_bucket(model, bucket)
            row = CrowdAreaBucket.objects.filter(area=w.area, bucket_start=start).first()
            if expected is None:
                assert row is None
                continue
            assert row is not None
            assert {"present": row.present, "arrivals": row.arrivals, "by_zone": row.by_zone,
                    "by_origin": row.by_origin, "sources": row.sources} == expected
        for (source, bucket), known in model.items():
            report = CrowdReport.objects.get(source=sources[source], bucket_start=BUCKETS[bucket])
            assert report.revision == known["revisions"]
            assert list(CrowdRevision.objects.filter(report=report).order_by("revision")
                        .values_list("revision", flat=True)) == list(range(1, known["revisions"] + 1))
            last = CrowdRevision.objects.get(report=report, revision=report.revision).counts
            assert {(c["zone"], c["origin"]): (c["present"], c["arrivals"]) for c in last} == known["counts"]
        assert CrowdReport.objects.count() == len(model)
        transaction.set_rollback(True)  # the next example starts from the empty world again
