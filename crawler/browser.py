"""Helpers for the browser path (scrapy-playwright with Debian's Chromium)."""
from __future__ import annotations

import base64
import json
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


def proxy_pac_arg(proxy_url: str, domains) -> str:
    """Chromium flag sending the registry's hosts (and their subdomains) through proxy_url and
    everything else to a dead end (127.0.0.1:9). Chromium's own background traffic (component
    updates, account checks) then never leaves the machine nor reaches the replica, and a page
    can reach no other host."""
    proxy = urlsplit(proxy_url).netloc or proxy_url
    pac = ("function FindProxyForURL(url, host) { var ok = %s; for (var i = 0; i < ok.length; i++)"
           " { if (host == ok[i] || dnsDomainIs(host, '.' + ok[i])) return 'PROXY %s'; }"
           " return 'PROXY 127.0.0.1:9'; }") % (json.dumps(sorted(domains)), proxy)
    return ("--proxy-pac-url=data:application/x-ns-proxy-autoconfig;base64,"
            + base64.b64encode(pac.encode()).decode())


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


# Chromium shows a PDF in its viewer and page.content() is the viewer's DOM, not the file. From
# the viewer's page (same origin, same cookies) the file is read again with fetch(), from the
# browser's HTTP cache when it can, and handed back base64-encoded.
_RAW_FILE = """async () => {
  const r = await fetch(location.href, {cache: "force-cache", credentials: "same-origin"});
  const buf = new Uint8Array(await r.arrayBuffer());
  let s = "";
  for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
  return {status: r.status, url: r.url, headers: Object.fromEntries(r.headers.entries()), body: btoa(s)};
}"""


def attachment_meta() -> dict:
    """Request meta for a file fetched by the browser: keep the bytes the server sent
    (BrowserStatusMiddleware puts them on the Scrapy response)."""
    return {"playwright_page_methods": [PageMethod("evaluate", _RAW_FILE)],
            "nianbao_raw_file": True}
