"""Henan's 集约化 platform (安阳县 www.ayx.gov.cn; the provincial departments, e.g. hnjs.henan.gov.cn,
fgw.henan.gov.cn).

Details /{YYYY}/{MM-DD}/{id}.html at the root of the host (the date of publication, not the column).
Column /zfxxgk/zfxxgknb/index.html (hnjs: /zwgk/zfxxgknb/index.html), further pages index_2.html,
index_3.html ...; the page prints no page links: a script writes them,
createPageNav(records, pageSize, current, "index", "html"), beside "共N条". Detail: the title, one line
发布时间：YYYY-MM-DD HH:MM　来源：{agency}　浏览次数, the body in div#content; no 索引号 table and no head
tags. Attachments /upload/YYYY/MM-DD/{name}. Hostility: 安阳县 lists a soft-404 item (an old http:// link on the https site); hnjs a dead
one, and its robots.txt disallows /search/ (linked from every page). Column paths and pagination are
plausible, not verified on the real sites (design/nationwide.md §2).
"""
from __future__ import annotations

from replica.content import synth
from replica.model import Notice, Report
from replica.sites.base import Entry, Resource, Site, day, esc, soft_404_page, url_path

ROBOTS = "User-agent: *\nDisallow: /search/\n"


class HenanSite(Site):
    family = "henan"
    page_size = 10
    min_pages = 4
    column_dir = "/zfxxgk/zfxxgknb/"
    scheme = "http"

    def _url(self, url_date: str, doc_id: int) -> str:
        return f"{self.scheme}://{self.host}/{url_date[:4]}/{url_date[4:6]}-{url_date[6:8]}/{doc_id}.html"

    def report_url(self, report: Report) -> str:
        return self._url(report.url_date, report.doc_id)

    def notice_url(self, notice: Notice) -> str:
        return self._url(notice.url_date, notice.doc_id)

    def attachment_url(self, report: Report, filename: str) -> str:
        d = report.url_date
        return f"{self.scheme}://{self.host}/upload/{d[:4]}/{d[4:6]}-{d[6:8]}/{filename}"

    def list_path(self, column: str, index: int) -> str:
        return self.column_dir + ("index.html" if index == 0 else f"index_{index + 1}.html")

    def list_pages(self, column: str, entries: list[Entry]) -> dict:
        self._records = len(entries)
        return super().list_pages(column, entries)

    def href(self, e: Entry) -> str:
        """Root-relative, except an old item linked by its http:// URL on an https site."""
        return url_path(e.url) if e.url.startswith(f"{self.scheme}://") else e.url

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        items = "\n".join(f'<li><span class="time">{day(e.published)}</span><a href="{esc(self.href(e))}" '
                          f'target="_blank">{esc(e.title)}</a></li>' for e in entries)
        main = f"""<div class="location">您当前的位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; 政府信息公开年报</div>
<div class="list-box"><ul class="list">
{items}
</ul>
<div class="pagenav"><span>共{self._records}条</span> <span id="pagenav"></span>
<script type="text/javascript">createPageNav({self._records}, {self.page_size}, {index + 1}, "index", "html");</script></div></div>"""
        return self.chrome(f"政府信息公开年报-{self.site_name}", main)

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        body = self.body_with_attachments(r)
        main = f"""<div class="article">
<h1 class="title">{esc(r.title)}</h1>
<div class="info"><span>发布时间：{esc(r.published)}</span>　<span>来源：{esc(r.agency_name)}</span>　<span>浏览次数：<em id="hits">--</em></span></div>
<div class="content" id="content">
{body}
</div></div>"""
        return f"{r.title}-{self.site_name}", main, ""

    def notice_html(self, n: Notice) -> tuple[str, str]:
        return (f"{n.title}-{self.site_name}",
                f'<div class="article"><h1 class="title">{esc(n.title)}</h1>'
                f'<div class="info"><span>发布时间：{esc(n.published[:16])}</span></div>'
                f'<div class="content" id="content">{n.body_html}</div></div>')

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
<script type="text/javascript" src="/js/pagenav.js"></script>
</head><body>
<div class="head"><a href="/">{esc(self.site_name)}</a> <a href="/search/?q=">搜索</a></div>
{main}
<div class="foot"><a href="http://www.henan.gov.cn/" target="_blank">河南省人民政府</a>
<p>主办：{esc(self.site_name)}　网站标识码：{self.site_code}</p></div>
</body></html>"""


class HenanAnyangxian(HenanSite):
    """安阳县人民政府 portal (https)."""
    hosts = ("www.ayx.gov.cn",)
    agency_prefixes = ("anyangxian_zjj",)
    scheme = "https"
    site_name = "安阳县人民政府"
    site_code = "4105220001"
    filler_agency = "anyangxian_zjj"
    synthetic = [synth.Agency("anyangxian_zjj", "安阳县住房和城乡建设局", range(2020, 2025), "small", "我局",
                              None, None, "%Y-%m-%d %H:%M")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        soft = self._url("20190315", 1562090).replace("https://", "http://")   # an old item linked by http
        columns.setdefault("", []).append(Entry("安阳县住房和城乡建设局2018年政府信息公开工作年度报告", soft,
                                                "2019-03-15 11:20"))
        self.specials["soft_404"] = [soft]
        self.specials["offsite"] = ["http://www.henan.gov.cn/"]
        return {(self.host, url_path(soft)): Resource(soft_404_page(self.site_name), validators=False),
                (self.host, "/robots.txt"): Resource(ROBOTS.encode(), "text/plain")}


class HenanZjt(HenanSite):
    """河南省住房和城乡建设厅 (hnjs.henan.gov.cn), the platform inferred from fgw.henan.gov.cn."""
    hosts = ("hnjs.henan.gov.cn",)
    agency_prefixes = ("henan_zjt",)
    column_dir = "/zwgk/zfxxgknb/"
    site_name = "河南省住房和城乡建设厅"
    site_code = "4100000027"
    filler_agency = "henan_zjt"
    synthetic = [synth.Agency("henan_zjt", "河南省住房和城乡建设厅", range(2020, 2025), "medium", "我厅",
                              None, None, "%Y-%m-%d %H:%M")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        dead = self._url("20190328", 1808412)
        columns.setdefault("", []).append(Entry("河南省住房和城乡建设厅2018年政府信息公开工作年度报告", dead,
                                                "2019-03-28 09:00"))
        self.specials["dead"] = [dead]
        self.specials["offsite"] = ["http://www.henan.gov.cn/"]
        return {(self.host, "/robots.txt"): Resource(ROBOTS.encode(), "text/plain")}
