"""The tables the extractor writes for Datasette (archive/rollups.py): report_summary, agency_years,
agency_year_grid, report_revisions; and the units of every figure (archive/keys.py unit_of).

Against the session `crawled_archive` (the README's main job, read-only): each table equals an
independent SQL computation over reports / report_stats / report_checks / report_assessments written
here (the old views' definitions, by hand), the grid's cells equal the replica's own table 三 figures,
units match the template's header text. A copy is re-extracted to show nothing goes stale. The real
`datasette serve` answers the same rows.
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import urllib.parse

import pytest

from archive.keys import HEADLINE_KEYS
from replica.content.template import T2_COLS, t2_col_label
from replica.corpus import ground_truth
from tests.datasette_server import OPENER, serve, stop


def q(path, sql, params=()):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def whole(v):
    return int(v) if isinstance(v, float) and v == int(v) else v


def summary_truth(path) -> list[dict]:
    """report_summary as the view of migrations 2-17 computed it: one correlated lookup per figure."""
    figs = ",\n".join(f"(SELECT value FROM report_stats s WHERE s.report_id = r.id AND s.table_name = 'summary'"
                      f" AND s.row_key = '{k}') AS {k}" for k in HEADLINE_KEYS)
    rows = q(path, f"""
SELECT r.id, r.agency, a.name AS agency_name, a.province, a.level, r.year, r.title, r.published, r.index_no,
  r.format, {figs},
  (SELECT count(*) FROM report_checks c WHERE c.report_id = r.id) AS checks_run,
  CASE WHEN EXISTS (SELECT 1 FROM report_checks c WHERE c.report_id = r.id)     -- no check ran: not "0 failed"
    THEN (SELECT count(*) FROM report_checks c WHERE c.report_id = r.id AND c.passed = 0) END AS checks_failed,
  r.needs_review,
  (SELECT count(*) FROM report_stats s WHERE s.report_id = r.id AND s.inferred = 1) AS figures_inferred, r.url
