"""Quzhou housing bureau on Hanweb 大汉 JCMS: zjj.qz.gov.cn.

Column /col/col1525444/index.html embeds the first page of the list inside
<script type="text/xml"><datastore><nextgroup><![CDATA[..]]></nextgroup><recordset><record><![CDATA[<li>..]]>
</record>..</recordset></datastore></script> (an HTML parser sees no links unless it unwraps the CDATA).
Further pages come from /module/web/jpage/dataproxy.jsp?page=N&appid=1&webid=38&path=/&columnid=1525444
&unitid=3567101&permissiontype=0 (or a POST of startrecord/endrecord/perpage), bare XML with
<totalrecord>/<totalpage>; it is dynamic (no validators), like the JSP it copies.
Detail /art/2021/1/20/art_1525444_{id}.html (month and day not zero-padded): the xxgk table
(索引号 组配分类 / 发布机构 成文日期 / 文件编号 公开方式), the title, the 发布日期 line, body div#zoom.
Attachments /module/download/downfile.jsp?classid=0&filename=X.pdf with Content-Disposition.
"""
from __future__ import annotations

import math
from urllib.parse import quote

from replica.model import Notice, Report
from replica.sites.base import (Entry, Request, Resource, Response, Site, day, epoch, esc, minute, newest,
                                url_path)

HOST = "zjj.qz.gov.cn"
COLUMN_ID = 1525444
WEBID = 38
UNITID = 3567101
COLUMN = f"/col/col{COLUMN_ID}/index.html"
DATAPROXY = "/module/web/jpage/dataproxy.jsp"
DOWNFILE = "/module/download/downfile.jsp"
SITE_NAME = "衢州市住房和城乡建设局"
COLUMN_NAME = "政府信息公开年报"


def dataproxy_url(page: int) -> str:
    return (f"{DATAPROXY}?page={page}&appid=1&webid={WEBID}&path=/&columnid={COLUMN_ID}"
            f"&unitid={UNITID}&permissiontype=0")


