"""Rows of 信息归集: the fields of each record kind, their checks, spreadsheets and templates.

Every channel (department API, spreadsheet upload, the platform's own cases) delivers a record as
a mapping of field names to values; :func:`record_parse` checks one such row and returns its
normalised :class:`RecordContent` or the errors per field, so that a bad row is reported with its
line and field while the good rows are pooled (:mod:`.records`). :func:`read_spreadsheet` reads an
xlsx or CSV file in a kind's template columns; CSV files from Excel are often GBK, so the text is
read as UTF-8 (with or without BOM) or else GB 18030 (a superset of GBK), and refused otherwise.
Nothing here writes to the database.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum.iso7064 import mod_11_10

from onewindow.catalog.models import ServiceItem
from onewindow.core.errors import DomainError
from onewindow.core.identifiers import validate_credit_code
from onewindow.core.models import Department
from onewindow.core.normalize import nfkc
from onewindow.core.tabular import open_table
from onewindow.core.xlsx import Sheet, workbook_bytes

from ..choices import DisclosureStatus, InspectionResult, PenaltyKind, RecordKind, RecordStatus
from ..models import PooledRecord

#: Model attributes a record's content sets (the rest of the row is provenance).
CONTENT_FIELDS = (
    "kind",
    "credit_code",
    "entity_name",
    "status",
    "title",
    "number",
    "record_date",
    "item_id",
    "valid_from",
    "valid_to",
    "legal_basis",
    "penalty_kinds",
    "amount",
    "disclosure",
    "inspection_result",
    "inspector_department_id",
)
MAX_AMOUNT = Decimal("10000000000000")  # 10^13 yuan: above any fine ever imposed
TEXT_LIMITS = {"source_id": 64, "entity_name": 200, "title": 200, "number": 100, "legal_basis": 2000}


@dataclass(frozen=True)
class RecordContent:
    """One record's content, checked and normalised (what the digest and the revisions keep)."""

    kind: str
    credit_code: str
    entity_name: str
    status: str
    title: str
    number: str
    record_date: datetime.date
    item_id: int | None
    item_code: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    legal_basis: str
    penalty_kinds: tuple[str, ...]
    amount: Decimal | None
    disclosure: str
    inspection_result: str
    inspector_department_id: int | None
    inspector_department_code: str

    def model_values(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in CONTENT_FIELDS}
        values["penalty_kinds"] = list(self.penalty_kinds)
        return values

    def as_json(self) -> dict[str, Any]:
        """The content in its JSON form, keyed as the API's fields (codes, ISO dates, amounts as text)."""
        return {
            "kind": self.kind,
            "credit_code": self.credit_code,
            "entity_name": self.entity_name,
            "status": self.status,
            "title": self.title,
            "number": self.number,
            "record_date": self.record_date.isoformat(),
            "item_code": self.item_code,
            "valid_from": self.valid_from.isoformat() if self.valid_from is not None else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to is not None else None,
            "legal_basis": self.legal_basis,
            "penalty_kinds": list(self.penalty_kinds),
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "disclosure": self.disclosure,
            "inspection_result": self.inspection_result,
            "inspector_department": self.inspector_department_code,
        }

    def digest(self) -> str:
        return content_digest(self.as_json())


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 of a record's JSON content in canonical form (sorted keys): equal content, equal digest."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


#: Fields a correction may change (everything of the content but the kind).
CORRECTABLE = frozenset(
    {
        "credit_code",
        "entity_name",
        "status",
        "title",
        "number",
        "record_date",
        "item_code",
        "valid_from",
        "valid_to",
        "legal_basis",
        "penalty_kinds",
        "amount",
        "disclosure",
        "inspection_result",
        "inspector_department",
    }
)


