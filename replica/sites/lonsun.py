"""Anhui's Lonsun 龙讯 platform: three sites (nationwide.md §2; what the research saw, the rest inferred).

- 信息公开 columns (霍山, 天长; seen): /public/column/{organ}?type=4&catId={cat}&action=list lists an organ's
  documents, 15 a page, as <ul class="xxgk_nav_list"> rows (title link, date); later pages add &pageIndex=N
  (inferred). The pager is drawn by script: the page holds only `共N条 共M页` and
  `Ls.pageInfo({pageCount: M, pageIndex: K, ...})` (no links: inferred). Query-addressed pages are served
  whatever the parameters' order. Details /public/{organ}/{doc}.html (seen): the metadata table
  索引号 | 组配分类 / 发布机构 | 发文日期 / 文号 | 关键词 (inferred) / 名称, the title, a 发布时间/来源 line, the body
  (div.j-fontContent); attachments /group1/M00/{..}/{file} (the platform's file store: inferred).
  天长 links everything by https (its real URLs are https; the replica answers through CONNECT).
- The annual-report module (宣城; the detail seen): /XxgkAnnualReport/show/{id}.html holds one report: the
  title, a table 发布机构 / 年度 / 发布日期, the body (div.nb_content). Its list page was not seen:
  /XxgkAnnualReport/index.html, then index.html?pageIndex=N, a table of every department of the portal
  (年报名称 | 发布机构 | 年度 | 发布日期), 10 a page, pager links 首页 上一页 N 下一页 尾页 (plausible, inferred).
  The module is the portal's: 宣城's other departments publish there too (synthetic agencies the registry does
  not know: their reports are archived unattributed).
Hostility: a soft 404 (HTTP 200 「页面不存在」) under a report title in 霍山's column; a report-titled link to a
mirror host in 宣城's list; the notice 「关于报送…年度报告的通知」 in each column; off-site footers.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from replica.content.synth import Agency
from replica.model import Notice, Report
from replica.sites.base import Entry, Request, Resource, Site, day, esc, minute, soft_404_page, url_path

TIME = "%Y-%m-%d %H:%M"   # Lonsun pages print minutes


def query_key(url: str) -> str:
    """The path a query-addressed page is served under: path, then its query with the parameters sorted."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return (parts.path or "/") + (f"?{query}" if query else "")


class LonsunSite(Site):
    """Shared chrome and the query-addressed pages of a Lonsun portal."""
    etag_style = "nginx"
    scheme = "http"
    portal_name = ""

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def resource_key(self, req: Request):
        if req.query:
            return req.host, query_key(f"http://{req.host}{req.path}?{req.query}")
        return None

    def attachment_url(self, report: Report, filename: str) -> str:
        return f"{self.base}/group1/M00/{report.doc_id % 97:02X}/{report.doc_id % 89:02X}/{filename}"

    def https_linked(self, report: Report) -> bool:
        return self.scheme == "https"

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="article"><h1 class="newstitle">{esc(n.title)}</h1>'
                f'<div class="newsinfo">发布时间：{minute(n.published)}</div><div class="j-fontContent">{n.body_html}</div></div>')
        return f"{n.title}_{self.site_name}", main

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
<link rel="stylesheet" href="/assets/css/public.css">
<script src="/assets/js/jquery.min.js"></script><script src="/assets/js/ls.public.js"></script>
</head><body>
<div class="header"><a href="/">{esc(self.portal_name)}</a> <a href="/public/">信息公开</a></div>
{main}
<div class="footer"><a href="http://www.ah.gov.cn/" target="_blank">安徽省人民政府</a> | <a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<p>主办：{esc(self.portal_name)}办公室　网站标识码：{self.site_code}</p></div>
</body></html>"""


class LonsunPublic(LonsunSite):
    """An organ's 信息公开 column: /public/column/{organ}?type=4&catId={cat}&action=list (+ &pageIndex=N)."""
    page_size = 15
    organ = 0
    cat = 0
    column_name = "政府信息公开年报"

    def column_url(self, page: int = 1) -> str:
        url = f"{self.base}/public/column/{self.organ}?type=4&catId={self.cat}&action=list"
        return url if page == 1 else f"{url}&pageIndex={page}"

    def report_url(self, report: Report) -> str:
        return f"{self.base}/public/{self.organ}/{report.doc_id}.html"

    def notice_url(self, notice: Notice) -> str:
        return f"{self.base}/public/{self.organ}/{notice.doc_id}.html"

    def list_path(self, column: str, index: int) -> str:
        return query_key(self.column_url(index + 1))

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        items = "\n".join(f'<li class="clearfix"><a href="{esc(e.url)}" class="title" title="{esc(e.title)}" target="_blank">'
                          f'{esc(e.title)}</a><span class="date">{day(e.published)}</span></li>' for e in entries)
        count = self.list_count
        main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/public/column/{self.organ}?type=4&amp;action=list">信息公开</a> &gt; {self.column_name}</div>
