"""Statistics tables -> Stats keyed as archive/keys.py says. One mapping layer, several grid sources.

    stats_from_html(root)   every table under an lxml element
    stats_from_text(text)   tables flattened into text (`|` rows, or one cell per line)
    stats_from_grids(grids) the mapping layer itself (pdf.py and docx.py call it)

Tables are recognised by their labels, not their position. Rows of all grids of a document are
read in order by a small state machine: cue cells (申请人情况 / 自然人, 行政复议 / 行政诉讼,
信息内容 / 第二十条, 指标名称 / 统计指标) say which table follows; the rows without figures above a
data row are its header (column keys) or its pending label parts (a label split over two rows);
a data row is labelled by its label cells plus the pending parts. A grid with no header of its own
continues the table of the grid before it (tables split across PDF pages or across <table>s).
"""
from __future__ import annotations

import re
from functools import lru_cache

from archive.extract import checks
from archive.extract import labels as L
from archive.extract.grid import Cell, Grid, html_grids, text_grids
from archive.extract.infer import confirm_ocr, infer_blanks
from archive.extract.model import Stat, TableResult
from archive.extract.runs import split_run
from archive.extract.sources import source_tables
from archive.keys import T2_COLS, T3_COLS, T4_COLS, T4_ROWS, t3_rows

T3_TOP = {"new", "carried_over", "granted", "partial", "total", "carried_forward"}
_T2_ALLOWED = {row: set(T2_COLS[2019].get(row, [])) | set(T2_COLS[2021].get(row, []))
               for row in set(T2_COLS[2019]) | set(T2_COLS[2021])}
_END = re.compile(r"存在的主要问题|其他需要报告|总体情况")
_INDICATOR_HEAD_WORDS = {"单位", "本年累计", "代码", "统计数", "本期实际", "数量", "数值", "指标名称",
                         "统计指标"}
_INDICATOR_LABEL_HEAD = re.compile(r"^(指标名称|统计指标|指标|项目|名称)$")
_INDICATOR_VALUE_HEAD = re.compile(r"本年累计|统计数|本期实际|数量|数值|累计|合计")


@lru_cache(maxsize=65536)
def cue(part: str) -> str | None:
    """Which table a header cell announces: t3, t4, t2, indicator, end (a section after the
    tables, or a personnel list) or None."""
    c = L.core(part)
    if c in ("申请人情况", "自然人") or "收到和处理政府信息公开申请" in c:
        return "t3"
    if c in ("行政复议", "行政诉讼") or "行政复议、行政诉讼" in c or "公开行政复议" in c \
            or re.fullmatch(r"行政复议、?行政诉讼", c):
        return "t4"
    if c == "信息内容" or c.startswith("第二十条") or "主动公开政府信息情况" in c:
        return "t2"
    if c in ("指标名称", "统计指标") or c.endswith("工作情况报表") or c.endswith("情况统计表"):
        return "indicator"
    if c == "姓名" or (L.level(L.canonical_label(part)) == 1 and _END.search(c)):
        return "end"
    return None


def _distinct(row: list[Cell]) -> list[tuple[int, Cell]]:
    """(column, cell) of each cell once, at its leftmost position in this row."""
    seen: set[int] = set()
    out = []
    for c, cell in enumerate(row):
        if id(cell) not in seen:
            seen.add(id(cell))
            out.append((c, cell))
    return out


