"""The replica web server, checked from the outside: a stdlib client through the proxy, an independent
lxml link-follower, raw sockets for faults, and real Chromium for the Suizhou JS challenge.

Truth comes from outside the server: the seed files (replica/seeds), the corpus (titles, attachment
bytes), crawler/agencies/ (column URLs) and the confirmed real URLs in design/sites.md.
"""
from __future__ import annotations

import http.client
import json
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from conftest import CHROMIUM_ARGS
from lxml import etree, html

from crawler.registry import agencies
from replica.content.seeds import SEED_DIR

ROOT = Path(__file__).resolve().parent.parent
SEEDS = SEED_DIR
REGISTRY = {s: vars(a) for s, a in agencies().items()}
CONFIRMED = {  # design/sites.md (confirmed real URLs)
    ("hunan_zjt", 2018): "http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97944/201903/t20190322_5299653.html",
    ("xizang_zjt", 2014): "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/2014nb/201902/t20190223_64760.html",
    ("guangxi_zjt", 2014): "http://zjt.gxzf.gov.cn/zfxxgk/zfxxgknb/t6908860.shtml",
    ("suizhou_zjw", 2016): "http://zjj.suizhou.gov.cn/fbjd/zfxxgk/xxgknb/202003/t20200304_738299.shtml",
}
DETAIL = re.compile(r"/t\d{8}_\d+\.s?html$|/t\d+\.shtml$|/art_\d+_\d+\.html$")


# --- a small independent client ------------------------------------------------------------------
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


TLS_CONTEXT = ssl.create_default_context()   # trusting the CA of the replica the test talks to (trust())


def trust(replica) -> None:
    TLS_CONTEXT.load_verify_locations(replica.tls.ca_file)


def opener(proxy_url: str, follow: bool = True):
    handlers = [urllib.request.ProxyHandler({"http": proxy_url, "https": proxy_url}),
                urllib.request.HTTPSHandler(context=TLS_CONTEXT)]
    if not follow:
        handlers.append(NoRedirect())
    return urllib.request.build_opener(*handlers)


def get(proxy_url, url, headers=None, data=None, follow=True, timeout=20):
    """(status, headers, body, final url) through the proxy; HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener(proxy_url, follow).open(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read(), resp.geturl()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read(), url


def decode(body: bytes, headers) -> str:
    """Decode as a browser would: header charset, then meta charset, else try UTF-8 and fall back to GBK."""
    m = re.search(r"charset=([\w-]+)", headers.get("Content-Type", "") or "") or \
        re.search(rb'charset=["\']?([\w-]+)', body[:1024])
    if m:
        cs = m.group(1)
        return body.decode(cs if isinstance(cs, str) else cs.decode(), "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gbk")


def text_of(page: str) -> str:
    return re.sub(r"\s+", "", html.fromstring(page).text_content())


# --- the link follower: knows each platform's list mechanics, nothing of the server's code ------------
def list_links(url: str, page: str, host: str) -> tuple[set[str], set[str]]:
    """(list-page URLs, other same-host links) found on one list page, including links hidden in
    document.write strings, Hanweb <datastore> CDATA records and createPageHTML pagers."""
    doc = html.fromstring(page)
    hrefs = [a.get("href") for a in doc.iter("a") if a.get("href")]
    lists = set()
    for script in doc.iter("script"):
        code = script.text or ""
        if script.get("type") == "text/xml":
            store = etree.fromstring(code.strip().encode("utf-8"))
            for rec in store.iter("record"):
                hrefs += html.fromstring(rec.text).xpath("//a/@href")
            continue
        for arg in re.findall(r"document\.write\('((?:[^'\\]|\\.)*)'\)", code):
            hrefs += html.fromstring(arg.replace("\\'", "'")).xpath("//a/@href")
        m = re.search(r'createPageHTML\((\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"\)', code)
        if m:
            total, name, ext = int(m.group(1)), m.group(3), m.group(4)
            lists |= {urljoin(url, f"{name}.{ext}" if i == 0 else f"{name}_{i}.{ext}") for i in range(total)}
        m = re.search(r"totalRecord:(\d+).*perPage|perPage:(\d+), totalRecord:(\d+)", code)
        if m and "Jpage" in code:
            per, total = int(m.group(2)), int(m.group(3))
            q = re.search(r"unitid:(\d+), webid:(\d+), columnid:(\d+)", code)
            unit, web, col = q.groups()
            for p in range(1, -(-total // per) + 1):
                lists.add(f"http://{host}/module/web/jpage/dataproxy.jsp?page={p}&appid=1&webid={web}&path=/"
                          f"&columnid={col}&unitid={unit}&permissiontype=0")
    others = set()
    for h in hrefs:
        full = urljoin(url, h).split("#")[0]
        parts = urlsplit(full)
        if parts.scheme != "http" or parts.hostname != host:
            continue
        if re.search(r"/index(?:[-_]\d+)?\.s?html$", parts.path) and parts.path.rsplit("/", 1)[0] in url:
            lists.add(full)
        elif re.search(r"/\d{4}nb/$", parts.path):
            lists.add(full)
        else:
            others.add(full)
    return lists, others


def follow_column(proxy_url: str, start: str, headers=None) -> tuple[set[str], int]:
    """Every same-host link reachable through a column's list pages (and its dataproxy.jsp pages)."""
    host = urlsplit(start).hostname
    todo, seen, links = [start], set(), set()
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        status, hdrs, body, final = get(proxy_url, url, headers)
        assert status == 200, f"list page {url} answered {status}"
        if "dataproxy.jsp" in url:
            store = etree.fromstring(body)
            assert int(store.findtext("totalpage")) >= 3
            for rec in store.iter("record"):
                links |= {urljoin(url, h) for h in html.fromstring(rec.text).xpath("//a/@href")}
            continue
        lists, others = list_links(final, decode(body, hdrs), host)
        links |= others
        todo += sorted(lists - seen)
    return links, len(seen)


