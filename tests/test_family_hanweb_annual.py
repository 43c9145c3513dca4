"""The hanweb_annual family (Hanweb xxgk module's xxgkAnnualReport.jsp, one request per agency-year) through
the real engine against the replica (replica/sites/hanweb_annual.py: js.dl.gov.cn, liangshan.gov.cn,
www.yanzhou.gov.cn): every report the sites hold archived and extracted equal to its truth; every year from
2008 to last year asked exactly once; a year without a report a soft 404, never a report; org codes read
from the portals' trees (liangshan, yanzhou) or the registry (dalian); no request off the allowed hosts.

Truth: server.truth() (the corpus), the replica sites' org codes and hosts."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.families.hanweb_annual import FIRST_YEAR, HanwebAnnual, last_year, names_org, tree_orgs
from crawler.registry import Column, agencies
from replica.sites.hanweb_annual import ENDPOINT, DalianAnnual, LiangshanAnnual, YanzhouAnnual
from test_crawl import rows
from test_e2e import archived_result
from test_extract_replica import differences

ROOT = Path(__file__).resolve().parents[1]
SITES = {"dalian_zjj": DalianAnnual, "liangshan_zjj": LiangshanAnnual, "yanzhou_zjj": YanzhouAnnual}


@pytest.fixture(scope="module")
def world(replica_corpus, tmp_path_factory):
    """One crawl of the three agencies and one extraction pass, on one server."""
    from replica.server import ReplicaServer
    db = tmp_path_factory.mktemp("hanweb_annual") / "a.db"
    with ReplicaServer(replica_corpus) as server:
        env = dict(os.environ, http_proxy=server.proxy_url, https_proxy=server.proxy_url)
        env.pop("NIANBAO_DB", None)
        start = time.time()
        p = subprocess.run([sys.executable, "-m", "crawler.run", *SITES, "--db", str(db), "--no-polite",
                            "--log-level", "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert p.returncode == 0, p.stdout + p.stderr
        log = [e for e in server.log if e.time >= start]
        subprocess.run([sys.executable, "-m", "archive.extract.run", "--db", str(db)], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=240)
        yield {"server": server, "db": db, "log": log,
               "truth": [t for t in server.truth() if t["agency"] in SITES]}


def test_every_report_is_archived_and_extracted_equal_to_truth(world):
    truths = world["truth"]
    assert {t["agency"] for t in truths} == set(SITES) and len(truths) >= 15
    assert "pdf" in {t["stats_in"] for t in truths}        # the attachment-only report came with its PDF
    conn = sqlite3.connect(world["db"])
    problems = {}
    for t in truths:
        got = archived_result(conn, t["agency"], t["year"])
        diff = ["not archived"] if got is None else differences(got, t)
        if diff:
            problems[t["url"]] = diff
    assert not problems, problems


def test_years_without_a_report_are_soft_404s_not_reports(world):
    db, truths = world["db"], world["truth"]
    have = {(t["agency"], t["year"]) for t in truths}
    got = {(r["agency"], r["year"]) for r in rows(db, "SELECT agency, year FROM reports")}
    assert got == have                                       # nothing for the empty years
    for slug in SITES:
        caps = rows(db, "SELECT url, error FROM captures WHERE agency = ? AND kind = 'report'", slug)
        years = {int(parse_qs(urlsplit(c["url"]).query)["fbtime"][0]): c["error"] for c in caps}
        assert set(years) == set(range(FIRST_YEAR, last_year() + 1))
        for year, error in years.items():
            assert error == (None if (slug, year) in have else "soft 404"), (slug, year, error)
        run = rows(db, "SELECT status, failure FROM runs WHERE agency = ? AND kind = 'crawl'", slug)[-1]
        assert run["status"] == "ok", run


def test_each_agency_year_asked_once_and_nothing_off_site(world):
    log = world["log"]
    allowed = {d for s in SITES for d in agencies()[s].allowed_domains}
    assert {e.host for e in log} <= allowed and all(e.status != 502 for e in log)
    asked = Counter((e.host, e.path) for e in log if e.path.startswith(ENDPOINT))
    assert set(asked.values()) == {1}
    for slug, site in SITES.items():
        host = site.hosts[0]
        years = {int(parse_qs(urlsplit(p).query)["fbtime"][0]) for h, p in asked if h == host}
        areas = {parse_qs(urlsplit(p).query)["area"][0] for h, p in asked if h == host}
        assert years == set(range(FIRST_YEAR, last_year() + 1)) and areas == {site.area}, slug
    trees = Counter(e.host for e in log if e.path.startswith("/module/xxgk/tree.jsp"))
    assert trees == {site.hosts[0]: 1 for site in SITES.values()}


def test_org_codes_from_a_portal_tree(world):
    """The tree's near misses (梁山县住房保障服务中心) are not the bureau; the tail of a full name is."""
    server = world["server"]
    for slug in ("liangshan_zjj", "yanzhou_zjj"):
        agency = agencies()[slug]
        assert "area" not in (agency.extra.get("hanweb_annual") or {})   # the registry gives the portal only
        url = agency.columns[0]
        site = next(s for s in server.sites if slug.startswith(s.agency_prefixes))
        body = site.tree_page().encode("utf-8")
        response = HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))
        found = [code for code, label in tree_orgs(body.decode()) if names_org(agency, label)]
        assert found == [site.area], slug
        entries = HanwebAnnual(Column(url, "hanweb_annual", (agency,))).list_entries(response)
        assert len(entries) == last_year() - FIRST_YEAR + 1
        assert all(f"area={site.area}&" in u and agency.name in t for t, u in entries)
