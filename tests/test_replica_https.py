"""https in the replica web: CONNECT to a replica host is answered with TLS by the replica itself (its
own CA, made at start-up), CONNECT elsewhere is refused; Chromium trusts the replica's certificate only
with the replica-mode flag; and a `--replica` run over pages that link attachments by https:// makes
no DNS lookup and no connection outside loopback (a sitecustomize in every process of the run makes
them fail loudly and writes them down), while archiving every https attachment."""
from __future__ import annotations

import http.client
import json
import os
import socket
import sqlite3
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crawler.registry import all_allowed_domains

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HTTPS_AGENCIES = ["hunan_zjt", "guangxi_zjt", "xizang_zjt"]   # TRS portals: attachments linked by https


def tunnel(replica, host: str, port: int = 443, context: ssl.SSLContext | None = None) -> str | ssl.SSLSocket:
    """CONNECT host:port through the replica; the TLS socket (verified against the replica's CA, or
    `context`, hostname checked) or the refusing status line."""
    raw = socket.create_connection(("127.0.0.1", replica.port), timeout=10)
    raw.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = raw.recv(1)
        if not chunk:
            break
        head += chunk
    status_line = head.split(b"\r\n", 1)[0].decode()
    if " 200 " not in status_line + " ":
        raw.close()
        return status_line
    assert status_line == "HTTP/1.1 200 Connection established"
    return (context or replica.tls.client_context()).wrap_socket(raw, server_hostname=host)


def https_get(tls: ssl.SSLSocket, host: str, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host)
    conn.sock = tls
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, resp.read()


def test_connect_to_a_replica_host_is_served_over_tls_and_others_are_refused(replica):
    from tests.test_crawl import fetch
    truth = [t for t in replica.truth() if any(u.startswith("https://") for u in t["attachment_urls"])]
    assert {t["agency"] for t in truth} >= set(HTTPS_AGENCIES)
    url = next(u for u in truth[0]["attachment_urls"] if u.startswith("https://"))
    host, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
    tls = tunnel(replica, host)
    assert tls.getpeercert()["subjectAltName"]   # verified: the replica's CA, the host's name in the SAN
    status, body = https_get(tls, host, path)
    assert status == 200 and body == fetch(replica, url.replace("https://", "http://", 1))[1] and body
    for h in replica.hosts:   # every replica host is in the certificate
        assert ("DNS", h) in tls.getpeercert()["subjectAltName"]
    tls.close()
    assert tunnel(replica, "www.example.com") == "HTTP/1.1 403 Forbidden"
    assert tunnel(replica, host, 8443) == "HTTP/1.1 403 Forbidden"
    log = replica.log
    assert any(r.method == "CONNECT" and r.host == host and r.status == 200 and r.via == "connect" for r in log)
    assert any(r.method == "GET" and r.url == url and r.status == 200 and r.via == "connect" for r in log)
    assert any(r.method == "CONNECT" and r.host == "www.example.com" and r.status == 403 for r in log)
    with pytest.raises(ssl.SSLCertVerificationError):   # an honest client without the replica's CA refuses it
        tunnel(replica, host, context=ssl.create_default_context())


def test_chromium_trusts_the_replica_certificate_only_in_replica_mode(replica, chromium_path):
    """The crawler's Chromium flags (PAC to the replica, the replica's key hash): the https page
    loads; without the trust flag the same navigation fails on the certificate."""
    from playwright.sync_api import Error, sync_playwright

    from crawler.browser import proxy_pac_arg, replica_trust_arg
    from tests.conftest import CHROMIUM_ARGS
    url = next(u for t in replica.truth() for u in t["attachment_urls"] if u.startswith("https://")
               and u.endswith(".pdf"))
    page_url = url.rsplit("/", 1)[0] + "/"   # a directory URL: the replica 404s it, over https
    pac = proxy_pac_arg(replica.proxy_url, all_allowed_domains())
    with sync_playwright() as p:
        for trusted in (True, False):
            args = CHROMIUM_ARGS + [pac] + ([replica_trust_arg(replica.tls.spki)] if trusted else [])
            browser = p.chromium.launch(executable_path=chromium_path, args=args)
            try:
                page = browser.new_page()
                if trusted:
                    resp = page.goto(page_url, timeout=20_000)
                    assert resp is not None and resp.status in (200, 404) and resp.url.startswith("https://")
                else:
                    with pytest.raises(Error, match="ERR_CERT"):
                        page.goto(page_url, timeout=20_000)
            finally:
                browser.close()
    assert any(r.via == "connect" and r.method == "GET" and r.url.startswith("https://") for r in replica.log)


