"""Table readers: HTML, flattened text, PDF and DOCX tables to canonical keys, and the checks.

Expected figures are typed by hand from the fixtures (tests/data/html/template2019.html, the
inline text tables and the generated DOCX), read off the real Hongze PDFs (page images checked),
or taken from the replica's ground truth. None is produced by the code under test.
"""
from __future__ import annotations

import io
import time
from pathlib import Path

import lxml.html
import pytest

from archive.extract import checks as C
from archive.extract import tables as T
from archive.extract.labels import norm, parse_value
from archive.keys import T3_COLS, check_names
from replica.content.seeds import SEED_DIR

DATA = Path(__file__).parent / "data"


def by_key(result, table: str) -> dict[tuple[str, str], float]:
    return {(s.row, s.col): s.value for s in result.stats if s.table == table}


def row7(d: dict, row: str) -> list[float | None]:
    return [d.get((row, c)) for c in T3_COLS]


# --- cell rules --------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,expected", [
    ("１２", 12.0), (" 1,234 ", 1234.0), ("\u00a03\u00a0", 3.0), ("—", 0.0), ("/", 0.0), ("无", 0.0),
    ("-", 0.0), ("-2", -2.0), ("7730.28", 7730.28), ("18件", 18.0), ("", None), ("\u00a0", None),
])
def test_value_cells(raw, expected):
    ok, value, _ = parse_value(norm(raw))
    assert ok and value == expected


@pytest.mark.parametrize("raw", ["1．属于国家秘密", "自然人", "本年增/减", "2020年", "第二十条第（一）项"])
def test_label_cells_are_not_values(raw):
    assert parse_value(norm(raw))[0] is False


def test_norm_labels():
    assert norm("（一）予以\n 公开") == "(一)予以公开"
    assert norm("規 章\u3000") == "规章"


# --- HTML: the hand-written 2019 template page --------------------------------------------------
@pytest.fixture(scope="module")
def html2019():
    root = lxml.html.fromstring((DATA / "html" / "template2019.html").read_bytes())
    return T.stats_from_html(root)


HAND_2019_T3 = {   # typed from the fixture: natural_person .. other_org, total (None = no cell)
    "new": [12, 2, 0, 0, 1, 0, 15],
    "carried_over": [1, 0, 0, 0, 0, 0, 1],
    "granted": [5, 1, 0, 0, 0, 0, 6],
    "partial": [2, 0, 0, 0, 0, 0, 2],
    "refused.state_secret": [0, 0, 0, 0, 0, 0, 0],
    "refused.prohibited_by_law": [1, 0, 0, 0, 0, 0, 1],
    "refused.security_stability": [0, 0, 0, 0, 0, 0, 0],
    "refused.third_party": [0, 1, 0, 0, 0, 0, 1],
    "refused.internal_affairs": [0, 0, 0, 0, 0, 0, 0],
    "refused.process_info": [1, 0, 0, 0, 0, 0, 1],
    "refused.enforcement_file": [0, 0, 0, 0, 0, 0, 0],
    "refused.query_matter": [0, 0, 0, 0, 0, 0, 0],   # 总计 printed blank: 0 by the row's arithmetic
    "unable.not_held": [2, 0, 0, 0, 1, 0, 3],
    "unable.needs_creation": [0, 0, 0, 0, 0, 0, 0],
    "unable.unclear": [0, 0, 0, 0, 0, 0, 0],
    "not_processed.petition": [1, 0, 0, 0, 0, 0, 1],
    "not_processed.duplicate": [0, 0, 0, 0, 0, 0, 0],
    "not_processed.publication": [0, 0, 0, 0, 0, 0, 0],
    "not_processed.excessive": [0, 0, 0, 0, 0, 0, 0],
    "not_processed.confirmation": [0, 0, 0, 0, 0, 0, 0],
    "other": [0, 0, 0, 0, 0, 0, 0],
    "total": [12, 2, 0, 0, 1, 0, 15],
    "carried_forward": [1, 0, 0, 0, 0, 0, 1],
}


def test_html_2019_table3(html2019):
    t3 = by_key(html2019, "3")
    assert html2019.template == 2019
    for row, expected in HAND_2019_T3.items():
        assert row7(t3, row) == expected, row
    assert {r for r, _ in t3} == set(HAND_2019_T3)
    blank = next(s for s in html2019.stats if (s.table, s.row, s.col) == ("3", "refused.query_matter", "total"))
    assert blank.source.startswith("inferred: row total = sum of applicant cells [t3.columns.refused.query_matter]")
    assert not [s for s in html2019.stats if s.source.startswith("inferred") and s is not blank]


