"""The archive in Datasette: a real `datasette serve` subprocess on an archive, checked through its
JSON API against direct sqlite3 queries, plus the raw-capture download (the headless-Chromium walk
through the pages is tests/test_datasette_ui.py).

The archive is the session fixture `crawled_archive` (tests/conftest.py: the README's main job, a
real crawl + extraction of the replica web). The tests serve a snapshot copy named archive.db (the
metadata names the database `archive`), made the way docs/datasette.md says to publish one. A small
hand-built archive (`sample_archive`: the five seed reports and two template reports) serves the
live-serving test, which writes to its copy while Datasette serves it.
"""
from __future__ import annotations

import hashlib
import shutil
import json
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path

import markupsafe
import pytest
import yaml

from archive.datasette.publish import publish
from archive.db import open_db
from archive.keys import T3_COLS, T4_COLS, T4_ROWS, check_names, t3_rows
from archive.search import enable_search, search
from conftest import SEED_AGENCIES
from crawler.registry import agencies
from replica.content.seeds import SEED_DIR
from tests.datasette_server import METADATA, serve, stop
from tests.datasette_server import OPENER as _OPENER

SEEDS = SEED_DIR

# The seeds as the seeds README lists them: file -> (agency, report year). Independent truth.
SEED_REPORTS = {
    "hunan-zjt-2018.txt": ("hunan_zjt", 2018),
    "quzhou-zjj-2020.txt": ("quzhou_zjj", 2020),
    "guangxi-zjt-2017-mirror.txt": ("guangxi_zjt", 2017),
    "suizhou-zjw-2017.txt": ("suizhou_zjw", 2017),
    "xizang-zjt-2014.txt": ("xizang_zjt", 2014),
}


# ---------------------------------------------------------------- a small archive of our own

# Table 三 of the sample's template reports: {col: {row: value}}; unlisted cells are 0.
SAMPLE_T3 = {
    ("hunan_zjt", 2021): {
        "natural_person": {"new": 20, "carried_over": 2, "granted": 12, "partial": 3,
                           "refused.third_party": 1, "unable.not_held": 3,
                           "not_processed.duplicate": 1, "total": 20, "carried_forward": 2},
        "commercial": {"new": 5, "granted": 4, "unable.not_held": 1, "total": 5},
        "total": {"new": 25, "carried_over": 2, "granted": 16, "partial": 3,
                  "refused.third_party": 1, "unable.not_held": 4,
                  "not_processed.duplicate": 1, "total": 25, "carried_forward": 2},
    },
    # Inconsistent as published: 7 + 0 != 6 + 0 in the natural-person and total columns.
    ("quzhou_zjj", 2019): {
        "natural_person": {"new": 7, "granted": 5, "unable.not_held": 1, "total": 6},
        "total": {"new": 7, "granted": 5, "unable.not_held": 1, "total": 6},
    },
}
SAMPLE_T4 = {("hunan_zjt", 2021): {"review": {"upheld": 1, "total": 1},
                                   "litigation_direct": {"upheld": 1, "total": 1}},
             ("quzhou_zjj", 2019): {}}


# Loopback only: never through an http_proxy the environment may set for the replica web.


def _html(title: str, text: str, charset: str) -> bytes:
    paras = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
    page = (f'<html><head><meta charset="{charset}"><title>{title}</title></head>'
            f'<body><div class="article"><h1>{title}</h1><div class="TRS_Editor">{paras}'
            f"</div></div></body></html>")
    return page.encode(charset)


