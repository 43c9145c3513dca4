"""Bytes -> a normalised document: decoding, HTML parsing, main-body finding, chrome stripping.

The pipeline, in order:
  1. decode():     bytes -> str (BOM, valid UTF-8, HTTP charset, <meta charset>, charset-normalizer;
                   gb2312/gbk are read as their superset gb18030)
  2. lxml parse, main body = the platform container (div.TRS_PreAppend, div.TRS_UEDITOR, .TRS_Editor,
                   div#zoom, article...) or the densest block of paragraphs
  3. element_text(): text with block elements on their own lines, inline elements concatenated
                   (<span>1</span><span>2</span> -> "12"), table cells joined by " | "
  4. strip_chrome_lines(): toolbar (打印/收藏/关闭本页), counters, share and font-size widgets, the footer
  5. normalise(): full-width ASCII -> half-width, pinyin glosses dropped (落實(shí) -> 落實), Traditional ->
                   Simplified (OpenCC t2s, only when the text really is Traditional)
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from charset_normalizer import from_bytes

from archive.extract import EmptyInput, UndecodableInput

# ---------------------------------------------------------------- decoding

_GB_ALIASES = {"gb2312", "gbk", "gb_2312", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "gb18030", "hz-gb-2312"}
_WEAK = {"iso8859-1", "iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252"}
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)


def _canon_charset(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    name = name.strip().strip("\"'").lower()
    if name in _GB_ALIASES or name.startswith("gb"):
        return "gb18030"
    import codecs
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None = None, headers: dict | None = None) -> str | None:
    """The charset an HTTP Content-Type declares (content_type wins over headers)."""
    if not content_type and headers:
        for k, v in headers.items():
            if k.lower() == "content-type":
                content_type = v[0] if isinstance(v, (list, tuple)) else v
                break
    if not content_type:
        return None
    if isinstance(content_type, str):
        content_type = content_type.encode("latin-1", "ignore")
    m = _CHARSET_RE.search(content_type)
    return _canon_charset(m.group(1)) if m else None


def decode(data: bytes, content_type: str | None = None, headers: dict | None = None) -> tuple[str, str]:
    """Bytes -> (text, encoding used). Never raises on odd bytes; raises UndecodableInput on junk."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    try:  # GBK text is practically never valid UTF-8, so valid UTF-8 beats any declaration
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = [header_charset(content_type, headers)]
    m = _META_CHARSET_RE.search(data[:4096])
    declared.append(_canon_charset(m.group(1)) if m else None)
    # a declaration is trusted when the bytes decode under it; then the genre's usual suspect
    # (GB18030, superset of GBK/GB2312) before statistical detection
    for enc in [*declared, "gb18030"]:
        if enc and enc not in _WEAK and enc != "utf-8":
            try:
                return data.decode(enc), enc
            except (UnicodeDecodeError, LookupError):
                continue  # a wrong declaration: fall through to detection
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        enc = _canon_charset(best.encoding) or best.encoding
        if enc not in _WEAK:
            return data.decode(enc, "replace"), enc
    text = data.decode("gb18030", "replace")
    if text.count("\ufffd") > len(text) * 0.05:
        raise UndecodableInput("bytes are not text in any known encoding")
    return text, "gb18030"


_CONTROL_BYTES = bytes(b for b in range(256) if b < 9 or 13 < b < 32)


def looks_binary(data: bytes) -> bool:
    """Junk check: NUL bytes or many control characters in the first 4 KB."""
    head = data[:4096]
    if b"\x00" in head:
        return True
    ctrl = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return ctrl > len(head) * 0.02


# ---------------------------------------------------------------- normalisation

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update({0x3000: 0x20, 0xA0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x200B: None, 0xFEFF: None})
_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_GLOSS_RE = re.compile(rf"(?<=[\u3400-\u9fff])\((?=[a-zü{_TONES}]*[{_TONES}])[a-zü{_TONES}]{{1,7}}\)")
_OPENCC = None


def _t2s():
    global _OPENCC
    if _OPENCC is None:
        import opencc
        _OPENCC = opencc.OpenCC("t2s")
    return _OPENCC


