"""What every site layout shares: requests, resources, list entries and the Site base class.

A Site owns the reports and notices of the agencies it hosts (chosen by slug prefix), gives each a
URL the way its CMS does, and renders every page into a dict {(host, path): Resource}. The server
serves those resources (validators, conditional requests, faults); a site may also answer
dynamic URLs (Hanweb's dataproxy.jsp) and gate requests (Hubei's JS challenge).
"""
from __future__ import annotations

import datetime as dt
import html
import random
import re
import zlib
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from replica.model import Notice, Report

CST = dt.timezone(dt.timedelta(hours=8))


@dataclass
class Request:
    """One request as the replica sees it (absolute URL reconstructed from the proxy request)."""
    method: str
    url: str
    host: str
    path: str
    query: str
    headers: dict            # header name (lower case) -> value
    body: bytes = b""
    client: str = ""

    @property
    def cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is simply no cookie
            return {}
        return {k: m.value for k, m in jar.items()}

    def param(self, name: str, default: str | None = None) -> str | None:
        """A query parameter, or a form field of a POST body."""
        for source in (self.query, self.body.decode("utf-8", "replace")):
            values = parse_qs(source).get(name)
            if values:
                return values[0]
        return default


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Resource:
    """A static page or file of a site. mtime None = the server decides (start time)."""
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    mtime: float | None = None
    validators: bool = True   # send ETag / Last-Modified (and answer 304)


@dataclass
class Entry:
    """One item of a column list: a report, a notice, or a special (moved / dead / soft-404) link."""
    title: str
    url: str
    published: str           # "YYYY-MM-DD HH:MM[:SS]"
    item: Report | Notice | None = None
    seq: int = 0             # publish() order: later publications are listed first
    column: str = ""         # sub-column (Xizang's year columns)


def parse_time(text: str) -> dt.datetime:
    """'YYYY-MM-DD[ HH:MM[:SS]]' in China time -> aware datetime."""
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=CST)
        except ValueError:
            pass
    raise ValueError(f"unparseable date {text!r}")


def epoch(text: str) -> float:
    return parse_time(text).timestamp()


def day(text: str) -> str:
    return parse_time(text).strftime("%Y-%m-%d")


def minute(text: str) -> str:
    return parse_time(text).strftime("%Y-%m-%d %H:%M")


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def meta_tags(pairs: dict[str, str]) -> str:
    return "\n".join(f'<meta name="{k}" content="{esc(v)}">' for k, v in pairs.items() if v is not None)


def link_attachments(body: str, links: list[tuple[str, str]]) -> str:
    """Point the body's links to each attachment (by file name) at the site's URL for it; attachments
    the body does not link get the CMS's usual 附件 block after the body."""
    missing = []
    for filename, href in links:
        pattern = re.compile(r'href=(["\'])[^"\']*?' + re.escape(filename) + r'\1')
        if pattern.search(body):
            body = pattern.sub(lambda m: f"href={m.group(1)}{href}{m.group(1)}", body)
        else:
            missing.append((filename, href))
    if missing:
        items = "".join(f'<p>附件：<a href="{esc(h)}" target="_blank">{esc(f)}</a></p>' for f, h in missing)
        body += f'\n<div class="fj">{items}</div>'
    return body


FILLER_TITLES = [
    "关于开展{y}年度住房公积金缴存基数调整工作的通知", "{y}年政务公开工作要点", "关于公布{y}年度行政许可事项清单的公告",
    "政府信息公开指南（{y}年修订）", "关于做好{y}年安全生产月活动的通知", "{y}年度部门预算公开说明",
    "关于{y}年第一季度政务舆情回应情况的通报", "政府信息公开制度汇编", "关于开展“双随机、一公开”监管工作的通知",
    "{y}年建筑市场专项检查情况通报", "依申请公开政府信息办理流程", "关于调整政府信息公开工作领导小组成员的通知",
]