def build_sample_archive(path: Path) -> Path:
    """A realistic small archive: registry, two crawl runs and an extract run, list and report
    captures with raw bodies (one GB18030), revisits, the five seed reports (prose) and two
    template reports with tables 三 and 四, their checks and headline figures."""
    import opencc
    t2s = opencc.OpenCC("t2s")
    db = open_db(path)
    registry = {s: vars(agencies()[s]) for s in SEED_AGENCIES}
    db["agencies"].insert_all([{
        "slug": slug, "name": a["name"], "short_name": a.get("short_name"), "level": a["level"],
        "province": a["province"], "family": a["family"], "columns": json.dumps(a["columns"]),
        "allowed_domains": json.dumps(a["allowed_domains"])} for slug, a in registry.items()])

    run_ids = {}
    for n, (started, finished) in enumerate([("2026-11-19T02:00:00", "2026-11-19T02:04:10"),
                                             ("2026-11-20T02:00:00", "2026-11-20T02:03:02")], 1):
        for slug in registry:
            failing = n == 2 and slug == "suizhou_zjw"
            run_ids[n, slug] = db["runs"].insert({
                "batch": f"nightly-{n}", "kind": "crawl", "agency": slug, "started_at": started,
                "finished_at": finished, "finish_reason": "finished", "requests": 12,
                "responses": 11 if failing else 12, "pages_new": 6 if n == 1 else 0,
                "pages_changed": 0, "pages_unchanged": 0 if n == 1 else 6,
                "reports_found": 2, "errors": 1 if failing else 0,
                "status": "failing" if failing else "ok",
                "failure": "412 challenge not passed on list page" if failing else None,
                "stats": json.dumps({"downloader/request_count": 12}), "pid": 4242}).last_pk
    db["runs"].insert({"batch": "nightly-2", "kind": "extract", "started_at": "2026-11-20T02:05:00",
                       "finished_at": "2026-11-20T02:05:09", "status": "ok", "reports_found": 7,
                       "errors": 0})

    def capture(run, slug, url, kind, body: bytes | None, revisit_of=None, charset="utf-8"):
        sha = None
        if body is not None:
            sha = hashlib.sha256(body).hexdigest()
            db["bodies"].insert({"sha256": sha, "size": len(body), "content": body}, ignore=True)
        return db["captures"].insert({
            "run_id": run_ids[run, slug], "agency": slug, "url": url, "final_url": url,
            "method": "GET", "status": 200, "fetched_at": f"2026-11-{18 + run}T02:01:00",
            "headers": json.dumps({"Content-Type": f"text/html; charset={charset}"}),
            "content_type": "text/html", "encoding": charset, "fetch_mode": "http",
            "kind": kind, "body_sha256": sha, "size": len(body) if body else None,
            "revisit_of": revisit_of, "referer": registry[slug]["columns"][0]}).last_pk

    for slug, a in registry.items():
        col = a["columns"][0]
        body = _html(f"政府信息公开年报 - {a['name']}", f"{a['name']}政府信息公开工作年度报告", "utf-8")
        first = capture(1, slug, col, "list", body)
        capture(2, slug, col, "list", None, revisit_of=first)

    reports = []
    for n, (fname, (slug, year)) in enumerate(SEED_REPORTS.items()):
        original = (SEEDS / fname).read_text("utf-8")
        name = registry[slug]["name"]
        title = f"{name}{year}年政府信息公开工作年度报告"
        host = registry[slug]["allowed_domains"][0]
        url = f"http://{host}/xxgk/nb/{year + 1}03/t{year + 1}0322_{1000 + n}.html"
        charset = "gb18030" if slug == "xizang_zjt" else "utf-8"
        reports.append(dict(slug=slug, year=year, title=title, url=url, format="prose",
                            original=original, text=t2s.convert(original), charset=charset))
    for (slug, year), _ in SAMPLE_T3.items():
        name = registry[slug]["name"]
        host = registry[slug]["allowed_domains"][0]
        text = (f"{name}{year}年政府信息公开工作年度报告\n一、总体情况\n本年度依申请公开政府信息，"
                f"办理行政复议案件情况见表四。\n三、收到和处理政府信息公开申请情况")
        reports.append(dict(slug=slug, year=year, title=f"{name}{year}年政府信息公开工作年度报告",
                            url=f"http://{host}/xxgk/nb/{year + 1}0120/t{year + 1}0120_77{year}.html",
                            format="template2021" if year >= 2021 else "template2019",
                            original=text, text=text, charset="utf-8"))

    for r in reports:
        body = _html(r["title"], r["original"], r["charset"])
        cap = capture(1, r["slug"], r["url"], "report", body, charset=r["charset"])
        capture(2, r["slug"], r["url"], "report", None, revisit_of=cap, charset=r["charset"])
        rid = db["reports"].insert({
            "agency": r["slug"], "year": r["year"], "title": r["title"],
            "published": f"{r['year'] + 1}-03-22", "format": r["format"], "url": r["url"],
            "capture_id": cap, "text": r["text"], "original_text": r["original"],
            "extractor_version": "0.1", "extracted_at": "2026-11-20T02:05:05"}).last_pk
        db["extractions"].insert({"capture_id": cap, "extractor_version": "0.1", "status": "ok",
                                  "report_id": rid, "extracted_at": "2026-11-20T02:05:05"})
        r["id"], r["capture_id"] = rid, cap
        if (r["slug"], r["year"]) in SAMPLE_T3:
            _insert_template_stats(db, r, SAMPLE_T3[r["slug"], r["year"]],
                                   SAMPLE_T4[r["slug"], r["year"]])
        else:
            db["report_stats"].insert({"report_id": rid, "table_name": "summary",
                                       "row_key": "review_total", "col_key": "value",
                                       "label": "没有因政府信息公开申请行政复议", "value": 0,
                                       "source": "prose", "capture_id": cap})
    enable_search(db)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path


