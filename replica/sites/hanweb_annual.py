"""Hanweb 信息公开 module's annual-report endpoint, on four hosts (family hanweb_annual):
js.dl.gov.cn (大连市住建局, its own site), jsszfhcxjst.jiangsu.gov.cn (江苏省住建厅, its own site, entered at
subjectinfo.jsp?area=014000052), liangshan.gov.cn (梁山县 portal) and www.yanzhou.gov.cn (兖州区 portal).

/module/xxgk/xxgkAnnualReport.jsp?area={orgCode}&fbtime={YYYY} answers one agency-year report directly
(the URL shape is confirmed, design/nationwide.md): the xxgk table (索引号 = orgCode/YYYY-NNNNN, 发布机构,
生成日期, 公开方式), the title, a 发布日期 line, a year <select> (script navigation, no links) and the body
in div#zoom; attachments through /module/download/downfile.jsp?classid=0&filename=… A year (or area) with
no report answers 200 with the same page around 「暂无该年度政府信息公开工作年度报告」 [inferred].
Parameter order does not matter (resource_key); the endpoint's static answers carry validators.

/module/xxgk/tree.jsp (any query) is the module's tree [shape inferred: dTree `d.add(id, parent, label,
url)` calls]: on a portal it lists the portal's organisations with their org codes (the housing bureau among
a dozen others), on an org's own site that org's disclosure categories (one of them 年度报告). Nothing else
lists the reports: the crawler iterates years.
"""
from __future__ import annotations

from urllib.parse import quote

from replica.content.synth import Agency
from replica.model import Notice, Report
from replica.sites.base import Entry, Request, Resource, Response, Site, day, epoch, esc, minute, url_path

ENDPOINT = "/module/xxgk/xxgkAnnualReport.jsp"
TREE = "/module/xxgk/tree.jsp"
SUBJECT = "/module/xxgk/subjectinfo.jsp"   # the module's entry page (江苏省住建厅's, confirmed)
DOWNFILE = "/module/download/downfile.jsp"
NO_REPORT = "暂无该年度政府信息公开工作年度报告"


