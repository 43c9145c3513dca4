"""Hanweb 大汉 JCMS (Zhejiang): the column page embeds the first list page as CDATA records in
<script type="text/xml"><datastore>; further pages come from
/module/web/jpage/dataproxy.jsp?page=N&... answering bare XML with <totalpage>."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from parsel import Selector
from scrapy.http import TextResponse

from crawler.families import Family
from crawler.links import anchors, anchors_in

CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
TOTAL_PAGE = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.I)
COLUMN_ID = re.compile(r"/col/col(\d+)/")
DATAPROXY = "/module/web/jpage/dataproxy.jsp"
ART = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html")


class Hanweb(Family):
    """Registry options: hanweb: {webid, unitid} (read from the page when absent)."""
    name = "hanweb"

    def list_entries(self, response) -> list[tuple[str, str]]:
        found = anchors(response)
        if isinstance(response, TextResponse):
            for record in CDATA.findall(response.text):
                found += anchors_in(Selector(text=record), response)
        return found

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        url = urlsplit(response.url)
        total = TOTAL_PAGE.search(response.text)
        if url.path == DATAPROXY:
            query = parse_qs(url.query)
            if query.get("page", ["1"])[0] != "1" or not total:
                return []
            return [self._page(response, query, n) for n in range(2, int(total.group(1)) + 1)]
        column = COLUMN_ID.search(url.path)
        if not column:
            return []
        opts = dict(self.column.option("hanweb") or {})
        for key in ("webid", "unitid"):
            if key not in opts:
                m = re.search(rf"\b{key}\s*[=:]\s*['\"]?(\d+)", response.text)
                opts[key] = m.group(1) if m else ""
        query = {"appid": ["1"], "webid": [str(opts["webid"])], "path": ["/"],
                 "columnid": [column.group(1)], "unitid": [str(opts["unitid"])],
                 "permissiontype": ["0"]}
        if total:  # the column page says how many pages: fetch 2..N
            return [self._page(response, query, n) for n in range(2, int(total.group(1)) + 1)]
        return [self._page(response, query, 1)]  # ask page 1 for the total

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """Hanweb JCMS: the <datastore> list island, jpage's dataproxy.jsp, /col/col{id}/ columns and
        /art/{Y}/{M}/{D}/art_{col}_{id}.html documents."""
        if not isinstance(response, TextResponse):
            return None
        text = response.text
        signs = []
        if "<datastore>" in text:
            signs.append("a <datastore> list")
        if DATAPROXY in text or urlsplit(response.url).path == DATAPROXY:
            signs.append("jpage dataproxy.jsp")
        if ART.search(text):
            signs.append("art_{col}_{id}.html documents")
        if not signs:
            return None
        if COLUMN_ID.search(urlsplit(response.url).path) or "/col/col" in text:
            signs.append("/col/col{id}/ columns")
        return "Hanweb JCMS: " + ", ".join(signs)

    @staticmethod
    def _page(response, query: dict, n: int) -> str:
        q = {"page": n, **{k: v[0] for k, v in query.items() if k != "page"}}
        order = ["page", "appid", "webid", "path", "columnid", "unitid", "permissiontype"]
        q = {k: q[k] for k in order if k in q} | {k: v for k, v in q.items() if k not in order}
        return response.urljoin(f"{DATAPROXY}?{urlencode(q, safe='/')}")
