"""Prose figures: many phrasings give the stated figure, distractors give nothing."""
import re

import pytest

from archive.extract.prose import parse_number, prose_figures


def figs(text, year=2017):
    return {k: f.value for k, f in prose_figures(text, year).items()}


@pytest.mark.parametrize("text,key,value", [
    ("2017年,全年共主动公开政务信息2100条。", "proactive_total", 2100),
    ("本年度累计主动公开政府信息1,238条。", "proactive_total", 1238),
    ("2024 年,我区在政府网站平台主动发布各类政府信息 2428 条,公开政府常务会议 7 期。", "proactive_total", 2428),
    ("截至2017年12月底,通过门户网站等渠道主动公开信息4924条。", "proactive_total", 4924),
    ("全年共主动公开政府信息300条,其中通过门户网站发布250条。", "proactive_total", 300),
    ("一、主动公开情况\n网站年访问量为309万次,发布信息4238条,其中通知公告409条。", "proactive_total", 4238),
    ("共受理政府信息公开申请31件,已全部按时予以答复。", "applications_new", 31),
    ("2017年,共收到依申请公开来信51件。", "applications_new", 51),
    ("全年共受理依申请公开信息3条,同意公开3条。", "granted", 3),
    ("全年共受理政府信息公开申请19件,其中同意公开12件,部分公开2件,不予公开6件。", "partially_granted", 2),
    ("全年共受理政府信息公开申请19件,其中同意公开12件,部分公开2件,不予公开6件。", "refused", 6),
    ("2017年度未收到政府信息公开申请。", "applications_new", 0),
    ("本年度发生因政府信息公开申请行政复议2件、提起行政诉讼1件。", "review_total", 2),
    ("本年度发生因政府信息公开申请行政复议2件、提起行政诉讼1件。", "litigation_total", 1),
    ("没有因政府信息公开申请行政复议、提起行政诉讼等情况。", "litigation_total", 0),
    ("全年没有发生针对本机关政府信息公开事务的行政复议申请和行政诉讼。", "review_total", 0),
    ("我厅作为被告的行政诉讼案件中,信息公开类案件有5件,占比为0.09%。", "litigation_total", 5),
    ("所有信息公开未收取任何费用。", "disclosure_fees_yuan", 0),
    ("我委没有收费及减免的情况。", "disclosure_fees_yuan", 0),
    ("全面实行免费公开,未涉及收费或者费用减免的情况。", "disclosure_fees_yuan", 0),
    ("依申请提供政府信息收取检索、复制、邮寄等成本费用共计20元。", "disclosure_fees_yuan", 20),
    ("本年度收取信息处理费0.5万元。", "disclosure_fees_yuan", 5000),
    ("2021年度未收取信息处理费。", "disclosure_fees_yuan", 0),
    ("全年受理政府信息公开申请十二件。", "applications_new", 12),
])
def test_phrasings(text, key, value):
    assert figs(text).get(key) == value


@pytest.mark.parametrize("text,key", [
    ("2016年全年主动公开政府信息2742条,本年度数量较上年有所增长。", "proactive_total"),  # previous year
    ("主动公开信息较上年增加300条。", "proactive_total"),
    ("我厅在厅门户网站公开信息810条;通过微信公众号公开信息440条。", "proactive_total"),
    ("向档案馆、公共图书馆等查阅场所提供主动公开文件共58件。", "proactive_total"),
    ("2017年网站年访问量为309万次。", "proactive_total"),
    ("全年共办理人大建议35件、政协提案36件。", "applications_new"),
    ("共收到厅长信箱123件,省长信箱68件,均按规定办理答复。", "applications_new"),
    ("接受群众咨询167人次,包括电话咨询、当面咨询和网上咨询。", "applications_new"),
    ("我厅作为复议机关处理的行政复议案件中,信息公开类案件有14件。", "review_total"),
    ("免费发放给全区农村住户,对补助资金信息进行公开。", "disclosure_fees_yuan"),
    ("公开了行政事业性收费项目、收费标准和收费依据。", "disclosure_fees_yuan"),
    ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "disclosure_fees_yuan"),
    ("不断完善同意公开、部分公开、不予公开的工作流程。", "granted"),
    ("依法做好行政复议、行政诉讼相关工作。", "review_total"),
])
def test_distractors_give_nothing(text, key):
    assert key not in figs(text)


