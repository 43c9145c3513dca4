"""ReportSpider: what every site family shares.

A family subclass says how its CMS lays out a column: `list_entries(response)` (title, url) and
`next_pages(response)` (more list URLs). This base does the rest: recognising report links (and
this agency's own in a shared column), following report pages and their attachments, turning
every fetch and every failure into a Capture item, and the browser path for agencies with
`browser: true` in the registry. Spiders do not parse statistics.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.browser import attachment_meta, page_methods
from crawler.items import Capture
from crawler.middlewares import FROM_ARCHIVE, KIND, REVISIT
from crawler.registry import Agency, get_agency

REPORT_WORDS = re.compile(r"年度报告|年报|工作报告")
DISCLOSURE = re.compile(r"信息公开")
YEAR = re.compile(r"(19|20)\d\d|[〇零一二][〇零一二三四五六七八九]{3}")
NOT_A_REPORT = re.compile(r"通知|报送|印发|编制|要点|转发|征集|解读|图解|的函|培训|考核|检查")
ATTACHMENT = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd)(?:$|[?#])|/downfile\.jsp\?", re.I)
SOFT_404 = re.compile(r"您访问的页面不存在|页面不存在|页面未找到|找不到您要访问的页面|页面已删除")
# a title naming some organisation (then, in a shared column, it must be ours)
NAMES_AN_ORG = re.compile(r"[\u4e00-\u9fa5]{2,}(厅|局|委员会|委|办公室|政府|院|中心|馆|署|会)(?!议)")
SOURCE_LABEL = re.compile(r"(?:发布机构|发文机关|信息来源|来源)\s*[:：|]?\s*([^\s<|]{2,40})")
DOC_WRITE = re.compile(r"document\.write\(\s*(['\"])(.*?)(?<!\\)\1\s*\)", re.S)


def is_report_title(title: str) -> bool:
    """A report of the genre: names 信息公开, an annual/work report and a year; not a notice
    about reports (关于报送…的通知) nor an explainer (解读)."""
    return bool(DISCLOSURE.search(title) and REPORT_WORDS.search(title) and YEAR.search(title)
                and not NOT_A_REPORT.search(title))


def is_column_url(url: str) -> bool:
    """A column (list) URL rather than a document: a directory, index.* or list.*."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name == "" or name.startswith(("index.", "index_", "index-", "list."))


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def anchors(response) -> list[tuple[str, str]]:
    """(title, absolute url) of every link of a page: the DOM's <a href>, and links written by
    inline `document.write('...')`. Title = the title attribute and the link text."""
    if not isinstance(response, TextResponse):
        return []
    found = _anchors(response.selector, response)
    for _, js in DOC_WRITE.findall(response.text):
        html = re.sub(r"\\(.)", r"\1", js)
        found += _anchors(Selector(text=html), response)
    return found


def _anchors(sel: Selector, response) -> list[tuple[str, str]]:
    out = []
    for a in sel.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        title = clean(" ".join([a.attrib.get("title", ""), " ".join(a.css("::text").getall())]))
        out.append((title, response.urljoin(href)))
    return out


