"""Agencies as data, through the real engine against the replica: shared columns read once, politeness
per host across the whole run (measured from the replica's request log), breakage that shows when a
column's pagination breaks, and a new department of a shared column added as a YAML entry alone."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from crawler.registry import REGISTRY_PATH, agencies
from test_crawl import rows

ROOT = Path(__file__).resolve().parents[1]
HUNAN_HOST, XIZANG_HOST = "www.hunan.gov.cn", "www.xizang.gov.cn"
HUNAN_COLUMN = "/hnszf/xxgk/zfxxgknb/szbm_97944/"
SHARED = [s for s, a in agencies().items() if a.allowed_domains[:1] in ((HUNAN_HOST,), (XIZANG_HOST,))]


def run_crawl(replica, db, *args, env_extra=None, polite=False, settings=None):
    env = dict(os.environ, http_proxy=replica.proxy_url, https_proxy=replica.proxy_url, **(env_extra or {}))
    env.pop("NIANBAO_DB", None)
    cmd = [sys.executable, "-m", "crawler.run", *args, "--db", str(db),
           "--polite" if polite else "--no-polite", "--log-level", "WARNING"]
    for name, value in (settings or {}).items():
        cmd += ["--set", f"{name}={value}"]
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def max_concurrency(entries) -> int:
    """Most requests in flight at once, from the server's arrival and answer times."""
    events = sorted([(e.started, 1) for e in entries] + [(e.time, -1) for e in entries],
                    key=lambda ev: (ev[0], ev[1]))
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def test_shared_columns_are_read_once_politely_per_host(replica, tmp_path):
    """Every agency sharing the Hunan and Xizang portal columns in one polite run: each list page
    and each report fetched once, at most CONCURRENT_REQUESTS_PER_DOMAIN in flight per host, and
    requests to one host spaced by the download delay (with its ±50% jitter)."""
    assert len(SHARED) >= 4
    delay, per_host = 0.08, 2
    db = tmp_path / "a.db"
    start = time.time()
    run_crawl(replica, db, *SHARED, polite=True, settings={
        "DOWNLOAD_DELAY": delay, "AUTOTHROTTLE_START_DELAY": delay, "AUTOTHROTTLE_MAX_DELAY": 0.5,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host})
    log = [e for e in replica.log if e.time >= start]
    pages = [e for e in log if e.method == "GET" and not e.path.startswith("/robots.txt")]
    twice = [u for u, n in Counter(e.url for e in pages).items() if n > 1]
    assert twice == []                                          # no page, list or report, fetched twice
    listed = {r["url"] for r in rows(db, "SELECT url FROM listings WHERE kind = 'page'")}
    assert {e.url for e in pages} >= listed and len(listed) > 10
    for host in (HUNAN_HOST, XIZANG_HOST):
        # plain-HTTP requests only: an https one arrives a TLS handshake after the downloader sent it
        # (CONNECT first), so arrival gaps next to it say nothing about the download delay
        on_host = sorted((e for e in log if e.host == host and e.via == "proxy"), key=lambda e: e.started)
        assert len(on_host) > 10
        assert max_concurrency(on_host) <= per_host, host
        gaps = [b.started - a.started for a, b in zip(on_host, on_host[1:])]
        assert min(gaps) >= 0.5 * delay * 0.9, (host, min(gaps))
    runs = rows(db, "SELECT agency, status, reports_found FROM runs WHERE kind = 'crawl'")
    assert {r["agency"] for r in runs} == set(SHARED) and all(r["status"] == "ok" for r in runs), runs
    for slug in SHARED:
        got = {r["final_url"] for r in rows(db, "SELECT final_url FROM captures WHERE agency = ? AND "
                                                "kind = 'report' AND body_sha256 IS NOT NULL AND error IS NULL", slug)}
        assert got == set(replica.urls(slug)), slug
    # reports of departments the registry does not know are archived, with no agency
    unknown = {r.url for r in replica.reports() if r.agency not in agencies()
               and r.url.split("/")[2] in (HUNAN_HOST, XIZANG_HOST)}
    assert unknown
    kept = {r["final_url"] for r in rows(db, "SELECT final_url FROM captures WHERE agency IS NULL AND "
                                             "kind = 'report' AND body_sha256 IS NOT NULL")}
    assert unknown <= kept


@pytest.fixture(scope="module")
def hunan_once(replica_corpus, tmp_path_factory):
    """A replica server of this module's own and one crawl of hunan_zjt on it: the first run of the two tests
    below, each of which goes on from a copy of its archive on the same server (so its validators hold), and
    clears the faults it adds."""
    from replica.server import ReplicaServer
    db = tmp_path_factory.mktemp("hunan_once") / "a.db"
    with ReplicaServer(replica_corpus) as server:
        run_crawl(server, db, "hunan_zjt")
        yield server, db


def copy_of(db, to):
    """A copy of a finished archive (SQLite's backup: the WAL's pages included)."""
    src, dst = sqlite3.connect(db), sqlite3.connect(to)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return to


