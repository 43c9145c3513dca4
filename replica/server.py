"""ReplicaServer: the replica web on loopback, acting as the HTTP proxy for the agencies' real hosts.

    with ReplicaServer() as server:                 # builds replica.corpus.build_corpus(2024)
        os.environ["http_proxy"] = server.proxy_url   # Scrapy; Chromium: proxy={"server": server.proxy_url}
        ...
        server.log        # every request: RequestLog records
        server.faults.add("status", host="zjt.gxzf.gov.cn", code=500)
        server.publish(report); server.edit(url, "<p>new body</p>")
        server.truth(); server.urls("hunan_zjt")

Requests arrive in absolute form (GET http://host/path HTTP/1.1) through the proxy, or in origin form with
a Host header. Hosts outside the replica get 502; both are logged. https: CONNECT host:443 to a replica
host gets "200 Connection established", then TLS with the replica's own certificate (replica.tls: a CA
made at start-up, `server.tls.ca_file`, `server.tls.spki`), and the requests in the tunnel are served
like proxied ones (URL https://..., logged with via "connect"); CONNECT to any other host gets 403.
Static pages carry ETag and Last-Modified and get 304 to If-None-Match / If-Modified-Since.
"""
from __future__ import annotations

import copy
import dataclasses
import email.utils
import hashlib
import re
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from replica.faults import Faults
from replica.model import Notice, Report
from replica.sites import SITE_CLASSES
from replica.sites.base import Request, Resource, Response, Site, not_found_page


@dataclass(frozen=True)
class RequestLog:
    """One request the replica received."""
    time: float
    client: str
    method: str
    url: str            # absolute URL (https://host:443 for CONNECT)
    host: str
    path: str           # path and query
    status: int | None  # None: connection reset without a response
    bytes: int          # body bytes sent (for truncate / oversize faults: the bytes the server set out to send)
    user_agent: str
    headers: dict
    via: str            # "proxy" (absolute form), "direct" (origin form) or "connect"
    started: float = 0.0  # when the request had arrived (its headers read); `time` is when it was answered
    sha256: str = ""      # of the body bytes sent (a full answer: not truncated, reset or oversized)

    def as_dict(self) -> dict:
        return asdict(self)


# Chromium phones home (update.googleapis.com, accounts.google.com, clients2.google.com) whatever its flags;
# bypassing the proxy for those hosts keeps them out of the replica's log (with no network they just fail).
CHROMIUM_PROXY_BYPASS = "*.google.com,*.googleapis.com,*.gvt1.com"


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def etag_for(style: str, mtime: float, size: int) -> str:
    if style == "tomcat":
        return f'W/"{size}-{int(mtime) * 1000}"'
    return f'"{int(mtime):x}-{size:x}"'


