"""Tables from word positions: PDF pages without usable ruling lines, OCR'd pages, OFD pages.

A source hands over positioned words (text and box, in any unit: PDF points, OFD millimetres, OCR
pixels); every tolerance here is relative to the median word height, so the unit does not matter.

    grids, warnings = position_grids(pages_of_words, name="pdf")

Per page:
  1. words become lines (vertical centres within 0.4 word heights); adjacent words on a line with
     a small gap are joined (OCR gives one word per character group);
  2. a *value line* ends in figures: every value word lies right of every text word, after a real
     gap. Prose lines (wide, or a sentence), page markers (`- 3 -`) and lines before any table are
     left out: they are never table cells;
  3. a *block* is a run of value lines with the header lines above them; a line with words over
     the figures' columns after a value line starts a new block (another table's header);
  4. the block's columns are clusters of the value words' horizontal centres (drift within a
     column is far smaller than the distance between columns). A cluster seen on few rows, lying
     between well-supported columns or beyond them, is a value between columns: refused with a
     warning, never put in a neighbour (one within a third of the column spacing of a column is a
     drifted figure of it);
  5. one Grid per block: header lines as rows (each word under the column its centre falls in,
     the label area as cell 0; then one row of each column's header lines joined, for headers
     wrapped over lines), then one row per value line with its label in cell 0. A label
     wrapped over several lines (above and below its figures, as word processors centre them)
     is joined to the value line its lines overlap vertically.
Blocks on the next page with no header continue the previous table (tables.py does that).
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from archive.extract.grid import Grid, rows_grid
from archive.extract.labels import norm, parse_value

_PAGE_MARK = re.compile(r"^[-—–－]?\s*(第\s*)?\d{1,3}\s*(页|/\s*\d{1,3})?\s*[-—–－]?$")
_SENTENCE = re.compile(r"[。；;]")
_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[.、．])")


@dataclass(frozen=True)
class Word:
    """One positioned word: text and its box (x grows rightwards, top/bottom downwards)."""
    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def h(self) -> float:
        return self.bottom - self.top


def is_value(text: str) -> bool:
    t = norm(text)
    return bool(t) and len(t) <= 12 and parse_value(t)[0]


class _Line:
    def __init__(self, words: list[Word]):
        self.words = sorted(words, key=lambda w: w.x0)
        self.top = min(w.top for w in words)
        self.bottom = max(w.bottom for w in words)
        self.values = [w for w in self.words if is_value(w.text)]
        self.texts = [w for w in self.words if not is_value(w.text)]
        self.blanks: list[Word] = []        # blank-cell markers right of the label (see BLANK)

    @property
    def yc(self) -> float:
        return (self.top + self.bottom) / 2

    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _lines(words: list[Word], h: float) -> list[_Line]:
    """Words grouped into lines by vertical centre, top to bottom; close words joined."""
    out: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.yc, w.x0)):
        if out and abs(w.yc - statistics.fmean(x.yc for x in out[-1])) <= 0.4 * h:
            out[-1].append(w)
        else:
            out.append([w])
    return [_Line(_join_close(ws, h)) for ws in out]


def _join_close(words: list[Word], h: float) -> list[Word]:
    """Adjacent words with a gap under 0.3 word heights are one word (OCR splits CJK runs into
    characters); a figure is never joined to text."""
    out: list[Word] = []
    for w in sorted(words, key=lambda w: w.x0):
        if out:
            p = out[-1]
            if w.x0 - p.x1 < 0.3 * h and is_value(p.text) == is_value(w.text) and not is_value(w.text):
                out[-1] = Word(p.text + w.text, p.x0, max(p.x1, w.x1), min(p.top, w.top),
                               max(p.bottom, w.bottom))
                continue
        out.append(w)
    return out


def _kind(line: _Line, h: float, text_width: float, left: float) -> str:
    """value | prose | mark | other."""
    t = norm(line.text())
    if _PAGE_MARK.match(line.text().strip()):
        return "mark"
    cells = line.values + line.blanks
    if cells and line.texts:
        last_text = max(w.x1 for w in line.texts)
        first_value = min(w.x0 for w in cells)
        if first_value >= last_text + 0.5 * h and not _SENTENCE.search(t) and \
                (line.values or len(line.blanks) >= 2):
            return "value"
    elif line.values and not line.texts:
        return "value"
    text_span = sum(w.x1 - w.x0 for w in line.texts)
    if (text_span > 0.6 * text_width) or (_SENTENCE.search(t) and text_span > 0.35 * text_width):
        return "prose"
    return "other"


def _clusters(centres: list[tuple[float, int]], gap: float) -> list[list[tuple[float, int]]]:
    out: list[list[tuple[float, int]]] = []
    for c in sorted(centres):
        if out and c[0] - out[-1][-1][0] <= gap:
            out[-1].append(c)
        else:
            out.append([c])
    return out


class _Block:
    def __init__(self) -> None:
        self.header: list[_Line] = []
        self.body: list[_Line] = []         # value lines and label lines, top to bottom

    @property
    def value_lines(self) -> list[_Line]:
        return [ln for ln in self.body if ln.kind == "value"]

    def value_left(self) -> float:
        return min(w.x0 for ln in self.value_lines for w in ln.values)


def _blocks(lines: list[_Line], h: float) -> list[_Block]:
    blocks: list[_Block] = []
    cur = _Block()
    pending: list[_Line] = []           # "other" lines since the last value line
    for ln in lines:
        if ln.kind in ("prose", "mark"):
            if ln.kind == "prose":
                if cur.value_lines:
                    blocks.append(cur)
                cur, pending = _Block(), []
            continue
        if ln.kind == "other":
            if cur.value_lines and any(w.x1 > cur.value_left() - 0.2 * h for w in ln.words):
                blocks.append(cur)      # a header over the figures' columns: the next table
                cur = _Block()
                pending = []
            if cur.value_lines:
                cur.body.append(ln)
            else:
                pending.append(ln)
            continue
        if not cur.value_lines:
            cur.header, pending = pending, []
        cur.body.append(ln)
    if cur.value_lines:
        blocks.append(cur)
    return blocks


def _columns(block: _Block, h: float, where: str, warnings: list[str]) -> list[float]:
    """Column centres of a block's figures; words of clusters refused as 'between columns' are
    dropped from their lines (with a warning)."""
    vlines = block.value_lines
    pts = [(w.xc, i) for i, ln in enumerate(vlines) for w in ln.values + ln.blanks]
    clusters = _clusters(pts, 0.8 * h)
    support = [len({i for _, i in c}) for c in clusters]
    top = max(support)
    strong = [s >= max(2, 0.3 * top) for s in support] if top >= 3 else [True] * len(clusters)
    cols = [statistics.fmean(x for x, _ in c) for c, ok in zip(clusters, strong) if ok]
    spacing = statistics.median([b - a for a, b in zip(cols, cols[1:])]) if len(cols) > 1 else 4 * h
    for c, ok in zip(clusters, strong):
        if ok:
            continue
        for x, i in c:       # a drifted figure of a column (within a third of the spacing) stays
            if min(abs(x - k) for k in cols) <= spacing / 3:
                continue
            w = next((w for w in vlines[i].values if w.xc == x), None)
            if w is None:    # a blank-cell marker: nothing to refuse
                continue
            warnings.append(f"{where}: figure {w.text!r} near y={w.top:.0f} lies between columns: not read")
            vlines[i].values = [v for v in vlines[i].values if v is not w]
    return cols


def _col_of(x: float, cols: list[float]) -> int:
    return min(range(len(cols)), key=lambda k: abs(cols[k] - x))


def _block_grid(block: _Block, h: float, name: str, warnings: list[str], reread=None) -> Grid | None:
    cols = _columns(block, h, name, warnings)
    if not cols:
        return None
    spacing = statistics.median([b - a for a, b in zip(cols, cols[1:])]) if len(cols) > 1 else 4 * h
    label_edge = cols[0] - 0.5 * spacing
    width = 1 + len(cols)
    rows: list[list[str]] = []
    for ln in block.header:
        row = [""] * width
        for w in ln.words:
            k = 0 if w.xc < label_edge else 1 + _col_of(w.xc, cols)
            row[k] = (row[k] + " " + w.text).strip() if row[k] else w.text
        rows.append(row)
    if len(block.header) > 1 and not any(ln.values for ln in block.header):
        joined = [""] + ["".join(r[k] for r in rows) for k in range(1, width)]   # a header wrapped
        if any(joined):                   # over lines (`本年新` / `制作数量`): each column's lines joined
            rows.append(joined)
    vlines = block.value_lines
    labels: dict[int, list[Word]] = {id(ln): list(ln.texts) for ln in vlines}
    order: list[_Line] = []              # value lines, and label lines that belong to none
    for ln in block.body:
        if ln.kind == "value":
            order.append(ln)
            continue
        target = _label_target(ln, vlines, h)
        if target is None:
            order.append(ln)
        else:
            labels[id(vlines[target])].extend(ln.words)
    empty: list[tuple[int, int, tuple]] = []     # (row, column, box) of cells with no figure
    for ln in order:
        row = [""] * width
        if ln.kind != "value":
            row[0] = _join_label(ln.words, h)
            rows.append(row)
            continue
        row[0] = _join_label(labels[id(ln)], h)
        for w in ln.values:
            k = 1 + _col_of(w.xc, cols)
            if row[k]:
                warnings.append(f"{name}: two figures in one column near y={w.top:.0f}: not read")
                row[k] = "\0"
                continue
            row[k] = w.text
        rows.append(row)
        if reread is not None:
            empty.extend((len(rows) - 1, k, (cols[k - 1] - 0.45 * spacing, ln.top - 0.25 * h,
                                             cols[k - 1] + 0.45 * spacing, ln.bottom + 0.25 * h))
                         for k in range(1, width) if row[k] == "")
    if empty:
        texts = reread([box for _, _, box in empty])
        filled = 0
        for (r, k, _), text in zip(empty, texts):
            if text and is_value(text):
                rows[r][k] = text
                filled += 1
        if filled:
            warnings.append(f"{name}: {filled} of {len(empty)} empty cells re-read one by one")
    rows = [[("" if c == "\0" else c) for c in row] for row in rows]
    return rows_grid(rows, name)


def _label_target(ln: _Line, vlines: list[_Line], h: float) -> int | None:
    """The value line a label-only line belongs to: the one it overlaps vertically most; else, for
    a continuation (no row marker), the nearest one within a line height."""
    best, best_ov = None, 0.0
    for i, v in enumerate(vlines):
        ov = min(ln.bottom, v.bottom) - max(ln.top, v.top)
        if ov > best_ov:
            best, best_ov = i, ov
    if best is not None:
        return best
    if _MARKER.match(norm(ln.text())):
        return None
    dist = [(abs(v.yc - ln.yc), i) for i, v in enumerate(vlines)]
    d, i = min(dist)
    return i if d <= 1.5 * h else None


def _join_label(words: list[Word], h: float) -> str:
    """Label words in reading order: left column first (x0 within a word height is one column),
    top to bottom within a column."""
    joined: list[Word] = []
    for line in _lines(words, h):        # pieces of one printed line first (`只计这一情` + `形,不`)
        for w in line.words:
            p = joined[-1] if joined and joined[-1].top == line.top else None
            if p is not None and w.x0 - p.x1 < h:
                joined[-1] = Word(p.text + w.text, p.x0, w.x1, line.top, p.bottom)
            else:
                joined.append(Word(w.text, w.x0, w.x1, line.top, w.bottom))
    cols: list[list[Word]] = []
    for w in sorted(joined, key=lambda w: w.x0):
        if cols and w.x0 - cols[-1][0].x0 <= h:
            cols[-1].append(w)
        else:
            cols.append([w])
    parts = ["".join(w.text for w in sorted(c, key=lambda w: (w.top, w.x0))) for c in cols]
    return " ".join(parts)


BLANK = ""


def _attach_blanks(lines: list[_Line], blanks: list[Word], h: float) -> None:
    """Each blank marker to the line it sits on, kept only right of that line's label text."""
    for b in blanks:
        near = [ln for ln in lines if abs(ln.yc - b.yc) <= 0.4 * h]
        if not near:
            continue
        ln = min(near, key=lambda ln: abs(ln.yc - b.yc))
        if ln.texts and b.x0 < max(w.x1 for w in ln.texts):
            continue
        if any(v.x0 - 0.2 * h <= b.xc <= v.x1 + 0.2 * h for v in ln.values):
            continue                     # a space beside a figure, not a cell of its own
        ln.blanks.append(b)


