"""Layouts and phrasings met in real reports of many agencies (not our generator's), each reproduced
by a short snippet written for this test (invented agencies and numbers); expected values by hand."""
from __future__ import annotations

import pytest

from archive.extract import checks, tables
from archive.extract.extract import extract_document
from archive.extract.prose import prose_figures


def _doc(text: str, name: str = "report.txt") -> dict:
    return extract_document(text.encode("utf-8"), filename=name)


def _t3(res, row: str, col: str = "total"):
    return next((s.value for s in res.stats if s.table == "3" and s.row == row and s.col == col), None)


# ---------------------------------------------------------------- tables flattened into text

def test_one_cell_per_line_pipe_table():
    """Pages copied cell by cell: each cell a line ending in ` |`, `|` or `|||` lines between rows."""
    text = "\n".join([
        "三、收到和处理政府信息公开申请情况", "|", "申请人情况 | |||", "|", "自然人 |", "法人或其他组织 |", "总计 |",
        "|", "商业 企业 |", "科研 机构 |", "社会公益组织 |", "法律服务机构 |", "其他 |", "|",
        "一、本年新收政府信息公开申请数量 |", "6 |", "1 |", "0 |", "0 |", "0 |", "0 |", "7 |", "||",
        "|", "二、上年结转政府信息公开申请数量 |", "2 |", "0 |", "0 |", "0 |", "0 |", "0 |", "2 |", "||",
    ])
    res = tables.stats_from_text(text)
    assert _t3(res, "new") == 7 and _t3(res, "new", "natural_person") == 6 and _t3(res, "new", "commercial") == 1
    assert _t3(res, "carried_over") == 2


def test_space_separated_rows_from_pdf_text():
    """PDF text: a label and its figures on one line separated by spaces; table 四's header as words
    on lines of their own and its 15 figures on one line."""
    text = "\n".join([
        "四、结转下年度继续办理 1 0 0 0 0 0 1",
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议 行政诉讼",
        "未经复议直接起诉 复议后起诉",
        "结果 结果 其他 尚未 总",
        "维持 纠正 结果 审结 计 结果 结果 其他 尚未 总 结果 结果 其他 尚未 总",
        "2 1 0 0 3 1 0 0 0 1 0 0 0 1 1",
        "五、存在的主要问题及改进情况",
    ])
    res = tables.stats_from_text(text)
    assert _t3(res, "carried_forward") == 1 and _t3(res, "carried_forward", "natural_person") == 1
    t4 = {(s.row, s.col): s.value for s in res.stats if s.table == "4"}
    assert t4[("review", "upheld")] == 2 and t4[("review", "total")] == 3
    assert t4[("litigation_direct", "total")] == 1 and t4[("litigation_after_review", "pending")] == 1
    summary = checks.summary_from_tables(res.stats, res.template)
    assert summary["review_total"] == 3 and summary["litigation_total"] == 2


def test_a_row_with_one_figure_is_its_total():
    """Merged cells flattened: `一、本年新收…数量 | 0 | |||||` keeps one figure for the row."""
    text = "\n".join([
        "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 | ||||||",
        "自然人 | 法人或其他组织 | 总计 | |||||",
        "商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | ||",
        "一、本年新收政府信息公开申请数量 | 0 | ||||||||",
        "三、本年度办理结果 | (一)予以公开 | 0 | |||||||",
    ])
    res = tables.stats_from_text(text)
    assert _t3(res, "new") == 0 and _t3(res, "granted") == 0
    assert _t3(res, "new", "natural_person") is None
    assert any("one figure" in w for w in res.warnings)


def test_words_that_name_both_review_and_litigation_in_prose_do_not_start_a_table():
    res = tables.stats_from_text("我单位未发生行政复议、行政诉讼案件。\n全年发布信息 12 30")
    assert not [s for s in res.stats if s.table == "4"]


# ---------------------------------------------------------------- blank 总计 cells

