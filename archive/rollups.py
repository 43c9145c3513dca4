"""Tables the extractor writes so that Datasette's main pages stay fast at 100x the demo archive
(migration _m18_rollups in archive/db.py; issue 11). They were views, or did not exist:

  report_summary    one row per report, its headline figures as columns (the columns of the view it
                    replaces: checks_failed empty where no check ran, figures as integers where whole)
  agency_years      one row per followed agency (a crawl run or a report) x year of the archive's span,
                    the report held (report_id NULL: none) and its key figures
  agency_year_grid  one row per followed agency, one column per year of the span ("2019": that year's
                    new applications, 件; empty: no report held, or a report with no such figure),
                    reports_held and years_in_span
  report_revisions  what changed between consecutive versions, cell by cell (the rows of the view it
                    replaces, archive/datasette/views.py revisions_sql: 0.25 s a query at 100x, facets 5 times)

    from archive.rollups import refresh
    refresh(db)    # rewrite all three from reports / report_stats / report_checks / report_assessments

`refresh` runs at the end of every extraction pass (archive/extract/run.py: after the assessments),
after a merge, and in the migration, in one transaction (a reader sees the old rows or the new ones).
A pass rewrites the summary rows of the reports it wrote or flagged (`extract --all`, the migration:
all of them) and the other tables whole: at 100x the demo (25,400 reports, 3,586 agencies) the whole
rewrite is the figure bench/datasette_pages.py prints, a pass's a few seconds.
"""
from __future__ import annotations

import time

import sqlite_utils

from archive.datasette.views import FOLLOWED_YEARS
from archive.keys import HEADLINE_KEYS

SUMMARY_FIGURES = HEADLINE_KEYS
SUMMARY_COLUMNS = ["id", "agency", "agency_name", "province", "level", "year", "title", "published",
                   "index_no", "format", *SUMMARY_FIGURES, "checks_run", "checks_failed", "needs_review",
                   "figures_inferred", "url"]
AGENCY_YEARS_COLUMNS = ["agency", "agency_name", "province", "level", "region_code", "year", "report_id",
                        "title", "format", "published", "on_time", "applications", "total_handled", "checks_failed",
                        "needs_review"]
GRID_FIXED = ["agency", "agency_name", "province", "level", "region_code"]
GRID_TAIL = ["reports_held", "years_in_span"]
REVISIONS_COLUMNS = {"report_id": "INTEGER", "agency": "TEXT", "year": "INTEGER", "old_version": "INTEGER",
                     "new_version": "INTEGER", "new_status": "TEXT", "change": "TEXT", "table_name": "TEXT",
                     "row_key": "TEXT", "col_key": "TEXT", "label": "TEXT", "old_value": "", "new_value": "",
                     "old_capture_id": "INTEGER", "new_capture_id": "INTEGER", "old_captured_at": "TEXT",
                     "new_captured_at": "TEXT"}


def _whole(expr: str) -> str:
    return f"CASE WHEN {expr} = CAST({expr} AS INTEGER) THEN CAST({expr} AS INTEGER) ELSE {expr} END"


def create_tables(db: sqlite_utils.Database) -> None:
    """report_summary (replacing the view) and agency_years, with the indexes their facets and
    filters use; agency_year_grid is created by refresh (its columns are the span's years)."""
    if "report_summary" in db.view_names():
        db.execute("DROP VIEW report_summary")
    types = {c: "NUMERIC" for c in SUMMARY_FIGURES}
    # a rowid table (rowid = id), not `id INTEGER PRIMARY KEY`: Datasette renders a primary key as its own
    # row link and never hands it to render_cell, which links a report's id to its pages (plugins/raw_links.py)
    types.update(id="INTEGER", year="INTEGER", checks_run="INTEGER", checks_failed="INTEGER",
                 figures_inferred="INTEGER")
    db.execute("CREATE TABLE IF NOT EXISTS report_summary (\n  "
               + ",\n  ".join(f"[{c}] {types.get(c, 'TEXT')}" for c in SUMMARY_COLUMNS) + ")")
    db["report_summary"].create_index(["id"], unique=True, if_not_exists=True)
    for cols in (["agency", "year"], ["agency_name"], ["province"], ["level"], ["year"], ["format"]):
        db["report_summary"].create_index(cols, if_not_exists=True)
    ay = {"year": "INTEGER", "report_id": "INTEGER", "on_time": "INTEGER", "applications": "NUMERIC",
          "total_handled": "NUMERIC", "checks_failed": "INTEGER"}
    db.execute("CREATE TABLE IF NOT EXISTS agency_years (\n  "
               + ",\n  ".join(f"[{c}] {ay.get(c, 'TEXT')}" for c in AGENCY_YEARS_COLUMNS)
               + ",\n  PRIMARY KEY (agency, year),\n  FOREIGN KEY (report_id) REFERENCES reports(id))")
    for cols in (["year"], ["province", "level"], ["level"], ["report_id"], ["agency_name"]):
        db["agency_years"].create_index(cols, if_not_exists=True)