def _insert_template_stats(db, r, t3, t4) -> None:
    template = 2021 if r["format"] == "template2021" else 2019
    stats = []
    for row in t3_rows(template):
        for col in T3_COLS:
            stats.append(("3", row, col, t3.get(col, {}).get(row, 0)))
    for row in T4_ROWS:
        for col in T4_COLS:
            stats.append(("4", row, col, t4.get(row, {}).get(col, 0)))
    tot = t3["total"]
    headline = {"applications_new": tot["new"], "applications_carried_over": tot.get("carried_over", 0),
                "granted": tot["granted"], "partially_granted": tot.get("partial", 0),
                "handled_total": tot["total"], "carried_forward": tot.get("carried_forward", 0),
                "review_total": t4.get("review", {}).get("total", 0)}
    stats += [("summary", k, "value", v) for k, v in headline.items()]
    db["report_stats"].insert_all([{
        "report_id": r["id"], "table_name": t, "row_key": row, "col_key": col, "label": row,
        "value": v, "unit": "件", "source": "table[0]", "capture_id": r["capture_id"],
        "extractor_version": "0.1"} for t, row, col, v in stats])
    checks = []
    for name in check_names(template):
        passed = True
        if name.startswith("t3.balance."):
            c = t3.get(name.rsplit(".", 1)[1], {})
            passed = c.get("new", 0) + c.get("carried_over", 0) == c.get("total", 0) + c.get("carried_forward", 0)
        checks.append({"report_id": r["id"], "check_name": name, "passed": int(passed),
                       "detail": "" if passed else "new + carried_over != total + carried_forward",
                       "extractor_version": "0.1"})
    db["report_checks"].insert_all(checks)


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory) -> Path:
    return build_sample_archive(tmp_path_factory.mktemp("sample") / "sample.db")


@pytest.fixture(scope="session")
def source_archive(crawled_archive) -> Path:
    """The README's main job run for real (tests/conftest.py)."""
    return Path(crawled_archive)


@pytest.fixture(scope="session")
def archive_db(source_archive, tmp_path_factory) -> Path:
    """A snapshot published as docs/datasette.md says, served with -i."""
    return publish(source_archive, tmp_path_factory.mktemp("publish") / "archive.db")


@pytest.fixture(scope="session")
def datasette_url(archive_db):
    proc, base = serve(archive_db)
    yield base
    stop(proc)


