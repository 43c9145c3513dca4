"""Henan's 集约化 platform (安阳县 www.ayx.gov.cn, fgw.henan.gov.cn, hnjs.henan.gov.cn).

URL grammar: details /{YYYY}/{MM-DD}/{id}.html at the host's root (the publication date); a column is
a folder with index.html, then index_2.html, index_3.html ... The list is the page's links (the spider
keeps report titles). The page has no page links: a script writes them,
createPageNav(records, pageSize, current, "index", "html"), so the family computes the page count
from the record count and page size (or a "共N页" text where a site prints one).
Column paths and pagination are plausible, not verified on the real sites (design/nationwide.md §2).
"""
from __future__ import annotations

import math
import re
from urllib.parse import urlsplit, urlunsplit

from scrapy.http import TextResponse

from crawler.families import Family, page_signs

PAGE_NAV = re.compile(r"createPageNav\(\s*(\d+)\s*,\s*(\d+)\s*,\s*\d+\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]")
TOTAL = re.compile(r"共\s*(\d+)\s*页")


class Henan(Family):
    name = "henan"

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """Henan's 集约化 platform: documents /{YYYY}/{MM-DD}/{id}.html, the createPageNav pager."""
        signs = page_signs(response, {
            "documents /{YYYY}/{MM-DD}/{id}.html": r"/(?:19|20)\d{2}/\d{2}-\d{2}/\d+\.html",
            "the createPageNav pager": r"createPageNav\(",
        })
        return "Henan's platform: " + ", ".join(signs) if signs else None

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        col = urlsplit(self.column.url)
        folder = col.path.rsplit("/", 1)[0]
        nav = PAGE_NAV.search(response.text)
        if nav:
            records, size, stem, ext = int(nav.group(1)), int(nav.group(2)), nav.group(3), nav.group(4)
            last = math.ceil(records / size) if size else 1
        else:
            m = TOTAL.search(response.text)
            last, stem, ext = (int(m.group(1)) if m else 1), "index", "html"
        return [urlunsplit((col.scheme, col.netloc, f"{folder}/{stem}_{n}.{ext}", "", ""))
                for n in range(2, last + 1)]