def test_html_2019_table4(html2019):
    t4 = by_key(html2019, "4")
    assert [t4[("review", c)] for c in ("upheld", "corrected", "other", "pending", "total")] == [1, 0, 0, 1, 2]
    assert [t4[("litigation_direct", c)] for c in ("upheld", "corrected", "other", "pending", "total")] == [0] * 5
    assert [t4[("litigation_after_review", c)] for c in ("upheld", "corrected", "other", "pending", "total")] == [1, 0, 0, 0, 1]


def test_html_2019_table2(html2019):
    assert by_key(html2019, "2") == {
        ("rules", "made"): 0, ("rules", "published"): 0, ("rules", "in_force"): 3,
        ("normative_docs", "made"): 4, ("normative_docs", "published"): 4, ("normative_docs", "in_force"): 27,
        ("licensing", "last_year"): 25, ("licensing", "change"): -2,
        ("other_services", "last_year"): 3, ("other_services", "change"): 0,
        ("penalty", "last_year"): 12, ("penalty", "change"): 0, ("penalty", "decisions"): 156,
        ("coercion", "last_year"): 2, ("coercion", "change"): 0, ("coercion", "decisions"): 4,
        ("admin_fees", "last_year"): 1, ("admin_fees", "change"): 0,
        ("procurement", "projects"): 8, ("procurement", "amount"): 123.5,
    }


def test_html_sources_and_labels(html2019):
    s = next(s for s in html2019.stats if (s.table, s.row, s.col) == ("3", "new", "natural_person"))
    assert s.source == "table[2] r3c3"       # table[1] is the layout table around it
    assert s.label == "一、本年新收政府信息公开申请数量 / 自然人"
    split = next(s for s in html2019.stats if (s.table, s.row, s.col) == ("3", "carried_forward", "total"))
    assert split.label.replace(" ", "").startswith("四、结转下年度继续办理")


def test_html_checks_and_summary(html2019):
    results = {c.name: c.passed for c in C.run_checks(html2019.stats, 2019)}
    assert all(results.values()), [n for n, ok in results.items() if not ok]
    # the blank total cell of 8.属于行政查询事项 is inferred (0), so every check runs
    assert set(results) == set(check_names(2019))
    without = [s for s in html2019.stats if not s.source.startswith("inferred")]
    skipped = set(check_names(2019)) - {c.name for c in C.run_checks(without, 2019)}
    assert skipped == {"t3.outcomes.total", "t3.columns.refused.query_matter"}
    summary = C.summary_from_tables(html2019.stats, 2019)
    assert summary["applications_new"] == 15 and summary["handled_total"] == 15
    assert summary["refused"] == 3            # 1 + 1 + 1 (+ query_matter's inferred 0)
    assert summary["unable_to_provide"] == 3 and summary["not_processed"] == 1
    assert summary["other_handling"] == 0 and summary["carried_forward"] == 1
    assert summary["review_total"] == 2 and summary["litigation_total"] == 1
    assert summary["proactive_total"] is None and summary["disclosure_fees_yuan"] is None


def test_checks_fail_exactly_where_broken(html2019):
    stats = [s for s in html2019.stats]
    broken = []
    for s in stats:
        if (s.table, s.row, s.col) == ("3", "new", "natural_person"):
            s = type(s)(**{**s.__dict__, "value": 13.0})
        if (s.table, s.row, s.col) == ("4", "review", "pending"):
            s = type(s)(**{**s.__dict__, "value": 0.0})
        broken.append(s)
    failed = {c.name for c in C.run_checks(broken, 2019) if not c.passed}
    assert failed == {"t3.balance.natural_person", "t3.columns.new", "t4.review.total"}
    detail = next(c.detail for c in C.run_checks(broken, 2019) if c.name == "t3.balance.natural_person")
    assert "13" in detail and "!=" in detail