def get(base: str, path: str, **params):
    """GET a URL; return (status, headers, body bytes). Never follows to a different host."""
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with _OPENER.open(url, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def rows(base: str, path: str, **params) -> list[dict]:
    """All rows of a table/view/canned query as dicts, following Datasette's pagination."""
    params = {"_shape": "objects", "_size": "max", **params}
    out = []
    while True:
        status, _, body = get(base, path + ".json", **params)
        assert status == 200, body[:500]
        data = json.loads(body)
        out += data["rows"]
        if not data.get("next"):
            return out
        params["_next"] = data["next"]


def sql(db_path: Path, query: str, params=()) -> list[dict]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(query, params)]


def ids_containing(db_path: Path, term: str) -> set[int]:
    """Reports whose title or text contains term: an independent Python substring scan."""
    return {r["id"] for r in sql(db_path, "select id, title, text from reports")
            if term in (r["title"] or "") or term in (r["text"] or "")}


# ---------------------------------------------------------------- tests


def test_metadata_describes_every_visible_table_and_column(archive_db):
    meta = yaml.safe_load(METADATA.read_text("utf-8"))
    tables = meta["databases"]["archive"]["tables"]
    names = [r["name"] for r in sql(archive_db, "select name from sqlite_master "
                                                "where type in ('table', 'view') and name not like 'reports_fts%'"
                                                " and name not like 'sqlite_%'")]
    missing = []
    for name in names:
        t = tables.get(name)
        if t is None or not t.get("description"):
            missing.append(name)
            continue
        if t.get("hidden"):
            continue
        cols = [r["name"] for r in sql(archive_db, f"select name from pragma_table_info('{name}')")]
        described = t.get("columns") or {}
        missing += [f"{name}.{c}" for c in cols if not described.get(c)]
    assert not missing, f"undescribed: {missing}"


def test_bodies_hidden_and_metadata_served(datasette_url):
    status, _, body = get(datasette_url, "/archive.json")
    assert status == 200
    tables = {t["name"]: t for t in json.loads(body)["tables"]}
    assert tables["bodies"]["hidden"] is True
    assert tables["reports"]["hidden"] is False
    assert tables["reports"]["fts_table"] == "reports_fts"
    status, _, body = get(datasette_url, "/-/metadata.json")
    assert "政府信息公开" in json.loads(body)["title"]


def test_summary_facets_match_sql(datasette_url, archive_db):
    status, _, body = get(datasette_url, "/archive/report_summary.json", _size="0")
    assert status == 200
    facets = json.loads(body)["facet_results"]
    assert {"agency_name", "province", "level", "year", "format"} <= set(facets)
    for column in ("province", "year", "format"):
        got = {f["value"]: f["count"] for f in facets[column]["results"]}
        want = {r["v"]: r["n"] for r in sql(
            archive_db, f"select a.{column} as v, count(*) as n from reports r "
                        f"left join agencies a on a.slug = r.agency group by v"
            if column == "province" else
            f"select {column} as v, count(*) as n from reports group by v")}
        assert got == want, column


def test_fts_search_four_characters(datasette_url, archive_db):
    term = "行政复议"
    want = ids_containing(archive_db, term)
    assert want, "the archive should hold reports mentioning 行政复议"
    got = {r["id"] for r in rows(datasette_url, "/archive/reports", _search=term, _col="id")}
    assert got == want
    # the canned query gives the best 100 matches (metadata.yml: `limit 100`)
    got = {r["report_id"] for r in rows(datasette_url, "/archive/search_text", q=term)}
    assert got <= want and len(got) == min(100, len(want))
    # the summary view searches the same index
    got = {r["id"] for r in rows(datasette_url, "/archive/report_summary", _search=term)}
    assert got == want


def test_short_term_needs_search_short(datasette_url, archive_db):
    term = "复议"
    want = ids_containing(archive_db, term)
    assert want
    # trigram FTS cannot see two characters: this is why search_short exists
    assert rows(datasette_url, "/archive/reports", _search=term) == []
    got = rows(datasette_url, "/archive/search_short", q=term)
    assert {r["report_id"] for r in got} == want
    assert all(term in r["passage"] for r in got if term not in (r["title"] or ""))
    # LIKE wildcards in the term are taken literally
    for wildcard in ("%", "_"):
        got = {r["report_id"] for r in rows(datasette_url, "/archive/search_short", q=wildcard)}
        assert got == ids_containing(archive_db, wildcard)


