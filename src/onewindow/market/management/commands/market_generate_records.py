"""``onewindow market_generate_records --count 5000000``: pooled records (信息归集) at city scale.

The benchmark fixture of issue #11 ("entity profile API with 3.2M entities and 5M pooled
records"): licences, penalties, inspection results and filings, in the proportions of the seed's
Jing'an figures (48,483 : 10,740 : 4,091, and some filings), delivered by Shanghai's municipal
supervising departments (``SH-<KIND>``, the catalog demo's codes and names; created when missing),
pooled under the registry's existing entities (``EntityProfile``, walked in id order). Skewed as
real registries are: most entities hold 0–3 records, one in fifty (chains, large restaurants) some
5 to a few hundred; when ``--count`` exceeds one pass over the registry, the walk starts again.

Each record is stored as a real import stores it (``services.records``): the row with its content
columns, ``content_hash`` (the digest of the checked content, ``RecordContent.digest``), revision 1,
matched entity and provenance (department, channel, batch, ``received_at``), and its revision 1
row (``RecordRevision``, action ``created``, the content in its JSON form). Dates are valid (no
record date after 2025-12-31, validity after its start). Not written: the per-record audit entries
of a delivery (one audit entry records the whole generation instead, as the demo loader does).

Fast, because it is a fixture and not a delivery: the rows bypass the ORM and the checks of
``record_parse`` (they are generated valid; the test re-parses them) and go in by chunks of
``--chunk`` records per transaction, with ids taken beforehand (PostgreSQL: from the table's
sequence; SQLite: after the largest id, so run it while nothing else writes records): raw
``executemany`` on SQLite, ``COPY`` on PostgreSQL. Deterministic: the same ``--seed`` over the
same registry gives the same records, and record n does not depend on ``--count``.
Idempotent: source ids are ``GEN<seed>-<n>``; a rerun finds the records already written (they
are always a prefix: chunks commit in order) and adds only the missing ones, so a finished run
adds nothing and an interrupted one resumes.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import json
import random
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from onewindow.catalog.demo_names import CITY_DEPARTMENTS
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.models import Department, Region, RegionLevel
from onewindow.market.choices import (
    DisclosureStatus,
    InspectionResult,
    PenaltyKind,
    RecordChannel,
    RecordKind,
    RecordStatus,
    RevisionAction,
)
from onewindow.market.demo.records import CHECK_MATTERS, FALLBACK_TITLES, FINES, PENALTY_CAUSES
from onewindow.market.models import EntityProfile, PooledRecord, RecordRevision
from onewindow.market.services.record_import import RecordContent, content_digest

#: The kinds in the seed's proportions (licences 48,483, penalties 10,740, inspections 4,091; the
#: demo's 1,260 filings).
KINDS = (RecordKind.LICENCE, RecordKind.PENALTY, RecordKind.INSPECTION, RecordKind.FILING)
KIND_WEIGHTS = (48_483, 10_740, 4_091, 1_260)
#: Municipal departments (kind of catalog.demo_names.CITY_DEPARTMENTS) and their shares of each
#: kind (licence, penalty, inspection, filing), after the demo's Jing'an shares.
DEPARTMENTS: dict[str, tuple[int, int, int, int]] = {
    "scjg": (40, 45, 40, 60),
    "wjw": (14, 8, 14, 0),
    "whly": (6, 3, 5, 0),
    "sthj": (5, 8, 8, 0),
    "zjw": (6, 5, 4, 0),
    "lhsr": (5, 16, 2, 0),
    "yj": (3, 4, 8, 0),
    "swj": (5, 1, 2, 40),
    "jyj": (3, 0, 1, 0),
    "rs": (3, 1, 1, 0),
    "ga": (4, 3, 2, 0),
    "jtw": (2, 1, 1, 0),
    "fgj": (1, 1, 1, 0),
}
LICENCE_TITLES = {
    **FALLBACK_TITLES,
    "zjw": ["建筑工程施工许可证", "建筑业企业资质证书"],
    "lhsr": ["户外广告设施设置许可", "城市道路占用许可"],
    "yj": ["危险化学品经营许可证", "安全生产许可证"],
    "swj": ["酒类商品批发许可证", "对外贸易经营者备案登记表"],
    "jyj": ["民办学校办学许可证"],
    "rs": ["人力资源服务许可证", "劳务派遣经营许可证"],
    "ga": ["公章刻制业特种行业许可证", "旅馆业特种行业许可证"],
    "jtw": ["道路运输经营许可证"],
    "fgj": ["房地产开发企业资质证书"],
}
ONLINE = datetime.date(2016, 8, 15)  # the platform went live: nothing arrived before
AS_OF = datetime.date(2025, 12, 31)  # no generated date after this one
FIRST_DAY = {
    RecordKind.LICENCE: datetime.date(2012, 1, 1),
    RecordKind.PENALTY: datetime.date(2016, 1, 1),
    RecordKind.INSPECTION: ONLINE,
    RecordKind.FILING: datetime.date(2015, 1, 1),
}
PREFIX = {RecordKind.LICENCE: "许", RecordKind.PENALTY: "罚"}
PENALTY_CHOICES = (
    ((PenaltyKind.WARNING,), 20),
    ((PenaltyKind.FINE,), 45),
    ((PenaltyKind.WARNING, PenaltyKind.FINE), 15),
    ((PenaltyKind.FINE, PenaltyKind.CONFISCATION), 14),
    ((PenaltyKind.SUSPENSION,), 4),
    ((PenaltyKind.REVOCATION,), 2),
)
#: Records per entity in one pass: 98% light (0: 40%, 1: 30%, 2: 20%, 3: 10%), 2% heavy
#: (5 + an exponential of mean 25, at most 400): about 1.6 a pass, so 5 M records over 3.2 M
#: entities is one pass.
LIGHT = (0.40, 0.70, 0.90, 1.0)
HEAVY_SHARE, HEAVY_MEAN, HEAVY_MAX = 0.02, 25.0, 400
ENTITY_PAGE = 10_000

RECORD_COLUMNS = (
    "id", "kind", "department_id", "source_id", "credit_code", "entity_name", "entity_id", "status", "title",
    "number", "record_date", "item_id", "valid_from", "valid_to", "legal_basis", "penalty_kinds", "amount",
    "disclosure", "inspection_result", "inspector_department_id", "content_hash", "revision", "channel",
    "batch_id", "received_at", "received_by_id", "updated_at", "matched_at",
)  # fmt: skip
REVISION_COLUMNS = (
    "record_id",
    "revision",
    "action",
    "content",
    "changes",
    "reason",
    "channel",
    "batch_id",
    "at",
    "by_id",
)


def source_id(seed: int, n: int) -> str:
    """The source record id of generated record ``n`` (unique per seed, whatever the department)."""
    return f"GEN{seed}-{n:09d}"


def departments() -> list[tuple[Department, tuple[int, int, int, int]]]:
    """The generator's municipal departments (created once, as the catalog demo names them)."""
    names = {kind: (name, short) for kind, name, short in CITY_DEPARTMENTS}
    city = Region.objects.filter(code="310000").first() or Region.objects.filter(level=RegionLevel.CITY).first()
    if city is None:
        raise CommandError("no city region: run `onewindow core_load_regions` first")
    out = []
    for index, (kind, weights) in enumerate(DEPARTMENTS.items()):
        name, short = names[kind]
        dept, _created = Department.objects.get_or_create(
            code=f"SH-{kind.upper()}",
            defaults={
                "name": name,
                "short_name": short,
                "level": RegionLevel.CITY,
                "region": city,
                "sort_order": index + 1,
            },
        )
        out.append((dept, weights))
    return out


