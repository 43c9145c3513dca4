"""The aggregated portal columns (design/nationwide.md §3) through the real engine against the replica:
the trs_years family on the Shiyan, Anshun and Dongcheng portals (a root column, one sub-column per
year, every department's reports) and the plain trs family on the Chongqing district template
(Jiulongpo, Rongchang). The session's main job (tests/conftest.py crawled_archive: one crawl of every
agency the replica serves, these five included, then one extraction pass) and its replica's request log
(crawled_log, cut to these sites' hosts); truth from the replica's generator (server.truth()), never from
the code under test."""
from __future__ import annotations

import re
import sqlite3
from collections import Counter
from urllib.parse import urlsplit

import pytest

from conftest import off_their_domains
from crawler.families import family_for
from crawler.families.trs_years import TrsYears, year_pattern
from crawler.registry import Column, agencies
from tests.test_crawl import rows
from tests.test_e2e import archived_result
from tests.test_extract_replica import differences

SLUGS = ["shiyan_zjj", "anshun_zjj", "dongcheng_zjw", "jiulongpo_zjw", "rongchang_zjw"]
HOSTS = {"shiyan.gov.cn", "www.anshun.gov.cn", "www.bjdch.gov.cn", "cqjlp.gov.cn", "rongchang.gov.cn"}
LIST_PAGE = re.compile(r"/index(?:_\d+)?\.s?html$")


@pytest.fixture(scope="module")
def crawled(crawled_archive, crawled_log, replica_session):
    """replica_session (the same corpus as the main job's replica), the main job's archive, its request log
    on these agencies' hosts, and the whole log."""
    hosts = {d for s in SLUGS for d in agencies()[s].allowed_domains}
    return replica_session, crawled_archive, [e for e in crawled_log if e.host in hosts], crawled_log


def mine(server) -> list[dict]:
    return [t for t in server.truth() if urlsplit(t["url"]).hostname in HOSTS]


def test_every_report_is_archived_and_extracted_equal_to_truth(crawled):
    server, db, _, _ = crawled
    truths = [t for t in mine(server) if t["agency"] in SLUGS]
    assert {t["agency"] for t in truths} == set(SLUGS)
    assert {t["stats_in"] for t in truths} == {"page", "pdf", "docx"}    # attachment-only reports too
    conn = sqlite3.connect(db)
    problems = {}
    for t in truths:
        got = archived_result(conn, t["agency"], t["year"])
        diff = ["not in the archive"] if got is None else differences(got, t)
        if got is not None and got["url"] != t["url"]:
            diff.append(f"url {got['url']} != {t['url']}")
        if diff:
            problems[t["url"]] = diff
    assert not problems, "\n".join(f"{u}: {'; '.join(d)}" for u, d in sorted(problems.items()))
    # no report beyond the truth's on their sites (other departments', the hostile items)
    urls = [u for (u,) in conn.execute("SELECT url FROM reports")]
    assert len([u for u in urls if urlsplit(u).hostname in HOSTS]) == len(truths)
    # the extraction pass met no error on their captures
    extracted = conn.execute("SELECT c.url, e.status, e.error FROM extractions e JOIN captures c "
                             "ON c.id = e.capture_id").fetchall()
    theirs = [x for x in extracted if urlsplit(x[0]).hostname in HOSTS]
    assert len(theirs) >= len(truths) and not [x for x in theirs if x[1] == "error"]
    runs = rows(db, "SELECT agency, status FROM runs WHERE kind = 'crawl'")
    assert {r["agency"]: r["status"] for r in runs if r["agency"] in SLUGS} == {s: "ok" for s in SLUGS}


def test_other_departments_reports_are_archived_unattributed(crawled):
    """The portals list every city/district department's reports: those of departments the registry
    does not know are archived with no agency, never given to the registry agency of the column."""
    server, db, _, _ = crawled
    others = [t for t in mine(server) if t["agency"] not in agencies()]
    assert {t["agency"] for t in others} == {"shiyan_fgw", "shiyan_jyj", "anshun_fgw", "dongcheng_jw", "dongcheng_wjw"}
    caps = {r["url"]: r["agency"] for r in rows(db, "SELECT url, agency FROM captures WHERE kind = 'report' "
                                                    "AND body_sha256 IS NOT NULL AND error IS NULL")}
    for t in others:
        assert t["url"] in caps, t["url"]
        assert caps[t["url"]] is None, (t["url"], caps[t["url"]])
    in_reports = {r["url"] for r in rows(db, "SELECT url FROM reports")}
    assert not in_reports & {t["url"] for t in others}


