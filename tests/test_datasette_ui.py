"""Datasette as a place researchers work (issue 11): the dashboards (agency profile, national overview),
the agency x year grid, the search box sending short terms to search_short, descriptions in Chinese and
English, the first screen, and one headless-Chromium walk along a researcher's path with the
screenshots docs/datasette.md shows (docs/img/, 1400 and 600 px wide).

Served exactly as docs/datasette.md says (tests/datasette_server.py) on the published snapshot of the
session's real crawl (tests/test_datasette.py's fixtures; its own server, since fixtures imported into
a module are that module's). Expected values come from the replica's ground truth (which reports exist)
or from direct SQL on other tables than the ones the pages read (report_stats, reports).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import lxml.html
import yaml
from datasette_dashboards import replace_opts_in_query

from tests.datasette_server import METADATA, ROOT, serve, stop
from tests.test_datasette import (CHROMIUM_ARGS, SEED_REPORTS, SEEDS, archive_db, datasette_url,  # noqa: F401
                                  get, ids_containing, rows, source_archive, sql)

# The walk's screenshots go to artifacts/; with NIANBAO_DOCS_SCREENSHOTS=1 to docs/img/, the ones the docs
# show (a crawl's report ids and counts can differ from run to run: the suite never rewrites docs by itself).
IMG = ROOT / ("docs/img" if os.environ.get("NIANBAO_DOCS_SCREENSHOTS") == "1" else "artifacts")
META = yaml.safe_load(METADATA.read_text("utf-8"))
DASHBOARDS = META["plugins"]["datasette-dashboards"]
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")
YEAR = re.compile(r"^(19|20)\d\d$")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def fetch_no_redirect(url: str):
    try:
        with NO_REDIRECT.open(url, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def chart_rows(base: str, db: str, chart: dict, **params) -> list[dict]:
    """A chart's rows as the dashboard page asks for them: its SQL with the filters' [[ ]] parts the
    parameters keep, through Datasette's JSON API (dashboards.js getDataUrl)."""
    query = replace_opts_in_query(chart["query"], params)
    status, _, body = get(base, f"/{db}.json", sql=query, _shape="objects", **params)
    assert status == 200, body[:500]
    data = json.loads(body)
    assert not data.get("truncated")
    return data["rows"]


