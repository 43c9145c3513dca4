"""Hanweb's new generation, jpaas (Zhejiang, Jiangsu, several ministries): the column page holds no list,
only a script that builds it.

URL grammar (design/nationwide.md §2; design/sites.md "Zhejiang 2023+"):
    /col/col{N}/index.html (or a folder column such as /xxgk/zfxxgknb/2025/szfgzbm/)   the column page
    /api-gateway/jpaas-publish-server/front/page/build/unit?{queryData}&pageNo={n}   its list, page n
    /col/col{N}/art/{YYYY}/art_{32hex}.html, {column}/art/{YYYY}/art_{32hex}.html      jpaas details
    /art/{Y}/{M}/{D}/art_{N}_{id}.html                                              JCMS details, still listed

The column page declares the list as `<script src=".../AuthorizedRead/unitbuild.js" url="/api-gateway/…/unit"
queryData="{'webId':…,'pageId':…,'tplSetId':…,'tagId':…,…}">` (single-quoted JSON); the unit answers
`{"success": true, "data": {"html": "<ul><li><a href title>…</a><span>date</span></li>…</ul>
<div class="pagination" count="N">"}}` (public scrapers of jst.zj-style sites read exactly this). Pages:
`pageNo=n` added to queryData (the research's shape; a Jiangsu scraper's), or, when the unit ignores it and
answers page 1 again, `paramJson={"pageNo":n,"pageSize":m}` (Zhejiang and ministry scrapers'); the count
from the pagination's `count` over the first page's item count, else one page more while a page lists
something (an empty page ends it) [inferred]. Page 2 is asked first (it tells which form works), then
the rest. Links in the fragment resolve against the column page that declared the unit.

Option `jpaas: {years: "{YYYY}/szfgzbm/"}`: the column is a folder of per-year sub-columns (靖江's
/xxgk/zfxxgknb/{YYYY}/szfgzbm/, shared by every city department: the registry's `match`); links from the
column page to sub-columns of that shape are followed.
"""
from __future__ import annotations

import ast
import json
import math
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from parsel import Selector
from scrapy.http import TextResponse

from crawler.families import Family
from crawler.links import anchors, anchors_in

UNIT = "/api-gateway/jpaas-publish-server/front/page/build/unit"
ART = re.compile(r"/art/(?:19|20)\d\d/art_[0-9a-f]{32}\.html")
COUNT = re.compile(r"""class=["']?pagination["']?[^>]*\bcount=["']?(\d+)""")


def unit_spec(response) -> tuple[str, dict] | None:
    """(unit URL, queryData) a column page declares, or None."""
    for script in response.css('script[src*="unitbuild.js"]'):
        raw = script.attrib.get("querydata") or script.attrib.get("queryData") or ""
        try:
            query = json.loads(raw.replace("'", '"'))
        except ValueError:
            try:
                query = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                continue
        if isinstance(query, dict):
            return response.urljoin(script.attrib.get("url") or UNIT), {k: str(v) for k, v in query.items()}
    return None


def fragment(response) -> str | None:
    """The list HTML of a unit answer (None: not one, or not usable)."""
    try:
        data = json.loads(response.text)
    except ValueError:
        return None
    html = (data.get("data") or {}).get("html") if isinstance(data, dict) and data.get("success") else None
    return html if isinstance(html, str) else None