GUARD = textwrap.dedent('''
    """Every process of the run: a DNS lookup of a non-loopback name, or a connection to a
    non-loopback address, is written to $DNS_GUARD_LOG and fails loudly."""
    import ipaddress
    import os
    import socket

    _LOG = os.environ["DNS_GUARD_LOG"]
    _getaddrinfo, _connect, _connect_ex = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex


    def _loopback(host) -> bool:
        host = host.decode() if isinstance(host, bytes) else str(host)
        if host in ("localhost", "ip6-localhost", "", "None"):
            return True
        try:
            return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
        except ValueError:
            return False


    def _refuse(what, target):
        with open(_LOG, "a") as f:
            f.write(f"{os.getpid()} {what} {target}\\n")
        raise socket.gaierror(socket.EAI_NONAME, f"dns guard: {what} {target} in a --replica run")


    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _loopback(host):
            _refuse("lookup", host)
        return _getaddrinfo(host, *args, **kwargs)


    def gethostbyname(host):
        if not _loopback(host):
            _refuse("lookup", host)
        return "127.0.0.1"


    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            _refuse("connect", address)
        return _connect(self, address)


    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            _refuse("connect", address)
        return _connect_ex(self, address)


    socket.getaddrinfo, socket.gethostbyname = getaddrinfo, gethostbyname
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
''')


def test_a_replica_run_with_https_links_makes_no_lookup_and_no_connection_outside_loopback(tmp_path, replica):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    dns_log = tmp_path / "dns.log"
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "nianbao_db")}
    env |= {"PYTHONPATH": f"{guard}{os.pathsep}{ROOT}", "DNS_GUARD_LOG": str(dns_log)}
    # the guard works: a process with it cannot look a site up, and says so
    probe = subprocess.run([PY, "-c", "import socket; socket.getaddrinfo('www.hunan.gov.cn', 443)"], env=env,
                           capture_output=True, text=True, timeout=30)
    assert probe.returncode != 0 and "dns guard: lookup www.hunan.gov.cn" in probe.stderr
    assert "lookup www.hunan.gov.cn" in dns_log.read_text()
    dns_log.unlink()

    db, replica_log = tmp_path / "archive.db", tmp_path / "replica.jsonl"
    run = subprocess.run([PY, "scheduler.py", "run", "--replica", "--db", str(db), "--replica-log", str(replica_log),
                          *HTTPS_AGENCIES], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not dns_log.exists(), dns_log.read_text()     # no lookup, no connection outside loopback
    want = {u for t in replica.truth() if t["agency"] in HTTPS_AGENCIES for u in t["attachment_urls"]
            if u.startswith("https://")}
    assert len(want) >= 3
    con = sqlite3.connect(db)
    try:
        held = {u for u, in con.execute("SELECT url FROM captures WHERE kind = 'attachment' AND status = 200"
                                        " AND body_sha256 IS NOT NULL AND error IS NULL")}
        statuses = {s for s, in con.execute("SELECT status FROM runs WHERE kind IN ('crawl', 'extract')")}
        from_https = con.execute("SELECT count(*) FROM extractions e JOIN captures c ON c.id = e.capture_id"
                                 " WHERE c.url LIKE 'https://%' AND e.status = 'ok'").fetchone()[0]
    finally:
        con.close()
    assert want <= held
    assert statuses == {"ok"}
    assert from_https >= 1   # figures read from an attachment fetched over https
    log = [json.loads(line) for line in replica_log.read_text().splitlines()]
    tunnelled = {r["url"] for r in log if r["via"] == "connect" and r["method"] == "GET" and r["status"] == 200}
    assert want <= tunnelled
    assert {r["host"] for r in log} <= all_allowed_domains()
    assert all(r["status"] == 200 for r in log if r["method"] == "CONNECT")
