"""`scheduler.py probe`: the right verdict for every replica site and for each fault class.

Two probe runs, each shared by its tests:
- clean: `scheduler.py probe --all --replica` (the real command: its own replica web, Chromium for the
  browser agency), every registry entry with a host. Expected: every agency the replica serves is ok
  with the platform agreeing (where its family has a fingerprint), years seen are years it really
  published (the replica's truth); every other entry is unreachable, and its requests went to the
  replica's proxy (no DNS lookup, no connection but loopback).
- faults: a test registry (NIANBAO_REGISTRY) + fault switches on a replica web of the test's own,
  through the same child: a JS challenge without the browser, a dead host, a moved column (404 and a
  redirect), the wrong family, a column robots.txt disallows, a host outside the replica web, and a
  control that stays ok.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def probe_rows(db_path) -> dict[str, dict]:
    from archive.db import open_db
    db = open_db(db_path, migrate=False)
    try:
        run = db.execute("SELECT max(id) FROM runs WHERE kind = 'probe'").fetchone()[0]
        rows = {r["agency"]: r for r in db["probes"].rows_where("run_id = ?", [run])}
        runs = list(db["runs"].rows_where("kind = 'probe'"))
    finally:
        db.conn.close()
    return {"rows": rows, "runs": runs}


# ---------------------------------------------------------------- the clean run

@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("probe")
    db, log = tmp / "archive.db", tmp / "replica.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("NIANBAO_REGISTRY",)}
    proc = subprocess.run([sys.executable, "scheduler.py", "probe", "--all", "--replica", "--db", str(db),
                           "--replica-log", str(log)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    got = probe_rows(db)
    got.update(proc=proc, log=[json.loads(line) for line in log.read_text().splitlines()])
    return got


def served_agencies() -> list[str]:
    from crawler.registry import crawlable
    from replica.sites import served_hosts
    return crawlable(hosts=served_hosts())


def test_every_replica_site_ok_and_its_platform_agrees(clean):
    from crawler.families import FAMILIES, has_fingerprint, load_families
    from crawler.registry import agencies
    load_families()
    reg = agencies()
    served = [s for s in served_agencies() if reg[s].host]   # --all: every entry with a host
    assert len(served) >= 20
    bad = {s: clean["rows"][s]["why"] for s in served if clean["rows"][s]["verdict"] != "ok"}
    assert not bad, bad
    for slug in served:
        row = clean["rows"][slug]
        assert row["reachable"] == 1, row
        # reports on the first pages, or (a family reading further: jpaas's yearly sub-columns) none yet, said
        assert row["reports"] > 0 or "no report on its first" in row["column_how"], row
        family = reg[slug].family
        if family != "generic" and has_fingerprint(FAMILIES[family]):
            assert row["platform_check"] == "agree", row
        elif family != "generic":
            assert row["platform_check"] == "no fingerprint", row
        if family == "generic":
            assert row["column_how"].startswith("discovery"), row
        else:
            assert row["column_how"].startswith("registry") and row["column_url"], row


def test_years_seen_are_years_the_replica_published(clean, replica_session):
    truth: dict[str, set[str]] = {}
    for t in replica_session.truth():
        truth.setdefault(t["agency"], set()).add(str(t["year"]))
    hostile: dict[str, int] = {}   # per host: listed entries that are no report (dead link, soft 404, moved)
    for kind in ("dead", "soft_404", "moved"):
        for url in replica_session.special_urls().get(kind, []):
            hostile[urlsplit(url).hostname] = hostile.get(urlsplit(url).hostname, 0) + 1
    checked = 0
    for slug in served_agencies():
        row = clean["rows"].get(slug)
        if row is None or slug not in truth:
            continue
        seen = set(json.loads(row["years"] or "{}"))
        host = urlsplit(row["column_url"] or "").hostname
        assert len(seen - truth[slug]) <= hostile.get(host, 0), (slug, seen, truth[slug])
        assert bool(seen) == bool(row["reports"]), row
        checked += 1
    assert checked >= 15


def test_the_js_challenge_is_seen_and_passed_with_the_browser(clean):
    row = clean["rows"]["suizhou_zjw"]
    assert "412" in row["js_challenge"] and "passed with the browser" in row["notes"]
    assert row["verdict"] == "ok" and row["detected"] == "trs_hubei"
    column = [r["status"] for r in clean["log"] if r["host"] == "zjj.suizhou.gov.cn"
              and r["path"].startswith("/fbjd/zfxxgk/xxgknb/index.shtml")]
    assert 412 in column and 200 in column, column   # challenged, then passed (the browser's reload)


def test_hosts_outside_the_replica_are_unreachable_through_the_proxy_only(clean):
    from crawler.registry import agencies
    from replica.sites import served_hosts
    hosts = served_hosts()
    outside = [a for a in agencies().values() if a.host and not ({urlsplit(u).hostname for u in a.columns} | {a.host}) & hosts]
    assert len(outside) >= 50
    logged = {r["host"] for r in clean["log"]}
    for a in outside:
        row = clean["rows"][a.slug]
        assert row["verdict"] == "attention" and row["reachable"] == 0 and row["why"].startswith("unreachable"), row
        assert "DNS" not in (row["why"] or ""), row     # no lookup was made: the proxy had the request
        host = urlsplit(a.columns[0]).hostname if a.columns else a.host
        assert host in logged, a.slug


def test_polite_and_bounded(clean):
    from crawler.registry import agencies
    reg = agencies()
    domains = {d for a in reg.values() for d in (*a.allowed_domains, a.host) if d}
    for r in clean["log"]:
        assert any(r["host"] == d or r["host"].endswith("." + d) for d in domains), r["url"]
        assert not r["path"].startswith(("/search/", "/hnszf/search/")), r["url"]   # Hunan's robots.txt
    for row in clean["rows"].values():
        assert row["requests"] <= 10, row     # 2 robots.txt, 2 home pages, column + 2 pages (+2 asked) / 5 discovery
    # robots.txt once per scheme and host of the replica (a host outside it: one retry of the proxy's 502)
    from replica.sites import served_hosts
    robots = [(r["url"], r["host"] in served_hosts()) for r in clean["log"] if r["path"] == "/robots.txt"]
    urls = [u for u, _ in robots]
    assert all(urls.count(u) == 1 if served else urls.count(u) <= 2 for u, served in robots), robots
    assert len({u for u, served in robots if served}) >= 2 * 20


def test_the_command_prints_the_table_and_a_verdict_per_agency(clean):
    proc = clean["proc"]
    assert proc.returncode == 1, proc.stderr[-2000:]        # some need attention: the unreachable ones
    out = proc.stdout
    lines = out.splitlines()
    verdicts = [line for line in lines if line.startswith(tuple(f"{s}: " for s in clean["rows"]))]
    assert len(verdicts) == len(clean["rows"])
    first_ok = next(i for i, line in enumerate(verdicts) if line.split(": ", 1)[1].startswith("ok"))
    assert all("needs attention" in line for line in verdicts[:first_ok])
    assert "hunan_zjt: ok" in out and "beijing_zjw: needs attention: unreachable" in out
    assert any(line.startswith("!") and "beijing_zjw" in line for line in lines)    # marked in the table
    assert [r["status"] for r in clean["runs"]] == ["ok"]


# ---------------------------------------------------------------- the faults

@pytest.fixture(scope="module")
def faults(tmp_path_factory, replica_corpus):
    from batch import Outcome, Runner
    from crawler.registry import agencies
    from replica.server import ReplicaServer
    tmp = tmp_path_factory.mktemp("probe_faults")
    reg = agencies()

    def entry(slug, **change):
        a = reg[slug]
        e = {"name": a.name, "family": a.family, "columns": list(a.columns), "allowed_domains": list(a.allowed_domains),
             "host": a.host, "platform": a.platform, "browser": a.browser, "match": list(a.match), **a.extra}
        e.update(change)
        return e

    hunan_old = "http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97000/index.html"
    registry = {
        "t_challenge": entry("suizhou_zjw", browser=False),
        "t_dead": entry("guangxi_zjt"),
        "t_moved404": entry("hunan_zjt", columns=[hunan_old]),
        "t_moved301": entry("xizang_zjt", columns=["http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb"]),
        "t_wrongfamily": entry("quzhou_zjj", family="trs_guangxi"),
        "t_robots": entry("hunan_fgw", host="www.hunan.gov.cn"),
        "t_outside": {"name": "某市住房和城乡建设局", "family": "generic", "columns": ["http://zjj.nowhere.gov.cn/"],
                      "allowed_domains": ["zjj.nowhere.gov.cn"], "host": "zjj.nowhere.gov.cn"},
        "t_control": entry("jiulongpo_zjw"),
    }
    path = tmp / "registry.yaml"
    path.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    db = tmp / "archive.db"
    old = os.environ.get("NIANBAO_REGISTRY")
    os.environ["NIANBAO_REGISTRY"] = str(path)
    try:
        with ReplicaServer(replica_corpus) as server:
            server.faults.add("dead", host="zjt.gxzf.gov.cn")
            server.faults.add("rewrite", host="www.hunan.gov.cn", path="/robots.txt",
                              pattern=r"Disallow: /search/", repl="Disallow: /hnszf/xxgk/zfxxgknb/szbm_97944/")
            runner = Runner(db, proxy_url=server.proxy_url, proxy_spki=server.tls.spki, echo=lambda *a: None)
            outcome = Outcome(batch="probe-test")
            argv = [sys.executable, "-m", "crawler.probe", *registry, "--db", str(db), "--batch", "probe-test",
                    "--no-polite", "--log-level", "WARNING"]
            rc = runner._step("probe", argv, outcome, None)
            log = server.log
    finally:
        if old is None:
            os.environ.pop("NIANBAO_REGISTRY", None)
        else:
            os.environ["NIANBAO_REGISTRY"] = old
    got = probe_rows(db)
    got.update(rc=rc, log=log, outcome=outcome)
    return got


def test_fault_run_completes(faults):
    assert faults["rc"] == 0 and not faults["outcome"].failures
    assert faults["rows"]["t_control"]["verdict"] == "ok", faults["rows"]["t_control"]


def test_js_challenge_without_the_browser(faults):
    row = faults["rows"]["t_challenge"]
    assert row["verdict"] == "attention" and "412" in row["js_challenge"]
    assert "JS challenge" in row["why"] and "browser: true" in row["why"]


def test_dead_host(faults):
    row = faults["rows"]["t_dead"]
    assert row["verdict"] == "attention" and row["reachable"] == 0
    assert row["why"].startswith("unreachable (connection"), row["why"]
    assert row["scheme"] == "none"


def test_moved_column_404_and_redirect(faults):
    gone = faults["rows"]["t_moved404"]
    assert gone["verdict"] == "attention" and gone["reachable"] == 1
    assert "column moved or gone" in gone["why"] and "HTTP 404" in gone["why"], gone["why"]
    moved = faults["rows"]["t_moved301"]
    assert moved["verdict"] == "attention"
    assert "redirects to http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/" in moved["why"], moved["why"]


def test_wrong_family_names_the_detected_one(faults):
    row = faults["rows"]["t_wrongfamily"]
    assert row["verdict"] == "attention" and row["platform_check"] == "differ"
    assert row["detected"] == "hanweb"
    assert "registry says trs_guangxi" in row["why"] and "look like hanweb" in row["why"]


def test_robots_disallowing_the_column_is_obeyed_and_said(faults):
    row = faults["rows"]["t_robots"]
    assert row["verdict"] == "attention" and row["robots_allows"] == 0
    assert "robots.txt disallows" in row["why"]
    assert not [r for r in faults["log"] if r.host == "www.hunan.gov.cn"
                and r.path.startswith("/hnszf/xxgk/zfxxgknb/szbm_97944/")]


def test_outside_the_replica_is_unreachable(faults):
    row = faults["rows"]["t_outside"]
    assert row["verdict"] == "attention" and row["why"].startswith("unreachable")
    assert any(r.host == "zjj.nowhere.gov.cn" for r in faults["log"])   # it went to the proxy
    off = [r.url for r in faults["log"] if r.host not in {
        "zjj.suizhou.gov.cn", "zjt.gxzf.gov.cn", "www.hunan.gov.cn", "www.xizang.gov.cn", "zjj.qz.gov.cn",
        "zjj.nowhere.gov.cn", "cqjlp.gov.cn", "zjt.hunan.gov.cn", "zjj.xizang.gov.cn", "zjt.xizang.gov.cn"}]
    assert not off, off


# ---------------------------------------------------------------- pieces, no network

def test_failure_reasons_as_the_table_says_them():
    from scrapy.exceptions import DownloadFailedError
    from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
    from twisted.python.failure import Failure
    from twisted.web._newclient import ResponseNeverReceived

    from crawler.probe import error_reason
    assert error_reason(DNSLookupError("no results for hostname lookup: zjj.x.gov.cn")) == "DNS lookup failed"
    assert error_reason(ConnectionRefusedError()) == "connection refused"
    assert error_reason(TimeoutError()) == error_reason(TCPTimedOutError()) == "timeout"
    assert error_reason(DownloadFailedError([Failure(ResponseNeverReceived([]))])).startswith("connection reset")
    tunnel = Exception("Could not open CONNECT tunnel with proxy 127.0.0.1:8899 [{'status': 403, 'reason': b'Forbidden'}]")
    assert error_reason(tunnel) == "proxy refused the https tunnel (HTTP 403)"


def test_challenge_pages():
    from scrapy.http import HtmlResponse

    from crawler.probe import challenge_of
    script = b'<html><head><script>document.cookie="a=1; path=/";location.reload();</script></head><body></body></html>'
    assert "412" in challenge_of(HtmlResponse("http://a.gov.cn/", status=412, body=script))
    assert "cookie/JS redirect" in challenge_of(HtmlResponse("http://a.gov.cn/", status=200, body=script))
    page = b"<html><body><script>location.href='/x'</script>" + "政府信息公开年报".encode() * 10 + b"</body></html>"
    assert challenge_of(HtmlResponse("http://a.gov.cn/", status=200, body=page)) is None
    assert challenge_of(HtmlResponse("http://a.gov.cn/", status=404, body=b"<h1>404</h1>")) is None


def test_research_platform_names():
    from crawler.probe import platform_name
    assert platform_name("trs-hunan?") == "trs_hunan"
    assert platform_name("hanweb -> jpaas") == "jpaas"
    assert platform_name("trs / mixed") == "trs"
    assert platform_name("lonsun [inferred]") == "lonsun"
    assert platform_name("?") == platform_name("unknown") == ""
