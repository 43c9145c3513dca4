"""TRS WCM sites (Hunan, Guangxi, Hubei, Xizang portals): server-rendered columns paginated
as index.html, index{sep}{n}.{ext}; totals in pager links or `createPageHTML(total, current,
"index", "ext")`."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.families import Family
from crawler.links import anchors, same_dir

CREATE_PAGE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,")


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


class TrsHunan(Trs):
    """Hunan's provincial portal: index.html, index_2.html (1-based); one column shared by
    every provincial department (registry `match`)."""
    name = "trs_hunan"
    page_first = 2


class TrsGuangxi(Trs):
    """Guangxi's platform: index.shtml, index-2.shtml, index-3.shtml."""
    name = "trs_guangxi"
    page_sep, page_ext, page_first = "-", "shtml", 2


class TrsHubei(Trs):
    """Hubei's platform (TRS classic): index.shtml, index_1.shtml (= page 2), total in
    createPageHTML. Behind a JS challenge: the registry sets browser: true."""
    name = "trs_hubei"
    page_sep, page_ext, page_first = "_", "shtml", 1


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
