"""Hunan provincial portal (TRS on Hunan's shared platform): www.hunan.gov.cn.

Column /hnszf/xxgk/zfxxgknb/szbm_97944/ lists every provincial department's reports (and notices),
newest first, 20 per page: index.html, index_2.html, index_3.html ... (1-based suffix); the total is
in the 尾页 (last page) link. Some list cells are written by inline document.write(...).
Detail YYYYMM/tYYYYMMDD_{id}.html: title, the one line 索引号:… 公开方式:政府网站 发文日期:…, the date
again, body in div.TRS_PreAppend, then page chrome (打印 收藏 关闭本页, a visit counter script).
Attachments sit beside the page: YYYYMM/P0{id}.pdf, linked as ./P0….pdf.
Hostility: robots.txt disallows /search/ (linked from every page); one linked soft-404 item; one
report listed under its pre-migration URL that answers 301 to the current one.
"""
from __future__ import annotations

import zlib

from replica.model import Notice, Report
from replica.sites.base import Entry, Resource, Site, day, esc, minute, soft_404_page, url_path

HOST = "www.hunan.gov.cn"
COLUMN = "/hnszf/xxgk/zfxxgknb/szbm_97944/"
SITE_NAME = "湖南省人民政府门户网站"
COLUMN_NAME = "部门政府信息公开年报"
ROBOTS = "User-agent: *\nDisallow: /search/\nDisallow: /hnszf/search/\n"


class HunanPortal(Site):
    family = "trs_hunan"
    hosts = (HOST,)
    agency_prefixes = ("hunan_",)
    page_size = 20
    site_name = SITE_NAME
    site_code = "4300000063"
    filler_agency = "hunan_portal"

    def report_url(self, report: Report) -> str:
        return f"http://{HOST}{COLUMN}{report.url_date[:6]}/t{report.url_date}_{report.doc_id}.html"

    def notice_url(self, notice: Notice) -> str:
        return f"http://{HOST}{COLUMN}{notice.url_date[:6]}/t{notice.url_date}_{notice.doc_id}.html"

    def _moved(self) -> Report | None:
        """The report listed under its old URL: hunan_zjt's oldest non-seed report."""
        own = sorted((r for r in self.reports if r.agency == "hunan_zjt" and not r.seed), key=lambda r: r.year)
        return own[0] if own else None

    def old_url(self, report: Report) -> str:
        return f"http://{HOST}/xxgk/szbm/zfxxgknb/{report.url_date[:6]}/t{report.url_date}_{report.doc_id}.html"

    def listed_url(self, report: Report) -> str:
        return self.old_url(report) if report is self._moved() else report.url

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        """The moved report's old URL (301), a soft-404 item, robots.txt and the home page."""
        out: dict = {}
        moved = self._moved()
        if moved is not None:
            out[(HOST, url_path(self.old_url(moved)))] = Resource(b"", status=301, headers=[("Location", moved.url)])
            self.specials["moved"] = [self.old_url(moved)]
        soft = f"http://{HOST}{COLUMN}201104/t20110412_1001.html"
        columns.setdefault("", []).append(Entry("湖南省住房和城乡建设厅2008年度政府信息公开工作报告", soft, "2011-04-12 09:00:00"))
        out[(HOST, url_path(soft))] = Resource(soft_404_page(SITE_NAME), validators=False)
        self.specials["soft_404"] = [soft]
        self.specials["offsite"] = ["http://www.gov.cn/", "http://service.weibo.com/share/share.php"]
        out[(HOST, "/robots.txt")] = Resource(ROBOTS.encode(), "text/plain")
        out[(HOST, "/")] = Resource(self.chrome(SITE_NAME, f'<a href="{COLUMN}">政府信息公开年报</a>').encode())
        return out

    # --- pages --------------------------------------------------------------------------------
    def list_path(self, column: str, index: int) -> str:
        return COLUMN + ("index.html" if index == 0 else f"index_{index + 1}.html")

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        page = index + 1
        items = []
        for e in entries:
            href = "./" + e.url.split(COLUMN, 1)[1] if COLUMN in e.url else e.url
            link = f'<a href="{esc(href)}" target="_blank" title="{esc(e.title)}">{esc(e.title)}</a>'
            if zlib.crc32(e.url.encode()) % 5 == 0:   # the CMS writes some cells by script
                js = link.replace("\\", "\\\\").replace("'", "\\'")
                link = f"<script>document.write('{js}');</script>"
            items.append(f"<li>{link}<span>{day(e.published)}</span></li>")
        first = "index.html"
        last = "index.html" if total == 1 else f"index_{total}.html"
        prev = "index.html" if page <= 2 else f"index_{page - 1}.html"
        nxt = f"index_{min(page + 1, total)}.html" if total > 1 else "index.html"
        pager = (f'<div class="page"><a href="{first}">首页</a> <a href="{prev}">上一页</a> '
                 f'<span>{page}/{total}</span> <a href="{nxt}">下一页</a> <a href="{last}">尾页</a></div>')
        body = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/hnszf/xxgk/">政府信息公开</a> '
                f'&gt; {COLUMN_NAME}</div>\n<div class="list"><ul>\n' + "\n".join(items) + f"\n</ul>\n{pager}</div>")
        return self.chrome(f"{COLUMN_NAME}_{SITE_NAME}", body, self.site_meta(COLUMN_NAME))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, COLUMN_NAME, r.agency_name,
                                 {"Keywords": "政府信息公开,年度报告", "Description": r.title})
        line = " ".join(x for x in (f"索引号:{r.index_no}" if r.index_no else "", "公开方式:政府网站",
                                    f"发文日期:{r.published}") if x)
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="main_con">
<h1 class="sp_title">{esc(r.title)}</h1>
<div class="sp_time"><span>{esc(line)}</span></div>
<div class="date">{minute(r.published)}</div>
<div class="main_con_zw"><div class="TRS_PreAppend">
{body}
</div></div>
<div class="tools"><a href="javascript:window.print()">打印</a> <a href="javascript:addFavorite()">收藏</a> <a href="javascript:window.close()">关闭本页</a></div>
<div class="xgwz"><h3>{esc(r.title)}</h3></div>
<div class="share">分享到：<a href="http://service.weibo.com/share/share.php?url={esc(r.url)}" target="_blank">新浪微博</a></div>
<div class="count">访问量：<span id="visitcount"></span><script>document.getElementById("visitcount").innerHTML = "{7000000 + r.doc_id % 999983}";</script></div>
</div>"""
        return f"{r.title}_{COLUMN_NAME}_{SITE_NAME}", main, metas

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="main_con"><h1 class="sp_title">{esc(n.title)}</h1>'
                f'<div class="sp_time"><span>公开方式:政府网站 发文日期:{n.published}</span></div>'
                f'<div class="main_con_zw"><div class="TRS_PreAppend">{n.body_html}</div></div></div>')
        return f"{n.title}_{SITE_NAME}", main

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{esc(title)}</title>
{metas}
<link rel="stylesheet" href="/hnszf/css/style.css">
</head><body>
<div class="header"><a href="/"><img src="/hnszf/images/logo.png" alt="{SITE_NAME}"></a>
<form action="/search/search.jsp" method="get"><input name="q"><a href="/search/search.jsp?q=年报">搜索</a></form></div>
{main}
<div class="footer"><a href="http://www.gov.cn/" target="_blank">中国政府网</a> | <a href="/hnszf/wzdt/">网站地图</a>
<p>主办：湖南省人民政府办公厅　网站标识码：{self.site_code}</p>
<script src="/hnszf/js/count.js"></script></div>
</body></html>"""
