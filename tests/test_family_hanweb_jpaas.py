"""Two Hanweb families through the real engine against the replica: the session's main job (tests/conftest.py
crawled_archive: one crawl of every agency the replica serves, all of theirs included, then one extraction
pass) and its replica's request log (crawled_log, cut to these agencies' hosts):

- hanweb_annual (the xxgk module's xxgkAnnualReport.jsp, one request per agency-year; replica/sites/
  hanweb_annual.py: js.dl.gov.cn, jsszfhcxjst.jiangsu.gov.cn, liangshan.gov.cn, www.yanzhou.gov.cn): every
  report archived and extracted equal to its truth; every year from 2008 to last year asked exactly once; a
  year without a report a soft 404, never a report; org codes from the portals' trees (liangshan, yanzhou)
  or the registry (dalian, jiangsu, whose start is the module's subjectinfo.jsp entry).
- jpaas (Hanweb's new generation: the list from /api-gateway/jpaas-publish-server/front/page/build/unit as
  JSON; replica/sites/jpaas.py: jst.zj.gov.cn, www.jingjiang.gov.cn's per-year sub-columns): every report
  archived and extracted equal to its truth (JCMS and jpaas URLs side by side, a DOCX-only report), every
  unit page fetched once and none past the end, the dead item a dead link, other departments' reports kept
  off the agency.
- Both: no request off the allowed hosts; every run ok.

Truth: server.truth() (the corpus), the replica sites' org codes, hosts, unit items and special URLs."""
from __future__ import annotations

import datetime as dt
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
from scrapy.http import HtmlResponse, Request

from crawler.families.hanweb_annual import HanwebAnnual, names_org, tree_orgs
from crawler.families.jpaas import Jpaas
from crawler.registry import Column, agencies
from replica.sites.hanweb_annual import ENDPOINT, DalianAnnual, JiangsuAnnual, LiangshanAnnual, YanzhouAnnual
from replica.sites.jpaas import UNIT, JingjiangPortal, ZhejiangJst
from conftest import off_their_domains
from test_crawl import rows
from test_e2e import archived_result
from test_extract_replica import differences

ROOT = Path(__file__).resolve().parents[1]
ANNUAL = {"dalian_zjj": DalianAnnual, "jiangsu_zjt": JiangsuAnnual, "liangshan_zjj": LiangshanAnnual,
          "yanzhou_zjj": YanzhouAnnual}
JPAAS = ("zhejiang_zjt", "jingjiang_zjj")
# the years the endpoint is asked for: from the first report year of the 2008 Regulation to last year (China time)
YEARS = set(range(2008, dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year))


@pytest.fixture(scope="module")
def world(crawled_archive, crawled_log, replica_session):
    """The main job's archive, its request log on the six agencies' hosts (and the whole log), and
    replica_session (the same corpus) for the truth and the sites."""
    hosts = {d for s in (*ANNUAL, *JPAAS) for d in agencies()[s].allowed_domains}
    sites = {type(s): s for s in replica_session.sites if isinstance(s, (ZhejiangJst, JingjiangPortal))}
    return {"server": replica_session, "db": crawled_archive, "hosts": hosts, "all_log": crawled_log,
            "log": [e for e in crawled_log if e.host in hosts], "sites": sites, "truth": replica_session.truth()}


def truths_of(world, slugs) -> list[dict]:
    return [t for t in world["truth"] if t["agency"] in slugs]


def mismatches(world, truths) -> dict:
    conn = sqlite3.connect(world["db"])
    problems = {}
    for t in truths:
        got = archived_result(conn, t["agency"], t["year"])
        diff = ["not archived"] if got is None else differences(got, t)
        if diff:
            problems[t["url"]] = diff
    return problems


def test_nothing_off_the_allowed_hosts_and_every_run_ok(world):
    assert world["log"] and not off_their_domains(world["all_log"], world["hosts"])
    assert all(e.status != 502 for e in world["log"])
    for slug in (*ANNUAL, *JPAAS):
        run = rows(world["db"], "SELECT status, failure FROM runs WHERE agency = ? AND kind = 'crawl'", slug)[-1]
        assert run["status"] == "ok", (slug, run)


# ------------------------------------------------------------------------------ hanweb_annual
def test_annual_every_report_is_archived_and_extracted_equal_to_truth(world):
    truths = truths_of(world, ANNUAL)
    assert {t["agency"] for t in truths} == set(ANNUAL) and len(truths) >= 20
    assert "pdf" in {t["stats_in"] for t in truths}        # the attachment-only report came with its PDF
    assert not mismatches(world, truths)


