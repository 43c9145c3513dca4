"""VSB 博达 sites (western county and city portals, e.g. 蒙自 www.hhmz.gov.cn, 甘谷, 眉山 www.ms.gov.cn).

URL grammar:
- details: /info/{wbtreeid}/{wbnewsid}.htm, or in the xxgk module
  /xxgk/xxgk_content.jsp?urltype=news.NewsContentUrl&wbtreeid={tree}&wbnewsid={id};
- static columns: {column}.htm is the newest page, further pages {column}/{n}.htm numbered downwards
  (the oldest page is 1.htm, so an old page keeps its URL);
- JSP columns: xxgk_list.jsp?urltype=tree.TreeTempUrl&wbtreeid={tree}, further pages the same JSP with
  totalpage=N&PAGENUM=k.
The list is the page's links (the spider keeps the report titles). The pager prints only 首页/上页/下页/
尾页, so the range is filled in from the highest page number a pager link names (尾页 on the column
page). Both pagination shapes are plausible, not verified on the real sites (design/nationwide.md §2).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import TextResponse

from crawler.families import Family, page_signs
from crawler.links import anchors


class Vsb(Family):
    name = "vsb"

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """VSB 博达: /info/{cat}/{id}.htm documents, the xxgk_content.jsp / xxgk_list.jsp forms."""
        signs = page_signs(response, {
            "/info/{cat}/{id}.htm documents": r"/info/\d+/\d+\.htm\b",
            "the wbtreeid / wbnewsid forms": r"xxgk_(?:content|list)\.jsp\?\S*?wb(?:tree|news)id=",
        })
        return "VSB: " + ", ".join(signs) if signs else None

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        col = urlsplit(self.column.url)
        if col.path.endswith(".jsp"):
            return self._jsp_pages(response, col)
        stem = col.path.rsplit(".", 1)[0] + "/"          # /xxgk/zfxxgkndbg.htm -> /xxgk/zfxxgkndbg/
        numbered = re.compile(re.escape(stem) + r"(\d+)\.htm$")
        last = 0
        for _, url in anchors(response):
            u = urlsplit(url)
            m = numbered.match(u.path)
            if m and u.netloc == col.netloc:
                last = max(last, int(m.group(1)))
        return [urlunsplit((col.scheme, col.netloc, f"{stem}{n}.htm", "", "")) for n in range(last, 0, -1)]

    @staticmethod
    def _jsp_pages(response, col) -> list[str]:
        """PAGENUM 2..N of the same JSP and tree, N the highest PAGENUM or totalpage a pager link names."""
        tree = dict(parse_qsl(col.query)).get("wbtreeid")
        last, model = 0, None
        for _, url in anchors(response):
            u = urlsplit(url)
            query = parse_qsl(u.query)
            q = dict(query)
            if u.netloc != col.netloc or u.path != col.path or q.get("wbtreeid") != tree or "PAGENUM" not in q:
                continue
            for key in ("PAGENUM", "totalpage"):
                if q.get(key, "").isdigit():
                    last = max(last, int(q[key]))
            model = model or (u, query)
        if model is None:
            return []
        u, query = model
        pages = []
        for n in range(2, last + 1):
            q = [(k, str(n) if k == "PAGENUM" else (str(last) if k == "totalpage" else v)) for k, v in query]
            pages.append(urlunsplit((col.scheme, u.netloc, u.path, urlencode(q), "")))
        return pages
