"""Every version of a report (issue 11) and a worse capture never silently winning (issue 10).

End to end: a real crawl of one agency through the Scrapy engine against the replica web, the
extraction pass, then two of the agency's reports changed on the replica (one cell corrected, one page
mangled: its tables gone), a second crawl WITHOUT --refresh (revalidation in the season), and the pass
again. Expected values come from the replica's ground truth (server.truth()) and from the edit made
here, never from the code under test. Then unit tests of the ranking, the content identity, the
migration's version 1 and the revalidation rhythm."""
from __future__ import annotations

import re
import sqlite3
import time
from datetime import datetime

import pytest

from archive.db import open_db
from archive.extract import versions
from archive.extract.run import run_extract
from archive.status import agency_status, format_status
from crawler.middlewares import Revalidation, SEASON_TZ, season_months
from test_crawl import crawl, rows

AGENCY = "quzhou_zjj"
CORRECTED = (2023, "2", "normative_docs", "in_force")   # (year, table, row, col) of the corrected cell
MANGLED = 2022                                           # the report whose page loses its tables
IN_SEASON = ["--set", "NIANBAO_SEASON=1-12", "--set", "NIANBAO_REVALIDATE_MIN_HOURS=0"]


def truth_of(server, year):
    return next(t for t in server.truth() if t["agency"] == AGENCY and t["year"] == year)


def truth_value(server, year, table, row, col):
    return next(s["value"] for s in truth_of(server, year)["stats"]
                if (s["table"], s["row"], s["col"]) == (table, row, col))


def report_of(server, year):
    return next(r for r in server.reports(AGENCY) if r.year == year)


def correct_cell(body: str, label: str, old: int, new: int) -> str:
    """The body with the last figure of the table row labelled `label` changed from old to new."""
    row = next(r for r in re.findall(r"<tr>.*?</tr>", body, re.S) if label in r)
    last = list(re.finditer(r">(\d+)<", row))[-1]
    assert int(last.group(1)) == old, (last.group(1), old)
    fixed = row[:last.start(1)] + str(new) + row[last.end(1):]
    return body.replace(row, fixed, 1)


@pytest.fixture(scope="module")
def history(replica_corpus, tmp_path_factory):
    from replica.server import ReplicaServer
    db = tmp_path_factory.mktemp("versions") / "archive.db"
    with ReplicaServer(replica_corpus) as server:
        crawl(server, db, AGENCY)
        first = run_extract(db)
        before = {
            "stats": rows(db, "SELECT s.* FROM report_stats s JOIN reports r ON r.id = s.report_id"
                              " WHERE r.agency = ? AND r.year = ? ORDER BY s.rowid", AGENCY, MANGLED),
            "reports": {r["year"]: r for r in rows(db, "SELECT * FROM reports WHERE agency = ?", AGENCY)},
        }
        year, table, row, col = CORRECTED
        old = truth_value(server, year, table, row, col)
        new = int(old) + 3
        corrected = report_of(server, year)
        server.edit(corrected.url, correct_cell(corrected.body_html, "行政规范性文件", int(old), new))
        mangled = report_of(server, MANGLED)
        server.edit(mangled.url, re.sub(r"<table.*?</table>", "", mangled.body_html, flags=re.S))
        start = time.time()
        crawl(server, db, AGENCY, *IN_SEASON)          # no --refresh: the season revalidates
        log = [e for e in server.log if e.time >= start]
        second = run_extract(db)
        again = run_extract(db, all=True)              # re-extraction: no version more
        return {"db": db, "server": server, "log": log, "first": first, "second": second, "again": again,
                "before": before, "old": old, "new": new, "corrected": corrected.url, "mangled": mangled.url,
                "urls": set(server.urls(AGENCY))}


def versions_of(db, year):
    return rows(db, "SELECT v.* FROM report_versions v JOIN reports r ON r.id = v.report_id"
                    " WHERE r.agency = ? AND r.year = ? ORDER BY v.version", AGENCY, year)