def test_traditional_labels_and_pipes():
    html = """<table><tr><td>申請人情況</td></tr>
      <tr><td>項目</td><td>自然人</td><td>商業企業</td><td>科研機構</td><td>社會公益組織</td><td>法律服務機構</td><td>其他</td><td>總計</td></tr>
      <tr><td>一、本年新收政府資訊公開申請數量</td><td>3</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>3</td></tr>
      <tr><td>四、結轉下年度繼續辦理</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr></table>"""
    t3 = by_key(T.stats_from_html(lxml.html.fromstring(html)), "3")
    assert row7(t3, "new") == [3, 0, 0, 0, 0, 0, 3]
    assert row7(t3, "carried_forward") == [1, 0, 0, 0, 0, 0, 1]


def test_extra_columns_and_following_tables():
    html = """<table>
      <tr><td rowspan="2">序号</td><td rowspan="2">项目</td><td colspan="7">申请人情况</td><td rowspan="2">备注</td></tr>
      <tr><td>自然人</td><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td><td>总计</td></tr>
      <tr><td>1</td><td>本年新收政府信息公开申请数量</td><td>4</td><td>0</td><td>1</td><td>0</td><td>0</td><td>0</td><td>5</td><td></td></tr>
      <tr><td>2</td><td>上年结转政府信息公开申请数量</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td><td>2</td><td>无</td></tr>
    </table>
    <table><tr><td>指标名称</td><td>单位</td><td>本年累计</td></tr><tr><td>收到申请数</td><td>件</td><td>5</td></tr></table>
    <table><tr><td>网站访问量</td><td>2345</td></tr><tr><td>邮编</td><td>223100</td></tr></table>"""
    res = T.stats_from_html(lxml.html.fromstring(html))
    t3 = by_key(res, "3")
    assert row7(t3, "new") == [4, 0, 1, 0, 0, 0, 5]
    assert row7(t3, "carried_over") == [0, 0, 0, 0, 0, 2, 2]
    assert by_key(res, "indicator") == {("applications_new", "value"): 5}


# --- flattened text ----------------------------------------------------------------------------
PIPE_2021 = """三、收到和处理政府信息公开申请情况
| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | 申请人情况 |
| | 自然人 | 法人或其他组织 | | | | | 总计 |
| | | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |
| 一、本年新收政府信息公开申请数量 | 9 | 1 | 0 | 0 | 0 | 0 | 10 |
| 二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 三、本年度办理结果 | （一）予以公开 | 4 | 1 | 0 | 0 | 0 | 0 | 5 |
| | （二）部分公开（区分处理的，只计这一情形，不计其他情形） | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| | （三）不予公开 | 1．属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | | 6．属于四类过程性信息 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| | （四）无法提供 | 1．本机关不掌握相关政府信息 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |
| | （六）其他处理 | 1．申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| | | 2．申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | | 3．其他 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | （七）总计 | 9 | 1 | 0 | 0 | 0 | 0 | 10 |
| 四、结转下年度继续办理 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
四、政府信息公开行政复议、行政诉讼情况
| 行政复议 | 行政诉讼 |
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |
| 2 | 0 | 1 | 0 | 3 | 0 | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 |
五、存在的主要问题及改进情况
"""


def test_pipe_text_2021():
    res = T.stats_from_text(PIPE_2021)
    t3, t4 = by_key(res, "3"), by_key(res, "4")
    assert res.template == 2021
    assert row7(t3, "new") == [9, 1, 0, 0, 0, 0, 10]
    assert row7(t3, "granted") == [4, 1, 0, 0, 0, 0, 5]
    assert row7(t3, "partial") == [1, 0, 0, 0, 0, 0, 1]
    assert row7(t3, "refused.process_info") == [1, 0, 0, 0, 0, 0, 1]
    assert row7(t3, "unable.not_held") == [2, 0, 0, 0, 0, 0, 2]
    assert row7(t3, "other.no_correction") == [1, 0, 0, 0, 0, 0, 1]
    assert row7(t3, "other.no_fee_paid") == [0] * 7
    assert row7(t3, "other.other") == [0] * 7
    assert row7(t3, "total") == [9, 1, 0, 0, 0, 0, 10]
    assert row7(t3, "carried_forward") == [0] * 7
    assert [t4[("review", c)] for c in ("upheld", "corrected", "other", "pending", "total")] == [2, 0, 1, 0, 3]
    assert t4[("litigation_direct", "upheld")] == 0 and t4[("litigation_direct", "total")] == 1
    assert t4[("litigation_after_review", "total")] == 0
    summary = C.summary_from_tables(res.stats, res.template)
    assert summary["other_handling"] == 1 and summary["litigation_total"] == 1


