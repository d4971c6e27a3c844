"""Bulk exchange (批量交换): receiving a signed CSV/xlsx drop and loading it into a dataset.

A department that cannot call the exchange API sends its dataset as a file (《上海市政务数据资源共享
管理办法》: the provider keeps its shared data current). Rules, in the order they are checked:

1. **Who and what** (nothing stored on these refusals): the drop is for a *published* resource of
   kind *dataset* whose current version names exactly one key field, and the sender is a
   部门管理员 or 数据报送员 of the resource's provider department (or the system, for the
   operators' command ``sharing_load_drop``). 403 ``sharing_drop_forbidden``; 409
   ``sharing_drop_not_dataset`` / ``sharing_drop_not_published`` / ``sharing_drop_no_key``.
2. **The file as a whole** (the drop is stored ``refused`` with its code, no row is loaded; the
   API answers 422 with the code):
   - ``sharing_drop_checksum``: the declared SHA-256 is not the file's;
   - ``sharing_drop_signature``: the Ed25519 signature over the hex SHA-256 (as ASCII) does not
     verify with the named active key (``kid``) of the provider department — or is missing while
     ``settings.SHARING_DROPS_REQUIRE_SIGNATURE`` is on (the default);
   - ``sharing_drop_format`` / ``sharing_drop_encoding`` / ``sharing_drop_empty``: neither CSV
     (UTF-8 or GBK, ``core.tabular``) nor xlsx, undecodable (anywhere in the file), or empty;
   - ``sharing_drop_schema``: the header is not the current version's fields (names or labels,
     any order), with the missing and unknown columns named.
3. **Each row** is checked against its field's type (``choices.FieldType``): text length,
   integer, decimal, ISO date, boolean (是/否/true/false), credit code and resident ID number
   check characters (``core.identifiers``), a region code known in ``core.Region``; the key
   field is required and unique within the file. A failing row is skipped and reported as
   ``{line, field, code, message}`` (at most :data:`MAX_STORED_ERRORS` kept); the codes are
   ``sharing_row_*`` or the identifier codes of ``core.identifiers``.
4. **Loading** upserts the valid rows into :class:`DatasetRow` by (resource, keyed hash of the key),
   :data:`CHUNK` rows per transaction, each under the resource's row lock: a row whose canonical
   digest equals the stored one is *unchanged*, a different one *updated*, a new key *created*.
   Rows absent from the file stay as they are. Loading the same file again changes nothing.

A row is stored as the canonical JSON (``sharing.canonical``) of ``{field name: value}``, encrypted
(it may hold personal data): text as given (trimmed), integers as numbers, decimals as strings
without trailing zeros, dates as ISO strings, booleans as true/false, credit codes and ID numbers
upper-case (18 characters), empty cells as null. The ``sharing.dataset`` provider answers from
these rows (``selectors.bulk.dataset_row_for``). Every drop, loaded or refused, writes one audit
entry (``sharing.drop_receive``).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core import tabular
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.crypto import keyed_hash_candidates
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.fields import normalize_for_hash
from onewindow.core.identifiers import validate_credit_code, validate_resident_id
from onewindow.core.models import Region
from onewindow.core.normalize import nfkc

from .. import canonical, signing
from ..choices import DropStatus, FieldType, ResourceKind, ResourceStatus
from ..models import BulkDrop, DataResource, DatasetRow, ResourceVersion, SigningKey
from ..selectors.bulk import may_send_drop

#: Rows written per transaction.
CHUNK = 500
#: Per-row errors kept on the drop (the counts stay exact beyond it).
MAX_STORED_ERRORS = 1000
#: The longest text a cell of a ``string`` field may hold.
MAX_TEXT = 500

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
_TRUE = {"是", "true"}
_FALSE = {"否", "false"}

_TABLE_REFUSALS = {
    "table_format": "sharing_drop_format",
    "table_unreadable": "sharing_drop_format",
    "table_encoding": "sharing_drop_encoding",
    "table_empty": "sharing_drop_empty",
}


def resource_for_drop(code: str) -> DataResource:
    """The resource a drop names by its code (404 ``sharing_resource_not_found``)."""
    found = DataResource.objects.select_related("current", "provider_department").filter(
        code=str(code or "").strip()[:40]).first()
    if found is None:
        raise NotFound(_("找不到该数据资源。"), code="sharing_resource_not_found",
                       fields={"resource": [_("找不到该数据资源。")]})
    return found


def _key_field(version: ResourceVersion) -> dict[str, Any] | None:
    keys = [f for f in version.fields if f.get("key")]
    return keys[0] if len(keys) == 1 else None


def _check_target(by: Actor, resource: DataResource) -> ResourceVersion:
    if not may_send_drop(by, resource):
        raise PermissionDenied(_("只有该资源提供部门的部门管理员或数据报送员可以报送批量文件。"),
                               code="sharing_drop_forbidden")
    if resource.kind != ResourceKind.DATASET:
        raise Conflict(_("只有数据集类资源可以通过批量文件报送。"), code="sharing_drop_not_dataset")
    version = resource.current
    if resource.status != ResourceStatus.PUBLISHED or version is None:
        raise Conflict(_("该资源尚未发布或已撤销，不能报送数据。"), code="sharing_drop_not_published")
    if _key_field(version) is None:
        raise Conflict(_("该资源的目录未指定唯一的主键字段，不能加载批量文件。"), code="sharing_drop_no_key")
    return version


# --------------------------------------------------------------------------- rows
class _CellError(Exception):
    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One reported problem of one row: its line in the file, the field, a code and a message."""

    line: int
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "code": self.code, "message": self.message}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _label(spec: dict[str, Any]) -> str:
    return str(spec.get("label") or spec["name"])


