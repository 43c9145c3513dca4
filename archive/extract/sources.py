"""Where a figure was read, kept: the text grid of every table the extractor read figures from.

A figure's `source` names a grid and a place in it: `table[1] r4c8` (an HTML table's index, row and
column in the extractor's grid), `docx table[0] r2c1`, `pdf p1 table[0] r2c1`, `pdf p2 block[0] r3c2`
(a table built from word positions), `ocr p1 block[0] r5c3`, `xlsx Sheet1 r2c1`, or `text line 57`
(a table flattened into text: the line its row starts on); a note may follow (` (template order)`),
and an inferred figure names the blank cell it fills: `inferred: ... [identity] (table[1] r4c8)`.

`source_tables(grids, stats, text)` returns, for each grid some figure's source names, what the
Datasette page `/-/source` shows (archive/datasette/plugins/source_grid.py): the cells as the
extractor saw them after its normalisation (labels.norm), merged cells repeated at every position
they cover (as the Grid has them), bounded to MAX_ROWS x MAX_COLS cells of MAX_CELL characters; for
a table read from text lines (`text line N`), the lines themselves, `[line number, line]`, from a few
lines above the first figure's line to the end of the last figure's row, at most MAX_LINES.
Only plain strings: nothing of the page's markup is kept, and the page escapes every cell.
"""
from __future__ import annotations

import re

MAX_ROWS = 200          # rows of a grid kept (a report's table has tens)
MAX_COLS = 40           # columns kept (table 三 has 9 or so, an indicator table 4)
MAX_CELL = 200          # characters of one cell kept (a long label is cut, with …)
MAX_LINES = 400         # lines kept of a table read from text lines
CONTEXT_LINES = 10      # lines kept above the first figure's line (its header)

# `NAME rRcC` or `NAME line N`, at the start or inside `( ... )` (an inferred figure's blank cell),
# then the end, a note ` (...)` or the closing parenthesis
LOCATION = re.compile(r"(?:^|\()(?P<ref>[^()]+?) (?:r(?P<r>\d+)c(?P<c>\d+)|line (?P<line>\d+))(?=$| \(|\))")


_RC = re.compile(r"(\d+)c(\d+)")


def locate(source: str | None) -> tuple[str, int | None, int | None, int | None] | None:
    """(table_ref, row, column, line) a source names, or None (prose, summary, no grid)."""
    if not source:
        return None
    head, sep, tail = source.rpartition(" r")      # the common case, `table[1] r4c8`, without the regex
    if sep and "(" not in head and (rc := _RC.fullmatch(tail)):
        return head, int(rc.group(1)), int(rc.group(2)), None
    m = LOCATION.search(source)
    if m is None:
        return None
    if m.group("line"):
        return m.group("ref"), None, None, int(m.group("line"))
    return m.group("ref"), int(m.group("r")), int(m.group("c")), None


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def _cells(grid) -> dict:
    rows = grid.rows
    width = max(map(len, rows), default=0)
    cells = [[cell.text for cell in row[:MAX_COLS]] for row in rows[:MAX_ROWS]]
    cut = False
    for i, row in enumerate(cells):
        if row and max(map(len, row)) > MAX_CELL:      # rare: a long cell is cut
            cells[i] = [_cut(t) for t in row]
            cut = True
    return {"kind": "cells", "n_rows": len(rows), "n_cols": width, "cells": cells,
            "truncated": cut or len(rows) > MAX_ROWS or width > MAX_COLS}


def _lines(grids, wanted: set[int], text: str) -> dict | None:
    """The text lines a table flattened into text was read from (the grids of one name)."""
    ends: dict[int, int] = {}            # first line of a row -> its last line
    for g in grids:
        for r, n in enumerate(g.lines):
            if r + 1 < len(g.lines):
                ends[n] = max(n, g.lines[r + 1] - 1)
            else:
                ends[n] = n + (max(0, sum(1 for c in g.rows[r] if c.text) - 1) if g.cells_per_line else 0)
    lines = text.splitlines()
    lo = max(1, min(wanted) - CONTEXT_LINES)
    hi = min(len(lines), max(ends.get(n, n) for n in wanted))
    kept = [[str(n), _cut(lines[n - 1])] for n in range(lo, hi + 1) if lines[n - 1].strip()]
    if not kept:
        return None
    return {"kind": "lines", "n_rows": len(kept), "n_cols": 2, "cells": kept[:MAX_LINES],
            "truncated": len(kept) > MAX_LINES or any(len(lines[n - 1]) > MAX_CELL for n in range(lo, hi + 1))}


def source_tables(grids, stats, text: str = "") -> list[dict]:
    """For each grid a figure's source names: {table_ref, kind, n_rows, n_cols, cells, truncated}
    (kind `cells`: rows of cell texts; `lines`: [line number, line] of a table read from text)."""
    wanted: dict[str, set[int]] = {}
    same = None                                    # `NAME r` of the figure before: most share its grid
    for s in stats:
        if s.table in ("prose", "summary"):        # a sentence, or the headline figures: no grid
            continue
        if same is not None and s.source.startswith(same):
            continue
        loc = locate(s.source)
        if loc is not None:
            lines = wanted.setdefault(loc[0], set())
            if loc[3] is not None:
                lines.add(loc[3])
            else:
                same = loc[0] + " r"
    if not wanted:
        return []
    by_name: dict[str, list] = {}
    for g in grids:
        if g.name in wanted:
            by_name.setdefault(g.name, []).append(g)
    out = []
    for name, gs in by_name.items():
        if wanted[name] and gs[0].lines and text:
            table = _lines([g for g in gs if g.lines], wanted[name], text)
        else:
            table = _cells(gs[0])
        if table is not None:
            out.append({"table_ref": name, **table})
    return out