CELL_LINES_2021 = """三、收到和处理政府信息公开申请情况
申请人情况
自然人
法人或其他组织
商业企业
科研机构
社会公益组织
法律服务机构
其他
总计
一、本年新收政府信息公开申请数量
5
0
0
0
1
0
6
二、上年结转政府信息公开申请数量
0
0
0
0
0
0
0
三、本年度办理结果
（一）予以公开

3
0
0
0
1
0
4
（六）其他处理
3．其他
2
0
0
0
0
0
2
（七）总计
5
0
0
0
1
0
6
四、结转下年度继续办理
1
0
0
0
0
0
1
"""


def test_cell_per_line_table3():
    t3 = by_key(T.stats_from_text(CELL_LINES_2021), "3")
    assert row7(t3, "new") == [5, 0, 0, 0, 1, 0, 6]
    assert row7(t3, "carried_over") == [0] * 7
    assert row7(t3, "granted") == [3, 0, 0, 0, 1, 0, 4]
    assert row7(t3, "other.other") == [2, 0, 0, 0, 0, 0, 2]
    assert row7(t3, "total") == [5, 0, 0, 0, 1, 0, 6]
    assert row7(t3, "carried_forward") == [1, 0, 0, 0, 0, 0, 1]


def test_quzhou_seed_indicator_table():
    text = (SEED_DIR / "quzhou-zjj-2020.txt").read_text(encoding="utf-8")
    res = T.stats_from_text(text)
    ind = {s.row: s for s in res.stats if s.table == "indicator"}
    assert res.has_indicator_table and res.template is None
    assert not [s for s in res.stats if s.table != "indicator"]
    expected = {   # read from the seed by hand
        "四、依申请公开数量 / (一)收到申请数 / 3.网络申请数": 10,
        "四、依申请公开数量 / (一)收到申请数 / 4.信函申请数": 8,
        "四、依申请公开数量 / (三)申请答复数 / 5.不属于本行政机关公开数": 8,
        "四、依申请公开数量 / (三)申请答复数 / 8.告知通过其他途径办理数": 2,
        "四、依申请公开数量 / (四)申请类型数 / 4.重大建设项目审批及实施": 13,
        "二、主动公开新增信息数量 / 按发布渠道分 / 3.通过政务微信公开数": 787,
        "二、主动公开新增信息数量 / 按信息类别分 / 1.政策文件类信息公开数 / 其中:规范性文件公开数": 5,
        "proactive_total": 1072, "applications_new": 18, "granted": 7, "partially_granted": 0,
        "refused": 0, "review_total": 0, "litigation_total": 0, "disclosure_fees_yuan": 0,
        "四、依申请公开数量": 18,     # 收到申请数 takes applications_new; this row keeps its path
        "三、回应解读情况 / (一)回应公众关注热点或重大舆情数": 12,
        "三、回应解读情况 / (二)通过不同渠道和方式回应解读的情况 / 1.参加或举办新闻发布会总次数 / "
        "其中:主要负责同志参加新闻发布会次数": 2,
        "四、依申请公开数量 / (四)申请类型数 / 18.其它": 5,
        "十、人员机构建设和保障经费情况 / (三)从事政府信息公开工作人员数 / 兼职人员数": 2,
    }
    for key, value in expected.items():
        assert key in ind, key
        assert ind[key].value == value, key
    assert ind["八、依申请公开收费 / (二)减免费用"].unit == "万元"
    assert ind["disclosure_fees_yuan"].unit == "万元"      # as printed; summaries convert
    assert ind["九、会议及考察、培训活动参加人数 / (三)接受培训人员数"].unit == "人(次)"
    # every figure of the table: the lines holding only a number, between the header and the
    # personnel list (姓 名 / 职 务 / 办公电话)
    body = text.split("\n本年累计\n", 1)[1].split("\n姓 名\n", 1)[0]
    assert len(ind) == sum(1 for line in body.splitlines() if line.strip().isdigit())
    assert not any("姜平" in k or "8766000" in k for k in ind)
    summary = C.summary_from_tables(res.stats, None)
    assert summary["proactive_total"] == 1072 and summary["applications_new"] == 18
    assert summary["granted"] == 7 and summary["disclosure_fees_yuan"] == 0
    assert summary["handled_total"] is None
    assert C.run_checks(res.stats, None) == []


