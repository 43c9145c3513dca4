"""OFD reports (GB/T 33190-2016, China's fixed-layout format): a zip of XML pages.

OFD.xml -> DocBody/DocRoot (Document.xml) -> Pages/Page@BaseLoc (each page's Content.xml). A page's
layers hold TextObjects: Boundary="x y w h" (millimetres, page coordinates) and TextCode children
with X/Y (the baseline, relative to the Boundary) and the text. Each TextCode becomes a positioned
Word; pages go through the same position-based table builder as PDFs (positions.py).

No PyPI OFD library is used: the kept ones (easyofd) convert to PDF/images through PyMuPDF, a large
dependency for what is a few XPath lookups over lxml. Every read is bounded (office.check_zip:
entry count and uncompressed size; at most MAX_PAGES pages); XML is parsed without entities or
network access.
"""
from __future__ import annotations

import posixpath
import re

from lxml import etree

from archive.extract.model import TableResult
from archive.extract.safezip import check_zip
from archive.extract.positions import Word, page_grids, page_text
from archive.extract.tables import stats_from_grids

MAX_PAGES = 200
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
_NUM = re.compile(r"-?\d+(?:\.\d+)?")


class OfdReadError(ValueError):
    """Not a readable OFD document."""


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(el, name: str):
    return [c for c in el if _local(c.tag) == name]


def _find(el, *path: str):
    for name in path:
        found = _children(el, name)
        if not found:
            return None
        el = found[0]
    return el


def _xml(z, name: str):
    name = name.lstrip("/")
    try:
        return etree.fromstring(z.read(name), _PARSER)
    except KeyError:
        raise OfdReadError(f"OFD part {name!r} is missing") from None
    except etree.XMLSyntaxError as e:
        raise OfdReadError(f"OFD part {name!r} is not well-formed XML ({e})") from None


def _nums(s: str | None) -> list[float]:
    return [float(x) for x in _NUM.findall(s or "")]


def page_words(content) -> list[Word]:
    """Positioned words of one page's Content.xml root (nested PageBlocks included)."""
    words = []
    for obj in content.iter():
        if _local(obj.tag) != "TextObject":
            continue
        box = _nums(obj.get("Boundary"))
        if len(box) < 4:
            continue
        bx, by, bw, bh = box[:4]
        size = (_nums(obj.get("Size")) or [bh])[0]
        codes = _children(obj, "TextCode")
        for code in codes:
            text = "".join(code.itertext()).strip()
            if not text:
                continue
            x = (_nums(code.get("X")) or [0.0])[0]
            y = (_nums(code.get("Y")) or [size])[0]
            deltas = _nums(code.get("DeltaX"))
            width = bw - x if len(codes) == 1 and bw > x else (sum(deltas[-len(text) + 1:]) + size
                                                                if deltas else size * len(text))
            words.append(Word(text, bx + x, bx + x + width, by + y - size, by + y))
    return words


def read_ofd(data: bytes) -> TableResult:
    """Text of every page and the Stats of its statistics tables."""
    try:
        z = check_zip(data, "OFD")
    except ValueError as e:
        raise OfdReadError(str(e)) from None
    with z:
        root = _xml(z, "OFD.xml")
        body = _find(root, "DocBody", "DocRoot")
        if body is None or not (body.text or "").strip():
            raise OfdReadError("OFD.xml names no DocRoot")
        doc_path = body.text.strip().lstrip("/")
        doc = _xml(z, doc_path)
        pages_el = _find(doc, "Pages")
        pages = _children(pages_el, "Page") if pages_el is not None else []
        if not pages:
            raise OfdReadError("OFD document has no pages")
        warnings = []
        if len(pages) > MAX_PAGES:
            warnings.append(f"ofd: only the first {MAX_PAGES} of {len(pages)} pages read")
        base = posixpath.dirname(doc_path)
        texts, grids = [], []
        for pno, page in enumerate(pages[:MAX_PAGES], 1):
            loc = (page.get("BaseLoc") or "").lstrip("/")
            path = loc if loc.startswith(base + "/") or not base else posixpath.join(base, loc)
            words = page_words(_xml(z, path))
            texts.append(page_text(words))
            g, w = page_grids(words, f"ofd p{pno}")
            grids += g
            warnings += w
    res = stats_from_grids(grids, "\n".join(texts))
    res.warnings = warnings + res.warnings
    return res
