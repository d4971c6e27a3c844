"""The 办事指南 (service guide) of an item as an A4 PDF (reportlab).

Font: ``onewindow.core.pdf.pdf_font`` (an embedded TrueType CJK font where one is installed,
else reportlab's built-in ``STSong-Light`` CID font).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from onewindow.core.pdf import pdf_font

from .choices import DayUnit
from .models import ItemVersion, ServiceItem


def _limit(value: int | None, unit: str, note: str) -> str:
    if value is None:
        return "无"
    text = f"{value}个{DayUnit(unit).label}"
    return f"{text}（{note}）" if note else text


def render_guide_pdf(item: ServiceItem) -> bytes:
    """The guide of the item's current version, A4, with the materials table."""
    version: ItemVersion | None = item.current_version
    assert version is not None
    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=24, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=body, fontSize=12.5, leading=18, spaceBefore=8, spaceAfter=3)

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    fee = "不收费" if version.fee_free else (version.fee_text or f"{version.fee_amount}元")
    basics = [
        ("实施部门", item.department.name), ("实施编码", item.code),
        ("事项类型", version.item_type.name), ("事项类别", version.get_category_display()),
        ("办件类型", version.get_handling_type_display()), ("状态", version.get_status_display()),
        ("法定办结时限", _limit(version.statutory_limit, version.statutory_unit, version.statutory_note)),
        ("承诺办结时限", _limit(version.promised_limit, version.promised_unit, version.promised_note)),
        ("收费标准", fee), ("网上办理深度", version.get_depth_level_display()),
        ("全程网上办理", "是" if version.fully_online else "否"),
        ("办理渠道", "、".join(version.channel_labels)),
        ("到现场次数", f"{version.on_site_visits}次"),
    ]
    if not version.fully_online and version.on_site_reason:
        basics.append(("须到现场办理的环节", version.on_site_reason))
    grid = TableStyle([("FONT", (0, 0), (-1, -1), font, 10), ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)])
    story: list[object] = [
        p(version.name, title),
        p(f"办事指南 · 第{version.number}版 · 自{version.valid_from:%Y-%m-%d}起施行"),
        Spacer(1, 4 * mm),
        Table([[p(k), p(v)] for k, v in basics], colWidths=[38 * mm, 132 * mm], style=grid),
        p("设定依据", heading), p(version.legal_basis or "—"),
        p("申请材料", heading),
    ]
    rows = [[p("序号"), p("材料名称"), p("形式"), p("份数"), p("必需"), p("备注")]]
    rows += [[p(str(i)), p(f"{m.name}（可免交（已共享））" if m.shared_resource else m.name),
              p(m.get_form_display()), p(str(m.copies)), p("是" if m.required else "否"), p(m.note)]
             for i, m in enumerate(version.materials.all(), start=1)]
    header = TableStyle([*grid.getCommands()[:3], ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    story.append(Table(rows, colWidths=[12 * mm, 62 * mm, 24 * mm, 12 * mm, 12 * mm, 48 * mm], style=header,
                       repeatRows=1))
    story += [Spacer(1, 6 * mm), p(f"打印时间：{timezone.localtime():%Y-%m-%d %H:%M} · 一窗通 网上政务大厅")]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=version.name, author=item.department.name,
                            subject="办事指南", creator="OneWindow")
    doc.build(story)
    return buffer.getvalue()
