"""Checks across reports and against the law (archive/extract/assess.py): each check on reports built to
pass, fail and be unassessable, and on the main job's archive against the replica's truth, with the
legal deadlines written out here rather than taken from the code."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from archive.extract.assess import _across, _per_report
from archive.keys import T3_COLS, t3_rows

TEXT = "\n".join(["一、总体情况", "本机关……", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                  "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
                  "一是栏目更新不够及时；二是解读形式单一。下一步将加强培训。", "六、其他需要报告的事项", "无。"])


def full_stats(template=2021, blank=()):
    s = {("3", r, c): (1.0, 1 if (r, c) in blank else 0) for r in t3_rows(template) for c in T3_COLS}
    s[("2", "rules", "issued")] = (0.0, 0)
    s[("4", "review", "total")] = (0.0, 0)
    return s


def results(rows):
    return {name: result for name, result, *_ in rows}


def test_timeliness_by_the_law_of_the_year():
    r = {"year": 2022, "published": "2023-01-31", "format": "template2021"}
    assert results(_per_report(r, full_stats(), TEXT))["law.timeliness"] == "PASS"
    assert results(_per_report({**r, "published": "2023-02-01"}, full_stats(), TEXT))["law.timeliness"] == "FAIL"
    # before the 2019 revision: 31 March
    old = {"year": 2015, "published": "2016-03-31", "format": "prose"}
    assert results(_per_report(old, {}, None))["law.timeliness"] == "PASS"
    assert results(_per_report({**old, "published": "2016-04-01"}, {}, None))["law.timeliness"] == "FAIL"
    assert results(_per_report({**old, "published": None}, {}, None))["law.timeliness"] == "NOT ASSESSABLE"


def test_template_compliance():
    good = {"year": 2021, "published": "2022-01-20", "format": "template2021"}
    got = results(_per_report(good, full_stats(), TEXT))
    assert got == {"law.timeliness": "PASS", "template.generation": "PASS", "template.tables": "PASS",
                   "template.cells": "PASS", "template.sections": "PASS", "template.problems": "PASS"}
    bad = results(_per_report({**good, "format": "template2019"}, full_stats(2019, blank={("new", "research")}),
                               TEXT.replace("四、政府信息公开行政复议", "四、").replace(
                                   "一是栏目更新不够及时；二是解读形式单一。下一步将加强培训。", "无。")))
    assert bad["template.generation"] == "FAIL" and bad["template.cells"] == "FAIL"
    assert bad["template.sections"] == "FAIL" and bad["template.problems"] == "FAIL"
    no_t3 = {k: v for k, v in full_stats().items() if k[0] != "3"}
    got = results(_per_report(good, no_t3, TEXT))
    assert got["template.tables"] == "FAIL" and got["template.cells"] == "NOT ASSESSABLE"
    assert results(_per_report({**good, "format": "unknown"}, {}, TEXT))["template.generation"] == "NOT ASSESSABLE"
    # before 2019 there is no national template: only the generation is assessed
    assert set(results(_per_report({"year": 2016, "published": "2017-03-01", "format": "indicator"}, {}, None))) == \
        {"law.timeliness", "template.generation"}


def test_carry_over_and_jumps_across_years():
    prev = {"id": 1, "year": 2021}
    now = {"id": 2, "year": 2022}
    before = {("3", "carried_forward", c): (float(i), 0) for i, c in enumerate(T3_COLS)}
    before[("summary", "applications_new", "value")] = (10.0, 0)
    same = {("3", "carried_over", c): (float(i), 0) for i, c in enumerate(T3_COLS)}
    same[("summary", "applications_new", "value")] = (12.0, 0)
    got = {n: (res, other) for n, res, _, other in _across(now, prev, same, before)}
    assert got == {"x.carry_over": ("PASS", 1), "x.jump.applications": ("PASS", 1)}
    off = dict(same)
    off[("3", "carried_over", "total")] = (99.0, 0)
    off[("summary", "applications_new", "value")] = (400.0, 0)
    got = {n: res for n, res, *_ in _across(now, prev, off, before)}
    assert got == {"x.carry_over": "FAIL", "x.jump.applications": "FAIL"}
    got = {n: res for n, res, *_ in _across(now, None, same, {})}
    assert got == {"x.carry_over": "NOT ASSESSABLE", "x.jump.applications": "NOT ASSESSABLE"}


def deadline_in_law(year: int) -> date:
    """条例 (2019) art. 49: by 31 January; 条例 (2008) art. 31: by 31 March."""
    return date(year + 1, 1, 31) if year >= 2019 else date(year + 1, 3, 31)


@pytest.fixture(scope="module")
def assessed(crawled_archive):
    con = sqlite3.connect(crawled_archive)
    con.row_factory = sqlite3.Row
    yield con
    con.close()


def test_every_report_of_the_main_job_is_assessed_against_the_truth(assessed, replica_session):
    truth = {(t["agency"], t["year"]): t for t in replica_session.truth()}
    reports = assessed.execute("SELECT id, agency, year FROM reports").fetchall()
    rows = {}
    for a in assessed.execute("SELECT report_id, check_name, result FROM report_assessments"):
        rows.setdefault(a["report_id"], {})[a["check_name"]] = a["result"]
    assert len(rows) == len(reports)
    for r in reports:
        got, t = rows[r["id"]], truth[(r["agency"], r["year"])]
        due = deadline_in_law(r["year"])
        assert got["law.timeliness"] == ("PASS" if date.fromisoformat(t["published"]) <= due else "FAIL"), r["id"]
        assert {"x.carry_over", "x.jump.applications", "template.generation"} <= set(got)
    results = {res for got in rows.values() for res in got.values()}
    assert results == {"PASS", "FAIL", "NOT ASSESSABLE"}
    # Quzhou's 2020 report is the real seed: a provincial indicator table, not the 2019 national template
    quzhou = assessed.execute("SELECT a.result FROM report_assessments a JOIN reports r ON r.id = a.report_id"
                              " WHERE r.agency = 'quzhou_zjj' AND r.year = 2020 AND a.check_name = 'template.generation'"
                              ).fetchone()
    assert quzhou["result"] == "FAIL"
    glossary = {g["check_name"] for g in assessed.execute("SELECT check_name FROM check_glossary")}
    assert set().union(*(set(g) for g in rows.values())) <= glossary
