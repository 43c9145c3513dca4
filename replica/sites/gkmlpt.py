"""Guangdong's 政府信息公开目录平台 (gkmlpt, by 南方报业's NFCMS): three sites of the platform.

The platform (nationwide.md §2; URL shapes seen, the rest inferred and said so):
- The catalogue's front page /gkmlpt/index is a Vue app: the HTML carries only a config script
  `window._CONFIG = {SID: '763021', ...}`; the column id is the URL's hash (/gkmlpt/index#2207). The lists come
  from the JSON API /gkmlpt/api/all/{column_id}?page={n}&sid={site_id} answering
  {"articles": [{id, identifier (索引号), publisher, title, url, post_url, display_publish_time (epoch),
  created_at, create_time ...}], "total": N, "page_size": 100}: 100 articles a page (the front end shows
  them 20 a page), page=1 first; page=0 answers the same as page=1 (a quirk scrapers meet); a page past the
  end answers "articles": []; another sid or column answers total 0. Dynamic: no validators.
- Detail /gkmlpt/content/{id // 1000000}/{id // 1000}/post_{id}.html: the classify table 索引号 | 分类 /
  发布机构 | 成文日期 / 名称 / 文号 | 发布日期, the title, the body (div.article-content), and the page's
  config script `window._CONFIG = {SID: ..., DETAIL: {...}, TREE: [...]}` holding the same metadata as JSON.
  Attachments /attachment/0/{n}/{m}/{file} (inferred).
- Portal copies (NFCMS pages of the county/district portal): /{channel}/content/post_{id}.html with the head
  tags ArticleTitle / PubDate / ContentSource, the same classify table, body div.news_cont_d_wrap. A portal
  column (福田 /bmxx/qjsj/xxgknb/) is server-rendered HTML, 20 a page: index.html, index_2.html, ... (1-based,
  inferred), pager links 首页 上一页 下一页 尾页 and a window of page numbers.

Sites: zfcxjst.gd.gov.cn (the province's 住建厅: catalogue and API, the registry starts at the API URL),
www.fogang.gov.cn (佛冈: the registry starts at /gkmlpt/index, the API's article urls point to the portal copies
under /fgxzwgk/zfxxgknb/content/), www.szft.gov.cn (福田: the portal column bmxx/qjsj/xxgknb/ only).
Hostility: a report-titled article whose url is dead (404) in the province's API; a soft 404 in 福田's
column; page=0 duplicating page=1; off-site links (www.gd.gov.cn, www.gov.cn) in every footer.
"""
from __future__ import annotations

import json
import math

from replica.content.synth import Agency
from replica.model import Notice, Report
from replica.sites.base import (Entry, Request, Resource, Response, Site, day, epoch, esc, minute, soft_404_page,
                                url_path)

API = "/gkmlpt/api/all/"
API_PAGE = 100


def gkmlpt_path(doc_id: int) -> str:
    return f"/gkmlpt/content/{doc_id // 1000000}/{doc_id // 1000}/post_{doc_id}.html"