def test_annual_years_without_a_report_are_soft_404s_not_reports(world):
    db = world["db"]
    have = {(t["agency"], t["year"]) for t in truths_of(world, ANNUAL)}
    got = {(r["agency"], r["year"]) for r in rows(db, "SELECT agency, year FROM reports")}
    assert {g for g in got if g[0] in ANNUAL} == have          # nothing for the empty years
    for slug in ANNUAL:
        caps = rows(db, "SELECT url, error FROM captures WHERE agency = ? AND kind = 'report'", slug)
        years = {int(parse_qs(urlsplit(c["url"]).query)["fbtime"][0]): c["error"] for c in caps}
        assert set(years) == YEARS
        for year, error in years.items():
            assert error == (None if (slug, year) in have else "soft 404"), (slug, year, error)


def test_annual_each_agency_year_asked_once(world):
    log = world["log"]
    asked = Counter((e.host, e.path) for e in log if e.path.startswith(ENDPOINT))
    assert set(asked.values()) == {1}
    for slug, site in ANNUAL.items():
        host = site.hosts[0]
        years = {int(parse_qs(urlsplit(p).query)["fbtime"][0]) for h, p in asked if h == host}
        areas = {parse_qs(urlsplit(p).query)["area"][0] for h, p in asked if h == host}
        assert years == YEARS and areas == {site.area}, slug
    starts = Counter(e.host for e in log if e.path.startswith(("/module/xxgk/tree.jsp", "/module/xxgk/subjectinfo.jsp")))
    assert starts == {site.hosts[0]: 1 for site in ANNUAL.values()}


def test_annual_org_codes_from_a_portal_tree(world):
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
        assert len(entries) == len(YEARS)
        assert all(f"area={site.area}&" in u and agency.name in t for t, u in entries)


