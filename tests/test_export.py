"""`scheduler.py export` on the main job's archive (crawled_archive: a real crawl of the replica web and
the extraction pass): the CSV files read as Excel reads them (UTF-8 with a byte-order mark), the XLSX
read with openpyxl, both compared with the archive queried here."""
from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exported(crawled_archive, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    p = subprocess.run([sys.executable, "scheduler.py", "export", "--db", crawled_archive, "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return out


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                        # the BOM Excel needs for UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def db_rows(db, sql, *args):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_panel_holds_every_figure_with_its_value(exported, crawled_archive):
    panel = read_csv(exported / "nianbao-panel.csv")
    want = {(rid, t, r, c): v for rid, t, r, c, v in db_rows(
        crawled_archive, "SELECT report_id, table_name, row_key, col_key, value FROM report_stats")}
    got = {(int(x["report_id"]), x["table"], x["row"], x["column"]): float(x["value"]) for x in panel}
    assert len(panel) == len(want) and got == want
    names = dict(db_rows(crawled_archive, "SELECT slug, name FROM agencies"))
    assert all(x["agency_name"] == names[x["agency"]] for x in panel)
    t3 = [x for x in panel if x["table"] == "3"]
    assert t3 and {x["unit"] for x in t3} == {"件"}
    assert any("湖南省住房和城乡建设厅" == x["agency_name"] for x in panel)   # Chinese survives the round trip
    # region codes from the registry (GB/T 2260), the version of each figure (one crawl: the first)
    codes = {x["agency"]: (x["region_code"], x["parent_code"]) for x in panel}
    assert codes["hunan_zjt"] == ("430000", "") and codes["suizhou_zjw"] == ("421300", "420000")
    assert {x["version"] for x in panel} == {"1"}


def test_summary_checks_and_workbook_match_the_archive(exported, crawled_archive):
    summary = read_csv(exported / "nianbao-summary.csv")
    reports = db_rows(crawled_archive, "SELECT id, agency, year FROM reports")
    assert sorted((int(x["report_id"]), x["agency"], int(x["year"])) for x in summary) == sorted(reports)
    fees = dict(db_rows(crawled_archive, "SELECT report_id, value FROM report_stats WHERE table_name = 'summary'"
                                         " AND row_key = 'applications_new'"))
    for x in summary:
        assert (float(x["applications_new"]) if x["applications_new"] else None) == fees.get(int(x["report_id"]))
    checks = read_csv(exported / "nianbao-checks.csv")
    failed = db_rows(crawled_archive, "SELECT count(*) FROM report_checks WHERE passed = 0")[0][0]
    assert len(checks) == db_rows(crawled_archive, "SELECT count(*) FROM report_checks")[0][0]
    assert sum(x["result"] == "FAIL" for x in checks) == failed > 0
    wb = load_workbook(exported / "nianbao.xlsx", read_only=True)
    assert wb.sheetnames == ["summary", "panel", "checks", "codebook"]
    for name, rows in (("summary", summary), ("checks", checks), ("panel", read_csv(exported / "nianbao-panel.csv"))):
        sheet = list(wb[name].iter_rows(values_only=True))
        assert list(sheet[0]) == list(rows[0].keys())
        assert len(sheet) - 1 == len(rows)
        for cells, row in zip(sheet[1:50], rows[:49]):
            assert ["" if v is None else str(v) for v in cells] == list(row.values())
    codebook = read_csv(exported / "nianbao-codebook.csv")
    described = {(x["file"], x["column"]) for x in codebook}
    assert {("panel", c) for c in read_csv(exported / "nianbao-panel.csv")[0]} <= described
    assert ("figure key", "3 / new / natural_person") in described