def same_dir(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return pa.netloc == pb.netloc and pa.path.rsplit("/", 1)[0] == pb.path.rsplit("/", 1)[0]


class ReportSpider(scrapy.Spider):
    """Base of all agency spiders. Subclasses set `slug` (registry key); families implement
    list_entries / next_pages."""

    slug: str | None = None
    agency: Agency

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.__dict__.get("slug"):
            cls.name = cls.slug
            cls.agency = get_agency(cls.slug)
            cls.allowed_domains = list(cls.agency.allowed_domains)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.report_urls: set[str] = set()

    @classmethod
    def update_settings(cls, settings):
        """An agency with `browser: true` gets the scrapy-playwright download handlers."""
        super().update_settings(settings)
        agency = getattr(cls, "agency", None)
        if agency is not None and agency.browser:
            settings.set("DOWNLOAD_HANDLERS", settings.getdict("NIANBAO_BROWSER_DOWNLOAD_HANDLERS"),
                         priority="spider")

    # -- family hooks --------------------------------------------------------------------
    def list_entries(self, response) -> list[tuple[str, str]]:
        """(title, url) of the items a list page lists. Default: every link of the page."""
        return anchors(response)

    def next_pages(self, response) -> list[str]:
        """Further list pages (pagination, sub-columns) reachable from this list page."""
        return []

    # -- requests --------------------------------------------------------------------------
    async def start(self):
        for url in self.agency.columns:
            yield self.make_request(url, "list", self.parse_list)

    def make_request(self, url: str, kind: str, callback, **kwargs) -> scrapy.Request:
        meta = {KIND: kind, **kwargs.pop("meta", {})}
        if self.agency.browser:
            meta["playwright"] = True
            if kind == "attachment":
                meta.update(attachment_meta())
            else:
                meta["playwright_page_methods"] = page_methods()
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    def is_own(self, title: str) -> bool | None:
        """In a shared column, keep only titles naming this agency: True (ours), False (names
        another organisation), None (names none: check the page's publisher)."""
        if not self.agency.shared_column or self.agency.names_in(title):
            return True
        return False if NAMES_AN_ORG.search(title.split("20")[0] if "20" in title else title) else None

    def page_is_own(self, response) -> bool:
        """For a report whose title named no organisation: does the page's publisher (ContentSource,
        发布机构, 来源 ...) name this agency? A page naming no publisher is kept."""
        if not isinstance(response, TextResponse):
            return True
        sources = response.css('meta[name="ContentSource"]::attr(content)').getall()
        text = clean(" ".join(response.css("body *:not(script):not(style)::text").getall()))
        sources += SOURCE_LABEL.findall(text)
        return not sources or any(self.agency.names_in(s) for s in sources)

    def found_report(self, url: str) -> None:
        self.report_urls.add(url)
        self.crawler.stats.set_value("nianbao/reports_found", len(self.report_urls))

    # -- callbacks -------------------------------------------------------------------------
    def parse_list(self, response):
        yield from self.capture_response(response, "list")
        for title, url in self.list_entries(response):
            if not is_report_title(title) or url in self.report_urls or is_column_url(url):
                continue
            own = self.is_own(title)
            if own:
                self.found_report(url)
                yield self.make_request(url, "report", self.parse_report)
            elif own is None:  # verify on the page itself
                yield self.make_request(url, "report", self.parse_report,
                                        meta={"nianbao_verify_own": True})
        for url in self.next_pages(response):
            yield self.make_request(url, "list", self.parse_list)

    def parse_report(self, response):
        if response.meta.get("nianbao_verify_own"):
            if not self.page_is_own(response):
                self.crawler.stats.inc_value("nianbao/not_own")
                return
            self.found_report(response.request.url)
        yield from self.capture_response(response, "report")
        for _, url in anchors(response):
            if ATTACHMENT.search(url):
                yield self.make_request(url, "attachment", self.parse_attachment)

    def parse_attachment(self, response):
        yield from self.capture_response(response, "attachment")

    # -- captures ----------------------------------------------------------------------------
    def capture_response(self, response, kind: str):
        """The Capture of a response, or nothing when it came from the archive unsent."""
        request = response.request
        if request.meta.get(FROM_ARCHIVE):
            return
        revisit = request.meta.get(REVISIT)
        headers = revisit["headers"] if revisit else response.headers
        text = response.text if isinstance(response, TextResponse) else None
        error = None
        if kind in ("list", "report") and text and SOFT_404.search(text):
            error = "soft 404"
        item = self._capture(request, kind, status=revisit["status"] if revisit else response.status,
                             final_url=response.url, headers=headers, error=error,
                             fetch_mode="browser" if "playwright" in response.flags else "http")
        if isinstance(response, (HtmlResponse, XmlResponse)) or (item["content_type"] or "").startswith("text/"):
            item["encoding"] = response.encoding if isinstance(response, TextResponse) else None
        if revisit:
            item["revisit_of"] = revisit["revisit_of"]
            item["body_sha256"] = revisit["body_sha256"]
        else:
            item["body"] = response.body
        yield item

    def on_error(self, failure):
        """Errback: a failed fetch (HTTP error after retries, timeout, DNS, reset, truncated
        body, oversized, redirect loop) becomes a capture row with error text and no body.
        Requests dropped before any fetch (robots.txt, offsite) are only counted."""
        request = failure.request
        kind = request.meta.get(KIND, "report")
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            message = str(failure.value)
            if "redirection" not in message:
                self.crawler.stats.inc_value("nianbao/dropped_before_fetch")
                self.logger.info("not fetched: %s (%s)", request.url, message)
                return
        status, headers, final_url = None, None, None
        if failure.check(HttpError):
            response = failure.value.response
            status, headers, final_url = response.status, response.headers, response.url
            error = f"HTTP {status}"
        else:
            error = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
        yield self._capture(request, kind, status=status, final_url=final_url, headers=headers,
                            error=error,
                            fetch_mode="browser" if request.meta.get("playwright") else "http")

    def _capture(self, request, kind, *, status, final_url, headers, error, fetch_mode) -> Capture:
        redirects = request.meta.get("redirect_urls") or []
        content_type = headers.get("Content-Type") if headers else None
        referer = request.headers.get("Referer")
        return Capture(
            agency=self.agency.slug, url=redirects[0] if redirects else request.url,
            final_url=final_url, method=request.method, status=status,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            headers=_headers_dict(headers), fetch_mode=fetch_mode, kind=kind, error=error,
            content_type=content_type.decode("latin-1") if content_type else None,
            referer=referer.decode("latin-1") if referer else None)


def _headers_dict(headers) -> dict:
    if not headers:
        return {}
    return {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in headers.items()}
