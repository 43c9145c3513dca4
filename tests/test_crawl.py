"""The crawler through the real Scrapy engine, in a child process (python -m crawler.run), against
the replica web. The read-only tests read the session's main job (tests/conftest.py crawled_archive, whose
crawl of every agency the replica serves runs crawler.run as its child) and that replica's request log
(crawled_log); the others crawl a fresh replica of their own. Truth comes from the replica (its URL lists, ground truth, request log) and from
fetching the pages ourselves, never from the crawler's own output."""
from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit
from pathlib import Path

import pytest

from conftest import SEED_AGENCIES
from crawler.registry import agencies, all_allowed_domains

ROOT = Path(__file__).resolve().parents[1]
AGENCIES = SEED_AGENCIES
HTTP_AGENCIES = [a for a in AGENCIES if not agencies()[a].browser]


def crawl_cmd(db, *args):
    return [sys.executable, "-m", "crawler.run", *args, "--db", str(db), "--no-polite",
            "--log-level", "WARNING"]


def crawl(replica, db, *args, timeout=150):
    env = dict(os.environ, http_proxy=str(replica.proxy_url), https_proxy=str(replica.proxy_url))
    env.pop("NIANBAO_DB", None)
    p = subprocess.run(crawl_cmd(db, *args), cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def rows(db, sql, *params):
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def fetch(replica, url) -> tuple[int, bytes]:
    """The bytes the replica serves for url, through the proxy, with a plain client."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": replica.proxy_url, "https": replica.proxy_url}),
                                         urllib.request.HTTPSHandler(context=replica.tls.client_context()))
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def assert_archive_sound(db):
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    for b in rows(db, "SELECT sha256, size, content FROM bodies"):
        assert hashlib.sha256(b["content"]).hexdigest() == b["sha256"] and len(b["content"]) == b["size"]
    bad = rows(db, """SELECT id FROM captures WHERE
        (body_sha256 IS NULL AND error IS NULL)
        OR (body_sha256 IS NOT NULL AND body_sha256 NOT IN (SELECT sha256 FROM bodies))
        OR kind NOT IN ('list', 'report', 'attachment') OR fetch_mode NOT IN ('http', 'browser')
        OR run_id NOT IN (SELECT id FROM runs) OR agency NOT IN (SELECT slug FROM agencies)""")
    assert bad == []


@pytest.fixture(scope="module")
def full_crawl(crawled_archive, crawled_log, replica_session):
    """One crawl of every agency, the five seed sites' included (the main job's), and its request log,
    shared by the read-only tests below; replica_session (the same corpus) to fetch from and for the truth."""
    return {"db": crawled_archive, "log": crawled_log, "replica": replica_session}


@pytest.mark.parametrize("agency", AGENCIES)
def test_crawl_archives_every_report_and_attachment(full_crawl, agency):
    db, replica = full_crawl["db"], full_crawl["replica"]
    got = {r["final_url"] for r in rows(db, "SELECT final_url FROM captures WHERE agency = ? AND "
                                            "kind = 'report' AND error IS NULL AND body_sha256 IS NOT NULL", agency)}
    assert got == set(replica.urls(agency))
    want_att = {u for t in replica.truth() if t["agency"] == agency for u in t["attachment_urls"]}
    att = {r["final_url"] for r in rows(db, "SELECT final_url FROM captures WHERE agency = ? AND "
                                            "kind = 'attachment' AND body_sha256 IS NOT NULL", agency)}
    assert want_att <= att
    # the list pages of its column (stored once, with no agency, when the column is shared)
    lists = rows(db, "SELECT status, error FROM captures WHERE kind = 'list' AND url IN "
                     "(SELECT url FROM listings WHERE agency = ? AND kind = 'page')", agency)
    assert lists and all(r["status"] == 200 and r["error"] is None for r in lists)
    run = rows(db, "SELECT * FROM runs WHERE agency = ?", agency)
    assert len(run) == 1 and run[0]["finish_reason"] == "finished"
    assert run[0]["reports_found"] >= len(replica.urls(agency)) and run[0]["status"] == "ok"
    assert_archive_sound(db)


def test_captures_hold_exactly_the_served_bytes(full_crawl):
    """Seed reports and attachments of the plain-HTTP agencies: the archived body is byte for byte
    what the replica serves (fetched again here through the proxy)."""
    db, replica = full_crawl["db"], full_crawl["replica"]
    truth = [t for t in replica.truth() if t["agency"] in HTTP_AGENCIES]
    checked = 0
    for t in truth:
        for url in ([t["url"]] if t.get("seed") else []) + t["attachment_urls"]:
            status, body = fetch(replica, url)
            assert status == 200
            cap = rows(db, "SELECT b.content FROM captures c JOIN bodies b ON b.sha256 = c.body_sha256 "
                           "WHERE c.final_url = ? AND c.error IS NULL", url)
            assert cap and cap[-1]["content"] == body, url
            checked += 1
    assert checked >= 4


def test_gbk_pages_keep_their_bytes_and_encoding(full_crawl):
    db, replica = full_crawl["db"], full_crawl["replica"]
    gbk = [t for t in replica.truth() if t["encoding"].lower() in ("gbk", "gb2312", "gb18030")
           and t["agency"] in HTTP_AGENCIES]
    for t in gbk:
        cap = rows(db, "SELECT encoding, b.content FROM captures c JOIN bodies b ON b.sha256 = c.body_sha256 "
                       "WHERE c.final_url = ?", t["url"])[0]
        assert cap["encoding"].lower() in ("gbk", "gb2312", "gb18030")
        assert cap["content"] == fetch(replica, t["url"])[1]


def test_no_request_leaves_the_allowed_domains(full_crawl):
    log = full_crawl["log"]
    assert log
    assert {e.via for e in log} == {"proxy", "connect"}          # https through CONNECT, nothing direct
    assert all(e.status == 200 for e in log if e.method == "CONNECT")   # tunnels to replica hosts only
    assert {e.host for e in log} <= all_allowed_domains()


def test_suizhou_arrives_only_through_the_browser(full_crawl):
    db, log = full_crawl["db"], full_crawl["log"]
    caps = rows(db, "SELECT fetch_mode, kind, status FROM captures WHERE agency = 'suizhou_zjw'")
    # pages through Chromium; attachments plain HTTP (the challenge guards pages only)
    assert caps and {c["fetch_mode"] for c in caps if c["kind"] != "attachment"} == {"browser"}
    assert {c["fetch_mode"] for c in caps if c["kind"] == "attachment"} == {"http"}
    reports = [c for c in caps if c["kind"] == "report"]
    assert len(reports) >= len(full_crawl["replica"].urls("suizhou_zjw"))
    # the challenge was met, and every HTML page the crawl got was behind a passed challenge
    suizhou = [e for e in log if e.host == "zjj.suizhou.gov.cn"]
    assert any(e.status == 412 for e in suizhou)
    assert all("cookie" in {k.lower() for k in e.headers} for e in suizhou
               if e.status == 200 and e.path.endswith(".shtml"))


def test_soft_404_and_moved_pages(full_crawl):
    db, replica = full_crawl["db"], full_crawl["replica"]
    special = replica.special_urls()
    seed_hosts = {d for a in AGENCIES for d in agencies()[a].allowed_domains}   # the sites this crawl read
    special = {k: [u for u in v if urlsplit(u).hostname in seed_hosts] for k, v in special.items()}
    assert special["soft_404"] and special["moved"]
    for url in special.get("soft_404", []):
        got = rows(db, "SELECT kind, error, body_sha256 FROM captures WHERE url = ?", url)
        assert got and got[0]["error"] == "soft 404" and got[0]["kind"] == "report"
    for url in special.get("moved", []):
        got = rows(db, "SELECT status, final_url FROM captures WHERE url = ?", url)
        assert got and got[0]["status"] == 200 and got[0]["final_url"] != url


# --- incremental ----------------------------------------------------------------------------------
def test_second_crawl_fetches_only_lists_then_exactly_the_new_report(replica, tmp_path):
    db = tmp_path / "a.db"
    agency = "hunan_zjt"
    crawl(replica, db, agency)
    bodies = rows(db, "SELECT count(*) n FROM bodies")[0]["n"]
    list_pages = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE kind = 'list'")}
    held = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE kind IN ('report', 'attachment') "
                                       "AND error IS NULL")}
    start = time.time()
    crawl(replica, db, agency)
    log = [e for e in replica.log if e.time >= start]
    asked = {e.url for e in log}
    assert not asked & held                                        # no held page requested again
    assert rows(db, "SELECT count(*) n FROM bodies")[0]["n"] == bodies   # no new body
    run2 = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert run2["pages_new"] == 0 and run2["pages_changed"] == 0
    flagged = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE error IS NOT NULL")}
    assert run2["requests"] <= len(list_pages) + len(flagged) + 1   # + robots.txt
    assert sum(e.status == 304 for e in log) >= len(list_pages)

    new = replica.new_report(agency, 2025)
    new_url = replica.publish(new)
    start = time.time()
    crawl(replica, db, agency)
    run3 = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    fresh = rows(db, "SELECT url, kind FROM captures WHERE run_id = ? AND kind != 'list' "
                     "AND error IS NULL AND revisit_of IS NULL", run3["id"])
    assert [f["url"] for f in fresh] == [new_url]
    assert run3["status"] == "ok"
    assert_archive_sound(db)


def test_refresh_revalidates_held_reports(replica, tmp_path):
    db = tmp_path / "a.db"
    crawl(replica, db, "quzhou_zjj")
    start = time.time()
    crawl(replica, db, "quzhou_zjj", "--refresh")
    log = [e for e in replica.log if e.time >= start]
    reports = set(replica.urls("quzhou_zjj"))
    assert reports <= {e.url for e in log}
    assert all(e.status == 304 for e in log if e.url in reports)
    run = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert run["pages_new"] == 0 and run["pages_changed"] == 0


# --- faults ------------------------------------------------------------------------------------------
def test_faults_are_recorded_and_the_run_finishes(replica, tmp_path):
    db = tmp_path / "a.db"
    agency = "xizang_zjt"
    urls = sorted(replica.urls(agency))
    faulted = {
        "status": urls[0], "truncate": urls[1], "reset": urls[2], "slow": urls[3],
        "redirect_loop": urls[4], "oversize": urls[5],
    }
    host = "www.xizang.gov.cn"
    for kind, url in faulted.items():
        path = url.split(host, 1)[1]
        params = {"delay": 4} if kind == "slow" else {"size": 3_000_000} if kind == "oversize" else {}
        replica.faults.add(kind, host=host, path=path, **params)
    start = time.time()
    crawl(replica, db, agency, "--set", "DOWNLOAD_TIMEOUT=2", "--set", "DOWNLOAD_MAXSIZE=1000000",
          "--set", "RETRY_TIMES=1")
    log = [e for e in replica.log if e.time >= start]
    for kind, url in faulted.items():
        caps = rows(db, "SELECT status, error, body_sha256 FROM captures WHERE url = ?", url)
        assert len(caps) == 1 and caps[0]["error"] and caps[0]["body_sha256"] is None, (kind, caps)
    assert rows(db, "SELECT status FROM captures WHERE url = ?", faulted["status"])[0]["status"] == 500
    assert sum(1 for e in log if e.url == faulted["status"]) == 2          # retried once
    run = rows(db, "SELECT * FROM runs")[0]
    assert run["status"] == "failing" and run["errors"] == len(faulted) and run["finish_reason"] == "finished"
    assert "failed fetch" in run["failure"]
    good = set(urls) - set(faulted.values())
    got = {r["final_url"] for r in rows(db, "SELECT final_url FROM captures WHERE kind = 'report' "
                                            "AND error IS NULL")}
    assert good <= got
    assert_archive_sound(db)


def test_sigkill_midway_leaves_a_sound_archive_and_the_next_run_completes(replica, tmp_path):
    db = tmp_path / "a.db"
    agency = "xizang_zjt"
    env = dict(os.environ, http_proxy=replica.proxy_url, https_proxy=replica.proxy_url)
    cmd = crawl_cmd(db, agency, "--set", "DOWNLOAD_DELAY=0.15", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.2)
            if db.exists():
                try:
                    if rows(db, "SELECT count(*) n FROM captures")[0]["n"] >= 8:
                        break
                except sqlite3.OperationalError:
                    pass
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    kept = rows(db, "SELECT count(*) n FROM captures")[0]["n"]
    assert kept >= 8
    assert_archive_sound(db)
    assert rows(db, "SELECT status FROM runs")[0]["status"] == "running"
    crawl(replica, db, agency)
    runs = rows(db, "SELECT status, finish_reason FROM runs ORDER BY id")
    assert runs[0] == {"status": "failing", "finish_reason": "interrupted"}
    assert runs[1]["status"] == "ok"
    got = {r["final_url"] for r in rows(db, "SELECT final_url FROM captures WHERE kind = 'report' "
                                            "AND error IS NULL AND agency = ?", agency)}
    assert got == set(replica.urls(agency))
    assert_archive_sound(db)