def to_simplified(text: str, force: bool | None = None) -> str:
    """Traditional -> Simplified, only when the text is Traditional (a few changed characters in a
    Simplified text are OpenCC's ambiguities, not Traditional: then the text is left alone).
    force=True/False: convert / leave alone without deciding."""
    if force is False or not text:
        return text
    converted = _t2s().convert(text)
    if force or converted == text or len(converted) != len(text):
        return converted
    changed = sum(map(str.__ne__, text, converted))
    return converted if changed >= 5 or changed > len(text) * 0.01 else text


def normalise(text: str, simplify: bool | None = None) -> str:
    """Full-width ASCII -> half-width, pinyin glosses removed, Traditional -> Simplified
    (simplify None: when the text is Traditional; True/False: always / never)."""
    text = unicodedata.normalize("NFC", text).translate(_FULLWIDTH)
    if "(" in text:
        text = _GLOSS_RE.sub("", text)
    return to_simplified(text, simplify)


# ---------------------------------------------------------------- HTML text

_SKIP = {"script", "style", "noscript", "template", "iframe", "select", "button", "input", "textarea",
         "object", "embed", "svg", "head", "map", "audio", "video", "canvas"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
          "article", "header", "footer", "nav", "dl", "dt", "dd", "blockquote", "pre", "form", "center",
          "hr", "title", "caption", "tbody", "thead", "tfoot", "body", "html", "main", "aside", "address",
          "fieldset", "figure", "figcaption"}
_CELL = {"td", "th"}
_WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u3000\u2002\u2003]+")


BODY_MARK = "\x00"


# element_text's walk in libxslt (the body's text: 2.5x faster than the walk in Python); the Python walk
# stays for `skip` and for trees deeper than libxslt recurses (html5lib's have no depth limit)
_TEXT_XSLT = lxml.etree.XSLT(lxml.etree.XML(f"""\
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="{'|'.join(sorted(_SKIP))}|comment()|processing-instruction()"/>
<xsl:template match="{'|'.join(sorted(_BLOCK))}"><xsl:text>&#10;</xsl:text><xsl:apply-templates/><xsl:text>&#10;</xsl:text></xsl:template>
<xsl:template match="{'|'.join(sorted(_CELL))}"><xsl:text> | </xsl:text><xsl:apply-templates/></xsl:template>
</xsl:stylesheet>"""))


def element_text(el, skip=None) -> str:
    """Readable text of an lxml element: blocks on their own lines, inline runs concatenated as is,
    table cells of a row joined by " | "; scripts, styles and comments skipped. `skip`: a descendant
    left out, a line holding BODY_MARK in its place."""
    if skip is None:
        try:
            return _text_lines(str(_TEXT_XSLT(el)))
        except lxml.etree.XSLTApplyError:   # deeper than libxslt's template recursion
            pass
    parts: list[str] = []
    walker = lxml.etree.iterwalk(el, events=("start", "end", "comment", "pi"))
    for event, node in walker:
        if node is skip and skip is not el:
            if event == "start":
                parts.append("\n" + BODY_MARK + "\n")
                walker.skip_subtree()
            elif node.tail:
                parts.append(node.tail)
            continue
        tag = node.tag if isinstance(node.tag, str) else None
        if tag is None:  # comment / processing instruction: only its tail is text
            if node is not el and node.tail:
                parts.append(node.tail)
            continue
        tag = tag.lower()
        if event == "start":
            if tag in _SKIP:
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                parts.append("\n")
            elif tag in _CELL:
                parts.append(" | ")
            if node.text:
                parts.append(node.text)
        else:
            if tag in _BLOCK:
                parts.append("\n")
            if node is not el and node.tail:
                parts.append(node.tail)
    return _text_lines("".join(parts))


def _text_lines(raw: str) -> str:
    """element_text's lines: white space runs as one space, empty lines and empty table rows dropped."""
    lines = []
    for line in raw.split("\n"):
        line = _WS_RE.sub(" ", line).strip()
        if line.startswith("|"):
            line = line.strip("| ").strip()
            if not line.replace("|", "").strip():
                continue
        if line:
            lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------- chrome