def _as_integer(value: Any, label: str) -> int:
    if isinstance(value, bool):
        raise _CellError("sharing_row_integer", _("“%(field)s”应为整数。") % {"field": label})
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = nfkc(_text(value))
    if not _INTEGER.match(text):
        raise _CellError("sharing_row_integer", _("“%(field)s”应为整数。") % {"field": label})
    return int(text)


def _as_decimal(value: Any, label: str) -> str:
    try:
        number = Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) \
            else Decimal(nfkc(_text(value)).translate({0x3002: "."}))
    except InvalidOperation:
        number = Decimal("NaN")
    if isinstance(value, bool) or not number.is_finite() or abs(number.adjusted()) > 30:
        raise _CellError("sharing_row_decimal", _("“%(field)s”应为数字。") % {"field": label})
    return format(number.normalize(), "f")


def _as_date(value: Any, label: str) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = nfkc(_text(value))
    try:
        if _ISO_DATE.match(text):
            return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise _CellError("sharing_row_date", _("“%(field)s”应为 YYYY-MM-DD 格式的日期。") % {"field": label})


def _as_boolean(value: Any, label: str) -> bool:
    if isinstance(value, bool):
        return value
    text = nfkc(_text(value)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _CellError("sharing_row_boolean", _("“%(field)s”应填“是”或“否”（或 true/false）。") % {"field": label})


def _as_identifier(kind: str, value: Any) -> str:
    try:
        if kind == FieldType.CREDIT_CODE:
            return validate_credit_code(_text(value))
        return validate_resident_id(_text(value)).number
    except DomainError as exc:
        raise _CellError(exc.code, exc.message) from None


@dataclass
class _Schema:
    """The current version's fields, as the rows are checked against them."""

    fields: list[dict[str, Any]]
    key: str
    regions: set[str] = field(default_factory=set)

    def check(self, spec: dict[str, Any], value: Any) -> Any:
        """The cell's value in its stored form, or raise :class:`_CellError`."""
        label = _label(spec)
        if _text(value) == "":
            if spec["name"] == self.key:
                raise _CellError("sharing_row_key_missing", _("主键“%(field)s”不能为空。") % {"field": label})
            return None
        kind = spec.get("type", FieldType.STRING)
        if kind == FieldType.INTEGER:
            return _as_integer(value, label)
        if kind == FieldType.DECIMAL:
            return _as_decimal(value, label)
        if kind == FieldType.DATE:
            return _as_date(value, label)
        if kind == FieldType.BOOLEAN:
            return _as_boolean(value, label)
        if kind in (FieldType.CREDIT_CODE, FieldType.ID_NUMBER):
            return _as_identifier(kind, value)
        if kind == FieldType.REGION:
            code = nfkc(_text(value))
            if code not in self.regions:
                raise _CellError("sharing_row_region", _("“%(field)s”不是已知的行政区划代码。") % {"field": label})
            return code
        text = _text(value)
        if len(text) > MAX_TEXT:
            raise _CellError("sharing_row_too_long",
                             _("“%(field)s”超过 %(max)d 个字符。") % {"field": label, "max": MAX_TEXT})
        return text


@dataclass(frozen=True)
class _Row:
    line: int
    key: str
    data: dict[str, Any]
    digest: str


@dataclass
class _Parsed:
    rows: list[_Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    failed: int = 0

    def fail(self, row_errors: list[RowError]) -> None:
        self.failed += 1
        room = MAX_STORED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(row_errors[:room])


class _Refusal(Exception):
    def __init__(self, code: str, message: str | Promise, line: int = 0) -> None:
        super().__init__(code)
        self.code, self.message, self.line = code, message, line


def _columns(header: list[str], schema: _Schema) -> list[str]:
    """The field name of each column, or refuse ``sharing_drop_schema`` naming what is wrong."""
    by_label = {_label(f): f["name"] for f in schema.fields} | {f["name"]: f["name"] for f in schema.fields}
    cells = [str(c).strip().lstrip("\ufeff") for c in header]
    while cells and cells[-1] == "":
        cells.pop()
    names = [by_label.get(c, "") for c in cells]
    unknown = [c or _("（空列名）") for c, n in zip(cells, names, strict=True) if not n]
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    missing = [f["name"] for f in schema.fields if f["name"] not in names]
    if unknown or duplicated or missing:
        parts = []
        if missing:
            parts.append(str(_("缺少列：%(cols)s") % {"cols": "、".join(missing)}))
        if unknown:
            parts.append(str(_("未知列：%(cols)s") % {"cols": "、".join(str(c) for c in unknown)}))
        if duplicated:
            parts.append(str(_("重复列：%(cols)s") % {"cols": "、".join(duplicated)}))
        raise _Refusal("sharing_drop_schema",
                       _("表头与目录不符（%(detail)s）。应有且仅有这些列（顺序不限）：%(cols)s")
                       % {"detail": "；".join(parts), "cols": "、".join(f["name"] for f in schema.fields)}, line=1)
    return names


def _parse(content: bytes, file_name: str, schema: _Schema) -> _Parsed:
    """Open the file, check its header and every row (nothing is written here)."""
    try:
        table = tabular.open_table(io.BytesIO(content), file_name)
    except tabular.TableRefused as error:
        raise _Refusal(_TABLE_REFUSALS.get(error.code, "sharing_drop_format"), error.message) from None
    names = _columns(list(table.header), schema)
    specs = {f["name"]: f for f in schema.fields}
    parsed = _Parsed()
    seen: dict[str, int] = {}
    rows: Iterator[tuple[int, list[Any]]] = table.rows
    try:
        for line, cells in rows:
            parsed.total += 1
            row_errors: list[RowError] = []
            if any(_text(c) for c in cells[len(names):]):
                row_errors.append(RowError(line, "", "sharing_row_extra_cells", str(_("该行的列数多于表头。"))))
            data: dict[str, Any] = {}
            for index, name in enumerate(names):
                try:
                    data[name] = schema.check(specs[name], cells[index] if index < len(cells) else None)
                except _CellError as error:
                    row_errors.append(RowError(line, name, error.code, str(error.message)))
            key = str(data.get(schema.key, ""))
            if not row_errors:
                folded = normalize_for_hash(key, "upper")
                if folded in seen:
                    row_errors.append(RowError(line, schema.key, "sharing_row_key_duplicate",
                                               str(_("主键与第 %(line)d 行重复。") % {"line": seen[folded]})))
                else:
                    seen[folded] = line
            if row_errors:
                parsed.fail(row_errors)
                continue
            parsed.rows.append(_Row(line=line, key=key, data=data, digest=canonical.digest(data)))
    except tabular.TableRefused as error:
        raise _Refusal("sharing_drop_encoding", error.message) from None
    return parsed


# --------------------------------------------------------------------------- loading
@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _write_chunk(drop: BulkDrop, resource: DataResource, rows: list[_Row], counts: _Counts) -> None:
    with transaction.atomic():
        DataResource.objects.select_for_update().filter(pk=resource.pk).values_list("pk", flat=True).get()
        key_of: dict[str, str] = {}
        for row in rows:
            for candidate in keyed_hash_candidates(normalize_for_hash(row.key, "upper")):
                key_of[candidate] = normalize_for_hash(row.key, "upper")
        stored = {key_of[r.row_key_hash]: r
                  for r in DatasetRow.objects.filter(resource=resource, row_key_hash__in=list(key_of))}
        now = timezone.now()
        created: list[DatasetRow] = []
        updated: list[DatasetRow] = []
        for row in rows:
            text = canonical.canonical_bytes(row.data).decode()
            found = stored.get(normalize_for_hash(row.key, "upper"))
            if found is None:
                created.append(DatasetRow(resource=resource, row_key=row.key, data=text, digest=row.digest,
                                          drop=drop, updated_at=now))
            elif found.digest == row.digest:
                counts.unchanged += 1
            else:
                found.data, found.digest, found.drop, found.updated_at = text, row.digest, drop, now
                updated.append(found)
        DatasetRow.objects.bulk_create(created)
        DatasetRow.objects.bulk_update(updated, ["data", "digest", "drop", "updated_at"])
        counts.created += len(created)
        counts.updated += len(updated)


def _audit(by: Actor, drop: BulkDrop) -> None:
    audit_record(
        actor=by, action="sharing.drop_receive", target=drop,
        after={"resource": drop.resource.code, "file": drop.file_name, "sha256": drop.actual_sha256,
               "kid": drop.kid, "status": drop.status, "refusal_code": drop.refusal_code,
               "total": drop.rows_total, "created": drop.rows_created, "updated": drop.rows_updated,
               "unchanged": drop.rows_unchanged, "failed": drop.rows_failed},
        role="" if is_system(by) else account_perms.primary_role(by), channel="import",
    )


def _user(by: Actor) -> Any:
    return None if is_system(by) else account_perms.as_user(by)


def _verify_signature(resource: DataResource, sha256: str, kid: str, signature: str) -> bool:
    key = SigningKey.objects.filter(kid=kid, department_id=resource.provider_department_id, peer__isnull=True,
                                    active=True).first()
    return key is not None and signing.verify(key.public_key, sha256.encode("ascii"), signature)


def drop_receive(*, by: Actor, resource: DataResource, file_name: str, content: bytes, declared_sha256: str,
                 kid: str = "", signature: str = "") -> BulkDrop:
    """Receive one bulk drop (批量交换文件) for ``resource`` and load its valid rows.

    Actor: a 部门管理员 or 数据报送员 of the provider department, or the system (the operators'
    command). Returns the stored drop: ``loaded`` with its counts and per-row errors, or
    ``refused`` with ``refusal_code`` (checksum, signature, format, encoding, empty, schema) and
    nothing loaded. Raises (nothing stored) 403 ``sharing_drop_forbidden`` and 409
    ``sharing_drop_not_dataset`` / ``sharing_drop_not_published`` / ``sharing_drop_no_key``.
    The rules are in the module docstring.
    """
    version = _check_target(by, resource)
    actual = hashlib.sha256(content).hexdigest()
    declared = str(declared_sha256 or "").strip().lower()
    kid, signature = str(kid or "").strip(), str(signature or "").strip()
    drop = BulkDrop(resource=resource, version=version, file_name=str(file_name or "")[-200:] or "drop",
                    declared_sha256=declared[:64], actual_sha256=actual, kid=kid[:60], signature=signature[:100],
                    created_by=_user(by))
    schema = _Schema(fields=list(version.fields), key=str((_key_field(version) or {})["name"]))
    if any(f.get("type") == FieldType.REGION for f in schema.fields):
        schema.regions = set(Region.objects.values_list("code", flat=True))
    try:
        if not _SHA256.match(declared) or declared != actual:
            raise _Refusal("sharing_drop_checksum",
                           _("文件校验值（SHA-256）与声明的不符：文件可能在传输中损坏或被改动，未加载任何数据。"))
        if (signature or kid or settings.SHARING_DROPS_REQUIRE_SIGNATURE) and not (
                signature and kid and _verify_signature(resource, actual, kid, signature)):
            raise _Refusal("sharing_drop_signature",
                           _("文件签名无效：须由提供部门的有效签名密钥对文件的 SHA-256 值签名，未加载任何数据。"))
        parsed = _parse(content, drop.file_name, schema)
    except _Refusal as refusal:
        drop.status, drop.refusal_code = DropStatus.REFUSED, refusal.code
        drop.errors = [RowError(refusal.line, "", refusal.code, str(refusal.message)).as_dict()]
        drop.finished_at = timezone.now()
        with transaction.atomic():
            drop.save()
            _audit(by, drop)
        return drop
    drop.save()
    counts = _Counts()
    for start in range(0, len(parsed.rows), CHUNK):
        _write_chunk(drop, resource, parsed.rows[start:start + CHUNK], counts)
    drop.status = DropStatus.LOADED
    drop.rows_total, drop.rows_failed = parsed.total, parsed.failed
    drop.rows_created, drop.rows_updated, drop.rows_unchanged = counts.created, counts.updated, counts.unchanged
    drop.errors = [e.as_dict() for e in parsed.errors]
    drop.finished_at = timezone.now()
    with transaction.atomic():
        drop.save()
        _audit(by, drop)
    return drop


def drop_sign(*, department: Any, content: bytes) -> dict[str, str]:
    """The ``declared_sha256``, ``kid`` and ``signature`` of a drop of ``content`` signed with the
    department's own active key (``services.keys.signing_key_for``): for a department whose system
    runs inside this installation, the demo and tests. A department elsewhere signs with its own
    copy of the key."""
    from .keys import signing_key_for

    key = signing_key_for(department)
    digest = hashlib.sha256(content).hexdigest()
    return {"declared_sha256": digest, "kid": key.kid,
            "signature": signing.sign(key.private_key, digest.encode("ascii"))}


def drop_refusal_message(drop: BulkDrop) -> str:
    """The message stored with a refused drop's code (its first error entry)."""
    return str(drop.errors[0]["message"]) if drop.refusal_code and drop.errors else ""