class GkmlptSite(Site):
    """A gkmlpt catalogue (index + JSON API + detail pages); subclasses set the host, sid and column."""
    page_size = API_PAGE
    etag_style = "nginx"
    sid = ""
    column_id = 0
    column_name = "政府信息公开年报"
    portal_channel = ""          # "/fgxzwgk/zfxxgknb/": the API's urls point to the portal's copies there
    dead: tuple[str, str, str] | None = None   # (title, path, published): a listed article that answers 404

    def __init__(self, seed: int = 2024):
        super().__init__(seed)
        self.articles: list[dict] = []

    # --- URLs -------------------------------------------------------------------------------
    def doc_path(self, doc_id: int) -> str:
        if self.portal_channel:
            return f"{self.portal_channel}content/post_{doc_id}.html"
        return gkmlpt_path(doc_id)

    def report_url(self, report: Report) -> str:
        return f"http://{self.host}{self.doc_path(report.doc_id)}"

    def notice_url(self, notice: Notice) -> str:
        return f"http://{self.host}{self.doc_path(notice.doc_id)}"

    def attachment_url(self, report: Report, filename: str) -> str:
        return f"http://{self.host}/attachment/0/{report.doc_id // 10000}/{report.doc_id // 100}/{filename}"

    def api_url(self, page: int) -> str:
        return f"http://{self.host}{API}{self.column_id}?page={page}&sid={self.sid}"

    # --- the column as JSON -------------------------------------------------------------------
    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        out: dict = {}
        if self.dead:
            title, path, when = self.dead
            columns.setdefault("", []).append(Entry(title, f"http://{self.host}{path}", when))
            self.specials["dead"] = [f"http://{self.host}{path}"]
        self.specials["offsite"] = ["http://www.gd.gov.cn/", "http://www.gov.cn/"]
        out[(self.host, "/gkmlpt/index")] = Resource(self.index_page().encode("utf-8"))
        return out

    def list_pages(self, column: str, entries: list[Entry]) -> dict:
        """The API serves the column (dynamic()); nothing static but the catalogue's index page."""
        self.articles = [self.article(e) for e in entries]
        return {}

    def article(self, e: Entry) -> dict:
        item = e.item
        ident = getattr(item, "index_no", None) or ""
        publisher = (getattr(item, "publisher", None) or getattr(item, "agency_name", None) or self.site_name)
        doc_id = getattr(item, "doc_id", 0) or int(e.url.rsplit("_", 1)[1].split(".")[0])
        t = int(epoch(e.published))
        return {"id": doc_id, "identifier": ident, "publisher": publisher, "title": e.title, "url": e.url,
                "post_url": e.url, "display_publish_time": t, "create_time": t,
                "created_at": e.published[:19], "attachment": [], "is_top": 0}

    def dynamic(self, req: Request) -> Response | None:
        if not req.path.startswith(API):
            return None
        try:
            page = int(req.param("page", "1"))
            if page < 0:
                raise ValueError
        except ValueError:
            return Response(400, b'{"code": 400, "msg": "page"}', [("Content-Type", "application/json")])
        ours = req.path[len(API):] == str(self.column_id) and req.param("sid") == self.sid
        articles = self.articles if ours else []
        first = (max(page, 1) - 1) * API_PAGE          # page=0 is page 1 again
        data = {"articles": articles[first:first + API_PAGE], "total": len(articles), "page_size": API_PAGE,
                "page": page, "pages": max(1, math.ceil(len(articles) / API_PAGE))}
        return Response(200, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                        [("Content-Type", "application/json; charset=utf-8")])

    # --- pages --------------------------------------------------------------------------------
    def index_page(self) -> str:
        main = f"""<div id="app"><div class="gkml-header">政府信息公开目录</div><noscript>请开启浏览器的JavaScript功能</noscript></div>
<script>
window._CONFIG = {{
  SID: '{self.sid}',
  SITE_NAME: '{self.site_name}',
  API_BASE: '/gkmlpt/api',
  HOME_COLUMN: {self.column_id}
}};
</script>
<script src="/gkmlpt/static/js/app.7f3c2a.js"></script>"""
        return self.chrome(f"政府信息公开目录_{self.site_name}", main, self.site_meta("政府信息公开目录"))

    def classify(self, r: Report) -> str:
        return f"""<div class="classify"><table>
<tr><td class="first">索引号：</td><td class="td-value"><span>{esc(r.index_no or "")}</span></td><td class="first">分类：</td><td class="td-value"><span>政府信息公开年报</span></td></tr>
<tr><td class="first">发布机构：</td><td class="td-value"><span>{esc(r.publisher or r.agency_name)}</span></td><td class="first">成文日期：</td><td class="td-value"><span>{day(r.published)}</span></td></tr>
<tr><td class="first">名称：</td><td class="td-value" colspan="3"><span>{esc(r.title)}</span></td></tr>
<tr><td class="first">文号：</td><td class="td-value"><span>{esc(r.doc_no or "无")}</span></td><td class="first">发布日期：</td><td class="td-value"><span>{esc(r.published)}</span></td></tr>
</table></div>"""

    def config(self, r: Report) -> str:
        detail = {"id": r.doc_id, "identifier": r.index_no or "", "title": r.title, "publisher": r.publisher or r.agency_name,
                  "date": day(r.published), "publish_time": int(epoch(r.published)), "document_number": r.doc_no or ""}
        tree = [{"id": self.column_id, "name": self.column_name, "parent": 0}]
        return (f"<script>\nwindow._CONFIG = {{\n  SID: '{self.sid}',\n  DETAIL: {json.dumps(detail, ensure_ascii=False)},\n"
                f"  TREE: {json.dumps(tree, ensure_ascii=False)}\n}};\n</script>")

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, self.column_name, r.publisher or r.agency_name)
        body = self.body_with_attachments(r)
        main = f"""{self.classify(r)}
<div class="content"><h1 class="title">{esc(r.title)}</h1>
<div class="article-content">
{body}
</div></div>
{self.config(r)}"""
        return f"{r.title}_{self.site_name}", main, metas

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="content"><h1 class="title">{esc(n.title)}</h1><div class="date">发布日期：{minute(n.published)}</div>'
                f'<div class="article-content">{n.body_html}</div></div>')
        return f"{n.title}_{self.site_name}", main

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
<link rel="stylesheet" href="/gkmlpt/static/css/app.css">
</head><body>
<div class="header"><a href="/">{esc(self.site_name)}</a> <a href="/gkmlpt/index">政府信息公开</a></div>
{main}
<div class="footer"><a href="http://www.gd.gov.cn/" target="_blank">广东省人民政府</a> | <a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<p>主办：{esc(self.site_name)}　网站标识码：{self.site_code}</p></div>
</body></html>"""


class GuangdongZjt(GkmlptSite):
    """广东省住房和城乡建设厅: the catalogue on its own host; the registry starts at the API URL."""
    family = "gkmlpt"
    hosts = ("zfcxjst.gd.gov.cn",)
    agency_prefixes = ("guangdong_zjt",)
    site_name = "广东省住房和城乡建设厅"
    site_code = "4400000074"
    filler_agency = "guangdong_zjt"
    sid = "200016"
    column_id = 1428
    dead = ("广东省住房和城乡建设厅2008年度政府信息公开工作报告", gkmlpt_path(2001777), "2009-03-20 10:00:00")
    synthetic = [Agency("guangdong_zjt", "广东省住房和城乡建设厅", range(2019, 2025), "medium", "我厅", "006939748",
                        "广东省住房和城乡建设厅")]


class FogangZjj(GkmlptSite):
    """佛冈县住房和城乡建设局 on the county portal's catalogue: the registry starts at /gkmlpt/index (the SID
    is read from its config script, the column id is a registry option); the API's urls are the portal's
    copies under /fgxzwgk/zfxxgknb/content/."""
    family = "gkmlpt"
    hosts = ("www.fogang.gov.cn",)
    agency_prefixes = ("fugang_zjj",)
    site_name = "佛冈县人民政府"
    site_code = "4418210001"
    filler_agency = "fugang_zjj"
    sid = "763021"
    column_id = 2207
    portal_channel = "/fgxzwgk/zfxxgknb/"
    synthetic = [Agency("fugang_zjj", "佛冈县住房和城乡建设局", range(2019, 2025), "small", "我局", "11441821MB2C43519K",
                        "佛冈县住房和城乡建设局")]

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        return portal_detail(self, r)


def portal_detail(site: GkmlptSite, r: Report) -> tuple[str, str, str]:
    """An NFCMS portal copy: head tags, the classify table, the body in div.news_cont_d_wrap."""
    metas = site.detail_meta(r, site.column_name, r.publisher or r.agency_name, {"ArticleId": str(r.doc_id)})
    body = site.body_with_attachments(r)
    main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="{site.portal_channel}">{site.column_name}</a></div>
{site.classify(r)}
<div class="news_cont_d_wrap"><h1 class="title">{esc(r.title)}</h1>
<div class="news_info">发布时间：{esc(r.published)} 来源：{esc(r.publisher or r.agency_name)}
<a href="http://service.weibo.com/share/share.php?url={esc(r.url)}">分享</a></div>
<div class="news_cont">
{body}
</div></div>
<script>var NFCMS_SITE_ID = '{site.sid}'; var NFCMS_POST_ID = '{r.doc_id}';</script>"""
    return f"{r.title}-{site.site_name}", main, metas


