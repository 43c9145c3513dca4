"""Datasette's main pages on an archive 100x the demo: first load and median of three, each < 500 ms?

    .venv/bin/python scheduler.py run --replica --db /tmp/h1/demo.db      # the demo archive (~2-3 min)
    .venv/bin/python bench/datasette_pages.py --demo /tmp/h1/demo.db [--copies 100] [--out /tmp/h1/x100.db]

Builds the big archive from the demo with plain SQL (no crawl, no extraction): the demo file is copied
(and migrated), then for k = 1 .. copies-1 every followed agency is copied as `SLUG__k` (name + " #k"),
and its runs, captures (pointing at the same bodies: no bytes copied), listings, extractions, reports,
report_stats, report_checks, report_versions, version_stats, source_tables and report_assessments
under ids offset by k x (the demo's largest id + 1). The search index (reports_fts) is not extended
(its triggers are set aside while copying): searching finds the demo's reports only. Then the
materialisation (archive/rollups.py refresh, timed), and the real `datasette serve` started as the
Makefile's `serve` does (live, not -i: the slower case, no cached counts), and each page fetched once
(first load) and three more times (median). Prints a Markdown table; exit 1 if a page takes >= 500 ms.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive.db import open_db  # noqa: E402
from archive.rollups import refresh  # noqa: E402
from datasette_server import OPENER, serve, stop  # noqa: E402

TARGET_MS = 500

# table -> (id column offset by the table's own offset or None, {column: table whose offset it takes})
COPIES = {
    "runs": ("id", {}),
    "captures": ("id", {"run_id": "runs", "revisit_of": "captures"}),
    "listings": (None, {"run_id": "runs"}),
    "extractions": (None, {"capture_id": "captures", "report_id": "reports"}),
    "reports": ("id", {"capture_id": "captures"}),
    "report_stats": (None, {"report_id": "reports", "capture_id": "captures", "version_id": "report_versions"}),
    "report_checks": (None, {"report_id": "reports", "version_id": "report_versions"}),
    "report_versions": ("id", {"report_id": "reports", "capture_id": "captures"}),
    "version_stats": (None, {"version_id": "report_versions", "report_id": "reports", "capture_id": "captures"}),
    "source_tables": ("id", {"version_id": "report_versions", "report_id": "reports", "capture_id": "captures"}),
    "report_assessments": (None, {"report_id": "reports", "other_report_id": "reports"}),
}
AGENCY_COLUMN = {"runs", "captures", "listings", "reports"}


def build(demo: Path, out: Path, copies: int, echo=print) -> dict:
    """The demo archive x copies at `out`; returns the row counts of the main tables."""
    if out.exists():
        out.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(out) + suffix).unlink(missing_ok=True)
    shutil.copyfile(demo, out)
    open_db(out).close()                        # migrated (report_summary a table, units, ...)
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'reports'"
                            ).fetchall()
    conn.execute("BEGIN")
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER [{name}]")
    offset = {t: (conn.execute(f"SELECT coalesce(max({col}), 0) + 1 FROM {t}").fetchone()[0] if col else None)
              for t, (col, _) in COPIES.items()}
    followed = "SELECT agency FROM runs WHERE agency IS NOT NULL UNION SELECT agency FROM reports"
    conn.execute("CREATE TEMP TABLE k (k INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO k VALUES (?)", [(k,) for k in range(1, copies)])
    acols = [r[1] for r in conn.execute("PRAGMA table_info(agencies)")]
    sel = ", ".join("slug || '__' || k.k" if c == "slug" else "name || ' #' || k.k" if c == "name" else c
                    for c in acols)
    conn.execute(f"INSERT INTO agencies ({', '.join(acols)}) SELECT {sel} FROM agencies CROSS JOIN k"
                 f" WHERE slug IN ({followed})")
    for table, (idcol, refs) in COPIES.items():
        t0 = time.perf_counter()
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        exprs = []
        for c in cols:
            if c == idcol:
                exprs.append(f"{c} + k.k * {offset[table]}")
            elif c in refs:
                exprs.append(f"{c} + k.k * {offset[refs[c]]}")
            elif c == "agency" and table in AGENCY_COLUMN:
                exprs.append("CASE WHEN agency IS NULL THEN NULL ELSE agency || '__' || k.k END")
            else:
                exprs.append(c)
        conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {table} CROSS JOIN k")
        echo(f"  copied {table} x{copies - 1} in {time.perf_counter() - t0:.1f} s")
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("agencies", "reports", "report_stats", "version_stats", "captures", "report_assessments")}
    conn.close()
    return counts


def pages(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """The main pages, with a report of the last copy that has a table 三."""
    rid = db.execute("SELECT max(report_id) FROM report_stats WHERE table_name = '3'").fetchone()[0]
    province = db.execute("SELECT province FROM report_summary GROUP BY province ORDER BY count(*) DESC"
                          " LIMIT 1").fetchone()[0]
    from urllib.parse import quote
    return [
        ("database page", "/archive"),
        ("report_summary", "/archive/report_summary"),
        ("report_summary, facet filter", f"/archive/report_summary?province={quote(province)}&year=2021"),
        ("agency_years", "/archive/agency_years"),
        ("agency_year_grid", "/archive/agency_year_grid"),
        ("report_table3 of a report", f"/archive/report_table3?report_id={rid}"),
        ("a report's row page", f"/archive/reports/{rid}"),
        ("report_stats of a report", f"/archive/report_stats?report_id={rid}"),
        ("coverage", "/archive/coverage"),
        ("report_coverage", "/archive/report_coverage"),
        ("report_revisions", "/archive/report_revisions"),
        ("summary_by_agency_year (all)", "/archive/summary_by_agency_year?agency="),
        ("report_statistics", f"/archive/report_statistics?report_id={rid}"),
    ]


def fetch_ms(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    try:
        with OPENER.open(url, timeout=60) as r:
            r.read()
            status = r.status
    except Exception as e:   # an HTTP error still has a time; say which
        status = getattr(e, "code", 0)
    return (time.perf_counter() - t0) * 1000, status


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--demo", default="/tmp/h1/demo.db", help="the demo archive (scheduler.py run --replica)")
    ap.add_argument("--out", default="/tmp/h1/x100.db", help="where to build the big archive")
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--reuse", action="store_true", help="serve --out as it is (built by an earlier run)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not args.reuse:
        t0 = time.perf_counter()
        counts = build(Path(args.demo), out, args.copies)
        print(f"built {out} ({os.path.getsize(out) / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s: "
              + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        db = open_db(out)
        took = refresh(db)
        print(f"materialisation (archive/rollups.py refresh: report_summary, agency_years, agency_year_grid):"
              f" {took:.2f} s")
        db.close()
    conn = sqlite3.connect(out)
    todo = pages(conn)
    n = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("reports", "agency_years")}
    conn.close()
    proc, base = serve(out, immutable=False, log=out.with_suffix(".datasette.log"))
    rows, slow = [], []
    try:
        for name, path in todo:
            first, status = fetch_ms(base + path)
            again = [fetch_ms(base + path)[0] for _ in range(3)]
            med = statistics.median(again)
            rows.append((name, path, first, med, status))
            if status != 200 or max(first, med) >= TARGET_MS:
                slow.append(name)
    finally:
        stop(proc)
    print(f"\n{n['reports']:,} reports, {n['agency_years']:,} agency-years; datasette serve (live), "
          f"first load and median of 3 more:\n")
    print("| page | path | first (ms) | median of 3 (ms) | status |")
    print("| --- | --- | ---: | ---: | --- |")
    for name, path, first, med, status in rows:
        print(f"| {name} | `{path}` | {first:.0f} | {med:.0f} | {status} |")
    print(f"\nslower than {TARGET_MS} ms or failing: {', '.join(slow) or 'none'}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
