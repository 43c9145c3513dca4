"""Unit tests of the crawler's parts that need no network: registry, report recognition, the
families' list parsing and pagination, the archive store, the runner's argument errors."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler
from scrapy.http import HtmlResponse, Request, XmlResponse

from archive.store import Archive, CaptureError
from crawler.registry import UnknownAgency, agencies, find_agencies, get_agency
from crawler.spiders.agencies import SPIDERS
from crawler.spiders.report import COLUMN, ReportSpider, is_report_title

GuangxiZjt, HunanZjt, QuzhouZjj, SuizhouZjw, XizangZjt = (
    SPIDERS[s] for s in ("guangxi_zjt", "hunan_zjt", "quzhou_zjj", "suizhou_zjw", "xizang_zjt"))

ROOT = Path(__file__).resolve().parents[1]


def make(cls, **kwargs):
    """A spider bound to a crawler (stats, settings), as Scrapy builds it."""
    crawler = get_crawler(cls)
    crawler.settings = crawler.settings.copy()   # as in a real crawl, from_crawler sees them unfrozen
    crawler.settings.frozen = False
    spider = cls.from_crawler(crawler, **kwargs)
    crawler.spider = spider
    return spider


def html(url: str, body: str, cls=HtmlResponse, column: str | None = None, owners=("x",)):
    """A response as the spider gets it: its request carries the column (default: the spider's first)."""
    meta = {COLUMN: column, "nianbao_owners": owners}
    return cls(url=url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, meta=meta))


def family(spider):
    """The family object reading the spider's (first) column."""
    return spider.families[spider.columns[0].url]


def list_response(spider, url, body, cls=HtmlResponse):
    return html(url, body, cls, column=spider.columns[0].url, owners=tuple(spider.agencies))


# --- registry ------------------------------------------------------------------------------
def test_registry_lists_the_agencies_with_domains():
    reg = agencies()
    assert set(reg) >= {"hunan_zjt", "quzhou_zjj", "guangxi_zjt", "suizhou_zjw", "xizang_zjt",
                        "hunan_fgw", "xizang_jyt"}
    assert get_agency("hunan_zjt").name == "湖南省住房和城乡建设厅"
    assert get_agency("suizhou_zjw").browser is True
    assert make(HunanZjt).allowed_domains == ["www.hunan.gov.cn"]
    with pytest.raises(UnknownAgency):
        get_agency("nowhere")


def test_find_agencies_prefers_full_names():
    assert find_agencies("西藏自治区住房和城乡建设厅2014年政府信息公开年度报告")[0] == "xizang_zjt"
    assert find_agencies("湖南省交通运输厅2018年报") == []


# --- report recognition ----------------------------------------------------------------------
@pytest.mark.parametrize("title", [
    "湖南省住房和城乡建设厅2018年政府信息公开工作年度报告",
    "衢州市住房和城乡建设局2020年政府信息公开工作年度报告",
    "2014年度政府信息公开工作报告",
    "西藏自治区住房和城乡建设厅2014年政府信息公开年报",
])
def test_report_titles_are_recognised(title):
    assert is_report_title(title)


@pytest.mark.parametrize("title", [
    "关于做好2020年政府信息公开工作年度报告编制发布工作的通知",
    "2020年政务公开工作要点",
    "政府信息公开年报",            # a column link: no year
    "政府信息公开指南（2019年修订）",
    "图解：2021年政府信息公开工作年度报告",
])
def test_notices_and_columns_are_not_reports(title):
    assert not is_report_title(title)


# --- families ----------------------------------------------------------------------------------
HUNAN = "http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97944/"


def test_hunan_list_keeps_own_reports_including_document_write_cells():
    page = """<ul>
<li><a href="./201903/t20190322_5299653.html" title="湖南省住房和城乡建设厅2018年政府信息公开工作年度报告">湖南省住房…</a></li>
<li><script>document.write('<a href="./201903/t20190320_1.html" title="湖南省交通运输厅2018年政府信息公开工作年度报告">x</a>');</script></li>
<li><script>document.write('<a href="./202001/t20200120_2.html" title="湖南省住房和城乡建设厅2019年政府信息公开工作年度报告">y</a>');</script></li>
</ul><div class="page"><a href="index.html">首页</a><a href="index_2.html">下一页</a><a href="index_4.html">尾页</a>
<a href="/other/index_9.html">elsewhere</a></div>"""
    spider = make(HunanZjt)
    resp = list_response(spider, HUNAN + "index.html", page)
    reqs = [r for r in spider.parse_list(resp) if isinstance(r, Request)]
    reports = [r.url for r in reqs if r.meta["nianbao_kind"] == "report"]
    lists = [r.url for r in reqs if r.meta["nianbao_kind"] == "list"]
    # ours, and the 交通运输厅's (not in the registry: archived with no agency, so nothing is lost)
    assert reports == [HUNAN + "201903/t20190322_5299653.html", HUNAN + "201903/t20190320_1.html",
                       HUNAN + "202001/t20200120_2.html"]
    assert [r.meta["nianbao_agency"] for r in reqs if r.meta["nianbao_kind"] == "report"] == \
        ["hunan_zjt", None, "hunan_zjt"]
    assert lists == [HUNAN + f"index_{n}.html" for n in (2, 3, 4)]


