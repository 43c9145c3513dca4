"""Metadata variants: head tags, th/td metadata tables with spaced labels, one-line metadata, `|` tables,
toolbars, agency short forms resolved with the site or the text, the report year."""
import pytest

from archive.extract.document import from_html, from_text
from archive.extract.meta import canon_name, extract_meta, labelled, parse_date, resolve_agency

P = "<p>本年度政府信息公开工作稳步推进,主动公开政府信息100条。</p>" * 3


def meta_of(html, url=None):
    return extract_meta(from_html(html), url)


def test_head_tags():
    m = meta_of('<html><head><meta name="ArticleTitle" content="衢州市住房和城乡建设局2021年政府信息公开工作年度报告">'
                '<meta name="PubDate" content="2022-01-20 16:32"><meta name="ContentSource" content="衢州市住房和城乡建设局">'
                f'</head><body><div id="zoom">{P}</div></body></html>')
    assert (m["title"], m["year"], m["published"], m["published_time"], m["agency_slug"]) == (
        "衢州市住房和城乡建设局2021年政府信息公开工作年度报告", 2021, "2022-01-20", "2022-01-20 16:32", "quzhou_zjj")


def test_hanweb_xxgk_table_with_spaced_labels_and_fullwidth_colons():
    html = ("<html><body><table class='xxgk'>"
            "<tr><th>索 引 号：</th><td>113308000026188164/2022-123456</td><th>组配分类：</th><td>2021年度</td></tr>"
            "<tr><th>发布机构：</th><td>衢州市住房和城乡建设局</td><th>生成日期：</th><td>2022-01-19</td></tr>"
            "<tr><th>文件编号：</th><td>衢建〔2022〕3号</td><th>公开方式：</th><td>主动公开</td></tr></table>"
            "<div class='title'>2021年度政府信息公开工作年度报告</div>"
            f"<div id='zoom'>{P}</div><div>发布日期：２０２２－０１－２０ 16:32 浏览次数：</div></body></html>")
    m = meta_of(html, "http://zjj.qz.gov.cn/art/2022/1/20/art_1525444_1.html")
    assert m["index_no"] == "113308000026188164/2022-123456"
    assert m["publisher"] == "衢州市住房和城乡建设局"
    assert m["doc_no"] == "衢建〔2022〕3号"
    assert m["published"] == "2022-01-20" and m["published_time"] == "2022-01-20 16:32"
    assert m["year"] == 2021 and m["agency_slug"] == "quzhou_zjj"


def test_one_line_metadata_and_toolbar():
    text = ("湖南省住房和城乡建设厅2017年度政府信息公开工作报告\n"
            "索引号:430S00711/2018-79244 公开方式:政府网站 发文日期:2018-03-20 09:01:02\n"
            "本报告由湖南省住房和城乡建设厅编制。全年共主动公开政府信息10条。")
    m = extract_meta(from_text(text))
    assert (m["index_no"], m["published_time"], m["year"], m["agency_slug"]) == (
        "430S00711/2018-79244", "2018-03-20 09:01:02", 2017, "hunan_zjt")
    assert m["doc_no"] is None and m["publisher"] is None


def test_pipe_table_metadata_empty_doc_no():
    text = ("标 题 | 西藏自治区住房和城乡建设厅2016年政府信息公开工作年度报告 | ||\n"
            "索引号 | K3984687-7/2017-00012 | 文 号 | |\n"
            "发布机构 | 自治区住建厅 | 发布日期 | 2017-03-01 10:00:00 |\n正文。")
    m = extract_meta(from_text(text))
    assert m["title"] == "西藏自治区住房和城乡建设厅2016年政府信息公开工作年度报告"
    assert m["doc_no"] is None and m["publisher"] == "自治区住建厅" and m["index_no"] == "K3984687-7/2017-00012"


def test_time_label_toolbar():
    m = meta_of(f"<html><body><h1>随州市住房和城乡建设局2019年政府信息公开工作年度报告</h1>"
                f"<div>时间：2020-01-17 12:36 来源：随州市住房和城乡建设局</div><div class='TRS_UEDITOR'>{P}</div>"
                f"</body></html>")
    assert m["published_time"] == "2020-01-17 12:36" and m["agency_slug"] == "suizhou_zjw"


