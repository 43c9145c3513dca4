"""SQL views for browsing the archive in Datasette, created by migration _m3_datasette_views.

Once a migration has used this module, treat each view as released: change one by adding a new
migration that calls `create_views(db)` again (views are created with replace=True), never by
relying on an old migration re-running.

  t3_row_labels     table 三's rows in template order with their Chinese labels (both templates)
  report_table3     each report's table 三 pivoted back: one row per template row, seven columns
  report_table4     each report's table 四 as one row of fifteen figures
  report_sources    per report: the capture it was read from and a `raw_capture` download path
  report_coverage   every agency the archive follows x every year the archive spans, with the report if held
                    (from the agency_years table once migration _m18_rollups made it: archive/rollups.py)
  report_revisions  what changed between consecutive versions of a report, cell by cell
                    (create_revisions_view, migration _m13_report_versions; not part of create_views)
"""
from __future__ import annotations

import sqlite_utils

from archive.keys import T3_COLS, T4_COLS, T4_ROWS, t3_rows

DATABASE_NAME = "archive"  # Datasette names a database after its file: archive.db -> /archive

T3_ROW_LABELS = {
    "new": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "三、本年度办理结果 （一）予以公开",
    "partial": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "refused.state_secret": "（三）不予公开 1.属于国家秘密",
    "refused.prohibited_by_law": "2.其他法律行政法规禁止公开",
    "refused.security_stability": "3.危及“三安全一稳定”",
    "refused.third_party": "4.保护第三方合法权益",
    "refused.internal_affairs": "5.属于三类内部事务信息",
    "refused.process_info": "6.属于四类过程性信息",
    "refused.enforcement_file": "7.属于行政执法案卷",
    "refused.query_matter": "8.属于行政查询事项",
    "unable.not_held": "（四）无法提供 1.本机关不掌握相关政府信息",
    "unable.needs_creation": "2.没有现成信息需要另行制作",
    "unable.unclear": "3.补正后申请内容仍不明确",
    "not_processed.petition": "（五）不予处理 1.信访举报投诉类申请",
    "not_processed.duplicate": "2.重复申请",
    "not_processed.publication": "3.要求提供公开出版物",
    "not_processed.excessive": "4.无正当理由大量反复申请",
    "not_processed.confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other": "（六）其他处理",
    "other.no_correction": "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.no_fee_paid": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "3.其他",
    "total": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}


def t3_row_order() -> list[str]:
    """Both templates' table 三 rows in one order: 2019's single `other` row before 2021's three."""
    rows = t3_rows(2021)
    rows.insert(rows.index("other.no_correction"), "other")
    return rows


def _whole(expr: str) -> str:
    """Show a whole-number figure as an integer (20, not 20.0); anything else as stored."""
    return f"CASE WHEN ({expr}) = CAST(({expr}) AS INTEGER) THEN CAST(({expr}) AS INTEGER) ELSE ({expr}) END"


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def create_views(db: sqlite_utils.Database) -> None:
    """Create (or replace) every view listed in the module docstring."""
    order = t3_row_order()
    assert set(order) == set(T3_ROW_LABELS), "every table 三 row key needs a Chinese label"
    values = ",\n    ".join(
        f"({i}, {_sql_str(k)}, {_sql_str(T3_ROW_LABELS[k])})" for i, k in enumerate(order, 1))
    db.create_view("t3_row_labels", f"""
SELECT column1 AS seq, column2 AS row_key, column3 AS label FROM (VALUES
    {values})""", replace=True)

    t3_cols = ",\n  ".join(
        _whole(f"MAX(CASE WHEN s.col_key = '{c}' THEN s.value END)") + f" AS {c}" for c in T3_COLS)
    db.create_view("report_table3", f"""
SELECT s.report_id, r.agency, r.year, COALESCE(l.seq, 1000) AS seq, s.row_key,
  COALESCE(l.label, MAX(s.label)) AS label,
  {t3_cols}
FROM report_stats s
JOIN reports r ON r.id = s.report_id
LEFT JOIN t3_row_labels l ON l.row_key = s.row_key
WHERE s.table_name = '3'
GROUP BY s.report_id, s.row_key""", replace=True)

    t4_cols = ",\n  ".join(
        _whole(f"MAX(CASE WHEN s.row_key = '{r}' AND s.col_key = '{c}' THEN s.value END)")
        + f" AS {r}_{c}"
        for r in T4_ROWS for c in T4_COLS)
    db.create_view("report_table4", f"""
SELECT s.report_id, r.agency, r.year,
  {t4_cols}
FROM report_stats s
JOIN reports r ON r.id = s.report_id
WHERE s.table_name = '4'
GROUP BY s.report_id""", replace=True)

    db.create_view("report_sources", f"""
SELECT r.id AS report_id, r.agency, r.year, r.title, r.format, r.url,
  r.capture_id, c.fetched_at, c.fetch_mode, c.kind, c.status, c.content_type, c.encoding,
  b.sha256 AS body_sha256, b.size,
  CASE WHEN b.sha256 IS NOT NULL
    THEN '/{DATABASE_NAME}/bodies/' || b.sha256 || '.blob?_blob_column=content' END AS raw_capture
FROM reports r
LEFT JOIN captures c ON c.id = r.capture_id
LEFT JOIN captures o ON o.id = c.revisit_of
LEFT JOIN bodies b ON b.sha256 = COALESCE(c.body_sha256, o.body_sha256)""", replace=True)

    create_report_coverage(db)


# the agencies the archive follows (a crawl run or a report) and every year from its first report to its last:
# the rows of report_coverage and of agency_years (archive/rollups.py)
FOLLOWED_YEARS = """WITH RECURSIVE years(year) AS (
  SELECT MIN(year) FROM reports
  UNION ALL
  SELECT year + 1 FROM years WHERE year < (SELECT MAX(year) FROM reports)
),
followed(slug) AS (
  SELECT agency FROM runs WHERE kind = 'crawl' AND agency IS NOT NULL
  UNION SELECT agency FROM reports
)"""


