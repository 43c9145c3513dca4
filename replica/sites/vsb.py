"""VSB 博达 sites (western county and city portals): two ways the same CMS addresses a column.

Static form (蒙自 www.hhmz.gov.cn): the column page /xxgk/zfxxgkndbg.htm lists the newest items; the
further pages are /xxgk/zfxxgkndbg/{n}.htm numbered *downwards* (with 4 pages: the column page, then
3.htm, 2.htm, 1.htm = the oldest), so an old page keeps its URL when new items arrive. The pager shows
only 首页/上页/下页/尾页 and "共N条 1/4". Links are relative (../info/2081/{id}.htm, ../../info/... from a
numbered page). Detail /info/{wbtreeid}/{wbnewsid}.htm: the header list 索引号 / 发布机构 / 文号 /
发布日期 (the date only) / 时效性, the title, 发布时间 with the seconds and a click counter script,
the body in div#vsb_content > div.v_news_content; attachments under /__local/X/YY/ZZ/{hex}.pdf?e=.pdf.
Hostility: a soft-404 item (HTTP 200 "页面不存在"), an old item linked by http:// on the https site.

JSP form (眉山 www.ms.gov.cn, the xxgk module): the column is
/xxgk/xxgk_list.jsp?urltype=tree.TreeTempUrl&wbtreeid=5069, further pages
xxgk_list.jsp?totalpage=N&PAGENUM=k&urltype=tree.TreeTempUrl&wbtreeid=5069 (PAGENUM 2..N, upwards);
details /xxgk/xxgk_content.jsp?urltype=news.NewsContentUrl&wbtreeid=5069&wbnewsid={id} with the xxgk
table (索引号 | 发布机构 / 文号 | 发布日期 / 时效性). Hostility: a dead item (the JSP answers 404), linked by http://.
The pagination shapes are plausible, not verified on the real sites (design/nationwide.md §2).
"""
from __future__ import annotations

import hashlib

from replica.content import synth
from replica.model import Notice, Report
from replica.sites.base import Entry, Request, Resource, Site, day, esc, soft_404_page, url_path

MZ_HOST = "www.hhmz.gov.cn"
MZ_TREE = 2081
MZ_COLUMN = "/xxgk/zfxxgkndbg.htm"
MS_HOST = "www.ms.gov.cn"
MS_TREE = 5069
MS_LIST = "/xxgk/xxgk_list.jsp"
MS_CONTENT = "/xxgk/xxgk_content.jsp"


def ms_list_url(index: int, total: int) -> str:
    """The JSP column's page index (0-based) of total."""
    if index == 0:
        return f"{MS_LIST}?urltype=tree.TreeTempUrl&wbtreeid={MS_TREE}"
    return f"{MS_LIST}?totalpage={total}&PAGENUM={index + 1}&urltype=tree.TreeTempUrl&wbtreeid={MS_TREE}"


def ms_content_path(news_id: int) -> str:
    return f"{MS_CONTENT}?urltype=news.NewsContentUrl&wbtreeid={MS_TREE}&wbnewsid={news_id}"


def local_path(filename: str) -> str:
    """VSB's attachment store: /__local/X/YY/ZZ/{HEX}_{HEX}.ext?e=.ext (from the file name, stable)."""
    h = hashlib.md5(filename.encode()).hexdigest().upper()
    ext = filename.rsplit(".", 1)[-1]
    return f"/__local/{h[0]}/{h[1:3]}/{h[3:5]}/{h[5:37]}_{h[:8]}.{ext}?e=.{ext}"


