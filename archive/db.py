"""The archive: one SQLite file in WAL mode, opened and migrated through sqlite-utils.

Tables (see docs/archive.md):
  agencies        the registry, mirrored for queries
  runs            one row per crawl (per agency) or extract run
  bodies          raw response bodies, content-addressed by sha256 (hidden in Datasette)
  captures        one row per fetch; points at a body, or is a revisit of an earlier capture
  extractions     one row per (capture, extractor version): ok / error / skipped, with the error
  reports         one row per report (agency + year)
  report_stats    every figure, long format
  report_checks   the consistency checks each report passed or failed
  report_summary  one row per report, headline figures as columns (a table, archive/rollups.py)
  agency_years, agency_year_grid  followed agency x year of the span; one row per agency, a column a year
  listings        what each crawl run's columns listed (list pages, report URLs)
  probes          what each `scheduler.py probe` found per agency (archive/probes.py)
  report_listing  (view) whether each report is still listed in its agency's column
  report_assessments  checks across reports and against the law (PASS / FAIL / NOT ASSESSABLE)
  check_glossary  what every check means
  coverage, coverage_years (views) the registry by province and level: known, crawled, with reports
  report_versions every distinct reading of a report's captures (current / superseded / worse)
  version_stats   every version's figures (report_stats holds the current version's)
  report_revisions (view) what changed between consecutive versions, cell by cell
  source_tables   the text grid of every table a version's figures were read from
Nothing in captures or bodies is ever updated or deleted.
"""
from __future__ import annotations

import os
import sqlite3

import sqlite_utils

from archive.keys import HEADLINE_KEYS

DEFAULT_DB = os.environ.get("NIANBAO_DB", "archive.db")


def _m1_base(db: sqlite_utils.Database) -> None:
    db["agencies"].create({
        "slug": str, "name": str, "short_name": str, "level": str, "province": str,
        "family": str, "columns": str, "allowed_domains": str,
    }, pk="slug")
    db["runs"].create({
        "id": int, "batch": str, "kind": str, "agency": str, "started_at": str,
        "finished_at": str, "finish_reason": str, "status": str, "requests": int,
        "responses": int, "pages_new": int, "pages_changed": int, "pages_unchanged": int,
        "reports_found": int, "errors": int, "failure": str, "stats": str, "pid": int,
    }, pk="id")
    db["bodies"].create({"sha256": str, "size": int, "content": bytes}, pk="sha256")
    db["captures"].create({
        "id": int, "run_id": int, "agency": str, "url": str, "final_url": str, "method": str,
        "status": int, "fetched_at": str, "headers": str, "content_type": str,
        "encoding": str, "fetch_mode": str, "kind": str, "body_sha256": str, "size": int,
        "revisit_of": int, "referer": str, "error": str,
    }, pk="id", foreign_keys=[("run_id", "runs", "id"), ("agency", "agencies", "slug"),
                              ("body_sha256", "bodies", "sha256"),
                              ("revisit_of", "captures", "id")])
    db["captures"].create_index(["url", "id"])
    db["captures"].create_index(["agency", "kind"])
    db["captures"].create_index(["body_sha256"])
    db["reports"].create({
        "id": int, "agency": str, "year": int, "title": str, "published": str,
        "index_no": str, "publisher": str, "doc_no": str, "format": str, "url": str,
        "capture_id": int, "text": str, "original_text": str, "extractor_version": str,
        "extracted_at": str,
    }, pk="id", foreign_keys=[("agency", "agencies", "slug"), ("capture_id", "captures", "id")])
    db["reports"].create_index(["agency", "year"], unique=True)
    db["report_stats"].create({
        "report_id": int, "table_name": str, "row_key": str, "col_key": str, "label": str,
        "value": float, "unit": str, "source": str, "capture_id": int,
        "extractor_version": str,
    }, foreign_keys=[("report_id", "reports", "id"), ("capture_id", "captures", "id")])
    db["report_stats"].create_index(["report_id"])
    db["report_checks"].create({
        "report_id": int, "check_name": str, "passed": int, "detail": str,
        "extractor_version": str,
    }, foreign_keys=[("report_id", "reports", "id")])
    db["report_checks"].create_index(["report_id"])
    db["extractions"].create({
        "capture_id": int, "extractor_version": str, "status": str, "error": str,
        "report_id": int, "extracted_at": str,
    }, pk=("capture_id", "extractor_version"),
       foreign_keys=[("capture_id", "captures", "id"), ("report_id", "reports", "id")])


