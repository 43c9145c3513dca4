"""End to end: the README's main job (crawl every agency of the replica web, then extract) leaves an
archive whose reports match the replica's ground truth, figure for figure.

The truth comes from the replica's generator (replica.corpus), never from the extractor: for every
report of a registry agency, the archived `reports` row, its `report_stats`, its summary and its failed
`report_checks` are compared with it, including the reports whose figures exist only in a PDF or DOCX
attachment.
"""
from __future__ import annotations

import sqlite3

from batch import default_agencies
from crawler.registry import agencies
from tests.test_extract_replica import differences


def archived_result(conn: sqlite3.Connection, agency: str, year: int) -> dict | None:
    """The archive's rows for one report, in the shape extract_document returns."""
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT * FROM reports WHERE agency = ? AND year = ?", [agency, year]).fetchone()
    if row is None:
        return None
    result = dict(row)
    result["agency_slug"] = agency
    result["agency"] = agencies()[agency].name
    stats = conn.execute("SELECT table_name, row_key, col_key, value FROM report_stats WHERE report_id = ?",
                         [row["id"]]).fetchall()
    result["stats"] = [{"table": s[0], "row": s[1], "col": s[2], "value": s[3]} for s in stats]
    result["summary"] = {s["row"]: s["value"] for s in result["stats"] if s["table"] == "summary"}
    result["checks"] = [{"name": c[0], "passed": c[1]} for c in conn.execute(
        "SELECT check_name, passed FROM report_checks WHERE report_id = ?", [row["id"]])]
    return result


def test_every_report_of_every_agency_is_archived_and_matches_truth(crawled_archive, replica_session):
    registry = default_agencies(replica=True)   # what the demo crawls: every agency the replica serves
    truths = [t for t in replica_session.truth() if t["agency"] in registry]
    assert {t["agency"] for t in truths} == set(registry)
    assert {t["stats_in"] for t in truths} == {"page", "pdf", "docx"}   # attachments crawled too
    conn = sqlite3.connect(crawled_archive)
    problems = {}
    for t in truths:
        got = archived_result(conn, t["agency"], t["year"])
        if got is None:
            problems[t["url"]] = ["not in the archive"]
            continue
        diff = differences(got, t)
        if diff:
            problems[t["url"]] = diff
    report = "\n".join(f"{url}: " + "; ".join(d) for url, d in sorted(problems.items()))
    assert not problems, f"{len(problems)} of {len(truths)} reports differ from truth:\n{report}"
    n_reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    assert n_reports == len(truths), "the archive holds reports the replica did not publish"


def test_the_run_is_recorded_ok_for_every_agency(crawled_archive):
    conn = sqlite3.connect(crawled_archive)
    crawls = dict(conn.execute("SELECT agency, status FROM runs WHERE kind = 'crawl'").fetchall())
    assert crawls == {slug: "ok" for slug in default_agencies(replica=True)}
    extract = conn.execute("SELECT status, errors FROM runs WHERE kind = 'extract'").fetchall()
    assert extract == [("ok", 0)]
