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
`pageNo=n` added to queryData [the parameter name as the research gives it; some sites take
paramJson={"pageNo":n}]; the total from the pagination's `count` over the first page's item count, else
one page more while a page lists something (an empty page ends it) [inferred]. Links in the fragment
resolve against the column page that declared the unit.

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
    def page_url(unit: str, query: dict, n: int) -> str:
        return f"{unit}?{urlencode({**{k: v for k, v in query.items() if k != 'pageNo'}, 'pageNo': n})}"

    def more_pages(self, response) -> list[str]:
        """Pages 2..N from page 1's count; without a count, the next page while this one lists items."""
        url = urlsplit(response.url)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        n = int(query.get("pageNo") or 1)
        unit = f"{url.scheme}://{url.netloc}{url.path}"
        listed = len(self.items(response))
        html = fragment(response) or ""
        count = COUNT.search(html)
        if n == 1 and count and listed:
            pages = [self.page_url(unit, query, k) for k in range(2, math.ceil(int(count.group(1)) / listed) + 1)]
        elif count or not listed:
            pages = []
        else:
            pages = [self.page_url(unit, query, n + 1)]
        for page in pages:
            self.bases[page] = self.base_of(response)
        return pages


class _Base:
    """What anchors_in needs of a response: urljoin against a base URL."""

    def __init__(self, url: str):
        self.url = url

    def urljoin(self, href: str) -> str:
        return urljoin(self.url, href)