@pytest.mark.parametrize("name,host,text,slug", [
    ("区住房城乡建设厅", None, "西藏自治区 西藏 拉萨", "xizang_zjt"),
    ("区住房城乡建设厅", None, "广西壮族自治区 广西 南宁", "guangxi_zjt"),
    ("自治区住建厅", "www.xizang.gov.cn", "", "xizang_zjt"),
    ("自治区住建厅", "zjt.gxzf.gov.cn", "", "guangxi_zjt"),
    ("市住建局", "zjj.qz.gov.cn", "", "quzhou_zjj"),
    ("随州市住房和城乡建设局", None, "", "suizhou_zjw"),
    ("湖南省住房城乡建设厅", None, "", "hunan_zjt"),
    ("湖南省教育厅", "www.hunan.gov.cn", "", None),
])
def test_resolve_agency(name, host, text, slug):
    from archive.extract.meta import slugs_for_host
    assert resolve_agency(name, host_slugs=slugs_for_host(host), text=text) == slug


def test_other_department_in_shared_column_is_not_ours():
    m = meta_of('<html><head><meta name="ArticleTitle" content="湖南省教育厅2019年政府信息公开工作年度报告">'
                f'</head><body><div class="TRS_PreAppend">{P}</div></body></html>',
                "http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97944/202001/t20200110_1.html")
    assert m["agency"] == "湖南省教育厅" and m["agency_slug"] is None


def test_short_form_with_site():
    m = meta_of(f"<html><body><div class='TRS_UEDITOR'><p>2019年,我委认真贯彻条例。</p>{P}</div></body></html>",
                "http://zjj.suizhou.gov.cn/fbjd/zfxxgk/xxgknb/202001/t20200117_1.shtml")
    assert m["agency_slug"] == "suizhou_zjw"


def test_year_not_from_url_or_publish_date():
    m = meta_of("<html><head><meta name='PubDate' content='2019-02-23 10:00'></head><body>"
                "<div class='TRS_Editor'><p>一、2014年度信息公开情况</p><p>2014年,区住房城乡建设厅共主动公开政府信息5769条。"
                "</p><p>2015年,我厅将继续做好信息公开工作。</p></div></body></html>",
                "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/2014nb/201902/t20190223_64760.html")
    assert m["year"] == 2014


def test_year_fallback_is_flagged():
    m = meta_of(f"<html><head><meta name='PubDate' content='2019-02-23 10:00'></head><body><div id='zoom'>"
                f"<p>本机关信息公开工作情况如下。</p>{P}</div></body></html>")
    assert m["year"] == 2018 and any("guessed" in w for w in m["warnings"])


def test_labelled_and_dates():
    assert labelled("索 引 号:ABC/2019-1 公开方式:主动公开", "索引号") == "ABC/2019-1"
    assert labelled("文号: | 成文日期: 2019-01-01", "文号", short=True) is None
    assert parse_date("2019年3月2日") == ("2019-03-02", None)
    assert parse_date("2015-03-26 18:15:00") == ("2015-03-26", "2015-03-26 18:15:00")
    assert canon_name("区住建厅") == "区住房和城乡建设厅"


def test_title_on_two_lines_names_an_agency_outside_the_registry():
    text = ("淮安市洪泽区人民政府\n2024 年政府信息公开工作年度报告\n本报告由淮安市洪泽区人民政府办公室编制。"
            "2024 年,我区主动公开政府信息 100 条。")
    m = extract_meta(from_text(text))
    assert m["title"] == "淮安市洪泽区人民政府2024 年政府信息公开工作年度报告"
    assert (m["agency"], m["agency_slug"], m["year"]) == ("淮安市洪泽区人民政府", None, 2024)


# ---------------------------------------------------------------- label/value blocks (issue 15)

def test_label_row_over_value_row():
    html = ("<html><body><table><tr><td>索引号</td><td>分类</td><td>发布机构</td><td>发布日期</td></tr>"
            "<tr><td>11320829014241133G/2024-00001</td><td>年度报告</td><td>淮安市洪泽区人民政府办公室</td>"
            "<td>2024-01-20</td></tr></table>"
            f"<h1>淮安市洪泽区人民政府2023年政府信息公开工作年度报告</h1><div id='zoom'>{P}</div></body></html>")
    m = meta_of(html)
    assert (m["index_no"], m["publisher"], m["published"]) == (
        "11320829014241133G/2024-00001", "淮安市洪泽区人民政府办公室", "2024-01-20")