def test_html_indicator_table():
    html = """<table border=1>
      <tr><th colspan="2">指标名称</th><th>代码</th><th>单位</th><th>本年累计</th></tr>
      <tr><td colspan="2">一、主动公开情况</td><td>1</td><td></td><td></td></tr>
      <tr><td colspan="2">（一）主动公开政府信息数</td><td>2</td><td>条</td><td>1,234</td></tr>
      <tr><td rowspan="2">其中</td><td>1、主动公开规范性文件数</td><td>3</td><td>条</td><td>１５</td></tr>
      <tr><td>2、制发规范性文件总数</td><td>4</td><td>件</td><td>7</td></tr>
      <tr><td colspan="2">二、依申请公开情况</td><td>5</td><td></td><td></td></tr>
      <tr><td colspan="2">（一）依申请公开数量</td><td>5</td><td>件</td><td>20</td></tr>
      <tr><td colspan="2">（一）收到申请数（依申请公开方式）</td><td>6</td><td>件</td><td>20</td></tr>
      <tr><td colspan="2">（二）申请答复数</td><td>7</td><td>件</td><td>20</td></tr>
      <tr><td rowspan="3">其中</td><td>1.同意公开答复数</td><td>8</td><td>件</td><td>12</td></tr>
      <tr><td>2.同意部分公开答复数</td><td>9</td><td>件</td><td>3</td></tr>
      <tr><td>3.不同意公开答复数</td><td>10</td><td>件</td><td>5</td></tr>
      <tr><td colspan="2">三、因政府信息公开申请行政复议数</td><td>11</td><td>件</td><td>1</td></tr>
      <tr><td colspan="2">四、因政府信息公开申请提起行政诉讼数</td><td>12</td><td>件</td><td>—</td></tr>
      <tr><td colspan="2">五、依申请公开收费</td><td>13</td><td></td><td></td></tr>
      <tr><td colspan="2">（一）收取费用</td><td>14</td><td>万元</td><td>0.02</td></tr>
      <tr><td colspan="2">（二）减免费用</td><td>15</td><td>万元</td><td>&nbsp;</td></tr>
    </table>"""
    res = T.stats_from_html(lxml.html.fromstring(html))
    ind = {s.row: (s.value, s.unit) for s in res.stats}
    assert ind == {
        "proactive_total": (1234, "条"),
        "一、主动公开情况 / (一)主动公开政府信息数 / 其中 / 1.主动公开规范性文件数": (15, "条"),
        "一、主动公开情况 / (一)主动公开政府信息数 / 其中 / 2.制发规范性文件总数": (7, "件"),
        "applications_new": (20, "件"),
        "二、依申请公开情况 / (一)依申请公开数量": (20, "件"),
        "二、依申请公开情况 / (二)申请答复数": (20, "件"),
        "granted": (12, "件"), "partially_granted": (3, "件"), "refused": (5, "件"),
        "review_total": (1, "件"), "litigation_total": (0, "件"),
        "disclosure_fees_yuan": (0.02, "万元"),
    }
    assert C.summary_from_tables(res.stats, None)["disclosure_fees_yuan"] == 200


# --- PDF: the real Hongze reports (figures read from the page images) ---------------------------
HONGZE = {
    2023: {"t3": {"new": [21, 0, 0, 0, 0, 0, 21], "partial": [4, 0, 0, 0, 0, 0, 4],
                  "refused.state_secret": [1, 0, 0, 0, 0, 0, 1], "unable.not_held": [10, 0, 0, 0, 0, 0, 10],
                  "unable.needs_creation": [3, 0, 0, 0, 0, 0, 3], "not_processed.petition": [1, 0, 0, 0, 0, 0, 1],
                  "other": [0] * 7, "total": [21, 0, 0, 0, 0, 0, 21], "carried_forward": [0] * 7},
           "t4": [10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0],
           "t2": {("normative_docs", "repealed"): 5, ("licensing", "decisions"): 550,
                  ("penalty", "decisions"): 4119, ("coercion", "decisions"): 195,
                  ("admin_fees", "amount_wan_yuan"): 7730.28}},
    2024: {"t3": {"new": [95, 0, 0, 0, 0, 0, 95], "granted": [50, 0, 0, 0, 0, 0, 50],
                  "partial": [9, 0, 0, 0, 0, 0, 9], "refused.security_stability": [1, 0, 0, 0, 0, 0, 1],
                  "unable.not_held": [31, 0, 0, 0, 0, 0, 31], "unable.needs_creation": [1, 0, 0, 0, 0, 0, 1],
                  "unable.unclear": [0] * 7, "total": [95, 0, 0, 0, 0, 0, 95], "carried_forward": [0] * 7},
           "t4": [1, 1, 0, 0, 2, 1, 0, 0, 0, 1, 2, 0, 1, 0, 3],
           "t2": {("normative_docs", "issued"): 3, ("normative_docs", "in_force"): 8,
                  ("licensing", "decisions"): 9487, ("penalty", "decisions"): 2776,
                  ("coercion", "decisions"): 84, ("admin_fees", "amount_wan_yuan"): 7545}},
}