def test_seed_reports_found_by_search(datasette_url, archive_db):
    # each seed found by a phrase its text prints (the search keeps the best 100: the archive holds
    # hundreds of 住房和城乡建设 reports, so a phrase naming one agency)
    phrases = {"hunan-zjt-2018.txt": "湖南省住房和城乡建设厅", "xizang-zjt-2014.txt": "西藏自治区住房和城乡建设厅",
               "quzhou-zjj-2020.txt": "衢州市住房和城乡建设局"}
    for fname, phrase in phrases.items():
        assert phrase in (SEEDS / fname).read_text("utf-8"), fname
        found = {(r["agency"], r["year"]) for r in rows(datasette_url, "/archive/search_text", q=phrase)}
        assert SEED_REPORTS[fname] in found, fname


def test_summary_by_agency_year(datasette_url, archive_db):
    got = rows(datasette_url, "/archive/summary_by_agency_year", agency="")
    want = sql(archive_db, "select agency, year, id from reports order by agency, year")
    assert [(r["agency"], r["year"], r["report_id"]) for r in got] == \
           [(r["agency"], r["year"], r["id"]) for r in want][:100]     # empty agency: the first 100 lines
    one = rows(datasette_url, "/archive/summary_by_agency_year", agency="hunan_zjt")
    assert {r["agency"] for r in one} == {"hunan_zjt"} and len(one) == sum(
        1 for r in want if r["agency"] == "hunan_zjt")
    # headline figures as stored
    figures = {(r["report_id"]): r["value"] for r in sql(
        archive_db, "select report_id, value from report_stats where table_name = 'summary' "
                    "and row_key = 'applications_new'")}
    for r in got:
        assert r["applications_new"] == figures.get(r["report_id"])


def test_missing_reports(datasette_url, archive_db):
    held = {(r["agency"], r["year"]) for r in sql(archive_db, "select agency, year from reports")}
    years = [r["year"] for r in sql(archive_db, "select year from reports")]
    followed = {r["agency"] for r in sql(archive_db, "select agency from runs where kind = 'crawl'")}
    agencies = [r["slug"] for r in sql(archive_db, "select slug from agencies")
                if r["slug"] in followed | {a for a, _ in held}]   # crawled or with a report
    assert len(agencies) < len(sql(archive_db, "select slug from agencies"))   # not the whole registry
    want = {(a, y) for a in agencies for y in range(min(years), max(years) + 1)} - held
    got = {(r["agency"], r["year"]) for r in rows(datasette_url, "/archive/missing_reports", year="")}
    assert got == want
    year = max(years)
    got = {(r["agency"], r["year"]) for r in rows(datasette_url, "/archive/missing_reports", year=str(year))}
    assert got == {k for k in want if k[1] == year}


def test_most_applications(datasette_url, archive_db):
    got = rows(datasette_url, "/archive/most_applications")
    want = sql(archive_db, "select report_id, value from report_stats where table_name = 'summary' "
                           "and row_key = 'applications_new' and value is not null")
    assert got, "some report should state how many applications it received"
    assert sorted(r["applications_new"] for r in got) == sorted(r["value"] for r in want)[-100:]
    assert [r["applications_new"] for r in got] == sorted((r["applications_new"] for r in got), reverse=True)


def test_failing_checks(datasette_url, archive_db):
    got = {(r["report_id"], r["check_name"]) for r in rows(datasette_url, "/archive/failing_checks")}
    want = {(r["report_id"], r["check_name"]) for r in sql(
        archive_db, "select report_id, check_name from report_checks where passed = 0")}
    assert got == want


