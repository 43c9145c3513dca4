"""PDF reports: text of every page and their statistics tables, through the one mapping layer.

pdfplumber finds ruled tables (the lines strategy); a merged cell comes back as one cell plus
None at the positions it covers, which we resolve through the cell boxes so the Grid repeats
the same Cell there (as rowspan/colspan do in HTML). A page with no ruled table but table-like
text falls back to its text lines, each split into a label and the numbers that end it.
A page that cannot be read (broken font, no Unicode map, parser error) gives a warning.
"""
from __future__ import annotations

import io
import logging
import re

import pdfplumber

from archive.extract.grid import Cell, Grid, rows_grid
from archive.extract.labels import norm
from archive.extract.model import TableResult
from archive.extract.tables import stats_from_grids


for _noisy in ("pdfminer", "pdfplumber"):
    logging.getLogger(_noisy).setLevel(logging.ERROR)

_TABULAR = re.compile(r"本年新收|予以公开|行政复议|指标名称|统计指标|本年制发|新制作|信息内容")
_LINE_ROW = re.compile(r"^(?P<label>.*?\D)?\s*(?P<nums>(?:[-—/]|\d[\d,]*(?:\.\d+)?)(?:\s+(?:[-—/]|\d[\d,]*(?:\.\d+)?))*)\s*$")


class PdfReadError(ValueError):
    """The bytes are not a PDF pdfplumber can open."""


def _garbled(text: str) -> bool:
    """Text from a font without a usable Unicode map: (cid:NN) runs or private-use glyphs."""
    if not text:
        return False
    bad = text.count("(cid:") * 6 + sum(1 for ch in text if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd")
    return bad > max(20, len(text) * 0.1)


def table_grid(table, name: str) -> Grid:
    """A pdfplumber Table as a Grid: each None (a position covered by a merged cell) becomes
    the Cell whose box covers that position."""
    texts = table.extract()
    boxes = table.cells
    xs = sorted({b[0] for b in boxes})
    bounds = xs + [max(b[2] for b in boxes)]
    origin: dict[tuple, Cell] = {}
    rows = []
    for r, row in enumerate(table.rows):
        top, bottom = row.bbox[1], row.bbox[3]
        out = []
        for c, box in enumerate(row.cells):
            if box is not None:
                cell = Cell(norm(texts[r][c]), r, c)
                origin[box] = cell
            else:
                cx = (bounds[c] + bounds[min(c + 1, len(bounds) - 1)]) / 2
                cy = (top + bottom) / 2
                cover = next((b for b in boxes if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]), None)
                cell = origin.get(cover) or Cell("", r, c)
            out.append(cell)
        rows.append(out)
    return Grid(rows, name)


def text_lines_grid(text: str, name: str) -> Grid:
    """Fallback for a page without ruled tables: each line 'label n n n' becomes a row
    [label, n, n, n]; other lines become label-only rows."""
    rows = []
    for line in text.splitlines():
        m = _LINE_ROW.match(line.strip())
        if m and m.group("nums"):
            rows.append([m.group("label") or "", *m.group("nums").split()])
        elif line.strip():
            rows.append([line.strip()])
    return rows_grid(rows, name, aligned=False)


def read_pdf(data: bytes) -> TableResult:
    """Text of all pages (tables included) and the Stats of every statistics table."""
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as e:
        raise PdfReadError(f"not a readable PDF ({type(e).__name__}: {e})") from e
    texts: list[str] = []
    grids: list[Grid] = []
    warnings: list[str] = []
    with pdf:
        for pno, page in enumerate(pages, 1):
            try:
                text = page.extract_text() or ""
            except Exception as e:
                warnings.append(f"pdf p{pno}: text unreadable ({type(e).__name__}: {e})")
                text = ""
            if _garbled(text):
                warnings.append(f"pdf p{pno}: text unreadable (font without a Unicode map)")
                texts.append("")
                continue
            texts.append(text)
            try:
                tables = page.find_tables()
                for ti, t in enumerate(tables):
                    grids.append(table_grid(t, f"pdf p{pno} table[{ti}]"))
                if not any(len(t.rows) > 1 and len(t.rows[0].cells) > 1 for t in tables) \
                        and _TABULAR.search(text):
                    grids.append(text_lines_grid(text, f"pdf p{pno} text"))
            except Exception as e:
                warnings.append(f"pdf p{pno}: tables unreadable ({type(e).__name__}: {e})")
            finally:
                page.close()
    res = stats_from_grids(grids, "\n".join(texts))
    res.warnings = warnings + res.warnings
    return res