@pytest.fixture(scope="module")
def hongze():
    from archive.extract.pdf import read_pdf
    return {y: read_pdf((DATA / "real" / f"hongze-gov-{y}.pdf").read_bytes()) for y in (2023, 2024)}


@pytest.mark.parametrize("year", [2023, 2024])
def test_hongze_pdf(hongze, year):
    res, truth = hongze[year], HONGZE[year]
    t3, t4, t2 = by_key(res, "3"), by_key(res, "4"), by_key(res, "2")
    assert res.template == 2021
    for row, expected in truth["t3"].items():
        assert row7(t3, row) == expected, row
    rows = {r for r, _ in t3}
    assert len(rows) == 23 and len(t3) == 23 * 7       # every row of the table, split over two pages
    assert [t4[(g, c)] for g in ("review", "litigation_direct", "litigation_after_review")
            for c in ("upheld", "corrected", "other", "pending", "total")] == truth["t4"]
    for key, value in truth["t2"].items():
        assert t2[key] == value, key
    assert "收到和处理政府信息公开申请情况" in res.text.replace(" ", "")


def test_hongze_checks(hongze):
    # 2023 prints review 10+1+0+0 with total 0 and after-review 5 with total 0: the report is
    # inconsistent there and only there
    failed = {c.name for c in C.run_checks(hongze[2023].stats, 2021) if not c.passed}
    assert failed == {"t4.review.total", "t4.litigation_after_review.total"}
    assert all(c.passed for c in C.run_checks(hongze[2024].stats, 2021))
    s = C.summary_from_tables(hongze[2024].stats, 2021)
    assert (s["applications_new"], s["granted"], s["partially_granted"], s["refused"]) == (95, 50, 9, 3)
    assert (s["unable_to_provide"], s["not_processed"], s["review_total"], s["litigation_total"]) == (32, 1, 2, 4)


