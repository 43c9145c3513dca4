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
    import pypdfium2
    dpi = dpi or DPI
    doc = pypdfium2.PdfDocument(data)
    try:
        page = doc[index]
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        page.close()
    finally:
        doc.close()
    return png_without_lines(image, dpi)


def png_without_lines(image, dpi: int = DPI) -> bytes:
    """The image (PIL) in grey with its long horizontal and vertical dark runs painted white, as PNG."""
    from PIL import Image, ImageDraw
    image = image.convert("L")
    w, h = image.size
    run = re.compile(rb"[\x00-\xdf]{%d,}" % int(dpi * 0.6))
    out = image.copy()
    draw = ImageDraw.Draw(out)
    data = image.tobytes()
    for y in range(h):
        for m in run.finditer(data, y * w, (y + 1) * w):
            draw.line([(m.start() - y * w, y), (m.end() - 1 - y * w, y)], fill=255)
    data = image.transpose(Image.Transpose.TRANSPOSE).tobytes()     # columns as rows
    for x in range(w):
        for m in run.finditer(data, x * h, (x + 1) * h):
            draw.line([(x, m.start() - x * h), (x, m.end() - 1 - x * h)], fill=255)
    buf = io.BytesIO()
    image = out
    image.save(buf, format="PNG")
    return buf.getvalue()


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


def reread_cells(png: bytes, boxes: list[tuple[float, float, float, float]],
                 timeout: float | None = None) -> list[str | None]:
    """Figures of single table cells (pixel boxes x0, top, x1, bottom on the page image `png`):
    page-mode OCR drops many isolated digits, one line per cell (page segmentation 7, digits only,
    all cells in one Tesseract run over a list of images) reads them. A cell without ink is None,
    never read: the digit whitelist would otherwise turn noise into a figure."""
    from PIL import Image
    page = Image.open(io.BytesIO(png)).convert("L")
    out: list[str | None] = [None] * len(boxes)
    with tempfile.TemporaryDirectory(prefix="nianbao-ocr-") as tmp:
        files, index = [], []
        for i, (x0, top, x1, bottom) in enumerate(boxes):
            crop = page.crop((int(x0), int(top), int(x1) + 1, int(bottom) + 1))
            if sum(crop.histogram()[:128]) < MIN_INK:
                continue
            framed = Image.new("L", (crop.width + 40, crop.height + 40), 255)
            framed.paste(crop, (20, 20))
            path = os.path.join(tmp, f"c{i}.png")
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
    if res.returncode != 0 or len(texts) < len(index):
        raise OcrError(f"tesseract failed on single cells: {res.stderr.decode('utf-8', 'replace')[:200]}")
    for i, text in zip(index, texts):
        t = text.strip()
        out[i] = t or None
    return out
