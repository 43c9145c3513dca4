"""OCR of scanned pages: Tesseract (Debian's tesseract-ocr + tesseract-ocr-chi-sim) in a subprocess.

    words = ocr_image(png_bytes)           # positioned words (pixels), for positions.page_grids
    png = render_pdf_page(pdf_bytes, i)     # one PDF page as PNG at DPI (pypdfium2, ships with pdfplumber)

Before OCR the page's ruling lines are whitened (runs of dark pixels longer than 0.6 inch, across
and down): Tesseract reads table cells far better without them, and figures are placed by their
positions afterwards (positions.py), not by the lines. Page segmentation mode 6 (one block):
every printed line, figures in table cells included, comes out as a line of words.

Bounded: at most MAX_PAGES pages per document are OCR'd, at DPI dots per inch, each within
PAGE_TIMEOUT seconds (a page that takes longer is given up with a warning), and no page is started
after DOCUMENT_BUDGET seconds of OCR on the document. Tesseract runs with one
thread (OMP_THREAD_LIMIT=1): the extraction pass is one process per core already. Tesseract gets the
address-space limit of the extraction sandbox lifted (sandbox.unlimited_child) and its own timeouts.
"""
from __future__ import annotations

import csv
import functools
import io
import os
import re
import shutil
import tempfile
import subprocess

from archive.extract.positions import Word
from archive.extract.sandbox import unlimited_child

DPI = 300
MAX_PAGES = 30
PAGE_TIMEOUT = 60.0
DOCUMENT_BUDGET = 90.0     # seconds of OCR per document; pages after it are left unread (warning).
                           # Below the extraction sandbox's 120 s per document (sandbox.py), so a long
                           # scan gives the pages read so far rather than an OverLimit
LANGS = "chi_sim+eng"
MIN_CONFIDENCE = 30.0      # Tesseract's per-word confidence (0-100); below it a word is noise


class OcrError(RuntimeError):
    """Tesseract is missing, failed or timed out on a page."""


@functools.lru_cache(maxsize=1)
def available() -> str | None:
    """None when OCR works here, else why not (said in the report's warnings)."""
    exe = shutil.which("tesseract")
    if exe is None:
        return "tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-chi-sim)"
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError) as e:
        return f"tesseract does not run ({type(e).__name__}: {e})"
    langs = set(out.stdout.split())
    if "chi_sim" not in langs:
        return "tesseract has no chi_sim language data (Debian: tesseract-ocr-chi-sim)"
    return None


def render_pdf_page(data: bytes, index: int, dpi: int | None = None) -> bytes:
    """Page `index` (0-based) of a PDF as a grey PNG at `dpi` (default DPI), ruling lines removed."""
    return render_pdf_page_lines(data, index, dpi)[0]


def render_pdf_page_lines(data: bytes, index: int, dpi: int | None = None) -> tuple[bytes, list[dict]]:
    """Page `index` of a PDF as a grey PNG with its ruling lines removed, and those lines as edges
    (pixels; see ruling_edges) for the ruled-table reading of a scan."""
    import pypdfium2
    dpi = dpi or DPI
    doc = pypdfium2.PdfDocument(data)
    try:
        page = doc[index]
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        page.close()
    finally:
        doc.close()
    hruns, vruns = _dark_runs(image, dpi)
    hlines, vlines = _thin(image, hruns, vruns, dpi)
    return _whitened(image, hruns, vruns), ruling_edges(hlines, vlines, dpi)


_FILL = re.compile(rb"\xff+")


def _fill_mask(grey, dx: int, dy: int):
    """255 where the pixels dx/dy away on both sides are dark and about as dark as this one (inside a
    filled area), else 0: PIL channel operations, no per-pixel Python."""
    from PIL import ImageChops
    dark = grey.point(lambda v: 255 if v <= 0xdf else 0)
    out = None
    for sx, sy in ((dx, dy), (-dx, -dy)):
        side = ImageChops.offset(grey, sx, sy)
        near = ImageChops.subtract(side, grey).point(lambda v: 255 if v <= 48 else 0)
        part = ImageChops.darker(ImageChops.offset(dark, sx, sy), near)
        out = part if out is None else ImageChops.darker(out, part)
    return out