class VsbSite(Site):
    """What both VSB forms share: chrome, attachments under /__local/, the header list."""
    family = "vsb"
    page_size = 10
    min_pages = 4
    etag_style = "tomcat"
    scheme = "https"

    def attachment_url(self, report: Report, filename: str) -> str:
        return f"{self.scheme}://{self.host}{local_path(filename)}"

    def attachment_resources(self, report: Report) -> dict:
        out = super().attachment_resources(report)
        # keyed by path without the ?e= query (the server looks paths up without their query)
        return {(h, p.split("?")[0]): r for (h, p), r in out.items()}

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
<script type="text/javascript" src="/system/resource/js/counter.js"></script>
</head><body>
<div class="top"><a href="/">{esc(self.site_name)}</a> <a href="http://www.gov.cn/" target="_blank">中国政府网</a></div>
{main}
<div class="foot"><p>主办：{esc(self.site_name)}　网站标识码：{self.site_code}</p>
<p>技术支持：<a href="http://www.vsbclub.com/" target="_blank">博达软件</a></p></div>
</body></html>"""

    def pager(self, current: int, total: int, count: int, url_of) -> str:
        """首页 上页 下页 尾页 and 共N条 c/N: the links VSB prints (no page numbers)."""
        parts = [f'<span class="p_t">共{count}条</span> <span class="p_pages">{current + 1}/{total}</span>']
        if current > 0:
            parts += [f'<a href="{esc(url_of(0))}">首页</a>', f'<a href="{esc(url_of(current - 1))}">上页</a>']
        if current < total - 1:
            parts += [f'<a href="{esc(url_of(current + 1))}" class="Next">下页</a>',
                      f'<a href="{esc(url_of(total - 1))}" class="Next">尾页</a>']
        return f'<div class="pb_sys_common pb_sys_normal">{" ".join(parts)}</div>'

    def header_list(self, r: Report) -> str:
        return f"""<ul class="xxgk_top">
<li><b>索引号：</b>{esc(r.index_no or "")}</li>
<li><b>发布机构：</b>{esc(r.publisher or r.agency_name)}</li>
<li><b>文号：</b>{esc(r.doc_no or "无")}</li>
<li><b>发布日期：</b>{day(r.published)}</li>
<li><b>时效性：</b>有效</li>
</ul>"""

    def article(self, r: Report, body: str) -> str:
        return f"""<h1 class="titlestyle">{esc(r.title)}</h1>
<div class="info"><span>发布时间：{esc(r.published)}</span> <span>点击数：<script>_showDynClicks("wbnews", 1523, {r.doc_id})</script></span></div>
<form name="_newscontent_fromname"><div id="vsb_content"><div class="v_news_content">
{body}
</div></div></form>"""

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<h1 class="titlestyle">{esc(n.title)}</h1><div class="info">发布时间：{esc(n.published)}</div>'
                f'<div id="vsb_content"><div class="v_news_content">{n.body_html}</div></div>')
        return f"{n.title}-{self.site_name}", main

    def list_items(self, entries: list[Entry], href) -> str:
        def link(e: Entry) -> str:   # relative, except an old item linked by its http:// URL
            return href(e) if e.url.startswith(f"{self.scheme}://") else e.url
        return "\n".join(f'<li id="line_u7_{i}"><a href="{esc(link(e))}" target="_blank" title="{esc(e.title)}">'
                         f'{esc(e.title)}</a><span>{day(e.published)}</span></li>' for i, e in enumerate(entries))


class VsbMengzi(VsbSite):
    """蒙自市 portal, the static form."""
    hosts = (MZ_HOST,)
    agency_prefixes = ("mengzi_zjj",)
    site_name = "蒙自市人民政府"
    site_code = "5325030001"
    filler_agency = "mengzi_zjj"
    synthetic = [synth.Agency("mengzi_zjj", "蒙自市住房和城乡建设局", range(2020, 2025), "small", "我局",
                              "11532503MB1C53478P", "蒙自市住房和城乡建设局")]

    def report_url(self, report: Report) -> str:
        return f"https://{MZ_HOST}/info/{MZ_TREE}/{report.doc_id}.htm"

    def notice_url(self, notice: Notice) -> str:
        return f"https://{MZ_HOST}/info/{MZ_TREE}/{notice.doc_id}.htm"

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        soft = f"http://{MZ_HOST}/info/{MZ_TREE}/401877.htm"     # an old item, still linked by http
        columns.setdefault("", []).append(
            Entry("蒙自市住房和城乡建设局2018年政府信息公开工作年度报告", soft, "2019-03-12 09:40:00"))
        self.specials["soft_404"] = [soft]
        self.specials["offsite"] = ["http://www.gov.cn/", "http://www.vsbclub.com/"]
        return {(MZ_HOST, url_path(soft)): Resource(soft_404_page(self.site_name), validators=False)}

    def list_path(self, column: str, index: int) -> str:
        return MZ_COLUMN if index == 0 else f"{MZ_COLUMN[:-4]}/{self._number(index)}.htm"

    def _number(self, index: int) -> int:
        return self._total - index          # page 2 of 4 is 3.htm, the last page 1.htm

    def list_pages(self, column: str, entries: list[Entry]) -> dict:
        self._total = -(-len(entries) // self.page_size)
        return super().list_pages(column, entries)

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        up = "../" if index == 0 else "../../"     # /xxgk/zfxxgkndbg.htm or /xxgk/zfxxgkndbg/3.htm

        def page_url(i: int) -> str:
            if i == 0:
                return "../zfxxgkndbg.htm" if index else "zfxxgkndbg.htm"
            return f"{self._number(i)}.htm" if index else f"zfxxgkndbg/{self._number(i)}.htm"

        items = self.list_items(entries, lambda e: up + url_path(e.url).lstrip("/"))
        main = f"""<div class="dqwz">当前位置：<a href="{up}index.htm">首页</a> &gt;&gt; 政府信息公开年报</div>
