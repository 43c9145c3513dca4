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


def replica_trust_arg(spki: str) -> str:
    """Chromium flag accepting the replica web's certificate (replica mode only): its key's base64
    sha256 (replica.tls.ReplicaTLS.spki). Chromium honours it with a --user-data-dir, which
    Playwright always passes; every other certificate error still fails."""
    return f"--ignore-certificate-errors-spki-list={spki}"


def abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: Chromium requests nothing outside the registry's domains and
    loads no images, fonts or media."""
    host = urlsplit(request.url).hostname or ""
    if request.url.startswith(("data:", "blob:", "about:")):
        return False
    return host not in all_allowed_domains() or request.resource_type in _SKIPPED_TYPES


class ServerBytes:
    """The bytes the server sent for a browser page, as received: one per request.

    A page event handler keeps every document response of the page's main frame (the 412 challenge,
    then the real page after the challenge's reload); the last page method reads the last one's
    status, headers and body through Playwright. So the archive holds the server's bytes, not
    Chromium's rendered DOM, and nothing is fetched twice."""

    def __init__(self):
        self.responses = []

    def on_response(self, response) -> None:
        if response.request.resource_type == "document" and response.frame.parent_frame is None:
            self.responses.append(response)

    async def read(self, page) -> dict | None:
        if not self.responses:
            return None
        response = self.responses[-1]
        try:
            headers = await response.headers_array()
            kind = next((h["value"] for h in headers if h["name"].lower() == "content-type"), "")
            if "html" not in kind and "xml" not in kind and "text/" not in kind:
                # a file (PDF ...): Chromium's viewer holds the navigation's body, so the file is read
                # again from the page, past the challenge (a second request, for challenged files only)
                raw = await page.evaluate(_RAW_FILE)
                return {"status": raw["status"], "url": raw["url"], "body": base64.b64decode(raw["body"]),
                        "headers": list(raw["headers"].items())}
            body = await response.body()
        except Exception as e:  # noqa: BLE001 - Playwright gives no body for some navigations
            return {"error": f"{type(e).__name__}: {e}"[:300], "status": response.status}
        return {"status": response.status, "url": response.url, "body": body,
                "headers": [(h["name"], h["value"]) for h in headers]}


def browser_meta(timeout_ms: int = 20_000) -> dict:
    """Request meta for a browser page: wait out a JS challenge (the document in the tab came with a
    2xx/3xx status), then read the server's bytes of that document (ServerBytes);
    crawler.middlewares.BrowserStatusMiddleware makes them the response."""
    server = ServerBytes()
    return {"playwright_page_event_handlers": {"response": server.on_response},
            "playwright_page_methods": [PageMethod("wait_for_function", _SETTLED, timeout=timeout_ms),
                                        PageMethod(server.read)]}


# Chromium shows a PDF in its viewer and the navigation's body is the viewer's placeholder, not the
# file. From the viewer's page (same origin, same cookies) the file is read with fetch() and handed
# back base64-encoded, with the status and headers the server sent.
_RAW_FILE = """async () => {
  const r = await fetch(location.href, {cache: "no-store", credentials: "same-origin"});
  const buf = new Uint8Array(await r.arrayBuffer());
  let s = "";
  for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
  return {status: r.status, url: r.url, headers: Object.fromEntries(r.headers.entries()), body: btoa(s)};
}"""