def _thin(image, hruns, vruns, dpi: int):
    """The parts of the runs that are lines: where a run has dark pixels on both sides of it (0.02
    inch away) about as dark as itself, it lies inside a filled area (a shaded header row), not on a
    ruling line; those parts are cut out (a grey band's own columns and rows are no lines)."""
    from PIL import Image
    grey = image.convert("L")
    w, h = grey.size
    d = max(3, int(dpi * 0.02))
    shortest = max(2, int(dpi * 0.05))
    hmask = _fill_mask(grey, 0, d).tobytes()
    vmask = _fill_mask(grey, d, 0).transpose(Image.Transpose.TRANSPOSE).tobytes()

    def pieces(mask: bytes, stride: int, run: tuple[int, int, int]):
        at, a, b = run
        out, start = [], a
        for m in _FILL.finditer(mask, at * stride + a, at * stride + b + 1):
            if m.start() - at * stride - start >= shortest:
                out.append((at, start, m.start() - at * stride - 1))
            start = m.end() - at * stride
        if b + 1 - start >= shortest:
            out.append((at, start, b))
        return out

    hl = [p for r in hruns for p in pieces(hmask, w, r)]
    vl = [p for r in vruns for p in pieces(vmask, h, r)]
    return hl, vl


def _dark_runs(image, dpi: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """Runs of dark pixels longer than 0.6 inch: across (y, x0, x1) and down (x, y0, y1), ends inclusive.
    Text strokes are far shorter; ruling lines of tables (and underlines) are such runs."""
    from PIL import Image
    image = image.convert("L")
    w, h = image.size
    run = re.compile(rb"[\x00-\xdf]{%d,}" % int(dpi * 0.6))
    data = image.tobytes()
    hruns = [(y, m.start() - y * w, m.end() - 1 - y * w)
             for y in range(h) for m in run.finditer(data, y * w, (y + 1) * w)]
    data = image.transpose(Image.Transpose.TRANSPOSE).tobytes()     # columns as rows
    vruns = [(x, m.start() - x * h, m.end() - 1 - x * h)
             for x in range(w) for m in run.finditer(data, x * h, (x + 1) * h)]
    return hruns, vruns


def _whitened(image, hruns, vruns) -> bytes:
    from PIL import ImageDraw
    out = image.convert("L").copy()
    draw = ImageDraw.Draw(out)
    for y, x0, x1 in hruns:
        draw.line([(x0, y), (x1, y)], fill=255)
    for x, y0, y1 in vruns:
        draw.line([(x, y0), (x, y1)], fill=255)
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    return buf.getvalue()


def png_without_lines(image, dpi: int = DPI) -> bytes:
    """The image (PIL) in grey with its long horizontal and vertical dark runs painted white, as PNG."""
    hruns, vruns = _dark_runs(image, dpi)
    return _whitened(image, hruns, vruns)


def ruling_edges(hruns, vruns, dpi: int = DPI) -> list[dict]:
    """The dark runs as pdfplumber edges (pixel units): the rows of one line's thickness snapped to
    one edge, pieces of a line broken by noise joined (gaps under 0.03 inch)."""
    from pdfplumber.table import merge_edges
    edges = [{"x0": float(x0), "x1": float(x1 + 1), "top": float(y), "bottom": float(y), "doctop": float(y),
              "width": float(x1 + 1 - x0), "height": 0.0, "orientation": "h"} for y, x0, x1 in hruns]
    edges += [{"x0": float(x), "x1": float(x), "top": float(y0), "bottom": float(y1 + 1), "doctop": float(y0),
               "width": 0.0, "height": float(y1 + 1 - y0), "orientation": "v"} for x, y0, y1 in vruns]
    if not edges:
        return []
    tol = max(2.0, dpi * 0.03)
    return merge_edges(edges, snap_x_tolerance=tol, snap_y_tolerance=tol,
                       join_x_tolerance=tol, join_y_tolerance=tol)


def ruled_tables(edges: list[dict], dpi: int = DPI) -> list[list[tuple[float, float, float, float]]]:
    """Tables (each a list of cell boxes, pixels) that the ruling lines of a scanned page enclose:
    pdfplumber's own lattice steps (intersections -> cells -> contiguous tables) over the edges found
    in the image. A table needs 2 rows and 2 columns at least."""
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells
    if not edges:
        return []
    tol = max(2.0, dpi * 0.03)
    cells = intersections_to_cells(edges_to_intersections(edges, tol, tol))
    small = dpi * 0.05                         # slivers between a doubled line are not cells
    cells = [c for c in cells if c[2] - c[0] > small and c[3] - c[1] > small]
    out = []
    for t in cells_to_tables(cells):
        if len({c[1] for c in t}) >= 2 and len({c[0] for c in t}) >= 2:
            out.append(sorted(t, key=lambda c: (c[1], c[0])))
    return out


def ocr_image(png: bytes, timeout: float | None = None) -> list[Word]:
    """Words Tesseract reads on one image, with their boxes in pixels (TSV output)."""
    timeout = timeout or PAGE_TIMEOUT
    why = available()
    if why:
        raise OcrError(why)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        out = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANGS, "--psm", "6", "tsv"],
                             input=png, capture_output=True, timeout=timeout, env=env,
                             preexec_fn=unlimited_child)
    except subprocess.TimeoutExpired:
        raise OcrError(f"tesseract took longer than {timeout:.0f} s") from None
    if out.returncode != 0:
        raise OcrError(f"tesseract failed: {out.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return parse_tsv(out.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> list[Word]:
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        try:
            conf = float(row["conf"])
            left, top, width, height = (int(row[k]) for k in ("left", "top", "width", "height"))
        except (KeyError, TypeError, ValueError):
            continue
        if conf < MIN_CONFIDENCE:
            continue
        words.append(Word(text, left, left + width, top, top + height))
    return words


MIN_INK = 12               # dark pixels a cell needs before it is worth reading at all
CELL_TEXT_HEIGHT = 22      # pixels: a cell's ink is scaled to this height before it is read alone
CELL_HEIGHTS = (20, 24)    # a ruled table's figure cells are read at both, kept where the readings agree
_INK = [0 if p < 170 else 255 for p in range(256)]   # a cell's pixels as ink or paper before it is read


def _to_text_height(crop, height: int = CELL_TEXT_HEIGHT):
    """The crop scaled so its ink is `height` pixels high: Tesseract reads digits best at about
    CELL_TEXT_HEIGHT, and a 12-point figure at 300 dpi is over twice it (measured on the real scan's
    106 figure cells of tables 三/四: 81-91 read right as rendered, 105 at 20-24 pixels, 106 at 20-24
    pixels once the cell is made ink or paper (threshold 170); none wrong)."""
    from PIL import Image
    box = crop.point(lambda p: 255 if p < 128 else 0).getbbox()
    if not box:
        return crop
    scale = max(0.25, min(3.0, height / max(1, box[3] - box[1])))
    return crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                       Image.Resampling.LANCZOS)


