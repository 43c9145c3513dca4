"""Downloader middlewares of the nianbao crawler.

BackoffRetryMiddleware   Scrapy's RetryMiddleware plus an exponential back-off before each retry.
IncrementalMiddleware    incremental crawling against the archive: held report pages and
                         attachments are not requested again; list pages are re-fetched
                         conditionally and a 304 is answered from the archived bytes.
BrowserStatusMiddleware  browser responses carry the server's status, headers and bytes of the
                         document the tab finally holds (after a JS challenge), not the rendered DOM.
"""
from __future__ import annotations

import asyncio
import logging

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


class IncrementalMiddleware:
    """Scrapy-native incremental crawling backed by the archive.

    - report / attachment requests whose URL is already held (a good capture with a body) are
      not sent: the held bytes come back as the response, flagged FROM_ARCHIVE, so the spider
      still finds the attachments of a held report page; the pipeline writes nothing for them.
      NIANBAO_REFRESH=1 (or spider argument refresh=1) makes them conditional re-fetches instead,
      as are the re-checks of report URLs a column no longer lists (RECHECK).
    - list pages (and refreshed pages) are always sent, with If-None-Match / If-Modified-Since
      from the archive; a 304 is turned into the held response, with REVISIT meta so the
      pipeline records a revisit row.
    Browser requests are never made conditional (a rendered DOM has no validators)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.refresh = crawler.settings.getbool("NIANBAO_REFRESH", False)

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