_CHROME_LINE = re.compile(
    r"^(?:[\[【]?(?:打印(?:本页|此页|文章)?|收藏(?:本页)?|关闭(?:本页|窗口|页面)?|返回顶部|保存(?:本页)?|"
    r"纠错|我要纠错|加入收藏|设为首页|返回|"
    r"扫一扫在手机上查看当前页面|扫一扫在手机打开当前页|手机扫一扫|扫码分享)[\]】]?\s*)+$"
    r"|^分享(?:到)?(?::.{0,40})?$|^字体:?\s*\[.{0,12}\]\s*$|^//.*$|^(?:浏览|访问|阅读|点击)(?:次数|量)?:\s*\d*\s*$"
    r"|^(?:上一篇|下一篇|相关(?:文章|链接|信息))[:\s].*$")
_CHROME_FRAGMENT = re.compile(
    r"字体:?\s*\[[^\]]{0,12}\]|(?:浏览|访问|阅读|点击)次数:?\s*\d*|分享(?:到)?:\s*$|\[?(?:打印|关闭)(?:本页|窗口)\]?$"
    r"|【(?:打印|关闭|收藏)[^】]{0,4}】")
_TOOLBAR = re.compile(r"^[\[【]?(?:打印|收藏|关闭本页|关闭窗口|扫一扫在手机上查看当前页面|扫一扫在手机打开当前页)")
# the same over a whole text (^ and $ at every line): when they find nothing, no line needs them
_ANY_CHROME_LINE = re.compile(_CHROME_LINE.pattern, re.M)
_ANY_CHROME_FRAGMENT = re.compile(_CHROME_FRAGMENT.pattern, re.M)


def strip_chrome_lines(text: str) -> str:
    """Drop page chrome lines (toolbar, counters, share/font widgets, leaked script comments) and the
    footer that follows the toolbar at the end of the body."""
    lines = text.split("\n")
    # the footer: a toolbar line near the end, with only a little text after it
    total = sum(len(l) for l in lines)
    seen = 0
    for i, line in enumerate(lines):
        if _TOOLBAR.match(line) and total - seen < 600 and seen > 0:
            lines = lines[:i]
            break
        seen += len(line)
    out = []
    chrome_lines, fragments = _ANY_CHROME_LINE.search(text), _ANY_CHROME_FRAGMENT.search(text)
    for line in lines:
        if chrome_lines and _CHROME_LINE.match(line):
            continue
        line = (_CHROME_FRAGMENT.sub("", line) if fragments else line).strip()
        if line:
            out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------- main body

_CONTAINERS = [   # in order of preference
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_PreAppend ')]",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//div[@id='zoom']", "//*[@id='UCAP-CONTENT']", "//*[@id='content' or @class='content']",
    "//article",
]
_XML_WS = re.compile(r"[ \t\r\n]+")   # the white space of XPath's normalize-space()


def _containers(root) -> list[list]:
    """The elements each of _CONTAINERS selects, in document order: one pass over the page in
    Python, where the seven XPath scans cost four times as much."""
    found: list[list] = [[] for _ in _CONTAINERS]
    for el in root.iter(lxml.etree.Element):
        cls, eid, tag = el.get("class"), el.get("id"), el.tag
        if cls and "TRS_" in cls:
            names = _XML_WS.split(cls)
            if tag == "div" and "TRS_PreAppend" in names:
                found[0].append(el)
            if tag == "div" and "TRS_UEDITOR" in names:
                found[1].append(el)
            if "TRS_Editor" in names:
                found[2].append(el)
        if eid == "zoom" and tag == "div":
            found[3].append(el)
        if eid == "UCAP-CONTENT":
            found[4].append(el)
        if eid == "content" or cls == "content":
            found[5].append(el)
        if tag == "article":
            found[6].append(el)
    return found