_HEAD = ("<tr><td rowspan='2'>(本列数据的勾稽关系为…)</td><td colspan='7'>申请人情况</td></tr>"
         "<tr><td>自然人</td><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td>"
         "<td>其他</td><td>总计</td></tr>")


def _row(label, *cells):
    return "<tr><td>" + label + "</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def test_blank_total_column_is_the_sum_of_the_applicant_columns():
    html = ("<html><body><p>2019年某市某局政府信息公开工作年度报告</p><table>" + _HEAD
            + _row("一、本年新收政府信息公开申请数量", 20, 3, "", "", "", "", 23)
            + _row("(一)予以公开", 9, 2, "", "", "", 1, "")
            + _row("(三)不予公开 1.属于国家秘密", 4, "", "", "", "", "", "")
            + _row("5.属于三类内部事务信息", 1, 1, "", "", "", "", "")
            + _row("(六)其他处理", "", "", "", "", "", "", "")
            + "</table><p>四、政府信息公开行政复议、行政诉讼情况</p><table>"
            + "<tr><td colspan='5'>行政复议</td><td colspan='10'>行政诉讼</td></tr>"
            + "<tr>" + "".join(f"<td rowspan='2'>{h}</td>" for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
            + "<td colspan='5'>未经复议直接起诉</td><td colspan='5'>复议后起诉</td></tr>"
            + "<tr>" + "".join(f"<td>{h}</td>" for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2) + "</tr>"
            + "<tr>" + "".join(f"<td>{v}</td>" for v in (3, "", "", 1, 4, 5, "", "", "", 5, "", "", "", "", "")) + "</tr>"
            + "</table></body></html>")
    r = extract_document(html.encode("utf-8"), filename="r.html")
    s = r["summary"]
    assert s["applications_new"] == 23      # printed total
    assert s["granted"] == 12               # 9 + 2 + 1, the 总计 cell blank
    assert s["refused"] == 6                # 4 + (1 + 1)
    assert s["other_handling"] is None      # nothing printed at all
    assert s["review_total"] == 4 and s["litigation_total"] == 5   # 复议后起诉 block blank


# ---------------------------------------------------------------- prose phrasings

@pytest.mark.parametrize("text, key, value", [
    ("2016年度没有依申请公开信息的情况。", "applications_new", 0),
    ("今年共收到5份政府信息公开申请,均已按时答复。", "applications_new", 5),
    ("2016年度没有关于政府信息公开的收费及减免情况。", "disclosure_fees_yuan", 0),
    ("本机关没有向申请人收取复制、邮寄、检索等任何费用。", "disclosure_fees_yuan", 0),
    ("收到申请9件,上年度结转政府信息公开申请0件。", "applications_carried_over", 0),
    ("办结8件,无下年度结转。", "carried_forward", 0),
    ("另有3件结转下年度继续办理。", "carried_forward", 3),
    ("其中予以公开4件,无法提供5件,不予处理2件,其他处理3件。", "unable_to_provide", 5),
    ("其中予以公开4件,无法提供5件,不予处理2件,其他处理3件。", "not_processed", 2),
    ("其中予以公开4件,无法提供5件,不予处理2件,其他处理3件。", "other_handling", 3),
])
def test_prose_phrasings(text, key, value):
    got = prose_figures(text, 2016)
    assert key in got and got[key].value == value


@pytest.mark.parametrize("text, key", [
    ("予以公开及部分公开40件,占三成。", "granted"),
    ("予以公开及部分公开40件,占三成。", "partially_granted"),
    ("予以公开或部分公开40件。", "partially_granted"),
    ("通过门户网站主动公开规章4件,行政规范性文件9件,人事任免文件12件。", "proactive_total"),
    ("全年主动公开政策解读材料30篇。", "proactive_total"),
])
def test_prose_distractors(text, key):
    assert key not in prose_figures(text, 2019)


def test_no_fee_said_under_the_fee_heading_without_naming_applications():
    """Old reports' 收费 section may say only who was not charged; elsewhere that sentence is no fee figure."""
    text = ("三、政府信息公开的收费及减免情况\n我街道未对任何公民、法人和组织收取任何费用。\n"
            "四、因政府信息公开申请行政复议、提起行政诉讼的情况\n未发生行政复议和行政诉讼。\n")
    assert prose_figures(text, 2012)["disclosure_fees_yuan"].value == 0
    other = "一、概述\n我街道未对任何公民、法人和组织收取任何费用。\n"
    assert "disclosure_fees_yuan" not in prose_figures(other, 2012)


def test_prose_proactive_total_in_a_sub_section():
    text = "一、总体情况\n(一)主动公开情况\n全年共发布政府信息321条,其中政策文件12条。"
    assert prose_figures(text, 2020)["proactive_total"].value == 321


# ---------------------------------------------------------------- metadata

@pytest.mark.parametrize("text, agency, year", [
    ("江川市人民政府2016年\n政府信息公开工作年度报告\n江川市人民政府办公室\n2017年3月\n本报告……", "江川市人民政府", 2016),
    ("湖县文体局2014年度信息公开工作\n年度报告\n一、主动公开政府信息的情况:2014年度主动公开信息8条。",
     "湖县文体局", 2014),
    ("青山市白沙区2017年政府信息公开工作年度报告\n来源:区政府办 时间:2018-01-15\n正文……",
     "青山市白沙区人民政府", 2017),
    ("2022年临江市政府信息公开工作年度报告\n本年度报告……", "临江市人民政府", 2022),
    ("Page 3 - 北湖市南岸区林业局2021年政府信息公开工作年度报告\nP. 3\n……", "北湖市南岸区林业局", 2021),
])
def test_agency_and_year_from_titles(text, agency, year):
    r = _doc(text + "\n本年度政府信息公开工作总体情况良好。")
    assert (r["agency"], r["year"]) == (agency, year)


@pytest.mark.parametrize("intro, agency", [
    ("本报告由石桥县交通运输局编制。本报告中所列数据的统计期限为2021年1月1日至12月31日。", "石桥县交通运输局"),
    ("现公布石桥县人民政府办公室2021年政府信息公开工作年度报告。", "石桥县人民政府办公室"),
    ("本年报由石桥县人民政府办公室汇总编制,数据统计期限为2021年。", "石桥县人民政府"),
    ("本报告由石桥县人民政府信息公开工作领导小组办公室根据有关要求编制。", "石桥县人民政府"),
    ("根据有关要求,石桥县人民政府根据全县2021年度工作情况,编制本报告。", "石桥县人民政府"),
    ("如对本报告有疑问,请与石桥县民政局办公室综合科联系(地址:……)。", "石桥县民政局办公室"),
])
def test_agency_named_in_the_introduction(intro, agency):
    r = _doc("一、总体情况\n" + intro + "\n2021年,我单位政府信息公开工作运行正常。")
    assert r["agency"] == agency and r["year"] == 2021


def test_breadcrumb_is_not_the_title_and_name_row_is():
    text = ("您当前所在位置:首页 > 信息公开年报\n名称 平川市2017年政府信息公开年度报告\n"
            "发布机构 平川市人民政府办公室 发文日期 2018-02-26\n本报告根据《条例》编制。")
    r = _doc(text)
    assert r["title"] == "平川市2017年政府信息公开年度报告"
    assert (r["agency"], r["year"], r["published"]) == ("平川市人民政府", 2017, "2018-02-26")


# ---------------------------------------------------------------- warnings

def test_table_warnings_reach_the_result():
    text = ("2021年某县某局政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
            "申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计\n"
            "一、本年新收政府信息公开申请数量 | 3 | 0 | 0 | 0 | 0 | 0 | 3\n"
            "(九)另行说明的情形 | 1 | 0 | 0 | 0 | 0 | 0 | 1\n")
    r = _doc(text)
    assert r["summary"]["applications_new"] == 3
    assert any("table 三 row not recognised" in w for w in r["warnings"])


# ---------------------------------------------------------------- PDF-to-markdown table 三

_MD_T3 = """三、收到和处理政府信息公开申请情况
申请人情况
自然人总计
商业企科研机社会公法律服
其他
| 业 | 构 | 益组织 | 务机构 |  |  |  |  |  |
|---|---|---|---|---|---|---|---|---|
| 一、本年新收政府信息公开申请数量 | 20 | 1 | 0 | 0 | 0 | 0 | 21 |  |
| 二、上年结转政府信息公开申请数量 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |  |
| 三、 | （一）予以公开 | 6 | 0 | 0 | 0 | 0 | 0 | 6 |
| 3 | 1 | 0 | 0 | 0 | 0 | 4 |
|---|---|---|---|---|---|---|

（二）部分公开（区分处理的，只
度办
理结计这一情形，不计其他情形）
1.本机关不掌握相关政
府信息
| 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 3.危及“三安全一稳定” | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 4.保护第三方合法权益 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 5.属于三类内部事务信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 6.属于四类过程性信息 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| 7.属于行政执法案卷 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 8.属于行政查询事项 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
（四）无2.没有现成信息需要另
法提供行制作
| 5 | 0 | 0 | 0 | 0 | 0 | 5 |
| 2.没有现成信息需要另行制作 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 3.补正后申请内容仍不明确 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 1.信访举报投诉类申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 3.要求提供公开出版物 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 4.无正当理由大量反复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 5.要求行政机关确认或重新出具已获取信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 行政机关不再处理其政府信息公 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |
（六）其
2.申请人逾期未按收费通知要求
他处理
— 5 —
| 缴纳费用、 | 行政机关不再处理其政 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 3.其他 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| （七）总计 | 18 | 1 | 0 | 0 | 0 | 0 | 19 |
| 四、结转下年度继续办理 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |
五、存在的主要问题及改进情况
"""


def test_markdown_rows_without_labels_take_the_template_rows_left_in_order():
    """PDF-to-markdown pulls labels out of the table as free text, often beside the wrong row:
    the rows left without a label (部分公开, 不掌握, and one whose label kept only a fragment) take
    the template rows no label named, in order; the free text is never their label; a page
    marker inside the table is not a figure."""
    res = tables.stats_from_text(_MD_T3)
    assert res.template == 2021
    assert [_t3(res, "partial", c) for c in ("natural_person", "commercial", "total")] == [3, 1, 4]
    assert _t3(res, "unable.not_held") == 5            # not 1.本机关不掌握's free-text neighbour
    assert _t3(res, "other.no_correction") == 2       # label fragment: template order
    assert _t3(res, "other.no_fee_paid") == 0 and _t3(res, "other.other") == 1
    assert _t3(res, "total") == 19 and _t3(res, "carried_forward") == 3
    t3 = [s for s in res.stats if s.table == "3"]
    assert len(t3) == 25 * 7
    assert checks.run_checks(res.stats, res.template) and all(c.passed for c in checks.run_checks(res.stats, 2021))


def test_markdown_rows_without_labels_are_refused_when_they_do_not_fit():
    """One label-less row more than the template rows left: none is placed, nothing shifts."""
    text = _MD_T3.replace("| 3.其他 | 1 |", "| 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n| 3.其他 | 1 |")
    res = tables.stats_from_text(text)
    assert _t3(res, "partial") is None and _t3(res, "unable.not_held") is None
    assert _t3(res, "other.other") == 1 and _t3(res, "total") == 19
    assert any("rows without a label" in w and "not read" in w for w in res.warnings)


def test_table4_as_three_five_column_tables():
    """Table 四 split by the conversion into three 5-column tables, each under its own heading (the
    first heading only the table's own cue); a 15-figure row still reads whole."""
    text = "\n".join([
        "## 四、政府信息公开行政复议、行政诉讼情况", "### 行政复议",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |", "|---|---|---|---|---|", "| 4 | 1 | 0 | 2 | 7 |",
        "### 行政诉讼（未经复议直接起诉）",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |", "|---|---|---|---|---|", "| 1 | 0 | 0 | 0 | 1 |",
        "### 行政诉讼（复议后起诉）",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |", "|---|---|---|---|---|", "| 0 | 0 | 1 | 1 | 2 |",
        "五、存在的主要问题及改进情况"])
    res = tables.stats_from_text(text)
    t4 = {(s.row, s.col): s.value for s in res.stats if s.table == "4"}
    assert [t4[("review", c)] for c in ("upheld", "corrected", "other", "pending", "total")] == [4, 1, 0, 2, 7]
    assert t4[("litigation_direct", "total")] == 1 and t4[("litigation_direct", "upheld")] == 1
    assert [t4[("litigation_after_review", c)] for c in ("other", "pending", "total")] == [1, 1, 2]
    # a fourth 5-figure block has no block left: refused, nothing overwritten
    res = tables.stats_from_text(text.replace("五、存在", "| 9 | 9 | 9 | 9 | 36 |\n五、存在"))
    assert {(s.row, s.col): s.value for s in res.stats if s.table == "4"} == t4
    assert any("no block left" in w for w in res.warnings)


# ---------------------------------------------------------------- digits run together

def test_run_together_digits_split_only_where_the_arithmetic_allows_one_split():
    text = "\n".join([
        "三、收到和处理政府信息公开申请情况",
        "申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计",
        "一、本年新收政府信息公开申请数量 | 801000081",          # 80 1 0 0 0 0 81: the one split
        "二、上年结转政府信息公开申请数量 | 2 | 000002",            # 2 0 0 0 0 0 2
        "(二)部分公开 | 1234",                                     # too few digits for 7 figures
        "四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 | 1",
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议 行政诉讼",
        "210031000110001",
    ])
    res = tables.stats_from_text(text)
    assert [_t3(res, "new", c) for c in ("natural_person", "commercial", "total")] == [80, 1, 81]
    assert [_t3(res, "carried_over", c) for c in ("natural_person", "research", "total")] == [2, 0, 2]
    assert _t3(res, "partial") is None and _t3(res, "partial", "natural_person") is None
    t4 = {(s.row, s.col): s.value for s in res.stats if s.table == "4"}
    assert [t4[("review", c)] for c in ("upheld", "corrected", "other", "pending", "total")] == [2, 1, 0, 0, 3]
    assert t4[("litigation_direct", "total")] == 1 and t4[("litigation_after_review", "total")] == 1
    assert any("digits run together (1234)" in w and "not read" in w for w in res.warnings)


def test_run_together_digits_with_two_splits_are_not_read():
    """1 1 0 0 0 0 2 and 11 0 0 0 0 0 ... : `110000011` fits 11 0 0 0 0 0 11 and 1 10 0 0 0 0 11."""
    text = ("三、收到和处理政府信息公开申请情况\n"
            "申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计\n"
            "一、本年新收政府信息公开申请数量 | 110000011\n")
    res = tables.stats_from_text(text)
    assert _t3(res, "new") is None and _t3(res, "new", "natural_person") is None
    assert any("several splits fit" in w for w in res.warnings)


def test_a_row_that_lost_one_empty_cell():
    """Markdown drops an empty 总计 cell: six figures; the one placement the arithmetic allows is read
    and the lost cell inferred; where two placements fit (2 0 0 0 0 2: 总计 lost, or 自然人 lost
    and 总计 2) nothing is read."""
    head = ("三、收到和处理政府信息公开申请情况\n"
            "| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n")
    res = tables.stats_from_text(head + "| 四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 |  |\n")
    assert [_t3(res, "carried_forward", c) for c in ("natural_person", "commercial", "total")] == [1, 0, 1]
    total = next(s for s in res.stats if s.row == "carried_forward" and s.col == "total")
    assert total.source.startswith("inferred:")
    res = tables.stats_from_text(head + "| 四、结转下年度继续办理 | 2 | 0 | 0 | 0 | 0 | 2 |\n")
    assert _t3(res, "carried_forward") is None and _t3(res, "carried_forward", "natural_person") is None
    assert any("6 values, expected 7" in w for w in res.warnings)


# ---------------------------------------------------------------- old indicator tables

def test_indicator_rows_counting_information_are_not_application_outcomes():
    """不予公开信息数 is information withheld from proactive disclosure; 依申请公开信息数 items
    released on request: neither is refused / applications received."""
    html = ("<html><body><p>某市某局2012年政府信息公开工作年度报告</p><table>"
            "<tr><td>指标名称</td><td>单位</td><td>本年累计</td></tr>"
            "<tr><td>一、主动公开情况</td><td></td><td></td></tr>"
            "<tr><td>(一)主动公开政府信息数</td><td>条</td><td>120</td></tr>"
            "<tr><td>(二)不予公开信息数</td><td>条</td><td>3</td></tr>"
            "<tr><td>二、依申请公开情况</td><td></td><td></td></tr>"
            "<tr><td>(一)依申请公开信息数</td><td>条</td><td>9</td></tr>"
            "<tr><td>(二)同意公开答复数</td><td>件</td><td>4</td></tr>"
            "</table></body></html>")
    r = extract_document(html.encode("utf-8"), filename="r.html")
    assert r["summary"]["proactive_total"] == 120 and r["summary"]["granted"] == 4
    assert r["summary"]["refused"] is None and r["summary"]["applications_new"] is None
    rows = {s["row"]: s["value"] for s in r["stats"] if s["table"] == "indicator"}
    assert rows["一、主动公开情况 / (二)不予公开信息数"] == 3
    assert rows["二、依申请公开情况 / (一)依申请公开信息数"] == 9


# ---------------------------------------------------------------- pages lxml misparses

def _t3_page(rows_html: str, before: str = "") -> bytes:
    head = ("<tr><td>(本列数据的勾稽关系为…)</td><td>自然人</td><td>商业企业</td><td>科研机构</td>"
            "<td>社会公益组织</td><td>法律服务机构</td><td>其他</td><td>总计</td></tr>")
    return ("<html><body><div id='zoom'><p>2020年某县某局政府信息公开工作年度报告</p>" + before
            + "<p>三、收到和处理政府信息公开申请情况</p><table>" + head + rows_html + "</table>"
            "<p>本机关依法办理政府信息公开申请。</p></div></body></html>").encode("utf-8")


def test_cells_outside_any_row_are_read_as_a_browser_reads_them():
    """A stray </tr> inside a row (Word export): lxml leaves the rest of the row's cells outside any
    <tr> and they are lost; the page is reparsed with BeautifulSoup + html5lib, which opens a row."""
    from archive.extract.document import decode, from_html
    rows = ("<tr><td>一、本年新收政府信息公开申请数量</td><td>5</td><td>1</td></tr><td>0</td><td>0</td>"
            "<td>0</td><td>0</td><td>6</td>"
            "<tr><td>二、上年结转政府信息公开申请数量</td>" + "<td>0</td>" * 7 + "</tr>")
    data = _t3_page(rows)
    assert from_html(decode(data)[0]).parser == "html5lib"
    r = extract_document(data, filename="r.html")
    got = {(s["row"], s["col"]): s["value"] for s in r["stats"] if s["table"] == "3"}
    assert got[("carried_over", "total")] == 0
    # html5lib puts the orphan cells in a row of their own: 5 figures, no label: never shifted
    # onto a neighbour; the row with the label keeps its two printed figures, not read as seven
    assert ("new", "legal_service") not in got and ("new", "total") not in got


def test_deeply_nested_markup_does_not_lose_the_tables():
    """Hundreds of unclosed <font> tags before the table: libxml2 stops at depth 256 and the table
    is gone; the browser-grade parse keeps it."""
    from archive.extract.document import decode, from_html
    rows = ("<tr><td>一、本年新收政府信息公开申请数量</td><td>5</td><td>1</td><td>0</td><td>0</td><td>0</td>"
            "<td>0</td><td>6</td></tr>")
    data = _t3_page(rows, before="<p>" + "<font face='宋体'>说明" * 300 + "</p>")
    r = extract_document(data, filename="r.html")
    assert r["summary"]["applications_new"] == 6
    assert from_html(decode(data)[0]).parser == "html5lib"


def test_well_formed_pages_stay_on_lxml():
    from archive.extract.document import decode, from_html
    rows = "<tr><td>一、本年新收政府信息公开申请数量</td>" + "<td>0</td>" * 7 + "</tr>"
    assert from_html(decode(_t3_page(rows))[0]).parser == "lxml"


def test_header_words_split_over_lines():
    """PDF tables whose header cells wrap: 社会公 / 益组织, 法律服 / 务机构, 商业企 / 业 on two rows."""
    from archive.extract.grid import rows_grid
    rows = [["申请人情况", "自然人", "法人或其他组织", "法人或其他组织", "法人或其他组织", "法人或其他组织",
             "法人或其他组织", "总计"],
            ["", "", "商业企", "科研机", "社会公", "法律服", "其他", ""],
            ["", "", "业", "构", "益组织", "务机构", "", ""],
            ["一、本年新收政府信息公开申请数量", "5", "1", "0", "2", "0", "0", "8"]]
    res = tables.stats_from_grids([rows_grid(rows, "pdf p2 table[0]")])
    assert [_t3(res, "new", c) for c in ("natural_person", "commercial", "research", "nonprofit",
                                          "legal_service", "other_org", "total")] == [5, 1, 0, 2, 0, 0, 8]
    assert res.needs_review is None


def test_a_page_marker_inside_a_row_flattened_one_cell_per_line():
    """PDF text one cell per line; the page break's `— 3 —` falls among a row's figures."""
    text = "\n".join(["三、收到和处理政府信息公开申请情况", "申请人情况", "自然人", "商业企业", "科研机构",
                      "社会公益组织", "法律服务机构", "其他", "总计",
                      "一、本年新收政府信息公开申请数量", "5", "1", "— 3 —", "0", "0", "0", "0", "6",
                      "二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0"])
    res = tables.stats_from_text(text)
    assert [_t3(res, "new", c) for c in ("natural_person", "commercial", "research", "total")] == [5, 1, 0, 6]


def test_rows_under_a_wrong_header_keep_their_own_labels():
    """The conversion repeats another table's header (本年新收件数 | 上年结转件数 | 予以公开 | 不予公开 ...)
    above the last rows of 其他处理: its words name no row and no group of the rows under it."""
    text = "\n".join([
        "三、收到和处理政府信息公开申请情况",
        "| 类别 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |",
        "| 1. 申请人无正当理由逾期不补正, 行政机关不再处理其政府信息公开申请 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |",
        "| 项目 | 本年新收件数 | 上年结转件数 | 予以公开 | 部分公开 | 不予公开 | 结转下年度 | 总计 |",
        "| 2. 申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |",
        "| 3. 其他 | 4 | 1 | 0 | 0 | 0 | 0 | 5 |",
        "| （七）总计 | 7 | 1 | 0 | 0 | 0 | 0 | 8 |"])
    res = tables.stats_from_text(text)
    assert _t3(res, "other.no_correction") == 2 and _t3(res, "other.no_fee_paid") == 1
    assert _t3(res, "other.other") == 5 and _t3(res, "other.other", "commercial") == 1
    assert _t3(res, "total") == 8 and _t3(res, "new") is None


def test_markdown_rows_without_labels_out_of_order_are_refused():
    """As many label-less rows as template rows left, but one sits before labelled rows that come
    before its template place: no row is placed."""
    moved = _MD_T3.replace("| 5 | 0 | 0 | 0 | 0 | 0 | 5 |\n", "").replace(
        "| 1.属于国家秘密 |", "| 5 | 0 | 0 | 0 | 0 | 0 | 5 |\n| 1.属于国家秘密 |")
    res = tables.stats_from_text(moved)
    assert _t3(res, "partial") is None and _t3(res, "unable.not_held") is None
    assert _t3(res, "refused.state_secret") == 0 and _t3(res, "total") == 19
    assert any("out of order" in w for w in res.warnings)


def test_table4_group_heading_given_only_at_its_first_column():
    """A PDF's ruled reading gives a merged header cell (未经复议直接起诉 over five columns) at its first
    column only: the heading covers the columns to its right up to the next one."""
    from archive.extract.grid import rows_grid
    outs = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    rows = [["行政复议"] * 5 + ["行政诉讼"] * 10,
            outs + ["未经复议直接起诉", "", "", "", "", "复议后起诉", "", "", "", ""],
            outs * 3,
            ["5", "", "", "2", "7", "8", "", "", "1", "9", "0", "0", "0", "0", "0"]]
    res = tables.stats_from_grids([rows_grid(rows, "pdf p3 table[1]")])
    got = {(s.row, s.col): s.value for s in res.stats if s.table == "4"}
    assert got[("review", "upheld")] == 5 and got[("review", "total")] == 7
    assert got[("litigation_direct", "upheld")] == 8 and got[("litigation_direct", "pending")] == 1
    assert got[("litigation_direct", "total")] == 9 and got[("litigation_after_review", "total")] == 0
    assert got[("review", "corrected")] == 0          # blank, forced by 5 + _ + _ + 2 = 7


def test_pdf_tables_each_from_the_reading_that_reads_them_better():
    """One reading loses table 三's 总计 column, the other table 四's headers: each table is taken whole
    from the reading whose own checks balance better there."""
    from archive.extract import pdf
    from archive.extract.grid import rows_grid
    t3_head = ["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    t3 = [t3_head, ["一、本年新收政府信息公开申请数量", "3", "0", "0", "0", "0", "0", "3"],
          ["二、上年结转政府信息公开申请数量", "1", "0", "0", "0", "0", "0", "1"],
          ["(一)予以公开", "4", "0", "0", "0", "0", "0", "4"], ["(七)总计", "4", "0", "0", "0", "0", "0", "4"],
          ["四、结转下年度继续办理", "0", "0", "0", "0", "0", "0", "0"]]
    t3_lost = [row[:-1] for row in t3]
    outs = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    t4 = [["行政复议"] * 5 + ["行政诉讼"] * 10, outs + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5, outs * 3,
          ["1", "0", "0", "0", "1", "0", "0", "0", "2", "2", "0", "0", "0", "0", "0"]]
    t4_lost = [["行政复议 行政诉讼"], ["1", "0", "0", "0", "1", "0", "0", "0", "2", "2"]]
    a = tables.stats_from_grids([rows_grid(t3_lost, "pdf p1 table[0]"), rows_grid(t4, "pdf p1 table[1]")])
    b = tables.stats_from_grids([rows_grid(t3, "pdf p1 block[0]"), rows_grid(t4_lost, "pdf p1 block[1]")])
    best = pdf._best(a, b)
    other = b if best is a else a
    res = pdf._by_table(best, other, [], "")
    got = {(s.table, s.row, s.col): s.value for s in res.stats}
    assert got[("3", "new", "total")] == 3 and got[("3", "total", "natural_person")] == 4
    assert got[("4", "litigation_direct", "pending")] == 2 and got[("4", "review", "total")] == 1
    assert res.checks and all(c.passed for c in res.checks)
    assert any("from the other reading" in w for w in res.warnings)