def test_bad_pdf_gives_clear_error():
    from archive.extract.pdf import PdfReadError, read_pdf
    with pytest.raises(PdfReadError):
        read_pdf(b"<html>not a pdf</html>")
    data = (DATA / "real" / "hongze-gov-2024.pdf").read_bytes()
    with pytest.raises(PdfReadError):
        read_pdf(data[: len(data) // 3])


def _pdf_of_lines(pages: list[list[str]]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(TTFont("wqy", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", subfontIndex=0))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for lines in pages:
        c.setFont("wqy", 10)
        for i, line in enumerate(lines):
            c.drawString(40, 800 - 18 * i, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_without_ruled_tables_and_unreadable_page():
    from archive.extract.pdf import read_pdf
    data = _pdf_of_lines([
        ["三、收到和处理政府信息公开申请情况", "申请人情况",
         "自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计",
         "一、本年新收政府信息公开申请数量 6 1 0 0 0 0 7",
         "（一）予以公开 4 1 0 0 0 0 5",
         "四、结转下年度继续办理 0 0 0 0 0 0 0"],
        ["(cid:3021)(cid:1187)(cid:52)(cid:993)" * 12],      # what a font without a Unicode map gives
    ])
    res = read_pdf(data)
    t3 = by_key(res, "3")
    assert row7(t3, "new") == [6, 1, 0, 0, 0, 0, 7]
    assert row7(t3, "granted") == [4, 1, 0, 0, 0, 0, 5]
    assert row7(t3, "carried_forward") == [0] * 7
    assert any(w.startswith("pdf p2: text unreadable") for w in res.warnings)


# --- DOCX with merged cells ----------------------------------------------------------------------
def make_docx() -> bytes:
    import docx
    d = docx.Document()
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    t = d.add_table(rows=4, cols=15)
    t.cell(0, 0).merge(t.cell(0, 4)).text = "行政复议"
    t.cell(0, 5).merge(t.cell(0, 14)).text = "行政诉讼"
    t.cell(1, 5).merge(t.cell(1, 9)).text = "未经复议直接起诉"
    t.cell(1, 10).merge(t.cell(1, 14)).text = "复议后起诉"
    for c, name in enumerate(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]):
        t.cell(1, c).merge(t.cell(2, c)).text = name
        t.cell(2, 5 + c).text = name
        t.cell(2, 10 + c).text = name
    for c, v in enumerate("3 1 0 0 4 0 0 1 0 1 0 0 0 2 2".split()):
        t.cell(3, c).text = v
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    t = d.add_table(rows=7, cols=10)
    t.cell(0, 0).merge(t.cell(2, 2)).text = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    t.cell(0, 3).merge(t.cell(0, 9)).text = "申请人情况"
    t.cell(1, 3).merge(t.cell(2, 3)).text = "自然人"
    t.cell(1, 4).merge(t.cell(1, 8)).text = "法人或其他组织"
    t.cell(1, 9).merge(t.cell(2, 9)).text = "总计"
    for c, name in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]):
        t.cell(2, 4 + c).text = name
    t.cell(3, 0).merge(t.cell(3, 2)).text = "一、本年新收政府信息公开申请数量"
    t.cell(4, 0).merge(t.cell(6, 0)).text = "三、本年度办理结果"
    t.cell(4, 1).merge(t.cell(6, 1)).text = "（三）不予公开"
    t.cell(4, 2).text = "1.属于国家秘密"
    t.cell(5, 2).text = "2.其他法律行政法规禁止公开"
    t.cell(6, 2).text = "3.危及“三安全一稳定”"
    rows = {3: "7 1 0 1 0 0 9", 4: "0 0 0 0 0 0 0", 5: "2 0 0 0 0 1 3", 6: "0 1 0 0 0 0 1"}
    for r, vals in rows.items():
        for c, v in enumerate(vals.split()):
            t.cell(r, 3 + c).text = v
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_merged_cells():
    from archive.extract.docx import read_docx
    res = read_docx(make_docx())
    t3, t4 = by_key(res, "3"), by_key(res, "4")
    assert [t4[(g, c)] for g in ("review", "litigation_direct", "litigation_after_review")
            for c in ("upheld", "corrected", "other", "pending", "total")] == \
        [3, 1, 0, 0, 4, 0, 0, 1, 0, 1, 0, 0, 0, 2, 2]
    assert row7(t3, "new") == [7, 1, 0, 1, 0, 0, 9]
    assert row7(t3, "refused.state_secret") == [0] * 7
    assert row7(t3, "refused.prohibited_by_law") == [2, 0, 0, 0, 0, 1, 3]
    assert row7(t3, "refused.security_stability") == [0, 1, 0, 0, 0, 0, 1]
    assert len(t3) == 4 * 7
    assert "行政复议" in res.text and "申请人情况" in res.text


def test_bad_docx_gives_clear_error():
    from archive.extract.docx import DocxReadError, read_docx
    with pytest.raises(DocxReadError):
        read_docx(b"PK\x03\x04 not really a zip")


# --- speed ---------------------------------------------------------------------------------------
def test_html_speed():
    raw = (DATA / "html" / "template2019.html").read_text(encoding="utf-8")
    prose = "<p>" + "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，" * 12 + "</p>"
    word_style = ' style="width:42.5pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt"'
    page = raw.replace("<td", "<td" + word_style)
    page = page.replace("<p class=\"MsoNormal\">五、", prose * 4 + "<p class=\"MsoNormal\">五、")
    assert 20_000 <= len(page.encode()) <= 40_000
    root = lxml.html.fromstring(page)
    times = []
    for _ in range(30):       # best of 30: the machine is shared with other test runs
        t0 = time.perf_counter()
        res = T.stats_from_html(root)
        times.append(time.perf_counter() - t0)
    assert len(res.stats) == 196              # 195 printed + the blank 总计 forced to 0
    assert min(times) < 0.010, f"{min(times) * 1000:.1f} ms per page"


# --- the replica's synthetic reports vs their ground truth --------------------------------------
def _read_report(report):
    from archive.extract.docx import read_docx
    from archive.extract.pdf import read_pdf
    if report.stats_in in ("pdf", "docx"):
        att = next(a for a in report.attachments if a.filename.lower().endswith("." + report.stats_in))
        return read_pdf(att.data) if report.stats_in == "pdf" else read_docx(att.data)
    root = lxml.html.fromstring(report.body_html)
    res = T.stats_from_html(root)
    if not res.stats:      # a table flattened into the page's text
        for el in root.iter("br", "p", "div", "tr", "li"):
            el.tail = "\n" + (el.tail or "")
        res = T.stats_from_text(root.text_content())
    return res


def test_replica_corpus_tables_equal_truth():
    corpus_mod = pytest.importorskip("replica.corpus")
    corpus = corpus_mod.build_corpus()
    problems, seen = [], set()
    for r in corpus.reports:
        res = _read_report(r)
        mine = {(s.table, s.row, s.col): s.value for s in res.stats}
        truth = {(s["table"], s["row"], s["col"]): s["value"] for s in r.truth["stats"] if s["table"] != "prose"}
        where = f"{r.agency} {r.year} {r.generation} in {r.stats_in}"
        if mine != truth:
            missing = sorted(set(truth) - set(mine))[:3]
            extra = sorted(set(mine) - set(truth))[:3]
            wrong = [(k, truth[k], mine[k]) for k in truth if k in mine and mine[k] != truth[k]][:3]
            problems.append(f"{where}: missing {missing} extra {extra} wrong {wrong}")
        failed = sorted(c.name for c in C.run_checks(res.stats, res.template) if not c.passed)
        if failed != sorted(r.truth["checks_failed"]):
            problems.append(f"{where}: checks failed {failed}, truth {r.truth['checks_failed']}")
        for key, value in C.summary_from_tables(res.stats, res.template).items():
            if value is not None and value != r.truth["summary"][key]:
                problems.append(f"{where}: summary {key} {value}, truth {r.truth['summary'][key]}")
        if r.generation.startswith("template") and res.template != int(r.generation[-4:]):
            problems.append(f"{where}: template {res.template}")
        if truth:
            seen.add((r.generation, r.stats_in))
    assert not problems, "\n".join(problems)
    # the comparison covered every kind of table source the corpus has
    assert {("indicator", "page"), ("template2019", "page"), ("template2021", "page")} <= seen
    assert {s for _, s in seen} >= {"pdf", "docx"}


def _flatten(html: str, pipes: bool) -> str:
    """A page's text as a copy-paste gives it: paragraphs one per line, table rows as `|` lines
    or every non-empty cell on its own line."""
    import re
    lines: list[str] = []

    def walk(el):
        if el.tag == "table":
            for tr in el.iter("tr"):
                cells = [re.sub(r"\s+", " ", td.text_content()).strip() for td in tr if td.tag in ("td", "th")]
                if pipes:
                    lines.append("| " + " | ".join(cells) + " |")
                else:
                    lines.extend(c for c in cells if c)
        elif el.tag in ("p", "div", "h1", "h2", "h3") and not el.findall(".//table"):
            lines.append(el.text_content().strip())
        else:
            for child in el:
                walk(child)

    walk(lxml.html.fromstring(html))
    return "\n".join(lines)


@pytest.mark.parametrize("pipes", [True, False], ids=["pipes", "cell-per-line"])
def test_replica_tables_flattened_into_text(pipes):
    corpus_mod = pytest.importorskip("replica.corpus")
    problems, n = [], 0
    for r in corpus_mod.build_corpus().reports:
        if r.stats_in != "page" or not r.generation.startswith("template"):
            continue
        n += 1
        res = T.stats_from_text(_flatten(r.body_html, pipes))
        mine = {(s.table, s.row, s.col): s.value for s in res.stats}
        truth = {(s["table"], s["row"], s["col"]): s["value"] for s in r.truth["stats"]}
        if mine != truth:
            problems.append(f"{r.agency} {r.year}: missing {sorted(set(truth) - set(mine))[:3]} "
                            f"extra {sorted(set(mine) - set(truth))[:3]}")
    assert n >= 20 and not problems, "\n".join(problems)
