"""Guangxi housing department on Guangxi's shared TRS platform: zjt.gxzf.gov.cn, plus a spam mirror host.

Column /zfxxgk/zfxxgknb/index.shtml, then index-2.shtml, index-3.shtml ... (hyphen, 1-based).
Detail /zfxxgk/zfxxgknb/t{docId}.shtml (no date in the URL; the 2014 report is t6908860.shtml): the title,
one line 发布日期: YYYY-MM-DD HH:MM, a 简体版/繁体版 switch (script links), body div.TRS_Editor.
Reports marked GBK are served as GBK, half of them with no charset declaration anywhere.
Hostility: one listed item whose page was removed (hard 404). The mirror host (MIRROR_HOST) serves the
corpus's Traditional+pinyin mirror copy; the column links nothing there, but the 2017 report page's
转载 note does (an off-domain link spiders must not follow).
"""
from __future__ import annotations

from replica.model import Notice, Report
from replica.sites.base import Entry, Resource, Site, day, esc, minute

HOST = "zjt.gxzf.gov.cn"
MIRROR_HOST = "www.gxzf-mirror.com.cn"
COLUMN = "/zfxxgk/zfxxgknb/"
SITE_NAME = "广西壮族自治区住房和城乡建设厅"
COLUMN_NAME = "政府信息公开年报"
KNOWN_IDS = {("guangxi_zjt", 2014): 6908860}   # confirmed URL (sites.md)


class GuangxiTRS(Site):
    family = "trs_guangxi"
    hosts = (HOST, MIRROR_HOST)
    agency_prefixes = ("guangxi_",)
    page_size = 15
    site_name = SITE_NAME
    site_code = "4500000036"
    filler_agency = "guangxi_zjt"

    def __init__(self, seed: int = 2024):
        super().__init__(seed)
        self.mirror_pages: list[tuple[str, str]] = []

    def add_mirror_pages(self, pages: list[tuple[str, str]]) -> None:
        self.mirror_pages = pages

    def report_url(self, report: Report) -> str:
        doc_id = KNOWN_IDS.get((report.agency, report.year), report.doc_id)
        return f"http://{HOST}{COLUMN}t{doc_id}.shtml"

    def notice_url(self, notice: Notice) -> str:
        return f"http://{HOST}{COLUMN}t{notice.doc_id}.shtml"

    def attachment_url(self, report: Report, filename: str) -> str:
        return f"http://{HOST}{COLUMN}{report.url_date[:6]}/{filename}"

    def mirror_urls(self) -> list[str]:
        return [f"http://{MIRROR_HOST}{p if p.startswith('/') else '/' + p}" for p, _ in self.mirror_pages]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        """A dead (404) item, and the mirror host's pages."""
        out: dict = {}
        dead = f"http://{HOST}{COLUMN}t1288342.shtml"
        columns.setdefault("", []).append(
            Entry("广西壮族自治区住房和城乡建设厅2008年政府信息公开工作年度报告", dead, "2009-03-30 10:00:00"))
        self.specials["dead"] = [dead]
        self.specials["mirror"] = self.mirror_urls()
        self.specials["offsite"] = ["http://www.gov.cn/", "http://www.gxzf.gov.cn/", *self.mirror_urls()[:1]]
        for path, page in self.mirror_pages:
            path = path if path.startswith("/") else "/" + path
            out[(MIRROR_HOST, path)] = Resource(page.encode("utf-8"))
        if self.mirror_pages:
            links = "".join(f'<li><a href="{esc(p)}">{esc(p)}</a></li>' for p, _ in self.mirror_pages)
            out[(MIRROR_HOST, "/")] = Resource(f"<html><body><ul>{links}</ul></body></html>".encode("utf-8"))
        return out

    # --- pages --------------------------------------------------------------------------------
    def list_path(self, column: str, index: int) -> str:
        return COLUMN + _list_name(index + 1)

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        page, name = index + 1, _list_name   # 1-based page numbers, like the file names
        items = "\n".join(f'<li><a href="./{esc(e.url.rsplit("/", 1)[1])}" target="_blank" title="{esc(e.title)}">'
                          f'{esc(e.title)}</a><span class="date">{day(e.published)}</span></li>' for e in entries)
        nums = " ".join(f"<span>{i}</span>" if i == page else f'<a href="{name(i)}">{i}</a>' for i in range(1, total + 1))
        pager = (f'<div class="pagination"><a href="{name(1)}">首页</a> <a href="{name(max(1, page - 1))}">上一页</a> '
                 f'{nums} <a href="{name(min(total, page + 1))}">下一页</a> <a href="{name(total)}">尾页</a> '
                 f'<span>共{total}页</span></div>')
        main = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; '
                f'{COLUMN_NAME}</div>\n<div class="more-list"><ul>\n{items}\n</ul>\n{pager}</div>')
        return self.chrome(f"{COLUMN_NAME}-{SITE_NAME}", main, self.site_meta(COLUMN_NAME))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, COLUMN_NAME, r.agency_name)
        note = ""
        if r.year == 2017 and self.mirror_pages:
            note = f'<p class="zz">（本文被<a href="{esc(self.mirror_urls()[0])}">政务公开网</a>转载）</p>'
        body = self.body_with_attachments(r, relative_to=f"http://{HOST}{COLUMN}")
        main = f"""<div class="article">
<h1>{esc(r.title)}</h1>
<div class="article-inf"><span>发布日期: {minute(r.published)}</span>
<span class="switch"><a href="javascript:zh_tran('s');">简体版</a> <a href="javascript:zh_tran('t');">繁体版</a></span>
<span>【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span></div>
<div class="article-con"><div class="TRS_Editor">
{body}
</div></div>
{note}
<div class="share">分享到：<a href="http://service.weibo.com/share/share.php?url={esc(r.url)}">微博</a></div>
</div>"""
        return f"{r.title}-{SITE_NAME}", main, metas

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="article"><h1>{esc(n.title)}</h1><div class="article-inf"><span>发布日期: '
                f'{minute(n.published)}</span></div><div class="article-con"><div class="TRS_Editor">{n.body_html}'
                f'</div></div></div>')
        return f"{n.title}-{SITE_NAME}", main

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
<script src="/images/zh_tran.js"></script>
</head><body>
<div class="header"><a href="/">{SITE_NAME}</a> <a href="http://www.gxzf.gov.cn/">广西壮族自治区人民政府门户网站</a></div>
{main}
<div class="footer"><a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<p>主办：{SITE_NAME}　网站标识码：{self.site_code}　桂ICP备05004438号</p></div>
</body></html>"""


def _list_name(page: int) -> str:
    """index.shtml, index-2.shtml, index-3.shtml ... (1-based, hyphen)."""
    return "index.shtml" if page == 1 else f"index-{page}.shtml"