def fetch_titles(proxy_url: str, links: set[str], headers=None) -> dict[str, str]:
    """final URL -> page text, for every detail link (redirects followed)."""
    out = {}
    for link in sorted(links):
        if not DETAIL.search(urlsplit(link).path):
            continue
        status, hdrs, body, final = get(proxy_url, link, headers)
        assert status in (200, 404), f"{link}: {status}"
        if status == 200:
            out[final] = text_of(decode(body, hdrs))
    return out


# --- Chromium: the Suizhou challenge --------------------------------------------------------------
@pytest.fixture(scope="module")
def suizhou_browser(replica_session, chromium_path):
    """Real Chromium through the proxy opens the Suizhou column: (412 seen first?, list links, cookie header)."""
    from playwright.sync_api import sync_playwright
    url = REGISTRY["suizhou_zjw"]["columns"][0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS,
                                    proxy=replica_session.playwright_proxy())
        try:
            page = browser.new_page()
            first = page.goto(url)
            page.wait_for_selector("ul.list li a", timeout=15000)
            items = [a.get_attribute("href") for a in page.query_selector_all("ul.list li a")]
            pager = page.inner_text("div.page")
            cookies = page.context.cookies()
        finally:
            browser.close()
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in cookies if c["domain"].endswith("suizhou.gov.cn"))
    return {"first_status": first.status, "items": items, "pager": pager, "cookie": cookie}


def test_suizhou_challenge_stops_plain_client(replica):
    url = REGISTRY["suizhou_zjw"]["columns"][0]
    status, _, body, _ = get(replica.proxy_url, url)
    assert status == 412 and b"location.reload()" in body and b"document.cookie" in body
    assert "ul class" not in body.decode()
    # a made-up cookie of the right name and shape does not pass either
    name = re.search(rb'document\.cookie="(\w+)=', body).group(1).decode()
    nonce = re.search(rb'nsd="(\w+)"', body).group(1).decode()
    status, _, _, _ = get(replica.proxy_url, url, {"Cookie": f"{name}={nonce}.deadbeef"})
    assert status == 412
    detail = CONFIRMED[("suizhou_zjw", 2016)]
    assert get(replica.proxy_url, detail)[0] == 412
    assert [r.status for r in replica.log] == [412, 412, 412]


