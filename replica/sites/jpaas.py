"""Hanweb's jpaas generation (family jpaas): jst.zj.gov.cn (浙江省住建厅) and www.jingjiang.gov.cn (靖江).

A column page holds no list: `<script src="/AuthorizedRead/unitbuild.js" url="/api-gateway/jpaas-publish-server/
front/page/build/unit" queryData="{'webId':…,'pageId':…,'tplSetId':…,'tagId':'当前栏目list',…}">`. The unit
(dynamic, no validators) answers JSON `{"success":true,"code":"200","data":{"html":"<ul>…</ul><div
class="pagination" count="N"></div>"}}` for `pageNo=n` (Jingjiang) or `paramJson={"pageNo":n,…}` (jst.zj,
which ignores pageNo and answers page 1), 15 items a page, newest first; a page past the end lists
nothing; an unknown pageId answers success false. Items link root-relative.

jst.zj.gov.cn, column /col/col1229114230/index.html: the 2019 report at its real JCMS URL
/art/2020/6/19/art_1229114230_3639.html (design/nationwide.md), the 2020 one at a JCMS URL too, from 2021 jpaas
/col/col1229114230/art/{YYYY}/art_{32hex}.html; notices in both shapes; a dead item (a 2018 report title whose
page is gone: 404).
www.jingjiang.gov.cn: /xxgk/zfxxgknb/ lists one folder per year and kind (市政府 szf/, 市政府工作部门 szfgzbm/,
镇街 zj/); each /xxgk/zfxxgknb/{YYYY}/szfgzbm/ is a jpaas column shared by the city's departments (the housing
bureau's report, another department's, notices), details {column}art/{YYYY}/art_{32hex}.html (the real 2025
report's shape); the 2023 report only as a DOCX attachment.
Detail pages: head tags, the xxgk table 索引号/发布机构/生成日期/公开方式, title, 发布日期 line, div#zoom.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from replica.content.synth import Agency
from replica.model import Notice, Report
from replica.sites.base import Entry, Request, Resource, Response, Site, day, esc, minute, newest, url_path

UNIT = "/api-gateway/jpaas-publish-server/front/page/build/unit"


def hex32(*parts) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


class JpaasSite(Site):
    family = "jpaas"
    scheme = "https"
    page_size = 15
    etag_style = "nginx"
    web_id = ""
    tpl_set_id = ""
    paging = "pageNo"      # the unit's page parameter: pageNo, or paramJson={"pageNo":n,"pageSize":m}

    def __init__(self, seed: int = 2024):
        super().__init__(seed)
        self.items: dict[str, list[str]] = {}     # pageId -> list items, newest first

    # --- what a subclass says -----------------------------------------------------------------
    def column_path(self, column: str) -> str:
        """The column page's path (the folder, served as index.html)."""
        raise NotImplementedError

    def page_id(self, column: str) -> str:
        raise NotImplementedError

    def column_name(self, column: str) -> str:
        return "政府信息公开年报"

    # --- pages --------------------------------------------------------------------------------
    def https_linked(self, report: Report) -> bool:
        return True

    def list_path(self, column: str, index: int) -> str:
        return self.column_path(column) + "index.html"

    def list_pages(self, column: str, entries: list[Entry]) -> dict:
        """The column page (no list in it) at its folder; the items go to the unit API."""
        self.items[self.page_id(column)] = [
            f'<li><a href="{esc(url_path(e.url))}" title="{esc(e.title)}" target="_blank">{esc(e.title)}</a>'
            f'<span>{day(e.published)}</span></li>' for e in entries]
        query = {"webId": self.web_id, "pageId": self.page_id(column), "tplSetId": self.tpl_set_id,
                 "pageType": "column", "tagId": "当前栏目list", "editType": "null", "parseType": "bulidstatic"}
        qd = json.dumps(query, ensure_ascii=False).replace('"', "'")
        main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; {esc(self.column_name(column))}</div>
