"""A table as merged cells, and its Word-pasted HTML rendering.

A Grid is what every renderer (HTML, PDF, DOCX) and every test reads: rows of Cells, each Cell
listed in the row where it starts (as in HTML), with rowspan / colspan. Figures are Cells with a
`value` (int or float); labels are Cells with `text` only.
"""
from __future__ import annotations

import html
import random
from dataclasses import dataclass, field

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ZERO_TOKENS = ("—", "/", "无")


@dataclass
class Cell:
    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    value: int | float | None = None   # a figure (its text is rendered from it)
    header: bool = False
    width: int = 60


@dataclass
class Grid:
    rows: list[list[Cell]]
    ncols: int
    caption: str = ""

    def matrix(self) -> list[list[Cell | None]]:
        """Expand spans: matrix[r][c] is the cell covering (r, c) at its top-left, None elsewhere."""
        out: list[list[Cell | None]] = [[None] * self.ncols for _ in self.rows]
        taken = [[False] * self.ncols for _ in self.rows]
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row:
                while c < self.ncols and taken[r][c]:
                    c += 1
                if c >= self.ncols:
                    raise ValueError(f"row {r} of {self.caption!r} overflows {self.ncols} columns")
                out[r][c] = cell
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        taken[r + dr][c + dc] = True
                c += cell.colspan
        return out

    def spans(self) -> list[tuple[int, int, int, int, Cell]]:
        """(row, col, last_row, last_col, cell) for every cell."""
        out = []
        for r, row in enumerate(self.matrix()):
            for c, cell in enumerate(row):
                if cell is not None:
                    out.append((r, c, r + cell.rowspan - 1, c + cell.colspan - 1, cell))
        return out


def fmt_value(value: int | float) -> str:
    """A figure as printed: integers plain, amounts with up to two decimals."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(int(value))


@dataclass
class Quirks:
    """How one report's Word paste deforms its tables (chosen per report from a seeded rng)."""
    fullwidth: float = 0.0          # share of figures printed in full-width digits
    zero_token: str | None = None   # "—", "/" or "无" printed for some zeros (truth: 0)
    zero_share: float = 0.0
    spaced_labels: bool = False     # "自 然 人", "结果<br>维持"
    wrap: bool = False              # extra <div>/<span> around the table and the figures
    split_rows: bool = False        # a long label row broken over two <tr>
    rng: random.Random = field(default_factory=lambda: random.Random(0), repr=False)

    @classmethod
    def pick(cls, rng: random.Random) -> "Quirks":
        q = cls(rng=random.Random(rng.random()))
        if rng.random() < 0.35:
            q.fullwidth = rng.choice([0.2, 0.5, 1.0])
        if rng.random() < 0.4:
            q.zero_token = rng.choice(ZERO_TOKENS)
            q.zero_share = rng.choice([0.3, 0.7, 1.0])
        q.spaced_labels = rng.random() < 0.5
        q.wrap = rng.random() < 0.4
        q.split_rows = rng.random() < 0.3
        return q


def _label_html(text: str, quirks: Quirks) -> str:
    out = html.escape(text)
    if quirks.spaced_labels and 2 <= len(text) <= 4 and not any(ch.isdigit() for ch in text):
        out = " ".join(out) if quirks.rng.random() < 0.5 else out[:2] + "<br>" + out[2:]
    elif quirks.spaced_labels and len(text) > 14 and "\n" not in text and quirks.rng.random() < 0.3:
        cut = quirks.rng.randint(6, len(text) - 4)     # Word wrapped the label: a <br> mid-word
        out = html.escape(text[:cut]) + "<br>" + html.escape(text[cut:])
    return out.replace("\n", "<br>")


def _value_html(value, quirks: Quirks) -> str:
    if value == 0 and quirks.zero_token and quirks.rng.random() < quirks.zero_share:
        return quirks.zero_token
    text = fmt_value(value)
    if quirks.fullwidth and quirks.rng.random() < quirks.fullwidth:
        text = text.translate(FULLWIDTH)
    if quirks.wrap:
        text = f'<span style="font-family:宋体;font-size:10.5pt">{text}</span>'
    return text


def _td(cell: Cell, inner: str) -> str:
    attrs = ""
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    width = cell.width
    return (f'<td nowrap{attrs} style="width:{width}px" valign="center"><p align="center">'
            f'<span style="font-family:宋体">{inner or "&nbsp;"}</span></p></td>')


def to_html(grid: Grid, quirks: Quirks | None = None) -> str:
    """Word-pasted HTML of a grid: nowrap widths, <p align=center><span>, &nbsp; for empty cells."""
    q = quirks or Quirks()
    rows = [list(r) for r in grid.rows]
    out_rows = []
    for r, row in enumerate(rows):
        cells = [_td(c, _value_html(c.value, q) if c.value is not None else _label_html(c.text, q))
                 for c in row]
        out_rows.append("<tr>" + "".join(cells) + "</tr>")
    table = ('<table border="1" cellspacing="0" cellpadding="0" class="MsoNormalTable" '
             'style="border-collapse:collapse;border:none">\n<tbody>\n' + "\n".join(out_rows) +
             "\n</tbody>\n</table>")
    if q.wrap:
        table = f'<div align="center"><span style="font-size:10.5pt">{table}</span></div>'
    return table