def test_dl_dt_dd_block():
    html = ("<html><body><dl class='info'><dt>索引号:</dt><dd>000014349/2023-00012</dd>"
            "<dt>发布机构:</dt><dd>常德市鼎城区教育局</dd><dt>公开日期:</dt><dd>2023年1月18日</dd>"
            "<dt>文号:</dt><dd></dd></dl>"
            f"<h2>常德市鼎城区教育局2022年政府信息公开工作年度报告</h2><div id='zoom'>{P}</div></body></html>")
    m = meta_of(html)
    assert (m["index_no"], m["publisher"], m["published"], m["doc_no"]) == (
        "000014349/2023-00012", "常德市鼎城区教育局", "2023-01-18", None)
    assert m["region_code"] == "430703"


def test_spans_with_nothing_between_label_and_value():
    html = ("<html><body><div class='meta'><span>索引号</span><span>K12A-2023-00451</span>"
            "<span>发布机构</span><span>桐庐县财政局</span><span>发布日期</span><span>2023-01-31</span></div>"
            f"<h1>桐庐县财政局2022年度政府信息公开工作年度报告</h1><div id='zoom'>{P}</div></body></html>")
    m = meta_of(html)
    assert (m["index_no"], m["publisher"], m["published"]) == ("K12A-2023-00451", "桐庐县财政局", "2023-01-31")


def test_values_on_the_line_after_their_labels():
    text = ("名称\n锦屏县人民政府2021年政府信息公开工作年度报告\n索引号\n000014349/2022-0123\n分类\n年度报告\n"
            "发布机构\n锦屏县人民政府办公室\n文号\n锦府办发〔2022〕5号\n成文日期\n2022-01-25\n公开日期\n2022-01-28\n"
            "一、总体情况\n2021年,我县主动公开政府信息1500条。")
    m = extract_meta(from_text(text))
    assert m["title"] == "锦屏县人民政府2021年政府信息公开工作年度报告"
    assert (m["index_no"], m["publisher"], m["published"]) == (
        "000014349/2022-0123", "锦屏县人民政府办公室", "2022-01-28")
    assert m["doc_no"] == "锦府办发〔2022〕5号" and m["region_code"] == "522628"


def test_label_without_value_takes_nothing_from_the_next_label():
    text = "索引号\n发布机构\n桐庐县财政局\n发布日期\n2023-01-31\n桐庐县财政局2022年度政府信息公开工作年度报告\n正文。"
    m = extract_meta(from_text(text))
    assert m["index_no"] is None and m["publisher"] == "桐庐县财政局" and m["published"] == "2023-01-31"


def test_space_separated_metadata_of_a_pdf():
    text = ("索引号 11320829014241133G/2024-00003 分类 年度报告\n发布机构 淮安市洪泽区人民政府办公室 发文日期 2024-01-19\n"
            "淮安市洪泽区人民政府2023年政府信息公开工作年度报告\n正文。")
    m = extract_meta(from_text(text))
    assert (m["index_no"], m["publisher"], m["published"]) == (
        "11320829014241133G/2024-00003", "淮安市洪泽区人民政府办公室", "2024-01-19")


@pytest.mark.parametrize("printed", ["2023年1月 日", "202 年1月5日", "2023年 月5日"])
def test_date_with_digits_dropped_is_refused_with_a_warning(printed):
    text = f"发布日期:{printed}\n桐庐县财政局2022年度政府信息公开工作年度报告\n正文。"
    m = extract_meta(from_text(text))
    assert m["published"] is None
    assert any("发布日期" in w and "not a whole date" in w for w in m["warnings"])


def test_broken_publish_date_falls_back_to_a_whole_one():
    text = "发布日期:2023年1月 日\n成文日期:2023-01-16\n桐庐县财政局2022年度政府信息公开工作年度报告\n正文。"
    m = extract_meta(from_text(text))
    assert m["published"] == "2023-01-16"
    assert any("not a whole date" in w for w in m["warnings"])


@pytest.mark.parametrize("title_year", ["1900", "2099", "2005"])
def test_title_year_outside_2007_to_publication_refused(title_year):
    text = (f"发布日期:2020-01-15\n桐庐县财政局{title_year}年度政府信息公开工作年度报告\n"
            "2019年度,我局主动公开政府信息120条。2019年度政府信息公开工作情况如下。")
    m = extract_meta(from_text(text))
    assert m["year"] == 2019
    assert any(title_year in w and "not used" in w for w in m["warnings"])


def test_title_year_after_publication_refused():
    text = "发布日期:2020-01-15\n桐庐县财政局2021年度政府信息公开工作年度报告\n本局2019年度政府信息公开工作情况如下。"
    m = extract_meta(from_text(text))
    assert m["year"] == 2019