def test_source_sentence_kept():
    f = prose_figures("一、概况\n全年共主动公开政府信息123条。网站访问量9万次。", 2020)["proactive_total"]
    assert f.sentence == "全年共主动公开政府信息123条。" and f.value == 123


def test_parse_number():
    assert parse_number("4,238") == 4238 and parse_number("两") == 2 and parse_number("二十五") == 25
    assert parse_number("3.5") == 3.5 and parse_number("十") == 10


# ---------------------------------------------------------------- shapes of real reports (issue 15)

@pytest.mark.parametrize("text,key,value", [
    # a long list of channels, the website among them, between the subject and the number
    ("全年通过政府门户网站、政务微博、微信公众号、新闻发布会等渠道,共计发布信息 3245 条。", "proactive_total", 3245),
    ("依托县政府门户网站、“今日XX”客户端、政务微信等平台主动公开政府信息1876条。", "proactive_total", 1876),
    ("2023年,我局认真梳理,主动在门户网站公开政府信息50条。全年政务信息公开工作运行正常。", "proactive_total", 50),
    # spaces inside or around numbers (PDF-to-text, OCR)
    ("2019年,本机关主动公开政府信息 2 428 条。", "proactive_total", 2428),
    ("全年共受理政府信息公开申请 1 204 件。", "applications_new", 1204),
    # units 条 / 件 / 项 / 个
    ("2018年共主动公开政府信息596项。", "proactive_total", 596),
    ("全年主动公开政府信息320个。", "proactive_total", 320),
    # the total after its parts
    ("其中机构职能5条,政策文件15条,政策解读28条。全年合计发布各类信息1045条。", "proactive_total", 1045),
    ("一、主动公开情况\n工作动态412条、通知公告95条、政策解读28条。我局共计公开政府信息535条。", "proactive_total", 535),
    # the number before its label
    ("共收到申请12件,其中8件予以公开,2件部分公开,1件不予公开,1件因不掌握而无法提供。", "granted", 8),
    ("共收到申请12件,其中8件予以公开,2件部分公开,1件不予公开,1件因不掌握而无法提供。", "partially_granted", 2),
    ("共收到申请12件,其中8件予以公开,2件部分公开,1件不予公开,1件因不掌握而无法提供。", "refused", 1),
    ("共收到申请12件,其中8件予以公开,2件部分公开,1件不予公开,1件因不掌握而无法提供。", "unable_to_provide", 1),
    ("3件不予处理。", "not_processed", 3),
    # a carried-over count dated to the previous year (report year 2022)
    ("我局2021年结转的政府信息公开申请共3件,均已办结。", "applications_carried_over", 3),
    ("2021年度结转至2022年度办理的申请2件。", "applications_carried_over", 2),
    ("另有4件申请结转至2023年度继续办理。", "carried_forward", 4),
    ("另有72件申请按照《条例》顺延到下年度答复。", "carried_forward", 72),
    # counts in a 依申请公开 paragraph without the word 新收 (nor 申请)
    ("三、依申请公开情况\n2022年,我局共受理14件,均在法定期限内答复。", "applications_new", 14),
    ("(二)依申请公开\n全年共收到群众来函 9 件。", "applications_new", 9),
])
def test_real_report_shapes(text, key, value):
    year = 2022 if re.search(r"202[123]", text) else 2018 if "2018" in text else 2019
    assert {k: f.value for k, f in prose_figures(text, year).items()}.get(key) == value


