"""Harbin's district and county portals (木兰县 mulan.gov.cn, 松北区 songbei.gov.cn; the city portal
www.harbin.gov.cn uses the same platform).

URL grammar: the 年报 column is a list page zfxxgklby_nb.shtml under a c{N} folder
(/hebmlx/c111202/zfxxgklby_nb.shtml), further pages zfxxgklby_nb_2.shtml ...; details sit under another
c-folder, the column's number plus a letter (/hebmlx/c111204t/YYYYMM/c01_{id}.shtml), so reports are
told by their titles (the spider), not by their folder. The list is the page's links. Pagination: the
pager links every page number and 尾页; the family asks for 2..N, N the highest number a pager link of
this column names. Pagination is plausible, not verified on the real sites (design/nationwide.md §2).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from scrapy.http import TextResponse

from crawler.families import Family, page_signs
from crawler.links import anchors


class Hrb(Family):
    name = "hrb"

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """Harbin's platform: documents c{N}/YYYYMM/c01_{id}.shtml, the zfxxgklby_nb column."""
        signs = page_signs(response, {
            "documents c01_{id}.shtml": r"/\d{6}/c01_\d+\.shtml",
            "the zfxxgklby_nb column": r"zfxxgklby_nb",
        })
        return "Harbin's platform: " + ", ".join(signs) if signs else None

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        col = urlsplit(self.column.url)
        folder, _, name = col.path.rpartition("/")
        stem, _, ext = name.partition(".")
        numbered = re.compile(re.escape(f"{folder}/{stem}_") + r"(\d+)\." + re.escape(ext) + "$")
        last = 1
        for _, url in anchors(response):
            u = urlsplit(url)
            m = numbered.match(u.path)
            if m and u.netloc == col.netloc:
                last = max(last, int(m.group(1)))
        return [urlunsplit((col.scheme, col.netloc, f"{folder}/{stem}_{n}.{ext}", "", ""))
                for n in range(2, last + 1)]
