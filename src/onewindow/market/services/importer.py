"""Bulk import of the registry from CSV or xlsx (批量导入市场主体), idempotent by credit code.

Rules (issue #11 part 2):

- the header must name exactly the columns of :data:`COLUMNS` (the Chinese labels of the template
  or the field names), in any order; otherwise the file is refused before anything is written
  (``market_import_columns``), with the expected columns in the message;
- the file is opened by :func:`onewindow.core.tabular.open_table`: an xlsx workbook, or a CSV file
  read as UTF-8 (with or without BOM) or, failing that, GB18030 — the superset of the GBK that
  Excel in China saves; a file that is neither is refused (``market_import_encoding``);
- rows are read as a stream and written in chunks of :data:`CHUNK` rows, each chunk in one
  transaction with one query per table to find the existing entities (no query per row);
- a row that fails a check is reported with its line, field and code, and the good rows are
  still written; a row whose content equals the stored entity writes nothing (no version), a
  changed row updates the entity and writes a version (``imported``), a new row registers it;
- the same credit code twice in one chunk: the later line is reported (``market_import_duplicate``);
  in different chunks the later line is an update, as a second import of it would be.

Each chunk writes one audit entry (the credit codes it created and changed); the run itself is an
:class:`EntityImport` row with the counts and the errors (at most :data:`MAX_STORED_ERRORS`). A
decoding failure in the middle of a file stops the run there (``failed``), keeping the chunks
already written; importing the file again is safe.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import Organization
from onewindow.core import tabular
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError
from onewindow.core.tabular import TableRefused

from ..choices import ImportStatus, VersionKind
from ..listeners import notify_entity_change
from ..models import EntityImport, EntityProfile, EntitySearchKey, EntityVersion, FormerName
from .bulk import Blank, insert_rows, update_rows
from .registry import (
    _actor_label,
    _actor_user,
    apply_input,
    change_event,
    check_writer,
    diff,
    insert_keys,
    key_rows,
    masked,
    snapshot_of,
    snapshot_profile,
    version_row,
)
from .validation import FIELDS, EntityInput, References, RowError, check_entity

CHUNK = 2000
MAX_STORED_ERRORS = 10_000

#: (field, the template's column label), in the template's order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("credit_code", "统一社会信用代码"),
    ("registration_number", "注册号"),
    ("name", "名称"),
    ("entity_type", "主体类型"),
    ("legal_representative_name", "法定代表人"),
    ("legal_rep_id_number", "法定代表人证件号码"),
    ("legal_rep_phone", "法定代表人联系电话"),
    ("address", "住所"),
    ("district_code", "区代码"),
    ("street_code", "街镇代码"),
    ("industry_code", "行业代码"),
    ("registered_capital", "注册资本（万元）"),
    ("currency", "币种"),
    ("established_on", "成立日期"),
    ("approved_on", "核准日期"),
    ("status", "登记状态"),
    ("status_on", "状态日期"),
    ("business_scope", "经营范围"),
)
assert tuple(name for name, _label in COLUMNS) == FIELDS
_BY_LABEL = {label: name for name, label in COLUMNS} | {name: name for name, _label in COLUMNS}

Progress = Callable[[int], object]


class ImportRefused(DomainError):
    """A file refused as a whole before anything is written (columns, encoding, format)."""

    status = 422


@dataclass
class RowSource:
    """The rows of an opened file: ``(line, {field: value})``, and the encoding it was read in."""

    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str


def expected_columns() -> str:
    return "、".join(label for _name, label in COLUMNS)


def _header(cells: list[Any]) -> list[str]:
    names = [_BY_LABEL.get(str(c or "").strip().lstrip("\ufeff")) for c in cells]
    while names and names[-1] is None and not str(cells[len(names) - 1] or "").strip():
        names.pop()
    if None in names or sorted(n for n in names if n) != sorted(FIELDS):
        raise ImportRefused(
            _("表头不符合模板。应有且仅有这些列（顺序不限）：%(cols)s") % {"cols": expected_columns()},
            code="market_import_columns",
            fields={"file": [_("表头不符合模板")]},
        )
    return [n or "" for n in names]


#: The refusals of :func:`onewindow.core.tabular.open_table`, as this import's codes and messages.
_REFUSALS: dict[str, tuple[str, Any, Any]] = {
    "table_format": ("market_import_format", _("无法读取该 xlsx 文件"), _("文件格式无效")),
    "table_unreadable": ("market_import_format", _("无法读取该 xlsx 文件"), _("文件格式无效")),
    "table_encoding": (
        "market_import_encoding",
        _("无法识别文件编码：请以 UTF-8 或 GBK（GB18030）编码保存 CSV 文件"),
        _("文件编码无法识别"),
    ),
    "table_empty": ("market_import_empty", _("文件为空或无法读取"), _("文件为空")),
}


def _refused(error: TableRefused) -> ImportRefused:
    code, message, short = _REFUSALS.get(error.code, _REFUSALS["table_format"])
    return ImportRefused(message, code=code, fields={"file": [short]})


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig`` or ``gb18030`` for the first bytes of a CSV file (:mod:`core.tabular`), else
    refuse (``market_import_encoding``)."""
    try:
        return tabular.detect_encoding(head)
    except TableRefused as error:
        raise _refused(error) from None


