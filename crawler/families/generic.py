"""The generic family: a site on a CMS we do not know. The registry gives only the agency's home page
(or its 信息公开 entry) as the column; the family finds the annual-report column from there and pages
through it.

- Navigation: from the start page it follows links whose text or URL names the report column (strong:
  年报, 年度报告, gknb, ndbg, xxgknb ...) or the disclosure section (weak: 信息公开, 政务公开, xxgk, zwgk ...),
  on the column's allowed hosts only, at most `max_depth` clicks deep and at most `max_nav_pages` pages
  per column that are not list pages of a found column. Weak links wait while a strong one is pending
  or once a column is found (a best-first walk, not a site crawl: requests per report matter).
- A list page is a page holding report-like link titles (crawler.spiders.report.is_report_title). A page
  reached by a strong link that holds none is paginated too and is a hub: its links named by a year alone
  (2021年, 2021年度) are strong (a column of one sub-column per year).
- Pagination of a list page: 下一页 / 尾页 links, numbered pager links `{stem}_N` / `{stem}-N`,
  `?page=N` (and pageNo, pageIndex, p, ...), `createPageHTML(total, ...)` (TRS: index_1 is page 2), a
  page count in a script (`pageCount = N`, `totalPage: N` ...) with the script's URL template
  (`"index_" + i + ".html"`) or else the TRS convention on the page's own name.
- Links: <a href> (relative or absolute), document.write ones (crawler.links), and script links: an
  onclick / href="javascript:..." holding a quoted URL, or a data-href / data-url attribute.
- It remembers the column it found (`discovered()`, stored by the spider in the archive's
  discovered_columns); the next run starts there (`start_urls`) and falls back to discovery from the
  home page when that page no longer lists reports or fails (`fallback`).

Registry options (`generic: {max_depth: 4, max_nav_pages: 30, max_list_pages: 300}`) override the bounds.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import TextResponse

from crawler.families import Family
from crawler.links import anchors, clean

STRONG = re.compile(r"年报|年度报告|年度工作报告")
STRONG_URL = re.compile(r"gknb|ndbg|xxgknb|nianbao|ndbb|ndgzbg|[_/-]nb(?:[_/.-]|$)|\d{4}nb", re.I)
DOCUMENT_URL = re.compile(r"/t\d{8}_\d+|/art_\d|/post_\d|/content_?\d|detail|[/_-]\d{5,}\.\w+$")   # a page, not a column
YEAR_LINK = re.compile(r"^(?:19|20)\d\d\s*(?:年|年度)?(?:\s*(?:年报|报告))?$")
PAGER_TEXT = re.compile(r"^(?:\d{1,4}|首页|上一页|上页|前一页|下一页|下页|尾页|末页|跳转|go|确定|>>?|<<?|›|‹|»|«)$", re.I)
WEAK = re.compile(r"信息公开|政务公开|公开目录|主动公开|法定主动")
WEAK_URL = re.compile(r"xxgk|zwgk|zfxxgk|gkml|xxgkml|/gk/|opennes|disclosure", re.I)
AVOID = re.compile(r"指南|制度|依申请|申请表|意见|留言|信箱|登录|注册|无障碍|搜索|English|企业年报|工商年报|统计年报", re.I)
NOT_PAGE = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd|zip|rar|jpe?g|png|gif|css|js|mp4|apk)(?:$|[?#])", re.I)
NEXT = re.compile(r"^(?:下一页|下页|后一页|下一頁|next|›|»|>)$", re.I)
LAST = re.compile(r"^(?:尾页|末页|最后一页|尾頁|last|»»)$", re.I)
CREATE_PAGE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?\d*['\"]?\s*,\s*['\"]([\w.-]+)['\"]\s*,"
                         r"\s*['\"](\w+)['\"]")
SCRIPT_COUNT = re.compile(r"\b(?:pageCount|totalPages?|countPage|pageTotal|page_count|nPageCount|_nPageCount|"
                          r"pagecount|totalpage|pages)\b['\"]?\s*[:=]\s*['\"]?(\d{1,4})\b")
SCRIPT_TEMPLATE = re.compile(r"(['\"])([\w./-]*?[_-]|[\w./-]*\?[\w]+=)\1\s*\+\s*\(?\s*\w+(?:\s*[-+]\s*\d+)?\s*\)?"
                             r"(?:\s*\+\s*(['\"])(\.\w+)\3)?")
PAGE_PARAM = re.compile(r"^(?:page|pageNo|pageno|pageIndex|pageindex|pageNum|pagenum|curPage|currentPage|p|pn|"
                        r"page_no|pageNumber)$")
NUMBERED = re.compile(r"^(?P<stem>[\w.]+?)(?P<sep>[_-])(?P<n>\d{1,4})\.(?P<ext>s?html?|jsp|aspx?|php)$")
PLAIN = re.compile(r"^(?P<stem>[\w.]+?)\.(?P<ext>s?html?|jsp|aspx?|php)$")
JS_URL = re.compile(r"['\"]((?:https?:)?/{0,2}[\w.%~/-]*?(?:/|\.s?html?|\.jsp|\.aspx?|\.php|\.htm)"
                    r"(?:\?[^'\"\s]*)?)['\"]")


def script_links(response) -> list[tuple[str, str]]:
    """(title, absolute url) of links made by script: an onclick or javascript: href holding a quoted URL
    (window.open('...'), location.href='...'), or a data-href / data-url / data-link attribute."""
    if not isinstance(response, TextResponse):
        return []
    out = []
    for el in response.css("[onclick], a[href^='javascript'], [data-href], [data-url], [data-link]"):
        target = el.attrib.get("data-href") or el.attrib.get("data-url") or el.attrib.get("data-link")
        if not target:
            m = JS_URL.search(el.attrib.get("onclick", "") + " " + el.attrib.get("href", ""))
            target = m.group(1) if m else None
        if not target or target.startswith(("javascript:", "#")):
            continue
        title = clean(" ".join([el.attrib.get("title", ""), " ".join(el.css("::text").getall())]))
        out.append((title, response.urljoin(target)))
    return out


def page_links(response) -> list[tuple[str, str]]:
    """Every link of a page as the generic family reads it: <a href>, document.write, script links
    (a title attribute repeating the link text is said once)."""
    return list(dict.fromkeys((_once(t), u) for t, u in anchors(response) + script_links(response)))


def _once(title: str) -> str:
    words = title.split(" ")
    half = len(words) // 2
    return " ".join(words[:half]) if len(words) % 2 == 0 and half and words[:half] == words[half:] else title


def _drop_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class Generic(Family):
    name = "generic"
    max_depth = 4          # clicks from the start page
    max_nav_pages = 30     # pages requested per column that are not list pages of a found column
    max_list_pages = 300   # list pages of found columns, per column (a sanity bound)

    def __init__(self, column):
        super().__init__(column)
        opts = dict(column.option("generic") or {})
        self.max_depth = int(opts.get("max_depth", self.max_depth))
        self.max_nav_pages = int(opts.get("max_nav_pages", self.max_nav_pages))
        self.max_list_pages = int(opts.get("max_list_pages", self.max_list_pages))
        self.hosts = {h.lower() for h in column.allowed_domains}
        self.requested: set[str] = {column.url}
        self.depth: dict[str, int] = {column.url: 0}
        self.trail: dict[str, list[str]] = {column.url: []}   # the link texts that led to a nav page
        self.root: dict[str, str] = {}          # list page -> the list page its column starts at
        self.reports: dict[str, set[str]] = {}  # column root -> report URLs its pages list
        self.nav_requests = 0
        self.list_requests = 0
        self.pending_strong: set[str] = set()   # strong nav pages requested, not yet seen
        self.backlog: list[tuple[str, int, list[str]]] = []   # weak nav links held back
        self.resumed: str | None = None         # the stored column this run started from
        self.pages: dict[tuple, tuple[int, int]] = {}   # pager pattern -> (lowest, highest) number seen
        self.parent: dict[str, str] = {}        # nav page -> the page whose strong link led there

    # -- the spider's hooks ----------------------------------------------------------------------
    def start_urls(self, known: str | None = None) -> list[str]:
        """Where a run starts: the column found before (`known`, from the archive) when it is on an
        allowed host, else the registry's start page."""
        if known and self._allowed(known) and known != self.column.url:
            self.resumed = known
            self.requested.add(known)
            self.depth[known] = 0
            self.trail[known] = ["(the column found by an earlier run)"]
            return [known]
        return [self.column.url]

    def fallback(self, url: str) -> list[str]:
        """A list page failed. The stored column failing means the site moved it: discover again; a
        strong lead failing lets the weak links held back go."""
        url = _drop_fragment(url)
        if self.resumed and url == self.resumed:
            return self._rediscover()
        self.pending_strong.discard(url)
        if not self.pending_strong and not any(self.reports.values()):
            return self._release()
        return []

    def list_entries(self, response) -> list[tuple[str, str]]:
        return page_links(response)

    def next_pages(self, response) -> list[str]:
        if not isinstance(response, TextResponse):
            return []
        url = _drop_fragment(response.url)
        request_url = _drop_fragment((response.request.meta.get("redirect_urls") or [response.url])[0]) \
            if response.request is not None else url
        links = [(t, _drop_fragment(u)) for t, u in page_links(response)]
        reports = {u for t, u in links if _is_report(t, u)}
        key = request_url if request_url in self.depth or request_url in self.root else url
        self.pending_strong.discard(key)
        if key in self.root:                       # a further page of a column found (or of a hub)
            root = self.root[key]
            self.reports[root] |= reports
            out = self._paginate(response, links, root)
            if not reports:                        # a hub's page: its year columns
                out += self._navigate(links, key, self.depth.get(root, 0), reports, hub=True)
            return out
        depth = self.depth.get(key, 0)
        if reports:                                # a list page: the start of a column
            self.root[key] = key
            self.reports.setdefault(key, set()).update(reports)
            return self._paginate(response, links, key) + self._navigate(links, key, depth, reports)
        if key == self.resumed or self._strong_trail(key):
            # reached by a 年报 link (or stored) but no report on it: paginate it, follow its year columns;
            # a stored column with neither sends the run back to discovery
            self.root[key] = key
            self.reports.setdefault(key, set())
            out = self._paginate(response, links, key)
            out += self._navigate(links, key, depth, reports, hub=True, weak=key != self.resumed)
            if key == self.resumed and not out:
                return self._rediscover()
            return out
        return self._navigate(links, key, depth, reports)

    def discovered(self) -> tuple[str, str] | None:
        """(column URL, how it was found): the column listing the most reports, or the hub (a 年报 page
        of year columns) whose columns together list more."""
        totals: dict[str, set[str]] = {root: set(r) for root, r in self.reports.items()}
        for root, found in self.reports.items():
            hub = self.root.get(self.parent.get(root, ""))
            if hub and hub != root:
                totals[hub] = totals.get(hub, set()) | found
        best = [(len(r), -self.depth.get(root, 0), root) for root, r in totals.items() if r]
        if not best:
            return None
        _, _, root = max(best)
        trail = " › ".join(self.trail.get(root, [])) or "the start page itself"
        return root, f"{trail} (from {self.column.url}, {len(totals[root])} report links)"

    # -- navigation -------------------------------------------------------------------------------
    def _navigate(self, links, here: str, depth: int, reports: set[str], hub: bool = False,
                  weak: bool = True) -> list[str]:
        """Navigation links of a page: strong ones at once, weak ones held back (see the module doc).
        On a hub (a 年报 page with no report) a link named by a year alone (2021年, 2021年度) is strong."""
        if depth >= self.max_depth:
            return []
        found = any(self.reports.values()) or not weak
        strong, weak = [], []
        for title, url in links:
            if url in self.requested or url in reports or not self._allowed(url) or NOT_PAGE.search(url):
                continue
            if hub and YEAR_LINK.match(title):
                strong.append((title, url))
                continue
            if PAGER_TEXT.match(title) or _is_notice(title):
                continue
            text_strong = bool(STRONG.search(title)) and not AVOID.search(title)
            path = urlsplit(url).path
            url_strong = bool(STRONG_URL.search(path + "?" + urlsplit(url).query)) and not DOCUMENT_URL.search(path)
            if (text_strong or url_strong) and not (_is_report(title, url)):
                strong.append((title, url))
            elif not found and (WEAK.search(title) or WEAK_URL.search(urlsplit(url).path)) and not AVOID.search(title):
                weak.append((title, url))
        out = []
        for title, url in strong:
            if self._take_nav(url, depth + 1, self.trail.get(here, []) + [title or url]):
                self.pending_strong.add(url)
                self.parent[url] = here
                out.append(url)
        for title, url in weak:
            self.backlog.append((url, depth + 1, self.trail.get(here, []) + [title or url]))
        if not self.pending_strong and not found:
            out += self._release()
        return out

    def _release(self) -> list[str]:
        """The weak links held back, now that no strong lead is pending and no column was found."""
        out, held, self.backlog = [], self.backlog, []
        for url, depth, trail in held:
            if url not in self.requested and self._take_nav(url, depth, trail):
                out.append(url)
        return out

    def _take_nav(self, url: str, depth: int, trail: list[str]) -> bool:
        if url in self.requested or self.nav_requests >= self.max_nav_pages:
            return False
        self.nav_requests += 1
        self.requested.add(url)
        self.depth[url] = depth
        self.trail[url] = trail
        return True

    def _rediscover(self) -> list[str]:
        self.resumed = None
        home = self.column.url
        self.requested.discard(home)
        if self._take_nav(home, 0, []):
            return [home]
        return []

    def _strong_trail(self, url: str) -> bool:
        trail = self.trail.get(url) or []
        return bool(trail) and bool(STRONG.search(trail[-1]) or STRONG_URL.search(urlsplit(url).path))

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self.hosts

    # -- pagination -------------------------------------------------------------------------------
    def _paginate(self, response, links, root: str) -> list[str]:
        here = urlsplit(_drop_fragment(response.url))
        candidates: list[str] = []
        for title, url in links:
            if NEXT.match(title) or LAST.match(title):
                candidates.append(url)
        candidates += self._numbered(here, [u for _, u in links])
        candidates += self._scripted(response, here)
        out = []
        for url in dict.fromkeys(candidates):
            if url in self.requested or not self._allowed(url) or NOT_PAGE.search(url):
                continue
            if self.list_requests >= self.max_list_pages:
                break
            self.list_requests += 1
            self.requested.add(url)
            self.root[url] = root
            out.append(url)
        return out

    def _numbered(self, here, urls: list[str]) -> list[str]:
        """Pager links of the same pattern as this page ({stem}{sep}N.{ext} beside it, or ?page=N on its
        path): every page from the lowest number seen to the highest (尾页 gives the highest)."""
        dirname, name = here.path.rsplit("/", 1) if "/" in here.path else ("", here.path)
        mine = NUMBERED.match(name) or PLAIN.match(name or "index.html")
        seen: dict[tuple, list[tuple[int, str]]] = {}
        for url in urls:
            parts = urlsplit(url)
            if parts.netloc != here.netloc:
                continue
            if parts.path == here.path and parts.query:        # ?page=N
                query = parse_qsl(parts.query, keep_blank_values=True)
                for k, v in query:
                    if PAGE_PARAM.match(k) and v.isdigit():
                        rest = tuple((a, b) for a, b in query if a != k)
                        seen.setdefault(("q", parts.path, k, rest), []).append((int(v), url))
                continue
            d, _, n = parts.path.rpartition("/")
            m = NUMBERED.match(n)
            if d != dirname or not m or parts.query:
                continue
            if mine and m.group("stem") != mine.group("stem"):
                continue
            seen.setdefault(("f", d, m.group("stem"), m.group("sep"), m.group("ext")), []).append((int(m.group("n")), url))
        out = []
        for pattern, found in seen.items():
            low, high = min(n for n, _ in found), max(n for n, _ in found)
            if pattern in self.pages:
                low, high = min(low, self.pages[pattern][0]), max(high, self.pages[pattern][1])
            self.pages[pattern] = (low, high)
            if high - low > self.max_list_pages:
                continue
            out += [self._page_url(here, pattern, n) for n in range(low, high + 1)]
        return out

    @staticmethod
    def _page_url(here, pattern: tuple, n: int) -> str:
        if pattern[0] == "q":
            _, path, key, rest = pattern
            query = urlencode([*rest, (key, str(n))]) if rest else f"{key}={n}"
            return urlunsplit((here.scheme, here.netloc, path, query, ""))
        _, d, stem, sep, ext = pattern
        return urlunsplit((here.scheme, here.netloc, f"{d}/{stem}{sep}{n}.{ext}", "", ""))

    def _scripted(self, response, here) -> list[str]:
        """Pages a script draws: createPageHTML(total, current, name, ext) (TRS: name_1 is page 2), or a
        page count (pageCount = N ...) with the script's URL template, else the TRS convention."""
        text = "\n".join(response.css("script::text").getall())
        if not text:
            return []
        dirname = here.path.rsplit("/", 1)[0]
        m = CREATE_PAGE.search(text)
        if m:
            total, stem, ext = int(m.group(1)), m.group(2), m.group(3)
            total = min(total, self.max_list_pages)
            return [urlunsplit((here.scheme, here.netloc, f"{dirname}/{stem}_{n}.{ext}", "", ""))
                    for n in range(1, total)]
        m = SCRIPT_COUNT.search(text)
        if not m:
            return []
        total = min(int(m.group(1)), self.max_list_pages)
        t = SCRIPT_TEMPLATE.search(text)
        if t and "?" in t.group(2):                         # "?page=" + n: 1-based
            prefix = t.group(2)
            base = prefix if prefix.startswith(("/", "http")) else here.path + prefix
            return [response.urljoin(f"{base}{n}") for n in range(2, total + 1)]
        name = here.path.rsplit("/", 1)[1] or "index.html"
        mine = PLAIN.match(name) or NUMBERED.match(name)
        own_ext = "." + mine.group("ext") if mine else ".html"
        if t:                                               # "index_" + i + ".html": TRS numbering
            prefix, ext = t.group(2), t.group(4) or own_ext
        elif mine:
            prefix, ext = mine.group("stem") + "_", own_ext
        else:
            return []
        return [response.urljoin(f"{prefix}{n}{ext}") for n in range(1, total)]


def _is_notice(title: str) -> bool:
    """A document about reports (关于报送…年度报告的通知, 解读), not a column."""
    from crawler.spiders.report import NOT_A_REPORT
    return bool(NOT_A_REPORT.search(title))


def _is_report(title: str, url: str) -> bool:
    from crawler.spiders.report import is_column_url, is_report_title
    return is_report_title(title) and not is_column_url(url)