_LINK_OR_TABLE = lxml.etree.XPath("boolean(.//a[@href]|.//table)")
_CHROME_CLASS = re.compile(r"share|print|toolbar|bdshare|qrcode|erweima|ewm|fontsize|font-size|fontsz|"
                           r"counter|breadcrumb|crumb|position|location|pager|nextpage", re.I)


def _text_len(el) -> int:
    return len(_WS_RE.sub("", el.text_content() or ""))


def find_body(root):
    """The element holding the report: a known platform container with real text, else the element
    whose direct paragraphs hold the most text (the readability idea), else <body>."""
    for selected in _containers(root):
        for el in selected:
            if _text_len(el) >= 30 or _LINK_OR_TABLE(el):
                # a container nested in a bigger one of the same platform: keep the outer one when the
                # outer one also holds tables (Word-pasted statistics sometimes sit outside)
                return el
    scores: dict = {}
    for p in root.iter("p", "div", "td", "span", "font"):
        parent = p.getparent()
        if parent is None:
            continue
        if p.tag == "p":
            own = len(_WS_RE.sub("", p.text_content() or ""))
        else:
            own = len(_WS_RE.sub("", (p.text or "") + "".join((c.tail or "") for c in p)))
        if own:
            scores[parent] = scores.get(parent, 0) + own
    if scores:
        best = max(scores, key=scores.get)
        if scores[best] >= 100:
            return best
    body = root.find(".//body")
    return body if body is not None else root


def drop_chrome_elements(body) -> None:
    """Remove widgets inside the body: share/print/qrcode/font-size/counter/pager blocks."""
    for el in body.xpath(".//*[@class or @id]"):
        key = (el.get("class") or "") + " " + (el.get("id") or "")
        if _CHROME_CLASS.search(key) and _text_len(el) < 120 and not el.xpath(".//table"):
            el.drop_tree()


# ---------------------------------------------------------------- documents

