"""The browser path keeps the server's bytes: a real crawl of the browser agency (Suizhou, behind a
JS challenge) through real Chromium against the replica, checked against the sha256 of the bytes the
replica sent (its request log)."""
from __future__ import annotations

import hashlib
import time

from crawler.spiders.report import holds_more
from test_crawl import crawl, rows

HOST = "zjj.suizhou.gov.cn"


def test_browser_captures_hold_the_bytes_the_server_sent(replica, tmp_path, chromium_path):
    attachment = next(u for t in replica.truth() if t["agency"] == "suizhou_zjw" for u in t["attachment_urls"])
    # one attachment answers plain clients with a challenge once: it must come through the browser
    replica.faults.add("status", host=HOST, path=attachment.split(HOST, 1)[1], code=412, times=1)
    db = tmp_path / "a.db"
    start = time.time()
    crawl(replica, db, "suizhou_zjw", timeout=240)
    log = [e for e in replica.log if e.time >= start and e.host == HOST]
    served = {(e.url, e.sha256) for e in log if e.status == 200}
    caps = rows(db, "SELECT c.url, c.final_url, c.kind, c.fetch_mode, c.status, b.content FROM captures c "
                    "JOIN bodies b ON b.sha256 = c.body_sha256 WHERE c.error IS NULL")
    browser = [c for c in caps if c["fetch_mode"] == "browser"]
    assert len([c for c in browser if c["kind"] == "report"]) == len(replica.urls("suizhou_zjw"))
    for c in caps:
        assert (c["final_url"], hashlib.sha256(c["content"]).hexdigest()) in served, (c["url"], c["fetch_mode"])
    assert not [c for c in caps if c["fetch_mode"] == "rendered"]   # server-rendered pages: no DOM kept
    # the challenge was met (412s in the log) and each page came once past it
    assert any(e.status == 412 for e in log)
    pages = [e.url for e in log if e.status == 200 and e.path.endswith(".shtml")]
    assert len(pages) == len(set(pages))
    # attachments: plain HTTP, each fetched once; the challenged one through the browser after its 412
    # (Chromium's PDF viewer holds that navigation's body: the page reads the file once more)
    files = [e for e in log if not e.path.endswith((".shtml", ".txt")) and e.path != "/"]
    for url in {f.url for f in files}:
        assert sum(1 for f in files if f.url == url and f.status == 200) == (2 if url == attachment else 1), url
    got = {c["final_url"]: c["fetch_mode"] for c in caps if c["kind"] == "attachment"}
    assert got[attachment] == "browser" and all(m == "http" for u, m in got.items() if u != attachment)
    run = rows(db, "SELECT status FROM runs")[0]
    assert run["status"] == "ok"


def test_a_rendered_dom_is_kept_only_where_scripts_added_text():
    served = b"<html><body><div id=c></div><script>document.write('x'.repeat(5000))</script></body></html>"
    rendered = b"<html><body><div id=c>" + "年度报告正文".encode() * 100 + b"</div></body></html>"
    assert holds_more(rendered, served)
    same = b"<html><head></head><body><p>" + "年度报告正文".encode() * 100 + b"</p></body></html>"
    assert not holds_more(same.replace(b"<head></head>", b""), same)