def test_the_season_revalidates_every_held_report_page_conditionally(history):
    log, urls = history["log"], history["urls"]
    asked = {e.url: e for e in log if e.url in urls}
    assert set(asked) == urls                                   # every held report page asked about
    assert all("if-none-match" in {k.lower() for k in e.headers} for e in asked.values())
    changed = {history["corrected"], history["mangled"]}
    assert {u for u, e in asked.items() if e.status == 200} == changed
    assert all(e.status == 304 for u, e in asked.items() if u not in changed)
    run = rows(history["db"], "SELECT * FROM runs WHERE kind = 'crawl' ORDER BY id DESC LIMIT 1")[0]
    assert run["status"] == "ok" and run["pages_changed"] == 2 and run["pages_new"] == 0


def test_a_corrected_cell_is_a_second_version_and_a_revision(history):
    db = history["db"]
    year, table, row, col = CORRECTED
    vs = versions_of(db, year)
    assert [(v["version"], v["status"]) for v in vs] == [(1, "superseded"), (2, "current")]
    new_capture = rows(db, "SELECT id FROM captures WHERE url = ? AND body_sha256 IS NOT NULL"
                           " ORDER BY id DESC LIMIT 1", history["corrected"])[0]["id"]
    assert vs[1]["capture_id"] == new_capture
    report = rows(db, "SELECT * FROM reports WHERE agency = ? AND year = ?", AGENCY, year)[0]
    assert report["capture_id"] == new_capture and report["id"] == history["before"]["reports"][year]["id"]
    # the current figures are the new ones; the old ones are still queryable, by version
    cell = "table_name = ? AND row_key = ? AND col_key = ?"
    assert [r["value"] for r in rows(db, f"SELECT value FROM report_stats WHERE report_id = ? AND {cell}",
                                     report["id"], table, row, col)] == [history["new"]]
    for v, want in ((vs[0], history["old"]), (vs[1], history["new"])):
        got = rows(db, f"SELECT value FROM version_stats WHERE version_id = ? AND {cell}", v["id"], table, row, col)
        assert [g["value"] for g in got] == [want]
    # report_revisions names the cell, old and new values, both captures: and nothing else changed
    revs = rows(db, "SELECT * FROM report_revisions WHERE report_id = ?", report["id"])
    figures = [r for r in revs if r["change"] in ("changed", "added", "removed")]
    assert [(r["change"], r["table_name"], r["row_key"], r["col_key"], r["old_value"], r["new_value"])
            for r in figures] == [("changed", table, row, col, history["old"], history["new"])]
    assert figures[0]["old_capture_id"] == vs[0]["capture_id"] and figures[0]["new_capture_id"] == new_capture
    assert figures[0]["agency"] == AGENCY and figures[0]["year"] == year
    assert (figures[0]["old_version"], figures[0]["new_version"]) == (1, 2)
    assert {r["change"] for r in revs} == {"changed", "text"}   # the text says 23 now too
    assert report["needs_review"] is None