_ATTACH_RE = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|zip|rar)(?:$|[?#])|downfile\.jsp|download", re.I)


@dataclass
class Document:
    kind: str                         # html | text | pdf | docx | doc | wps | xlsx | xls | et | ofd
    encoding: str | None = None
    root: object = None               # whole page (lxml), html only
    body: object = None               # main container (lxml), html only
    head: dict = field(default_factory=dict)  # <meta name=...> (lower-case names) -> content
    title_tag: str | None = None
    original_page_text: str = ""      # text of the whole page, before normalisation (chrome stripped)
    page_text: str = ""               # normalised text of the whole page (metadata lives outside the body)
    original_text: str = ""           # body text before normalisation
    text: str = ""                    # normalised body text
    links: list = field(default_factory=list)  # attachment links: {"url", "text"}
    parser: str = "lxml"              # "html5lib" when lxml's tree lost table structure (browser_parse)


def from_text(text: str, kind: str = "text") -> Document:
    """A document from plain text (seeds, PDF/DOCX text)."""
    original = strip_chrome_lines("\n".join(_WS_RE.sub(" ", l).strip() for l in text.splitlines()
                                            if l.strip()))
    if not original.strip():
        raise EmptyInput("no text")
    norm = strip_chrome_lines(normalise(original))
    return Document(kind=kind, original_page_text=original, page_text=norm, original_text=original, text=norm)


_CELL_TAG = re.compile(r"<t[dh][\s>]", re.I)


def _html_parser(**kw) -> lxml.etree.HTMLParser:
    """lxml.html's parser with the element class chosen in C: lxml.html looks up a class per tag in
    Python (FormElement, InputElement...) each time an element is touched, a third of the cost of a
    walk over the tree; every element here is a plain HtmlElement (text_content, drop_tree...)."""
    parser = lxml.etree.HTMLParser(**kw)
    parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
    return parser


_PARSER = _html_parser()
_HUGE = _html_parser(huge_tree=True)
_ORPHAN_CELLS = lxml.etree.XPath("boolean(//td[not(parent::tr)] | //th[not(parent::tr)])")
_COUNT_CELLS = lxml.etree.XPath("count(//td | //th)")


def lost_table_structure(root, text: str) -> bool:
    """Whether lxml's tree lost table structure a browser keeps: cells outside any row (a stray
    </tr>, <td> straight after <table>), or fewer cells than the source has (libxml2 stops nesting at
    depth 256: a page of unclosed <font>/<span> loses everything after). Cheap: pages without
    tables, and well-formed ones, cost one regex count and one tree walk."""
    if "<t" not in text and "<T" not in text:
        return False
    if _ORPHAN_CELLS(root):
        return True
    return _COUNT_CELLS(root) < len(_CELL_TAG.findall(text))


def browser_parse(text: str):
    """The page as a browser builds it: BeautifulSoup with html5lib (the HTML5 tree construction:
    implied <tr>, no depth limit), handed back to lxml as well-formed markup (huge_tree: no depth
    limit either). Slow (tens of ms): only for pages lost_table_structure() flags."""
    from bs4 import BeautifulSoup       # imported here: the hot path never needs it
    return lxml.html.document_fromstring(str(BeautifulSoup(text, "html5lib")), parser=_HUGE)


def _cells_in_rows(root) -> int:
    return sum(1 for c in root.iter("td", "th") if c.getparent() is not None and c.getparent().tag == "tr")


def from_html(text: str, url: str | None = None, encoding: str | None = None) -> Document:
    """A document from HTML source: parsed with lxml, main body found, chrome stripped."""
    if not text.strip():
        raise EmptyInput("empty page")
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)  # lxml refuses str input with an encoding declaration
    try:
        root = lxml.html.document_fromstring(text, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as e:
        raise EmptyInput(f"no HTML content: {e}") from None
    parser = "lxml"
    if lost_table_structure(root, text):
        try:
            fixed = browser_parse(text)
        except Exception:        # html5lib never should fail; lxml's tree is still there
            fixed = None
        if fixed is not None and _cells_in_rows(fixed) > _cells_in_rows(root):
            root, parser = fixed, "html5lib"
    head = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        if name and m.get("content") is not None:
            head.setdefault(name, m.get("content").strip())
    t = root.find(".//title")
    title_tag = _WS_RE.sub(" ", t.text_content()).strip() if t is not None else None
    body = find_body(root)
    drop_chrome_elements(body)
    links = []
    for a in body.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("javascript:", "#", "mailto:")) and _ATTACH_RE.search(href):
            links.append({"url": urljoin(url, href) if url else href,
                          "text": _WS_RE.sub(" ", a.text_content()).strip()})
    body_text = strip_chrome_lines(element_text(body))
    text = normalise(body_text)
    simplified = text != body_text and _t2s().convert(body_text) == text
    # the page around the body (metadata block, title, toolbar) read once, the body text reused
    page_el = root.find(".//body")
    outside = element_text(page_el if page_el is not None else root, skip=body)
    before, _, after = outside.partition(BODY_MARK)
    before, after = strip_chrome_lines(before), strip_chrome_lines(after)
    page_original = "\n".join(filter(None, [before, body_text, after]))
    page_text = "\n".join(filter(None, [normalise(before, simplified or None), text,
                                         normalise(after, simplified or None)]))
    return Document(kind="html", encoding=encoding, root=root, body=body, head=head, title_tag=title_tag,
                    original_page_text=page_original, page_text=page_text,
                    original_text=body_text, text=text, links=links, parser=parser)


def is_html(text: str) -> bool:
    head = text[:2000].lower()
    return bool(re.search(r"<(?:!doctype html|html|head|body|meta|div|p|table)[\s>]", head))


_HEAD_START = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十]+\)|\d+[.、]|第[一二三四五六七八九十]+)")


def unwrap_lines(text: str, min_len: int = 20) -> str:
    """Join lines a PDF wrapped mid-sentence: a long line not ending a sentence continues on the next
    line unless that one starts a heading or list item. For reading prose only; `text` keeps the lines."""
    out: list[str] = []
    for line in text.split("\n"):
        if out and len(out[-1]) >= min_len and not re.search(r"[。;:!?)」”]$", out[-1]) \
                and not _HEAD_START.match(line) and "|" not in line and "|" not in out[-1]:
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)
