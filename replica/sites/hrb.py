"""Harbin's district and county portals (木兰县 mulan.gov.cn, 松北区 songbei.gov.cn).

The 年报 column is a list page named zfxxgklby_nb.shtml under a c{N} folder (木兰县
/hebmlx/c111202/zfxxgklby_nb.shtml), further pages zfxxgklby_nb_2.shtml ...; the pager prints every
page number, 下一页 and 尾页. Details live under *another* c-folder, the column's number plus a letter
(/hebmlx/c111204t/YYYYMM/c01_{id}.shtml): a family cannot tell a report by its folder. Detail: the
索引号 header table with spaced labels (索 引 号 / 发 布 机 构 / 生 成 日 期 / 发 布 日 期, 生成日期 a day
before 发布日期), the title, the body in div.article-content; attachments beside the page.
Hostility: 木兰县 lists a soft-404 item, 松北区 a dead one. Pagination and the 松北 column are
plausible, not verified on the real sites (design/nationwide.md §2).
"""
from __future__ import annotations

import datetime as dt

from replica.content import synth
from replica.model import Notice, Report
from replica.sites.base import Entry, Resource, Site, day, esc, parse_time, soft_404_page, url_path

LIST_NAME = "zfxxgklby_nb"


def page_name(index: int) -> str:
    return f"{LIST_NAME}.shtml" if index == 0 else f"{LIST_NAME}_{index + 1}.shtml"


class HrbSite(Site):
    family = "hrb"
    page_size = 10
    min_pages = 4
    site_dir = ""           # /hebmlx
    list_folder = ""        # c111202
    detail_folder = ""      # c111204t

    def _url(self, published: str, doc_id: int) -> str:
        return (f"http://{self.host}{self.site_dir}/{self.detail_folder}/{published[:4]}{published[5:7]}/"
                f"c01_{doc_id}.shtml")

    def report_url(self, report: Report) -> str:
        return self._url(report.published, report.doc_id)

    def notice_url(self, notice: Notice) -> str:
        return self._url(notice.published, notice.doc_id)

    def list_path(self, column: str, index: int) -> str:
        return f"{self.site_dir}/{self.list_folder}/{page_name(index)}"

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        items = "\n".join(f'<li><a href="{esc(url_path(e.url))}" target="_blank" title="{esc(e.title)}">'
                          f'{esc(e.title)}</a><span class="date">[{day(e.published)}]</span></li>' for e in entries)
        nums = " ".join(f"<b>{i + 1}</b>" if i == index else f'<a href="{page_name(i)}">{i + 1}</a>'
                        for i in range(total))
        nav = [f'<a href="{page_name(0)}">首页</a>']
        if index > 0:
            nav.append(f'<a href="{page_name(index - 1)}">上一页</a>')
        nav.append(nums)
        if index < total - 1:
            nav.append(f'<a href="{page_name(index + 1)}">下一页</a>')
        nav.append(f'<a href="{page_name(total - 1)}">尾页</a>')
        main = f"""<div class="weizhi">当前位置：<a href="{self.site_dir}/">首页</a> &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<div class="gk-list"><ul>
{items}
</ul>
<div class="fenye">{" ".join(nav)}</div></div>"""
        return self.chrome(f"政府信息公开年报-{self.site_name}", main)

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        made = (parse_time(r.published) - dt.timedelta(days=1)).strftime("%Y-%m-%d")
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="xxgk-head"><table class="xxgk-table" cellspacing="0" cellpadding="0">
<tr><td class="t">索 引 号：</td><td>{esc(r.index_no or "")}</td><td class="t">发 布 机 构：</td><td>{esc(r.publisher or r.agency_name)}</td></tr>
<tr><td class="t">生 成 日 期：</td><td>{made}</td><td class="t">发 布 日 期：</td><td>{esc(r.published)}</td></tr>
</table></div>
<h2 class="article-title">{esc(r.title)}</h2>
<div class="article-content">
{body}
</div>"""
        return f"{r.title}-{self.site_name}", main, ""

    def notice_html(self, n: Notice) -> tuple[str, str]:
        return (f"{n.title}-{self.site_name}",
                f'<h2 class="article-title">{esc(n.title)}</h2><div class="article-content">{n.body_html}</div>')

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
</head><body>
<div class="top"><a href="{self.site_dir}/">{esc(self.site_name)}</a> <a href="https://www.harbin.gov.cn/" target="_blank">哈尔滨市人民政府</a></div>
{main}
<div class="bottom"><p>主办：{esc(self.site_name)}办公室　网站标识码：{self.site_code}</p></div>
</body></html>"""


class HrbMulan(HrbSite):
    hosts = ("mulan.gov.cn",)
    agency_prefixes = ("mulan_zjj",)
    site_dir, list_folder, detail_folder = "/hebmlx", "c111202", "c111204t"
    site_name = "木兰县人民政府"
    site_code = "2301270001"
    filler_agency = "mulan_zjj"
    synthetic = [synth.Agency("mulan_zjj", "木兰县住房和城乡建设局", range(2020, 2025), "small", "我局",
                              "112301270013478563", "木兰县住房和城乡建设局")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        soft = self._url("2019-03-26 10:00:00", 571204)
        columns.setdefault("", []).append(Entry("木兰县住房和城乡建设局2018年政府信息公开工作年度报告", soft,
                                                "2019-03-26 10:00:00"))
        self.specials["soft_404"] = [soft]
        self.specials["offsite"] = ["https://www.harbin.gov.cn/"]
        return {(self.host, url_path(soft)): Resource(soft_404_page(self.site_name), validators=False)}


class HrbSongbei(HrbSite):
    hosts = ("songbei.gov.cn",)
    agency_prefixes = ("songbei_zjj",)
    site_dir, list_folder, detail_folder = "/hebsbq", "c111304", "c111306v"
    site_name = "哈尔滨市松北区人民政府"
    site_code = "2301090001"
    filler_agency = "songbei_zjj"
    synthetic = [synth.Agency("songbei_zjj", "哈尔滨市松北区住房和城乡建设局", range(2020, 2025), "small", "我局",
                              "11230109MB19485736", "哈尔滨市松北区住房和城乡建设局")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        dead = self._url("2019-04-02 15:30:00", 580377)
        columns.setdefault("", []).append(Entry("哈尔滨市松北区住房和城乡建设局2018年政府信息公开工作年度报告", dead,
                                                "2019-04-02 15:30:00"))
        self.specials["dead"] = [dead]
        self.specials["offsite"] = ["https://www.harbin.gov.cn/"]
        return {}