def test_annual_a_year_that_gets_its_report_is_found_next_run(world, replica, tmp_path):
    """Liangshan publishes its report for last year: the next run (a copy of the archive, on a fresh replica
    server over the same corpus, which publishes it) asks the empty years again (a soft 404 is never held), so
    it finds it; the held reports are not asked again."""
    server, db = replica, tmp_path / "b.db"
    src, dst = sqlite3.connect(world["db"]), sqlite3.connect(db)    # SQLite's backup: the WAL's pages too
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    year = max(YEARS)                      # 2025: the replica's Liangshan has 2019-2024
    assert year not in {t["year"] for t in truths_of(world, ["liangshan_zjj"])}
    url = server.publish(server.new_report("liangshan_zjj", year, f"{year + 1}-01-20 10:00:00"))
    env = dict(os.environ, http_proxy=server.proxy_url, https_proxy=server.proxy_url)
    env.pop("NIANBAO_DB", None)
    start = time.time()
    p = subprocess.run([sys.executable, "-m", "crawler.run", "liangshan_zjj", "--db", str(db), "--no-polite",
                        "--log-level", "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    asked = {e.path for e in server.log if e.time >= start and e.path.startswith(ENDPOINT)}
    held = {t["year"] for t in truths_of(world, ["liangshan_zjj"])}
    years = {int(parse_qs(urlsplit(a).query)["fbtime"][0]) for a in asked}
    assert years == YEARS - held
    caps = rows(db, "SELECT error FROM captures WHERE url = ? ORDER BY id", url)
    assert [c["error"] for c in caps] == ["soft 404", None]


# ------------------------------------------------------------------------------ jpaas
def test_jpaas_every_report_is_archived_and_extracted_equal_to_truth(world):
    truths = truths_of(world, JPAAS)
    assert {t["agency"] for t in truths} == set(JPAAS) and len(truths) >= 10
    urls = {t["url"] for t in truths}
    assert "https://jst.zj.gov.cn/art/2020/6/19/art_1229114230_3639.html" in urls     # the real 2019 URL
    assert any("/col/col1229114230/art/" in u for u in urls) and "docx" in {t["stats_in"] for t in truths}
    assert not mismatches(world, truths)


def test_jpaas_every_unit_page_once_and_none_past_the_end(world):
    """Every page of every unit once in the form the site reads (Jingjiang pageNo, jst.zj paramJson), none
    past the end; jst.zj's one wasted request: page 2 as pageNo, which it answers with page 1."""
    import json
    log, sites = world["log"], world["sites"]
    units = [e for e in log if e.path.startswith(UNIT)]
    assert units and all(e.status == 200 for e in units)
    honoured, ignored = Counter(), Counter()
    for e in units:
        q = parse_qs(urlsplit(e.path).query)
        site = next(s for s in sites.values() if s.host == e.host)
        if "paramJson" in q:
            key, read = (e.host, q["pageId"][0], json.loads(q["paramJson"][0])["pageNo"]), site.paging == "paramJson"
        else:
            n = int(q.get("pageNo", ["1"])[0])
            key, read = (e.host, q["pageId"][0], n), site.paging == "pageNo" or n == 1
        (honoured if read else ignored)[key] += 1
    want = {(site.host, page_id, n) for site in sites.values() for page_id, items in site.items.items()
            for n in range(1, math.ceil(len(items) / site.page_size) + 1)}
    assert set(honoured) == want and set(honoured.values()) == {1}
    zj = sites[ZhejiangJst]
    assert dict(ignored) == {(zj.host, zj.page_id(""), 2): 1}
    assert sum(1 for h, _, _ in want if h == "www.jingjiang.gov.cn") >= 12 and sum(1 for h, _, _ in want if h == zj.host) >= 3


def test_jpaas_dead_items_and_other_departments(world):
    db, server = world["db"], world["server"]
    dead = server.special_urls()["dead"]
    caps = rows(db, "SELECT url, status, agency FROM captures WHERE kind = 'report'")
    zj_dead = [c for c in caps if c["url"] in dead and "jst.zj.gov.cn" in c["url"]]
    assert zj_dead and all(c["status"] == 404 for c in zj_dead)
    others = [c for c in caps if "jingjiang" in c["url"] and c["agency"] is None]
    assert len(others) == len(JingjiangPortal.others)           # archived, attributed to nobody


def test_jpaas_pages_without_a_count_until_an_empty_page():
    """A unit answer with no pagination count: one page more while a page lists items; a page 2 that repeats
    page 1 asked again as paramJson; links relative to the column page; success false lists nothing."""
    import json
    agency = agencies()["zhejiang_zjt"]
    column = "https://jst.zj.gov.cn/col/col1229114230/index.html"
    family = Jpaas(Column(column, "jpaas", (agency,)))
    page = ('<html><body><script src="/AuthorizedRead/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/'
            'build/unit" queryData="{\'webId\':\'3179\',\'pageId\':\'1229114230\',\'tagId\':\'当前栏目list\'}"></script>'
            '</body></html>')
    first = family.next_pages(HtmlResponse(column, body=page.encode(), encoding="utf-8", request=Request(column)))
    assert len(first) == 1 and parse_qs(urlsplit(first[0]).query) == {
        "webId": ["3179"], "pageId": ["1229114230"], "tagId": ["当前栏目list"], "pageNo": ["1"]}

    def unit(url, html, success=True):
        from scrapy.http import TextResponse
        body = json.dumps({"success": success, "data": {"html": html} if success else None}, ensure_ascii=False)
        return TextResponse(url, body=body.encode(), encoding="utf-8", request=Request(url))
    one_html = ('<ul><li><a href="art/2024/art_0123456789abcdef0123456789abcdef.html" title="浙江省住房和城乡建设厅'
                '2023年政府信息公开工作年度报告">…</a></li></ul>')
    one = unit(first[0], one_html)
    assert family.list_entries(one) == [("浙江省住房和城乡建设厅2023年政府信息公开工作年度报告 …",
                                         "https://jst.zj.gov.cn/col/col1229114230/art/2024/art_0123456789abcdef0123456789abcdef.html")]
    second = family.next_pages(one)
    assert [parse_qs(urlsplit(u).query)["pageNo"] for u in second] == [["2"]]
    assert family.next_pages(unit(second[0], "<ul></ul>")) == []
    same = family.next_pages(unit(second[0], one_html))          # page 2 = page 1: pageNo is ignored
    assert len(same) == 1 and json.loads(parse_qs(urlsplit(same[0]).query)["paramJson"][0]) == {"pageNo": 2, "pageSize": 1}
    assert "pageNo" not in parse_qs(urlsplit(same[0]).query)
    assert family.next_pages(unit(same[0], one_html)) == []      # paramJson ignored too: stop
    failed = unit(second[0], "", success=False)
    assert family.list_entries(failed) == [] and family.next_pages(failed) == []


def test_fingerprints_on_the_replica_pages(replica_session):
    """Each family knows its own pages (scheduler.py probe) and not the other's nor a TRS column."""
    import urllib.request
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": replica_session.proxy_url, "https": replica_session.proxy_url}),
        urllib.request.HTTPSHandler(context=replica_session.tls.client_context()))

    def page(url):
        body = opener.open(url, timeout=20).read()
        return HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))
    annual = [page(agencies()[s].columns[0]) for s in ANNUAL] + [page(t["url"]) for t in truths_of(
        {"truth": replica_session.truth()}, ["dalian_zjj"])][:1]
    jpaas = [page(agencies()[s].columns[0]) for s in ("zhejiang_zjt",)] + [page(
        "https://www.jingjiang.gov.cn/xxgk/zfxxgknb/2024/szfgzbm/")]
    trs = page(agencies()["hunan_zjt"].columns[0])
    assert all(HanwebAnnual.fingerprint(r) for r in annual) and not any(HanwebAnnual.fingerprint(r) for r in jpaas)
    assert all(Jpaas.fingerprint(r) for r in jpaas) and not any(Jpaas.fingerprint(r) for r in annual)
    assert HanwebAnnual.fingerprint(trs) is None and Jpaas.fingerprint(trs) is None