class HanwebAnnualSite(Site):
    """One host of the endpoint. Subclasses: hosts, scheme, the agency (slug, org code), the tree."""
    family = "hanweb_annual"
    etag_style = "tomcat"
    scheme = "http"
    area = ""
    column_id = 0
    portal = False                   # the tree lists organisations (True) or the org's categories
    tree_orgs: tuple[tuple[str, str], ...] = ()   # other organisations of a portal's tree (code, label)
    tree_label = ""                  # the agency's label in a portal's tree

    def __init__(self, seed: int = 2024):
        super().__init__(seed)
        self.keys: set[str] = set()

    # --- URLs ---------------------------------------------------------------------------------
    def endpoint(self, area: str, year) -> str:
        return f"{ENDPOINT}?area={area}&fbtime={year}"

    def report_url(self, report: Report) -> str:
        return f"{self.scheme}://{self.host}{self.endpoint(self.area, report.year)}"

    def notice_url(self, notice: Notice) -> str:
        d = notice.url_date
        return f"{self.scheme}://{self.host}/art/{int(d[:4])}/{int(d[4:6])}/{int(d[6:])}/art_{self.column_id}_{notice.doc_id}.html"

    def attachment_url(self, report: Report, filename: str) -> str:
        return f"{self.scheme}://{self.host}{DOWNFILE}?classid=0&filename={quote(filename)}"

    def https_linked(self, report: Report) -> bool:
        return self.scheme == "https"

    def attachment_headers(self, filename: str) -> list[tuple[str, str]]:
        return [("Content-Disposition", f'attachment; filename="{quote(filename)}"')]

    def attachment_resources(self, report: Report) -> dict:
        return {(self.host, f"{DOWNFILE}?filename={att.filename}"):
                Resource(att.data, att.mime, mtime=epoch(report.published), headers=self.attachment_headers(att.filename))
                for att in report.attachments}

    def resource_key(self, req: Request):
        if req.path == ENDPOINT:
            return (self.host, self.endpoint(req.param("area", ""), req.param("fbtime", "")))
        if req.path == DOWNFILE:
            return (self.host, f"{DOWNFILE}?filename={req.param('filename', '')}")
        if req.path in (TREE, SUBJECT):
            return (self.host, req.path)
        return None

    def dynamic(self, req: Request) -> Response | None:
        """A year (or org) without a report: the module's page with its 暂无 line, HTTP 200."""
        if req.path != ENDPOINT or self.endpoint(req.param("area", ""), req.param("fbtime", "")) in self.keys:
            return None
        year = req.param("fbtime", "") or ""
        main = (f'<div class="nb-year">{self.year_select(year)}</div>\n'
                f'<div class="nb-empty"><p>{NO_REPORT}</p></div>')
        return Response(200, self.chrome(f"政府信息公开年度报告 {self.site_name}", main).encode("utf-8"),
                        [("Content-Type", "text/html;charset=UTF-8")])

    # --- the skeleton's hooks -----------------------------------------------------------------
    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        self.keys = {url_path(r.url) for r in self.reports}
        self.specials["offsite"] = ["http://www.gov.cn/"]
        return {}

    def pad_column(self, column: str, entries: list[Entry]) -> list[Entry]:
        return entries   # no column lists the reports: no filler needed

    def list_pages(self, column: str, entries: list[Entry]) -> dict:
        """The tree.jsp page and the subjectinfo.jsp entry (the module's pages that are not reports)."""
        return {(self.host, TREE): Resource(self.tree_page().encode("utf-8"), validators=False),
                (self.host, SUBJECT): Resource(self.subject_page().encode("utf-8"), validators=False)}

    def subject_page(self) -> str:
        """The entry: the tree in an iframe beside the search form of the catalogue (no report links)."""
        main = f"""<div class="xxgk-left"><iframe src="{TREE}?area={self.area}&amp;divid=div4&amp;standardXxgk=1" width="230" height="600" frameborder="0"></iframe></div>
<div class="xxgk-right" id="div4"><form action="/module/xxgk/search.jsp" method="post"><input type="hidden" name="area" value="{self.area}">
标题：<input name="vc_title"> 文号：<input name="vc_filenumber"> <input type="submit" value="查询"></form></div>"""
        return self.chrome(f"政府信息公开目录 {self.site_name}", main)

    def tree_page(self) -> str:
        nodes = ["d.add('0','-1','政府信息公开目录','javascript:void(0);');"]
        if self.portal:
            orgs = [*self.tree_orgs[:4], (self.area, self.tree_label), *self.tree_orgs[4:]]
            for code, label in orgs:
                nodes.append(f"d.add('{code}','0','{label}',\"javascript:changeArea('{code}');\");")
        else:
            for i, label in enumerate(["机构职能", "法规文件", "规划计划", "财政资金", "政府信息公开指南",
                                       "政府信息公开制度", "政府信息公开年度报告"], 1):
                nodes.append(f"d.add('{self.area[:4]}{i:03d}','0','{label}',\"javascript:funclick('{i:03d}');\");")
        script = "\n".join(nodes)
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>信息公开目录</title>
<link rel="StyleSheet" href="/module/xxgk/dtree.css" type="text/css"><script src="/module/xxgk/dtree.js"></script></head>
<body><div class="dtree"><script type="text/javascript">
d = new dTree('d', '/module/xxgk/images/');
{script}
document.write(d);
</script></div></body></html>"""

    def year_select(self, current: str) -> str:
        years = sorted({r.year for r in self.reports} | ({int(current)} if current.isdigit() else set()), reverse=True)
        opts = "".join(f'<option value="{y}"{" selected" if str(y) == current else ""}>{y}年</option>' for y in years)
        return (f'年度：<select id="fbtime" onchange="location.href=\'{ENDPOINT}?area={self.area}&amp;fbtime=\'+this.value">'
                f"{opts}</select>")

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        body = self.body_with_attachments(r)
        main = f"""<div class="nb-year">{self.year_select(str(r.year))}</div>
