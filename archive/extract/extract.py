"""The one entry point: extract_document(bytes) -> dict of metadata, summary, stats, checks and text.

    from archive.extract.extract import extract_document
    result = extract_document(open("report.html", "rb").read(), url="http://...")

Raises an ExtractError subclass (archive.extract) for hopeless input: empty, binary junk, a format we
cannot read, or a document that is not an annual information-disclosure report.
"""
from __future__ import annotations

import dataclasses
import os
import re

from archive.extract import EmptyInput, ExtractError, NotAReport, UndecodableInput, UnsupportedFormat
from archive.extract import checks, docx, office, ofd, pdf, tables
from archive.extract.document import (Document, decode, from_html, from_text, is_html, looks_binary,
                                      unwrap_lines)
from archive.extract.meta import extract_meta, looks_like_report_title
from archive.extract.labels import invalid_value
from archive.extract.model import Stat, TableResult
from archive.extract.prose import prose_figures
from archive.extract.summary import build_summary, prose_stats

PDF_MAGIC = b"%PDF"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UNREADABLE_EXT = {".zip", ".rar", ".7z", ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".bmp"}
_OLE_KINDS = {".doc": "doc", ".wps": "wps", ".xls": "xls", ".et": "et", ".dot": "doc", ".xlt": "xls"}
BINARY_KINDS = ("pdf", "docx", "doc", "wps", "xlsx", "xls", "et", "ofd")
_SOFT_404 = re.compile(r"页面不存在|您访问的页面不存在|页面找不到|404\s*Not\s*Found|找不到该页面|信息已删除|"
                       r"该信息已过期|文章不存在|暂无(?:该|此)?年度[^。]{0,12}年度报告", re.I)
_PAGER = re.compile(r"上一页|下一页|尾页|首页\s*上页|共\s*\d+\s*页|第\s*\d+\s*/\s*\d+\s*页")
_YEAR_IN_TITLE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def list_of_reports(doc) -> str | None:
    """Why an HTML page is a column's list page rather than a report: its body is mostly link text,
    with links titled as reports of three or more years, or five links or more and little else (the
    last pages of a column: a report or two among notices). None when it is not. A report page that
    only links its PDF has one or two links and its own sentences."""
    if doc.kind != "html" or doc.body is None:
        return None
    links, titled, years, link_chars, texts = 0, 0, set(), 0, set()
    for a in doc.body.iter("a"):
        text = re.sub(r"\s+", "", a.text_content() or "")
        if not text:
            continue
        links += 1
        link_chars += len(text)
        if len(text) >= 6:
            texts.add(text)
        if looks_like_report_title(text):
            titled += 1
            years.update(_YEAR_IN_TITLE.findall(text))
    body_chars = len(re.sub(r"\s+", "", doc.text))
    if not body_chars:
        return None
    if len(years) >= 3 and titled >= 3 and link_chars >= 0.5 * body_chars:
        return f"a list of reports ({titled} report links of {len(years)} years), not a report"
    lines = [re.sub(r"\s+", "", x) for x in doc.text.split("\n") if x.strip()]
    # a list line: one link's text, then at most a date ([2021-01-16], 2021-01-16)
    listed = sum(1 for x in lines if any(x.startswith(t) and len(x) - len(t) <= 14 for t in texts))
    if links >= 5 and body_chars < 3000 and (link_chars >= 0.6 * body_chars or listed >= max(5, 0.5 * len(lines))):
        return f"a list page ({links} links, {listed} of its {len(lines)} lines a link's title), not a report"
    if body_chars < 1500 and listed and _PAGER.search(doc.text):   # a column's last page: an item or two, a pager
        return f"a list page (a pager, {listed} listed item(s)), not a report"
    return None
_REPORTISH = re.compile(r"政府信息公开|政务公开|信息公开")