def _create_summary_view(db: sqlite_utils.Database, review: bool = False, checks_run: bool = False) -> None:
    """report_summary: one row per report, each headline figure (a `summary` stat) as a column.
    Whole numbers come out as integers (figures are stored as REAL). With `review` (migration 7 on):
    the report's needs_review reason and how many of its figures were inferred. With `checks_run`
    (migration 9 on): how many consistency checks could run, and checks_failed empty (not 0) where
    none could (a prose report passes no check: it has none)."""
    def figure(k: str) -> str:
        v = (f"(SELECT value FROM report_stats s WHERE s.report_id = r.id"
             f" AND s.table_name = 'summary' AND s.row_key = '{k}')")
        return f"CASE WHEN {v} = CAST({v} AS INTEGER) THEN CAST({v} AS INTEGER) ELSE {v} END AS {k}"
    cols = ",\n  ".join(figure(k) for k in HEADLINE_KEYS)
    extra = ("\n  r.needs_review,\n  (SELECT count(*) FROM report_stats s WHERE s.report_id = r.id"
             " AND s.inferred = 1) AS figures_inferred," if review else "")
    failed = "(SELECT count(*) FROM report_checks c WHERE c.report_id = r.id AND c.passed = 0)"
    run = "(SELECT count(*) FROM report_checks c WHERE c.report_id = r.id)"
    checks = (f"{run} AS checks_run,\n  CASE WHEN {run} = 0 THEN NULL ELSE {failed} END AS checks_failed,"
              if checks_run else f"{failed} AS checks_failed,")
    db.create_view("report_summary", f"""
SELECT r.id, r.agency, a.name AS agency_name, a.province, a.level, r.year, r.title,
  r.published, r.index_no, r.format,
  {cols},
  {checks}{extra}
  r.url
FROM reports r LEFT JOIN agencies a ON a.slug = r.agency""", replace=True)


def _m2_summary_view(db: sqlite_utils.Database) -> None:
    _create_summary_view(db)


def _m3_datasette_views(db: sqlite_utils.Database) -> None:
    """Views for browsing in Datasette (archive/datasette/views.py): table 三/四 pivots,
    report sources with a raw-capture download path, agency x year coverage."""
    from archive.datasette.views import create_views
    create_views(db)


def _m4_search_and_integer_summary(db: sqlite_utils.Database) -> None:
    """Chinese full-text search over reports (trigram FTS5, kept current by triggers, so every
    extraction pass updates it), and report_summary with integer figures."""
    from archive.search import enable_search
    enable_search(db)
    _create_summary_view(db)


def _m5_published_time(db: sqlite_utils.Database) -> None:
    """The publication time as the page gives it ("YYYY-MM-DD HH:MM[:SS]"), beside the date."""
    db["reports"].add_column("published_time", str)


def _m6_listings(db: sqlite_utils.Database) -> None:
    """What each crawl run saw in its agency's columns, to compare a run with the last ok one:
    `listings` rows of kind 'page' (a list page and how many report links it held, any agency's)
    and 'report' (a report URL listed for the run's agency, with its title and list page).
    Only the listings of an agency's last ok run and of the runs after it are kept (Archive.add_listing).
    `report_listing` (view): whether each report's URL is still listed by its agency's latest ok
    crawl run (listed = 0: no longer listed; NULL: never compared)."""
    db["listings"].create({
        "run_id": int, "agency": str, "kind": str, "url": str, "column_url": str,
        "list_url": str, "title": str, "links": int,
    }, foreign_keys=[("run_id", "runs", "id"), ("agency", "agencies", "slug")])
    db["listings"].create_index(["run_id"])
    db["listings"].create_index(["agency", "kind", "url"])
    db.create_view("report_listing", """
SELECT r.id AS report_id, r.agency, r.year, r.url, l.last_run,
  (SELECT max(x.run_id) FROM listings x WHERE x.agency = r.agency AND x.kind = 'report'
     AND x.url IN (r.url, c.url)) AS last_listed_run,
  CASE WHEN l.last_run IS NULL THEN NULL
       WHEN EXISTS (SELECT 1 FROM listings x WHERE x.run_id = l.last_run AND x.kind = 'report'
                    AND x.url IN (r.url, c.url)) THEN 1 ELSE 0 END AS listed
FROM reports r
LEFT JOIN captures c ON c.id = r.capture_id
LEFT JOIN (SELECT x.agency, max(x.run_id) AS last_run FROM listings x JOIN runs u ON u.id = x.run_id
           WHERE u.status = 'ok' GROUP BY x.agency) l ON l.agency = r.agency""")


def _m7_review_and_inferred(db: sqlite_utils.Database) -> None:
    """reports.needs_review: why the tables' own checks point to an extraction fault (a shifted row,
    a lost column, OCR'd figures failing a check), NULL when they do not; report_stats.inferred: 1
    for a blank cell filled by the report's arithmetic (source `inferred: ...`), else 0. Both shown
    in report_summary (needs_review, figures_inferred)."""
    db["reports"].add_column("needs_review", str)
    db["report_stats"].add_column("inferred", int, not_null_default=0)
    _create_summary_view(db, review=True)