<div class="xxgk_table"><table width="100%" border="0" cellspacing="0" cellpadding="0">
<tr><td class="bt">索 引 号：</td><td>{esc(r.index_no or "")}</td><td class="bt">公开方式：</td><td>主动公开</td></tr>
<tr><td class="bt">发布机构：</td><td>{esc(r.publisher or r.agency_name)}</td><td class="bt">生成日期：</td><td>{day(r.published)}</td></tr>
</table></div>
<div class="article"><div class="title">{esc(r.title)}</div>
<div class="info">发布日期：{minute(r.published)}</div>
<div id="zoom">
{body}
</div></div>"""
        return f"{r.title} {self.site_name}", main, self.detail_meta(r, "政府信息公开年度报告", r.publisher)

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="article"><div class="title">{esc(n.title)}</div>'
                f'<div class="info">发布日期：{minute(n.published)}</div><div id="zoom">{n.body_html}</div></div>')
        return f"{n.title} {self.site_name}", main

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
</head><body>
<div class="top"><a href="/">{esc(self.site_name)}</a> &gt; <a href="/col/col{self.column_id}/index.html">政府信息公开</a> &gt; 政府信息公开年度报告</div>
{main}
<div class="footer"><a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<p>主办单位：{esc(self.site_name)}　网站标识码：{self.site_code}</p></div>
</body></html>"""


class DalianAnnual(HanwebAnnualSite):
    """大连市住房和城乡建设局's own site (https, as the research saw it); the tree is its categories."""
    hosts = ("js.dl.gov.cn",)
    scheme = "https"
    agency_prefixes = ("dalian_zjj",)
    area = "2102000066"
    column_id = 5563
    site_name = "大连市住房和城乡建设局"
    site_code = "2102000066"
    synthetic = [Agency("dalian_zjj", "大连市住房和城乡建设局", range(2020, 2026), "medium", "我局", "2102000066",
                        "大连市住房和城乡建设局", "%Y-%m-%d %H:%M")]


class JiangsuAnnual(HanwebAnnualSite):
    """江苏省住房和城乡建设厅: the registry starts at the module's entry, subjectinfo.jsp?area=014000052."""
    hosts = ("jsszfhcxjst.jiangsu.gov.cn",)
    scheme = "https"
    agency_prefixes = ("jiangsu_zjt",)
    area = "014000052"
    column_id = 80581
    site_name = "江苏省住房和城乡建设厅"
    site_code = "3200000041"
    synthetic = [Agency("jiangsu_zjt", "江苏省住房和城乡建设厅", range(2021, 2026), "large", "我厅", "014000052",
                        "江苏省住房和城乡建设厅", "%Y-%m-%d %H:%M")]


class LiangshanAnnual(HanwebAnnualSite):
    """梁山县 portal: the tree lists the county's organisations; 2025's report not yet out."""
    hosts = ("liangshan.gov.cn",)
    agency_prefixes = ("liangshan_zjj",)
    area = "11370832MB2799274T"
    column_id = 41280
    portal = True
    tree_label = "梁山县住房和城乡建设局"
    tree_orgs = (("11370832004310105X", "梁山县人民政府办公室"), ("113708320043101412", "梁山县发展和改革局"),
                 ("11370832004310272K", "梁山县教育和体育局"), ("11370832MB28562951", "梁山县自然资源和规划局"),
                 ("113708320043104883", "梁山县住房保障服务中心"), ("11370832004310683D", "梁山县交通运输局"))
    site_name = "梁山县人民政府"
    site_code = "3708320001"
    synthetic = [Agency("liangshan_zjj", "梁山县住房和城乡建设局", range(2019, 2025), "small", "我局",
                        "11370832MB2799274T", "梁山县住房和城乡建设局", "%Y-%m-%d %H:%M")]


class YanzhouAnnual(HanwebAnnualSite):
    """兖州区 portal: the tree names the bureau without the city (兖州区住房和城乡建设局)."""
    hosts = ("www.yanzhou.gov.cn",)
    agency_prefixes = ("yanzhou_zjj",)
    area = "11370812004322488Q"
    column_id = 28017
    portal = True
    tree_label = "兖州区住房和城乡建设局"
    tree_orgs = (("113708120043221045", "兖州区人民政府办公室"), ("11370812004322250Y", "兖州区发展和改革局"),
                 ("11370812MB2836411P", "兖州区城市管理局"), ("113708120043224358", "兖州区财政局"),
                 ("11370812004322541C", "兖州区自然资源局"))
    site_name = "济宁市兖州区人民政府"
    site_code = "3708120002"
    synthetic = [Agency("yanzhou_zjj", "济宁市兖州区住房和城乡建设局", range(2016, 2021), "small", "我局",
                        "11370812004322488Q", "济宁市兖州区住房和城乡建设局", "%Y-%m-%d %H:%M")]
