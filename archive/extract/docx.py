"""Word (.docx) reports: paragraphs and tables in document order, through the one mapping layer.

A merged cell is one <w:tc> with gridSpan (across) or a vMerge run (down); the Grid repeats the
same Cell at every position it covers (identity, as python-docx itself repeats the cell object),
so merged labels are read once. gridSpan and gridBefore are bounded by grid.MAX_SPAN, as HTML spans are
(an absurd gridSpan="99999999" would otherwise build a row of 10^8 cells). Nested tables are read as tables of their own.
"""
from __future__ import annotations

import io
import zipfile

import docx as _docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from archive.extract import EmptyInput
from archive.extract.grid import MAX_SPAN, Cell, Grid
from archive.extract.labels import norm
from archive.extract.model import TableResult
from archive.extract.safezip import UnsafeZip, check_zip
from archive.extract.tables import stats_from_grids


class DocxReadError(ValueError):
    """The bytes are not a Word document python-docx can open."""


def table_grid(table: Table, name: str) -> Grid:
    """One Word table as a Grid (gridBefore, gridSpan and vMerge resolved)."""
    rows: list[list[Cell]] = []
    for r, tr in enumerate(table._tbl.tr_lst):
        out: list[Cell] = []
        for _ in range(min(tr.grid_before, MAX_SPAN)):
            out.append(Cell("", r, len(out)))
        for tc in tr.tc_lst:
            c = len(out)
            if tc.vMerge == "continue" and rows and c < len(rows[-1]):
                cell = rows[-1][c]
            else:
                cell = Cell(norm(_Cell(tc, table).text), r, c)
            out.extend([cell] * max(1, min(tc.grid_span, MAX_SPAN)))
        rows.append(out)
    width = max((len(r) for r in rows), default=0)
    for r, row in enumerate(rows):
        row.extend(Cell("", r, k) for k in range(len(row), width))
    return Grid(rows, name)


def _table_text(table: Table) -> str:
    lines = []
    for tr in table._tbl.tr_lst:
        seen, cells = set(), []
        for tc in tr.tc_lst:
            if id(tc) not in seen:
                seen.add(id(tc))
                cells.append(_Cell(tc, table).text.replace("\n", " ").strip())
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def read_docx(data: bytes) -> TableResult:
    """Text of the document (paragraphs and table rows, `|` between cells) and the Stats of
    every statistics table."""
    try:
        names = check_zip(data, "DOCX").namelist()
    except UnsafeZip as e:
        raise DocxReadError(str(e)) from None
    try:
        document = _docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise DocxReadError(f"not a readable .docx ({type(e).__name__}: {e})") from e
    texts: list[str] = []
    grids: list[Grid] = []

    def add_table(table: Table) -> None:
        grids.append(table_grid(table, f"docx table[{len(grids)}]"))
        texts.append(_table_text(table))
        for tr in table._tbl.tr_lst:
            for tc in tr.tc_lst:
                for inner in _Cell(tc, table).tables:
                    add_table(inner)

    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            texts.append(block.text)
        elif isinstance(block, Table):
            add_table(block)
    if not any(t.strip() for t in texts):
        images = sum(1 for n in names if n.startswith("word/media/"))
        if images:
            raise EmptyInput(f"DOCX holds {images} image(s) and no text (scanned pages pasted into "
                             "Word): nothing to read; images in DOCX are not OCR'd")
        raise EmptyInput("DOCX without any text")
    return stats_from_grids(grids, "\n".join(texts))