class ReplicaServer:
    """The replica web. corpus: a replica.corpus.Corpus (default: build_corpus(seed))."""

    def __init__(self, corpus=None, seed: int = 2024, host: str = "127.0.0.1", port: int = 0,
                 challenge_ttl: float = 1800.0, extra_sites=(), nation=None):
        if corpus is None:
            from replica.corpus import build_corpus  # lazy: the content module is built separately
            corpus = build_corpus(seed)
        self.corpus = corpus
        self.seed = seed
        self.faults = Faults()
        self._log: list[RequestLog] = []
        self._log_lock = threading.Lock()
        self._lock = threading.RLock()            # guards sites and resources
        self._bind = (host, port)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.sites: list[Site] = [cls(seed=seed) for cls in SITE_CLASSES]
        # further sites holding their own reports, e.g. replica.sites.generated.generate_sites(8, seed=7)
        self.sites += [copy.deepcopy(site) for site in extra_sites]
        clash = [h for h, n in Counter(h for site in self.sites for h in site.hosts).items() if n > 1]
        if clash:
            raise ValueError(f"replica: hosts served by two sites: {', '.join(clash)}")
        for site in self.sites:
            if hasattr(site, "challenge_ttl"):
                site.challenge_ttl = challenge_ttl
        self._by_host = {h: site for site in self.sites for h in site.hosts}
        self._place(corpus)
        self._resources: dict[tuple[str, str], Resource] = {}
        self._render(self.sites)
        self.tls = None   # replica.tls.ReplicaTLS, made at start()
        # replica.nation.Nation: its hosts (http only) are answered by it, lazily, before the static sites
        self.nation = nation

    # --- content ----------------------------------------------------------------------------
    def site_for(self, agency: str) -> Site:
        for site in self.sites:
            if site.accepts(agency):
                return site
        raise ValueError(f"no replica site hosts agency {agency!r}")

    def _place(self, corpus) -> None:
        """Give each report and notice to its site (copies: edits never touch the shared corpus)."""
        for original in corpus.reports:
            report = copy.copy(original)
            site = self.site_for(report.agency)
            site.add(report)
            if original.url is None:
                original.url = report.url   # URLs are deterministic; corpus.ground_truth() can show them
        for notice in corpus.notices:
            self.site_for(notice.agency).add(copy.copy(notice))
        for site in self.sites:
            if hasattr(site, "add_mirror_pages"):
                site.add_mirror_pages(list(getattr(corpus, "mirror_pages", []) or []))

    def _render(self, sites) -> None:
        """Re-render sites; a resource whose bytes are unchanged keeps its Last-Modified, a changed one gets now."""
        now = time.time()
        with self._lock:
            fresh = {}
            for site in sites:
                fresh.update(site.render())
                for key, page in site.overrides.items():
                    if key in fresh:
                        fresh[key].body = page.encode("utf-8")
                        fresh[key].content_type = "text/html; charset=utf-8"
            hosts = {h for site in sites for h in site.hosts}
            merged = {k: v for k, v in self._resources.items() if k[0] not in hosts}
            for key, res in fresh.items():
                old = self._resources.get(key)
                if old is not None and old.body == res.body and old.status == res.status:
                    res.mtime = old.mtime
                elif old is not None:
                    res.mtime = max(float(int(now)), (old.mtime or 0) + 1)
                elif res.mtime is None:
                    res.mtime = float(int(now))
                merged[key] = res
            self._resources = merged

    def publish(self, report: Report) -> str:
        """Publish a new report: it appears at the top of page 1 of its column on the next request.
        Returns its URL."""
        with self._lock:
            site = self.site_for(report.agency)
            site.add(report, published_now=True)
            self._render([site])
            return report.url

    def publish_notice(self, notice: Notice) -> None:
        with self._lock:
            site = self.site_for(notice.agency)
            site.add(notice, published_now=True)
            self._render([site])

    def edit(self, url: str, new_body_html: str) -> None:
        """Change the body of the report at url (or replace a non-report page's HTML outright)."""
        with self._lock:
            for site in self.sites:
                for report in site.reports:
                    if report.url == url:
                        report.body_html = new_body_html
                        self._render([site])
                        return
            parts = urlsplit(url)
            key = (parts.hostname or "", parts.path or "/")
            old = self._resources.get(key)
            if old is None:
                raise KeyError(f"the replica serves no page at {url}")
            site = self._by_host[key[0]]
            site.overrides[key] = new_body_html
            self._render([site])

    def new_report(self, agency: str, year: int, published: str | None = None) -> Report:
        """A new report for publish(): a copy of the agency's latest report, for another year, with a new id."""
        site = self.site_for(agency)
        own = [r for r in site.reports if r.agency == agency]
        if not own:
            raise ValueError(f"no report of {agency!r} to model a new one on")
        base = max(own, key=lambda r: r.year)
        published = published or f"{year + 1}-01-25 09:30:00"
        ids = [r.doc_id for s in self.sites for r in s.reports]
        new = copy.copy(base)
        new.year = year
        new.title = base.title.replace(str(base.year), str(year))
        new.published = published
        new.url_date = published[:10].replace("-", "")
        new.doc_id = max(ids) + 1
        new.url = None
        new.seed = None
        new.truth = dict(base.truth, year=year, title=new.title, published=published[:10],
                         published_time=published) if base.truth else {}
        return new

    def reports(self, agency: str | None = None) -> list[Report]:
        return [r for s in self.sites for r in s.reports if agency is None or r.agency == agency]

    def urls(self, agency: str) -> list[str]:
        """The report page URLs of that agency's reports (canonical, after any redirect)."""
        return sorted(r.url for r in self.reports(agency))

    def truth(self) -> list[dict]:
        """Ground truth of every report served, each with its `url` and `attachment_urls`."""
        out = []
        for site in self.sites:
            for r in site.reports:
                t = dict(r.truth) if r.truth else {
                    "agency": r.agency, "agency_name": r.agency_name, "year": r.year, "title": r.title,
                    "published": r.published[:10], "published_time": r.published, "index_no": r.index_no,
                    "publisher": r.publisher, "doc_no": r.doc_no, "format": r.generation,
                    "stats_in": r.stats_in, "seed": r.seed}
                t["url"] = r.url
                t["attachment_urls"] = [site.linked_attachment_url(r, a.filename) for a in r.attachments]
                t["encoding"] = r.encoding
                out.append(t)
        return out

    def special_urls(self) -> dict[str, list[str]]:
        """The hostile links the sites carry: soft_404, dead (404), moved (old URL -> 301), offsite."""
        out: dict[str, list[str]] = {}
        for site in self.sites:
            for kind, urls in getattr(site, "specials", {}).items():
                out.setdefault(kind, []).extend(urls)
        return out

    @property
    def hosts(self) -> list[str]:
        return sorted(self._by_host)

    # --- log --------------------------------------------------------------------------------
    @property
    def log(self) -> list[RequestLog]:
        with self._log_lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record(self, **fields) -> None:
        with self._log_lock:
            self._log.append(RequestLog(time=time.time(), **fields))

    # --- lifecycle --------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def opener(self):
        """A urllib opener that reaches the replica web only: http and https through this proxy
        (https trusting the replica's CA), so no request of a script or test ever leaves loopback."""
        import urllib.request
        return urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": self.proxy_url, "https": self.proxy_url}),
            urllib.request.HTTPSHandler(context=self.tls.client_context()))

    def playwright_proxy(self) -> dict:
        """Playwright's launch `proxy` option for this server (Google's background hosts bypassed)."""
        return {"server": self.proxy_url, "bypass": CHROMIUM_PROXY_BYPASS}

    def start(self) -> "ReplicaServer":
        if self._httpd is not None:
            return self
        from replica.tls import ReplicaTLS
        self.tls = ReplicaTLS(self.hosts)
        self._tls_context = self.tls.server_context()
        handler = type("Handler", (_Handler,), {"replica": self})
        self._httpd = _HTTPServer(self._bind, handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replica-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = self._thread = None
        if self.tls is not None:
            self.tls.close()
            self.tls = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- serving ----------------------------------------------------------------------------
    def respond(self, req: Request) -> Response:
        """The answer to one request, faults aside (also usable without a socket)."""
        if self.nation is not None and req.host not in self._by_host and self.nation.owns(req.host):
            answer = self.nation.respond(req)   # a Resource gets the static pages' validators and 304s
            return answer if isinstance(answer, Response) else self._static(self.nation, req, answer)
        site = self._by_host.get(req.host)
        if site is None:
            return Response(502, b"<h1>502 Bad Gateway</h1><p>replica: host not in the replica web</p>",
                            [("Content-Type", "text/html; charset=utf-8")])
        with self._lock:
            res = self._lookup(*(site.resource_key(req) or (req.host, req.path)))
        gate = site.gate(req, res)
        if gate is not None:
            return gate
        dyn = site.dynamic(req)
        if dyn is not None:
            return dyn
        if res is None:
            if req.path.rstrip("/") and self._lookup(req.host, req.path + "/") is not None:
                return Response(301, b"", [("Location", f"http://{req.host}{req.path}/")])
            return Response(404, not_found_page(), [("Content-Type", "text/html")])
        return self._static(site, req, res)

    def _lookup(self, host: str, path: str) -> Resource | None:
        res = self._resources.get((host, path))
        if res is None and path.endswith("/"):
            res = self._resources.get((host, path + "index.html")) or self._resources.get((host, path + "index.shtml"))
        return res

    def _static(self, site: Site, req: Request, res: Resource) -> Response:
        headers = [("Content-Type", res.content_type), *res.headers]
        if res.status != 200 or not res.validators:
            return Response(res.status, res.body, headers)
        mtime = res.mtime or 0.0
        etag = etag_for(site.etag_style, mtime, len(res.body))
        headers += [("Last-Modified", http_date(mtime)), ("ETag", etag), ("Accept-Ranges", "bytes")]
        inm = req.headers.get("if-none-match")
        ims = req.headers.get("if-modified-since")
        if inm is not None:
            if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                return Response(304, b"", [h for h in headers if h[0] in ("Last-Modified", "ETag")])
        elif ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                since = None
            if since is not None and int(mtime) <= since:
                return Response(304, b"", [h for h in headers if h[0] in ("Last-Modified", "ETag")])
        return Response(200, res.body, headers)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    """Turns socket requests into Request objects, applies faults, writes Responses, logs."""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # headers and body go out in separate writes: no 40 ms delayed-ACK stalls
    replica: ReplicaServer = None   # set per server
    timeout = 60

    def version_string(self):
        return "nginx"

    def log_message(self, *args):   # the replica keeps its own log
        pass

    tunnel_host: str | None = None   # inside a CONNECT tunnel: the host it was opened to

    def do_CONNECT(self):
        """https: a tunnel to a replica host (port 443) is answered with TLS by the replica itself;
        every other host is refused (403) and logged."""
        host, _, port = self.path.rpartition(":")
        host = (host or self.path).strip("[]").lower()
        port = int(port) if port.isdigit() else 443
        if self.tunnel_host is not None or host not in self.replica._by_host or port != 443:
            self._log("CONNECT", f"https://{self.path}", host, "", 403, 0, "connect")
            body = b"CONNECT refused by the replica web (not a replica host)\n"
            self.send_response(403)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        self._log("CONNECT", f"https://{self.path}", host, "", 200, 0, "connect")
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            tls = self.replica._tls_context.wrap_socket(self.connection, server_side=True)
        except (OSError, ValueError):   # the client gave up on the handshake
            self.close_connection = True
            return
        self.connection, self.tunnel_host = tls, host
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = socketserver._SocketWriter(tls)
        self.close_connection = False
        while not self.close_connection:   # the requests inside the tunnel, keep-alive
            self.handle_one_request()
        self.close_connection = True

    def do_GET(self):
        self._serve()

    def do_HEAD(self):
        self._serve()

    def do_POST(self):
        self._serve()

    # --- internals ---------------------------------------------------------------------------
    def _request(self) -> tuple[Request, str]:
        target = self.path
        if self.tunnel_host is not None:   # origin form inside a CONNECT tunnel: https
            parts = urlsplit(target)
            host = (self.headers.get("Host", "") or self.tunnel_host).partition(":")[0].lower() or self.tunnel_host
            path = parts.path or "/"
            url = f"https://{host}{path}" + (f"?{parts.query}" if parts.query else "")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            return Request(self.command, url, host, path, parts.query, headers, body, self.client_address[0]), "connect"
        if target.lower().startswith(("http://", "https://")):
            parts = urlsplit(target)
            via = "proxy"
            host = (parts.hostname or "").lower()
            port = parts.port
        else:
            parts = urlsplit(target)
            via = "direct"
            hostport = self.headers.get("Host", "")
            host, _, port = hostport.partition(":")
            host = host.lower()
            port = int(port) if port.isdigit() else None
        if port not in (None, 80):
            host = f"{host}:{port}"
        path = parts.path or "/"
        url = f"http://{host}{path}" + (f"?{parts.query}" if parts.query else "")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        return Request(self.command, url, host, path, parts.query, headers, body, self.client_address[0]), via

    def _log(self, method, url, host, path, status, nbytes, via, sha256=""):
        self.replica._record(client=f"{self.client_address[0]}:{self.client_address[1]}", method=method,
                             url=url, host=host, path=path, status=status, bytes=nbytes, sha256=sha256,
                             user_agent=self.headers.get("User-Agent", "") if self.headers else "",
                             headers=dict(self.headers.items()) if self.headers else {}, via=via,
                             started=getattr(self, "_started", None) or time.time())

    def _serve(self):
        self._started = time.time()
        req, via = self._request()
        target = req.path + (f"?{req.query}" if req.query else "")
        fault = self.replica.faults.take(req.host, target)
        kind = fault.kind if fault else None
        if kind == "reset":
            self._log(req.method, req.url, req.host, target, None, 0, via)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if kind == "slow":
            time.sleep(float(fault.params.get("delay", 3)))
        if kind == "status":
            code = int(fault.params.get("code", 500))
            resp = Response(code, f"<html><body><h1>{code} Error</h1></body></html>".encode(),
                            [("Content-Type", "text/html")])
        elif kind == "redirect_loop":
            n = int(req.param("loop", "0") or 0) + 1
            base = req.url.split("?")[0]
            resp = Response(302, b"", [("Location", f"{base}?loop={n}")])
        elif kind == "oversize":
            self._oversize(req, via, target, int(fault.params.get("size", 50 * 1024 * 1024)))
            return
        elif kind == "rewrite":
            resp = self._rewrite(req, fault.params)
        else:
            resp = self.replica.respond(req)
        if kind == "truncate":
            self._truncate(req, via, target, resp, int(fault.params.get("extra", 10000)))
            return
        self._write(req, via, target, resp)

    def _rewrite(self, req, params: dict) -> Response:
        """The page with a regex replaced in its body, answered in full (no 304, no validators)."""
        headers = {k: v for k, v in req.headers.items() if k not in ("if-none-match", "if-modified-since")}
        resp = self.replica.respond(dataclasses.replace(req, headers=headers))
        pattern, repl = params["pattern"], params.get("repl", "")
        pattern = pattern.encode() if isinstance(pattern, str) else pattern
        repl = repl.encode() if isinstance(repl, str) else repl
        return Response(resp.status, re.sub(pattern, repl, resp.body),
                        [h for h in resp.headers if h[0] not in ("ETag", "Last-Modified")])

    def _head(self, resp: Response, length: int):
        self.send_response(resp.status)
        for k, v in resp.headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _write(self, req, via, target, resp: Response):
        body = b"" if req.method == "HEAD" or resp.status == 304 else resp.body
        self._log(req.method, req.url, req.host, target, resp.status, len(body), via,   # before the client sees it
                  hashlib.sha256(body).hexdigest())
        try:
            self._head(resp, len(resp.body) if req.method == "HEAD" else len(body))
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _truncate(self, req, via, target, resp: Response, extra: int):
        body = resp.body[: len(resp.body) // 2]
        self._log(req.method, req.url, req.host, target, resp.status, len(body), via)
        try:
            self._head(resp, len(resp.body) + extra)
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _oversize(self, req, via, target, size: int):
        chunk = (b"<p>" + "数据".encode() * 20 + b"</p>\n") * 500
        sent = 0
        self._log(req.method, req.url, req.host, target, 200, size, via)
        try:
            self._head(Response(200, b"", [("Content-Type", "text/html; charset=utf-8")]), size)
            while sent < size and req.method != "HEAD":
                piece = chunk[: size - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        self.close_connection = True