<div class="xxgk_list"><ul class="clearfix xxgk_nav_list">
{items}
</ul>
<div id="page_public_info" class="pagination">共{count}条 共{total}页</div>
<script type="text/javascript">
Ls.pageInfo({{ pageCount: {total}, pageIndex: {index + 1}, pageSize: {self.page_size}, total: {count},
  url: '/public/column/{self.organ}?type=4&catId={self.cat}&action=list&pageIndex=' , target: 'page_public_info' }});
</script></div>"""
        return self.chrome(f"{self.column_name}_{self.site_name}", main, self.site_meta(self.column_name))

    def list_pages(self, column: str, entries: list[Entry]) -> dict:
        self.list_count = len(entries)
        return super().list_pages(column, entries)

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        m = r.meta or {}
        metas = self.detail_meta(r, self.column_name, r.publisher or r.agency_name)
        body = self.body_with_attachments(r)
        main = f"""<div class="xxgk_detail"><table class="table_suoyin" cellspacing="0" cellpadding="0" border="0">
<tr><th>索<span style="padding-left:0.5em"></span>引<span style="padding-left:0.5em"></span>号：</th><td>{esc(r.index_no or "")}</td><th>组配分类：</th><td>{esc(m.get("组配分类", "政府信息公开年报"))}</td></tr>
<tr><th>发布机构：</th><td>{esc(r.publisher or r.agency_name)}</td><th>发文日期：</th><td>{day(r.published)}</td></tr>
<tr><th>文<span style="padding-left:2em"></span>号：</th><td>{esc(r.doc_no or "")}</td><th>关键词：</th><td>政府信息公开年报</td></tr>
<tr><th>名<span style="padding-left:2em"></span>称：</th><td colspan="3">{esc(r.title)}</td></tr>
</table>
<h1 class="newstitle">{esc(r.title)}</h1>
<div class="newsinfo">发布时间：{esc(r.published)}　来源：{esc(r.publisher or r.agency_name)}　浏览次数：<span id="hits"></span></div>
<div class="j-fontContent">
{body}
</div></div>"""
        return f"{r.title}_{self.site_name}", main, metas


class HuoshanZjj(LonsunPublic):
    """霍山县住房和城乡建设局 on the county portal: /public/6597781/... (seen), column id = the organ (inferred)."""
    family = "lonsun"
    hosts = ("www.ahhuoshan.gov.cn",)
    agency_prefixes = ("huoshan_zjj",)
    site_name = "霍山县住房和城乡建设局"
    portal_name = "霍山县人民政府"
    site_code = "3415250001"
    filler_agency = "huoshan_zjj"
    organ = 6597781
    cat = 7079641
    synthetic = [Agency("huoshan_zjj", "霍山县住房和城乡建设局", range(2019, 2025), "small", "我局", "11341525003142619Q",
                        "霍山县住房和城乡建设局", TIME)]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        soft = f"{self.base}/public/{self.organ}/30011202.html"
        columns.setdefault("", []).append(Entry("霍山县住房和城乡建设局2018年政府信息公开工作年度报告", soft, "2019-03-15 09:00"))
        self.specials["soft_404"] = [soft]
        self.specials["offsite"] = ["http://www.ah.gov.cn/", "http://www.gov.cn/"]
        return {(self.host, url_path(soft)): Resource(soft_404_page(self.portal_name), validators=False)}


class TianchangZjj(LonsunPublic):
    """天长市住房和城乡建设局 on the city portal: https, /public/161054591/... (seen)."""
    family = "lonsun"
    hosts = ("www.tianchang.gov.cn",)
    agency_prefixes = ("tianchang_zjj",)
    scheme = "https"
    site_name = "天长市住房和城乡建设局"
    portal_name = "天长市人民政府"
    site_code = "3411810003"
    filler_agency = "tianchang_zjj"
    organ = 161054591
    cat = 161055421
    synthetic = [Agency("tianchang_zjj", "天长市住房和城乡建设局", range(2019, 2025), "small", "我局", "11341181MB1A27553T",
                        "天长市住房和城乡建设局", TIME)]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        self.specials["offsite"] = ["http://www.ah.gov.cn/", "http://www.gov.cn/"]
        return {}


class XuanchengAnnual(LonsunSite):
    """宣城's portal: the XxgkAnnualReport module, every department of the portal in one list."""
    family = "lonsun"
    hosts = ("www.xuancheng.gov.cn",)
    agency_prefixes = ("xuancheng_",)
    page_size = 10
    site_name = "宣城市人民政府"
    portal_name = "宣城市人民政府"
    site_code = "3418000001"
    filler_agency = "xuancheng_portal"
    column_name = "政府信息公开工作年度报告"
    MIRROR = "http://www.xuancheng-gov.com.cn/XxgkAnnualReport/show/4536.html"
    synthetic = [
        Agency("xuancheng_zjj", "宣城市住房和城乡建设局", range(2019, 2025), "medium", "我局", None, "宣城市住房和城乡建设局", TIME),
        Agency("xuancheng_czj", "宣城市财政局", range(2021, 2024), "small", "我局", None, "宣城市财政局", TIME),
        Agency("xuancheng_jyj", "宣城市教育体育局", range(2021, 2024), "small", "我局", None, "宣城市教育体育局", TIME),
    ]

    def report_url(self, report: Report) -> str:
        return f"{self.base}/XxgkAnnualReport/show/{report.doc_id % 100000}.html"

    def notice_url(self, notice: Notice) -> str:
        return f"{self.base}/OpennessContent/show/{notice.doc_id}.html"

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        """A report-titled link to a mirror host (never to be followed); footers' off-site links."""
        columns.setdefault("", []).append(Entry("宣城市住房和城乡建设局2018年政府信息公开工作年度报告（转载）", self.MIRROR,
                                                "2019-02-01 10:00"))
        self.specials["offsite"] = [self.MIRROR, "http://www.ah.gov.cn/", "http://www.gov.cn/"]
        return {}

    def list_path(self, column: str, index: int) -> str:
        return "/XxgkAnnualReport/index.html" + ("" if index == 0 else f"?pageIndex={index + 1}")

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        page = index + 1
        rows = []
        for e in entries:
            who = getattr(e.item, "publisher", None) or getattr(e.item, "agency_name", None) or "宣城市人民政府"
            year = getattr(e.item, "year", "") if isinstance(e.item, Report) else ""
            href = url_path(e.url) if e.url.startswith(self.base) else e.url
            rows.append(f'<tr><td class="nbmc"><a href="{esc(href)}" target="_blank" title="{esc(e.title)}">{esc(e.title)}</a></td>'
                        f'<td>{esc(who)}</td><td>{year}</td><td>{day(e.published)}</td></tr>')

        def href(n: int) -> str:
            return "index.html" if n == 1 else f"index.html?pageIndex={n}"
        nums = " ".join(f"<span class='current'>{n}</span>" if n == page else f'<a href="{href(n)}">{n}</a>'
                        for n in range(max(1, page - 2), min(total, page + 2) + 1))
        pager = (f'<div class="pagination"><a href="{href(1)}">首页</a> <a href="{href(max(1, page - 1))}">上一页</a> {nums} '
                 f'<a href="{href(min(total, page + 1))}">下一页</a> <a href="{href(total)}">尾页</a> 共{total}页</div>')
        main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/public/">信息公开</a> &gt; {self.column_name}</div>
<table class="nb_list" width="100%">
<tr><th>年报名称</th><th>发布机构</th><th>年度</th><th>发布日期</th></tr>
{chr(10).join(rows)}
</table>
{pager}"""
        return self.chrome(f"{self.column_name}_{self.site_name}", main, self.site_meta(self.column_name))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, self.column_name, r.publisher or r.agency_name)
        body = self.body_with_attachments(r)
        main = f"""<div class="nb_detail"><h1 class="nb_title">{esc(r.title)}</h1>
<table class="nb_info"><tr><th>发布机构：</th><td>{esc(r.publisher or r.agency_name)}</td><th>年度：</th><td>{r.year}</td><th>发布日期：</th><td>{esc(r.published)}</td></tr></table>
<div class="nb_content">
{body}
</div></div>"""
        return f"{r.title}_{self.site_name}", main, metas
