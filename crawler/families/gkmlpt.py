"""Guangdong's 政府信息公开目录平台 (gkmlpt, NFCMS): every Guangdong provincial department, city and county.

URL grammar (nationwide.md §2):
- the catalogue's front page `{base}/gkmlpt/index` (a Vue app: the HTML holds `window._CONFIG = {SID: '...'}`,
  the column id is the URL's hash `#2207`);
- the JSON column API `{base}/gkmlpt/api/all/{column_id}?page={n}&sid={site_id}` answering
  `{"articles": [{id, identifier, publisher, title, url, display_publish_time, created_at, ...}], "total": N}`,
  100 articles a page, page=1 first (page=0 repeats page 1);
- details `/gkmlpt/content/{a}/{b}/post_{id}.html`, or the portal's copies `/{channel}/content/post_{id}.html`
  (the API's `url` may point to either);
- a portal column (NFCMS, e.g. 福田 `/bmxx/qjsj/xxgknb/`): server-rendered HTML, `index.html`, `index_2.html`, ...

Where the list comes from: the registry's column is the API URL itself, the `/gkmlpt/index` page (then the
family asks the API: SID from the page's config script or the option `gkmlpt: {sid}`, the column id from the
option `gkmlpt: {column}` or the URL's hash), or a portal column (read as links).
Pagination: from the API's page 1, pages 2..ceil(total / page size) (the size = the length of page 1's
articles, or the option `gkmlpt: {page_size}`); in a portal column, every `index_N.html` the pager links.
"""
from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from scrapy.http import TextResponse

from crawler.families import Family, page_signs
from crawler.links import anchors, same_dir

API = re.compile(r"/gkmlpt/api/all/(\d+)$")
SID = re.compile(r"\bSID\s*:\s*['\"]?(\d+)")
PORTAL_PAGE = re.compile(r"/index_(\d+)\.html$")


class Gkmlpt(Family):
    """Registry options: gkmlpt: {column, sid, page_size} (all optional: the URL or the page says)."""
    name = "gkmlpt"

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """gkmlpt (Guangdong's 政府信息公开目录平台): /gkmlpt/ paths, post_{id}.html documents."""
        signs = page_signs(response, {
            "the /gkmlpt/ catalogue": r"/gkmlpt/(?:index|api/all/|content/)",
            "post_{id}.html documents": r"/content/(?:\d+/)*post_\d+\.html",
        })
        return "gkmlpt: " + ", ".join(signs) if signs else None

    def options(self) -> dict:
        return dict(self.column.option("gkmlpt") or {})

    def list_entries(self, response) -> list[tuple[str, str]]:
        data = self.api_data(response)
        if data is None:
            return anchors(response)
        out = []
        for article in data.get("articles") or []:
            url = (article.get("url") or article.get("post_url")) if isinstance(article, dict) else None
            if url:
                out.append((str(article.get("title") or ""), response.urljoin(str(url))))
        return out

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        url = urlsplit(response.url)
        data = self.api_data(response)
        if data is not None:
            query = parse_qs(url.query)
            if query.get("page", ["1"])[0] not in ("1", "0"):
                return []
            size = int(self.options().get("page_size") or len(data.get("articles") or []) or 1)
            pages = math.ceil(int(data.get("total") or 0) / size)
            return [self.api_url(response, API.search(url.path).group(1), query.get("sid", [""])[0], n)
                    for n in range(2, pages + 1)]
        if url.path.endswith("/gkmlpt/index"):
            opts = self.options()
            column = opts.get("column") or urlsplit(self.column.url).fragment
            m = SID.search(response.text)
            sid = opts.get("sid") or (m.group(1) if m else "")
            return [self.api_url(response, column, sid, 1)] if column and sid else []
        last = 0   # a portal column: index.html, index_2.html ...
        for _, link in anchors(response):
            m = PORTAL_PAGE.search(urlsplit(link).path)
            if m and same_dir(link, response.url):
                last = max(last, int(m.group(1)))
        return [response.urljoin(f"index_{n}.html") for n in range(2, last + 1)]

    @staticmethod
    def api_url(response, column, sid, page: int) -> str:
        return response.urljoin(f"/gkmlpt/api/all/{column}?{urlencode({'page': page, 'sid': sid})}")

    @staticmethod
    def api_data(response) -> dict | None:
        """The API's JSON answer, or None for any other page."""
        if not isinstance(response, TextResponse) or not API.search(urlsplit(response.url).path):
            return None
        try:
            data = json.loads(response.text)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