def sniff(data: bytes, content_type: str | None, filename: str | None) -> str:
    """pdf | docx | xlsx | ofd | doc | wps | xls | et | html | text, or raise for formats we cannot read.
    Magic bytes decide; the extension and content type only tell apart formats that share a
    container (zip: DOCX / XLSX / OFD; OLE: DOC / WPS / XLS / ET)."""
    ext = os.path.splitext(filename or "")[1].lower()
    ct = (content_type or "").lower()
    if data.lstrip()[:4] == PDF_MAGIC or (data[:1024].find(PDF_MAGIC) >= 0 and "pdf" in ct + ext):
        return "pdf"
    if data.startswith(ZIP_MAGIC):
        head = data[:200_000]
        if b"word/" in head or ext == ".docx" or "wordprocessingml" in ct:
            return "docx"
        if b"xl/" in head or ext == ".xlsx" or "spreadsheetml" in ct:
            return "xlsx"
        if b"OFD.xml" in head or ext == ".ofd" or "ofd" in ct:
            return "ofd"
        raise UnsupportedFormat(f"zip archive ({ext or ct or 'unknown'}) is not a report document")
    if data.startswith(OLE_MAGIC):
        return _ole_kind(data, ext, ct)
    if ext in _UNREADABLE_EXT or ct.startswith("image/"):
        raise UnsupportedFormat(f"cannot read {ext or ct}")
    if looks_binary(data):
        raise UndecodableInput("binary data that is neither PDF, an office document nor OFD")
    return "html" if ("html" in ct or ext in (".html", ".htm", ".shtml", ".jsp", ".asp", ".aspx")) else "text"


def _ole_kind(data: bytes, ext: str, ct: str) -> str:
    """DOC / WPS / XLS / ET: an OLE compound file; its stream names (UTF-16) say which family."""
    if ext in _OLE_KINDS:
        return _OLE_KINDS[ext]
    names = data[:1_000_000]
    if "WordDocument".encode("utf-16-le") in names or "msword" in ct:
        return "doc"
    if "Workbook".encode("utf-16-le") in names or "Book".encode("utf-16-le") in names or "excel" in ct:
        return "xls"
    raise UnsupportedFormat(f"OLE file ({ext or ct or 'no name'}) that is neither a Word nor an Excel document")


def _read_binary(kind: str, data: bytes) -> TableResult:
    """The tables and text of a binary document; old formats through LibreOffice first."""
    try:
        if kind == "pdf":
            return pdf.read_pdf(data)
        if kind == "ofd":
            return ofd.read_ofd(data)
        if kind in ("doc", "wps"):
            return docx.read_docx(office.convert(data, kind))
        if kind in ("xls", "et"):
            return office.read_xlsx(office.convert(data, kind))
        if kind == "xlsx":
            return office.read_xlsx(data)
        return docx.read_docx(data)
    except ExtractError:
        raise
    except Exception as e:  # a damaged file: the library's own error, said clearly
        if isinstance(e, MemoryError):   # the sandbox's memory limit: not a damaged file
            raise
        raise UndecodableInput(f"unreadable {kind.upper()}: {type(e).__name__}: {e}") from None


def _tables_of(doc: Document) -> TableResult:
    result = TableResult()
    if doc.body is not None:
        result = tables.stats_from_html(doc.body)
    if not result.stats:
        result = tables.stats_from_text(doc.text)
    return result


def _format_of(tables: TableResult, prose: dict, text: str) -> str:
    if tables.template in (2019, 2021):
        return f"template{tables.template}"
    if tables.has_indicator_table:
        return "indicator"
    if prose or len(text) >= 300:
        return "prose"
    return "unknown"