class FutianZjj(GkmlptSite):
    """深圳市福田区住房和建设局 through the district portal's column bmxx/qjsj/xxgknb/ (server-rendered HTML,
    index.html, index_2.html ...; details content/post_{id}.html)."""
    family = "gkmlpt"
    hosts = ("www.szft.gov.cn",)
    agency_prefixes = ("futian_zjj",)
    page_size = 20
    site_name = "深圳市福田区人民政府"
    site_code = "4403040001"
    filler_agency = "futian_zjj"
    sid = "755024"
    column_id = 7801
    portal_channel = "/bmxx/qjsj/xxgknb/"
    column_name = "政府信息公开年报"
    synthetic = [Agency("futian_zjj", "深圳市福田区住房和建设局", range(2019, 2025), "medium", "我局", "K2183441X",
                        "深圳市福田区住房和建设局")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        soft = f"http://{self.host}{self.portal_channel}content/post_8000123.html"
        columns.setdefault("", []).append(Entry("深圳市福田区住房和建设局2018年度政府信息公开工作年度报告", soft,
                                                "2019-03-28 09:30:00"))
        self.specials["soft_404"] = [soft]
        self.specials["offsite"] = ["http://www.sz.gov.cn/", "http://www.gov.cn/"]
        return {(self.host, url_path(soft)): Resource(soft_404_page(self.site_name), validators=False)}

    def list_pages(self, column: str, entries: list[Entry]) -> dict:
        return Site.list_pages(self, column, entries)

    def dynamic(self, req: Request) -> Response | None:
        return None

    def list_path(self, column: str, index: int) -> str:
        return self.portal_channel + ("index.html" if index == 0 else f"index_{index + 1}.html")

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        page = index + 1
        items = "\n".join(f'<li><a href="{esc(url_path(e.url))}" target="_blank" title="{esc(e.title)}">{esc(e.title)}</a>'
                          f'<span class="time">{day(e.published)}</span></li>' for e in entries)

        def name(n: int) -> str:
            return "index.html" if n == 1 else f"index_{n}.html"
        window = " ".join(f"<span>{n}</span>" if n == page else f'<a href="{name(n)}">{n}</a>'
                          for n in range(max(1, page - 2), min(total, page + 2) + 1))
        pager = (f'<div class="pagination"><a href="{name(1)}">首页</a> <a href="{name(max(1, page - 1))}">上一页</a> '
                 f'{window} <a href="{name(min(total, page + 1))}">下一页</a> <a href="{name(total)}">尾页</a></div>')
        main = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/bmxx/">部门信息</a> &gt; '
                f'<a href="/bmxx/qjsj/">区住房和建设局</a> &gt; {self.column_name}</div>\n'
                f'<div class="list_con"><ul>\n{items}\n</ul>\n{pager}</div>')
        return self.chrome(f"{self.column_name}-{self.site_name}", main, self.site_meta(self.column_name))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        return portal_detail(self, r)