FROM reports r LEFT JOIN agencies a ON a.slug = r.agency ORDER BY r.id""")
    for r in rows:
        for k in HEADLINE_KEYS:
            r[k] = whole(r[k])
    return rows


def agency_years_truth(path) -> dict:
    """Every followed agency (a crawl run or a report) x every year from the first report year to the last."""
    lo, hi = q(path, "SELECT min(year) AS lo, max(year) AS hi FROM reports")[0].values()
    followed = {r["agency"] for r in q(path, "SELECT agency FROM runs WHERE kind = 'crawl' AND agency IS NOT NULL"
                                             " UNION SELECT agency FROM reports")}
    agencies = {a["slug"]: a for a in q(path, "SELECT * FROM agencies")}
    reports = {(r["agency"], r["year"]): r for r in q(path, "SELECT * FROM reports")}
    fig = {(s["report_id"], s["row_key"]): whole(s["value"]) for s in q(
        path, "SELECT report_id, row_key, value FROM report_stats WHERE table_name = 'summary'")}
    timely = {a["report_id"]: a["result"] for a in q(
        path, "SELECT report_id, result FROM report_assessments WHERE check_name = 'law.timeliness'")}
    checks = {}
    for c in q(path, "SELECT report_id, passed FROM report_checks"):
        checks.setdefault(c["report_id"], []).append(c["passed"])
    out = {}
    for slug in followed & set(agencies):
        a = agencies[slug]
        for year in range(lo, hi + 1):
            r = reports.get((slug, year))
            rid = r["id"] if r else None
            out[(slug, year)] = {
                "agency": slug, "agency_name": a["name"], "province": a["province"], "level": a["level"],
                "region_code": a["region_code"] or (r["region_code"] if r else None), "year": year,
                "report_id": rid, "title": r["title"] if r else None, "format": r["format"] if r else None,
                "published": r["published"] if r else None,
                "on_time": {"PASS": 1, "FAIL": 0}.get(timely.get(rid)) if r else None,
                "applications": fig.get((rid, "applications_new")), "total_handled": fig.get((rid, "handled_total")),
                "checks_failed": (checks[rid].count(0) if checks.get(rid) else None) if r else None,
                "needs_review": r["needs_review"] if r else None}
    return out


def test_report_summary_is_the_old_view(crawled_archive):
    got = q(crawled_archive, "SELECT * FROM report_summary ORDER BY id")
    want = summary_truth(crawled_archive)
    assert len(got) == len(want) > 200
    assert list(got[0]) == list(want[0])             # the view's columns, in its order
    assert got == want
    assert any(r["checks_failed"] is None for r in got) and any(r["checks_failed"] == 0 for r in got)
    kinds = q(crawled_archive, "SELECT type FROM sqlite_master WHERE name IN ('report_summary', 'agency_years',"
                               " 'agency_year_grid', 'report_revisions')")
    assert [k["type"] for k in kinds] == ["table"] * 4


def test_agency_years_and_grid_equal_an_independent_computation(crawled_archive):
    want = agency_years_truth(crawled_archive)
    got = {(r["agency"], r["year"]): r for r in q(crawled_archive, "SELECT * FROM agency_years")}
    assert got.keys() == want.keys() and len(got) > 35 * 10
    for k in want:
        assert got[k] == want[k], k
    assert {r["on_time"] for r in got.values()} >= {0, 1, None}
    # report_coverage (the view the pages and missing_reports read) is the same set of agency-years
    cov = q(crawled_archive, "SELECT agency, year, report_id, title FROM report_coverage")
    assert {(c["agency"], c["year"]): (c["report_id"], c["title"]) for c in cov} == \
           {k: (v["report_id"], v["title"]) for k, v in want.items()}
    grid = q(crawled_archive, "SELECT * FROM agency_year_grid")
    years = sorted({y for _, y in want})
    assert [c for c in grid[0] if c.isdigit()] == [str(y) for y in years]
    assert {g["agency"] for g in grid} == {a for a, _ in want}
    for g in grid:
        assert g["years_in_span"] == len(years)
        assert g["reports_held"] == sum(1 for y in years if want[(g["agency"], y)]["report_id"])
        for y in years:
            assert g[str(y)] == want[(g["agency"], y)]["applications"], (g["agency"], y)


def test_grid_cells_are_the_replicas_table_3_new_applications(crawled_archive, replica_corpus):
    """Each held template report's cell is the replica's own 本年新收 total; a year with no report is empty."""
    grid = {g["agency"]: g for g in q(crawled_archive, "SELECT * FROM agency_year_grid")}
    held = {(r["agency"], r["year"]) for r in q(crawled_archive, "SELECT agency, year FROM reports")}
    compared = 0
    for t in ground_truth(corpus=replica_corpus):
        new = [s["value"] for s in t["stats"] if (s["table"], s["row"], s["col"]) == ("3", "new", "total")]
        if new and (t["agency"], t["year"]) in held:
            assert grid[t["agency"]][str(t["year"])] == new[0], (t["agency"], t["year"])
            compared += 1
    assert compared > 150
    for agency, g in grid.items():
        for col, v in g.items():
            if col.isdigit() and (agency, int(col)) not in held:
                assert v is None


def test_units_follow_the_templates_headers(crawled_archive):
    """Every figure of tables 二/三/四 and every headline figure has a unit. Where the template's header
    states one (2021's 本年制发件数, 现行有效件数, 本年收费金额（单位：万元）), it is that one; tables 三 and 四
    count applications and cases (件); the fees key is in 元."""
    stats = q(crawled_archive, "SELECT s.table_name, s.row_key, s.col_key, s.unit, s.label, r.format"
                               " FROM report_stats s JOIN reports r ON r.id = s.report_id"
                               " WHERE s.table_name IN ('2', '3', '4', 'summary')")
    assert all(s["unit"] for s in stats), [s for s in stats if not s["unit"]][:3]
    stated = 0
    for s in stats:
        if s["table_name"] in ("3", "4"):
            assert s["unit"] == "件", s
        elif s["table_name"] == "summary" and s["row_key"] == "disclosure_fees_yuan":
            assert s["unit"] == "元", s
        elif s["table_name"] == "2" and s["format"] == "template2021" and s["col_key"] in T2_COLS[2021][s["row_key"]]:
            header = t2_col_label(2021, s["col_key"])
            m = re.search(r"单位[:：]\s*([^）)]+)", header) or re.search(r"(件)数", header)
            if m:
                assert s["unit"] == m.group(1), (header, s)
                stated += 1
    assert stated > 100
    # version_stats: the same units as report_stats for the current versions' figures
    diff = q(crawled_archive, """SELECT count(*) AS n FROM report_stats s JOIN version_stats v
        ON v.version_id = s.version_id AND v.table_name = s.table_name AND v.row_key IS s.row_key
        AND v.col_key IS s.col_key WHERE v.unit IS NOT s.unit""")
    assert diff == [{"n": 0}]


def test_a_re_extraction_updates_the_tables(crawled_archive, tmp_path):
    """A pass that re-extracts one agency's captures rewrites their rows (the rest is left as it is), and a
    pass over them with --all rewrites everything: rows made stale by hand and a figure changed under
    them come out equal to the independent computation again."""
    from archive.extract.run import run_extract
    path = tmp_path / "archive.db"
    src = sqlite3.connect(crawled_archive)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()

    def check():
        assert q(path, "SELECT * FROM report_summary ORDER BY id") == summary_truth(path)
        want = agency_years_truth(path)
        assert {(r["agency"], r["year"]): r for r in q(path, "SELECT * FROM agency_years")} == want
        grid = {g["agency"]: g for g in q(path, "SELECT * FROM agency_year_grid")}
        for (agency, year), v in want.items():
            assert grid[agency][str(year)] == v["applications"]
        assert grid["hunan_zjt"]["reports_held"] == sum(
            1 for (a, _), v in want.items() if a == "hunan_zjt" and v["report_id"])
        return want, grid

    # 1. a normal pass re-reading hunan_zjt's captures (their extractions forgotten): its rows rewritten
    dst.execute("DELETE FROM extractions WHERE capture_id IN (SELECT id FROM captures WHERE agency = 'hunan_zjt')")
    dst.execute("UPDATE report_summary SET applications_new = -1, checks_failed = 77 WHERE agency = 'hunan_zjt'")
    dst.execute("DELETE FROM agency_years WHERE agency = 'hunan_zjt'")
    dst.execute("UPDATE agency_year_grid SET reports_held = 0")
    dst.commit()
    counts = run_extract(path)
    assert counts["reports"] >= 1
    check()
    # 2. a figure changed under another agency's report, then --all: every row rewritten
    other = dst.execute("SELECT id, agency, year FROM reports WHERE agency != 'hunan_zjt' AND id IN"
                        " (SELECT report_id FROM report_stats WHERE table_name = 'summary'"
                        " AND row_key = 'applications_new') LIMIT 1").fetchone()
    dst.execute("UPDATE report_stats SET value = 99999 WHERE report_id = ? AND table_name = 'summary'"
                " AND row_key = 'applications_new'", [other[0]])
    dst.commit()
    dst.close()
    run_extract(path, all=True, agencies=["hunan_zjt"])
    want, grid = check()
    assert want[(other[1], other[2])]["applications"] == 99999 and grid[other[1]][str(other[2])] == 99999


@pytest.fixture(scope="module")
def live(crawled_archive):
    proc, base = serve(crawled_archive, immutable=False)   # the live command: read-only
    yield base
    stop(proc)


def fetch(base, path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with OPENER.open(url, timeout=30) as r:
        return json.loads(r.read())


def test_datasette_serves_the_tables(live, crawled_archive):
    """Through the real Datasette: the grid and agency-years rows, the facets metadata.yml names, the
    summary facets, and no suggested facets (plugins/fast_pages.py)."""
    grid = fetch(live, "/archive/agency_year_grid.json", _shape="objects", _size="max")
    served = {r["agency"]: {k: v for k, v in r.items() if k != "rowid"} for r in grid["rows"]}
    assert served == {g["agency"]: g for g in q(crawled_archive, "SELECT * FROM agency_year_grid")}
    ay = fetch(live, "/archive/agency_years.json", _shape="objects", year="2021")
    assert ay["filtered_table_rows_count"] == q(crawled_archive, "SELECT count(*) AS n FROM agency_years"
                                                                 " WHERE year = 2021")[0]["n"]
    assert {"province", "level", "year"} <= set(ay["facet_results"])
    s = fetch(live, "/archive/report_summary.json", _shape="objects", level="province")
    assert set(s["facet_results"]) == {"agency_name", "province", "level", "year", "format"}
    assert s["suggested_facets"] == []
    assert s["filtered_table_rows_count"] == q(crawled_archive, "SELECT count(*) AS n FROM report_summary"
                                                                " WHERE level = 'province'")[0]["n"]