def _m8_assessments(db: sqlite_utils.Database) -> None:
    """report_assessments: checks across reports and against the law (archive/extract/assess.py), each
    PASS / FAIL / NOT ASSESSABLE, recomputed after every extraction pass; check_glossary: every check's
    meaning, the report's own 勾稽关系 included."""
    db["report_assessments"].create({
        "report_id": int, "check_name": str, "result": str, "detail": str, "other_report_id": int,
    }, foreign_keys=[("report_id", "reports", "id"), ("other_report_id", "reports", "id")])
    db["report_assessments"].create_index(["report_id"])
    db["report_assessments"].create_index(["check_name", "result"])
    db["check_glossary"].create({"check_name": str, "kind": str, "meaning": str}, pk="check_name")


def _m9_checks_run(db: sqlite_utils.Database) -> None:
    """report_summary: checks_run, and checks_failed NULL (not 0) for a report no check could run on."""
    _create_summary_view(db, review=True, checks_run=True)


def _m10_region_code(db: sqlite_utils.Database) -> None:
    """reports.region_code: the GB/T 2260 division code of the place the agency's name gives (the gazetteer
    of archive/extract/places.py), NULL where the name gives none or it cannot be told for sure."""
    db["reports"].add_column("region_code", str)


def _m11_agency_registry(db: sqlite_utils.Database) -> None:
    """agencies: the nationwide registry's facts (crawler/agencies/): host, region (GB/T 2260 code,
    parent code, name), the research's platform, confidence and source, how sure the column is, and
    whether we can crawl it (a family and a column or home page)."""
    for name, kind in [("host", str), ("region_code", str), ("parent_code", str), ("region", str),
                       ("platform", str), ("column_state", str), ("crawlable", int),
                       ("confidence", str), ("source", str)]:
        db["agencies"].add_column(name, kind)


def _m12_discovered_columns(db: sqlite_utils.Database) -> None:
    """discovered_columns: the annual-report column the generic family (an unknown CMS) found for an
    agency from its home page or 信息公开 entry (`start_url`): its URL, how (the links followed), when, by
    which run. The next run starts at the agency's latest row and discovers again when it lists nothing."""
    db["discovered_columns"].create({
        "agency": str, "url": str, "how": str, "found_at": str, "run_id": int, "start_url": str,
    }, foreign_keys=[("agency", "agencies", "slug"), ("run_id", "runs", "id")])
    db["discovered_columns"].create_index(["agency", "found_at"])


def _m13_report_versions(db: sqlite_utils.Database) -> None:
    """Every version of a report (archive/extract/versions.py): report_versions (one row per distinct
    reading of a report's captures: current / superseded / worse, why, figures and failed checks),
    version_stats (every version's figures, the current one's included), report_stats.version_id and
    report_checks.version_id (the current version they hold); each report held so far becomes its
    version 1. report_revisions (view): what changed between consecutive versions, cell by cell."""
    db["report_versions"].create({
        "id": int, "report_id": int, "version": int, "status": str, "reason": str, "capture_id": int,
        "capture_ids": str, "captured_at": str, "extracted_at": str, "extractor_version": str,
        "figures": int, "checks_run": int, "checks_failed": int, "is_report": int, "content_sha256": str,
        "text_sha256": str, "text_chars": int, "needs_review": str, "title": str, "published": str,
        "format": str,
    }, pk="id", foreign_keys=[("report_id", "reports", "id"), ("capture_id", "captures", "id")])
    db["report_versions"].create_index(["report_id", "version"], unique=True)
    db["report_versions"].create_index(["status"])
    db["version_stats"].create({
        "version_id": int, "report_id": int, "table_name": str, "row_key": str, "col_key": str,
        "label": str, "value": float, "unit": str, "source": str, "inferred": int, "capture_id": int,
        "extractor_version": str,
    }, foreign_keys=[("version_id", "report_versions", "id"), ("report_id", "reports", "id"),
                     ("capture_id", "captures", "id")])
    db["version_stats"].create_index(["version_id", "table_name", "row_key", "col_key"])
    db["version_stats"].create_index(["report_id"])
    db["report_stats"].add_column("version_id", int)
    db["report_checks"].add_column("version_id", int)
    from archive.datasette.views import create_revisions_view
    from archive.extract.versions import backfill
    backfill(db)
    create_revisions_view(db)


def _m14_coverage(db: sqlite_utils.Database) -> None:
    """coverage and coverage_years (views, archive/coverage.py): the registry by province and level,
    agencies known / with a column / crawlable / crawled / with reports, and with a report per year."""
    from archive.coverage import create_views
    create_views(db)


