"""The monthly appraisal report (绩效考核月报, issue #14 part 3) as xlsx (core.xlsx) and as an A4
landscape PDF (reportlab, the CJK font of core.pdf): the figures per clerk and per window exactly
as the page shows them (selectors.appraisal), the weights and the rules beside them. The caller has
scoped the appraisal to the viewer (a clerk's report holds only their own row)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from onewindow.core.pdf import pdf_font
from onewindow.core.xlsx import Sheet, workbook_bytes

from .selectors.appraisal import NO_DATA_RULE, SERVICE_RULE, Appraisal, Row

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _headers(first: str) -> list[str]:
    return [first, _("办理号数"), _("受理办件数"), _("办理时长中位数（分钟）"), _("办理时长P90（分钟）"),
            _("在岗时长（小时）"), _("有效受理时长占比（%）"), _("评价数"), _("平均等级"), _("差评数"),
            _("差评回访"), _("回访已办结"), _("回访超期"), _("超期办件"), _("综合得分")]


def _values(row: Row) -> list[Any]:
    return [row.name, row.served, row.accepted, row.median_minutes, row.p90_minutes, row.on_duty_hours,
            row.effective_share, row.ratings, row.average_level, row.bad, row.followups, row.followups_closed,
            row.followups_overdue, row.overdue, row.score]


def _title(appraisal: Appraisal) -> str:
    center = appraisal.center.short_name or appraisal.center.name
    return _("%(center)s 绩效考核 %(month)s") % {"center": center, "month": f"{appraisal.month:%Y-%m}"}


def _rules(appraisal: Appraisal) -> list[list[Any]]:
    rows: list[list[Any]] = [[str(label), weight, str(rule)] for _m, label, weight, rule in appraisal.rules]
    rows += [[_("说明"), "", str(NO_DATA_RULE)], [_("说明"), "", str(SERVICE_RULE)]]
    if appraisal.scheme_rules:
        rows.append([_("本中心规则"), "", appraisal.scheme_rules])
    return rows


def _scheme_line(appraisal: Appraisal) -> str:
    if appraisal.scheme is None:
        return _("考核方案：默认权重")
    return _("考核方案：自 %(month)s 起适用") % {"month": f"{appraisal.scheme.valid_from:%Y-%m}"}


def appraisal_xlsx(appraisal: Appraisal) -> bytes:
    """Sheets 工作人员, 窗口 (managers only) and 考核规则."""
    title = _title(appraisal)
    sheets = [Sheet(name=_("工作人员"), title=title, headers=_headers(_("工作人员")),
                    rows=[_values(r) for r in appraisal.clerks], widths=(16, *([12] * 14)))]
    if not appraisal.own_only:
        sheets.append(Sheet(name=_("窗口"), title=title, headers=_headers(_("窗口")),
                            rows=[_values(r) for r in appraisal.windows], widths=(12, *([12] * 14))))
    sheets.append(Sheet(name=_("考核规则"), title=_scheme_line(appraisal),
                        headers=[_("指标"), _("权重"), _("计算方法")], rows=_rules(appraisal), widths=(18, 8, 90)))
    return workbook_bytes(sheets)


def appraisal_pdf(appraisal: Appraisal) -> bytes:
    """A4 landscape: the title, the clerks' table, the windows' table (managers), the rules."""
    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=21, spaceAfter=4)
    heading = ParagraphStyle("heading", parent=body, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=3)

    def p(value: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape("—" if value is None else str(value)), style)

    grid = TableStyle([("FONT", (0, 0), (-1, -1), font, 8.5), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    widths = [30 * mm, *([16.5 * mm] * 14)]

    def table(first: str, rows: list[Row]) -> Table:
        data = [[p(h) for h in _headers(first)]] + [[p(v) for v in _values(r)] for r in rows]
        if not rows:
            data.append([p(_("本月没有数据。")), *[p("") for _i in range(14)]])
        return Table(data, colWidths=widths, style=grid, repeatRows=1)

    story: list[object] = [p(_title(appraisal), title), p(_scheme_line(appraisal)), Spacer(1, 3 * mm),
                           p(_("工作人员"), heading), table(_("工作人员"), appraisal.clerks)]
    if not appraisal.own_only:
        story += [p(_("窗口"), heading), table(_("窗口"), appraisal.windows)]
    story += [p(_("考核规则"), heading),
              Table([[p(_("指标")), p(_("权重")), p(_("计算方法"))]] + [[p(c) for c in r] for r in _rules(appraisal)],
                    colWidths=[36 * mm, 16 * mm, 200 * mm], style=grid, repeatRows=1),
              Spacer(1, 4 * mm),
              p(_("生成时间：%(at)s · 一窗通 综合服务管理系统") % {"at": f"{timezone.localtime():%Y-%m-%d %H:%M}"})]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=_title(appraisal),
                            author=appraisal.center.name, subject=_("绩效考核"), creator="OneWindow")
    doc.build(story)
    return buffer.getvalue()
