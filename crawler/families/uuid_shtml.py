"""The UUID .shtml platform (vendor unknown): Jiangxi's county portals (樟树, 赣县区, 章贡区) and Hainan's
departments (zjt.hainan.gov.cn).

URL grammar: a column is a folder ({site}/c{N}/ on the Jiangxi sites); details
{column}YYYYMM/{32 hex}.shtml. List pages: the column page (list.shtml, or index.shtml / the folder),
then {stem}_2.shtml, {stem}_3.shtml ... The list is the page's links (the spider keeps report titles).
Pagination: the pager shows only a window of page numbers, so the total comes from its "共N页" text
(or the highest page a link names) and every page 2..N is asked for from the column page.
The page names and the window are plausible, not verified on the real sites (design/nationwide.md §2).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from scrapy.http import TextResponse

from crawler.families import Family, page_signs
from crawler.links import anchors

TOTAL = re.compile(r"共\s*(\d+)\s*页")


class UuidShtml(Family):
    name = "uuid_shtml"

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """the UUID .shtml platform (Jiangxi, Hainan): documents c{N}/YYYYMM/{32 hex}.shtml."""
        signs = page_signs(response, {
            "documents {YYYYMM}/{32 hex}.shtml": r"/\d{6}/[0-9a-f]{32}\.shtml",
        })
        return "UUID .shtml: " + ", ".join(signs) if signs else None

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        col = urlsplit(self.column.url)
        folder, _, name = col.path.rpartition("/")
        stem = name.split(".")[0] if name else "index"
        numbered = re.compile(re.escape(f"{folder}/{stem}_") + r"(\d+)\.shtml$")
        m = TOTAL.search(response.text)
        last = int(m.group(1)) if m else 1
        for _, url in anchors(response):
            u = urlsplit(url)
            n = numbered.match(u.path)
            if n and u.netloc == col.netloc:
                last = max(last, int(n.group(1)))
        return [urlunsplit((col.scheme, col.netloc, f"{folder}/{stem}_{n}.shtml", "", ""))
                for n in range(2, last + 1)]