def page_grids(words: list[Word], name: str, reread=None) -> tuple[list[Grid], list[str]]:
    """Grids of one page's words (see the module docstring) and the warnings. `reread` (OCR):
    called with the boxes (x0, top, x1, bottom) of the cells of figure rows where no figure was
    read, returns a text or None for each (ocr.reread_cells: Tesseract drops isolated digits in
    page mode, and reads them one by one). Words whose text is
    BLANK mark blank cells (the space a word processor leaves in an empty cell): they place
    columns and make a row of empty cells a row, and are never figures."""
    boxes = [w for w in words if w.x1 > w.x0 and w.bottom > w.top]
    blanks = [w for w in boxes if w.text == BLANK]
    words = [w for w in boxes if w.text.strip()]
    if not words:
        return [], []
    h = statistics.median(w.h for w in words)
    lines = _lines(words, h)
    _attach_blanks(lines, blanks, h)
    warnings: list[str] = []
    left = min(w.x0 for w in words)
    text_width = max(w.x1 for w in words) - left
    for ln in lines:
        ln.kind = _kind(ln, h, text_width, left)
    grids = []
    for i, b in enumerate(_blocks(lines, h)):
        g = _block_grid(b, h, f"{name} block[{i}]", warnings, reread)
        if g is not None:
            grids.append(g)
    return grids, warnings


def position_grids(pages: list[list[Word]], name: str) -> tuple[list[Grid], list[str]]:
    """Grids of every page, in order, and the warnings."""
    grids: list[Grid] = []
    warnings: list[str] = []
    for pno, words in enumerate(pages, 1):
        g, w = page_grids(words, f"{name} p{pno}")
        grids += g
        warnings += w
    return grids, warnings


def page_text(words: list[Word]) -> str:
    """The page's text from its words, line by line (OCR pages have no text layer of their own);
    words on a line are joined directly, or with a space where the gap is wider than half a word height."""
    words = [w for w in words if w.text.strip()]
    if not words:
        return ""
    h = statistics.median(w.h for w in words)
    out = []
    for line in _lines(words, h):
        s = line.words[0].text
        for p, w in zip(line.words, line.words[1:]):
            s += (" " if w.x0 - p.x1 > 0.5 * h else "") + w.text
        out.append(s)
    return "\n".join(out)