def test_capture_history(datasette_url, archive_db):
    url = sql(archive_db, "select url from captures group by url order by count(*) desc, url limit 1")[0]["url"]
    got = rows(datasette_url, "/archive/capture_history", url=url)
    want = sql(archive_db, "select id from captures where url = ? or final_url = ?", (url, url))
    assert sorted(r["capture_id"] for r in got) == sorted(r["id"] for r in want)
    assert [r["fetched_at"] for r in got] == sorted(r["fetched_at"] for r in got)


def test_report_statistics_pivot(datasette_url, archive_db):
    reports = sql(archive_db, "select distinct report_id from report_stats where table_name = '3'")
    assert reports, "no report with table 三"
    for rid in [r["report_id"] for r in reports][:3]:
        got = rows(datasette_url, "/archive/report_statistics", report_id=str(rid))
        cells = {(r["row_key"], r["col_key"]): r["value"] for r in sql(
            archive_db, "select row_key, col_key, value from report_stats "
                        "where report_id = ? and table_name = '3'", (rid,))}
        chinese = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
        assert {r["row_key"] for r in got} == {k[0] for k in cells}
        for r in got:
            for col, zh in zip(T3_COLS, chinese):
                assert r[zh] == cells.get((r["row_key"], col)), (rid, r["row_key"], col)
        # rows in template order, with the template's Chinese labels
        keys = [r["row_key"] for r in got]
        template = 2021 if "other.other" in keys else 2019
        assert keys == [k for k in t3_rows(template) if k in keys]
        assert keys[0] == "new" and keys[-1] == "carried_forward"
        assert got[0]["项目"].startswith("一、本年新收") and got[-1]["项目"].startswith("四、结转")
        t4 = rows(datasette_url, "/archive/report_review_litigation", report_id=str(rid))
        t4cells = {(r["row_key"], r["col_key"]): r["value"] for r in sql(
            archive_db, "select row_key, col_key, value from report_stats "
                        "where report_id = ? and table_name = '4'", (rid,))}
        if t4cells:
            assert len(t4) == 1
            assert t4[0]["复议_总计"] == t4cells.get(("review", "total"))
            assert t4[0]["未经复议直接起诉_结果维持"] == t4cells.get(("litigation_direct", "upheld"))
            assert t4[0]["复议后起诉_尚未审结"] == t4cells.get(("litigation_after_review", "pending"))


T3_COL_LABELS = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
                 "nonprofit": "社会公益组织", "legal_service": "法律服务机构", "other_org": "其他", "total": "总计"}


def test_pivot_gives_back_the_replica_truth(datasette_url, archive_db, replica_session):
    """The table 三 pivot of a crawled report shows the very figures the replica generated for it."""
    truth = next(t for t in replica_session.truth()
                 if t["agency"] == "hunan_zjt" and t["format"] == "template2021")
    rid = sql(archive_db, "select id from reports where agency = ? and year = ?",
              (truth["agency"], truth["year"]))[0]["id"]
    got = {r["row_key"]: r for r in rows(datasette_url, "/archive/report_statistics", report_id=str(rid))}
    want = [s for s in truth["stats"] if s["table"] == "3"]
    assert len(want) == 7 * 25          # every cell of the 2021 table 三
    for s in want:
        assert got[s["row"]][T3_COL_LABELS[s["col"]]] == s["value"], (s["row"], s["col"])
    assert "other" not in got and "other.other" in got   # a 2021 report has the three 其他处理 rows


def test_runs_status(datasette_url, archive_db):
    got = rows(datasette_url, "/archive/runs_status")
    want = sql(archive_db, "select id, status from runs order by started_at desc, id desc limit 500")
    assert [(r["run_id"], r["status"]) for r in got] == [(r["id"], r["status"]) for r in want]


