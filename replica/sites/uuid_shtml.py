"""The UUID .shtml platform (vendor unknown; Jiangxi's county portals, Hainan's departments).

A column is a folder, on the Jiangxi sites named c{N} (赣县区 /gxqxxgk/c111299/); its first list page is
list.shtml (Hainan: index.shtml), further pages list_2.shtml, list_3.shtml ... The pager shows a window
of at most three page numbers around the current one and "共N页" (no 尾页 link): the total is read from
the text. Details {column}YYYYMM/{32 hex}.shtml (the month of publication, an id with no number in it).
Detail: head tags ArticleTitle / PubDate / ContentSource, then one line of spans 索引号 / 分类 / 发布机构 /
发文日期 / 文号 / 有效性, the title, the body in div#zoom. Attachments in {column}YYYYMM/P0{...}.pdf.
Hostility: 赣县区 lists its newest report twice (a 置顶 block above the list, the same URL); Hainan lists
a dead item (404). The list page names and the window are plausible, not verified (design/nationwide.md §2).
"""
from __future__ import annotations

import hashlib

from replica.content import synth
from replica.model import Notice, Report
from replica.sites.base import Entry, Site, day, esc, minute, url_path


def hex_id(slug: str, doc_id: int) -> str:
    return hashlib.md5(f"{slug}:{doc_id}".encode()).hexdigest()


class UuidShtmlSite(Site):
    family = "uuid_shtml"
    page_size = 10
    min_pages = 4
    column_dir = ""          # /gxqxxgk/c111299/
    first_page = "list"      # list.shtml, list_2.shtml ...
    column_name = "政府信息公开年度报告"
    pinned = False           # the newest report also in a 置顶 block

    def _url(self, published: str, slug: str, doc_id: int) -> str:
        return f"http://{self.host}{self.column_dir}{published[:4]}{published[5:7]}/{hex_id(slug, doc_id)}.shtml"

    def report_url(self, report: Report) -> str:
        return self._url(report.published, report.agency, report.doc_id)

    def notice_url(self, notice: Notice) -> str:
        return self._url(notice.published, notice.agency, notice.doc_id)

    def attachment_url(self, report: Report, filename: str) -> str:
        return f"http://{self.host}{self.column_dir}{report.published[:4]}{report.published[5:7]}/{filename}"

    def list_path(self, column: str, index: int) -> str:
        return f"{self.column_dir}{self.first_page}{'' if index == 0 else f'_{index + 1}'}.shtml"

    def pager(self, current: int, total: int) -> str:
        """A window of page numbers around the current page, and 共N页 (no 尾页)."""
        def name(i: int) -> str:
            return f"{self.first_page}{'' if i == 0 else f'_{i + 1}'}.shtml"
        parts = []
        if current > 0:
            parts.append(f'<a href="{name(current - 1)}">上一页</a>')
        for i in range(max(0, current - 1), min(total, current + 2)):
            parts.append(f"<span class=\"cur\">{i + 1}</span>" if i == current else f'<a href="{name(i)}">{i + 1}</a>')
        if current < total - 1:
            parts.append(f'<a href="{name(current + 1)}">下一页</a>')
        return f'<div class="page">{" ".join(parts)} <span>共{total}页</span></div>'

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        def li(e: Entry) -> str:
            rel = url_path(e.url)[len(self.column_dir):]
            return (f'<li><a href="./{esc(rel)}" target="_blank" title="{esc(e.title)}">{esc(e.title)}</a>'
                    f'<span class="date">{day(e.published)}</span></li>')
        top = ""
        if self.pinned and index == 0:
            newest = max((e for e in entries if isinstance(e.item, Report)), key=lambda e: e.published, default=None)
            if newest is not None:
                top = f'<div class="zd"><span>置顶</span><ul>{li(newest)}</ul></div>\n'
        main = f"""<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="../">政府信息公开</a> &gt; {self.column_name}</div>
{top}<div class="list"><ul>
{"".join(li(e) for e in entries)}
</ul>
{self.pager(index, total)}</div>"""
        return self.chrome(f"{self.column_name}_{self.site_name}", main, self.site_meta(self.column_name))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.site_meta(self.column_name, {"ArticleTitle": r.title, "PubDate": minute(r.published),
                                                  "ContentSource": r.publisher or r.agency_name})
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="xxgk-info"><span>索引号：{esc(r.index_no or "")}</span> <span>分类：年度报告</span> <span>发布机构：{esc(r.publisher or r.agency_name)}</span> <span>发文日期：{esc(r.published)}</span> <span>文号：</span> <span>有效性：有效</span></div>
<h1 class="title">{esc(r.title)}</h1>
<div class="tools">【字体：<a href="javascript:setFontSize(18)">大</a> <a href="javascript:setFontSize(16)">中</a> <a href="javascript:setFontSize(14)">小</a>】</div>
<div id="zoom" class="article">
{body}
</div>"""
        return f"{r.title}_{self.site_name}", main, metas

    def notice_html(self, n: Notice) -> tuple[str, str]:
        return (f"{n.title}_{self.site_name}",
                f'<h1 class="title">{esc(n.title)}</h1><div class="info">发布时间：{esc(n.published)}</div>'
                f'<div id="zoom">{n.body_html}</div>')

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
</head><body>
<div class="header"><a href="/">{esc(self.site_name)}</a></div>
{main}
<div class="footer"><a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<p>主办：{esc(self.site_name)}　网站标识码：{self.site_code}</p></div>
</body></html>"""


class UuidGanxian(UuidShtmlSite):
    """赣州市赣县区 portal: the c111299 column; the newest report pinned above the list."""
    hosts = ("www.ganxian.gov.cn",)
    agency_prefixes = ("ganxian_zjj",)
    column_dir = "/gxqxxgk/c111299/"
    site_name = "赣州市赣县区人民政府"
    site_code = "3607040001"
    filler_agency = "ganxian_zjj"
    pinned = True
    synthetic = [synth.Agency("ganxian_zjj", "赣州市赣县区住房和城乡建设局", range(2020, 2025), "small", "我局",
                              "11360721014579234E", "赣州市赣县区住房和城乡建设局")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        self.specials["offsite"] = ["http://www.gov.cn/"]
        return {}


class UuidHainanZjt(UuidShtmlSite):
    """海南省住房和城乡建设厅: index.shtml, index_2.shtml ...; a dead item in the column."""
    hosts = ("zjt.hainan.gov.cn",)
    agency_prefixes = ("hainan_zjt",)
    column_dir = "/szjt/zfxxgkndbg/"
    first_page = "index"
    site_name = "海南省住房和城乡建设厅"
    site_code = "4600000031"
    filler_agency = "hainan_zjt"
    synthetic = [synth.Agency("hainan_zjt", "海南省住房和城乡建设厅", range(2020, 2025), "medium", "我厅",
                              "00817264-5", "海南省住房和城乡建设厅")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        dead = f"http://{self.host}{self.column_dir}201903/3b0a6f1c9e2d4f7a8b5c6d7e8f901234.shtml"
        columns.setdefault("", []).append(
            Entry("海南省住房和城乡建设厅2018年政府信息公开工作年度报告", dead, "2019-03-20 16:05:00"))
        self.specials["dead"] = [dead]
        self.specials["offsite"] = ["http://www.gov.cn/"]
        return {}