class _Mapper:
    """Walks the rows of a document's grids in order and emits Stats."""

    def __init__(self) -> None:
        self.stats: list[Stat] = []
        self.keys: set[tuple[str, str, str]] = set()
        self.warnings: list[str] = []
        self.mode: str | None = None
        self.pending: list[str] = []
        self.header_rows: list[list[Cell]] = []
        self.colmap: dict[int, object] | None = None
        self.colmap_width = 0
        self.colmap_grid: Grid | None = None
        self.group: str | None = None
        self.hier: dict[float, str] = {}
        self.indicator_keys: dict[str, tuple[Stat, int]] = {}
        self.t2_header: dict[int, str] = {}
        self.t2_order: list[str] = []
        self.has_indicator = False
        self.data_rows = 0
        self.t3_other: set[str] = set()
        self.t2_cols: set[str] = set()
        self.values: dict[tuple[str, str, str], float] = {}
        self.sources: dict[tuple[str, str, str], str] = {}
        self.blanks: dict[tuple[str, str, str], Stat] = {}
        self.conflicts: list[str] = []
        self.blank_row: tuple | None = None   # a table 三 row with a label and only empty cells
        self.t3_seen: dict[str, int] = {}       # table 三 rows read by their label (this table), in order
        self.t3_unlabelled: list[tuple] = []    # flattened table 三 rows without a label of their own
        self.t4_done: list[str] = []            # table 四 blocks read, in order

    # -- driver --
    def run(self, grids: list[Grid]) -> None:
        last_width = None
        for g in grids:
            self.header_rows = []
            width = len(g.rows[0]) if g.rows else 0
            if self.mode == "indicator" and g.aligned and width != last_width:
                self.switch(None)     # another table (page chrome, contacts), not a continuation
            last_width = width
            for r, row in enumerate(g.rows):
                try:
                    self.row(g, r, row)
                except Exception as e:  # a malformed row must not lose the rest of the document
                    if isinstance(e, MemoryError):   # the sandbox's memory limit: not a damaged file
                        raise
                    self.warnings.append(f"{g.source(r, 0)}: {type(e).__name__}: {e}")
        self.flush_blank_row()
        self.resolve_unlabelled()

    def switch(self, mode: str | None) -> None:
        self.flush_blank_row()
        self.resolve_unlabelled()
        if mode != self.mode:
            self.t4_done = []
        self.mode = None if mode == "end" else mode
        self.pending, self.header_rows = [], []
        self.colmap, self.colmap_grid, self.group, self.hier = None, None, None, {}
        self.t2_header, self.t2_order = {}, []
        self.data_rows = 0

    def emit(self, table: str, row: str, col: str, value: float | None, label: str,
             unit: str | None, source: str) -> None:
        """One figure; an empty cell (value None) of table 三/四 is recorded as a blank. A figure
        that cannot be a count is refused with a warning; a key read twice keeps the first value
        and a different second value is a conflict (the rows were read wrongly somewhere)."""
        key = (table, row, col)
        if value is None:
            if table in ("3", "4") and key not in self.keys:
                self.blanks.setdefault(key, Stat(table, row, col, None, label, unit, source))
            return
        if key in self.keys:
            held = self.values[key]
            if held != value:
                self.conflicts.append(f"{source}: {'/'.join(key)} read again as {value:g} "
                                      f"(first {held:g} at {self.sources[key]})")
            return
        problem = L.invalid_value(table, col, value)
        if problem:
            self.warnings.append(f"{source}: table {table} {row}/{col}: {problem}, not taken")
            return
        self.keys.add(key)
        self.values[key], self.sources[key] = value, source
        self.blanks.pop(key, None)
        self.stats.append(Stat(table, row, col, value, label, unit, source))

    def row(self, g: Grid, r: int, row: list[Cell]) -> None:
        if not g.aligned and g.widths:
            row = row[:g.widths[r]]        # padding is not empty cells: a flattened row keeps its own
        cells = _distinct(row)
        labels: list[tuple[int, str]] = []     # (column, text)
        last_label = -1
        valued = False
        for c, cell in cells:
            t = cell.text
            if not t:
                continue
            ok, v, _ = L.parse_value(t)
            if ok:
                valued = True
            elif not L.is_unit(t):
                labels.append((c, t))
                last_label = c
        # cue cells switch the table; the row's own label (a data row's last label) does not
        cue_at, kind = -1, None
        for i, (c, t) in enumerate(labels):
            k = cue(t)
            if k and not (valued and i == len(labels) - 1 and self.mode is not None):
                cue_at, kind = i, k
        if kind:
            self.switch(kind)
            labels = labels[cue_at + 1:]
            if self.mode == "indicator":
                self.has_indicator = True
        own_labels = [t for _, t in labels]
        if self.blank_row is not None:
            # the row before printed a label and nothing else: a blank row of its own when this
            # row has its own different label, else the first line of this row's label
            k = L.t3_row_key(own_labels, self.group) if own_labels else None
            if k is not None and k != self.blank_row[4]:
                self.flush_blank_row()
            else:
                self.blank_row = None
        if not valued:
            if self.mode is not None:
                if self.mode == "t3" and g.aligned and self.data_rows and own_labels:
                    k = L.t3_row_key(own_labels, self.group)
                    if k is not None:
                        self.blank_row = (g, r, row, len(self.pending), k, last_label)
                self.header_rows.append(row)
                self.pending.extend(t for _, t in labels)
                if self.mode == "t2":
                    self.t2_headers(g, row)
            return
        if self.mode == "t3" and not g.aligned and not own_labels:
            # flattened text: a row of figures whose label went elsewhere (PDF to text/markdown
            # pulls labels out of the table); lines of free text before it are not its label
            self.t3_unlabelled.append((g, r, row, len(self.t3_seen)))
            self.pending, self.header_rows = [], []
            self.data_rows += 1
            return
        parts = self.pending + [t for _, t in labels]
        own = [t for _, t in labels]
        if self.pending and self.data_rows:   # a label split over two rows: keep it whole
            own = self.pending + own
        self.pending = []
        if self.mode is None:
            if parts and L.T3_MARKERS.search(parts[-1]):
                self.switch("t3")
            elif parts and L.t2_row_key(parts[-1]):
                self.switch("t2")
            else:
                return
        if self.mode == "t3":
            self.t3_row(g, r, row, parts, own, last_label)
        elif self.mode == "t4":
            self.t4_row(g, r, row, parts, last_label)
        elif self.mode == "t2":
            self.t2_row(g, r, row, parts, own, last_label)
        elif self.mode == "indicator":
            self.indicator_row(g, r, row, parts)
        self.header_rows = []
        self.data_rows += 1

    def flush_blank_row(self) -> None:
        """Read the pending blank row of table 三 as a row whose every figure cell is empty."""
        if self.blank_row is None or self.mode != "t3":
            self.blank_row = None
            return
        g, r, row, n_pending, _, last_label = self.blank_row
        self.blank_row = None
        parts = self.pending[n_pending:]
        self.pending = self.pending[:n_pending]
        header_rows, self.header_rows = self.header_rows, []
        self.t3_row(g, r, row, parts, parts, last_label)
        self.header_rows = [h for h in header_rows if h is not row]

    # -- helpers --
    @staticmethod
    def values_after(row: list[Cell], last_label: int, keep_empty: bool) -> list[tuple[int, Cell]]:
        """Value cells right of the last label cell, in order (merged duplicates once)."""
        out = []
        for c, cell in _distinct(row):
            if c <= last_label:
                continue
            ok, v, _ = L.parse_value(cell.text)
            if ok and (cell.text or keep_empty):
                out.append((c, cell))
        return out

    def header_map(self, g: Grid, width: int, rule, good) -> dict[int, object]:
        """Column -> key from the header rows above (bottom-up: the most specific header wins).
        Without a good header of its own, a row keeps the map of the rows above it in the same
        grid, or of the previous grid when this one continues it (same width, no header)."""
        if not g.aligned:
            return {}
        if self.header_rows:
            m = {}
            for c in range(width):
                texts = []
                for hr in reversed(self.header_rows):
                    if c < len(hr) and hr[c].text and (not texts or texts[-1] != hr[c].text):
                        texts.append(hr[c].text)
                if len(texts) > 1:      # words split over header lines (社会公 / 益组织): joined last
                    texts.append("".join(reversed(texts)))
                k = rule(texts)
                if k is not None:
                    m[c] = k
            if good(m):
                self.colmap, self.colmap_width, self.colmap_grid = m, width, g
                return m
        if self.colmap is not None and (self.colmap_grid is g or self.colmap_width == width):
            return self.colmap
        return {}

    # -- table 三 --
    def t3_row(self, g: Grid, r: int, row: list[Cell], parts: list[str], own: list[str],
               last_label: int) -> None:
        key = L.t3_row_key(parts, self.group)
        grp = None
        for p in parts:
            grp = L.t3_group(p) or grp
        if key in T3_TOP:
            self.group = None
        elif key and "." in key:      # a numbered row names its group, whatever header words came before
            self.group = key.split(".")[0]
        elif grp:
            self.group = grp
        if key is None:
            if not g.aligned and not any(L.is_marked(p) for p in own) \
                    and len(self.values_after(row, last_label, keep_empty=False)) == len(T3_COLS):
                # an unnumbered fragment of a label (a cell's second line) beside the row's 7 figures
                self.warnings.append(f"{g.source(r, 0)}: table 三 row label not recognised "
                                     f"({' '.join(parts)[:40]}): its figures wait for template order")
                self.t3_unlabelled.append((g, r, row, len(self.t3_seen)))
                return
            vals = self.values_after(row, last_label, keep_empty=True)
            if g.aligned and len(vals) >= len(T3_COLS) and any(cell.text for _, cell in vals[-len(T3_COLS):]):
                # a ruled row whose label is unreadable (OCR) or off the vocabulary: its figures wait
                # for template order, taken only where they fit exactly (resolve_unlabelled)
                self.warnings.append(f"{g.source(r, 0)}: table 三 row label not recognised "
                                     f"({' '.join(parts)[:40]}): its figures wait for template order")
                self.t3_unlabelled.append((g, r, [cell for _, cell in vals[-len(T3_COLS):]], len(self.t3_seen)))
                return
            self.warnings.append(f"{g.source(r, 0)}: table 三 row not recognised: {' '.join(parts)[:60]}")
            return
        if not g.cells_per_line:
            self.t3_seen.setdefault(key, len(self.t3_seen))
        if key.startswith("other"):
            self.t3_other.add(key)
        label = " ".join(own or parts[-1:])

        def rule(texts):
            for t in texts:
                k = L.t3_col_key(t)
                if k:
                    return (k, t)
            return None

        cmap = self.header_map(g, len(row), rule, lambda m: len({v[0] for v in m.values()}) >= 6)
        if len({v[0] for v in cmap.values()}) >= 6:
            for c, (ck, printed) in cmap.items():
                if c > last_label:
                    ok, v, u = L.parse_value(row[c].text)
                    if ok:
                        self.emit("3", key, ck, v, f"{label} / {printed}", u, g.source(r, c))
            return
        vals = self.values_after(row, last_label, keep_empty=True)
        while vals and not vals[-1][1].text and len(vals) > len(T3_COLS):
            vals.pop()
        filled = [(c, cell) for c, cell in vals if cell.text]
        if not g.aligned and len(vals) < len(T3_COLS) and self.run_together(
                g, r, "3", key, label, filled, [(key, c) for c in T3_COLS],
                lambda f: sum(f[:6]) == f[6]):
            return
        if len(vals) < len(T3_COLS) and len(filled) == 1 and not g.aligned and not g.cells_per_line \
                and len(filled[0][1].text) < 7:
            # flattened text keeps one figure where the page merged the row's cells (0 across
            # the row) or printed only the total: read it as the total
            (c, cell), = filled
            _, v, u = L.parse_value(cell.text)
            self.warnings.append(f"{g.source(r, 0)}: table 三 row {key}: one figure, read as the total")
            self.emit("3", key, "total", v, f"{label} / {L.T3_COL_LABELS['total']}", u, g.source(r, c))
            return
        if not g.aligned and len(vals) == len(T3_COLS) - 1 and self.one_cell_lost(g, r, key, label, vals):
            return
        if len(vals) != len(T3_COLS) and not (g.aligned and len(vals) > len(T3_COLS)):
            self.warnings.append(f"{g.source(r, 0)}: table 三 row {key}: {len(vals)} values, expected 7")
            return
        self.t3_seen.setdefault(key, len(self.t3_seen))
        for (c, cell), ck in zip(vals[-len(T3_COLS):], T3_COLS):
            _, v, u = L.parse_value(cell.text)
            self.emit("3", key, ck, v, f"{label} / {L.T3_COL_LABELS[ck]}", u, g.source(r, c))

    def one_cell_lost(self, g: Grid, r: int, key: str, label: str, vals: list[tuple[int, Cell]]) -> bool:
        """Six figures for seven columns (flattening dropped an empty cell): try the lost cell in each
        column; where every placement the row's arithmetic allows (total = applicants, counts >= 0)
        gives the same row, read it, the lost cell a blank (infer.py fills it). True when read."""
        figs = [L.parse_value(cell.text)[1] for _, cell in vals]
        if any(v is None for v in figs):
            return False
        placements: dict[tuple, int] = {}
        for k in range(len(T3_COLS)):
            full = figs[:k] + [0.0] + figs[k:]
            full[k] = sum(full[:6]) if k == 6 else full[6] - sum(full[:6])
            if full[k] >= 0:
                placements.setdefault(tuple(full), k)
        if len(placements) != 1:
            return False
        (lost,) = placements.values()
        self.t3_seen.setdefault(key, len(self.t3_seen))
        self.warnings.append(f"{g.source(r, 0)}: table 三 row {key}: 6 values, the lost cell "
                             f"({T3_COLS[lost]}) placed by the row's arithmetic")
        it = iter(vals)
        for k, ck in enumerate(T3_COLS):
            if k == lost:
                self.emit("3", key, ck, None, f"{label} / {L.T3_COL_LABELS[ck]}", None,
                          f"{g.source(r, 0)} (cell lost in flattening)")
                continue
            c, cell = next(it)
            _, v, u = L.parse_value(cell.text)
            self.emit("3", key, ck, v, f"{label} / {L.T3_COL_LABELS[ck]}", u, g.source(r, c))
        return True

    def run_together(self, g: Grid, r: int, table: str, what: str, label: str,
                     vals: list[tuple[int, Cell]], keys: list[tuple[str, str]], valid) -> bool:
        """Too few figures, some of several digits (`801000081`): digits run together. Split them
        when exactly one split fits the row's arithmetic (runs.py); True when the row was read."""
        texts = [cell.text for _, cell in vals if cell.text]
        if not texts or all(len(t) == 1 for t in texts) or not all(t.isdigit() for t in texts):
            return False
        figures, why = split_run(texts, len(keys), valid)
        if figures is None:
            self.warnings.append(f"{g.source(r, 0)}: table {'三' if table == '3' else '四'} {what}: "
                                 f"digits run together ({' '.join(texts)}), {why}: not read")
            return True
        self.warnings.append(f"{g.source(r, 0)}: {what}: digits run together ({' '.join(texts)}) "
                             f"split by the row's arithmetic")
        src = g.source(r, vals[0][0]) + " (run-together digits split)"
        for (row_key, col), v in zip(keys, figures):
            names = L.T3_COL_LABELS if table == "3" else L.T4_COL_LABELS
            lab = f"{label} / {names[col]}" if table == "3" else f"{L.T4_GROUP_LABELS[row_key]} / {names[col]}"
            self.emit(table, row_key, col, float(v), lab, None, src)
        if table == "4":
            self.t4_done = list(T4_ROWS)
        else:
            self.t3_seen.setdefault(keys[0][0], len(self.t3_seen))
        return True

    def resolve_unlabelled(self) -> None:
        """Rows of a flattened table 三 without a label of their own take, in order, the template
        rows no labelled row took, but only when they are exactly as many, each has 7 figures and
        each falls between the labelled rows read before and after it in template order; otherwise
        none is taken (a row is never moved to a neighbour's place)."""
        rows, self.t3_unlabelled = self.t3_unlabelled, []
        seen, self.t3_seen = self.t3_seen, {}
        if not rows:
            return
        full = []
        for g, r, row, before in rows:
            vals = self.values_after(row, -1, keep_empty=True)
            while vals and not vals[-1][1].text and len(vals) > len(T3_COLS):
                vals.pop()          # the grid's padding, not cells of this row
            if len(vals) == len(T3_COLS):
                full.append((g, r, vals, before))
            else:
                self.warnings.append(f"{g.source(r, 0)}: table 三 row without a label: {len(vals)} values, "
                                     f"expected 7, not read")
        template = self.template()
        if not full:
            return
        if template is None:
            self.warnings.append(f"{len(full)} table 三 rows without a label not read: template unknown")
            return
        order = t3_rows(2019 if "other" in seen else template)
        slots = [k for k in order if k not in seen]
        if len(slots) != len(full):
            self.warnings.append(f"{len(full)} table 三 rows without a label for {len(slots)} template rows "
                                 f"not read by label ({', '.join(slots[:6])}): not read")
            return
        pos = {k: i for i, k in enumerate(order)}
        labelled = sorted(seen, key=seen.get)           # in the order they were read
        for key, (g, r, _, before) in zip(slots, full):
            earlier = [pos.get(k, -1) for k in labelled[:before]]
            later = [pos.get(k, len(order)) for k in labelled[before:]]
            if (earlier and max(earlier) > pos[key]) or (later and min(later) < pos[key]):
                self.warnings.append(f"{g.source(r, 0)}: table 三 row without a label would be {key}, out of "
                                     f"order with the labelled rows around it: none of the {len(full)} read")
                return
        for key, (g, r, vals, _) in zip(slots, full):
            if key.startswith("other"):
                self.t3_other.add(key)
            for (c, cell), ck in zip(vals, T3_COLS):
                _, v, u = L.parse_value(cell.text)
                self.emit("3", key, ck, v, f"[{key}, by template order] / {L.T3_COL_LABELS[ck]}", u,
                          g.source(r, c) + " (template order)")
        self.warnings.append(f"{len(full)} table 三 rows without a label read in template order as "
                             + ", ".join(slots))

    # -- table 四 --
    def t4_row(self, g: Grid, r: int, row: list[Cell], parts: list[str], last_label: int) -> None:
        spans = [None]        # a group heading printed once over its columns (a merged cell a PDF's
                              # ruled reading gives only at its first column) covers those to its right

        def rule(texts):      # header_map asks column by column, left to right
            grp = next((L.t4_group(t) for t in texts if L.t4_group(t)), None)
            out = next((L.t4_col_key(t) for t in texts if L.t4_col_key(t)), None)
            if grp:
                spans[0] = grp
            elif out:
                grp = spans[0]
            return (grp, out) if grp and out else None

        n = len(T4_ROWS) * len(T4_COLS)
        cmap = self.header_map(g, len(row), rule, lambda m: len(set(m.values())) == n)
        if len(set(cmap.values())) == n:
            for c, (grp, out) in cmap.items():
                ok, v, u = L.parse_value(row[c].text)
                if ok:
                    label = f"{L.T4_GROUP_LABELS[grp]} / {L.T4_COL_LABELS[out]}"
                    self.emit("4", grp, out, v, label, u, g.source(r, c))
            return
        vals = self.values_after(row, last_label, keep_empty=not g.aligned)
        while vals and not vals[-1][1].text and len(vals) > len(T4_COLS):
            vals.pop()          # the grid's padding, not cells of this row
        if len(vals) == len(T4_COLS):
            self.t4_block(g, r, vals, parts)
            return
        if not g.aligned and len(vals) < n and self.run_together(
                g, r, "4", "table 四", "", vals, [(grp, out) for grp in T4_ROWS for out in T4_COLS],
                lambda f: all(sum(f[i:i + 4]) == f[i + 4] for i in range(0, n, 5))):
            return
        if len(vals) < n or (len(vals) > n and not g.aligned):
            self.warnings.append(f"{g.source(r, 0)}: table 四 row: {len(vals)} values, expected 15 (or 5)")
            return
        self.t4_done = list(T4_ROWS)
        keys = [(grp, out) for grp in T4_ROWS for out in T4_COLS]
        for (c, cell), (grp, out) in zip(vals[-n:], keys):
            _, v, u = L.parse_value(cell.text)
            label = f"{L.T4_GROUP_LABELS[grp]} / {L.T4_COL_LABELS[out]}"
            self.emit("4", grp, out, v, label, u, g.source(r, c))

    def t4_block(self, g: Grid, r: int, vals: list[tuple[int, Cell]], parts: list[str]) -> None:
        """Five figures: one block of table 四 (a table split into three 5-column tables). Its block
        is the one its heading names (行政复议 / 未经复议直接起诉 / 复议后起诉), else the next one in
        template order; its columns the order its header words give, else the template's."""
        grp = next((k for p in reversed(parts) if (k := L.t4_group(p))), None)
        named = grp is not None
        if grp is None:
            left = [k for k in T4_ROWS if k not in self.t4_done]
            later = [k for k in left if not self.t4_done or T4_ROWS.index(k) > T4_ROWS.index(self.t4_done[-1])]
            grp = later[0] if later else None
        if grp is None or grp in self.t4_done:
            self.warnings.append(f"{g.source(r, 0)}: table 四: 5 values, no block left for them, not read")
            return
        heads = [k for p in parts if (k := L.t4_col_key(p))]
        cols = heads[-5:] if len(set(heads[-5:])) == 5 else list(T4_COLS)
        self.t4_done.append(grp)
        if not named:
            self.warnings.append(f"{g.source(r, 0)}: table 四 block without a heading read as {grp} (template order)")
        for (c, cell), out in zip(vals, cols):
            _, v, u = L.parse_value(cell.text)
            self.emit("4", grp, out, v, f"{L.T4_GROUP_LABELS[grp]} / {L.T4_COL_LABELS[out]}", u, g.source(r, c))

    # -- table 二 --
    def t2_headers(self, g: Grid, row: list[Cell]) -> None:
        m = {c: (k, cell.text) for c, cell in _distinct(row) if (k := L.t2_col_key(cell.text))}
        if m:
            self.t2_header = m
            self.t2_order = [v[0] for v in m.values()]

    def t2_row(self, g: Grid, r: int, row: list[Cell], parts: list[str], own: list[str],
               last_label: int) -> None:
        heads = [k for p in parts if (k := L.t2_col_key(p))]
        if heads and not g.aligned:
            self.t2_order, self.t2_header = heads, {}
        key = L.t2_row_key(parts[-1]) if parts else None
        if key is None:
            return
        label = " ".join(own or parts[-1:])
        allowed = _T2_ALLOWED[key]
        if g.aligned and self.t2_header:
            for c, (ck, printed) in self.t2_header.items():
                if c > last_label and c < len(row) and ck in allowed:
                    ok, v, u = L.parse_value(row[c].text)
                    if ok:
                        self.t2_cols.add(ck)
                        self.emit("2", key, ck, v, f"{label} / {printed}", u, g.source(r, c))
            return
        vals = self.values_after(row, last_label, keep_empty=False)
        for (c, cell), ck in zip(vals, self.t2_order):
            if ck in allowed:
                _, v, u = L.parse_value(cell.text)
                self.t2_cols.add(ck)
                self.emit("2", key, ck, v, f"{label} / {ck}", u, g.source(r, c))

    # -- indicator tables --
    def indicator_row(self, g: Grid, r: int, row: list[Cell], parts: list[str]) -> None:
        def rule(texts):
            for t in texts:
                if t == "单位":
                    return "unit"
                if t == "代码":
                    return "code"
                if _INDICATOR_LABEL_HEAD.match(t):
                    return "label"
                if _INDICATOR_VALUE_HEAD.search(t):
                    return "value"
            return None

        cmap = self.header_map(g, len(row), rule, lambda m: "value" in m.values())
        value_cols = [c for c, k in cmap.items() if k == "value"]
        unit = None
        value_cell: tuple[int, Cell] | None = None
        if value_cols:
            unit_cols = [c for c, k in cmap.items() if k == "unit"]
            if unit_cols and row[unit_cols[0]].text:
                unit = row[unit_cols[0]].text
            value_cell = (value_cols[0], row[value_cols[0]])
        else:
            vals = [(c, cell) for c, cell in _distinct(row) if cell.text and L.parse_value(cell.text)[0]]
            units = [cell.text for _, cell in _distinct(row) if cell.text and L.is_unit(cell.text)]
            unit = units[0] if units else None
            value_cell = vals[-1] if vals else None
        path, own_label = self.indicator_path(parts, g.aligned)
        if not path or value_cell is None:
            return
        ok, v, vunit = L.parse_value(value_cell[1].text)
        if not ok or v is None:
            return
        problem = L.invalid_value("indicator", "value", v)   # the same validation as every other figure
        if problem:
            self.warnings.append(f"{g.source(r, value_cell[0])}: indicator {path}: {problem}, not taken")
            return
        unit = unit or vunit
        stat = Stat("indicator", path, "value", v, path, unit, g.source(r, value_cell[0]))
        if ("indicator", path, "value") in self.keys:
            return
        self.keys.add(("indicator", path, "value"))
        self.stats.append(stat)
        key = L.indicator_key(own_label, path.split(" / ")[:-1], unit)
        if key:
            rank = L.indicator_rank(own_label)
            held = self.indicator_keys.get(key)
            if held is None or rank < held[1]:
                if held is not None:          # a better row for this meaning: the old one keeps its path
                    held[0].row = held[0].label
                stat.row = key
                self.indicator_keys[key] = (stat, rank)

    def indicator_path(self, parts: list[str], aligned: bool) -> tuple[str, str]:
        """The row's label path (docs/keys.md) and its own label, updating the hierarchy:
        一、 > (一) > merged group cell > 1. > unnumbered (其中: ...)."""
        parts = [p for p in parts if p not in _INDICATOR_HEAD_WORDS]
        if not aligned:          # text: a line that starts no label continues the one above
            merged: list[str] = []
            for p in parts:
                if merged and not L.is_marked(p) and not L.is_note(merged[-1]):
                    merged[-1] += p
                else:
                    merged.append(p)
            parts = merged
        parts = [L.strip_note(L.canonical_label(p)) for p in parts if not L.is_note(p)]
        if not parts:
            return "", ""
        *above, own = parts
        for i, p in enumerate(above):
            nxt = parts[i + 1]
            lv = L.level(p)
            if lv:
                self.set_level(lv, p)
            elif p != self.hier.get(2.5) and L.level(nxt) == 3:
                self.set_level(2.5, p)          # a merged group cell (按信息类别分) over 1. 2. rows
        lv = L.level(own)
        parents = [self.hier[k] for k in sorted(self.hier) if not lv or k < lv]
        if lv:
            self.set_level(lv, own)
        return " / ".join([*parents, own]), own

    def set_level(self, lv: float, label: str) -> None:
        self.hier = {k: v for k, v in self.hier.items() if k < lv}
        self.hier[lv] = label

    def template(self) -> int | None:
        """2021 when table 三 splits 其他处理 in three or table 二 has the 2021 columns
        (some 2021 reports keep a single 其他处理 row); else 2019 when either shows 2019."""
        if self.t3_other & {"other.no_correction", "other.no_fee_paid", "other.other"} \
                or self.t2_cols & L.T2_2021_ONLY:
            return 2021
        if "other" in self.t3_other or self.t2_cols & L.T2_2019_ONLY:
            return 2019
        return None