def test_raw_capture_download_is_an_attachment(datasette_url, archive_db):
    sources = rows(datasette_url, "/archive/report_sources")
    assert len(sources) == sql(archive_db, "select count(*) as n from reports")[0]["n"]
    with_body = [s for s in sources if s["raw_capture"]]
    assert with_body, "reports should point at captures with bodies"
    for s in with_body[:4]:
        status, headers, body = get(datasette_url, s["raw_capture"])
        assert status == 200
        assert not headers["Content-Type"].startswith("text/html")
        assert headers["Content-Type"] == "application/binary"
        assert headers["Content-Disposition"].startswith("attachment")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert hashlib.sha256(body).hexdigest() == s["body_sha256"]
        stored = sql(archive_db, "select content from bodies where sha256 = ?", (s["body_sha256"],))
        assert body == stored[0]["content"]
    # the table page renders the column as a download link (plugin), not as text
    status, _, page = get(datasette_url, "/archive/report_sources")
    assert b'download>download raw capture</a>' in page
    # and the canned query offers the same bytes through Datasette's blob link
    s = with_body[0]
    status, _, page = get(datasette_url, "/archive/raw_capture", report_id=str(s["report_id"]))
    assert status == 200 and b"blob-download" in page
    link = page.split(b'class="blob-download" href="')[1].split(b'"')[0].decode().replace("&amp;", "&")
    status, headers, body = get(datasette_url, link)
    assert status == 200 and headers["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(body).hexdigest() == s["body_sha256"]


def test_long_text_truncated_in_html(datasette_url, archive_db):
    longest = sql(archive_db, "select id, text from reports order by length(text) desc limit 1")[0]
    status, _, page = get(datasette_url, "/archive/reports", id=str(longest["id"]))
    page = page.decode()
    assert status == 200 and len(longest["text"]) > 400
    assert str(markupsafe.escape(longest["text"][:100])) in page
    assert str(markupsafe.escape(longest["text"][:400])) not in page


def test_live_serving_sees_new_rows(sample_archive, tmp_path):
    """Plain (not -i) serving of a WAL archive that another process writes to, as the crawler does."""
    live = tmp_path / "archive.db"
    with sqlite3.connect(sample_archive) as s, sqlite3.connect(live) as d:
        s.backup(d)
    db = open_db(live)
    proc, base = serve(live, immutable=False)
    try:
        before = rows(base, "/archive/runs")
        db["runs"].insert({"kind": "crawl", "agency": "hunan_zjt", "status": "ok",
                           "started_at": "2026-11-21T02:00:00"})
        after = rows(base, "/archive/runs")
        assert len(after) == len(before) + 1
        status, _, body = get(base, "/archive.json", sql="delete from runs")
        assert status == 400 and b"SELECT" in body
        assert len(rows(base, "/archive/runs")) == len(after)
    finally:
        stop(proc)
        db.conn.close()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--no-proxy-server"]


# The headless-Chromium walk (summary, search box, a report's table 三, its source, the raw download, and
# the grid, charts and profile) is tests/test_datasette_ui.py::test_browser_walk_with_screenshots.


def test_publish_snapshot_includes_wal_and_rejects_bad_paths(sample_archive, tmp_path):
    """A live archive with rows still in its WAL: -i on it would miss them, the snapshot must not."""
    live = tmp_path / "live.db"
    with sqlite3.connect(sample_archive) as s, sqlite3.connect(live) as d:
        s.backup(d)
    db = open_db(live)
    db.execute("PRAGMA wal_autocheckpoint = 0")
    n = db["runs"].count
    db["runs"].insert({"kind": "crawl", "agency": "xizang_zjt", "status": "ok"})
    assert Path(str(live) + "-wal").stat().st_size > 0
    out = publish(live, tmp_path / "pub" / "archive.db")
    db.conn.close()
    assert sql(out, "select count(*) as n from runs")[0]["n"] == n + 1
    assert sql(out, "pragma journal_mode")[0]["journal_mode"] == "delete"
    assert not Path(str(out) + "-wal").exists()
    with pytest.raises(FileExistsError):
        publish(live, out)
    with pytest.raises(FileNotFoundError):
        publish(tmp_path / "nope.db", tmp_path / "x" / "archive.db")
    assert not (tmp_path / "x").exists()


def test_search_function(sample_archive):
    db = open_db(sample_archive)
    try:
        for term in ("行政复议", "住房和城乡建设", "复议", "费"):
            got = {r["id"] for r in search(db, term, limit=1000)}
            assert got == ids_containing(sample_archive, term), term
        with pytest.raises(ValueError):
            search(db, "  ")
    finally:
        db.conn.close()


def test_every_table_view_and_query_page_loads(datasette_url):
    """Each configured sort, facet and canned query must work: a bad one only fails at page load."""
    meta = yaml.safe_load(METADATA.read_text("utf-8"))["databases"]["archive"]
    names = [n for n, t in meta["tables"].items() if not t.get("hidden")] + list(meta["queries"])
    for name in names:
        status, headers, body = get(datasette_url, f"/archive/{name}")
        assert status == 200, (name, body[:300])
        assert headers["Content-Type"].startswith("text/html")
        status, _, body = get(datasette_url, f"/archive/{name}.json")
        assert status == 200 and "rows" in json.loads(body), (name, body[:300])
    status, _, body = get(datasette_url, "/archive")
    for name in meta["queries"]:
        assert f'href="/archive/{name}"'.encode() in body


def test_the_metadata_follows_the_archive_whatever_its_file_is_called(archive_db, tmp_path):
    """`--db other.db` used to lose every description and canned query (Datasette keys metadata by
    database name): the ui plugin's get_metadata hands the archive's metadata to any nianbao archive."""
    other = tmp_path / "nightly-copy.db"
    shutil.copy(archive_db, other)
    proc, base = serve(other)
    try:
        status, _, body = get(base, "/nightly-copy.json")
        assert status == 200
        queries = {q["name"] for q in json.loads(body)["queries"]}
        assert {"summary_by_agency_year", "missing_reports"} <= queries
        status, _, body = get(base, "/nightly-copy/report_summary")
        assert status == 200 and "headline figures (NULL where the report does not say" in body.decode()
        status, _, body = get(base, "/nightly-copy/summary_by_agency_year.json", _shape="array")
        assert status == 200 and json.loads(body)
    finally:
        stop(proc)


def test_csv_is_whole_and_opens_in_excel(datasette_url, archive_db):
    """A table's CSV link gives every row (not Datasette's first 1,000) and starts with the UTF-8 BOM
    Excel and WPS need for Chinese text (csv_for_excel plugin)."""
    n = sql(archive_db, "select count(*) n from report_stats")[0]["n"]
    assert n > 1000
    status, headers, body = get(datasette_url, "/archive/report_stats.csv")
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").count("\n") == n + 1      # header + every row
    status, _, body = get(datasette_url, "/archive.csv", sql="select name from agencies order by slug")
    assert status == 200 and body.startswith(b"\xef\xbb\xbf") and "湖南省住房和城乡建设厅" in body.decode("utf-8-sig")
    status, _, body = get(datasette_url, "/archive/report_stats.csv", _stream="", _size="5")
    assert body.decode("utf-8-sig").count("\n") == 6           # one page when asked for explicitly


def test_a_report_links_to_its_figures_tables_and_source(datasette_url, archive_db):
    """In report_summary a report's id links to its row, figures, table 三/四, checks, assessments and
    source, and each of those pages answers with that report's rows."""
    rid = sql(archive_db, "select id from reports where format = 'template2021' order by id limit 1")[0]["id"]
    status, _, body = get(datasette_url, "/archive/report_summary", id=str(rid))
    assert status == 200
    html = body.decode()
    for path in (f"/archive/reports/{rid}", f"/archive/report_stats?report_id={rid}",
                 f"/archive/report_table3?report_id={rid}", f"/archive/report_sources?report_id={rid}"):
        assert f'href="{path}"' in html, path
        status, _, _ = get(datasette_url, path.split("?")[0], **dict([path.split("?")[1].split("=")]) if "?" in path else {})
        assert status == 200, path
    status, _, body = get(datasette_url, "/archive/report_table3.json", report_id=str(rid), _shape="array")
    assert status == 200 and json.loads(body) and all(r["report_id"] == rid for r in json.loads(body))
