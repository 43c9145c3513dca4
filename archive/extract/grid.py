"""Rectangular grids of normalised cells, from HTML tables and from tables flattened into text.

A Grid is what every table source (HTML, text, PDF, DOCX) hands to the one mapping layer in
tables.py. A merged cell (rowspan / colspan, a PDF or DOCX merge) appears at every position it
covers as the *same* Cell object, so ``cell.r, cell.c`` is its origin and identity tells merged
positions apart from neighbours that merely print the same text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from archive.extract.labels import is_unit, norm, parse_value, t2_row_key


class Cell:
    """One printed cell: normalised text and its origin (row, column) in the grid."""
    __slots__ = ("text", "r", "c")

    def __init__(self, text: str, r: int, c: int):
        self.text, self.r, self.c = text, r, c

    def __repr__(self) -> str:
        return f"Cell({self.text!r}, r{self.r}c{self.c})"


@dataclass
class Grid:
    """rows[r][c] -> Cell. ``aligned`` is False for grids rebuilt from flattened text, where
    a value's position in the row is not its column (empty cells were lost)."""
    rows: list[list[Cell]]
    name: str                      # "table[0]", "pdf p3 table[1]", "text"
    aligned: bool = True
    lines: list[int] = field(default_factory=list)   # text grids: source line of each row
    cells_per_line: bool = False   # rebuilt from one cell per line: a row's cells may be far apart
    widths: list[int] = field(default_factory=list)  # text grids: cells each row printed (the rest is padding)

    def source(self, r: int, c: int) -> str:
        if self.lines:
            return f"{self.name} line {self.lines[r]}"
        return f"{self.name} r{r}c{c}"


MAX_SPAN = 200   # rows or columns one merged cell may cover (HTML rowspan/colspan, DOCX gridSpan/gridBefore):
                 # a report's table has tens; 99999999 is a damaged or hostile file, not a table


def _span(el, attr: str) -> int:
    span = el.get(attr)
    if span is None:          # most cells: no span at all
        return 1
    try:
        return max(1, min(int(span), MAX_SPAN))
    except (TypeError, ValueError):
        return 1


def _own_rows(table):
    """The <tr> of this table, not of tables nested in its cells."""
    for child in table:
        tag = child.tag
        if tag == "tr":
            yield child
        elif tag in ("tbody", "thead", "tfoot"):
            for tr in child:
                if tr.tag == "tr":
                    yield tr


def html_table_grid(table, name: str) -> Grid:
    """Expand one <table> (rowspan/colspan) into a rectangular Grid. lxml only."""
    rows: list[list[Cell]] = []
    carry: dict[int, list] = {}      # column -> [rows still covered, cell]
    width = 0
    for r, tr in enumerate(_own_rows(table)):
        out: dict[int, Cell] = {}
        for col, pend in list(carry.items()):
            out[col] = pend[1]
            pend[0] -= 1
            if pend[0] == 0:
                del carry[col]
        col = 0
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while col in out:
                col += 1
            rs, cs = _span(td, "rowspan"), _span(td, "colspan")
            cell = Cell(norm(td.text_content()), r, col)
            for k in range(col, col + cs):
                out[k] = cell
                if rs > 1:
                    carry[k] = [rs - 1, cell]
            col += cs
        rowlen = max(out) + 1 if out else 0
        width = max(width, rowlen)
        rows.append([out.get(k) or Cell("", r, k) for k in range(rowlen)])
    for r, row in enumerate(rows):
        row.extend(Cell("", r, k) for k in range(len(row), width))
    return Grid(rows, name)


def html_grids(root) -> list[Grid]:
    """Every <table> under root (root included, nested tables separately), in document order."""
    tables = [root] if root.tag == "table" else []
    tables += list(root.iterdescendants("table"))
    return [html_table_grid(t, f"table[{i}]") for i, t in enumerate(tables)]


def rows_grid(rows: list[list[str | None]], name: str, aligned: bool = True,
              lines: list[int] | None = None) -> Grid:
    """A Grid from rows of raw cell strings (None = nothing printed). Pads ragged rows."""
    width = max((len(r) for r in rows), default=0)
    out = []
    for r, row in enumerate(rows):
        cells = [Cell(norm(t), r, c) for c, t in enumerate(row)]
        cells += [Cell("", r, c) for c in range(len(row), width)]
        out.append(cells)
    return Grid(out, name, aligned, lines or [], widths=[len(r) for r in rows])


