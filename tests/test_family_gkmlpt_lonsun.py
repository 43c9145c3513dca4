"""The gkmlpt (Guangdong) and lonsun (Anhui) families end to end: the session's main job (tests/conftest.py
crawled_archive: one crawl of every agency the replica serves, these six included, through the real Scrapy
engine in a child process with the replica as proxy, then one extraction pass) and its replica's request log
(crawled_log, cut to these agencies' hosts), then: every report the sites hold archived and extracted equal to the replica's ground
truth, no request outside the allowed domains (the replica's log), every list page (JSON API pages, portal and
Lonsun list pages) fetched once, the hostile items recorded as what they are. Plus the families' pagination
on the replica's own pages.

Truth: server.truth() / server.urls() (the corpus), the replica's served resources and API articles."""
from __future__ import annotations

import math
import sqlite3
from collections import Counter
from urllib.parse import urlsplit

import pytest
from scrapy.http import TextResponse

from crawler.families import family_for
from crawler.registry import Column, get_agency
from replica.sites.base import Request
from conftest import off_their_domains
from tests.test_crawl import rows

GKMLPT = ["guangdong_zjt", "fugang_zjj", "futian_zjj"]
LONSUN = ["xuancheng_zjj", "huoshan_zjj", "tianchang_zjj"]
SLUGS = GKMLPT + LONSUN


@pytest.fixture(scope="module")
def world(crawled_archive, crawled_log, replica_session):
    """The main job's archive, its request log on these agencies' hosts (and the whole log), and
    replica_session (the same corpus) for the truth."""
    hosts = {d for s in SLUGS for d in get_agency(s).allowed_domains}
    return {"server": replica_session, "db": crawled_archive, "hosts": hosts, "all_log": crawled_log,
            "log": [e for e in crawled_log if e.host in hosts]}


def host_of(slug: str) -> str:
    return get_agency(slug).allowed_domains[0]


def test_every_report_is_archived(world):
    server, db = world["server"], world["db"]
    for slug in SLUGS:
        want = set(server.urls(slug))
        assert len(want) == 6, slug
        got = {r["final_url"] for r in rows(db, "SELECT final_url FROM captures WHERE agency = ? AND kind = 'report' "
                                                "AND body_sha256 IS NOT NULL AND error IS NULL", slug)}
        assert got == want, (slug, sorted(want ^ got))
    truths = [t for t in server.truth() if t["agency"] in SLUGS]
    assert {t["stats_in"] for t in truths} == {"page", "pdf", "docx"}    # one PDF-only, one DOCX-only report
    attachments = {u for t in truths for u in t["attachment_urls"]}
    held = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE kind = 'attachment' AND body_sha256 IS NOT NULL")}
    assert attachments and attachments <= held
    runs = [r for r in rows(db, "SELECT agency, status FROM runs WHERE kind = 'crawl'") if r["agency"] in SLUGS]
    assert sorted(r["agency"] for r in runs) == sorted(SLUGS) and {r["status"] for r in runs} == {"ok"}, runs


def test_every_report_extracts_to_its_truth(world):
    from tests.test_e2e import archived_result
    from tests.test_extract_replica import differences
    truths = [t for t in world["server"].truth() if t["agency"] in SLUGS]
    conn = sqlite3.connect(world["db"])
    problems = {}
    for t in truths:
        got = archived_result(conn, t["agency"], t["year"])
        diff = ["not in the archive"] if got is None else differences(got, t)
        if diff:
            problems[t["url"]] = diff
    assert not problems, problems
    # no report beyond the truth's on their sites (the hostile items, other departments' reports)
    urls = [u for (u,) in conn.execute("SELECT url FROM reports")]
    assert len([u for u in urls if urlsplit(u).hostname in world["hosts"]]) == len(truths)


def test_no_request_leaves_the_allowed_domains(world):
    allowed, log = world["hosts"], world["log"]
    assert log and not off_their_domains(world["all_log"], allowed)
    offsite = [u for u in world["server"].special_urls().get("offsite", []) if urlsplit(u).hostname not in allowed]
    assert "http://www.xuancheng-gov.com.cn/XxgkAnnualReport/show/4536.html" in offsite   # listed, report-titled
    assert not {e.url for e in world["all_log"]} & set(offsite)


def _list_pages(server) -> set[str]:
    """Every list page the sites serve (truth from the replica: its resources and its API's articles)."""
    pages = set()
    for (host, path) in server._resources:
        if (host == "www.szft.gov.cn" and path.startswith("/bmxx/qjsj/xxgknb/index")
                or path.startswith("/public/column/") or path.startswith("/XxgkAnnualReport/index.html")):
            pages.add((host, path))
    for site in server.sites:
        if site.family == "gkmlpt" and site.host != "www.szft.gov.cn":
            n = math.ceil(len(site.articles) / 100)
            assert n >= 3, site.host
            pages |= {(site.host, f"/gkmlpt/api/all/{site.column_id}?page={k}&sid={site.sid}") for k in range(1, n + 1)}
    return pages


