"""Downloader middlewares of the nianbao crawler.

BackoffRetryMiddleware   Scrapy's RetryMiddleware plus an exponential back-off before each retry.
IncrementalMiddleware    incremental crawling against the archive: held attachments are not
                         requested again, held report pages only when their revalidation is due
                         (Revalidation: all in the report season, about weekly otherwise); list
                         pages are re-fetched conditionally and a 304 is answered from the archived bytes.
BrowserStatusMiddleware  browser responses carry the server's status, headers and bytes of the
                         document the tab finally holds (after a JS challenge), not the rendered DOM.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from crawler.archive_link import archive_for

logger = logging.getLogger(__name__)

# meta keys shared with the spiders and the pipeline
KIND = "nianbao_kind"            # list / report / attachment
OWNERS = "nianbao_owners"        # slugs of the runs a request counts for (first: the run it is stored under)
FROM_ARCHIVE = "nianbao_from_archive"  # response built from archived bytes, nothing was sent
REVISIT = "nianbao_revisit"      # {"status", "revisit_of", "headers", "body_sha256"} after a 304
VALIDATED = "nianbao_validated"  # the held capture a conditional request was made against
RECHECK = "nianbao_recheck"      # a vanished report URL asked about again: always sent (conditionally)
RENDERED = "nianbao_rendered"    # Chromium's rendered DOM of a browser page (the response holds the server's bytes)
REVALIDATED = "nianbao_revalidated"  # a held report page asked about again (Revalidation said it was due)


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries like Scrapy's RetryMiddleware (RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS)
    and waits RETRY_BACKOFF_BASE * 2**(n-1) seconds (at most RETRY_BACKOFF_MAX) before the
    n-th retry. Only the retried request waits; the others go on."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 0.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    async def _backoff(self, result):
        if isinstance(result, Request) and self.base > 0:
            n = result.meta.get("retry_times", 1)
            await asyncio.sleep(min(self.cap, self.base * 2 ** (n - 1)))
        return result

    async def process_response(self, request, response, spider=None):
        return await self._backoff(super().process_response(request, response))

    async def process_exception(self, request, exception, spider=None):
        return await self._backoff(super().process_exception(request, exception))


SEASON_TZ = ZoneInfo("Asia/Shanghai")   # the scheduler's time zone: the season's months are Beijing months


def season_months(spec: str | None) -> set[int]:
    """'1-4' or '1,2,3,12' -> month numbers (the scheduler's --season syntax); '' or 'none' -> no season."""
    spec = (spec or "").strip()
    if spec.lower() in ("", "none"):
        return set()
    months = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lo, _, hi = part.partition("-")
        months.update(range(int(lo), int(hi or lo) + 1))
    if not months <= set(range(1, 13)):
        raise ValueError(f"bad month list: {spec!r}")
    return months


class Revalidation:
    """Which held report pages a crawl asks about again (conditionally: a 304 costs no body).

    - In the report season (NIANBAO_SEASON, the scheduler's months with a daily run, default 1-4,
      Beijing time): every held report page, at every run.
    - Otherwise each page once every NIANBAO_REVALIDATE_DAYS days (default 7): the time line is cut
      into periods of that length, shifted for each page by a phase taken from the hash of its URL,
      and a page is due when a period boundary has passed since it was last fetched. So about 1/7
      of the pages are due on each daily run, all of them on a weekly one, and every page comes
      round whatever the rhythm of the runs (a share chosen by day of the week would always pick
      the same pages on a Monday-only schedule). 0: never outside the season.
    - Never a page fetched less than NIANBAO_REVALIDATE_MIN_HOURS ago (default 12): a manual run
      after the nightly one, or a second crawl the same day, asks nothing again.
    - Browser pages (Chromium aborts a navigation answered 304, so they cannot be conditional) are
      fetched whole, in the season only.
    NIANBAO_REVALIDATE=0 turns it off (held report pages are then never requested, unless --refresh)."""

    def __init__(self, settings, now: float | None = None):
        self.enabled = settings.getbool("NIANBAO_REVALIDATE", True)
        self.days = settings.getfloat("NIANBAO_REVALIDATE_DAYS", 7.0)
        self.min_age = settings.getfloat("NIANBAO_REVALIDATE_MIN_HOURS", 12.0) * 3600
        self.now = time.time() if now is None else now
        month = datetime.fromtimestamp(self.now, SEASON_TZ).month
        self.in_season = month in season_months(settings.get("NIANBAO_SEASON", "1-4"))

    def due(self, url: str, last_fetched: float | None, browser: bool = False) -> bool:
        """Whether a held report page last fetched at `last_fetched` (epoch seconds) is asked about now."""
        if not self.enabled:
            return False
        if last_fetched is not None and self.now - last_fetched < self.min_age:
            return False
        if self.in_season:
            return True
        if browser or self.days <= 0:
            return False
        return last_fetched is None or self.period(url, self.now) > self.period(url, last_fetched)

    def period(self, url: str, t: float) -> int:
        """The index of the period holding time t, on this URL's own (hash-shifted) time line."""
        phase = int.from_bytes(hashlib.sha256(url.encode("utf-8")).digest()[:8], "big") / 2 ** 64
        return math.floor(t / 86400 / self.days - phase)


def last_fetched(archive, url: str) -> float | None:
    """When url was last fetched (any capture of it but Chromium's derived DOM), epoch seconds."""
    row = archive.conn.execute("SELECT fetched_at FROM captures WHERE url = ? AND fetch_mode != 'rendered'"
                               " ORDER BY id DESC LIMIT 1", [url]).fetchone()
    if not row or not row[0]:
        return None
    try:
        t = datetime.fromisoformat(row[0])
    except ValueError:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()


class IncrementalMiddleware:
    """Scrapy-native incremental crawling backed by the archive.

    - report / attachment requests whose URL is already held (a good capture with a body) are
      not sent: the held bytes come back as the response, flagged FROM_ARCHIVE, so the spider
      still finds the attachments of a held report page; the pipeline writes nothing for them.
      A held report page whose revalidation is due (Revalidation) is sent, conditionally, and
      counted `revalidated`. NIANBAO_REFRESH=1 (or spider argument refresh=1) makes every held
      page and attachment a conditional re-fetch, as are the re-checks of report URLs a column
      no longer lists (RECHECK).
    - list pages (and refreshed pages) are always sent, with If-None-Match / If-Modified-Since
      from the archive; a 304 is turned into the held response, with REVISIT meta so the
      pipeline records a revisit row.
    Browser requests are never made conditional (a rendered DOM has no validators)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.refresh = crawler.settings.getbool("NIANBAO_REFRESH", False)
        self.revalidation = Revalidation(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _refresh(self, spider) -> bool:
        return self.refresh or str(getattr(spider, "refresh", "0")).lower() in ("1", "true", "yes")

    def process_request(self, request, spider=None):
        kind = request.meta.get(KIND)
        if kind is None or request.method != "GET":
            return None
        archive = archive_for(self.crawler)
        held = archive.held(request.url)
        if held is None:
            return None
        spider = self.crawler.spider
        if kind in ("report", "attachment") and not self._refresh(spider) and not request.meta.get(RECHECK):
            if kind == "report" and self.revalidation.due(request.url, last_fetched(archive, request.url),
                                                          browser=bool(request.meta.get("playwright"))):
                spider.count(request.meta, "revalidated")
                request.meta[REVALIDATED] = held["id"]
            else:
                spider.count(request.meta, "held_not_requested")
                request.meta[FROM_ARCHIVE] = held["id"]
                return self._held_response(request, held, archive)
        if request.meta.get("playwright"):
            # Chromium aborts a navigation answered 304 (net::ERR_ABORTED: it did not make the request
            # conditional itself), and a challenge's reload carries the same headers: never conditional
            return None
        headers = archive.validators(request.url)
        if headers:
            for name, value in headers.items():
                request.headers[name] = value
            request.meta[VALIDATED] = held
            spider.count(request.meta, "conditional_requests")
        return None

    def process_response(self, request, response, spider=None):
        held = request.meta.get(VALIDATED)
        if response.status != 304 or not held:
            return response
        archive = archive_for(self.crawler)
        request.meta[REVISIT] = {"status": 304, "revisit_of": held["original"],
                                 "body_sha256": held["body_sha256"],
                                 "headers": response.headers}
        self.crawler.spider.count(request.meta, "not_modified")
        return self._held_response(request, held, archive)

    @staticmethod
    def _held_response(request, held, archive):
        body = archive.body(held["body_sha256"])
        headers = Headers({k: v for k, v in held["headers"].items()})
        url = held.get("final_url") or request.url
        cls = responsetypes.from_args(headers=headers, url=url, body=body)
        flags = ["archived"] + (["playwright"] if held["fetch_mode"] == "browser" else [])
        return cls(url=url, status=200, headers=headers, body=body, request=request,
                   flags=flags)


class BrowserReadError(Exception):
    """The server's bytes of a browser page could not be read (recorded as the capture's error)."""


class BrowserStatusMiddleware:
    """A browser request waits out a JS challenge and reads the server's bytes of the document the
    tab finally holds (crawler.browser.ServerBytes): this makes them the response (status, headers
    and body as the server sent them), so a page that came after a 412 challenge is its 200 and the
    archive holds what the server sent. Chromium's rendered DOM goes along in meta RENDERED (the
    spider keeps it as a derived capture where it holds more than the server's bytes)."""

    def process_response(self, request, response, spider=None):
        if "playwright" not in response.flags or "archived" in response.flags:
            return response
        methods = request.meta.get("playwright_page_methods") or []
        result = getattr(methods[-1], "result", None) if methods else None
        if not isinstance(result, dict) or "body" not in result:
            why = (result or {}).get("error") if isinstance(result, dict) else "no document response"
            raise BrowserReadError(f"the server's bytes could not be read ({why})")
        request.meta[RENDERED] = response.body
        headers = Headers()
        for name, value in result["headers"]:
            headers.appendlist(name, value)
        body = result["body"]
        if headers.get("Content-Encoding"):   # Playwright hands over the decoded body
            headers.pop("Content-Encoding")
        cls = responsetypes.from_args(headers=headers, url=result["url"], body=body)
        return cls(url=result["url"], status=result["status"], headers=headers, body=body,
                   request=request, flags=response.flags)
