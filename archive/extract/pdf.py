"""PDF reports: text of every page and their statistics tables, through the one mapping layer.

pdfplumber finds ruled tables (the lines strategy); a merged cell comes back as one cell plus
None at the positions it covers, which we resolve through the cell boxes so the Grid repeats
the same Cell there (as rowspan/colspan do in HTML). A page with no ruled table but table-like
text falls back to its text lines, each split into a label and the numbers that end it.
A page that cannot be read (broken font, no Unicode map, parser error) gives a warning.

Every page is also read from its words' positions (positions.py: columns from where the figures
sit, not from ruling lines, which word processors draw incompletely or not at all). The reading
with the better balance of its tables' own checks wins (passed minus failed; then more
figures; then the ruled one).

A page without a text layer (a scan), or whose text is garbled, is rasterised and OCR'd
(ocr.py, Tesseract): its text and position tables come from the OCR words, its grids are named
`ocr pN ...` so every figure read there says so in its source, and `ocr_pages` counts them.
"""
from __future__ import annotations

import io
import logging
import re
import time
from dataclasses import dataclass, fields

import pdfplumber

from archive.extract import checks, ocr
from archive.extract.grid import Cell, Grid, rows_grid
from archive.extract.labels import norm
from archive.extract.model import TableResult
from archive.extract.positions import BLANK, Word, is_value, page_grids, page_text
from archive.extract.tables import stats_from_grids


for _noisy in ("pdfminer", "pdfplumber"):
    logging.getLogger(_noisy).setLevel(logging.ERROR)

_TABULAR = re.compile(r"本年新收|予以公开|行政复议|指标名称|统计指标|本年制发|新制作|信息内容")
_LINE_ROW = re.compile(r"^(?P<label>.*?\D)?\s*(?P<nums>(?:[-—/]|\d[\d,]*(?:\.\d+)?)(?:\s+(?:[-—/]|\d[\d,]*(?:\.\d+)?))*)\s*$")


class PdfReadError(ValueError):
    """The bytes are not a PDF pdfplumber can open (damaged, or protected by a password)."""


@dataclass
class PdfResult(TableResult):
    ocr_pages: int = 0                 # pages whose text and tables were read by OCR
    ocr_seconds: float = 0.0


_NO_TEXT = 20                          # characters: a page with fewer has no text layer (a scan)


