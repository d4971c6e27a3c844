"""Crowd-flow ingest (客流数据接入, issue #16 part 2 and "Bad input"): a source's counts for one area
and one time bucket, per zone and origin class — people present at the bucket's end and arrivals
during it — from a sensor gateway or an operator's feed (FlowKit / Flux Vision style aggregates).

Rules:

- **Refusals**, each with a stable code, before anything is written (a batch or a CSV file is all
  or nothing): an inactive source ``crowd_source_inactive`` (403); an unknown or inactive area
  ``crowd_area_unknown`` (422, field ``area``: it is a field of the body, not a path, so not a
  404); the source's token used for another area ``crowd_source_wrong_area`` (403); the bucket:
  ``crowd_bucket_invalid`` / ``crowd_bucket_misaligned`` / ``crowd_bucket_future`` /
  ``crowd_bucket_too_old`` (bigscreen/buckets.py); no counts ``crowd_counts_required``; a count
  that is not an object ``crowd_count_invalid``; an unknown zone ``crowd_zone_unknown``; neither
  or both of ``origin`` (a class) and ``region`` (a home-region code) ``crowd_origin_required``;
  an unknown class ``crowd_origin_unknown``; a malformed region code ``crowd_region_invalid``;
  ``present`` / ``arrivals`` missing ``crowd_count_missing``, not an integer
  ``crowd_count_not_integer``, negative ``crowd_count_negative``, above the zone's capacity × 10
  ``crowd_count_absurd`` (issue #16 "Bad input"); the same (zone, origin) twice
  ``crowd_count_duplicate``. Fields name the count: ``counts[1].present`` (in a batch
  ``reports[3].counts[1].present``).
- **Regions**: counts given by home region are summed into their origin class
  (bigscreen/origins.py, ``BIGSCREEN_ORIGIN_RULE``); a zone's class may come either directly
  (``origin``) or from regions, not both (``crowd_count_duplicate``), and one region once per zone.
- **Idempotent per (source, area, bucket)**: the canonical counts (zone code, class, present,
  arrivals; sorted) are hashed with SHA-256. The same digest again is ``unchanged`` and writes
  nothing; another digest is a correction (更正): the revision goes up by one, a
  :class:`CrowdRevision` keeps it (history: the canonical counts, regions already summed into
  their class, with the channel ``via``), the report's counts are replaced. Two identical first
  sends at once: the second waits on the first's row lock (or loses the insert race inside a
  savepoint) and answers ``unchanged``, never an IntegrityError.
- **Merged figures**: after a change, :class:`CrowdAreaBucket` of that (area, bucket) — and only
  that one, so late data recomputes its own bucket — is recomputed from the current reports: per
  zone the report received last (changed last) wins where two sources report one zone; totals,
  ``by_origin`` (every class, 0 when absent), ``by_zone``, ``sources`` (reports of the bucket).
  The source's ``last_bucket_start`` (the latest ever) and ``last_received_at`` are updated, and
  ``services.alerts.alerts_evaluate`` runs after the commit (大客流预警).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError, PermissionDenied

from ..buckets import bucket_align
from ..choices import OriginClass
from ..models import Area, CrowdAreaBucket, CrowdCount, CrowdReport, CrowdRevision, Source, Zone
from ..origins import is_region_code, origin_of
from . import alerts

MAX_BATCH = 500
MAX_COUNTS = 2000
#: A count may not exceed the column (PostgreSQL integer) whatever the capacity.
MAX_VALUE = 2**31 - 1
ABSURD_FACTOR = 10
VIA = ("api", "csv", "simulator")

Status = Literal["created", "unchanged", "corrected"]


@dataclass(frozen=True)
class IngestResult:
    """What one report did: ``created`` (revision 1), ``unchanged`` (same digest, nothing written)
    or ``corrected`` (a new revision)."""

    report: CrowdReport
    status: Status
    revision: int


@dataclass(frozen=True)
class Prepared:
    """A validated report, ready to write: counts summed per (zone, class) and in canonical order."""

    area: Area
    bucket_start: datetime.datetime
    counts: tuple[tuple[Zone, str, int, int], ...]
    canonical: list[dict[str, Any]]
    digest: str


def invalid(field: str, message: Any, code: str) -> DomainError:
    return DomainError(_("客流数据不正确。"), code=code, status=422, fields={field: [message]})


def prefixed(error: DomainError, prefix: str) -> DomainError:
    """The same refusal with its fields under ``prefix`` (a batch's ``reports[3].``)."""
    if not prefix:
        return error
    fields = {f"{prefix}{name}": messages for name, messages in error.fields.items()} or {prefix.rstrip("."): [
        error.message]}
    return type(error)(error.message, code=error.code, fields=fields, status=error.status)


# ---- validation (no writes) -----------------------------------------------------------------

def check_source(source: Source) -> None:
    if not source.is_active:
        raise PermissionDenied(_("该客流数据源已停用。"), code="crowd_source_inactive")


def area_for(source: Source, area_code: Any, *, field: str = "area") -> Area:
    """The area a report names, which must be the source's own (its token is bound to it)."""
    code = area_code.strip() if isinstance(area_code, str) else None
    area = source.area
    if code == area.code and area.is_active:
        return area
    known = bool(code) and code != area.code and Area.objects.filter(code=code, is_active=True).exists()
    if not known:
        raise invalid(field, _("商圈代码不存在或已停用。"), "crowd_area_unknown")
    raise PermissionDenied(_("该数据源的令牌只能报送其所属商圈的数据。"), code="crowd_source_wrong_area",
                           fields={field: [_("该数据源的令牌只能报送其所属商圈的数据。")]})


def zones_of(area: Area) -> dict[str, Zone]:
    return {zone.code: zone for zone in Zone.objects.filter(area_id=area.pk)}


def _measure(count: Mapping[str, Any], name: str, field: str, zone: Zone) -> int:
    if name not in count or count[name] is None:
        raise invalid(field, _("此项为必填项。"), "crowd_count_missing")
    value = count[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, _("请输入整数。"), "crowd_count_not_integer")
    if value < 0:
        raise invalid(field, _("人数不能为负数。"), "crowd_count_negative")
    limit = min(zone.capacity * ABSURD_FACTOR, MAX_VALUE)
    if value > limit:
        raise invalid(field, _("人数超过该分区承载量的 %(f)s 倍（%(n)s 人），数据不可信。")
                      % {"f": ABSURD_FACTOR, "n": limit}, "crowd_count_absurd")
    return value


def _origin(count: Mapping[str, Any], field: str) -> tuple[str, str]:
    """(class, key) of a count: ``key`` tells a class given directly from a region."""
    origin, region = count.get("origin"), count.get("region")
    if (origin is None) == (region is None):
        raise invalid(f"{field}.origin", _("请填写 origin（来源地类别）或 region（来源地代码）其中之一。"),
                      "crowd_origin_required")
    if origin is not None:
        if not isinstance(origin, str) or origin.strip() not in OriginClass.values:
            message = _("来源地类别应为 local（市内）、domestic（国内）或 international（国际）。")
            raise invalid(f"{field}.origin", message, "crowd_origin_unknown")
        return origin.strip(), "class:" + origin.strip()
    if not is_region_code(region):
        raise invalid(f"{field}.region", _("来源地代码应为 2–12 位字母或数字（如 31、310106、HK、US）。"),
                      "crowd_region_invalid")
    return str(origin_of(str(region))), "region:" + str(region).strip().upper()


def prepare(source: Source, raw: Mapping[str, Any], *, now: datetime.datetime, prefix: str = "",
            zones: dict[int, dict[str, Zone]] | None = None) -> Prepared:
    """Validate one report (``{"area", "bucket_start", "counts"}``) of ``source``; writes nothing.
    ``zones`` caches the zones per area across a batch."""
    try:
        area = area_for(source, raw.get("area"))
        start = bucket_align(raw.get("bucket_start"), bucket_minutes=area.bucket_minutes, now=now)
        counts = raw.get("counts")
        if not isinstance(counts, list | tuple) or not counts:
            raise invalid("counts", _("请至少提交一条计数。"), "crowd_counts_required")
        if len(counts) > MAX_COUNTS:
            raise invalid("counts", _("一次报送最多 %(n)s 条计数。") % {"n": MAX_COUNTS}, "crowd_counts_too_many")
        cache = zones if zones is not None else {}
        if area.pk not in cache:
            cache[area.pk] = zones_of(area)
        return _prepare_counts(area, start, counts, cache[area.pk])
    except DomainError as error:
        raise prefixed(error, prefix) from None


def _prepare_counts(area: Area, start: datetime.datetime, counts: Sequence[Any],
                    zones: dict[str, Zone]) -> Prepared:
    sums: dict[tuple[str, str], list[int]] = {}
    seen: dict[tuple[str, str], str] = {}  # (zone, class) → "class" or "regions"
    keys: set[tuple[str, str]] = set()
    for index, count in enumerate(counts):
        field = f"counts[{index}]"
        if not isinstance(count, Mapping):
            message = _("每条计数应为对象：zone、origin 或 region、present、arrivals。")
            raise invalid(field, message, "crowd_count_invalid")
        code = count.get("zone")
        zone = zones.get(code.strip()) if isinstance(code, str) else None
        if zone is None:
            raise invalid(f"{field}.zone", _("该商圈没有此分区。"), "crowd_zone_unknown")
        klass, key = _origin(count, field)
        present = _measure(count, "present", f"{field}.present", zone)
        arrivals = _measure(count, "arrivals", f"{field}.arrivals", zone)
        way = "class" if key.startswith("class:") else "regions"
        pair = (zone.code, klass)
        if (zone.code, key) in keys or seen.get(pair, way) != way:
            raise invalid(field, _("同一分区、同一来源地类别重复报送。"), "crowd_count_duplicate")
        keys.add((zone.code, key))
        seen[pair] = way
        total = sums.setdefault(pair, [0, 0])
        total[0] += present
        total[1] += arrivals
        limit = min(zone.capacity * ABSURD_FACTOR, MAX_VALUE)
        if total[0] > limit or total[1] > limit:
            raise invalid(field, _("人数超过该分区承载量的 %(f)s 倍（%(n)s 人），数据不可信。")
                          % {"f": ABSURD_FACTOR, "n": limit}, "crowd_count_absurd")
    by_code = {zone.code: zone for zone in zones.values()}
    ordered = sorted(sums.items())
    canonical = [{"zone": z, "origin": o, "present": p, "arrivals": a} for (z, o), (p, a) in ordered]
    text = json.dumps([[z, o, p, a] for (z, o), (p, a) in ordered], separators=(",", ":"), ensure_ascii=False)
    return Prepared(area=area, bucket_start=start,
                    counts=tuple((by_code[z], o, p, a) for (z, o), (p, a) in ordered),
                    canonical=canonical, digest=hashlib.sha256(text.encode()).hexdigest())


# ---- writes -----------------------------------------------------------------------------------

def _locked_report(key: dict[str, Any]) -> CrowdReport | None:
    """The report of (source, area, bucket), locked until the commit, if there is one yet."""
    return CrowdReport.objects.select_for_update().filter(**key).first()


def _write(source: Source, prepared: Prepared, *, via: str, now: datetime.datetime) -> IngestResult:
    """Create, leave or correct the report of (source, area, bucket); inside the caller's atomic."""
    key = {"source_id": source.pk, "area_id": prepared.area.pk, "bucket_start": prepared.bucket_start}
    report = _locked_report(key)
    status: Status = "corrected"
    if report is None:
        try:
            with transaction.atomic():
                report = CrowdReport.objects.create(**key, revision=1, digest=prepared.digest, received_at=now)
            status = "created"
        except IntegrityError:  # the same first send, committed meanwhile by another request
            report = CrowdReport.objects.select_for_update().get(**key)
    if status != "created":
        if report.digest == prepared.digest:
            return IngestResult(report=report, status="unchanged", revision=report.revision)
        report.revision += 1
        report.digest = prepared.digest
        report.received_at = now
        report.save(update_fields=["revision", "digest", "received_at"])
        CrowdCount.objects.filter(report_id=report.pk).delete()
    CrowdRevision.objects.create(report=report, revision=report.revision, counts=prepared.canonical,
                                 digest=prepared.digest, received_at=now, via=via)
    CrowdCount.objects.bulk_create([CrowdCount(report=report, zone=zone, origin=origin, present=present,
                                               arrivals=arrivals)
                                    for zone, origin, present, arrivals in prepared.counts])
    return IngestResult(report=report, status=status, revision=report.revision)


def merged_figures(counts: Iterable[tuple[str, str, int, int]]) -> dict[str, Any]:
    """The merged figures of one bucket from its counting rows (zone code, origin class, present,
    arrivals): totals, ``by_origin`` (every class, zero where none) and ``by_zone`` (zones sorted) —
    the fields of :class:`CrowdAreaBucket` that the ingest and the simulator's bulk history share."""
    by_origin = {klass: {"present": 0, "arrivals": 0} for klass in OriginClass.values}
    by_zone: dict[str, dict[str, int]] = {}
    for zone, origin, present, arrivals in counts:
        for cell in (by_zone.setdefault(zone, {"present": 0, "arrivals": 0}), by_origin[origin]):
            cell["present"] += present
            cell["arrivals"] += arrivals
    return {"present": sum(cell["present"] for cell in by_zone.values()),
            "arrivals": sum(cell["arrivals"] for cell in by_zone.values()),
            "by_origin": by_origin, "by_zone": dict(sorted(by_zone.items()))}


def area_bucket_recompute(*, area_id: int, bucket_start: datetime.datetime,
                          now: datetime.datetime | None = None) -> CrowdAreaBucket | None:
    """Recompute the merged figures of one (area, bucket) from its current reports (per zone the
    report received last wins; ties by the later report). Two statements: one read, one upsert
    (or a delete when no report is left)."""
    rows = list(CrowdCount.objects.filter(report__area_id=area_id, report__bucket_start=bucket_start)
                .values_list("report_id", "report__received_at", "zone__code", "origin", "present", "arrivals"))
    if not rows:
        CrowdAreaBucket.objects.filter(area_id=area_id, bucket_start=bucket_start).delete()
        return None
    winner: dict[str, tuple[datetime.datetime, int]] = {}
    for row in rows:
        report_id, received_at, zone = row[0], row[1], row[2]
        mark = (received_at, report_id)
        if zone not in winner or mark > winner[zone]:
            winner[zone] = mark
    figures = merged_figures((zone, origin, present, arrivals)
                             for report_id, _received, zone, origin, present, arrivals in rows
                             if winner[zone][1] == report_id)
    bucket = CrowdAreaBucket(area_id=area_id, bucket_start=bucket_start, **figures,
                             sources=len({row[0] for row in rows}), computed_at=now or timezone.now())
    CrowdAreaBucket.objects.bulk_create([bucket], update_conflicts=True, unique_fields=["area", "bucket_start"],
                                        update_fields=["present", "arrivals", "by_origin", "by_zone", "sources",
                                                       "computed_at"])
    return bucket


def _touch_source(source: Source, latest: datetime.datetime, now: datetime.datetime) -> None:
    """The source's latest bucket (never moved back by late data) and its last reception: one UPDATE."""
    Source.objects.filter(pk=source.pk).update(
        last_bucket_start=Case(When(Q(last_bucket_start__isnull=True) | Q(last_bucket_start__lt=latest),
                                    then=Value(latest, output_field=DateTimeField())),
                               default=F("last_bucket_start")),
        last_received_at=now)
    if source.last_bucket_start is None or source.last_bucket_start < latest:
        source.last_bucket_start = latest
    source.last_received_at = now


def ingest_prepared(source: Source, reports: Sequence[Prepared], *, via: str, now: datetime.datetime,
                    progress: Callable[[int], object] | None = None) -> list[IngestResult]:
    """Write validated reports of one source in one transaction (all or nothing), recompute the
    buckets that changed, move the source's marks, and evaluate the alerts after the commit.
    ``progress(1)`` is called after each report (the CSV backfill's progress bar)."""
    if via not in VIA:
        raise ValueError(f"via must be one of {VIA}")
    results: list[IngestResult] = []
    with transaction.atomic():
        for prepared in reports:
            result = _write(source, prepared, via=via, now=now)
            if result.status != "unchanged":
                area_bucket_recompute(area_id=prepared.area.pk, bucket_start=prepared.bucket_start, now=now)
            results.append(result)
            if progress is not None:
                progress(1)
        changed = [p for p, r in zip(reports, results, strict=True) if r.status != "unchanged"]
        if changed:
            latest = max(p.bucket_start for p in changed)
            _touch_source(source, latest, now)
            # only an area's latest bucket moves its alerts (services/alerts.py): one call per area
            for area_id in sorted({p.area.pk for p in changed}):
                last = max(p.bucket_start for p in changed if p.area.pk == area_id)
                transaction.on_commit(functools.partial(_evaluate, area_id=area_id, bucket_start=last))
    return results


def _evaluate(*, area_id: int, bucket_start: datetime.datetime) -> None:
    alerts.alerts_evaluate(area_id=area_id, bucket_start=bucket_start)


def crowd_report_ingest(*, source: Source, area_code: Any, bucket_start: Any, counts: Any, via: str = "api",
                        now: datetime.datetime | None = None) -> IngestResult:
    """Ingest one report of ``source`` (actor: the source, through its token; the simulator and
    the CSV backfill pass ``via``). See the module's docstring for the rules and refusals."""
    now = now or timezone.now()
    check_source(source)
    prepared = prepare(source, {"area": area_code, "bucket_start": bucket_start, "counts": counts}, now=now)
    return ingest_prepared(source, [prepared], via=via, now=now)[0]


def crowd_reports_ingest(*, source: Source, reports: Any, via: str = "api",
                         now: datetime.datetime | None = None) -> list[IngestResult]:
    """Ingest a batch of at most :data:`MAX_BATCH` reports, all or nothing: a refusal names the
    report (``reports[3].counts[1].present``); two reports of one bucket are refused
    (``crowd_batch_duplicate``) since their order would decide silently."""
    now = now or timezone.now()
    check_source(source)
    if not isinstance(reports, list | tuple) or not reports:
        raise invalid("reports", _("请至少提交一份报送。"), "crowd_reports_required")
    if len(reports) > MAX_BATCH:
        raise invalid("reports", _("一次最多提交 %(n)s 份报送。") % {"n": MAX_BATCH}, "crowd_batch_too_large")
    zones: dict[int, dict[str, Zone]] = {}
    prepared: list[Prepared] = []
    seen: set[tuple[int, datetime.datetime]] = set()
    for index, raw in enumerate(reports):
        prefix = f"reports[{index}]."
        if not isinstance(raw, Mapping):
            message = _("每份报送应为对象：area、bucket_start、counts。")
            raise invalid(f"reports[{index}]", message, "crowd_report_invalid")
        item = prepare(source, raw, now=now, prefix=prefix, zones=zones)
        if (item.area.pk, item.bucket_start) in seen:
            raise invalid(f"{prefix}bucket_start", _("同一批次中该时段重复报送。"), "crowd_batch_duplicate")
        seen.add((item.area.pk, item.bucket_start))
        prepared.append(item)
    return ingest_prepared(source, prepared, via=via, now=now)