def test_a_mangled_capture_is_kept_as_worse_and_flagged(history):
    db, before = history["db"], history["before"]
    vs = versions_of(db, MANGLED)
    assert [(v["version"], v["status"]) for v in vs] == [(1, "current"), (2, "worse")]
    assert vs[1]["figures"] < vs[0]["figures"] and "figures read where version 1 has" in vs[1]["reason"]
    mangled_capture = rows(db, "SELECT id FROM captures WHERE url = ? AND body_sha256 IS NOT NULL"
                               " ORDER BY id DESC LIMIT 1", history["mangled"])[0]["id"]
    assert vs[1]["capture_id"] == mangled_capture
    report = rows(db, "SELECT * FROM reports WHERE agency = ? AND year = ?", AGENCY, MANGLED)[0]
    assert report["capture_id"] == before["reports"][MANGLED]["capture_id"] == vs[0]["capture_id"]
    now = rows(db, "SELECT * FROM report_stats WHERE report_id = ? ORDER BY rowid", report["id"])
    assert now == before["stats"] and now                        # the figures unchanged
    # the current figures still give the replica's truth for the report's table 三 total
    truth = {(s["table"], s["row"], s["col"]): s["value"] for s in truth_of(history["server"], MANGLED)["stats"]}
    got = {(r["table_name"], r["row_key"], r["col_key"]): r["value"] for r in now if r["table_name"] == "3"}
    assert got and all(truth[k] == v for k, v in got.items() if k in truth)
    # flagged where users look: the report, the extract run, scheduler.py status
    assert "version 2" in report["needs_review"] and "reads worse" in report["needs_review"]
    summary = rows(db, "SELECT needs_review FROM report_summary WHERE id = ?", report["id"])[0]
    assert "version 2" in summary["needs_review"]
    run = rows(db, "SELECT status, failure, stats FROM runs WHERE id = ?", history["second"]["run_id"])[0]
    assert run["status"] == "ok" and run["failure"].startswith("warning: 1 later capture")
    assert f"{AGENCY} {MANGLED} version 2" in run["failure"]
    assert history["second"]["worse"] == 1 and history["second"]["versions"] == 2
    con = open_db(db)
    try:
        text = format_status(agency_status(con, [AGENCY], last_year=2025))
    finally:
        con.conn.close()
    assert f"worse capture kept: {MANGLED} version 2" in text
    # its revisions: the table figures the mangled capture lost, as removed, with their old values
    removed = {(r["table_name"], r["row_key"], r["col_key"]): r for r in rows(
        db, "SELECT * FROM report_revisions WHERE report_id = ? AND change = 'removed'", report["id"])}
    lost = {k: v for k, v in truth.items() if k[0] in ("2", "3", "4")}
    assert lost and set(lost) <= set(removed)
    assert all(removed[k]["old_value"] == v and removed[k]["new_value"] is None for k, v in lost.items())
    assert all(r["new_status"] == "worse" and r["new_capture_id"] == mangled_capture for r in removed.values())


def test_unchanged_reports_have_one_version_and_re_extraction_adds_none(history):
    db = history["db"]
    counts = {r["year"]: r["n"] for r in rows(
        db, "SELECT r.year, count(v.id) n FROM reports r JOIN report_versions v ON v.report_id = r.id"
            " WHERE r.agency = ? GROUP BY r.year", AGENCY)}
    assert {y: n for y, n in counts.items() if n != 1} == {CORRECTED[0]: 2, MANGLED: 2}
    assert history["again"]["versions"] == 0 and history["again"]["worse"] == 1   # still worse, re-read
    statuses = rows(db, "SELECT status, count(*) n FROM report_versions GROUP BY status ORDER BY status")
    assert {r["status"]: r["n"] for r in statuses} == {"current": len(counts), "superseded": 1, "worse": 1}
    # report_stats is the current versions' rows only
    stray = rows(db, "SELECT count(*) n FROM report_stats s JOIN report_versions v ON v.id = s.version_id"
                     " WHERE v.status != 'current' OR v.report_id != s.report_id")
    assert stray[0]["n"] == 0
    assert rows(db, "SELECT count(*) n FROM report_stats WHERE version_id IS NULL")[0]["n"] == 0


# ------------------------------------------------------------------ the ranking (units)

def reading(figures=100, failed=0, at="2026-01-02T00:00:00.000+00:00", cid=2, report=True):
    if not report:
        return versions.Reading.not_a_report(cid, at, "NotAReport: no report title")
    return versions.Reading(capture_id=cid, capture_ids=[cid], captured_at=at, figures=figures,
                            checks_run=10, checks_failed=failed)


CURRENT = reading(cid=1, at="2026-01-01T00:00:00.000+00:00")


@pytest.mark.parametrize("new, status, words", [
    (reading(), "current", "latest capture"),                          # same counts: a correction
    (reading(figures=120), "current", "latest capture"),               # more figures
    (reading(figures=99), "worse", "99 figures read where version 3 has 100"),
    (reading(failed=1), "worse", "1 consistency checks failed where version 3 fails 0"),
    (reading(figures=150, failed=2), "worse", "checks failed"),        # more figures but inconsistent
    (reading(report=False), "worse", "not read as a report"),
    (reading(at="2025-12-31T00:00:00.000+00:00"), "superseded", "captured before version 3"),
])
def test_ranking(new, status, words):
    got, reason = versions.decide(new, CURRENT, 3)
    assert got == status and words in reason