def create_report_coverage(db: sqlite_utils.Database) -> None:
    """report_coverage: every agency the archive follows (a crawl run or a report: not the whole
    nationwide registry, most of which is not crawled yet) x every year the archive spans. Once the
    archive has the agency_years table (migration _m18_rollups, archive/rollups.py), it is read from
    that (the same rows, computed by each extraction pass); before, computed here."""
    if db["agency_years"].exists():
        db.create_view("report_coverage", """
SELECT agency, agency_name, province, level, year, report_id, title FROM agency_years""", replace=True)
        return
    db.create_view("report_coverage", f"""
{FOLLOWED_YEARS}
SELECT a.slug AS agency, a.name AS agency_name, a.province, a.level, y.year,
  r.id AS report_id, r.title
FROM followed f JOIN agencies a ON a.slug = f.slug CROSS JOIN years y
LEFT JOIN reports r ON r.agency = a.slug AND r.year = y.year
WHERE y.year IS NOT NULL""", replace=True)



def create_revisions_view(db: sqlite_utils.Database) -> None:
    """report_revisions (migration _m13_report_versions): what changed between consecutive versions of a
    report (archive/extract/versions.py) that read as reports: one row per figure changed, added or
    removed (table, row, column, old and new value), a row when the text, title or publication date
    changed; and a row for a version that did not read as a report at all, against the version before
    it. Each row names both versions, the new one's status, and both captures."""
    if db["report_revisions"].exists():   # a table since migration _m18_rollups: rewritten, not a view
        from archive.rollups import refresh_revisions
        refresh_revisions(db)
        return
    db.create_view("report_revisions", revisions_sql(), replace=True)


def revisions_sql() -> str:
    """The SELECT of report_revisions (create_revisions_view says what it gives)."""
    cols = ("p.report_id, r.agency, r.year, p.old_version, p.new_version, p.new_status, {what} AS change, "
            "{table} AS table_name, {row} AS row_key, {col} AS col_key, {label} AS label, "
            "{old} AS old_value, {new} AS new_value, p.old_capture_id, p.new_capture_id, "
            "p.old_captured_at, p.new_captured_at")
    same = "x.table_name = y.table_name AND x.row_key IS y.row_key AND x.col_key IS y.col_key"
    pairs = """
  SELECT * FROM (
    SELECT v.report_id, v.id AS new_id, v.version AS new_version, v.status AS new_status,
      v.capture_id AS new_capture_id, v.captured_at AS new_captured_at,
      LAG(v.id) OVER w AS old_id, LAG(v.version) OVER w AS old_version,
      LAG(v.capture_id) OVER w AS old_capture_id, LAG(v.captured_at) OVER w AS old_captured_at
    FROM report_versions v WHERE {where} WINDOW w AS (PARTITION BY v.report_id ORDER BY v.version))
  WHERE old_id IS NOT NULL"""
    meta = " UNION ALL ".join(f"""
SELECT {cols.format(what=repr(what), table="'text'", row=repr(what), col="NULL", label=label, old=old, new=new)}
FROM pairs p JOIN reports r ON r.id = p.report_id
JOIN report_versions o ON o.id = p.old_id JOIN report_versions n ON n.id = p.new_id
WHERE o.{field} IS NOT n.{field}""" for what, label, old, new, field in (
        ("text", "'text changed (characters before and after)'", "o.text_chars", "n.text_chars", "text_sha256"),
        ("title", "'title'", "o.title", "n.title", "title"),
        ("published", "'publication date'", "o.published", "n.published", "published")))
    return f"""
WITH pairs AS ({pairs.format(where="v.is_report = 1")}),
gone AS (
  SELECT v.report_id, v.id AS new_id, v.version AS new_version, v.status AS new_status, v.reason,
    v.capture_id AS new_capture_id, v.captured_at AS new_captured_at, o.id AS old_id,
    o.version AS old_version, o.capture_id AS old_capture_id, o.captured_at AS old_captured_at
  FROM report_versions v
  JOIN report_versions o ON o.report_id = v.report_id AND o.is_report = 1 AND o.version = (
    SELECT max(e.version) FROM report_versions e WHERE e.report_id = v.report_id AND e.is_report = 1
      AND e.version < v.version)
  WHERE v.is_report = 0
)
SELECT {cols.format(what="CASE WHEN y.version_id IS NULL THEN 'removed' ELSE 'changed' END",
                    table="x.table_name", row="x.row_key", col="x.col_key", label="COALESCE(y.label, x.label)",
                    old=_whole("x.value"), new=_whole("y.value"))}
FROM pairs p JOIN reports r ON r.id = p.report_id
JOIN version_stats x ON x.version_id = p.old_id
LEFT JOIN version_stats y ON y.version_id = p.new_id AND {same}
WHERE y.version_id IS NULL OR x.value IS NOT y.value
UNION ALL
SELECT {cols.format(what="'added'", table="y.table_name", row="y.row_key", col="y.col_key", label="y.label",
                    old="NULL", new=_whole("y.value"))}
FROM pairs p JOIN reports r ON r.id = p.report_id
JOIN version_stats y ON y.version_id = p.new_id
WHERE NOT EXISTS (SELECT 1 FROM version_stats x WHERE x.version_id = p.old_id AND {same})
UNION ALL{meta}
UNION ALL
SELECT {cols.format(what="'not a report'", table="NULL", row="NULL", col="NULL", label="p.reason",
                    old="NULL", new="NULL")}
FROM gone p JOIN reports r ON r.id = p.report_id"""
