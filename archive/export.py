"""Exports a researcher opens directly: `python scheduler.py export [--db PATH] [--out DIR] [--agency SLUG ...]`.

Writes, from one read snapshot of the archive:

    DIR/nianbao-panel.csv      every figure, long form: one row per (report, table, row, column)
    DIR/nianbao-summary.csv    one row per agency-year: the headline figures (report_summary)
    DIR/nianbao-checks.csv     every consistency check (勾稽关系) of every report
    DIR/nianbao-codebook.csv   what every column of the three files means, and every figure key with
                               the label reports print for it
    DIR/nianbao.xlsx           the same four as sheets (the panel sheet is left out, with a note in
                               the codebook, when it would pass Excel's 1,048,576 rows)

CSV files are UTF-8 with a byte-order mark, so Excel and WPS on Chinese Windows read the Chinese
text right. Nothing is computed here that the archive does not hold, except the unit of a figure
whose report printed none and whose key fixes it (tables 三/四 count applications: 件); a unit the
key does not fix (amounts, indicator rows) stays empty.
"""
from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from archive.keys import HEADLINE_KEYS

XLSX_MAX_ROWS = 1_048_576

PANEL = [
    ("agency", "Agency slug (registry key). 机构代码"),
    ("agency_name", "Agency's full name. 机构"),
    ("province", "Province. 省份"),
    ("level", "Administrative level: province / prefecture / county. 行政层级"),
    ("region_code", "GB/T 2260 code of the agency's region (registry; else read from its name). 行政区划代码"),
    ("parent_code", "GB/T 2260 code of the region above. 上级行政区划代码"),
    ("year", "The year the report covers. 年度"),
    ("report_id", "The report in the archive (reports.id). 报告"),
    ("table", "2 / 3 / 4 (tables 二、三、四 of the national templates), indicator, prose, summary. 表"),
    ("row", "Row key (docs/keys.md). 行"),
    ("column", "Column key (docs/keys.md). 列"),
    ("label", "The label as the report prints it (row / column). 原文标签"),
    ("value", "The figure. 数值"),
    ("unit", "Unit: as printed, else the one the key fixes (件 for applications, 元 for fees in yuan). 单位"),
    ("inferred", "1: the cell was blank and its value is forced by the report's own arithmetic. 推算值"),
    ("source", "Where it was read: table cell, PDF page, sentence, or the identity it was inferred from. 出处"),
    ("capture_id", "The archived capture it was read from. 抓取记录"),
    ("version", "The report's version these figures are (report_versions.version: 1 = first reading; a "
                "corrected report is a later one). 版本"),
    ("extractor_version", "The extractor version that read it. 抽取器版本"),
]
SUMMARY = [
    ("agency", "Agency slug. 机构代码"), ("agency_name", "Agency's full name. 机构"),
    ("province", "Province. 省份"), ("level", "Administrative level. 行政层级"),
    ("region_code", "GB/T 2260 code of the agency's region. 行政区划代码"),
    ("parent_code", "GB/T 2260 code of the region above. 上级行政区划代码"),
    ("year", "Report year. 年度"), ("report_id", "The report (reports.id). 报告"),
    ("title", "Title. 标题"), ("published", "Publication date (YYYY-MM-DD). 发布日期"),
    ("format", "prose / indicator / template2019 / template2021. 格式"),
    *[(k, f"Headline figure {k} (件; proactive_total 条, disclosure_fees_yuan 元); empty where the report "
          "does not say. 主要指标") for k in HEADLINE_KEYS],
    ("checks_run", "Consistency checks run on the report (0: none could be, e.g. a prose report). 检查数"),
    ("checks_failed", "Of those, failed; empty when none could run. 未通过检查数"),
    ("url", "The report's page. 原文地址"),
]
CHECKS = [
    ("agency", "Agency slug. 机构代码"), ("year", "Report year. 年度"), ("report_id", "The report. 报告"),
    ("check", "The check: t3.balance.{col}, t3.outcomes.{col}, t3.columns.{row}, t4.{row}.total. 检查项"),
    ("result", "PASS or FAIL. 结果"), ("detail", "The arithmetic. 详情"),
]

# units the key fixes when the report printed none
_COUNT_TABLES = {"3": "件", "4": "件"}
_SUMMARY_UNITS = {"proactive_total": "条", "disclosure_fees_yuan": "元"}


def unit_of(table: str, row: str, col: str, printed: str | None) -> str | None:
    if printed:
        return printed
    if table in _COUNT_TABLES:
        return _COUNT_TABLES[table]
    if table == "summary":
        return _SUMMARY_UNITS.get(row, "件")
    if table == "2" and col == "amount_wan_yuan":
        return "万元"
    return None


def _connect(db_path) -> sqlite3.Connection:
    con = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    con.execute("BEGIN")   # one snapshot for every file, while the nightly job writes on
    return con


def _where(agencies, alias: str) -> tuple[str, list]:
    if not agencies:
        return "", []
    return f" AND {alias}.agency IN ({', '.join('?' * len(agencies))})", list(agencies)