def _m15_probes(db: sqlite_utils.Database) -> None:
    """probes: one row per agency per `scheduler.py probe` run (the run is a runs row of kind probe):
    reachable and why not, robots.txt, the scheme that answers, a JS challenge met, the platform
    detected against the registry's, the report column found and how, reports seen per year, and the
    verdict (ok / attention) with its reasons. archive/probes.py writes and formats them."""
    from archive.probes import create_table
    create_table(db)


def _m16_indexes_for_scale(db: sqlite_utils.Database) -> None:
    """Measured on the synthetic nation (bench/scale.py, 3,000 agencies): report_summary's figure lookups
    by (report, table, row) 9x faster with an index; coverage / report_coverage rewritten without
    per-agency subqueries (they hit Datasette's 3 s limit), with runs indexed by agency."""
    db["report_stats"].create_index(["report_id", "table_name", "row_key"], if_not_exists=True)
    db["runs"].create_index(["agency", "kind"], if_not_exists=True)
    from archive.coverage import create_views
    create_views(db)


def _m17_source_tables(db: sqlite_utils.Database) -> None:
    """source_tables: the text grid of every table a version's figures were read from
    (archive/extract/sources.py), for the page that shows where a figure was read
    (archive/datasette/plugins/source_grid.py): one row per (version, table_ref), cells as JSON,
    written with the version's figures and replaced when it is re-read. Reports extracted before
    have none until re-extracted."""
    db["source_tables"].create({
        "id": int, "version_id": int, "report_id": int, "capture_id": int, "table_ref": str, "kind": str,
        "n_rows": int, "n_cols": int, "truncated": int, "cells": str, "extractor_version": str,
    }, pk="id", foreign_keys=[("version_id", "report_versions", "id"), ("report_id", "reports", "id"),
                              ("capture_id", "captures", "id")])
    db["source_tables"].create_index(["version_id", "table_ref"], unique=True)
    db["source_tables"].create_index(["report_id"])


def _m18_rollups(db: sqlite_utils.Database) -> None:
    """Datasette's main pages fast at 100x the demo (bench/datasette_pages.py): report_summary becomes a
    table (the view's columns and semantics) and agency_years / agency_year_grid are added, all three
    written by archive/rollups.py refresh() at the end of every extraction pass; report_coverage reads
    agency_years. Units filled where the report printed none (archive/keys.py unit_of: 件, 条, 个, 万元, 元).
    Indexes for the filters and row pages: the summary figures and inferred figures (partial),
    extractions and assessments by report."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_report_stats_summary ON report_stats (report_id, row_key, value)"
               " WHERE table_name = 'summary'")
    db.execute("CREATE INDEX IF NOT EXISTS idx_report_stats_inferred ON report_stats (report_id) WHERE inferred = 1")
    db["extractions"].create_index(["report_id"], if_not_exists=True)
    db["report_assessments"].create_index(["other_report_id"], if_not_exists=True)
    from archive.keys import unit_sql
    for table in ("report_stats", "version_stats"):
        db.execute(f"UPDATE {table} SET unit = {unit_sql()} WHERE unit IS NULL OR unit = ''")
    # the current versions' content identity with those units, as the pass now computes it (so the next
    # capture of the same content joins its version instead of making a new one)
    from archive.extract.versions import META_KEYS, content_sha
    for r in db.execute("SELECT id, text, " + ", ".join(META_KEYS) + " FROM reports").fetchall():
        stats = db.execute("SELECT table_name, row_key, col_key, value, unit FROM report_stats WHERE report_id = ?",
                           [r[0]]).fetchall()
        db.execute("UPDATE report_versions SET content_sha256 = ? WHERE report_id = ? AND status = 'current'",
                   [content_sha(dict(zip(META_KEYS, r[2:])), r[1], stats), r[0]])
    from archive.rollups import refresh
    refresh(db)
    from archive.datasette.views import create_report_coverage
    create_report_coverage(db)


MIGRATIONS = [_m1_base, _m2_summary_view, _m3_datasette_views, _m4_search_and_integer_summary,
              _m5_published_time, _m6_listings, _m7_review_and_inferred, _m8_assessments, _m9_checks_run,
              _m10_region_code, _m11_agency_registry, _m12_discovered_columns, _m13_report_versions,
              _m14_coverage, _m15_probes, _m16_indexes_for_scale, _m17_source_tables, _m18_rollups]


def open_db(path: str | os.PathLike = DEFAULT_DB, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (and create or migrate) the archive. WAL mode, foreign keys on, 30 s busy timeout."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA busy_timeout = 30000")
    if migrate:
        db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(db)
    return db


def _migrate(db: sqlite_utils.Database) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= len(MIGRATIONS):
        return
    with db.conn:  # one transaction: a migration applies whole or not at all
        db.execute("BEGIN IMMEDIATE")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for i, step in enumerate(MIGRATIONS[version:], start=version + 1):
            step(db)
            db.execute(f"PRAGMA user_version = {i}")