@pytest.mark.parametrize("text,key", [
    # the last category of a list is not the total
    ("全年主动公开信息:概况信息12条、政策法规15条、规划计划28条。", "proactive_total"),
    ("主动公开工作动态412条、通知公告95条、政策解读28条。", "proactive_total"),
    ("主动公开领导信息6条、人事信息12条、财政资金信息30条。", "proactive_total"),
    # a website's own count (news included), not the total
    ("“上海科技”网站全年累计发布信息 2139 条,其中动态类信息发布 1744 条。", "proactive_total"),
    # new media only: a channel subtotal, not the total
    ("通过政务微博、微信公众号等新媒体发布信息300条。", "proactive_total"),
    ("通过政务微博、微信公众号等渠道共发布信息300条。", "proactive_total"),
    # combined outcomes are none of them
    ("258件予以公开及部分公开。", "granted"),
    # outside a 依申请公开 section a bare 受理 count is anything (行政许可…)
    ("一、行政审批\n全年共受理14件,均按时办结。", "applications_new"),
    ("三、依申请公开情况\n全年共受理人大建议14件。", "applications_new"),
    # a carried-over count two years back is not last year's
    ("我局2020年结转的申请共3件。", "applications_carried_over"),
])
def test_real_report_distractors(text, key):
    assert key not in {k for k in prose_figures(text, 2022)}


def test_conflicting_statements_are_left_out_with_a_warning():
    text = "一、总体情况\n全年主动公开政府信息1200条。\n二、主动公开\n本年度主动公开政府信息1350条。"
    warnings = []
    found = prose_figures(text, 2020, warnings)
    assert "proactive_total" not in found
    assert warnings and "proactive_total" in warnings[0] and "1200" in warnings[0] and "1350" in warnings[0]


def test_the_same_figure_said_twice_is_not_a_conflict():
    text = "全年主动公开政府信息1200条。\n综上,本年度主动公开政府信息1200条。"
    warnings = []
    assert prose_figures(text, 2020, warnings)["proactive_total"].value == 1200 and warnings == []


def test_the_source_is_the_printed_sentence():
    f = prose_figures("我局2021年结转的政府信息公开申请共3件。", 2022)["applications_carried_over"]
    assert f.sentence == "我局2021年结转的政府信息公开申请共3件。"


def test_extract_document_reports_ambiguous_prose():
    from archive.extract.extract import extract_document
    text = ("桐庐县财政局2019年政府信息公开工作年度报告\n一、总体情况\n全年主动公开政府信息1200条。\n"
            "二、主动公开政府信息情况\n本年度主动公开政府信息1350条。")
    r = extract_document(text.encode(), filename="report.txt")
    assert r["summary"]["proactive_total"] is None
    assert any("proactive_total" in w and "left out" in w for w in r["warnings"])


def test_a_count_its_parts_add_up_to_is_the_total():
    text = "二、政府信息公开情况\n2010年,我镇通过门户网站公开各类信息46条。其中工作动态类36条;计划总结类7条;其他类3条"
    assert figs(text, 2010)["proactive_total"] == 46
    # parts that do not add up, a channel's count, a running total: nothing
    assert "proactive_total" not in figs("我镇通过门户网站公开各类信息46条。其中工作动态类36条;其他类3条", 2010)
    assert "proactive_total" not in figs("通过微信公众号发布信息46条,其中原创36条,转载10条。", 2010)
    assert "proactive_total" not in figs("自2008年以来累计公开政府信息46条,其中文件36条,动态10条。", 2010)


