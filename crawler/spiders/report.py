"""ReportSpider: the one spider. It crawls the annual-report columns of the agencies it is given
(`scrapy crawl nianbao -a agencies=hunan_zjt,hunan_fgw`, default every agency of the registry);
`scrapy crawl SLUG` is the same spider for one agency (crawler/spiders/agencies.py).

One spider per run means one Scrapy downloader, so politeness (CONCURRENT_REQUESTS_PER_DOMAIN,
DOWNLOAD_DELAY, AutoThrottle) holds per host across every agency of the run, and Scrapy's duplicate
filter fetches each URL once however many agencies share it.

- Columns: the run's agencies grouped by column URL (crawler.registry.columns_of). A column shared
  by several agencies (Hunan's 省直部门 column, Xizang's yearly columns) is read once; each report is
  attributed by the registry's match rules: to an agency of the run, skipped when it belongs to a
  registry agency outside the run (its own run reads it), or archived with no agency when it names
  an organisation the registry does not know (so nothing published is lost).
- A family object per column (crawler/families/) says how its CMS lays out list pages.
- Every fetch and failure becomes a Capture item; `owners` says which agencies' runs it counts for.
- What each list page listed is kept per agency (`self.listing`); at the end of the crawl, report URLs
  the last ok run listed and this one did not are requested once more, so the site can explain
  their absence (404/410/soft 404: removed; a redirect to a listed URL: moved). The run recorder
  (crawler/extensions.py) turns the comparison into the run's status.
Spiders do not parse statistics.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError

from archive.store import transaction
from crawler.archive_link import archive_for
from crawler.browser import browser_meta
from crawler.families import family_for
from crawler.items import Capture
from crawler.links import anchors, clean
from crawler.middlewares import FROM_ARCHIVE, KIND, OWNERS, RECHECK, RENDERED, REVISIT
from crawler.registry import Column, agencies, columns_of, crawlable, find_agencies, get_agency

REPORT_WORDS = re.compile(r"年度报告|年报|工作报告")
DISCLOSURE = re.compile(r"信息公开")
YEAR = re.compile(r"(19|20)\d\d|[〇零一二][〇零一二三四五六七八九]{3}")
NOT_A_REPORT = re.compile(r"通知|报送|印发|编制|要点|转发|征集|解读|图解|的函|培训|考核|检查")
ATTACHMENT = re.compile(r"\.(pdf|docx?|xlsx?|wps|et|ofd)(?:$|[?#])|/downfile\.jsp\?", re.I)
SOFT_404 = re.compile(r"您访问的页面不存在|页面不存在|页面未找到|找不到您要访问的页面|页面已删除"
                      r"|暂无该年度[^<。]{0,12}年度报告")   # Hanweb xxgkAnnualReport.jsp: a year without one
# a title naming some organisation (then, in a shared column, it must be a registry agency's)
NAMES_AN_ORG = re.compile(r"[\u4e00-\u9fa5]{2,}(厅|局|委员会|委|办公室|政府|院|中心|馆|署|会)(?!议)")
SOURCE_LABEL = re.compile(r"(?:发布机构|发文机关|信息来源|来源)\s*[:：|]?\s*([^\s<|]{2,40})")

COLUMN = "nianbao_column"    # meta: the column URL a list page belongs to
VERIFY = "nianbao_verify"    # meta: the title named no organisation: attribute by the page's publisher
AGENCY = "nianbao_agency"    # meta: the agency a report (and its attachments) is stored under
BROWSER = "nianbao_browser"  # meta for make_request: through Chromium (True) or not (False), else by agency
CHALLENGE = (202, 403, 412)  # what a JS challenge answers a plain client with
UNATTRIBUTED = None          # the agency of a report no registry agency claims


def is_report_title(title: str) -> bool:
    """A report of the genre: names 信息公开, an annual/work report and a year; not a notice
    about reports (关于报送…的通知) nor an explainer (解读)."""
    return bool(DISCLOSURE.search(title) and REPORT_WORDS.search(title) and YEAR.search(title)
                and not NOT_A_REPORT.search(title))


def is_column_url(url: str) -> bool:
    """A column (list) URL rather than a document: a directory, index.* or list.*."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name == "" or name.startswith(("index.", "index_", "index-", "list."))