def test_guangxi_hyphen_pagination_and_hubei_create_page_html():
    gx = "http://zjt.gxzf.gov.cn/zfxxgk/zfxxgknb/"
    resp = html(gx + "index.shtml", '<a href="index-2.shtml">2</a><a href="index-3.shtml">尾页</a>')
    assert family(make(GuangxiZjt)).next_pages(resp) == [gx + "index-2.shtml", gx + "index-3.shtml"]
    sz = "http://zjj.suizhou.gov.cn/fbjd/zfxxgk/xxgknb/"
    resp = html(sz + "index.shtml", '<script>createPageHTML(4, 0, "index", "shtml");</script>')
    assert family(make(SuizhouZjw)).next_pages(resp) == [sz + f"index_{n}.shtml" for n in (1, 2, 3)]


def test_suizhou_requests_go_through_the_browser():
    req = make(SuizhouZjw).make_request("http://zjj.suizhou.gov.cn/x.shtml", "report", None, ["suizhou_zjw"])
    assert req.meta["playwright"] is True and req.meta["playwright_page_methods"]
    assert not make(HunanZjt).make_request(HUNAN, "list", None, ["hunan_zjt"]).meta.get("playwright")


def test_xizang_year_subcolumns_are_followed():
    root = "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/"
    resp = html(root, '<a href="./2014nb/">2014年</a><a href="2021nb/index.html">2021年</a>'
                      '<a href="/zwgk/other/2015nb/">elsewhere</a>')
    assert family(make(XizangZjt)).next_pages(resp) == [root + "2014nb/index.html", root + "2021nb/index.html"]


def test_hanweb_unwraps_datastore_and_pages_through_dataproxy():
    col = "http://zjj.qz.gov.cn/col/col1525444/index.html"
    page = """<div id="1234"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="x">next</a>]]></nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2021/1/20/art_1525444_59021017.html" title="衢州市住房和城乡建设局2020年政府信息公开工作年度报告">衢州市住房和城乡建设局2020年政府信息公开工作年度报告</a><span>2021-01-20</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2021/3/2/art_1525444_1.html" title="关于公布2021年度行政许可事项清单的公告">x</a></li>]]></record>
</recordset><totalpage>3</totalpage></datastore></script></div>"""
    spider = make(QuzhouZjj)
    resp = list_response(spider, col, page)
    reqs = list(spider.parse_list(resp))[1:]
    assert [r.url for r in reqs if r.meta["nianbao_kind"] == "report"] == \
        ["http://zjj.qz.gov.cn/art/2021/1/20/art_1525444_59021017.html"]
    lists = [r.url for r in reqs if r.meta["nianbao_kind"] == "list"]
    assert lists == [f"http://zjj.qz.gov.cn/module/web/jpage/dataproxy.jsp?page={n}&appid=1&webid=38"
                     f"&path=/&columnid=1525444&unitid=3567101&permissiontype=0" for n in (2, 3)]
    # a page without <totalpage> asks dataproxy page 1, whose answer gives the total
    first = family(spider).next_pages(html(col, "<p>nothing</p>"))
    assert first == [lists[0].replace("page=2", "page=1")]
    xml = XmlResponse(url=first[0], body=b"<datastore><totalpage>2</totalpage></datastore>",
                      request=Request(first[0]))
    assert family(spider).next_pages(xml) == [lists[0]]


def test_report_page_attachments_are_followed():
    url = HUNAN + "201903/t20190322_5299653.html"
    page = ('<div><a href="./P020190322.pdf">附件</a><a href="/module/download/downfile.jsp?classid=0'
            '&filename=a.docx">下载</a><a href="http://service.weibo.com/share/share.php?url=x">微博</a>'
            '<a href="/search/search.jsp?q=年报">搜索</a></div>')
    out = list(make(HunanZjt).parse_report(html(url, page, owners=("hunan_zjt",))))
    assert out[0]["kind"] == "report" and out[0]["body"] == page.encode()
    assert [r.url for r in out[1:]] == [HUNAN + "201903/P020190322.pdf",
                                        "http://www.hunan.gov.cn/module/download/downfile.jsp?classid=0&filename=a.docx"]


def test_soft_404_is_flagged():
    page = "<title>页面不存在</title><h2>抱歉，您访问的页面不存在或已被删除！</h2>"
    item = next(make(HunanZjt).parse_report(html(HUNAN + "201104/t20110412_1001.html", page, owners=("hunan_zjt",))))
    assert item["error"] == "soft 404" and item["body"] == page.encode()


# --- archive store -------------------------------------------------------------------------------
def capture(run_id, url="http://www.hunan.gov.cn/a.html", **kw):
    row = dict(run_id=run_id, agency="hunan_zjt", url=url, final_url=url, method="GET", status=200,
               headers={"ETag": ['"abc"']}, fetch_mode="http", kind="report")
    row.update(kw)
    return row


