"""The generic family (an unknown CMS) through the real engine against generated replica sites
(replica/sites/generated.py, fixed seed): from the home page or the 信息公开 entry alone it finds every
report of the truth, archives it, and the extractor reads the true figures; no request leaves the
sites' hosts (the replica's log); the column found is stored and the next run starts there (fewer
requests, the same reports), and a stored column that lists nothing sends it back to discovery. Plus
the pagination patterns on hand-written HTML.

Truth: the generated sites' own reports (server.truth(), server.urls()), their hosts and column URLs."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from scrapy.http import HtmlResponse, Request

from crawler.families.generic import Generic, page_links
from crawler.registry import Agency, Column
from replica.sites.generated import generate_sites, registry_entries
from tests.test_crawl import rows

ROOT = Path(__file__).resolve().parents[1]
TEST_SEED = 7          # bench/generic.py uses another seed
SITES = generate_sites(8, seed=TEST_SEED, first=10)


def crawl(server, db, registry, *slugs):
    env = dict(os.environ, http_proxy=server.proxy_url, https_proxy=server.proxy_url, NIANBAO_REGISTRY=str(registry))
    env.pop("NIANBAO_DB", None)
    start = time.time()
    p = subprocess.run([sys.executable, "-m", "crawler.run", *slugs, "--db", str(db), "--no-polite",
                        "--log-level", "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout + p.stderr
    return [e for e in server.log if e.time >= start]


MOVED = SITES[0]         # its stored column is made to point at a page with no report before the second run


@pytest.fixture(scope="module")
def world(replica_corpus, tmp_path_factory):
    """Two crawls of the eight generated sites, the extraction pass between them, one shared server.
    Before the second, MOVED's stored column is replaced by a page listing no report (as if the site
    had moved its column)."""
    from replica.server import ReplicaServer
    tmp = tmp_path_factory.mktemp("generic")
    registry = tmp / "agencies.yaml"
    registry.write_text(yaml.safe_dump(registry_entries(SITES), allow_unicode=True), encoding="utf-8")
    db = tmp / "a.db"
    slugs = [s.layout.slug for s in SITES]
    with ReplicaServer(replica_corpus, extra_sites=SITES) as server:
        first = crawl(server, db, registry, *slugs)
        env = dict(os.environ, NIANBAO_REGISTRY=str(registry))
        env.pop("NIANBAO_DB", None)
        subprocess.run([sys.executable, "-m", "archive.extract.run", "--db", str(db)], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=240)
        stored = rows(db, "SELECT * FROM discovered_columns ORDER BY rowid")
        con = sqlite3.connect(db)
        with con:
            con.execute("INSERT INTO discovered_columns (agency, url, how, found_at, run_id, start_url) "
                        "VALUES (?, ?, 'test: a page with no report', ?, NULL, ?)",
                        [MOVED.layout.slug, f"http://{MOVED.host}/jggk/",
                         datetime.now(timezone.utc).isoformat(timespec="seconds"), MOVED.start_url])
        con.close()
        second = crawl(server, db, registry, *slugs)
        yield {"server": server, "db": db, "registry": registry, "first": first, "second": second, "slugs": slugs,
               "stored": stored}


def test_the_layouts_cover_every_feature():
    """The fixed seed's eight sites hold every value of every layout feature (else the crawl proves less)."""
    from replica.sites import generated
    seen = {k: {s.layout.features()[k] for s in SITES} for k in SITES[0].layout.features()}
    assert seen["pagination"] == set(generated.PAGINATIONS)
    assert seen["links"] == set(generated.LINKS)
    assert seen["markup"] == set(generated.MARKUPS) and seen["encoding"] == set(generated.ENCODINGS)
    assert seen["depth"] == {"1", "2", "3"} and seen["start"] == {"home", "section"}
    assert seen["column"] == {"flat", "by_year"}


def test_every_report_is_found_and_archived(world):
    server, db = world["server"], world["db"]
    for site in SITES:
        slug = site.layout.slug
        want = set(server.urls(slug))
        assert 3 <= len(want) <= 6
        got = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE agency = ? AND kind = 'report' AND "
                                          "body_sha256 IS NOT NULL AND error IS NULL", slug)}
        assert got == want, (slug, site.layout.features(), sorted(want - got))
    attachments = {u for t in server.truth() if t["agency"] in world["slugs"] for u in t["attachment_urls"]}
    assert attachments, "the seed gives at least one report a PDF copy"
    held = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE kind = 'attachment' AND body_sha256 IS NOT NULL")}
    assert attachments <= held
    runs = rows(db, "SELECT agency, status, reports_found, failure FROM runs WHERE kind = 'crawl'")
    assert len(runs) == 2 * len(SITES) and all(r["status"] == "ok" for r in runs), runs