def test_first_version_is_current_and_fewer_failed_checks_win():
    assert versions.decide(reading(), None) == ("current", "first version")
    broken = reading(cid=1, failed=3, at="2026-01-01T00:00:00.000+00:00")
    assert versions.decide(reading(failed=1), broken, 1)[0] == "current"


def test_content_identity_ignores_order_and_where_read_but_not_values():
    meta = {"title": "t", "published": "2024-01-01", "format": "template2021"}
    stats = [("3", "new", "total", 5, "件"), ("2", "rules", "issued", 1.0, "件")]
    a = versions.content_sha(meta, "text", stats)
    assert a == versions.content_sha(meta, "text", list(reversed(stats)))
    assert a == versions.content_sha(meta, "text", [("3", "new", "total", 5.0, "件"), stats[1]])
    assert a != versions.content_sha(meta, "text", [("3", "new", "total", 6, "件"), stats[1]])
    assert a != versions.content_sha(meta, "text 2", stats)
    assert a != versions.content_sha(meta | {"published": "2024-01-02"}, "text", stats)


def test_the_migration_gives_held_reports_the_version_the_pass_would(history, tmp_path):
    """Version 1 made by the migration from a report's rows has the content identity the pass computes
    from the extraction (so the next capture of the same content joins it, and no version is made)."""
    import shutil
    db = tmp_path / "copy.db"
    con = sqlite3.connect(history["db"])
    con.execute(f"VACUUM INTO '{db}'")
    con.close()
    want = {r["report_id"]: r["content_sha256"] for r in rows(db, "SELECT report_id, content_sha256"
                                                                 " FROM report_versions WHERE status = 'current'")}
    con = open_db(db)
    try:
        con.execute("DELETE FROM version_stats")
        con.execute("DELETE FROM report_versions")
        con.execute("UPDATE report_stats SET version_id = NULL")
        versions.backfill(con)
    finally:
        con.conn.close()
    got = {r["report_id"]: r["content_sha256"] for r in rows(db, "SELECT report_id, content_sha256"
                                                                "  FROM report_versions")}
    assert got == want
    assert rows(db, "SELECT count(*) n FROM report_stats WHERE version_id IS NULL")[0]["n"] == 0
    shutil.rmtree(tmp_path, ignore_errors=True)


# ------------------------------------------------------------------ the revalidation rhythm (units)

class Settings(dict):
    def getbool(self, k, d=None):
        return str(self.get(k, d)).lower() in ("1", "true", "yes")

    def getfloat(self, k, d=None):
        return float(self.get(k, d))


def at(day: str) -> float:
    return datetime.fromisoformat(day + " 02:30").replace(tzinfo=SEASON_TZ).timestamp()


URLS = [f"http://zjj.qz.gov.cn/art/2024/1/{i}/art_1525444_{i}.html" for i in range(700)]


def test_in_season_everything_is_due_but_nothing_fetched_hours_ago():
    r = Revalidation(Settings(), now=at("2026-02-10"))
    assert r.in_season
    assert all(r.due(u, at("2026-02-09")) for u in URLS)
    assert r.due(URLS[0], at("2026-02-09"), browser=True)              # browser pages: in the season, whole
    assert not any(r.due(u, at("2026-02-10") - 3600) for u in URLS)   # fetched an hour ago
    assert not Revalidation(Settings(NIANBAO_REVALIDATE="0"), now=at("2026-02-10")).due(URLS[0], None)


def rounds(runs: list[str]) -> list[set]:
    """Which URLs each run revalidates, each page's last fetch being the last run that asked it."""
    last = {u: at("2026-06-01") for u in URLS}
    out = []
    for day in runs:
        r = Revalidation(Settings(), now=at(day))
        assert not r.in_season
        due = {u for u in URLS if r.due(u, last[u])}
        for u in due:
            last[u] = r.now
        out.append(due)
    return out