@pytest.mark.parametrize("text,key,value", [
    ("三、依申请公开政府信息情况\n2014年度我乡没有接到群众主动要求公开政府信息的申请。", "applications_new", 0),
    ("三、依申请公开政府信息和不予公开政府信息情况\n我镇2016年度无申请。", "applications_new", 0),
    ("五、因政府信息公开申请行政复议、提起行政诉讼的情况\n我镇2016年度无申请。", "review_total", 0),
    ("五、因政府信息公开申请行政复议、提起行政诉讼的情况\n我镇2016年度无申请。", "litigation_total", 0),
    ("2015年未收到信息公开的申请和未涉及“不予公开”的政府信息。", "applications_new", 0),
    ("2015年度未发生针对政府信息公开事务的复议、诉讼和申诉。", "review_total", 0),
    ("2015年度未发生针对政府信息公开事务的复议、诉讼和申诉。", "litigation_total", 0),
    ("本年度我镇没有因政府信息公开而产生的收费,也未产生减免情况。", "disclosure_fees_yuan", 0),
    ("一、主动公开\n工 作动态 412 条。全 年主 动公开政 府信息 1 045 条。", "proactive_total", 1045),   # OCR gaps
])
def test_negations_and_sections(text, key, value):
    year = int(re.search(r"20\d\d", text).group(0)) if re.search(r"20\d\d", text) else 2016
    assert figs(text, year).get(key) == value


def test_fee_section_none_is_not_a_review_or_application_zero():
    text = "四、依申请公开政府信息收费及减免情况\n我镇2016年度无申请。"
    assert not {"applications_new", "review_total", "litigation_total"} & set(figs(text, 2016))


def test_running_totals_are_not_the_years():
    assert "proactive_total" not in figs("本单位到目前累计主动公开政府信息100条。", 2014)
    assert "proactive_total" not in figs("2008年以来累计主动公开政府信息3200条。", 2014)
    assert figs("本年度累计主动公开政府信息1,238条。", 2014)["proactive_total"] == 1238


def test_a_figure_on_its_own_line_is_joined_back():
    text = ("二、主动公开政府信息情况\n本区到年底累计主动公开政府信息\n5928\n条,全文电子化率达\n90.3%\n"
            ",其中,本年度新增主动公开政府信息\n2110\n条。")
    assert figs(text, 2009)["proactive_total"] == 2110


@pytest.mark.parametrize("text,year,expected", [
    ("2025年,全市共受理政府信息公开申请3259件,答复3278件(含上年度结转申请77件,另有58件顺延到下年度答复)。", 2025,
     {"applications_new": 3259, "applications_carried_over": 77, "carried_forward": 58}),
    ("2025 年某某街道共受理政府信息公开申请 19 件,其中 11 件均按规定程序办结,8 件申请人主动撤销。", 2025,
     {"applications_new": 19}),
    ("2025年受理信息公开申请10件,办理上年度结转申请1件。答复11件,均在法定期限内答复。", 2025,
     {"applications_new": 10, "applications_carried_over": 1}),
    ("本年度共新收政府信息公开申请170件,上年结转15件。", 2025, {"applications_new": 170, "applications_carried_over": 15}),
    ("本年度新收政府信息公开申请 120 件,较上年增长 15%。", 2023, {"applications_new": 120}),
    ("全年发生行政诉讼案件7件。", 2025, {"litigation_total": 7}),
    ("其他处理0件。信息公开类行政复议7件,诉讼9件,均获维持。", 2019, {"other_handling": 0, "review_total": 7, "litigation_total": 9}),
])
def test_headline_sentences_of_template_era_reports(text, year, expected):
    assert {k: f.value for k, f in prose_figures(text, year).items()} == expected


@pytest.mark.parametrize("text", [
    "不予公开信息有10条,主要是关于人事安排的信息。",
    "主动公开信息数 120 | 不予公开信息数 6",
    "经保密审查,不予公开的信息共 6 条。",
])
def test_information_withheld_is_not_applications_refused(text):
    assert "refused" not in figs(text, 2015)


def test_a_website_named_earlier_in_the_sentence_owns_the_count():
    assert "proactive_total" not in figs("“某某门户”新增意大利语网站,目前已覆盖10个语种,共发布各类信息 13528 条。", 2025)