def test_the_extractor_reads_the_true_figures(world):
    from archive.extract import meta
    from tests.test_e2e import archived_result
    from tests.test_extract_replica import differences
    truths = [t for t in world["server"].truth() if t["agency"] in world["slugs"]]
    old = os.environ.get("NIANBAO_REGISTRY")
    os.environ["NIANBAO_REGISTRY"] = str(world["registry"])
    meta.load_registry.cache_clear()
    try:
        conn = sqlite3.connect(world["db"])
        problems = {}
        for t in truths:
            got = archived_result(conn, t["agency"], t["year"])
            diff = ["not in the archive"] if got is None else differences(got, t)
            if diff:
                problems[t["url"]] = diff
    finally:
        if old is None:
            os.environ.pop("NIANBAO_REGISTRY")
        else:
            os.environ["NIANBAO_REGISTRY"] = old
        meta.load_registry.cache_clear()
    assert not problems, problems
    assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == len(truths)


def test_no_request_leaves_the_sites_hosts(world):
    hosts = {s.host for s in SITES}
    log = world["first"] + world["second"]
    assert len(log) > 50
    assert {e.host for e in log} == hosts, {e.url for e in log if e.host not in hosts}
    offsite = set(world["server"].special_urls()["offsite"])
    assert not offsite & {e.url for e in log}


def test_the_column_found_is_stored_and_the_next_run_starts_there(world):
    db = world["db"]
    stored = {r["agency"]: r for r in world["stored"]}
    assert len(world["stored"]) == len(SITES) and set(stored) == set(world["slugs"])
    first_run = {r["agency"]: r["id"] for r in rows(db, "SELECT agency, min(id) AS id FROM runs GROUP BY agency")}
    for site in SITES:
        row = stored[site.layout.slug]
        assert row["url"] == site.list_url(0), (site.layout.features(), row)      # the column's first page
        assert row["start_url"] == site.start_url and row["run_id"] == first_run[site.layout.slug]
        assert row["how"] and row["found_at"]
    # the second run starts at the stored columns: no start page, no section page, no noise page
    others = [s for s in SITES if s is not MOVED]
    first = [e for e in world["first"] if e.host != MOVED.host]
    second = [e for e in world["second"] if e.host != MOVED.host]
    first_urls, second_urls = {e.url for e in first}, {e.url for e in second}
    assert not {s.start_url for s in others} & second_urls
    assert {s.list_url(0) for s in others} <= second_urls
    assert len(second) < len(first) / 2
    nav = first_urls - {u for s in others for u in s.column_urls()} - {r.url for s in others for r in s.reports}
    assert nav and not nav & second_urls - {f"http://{s.host}/robots.txt" for s in others}
    runs = rows(db, "SELECT agency, reports_found FROM runs WHERE kind = 'crawl' ORDER BY id")
    by_agency: dict[str, list[int]] = {}
    for r in runs:
        by_agency.setdefault(r["agency"], []).append(r["reports_found"])
    assert all(a == b for a, b in by_agency.values()), by_agency
    # the second run stored nothing new for them (the same column)
    now = rows(db, "SELECT agency FROM discovered_columns WHERE agency != ?", MOVED.layout.slug)
    assert len(now) == len(others)


def test_a_stored_column_that_lists_nothing_sends_the_run_back_to_discovery(world):
    """MOVED's stored column pointed at a page with no report: the second run started there, went back
    to discovery from the start page, found every report, and stored the true column anew."""
    db, site = world["db"], MOVED
    log = {e.url for e in world["second"] if e.host == site.host}
    assert f"http://{site.host}/jggk/" in log and site.start_url in log
    run = rows(db, "SELECT * FROM runs WHERE agency = ? ORDER BY id DESC LIMIT 1", site.layout.slug)[0]
    assert run["reports_found"] == len(site.reports) and run["status"] == "ok", run
    latest = rows(db, "SELECT url, how FROM discovered_columns WHERE agency = ? ORDER BY rowid DESC", site.layout.slug)
    assert len(latest) == 3 and latest[0]["url"] == site.list_url(0), latest


# -- the patterns on hand-written HTML ------------------------------------------------------------
HOST = "zjj.example.gov.cn"
REPORT = '<li><a href="/c/t1.html">某市住房和城乡建设局2023年政府信息公开工作年度报告</a></li>'