def test_chromium_passes_suizhou_challenge(suizhou_browser, replica_session):
    assert suizhou_browser["first_status"] == 412            # the browser, too, met the challenge first
    assert len(suizhou_browser["items"]) == 15 and all(DETAIL.search(h) for h in suizhou_browser["items"])
    assert "2" in suizhou_browser["pager"]                     # createPageHTML drew the pager
    statuses = [r.status for r in replica_session.log if r.host == "zjj.suizhou.gov.cn" and r.path.endswith("index.shtml")]
    assert statuses[:2] == [412, 200]
    assert {r.host for r in replica_session.log if r.user_agent.find("Chrome") >= 0} == {"zjj.suizhou.gov.cn"}


# --- seeds at their URLs ---------------------------------------------------------------------------
def seed_lines(name: str) -> list[str]:
    lines = [re.sub(r"\s+", "", ln) for ln in (SEEDS / name).read_text(encoding="utf-8").splitlines()]
    return [ln for ln in lines if len(ln) > 60 and "|" not in ln]


def seed_url(corpus, name):
    report = next(r for r in corpus.reports if r.seed == name)
    return report, CONFIRMED.get((report.agency, report.year)) or report.url


@pytest.mark.parametrize("name", ["hunan-zjt-2018.txt", "quzhou-zjj-2020.txt", "xizang-zjt-2014.txt",
                                  "suizhou-zjw-2017.txt", "guangxi-zjt-2017-mirror.txt"])
def test_seed_served_at_its_url(replica_session, replica_corpus, suizhou_browser, name):
    report, url = seed_url(replica_corpus, name)
    assert url and url.startswith("http://" + REGISTRY[report.agency]["allowed_domains"][0] + "/")
    headers = {"Cookie": suizhou_browser["cookie"]} if report.agency == "suizhou_zjw" else None
    status, hdrs, body, _ = get(replica_session.proxy_url, url, headers)
    assert status == 200
    page = text_of(decode(body, hdrs))
    assert re.sub(r"\s+", "", report.title) in page
    if name.startswith("guangxi"):
        return   # the official page is Simplified; the seed text itself is on the mirror (test below)
    lines = seed_lines(name)
    assert len(lines) >= 3
    found = [ln for ln in lines if ln[5:45] in page]
    assert len(found) >= len(lines) * 0.8, f"{name}: only {len(found)}/{len(lines)} seed paragraphs on the page"


def test_guangxi_mirror_host_serves_the_mirror_copy(replica_session):
    mirror = replica_session.special_urls()["mirror"]
    assert mirror and all(urlsplit(u).hostname not in ("zjt.gxzf.gov.cn",) for u in mirror)
    status, hdrs, body, _ = get(replica_session.proxy_url, mirror[0])
    page = text_of(decode(body, hdrs))
    assert status == 200 and seed_lines("guangxi-zjt-2017-mirror.txt")[0][:40] in page
    # the column never links the mirror, but the 2017 report page does
    column = REGISTRY["guangxi_zjt"]["columns"][0]
    links, _ = follow_column(replica_session.proxy_url, column)
    assert not any(urlsplit(u).hostname == urlsplit(mirror[0]).hostname for u in links)


# --- pagination reaches every report ----------------------------------------------------------------
SHARED = {"hunan_zjt": "hunan_", "xizang_zjt": "xizang_"}


@pytest.mark.parametrize("slug", ["hunan_zjt", "quzhou_zjj", "guangxi_zjt", "suizhou_zjw", "xizang_zjt"])
def test_column_pagination_reaches_every_report(replica_session, replica_corpus, suizhou_browser, slug):
    headers = {"Cookie": suizhou_browser["cookie"]} if slug == "suizhou_zjw" else None
    links, nlists = set(), 0
    for column in REGISTRY[slug]["columns"]:
        found, n = follow_column(replica_session.proxy_url, column, headers)
        links |= found
        nlists += n
    assert nlists >= 3
    pages = fetch_titles(replica_session.proxy_url, links, headers)
    prefix = SHARED.get(slug, slug)
    expected = [r for r in replica_corpus.reports if r.agency.startswith(prefix)]
    assert expected
    for report in expected:
        title = re.sub(r"\s+", "", report.title)
        hits = [u for u, text in pages.items() if title in text and str(report.year) in text]
        assert hits, f"{report.agency} {report.year} not reachable from the column"
        assert set(hits) & set(replica_session.urls(report.agency))
        known = CONFIRMED.get((report.agency, report.year))
        if known:
            assert known in hits
    own = set(replica_session.urls(slug))
    assert own <= set(pages), "urls() lists a page the column does not reach"