def filler_notices(agency: str, count: int, seed: str, years: range, first_id: int) -> list[Notice]:
    """Unrelated column items (guides, circulars) so a column spans several list pages like the real one."""
    rng = random.Random(f"filler:{seed}:{agency}")
    out = []
    for i in range(count):
        y = rng.choice(list(years))
        when = dt.datetime(y, rng.randint(1, 12), rng.randint(1, 28), rng.randint(8, 18), rng.randint(0, 59))
        title = rng.choice(FILLER_TITLES).format(y=y)
        out.append(Notice(agency=agency, title=title, published=when.strftime("%Y-%m-%d %H:%M:%S"),
                          url_date=when.strftime("%Y%m%d"), doc_id=first_id + i,
                          body_html=f"<p>{esc(title)}。</p><p>特此通知。</p>"))
    return out


def url_path(url: str) -> str:
    """'http://host/a/b.html' -> '/a/b.html' (the key a page is served under, with its host)."""
    return "/" + url.split("/", 3)[3]


def newest(entries: list[Entry]) -> float:
    """Last-Modified of a list page: its newest item."""
    return max(epoch(e.published) for e in entries)


def article_tags(report: Report, source: str | None) -> dict[str, str]:
    """The TRS/Hanweb article head tags: ArticleTitle, PubDate, ContentSource."""
    return {"ArticleTitle": report.title, "PubDate": minute(report.published), "ContentSource": source}