class DecodingStopped(Exception):
    """A CSV file stopped decoding after its first rows (the chunks before it are kept)."""


def open_rows(file: IO[bytes], file_name: str) -> RowSource:
    """Open an upload or a file on disk (``.csv`` or ``.xlsx``) with
    :func:`onewindow.core.tabular.open_table` (the encoding, an xlsx by its signature), its
    refusals given this import's codes; then the header is checked against the template."""
    if PurePath(file_name).suffix.lower() not in (".csv", ".xlsx"):
        raise ImportRefused(
            _("只接受 .csv 或 .xlsx 文件"), code="market_import_format", fields={"file": [_("文件格式无效")]}
        )
    try:
        table = tabular.open_table(file, file_name)
    except TableRefused as error:
        raise _refused(error) from None
    names = _header(list(table.header))

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for line, cells in table.rows:
                yield line, dict(zip(names, cells, strict=False))
        except TableRefused:
            raise DecodingStopped from None

    return RowSource(rows=rows(), encoding=table.encoding)


@dataclass
class _Counts:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


class _Chunk:
    """One chunk's writes, prepared in memory and written with one statement per table."""

    def __init__(self, by: Actor, refs: References, notify: bool, now: datetime.datetime) -> None:
        self.by, self.refs, self.notify, self.now = by, refs, notify, now
        self.region_codes = {pk: code for code, (pk, _level, _parent) in refs.regions.items()}
        self.industry_codes = {pk: code for code, pk in refs.industries.items()}

    def codes(self, profile: EntityProfile) -> dict[str, str]:
        return {
            "district": self.region_codes.get(profile.district_id, ""),
            "street": self.region_codes.get(profile.street_id or 0, ""),
            "industry": self.industry_codes.get(profile.industry_id, ""),
        }

    def write(self, rows: list[tuple[int, EntityInput]], counts: _Counts) -> None:
        with transaction.atomic():
            orgs = {
                o.credit_code: o for o in Organization.objects.filter(credit_code__in=[d.credit_code for _l, d in rows])
            }
            profiles = {
                p.organization_id: p
                for p in EntityProfile.objects.filter(organization_id__in=[o.pk for o in orgs.values()])
            }
            new_orgs: list[Organization] = []
            new_profiles: list[EntityProfile] = []
            new_data: list[EntityInput] = []
            changed_orgs: list[Organization] = []
            changed_profiles: list[EntityProfile] = []
            versions: list[EntityVersion] = []
            # copies of one template per model and chunk: Model(**kwargs) per row was a tenth of the import
            new_org = Blank(Organization, created_by=_actor_user(self.by))
            new_profile = Blank(EntityProfile, version=1, updated_at=self.now)
            new_version = Blank(
                EntityVersion,
                number=1,
                kind=VersionKind.REGISTERED,
                at=self.now,
                by=_actor_user(self.by),
                by_label=_actor_label(self.by),
            )
            former: list[FormerName] = []
            renamed: list[EntityProfile] = []
            scope_changes: list[tuple[EntityProfile, EntityInput, str]] = []
            for _line, data in rows:
                found = orgs.get(data.credit_code)
                profile = profiles.get(found.pk) if found is not None else None
                if found is None:
                    org = new_org(credit_code=data.credit_code)
                    new_orgs.append(org)
                else:
                    org = found
                if profile is None:
                    if found is not None:
                        changed_orgs.append(org)
                    profile = new_profile(organization=org)
                    apply_input(org, profile, data)
                    new_profiles.append(profile)
                    new_data.append(data)
                    continue
                profile.organization = org
                before, after = diff(snapshot_profile(profile, self.codes(profile)), snapshot_of(data))
                if not after:
                    counts.unchanged += 1
                    continue
                old_name, old_scope = org.name, profile.business_scope
                apply_input(org, profile, data)
                profile.version += 1
                profile.updated_at = self.now
                changed_orgs.append(org)
                changed_profiles.append(profile)
                versions.append(
                    version_row(org.pk, profile.version, VersionKind.IMPORTED, self.by, before, after, self.now)
                )
                if org.name != old_name:
                    former.append(
                        FormerName(
                            organization=org, name=old_name, used_until=timezone.localdate(), recorded_at=self.now
                        )
                    )
                    renamed.append(profile)
                if profile.business_scope != old_scope:
                    scope_changes.append((profile, data, old_scope))
            insert_rows(Organization, new_orgs)
            if new_orgs:
                ids = dict(
                    Organization.objects.filter(credit_code__in=[o.credit_code for o in new_orgs]).values_list(
                        "credit_code", "pk"
                    )
                )
                for org in new_orgs:
                    org.pk = ids[org.credit_code]
            if changed_orgs:
                update_rows(Organization, changed_orgs, ["name", "kind", "legal_representative_name", "region"])
            for profile in new_profiles:
                profile.organization = profile.organization  # the id is known now; keeps the cached row
            insert_rows(EntityProfile, new_profiles)
            if changed_profiles:
                update_rows(EntityProfile, changed_profiles, UPDATE_FIELDS)
            # a new entity's version 1 shows the checked row (the same values the profile now holds)
            versions += [
                new_version(organization_id=p.organization_id, before={}, after=masked(snapshot_of(d)))
                for p, d in zip(new_profiles, new_data, strict=True)
            ]
            insert_rows(EntityVersion, versions)
            insert_rows(FormerName, former)
            EntitySearchKey.objects.filter(organization_id__in=[p.organization_id for p in renamed]).delete()
            # in key order: each insert then lands next to the previous one in the primary key's B-tree
            insert_keys(
                sorted(
                    key
                    for p in [*new_profiles, *renamed]
                    for key in key_rows(p.organization_id, p.organization.name, p.name_initials)
                )
            )
            created = [p.organization.credit_code for p in new_profiles]
            updated = [p.organization.credit_code for p in changed_profiles]
            if created or updated:
                audit_record(
                    actor=self.by,
                    action="market.entities_import_chunk",
                    target=None,
                    after={"created": created, "updated": updated},
                    role=account_perms.primary_role(self.by),
                    channel="import",
                )
            if self.notify:
                for profile, data in zip(new_profiles, new_data, strict=True):
                    notify_entity_change(
                        change_event(
                            profile,
                            "registered",
                            profile.business_scope,
                            "",
                            data.industry_code,
                            data.street_code or data.district_code,
                            self.now,
                        )
                    )
                for profile, data, old_scope in scope_changes:
                    notify_entity_change(
                        change_event(
                            profile,
                            "scope_changed",
                            profile.business_scope,
                            old_scope,
                            data.industry_code,
                            data.street_code or data.district_code,
                            self.now,
                        )
                    )
            counts.created += len(new_profiles)
            counts.updated += len(changed_profiles)


