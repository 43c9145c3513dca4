"""TRS WCM sites (Hunan, Guangxi, Hubei, Xizang portals): server-rendered columns paginated
as index.html, index{sep}{n}.{ext}; totals in pager links or `createPageHTML(total, current,
"index", "ext")`."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.families import Family
from crawler.links import anchors, same_dir

CREATE_PAGE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,")
# fingerprints (scheduler.py probe): TRS WCM's document URLs t{YYYYMMDD}_{id}.html / t{id}.shtml, its
# pager script, its editor's body classes
TRS_DOC = re.compile(r"(?:^|/)t(?:\d{8}_)?\d{5,}\.s?html$")
TRS_EDITOR = re.compile(r"class=['\"][^'\"]*\bTRS_(?:Editor|UEDITOR|PreAppend)", re.I)
CREATE_PAGE_EXT = re.compile(r"createPageHTML\(\s*\d+\s*,\s*\d+\s*,\s*['\"]\w+['\"]\s*,\s*['\"](\w+)['\"]")


def _links(response) -> list[str]:
    from scrapy.http import TextResponse
    return [urlsplit(u).path for _, u in anchors(response)] if isinstance(response, TextResponse) else []


def trs_signs(response) -> list[str]:
    """What shows TRS WCM in a page: its document links, its pager script, its editor's classes."""
    from scrapy.http import TextResponse
    if not isinstance(response, TextResponse):
        return []
    signs = []
    docs = [p for p in _links(response) if TRS_DOC.search(p)]
    if docs:
        signs.append(f"{len(docs)} TRS document links ({docs[0].rsplit('/', 1)[-1]})")
    if "createPageHTML(" in response.text:
        signs.append("the createPageHTML pager")
    if TRS_EDITOR.search(response.text):
        signs.append("TRS_Editor body")
    return signs


class Trs(Family):
    """A TRS column (classic TRS: index_1 = page 2). page_first: suffix of the 2nd page (1 on classic TRS: index_1 = page 2;
    2 on the Hunan/Guangxi portals: index_2 = page 2)."""

    name = "trs"
    page_sep = "_"
    page_ext = "html"
    page_first = 1

    def next_pages(self, response) -> list[str]:
        path = urlsplit(response.url).path
        name = path.rsplit("/", 1)[-1]
        if name and not name.startswith("index"):
            return []
        page_re = re.compile(rf"/index{re.escape(self.page_sep)}(\d+)\.{self.page_ext}$")
        last = 0
        for _, url in anchors(response):
            m = page_re.search(urlsplit(url).path)
            if m and same_dir(url, response.url):
                last = max(last, int(m.group(1)))
        m = CREATE_PAGE.search(response.text)
        if m:  # total page count
            last = max(last, int(m.group(1)) - 2 + self.page_first)
        return [response.urljoin(f"index{self.page_sep}{n}.{self.page_ext}")
                for n in range(self.page_first, last + 1)]

    @classmethod
    def fingerprint(cls, response) -> str | None:
        signs = trs_signs(response)
        return "TRS: " + ", ".join(signs) if signs else None


class TrsHunan(Trs):
    """Hunan's provincial portal: index.html, index_2.html (1-based); one column shared by
    every provincial department (registry `match`)."""
    name = "trs_hunan"
    page_first = 2

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """TRS on Hunan's portal: its host and /hnszf/ paths, or a pager whose page 2 is index_2.html."""
        signs = trs_signs(response)
        if not signs:
            return None
        pages = {int(m.group(1)) for p in _links(response) if (m := re.search(r"/index_(\d+)\.html$", p))}
        if urlsplit(response.url).hostname == "www.hunan.gov.cn" or "/hnszf/" in urlsplit(response.url).path:
            return "TRS, Hunan's provincial portal (www.hunan.gov.cn/hnszf/): " + ", ".join(signs)
        if pages and 1 not in pages and 2 in pages:
            return "TRS with page 2 as index_2.html: " + ", ".join(signs)
        return None


class TrsGuangxi(Trs):
    """Guangxi's platform: index.shtml, index-2.shtml, index-3.shtml."""
    name = "trs_guangxi"
    page_sep, page_ext, page_first = "-", "shtml", 2

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """TRS on Guangxi's platform: pager index-N.shtml, documents t{id}.shtml (no date)."""
        if not trs_signs(response):
            return None
        paths = _links(response)
        if any(re.search(r"/index-\d+\.shtml$", p) for p in paths):
            return "TRS, Guangxi's platform: pager index-N.shtml"
        if any(re.search(r"(?:^|/)t\d{5,}\.shtml$", p) for p in paths):
            return "TRS, Guangxi's platform: documents t{id}.shtml"
        return None


class TrsHubei(Trs):
    """Hubei's platform (TRS classic): index.shtml, index_1.shtml (= page 2), total in
    createPageHTML. Behind a JS challenge: the registry sets browser: true."""
    name = "trs_hubei"
    page_sep, page_ext, page_first = "_", "shtml", 1

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """TRS on Hubei's platform: createPageHTML(..., "shtml"), documents t{YYYYMMDD}_{id}.shtml."""
        if not trs_signs(response):
            return None
        m = CREATE_PAGE_EXT.search(response.text)
        if m and m.group(1) == "shtml":
            return 'TRS, Hubei\'s platform: createPageHTML(..., "shtml")'
        if any(re.search(r"(?:^|/)t\d{8}_\d+\.shtml$", p) for p in _links(response)):
            return "TRS, Hubei's platform: documents t{YYYYMMDD}_{id}.shtml"
        return None


YEAR_COLUMN = re.compile(r"/(\d{4})(?:nb|gznb)/(?:index\.html|list\.html)?$")


class TrsXizang(Trs):
    """Xizang's regional portal: xxgknb/ holds one sub-column per year (2014nb/ ...), each
    index.html (or list.html), index_1.html, ...; shared by all departments (registry match)."""
    name = "trs_xizang"
    page_first = 1

    def next_pages(self, response) -> list[str]:
        pages = super().next_pages(response)
        for _, url in anchors(response):
            if YEAR_COLUMN.search(urlsplit(url).path) and url.startswith(self.column.url):
                pages.append(url if not url.endswith("/") else url + "index.html")
        return pages

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """Xizang's portal: a column of yearly sub-columns ({YYYY}nb/) directly below it."""
        here = urlsplit(response.url).path.rsplit("/", 1)[0] + "/"
        years = {p for p in _links(response) if YEAR_COLUMN.search(p) and p.startswith(here)}
        if len(years) >= 3:
            return f"TRS, Xizang's portal: {len(years)} yearly sub-columns ({{YYYY}}nb/)"
        return None