class Site:
    """Base class of a CMS layout.

    render() is the skeleton every layout shares: each report gets a detail page (and its attachments)
    and an entry in its column; each notice an entry; extras() adds the platform's hostile items and
    non-column pages; every column is padded with filler notices (each notice gets its page), sorted
    newest first and cut into list pages. What each CMS emits is in the hooks a subclass implements:
    report_url / notice_url / chrome / detail_html / notice_html / list_path / list_page, and where a
    platform differs: attachment_url, column_of, listed_url, extras, pad_column, list_pages; dynamic and
    gate are optional."""
    family = ""
    hosts: tuple[str, ...] = ()
    agency_prefixes: tuple[str, ...] = ()
    page_size = 20
    min_pages = 3             # pad columns with filler notices to at least this many list pages
    etag_style = "nginx"      # nginx: "mtime-size"; tomcat: W/"size-mtime_ms"
    site_name = ""            # SiteName head tag
    site_code = ""            # SiteIDCode head tag (网站标识码)
    filler_agency = ""        # the agency filler notices are made for (their seed)
    meta_since = 2019         # pages published from this year on carry the Site*/Article* head tags

    def __init__(self, seed: int = 2024):
        self.seed = seed
        self.reports: list[Report] = []
        self.notices: list[Notice] = []
        self._seq = 0
        self.seqs: dict[int, int] = {}   # id(item) -> publish order
        self.overrides: dict[tuple[str, str], str] = {}   # server.edit() of a non-report page
        self.specials: dict[str, list[str]] = {}          # soft_404 / dead / moved / offsite URLs

    @property
    def host(self) -> str:
        return self.hosts[0]

    def accepts(self, agency: str) -> bool:
        return agency.startswith(self.agency_prefixes)

    def add(self, item: Report | Notice, published_now: bool = False) -> None:
        """Add a report or notice; published_now puts it at the top of its column (a new publication)."""
        if published_now:
            self._seq += 1
            self.seqs[id(item)] = self._seq
        if isinstance(item, Report):
            if not item.url:
                item.url = self.report_url(item)
            self.reports.append(item)
        else:
            self.notices.append(item)

    def seq(self, item) -> int:
        return self.seqs.get(id(item), 0)

    def sort_entries(self, entries: list[Entry]) -> list[Entry]:
        """Newest first, as the CMS orders a column; items published through publish() on top."""
        return sorted(entries, key=lambda e: (e.seq, epoch(e.published)), reverse=True)

    def pad(self, entries: list[Entry], agency: str, url_for, column: str = "") -> list[Entry]:
        """Add filler notices until the column spans min_pages list pages. Deterministic: the first k
        fillers are the same whatever the count, so a filler page never changes once listed."""
        need = self.page_size * (self.min_pages - 1) + 1 - len(entries)
        if need <= 0:
            return entries
        first_id = 900000 + 1000 * (zlib.crc32(column.encode()) % 97)
        for n in filler_notices(agency, need, f"{self.seed}:{self.family}:{column}", range(2010, 2025), first_id):
            entries.append(Entry(n.title, url_for(n), n.published, item=n, column=column))
        return entries

    # --- the skeleton ---------------------------------------------------------------------------
    def render(self) -> dict[tuple[str, str], Resource]:
        """Every static page and file of the site, {(host, path): Resource}."""
        out: dict[tuple[str, str], Resource] = {}
        columns: dict[str, list[Entry]] = {}
        for r in self.reports:
            columns.setdefault(self.column_of(r), []).append(
                Entry(r.title, self.listed_url(r), r.published, item=r, seq=self.seq(r)))
            out[(self.host, url_path(r.url))] = self.detail(r)
            out.update(self.attachment_resources(r))
        for n in self.notices:
            columns.setdefault(self.column_of(n), []).append(
                Entry(n.title, self.notice_url(n), n.published, item=n, seq=self.seq(n)))
        out.update(self.extras(columns))
        for column, entries in columns.items():
            entries = self.pad_column(column, entries)
            for e in entries:
                if isinstance(e.item, Notice):
                    out[(self.host, url_path(e.url))] = self.notice_page(e.item)
            out.update(self.list_pages(column, self.sort_entries(entries)))
        return out

    def detail(self, report: Report) -> Resource:
        """A report's page: the CMS's detail markup in its chrome (GBK where the report is)."""
        title, main, metas = self.detail_html(report)
        data, ctype = self.encode_page(self.chrome(title, main, metas), report)
        return Resource(data, ctype, mtime=epoch(report.published))

    def notice_page(self, notice: Notice) -> Resource:
        title, main = self.notice_html(notice)
        return Resource(self.chrome(title, main).encode("utf-8"), mtime=epoch(notice.published))

    def list_pages(self, column: str, entries: list[Entry]) -> dict[tuple[str, str], Resource]:
        """A column's list pages, page_size entries each (entries sorted newest first)."""
        chunks = [entries[i:i + self.page_size] for i in range(0, len(entries), self.page_size)]
        return {(self.host, self.list_path(column, i)):
                Resource(self.list_page(column, chunk, i, len(chunks)).encode("utf-8"), mtime=newest(chunk))
                for i, chunk in enumerate(chunks)}

    # --- to implement -------------------------------------------------------------------------
    def report_url(self, report: Report) -> str:
        raise NotImplementedError

    def notice_url(self, notice: Notice) -> str:
        raise NotImplementedError

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        """The whole HTML page around main: head, site header, footer."""
        raise NotImplementedError

    def detail_html(self, report: Report) -> tuple[str, str, str]:
        """(title, main, head meta tags) of a report's page."""
        raise NotImplementedError

    def notice_html(self, notice: Notice) -> tuple[str, str]:
        """(title, main) of a notice's page."""
        raise NotImplementedError

    def list_path(self, column: str, index: int) -> str:
        """Path of a column's list page number index (0 = the first)."""
        raise NotImplementedError

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        """HTML of list page number index (0-based) of total."""
        raise NotImplementedError

    # --- where platforms differ (defaults) ----------------------------------------------------
    def attachment_url(self, report: Report, filename: str) -> str:
        """Beside the report's page (TRS)."""
        return self.page_dir(report) + filename

    def https_linked(self, report: Report) -> bool:
        """Whether the report's page links its attachments by https:// on the same host, as many
        real sites do: the TRS portals of Hunan, Guangxi and Xizang here (the replica answers https
        through CONNECT); Hanweb and Suizhou link them by http."""
        return self.family in ("trs_hunan", "trs_guangxi", "trs_xizang")

    def linked_attachment_url(self, report: Report, filename: str) -> str:
        """The attachment's URL as the report page links it (and as the crawler archives it)."""
        url = self.attachment_url(report, filename)
        if self.https_linked(report) and url.startswith("http://"):
            return "https://" + url[len("http://"):]
        return url

    def column_of(self, item: Report | Notice) -> str:
        """The (sub-)column an item is listed in; "" for a site with one column."""
        return ""

    def listed_url(self, report: Report) -> str:
        """The URL the column links a report under (its own, unless the site kept an old one)."""
        return report.url

    def extras(self, columns: dict[str, list[Entry]]) -> dict[tuple[str, str], Resource]:
        """Hostile entries (soft-404, dead, moved), pages outside the columns (robots.txt, home), and
        self.specials; may add entries to columns."""
        return {}

    def pad_column(self, column: str, entries: list[Entry]) -> list[Entry]:
        return self.pad(entries, self.filler_agency, self.notice_url, column=column)

    def dynamic(self, req: Request) -> Response | None:
        """Answer a URL that depends on its query (None: not dynamic, look up the static pages)."""
        return None

    def gate(self, req: Request, resource: Resource | None) -> Response | None:
        """Intercept a request before it is served (a JS challenge); None lets it through."""
        return None

    # --- shared helpers ------------------------------------------------------------------------
    @staticmethod
    def page_dir(report: Report) -> str:
        """The report page's folder URL, ending in '/'."""
        return report.url.rsplit("/", 1)[0] + "/"

    def site_meta(self, column_name: str, more: dict | None = None) -> str:
        """The SiteName / SiteDomain / SiteIDCode / ColumnName head tags (then more)."""
        return meta_tags({"SiteName": self.site_name, "SiteDomain": self.host, "SiteIDCode": self.site_code,
                          "ColumnName": column_name, **(more or {})})

    def detail_meta(self, report: Report, column_name: str, source: str | None, more: dict | None = None) -> str:
        """Head tags of a detail page: site tags and article tags from meta_since on, none before."""
        if int(report.published[:4]) < self.meta_since:
            return ""
        return self.site_meta(column_name, {**article_tags(report, source), **(more or {})})

    def attachment_resources(self, report: Report) -> dict[tuple[str, str], Resource]:
        out = {}
        for att in report.attachments:
            url = urlsplit(self.attachment_url(report, att.filename))
            out[(url.hostname, url.path)] = Resource(att.data, att.mime, mtime=epoch(report.published),
                                                     headers=self.attachment_headers(att.filename))
        return out

    def encode_page(self, page: str, report: Report | None = None) -> tuple[bytes, str]:
        """Bytes and Content-Type of an HTML page. Reports marked GBK are sent as GBK with a bare
        "text/html" header; half of them (odd doc_id) carry no charset declaration at all."""
        if report is not None and report.encoding.lower().replace("-", "") in ("gbk", "gb2312", "gb18030"):
            declared = report.doc_id % 2 == 0
            meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' if declared else ""
            page = page.replace('<meta charset="utf-8">', meta, 1)
            return page.encode("gbk", "xmlcharrefreplace"), "text/html"
        return page.encode("utf-8"), "text/html; charset=utf-8"

    def resource_key(self, req: Request) -> tuple[str, str] | None:
        """The static resource a query-addressed URL stands for (Hanweb's downfile.jsp), or None."""
        return None

    def attachment_headers(self, filename: str) -> list[tuple[str, str]]:
        return []

    def body_with_attachments(self, report: Report, relative_to: str | None = None) -> str:
        links = []
        for att in report.attachments:
            href = self.linked_attachment_url(report, att.filename)
            if relative_to and href.startswith(relative_to):
                href = "./" + href[len(relative_to):]
            links.append((att.filename, href))
        return link_attachments(report.body_html, links)


def soft_404_page(site_name: str) -> bytes:
    """The HTTP 200 'page does not exist' page many government CMSs answer for a removed document."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>页面不存在</title></head>
<body><div class="error404"><img src="/images/404.png" alt="">
<h2>抱歉，您访问的页面不存在或已被删除！</h2>
<p>页面不存在。<a href="/">返回{esc(site_name)}首页</a></p></div></body></html>""".encode("utf-8")


def not_found_page() -> bytes:
    return (b"<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center>"
            b"<hr><center>nginx</center></body></html>")