def panel_rows(con, agencies=None):
    where, args = _where(agencies, "r")
    region = "coalesce(a.region_code, r.region_code)" if _has(con, "agencies", "region_code") else "r.region_code"
    parent = "a.parent_code" if _has(con, "agencies", "parent_code") else "NULL"
    version = ("(SELECT v.version FROM report_versions v WHERE v.id = s.version_id)"
               if _has(con, "report_stats", "version_id") else "NULL")
    cur = con.execute(f"""
        SELECT r.agency, a.name, a.province, a.level, {region}, {parent}, r.year, r.id, s.table_name,
               s.row_key, s.col_key, s.label, s.value, s.unit,
               {'s.inferred' if _has(con, 'report_stats', 'inferred') else '0'},
               s.source, s.capture_id, {version}, s.extractor_version
        FROM report_stats s JOIN reports r ON r.id = s.report_id LEFT JOIN agencies a ON a.slug = r.agency
        WHERE 1 {where} ORDER BY r.agency, r.year, s.table_name, s.rowid""", args)
    for row in cur:
        row = list(row)
        row[12] = _number(row[12])
        row[13] = unit_of(row[8], row[9], row[10], row[13])
        yield row


def summary_rows(con, agencies=None):
    where, args = _where(agencies, "s")
    cols = ", ".join(f"s.{k}" for k in HEADLINE_KEYS)
    region = "coalesce(a.region_code, r.region_code)" if _has(con, "agencies", "region_code") else "r.region_code"
    parent = "a.parent_code" if _has(con, "agencies", "parent_code") else "NULL"
    cur = con.execute(f"""
        SELECT s.agency, s.agency_name, s.province, s.level, {region}, {parent}, s.year, s.id, s.title,
               s.published, s.format, {cols},
               s.checks_run, s.checks_failed, s.url
        FROM report_summary s JOIN reports r ON r.id = s.id LEFT JOIN agencies a ON a.slug = s.agency
        WHERE 1 {where} ORDER BY s.agency, s.year""", args)
    for row in cur:
        yield [_number(v) if isinstance(v, float) else v for v in row]


def check_rows(con, agencies=None):
    where, args = _where(agencies, "r")
    cur = con.execute(f"""
        SELECT r.agency, r.year, r.id, c.check_name, CASE c.passed WHEN 1 THEN 'PASS' ELSE 'FAIL' END, c.detail
        FROM report_checks c JOIN reports r ON r.id = c.report_id WHERE 1 {where}
        ORDER BY r.agency, r.year, c.rowid""", args)
    yield from cur


def codebook_rows(con):
    """(file, column or key, meaning) for every column of the files, then every figure key with the
    label most reports print for it."""
    for name, spec in (("panel", PANEL), ("summary", SUMMARY), ("checks", CHECKS)):
        for col, meaning in spec:
            yield [name, col, meaning]
    cur = con.execute("""
        SELECT table_name, row_key, col_key, label, count(*) n FROM report_stats
        WHERE table_name IN ('2', '3', '4', 'summary') GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, n DESC""")
    seen = set()
    for table, row, col, label, _ in cur:
        if (table, row, col) in seen:
            continue
        seen.add((table, row, col))
        yield ["figure key", f"{table} / {row} / {col}", f"printed as: {label or ''}; unit: "
               f"{unit_of(table, row, col, None) or 'as printed'}"]


def _has(con, table: str, column: str) -> bool:
    return any(r[1] == column for r in con.execute(f"PRAGMA table_info({table})"))


def _number(v):
    """Whole figures as integers (figures are stored as REAL)."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _write_csv(path: Path, header: list[str], rows) -> int:
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow(row)
            n += 1
    return n


def export(db_path, out_dir, agencies=None) -> dict[str, int]:
    """Write the four CSV files and the workbook; returns rows written per file."""
    from openpyxl import Workbook
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = _connect(db_path)
    try:
        specs = {"panel": (PANEL, lambda: panel_rows(con, agencies)),
                 "summary": (SUMMARY, lambda: summary_rows(con, agencies)),
                 "checks": (CHECKS, lambda: check_rows(con, agencies))}
        counts = {}
        for name, (spec, rows) in specs.items():
            counts[name] = _write_csv(out / f"nianbao-{name}.csv", [c for c, _ in spec], rows())
        codebook = list(codebook_rows(con))
        if counts["panel"] >= XLSX_MAX_ROWS:
            codebook.append(["panel", "(sheet)", f"{counts['panel']} rows do not fit a worksheet: use nianbao-panel.csv"])
        counts["codebook"] = _write_csv(out / "nianbao-codebook.csv", ["file", "column", "meaning"], codebook)
        wb = Workbook(write_only=True)
        for name in ("summary", "panel", "checks"):
            if name == "panel" and counts["panel"] >= XLSX_MAX_ROWS:
                continue
            spec, rows = specs[name]
            ws = wb.create_sheet(name)
            ws.append([c for c, _ in spec])
            for row in rows():
                ws.append(row)
        ws = wb.create_sheet("codebook")
        ws.append(["file", "column", "meaning"])
        for row in codebook:
            ws.append(row)
        wb.save(out / "nianbao.xlsx")
    finally:
        con.close()
    return counts