def test_off_season_a_rolling_share_and_every_page_comes_round():
    daily = rounds([f"2026-06-{d:02d}" for d in range(2, 16)])
    assert all(60 <= len(d) <= 140 for d in daily)                 # about 1/7 of 700 each day
    assert set().union(*daily[:7]) == set(URLS)                     # all of them within a week
    assert sum(len(d) for d in daily[:7]) == len(URLS)              # each once a week, not more
    weekly = rounds(["2026-06-08", "2026-06-15", "2026-06-22"])     # Mondays only: all of them each time
    assert all(d == set(URLS) for d in weekly)
    assert not Revalidation(Settings(), now=at("2026-06-10")).due(URLS[0], at("2026-06-01"), browser=True)
    assert not Revalidation(Settings(NIANBAO_REVALIDATE_DAYS="0"), now=at("2026-06-10")).due(URLS[0], at("2026-06-01"))


def test_season_months():
    assert season_months("1-4") == {1, 2, 3, 4} and season_months("1,2,12") == {1, 2, 12}
    assert season_months("none") == set() and season_months("") == set()
    with pytest.raises(ValueError):
        season_months("0-13")


# ------------------------------------------------------------------ the pass on a small archive

def test_a_page_that_no_longer_reads_as_a_report_and_an_older_capture(tmp_path):
    """Through archive/store.py and the pass: the seed page, then the same URL serving a page that is
    not a report (kept as a worse version, flagged, a 'not a report' revision), then a capture of other
    content fetched before the current one (a WARC import of an old crawl: superseded, not current)."""
    from archive.store import Archive
    from test_extract_run import HUNAN_URL, capture, seed_lines, trs_page
    path = tmp_path / "archive.db"
    lines = seed_lines("hunan-zjt-2018.txt")
    store = Archive(path)
    run = store.start_run("crawl", "hunan_zjt")
    first = capture(store, run, "hunan_zjt", HUNAN_URL, trs_page(lines[0], lines[1], lines[3:-5]).encode())
    store.close()
    run_extract(path)
    store = Archive(path)
    gone = capture(store, run, "hunan_zjt", HUNAN_URL, "<html><body><p>欢迎访问本网站</p></body></html>".encode())
    store.close()
    counts = run_extract(path)
    assert counts["worse"] == 1 and counts["reports"] == 0
    vs = rows(path, "SELECT * FROM report_versions ORDER BY version")
    assert [(v["version"], v["status"], v["capture_id"], v["is_report"]) for v in vs] == [
        (1, "current", first, 1), (2, "worse", gone, 0)]
    assert "not read as a report (NotAReport" in vs[1]["reason"]
    report = rows(path, "SELECT capture_id, needs_review FROM reports")[0]
    assert report["capture_id"] == first and "version 2" in report["needs_review"]
    rev = rows(path, "SELECT change, old_version, new_version, new_capture_id FROM report_revisions")
    assert rev == [{"change": "not a report", "old_version": 1, "new_version": 2, "new_capture_id": gone}]
    ex = rows(path, "SELECT status, error FROM extractions WHERE capture_id = ?", gone)[0]
    assert ex["status"] == "skipped" and "kept as version 2" in ex["error"]

    store = Archive(path)
    old_body = [l.replace("发布信息4238条", "发布信息4100条") for l in lines[3:-5]]
    old, _ = store.add_capture({
        "run_id": run, "agency": "hunan_zjt", "url": HUNAN_URL + "?old", "final_url": HUNAN_URL + "?old",
        "method": "GET", "status": 200, "headers": {"Content-Type": "text/html"}, "content_type": "text/html",
        "fetch_mode": "http", "kind": "report", "fetched_at": "2019-03-23T00:00:00.000+00:00"},
        body=trs_page(lines[0], lines[1], old_body).encode())
    store.close()
    run_extract(path)
    vs = rows(path, "SELECT version, status, reason, capture_id FROM report_versions ORDER BY version")
    assert (vs[2]["status"], vs[2]["capture_id"]) == ("superseded", old) and "captured before" in vs[2]["reason"]
    assert rows(path, "SELECT proactive_total FROM report_summary") == [{"proactive_total": 4238}]
    # figures are compared between consecutive versions that read as reports: 1 and 3
    pair = rows(path, "SELECT old_version, new_version, old_value, new_value FROM report_revisions"
                      " WHERE change = 'changed' AND table_name = 'summary'")
    assert pair == [{"old_version": 1, "new_version": 3, "old_value": 4238, "new_value": 4100}]
