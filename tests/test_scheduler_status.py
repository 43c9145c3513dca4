"""`python scheduler.py status` against a small archive whose rows the test writes itself."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from archive.db import open_db

ROOT = Path(__file__).resolve().parent.parent
LAST_YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year - 1
HUNAN_YEARS = [2015, 2016, 2018, *range(2020, LAST_YEAR + 1)]


@pytest.fixture
def archive(tmp_path) -> Path:
    path = tmp_path / "archive.db"
    db = open_db(path)
    db["agencies"].insert_all([
        {"slug": "hunan_zjt", "name": "湖南省住房和城乡建设厅"},
        {"slug": "quzhou_zjj", "name": "衢州市住房和城乡建设局"},
        {"slug": "hunan_jyt", "name": "湖南省教育厅"}])
    db["runs"].insert_all([
        {"kind": "crawl", "agency": "hunan_zjt", "started_at": "2026-03-01T18:30:00+00:00",
         "finished_at": "2026-03-01T18:41:00+00:00", "status": "ok", "batch": "nightly-a"},
        {"kind": "extract", "started_at": "2026-03-01T18:42:00+00:00",
         "finished_at": "2026-03-01T18:43:00+00:00", "status": "ok", "batch": "nightly-a"},
        {"kind": "crawl", "agency": "hunan_zjt", "started_at": "2026-03-02T18:30:00+00:00",
         "finished_at": "2026-03-02T18:35:00+00:00", "status": "failing",
         "failure": "zero reports found", "batch": "nightly-b"},
        {"kind": "crawl", "agency": "guangxi_zjt", "started_at": "2026-03-02T18:30:00+00:00",
         "status": "running", "batch": "nightly-b"},
    ])
    reports = [{"agency": "hunan_zjt", "year": y, "title": f"湖南省住房和城乡建设厅{y}年政府信息公开工作年度报告"}
               for y in HUNAN_YEARS]
    reports += [{"agency": "quzhou_zjj", "year": 2010, "title": "衢州市住房和城乡建设局2010年政府信息公开年报"},
                {"agency": "hunan_jyt", "year": 2019, "title": "湖南省教育厅2019年政府信息公开工作年度报告"}]
    db["reports"].insert_all(reports)
    db.conn.close()
    return path


def status(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scheduler.py", "status", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_status_json(archive):
    r = status("--db", archive, "--json")
    assert r.returncode == 0, r.stderr
    rows = {x["agency"]: x for x in json.loads(r.stdout)}
    # the registry's agencies the archive has runs or reports of (registry order: by province code),
    # then the one found only in the archive
    assert list(rows) == ["quzhou_zjj", "hunan_zjt", "guangxi_zjt", "hunan_jyt"]
    h = rows["hunan_zjt"]
    assert h["last_run"] == "2026-03-02T18:30:00+00:00" and h["status"] == "failing"
    assert h["failure"] == "zero reports found"
    assert h["last_success"] == "2026-03-01T18:41:00+00:00"
    assert sorted(int(y) for y in h["reports_by_year"]) == HUNAN_YEARS
    assert h["reports"] == len(HUNAN_YEARS)
    assert h["missing_years"] == [2017, 2019]
    q = rows["quzhou_zjj"]
    assert q["last_run"] is None and q["status"] is None and q["last_success"] is None
    assert q["missing_years"] == list(range(2011, LAST_YEAR + 1))
    assert rows["guangxi_zjt"]["status"] == "running" and rows["guangxi_zjt"]["last_success"] is None
    assert rows["hunan_jyt"]["missing_years"] == list(range(2020, LAST_YEAR + 1))
    r = status("--db", archive, "--json", "--all")   # every registry agency
    every = [x["agency"] for x in json.loads(r.stdout)]
    assert len(every) > 100 and every[-1] == "hunan_jyt" and "bingtuan_zjj" in every
    x = {x["agency"]: x for x in json.loads(r.stdout)}["xizang_zjt"]
    assert x["reports"] == 0 and x["missing_years"] == []


def test_status_text(archive):
    r = status("--db", archive)
    assert r.returncode == 0, r.stderr
    blocks = r.stdout.split("\n")
    i = blocks.index("hunan_zjt  湖南省住房和城乡建设厅")
    # times shown in Beijing time: 18:30 UTC is 02:30 the next morning
    assert blocks[i + 1].split() == ["last", "run:", "2026-03-03", "02:30", "failing", "(zero", "reports", "found)"]
    assert blocks[i + 2].split() == ["last", "success:", "2026-03-02", "02:41"]
    assert blocks[i + 3].split()[:5] == ["reports:", str(len(HUNAN_YEARS)), "in", str(len(HUNAN_YEARS)), "years:"]
    assert blocks[i + 3].endswith(f"2015-2016, 2018, 2020-{LAST_YEAR}")
    assert blocks[i + 4].split() == ["missing", "years:", "2017,", "2019"]
    blocks = status("--db", archive, "--all").stdout.split("\n")
    j = blocks.index("suizhou_zjw  随州市住房和城乡建设委员会")
    assert "never run" in blocks[j + 1]


def test_coverage_by_province_and_level(tmp_path):
    """Coverage counts agencies known, with a column, crawlable, crawled and with reports per province
    and level, and agencies with a report per year: in status (text and JSON) and the Datasette view."""
    path = tmp_path / "archive.db"
    db = open_db(path)
    db["agencies"].insert_all([
        {"slug": "hubei_zjt", "name": "湖北省住房和城乡建设厅", "province": "湖北", "level": "province",
         "region_code": "420000", "column_state": "confirmed", "crawlable": 1},
        {"slug": "shiyan_zjj", "name": "十堰市住房和城乡建设局", "province": "湖北", "level": "prefecture",
         "region_code": "420300", "parent_code": "420000", "column_state": "inferred", "crawlable": 1},
        {"slug": "suizhou_zjw", "name": "随州市住房和城乡建设委员会", "province": "湖北", "level": "prefecture",
         "region_code": "421300", "parent_code": "420000", "column_state": "confirmed", "crawlable": 1},
        {"slug": "wuhan_zrzyj", "name": "武汉市自然资源和城乡建设局", "province": "湖北", "level": "prefecture",
         "region_code": "420100", "parent_code": "420000", "column_state": "unknown", "crawlable": 1},
        {"slug": "hulunbeier_zjj", "name": "呼伦贝尔市住房和城乡建设局", "province": "内蒙古", "level": "prefecture",
         "region_code": "150700", "parent_code": "150000", "column_state": "unknown", "crawlable": 0}])
    db["runs"].insert_all([{"kind": "crawl", "agency": a, "status": "ok", "started_at": "2026-03-01T00:00:00"}
                           for a in ("suizhou_zjw", "shiyan_zjj", "wuhan_zrzyj")])
    db["reports"].insert_all([{"agency": "suizhou_zjw", "year": y} for y in (2019, 2020, 2021)]
                             + [{"agency": "shiyan_zjj", "year": y} for y in (2020, 2021)])
    db.conn.close()
    r = status("--db", path, "--json", "--coverage")
    assert r.returncode == 0, r.stderr
    got = {(c["province"], c["level"]): c for c in json.loads(r.stdout)["coverage"]}
    assert list(got) == [("内蒙古", "prefecture"), ("湖北", "province"), ("湖北", "prefecture")]  # code order
    c = got["湖北", "prefecture"]
    assert (c["agencies"], c["with_column"], c["crawlable"], c["crawled"], c["with_reports"], c["reports"]) \
        == (3, 2, 3, 3, 2, 5)
    assert c["years"] == {"2019": 1, "2020": 2, "2021": 2}
    n = got["内蒙古", "prefecture"]
    assert (n["agencies"], n["with_column"], n["crawlable"], n["crawled"], n["with_reports"]) == (1, 0, 0, 0, 0)
    text = status("--db", path).stdout
    line = next(x for x in text.splitlines() if x.startswith("湖北") and "地市" in x)
    assert line.split()[2:8] == ["3", "2", "3", "3", "5", "2019:"] and line.endswith("2019: 1, 2020-2021: 2")


def test_status_writes_nothing(archive):
    before = archive.read_bytes()
    assert status("--db", archive).returncode == 0
    assert archive.read_bytes() == before


def test_status_of_missing_archive(tmp_path):
    r = status("--db", tmp_path / "none.db")
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert not (tmp_path / "none.db").exists()
