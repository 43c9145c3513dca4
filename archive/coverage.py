"""Coverage of the registry, by province and level: agencies known, with a known report column,
crawlable, crawled, with reports, and agencies with a report for each year. The same numbers in
`scheduler.py status` (format_coverage) and in Datasette (the `coverage` and `coverage_years` views).

    from archive.coverage import coverage, format_coverage
    print(format_coverage(coverage(db)))
"""
from __future__ import annotations

import sqlite_utils

COVERAGE_VIEW = """
WITH crawled AS (SELECT DISTINCT agency FROM runs WHERE kind = 'crawl' AND agency IS NOT NULL),
     held AS (SELECT agency, count(*) AS n FROM reports GROUP BY agency)
SELECT coalesce(nullif(a.province, ''), '(replica only)') AS province, a.level,
  min(coalesce(nullif(substr(a.region_code, 1, 2), ''), substr(a.parent_code, 1, 2), '99')) AS province_code,
  count(*) AS agencies,
  sum(coalesce(a.column_state, 'confirmed') != 'unknown') AS with_column,
  sum(coalesce(a.crawlable, 1)) AS crawlable,
  sum(c.agency IS NOT NULL) AS crawled,
  sum(h.n IS NOT NULL) AS with_reports,
  coalesce(sum(h.n), 0) AS reports
FROM agencies a LEFT JOIN crawled c ON c.agency = a.slug LEFT JOIN held h ON h.agency = a.slug
GROUP BY a.province, a.level"""

COVERAGE_YEARS_VIEW = """
WITH sizes AS (SELECT province, level, count(*) AS n FROM agencies GROUP BY province, level)
SELECT coalesce(nullif(a.province, ''), '(replica only)') AS province, a.level, p.year,
  count(DISTINCT p.agency) AS agencies_with_report, min(z.n) AS agencies
FROM reports p JOIN agencies a ON a.slug = p.agency
JOIN sizes z ON z.province IS a.province AND z.level IS a.level
GROUP BY a.province, a.level, p.year"""

LEVEL_ORDER = {"province": 0, "prefecture": 1, "county": 2}
LEVEL_ZH = {"province": "省级", "prefecture": "地市", "county": "县区"}


def create_views(db: sqlite_utils.Database) -> None:
    from archive.datasette.views import create_report_coverage
    create_report_coverage(db)   # now: the agencies the archive follows, not the whole registry
    db.create_view("coverage", COVERAGE_VIEW, replace=True)
    db.create_view("coverage_years", COVERAGE_YEARS_VIEW, replace=True)


def coverage(db: sqlite_utils.Database) -> list[dict]:
    """One dict per (province, level), in division-code order, each with `years`: {year: agencies}."""
    rows = [dict(r) for r in db.query("SELECT * FROM coverage")]
    years: dict[tuple, dict[int, int]] = {}
    for r in db.query("SELECT province, level, year, agencies_with_report FROM coverage_years"):
        years.setdefault((r["province"], r["level"]), {})[r["year"]] = r["agencies_with_report"]
    for r in rows:
        r["years"] = dict(sorted(years.get((r["province"], r["level"]), {}).items()))
    return sorted(rows, key=lambda r: (r["province_code"], LEVEL_ORDER.get(r["level"], 9)))


def year_counts(years: dict[int, int]) -> str:
    """{2019: 3, 2020: 3, 2021: 2} -> '2019-2020: 3, 2021: 2' (runs of equal counts joined)."""
    out, run = [], []
    for y, n in years.items():
        if run and y == run[-1][0] + 1 and n == run[-1][1]:
            run.append((y, n))
            continue
        if run:
            out.append(run)
        run = [(y, n)]
    if run:
        out.append(run)
    return ", ".join(f"{r[0][0]}{'-' + str(r[-1][0]) if len(r) > 1 else ''}: {r[0][1]}" for r in out)


def format_coverage(rows: list[dict]) -> str:
    """The coverage table for a terminal; a total line last."""
    head = ["province", "level", "known", "column", "crawlable", "crawled", "reports", "agencies with a report, by year"]
    body = [[r["province"], LEVEL_ZH.get(r["level"], r["level"] or "?"), str(r["agencies"]), str(r["with_column"]),
             str(r["crawlable"]), str(r["crawled"]), str(r["reports"]), year_counts(r["years"]) or "-"]
            for r in rows]
    total = ["total", "", *(str(sum(r[k] for r in rows)) for k in
                            ("agencies", "with_column", "crawlable", "crawled", "reports")), ""]
    from archive.status import _pad, _width
    table = [head, *body, total]
    widths = [max(_width(row[i]) for row in table) for i in range(len(head))]
    lines = ["  ".join(_pad(c, widths[i], not 2 <= i < 7) for i, c in enumerate(row)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "Coverage of the registry by province and level (known = registry entries; column = report column " \
           "known; crawled = at least one crawl run):\n" + "\n".join(lines)
