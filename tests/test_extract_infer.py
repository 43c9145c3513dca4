"""Blank cells filled by the report's own arithmetic (archive/extract/infer.py), figure validation and
the "needs review" flag. Snippets written for this test in the shape Word-exported report pages take
(invented agencies and numbers); every expected value worked out by hand from the printed cells."""
from __future__ import annotations

import lxml.html

from archive.extract import tables
from archive.extract.extract import extract_document
from archive.keys import T3_COLS

HEAD = ("<tr><td rowspan='3'>(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)</td>"
        "<td colspan='7'>申请人情况</td></tr>"
        "<tr><td rowspan='2'>自然人</td><td colspan='5'>法人或其他组织</td><td rowspan='2'>总计</td></tr>"
        "<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>")

LABELS_2019 = [
    ("new", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量"),
    ("granted", "三、本年度办理结果 (一)予以公开"), ("partial", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"),
    ("refused.state_secret", "(三)不予公开 1.属于国家秘密"), ("refused.prohibited_by_law", "2.其他法律行政法规禁止公开"),
    ("refused.security_stability", "3.危及“三安全一稳定”"), ("refused.third_party", "4.保护第三方合法权益"),
    ("refused.internal_affairs", "5.属于三类内部事务信息"), ("refused.process_info", "6.属于四类过程性信息"),
    ("refused.enforcement_file", "7.属于行政执法案卷"), ("refused.query_matter", "8.属于行政查询事项"),
    ("unable.not_held", "(四)无法提供 1.本机关不掌握相关政府信息"), ("unable.needs_creation", "2.没有现成信息需要另行制作"),
    ("unable.unclear", "3.补正后申请内容仍不明确"), ("not_processed.petition", "(五)不予处理 1.信访举报投诉类申请"),
    ("not_processed.duplicate", "2.重复申请"), ("not_processed.publication", "3.要求提供公开出版物"),
    ("not_processed.excessive", "4.无正当理由大量反复申请"),
    ("not_processed.confirmation", "5.要求行政机关确认或重新出具已获取信息"),
    ("other", "(六)其他处理"), ("total", "(七)总计"), ("carried_forward", "四、结转下年度继续办理"),
]
BLANK = ("", "<p><o:p>&nbsp;</o:p></p>", "&nbsp;", "<p>\u3000</p>")


def table3(cells: dict[str, list], blank_style: int = 1) -> str:
    """The 2019 table 三 with the given rows (7 cells each, None = printed empty); rows not given
    are printed with every cell empty."""
    out = ["<table>", HEAD]
    for key, label in LABELS_2019:
        row = cells.get(key, [None] * 7)
        tds = "".join(f"<td>{BLANK[blank_style] if v is None else v}</td>" for v in row)
        out.append(f"<tr><td><p>{label}</p></td>{tds}</tr>")
    out.append("</table>")
    return "".join(out)


def read(html: str):
    return tables.stats_from_html(lxml.html.fromstring("<html><body>" + html + "</body></html>"))


def fig(res, row, col="total", table="3"):
    return next((s for s in res.stats if (s.table, s.row, s.col) == (table, row, col)), None)


def val(res, row, col="total", table="3"):
    s = fig(res, row, col, table)
    return None if s is None else s.value


Z = [0] * 7
_ = None


def test_whole_applicant_block_blank_totals_filled():
    """The five 法人或其他组织 columns and 自然人 left empty everywhere, only 总计 printed; two rows
    (上年结转, 其他处理) printed with every cell empty."""
    rows = {k: [_] * 6 + [0] for k, _l in LABELS_2019 if k not in ("carried_over", "other")}
    rows["new"] = [_] * 6 + [5]
    rows["granted"] = [_] * 6 + [3]
    rows["unable.not_held"] = [_] * 6 + [2]
    rows["total"] = [_] * 6 + [5]
    res = read(table3(rows))
    # printed
    assert val(res, "new") == 5 and val(res, "granted") == 3 and val(res, "total") == 5
    # 上年结转 总计: new 5 + carried_over = total 5 + carried_forward 0 -> 0
    co = fig(res, "carried_over")
    assert co.value == 0 and co.source.startswith("inferred: new + carried_over = total + carried_forward")
    assert "[t3.balance.total]" in co.source
    # 其他处理 总计: the one outcome row the 总计 row lacks -> 5 - 3 - 2 = 0
    other = fig(res, "other")
    assert other.value == 0 and "[t3.outcomes.total]" in other.source
    # a 总计 of 0 forces every blank applicant cell of its row to 0 (counts are never negative)
    for row in ("partial", "refused.state_secret", "carried_forward", "carried_over", "other"):
        assert [val(res, row, c) for c in T3_COLS] == Z, row
    # rows with a non-zero total: their applicant cells are not forced, so no figure and a warning
    assert val(res, "new", "natural_person") is None and val(res, "granted", "commercial") is None
    assert any("not forced" in w for w in res.warnings)
    assert res.needs_review is None
    d = extract_document(("<html><body><p>2020年某县某局政府信息公开工作年度报告</p>"
                          + table3(rows) + "</body></html>").encode(), filename="r.html")
    s = d["summary"]
    assert (s["applications_new"], s["applications_carried_over"], s["granted"], s["partially_granted"],
            s["refused"], s["unable_to_provide"], s["not_processed"], s["other_handling"],
            s["handled_total"], s["carried_forward"]) == (5, 0, 3, 0, 0, 2, 0, 0, 5, 0)


def test_one_blank_in_an_identity_is_what_it_lacks():
    rows = {k: Z for k, _l in LABELS_2019}
    rows["new"] = [_, 1, 0, 0, 0, 0, 4]                    # 自然人 blank: 4 - 1 = 3
    rows["granted"] = [3, 1, 0, 0, 0, 0, 4]
    rows["total"] = [3, 1, 0, 0, 0, 0, _]                  # 总计 blank: 3 + 1 = 4
    res = read(table3(rows, blank_style=2))
    assert val(res, "new", "natural_person") == 3
    assert val(res, "total") == 4
    assert fig(res, "new", "natural_person").source.startswith("inferred: row total = sum of applicant cells")
    assert not [w for w in res.warnings if "not forced" in w]


def test_blanks_not_forced_stay_absent():
    rows = {k: Z for k, _l in LABELS_2019}
    rows["new"] = [_, _, 0, 0, 0, 0, 4]                    # 自然人 + 商业企业 = 4: not unique ...
    rows["granted"] = [_, _, 0, 0, 0, 0, 4]
    rows["total"] = [_, _, 0, 0, 0, 0, 4]                  # ... nor by the columns
    res = read(table3(rows, blank_style=3))
    assert val(res, "new", "natural_person") is None and val(res, "total", "commercial") is None
    assert any("6 blank cells" in w and "not forced" in w for w in res.warnings)


def test_blank_not_filled_against_the_printed_figures():
    """总计 2 but the printed applicant cells already make 3: the blank cannot be negative."""
    rows = {k: Z for k, _l in LABELS_2019}
    rows["new"] = [2, 1, _, 0, 0, 0, 2]
    res = read(table3(rows))
    assert val(res, "new", "research") is None
    assert any("contradict" in w and "t3.columns.new" in w for w in res.warnings)


def test_a_label_on_two_rows_is_not_a_blank_row():
    """(二)部分公开 on one <tr>, its remark and figures on the next: one row, not a blank one."""
    rows = "".join([
        "<table>", HEAD,
        "<tr><td>一、本年新收政府信息公开申请数量</td>" + "<td>1</td>" * 6 + "<td>6</td></tr>",
        "<tr><td>(二)部分公开</td>" + "<td></td>" * 7 + "</tr>",
        "<tr><td>(区分处理的,只计这一情形,不计其他情形)</td>" + "<td>2</td>" * 6 + "<td>12</td></tr>",
        "</table>"])
    res = read(rows)
    assert val(res, "partial") == 12 and val(res, "partial", "natural_person") == 2
    assert not res.blanks and not [s for s in res.stats if s.source.startswith("inferred")]


def test_table4_blank_block():
    html = ("<table><tr><td colspan='5'>行政复议</td><td colspan='10'>行政诉讼</td></tr>"
            "<tr>" + "".join(f"<td rowspan='2'>{h}</td>" for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
            + "<td colspan='5'>未经复议直接起诉</td><td colspan='5'>复议后起诉</td></tr>"
            "<tr>" + "".join(f"<td>{h}</td>" for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2) + "</tr>"
            "<tr>" + "".join(f"<td>{v}</td>" for v in (1, "", "", "", 1, "", "", "", "", 0, 2, "", 1, "", "")) + "</tr>"
            "</table>")
    res = read(html)
    assert [val(res, "review", c, "4") for c in ("upheld", "corrected", "other", "pending")] == [1, 0, 0, 0]
    assert [val(res, "litigation_direct", c, "4") for c in ("upheld", "corrected", "other", "pending")] == [0] * 4
    assert val(res, "litigation_after_review", "total", "4") is None      # 2 + ? + 1 + ?: not forced
    assert val(res, "litigation_after_review", "upheld", "4") == 2


# ---------------------------------------------------------------- validation before writing

def test_figures_that_cannot_be_counts_are_refused():
    rows = {k: Z for k, _l in LABELS_2019}
    rows["new"] = ["9" * 400, 0, 0, 0, 0, 0, 1]
    rows["granted"] = ["-1", 0, 0, 0, 0, 0, 1]
    rows["partial"] = ["0.5", 0, 0, 0, 0, 0, 0]
    res = read(table3(rows))
    assert val(res, "new", "natural_person") != float("inf")
    assert val(res, "granted", "natural_person") != -1 and val(res, "partial", "natural_person") != 0.5
    text = " ".join(res.warnings)
    assert "not a plausible figure" in text and "is negative" in text and "not a whole count" in text


def test_table2_change_column_is_signed():
    html = ("<table><tr><td colspan='3'>第二十条第(五)项</td></tr>"
            "<tr><td>信息内容</td><td>上一年项目数量</td><td>本年增/减</td></tr>"
            "<tr><td>行政许可</td><td>12</td><td>-2</td></tr></table>")
    res = read(html)
    assert val(res, "licensing", "change", "2") == -2


# ---------------------------------------------------------------- needs review

def test_a_lost_column_needs_review():
    """The header cell of 商业企业 unreadable: every row's figures under six known columns, one absent."""
    head = HEAD.replace("<td>商业企业</td>", "<td>(略)</td>")
    rows = {k: [1, 0, 0, 0, 0, 0, 1] for k, _l in LABELS_2019}
    res = read(table3(rows).replace(HEAD, head))
    assert res.needs_review and "commercial" in res.needs_review


def test_a_shifted_row_needs_review_and_one_misprint_does_not():
    rows = {k: Z for k, _l in LABELS_2019}
    rows["new"] = [2, 1, 1, 1, 0, 0, 5]
    rows["granted"] = [2, 1, 1, 1, 0, 0, 5]
    rows["total"] = [2, 1, 1, 1, 0, 0, 5]
    misprint = dict(rows, carried_forward=[0, 0, 0, 0, 0, 0, 1])        # one cell wrong: the report's fault
    assert read(table3(misprint)).needs_review is None
    shifted = dict(rows, carried_forward=[2, 1, 1, 1, 0, 0, 5])          # a row's values read twice
    res = read(table3(shifted))
    assert res.needs_review and "t3.balance" in res.needs_review
    d = extract_document(("<html><body><p>2020年某县某局政府信息公开工作年度报告</p>"
                          + table3(shifted) + "</body></html>").encode(), filename="r.html")
    assert d["needs_review"] == res.needs_review


# ---------------------------------------------------------------- in the archive

def test_the_pass_records_inferred_figures_and_needs_review(tmp_path):
    """Through the archive: report_stats.inferred marks the filled blanks, reports.needs_review and
    report_summary carry the reason (migration 7)."""
    import sqlite3

    from archive.extract.run import run_extract
    from archive.store import Archive

    def page(year, t3):
        return ("<html><head><meta charset='utf-8'></head><body><div class='TRS_Editor'>"
                f"<p>湖南省住房和城乡建设厅{year}年政府信息公开工作年度报告</p>{t3}</div></body></html>").encode()

    blank = {k: Z for k, _l in LABELS_2019}
    blank["new"] = [2, 1, 0, 0, 0, 0, _]
    blank["granted"] = [2, 1, 0, 0, 0, 0, 3]
    blank["total"] = [2, 1, 0, 0, 0, 0, 3]
    shifted = {k: Z for k, _l in LABELS_2019}
    for k in ("new", "granted", "total", "carried_forward"):
        shifted[k] = [2, 1, 1, 1, 0, 0, 5]
    path = tmp_path / "archive.db"
    store = Archive(path)
    run = store.start_run("crawl", "hunan_zjt")
    for year, t3 in ((2019, blank), (2020, shifted)):
        url = f"http://zjt.hunan.gov.cn/xxgk/{year}.html"
        store.add_capture({"run_id": run, "agency": "hunan_zjt", "url": url, "final_url": url, "method": "GET",
                           "status": 200, "headers": {"Content-Type": "text/html"}, "content_type": "text/html",
                           "fetch_mode": "http", "kind": "report", "referer": None, "error": None},
                          body=page(year, table3(t3)))
    store.finish_run(run, status="ok")
    store.close()
    run_extract(path)
    conn = sqlite3.connect(path)
    rows = dict(conn.execute("SELECT year, needs_review FROM reports").fetchall())
    assert rows[2019] is None and "t3.balance" in rows[2020]
    inferred = conn.execute("SELECT r.year, s.row_key, s.col_key, s.value, s.source FROM report_stats s"
                            " JOIN reports r ON r.id = s.report_id WHERE s.inferred = 1").fetchall()
    assert [(y, r, c, v) for y, r, c, v, _ in inferred] == [(2019, "new", "total", 3.0)]
    assert inferred[0][4].startswith("inferred: row total = sum of applicant cells")
    summary = dict(conn.execute("SELECT year, figures_inferred FROM report_summary").fetchall())
    assert summary == {2019: 1, 2020: 0}
    assert conn.execute("SELECT applications_new, needs_review FROM report_summary WHERE year = 2019"
                        ).fetchone() == (3, None)
    conn.close()


def test_ocr_figures_of_a_failing_identity_are_withheld():
    """An OCR'd row whose total disagrees with its cells (a 9 read as 3): which digit is wrong cannot
    be told, so the row's OCR'd figures are withheld; the same row read from text is the report's."""
    from archive.extract.grid import rows_grid
    head = ["申请人情况", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    rows = [head, ["一、本年新收政府信息公开申请数量", "9", "0", "0", "0", "0", "0", "3"],
            ["二、上年结转政府信息公开申请数量", "1", "0", "0", "0", "0", "0", "1"]]
    res = tables.stats_from_grids([rows_grid(rows, "ocr p3 block[0]")])
    assert val(res, "new") is None and val(res, "new", "natural_person") is None
    assert val(res, "carried_over") == 1
    assert res.needs_review and "OCR'd figures fail t3.columns.new" in res.needs_review
    res = tables.stats_from_grids([rows_grid(rows, "pdf p3 table[0]")])
    assert val(res, "new") == 3 and val(res, "new", "natural_person") == 9


def test_ocr_figures_no_check_confirms_are_withheld():
    """A row OCR read only in part (a lone 总计 8 where the scan prints 0 0 0 0 0 0 0): no identity can
    confirm it, so it is not taken; a fully read row that adds up is."""
    from archive.extract.grid import rows_grid
    head = ["申请人情况", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    rows = [head, ["一、本年新收政府信息公开申请数量", "9", "0", "0", "0", "0", "0", "9"],
            ["二、上年结转政府信息公开申请数量", "", "", "", "", "", "", "8"]]
    res = tables.stats_from_grids([rows_grid(rows, "ocr p3 block[0]")])
    assert val(res, "new") == 9 and val(res, "new", "natural_person") == 9
    assert val(res, "carried_over") is None
    assert any("no check of the report could confirm" in w for w in res.warnings)
    assert res.needs_review is None