# --- hostility ------------------------------------------------------------------------------------
def test_soft_404_moved_and_dead_links(replica):
    trust(replica)   # some sites serve their hostile items by https
    specials = replica.special_urls()
    for url in specials["soft_404"]:
        status, hdrs, body, _ = get(replica.proxy_url, url)
        assert status == 200 and "页面不存在" in decode(body, hdrs)
    for url in specials["dead"]:
        assert get(replica.proxy_url, url)[0] == 404
    [old] = specials["moved"]
    status, hdrs, _, _ = get(replica.proxy_url, old, follow=False)
    assert status == 301 and hdrs["Location"] in replica.urls("hunan_zjt")
    links, _ = follow_column(replica.proxy_url, REGISTRY["hunan_zjt"]["columns"][0])
    assert old in links and hdrs["Location"] not in links     # the list links the old URL only
    assert set(specials["soft_404"]) & links


def test_robots_txt_on_one_host_only(replica):
    status, _, body, _ = get(replica.proxy_url, "http://www.hunan.gov.cn/robots.txt")
    assert status == 200 and "Disallow: /search/" in body.decode()
    status, _, body, _ = get(replica.proxy_url, REGISTRY["hunan_zjt"]["columns"][0])
    assert b'href="/search/' in body                         # linked, but disallowed
    for host in ("zjj.qz.gov.cn", "zjt.gxzf.gov.cn", "zjj.suizhou.gov.cn", "www.xizang.gov.cn"):
        assert get(replica.proxy_url, f"http://{host}/robots.txt")[0] == 404


def test_offsite_links_present(replica):
    links = set()
    status, _, body, _ = get(replica.proxy_url, CONFIRMED[("xizang_zjt", 2014)])
    doc = html.fromstring(body)
    links |= {urlsplit(a).hostname for a in doc.xpath("//a/@href") if a.startswith("http")}
    assert "www.gov.cn" in links
    late = [r for r in replica.reports("xizang_zjt") if r.published[:7] >= "2020-11"]
    assert late
    status, hdrs, body, _ = get(replica.proxy_url, late[0].url)
    assert b"http://zjt.xizang.gov.cn" in body


def test_attachment_only_reports_serve_the_corpus_bytes(replica, replica_corpus):
    trust(replica)   # some pages link their attachments by https://
    truth = {t["url"]: t for t in replica.truth()}
    with_files = [r for r in replica_corpus.reports if r.attachments]
    assert any(r.agency == "suizhou_zjw" for r in with_files)   # attachments are outside the JS challenge
    assert with_files
    assert any(r.stats_in in ("pdf", "docx") for r in with_files)
    for report in with_files:
        t = truth[report.url]
        if report.agency == "suizhou_zjw":   # the page is behind the challenge: read its links from the corpus body
            body, hdrs = report.body_html.encode(), {"Content-Type": "text/html; charset=utf-8"}
            assert get(replica.proxy_url, report.url)[0] == 412
        else:
            status, hdrs, body, _ = get(replica.proxy_url, report.url)
        page = decode(body, hdrs)
        assert len(t["attachment_urls"]) == len(report.attachments)
        for att, url in zip(report.attachments, t["attachment_urls"]):
            assert urljoin(report.url, url) in {urljoin(report.url, h) for h in html.fromstring(page).xpath("//a/@href")}
            status, hdrs, data, _ = get(replica.proxy_url, url)
            assert status == 200 and data == att.data and hdrs["Content-Type"] == att.mime
            assert hdrs["ETag"] and hdrs["Last-Modified"]
            if "downfile.jsp" in url:
                assert att.filename in hdrs["Content-Disposition"]


def test_gbk_page_without_charset(replica, replica_corpus):
    gbk = [r for r in replica_corpus.reports if r.encoding == "gbk"]
    assert gbk
    undeclared = 0
    for report in gbk:
        status, hdrs, body, _ = get(replica.proxy_url, report.url)
        assert status == 200 and "charset" not in hdrs["Content-Type"]
        assert re.sub(r"\s+", "", report.title) in re.sub(r"\s+", "", body.decode("gbk"))
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        if b"charset" not in body.lower():
            undeclared += 1
    assert undeclared >= 1