def family(start: str = f"http://{HOST}/") -> Generic:
    agency = Agency(slug="x_zjj", name="某市住房和城乡建设局", family="generic", columns=(start,), allowed_domains=(HOST,))
    return Generic(Column(start, "generic", (agency,)))


def response(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url, body=f"<html><body>{body}</body></html>".encode(), encoding="utf-8",
                        request=Request(url))


def pages(body: str, url: str = f"http://{HOST}/nb/") -> list[str]:
    return family(url).next_pages(response(url, REPORT + body))


def test_next_and_last_links():
    got = pages('<a href="page_2.html">下一页</a> <a href="page_7.html">尾页</a>')
    assert set(got) >= {f"http://{HOST}/nb/page_2.html", f"http://{HOST}/nb/page_7.html"}


def test_numbered_links_fill_the_range_to_the_last():
    got = pages('<a href="index_2.html">2</a> <a href="index_3.html">3</a> <a href="index_6.html">尾页</a>')
    assert sorted(got) == sorted([f"http://{HOST}/nb/index_{n}.html" for n in range(2, 7)])
    got = pages('<a href="index-2.shtml">2</a> <a href="index-4.shtml">末页</a>', f"http://{HOST}/nb/index.shtml")
    assert sorted(got) == sorted([f"http://{HOST}/nb/index-{n}.shtml" for n in (2, 3, 4)])


def test_create_page_html_is_trs_numbering():
    got = pages('<script>createPageHTML(4, 0, "index", "shtml");</script>')
    assert sorted(got) == sorted([f"http://{HOST}/nb/index_{n}.shtml" for n in (1, 2, 3)])


def test_query_pages():
    url = f"http://{HOST}/nb/list.jsp?cid=5"
    got = pages('<a href="list.jsp?cid=5&pageNo=2">2</a> <a href="list.jsp?cid=5&pageNo=4">尾页</a>', url)
    assert sorted(got) == sorted([f"http://{HOST}/nb/list.jsp?cid=5&pageNo={n}" for n in (2, 3, 4)])


def test_a_page_count_in_a_script():
    got = pages('<div id="p"></div><script>var pageCount = 3; var u = "list_" + i + ".html";</script>')
    assert sorted(got) == sorted([f"http://{HOST}/nb/list_1.html", f"http://{HOST}/nb/list_2.html"])
    got = pages('<script>var totalPage = 3;</script>', f"http://{HOST}/nb/index.html")   # no template: TRS
    assert sorted(got) == sorted([f"http://{HOST}/nb/index_1.html", f"http://{HOST}/nb/index_2.html"])
    got = pages('<script>var totalPage = 3; go("?page=" + n);</script>', f"http://{HOST}/nb/list.jsp")
    assert sorted(got) == sorted([f"http://{HOST}/nb/list.jsp?page=2", f"http://{HOST}/nb/list.jsp?page=3"])


def test_script_links_are_read():
    body = ('<a href="javascript:void(0)" onclick="window.open(\'/c/t2.html\')">甲</a>'
            '<li data-href="./t3.html">乙</li><a href="javascript:;">丙</a>')
    links = page_links(response(f"http://{HOST}/c/", body))
    assert ("甲", f"http://{HOST}/c/t2.html") in links and ("乙", f"http://{HOST}/c/t3.html") in links
    assert not any(t == "丙" for t, _ in links)


def test_navigation_is_bounded_and_stays_on_the_host():
    fam = family()
    home = response(f"http://{HOST}/", "".join(
        [f'<a href="/s{i}/">政务公开{i}</a>' for i in range(50)]
        + ['<a href="http://www.example.gov.cn/nb/">政府信息公开年报</a>', '<a href="/xxgkzn/">政府信息公开指南</a>',
           '<a href="/news/">新闻动态</a>']))
    got = fam.next_pages(home)
    assert len(got) == fam.max_nav_pages
    assert all(u.startswith(f"http://{HOST}/s") for u in got)
    # a strong lead (年报) goes first and holds the weak ones back
    fam = family()
    got = fam.next_pages(response(f"http://{HOST}/", '<a href="/zwgk/">政务公开</a><a href="/gknb/">年度报告</a>'))
    assert got == [f"http://{HOST}/gknb/"]
    got = fam.next_pages(response(f"http://{HOST}/gknb/", "<p>建设中</p>"))   # no report there: the weak ones go
    assert got == [f"http://{HOST}/zwgk/"]