@pytest.fixture
def store(tmp_path):
    s = Archive(tmp_path / "a.db")
    s.sync_agencies(agencies().values())
    yield s
    s.close()


def test_store_new_unchanged_changed(store):
    run = store.start_run("crawl", "hunan_zjt")
    c1, p1 = store.add_capture(capture(run), b"one")
    c2, p2 = store.add_capture(capture(run), b"one")
    c3, p3 = store.add_capture(capture(run), b"two")
    assert (p1, p2, p3) == ("new", "unchanged", "changed")
    rows = {r["id"]: r for r in store.db["captures"].rows}
    assert rows[c2]["revisit_of"] == c1 and rows[c2]["body_sha256"] == hashlib.sha256(b"one").hexdigest()
    assert store.db["bodies"].count == 2
    assert store.validators("http://www.hunan.gov.cn/a.html") == {"If-None-Match": '"abc"'}
    # a 304 answered from the archive: revisit of the capture that stored "two"
    c4, p4 = store.add_capture(capture(run, status=304, revisit_of=c3,
                                       body_sha256=hashlib.sha256(b"two").hexdigest()))
    assert p4 == "unchanged" and store.held("http://www.hunan.gov.cn/a.html")["original"] == c3


@pytest.mark.parametrize("bad", [
    dict(kind="page"), dict(fetch_mode="curl"), dict(url="ftp://x"), dict(agency=""),
    dict(agency=3), dict(status=999),
])
def test_store_refuses_invalid_rows_and_writes_nothing(store, bad):
    run = store.start_run("crawl", "hunan_zjt")
    with pytest.raises(CaptureError):
        store.add_capture(capture(run, **bad), b"x")
    with pytest.raises(CaptureError):   # a failure needs error text
        store.add_capture(capture(run, status=None))
    assert store.db["captures"].count == 0 and store.db["bodies"].count == 0


def test_store_refuses_a_revisit_of_another_body(store):
    run = store.start_run("crawl", "hunan_zjt")
    c1, _ = store.add_capture(capture(run), b"one")
    with pytest.raises(CaptureError):
        store.add_capture(capture(run, status=304, revisit_of=c1, body_sha256="0" * 64))


def test_orphaned_running_runs_are_closed(store):
    store.conn.execute("INSERT INTO runs (kind, agency, status, pid) VALUES ('crawl', 'hunan_zjt', "
                       "'running', 999999999)")
    store.start_run("crawl", "hunan_zjt")
    statuses = [r["status"] for r in store.db["runs"].rows]
    assert statuses == ["failing", "running"]


# --- runner ------------------------------------------------------------------------------------
def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "crawler.run", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_runner_rejects_unknown_agency():
    p = run_cli("hunan_zjt", "atlantis_zjt", "--db", "/nonexistent/x.db")
    assert p.returncode == 2 and "unknown agency atlantis_zjt" in p.stderr


def test_runner_rejects_unusable_db(tmp_path):
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    p = run_cli("hunan_zjt", "--db", str(bad))
    assert p.returncode == 2 and "cannot use archive" in p.stderr
    assert bad.read_bytes() == b"this is not sqlite" * 100


# --- settings ----------------------------------------------------------------------------------
def project_settings(**cmdline):
    from scrapy.settings import Settings
    from crawler.addons import Politeness
    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    for k, v in cmdline.items():
        s.set(k, v, priority="cmdline")
    Politeness().update_settings(s)
    return s


def test_politeness_is_on_by_default_and_relaxed_on_request():
    polite = project_settings()
    assert polite.getbool("AUTOTHROTTLE_ENABLED") and polite.getfloat("DOWNLOAD_DELAY") > 0
    assert polite.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2 and polite.getbool("ROBOTSTXT_OBEY")
    relaxed = project_settings(NIANBAO_POLITE="0")
    assert not relaxed.getbool("AUTOTHROTTLE_ENABLED") and relaxed.getfloat("DOWNLOAD_DELAY") == 0
    # a setting given on the command line still wins over the relaxation
    assert project_settings(NIANBAO_POLITE="0", DOWNLOAD_DELAY="0.3").getfloat("DOWNLOAD_DELAY") == 0.3


def test_only_runs_with_a_browser_agency_get_the_playwright_handlers():
    for cls, kwargs, browser in ((SuizhouZjw, {}, True), (HunanZjt, {}, False),
                                 (ReportSpider, {"agencies": "hunan_zjt,quzhou_zjj"}, False),
                                 (ReportSpider, {"agencies": "hunan_zjt,suizhou_zjw"}, True)):
        crawler = Crawler(cls, project_settings())   # settings not frozen yet, as in a real crawl
        cls.from_crawler(crawler, **kwargs)
        handlers = crawler.settings.getdict("DOWNLOAD_HANDLERS")
        assert ("scrapy_playwright" in str(handlers.get("http"))) is browser, (cls.name, kwargs)