def test_broken_pagination_turns_the_run_failing_then_ok_again(hunan_once, tmp_path):
    replica, db = hunan_once[0], copy_of(hunan_once[1], tmp_path / "a.db")
    replica.faults.clear()
    first = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert first["status"] == "ok"
    # the column's pager loses its links (a redesign the family does not know): pages 2.. are unreachable
    replica.faults.add("rewrite", host=HUNAN_HOST, path=HUNAN_COLUMN + "index.html",
                       pattern=r"index_\d+\.html", repl="index.html")
    try:
        run_crawl(replica, db, "hunan_zjt")
    finally:
        replica.faults.clear()
    broken = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert broken["status"] == "failing", broken
    assert broken["reports_found"] < first["reports_found"]
    why = broken["failure"]
    assert f"where the last ok run #{first['id']} found {first['reports_found']}" in why, why
    assert "no longer listed" in why and "still served" in why, why
    assert "list page(s)" in why, why
    run_crawl(replica, db, "hunan_zjt")
    healed = rows(db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert healed["status"] == "ok" and healed["reports_found"] == first["reports_found"], healed


def test_a_new_department_of_a_shared_column_is_a_yaml_entry(replica, tmp_path):
    """湖南省教育厅 publishes in Hunan's shared column; the registry does not know it. One YAML entry
    (and no code) makes a run attribute its reports to it."""
    path = tmp_path / "agencies"
    shutil.copytree(REGISTRY_PATH, path)
    entry = {"hunan_jyt": {
        "name": "湖南省教育厅", "short_name": "湖南教育厅", "level": "province", "province": "湖南",
        "region_code": "430000", "family": "trs_hunan", "columns": [f"http://{HUNAN_HOST}{HUNAN_COLUMN}index.html"],
        "allowed_domains": [HUNAN_HOST], "match": ["教育厅"]}}
    with open(path / "43-hunan.yaml", "a", encoding="utf-8") as f:   # one entry in the province's file
        f.write("\n" + yaml.safe_dump(entry, allow_unicode=True))
    db = tmp_path / "a.db"
    p = run_crawl(replica, db, "hunan_zjt", "hunan_jyt", env_extra={"NIANBAO_REGISTRY": str(path)})
    assert "[hunan_jyt] run" in p.stdout
    want = set(replica.urls("hunan_jyt"))
    assert want
    got = {r["final_url"] for r in rows(db, "SELECT final_url FROM captures WHERE agency = 'hunan_jyt' AND "
                                            "kind = 'report' AND body_sha256 IS NOT NULL")}
    assert got == want
    assert not rows(db, "SELECT 1 FROM captures WHERE agency = 'hunan_zjt' AND final_url IN (%s)"
                    % ",".join("?" * len(want)), *want)
    scrapy_list = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True,
                                 text=True, env=dict(os.environ, NIANBAO_REGISTRY=str(path)))
    assert "hunan_jyt" in scrapy_list.stdout.split()


def test_a_report_the_site_removed_stays_archived_marked_no_longer_listed(hunan_once, tmp_path):
    """The site drops a report from its column and its page answers 404: the run stays ok (the site
    explains the absence), the report stays in the archive, and `status` says it is no longer listed."""
    replica, db = hunan_once[0], copy_of(hunan_once[1], tmp_path / "a.db")
    replica.faults.clear()
    env = dict(os.environ)
    env.pop("NIANBAO_DB", None)
    subprocess.run([sys.executable, "-m", "archive.extract.run", "--db", str(db)], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    gone = sorted(replica.reports("hunan_zjt"), key=lambda r: r.year)[1]
    name = gone.url.rsplit("/", 1)[1]
    replica.faults.add("rewrite", host=HUNAN_HOST, path=HUNAN_COLUMN + "index",
                       pattern=rf"(?s)<li>(?:(?!</li>).)*?{name.replace('.', '[.]')}(?:(?!</li>).)*?</li>", repl="")
    replica.faults.add("status", host=HUNAN_HOST, path=gone.url.split(HUNAN_HOST, 1)[1], code=404)
    try:
        run_crawl(replica, db, "hunan_zjt")
    finally:
        replica.faults.clear()
    run = rows(db, "SELECT * FROM runs WHERE kind = 'crawl' ORDER BY id DESC LIMIT 1")[0]
    assert run["status"] == "ok", run
    assert "no longer listed, as the site says" in run["failure"] and "removed (HTTP 404)" in run["failure"]
    assert rows(db, "SELECT listed FROM report_listing WHERE url = ?", gone.url) == [{"listed": 0}]
    assert rows(db, "SELECT count(*) n FROM report_listing WHERE agency = 'hunan_zjt' AND listed = 1")[0]["n"] > 5
    status = subprocess.run([sys.executable, "scheduler.py", "status", "--db", str(db)], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert f"no longer listed on the site: {gone.year} ({gone.url})" in status.stdout, status.stdout


def test_scrapy_crawl_slug_works_for_a_registry_agency(replica, tmp_path):
    """`scrapy crawl SLUG`, the standard single-spider way, with the spider generated from the YAML entry."""
    db = tmp_path / "a.db"
    env = dict(os.environ, http_proxy=replica.proxy_url, https_proxy=replica.proxy_url)
    env.pop("NIANBAO_DB", None)
    p = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "quzhou_zjj", "-s", f"ARCHIVE_DB={db}",
                        "-s", "NIANBAO_POLITE=0", "-s", "LOG_LEVEL=WARNING"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    run = rows(db, "SELECT agency, status, reports_found FROM runs")
    assert run == [{"agency": "quzhou_zjj", "status": "ok", "reports_found": len(replica.urls("quzhou_zjj"))}]