def test_title_year_with_digits_dropped_is_not_read():
    text = "发布日期:2024-01-15\n桐庐县财政局202 年政府信息公开工作年度报告\n2023年,我局主动公开政府信息120条。"
    m = extract_meta(from_text(text))
    assert m["year"] == 2023 and any("incomplete" in w for w in m["warnings"])


def test_text_years_before_2007_are_not_report_years():
    text = "本局政府信息公开工作年度报告\n本局自2006年起建立信息公开制度,2006年度完成目录编制。"
    m = extract_meta(from_text(text))
    assert m["year"] is None


def test_a_metadata_line_is_not_the_title():
    text = ("索 引 号:005267169/2016-00001 | 主题分类:综合政务/公报公示/政府信息公开年报 | |\n发布机构:中原区审计局 |\n"
            "本年报中所列数据的统计期限自2015年1月1日起至2015年12月31日止。\n一、主动公开政府信息情况\n"
            "2015年度,本局共主动公开各类政府信息28条。")
    m = extract_meta(from_text(text))
    assert m["title"] is None or "索" not in m["title"]
    assert m["year"] == 2015 and m["agency"] == "中原区审计局" and m["region_code"] == "410102"


@pytest.mark.parametrize("title,agency", [
    ("唐村镇2010年政府信息公开工作年度报告", "唐村镇人民政府"),
    ("2013年度谢塘镇政府信息公开工作年度报告", "谢塘镇人民政府"),
    ("2016年度南薰乡政府信息公开工作年度报告", "南薰乡人民政府"),
])
def test_townships_stand_for_their_peoples_government(title, agency):
    m = extract_meta(from_text(f"{title}\n本年度我镇主动公开政府信息46条。"))
    assert m["agency"] == agency and m["region_code"] is None


def test_city_and_countryside_is_no_township():
    from archive.extract.meta import is_full_name
    assert not is_full_name("住房和城乡建设局") and is_full_name("唐村镇人民政府")


def test_ocr_gaps_between_characters_do_not_hide_the_introduction():
    text = ("2024 年政府信息公开工作年度报告\n本报告由 淮安 市 洪 泽区人民政府 根据《条例》要求编制。\n"
            "2024 年,我区主动公开政府信息 100 条。")
    m = extract_meta(from_text(text))
    assert (m["agency"], m["region_code"]) == ("淮安市洪泽区人民政府", "320813")


def test_a_short_title_name_is_completed_by_the_signature():
    text = ("2018年建新镇政府信息公开工作年度报告\n建新镇根据《条例》规定,特向社会公开2018年度报告。\n"
            "一、主动公开政府信息的情况\n主动公开政府信息数22条。\n遂溪县建新镇人民政府\n2018年12月31日")
    m = extract_meta(from_text(text))
    assert (m["agency"], m["region_code"]) == ("遂溪县建新镇人民政府", "440823")


def test_ocr_gaps_in_a_two_line_title():
    text = ("淮安市洪 泽区人民政府\n2024 年 政府信息 公开 工作 年 度报 告\n本报告由 淮安 市 洪 泽区人民政府办公室 根据"
            "《条例》要求编制此报告。\n2024 年,我区主动公开政府信息 100 条。")
    m = extract_meta(from_text(text))
    assert (m["agency"], m["region_code"], m["year"]) == ("淮安市洪泽区人民政府", "320813", 2024)


def test_a_township_that_calls_itself_我乡_and_names_itself_once():
    text = ("现将我乡2014年政府信息公开工作报告公开如下。\n今年以来,我乡把政府公开工作纳入年度计划。\n"
            "2014年,南薰乡未收取任何政府信息公开费用。")
    m = extract_meta(from_text(text))
    assert m["agency"] == "南薰乡人民政府" and any("township" in w for w in m["warnings"])
    # two townships named, or none: nothing
    two = text + "\n白塔乡也派员参加了培训。"
    assert extract_meta(from_text(two))["agency"] is None
    assert extract_meta(from_text("我镇2016年度无申请。我镇将继续做好工作。全镇干部群众。"))["agency"] is None


def test_an_empty_cell_then_a_label_we_do_not_know_is_no_value():
    """文号 left empty, then a label the extractor does not know (生效日期) with its own value: the
    unknown label is not the 文号; a value followed by a known label still is one."""
    assert labelled("文号 |  | 生效日期 | 2021-01-20", "文号", short=True) is None
    assert labelled("发布机构 | | 湖南省住建厅 | 发布日期 | 2021-01-02", "发布机构") == "湖南省住建厅"
    assert labelled("文号 | | 湘建〔2021〕1号 | 生效日期 | 2021-01-20", "文号", short=True) == "湘建〔2021〕1号"