# --- transport -------------------------------------------------------------------------------------
def test_unknown_host_and_connect_refused_and_logged(replica):
    """Hosts outside the replica: 502 over http, CONNECT refused (403); both logged. (CONNECT to a
    replica host is served: tests/test_replica_https.py.)"""
    status, _, _, _ = get(replica.proxy_url, "http://www.example.com/")
    assert status in (502, 403)
    conn = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=5)
    conn.request("CONNECT", "www.example.com:443")
    assert conn.getresponse().status == 403
    conn.close()
    log = replica.log
    assert any(r.host == "www.example.com" and r.status in (502, 403) for r in log)
    assert any(r.via == "connect" and r.host == "www.example.com" and r.method == "CONNECT" and r.status == 403
               for r in log)


def test_origin_form_request_with_host_header(replica):
    conn = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=5)
    conn.request("GET", "/zfxxgk/zfxxgknb/index.shtml", headers={"Host": "zjt.gxzf.gov.cn"})
    resp = conn.getresponse()
    assert resp.status == 200 and "index-2.shtml" in resp.read().decode()
    conn.close()
    rec = replica.log[-1]
    assert rec.via == "direct" and rec.url == "http://zjt.gxzf.gov.cn/zfxxgk/zfxxgknb/index.shtml"


def test_log_records_requests(replica):
    replica.clear_log()
    get(replica.proxy_url, CONFIRMED[("hunan_zjt", 2018)], {"User-Agent": "nianbao-test/1"})
    [rec] = replica.log
    assert (rec.method, rec.url, rec.host, rec.status, rec.via, rec.user_agent) == (
        "GET", CONFIRMED[("hunan_zjt", 2018)], "www.hunan.gov.cn", 200, "proxy", "nianbao-test/1")
    assert rec.bytes > 1000 and rec.headers["User-Agent"] == "nianbao-test/1"
    replica.clear_log()
    assert replica.log == []