def test_no_request_outside_the_allowed_domains(crawled):
    server, _, log, all_log = crawled
    allowed = {d for s in SLUGS for d in agencies()[s].allowed_domains}
    assert log and not off_their_domains(all_log, allowed)
    offsite = {u for s in SLUGS for u in server.site_for(s).specials.get("offsite", [])}
    assert offsite and not {e.url for e in all_log} & offsite
    # Dongcheng's sibling sub-columns of each year (区政府, 街道) do not match the pattern: never asked for
    siblings = server.site_for("dongcheng_zjw").specials["not_followed"]
    assert siblings and not [e.url for e in log if any(e.url.startswith(s) for s in siblings)]


def test_every_list_page_is_fetched_once(crawled):
    """Each year sub-column and each of its pages (pagination followed) fetched exactly once, the
    root included; no page of any kind fetched twice."""
    server, _, log, _ = crawled
    gets = [e for e in log if e.method == "GET" and e.path != "/robots.txt"]
    assert [u for u, n in Counter(e.url for e in gets).items() if n > 1] == []
    fetched = Counter()
    for e in gets:
        path = e.path + ("index.shtml" if e.host == "shiyan.gov.cn" else "index.html") if e.path.endswith("/") else e.path
        fetched[(e.host, path)] += 1
    served = {k for k in server._resources if k[0] in HOSTS and LIST_PAGE.search(k[1])}
    assert len(served) >= 30 and any("index_1." in p for _, p in served)
    assert {k: fetched[k] for k in served} == {k: 1 for k in served}
    for host in ("shiyan.gov.cn", "www.anshun.gov.cn", "www.bjdch.gov.cn"):
        years = {p.split("/")[3] for h, p in served if h == host and p.count("/") > 3}
        assert len(years) >= 4, (host, years)          # several year sub-columns, each found
    # pagination matters: on every site some registry agency's report is listed only past page 1
    later = b"".join(server._resources[k].body for k in served if "index_" in k[1])
    for slug in SLUGS:
        assert any("/".join(r.url.rsplit("/", 2)[-2:]).encode() in later for r in server.reports(slug)), slug


def test_hostile_items(crawled):
    """Soft 404s and dead items are listed, fetched, and never become reports."""
    server, db, log, _ = crawled
    specials = [u for s in SLUGS for k in ("soft_404", "dead") for u in server.site_for(s).specials.get(k, [])]
    assert len(specials) >= 4
    status = {e.url: e.status for e in log}
    assert all(u in status for u in specials)
    assert not {r["url"] for r in rows(db, "SELECT url FROM reports")} & set(specials)


# ----------------------------------------------------------------------- the family by itself
def column(url: str, **years) -> Column:
    a = agencies()["shiyan_zjj"]
    from dataclasses import replace
    return Column(url, "trs_years", (replace(a, columns=(url,), extra={"years": years}),))


def test_year_pattern_grammar():
    rx = year_pattern("{YYYY}_{n}/", "shtml")
    assert rx.match("2022_98308/").group("year") == "2022"
    assert rx.match("2022_98308/index.shtml") and not rx.match("2022_98308/index_1.shtml")
    assert not rx.match("2022_/") and not rx.match("22_98308/") and not rx.match("2022_98308/202301/t1.shtml")
    rx = year_pattern("{YYYY}nb/dcqzfbm{YYYY}/")
    assert rx.match("2025nb/dcqzfbm2025/") and not rx.match("2025nb/dcqzfbm2024/")
    assert not rx.match("2025nb/dcqjd2025/")
    with pytest.raises(ValueError):
        year_pattern("{YYYY}year")
    with pytest.raises(ValueError):
        year_pattern("nb/")


def test_year_columns_are_canonical_and_below_the_root():
    fam = family_for(column("http://shiyan.gov.cn/xxgk/xxgk_nb/", pattern="{YYYY}_{n}/", ext="shtml"))
    assert isinstance(fam, TrsYears)
    want = "http://shiyan.gov.cn/xxgk/xxgk_nb/2022_98308/index.shtml"
    assert fam.year_column("http://shiyan.gov.cn/xxgk/xxgk_nb/2022_98308/") == want
    assert fam.year_column(want) == want
    assert fam.year_column("http://shiyan.gov.cn/xxgk/other/2022_98308/") is None
    assert fam.year_column("http://www.shiyan.gov.cn/xxgk/xxgk_nb/2022_98308/") is None
    with pytest.raises(ValueError):
        family_for(column("http://shiyan.gov.cn/xxgk/xxgk_nb/"))