<div class="list-box" id="zw-list"><script src="/AuthorizedRead/unitbuild.js" url="{UNIT}" queryData="{esc(qd)}"></script></div>"""
        page = self.chrome(f"{self.column_name(column)} {self.site_name}", main, self.site_meta(self.column_name(column)))
        return {(self.host, self.list_path(column, 0)): Resource(page.encode("utf-8"), mtime=newest(entries))}

    def dynamic(self, req: Request) -> Response | None:
        if req.path != UNIT:
            return None
        items = self.items.get(req.param("pageId", ""))
        try:
            if self.paging == "paramJson":   # pageNo is ignored: without paramJson, page 1
                n = int(json.loads(req.param("paramJson") or "{}").get("pageNo", 1))
            else:
                n = int(req.param("pageNo", "1"))
        except (ValueError, AttributeError):
            n = 0
        if items is None or n < 1:
            data = {"success": False, "code": "500", "message": "参数错误", "data": None}
        else:
            chosen = items[(n - 1) * self.page_size:n * self.page_size]
            html = (f'<ul class="list">{"".join(chosen)}</ul>'
                    f'<div class="pagination" count="{len(items)}"></div>')
            data = {"success": True, "code": "200", "message": "操作成功", "data": {"html": html}}
        return Response(200, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                        [("Content-Type", "application/json;charset=UTF-8")])

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        column = self.column_name(self.column_of(r))
        body = self.body_with_attachments(r)
        main = f"""<div class="xxgk_table"><table width="100%" border="0" cellspacing="0" cellpadding="0">
<tr><td class="bt">索 引 号：</td><td>{esc(r.index_no or "")}</td><td class="bt">公开方式：</td><td>主动公开</td></tr>
<tr><td class="bt">发布机构：</td><td>{esc(r.publisher or r.agency_name)}</td><td class="bt">生成日期：</td><td>{day(r.published)}</td></tr>
</table></div>
<div class="article"><div class="title">{esc(r.title)}</div>
<div class="info">发布日期：{minute(r.published)} 来源：{esc(r.publisher or r.agency_name)}</div>
<div id="zoom">
{body}
</div></div>"""
        return f"{r.title} {self.site_name}", main, self.detail_meta(r, column, r.publisher)

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
<script src="/AuthorizedRead/jquery.min.js"></script>
</head><body>
<div class="top"><a href="/">{esc(self.site_name)}</a> <a href="/col/col1229000000/index.html">政务公开</a></div>
{main}
<div class="footer"><a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<p>主办单位：{esc(self.site_name)}　网站标识码：{self.site_code}</p></div>
</body></html>"""


class ZhejiangJst(JpaasSite):
    hosts = ("jst.zj.gov.cn",)
    agency_prefixes = ("zhejiang_zjt",)
    site_name = "浙江省住房和城乡建设厅"
    site_code = "3300000052"
    filler_agency = "zhejiang_zjt"
    web_id = "3179"
    tpl_set_id = "5yQAkHbXoxEA4R2eVX2bc"
    column_id = 1229114230
    paging = "paramJson"
    synthetic = [Agency("zhejiang_zjt", "浙江省住房和城乡建设厅", range(2019, 2025), "large", "我厅", "002482410",
                        "浙江省住房和城乡建设厅", "%Y-%m-%d %H:%M")]

    def column_path(self, column: str) -> str:
        return f"/col/col{self.column_id}/"

    def page_id(self, column: str) -> str:
        return str(self.column_id)

    def jcms(self, url_date: str, doc_id: int) -> str:
        y, m, d = int(url_date[:4]), int(url_date[4:6]), int(url_date[6:])
        return f"https://{self.host}/art/{y}/{m}/{d}/art_{self.column_id}_{doc_id}.html"

    def report_url(self, report: Report) -> str:
        if report.year == 2019:
            return f"https://{self.host}/art/2020/6/19/art_{self.column_id}_3639.html"   # the real one
        if report.year <= 2020:
            return self.jcms(report.url_date, report.doc_id)
        return f"https://{self.host}/col/col{self.column_id}/art/{report.url_date[:4]}/art_{hex32(report.agency, report.doc_id)}.html"

    def notice_url(self, notice: Notice) -> str:
        if notice.url_date < "20210101":
            return self.jcms(notice.url_date, notice.doc_id)
        return f"https://{self.host}/col/col{self.column_id}/art/{notice.url_date[:4]}/art_{hex32('n', notice.doc_id)}.html"

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        dead = f"https://{self.host}/art/2019/3/1/art_{self.column_id}_2999.html"
        columns.setdefault("", []).append(Entry("浙江省住房和城乡建设厅2018年政府信息公开工作年度报告", dead, "2019-03-01 09:00"))
        self.specials["dead"] = [dead]
        self.specials["offsite"] = ["http://www.gov.cn/"]
        return {}