def record_raw(record: PooledRecord) -> dict[str, Any]:
    """A stored record as the JSON form of :meth:`RecordContent.as_json` (the base of a correction)."""
    return {
        "kind": record.kind,
        "credit_code": record.credit_code,
        "entity_name": record.entity_name,
        "status": record.status,
        "title": record.title,
        "number": record.number,
        "record_date": record.record_date.isoformat(),
        "valid_from": record.valid_from.isoformat() if record.valid_from else None,
        "valid_to": record.valid_to.isoformat() if record.valid_to else None,
        "legal_basis": record.legal_basis,
        "penalty_kinds": list(record.penalty_kinds or []),
        "amount": None if record.amount is None else f"{record.amount:.2f}",
        "disclosure": record.disclosure,
        "inspection_result": record.inspection_result,
        "item_code": record.item.code if record.item_id and record.item else "",
        "inspector_department": (
            record.inspector_department.code if record.inspector_department_id and record.inspector_department else ""
        ),
    }


@dataclass
class RowRefs:
    """The reference rows a batch names (catalog items, inspecting departments), read once a batch."""

    department: Department
    items: dict[str, tuple[int, int]]
    departments: dict[str, int]

    @classmethod
    def load(cls, department: Department, rows: Iterable[Mapping[str, Any]]) -> RowRefs:
        rows = list(rows)
        item_codes = sorted({_code(row.get("item_code")) for row in rows} - {""})
        dept_codes = sorted({_code(row.get("inspector_department")) for row in rows} - {""})
        items: dict[str, tuple[int, int]] = {}
        for start in range(0, len(item_codes), 500):
            for code, pk, dept_id in ServiceItem.objects.filter(code__in=item_codes[start : start + 500]).values_list(
                "code", "pk", "department_id"
            ):
                items[code] = (pk, dept_id)
        departments = dict(Department.objects.filter(code__in=dept_codes).values_list("code", "pk"))
        return cls(department=department, items=items, departments=departments)


# --------------------------------------------------------------------------- one row
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed in a text column of a spreadsheet (12345.0)
    return " ".join(str(value).split())


def _code(value: Any) -> str:
    return nfkc(_text(value)).replace(" ", "")


def _labels(enum: type[models.TextChoices]) -> dict[str, str]:
    """Accepted spellings of a choice: its value, its Chinese label and its label in the active language."""
    table = {str(value): str(value) for value in enum.values}
    with translation.override("zh-hans"):
        table.update({str(label): str(value) for value, label in enum.choices})
    table.update({str(label).lower(): str(value) for value, label in enum.choices})
    return table


