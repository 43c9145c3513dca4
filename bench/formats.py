"""Extraction speed by format, in one run, on one core: HTML pages and text PDFs against references on
the same inputs, and the OCR rate of scanned pages. HTML and text-PDF rates are in CPU time (of this
process and its children: the machine is shared, wall-clock rates move with other jobs), the functions
alternating input by input; OCR in wall-clock time.

    python bench/formats.py                 # replica pages + tests/data/real, 3 rounds (OCR: 1)
    python bench/formats.py --rounds 1 --no-ocr

- HTML: our full extraction (extract_document: metadata, tables, prose, summary, checks) against
  trafilatura.extract (main text only) on the same bytes: the replica web's plain-HTTP report pages
  and the real HTML pages of tests/data/real/.
- Text PDFs (every real PDF with a text layer in tests/data/real/): ours (text, ruled and position
  tables, checks) in PDF pages/s against pdfplumber's extract_text of every page (text only, the
  floor any PDF reader pays), and trafilatura.extract timed on the same bytes, which does not read
  PDF (it returns None, or the raw bytes back as "text"; the run counts the PDFs it got the
  report's text from).
- OCR: the real scanned PDFs (tests/data/real/*scanned*.pdf, pages without a text layer): pages/s
  through render, ruling-line removal and Tesseract (one thread).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = ROOT / "tests" / "data" / "real"


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def html_inputs() -> list[tuple[str, bytes, str | None]]:
    sys.path.insert(0, str(ROOT / "bench"))
    from extract import pages_from_replica   # bench/extract.py: the replica's report pages
    pages = pages_from_replica()
    pages += [(p.name, p.read_bytes(), "text/html") for p in sorted(REAL.glob("*.html"))]
    return pages


def pdf_inputs() -> tuple[list[tuple[str, bytes, int]], list[tuple[str, bytes, int]]]:
    """(text PDFs, scanned PDFs) of the real set, each with its page count."""
    import pdfplumber
    text, scanned = [], []
    for p in sorted(REAL.glob("*.pdf")):
        data = p.read_bytes()
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
            has_text = bool((pdf.pages[0].extract_text() or "").strip())
        (text if has_text else scanned).append((p.name, data, pages))
    return text, scanned


def timed(fn, items, rounds: int) -> float:
    t = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            fn(item)
    return time.perf_counter() - t


def cpu_time() -> float:
    """CPU seconds of this process and of its finished children (Tesseract, LibreOffice)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def interleaved(fns, items, rounds: int) -> list[float]:
    """Seconds of each function over the items, item by item alternating between them (a shared
    machine's load then weighs on all alike). CPU time (cpu_time()): the machine's other jobs move
    it less than wall-clock time."""
    total = [0.0] * len(fns)
    for _ in range(rounds):
        for item in items:
            for k, fn in enumerate(fns):
                t = cpu_time()
                fn(item)
                total[k] += cpu_time() - t
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-ocr", action="store_true")
    args = ap.parse_args()
    import pdfplumber
    import trafilatura

    from archive.extract.extract import extract_document
    html = html_inputs()
    text_pdfs, scanned = pdf_inputs()
    _pin()

    def ours(item):
        try:
            extract_document(item[1], url=item[0] if item[0].startswith("http") else None,
                             content_type=item[2] if isinstance(item[2], str) else None,
                             filename=item[0].rsplit("/", 1)[-1])
        except Exception as e:  # counted, not hidden
            failures.append(f"{item[0]}: {type(e).__name__}: {e}")

    def plumber_text(item):
        with pdfplumber.open(io.BytesIO(item[1])) as pdf:
            for page in pdf.pages:
                page.extract_text()

    failures: list[str] = []
    for item in html[:5]:              # warm up (OpenCC, lxml, trafilatura's caches)
        ours(item)
        trafilatura.extract(item[1])
    n = len(html) * args.rounds
    t_ours, t_traf = interleaved([ours, lambda item: trafilatura.extract(item[1])], html, args.rounds)
    print(f"HTML ({len(html)} pages x {args.rounds}): ours {n / t_ours:.1f} pages/s, "
          f"trafilatura.extract {n / t_traf:.1f} pages/s, ratio {t_traf / t_ours:.2f}x (target >= 4x)")

    if text_pdfs:
        pages = sum(p for _, _, p in text_pdfs) * args.rounds
        pdf_items = [(name, data, None) for name, data, _ in text_pdfs]
        t_ours, t_ref, t_traf = interleaved([ours, plumber_text, lambda item: trafilatura.extract(item[1])],
                                            pdf_items, args.rounds)
        texts = [trafilatura.extract(data) for _, data, _ in text_pdfs]
        said = sum(1 for t in texts if t and "政府信息公开" in t)
        print(f"text PDF ({len(text_pdfs)} files, {pages // args.rounds} pages x {args.rounds}): ours "
              f"{pages / t_ours:.1f} pages/s; pdfplumber extract_text {pages / t_ref:.1f} pages/s (ratio "
              f"{t_ref / t_ours:.2f}x); trafilatura.extract {pages / t_traf:.1f} pages/s but the report's "
              f"text from {said} of {len(texts)} PDFs (None, or the raw PDF bytes back)")
    if scanned and not args.no_ocr:
        pages = sum(p for _, _, p in scanned)
        t = timed(ours, [(name, data, None) for name, data, _ in scanned], 1)
        print(f"OCR ({len(scanned)} scanned PDFs, {pages} pages): {pages / t:.3f} pages/s "
              f"({t / pages:.1f} s/page; render + line removal + Tesseract chi_sim+eng, one thread)")
    for f in failures[:10]:
        print("extraction error:", f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