def entities() -> Iterator[tuple[int, str, str]]:
    """(id, credit code, name) of every registered entity, in id order, a page at a time."""
    last = 0
    while True:
        page = list(
            EntityProfile.objects.filter(organization_id__gt=last)
            .order_by("organization_id")
            .values_list("organization_id", "organization__credit_code", "organization__name")[:ENTITY_PAGE]
        )
        if not page:
            return
        yield from page
        last = page[-1][0]


class Generator:
    """Record n of a seed, in order: the entity walk, then each record's kind, department and content."""

    def __init__(self, seed: int, depts: list[tuple[Department, tuple[int, int, int, int]]]) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.depts = [d for d, _w in depts]
        self.weights = [[w[i] for _d, w in depts] for i in range(len(KINDS))]
        self.items: dict[int, list[tuple[int, str, str]]] = {}
        for pk, code, name, dept_id in (
            ServiceItem.objects.filter(department__in=self.depts, item_type__code="01")
            .order_by("pk")
            .values_list("pk", "code", "name", "department_id")
        ):
            self.items.setdefault(dept_id, []).append((pk, code, name))
        self.zone = timezone.get_current_timezone()
        self.kind_edges = list(itertools.accumulate(KIND_WEIGHTS))
        self.dept_edges = [list(itertools.accumulate(w)) for w in self.weights]

    def _pick(self, edges: list[int]) -> int:
        """An index drawn with the weights whose running sums are ``edges`` (one random number)."""
        return bisect.bisect_right(edges, self.rng.random() * edges[-1])

    def per_entity(self) -> int:
        rng = self.rng
        x = rng.random()
        if x < HEAVY_SHARE:
            return min(HEAVY_MAX, 5 + int(rng.expovariate(1 / HEAVY_MEAN)))
        x = (x - HEAVY_SHARE) / (1 - HEAVY_SHARE)
        return next(k for k, edge in enumerate(LIGHT) if x < edge)

    def stream(self) -> Iterator[tuple[int, tuple[int, str, str]]]:
        """(n, entity) for every record, passing over the registry again until stopped."""
        n = 0
        while True:
            seen = False
            for entity in entities():
                seen = True
                for _k in range(self.per_entity()):
                    yield n, entity
                    n += 1
            if not seen:
                raise CommandError("the registry has no entities: run `onewindow market_generate_entities` first")

    def _day(self, first: datetime.date) -> datetime.date:
        return datetime.date.fromordinal(first.toordinal() + self.rng.randrange((AS_OF - first).days + 1))

    def content(self, n: int, entity: tuple[int, str, str]) -> tuple[Department, RecordContent, datetime.datetime, str]:
        """Record n's department, checked content, arrival and channel."""
        rng = self.rng
        k = self._pick(self.kind_edges)
        kind = KINDS[k]
        dept = self.depts[self._pick(self.dept_edges[k])]
        short = dept.code.removeprefix("SH-")
        day = self._day(FIRST_DAY[kind])
        values: dict[str, Any] = {
            "kind": str(kind), "credit_code": entity[1], "entity_name": entity[2][:200],
            "status": str(RecordStatus.ACTIVE), "title": "", "number": "", "record_date": day, "item_id": None,
            "item_code": "", "valid_from": None, "valid_to": None, "legal_basis": "", "penalty_kinds": (),
            "amount": None, "disclosure": "", "inspection_result": "", "inspector_department_id": None,
            "inspector_department_code": "",
        }  # fmt: skip
        if kind == RecordKind.LICENCE:
            items = self.items.get(dept.pk)
            if items:
                values["item_id"], values["item_code"], name = rng.choice(items)
                values["title"] = (name.rstrip("*") + ("证" if name.endswith("许可") else ""))[:200]
            else:
                values["title"] = rng.choice(LICENCE_TITLES.get(short.lower(), ["行政许可决定书"]))
            years = rng.choice((3, 5, 5, 6))
            end = (
                day.replace(year=day.year + years)
                if (day.month, day.day) != (2, 29)
                else day.replace(year=day.year + years, day=28)
            )
            values["valid_from"], values["valid_to"] = day, end - datetime.timedelta(days=1)
            values["status"] = str(
                rng.choices((RecordStatus.ACTIVE, RecordStatus.CANCELLED, RecordStatus.REVOKED), (95, 4, 1))[0]
            )
            values["number"] = f"沪{short}许〔{day.year}〕{n:09d}号"
        elif kind == RecordKind.PENALTY:
            cause, basis = rng.choice(PENALTY_CAUSES.get(short.lower(), PENALTY_CAUSES["scjg"]))
            kinds = rng.choices([c for c, _w in PENALTY_CHOICES], [w for _c, w in PENALTY_CHOICES])[0]
            values["title"], values["legal_basis"] = cause, basis
            values["penalty_kinds"] = tuple(str(p) for p in kinds)
            if PenaltyKind.FINE in kinds:
                values["amount"] = Decimal(rng.choice(FINES)).quantize(Decimal("0.01"))
            late = day < AS_OF - datetime.timedelta(days=28)
            values["disclosure"] = str(DisclosureStatus.DISCLOSED if late else DisclosureStatus.PENDING)
            values["number"] = f"沪{short}罚〔{day.year}〕{n}号"
        elif kind == RecordKind.INSPECTION:
            values["title"] = rng.choice(CHECK_MATTERS)
            values["inspection_result"] = rng.choices(list(InspectionResult.values), (70, 14, 5, 6, 4, 1))[0]
            values["inspector_department_id"], values["inspector_department_code"] = dept.pk, dept.code
        else:
            values["title"] = "单用途商业预付卡发卡企业备案" if short == "SWJ" else "经营项目备案"
            values["number"] = f"BA{day:%Y%m%d}{n:09d}"
        arrival_day = max(day, ONLINE)
        arrival_day = datetime.date.fromordinal(arrival_day.toordinal() + rng.randrange((AS_OF - arrival_day).days + 1))
        received = datetime.datetime.combine(arrival_day, datetime.time(9, 0), self.zone) + datetime.timedelta(
            seconds=rng.randrange(32_400)
        )
        channels = (RecordChannel.API, RecordChannel.UPLOAD, RecordChannel.CASE)
        channel = str(rng.choices(channels, (60, 35, 5))[0])
        if channel == RecordChannel.CASE and kind != RecordKind.LICENCE:
            channel = str(RecordChannel.API)
        return dept, RecordContent(**values), received, channel