# --- tables flattened into text ----------------------------------------------------------------
_PIPE = re.compile(r"[|｜]")
PAGE_MARK = re.compile(r"^\s*(?:[—–\-－]+\s*\d{1,3}\s*[—–\-－]+|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
                       r"|\d{1,3}\s*/\s*\d{1,3})\s*$")     # — 3 —, - 3 -, 第3页 共9页, 3/9
_RULE = re.compile(r"^\s*[|｜]?(\s*:?-{3,}:?\s*[|｜])+\s*(:?-{3,}:?)?\s*$")   # markdown |---|:---:|


def _pipe_cells(line: str) -> list[str]:
    cells = [c.strip() for c in _PIPE.split(line)]
    while cells and not cells[0]:
        cells.pop(0)
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _classify(text: str) -> list[tuple[int, str, list[str] | None]]:
    """(line number, line, cells or None) of each non-empty line. A run of `|` lines that mostly hold
    one cell each (a table flattened one cell per line, `X |`, with `|` or `|||` filler lines) is
    read as plain lines, one cell each, like a table flattened without any `|`."""
    items = [(n, line, _pipe_cells(line) if _PIPE.search(line) else None)
             for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not _RULE.match(line) and not PAGE_MARK.match(line)]
    out: list[tuple[int, str, list[str] | None]] = []
    i = 0
    while i < len(items):
        if items[i][2] is None:
            out.append(items[i])
            i += 1
            continue
        j = i
        while j < len(items) and items[j][2] is not None:
            j += 1
        run = items[i:j]
        narrow = sum(1 for _, _, cells in run if sum(1 for c in cells if c) <= 1)
        if len(run) >= 4 and narrow >= 0.7 * len(run):
            for n, _, cells in run:
                cell = next((c for c in cells if c), None)
                if cell:
                    out.append((n, cell, None))
        else:
            out.extend(run)
        i = j
    return out


def text_grids(text: str, name: str = "text") -> list[Grid]:
    """Grids from text, in document order: each run of `|`-separated lines becomes one grid (a
    row per line); the lines between them are one cell each (see cell_lines_grid). All unaligned."""
    grids: list[Grid] = []
    pipes: list[tuple[int, list[str]]] = []
    singles: list[tuple[int, str]] = []

    def flush():
        if singles:
            grids.append(cell_lines_grid(singles, name))
            singles.clear()
        if pipes:
            grids.append(rows_grid([cells for _, cells in pipes], name, aligned=False,
                                   lines=[n for n, _ in pipes]))
            pipes.clear()

    for n, line, cells in _classify(text):
        if cells is not None:
            if singles:
                flush()
            pipes.append((n, cells))
        else:
            if pipes:
                flush()
            singles.append((n, line))
    flush()
    return grids


_SPACE = re.compile(r"[ \t\u3000\xa0]+")


def _split_figures(raw: str) -> list[str]:
    """A line holding a label and then figures separated by spaces (PDF text, tab-separated
    exports): `四、结转下年度继续办理 0 0 0 0 0 0 0` -> the label, then each figure. A line with
    fewer than two trailing figures is one cell, unless its label is a row of table 二 (`行政许可 97`)."""
    tokens = _SPACE.split(raw.strip())
    k = len(tokens)
    while k > 0 and tokens[k - 1] and parse_value(norm(tokens[k - 1]))[0]:
        k -= 1
    if len(tokens) - k < 2 and not (len(tokens) - k == 1 and k and t2_row_key(norm(" ".join(tokens[:k])))):
        return [raw]
    label = " ".join(tokens[:k])
    return ([label] if label else []) + tokens[k:]


def cell_lines_grid(lines: list[tuple[int, str]], name: str = "text") -> Grid:
    """One cell per line: a row is the label lines, then an optional unit line, then the value
    lines that follow them (values may sit several lines after the label)."""
    rows: list[list[str]] = []
    nums: list[int] = []
    labels: list[str] = []
    values: list[str] = []
    first = 0
    for n, raw in ((n, part) for n, line in lines for part in _split_figures(line)):
        t = norm(raw)
        if not t:
            continue
        is_val, _, _ = parse_value(t)
        if is_val or (is_unit(t) and labels and not values):
            if not labels and not values:
                first = n
            values.append(t)
        else:
            if values:
                rows.append(labels + values)
                nums.append(first)
                labels, values = [], []
            if not labels:
                first = n
            labels.append(t)
    if labels or values:
        rows.append(labels + values)
        nums.append(first)
    grid = rows_grid(rows, name, aligned=False, lines=nums)
    grid.cells_per_line = True
    return grid