def refresh_revisions(db: sqlite_utils.Database) -> None:
    """report_revisions as a table (replacing the view the first time), its rows rewritten."""
    from archive.datasette.views import revisions_sql
    if "report_revisions" in db.view_names():
        db.execute("DROP VIEW report_revisions")
    if not db["report_revisions"].exists():
        db.execute("CREATE TABLE report_revisions (\n  " + ",\n  ".join(
            f"[{c}] {t}".rstrip() for c, t in REVISIONS_COLUMNS.items())
            + ",\n  FOREIGN KEY (report_id) REFERENCES reports(id))")
        for cols in (["report_id"], ["change"], ["new_status"], ["table_name"], ["agency"], ["year"]):
            db["report_revisions"].create_index(cols, if_not_exists=True)
    db.execute("DELETE FROM report_revisions")
    db.execute(f"INSERT INTO report_revisions ({', '.join(REVISIONS_COLUMNS)}) SELECT * FROM ({revisions_sql()})")


def _summary_sql(only: str = "") -> str:
    """The INSERT of report_summary rows: every report's, or (only: an SQL list of ids) those reports'."""
    pivot = ",\n  ".join(_whole(f"s.{k}") for k in SUMMARY_FIGURES)
    picks = ",\n    ".join(f"max(CASE WHEN row_key = '{k}' THEN value END) AS {k}" for k in SUMMARY_FIGURES)
    and_only = f"AND report_id IN ({only})" if only else ""
    where_only = f"WHERE report_id IN ({only})" if only else ""
    where_r = f"WHERE r.id IN ({only})" if only else ""
    return f"""
INSERT INTO report_summary (rowid, {', '.join(SUMMARY_COLUMNS)})
SELECT r.id, r.id, r.agency, a.name, a.province, a.level, r.year, r.title, r.published, r.index_no, r.format,
  {pivot},
  coalesce(c.run, 0), CASE WHEN coalesce(c.run, 0) = 0 THEN NULL ELSE c.failed END,
  r.needs_review, coalesce(i.n, 0), r.url
FROM reports r
LEFT JOIN agencies a ON a.slug = r.agency
LEFT JOIN (SELECT report_id,
    {picks}
  FROM report_stats WHERE table_name = 'summary' {and_only} GROUP BY report_id) s ON s.report_id = r.id
LEFT JOIN (SELECT report_id, count(*) AS run, sum(passed = 0) AS failed FROM report_checks {where_only}
           GROUP BY report_id) c ON c.report_id = r.id
LEFT JOIN (SELECT report_id, count(*) AS n FROM report_stats WHERE inferred = 1 {and_only}
           GROUP BY report_id) i ON i.report_id = r.id
{where_r}"""


