"""Reports as DOCX attachments (python-docx): real Word tables with merged cells."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from .grid import Grid, fmt_value

FONT = "宋体"


def _font(run, size: float) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _table(document, grid: Grid) -> None:
    table = document.add_table(rows=len(grid.rows), cols=grid.ncols)
    table.style = "Table Grid"
    cells = table._cells          # fetched once: table.cell() rescans the whole table each call
    at = lambda r, c: cells[r * grid.ncols + c]
    for r, c, r2, c2, cell in grid.spans():
        target = at(r, c)
        if r2 > r or c2 > c:
            target = target.merge(at(r2, c2))
        text = fmt_value(cell.value) if cell.value is not None else cell.text
        para = target.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for i, line in enumerate(text.split("\n")):
            run = para.add_run(line)
            _font(run, 8)
            if i < len(text.split("\n")) - 1:
                run.add_break()


def render_docx(title: str, blocks: list[tuple[str, object]], when: dt.datetime | None = None) -> bytes:
    """blocks: ("h", text) | ("p", text) | ("table", Grid). Returns the .docx bytes (deterministic:
    fixed document dates and zip timestamps)."""
    when = when or dt.datetime(2020, 1, 1)
    document = docx.Document()
    core = document.core_properties
    core.title, core.author = title, ""
    core.created = core.modified = core.last_printed = when
    head = document.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(head.add_run(title), 16)
    for kind, content in blocks:
        if kind == "table":
            _table(document, content)
        else:
            para = document.add_paragraph()
            _font(para.add_run(str(content)), 12 if kind == "h" else 10.5)
            if kind == "h":
                para.runs[0].bold = True
    buf = io.BytesIO()
    document.save(buf)
    return _fixed_zip(buf.getvalue(), when)


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite the package with every member stamped `when` (python-docx stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()