def _choice(value: Any, enum: type[models.TextChoices]) -> str | None:
    text = _text(value)
    table = _labels(enum)
    return table.get(text) or table.get(text.lower())


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def _date(value: Any) -> datetime.date | None:
    """A date from a date, a datetime (Excel cells) or text in the usual spellings; None if unreadable."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = nfkc(_text(value)).replace(" ", "")
    text = re.sub(r"[T]\d{2}:\d{2}(:\d{2})?.*$", "", text)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        text = str(value)
    else:
        text = nfkc(_text(value)).replace(",", "").replace(" ", "").removesuffix("元").lstrip("¥￥")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def credit_code_check(value: Any) -> tuple[str, str]:
    """(code, error): an 18-character unified social credit code (GB 32100-2015, check character
    per GB/T 17710) or the 15-digit 注册号 of a 个体工商户 without one (ISO 7064 MOD 11,10)."""
    code = _code(value).upper()
    if not code:
        return "", gettext("请填写统一社会信用代码。")
    if len(code) == 15 and code.isdigit():
        return (code, "") if mod_11_10.is_valid(code) else (code, gettext("注册号校验位错误，请核对。"))
    try:
        return validate_credit_code(code), ""
    except DomainError as exc:
        return code, str(exc.message)


def _kinds(value: Any) -> tuple[list[str], list[str]]:
    parts = value if isinstance(value, list | tuple) else re.split(r"[、,，;；/\s]+", _text(value))
    found: list[str] = []
    bad: list[str] = []
    for part in parts:
        text = _text(part)
        if not text:
            continue
        choice = _choice(text, PenaltyKind)
        if choice is None:
            bad.append(text)
        elif choice not in found:
            found.append(choice)
    return [k for k in PenaltyKind.values if k in found], bad


def record_parse(
    raw: Mapping[str, Any], *, kind: str | None, refs: RowRefs
) -> tuple[str, RecordContent | None, dict[str, list[str]]]:
    """Check one delivered row: ``(source_id, content, errors)``, errors keyed by field name.

    Kind rules (issue #11 part 3): a licence needs its name, decision number and decision date
    (validity defaults to start on it; a catalog item, if named, must be the source department's);
    a filing its name, number and date; a penalty its violation, decision number, legal basis,
    at least one kind of 行政处罚法 art. 9 (an amount when it includes a fine) and date; an inspection
    result its matter, date and result. No record date lies in the future. Fields of other kinds
    are ignored.
    """
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def text(name: str, *, required: bool = False) -> str:
        value = _code(raw.get(name)) if name == "source_id" else _text(raw.get(name))
        if required and not value:
            fail(name, gettext("此项为必填项。"))
        elif len(value) > TEXT_LIMITS.get(name, 200):
            fail(name, gettext("最多 %(n)s 个字符。") % {"n": TEXT_LIMITS.get(name, 200)})
        return value

    source_id = text("source_id", required=True)
    record_kind = kind if kind is not None else _choice(raw.get("kind"), RecordKind)
    if record_kind not in RecordKind.values:
        fail("kind", gettext("信息类别应为行政许可、备案、行政处罚或检查结果。"))
        return source_id, None, errors
    credit_code, problem = credit_code_check(raw.get("credit_code"))
    if problem:
        fail("credit_code", problem)
    entity_name = text("entity_name")
    status = RecordStatus.ACTIVE.value
    if _text(raw.get("status")):
        status = _choice(raw.get("status"), RecordStatus) or ""
        if not status:
            fail("status", gettext("状态应为有效、暂停、注销或撤销。"))
    title = text("title", required=True)
    number = text("number", required=record_kind != RecordKind.INSPECTION)
    record_date = _date(raw.get("record_date"))
    if record_date is None:
        fail("record_date", gettext("请填写有效日期（YYYY-MM-DD）。"))
    elif record_date > timezone.localdate():
        fail("record_date", gettext("日期不能晚于今天。"))
    item_id, item_code, valid_from, valid_to = None, "", None, None
    legal_basis, amount, disclosure = "", None, ""
    penalty_kinds: list[str] = []
    inspection_result, inspector_id, inspector_code = "", None, ""
    if record_kind == RecordKind.LICENCE:
        item_code = _code(raw.get("item_code"))
        if item_code:
            item = refs.items.get(item_code)
            if item is None:
                fail("item_code", gettext("目录中没有该事项编码。"))
            elif item[1] != refs.department.pk:
                fail("item_code", gettext("该事项不由报送部门实施。"))
            else:
                item_id = item[0]
        valid_from = record_date
        if _text(raw.get("valid_from")):
            valid_from = _date(raw.get("valid_from"))
            if valid_from is None:
                fail("valid_from", gettext("请填写有效日期（YYYY-MM-DD）。"))
        if _text(raw.get("valid_to")):
            valid_to = _date(raw.get("valid_to"))
            if valid_to is None:
                fail("valid_to", gettext("请填写有效日期（YYYY-MM-DD）。"))
            elif valid_from is not None and valid_to < valid_from:
                fail("valid_to", gettext("有效期至不能早于有效期起。"))
    elif record_kind == RecordKind.PENALTY:
        legal_basis = text("legal_basis", required=True)
        penalty_kinds, bad = _kinds(raw.get("penalty_kinds"))
        if bad:
            fail("penalty_kinds", gettext("无法识别的处罚种类：%(kinds)s") % {"kinds": "、".join(bad)})
        elif not penalty_kinds:
            fail("penalty_kinds", gettext("请至少填写一种处罚种类。"))
        if _text(raw.get("amount")):
            amount = _amount(raw.get("amount"))
            if amount is None or amount < 0 or amount > MAX_AMOUNT:
                fail("amount", gettext("请填写不小于0的金额（元）。"))
        elif PenaltyKind.FINE in penalty_kinds:
            fail("amount", gettext("处罚种类含罚款时，请填写罚没金额。"))
        disclosure = DisclosureStatus.PENDING.value
        if _text(raw.get("disclosure")):
            disclosure = _choice(raw.get("disclosure"), DisclosureStatus) or ""
            if not disclosure:
                fail("disclosure", gettext("公示状态应为待公示、已公示或已撤下。"))
    elif record_kind == RecordKind.INSPECTION:
        inspection_result = _choice(raw.get("inspection_result"), InspectionResult) or ""
        if not inspection_result:
            fail("inspection_result", gettext("请选择检查结果。"))
        inspector_code = _code(raw.get("inspector_department")) or refs.department.code
        inspector_id = (
            refs.department.pk if inspector_code == refs.department.code else refs.departments.get(inspector_code)
        )
        if inspector_id is None:
            fail("inspector_department", gettext("找不到该部门代码。"))
    if errors or record_date is None:
        return source_id, None, errors
    return (
        source_id,
        RecordContent(
            kind=record_kind,
            credit_code=credit_code,
            entity_name=entity_name,
            status=status,
            title=title,
            number=number,
            record_date=record_date,
            item_id=item_id,
            item_code=item_code if item_id else "",
            valid_from=valid_from,
            valid_to=valid_to,
            legal_basis=legal_basis,
            penalty_kinds=tuple(penalty_kinds),
            amount=amount,
            disclosure=disclosure,
            inspection_result=inspection_result,
            inspector_department_id=inspector_id,
            inspector_department_code=inspector_code,
        ),
        errors,
    )


# --------------------------------------------------------------------------- spreadsheets
_COMMON = (
    ("source_id", _("来源记录编号"), True),
    ("credit_code", _("统一社会信用代码"), True),
    ("entity_name", _("主体名称"), False),
)
_STATUS = (("status", _("状态"), False),)
#: The template columns of each kind: (field, header, required column).
COLUMNS: dict[str, tuple[tuple[str, Any, bool], ...]] = {
    RecordKind.LICENCE: (
        *_COMMON,
        ("title", _("许可证书名称"), True),
        ("number", _("许可决定文书号"), True),
        ("item_code", _("事项实施编码"), False),
        ("record_date", _("许可决定日期"), True),
        ("valid_from", _("有效期自"), False),
        ("valid_to", _("有效期至"), False),
        *_STATUS,
    ),
    RecordKind.FILING: (
        *_COMMON,
        ("title", _("备案事项"), True),
        ("number", _("备案编号"), True),
        ("record_date", _("备案日期"), True),
        *_STATUS,
    ),
    RecordKind.PENALTY: (
        *_COMMON,
        ("title", _("违法行为"), True),
        ("number", _("处罚决定书文号"), True),
        ("legal_basis", _("处罚依据"), True),
        ("penalty_kinds", _("处罚种类"), True),
        ("amount", _("罚没金额（元）"), False),
        ("record_date", _("处罚决定日期"), True),
        ("disclosure", _("公示状态"), False),
        *_STATUS,
    ),
    RecordKind.INSPECTION: (
        *_COMMON,
        ("title", _("检查事项"), True),
        ("number", _("检查编号"), False),
        ("record_date", _("检查日期"), True),
        ("inspection_result", _("检查结果"), True),
        ("inspector_department", _("检查实施机关代码"), False),
        *_STATUS,
    ),
}


def column_label(kind: str, name: str) -> str:
    """The header of field ``name`` in ``kind``'s template (the field name itself if it has none)."""
    for field_name, label, _required in COLUMNS.get(kind, ()):
        if field_name == name:
            return str(label)
    return name


def _refuse(code: str, message: str) -> DomainError:
    return DomainError(message, code=code, status=422, fields={"file": [message]})


def read_spreadsheet(
    *, kind: str, filename: str, content: bytes | IO[bytes], max_rows: int = 20_000
) -> tuple[list[dict[str, Any]], list[int]]:
    """The data rows of an uploaded spreadsheet in ``kind``'s template, with their line numbers.

    The file is opened by :func:`onewindow.core.tabular.open_table` (xlsx, or CSV in UTF-8 or
    GBK; refusals ``table_format``, ``table_unreadable``, ``table_encoding``, ``table_empty``).
    The first row holds the headers (in any order; a trailing ``*`` is ignored). A file whose
    headers lack a required column or name an unknown one, or that has no data rows or more than
    ``max_rows``, is refused whole (422, nothing written). Empty rows are skipped.
    """
    if kind not in COLUMNS:
        message = gettext("请选择信息类别。")
        raise DomainError(message, code="records_upload_kind", status=422, fields={"kind": [message]})
    table = open_table(io.BytesIO(content) if isinstance(content, bytes) else content, filename)
    columns = COLUMNS[kind]
    names: dict[str, str] = {}
    with translation.override("zh-hans"):
        names.update({str(label): name for name, label, _required in columns})
    names.update({str(label): name for name, label, _required in columns})
    names.update({name: name for name, _label, _required in columns})
    headers = [_text(cell).rstrip("*").strip() for cell in table.header]
    while headers and not headers[-1]:
        headers.pop()
    unknown = [h or gettext("（空）") for h in headers if names.get(h) is None]
    present = {names[h] for h in headers if h in names}
    missing = [str(label) for name, label, required in columns if required and name not in present]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(gettext("缺少列：%(names)s") % {"names": "、".join(missing)})
        if unknown:
            parts.append(gettext("无法识别的列：%(names)s") % {"names": "、".join(unknown)})
        raise _refuse(
            "records_upload_columns",
            gettext("表头与模板不一致（%(detail)s），请下载模板后重新填写。") % {"detail": "；".join(parts)},
        )
    keys = [names[h] for h in headers]
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for line, values in table.rows:
        cells = values[: len(keys)]
        if not any(_text(cell) for cell in cells):
            continue
        if len(rows) >= max_rows:
            raise _refuse(
                "records_upload_too_many_rows", gettext("一次最多上传 %(n)s 行，请拆分文件后上传。") % {"n": max_rows}
            )
        rows.append({key: cells[i] if i < len(cells) else None for i, key in enumerate(keys)})
        lines.append(line)
    if not rows:
        raise _refuse("records_upload_empty", gettext("文件中没有数据行。"))
    return rows, lines


def template_xlsx(kind: str) -> bytes:
    """The xlsx template of ``kind`` (信息归集模板): the header row on the first sheet, and a second
    sheet explaining each column and the accepted values."""
    columns = COLUMNS[kind]
    choices = {
        "status": RecordStatus,
        "penalty_kinds": PenaltyKind,
        "disclosure": DisclosureStatus,
        "inspection_result": InspectionResult,
    }
    notes = []
    for name, label, required in columns:
        accepted = "、".join(str(lab) for _v, lab in choices[name].choices) if name in choices else ""
        if name in ("record_date", "valid_from", "valid_to"):
            accepted = "YYYY-MM-DD"
        notes.append([str(label), gettext("必填") if required else gettext("选填"), accepted])
    return workbook_bytes(
        [
            Sheet(
                name=str(RecordKind(kind).label),
                rows=[],
                headers=[str(label) for _n, label, _r in columns],
                widths=[22] * len(columns),
            ),
            Sheet(
                name=gettext("填写说明"),
                rows=notes,
                headers=[gettext("列"), gettext("是否必填"), gettext("可填写的值")],
                widths=[22, 10, 60],
            ),
        ]
    )