AGENCY_YEARS_SQL = f"""
{FOLLOWED_YEARS},
timely AS (
  SELECT report_id, max(CASE result WHEN 'PASS' THEN 1 WHEN 'FAIL' THEN 0 END) AS on_time
  FROM report_assessments WHERE check_name = 'law.timeliness' GROUP BY report_id
)
INSERT INTO agency_years (agency, agency_name, province, level, region_code, year, report_id, title, format,
  published, on_time, applications, total_handled, checks_failed, needs_review)
SELECT a.slug, a.name, a.province, a.level,
  coalesce(nullif(a.region_code, ''), (SELECT x.region_code FROM reports x WHERE x.id = s.id)), y.year,
  s.id, s.title, s.format, s.published, t.on_time, s.applications_new, s.handled_total, s.checks_failed,
  s.needs_review
FROM followed f JOIN agencies a ON a.slug = f.slug CROSS JOIN years y
LEFT JOIN report_summary s ON s.agency = a.slug AND s.year = y.year
LEFT JOIN timely t ON t.report_id = s.id
WHERE y.year IS NOT NULL"""


def _grid(db: sqlite_utils.Database) -> None:
    """agency_year_grid from agency_years: recreated only when the span's years change (a schema
    change), otherwise its rows are replaced."""
    years = [r[0] for r in db.execute("SELECT DISTINCT year FROM agency_years ORDER BY year")]
    want = [*GRID_FIXED, *map(str, years), *GRID_TAIL]
    if db["agency_year_grid"].exists() and [c.name for c in db["agency_year_grid"].columns] != want:
        db.execute("DROP TABLE agency_year_grid")
    if not db["agency_year_grid"].exists():
        cols = [f"[{c}] TEXT" for c in GRID_FIXED] + [f"[{y}] NUMERIC" for y in years] \
            + [f"[{c}] INTEGER" for c in GRID_TAIL]
        db.execute("CREATE TABLE agency_year_grid (\n  " + ",\n  ".join(cols) + ")")   # rowid: agency to render_cell
        db["agency_year_grid"].create_index(["agency"], unique=True, if_not_exists=True)
        for c in ("agency_name", "province", "level", "region_code"):
            db["agency_year_grid"].create_index([c], if_not_exists=True)
    db.execute("DELETE FROM agency_year_grid")
    cells = "".join(f",\n  max(CASE WHEN year = {y} THEN applications END) AS [{y}]" for y in years)
    db.execute(f"""
INSERT INTO agency_year_grid ({', '.join(f'[{c}]' for c in want)})
SELECT agency, max(agency_name), max(province), max(level), max(region_code){cells},
  count(report_id), count(*)
FROM agency_years GROUP BY agency""")


def refresh(db: sqlite_utils.Database, report_ids=None) -> float:
    """Rewrite report_summary, agency_years, agency_year_grid and report_revisions from the archive's
    current rows, in one transaction (inside the caller's when one is open: the migration). With
    report_ids (the reports an extraction pass wrote or flagged), report_summary's rows of those
    reports only are rewritten, the agencies' names and places resynced on all, rows of reports no
    longer held dropped; the other tables are always rewritten whole. Returns the seconds taken."""
    t0 = time.perf_counter()
    own = not db.conn.in_transaction
    if own:
        db.execute("BEGIN IMMEDIATE")
    try:
        create_tables(db)
        if report_ids is None:
            db.execute("DELETE FROM report_summary")
            db.execute(_summary_sql())
        else:
            ids = sorted({int(i) for i in report_ids})
            for at in range(0, len(ids), 500):
                only = ", ".join(map(str, ids[at:at + 500]))
                db.execute(f"DELETE FROM report_summary WHERE id IN ({only})")
                db.execute(_summary_sql(only))
            db.execute("DELETE FROM report_summary WHERE id NOT IN (SELECT id FROM reports)")
            db.execute("""UPDATE report_summary SET agency_name = a.name, province = a.province, level = a.level
                FROM agencies a WHERE a.slug = report_summary.agency AND (report_summary.agency_name IS NOT a.name
                OR report_summary.province IS NOT a.province OR report_summary.level IS NOT a.level)""")
        db.execute("DELETE FROM agency_years")
        db.execute(AGENCY_YEARS_SQL)
        _grid(db)
        refresh_revisions(db)
    except BaseException:
        if own:
            db.execute("ROLLBACK")
        raise
    if own:
        db.execute("COMMIT")
    return time.perf_counter() - t0