def extract_document(data: bytes, *, url: str | None = None, content_type: str | None = None,
                     headers: dict | None = None, filename: str | None = None) -> dict:
    """Extract one report document (HTML page, plain text, PDF or DOCX) into a dict:
    title, agency, agency_slug, year, published, published_time, index_no, publisher, doc_no, format,
    summary (every HEADLINE_KEYS key), stats, checks, text, original_text, links, warnings, encoding."""
    if not data or not data.strip():
        raise EmptyInput("empty document")
    if filename is None and url:
        filename = url.split("?")[0].rsplit("/", 1)[-1]
    kind = sniff(data, content_type or _header(headers, "content-type"), filename)
    encoding = None
    if kind in BINARY_KINDS:
        found = _read_binary(kind, data)
        if not found.text.strip():
            why = "; ".join(w for w in found.warnings if "unreadable" in w or "OCR" in w)[:300]
            raise EmptyInput(f"no text in the {kind.upper()}" + (f" ({why})" if why else ""))
        doc = from_text(found.text, kind)
    else:
        text, encoding = decode(data, content_type, headers)
        if kind == "html" or is_html(text):
            doc = from_html(text, url, encoding)
        else:
            doc = from_text(text)
            doc.encoding = encoding
        found = _tables_of(doc)

    meta = extract_meta(doc, url)
    if not doc.text.strip() and not doc.links:
        raise EmptyInput("no text in the document body")
    if _SOFT_404.search(doc.page_text[:2000]) and len(doc.text) < 500:
        raise NotAReport("a 'page not found' page")
    listing = None if found.stats else list_of_reports(doc)
    if listing:
        raise NotAReport(listing)
    if not (looks_like_report_title(meta["title"]) or _REPORTISH.search(doc.text) or found.stats):
        raise NotAReport("not an information-disclosure report (no report title, no 信息公开 text, no tables)")

    prose_warnings: list[str] = []   # ambiguous prose statements, left out
    prose = prose_figures(unwrap_lines(doc.text) if kind in BINARY_KINDS else doc.text, meta["year"],
                          prose_warnings)
    for key, fig in list(prose.items()):   # the validation every table figure gets (labels.invalid_value)
        problem = invalid_value("prose", "value", fig.value)
        if problem:
            prose_warnings.append(f"prose {key}: {problem}, not taken ({fig.label[:60]})")
            del prose[key]
    template = found.template
    table_stats = list(found.stats)
    found_checks = found.checks if found.checks is not None else checks.run_checks(table_stats, template)
    summary, summary_rows = build_summary(checks.summary_from_tables(table_stats, template), prose)
    stats = table_stats + prose_stats(prose) + summary_rows
    ocr_pages = getattr(found, "ocr_pages", 0)       # PDF pages read by OCR (pdf.PdfResult)
    warnings = list(meta.pop("warnings")) + list(found.warnings) + prose_warnings   # + rows / pages not read

    return {
        **meta,
        "format": _format_of(found, prose, doc.text) + ("+ocr" if ocr_pages else ""),
        "ocr": bool(ocr_pages),
        "template": template,
        "summary": summary,
        "stats": [_stat_dict(s) for s in stats],
        "checks": [_check_dict(c) for c in found_checks],
        "text": doc.text,
        "original_text": doc.original_text,
        "links": doc.links,
        "warnings": warnings,
        "needs_review": found.needs_review,   # tables whose checks point to misreading (tables.py)
        "source_tables": found.source_tables,  # the grids figures were read from (sources.py)
        "encoding": encoding,
        "kind": kind,
    }


def _check_dict(c) -> dict:
    """dataclasses.asdict for a Check (plain str / bool fields), without its deep copies: a tenth of
    the time, and a page has tens of checks."""
    return {f.name: getattr(c, f.name) for f in dataclasses.fields(c)}


def _stat_dict(s: Stat) -> dict:
    return {"table": s.table, "row": s.row, "col": s.col, "label": s.label, "value": s.value,
            "unit": s.unit, "source": s.source}


def _header(headers: dict | None, name: str) -> str | None:
    for k, v in (headers or {}).items():
        if k.lower() == name:
            return v[0] if isinstance(v, (list, tuple)) else v
    return None
