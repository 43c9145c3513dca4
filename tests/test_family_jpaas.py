"""The jpaas family (Hanweb's new generation: the list comes from /api-gateway/jpaas-publish-server/front/page/
build/unit as JSON) through the real engine against the replica (replica/sites/jpaas.py: jst.zj.gov.cn,
www.jingjiang.gov.cn's per-year sub-columns): every report archived and extracted equal to its truth (JCMS
and jpaas URLs side by side, a DOCX-only report), every unit page fetched once and no page past the end,
the dead item recorded as a dead link, other departments' reports kept off the agency, nothing off the
allowed hosts.

Truth: server.truth(), the sites' unit items (site.items) and special URLs."""
from __future__ import annotations

import math
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler.registry import agencies
from replica.sites.jpaas import UNIT, JingjiangPortal, ZhejiangJst
from test_crawl import rows
from test_e2e import archived_result
from test_extract_replica import differences

ROOT = Path(__file__).resolve().parents[1]
SLUGS = ("zhejiang_zjt", "jingjiang_zjj")


@pytest.fixture(scope="module")
def world(replica_corpus, tmp_path_factory):
    """One crawl of both agencies and one extraction pass, on one server."""
    from replica.server import ReplicaServer
    db = tmp_path_factory.mktemp("jpaas") / "a.db"
    with ReplicaServer(replica_corpus) as server:
        env = dict(os.environ, http_proxy=server.proxy_url, https_proxy=server.proxy_url)
        env.pop("NIANBAO_DB", None)
        start = time.time()
        p = subprocess.run([sys.executable, "-m", "crawler.run", *SLUGS, "--db", str(db), "--no-polite",
                            "--log-level", "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert p.returncode == 0, p.stdout + p.stderr
        log = [e for e in server.log if e.time >= start]
        subprocess.run([sys.executable, "-m", "archive.extract.run", "--db", str(db)], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=240)
        sites = {type(s): s for s in server.sites if isinstance(s, (ZhejiangJst, JingjiangPortal))}
        yield {"server": server, "db": db, "log": log, "sites": sites,
               "truth": [t for t in server.truth() if t["agency"] in SLUGS]}


def test_every_report_is_archived_and_extracted_equal_to_truth(world):
    truths = world["truth"]
    assert {t["agency"] for t in truths} == set(SLUGS) and len(truths) >= 10
    urls = {t["url"] for t in truths}
    assert "https://jst.zj.gov.cn/art/2020/6/19/art_1229114230_3639.html" in urls     # the real 2019 URL
    assert any("/col/col1229114230/art/" in u for u in urls) and "docx" in {t["stats_in"] for t in truths}
    conn = sqlite3.connect(world["db"])
    problems = {}
    for t in truths:
        got = archived_result(conn, t["agency"], t["year"])
        diff = ["not archived"] if got is None else differences(got, t)
        if diff:
            problems[t["url"]] = diff
    assert not problems, problems
    got = {(r["agency"], r["year"]) for r in rows(world["db"], "SELECT agency, year FROM reports WHERE agency IS NOT NULL")}
    assert got == {(t["agency"], t["year"]) for t in truths}


def test_every_unit_page_once_and_none_past_the_end(world):
    log, sites = world["log"], world["sites"]
    allowed = {d for s in SLUGS for d in agencies()[s].allowed_domains}
    assert {e.host for e in log} <= allowed and all(e.status != 502 for e in log)
    units = [e for e in log if e.path.startswith(UNIT)]
    asked = Counter((e.host, parse_qs(urlsplit(e.path).query)["pageId"][0], int(parse_qs(urlsplit(e.path).query)["pageNo"][0]))
                    for e in units)
    assert set(asked.values()) == {1}
    want = {(site.host, page_id, n) for site in sites.values() for page_id, items in site.items.items()
            for n in range(1, math.ceil(len(items) / site.page_size) + 1)}
    assert set(asked) == want
    assert sum(1 for h, _, _ in want if h == "www.jingjiang.gov.cn") >= 12 and all(
        e.status == 200 for e in units)


def test_dead_items_and_other_departments(world):
    db, server = world["db"], world["server"]
    dead = server.special_urls()["dead"]
    caps = rows(db, "SELECT url, status, agency FROM captures WHERE kind = 'report'")
    zj_dead = [c for c in caps if c["url"] in dead and "jst.zj.gov.cn" in c["url"]]
    assert zj_dead and all(c["status"] == 404 for c in zj_dead)
    others = [c for c in caps if "jingjiang" in c["url"] and c["agency"] is None]
    assert len(others) == len(JingjiangPortal.others)           # archived, attributed to nobody
    for slug in SLUGS:
        run = rows(db, "SELECT status, failure FROM runs WHERE agency = ? AND kind = 'crawl'", slug)[-1]
        assert run["status"] == "ok", run