<div class="list"><ul>
{items}
</ul>
{self.pager(index, total, self._count, page_url)}</div>"""
        return self.chrome(f"政府信息公开年报-{self.site_name}", main)

    def pad_column(self, column: str, entries: list[Entry]) -> list[Entry]:
        entries = super().pad_column(column, entries)
        self._count = len(entries)
        return entries

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        body = self.body_with_attachments(r)
        main = f'<div class="xxgk_detail">{self.header_list(r)}\n{self.article(r, body)}</div>'
        return f"{r.title}-{self.site_name}", main, ""


class VsbMeishan(VsbSite):
    """眉山市 portal, the xxgk module's JSP form (query-addressed pages)."""
    hosts = (MS_HOST,)
    agency_prefixes = ("meishan_zjj",)
    site_name = "眉山市人民政府"
    site_code = "5114000001"
    filler_agency = "meishan_zjj"
    synthetic = [synth.Agency("meishan_zjj", "眉山市住房和城乡建设局", range(2020, 2025), "small", "我局",
                              "115114000089456721", "眉山市住房和城乡建设局")]

    def report_url(self, report: Report) -> str:
        return f"https://{MS_HOST}{ms_content_path(report.doc_id)}"

    def notice_url(self, notice: Notice) -> str:
        return f"https://{MS_HOST}{ms_content_path(notice.doc_id)}"

    def resource_key(self, req: Request):
        """xxgk_content.jsp and xxgk_list.jsp answer by their query (in whatever order it comes)."""
        if req.path == MS_CONTENT:
            return (MS_HOST, ms_content_path(req.param("wbnewsid", "") or ""))
        if req.path == MS_LIST and req.param("wbtreeid") == str(MS_TREE):
            page = req.param("PAGENUM", "1")
            return (MS_HOST, f"{MS_LIST}#page{page}")
        return None

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        dead = f"http://{MS_HOST}{ms_content_path(1009876)}"     # an old item, still linked by http
        columns.setdefault("", []).append(
            Entry("眉山市住房和城乡建设局2018年度政府信息公开工作年度报告", dead, "2019-03-28 15:20:00"))
        self.specials["dead"] = [dead]
        self.specials["offsite"] = ["http://www.gov.cn/", "http://www.vsbclub.com/"]
        return {}

    def list_path(self, column: str, index: int) -> str:
        return f"{MS_LIST}#page{index + 1}"

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        items = self.list_items(entries, lambda e: url_path(e.url).rsplit("/", 1)[1])
        main = f"""<div class="dqwz">当前位置：<a href="/">首页</a> &gt;&gt; <a href="/xxgk/">政府信息公开</a> &gt;&gt; 政府信息公开年报</div>
<div class="xxgk_list"><ul>
{items}
</ul>
{self.pager(index, total, self._count, lambda i: ms_list_url(i, total).rsplit("/", 1)[1])}</div>"""
        return self.chrome(f"政府信息公开年报-{self.site_name}", main)

    def pad_column(self, column: str, entries: list[Entry]) -> list[Entry]:
        entries = super().pad_column(column, entries)
        self._count = len(entries)
        return entries

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        body = self.body_with_attachments(r)
        table = f"""<table class="xxgk_table" width="100%" border="1" cellspacing="0">
<tr><th>索引号：</th><td>{esc(r.index_no or "")}</td><th>发布机构：</th><td>{esc(r.publisher or r.agency_name)}</td></tr>
<tr><th>文号：</th><td>{esc(r.doc_no or "无")}</td><th>发布日期：</th><td>{day(r.published)}</td></tr>
<tr><th>时效性：</th><td colspan="3">有效</td></tr>
</table>"""
        main = f'<div class="xxgk_detail">{table}\n{self.article(r, body)}</div>'
        return f"{r.title}-{self.site_name}", main, ""