UPDATE_FIELDS = [
    "has_credit_code",
    "registration_number",
    "entity_type",
    "legal_rep_id_number",
    "legal_rep_id_number_hash",
    "legal_rep_phone",
    "address",
    "district",
    "street",
    "industry",
    "registered_capital",
    "currency",
    "established_on",
    "approved_on",
    "status",
    "status_on",
    "business_scope",
    "name_initials",
    "version",
    "updated_at",
]


def entities_import(
    *,
    by: Actor,
    file: IO[bytes],
    file_name: str,
    notify: bool = True,
    chunk: int = CHUNK,
    progress: Progress | None = None,
) -> EntityImport:
    """Import a CSV or xlsx file of entities (see the module docstring for the rules).

    Refusals before anything is written: 403 ``market_registry_forbidden``, 422
    ``market_import_format`` / ``market_import_encoding`` / ``market_import_columns`` /
    ``market_import_empty``. Returns the finished :class:`EntityImport` with counts and errors.
    ``progress(n)`` is called after each chunk with its number of rows.
    """
    check_writer(by)
    source = open_rows(file, file_name)
    return entities_load(
        by=by,
        rows=source.rows,
        label=file_name,
        encoding=source.encoding,
        notify=notify,
        chunk=chunk,
        progress=progress,
    )