class JingjiangPortal(JpaasSite):
    hosts = ("www.jingjiang.gov.cn",)
    agency_prefixes = ("jingjiang_",)
    site_name = "靖江市人民政府"
    site_code = "3212820001"
    min_pages = 2
    web_id = "29"
    tpl_set_id = "kLz8QWq1cJ0sYwUoXn3bE"
    root = "/xxgk/zfxxgknb/"
    others = {2020: "靖江市教育局", 2021: "靖江市民政局", 2022: "靖江市财政局", 2023: "靖江市交通运输局",
              2024: "靖江市水利局", 2025: "靖江市卫生健康委员会"}
    synthetic = [Agency("jingjiang_zjj", "靖江市住房和城乡建设局", range(2020, 2026), "small", "我局",
                        "014154532", "靖江市住房和城乡建设局", "%Y-%m-%d %H:%M")]

    def column_path(self, column: str) -> str:
        return f"{self.root}{column}/szfgzbm/"

    def page_id(self, column: str) -> str:
        return hex32("jingjiang", column)[:21]

    def column_name(self, column: str) -> str:
        return f"{column}年度市政府工作部门政府信息公开工作年度报告"

    def column_of(self, item: Report | Notice) -> str:
        return str(item.year if isinstance(item, Report) else int(item.published[:4]) - 1)

    def report_url(self, report: Report) -> str:
        return (f"https://{self.host}{self.column_path(str(report.year))}art/{report.url_date[:4]}/"
                f"art_{hex32(report.agency, report.doc_id)}.html")

    def notice_url(self, notice: Notice, column: str | None = None) -> str:
        column = column or str(int(notice.published[:4]) - 1)
        return f"https://{self.host}{self.column_path(column)}art/{notice.url_date[:4]}/art_{hex32('n', notice.doc_id)}.html"

    def pad_column(self, column: str, entries: list[Entry]) -> list[Entry]:
        return self.pad(entries, f"jingjiang_{column}", lambda n: self.notice_url(n, column), column=column)

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        """Another department's report in each year's column (a real notice page), the root folder list."""
        out: dict = {}
        years = sorted({int(c) for c in columns} | set(self.others))
        for year in years:
            name = self.others.get(year)
            if not name:
                continue
            when = dt.datetime(year + 1, 2, 10, 9, 30)
            n = Notice(agency="jingjiang_other", title=f"{name}{year}年政府信息公开工作年度报告",
                       published=when.strftime("%Y-%m-%d %H:%M"), url_date=when.strftime("%Y%m%d"),
                       doc_id=7000 + year, body_html=f"<p>{esc(name)}（报告正文略）。</p>")
            url = self.notice_url(n, str(year))
            columns.setdefault(str(year), []).append(Entry(n.title, url, n.published, item=n, column=str(year)))
        links = "\n".join(f'<li><a href="./{y}/{kind}/">{y}年度{label}</a></li>' for y in sorted(years, reverse=True)
                          for kind, label in (("szf", "市政府"), ("szfgzbm", "市政府工作部门"), ("zj", "镇街")))
        main = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政府信息公开年度报告</div>'
                f'<div class="nb-years"><ul>\n{links}\n</ul></div>')
        out[(self.host, self.root + "index.html")] = Resource(
            self.chrome(f"政府信息公开年度报告 {self.site_name}", main, self.site_meta("政府信息公开年度报告")).encode("utf-8"))
        self.specials["offsite"] = ["http://www.gov.cn/"]
        return out
