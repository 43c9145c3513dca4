"""Decoding, body finding, chrome stripping and normalisation, on small hand-written inputs."""
import pytest

from archive.extract import EmptyInput, NotAReport, UndecodableInput, UnsupportedFormat
from archive.extract.document import decode, element_text, from_html, normalise
from archive.extract.extract import extract_document
from replica.content.seeds import SEED_DIR

BODY = "湖南省住房和城乡建设厅2018年度政府信息公开工作报告。全年共主动公开政府信息4238条。"


def page(body_html, head="", charset_meta=""):
    return f"<html><head>{charset_meta}{head}</head><body>{body_html}</body></html>"


# ---------------------------------------------------------------- decoding

def test_gbk_declared_in_meta():
    data = page(f"<p>{BODY}</p>", charset_meta='<meta charset="gb2312">').encode("gbk")
    text, enc = decode(data)
    assert enc == "gb18030" and BODY in text


def test_gbk_undeclared_detected():
    data = page(f"<div id='zoom'><p>{BODY}</p><p>{BODY}</p></div>").encode("gbk")
    text, enc = decode(data)
    assert enc == "gb18030" and BODY in text


def test_wrong_header_charset_falls_back():
    data = page(f"<p>{BODY}</p>").encode("gbk")
    text, _ = decode(data, content_type="text/html; charset=utf-8")
    assert BODY in text
    text, _ = decode(data, headers={"Content-Type": "text/html; charset=ISO-8859-1"})
    assert BODY in text


def test_utf8_page_declared_gbk_is_read_as_utf8():
    data = page(f"<p>{BODY}</p>", charset_meta='<meta charset="gbk">').encode("utf-8")
    text, enc = decode(data, content_type="text/html; charset=GBK")
    assert enc == "utf-8" and BODY in text


def test_gb18030_only_characters():
    s = "䶮政府信息公开" * 3  # 䶮 is outside GBK
    text, _ = decode(s.encode("gb18030"), content_type="text/html; charset=gbk")
    assert text == s


# ---------------------------------------------------------------- normalisation

def test_pinyin_glosses_and_traditional():
    assert normalise("我廳積極貫徹落實(shí)《條例》,關(guān)于") == "我厅积极贯彻落实《条例》,关于"
    # a parenthesised word without tone marks, or after a non-CJK char, is not a gloss
    assert normalise("系统(app)上线,ABC(shí)") == "系统(app)上线,ABC(shí)"


def test_full_width_digits_and_punctuation():
    assert normalise("主动公开信息１，２３８条：") == "主动公开信息1,238条:"
    assert normalise("（一）收到申请数") == "(一)收到申请数"


def test_simplified_text_left_alone():
    s = "本报告由湖南省住房和城乡建设厅编制，著作权归本厅所有，于2019年发布。"
    assert normalise(s) == s.replace("，", ",").replace("。", "。")


def test_split_numbers_are_joined():
    root = from_html(page('<div class="TRS_UEDITOR"><p>全年共主动公开政府信息<span>4</span><span>2</span>'
                          '<b>38</b>条，受理申请<font>5</font><span>1</span>件。</p>' + "<p>正文</p>" * 5 + "</div>"))
    assert "全年共主动公开政府信息4238条,受理申请51件。" in root.text


def test_element_text_blocks_and_cells():
    import lxml.html
    el = lxml.html.fromstring("<div><p>第一段</p><table><tr><td>指标</td><td>数值</td></tr></table>"
                              "<script>var x=1;</script><!-- 注释 -->尾<br>下一行</div>")
    assert element_text(el) == "第一段\n指标 | 数值\n尾\n下一行"


# ---------------------------------------------------------------- body and chrome

CHROME_PAGE = """<html><head><title>年报</title><script>var a='主动公开信息99条';</script>
<style>p{color:red}</style></head><body>
<div class="nav"><a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a></div>
<div class="left"><ul><li><a href="/a">通知公告</a></li><li><a href="/b">政策法规</a></li></ul></div>
<div class="main"><h1>某市住房和城乡建设局2019年政府信息公开工作年度报告</h1>
<div class="info">字体:[<a>大</a> <a>中</a> <a>小</a>] 浏览次数:1234</div>
<div class="TRS_Editor"><p>一、总体情况</p><p>2019年，全年共主动公开政府信息321条。</p>
<p>二、其他</p><p>本年度未收取任何费用。</p>
<div class="bdsharebuttonbox">分享到:<a>微信</a><a>微博</a></div></div>
<div class="tools"><a>【打印】</a><a>【关闭本页】</a></div>
<div>扫一扫在手机上查看当前页面</div>
<script>//是否显示作废图标
</script></div>
<div class="footer">主办单位:某市人民政府 网站标识码:1234567890 访问量: 99887766</div></body></html>"""


