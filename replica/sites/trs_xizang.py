"""Xizang regional portal (TRS): www.xizang.gov.cn.

/zwgk/xxgk_424/xxgknb/ lists one sub-column per report year (2014nb/ ...); each year's column holds the
reports of all regional departments for that year (and notices): index.html, then index_1.html,
index_2.html (0-based suffix = pages 2, 3), 10 per page, with a createPageHTML pager and 共N页 text.
Detail {YYYY}nb/YYYYMM/tYYYYMMDD_{id}.html starts with the three-row table
标 题 | title; 索引号 | … | 文 号 | …; 发布机构 | … | 发布日期 | …; then 时间: … 来源: …; then the body
(div.TRS_Editor). Reports published since Nov 2020 also link to the department's own site
zjt.xizang.gov.cn (off-domain). Hostility: one soft-404 item in a year column.
"""
from __future__ import annotations

from replica.model import Notice, Report
from replica.sites.base import Entry, Resource, Site, day, esc, soft_404_page, url_path

HOST = "www.xizang.gov.cn"
ROOT = "/zwgk/xxgk_424/xxgknb/"
SITE_NAME = "西藏自治区人民政府"
DEPT_SITE = "http://zjt.xizang.gov.cn"


class XizangPortal(Site):
    family = "trs_xizang"
    hosts = (HOST,)
    agency_prefixes = ("xizang_",)
    page_size = 10
    site_name = SITE_NAME
    site_code = "5400000010"

    @staticmethod
    def column(year: int) -> str:
        return f"{ROOT}{year}nb/"

    def report_url(self, report: Report) -> str:
        return f"http://{HOST}{self.column(report.year)}{report.url_date[:6]}/t{report.url_date}_{report.doc_id}.html"

    def notice_year(self, notice: Notice) -> int:
        return int(notice.published[:4]) - 1

    def notice_url(self, notice: Notice, year: int | None = None) -> str:
        year = year or self.notice_year(notice)
        return f"http://{HOST}{self.column(year)}{notice.url_date[:6]}/t{notice.url_date}_{notice.doc_id}.html"

    def column_of(self, item: Report | Notice) -> str:
        """One sub-column per report year; a notice goes with the year before its publication."""
        return str(item.year if isinstance(item, Report) else self.notice_year(item))

    def pad_column(self, column: str, entries: list[Entry]) -> list[Entry]:
        year = int(column)
        return self.pad(entries, f"xizang_{year}", lambda n: self.notice_url(n, year), column=column)

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        """A soft-404 item in the oldest year column (2013 where there is one); the year index page."""
        out: dict = {}
        years = [int(c) for c in columns]
        soft_year = 2013 if 2013 in years else min(years, default=2013)
        soft = f"http://{HOST}{self.column(soft_year)}201404/t20140410_1101.html"
        title = f"西藏自治区住房和城乡建设厅{soft_year}年政府信息公开工作年度报告"
        columns.setdefault(str(soft_year), []).append(Entry(title, soft, f"{soft_year + 1}-04-10 10:00:00"))
        out[(HOST, url_path(soft))] = Resource(soft_404_page(SITE_NAME), validators=False)
        self.specials["soft_404"] = [soft]
        self.specials["offsite"] = ["http://www.gov.cn/", DEPT_SITE + "/"]
        years = sorted((int(c) for c in columns), reverse=True)
        out[(HOST, ROOT + "index.html")] = Resource(self.root_page(years).encode("utf-8"))
        return out

    # --- pages --------------------------------------------------------------------------------
    def root_page(self, years: list[int]) -> str:
        items = "\n".join(f'<li><a href="./{y}nb/">{y}年度政府信息公开工作年度报告</a></li>' for y in years)
        main = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报'
                f'</div>\n<div class="nb-years"><ul>\n{items}\n</ul></div>')
        return self.chrome(f"政府信息公开年报_{SITE_NAME}", main, self.site_meta("政府信息公开年报"))

    def list_path(self, column: str, index: int) -> str:
        return self.column(int(column)) + ("index.html" if index == 0 else f"index_{index}.html")

    def list_page(self, column: str, entries: list[Entry], current: int, total: int) -> str:
        year = int(column)
        items = "\n".join(f'<li><a href="./{esc(e.url.split(self.column(year), 1)[1])}" target="_blank" '
                          f'title="{esc(e.title)}">{esc(e.title)}</a><span>{day(e.published)}</span></li>'
                          for e in entries)
        main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="{ROOT}">政府信息公开年报</a> &gt; {year}年</div>
<div class="zwgk-list"><ul>
{items}
</ul>
<div class="page">共{total}页 <script>
function createPageHTML(n, c, name, ext) {{ if (n <= 1) return; var h = "";
 for (var i = 0; i < n; i++) {{ var u = i == 0 ? name + "." + ext : name + "_" + i + "." + ext;
  h += i == c ? "<span>" + (i + 1) + "</span> " : "<a href='" + u + "'>" + (i + 1) + "</a> "; }}
 document.write(h); }}
createPageHTML({total}, {current}, "index", "html");
</script></div></div>"""
        return self.chrome(f"{year}年_{SITE_NAME}", main, self.site_meta(f"{year}nb"))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, f"{r.year}nb", r.publisher or r.agency_name)
        dept = ""
        if r.agency == "xizang_zjt" and r.published[:7] >= "2020-11":
            dept = (f'<p class="ly">本报告同时在<a href="{DEPT_SITE}/xxgk/ndbg/" target="_blank">'
                    f'西藏自治区住房和城乡建设厅网站</a>发布。</p>')
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="xxgk-info"><table class="table_xxgk" width="100%" border="1" cellspacing="0">
<tr><td class="td1">标 题</td><td colspan="3">{esc(r.title)}</td></tr>
<tr><td class="td1">索引号</td><td>{esc(r.index_no or "")}</td><td class="td1">文 号</td><td>{esc(r.doc_no or "")}</td></tr>
<tr><td class="td1">发布机构</td><td>{esc(r.publisher or r.agency_name)}</td><td class="td1">发布日期</td><td>{esc(r.published)}</td></tr>
</table></div>
<div class="toolbar">时间: {esc(r.published)} 来源: {esc(r.publisher or r.agency_name)} 【字号：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】 <a href="javascript:window.print()">打印</a></div>
<div class="article-content"><div class="TRS_Editor">
{body}
</div>{dept}</div>"""
        return f"{r.title}_{SITE_NAME}", main, metas

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="toolbar">时间: {esc(n.published)}</div><h1>{esc(n.title)}</h1>'
                f'<div class="article-content"><div class="TRS_Editor">{n.body_html}</div></div>')
        return f"{n.title}_{SITE_NAME}", main

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
</head><body>
<div class="header"><a href="/">{SITE_NAME}</a></div>
{main}
<div class="footer"><a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<p>主办：西藏自治区人民政府办公厅　网站标识码：{self.site_code}</p></div>
</body></html>"""
