"""Anhui's Lonsun 龙讯 platform: an organ's 信息公开 column, or the portal's annual-report module.

URL grammar (nationwide.md §2):
- column `/public/column/{organ}?type=4&catId={cat}&action=list`, later pages `...&pageIndex=N`; details
  `/public/{organ}/{doc}.html` with the table 索引号 / 组配分类 / 发布机构 / 发文日期;
- the annual-report module: details `/XxgkAnnualReport/show/{id}.html` (also `OpennessAnnualReport/show/`),
  its list (not seen by the research; the replica's guess) `/XxgkAnnualReport/index.html?pageIndex=N`, every
  department of the portal in one list (the registry's `match` picks the agency's reports).
Where the list comes from: the page's links. Pagination: every `pageIndex=N` the page links, and the total
the page states when its pager is drawn by script (`Ls.pageInfo({pageCount: M ...})`, `共M页`): pages
2..M, as the column URL plus `pageIndex=N`. Fetched from page 1 only (later pages add nothing).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from scrapy.http import TextResponse

from crawler.families import Family, page_signs
from crawler.links import anchors

PAGE_COUNT = re.compile(r"pageCount\s*:\s*(\d+)|共\s*(\d+)\s*页")


class Lonsun(Family):
    name = "lonsun"

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """Lonsun (Anhui's 龙讯): the XxgkAnnualReport module, /public/column/ lists, /public/{org}/{doc}.html."""
        signs = page_signs(response, {
            "the XxgkAnnualReport module": r"/(?:Xxgk|Openness)AnnualReport/",
            "/public/column/ lists": r"/public/column/\d+",
            "/public/{org}/{doc}.html documents": r"/public/\d+/\d+\.html",
        })
        return "Lonsun: " + ", ".join(signs) if signs else None

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        url = urlsplit(response.url)
        query = parse_qs(url.query, keep_blank_values=True)
        if query.get("pageIndex", ["1"])[0] != "1":
            return []
        last = 0
        for _, link in anchors(response):
            parts = urlsplit(link)
            n = parse_qs(parts.query).get("pageIndex", [""])[0]
            if parts.netloc == url.netloc and parts.path == url.path and n.isdigit():
                last = max(last, int(n))
        for m in PAGE_COUNT.finditer(response.text):
            last = max(last, int(m.group(1) or m.group(2)))
        pairs = [(k, v) for k, vs in query.items() if k != "pageIndex" for v in vs]
        return [urlunsplit(url._replace(query=urlencode([*pairs, ("pageIndex", n)], safe=",")))
                for n in range(2, last + 1)]