class HanwebQuzhou(Site):
    family = "hanweb"
    hosts = (HOST,)
    agency_prefixes = ("quzhou_",)
    page_size = 15
    etag_style = "tomcat"
    site_name = SITE_NAME
    site_code = "3308000011"
    filler_agency = "quzhou_zjj"

    def __init__(self, seed: int = 2024):
        super().__init__(seed)
        self.records: list[str] = []

    @staticmethod
    def _art(url_date: str, doc_id: int) -> str:
        y, m, d = int(url_date[:4]), int(url_date[4:6]), int(url_date[6:8])
        return f"http://{HOST}/art/{y}/{m}/{d}/art_{COLUMN_ID}_{doc_id}.html"

    def report_url(self, report: Report) -> str:
        return self._art(report.url_date, report.doc_id)

    def notice_url(self, notice: Notice) -> str:
        return self._art(notice.url_date, notice.doc_id)

    def attachment_url(self, report: Report, filename: str) -> str:
        return f"http://{HOST}{DOWNFILE}?classid=0&filename={quote(filename)}"

    def attachment_headers(self, filename: str) -> list[tuple[str, str]]:
        return [("Content-Disposition", f'attachment; filename="{quote(filename)}"')]

    def attachment_resources(self, report: Report) -> dict:
        return {(HOST, f"{DOWNFILE}?filename={att.filename}"):
                Resource(att.data, att.mime, mtime=epoch(report.published), headers=self.attachment_headers(att.filename))
                for att in report.attachments}

    def resource_key(self, req: Request):
        if req.path == DOWNFILE:
            return (HOST, f"{DOWNFILE}?filename={req.param('filename', '')}")
        return None

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        self.specials["offsite"] = ["http://www.gov.cn/", "http://www.zj.gov.cn/"]
        return {}

    def list_pages(self, column: str, entries: list[Entry]) -> dict:
        """One column page (the first page's records embedded); dataproxy.jsp serves all the records."""
        self.records = [f'<li><a href="{esc(url_path(e.url))}" title="{esc(e.title)}" target="_blank">'
                        f'{esc(e.title)}</a><span>{day(e.published)}</span></li>' for e in entries]
        return {(HOST, COLUMN): Resource(self.column_page().encode("utf-8"), mtime=newest(entries[: self.page_size]))}

    # --- dataproxy.jsp ------------------------------------------------------------------------
    def dynamic(self, req: Request) -> Response | None:
        if req.path != DATAPROXY:
            return None
        try:
            perpage = int(req.param("perpage", str(self.page_size)))
            start, end = req.param("startrecord"), req.param("endrecord")
            if start is not None and end is not None:
                first, last = int(start), int(end)
            else:
                page = int(req.param("page", "1"))
                first, last = (page - 1) * perpage + 1, page * perpage
            if perpage < 1 or first < 1 or last < first:
                raise ValueError
        except ValueError:
            return Response(400, b"<h1>400</h1><p>dataproxy.jsp: bad page/startrecord/endrecord/perpage</p>",
                            [("Content-Type", "text/html; charset=utf-8")])
        records = self.records if req.param("columnid") == str(COLUMN_ID) else []
        chosen = records[first - 1:last]
        return Response(200, self.datastore(chosen, len(records), perpage, last).encode("utf-8"),
                        [("Content-Type", "text/xml;charset=UTF-8")])

    @staticmethod
    def datastore(records: list[str], total: int, perpage: int, last: int, with_totals: bool = True) -> str:
        next_page = last // perpage + 1
        nextgroup = f'<a href="{esc(dataproxy_url(next_page))}"></a>' if last < total else ""
        recs = "\n".join(f"<record><![CDATA[{r}]]></record>" for r in records)
        totals = (f"<totalrecord>{total}</totalrecord>\n<totalpage>{max(1, math.ceil(total / perpage))}</totalpage>\n"
                  if with_totals else "")
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n'
                f"<recordset>\n{recs}\n</recordset>\n{totals}</datastore>")

    # --- pages --------------------------------------------------------------------------------
    def column_page(self) -> str:
        total = len(self.records)
        xml = self.datastore(self.records[: self.page_size], total, self.page_size, self.page_size,
                             with_totals=False).split("\n", 1)[1]
        main = f"""<div class="bt-position">当前位置：<a href="/">首页</a> &gt; <a href="/col/col1525440/index.html">政府信息公开</a> &gt; {COLUMN_NAME}</div>
<div class="default_pgContainer" id="{UNITID}">
<script type="text/xml">{xml}</script>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>var pageObj = new Jpage({{unitid:{UNITID}, webid:{WEBID}, columnid:{COLUMN_ID}, perPage:{self.page_size}, totalRecord:{total}, dataUrl:"{DATAPROXY}"}});</script>
</div>"""
        return self.chrome(f"{COLUMN_NAME} {SITE_NAME}", main, self.site_meta(COLUMN_NAME))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        m = r.meta or {}
        metas = self.detail_meta(r, COLUMN_NAME, m.get("信息来源", "市住建局"))
        body = self.body_with_attachments(r)
        main = f"""<div class="xxgk_table"><table width="100%" border="0" cellspacing="0" cellpadding="0">
<tr><td class="bt">索引号:</td><td>{esc(r.index_no or "")}</td><td class="bt">组配分类:</td><td>{esc(m.get("组配分类", f"{r.year}年度"))}</td></tr>
<tr><td class="bt">发布机构:</td><td>{esc(r.publisher or r.agency_name)}</td><td class="bt">成文日期:</td><td>{esc(m.get("成文日期", day(r.published)))}</td></tr>
<tr><td class="bt">文件编号:</td><td>{esc(r.doc_no or "")}</td><td class="bt">公开方式:</td><td>{esc(m.get("公开方式", "主动公开"))}</td></tr>
</table></div>
<div class="article"><div class="title">{esc(r.title)}</div>
<div class="info">发布日期:{minute(r.published)} 浏览次数:<script language="javascript" src="/module/visitcount/articlehits.jsp?colid={COLUMN_ID}&artid={r.doc_id}"></script> 信息来源:{esc(m.get("信息来源", "市住建局"))} 字体:[ <a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a> ]</div>
<div class="share">分享: <a href="http://service.weibo.com/share/share.php?url={esc(r.url)}">微博</a></div>
<div id="zoom">
{body}
</div></div>"""
        return f"{r.title} {SITE_NAME}", main, metas

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="article"><div class="title">{esc(n.title)}</div>'
                f'<div class="info">发布日期:{minute(n.published)}</div><div id="zoom">{n.body_html}</div></div>')
        return f"{n.title} {SITE_NAME}", main

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
<link href="/script/0/1612031533543457.css" rel="stylesheet">
</head><body>
<div class="top"><a href="http://www.qz.gov.cn/">衢州市人民政府</a> | <a href="/">{SITE_NAME}</a></div>
{main}
<div class="footer"><a href="http://www.gov.cn/" target="_blank">中国政府网</a> <a href="http://www.zj.gov.cn/" target="_blank">浙江省人民政府</a>
<p>主办单位：{SITE_NAME}　网站标识码：{self.site_code}</p></div>
</body></html>"""