def _split(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return list(dict.fromkeys(value))


class ReportSpider(scrapy.Spider):
    name = "nianbao"
    default_agencies: tuple[str, ...] = ()   # the per-agency spiders set their slug here

    def __init__(self, agencies=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        slugs = _split(agencies) or list(self.default_agencies) or crawlable()
        self.agencies = {s: get_agency(s) for s in slugs}     # UnknownAgency for a bad slug
        self.columns = columns_of(slugs)
        self.families = {c.url: family_for(c) for c in self.columns}
        # every registry agency publishing in each column (attribution), not only this run's
        self.claimants = {c.url: [a.slug for a in _registry().values() if c.url in a.columns]
                          for c in self.columns}
        self.allowed_domains = sorted({d for a in self.agencies.values() for d in a.allowed_domains})
        self.run_ids: dict[str, int] = {}                      # set by crawler.extensions.RunRecorder
        self.tally: dict[str, Counter] = {s: Counter() for s in slugs}
        self.listing = {s: {"pages": {}, "reports": {}} for s in slugs}
        self.column_pages: dict[str, dict[str, int]] = {c.url: {} for c in self.columns}
        self.report_urls: dict[str, str | None] = {}           # url -> agency (None: unattributed)
        self.previous: dict[str, dict] = {}                    # slug -> last ok run's listing (RunRecorder)
        self.rechecks: dict[str, str] = {}                     # vanished url -> what the site said
        self._rechecked = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if any(a.browser for a in spider.agencies.values()):
            # the scrapy-playwright handlers start a driver each (~0.7 s CPU): only when needed
            crawler.settings.set("DOWNLOAD_HANDLERS",
                                 crawler.settings.getdict("NIANBAO_BROWSER_DOWNLOAD_HANDLERS"),
                                 priority="spider")
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    # -- counting, per agency ----------------------------------------------------------------
    def count(self, meta: dict, key: str, n: int = 1) -> None:
        """Count `key` for every run the request counts for, and in the crawl's stats."""
        for slug in meta.get(OWNERS) or ():
            self.tally[slug][key] += n
        self.crawler.stats.inc_value(f"nianbao/{key}", n)

    # -- requests --------------------------------------------------------------------------
    async def start(self):
        known = self.discovered_columns()
        for column in self.columns:
            owners = [a.slug for a in column.agencies]
            family = self.families[column.url]
            starts = family.start_urls(known.get(column.url)) if hasattr(family, "start_urls") else [column.url]
            for url in starts:
                yield self.make_request(url, "list", self.parse_list, owners, meta={COLUMN: column.url})

    # -- columns a family discovered (generic: from a home page) ----------------------------------
    def discovered_columns(self) -> dict[str, str]:
        """Start URL -> the report column an earlier run found from it (the agency's latest row)."""
        if not any(hasattr(f, "discovered") for f in self.families.values()):
            return {}
        rows = archive_for(self.crawler).conn.execute(
            "SELECT agency, start_url, url FROM discovered_columns ORDER BY found_at, rowid").fetchall()
        latest = {(agency, start): url for agency, start, url in rows}
        return {c.url: latest[(a.slug, c.url)] for c in self.columns for a in c.agencies if (a.slug, c.url) in latest}

    def record_discovered(self) -> None:
        """Store each column a family found (when new or moved), so the next run starts there."""
        known = self.discovered_columns()
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        found = []
        for column in self.columns:
            family = self.families[column.url]
            result = family.discovered() if hasattr(family, "discovered") else None
            if result and result[0] != known.get(column.url):
                found += [{"agency": a.slug, "url": result[0], "how": result[1], "found_at": now,
                           "run_id": self.run_ids.get(a.slug), "start_url": column.url} for a in column.agencies]
        if not found:
            return
        archive = archive_for(self.crawler)
        try:
            with transaction(archive.db):
                archive.db["discovered_columns"].insert_all(found)
        except Exception as e:  # noqa: BLE001 - the next run discovers again; say so
            self.logger.error("could not record the discovered column(s) %s: %s", [f["url"] for f in found], e)
            return
        for row in found:
            self.logger.info("[%s] report column %s: %s", row["agency"], row["url"], row["how"])

    def make_request(self, url: str, kind: str, callback, owners, **kwargs) -> scrapy.Request:
        """A request counting for `owners`. An agency with `browser: true` gets its pages through
        Chromium; its attachments go plain HTTP first (challenges guard pages, rarely files) and
        through the browser only when a challenge answers (on_error)."""
        meta = {KIND: kind, OWNERS: tuple(owners), **kwargs.pop("meta", {})}
        browser = meta.pop(BROWSER, None)
        if browser is None:
            browser = kind != "attachment" and any(self.agencies[s].browser for s in owners)
        if browser:
            meta.update(playwright=True, **browser_meta())
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, **kwargs)

    # -- attribution -------------------------------------------------------------------------
    def attribute(self, column: Column, title: str) -> tuple[str, str | None]:
        """Whose report a listed title is: ("run", slug) an agency of this run; ("other", slug) a
        registry agency outside the run; ("unknown", None) an organisation the registry does not
        know; ("verify", None) the title names no organisation (the page's publisher decides)."""
        claimants = self.claimants[column.url]
        if len(claimants) == 1 and not column.shared:
            return "run", claimants[0]
        named = find_agencies(title, claimants)
        if named:
            return ("run" if named[0] in self.agencies else "other"), named[0]
        head = title.split("20")[0] if "20" in title else title
        return ("unknown", UNATTRIBUTED) if NAMES_AN_ORG.search(head) else ("verify", None)

    def publisher_of(self, response, column_url: str) -> tuple[str, str | None]:
        """For a report whose title named no organisation: the registry agency of the column the
        page's publisher (ContentSource, 发布机构, 来源 ...) names. A page naming no publisher is the
        column's when only one agency publishes there, else unattributed."""
        claimants = self.claimants[column_url]
        sources = []
        if isinstance(response, TextResponse):
            sources = response.css('meta[name="ContentSource"]::attr(content)').getall()
            text = clean(" ".join(response.css("body *:not(script):not(style)::text").getall()))
            sources += SOURCE_LABEL.findall(text)
        if not sources:
            return ("run", claimants[0]) if len(claimants) == 1 else ("unknown", UNATTRIBUTED)
        for source in sources:
            named = find_agencies(source, claimants)
            if named:
                return ("run" if named[0] in self.agencies else "other"), named[0]
        return "unknown", UNATTRIBUTED

    def owners_for(self, column_url: str, agency: str | None) -> list[str]:
        """The runs a report counts for: its agency's, or (unattributed) the column's first agency's."""
        if agency is not None:
            return [agency]
        return [next(c for c in self.columns if c.url == column_url).agencies[0].slug]

    def found_report(self, url: str, agency: str | None, listed: tuple) -> None:
        self.report_urls[url] = agency
        column_url, list_url, title = listed
        if agency is not None:
            self.listing[agency]["reports"][url] = (list_url, title)
            self.tally[agency]["reports_found"] = len(self.listing[agency]["reports"])
        else:
            self.count({OWNERS: self.owners_for(column_url, None)}, "unattributed_reports")

    # -- callbacks -------------------------------------------------------------------------
    def parse_list(self, response):
        meta = response.meta
        column_url = meta[COLUMN]
        column = next(c for c in self.columns if c.url == column_url)
        family = self.families[column_url]
        yield from self.capture_response(response, "list", agency=self.list_agency(column))
        links = 0
        for title, url in self.entries(family, response):
            if not is_report_title(title) or is_column_url(url):
                continue
            links += 1
            if url in self.report_urls:
                continue
            listed = (column_url, response.url, title)
            whose, slug = self.attribute(column, title)
            if whose == "other":
                self.report_urls[url] = slug
                continue
            if whose == "verify":
                self.report_urls[url] = UNATTRIBUTED   # until its page says whose it is
                yield self.make_request(url, "report", self.parse_report, self.owners_for(column_url, None),
                                        meta={VERIFY: listed})
                continue
            self.found_report(url, slug, listed)
            yield self.make_request(url, "report", self.parse_report, self.owners_for(column_url, slug),
                                    meta={AGENCY: slug})
        self.column_pages[column_url][response.url] = links
        for slug in meta[OWNERS]:
            self.listing[slug]["pages"][response.url] = (column_url, links)
        for url in dict.fromkeys(u for view in self.views(response) for u in family.next_pages(view)):
            yield self.make_request(url, "list", self.parse_list, meta[OWNERS], meta={COLUMN: column_url})

    @staticmethod
    def views(response) -> list:
        """The response, and for a browser page also Chromium's rendered DOM of it (links a script wrote)."""
        rendered = response.meta.get(RENDERED)
        if not rendered or not isinstance(response, TextResponse):
            return [response]
        return [response, response.replace(body=rendered, encoding="utf-8")]

    def entries(self, family, response) -> list[tuple[str, str]]:
        """(title, url) a list page lists, in the server's bytes and in the rendered DOM, each once."""
        return list(dict.fromkeys(e for view in self.views(response) for e in family.list_entries(view)))

    def list_agency(self, column: Column) -> str | None:
        """The agency a list capture is stored under: none for a shared column."""
        return None if column.shared else column.agencies[0].slug

    def parse_report(self, response):
        meta = response.meta
        if meta.get(RECHECK):
            self.rechecks[meta[RECHECK]] = self.recheck_verdict(response)
        if meta.get(VERIFY):
            listed = meta[VERIFY]
            whose, slug = self.publisher_of(response, listed[0])
            if whose == "other":
                self.count(meta, "not_own")
                return
            self.found_report(first_url(response.request), slug, listed)
            meta[OWNERS], meta[AGENCY] = tuple(self.owners_for(listed[0], slug)), slug
        agency = meta.get(AGENCY)
        yield from self.capture_response(response, "report", agency=agency)
        if meta.get(RECHECK):
            return
        for url in dict.fromkeys(u for view in self.views(response) for _, u in anchors(view)):
            if ATTACHMENT.search(url):
                yield self.make_request(url, "attachment", self.parse_attachment, meta[OWNERS],
                                        meta={AGENCY: agency})

    def parse_attachment(self, response):
        yield from self.capture_response(response, "attachment", agency=response.meta.get(AGENCY))

    # -- the end of the crawl: what the last ok run listed and this one did not -----------------
    def vanished(self, slug: str) -> list[str]:
        before = self.previous.get(slug, {}).get("reports", {})
        return [u for u in before if u not in self.listing[slug]["reports"]]

    def on_idle(self, spider=None):
        """Once, when the crawl is otherwise done: ask the site about every vanished report URL
        (bounded by NIANBAO_RECHECK_MAX per agency), conditionally, so it can explain."""
        if self._rechecked:
            return
        self._rechecked = True
        self.record_discovered()
        limit = self.crawler.settings.getint("NIANBAO_RECHECK_MAX", 50)
        requests = []
        for slug in self.agencies:
            if self.tally[slug]["errors/list"]:   # a lost list page explains what is missing: no use asking
                continue
            for url in self.vanished(slug)[:limit]:
                requests.append(self.make_request(url, "report", self.parse_report, [slug], dont_filter=True,
                                                  meta={RECHECK: url, AGENCY: slug}))
        if not requests:
            return
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def recheck_verdict(self, response) -> str:
        """What the site says of a vanished report URL: removed, moved (to a listed URL) or still there."""
        if isinstance(response, TextResponse) and SOFT_404.search(response.text):
            return "removed (soft 404)"
        final = response.url
        if final != first_url(response.request) and any(final in self.listing[s]["reports"] for s in self.agencies):
            return f"moved to {final}"
        return "still served"

    # -- captures ----------------------------------------------------------------------------
    def capture_response(self, response, kind: str, agency: str | None):
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
        item = self._capture(request, kind, agency, status=revisit["status"] if revisit else response.status,
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
        rendered = request.meta.get(RENDERED)
        if rendered and kind in ("list", "report") and holds_more(rendered, response.body):
            derived = self._capture(request, kind, agency, status=item["status"], final_url=response.url,
                                    headers=headers, error=None, fetch_mode="rendered")
            derived.update(encoding="utf-8", body=rendered)
            self.count(request.meta, "rendered_kept")
            yield derived

    def on_error(self, failure):
        """Errback: a failed fetch (HTTP error after retries, timeout, DNS, reset, truncated
        body, oversized, redirect loop) becomes a capture row with error text and no body.
        Requests dropped before any fetch (robots.txt, offsite) are only counted."""
        request = failure.request
        meta = request.meta
        kind = meta.get(KIND, "report")
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            message = str(failure.value)
            if "redirection" not in message:
                self.count(meta, "dropped_before_fetch")
                self.logger.info("not fetched: %s (%s)", request.url, message)
                return
        status, headers, final_url = None, None, None
        if failure.check(HttpError):
            response = failure.value.response
            status, headers, final_url = response.status, response.headers, response.url
            error = f"HTTP {status}"
        else:
            error = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
        if (kind == "attachment" and status in CHALLENGE and not meta.get("playwright")
                and any(self.agencies[s].browser for s in meta.get(OWNERS) or ())):
            self.count(meta, "attachments_via_browser")   # challenged: the browser passes it
            yield self.make_request(request.url, kind, self.parse_attachment, meta[OWNERS], dont_filter=True,
                                    meta={AGENCY: meta.get(AGENCY), BROWSER: True})
            return
        if meta.get(RECHECK):
            self.rechecks[meta[RECHECK]] = (f"removed (HTTP {status})" if status in (404, 410)
                                            else f"not answered ({error})")
        if kind == "list":
            agency = self.list_agency(next(c for c in self.columns if c.url == meta[COLUMN]))
        else:
            agency = meta.get(AGENCY)
        yield self._capture(request, kind, agency, status=status, final_url=final_url, headers=headers,
                            error=error, fetch_mode="browser" if meta.get("playwright") else "http")
        if kind == "list" and hasattr(self.families[meta[COLUMN]], "fallback"):   # e.g. a stored column gone
            for url in self.families[meta[COLUMN]].fallback(first_url(request)):
                yield self.make_request(url, "list", self.parse_list, meta[OWNERS], meta={COLUMN: meta[COLUMN]})

    def _capture(self, request, kind, agency, *, status, final_url, headers, error, fetch_mode) -> Capture:
        content_type = headers.get("Content-Type") if headers else None
        referer = request.headers.get("Referer")
        return Capture(
            agency=agency, owners=request.meta.get(OWNERS) or (), url=first_url(request),
            final_url=final_url, method=request.method, status=status,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            headers=_headers_dict(headers), fetch_mode=fetch_mode, kind=kind, error=error,
            content_type=content_type.decode("latin-1") if content_type else None,
            referer=referer.decode("latin-1") if referer else None)


def visible_text_length(html: bytes) -> int:
    """Characters of text a reader sees in an HTML document (scripts and styles left out)."""
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return 0
    for el in root.iter("script", "style", "noscript"):
        el.text = None
    return len(re.sub(r"\s+", "", root.text_content()))


def holds_more(rendered: bytes, served: bytes) -> bool:
    """Chromium's DOM is worth keeping beside the server's bytes when scripts added text a reader
    sees (content built by JavaScript): 10% and 200 characters more than the served page."""
    more, base = visible_text_length(rendered), visible_text_length(served)
    return more - base >= max(200, base // 10)


def first_url(request) -> str:
    """The URL as first requested, before redirects."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def _registry():
    return agencies()


def _headers_dict(headers) -> dict:
    if not headers:
        return {}
    return {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in headers.items()}
