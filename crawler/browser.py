"""Helpers for the browser path (scrapy-playwright with Debian's Chromium)."""
from __future__ import annotations

from urllib.parse import urlsplit

from scrapy_playwright.page import PageMethod

from crawler.registry import all_allowed_domains

_SKIPPED_TYPES = {"image", "media", "font"}

# Wait until the document the page holds came with a usable status: a JS challenge page
# (HTTP 412/202 + script that sets cookies and reloads) is replaced by the real page first.
_SETTLED = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const status = nav && nav.responseStatus;
  return document.readyState === 'complete' && status >= 200 && status < 400 && status !== 202;
}"""
_STATUS = "() => { const n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : 0; }"


def abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: Chromium requests nothing outside the registry's domains and
    loads no images, fonts or media."""
    host = urlsplit(request.url).hostname or ""
    if request.url.startswith(("data:", "blob:", "about:")):
        return False
    return host not in all_allowed_domains() or request.resource_type in _SKIPPED_TYPES


def page_methods(timeout_ms: int = 20_000) -> list[PageMethod]:
    """Page methods for a browser page request: wait out a JS challenge, then read the final
    document's HTTP status (crawler.middlewares.BrowserStatusMiddleware applies it)."""
    return [PageMethod("wait_for_function", _SETTLED, timeout=timeout_ms),
            PageMethod("evaluate", _STATUS)]