def reread_cells(png: bytes, boxes: list[tuple[float, float, float, float]],
                 timeout: float | None = None, heights: tuple[int, ...] = (CELL_TEXT_HEIGHT,)) -> list[str | None]:
    """Figures of single table cells (pixel boxes x0, top, x1, bottom on the page image `png`):
    page-mode OCR drops many isolated digits, one line per cell (page segmentation 7, digits only,
    all cells in one Tesseract run over a list of images) reads them. A cell without ink is None,
    never read: the digit whitelist would otherwise turn noise into a figure. With several
    `heights` each cell is read at each text height and kept only where every reading agrees
    (Tesseract drops a digit of `31` at one size and not at another); else it is "" (unreadable)."""
    from PIL import Image
    page = Image.open(io.BytesIO(png)).convert("L")
    out: list[str | None] = [None] * len(boxes)
    with tempfile.TemporaryDirectory(prefix="nianbao-ocr-") as tmp:
        files, index = [], []
        for i, (x0, top, x1, bottom) in enumerate(boxes):
            crop = page.crop((int(x0), int(top), int(x1) + 1, int(bottom) + 1))
            if sum(crop.histogram()[:128]) < MIN_INK:
                continue
            crop = crop.point(_INK)            # JPEG-blurred strokes made solid (a faint 1 of 31)
            for k, height in enumerate(heights):
                scaled = _to_text_height(crop, height)
                framed = Image.new("L", (scaled.width + 40, scaled.height + 40), 255)
                framed.paste(scaled, (20, 20))
                path = os.path.join(tmp, f"c{i}-{k}.png")
                framed.save(path)
                files.append(path)
            index.append(i)
        if not files:
            return out
        listing = os.path.join(tmp, "cells.txt")
        with open(listing, "w") as f:
            f.write("\n".join(files) + "\n")
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        try:
            res = subprocess.run(["tesseract", listing, "stdout", "-l", "eng", "--psm", "7",
                                  "-c", "tessedit_char_whitelist=0123456789.,", "-c", "page_separator=\f"],
                                 capture_output=True, timeout=timeout or PAGE_TIMEOUT, env=env,
                                 preexec_fn=unlimited_child)
        except subprocess.TimeoutExpired:
            raise OcrError(f"tesseract took longer than {timeout or PAGE_TIMEOUT:.0f} s on single cells") from None
        texts = res.stdout.decode("utf-8", "replace").split("\f")
    if res.returncode != 0 or len(texts) < len(files):
        raise OcrError(f"tesseract failed on single cells: {res.stderr.decode('utf-8', 'replace')[:200]}")
    n = len(heights)
    for j, i in enumerate(index):
        reads = {t.strip() for t in texts[j * n:(j + 1) * n]}
        out[i] = (reads.pop() or None) if len(reads) == 1 else ""
    return out