def entities_load(
    *,
    by: Actor,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    label: str,
    encoding: str = "",
    notify: bool = True,
    chunk: int = CHUNK,
    progress: Progress | None = None,
) -> EntityImport:
    """Import rows already read (``(line, {field: value})``, the field names of :data:`COLUMNS`):
    the same checks and writes as a file import; for generated data (the demo, the city-scale
    benchmark) that need not pass through a file."""
    check_writer(by)
    run = EntityImport.objects.create(
        file_name=PurePath(label).name[:200], by=_actor_user(by), by_label=_actor_label(by), encoding=encoding
    )
    refs = References.load()
    counts = _Counts()
    errors: list[dict[str, Any]] = []
    today = timezone.localdate()
    writer = _Chunk(by, refs, notify, timezone.now())
    batch: list[tuple[int, EntityInput]] = []
    seen: dict[str, int] = {}

    def flush() -> None:
        writer.now = timezone.now()
        writer.write(batch, counts)
        if progress is not None:
            progress(len(batch))
        batch.clear()
        seen.clear()

    def fail(row_errors: list[RowError], line: int) -> None:
        counts.failed += 1
        for error in row_errors:
            if len(errors) < MAX_STORED_ERRORS:
                errors.append({**error.as_dict(), "line": line})

    message = ""
    try:
        for line, raw in rows:
            counts.total += 1
            data, row_errors = check_entity(raw, refs, today=today)
            if data is None:
                fail(row_errors, line)
                continue
            if data.credit_code in seen:
                fail(
                    [
                        RowError(
                            "credit_code",
                            "market_import_duplicate",
                            _("与第 %(line)d 行的统一社会信用代码重复") % {"line": seen[data.credit_code]},
                        )
                    ],
                    line,
                )
                continue
            seen[data.credit_code] = line
            batch.append((line, data))
            if len(batch) >= chunk:
                flush()
        if batch:
            flush()
        status = ImportStatus.DONE
    except DecodingStopped:
        status = ImportStatus.FAILED
        message = str(
            _("第 %(line)d 行之后的内容无法按 %(enc)s 解码，导入在此停止；已导入的行保留，修正文件后可重新导入")
            % {"line": counts.total + 1, "enc": encoding}
        )
    run.status = status
    run.message = message[:500]
    run.finished_at = timezone.now()
    run.rows_total, run.rows_created, run.rows_updated = counts.total, counts.created, counts.updated
    run.rows_unchanged, run.rows_failed, run.errors = counts.unchanged, counts.failed, errors
    with transaction.atomic():
        run.save()
        audit_record(
            actor=by,
            action="market.entities_import",
            target=run,
            after={
                "file": run.file_name,
                "status": status,
                "total": counts.total,
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "failed": counts.failed,
            },
            role=account_perms.primary_role(by),
            channel="import",
        )
    return run