def held_years(truth: list[dict]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for t in truth:
        if t.get("agency"):
            out.setdefault(t["agency"], set()).add(t["year"])
    return out


def registry_names(db: Path) -> dict[str, str]:
    return {r["slug"]: r["name"] for r in sql(db, "select slug, name from agencies")}


# ---------------------------------------------------------------- descriptions


def test_every_description_is_in_chinese_and_english():
    """Every table, column and canned query description (and the dashboards' texts) in metadata.yml
    has Chinese characters and English words."""
    db = META["databases"]["archive"]
    texts = {"database": db.get("description"), "front page": META.get("description_html")}
    for name, t in db["tables"].items():
        if t.get("description") or not t.get("hidden"):
            texts[name] = t.get("description")
        for col, d in (t.get("columns") or {}).items():
            texts[f"{name}.{col}"] = d
    for name, q in db["queries"].items():
        texts[f"query {name} title"] = q.get("title")
        texts[f"query {name} description"] = q.get("description")
    for name, d in DASHBOARDS.items():
        texts[f"dashboard {name}"] = f"{d['title']} | {d['description']}"
        for key, f in d.get("filters", {}).items():
            texts[f"dashboard {name} filter {key}"] = f["name"]
        for key, c in d["charts"].items():
            texts[f"dashboard {name} chart {key}"] = c.get("title") or c.get("display")
    one_language = {k: v for k, v in texts.items()
                    if not (CJK.search(str(v or "")) and LATIN.search(str(v or "")))}
    assert not one_language, one_language
    assert len(texts) > 350   # the check saw the whole file (377 texts when written)


# ---------------------------------------------------------------- the search box


def test_search_box_sends_short_terms_to_search_short(datasette_url, archive_db):
    """A one- or two-character term in the search box (`_search`) lands on search_short with the term,
    which finds every report containing it; three characters stay with the full-text index; the JSON
    API answers what was asked."""
    for term in ("复议", "费"):
        want = ids_containing(archive_db, term)
        assert want, term
        for table in ("report_summary", "reports"):
            status, headers, _ = fetch_no_redirect(
                f"{datasette_url}/archive/{table}?" + urllib.parse.urlencode({"_search": f" {term} "}))
            assert status == 302, (table, term, status)
            location = headers["Location"]
            path, _, qs = location.partition("?")
            assert path == "/archive/search_short" and urllib.parse.parse_qs(qs) == {"q": [term]}, location
        status, _, body = get(datasette_url, location)
        assert status == 200
        page = lxml.html.fromstring(body.decode("utf-8"))
        shown = {int(td.text_content().split()[0]) for td in page.cssselect("tbody td.col-report_id")}
        assert shown == want, term
    for path in ("/archive/report_summary?_search=行政复议", "/archive/report_summary.json?_search=复议",
                 "/archive/search_short?q=复议"):
        status, _, _ = fetch_no_redirect(datasette_url + urllib.parse.quote(path, safe="/?=&"))
        assert status == 200, path
    # an empty box: the page without the search (Datasette by itself answers 400, an FTS5 syntax error)
    status, headers, _ = fetch_no_redirect(datasette_url + "/archive/report_summary?year=2021&_search=+")
    assert status == 302 and headers["Location"] == "/archive/report_summary?year=2021"


# ---------------------------------------------------------------- the grid


def test_agency_year_grid_shows_held_and_missing_reports(datasette_url, archive_db, replica_session):
    """The grid page: a row per agency, a column per year; a held report's cell is its applications
    figure (linked), a year the replica published no report for shows 缺."""
    truth = held_years(replica_session.truth())
    names = registry_names(archive_db)
    status, _, body = get(datasette_url, "/archive/agency_year_grid", _size="max")
    assert status == 200
    page = lxml.html.fromstring(body.decode("utf-8"))
    columns = [th.get("data-column") for th in page.cssselect("table.rows-and-columns thead th")]
    years = [int(c) for c in columns if YEAR.match(c or "")]
    assert years == sorted(years) and years == list(range(years[0], years[-1] + 1))
    applications = {(r["agency"], r["year"]): r["value"] for r in sql(
        archive_db, "select r.agency, r.year, s.value from report_stats s join reports r on r.id = s.report_id "
                    "where s.table_name = 'summary' and s.row_key = 'applications_new'")}
    seen = 0
    for tr in page.cssselect("table.rows-and-columns tbody tr"):
        cells = dict(zip(columns, tr.cssselect("td")))
        agency = cells["agency"].text_content().split()[0]
        if agency not in truth:
            continue
        seen += 1
        profile = cells["agency_name"].cssselect("a.nb-profile")[0].get("href")
        assert profile == "/-/dashboards/agency-profile?" + urllib.parse.urlencode({"agency": names[agency]})
        for year in years:
            td = cells[str(year)]
            if year not in truth[agency]:
                assert td.cssselect("span.nb-missing") and td.text_content().strip() == "缺", (agency, year)
                continue
            assert not td.cssselect("span.nb-missing"), (agency, year)
            want = applications.get((agency, year))
            if want is None:
                assert td.cssselect("a.nb-nofig"), (agency, year)
            else:
                link = td.cssselect("a.nb-held")[0]
                assert float(link.text_content()) == want, (agency, year)
                assert urllib.parse.parse_qs(link.get("href").split("?")[1]) == {
                    "agency": [agency], "year": [str(year)]}
    assert seen >= 30
    status, _, body = get(datasette_url, "/")
    assert b'href="/archive/agency_year_grid"' in body        # linked from the front page


# ---------------------------------------------------------------- dashboards


def test_dashboards_charts_read_the_archive(datasette_url, archive_db, replica_session):
    """Both dashboards load, the profile opens on its default agency, every chart's query runs, and the
    profile's figures are those of the agency's reports: years held and missing as the replica
    published them, applications as report_stats holds them."""
    status, _, body = get(datasette_url, "/-/dashboards")
    assert status == 200 and b"agency-profile" in body and b"national-overview" in body
    status, headers, _ = fetch_no_redirect(datasette_url + "/-/dashboards/agency-profile")
    assert status == 302 and "agency=" in headers["Location"]
    names = registry_names(archive_db)
    assert len(set(names.values())) == len(names)   # the picker lists names: each names one agency
    truth = held_years(replica_session.truth())
    agency = "quzhou_zjj"                       # a seed agency with one year missing in the replica
    profile = DASHBOARDS["agency-profile"]["charts"]
    for key in ("name", "slug"):
        chosen = names[agency] if key == "name" else agency
        status, _, body = get(datasette_url, "/-/dashboards/agency-profile", agency=chosen)
        assert status == 200 and names[agency].encode() in body
        table = chart_rows(datasette_url, "archive", profile["reports"], agency=chosen)
        span = [r["年度 year"] for r in table]
        assert span == list(range(max(span), min(span) - 1, -1))
        missing = {r["年度 year"] for r in table if "缺" in r["年报 report"]}
        assert missing == set(span) - truth[agency] and missing, missing
        apps = {r["year"]: r["applications"] for r in chart_rows(datasette_url, "archive", profile["applications"],
                                                                   agency=chosen)}
        want = {r["year"]: r["value"] for r in sql(
            archive_db, "select r.year, s.value from report_stats s join reports r on r.id = s.report_id "
                        "where r.agency = ? and s.table_name = 'summary' and s.row_key = 'applications_new'", (agency,))}
        assert {y: v for y, v in apps.items() if v is not None} == want
    for name, dash in DASHBOARDS.items():
        for key, chart in dash["charts"].items():
            if chart.get("query"):
                started = time.monotonic()
                chart_rows(datasette_url, "archive", chart, agency=names[agency])
                assert time.monotonic() - started < 2, (name, key)
    per_year = {r["year"]: r["有年报 held"] for r in chart_rows(
        datasette_url, "archive", DASHBOARDS["national-overview"]["charts"]["reports-per-year"])}
    want = {}
    for slug, years in truth.items():
        if slug in names:
            for y in years:
                want[y] = want.get(y, 0) + 1
    assert {y: n for y, n in per_year.items() if n} == want


def test_table_cards_escape_the_archive_text(archive_db, tmp_path):
    """datasette-dashboards puts a table card's cells into the page as HTML: a title or a needs-review
    reason holding markup must arrive escaped (the queries escape every archive text)."""
    copy = tmp_path / "hostile.db"
    shutil.copy(archive_db, copy)
    evil = '<img src=x onerror="alert(1)">&'
    con = sqlite3.connect(copy)
    slug, rid = con.execute("select agency, report_id from agency_years where report_id is not null "
                            "order by agency, year limit 1").fetchone()
    con.execute("update reports set title = ? where id = ?", (evil, rid))
    con.execute("update agency_years set needs_review = ?, format = ?, published = ? where report_id = ?",
                (evil, evil, evil, rid))
    con.commit()
    for name, dash in DASHBOARDS.items():
        for key, chart in dash["charts"].items():
            if chart.get("library") != "table":
                continue
            query = replace_opts_in_query(chart["query"], {"agency": slug})
            texts = []
            for row in con.execute(query, {"agency": slug}):
                for value in row:                       # each cell as the browser's innerHTML parses it
                    div = lxml.html.fragment_fromstring(str(value), create_parent="div")
                    for el in div.iterdescendants():
                        assert el.tag in ("a", "span"), (key, el.tag, value)
                        assert set(el.attrib) <= {"href", "class"}, (key, dict(el.attrib))
                        assert el.get("href", "/archive/").startswith("/archive/"), (key, el.get("href"))
                    texts.append(div.text_content())
            assert sum(evil in t for t in texts) >= 3, key      # the title and texts shown as text
    con.close()


def test_dashboards_and_help_links_follow_the_archive_under_another_name(archive_db, tmp_path):
    """Served as nightly-copy.db: the charts query that database, and the front page's /archive/ links
    arrive there."""
    other = tmp_path / "nightly-copy.db"
    shutil.copy(archive_db, other)
    proc, base = serve(other)
    try:
        status, _, body = get(base, "/-/dashboards/agency-profile", agency="quzhou_zjj")
        assert status == 200
        html = body.decode()
        assert '"db": "nightly-copy"' in html and '"db": "archive"' not in html
        table = DASHBOARDS["agency-profile"]["charts"]["reports"]
        assert chart_rows(base, "nightly-copy", table, agency="quzhou_zjj")
        status, headers, _ = fetch_no_redirect(base + "/archive/report_summary?year=2021")
        assert status == 302 and headers["Location"] == "/nightly-copy/report_summary?year=2021"
        status, _, _ = get(base, "/archive/agency_year_grid")
        assert status == 200
    finally:
        stop(proc)


# ---------------------------------------------------------------- units


def test_tables_three_and_four_show_their_units(datasette_url, archive_db):
    """report_statistics (table 三) gives each row's unit as printed (report_stats.unit), and
    report_review_litigation (table 四) the report's; the column descriptions name the unit (件)."""
    reports = [r["report_id"] for r in sql(archive_db, "select distinct report_id from report_stats "
                                                      "where table_name = '3' order by report_id limit 3")]
    assert reports
    for rid in reports:
        units = {}
        for r in sql(archive_db, "select row_key, unit from report_stats where report_id = ? and table_name = '3'",
                     (rid,)):
            units.setdefault(r["row_key"], set()).update({r["unit"]} if r["unit"] else set())
        for r in rows(datasette_url, "/archive/report_statistics", report_id=str(rid)):
            assert set((r["单位"] or "").split(",")) - {""} == units[r["row_key"]], (rid, r["row_key"])
        t4 = {r["unit"] for r in sql(archive_db, "select unit from report_stats where report_id = ? "
                                                "and table_name = '4' and unit is not null", (rid,))}
        got = rows(datasette_url, "/archive/report_review_litigation", report_id=str(rid))
        if got:
            assert set((got[0]["单位"] or "").split(",")) - {""} == t4
    tables = META["databases"]["archive"]["tables"]
    for view in ("report_table3", "report_table4"):
        figures = {c: d for c, d in tables[view]["columns"].items()
                   if c not in ("report_id", "agency", "year", "seq", "row_key", "label")}
        assert figures and all("件" in d for d in figures.values()), view


# ---------------------------------------------------------------- the browser walk


def _bars(page, chart: str) -> int:
    """Bars Vega drew in a dashboard chart (its SVG renderer: one path per bar in the rect marks)."""
    page.wait_for_selector(f"#chart-{chart} svg .mark-rect path", timeout=15000)
    return page.locator(f"#chart-{chart} svg .mark-rect path").count()


def _save_small(png: bytes, path: Path) -> None:
    """A viewport screenshot as a 128-colour PNG (a third of the size; text and charts stay sharp).
    Pillow comes with reportlab."""
    from PIL import Image
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def test_browser_walk_with_screenshots(datasette_url, archive_db, replica_session, chromium_path):
    """Headless Chromium along a researcher's path at 1400 px: the front page's help; report_summary
    with its rows on the first screen (column descriptions folded, titles readable); a phrase and a
    two-character term in its search box (the latter landing on search_short); a report -> its table 三
    -> a figure's source grid -> the raw capture downloaded; the agency x year grid; the national
    overview's charts drawn; the agency profile with another agency picked. The pages people read are
    shot again at 600 px (the same page, resized: fewer loads). Viewport screenshots in docs/img/."""
    from playwright.sync_api import sync_playwright
    IMG.mkdir(parents=True, exist_ok=True)
    for old in [*IMG.glob("datasette-*-1400.png"), *IMG.glob("datasette-*-600.png")]:
        old.unlink()                                   # the size check below sees this run's only
    names = registry_names(archive_db)
    truth = held_years(replica_session.truth())
    rid = sql(archive_db, "select r.id from reports r join report_stats s on s.report_id = r.id "
                          "where r.agency = 'hunan_zjt' and s.table_name = '3' group by r.id "
                          "order by count(*) desc, r.year desc limit 1")[0]["id"]
    cell = sql(archive_db, "select value, source from report_stats where report_id = ? and table_name = '3' "
                           "and row_key = 'new' and col_key = 'total'", (rid,))[0]
    body_sha = sql(archive_db, "select body_sha256 from report_sources where report_id = ?", (rid,))[0]["body_sha256"]
    years = [r["year"] for r in sql(archive_db, "select distinct year from report_coverage order by year")]
    span = range(years[0], years[-1] + 1)
    provinces = sql(archive_db, "select count(distinct coalesce(a.province, '')) n from reports r "
                                "join agencies a on a.slug = r.agency")[0]["n"]
    quzhou_apps = sql(archive_db, "select count(*) n from report_stats s join reports r on r.id = s.report_id "
                                  "where r.agency = 'quzhou_zjj' and s.table_name = 'summary' "
                                  "and s.row_key = 'applications_new'")[0]["n"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        try:
            def shot(name: str, phone: bool = False, fits: bool = True) -> None:
                """The viewport at 1400 px; with phone=True the same page at 600 px too, which must not be
                wider than the screen (only a table scrolls sideways) unless fits=False."""
                _save_small(page.screenshot(), IMG / f"datasette-{name}-1400.png")
                if phone:
                    page.set_viewport_size({"width": 600, "height": 900})
                    page.wait_for_timeout(400)                            # reflow, vega's resize pass
                    assert not fits or page.evaluate("document.documentElement.scrollWidth") <= 601, name
                    _save_small(page.screenshot(), IMG / f"datasette-{name}-600.png")
                    page.set_viewport_size({"width": 1400, "height": 900})
                    page.wait_for_timeout(200)

            # the front page: where to start, in Chinese and English
            page.goto(datasette_url + "/")
            help_box = page.locator(".nb-help")
            assert help_box.is_visible() and "从这里开始" in help_box.inner_text()
            assert help_box.bounding_box()["y"] < 900
            shot("front")

            # report_summary: rows on the first screen, descriptions folded, titles not a character a line
            page.goto(datasette_url + "/archive/report_summary")
            assert page.locator("details.nb-columns").count() == 1
            assert not page.locator("dl.column-descriptions").is_visible()
            first = page.locator("table.rows-and-columns tbody tr").first
            assert first.bounding_box()["y"] < 900 - 40, "no data on the first screen"
            title = page.locator("table.rows-and-columns tbody td.col-title").first
            chars_per_line = len(title.inner_text().strip()) / max(1, round(
                title.bounding_box()["height"] / float(title.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20"))))
            assert chars_per_line >= 8, f"a title wraps {chars_per_line:.1f} characters a line"
            shot("summary", phone=True)

            # the search box: a phrase through the full-text index, a two-character term to search_short
            term = "湖南省住房和城乡建设厅"   # one agency's reports: fewer than a page of them
            page.fill("input[name=_search]", term)
            page.press("input[name=_search]", "Enter")
            page.wait_for_url("**_search=*")
            shown = {int(t.split()[0]) for t in page.locator("tbody td.col-id").all_inner_texts()}   # id, then its links
            assert shown == ids_containing(archive_db, term)
            seeds = {r["id"] for r in sql(archive_db, "select id, agency, year from reports")
                     if (r["agency"], r["year"]) in {k for f, k in SEED_REPORTS.items()
                                                     if term in (SEEDS / f).read_text("utf-8")}}
            assert seeds and seeds <= shown
            page.fill("input[name=_search]", "复议")
            page.press("input[name=_search]", "Enter")
            page.wait_for_url("**/search_short?q=*")
            shown = {int(t.split()[0]) for t in page.locator("tbody td.col-report_id").all_inner_texts()}
            assert shown == ids_containing(archive_db, "复议")
            shot("search-short")

            # a report -> its table 三 -> a figure's source -> the raw capture
            page.goto(f"{datasette_url}/archive/report_summary?id={rid}")
            page.locator("table.rows-and-columns tbody tr").first.locator("a", has_text="table 三").click()
            page.wait_for_url(f"**/report_table3?report_id={rid}")
            assert page.locator("tbody tr").count() >= 20           # template rows
            page.goto(f"{datasette_url}/archive/report_statistics?report_id={rid}")
            headers = [h.strip() for h in page.locator("table.rows-and-columns th").all_inner_texts()]
            assert headers[1:10] == ["项目", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计", "单位"]
            shot("report-statistics", phone=True)
            page.goto(f"{datasette_url}/archive/report_stats?report_id={rid}&table_name=3&row_key=new&col_key=total")
            assert page.locator("tbody tr").count() == 1
            page.locator("tbody td.col-source a.source-grid").click()   # the source grid (source_grid.py)
            page.wait_for_url("**/-/source?*")
            hit = page.locator(".hit")
            assert hit.count() == 1 and str(int(cell["value"])) in hit.inner_text()
            shot("source-grid", phone=True, fits=False)                    # source_grid.py's own page
            with page.expect_download() as download:
                page.locator("a", has_text="download raw capture").click()
            assert hashlib.sha256(Path(download.value.path()).read_bytes()).hexdigest() == body_sha

            # the agency x year grid
            page.goto(datasette_url + "/archive/agency_year_grid")
            assert page.locator("span.nb-missing").count() > 0 and page.locator("a.nb-held").count() > 0
            shot("grid", phone=True)

            # the national overview: charts drawn, a bar per value
            page.goto(datasette_url + "/-/dashboards/national-overview")
            assert _bars(page, "reports-per-year") == 2 * len(span)      # held and missing, per year
            assert _bars(page, "per-province") == provinces
            assert _bars(page, "applications-by-year") == len(span)
            shot("national")

            # the agency profile: another agency picked, its reports by year with the missing one
            picked = names["quzhou_zjj"]
            page.goto(datasette_url + "/-/dashboards/agency-profile")
            page.wait_for_url("**agency=*")
            page.select_option("select#agency", label=picked)
            page.click("input[type=submit][value=Apply]")
            page.wait_for_url("**agency=*")
            assert urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)["agency"] == [picked]
            assert _bars(page, "applications") == quzhou_apps           # a bar per year with the figure
            assert _bars(page, "outcomes") > quzhou_apps                 # stacked outcomes
            page.locator("#chart-reports table").wait_for()
            years_shown = {int(t) for t in page.locator("#chart-reports tbody td:first-child").all_inner_texts()}
            missing = {int(t.split()[0]) for t in page.locator("#chart-reports tbody tr", has=page.locator(
                "span.nb-missing")).all_inner_texts()}
            assert missing == years_shown - truth["quzhou_zjj"] and missing
            assert page.locator("#chart-reports script, #chart-reports img").count() == 0
            page.wait_for_timeout(300)                                    # vega's resize pass
            shot("profile", phone=True)
        except Exception:
            (ROOT / "artifacts").mkdir(exist_ok=True)        # what the browser showed when it failed
            page.screenshot(path=str(ROOT / "artifacts" / "walk-failure.png"))
            raise
        finally:
            browser.close()
    shots = [*IMG.glob("datasette-*-1400.png"), *IMG.glob("datasette-*-600.png")]
    assert len(shots) == 13 and all(png.stat().st_size < 200_000 for png in shots), shots