class Jpaas(Family):
    name = "jpaas"

    def __init__(self, column):
        super().__init__(column)
        self.bases: dict[str, str] = {}   # unit page URL -> the column page that declared it
        self.first: dict[tuple, tuple] = {}   # unit -> (page 1's links, page count or None, page 1's size)

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """jpaas: a unitbuild.js list declaration, a unit answer, or /art/{YYYY}/art_{32hex}.html documents."""
        if not isinstance(response, TextResponse):
            return None
        if urlsplit(response.url).path == UNIT:
            return "a jpaas unit answer (build/unit)"
        signs = []
        if "unitbuild.js" in response.text and "queryData" in response.text:
            signs.append("a unitbuild.js list with queryData")
        if ART.search(response.text):
            signs.append("art_{32hex}.html documents")
        return ", ".join(signs) or None

    def is_unit(self, response) -> bool:
        return urlsplit(response.url).path == UNIT

    def base_of(self, response) -> str:
        return self.bases.get(response.url, response.url)

    def items(self, response) -> list[tuple[str, str]]:
        html = fragment(response)
        if not html:
            return []
        return anchors_in(Selector(text=html), _Base(self.base_of(response)))

    def list_entries(self, response) -> list[tuple[str, str]]:
        if not isinstance(response, TextResponse):
            return []
        if self.is_unit(response):
            return self.items(response)
        return anchors(response)

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        if self.is_unit(response):
            return self.more_pages(response)
        out = []
        spec = unit_spec(response)
        if spec:
            out.append(self.page_url(*spec, 1))
            self.bases[out[-1]] = response.url
        years = (self.column.option("jpaas") or {}).get("years")
        if years:
            shape = re.compile(re.escape(years).replace(re.escape("{YYYY}"), r"(?:19|20)\d\d") + r"(?:index\.html)?$")
            root = self.column.url.rsplit("/", 1)[0] + "/"
            out += [u for _, u in anchors(response) if u.startswith(root) and shape.fullmatch(u[len(root):])]
        return out

    @staticmethod
    def page_url(unit: str, query: dict, n: int, style: str = "pageNo", size: int = 15) -> str:
        """Page n of a unit: `pageNo=n` added to queryData, or `paramJson={"pageNo":n,"pageSize":size}`."""
        base = {k: v for k, v in query.items() if k not in ("pageNo", "paramJson")}
        if style == "paramJson":
            base["paramJson"] = json.dumps({"pageNo": n, "pageSize": size}, separators=(",", ":"))
        else:
            base["pageNo"] = n
        return f"{unit}?{urlencode(base)}"

    def more_pages(self, response) -> list[str]:
        """Page 1 asks page 2; page 2 asks 3..N (N from page 1's pagination count over its items), or
        without a count each page the next while it lists something. A page 2 that repeats page 1 means
        the unit ignores `pageNo`: page 2 again as paramJson, and the rest that way."""
        url = urlsplit(response.url)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        style = "paramJson" if "paramJson" in query else "pageNo"
        try:
            n = int(json.loads(query["paramJson"]).get("pageNo", 1) if style == "paramJson" else query.get("pageNo") or 1)
        except (ValueError, AttributeError):
            return []
        unit = f"{url.scheme}://{url.netloc}{url.path}"
        key = (unit, tuple(sorted((k, v) for k, v in query.items() if k not in ("pageNo", "paramJson"))))
        items = self.items(response)
        listed = [u for _, u in items]
        if n == 1:
            count = COUNT.search(fragment(response) or "")
            total = math.ceil(int(count.group(1)) / len(items)) if count and items else None
            self.first[key] = (listed, total, len(items))
            pages = [self.page_url(unit, query, 2, style, len(items))] if items and (total is None or total > 1) else []
        else:
            first, total, size = self.first.get(key, (None, None, len(items)))
            if not items:
                pages = []
            elif listed == first:   # page 1 again: the unit ignored the page number
                pages = [self.page_url(unit, query, 2, "paramJson", size)] if style == "pageNo" and n == 2 else []
            elif total:
                pages = [self.page_url(unit, query, k, style, size) for k in range(3, total + 1)] if n == 2 else []
            else:
                pages = [self.page_url(unit, query, n + 1, style, size)]
        for page in pages:
            self.bases[page] = self.base_of(response)
        return pages


class _Base:
    """What anchors_in needs of a response: urljoin against a base URL."""

    def __init__(self, url: str):
        self.url = url

    def urljoin(self, href: str) -> str:
        return urljoin(self.url, href)
