"""The small platform families (VSB 博达, the UUID .shtml platform, Henan's, Harbin's) end to end: the
session's main job (tests/conftest.py crawled_archive: one crawl of every agency the replica serves,
theirs included, through the real engine, then one extraction pass) and its replica's request log
(crawled_log, cut to these agencies' hosts), then: every report the replica holds for them archived
(page and attachments) and extracted equal to its ground truth; every list page of every column fetched
once (the pagination followed to the end, nothing twice); no request from their pages outside the
agencies' allowed domains (the replica's log); the hostile items (soft 404, dead link) not taken for
reports. Plus the families' pagination on the replica's own list pages.

Truth: the replica's ground truth (server.truth()), its list pages (the sites' render()) and specials."""
from __future__ import annotations

import sqlite3
from collections import Counter
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.families import family_for
from crawler.registry import agencies, columns_of
from conftest import off_their_domains
from tests.test_crawl import rows

FAMILIES = {
    "vsb": ["mengzi_zjj", "meishan_zjj"],
    "uuid_shtml": ["ganxian_zjj", "hainan_zjt"],
    "henan": ["anyangxian_zjj", "henan_zjt"],
    "hrb": ["mulan_zjj", "songbei_zjj"],
}
SLUGS = [s for slugs in FAMILIES.values() for s in slugs]


@pytest.fixture(scope="module")
def world(crawled_archive, crawled_log, replica_session):
    """The main job's archive, its request log on these agencies' hosts (and the whole log), and
    replica_session (the same corpus) for the truth."""
    hosts = {d for s in SLUGS for d in agencies()[s].allowed_domains}
    return {"server": replica_session, "db": crawled_archive, "hosts": hosts, "all_log": crawled_log,
            "log": [e for e in crawled_log if e.host in hosts]}


def site_of(server, slug):
    return server.site_for(slug)


def test_the_agencies_are_on_their_families():
    reg = agencies()
    for family, slugs in FAMILIES.items():
        for slug in slugs:
            assert reg[slug].family == family and reg[slug].crawlable, slug


def test_every_report_is_archived_with_its_attachments(world):
    server, db = world["server"], world["db"]
    for slug in SLUGS:
        want = set(server.urls(slug))
        assert 4 <= len(want) <= 6, slug
        got = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE agency = ? AND kind = 'report' AND "
                                          "status = 200 AND error IS NULL", slug)}
        assert want <= got, (slug, sorted(want - got))
    attachments = {u for t in server.truth() if t["agency"] in SLUGS for u in t["attachment_urls"]}
    assert attachments
    held = {r["url"] for r in rows(db, "SELECT url FROM captures WHERE kind = 'attachment' AND status = 200")}
    assert attachments <= held, sorted(attachments - held)
    runs = rows(db, "SELECT agency, status, failure FROM runs WHERE kind = 'crawl'")
    assert {r["agency"]: r["status"] for r in runs if r["agency"] in SLUGS} == {s: "ok" for s in SLUGS}, runs


def test_the_extractor_reads_the_true_figures(world):
    from tests.test_e2e import archived_result
    from tests.test_extract_replica import differences
    truths = [t for t in world["server"].truth() if t["agency"] in SLUGS]
    assert {t["agency"] for t in truths} == set(SLUGS)
    conn = sqlite3.connect(world["db"])
    problems = {}
    for t in truths:
        got = archived_result(conn, t["agency"], t["year"])
        diff = ["not in the archive"] if got is None else differences(got, t)
        if diff:
            problems[t["url"]] = diff
    assert not problems, problems
    # no report beyond the truth's on their sites (the hostile items, the other pages)
    urls = [u for (u,) in conn.execute("SELECT url FROM reports")]
    assert len([u for u in urls if urlsplit(u).hostname in world["hosts"]]) == len(truths)


def test_every_list_page_is_fetched_once(world):
    server = world["server"]
    got = Counter(e.url for e in world["log"] if e.method == "GET")
    twice = [u for u, n in got.items() if n > 1]
    assert twice == []
    for slug in SLUGS:
        site = site_of(server, slug)
        lists = {k for k in site.render() if k[0] in site.hosts and is_list(site, k[1])}
        fetched = {(e.host, list_key(site, e)) for e in world["log"]}
        assert len(lists) >= 3 and lists <= fetched, (slug, sorted(lists - fetched))


def test_no_request_leaves_the_allowed_domains(world):
    log = world["log"]
    assert len(log) >= 10 * len(SLUGS)
    assert not off_their_domains(world["all_log"], world["hosts"])
    assert not set(world["server"].special_urls().get("offsite", [])) & {e.url for e in world["all_log"]}


def test_hostile_items_are_not_reports(world):
    db, specials = world["db"], world["server"].special_urls()
    hostile = {u for kind in ("soft_404", "dead") for u in specials.get(kind, [])
               if any(h in u for s in SLUGS for h in site_of(world["server"], s).hosts)}
    assert hostile
    fetched = {e.url for e in world["log"]}
    assert hostile <= fetched                      # listed with a report title: the spider tried them
    stored = {r["url"] for r in rows(db, "SELECT url FROM reports")}
    assert stored and not hostile & stored


# --- which replica resources are list pages -------------------------------------------------------
def is_list(site, path: str) -> bool:
    family = site.family
    if family == "vsb":
        return path.startswith(("/xxgk/zfxxgkndbg", "/xxgk/xxgk_list.jsp"))
    if family == "uuid_shtml":
        name = path.rsplit("/", 1)[-1]
        return path.startswith(site.column_dir) and name.startswith(site.first_page)
    if family == "henan":
        return path.startswith(site.column_dir + "index")
    if family == "hrb":
        return path.startswith(f"{site.site_dir}/{site.list_folder}/zfxxgklby_nb")
    raise AssertionError(family)


def list_key(site, entry) -> str:
    """The resource key a logged request was answered from (query-addressed pages included)."""
    from replica.sites.base import Request as SiteRequest
    path, _, query = entry.path.partition("?")
    key = site.resource_key(SiteRequest(entry.method, entry.url, entry.host, path, query, {}))
    return key[1] if key else path


# --- the families on the replica's pages ---------------------------------------------------------
def page(server, url: str) -> HtmlResponse:
    from replica.sites.base import Request as SiteRequest
    from urllib.parse import urlsplit
    u = urlsplit(url)
    resp = server.respond(SiteRequest("GET", url, u.hostname, u.path, u.query, {}))
    assert resp.status == 200, url
    return HtmlResponse(url, body=resp.body, encoding="utf-8", request=Request(url))


@pytest.mark.parametrize("slug", SLUGS)
def test_the_family_names_every_further_page(replica_session, slug):
    """From the column page alone the family names every other list page of the column."""
    column = columns_of([slug])[0]
    fam = family_for(column)
    site = site_of(replica_session, slug)
    lists = {k[1] for k in site.render() if k[0] in site.hosts and is_list(site, k[1])}
    named = fam.next_pages(page(replica_session, column.url))
    keys = {list_key(site, _Logged(u)) for u in named} | {list_key(site, _Logged(column.url))}
    assert keys == lists, (sorted(lists - keys), sorted(keys - lists))
    for url in named:
        page(replica_session, url)   # each one is served


class _Logged:
    """A URL in the shape of a replica log entry (for list_key)."""
    def __init__(self, url: str):
        from urllib.parse import urlsplit
        u = urlsplit(url)
        self.method, self.url, self.host = "GET", url, u.hostname
        self.path = u.path + ("?" + u.query if u.query else "")