def _garbled(text: str) -> bool:
    """Text from a font without a usable Unicode map: (cid:NN) runs or private-use glyphs."""
    if not text:
        return False
    bad = text.count("(cid:") * 6 + sum(1 for ch in text if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd")
    return bad > max(20, len(text) * 0.1)


def table_grid(table, name: str, texts: list[list[str | None]] | None = None) -> Grid:
    """A pdfplumber Table as a Grid: each None (a position covered by a merged cell) becomes
    the Cell whose box covers that position. `texts` (rows of cell texts, as Table.extract gives
    them) for a table whose text is not the page's characters (an OCR'd scan)."""
    texts = table.extract() if texts is None else texts
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


def _words(page) -> list[Word]:
    """The page's words, and its space characters as blank-cell markers (positions.BLANK): word
    processors put a space in an empty table cell."""
    words = [Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in page.extract_words()]
    words += [Word(BLANK, c["x0"], c["x1"], c["top"], c["bottom"]) for c in page.chars
              if c["text"] in (" ", "\u3000", "\xa0")]
    return words


def _out_of_memory(e: BaseException) -> bool:
    """The sandbox's memory limit, however the library wraps it: a MemoryError, one behind the exception
    (its cause or context), or pdfminer's 'Unable to allocate output buffer'."""
    return (isinstance(e, MemoryError) or isinstance(e.__cause__, MemoryError)
            or isinstance(e.__context__, MemoryError) or "unable to allocate" in str(e).lower())


def _open(data: bytes):
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        return pdf, pdf.pages
    except Exception as e:
        if _out_of_memory(e):   # the sandbox's memory limit: not a damaged file
            raise MemoryError(str(e)) from e
        if "password" in f"{type(e).__name__} {e!r}".lower():
            raise PdfReadError("password-protected PDF: cannot be read without its password") from e
        raise PdfReadError(f"not a readable PDF ({type(e).__name__}: {e})") from e


def read_pdf(data: bytes) -> PdfResult:
    """Text of all pages (tables included) and the Stats of every statistics table."""
    pdf, pages = _open(data)
    texts: list[str] = []
    ruled: list[Grid] = []             # the ruled-table reading (pdfplumber's lines strategy)
    placed: list[Grid] = []            # the word-position reading
    warnings: list[str] = []
    scanned: list[int] = []
    with pdf:
        for pno, page in enumerate(pages, 1):
            try:
                text = page.extract_text() or ""
            except Exception as e:
                if _out_of_memory(e):   # the sandbox's memory limit: not a damaged file
                    raise MemoryError(str(e)) from e
                warnings.append(f"pdf p{pno}: text unreadable ({type(e).__name__}: {e})")
                text = ""
            if _garbled(text) or len(norm(text)) < _NO_TEXT:
                why = "font without a Unicode map" if _garbled(text) else "no text layer"
                warnings.append(f"pdf p{pno}: text unreadable ({why})")
                texts.append("")
                scanned.append(pno)
                page.close()
                continue
            texts.append(text)
            try:
                tables = page.find_tables()
                for ti, t in enumerate(tables):
                    ruled.append(table_grid(t, f"pdf p{pno} table[{ti}]"))
                tabular = _TABULAR.search(text)
                if not any(len(t.rows) > 1 and len(t.rows[0].cells) > 1 for t in tables) and tabular:
                    ruled.append(text_lines_grid(text, f"pdf p{pno} text"))
                grids, warn = page_grids(_words(page), f"pdf p{pno}")
                if not grids and tabular:
                    grids = [text_lines_grid(text, f"pdf p{pno} text")]
                placed += grids
                warnings += warn
            except Exception as e:
                if _out_of_memory(e):   # the sandbox's memory limit: not a damaged file
                    raise MemoryError(str(e)) from e
                warnings.append(f"pdf p{pno}: tables unreadable ({type(e).__name__}: {e})")
            finally:
                page.close()
    n_ocr, seconds = _ocr_pages(data, scanned, texts, placed, ruled, warnings)
    text = "\n".join(texts)
    res_ruled, res_placed = stats_from_grids(ruled, text), stats_from_grids(placed, text)
    res = _best(res_ruled, res_placed)
    if not n_ocr:
        res = _by_table(res, res_placed if res is res_ruled else res_ruled, ruled + placed, text)
    res.warnings = warnings + res.warnings
    return PdfResult(**{f.name: getattr(res, f.name) for f in fields(TableResult)},
                     ocr_pages=n_ocr, ocr_seconds=seconds)


def _ocr_pages(data: bytes, scanned: list[int], texts: list[str], placed: list[Grid],
               ruled: list[Grid], warnings: list[str]) -> tuple[int, float]:
    """OCR the pages without a usable text layer, in place: their text goes into texts, their
    position grids into both readings at the page's place. Returns (pages OCR'd, seconds)."""
    if not scanned:
        return 0, 0.0
    why = ocr.available()
    if why:
        warnings.append(f"pdf: {len(scanned)} page(s) without a text layer not OCR'd: {why}")
        return 0, 0.0
    if len(scanned) > ocr.MAX_PAGES:
        warnings.append(f"pdf: only the first {ocr.MAX_PAGES} of {len(scanned)} pages without text OCR'd")
    done, t0 = 0, time.perf_counter()
    for pno in scanned[:ocr.MAX_PAGES]:
        if time.perf_counter() - t0 > ocr.DOCUMENT_BUDGET:
            warnings.append(f"pdf: OCR stopped before page {pno}: {ocr.DOCUMENT_BUDGET:.0f} s spent")
            break
        try:
            png, edges = ocr.render_pdf_page_lines(data, pno - 1)
            words = ocr.ocr_image(png)
            texts[pno - 1] = page_text(words)
            reread = lambda boxes, png=png: ocr.reread_cells(png, boxes)  # noqa: E731
            grids, warn = page_grids(words, f"ocr p{pno}", reread=reread)
            lattice = ocr_table_grids(ocr.ruled_tables(edges), words, f"ocr p{pno}",
                                      lambda boxes, png=png: ocr.reread_cells(png, boxes, heights=ocr.CELL_HEIGHTS))
        except Exception as e:
            if _out_of_memory(e):   # the sandbox's memory limit: not a damaged file
                raise MemoryError(str(e)) from e
            warnings.append(f"pdf p{pno}: OCR failed ({type(e).__name__}: {e})")
            continue
        done += 1
        warnings += warn
        # the ruled reading of a scan: the cells its ruling lines enclose (none: the position tables)
        for reading, page_grids_ in ((placed, grids), (ruled, lattice or grids)):
            at = next((i for i, g in enumerate(reading) if _page_of(g) > pno), len(reading))
            reading[at:at] = page_grids_      # keep page order: before the first later page's grid
    seconds = time.perf_counter() - t0
    warnings.append(f"pdf: {done} page(s) read by OCR (Tesseract {ocr.LANGS}, {ocr.DPI} dpi) in "
                    f"{seconds:.1f} s ({done / max(seconds, 1e-9):.2f} pages/s); their figures' sources "
                    "start with 'ocr'")
    return done, seconds


_CJK = re.compile(r"[\u3400-\u9fff]")


def _cell_text(words: list[Word]) -> str:
    """The page-OCR words inside one cell, in reading order (lines top to bottom)."""
    return norm(page_text(words).replace("\n", "")) if words else ""


def ocr_table_grids(tables: list[list[tuple]], words: list[Word], name: str, reread) -> list[Grid]:
    """Grids of a scanned page's ruled tables (ocr.ruled_tables: cell boxes from the ruling lines in
    the image). A cell's text is the page-OCR words whose centre lies in it; every cell without
    letters or CJK text (a figure, or nothing read) is OCR'd again alone by `reread` (digits, one
    line: page-mode OCR drops isolated digits and misreads others), and that reading is the cell's;
    a cell without ink is empty. Grids are named `ocr pN table[i]`: their figures' sources say OCR."""
    from pdfplumber.table import Table
    out = []
    for ti, cells in enumerate(tables):
        inside: dict[tuple, list[Word]] = {c: [] for c in cells}
        for w in words:
            for c in cells:
                if c[0] <= w.xc <= c[2] and c[1] <= w.yc <= c[3]:
                    inside[c].append(w)
                    break
        text = {c: _cell_text(ws) for c, ws in inside.items()}
        # label columns: in the rows that print figures (a cell or more without words), most of
        # their cells hold words (2+ CJK characters); the other columns hold figures
        def has_words(c) -> bool:
            return len(_CJK.findall(text[c])) >= 2

        tops: dict[float, int] = {}
        for c in cells:
            if text[c] and not has_words(c):
                tops[c[1]] = tops.get(c[1], 0) + 1
        worded: dict[float, list[bool]] = {}
        for c in cells:
            if text[c] and tops.get(c[1], 0) >= 1:
                worded.setdefault(c[0], []).append(has_words(c))
        label_x = {x for x, w in worded.items() if sum(w) > len(w) / 2}
        # header rows: rows with words in the figure columns; their empty cells are no figures (the
        # digit-only reading turns a 总计 that page OCR missed into a 4)
        header = {c[1] for c in cells if c[0] not in label_x and has_words(c)}
        figures = []
        for c in cells:
            if has_words(c):
                continue                   # words: a header or a label
            if c[0] in label_x or c[1] in header:
                text[c] = "" if is_value(text[c]) else text[c]   # junk in a label or header is no figure
            else:
                figures.append(c)          # a figure, or a figure page OCR misread (0 as 人, 1 as l)
        if figures and reread is not None:
            inset = [(c[0] + 3, c[1] + 3, c[2] - 3, c[3] - 3) for c in figures]
            for c, t in zip(figures, reread(inset)):
                t = norm(t)
                text[c] = t if t and is_value(t) else ""
        elif figures:
            for c in figures:
                text[c] = text[c] if is_value(text[c]) else ""
        table = Table(None, cells)
        texts = [[text.get(box) if box is not None else None for box in row.cells] for row in table.rows]
        out.append(table_grid(table, f"{name} table[{ti}]", texts))
    return out


_PAGE_NO = re.compile(r"^(?:pdf|ocr) p(\d+)")


def _page_of(g: Grid) -> int:
    m = _PAGE_NO.match(g.name)
    return int(m.group(1)) if m else 0


def _table_score(r: TableResult, table: str) -> tuple[int, int]:
    found = r.checks if r.checks is not None else checks.run_checks(r.stats, r.template)
    mine = [c for c in found if c.name.startswith(f"t{table}.")]
    passed = sum(1 for c in mine if c.passed)
    return passed - (len(mine) - passed), sum(1 for st in r.stats if st.table == table)


def _by_table(best: TableResult, other: TableResult, grids: list[Grid], text: str) -> TableResult:
    """Tables 三 and 四 each from the reading that reads that table better (its own checks: passed −
    failed, then more figures): a text PDF's ruled reading may lose table 三's 总计 column where its
    position reading does not, and the position reading lose table 四's headers where the ruled one
    does not. Each table comes whole from one reading; `best` keeps everything else."""
    take = [t for t in ("3", "4") if _table_score(other, t) > _table_score(best, t)]
    if not take:
        return best
    from archive.extract.sources import source_tables
    stats = [st for st in best.stats if st.table not in take] + [st for st in other.stats if st.table in take]
    blanks = [b for b in best.blanks if b.table not in take] + [b for b in other.blanks if b.table in take]
    template = best.template or other.template
    found = checks.run_checks(stats, template)
    reason = checks.review_reason(stats, blanks, found, [])
    note = [f"table {'/'.join('三' if t == '3' else '四' for t in take)} from the other reading of the PDF "
            "(its checks balance better there)"]
    return TableResult(stats=stats, template=template, has_indicator_table=best.has_indicator_table,
                       text=text, warnings=best.warnings + note + (["needs review: " + reason] if reason else []),
                       blanks=blanks, needs_review=reason, checks=found,
                       source_tables=source_tables(grids, stats, text))


def _best(a: TableResult, b: TableResult) -> TableResult:
    """The reading with the better balance of its tables' own checks (passed minus failed: a
    reading that shifts a row fails more, one that misses rows passes fewer); then the one with
    more figures; else a (the ruled reading)."""
    def score(r: TableResult):
        found = r.checks if r.checks is not None else checks.run_checks(r.stats, r.template)
        passed = sum(1 for c in found if c.passed)
        return (passed - (len(found) - passed), len(r.stats))
    return b if score(b) > score(a) else a