def test_body_found_and_chrome_stripped():
    doc = from_html(CHROME_PAGE)
    assert doc.text.startswith("一、总体情况")
    assert "321条" in doc.text
    for junk in ("首页", "通知公告", "字体", "浏览次数", "分享", "打印", "关闭本页", "扫一扫", "作废图标", "网站标识码",
                 "99条", "color"):
        assert junk not in doc.text, junk
    assert "某市住房和城乡建设局2019年" in doc.page_text  # metadata still readable page-wide


def test_densest_block_without_platform_container():
    paras = "".join(f"<p>第{i}段：本机关依法做好政府信息公开工作，主动公开信息。</p>" for i in range(8))
    html = page(f'<div class="menu"><a href="/1">栏目一</a><a href="/2">栏目二</a></div>'
                f'<div class="x"><div class="y">{paras}</div></div><div class="foot">版权所有</div>')
    doc = from_html(html)
    assert doc.text.startswith("第0段") and "栏目一" not in doc.text and "版权所有" not in doc.text


def test_attachment_links_resolved():
    html = page('<div id="zoom"><p>附件：<a href="./P020220120.pdf">年报.pdf</a>'
                '<a href="/module/download/downfile.jsp?classid=0&filename=a.docx">下载</a>'
                '<a href="/other.html">相关新闻</a></p></div>')
    doc = from_html(html, url="http://zjj.qz.gov.cn/art/2022/1/20/art_1_2.html")
    assert [l["url"] for l in doc.links] == [
        "http://zjj.qz.gov.cn/art/2022/1/20/P020220120.pdf",
        "http://zjj.qz.gov.cn/module/download/downfile.jsp?classid=0&filename=a.docx"]


# ---------------------------------------------------------------- hopeless input

@pytest.mark.parametrize("data,error", [
    (b"", EmptyInput),
    (b"   \n ", EmptyInput),
    (bytes(range(256)) * 4, UndecodableInput),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, UnsupportedFormat),
    ("<html><body><p>您访问的页面不存在</p></body></html>".encode(), NotAReport),
    ("<html><body><p>今日天气晴，气温二十度。</p></body></html>".encode(), NotAReport),
    (b"%PDF-1.4 truncated junk", UndecodableInput),
])
def test_hopeless_input_raises_clear_errors(data, error):
    with pytest.raises(error):
        extract_document(data)


def test_docx_report_read():
    """A DOCX report (python-docx writes it; the seed's prose inside) gives the seed's figures."""
    import io

    import docx
    lines = [l for l in (SEED_DIR / "xizang-zjt-2014.txt").read_text().split("\n")
             if l.strip() and "|" not in l]
    d = docx.Document()
    d.add_paragraph("西藏自治区住房和城乡建设厅2014年政府信息公开工作年度报告")
    for line in lines:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    r = extract_document(buf.getvalue(), filename="report.docx")
    assert r["kind"] == "docx" and r["agency_slug"] == "xizang_zjt" and r["year"] == 2014
    assert (r["summary"]["proactive_total"], r["summary"]["applications_new"], r["summary"]["granted"]) == (5769, 3, 3)
    assert (r["summary"]["review_total"], r["summary"]["litigation_total"]) == (0, 0)


def _page(main: str) -> bytes:
    return (f"<html><head><meta charset='utf-8'><title>政府信息公开年报_某某市人民政府</title></head><body>"
            f"<div class='nav'><a href='/'>首页</a> <a href='/xxgk/'>信息公开</a></div>{main}"
            f"<div class='footer'>主办：某某市人民政府办公室</div></body></html>").encode()


LIST_ITEMS = [("某某市住房和城乡建设局2021年政府信息公开工作年度报告", "2022-01-20"),
              ("关于开展2021年度住房公积金缴存基数调整工作的通知", "2021-06-01"),
              ("某某市住房和城乡建设局2020年政府信息公开工作年度报告", "2021-01-18"),
              ("2020年政务公开工作要点", "2020-03-02"),
              ("某某市住房和城乡建设局2019年政府信息公开工作年度报告", "2020-01-15"),
              ("政府信息公开指南（2019年修订）", "2019-05-05")]