def test_hanweb_dataproxy_get_post_and_bad_input(replica):
    base = "http://zjj.qz.gov.cn/module/web/jpage/dataproxy.jsp"
    q = "appid=1&webid=38&path=/&columnid=1525444&unitid=3567101&permissiontype=0"
    _, _, body, _ = get(replica.proxy_url, f"{base}?page=2&{q}")
    page2 = [html.fromstring(r.text).xpath("//a/@href")[0] for r in etree.fromstring(body).iter("record")]
    _, _, body, _ = get(replica.proxy_url, f"{base}?{q}", data=b"startrecord=16&endrecord=30&perpage=15")
    store = etree.fromstring(body)
    posted = [html.fromstring(r.text).xpath("//a/@href")[0] for r in store.iter("record")]
    assert posted == page2 and len(page2) == 15
    assert int(store.findtext("totalpage")) == -(-int(store.findtext("totalrecord")) // 15)
    status, _, _, _ = get(replica.proxy_url, f"{base}?page=abc&{q}")
    assert status == 400


# --- faults ----------------------------------------------------------------------------------------
HUNAN_SEED = CONFIRMED[("hunan_zjt", 2018)]


def raw_get(port: int, url: str, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", url)
    return conn, conn.getresponse()


def test_fault_status_and_times(replica):
    replica.faults.add("status", host="www.hunan.gov.cn", code=503, times=2)
    assert [get(replica.proxy_url, HUNAN_SEED)[0] for _ in range(3)] == [503, 503, 200]
    replica.faults.add("status_once", path="/fbjd/")
    assert get(replica.proxy_url, "http://zjj.suizhou.gov.cn/fbjd/zfxxgk/xxgknb/index.shtml")[0] == 500
    assert get(replica.proxy_url, "http://zjj.suizhou.gov.cn/fbjd/zfxxgk/xxgknb/index.shtml")[0] == 412
    replica.faults.add("status", path=re.compile(r"index-\d\.shtml$"))
    assert get(replica.proxy_url, "http://zjt.gxzf.gov.cn/zfxxgk/zfxxgknb/index-2.shtml")[0] == 500
    assert get(replica.proxy_url, "http://zjt.gxzf.gov.cn/zfxxgk/zfxxgknb/index.shtml")[0] == 200
    replica.faults.clear()
    assert get(replica.proxy_url, "http://zjt.gxzf.gov.cn/zfxxgk/zfxxgknb/index-2.shtml")[0] == 200
    with pytest.raises(ValueError):
        replica.faults.add("explode")


def test_fault_slow(replica):
    replica.faults.add("slow", host="www.hunan.gov.cn", delay=1.0)
    t = time.monotonic()
    assert get(replica.proxy_url, HUNAN_SEED)[0] == 200
    assert time.monotonic() - t >= 1.0
    replica.faults.clear()
    t = time.monotonic()
    get(replica.proxy_url, HUNAN_SEED)
    assert time.monotonic() - t < 0.5


def test_fault_truncate(replica):
    replica.faults.add("truncate", path="/hnszf/")
    conn, resp = raw_get(replica.port, HUNAN_SEED)
    declared = int(resp.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as err:
        resp.read()
    assert len(err.value.partial) < declared
    conn.close()
    replica.faults.clear()
    conn, resp = raw_get(replica.port, HUNAN_SEED)
    assert len(resp.read()) == int(resp.getheader("Content-Length"))
    conn.close()


def test_fault_reset(replica):
    replica.faults.add("reset", host="zjj.qz.gov.cn")
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected, http.client.BadStatusLine)):
        raw_get(replica.port, "http://zjj.qz.gov.cn/col/col1525444/index.html")
    assert replica.log[-1].status is None
    replica.faults.clear()
    conn, resp = raw_get(replica.port, "http://zjj.qz.gov.cn/col/col1525444/index.html")
    assert resp.status == 200
    conn.close()


def test_fault_redirect_loop(replica):
    replica.faults.add("redirect_loop", host="zjt.gxzf.gov.cn")
    with pytest.raises(urllib.error.HTTPError) as err:
        opener(replica.proxy_url).open("http://zjt.gxzf.gov.cn/zfxxgk/zfxxgknb/index.shtml", timeout=10)
    assert err.value.code in (301, 302) and "redirect" in str(err.value.reason).lower()
    assert sum(r.status == 302 for r in replica.log) >= 5


def test_fault_oversize(replica):
    replica.faults.add("oversize", path="/zwgk/", size=5 * 1024 * 1024)
    conn, resp = raw_get(replica.port, "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/")
    assert int(resp.getheader("Content-Length")) == 5 * 1024 * 1024
    assert len(resp.read()) == 5 * 1024 * 1024
    conn.close()
    replica.faults.clear()
    replica.faults.add("oversize_once", path="/zwgk/")          # default: 50 MB declared
    conn, resp = raw_get(replica.port, "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/")
    assert int(resp.getheader("Content-Length")) == 50 * 1024 * 1024
    assert len(resp.read(100000)) == 100000
    conn.close()
    status, _, body, _ = get(replica.proxy_url, "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/")
    assert status == 200 and len(body) < 100000


# --- change over time -----------------------------------------------------------------------------
def test_conditional_requests_get_304(replica):
    for url in (HUNAN_SEED, REGISTRY["hunan_zjt"]["columns"][0],
                "http://zjj.qz.gov.cn/col/col1525444/index.html"):
        status, hdrs, body, _ = get(replica.proxy_url, url)
        etag, modified = hdrs["ETag"], hdrs["Last-Modified"]
        assert status == 200 and etag and modified
        assert get(replica.proxy_url, url, {"If-None-Match": etag})[0] == 304
        assert get(replica.proxy_url, url, {"If-Modified-Since": modified})[0] == 304
        assert get(replica.proxy_url, url, {"If-None-Match": '"nope"'})[0] == 200
        assert get(replica.proxy_url, url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200


def test_edit_changes_page_and_validators(replica):
    status, hdrs, _, _ = get(replica.proxy_url, HUNAN_SEED)
    replica.edit(HUNAN_SEED, "<p>更正后的报告正文：共主动公开政府信息4239条。</p>")
    status, hdrs2, body, _ = get(replica.proxy_url, HUNAN_SEED, {"If-None-Match": hdrs["ETag"]})
    assert status == 200 and "4239条" in body.decode() and hdrs2["ETag"] != hdrs["ETag"]
    assert get(replica.proxy_url, HUNAN_SEED, {"If-Modified-Since": hdrs["Last-Modified"]})[0] == 200


def hunan_items(proxy_url, page):
    url = REGISTRY["hunan_zjt"]["columns"][0].replace("index.html", page)
    status, hdrs, body, _ = get(proxy_url, url)
    doc = html.fromstring(body)
    order = []
    for li in doc.xpath("//div[@class='list']//li"):
        h = li.xpath(".//a/@href") or re.findall(r'href="([^"]+)"', etree.tostring(li, encoding="unicode"))
        order.append(urljoin(url, h[0]))
    return order, hdrs


def test_publish_shifts_the_column(replica):
    before1, hdrs = hunan_items(replica.proxy_url, "index.html")
    before2, _ = hunan_items(replica.proxy_url, "index_2.html")
    new = replica.new_report("hunan_zjt", 2026)
    url = replica.publish(new)
    after1, hdrs2 = hunan_items(replica.proxy_url, "index.html")
    after2, _ = hunan_items(replica.proxy_url, "index_2.html")
    assert after1[0] == url and url not in before1 + before2
    assert after1[1:] == before1[:-1] and after2[0] == before1[-1]
    assert hdrs2["ETag"] != hdrs["ETag"]
    assert get(replica.proxy_url, REGISTRY["hunan_zjt"]["columns"][0], {"If-None-Match": hdrs["ETag"]})[0] == 200
    status, _, body, _ = get(replica.proxy_url, url)
    assert status == 200 and new.title in body.decode()
    assert url in replica.urls("hunan_zjt") and any(t["url"] == url for t in replica.truth())
    # Hanweb: the new report is the first record of the column page
    newq = replica.new_report("quzhou_zjj", 2026)
    replica.publish(newq)
    _, _, body, _ = get(replica.proxy_url, "http://zjj.qz.gov.cn/col/col1525444/index.html")
    first = html.fromstring(body).xpath("//script[@type='text/xml']")[0].text
    rec = etree.fromstring(first.strip().encode()).find(".//record").text
    assert urlsplit(newq.url).path in rec


# --- truth and commands ----------------------------------------------------------------------------
def test_truth_has_urls_for_every_corpus_report(replica, replica_corpus):
    truth = replica.truth()
    assert len(truth) == len(replica_corpus.reports)
    by_key = {(t["agency"], t["year"]): t for t in truth}
    for r in replica_corpus.reports:
        t = by_key[(r.agency, r.year)]
        assert t["url"].startswith(("http://", "https://")) and t["title"] == r.title
        assert len(t["attachment_urls"]) == len(r.attachments)
    for (agency, year), url in CONFIRMED.items():
        assert by_key[(agency, year)]["url"] == url
    json.dumps(truth, ensure_ascii=False)


SPIDER = """
import scrapy

class Probe(scrapy.Spider):
    name = "probe"
    start_urls = ["http://zjt.gxzf.gov.cn/zfxxgk/zfxxgknb/index.shtml", "http://zjj.suizhou.gov.cn/robots.txt"]
    custom_settings = {"USER_AGENT": "probe/1", "ROBOTSTXT_OBEY": False, "HTTPERROR_ALLOW_ALL": True}

    def parse(self, response):
        yield {"url": response.url, "status": response.status, "size": len(response.body)}
        for href in response.css("div.more-list a::attr(href)").getall()[:2]:
            yield response.follow(href, self.parse)
"""


def test_scrapy_reaches_replica_through_http_proxy_env(replica, tmp_path):
    (tmp_path / "probe.py").write_text(SPIDER)
    out = tmp_path / "out.json"
    env = {"PATH": "/usr/bin:/bin", "http_proxy": replica.proxy_url, "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "scrapy", "runspider", "probe.py", "-o", str(out), "-s", "LOG_LEVEL=WARNING"],
                   cwd=tmp_path, env=env, check=True, timeout=120)
    items = json.loads(out.read_text())
    assert {i["status"] for i in items} == {200, 404} and len(items) == 4
    scrapy_hits = [r for r in replica.log if r.user_agent == "probe/1"]
    assert len(scrapy_hits) == 4 and all(r.via == "proxy" for r in scrapy_hits)


def test_python_m_replica_serves(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "replica"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        proxy = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert "curl" in proc.stdout.readline()
        assert get(proxy, REGISTRY["xizang_zjt"]["columns"][0])[0] == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
