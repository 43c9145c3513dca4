"""TRS WCM sites (Hunan, Guangxi, Hubei, Xizang portals): server-rendered columns paginated
as index.html, index{sep}{n}.{ext}; totals in pager links or `createPageHTML(total, current,
"index", "ext")`."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.spiders.families.base import ReportSpider, anchors, same_dir

CREATE_PAGE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,")


class TrsSpider(ReportSpider):
    """A TRS column. page_first: suffix of the 2nd page (1 on classic TRS: index_1 = page 2;
    2 on the Hunan/Guangxi portals: index_2 = page 2)."""

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


class TrsHunanSpider(TrsSpider):
    """Hunan's provincial portal: index.html, index_2.html (1-based); one column shared by
    every provincial department (registry `match`)."""
    page_first = 2


class TrsGuangxiSpider(TrsSpider):
    """Guangxi's platform: index.shtml, index-2.shtml, index-3.shtml."""
    page_sep, page_ext, page_first = "-", "shtml", 2


class TrsHubeiSpider(TrsSpider):
    """Hubei's platform (TRS classic): index.shtml, index_1.shtml (= page 2), total in
    createPageHTML. Behind a JS challenge: the registry sets browser: true."""
    page_sep, page_ext, page_first = "_", "shtml", 1


YEAR_COLUMN = re.compile(r"/(\d{4})(?:nb|gznb)/(?:index\.html|list\.html)?$")


class TrsXizangSpider(TrsSpider):
    """Xizang's regional portal: xxgknb/ holds one sub-column per year (2014nb/ ...), each
    index.html (or list.html), index_1.html, ...; shared by all departments (registry match)."""
    page_first = 1

    def next_pages(self, response) -> list[str]:
        pages = super().next_pages(response)
        for _, url in anchors(response):
            if YEAR_COLUMN.search(urlsplit(url).path) and url.startswith(self.agency.columns[0]):
                pages.append(url if not url.endswith("/") else url + "index.html")
        return pages