def stats_from_grids(grids: list[Grid], text: str = "") -> TableResult:
    """The mapping layer: Stats of every statistics table in these grids (document order)."""
    m = _Mapper()
    m.run(grids)
    template = m.template()
    if template:      # a column of the other generation (2019's 行政许可 printing a 处理决定数量 cell)
        gen = T2_COLS[template]
        off = [s for s in m.stats if s.table == "2" and s.col not in gen.get(s.row, ())]
        if off:
            m.warnings.append(f"table 二: {len(off)} figures under columns the {template} template does not "
                              f"have, not taken (e.g. {off[0].row}/{off[0].col} at {off[0].source})")
            m.stats = [s for s in m.stats if not (s.table == "2" and s.col not in gen.get(s.row, ()))]
    blanks = list(m.blanks.values())
    if any(b.row.startswith("other.") for b in blanks) or m.t3_other - {"other"}:
        blanks = [b for b in blanks if b.row != "other"]   # a 2021 (六)其他处理 group row, not a row
    printed, ocr_warnings, ocr_failing = confirm_ocr(m.stats, template)
    inferred, warnings = infer_blanks(printed, blanks, template)
    stats = printed + inferred
    done = {(s.table, s.row, s.col) for s in inferred}
    blanks = [b for b in blanks if (b.table, b.row, b.col) not in done]
    found_checks = checks.run_checks(stats, template)
    reason = checks.review_reason(stats, blanks, found_checks, m.conflicts)
    if ocr_failing:
        reason = "; ".join(filter(None, [reason, f"OCR'd figures fail {', '.join(ocr_failing)}"]))
    warnings = ocr_warnings + warnings
    if reason:
        warnings.append(f"needs review: {reason}")
    return TableResult(stats=stats, template=template, has_indicator_table=m.has_indicator,
                       text=text, warnings=m.warnings + warnings, blanks=blanks, needs_review=reason,
                       checks=found_checks, source_tables=source_tables(grids, stats, text))


def stats_from_html(root) -> TableResult:
    """Every statistics table under an lxml.html element (the report body, or the whole page)."""
    return stats_from_grids(html_grids(root))


def stats_from_text(text: str) -> TableResult:
    """Tables flattened into text: `|`-separated rows, or one cell per line (values may sit
    some lines after their label; a unit line may come between)."""
    return stats_from_grids(text_grids(text), text)