def _key(e) -> tuple[str, str]:
    """A logged request as (host, path?sorted query) — the replica's key for query-addressed pages."""
    from replica.sites.lonsun import query_key
    path = e.path if e.path.startswith("/gkmlpt/api/") else query_key(e.path)
    return e.host, path + "index.html" if path.endswith("/") else path


def test_every_list_page_is_fetched_once(world):
    pages = _list_pages(world["server"])
    for slug in SLUGS:
        assert len([p for p in pages if p[0] == host_of(slug)]) >= 3, slug     # each column spans pages
    fetched = Counter(_key(e) for e in world["log"] if e.method == "GET")
    assert {p: fetched[p] for p in pages} == {p: 1 for p in pages}
    # nothing list-like beyond them (no page=0 duplicate, no page past the end)
    api = {k for k in fetched if "/gkmlpt/api/" in k[1] or "/public/column/" in k[1] or "XxgkAnnualReport/index" in k[1]}
    assert api <= pages


def test_hostile_items_are_recorded_as_such(world):
    server, db = world["server"], world["db"]
    special = server.special_urls()
    soft = [u for u in special["soft_404"] if urlsplit(u).hostname in {host_of(s) for s in SLUGS}]
    dead = [u for u in special.get("dead", []) if urlsplit(u).hostname in {host_of(s) for s in SLUGS}]
    assert len(soft) == 2 and len(dead) == 1
    for url in soft:
        assert [r["error"] for r in rows(db, "SELECT error FROM captures WHERE url = ?", url)] == ["soft 404"]
    assert [(r["status"], r["error"]) for r in rows(db, "SELECT status, error FROM captures WHERE url = ?", dead[0])] \
        == [(404, "HTTP 404")]
    # 宣城's module lists other departments: archived with no agency, never as xuancheng_zjj's
    others = {r.url for r in server.reports() if r.agency.startswith("xuancheng_") and r.agency != "xuancheng_zjj"}
    assert len(others) == 6
    kept = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE agency IS NULL AND kind = 'report' "
                                       "AND body_sha256 IS NOT NULL")}
    assert others <= kept


# --- the families on the replica's pages ------------------------------------------------------------
def fetch(server, url: str) -> TextResponse:
    parts = urlsplit(url)
    answer = server.respond(Request("GET", url, parts.hostname, parts.path, parts.query, {}))
    assert answer.status == 200, url
    return TextResponse(url, body=answer.body, encoding="utf-8")


def family(slug: str):
    agency = get_agency(slug)
    return family_for(Column(agency.columns[0], agency.family, (agency,)))


def test_gkmlpt_pages_from_the_api_total(replica_session):
    fam = family("guangdong_zjt")
    site = next(s for s in replica_session.sites if s.host == "zfcxjst.gd.gov.cn")
    first = fetch(replica_session, get_agency("guangdong_zjt").columns[0])
    n = math.ceil(len(site.articles) / 100)
    assert fam.next_pages(first) == [f"http://zfcxjst.gd.gov.cn/gkmlpt/api/all/1428?page={k}&sid=200016"
                                     for k in range(2, n + 1)]
    assert len(fam.list_entries(first)) == 100
    assert fam.next_pages(fetch(replica_session, fam.next_pages(first)[0])) == []      # only page 1 says
    index = fetch(replica_session, "http://www.fogang.gov.cn/gkmlpt/index")
    assert family("fugang_zjj").next_pages(index) == ["http://www.fogang.gov.cn/gkmlpt/api/all/2207?page=1&sid=763021"]
    wrong = fetch(replica_session, "http://zfcxjst.gd.gov.cn/gkmlpt/api/all/1428?page=1&sid=1")
    assert fam.list_entries(wrong) == [] and fam.next_pages(wrong) == []


def test_lonsun_pages_from_the_script_pager(replica_session):
    fam = family("huoshan_zjj")
    first = fetch(replica_session, get_agency("huoshan_zjj").columns[0])
    assert "pageIndex=2" not in first.text.split("Ls.pageInfo")[0]      # no pager links: the script draws them
    pages = fam.next_pages(first)
    assert pages and pages[0] == get_agency("huoshan_zjj").columns[0] + "&pageIndex=2"
    assert fam.next_pages(fetch(replica_session, pages[-1])) == []
    module = family("xuancheng_zjj").next_pages(fetch(replica_session, get_agency("xuancheng_zjj").columns[0]))
    assert module and all(u.startswith("http://www.xuancheng.gov.cn/XxgkAnnualReport/index.html?pageIndex=") for u in module)