@pytest.mark.parametrize("items, pager", [(LIST_ITEMS, "共3页 上一页 1 2 3 下一页 尾页"),
                                          (LIST_ITEMS[3:4], "首页 上一页 3/3 尾页")])   # a column's last page
def test_a_columns_list_page_is_not_a_report(items, pager):
    """A column's list page (several years' report titles, or an item and a pager) is not read as a report
    of some year: it is NotAReport, whatever year its items name."""
    rows = "".join(f"<li><a href='./t{i}.html'>{t}</a><span>{d}</span></li>" for i, (t, d) in enumerate(items))
    with pytest.raises(NotAReport, match="list"):
        extract_document(_page(f"<div class='list'><ul>{rows}</ul><div class='page'>{pager}</div></div>"),
                         url="http://zjj.example.gov.cn/xxgk/ndbg/index.html")


def test_a_report_that_only_links_its_pdf_is_still_a_report():
    body = ("<h1>某某市住房和城乡建设局2021年政府信息公开工作年度报告</h1><p>发布日期：2022-01-20</p>"
            "<p>根据《中华人民共和国政府信息公开条例》，现公布我局2021年政府信息公开工作年度报告。</p>"
            "<p>附件：<a href='./P020220120.pdf'>某某市住房和城乡建设局2021年政府信息公开工作年度报告.pdf</a></p>")
    got = extract_document(_page(body), url="http://zjj.example.gov.cn/xxgk/ndbg/202201/t20220120_1.html")
    assert got["year"] == 2021 and got["links"]


def test_container_pass_selects_what_the_xpaths_select():
    """find_body's one Python pass over the page (document._containers) picks, for each platform
    container, the elements its XPath in _CONTAINERS selects (libxml2 the independent reader):
    class tokens split on XPath white space only, tags and ids exactly."""
    from pathlib import Path

    import lxml.html

    from archive.extract.document import _CONTAINERS, _PARSER, _containers
    html = page(
        '<div class="TRS_PreAppend x">a</div><div class=" x\tTRS_UEDITOR\n">b</div>'
        '<span class="TRS_Editor">c</span><p class="TRS_EditorX">d</p><div class="TRS_Editor\u3000y">e</div>'
        '<span id="zoom">f</span><div id="zoom"><article>g</article></div><td id="UCAP-CONTENT">h</td>'
        '<section class="content">i</section><div class="content x">j</div><div id="content">k</div>'
        '<p class="trs_preappend">l</p><div class="TRS_PreAppend"><div class="TRS_PreAppend">m</div></div>')
    root = lxml.html.document_fromstring(html, parser=_PARSER)
    expected = [root.xpath(xp) for xp in _CONTAINERS]
    assert [len(e) for e in expected] == [3, 1, 1, 1, 1, 2, 1]    # as read by hand from the page
    assert _containers(root) == expected
    # the real report pages too (their platforms' markup)
    for path in sorted((Path(__file__).parent / "data" / "real").glob("*.html")):
        root = lxml.html.document_fromstring(path.read_bytes(), parser=_PARSER)
        assert _containers(root) == [root.xpath(xp) for xp in _CONTAINERS], path.name


def test_looks_binary_counts_control_bytes_as_before():
    from archive.extract.document import looks_binary
    text = ("年度报告" * 200).encode()
    assert not looks_binary(text)
    ctrl = bytes([1, 2, 3, 14, 31]) * 20          # 100 control bytes: > 2% of 4 KB
    assert looks_binary(text[:3900] + ctrl)
    assert not looks_binary(text[:3900] + bytes([9, 10, 13]) * 30)   # tab, newline, CR are text
    assert looks_binary(b"abc\x00def")


def test_element_text_of_a_tree_deeper_than_libxslt_recurses():
    """The body's text is walked by libxslt; a tree deeper than its template recursion (html5lib
    trees have no depth limit) falls back to the walk in Python, with the same rules."""
    import lxml.etree
    import lxml.html

    from archive.extract.document import _TEXT_XSLT
    root = lxml.html.document_fromstring("<html><body><div>x</div></body></html>")
    el = root.find(".//div")
    for _ in range(5000):
        el = lxml.etree.SubElement(el, "span")
        el.text = "a"
    p = lxml.etree.SubElement(root.find(".//div"), "p")
    p.text, p.tail = "尾", "后"
    with pytest.raises(lxml.etree.XSLTApplyError):
        _TEXT_XSLT(root.find(".//body"))
    # read by hand: the div's text, 5,000 inline spans run together, then the <p> on its own line
    assert element_text(root.find(".//body")) == "x" + "a" * 5000 + "\n尾\n后"
