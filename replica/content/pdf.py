"""Reports as PDF attachments (reportlab): title, paragraphs and ruled tables with merged cells.

The WenQuanYi Zen Hei TrueType font is embedded (subset, with a ToUnicode map) so text
extractors such as pdfplumber read the characters back.
"""
from __future__ import annotations

import functools
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .grid import Grid, fmt_value

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT = "WQYZenHei"


@functools.lru_cache(maxsize=1)
def _font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
    return FONT


def _styles():
    f = _font()
    return {
        "title": ParagraphStyle("t", fontName=f, fontSize=15, leading=22, alignment=1, wordWrap="CJK"),
        "h": ParagraphStyle("h", fontName=f, fontSize=11.5, leading=17, wordWrap="CJK", spaceBefore=6),
        "p": ParagraphStyle("p", fontName=f, fontSize=10.5, leading=16, firstLineIndent=21, wordWrap="CJK"),
        "cell": ParagraphStyle("c", fontName=f, fontSize=7, leading=8.5, alignment=1, wordWrap="CJK"),
    }


def _table(grid: Grid, width: float, st) -> Table:
    matrix = grid.matrix()
    data = []
    for row in matrix:
        out = []
        for cell in row:
            if cell is None:
                out.append("")
            elif cell.value is not None:
                out.append(fmt_value(cell.value))
            else:
                out.append(Paragraph(cell.text.replace("\n", "<br/>"), st["cell"]) if cell.text else "")
        data.append(out)
    weights = [1.0] * grid.ncols
    for _, c, _, c2, cell in grid.spans():
        if c == c2 and cell.value is None:
            weights[c] = max(weights[c], min(len(cell.text), 14) / 3.5)
    total = sum(weights)
    style = [("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("FONT", (0, 0), (-1, -1), _font(), 7.5),
             ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    for r, c, r2, c2, _ in grid.spans():
        if r2 > r or c2 > c:
            style.append(("SPAN", (c, r), (c2, r2)))
    return Table(data, colWidths=[width * w / total for w in weights], style=TableStyle(style), repeatRows=0)


def render_pdf(title: str, blocks: list[tuple[str, object]]) -> bytes:
    """blocks: ("h", text) | ("p", text) | ("table", Grid). Returns the PDF bytes (deterministic)."""
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=40, rightMargin=40, topMargin=50, bottomMargin=50,
                            title=title, author="", creator="", producer="", invariant=1)
    flow = [Paragraph(title, st["title"]), Spacer(1, 12)]
    for kind, content in blocks:
        if kind == "table":
            flow += [Spacer(1, 4), _table(content, doc.width, st), Spacer(1, 8)]
        else:
            flow.append(Paragraph(str(content), st[kind]))
    doc.build(flow)
    return buf.getvalue()