class Writer:
    """Inserts a chunk of records and their revision 1 rows in one transaction, bypassing the ORM."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.records = PooledRecord._meta.db_table
        self.revisions = RecordRevision._meta.db_table
        self.day = connection.ops.adapt_datefield_value

    def when(self, moment: datetime.datetime) -> Any:
        """A datetime as Django stores it: aware on PostgreSQL, naive UTC text on SQLite
        (``adapt_datetimefield_value``, without its per-call time-zone lookup)."""
        if self.postgres:
            return moment
        return str(moment.astimezone(datetime.UTC).replace(tzinfo=None))

    def _ids(self, cursor: Any, count: int) -> list[int]:
        if self.postgres:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [self.records, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.records}"')  # noqa: S608 - our table name
        top = int(cursor.fetchone()[0])
        return list(range(top + 1, top + count + 1))

    def write(self, rows: list[tuple[int, int, Department, RecordContent, datetime.datetime, str]], seed: int) -> None:
        """``rows``: (n, entity id, department, content, received_at, channel)."""
        with transaction.atomic(), connection.cursor() as cursor:
            ids = self._ids(cursor, len(rows))
            records, revisions = [], []
            for pk, (n, entity_id, dept, c, received, channel) in zip(ids, rows, strict=True):
                as_json = c.as_json()
                at = self.when(received)
                batch = f"gen{seed}-{dept.code}-{received:%Y%m}"
                records.append((
                    pk, c.kind, dept.pk, source_id(seed, n), c.credit_code, c.entity_name, entity_id, c.status,
                    c.title, c.number, self.day(c.record_date), c.item_id, self.day(c.valid_from),
                    self.day(c.valid_to), c.legal_basis, json.dumps(list(c.penalty_kinds)), c.amount, c.disclosure,
                    c.inspection_result, c.inspector_department_id, content_digest(as_json), 1, channel, batch, at,
                    None, at, at,
                ))  # fmt: skip
                revisions.append(
                    (pk, 1, str(RevisionAction.CREATED), json.dumps(as_json), "{}", "", channel, batch, at, None)
                )
            self._insert(cursor, self.records, RECORD_COLUMNS, records)
            self._insert(cursor, self.revisions, REVISION_COLUMNS, revisions)

    def _insert(self, cursor: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)  # noqa: S608 - our names

    def existing(self, seed: int, dept_ids: list[int], n: int) -> bool:
        return PooledRecord.objects.filter(department_id__in=dept_ids, source_id=source_id(seed, n)).exists()


def written_prefix(writer: Writer, seed: int, dept_ids: list[int], count: int) -> int:
    """How many of records 0..count-1 exist already (always a prefix: chunks commit in order)."""
    if count == 0 or not writer.existing(seed, dept_ids, 0):
        return 0
    if writer.existing(seed, dept_ids, count - 1):
        return count
    low, high = 1, count - 1  # record low - 1 exists, record high does not
    while low < high:
        mid = (low + high) // 2
        if writer.existing(seed, dept_ids, mid):
            low = mid + 1
        else:
            high = mid
    return low


class Command(BaseCommand):
    help = "Generate pooled records (licences, penalties, inspections, filings) over the registry's entities."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=5_000_000)
        parser.add_argument("--seed", type=int, default=20160815)
        parser.add_argument("--chunk", type=int, default=20_000, help="records per transaction")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        count, seed, chunk = options["count"], options["seed"], max(1, options["chunk"])
        if count < 0:
            raise CommandError("--count must not be negative")
        if connection.vendor not in ("postgresql", "sqlite"):
            raise CommandError(f"unsupported database {connection.vendor}")
        if not EntityProfile.objects.exists():
            raise CommandError("the registry has no entities: run `onewindow market_generate_entities` first")
        depts = departments()
        writer = Writer()
        dept_ids = [d.pk for d, _w in depts]
        done = written_prefix(writer, seed, dept_ids, count)
        if done == count:
            self.stdout.write(f"{count} generated records (seed {seed}) are there already: nothing to add")
            return
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MB: the indexes of millions of rows
        generator = Generator(seed, depts)
        started, started_cpu = time.monotonic(), time.process_time()
        pending: list[tuple[int, int, Department, RecordContent, datetime.datetime, str]] = []
        with tqdm(total=count, initial=done, unit=" records", disable=options["quiet"]) as bar:
            for n, entity in generator.stream():
                if n >= count:
                    break
                dept, content, received, channel = generator.content(n, entity)
                if n < done:
                    continue
                pending.append((n, entity[0], dept, content, received, channel))
                if len(pending) >= chunk:
                    writer.write(pending, seed)
                    bar.update(len(pending))
                    pending = []
            if pending:
                writer.write(pending, seed)
                bar.update(len(pending))
        audit_record(
            actor=system_actor("market_generate_records"),
            action="market.records_generate",
            target=None,
            after={"seed": seed, "count": count, "created": count - done},
        )
        elapsed, cpu = time.monotonic() - started, time.process_time() - started_cpu
        self.stdout.write(
            f"{count - done} records created ({done} there already) in {elapsed:.1f} s, {cpu:.1f} s CPU "
            f"({(count - done) / max(elapsed, 1e-9):.0f} records/s)"
        )
