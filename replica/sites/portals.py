"""City and district portals (TRS) whose annual-report column aggregates many agencies
(design/nationwide.md §3): one root column with a sub-column per report year, or one column per
department on a template every district shares.

- ShiyanPortal, shiyan.gov.cn (Hubei TRS, .shtml): /xxgk/xxgk_nb/ links one sub-column per year,
  {YYYY}_{n}/ (the year plus the CMS's channel id: 2022_98308/), each listing every city department's
  reports of that year: index.shtml, index_1.shtml (= page 2), createPageHTML pager; every page repeats
  the year navigation. Detail {YYYY}_{n}/YYYYMM/tYYYYMMDD_{id}.shtml with the table 索引号/发布机构/
  发布日期. Departments the registry does not know publish here too (shiyan_fgw, shiyan_jyj).
  Hostility: a soft-404 item in the oldest year.
- AnshunPortal, www.anshun.gov.cn (云上贵州 TRS, .html): /zfxxgk/zfxxgknb/ links {YYYY}year/ columns;
  pager of 首页/上一页/下一页/尾页 links only (no script). Detail {YYYY}year/YYYYMM/tYYYYMMDD_{id}.html
  with an 索引号 / 信息分类 / 发布机构 / 发文日期 block; 2021's report is a PDF attachment only.
  Hostility: a dead (404) item; a link to the provincial portal (off-site).
- DongchengPortal, www.bjdch.gov.cn (https): /zfxxgkzl/zfxxgknb/ lists per year three sub-columns:
  {YYYY}nb/dcqzf{YYYY}/ (the district government), {YYYY}nb/dcqzfbm{YYYY}/ (区政府部门: the departments,
  the one served and crawled) and {YYYY}nb/dcqjd{YYYY}/ (streets); only the departments' one exists
  here: a crawler following the others asks for pages the replica does not have. Detail
  .../YYYYMM/tYYYYMMDD_{id}.html with the one line 发布日期：… 来源：… and no 索引号.
- JiulongpoDistrict (cqjlp.gov.cn) and RongchangDistrict (rongchang.gov.cn): the Chongqing district
  template, one column per department (…/zwgk_{n}/zfxxgknb_{n}/) of classic TRS pages (index.html,
  index_1.html, createPageHTML); detail YYYYMM/tYYYYMMDD_{id}.html with the table 索引号/发布机构/
  成文日期/发布日期. Rongchang's 2020 report is a DOCX attachment only; Jiulongpo lists a dead item,
  Rongchang a soft-404 one.

Only the agencies' own names are real; every report is synthetic (replica.content.synth), with truth.
"""
from __future__ import annotations

from replica.content import synth
from replica.model import Notice, Report
from replica.sites.base import Entry, Resource, Site, day, esc, soft_404_page, url_path

A = synth.Agency
PAGER_JS = """<script>
function createPageHTML(n, c, name, ext) { if (n <= 1) return; var h = "";
 for (var i = 0; i < n; i++) { var u = i == 0 ? name + "." + ext : name + "_" + i + "." + ext;
  h += i == c ? "<span>" + (i + 1) + "</span> " : "<a href='" + u + "'>" + (i + 1) + "</a> "; }
 document.write(h); }
</script>"""


def meta_table(rows: list[tuple[str, str]]) -> str:
    """The TRS detail table of label/value cell pairs, two pairs a row."""
    cells = [f'<td class="td1">{esc(k)}</td><td>{esc(v)}</td>' for k, v in rows]
    trs = "".join(f"<tr>{''.join(cells[i:i + 2])}</tr>" for i in range(0, len(cells), 2))
    return f'<table class="table_xxgk" width="100%" border="1" cellspacing="0">{trs}</table>'


class YearPortal(Site):
    """A portal root column with one sub-column per report year (each year's reports of every
    department, its notices, filler), newest first, classic TRS list paths in each year."""
    scheme = "http"
    root = ""                    # the root column's path (ends with /)
    ext = "html"
    page_size = 3             # small pages: reports of a year also sit on its later pages
    min_pages = 3
    filler_prefix = ""

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def year_dir(self, year: int) -> str:
        raise NotImplementedError

    def column_path(self, year: int) -> str:
        return self.root + self.year_dir(year)

    def years(self) -> list[int]:
        return sorted({r.year for r in self.reports})

    def report_url(self, r: Report) -> str:
        return f"{self.base}{self.column_path(r.year)}{r.url_date[:6]}/t{r.url_date}_{r.doc_id}.{self.ext}"

    def notice_year(self, n: Notice) -> int:
        years = self.years() or [int(n.published[:4]) - 1]
        return min(max(int(n.published[:4]) - 1, years[0]), years[-1])

    def notice_url(self, n: Notice, year: int | None = None) -> str:
        year = year or self.notice_year(n)
        return f"{self.base}{self.column_path(year)}{n.url_date[:6]}/t{n.url_date}_{n.doc_id}.{self.ext}"

    def column_of(self, item: Report | Notice) -> str:
        return str(item.year if isinstance(item, Report) else self.notice_year(item))

    def pad_column(self, column: str, entries: list[Entry]) -> list[Entry]:
        year = int(column)
        return self.pad(entries, f"{self.filler_prefix}_{year}", lambda n: self.notice_url(n, year), column=column)

    def list_path(self, column: str, index: int) -> str:
        return self.column_path(int(column)) + ("index" if index == 0 else f"index_{index}") + f".{self.ext}"

    def item_href(self, e: Entry, year: int) -> str:
        prefix = self.base + self.column_path(year)
        return "./" + e.url[len(prefix):] if e.url.startswith(prefix) else e.url

    def items(self, entries: list[Entry], year: int) -> str:
        return "\n".join(f'<li><a href="{esc(self.item_href(e, year))}" target="_blank" title="{esc(e.title)}">'
                         f'{esc(e.title)}</a><span>{day(e.published)}</span></li>' for e in entries)

    def year_nav(self, years: list[int], up: str) -> str:
        """The year navigation every page of the portal repeats (links relative to the page)."""
        return "".join(f'<li><a href="{up}{self.year_dir(y)}">{y}年</a></li>' for y in sorted(years, reverse=True))

    def add_special(self, columns, out, kind: str, year: int, title: str, path_tail: str, published: str) -> str:
        """A hostile item listed in a year column: kind soft_404 (HTTP 200 'not found' page) or dead (404)."""
        url = f"{self.base}{self.column_path(year)}{path_tail}"
        columns.setdefault(str(year), []).append(Entry(title, url, published, column=str(year)))
        if kind == "soft_404":
            out[(self.host, url_path(url))] = Resource(soft_404_page(self.site_name), validators=False)
        self.specials.setdefault(kind, []).append(url)
        return url

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="article"><h1>{esc(n.title)}</h1><div class="info">发布日期：{esc(n.published)}</div>'
                f'<div class="TRS_Editor">{n.body_html}</div></div>')
        return f"{n.title}_{self.site_name}", main

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
<p>主办：{esc(self.site_name.replace("人民政府", "人民政府办公室", 1))}　网站标识码：{self.site_code}</p></div>
</body></html>"""


# ------------------------------------------------------------------------------------- Shiyan
SHIYAN_CHANNELS = {2022: 98308}   # the research saw 2022_98308; the other years' ids are made up


class ShiyanPortal(YearPortal):
    family = "trs_years"
    hosts = ("shiyan.gov.cn",)
    agency_prefixes = ("shiyan_zjj", "shiyan_fgw", "shiyan_jyj")
    root = "/xxgk/xxgk_nb/"
    ext = "shtml"
    site_name = "十堰市人民政府"
    site_code = "4203000009"
    filler_prefix = "shiyan"
    synthetic = [
        A("shiyan_zjj", "十堰市住房和城乡建设局", range(2019, 2025), "small", "我局", "011091302",
          "十堰市住房和城乡建设局"),
        A("shiyan_fgw", "十堰市发展和改革委员会", range(2020, 2025), "medium", "我委", "011091288",
          "十堰市发展和改革委员会"),
        A("shiyan_jyj", "十堰市教育局", range(2021, 2025), "medium", "我局", "011091295", "十堰市教育局"),
    ]

    def year_dir(self, year: int) -> str:
        return f"{year}_{SHIYAN_CHANNELS.get(year, 98308 + (year - 2022) * 7919)}/"

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        out: dict = {}
        oldest = min(int(c) for c in columns)
        self.add_special(columns, out, "soft_404", oldest, f"十堰市住房和城乡建设局{oldest}年度政府信息公开工作年度报告",
                         f"{oldest + 1}03/t{oldest + 1}0315_2901001.shtml", f"{oldest + 1}-03-15 09:30:00")
        self.specials["offsite"] = ["http://www.gov.cn/", "http://www.hubei.gov.cn/"]
        years = sorted(int(c) for c in columns)
        nav = self.year_nav(years, "./")
        main = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a> &gt; 政府信息公开年报</div>'
                f'<div class="nb-years"><ul>{nav}</ul></div><p><a href="http://www.hubei.gov.cn/">湖北省人民政府</a></p>')
        out[(self.host, self.root + "index.shtml")] = Resource(
            self.chrome(f"政府信息公开年报_{self.site_name}", main, self.site_meta("政府信息公开年报")).encode())
        return out

    def list_page(self, column: str, entries: list[Entry], current: int, total: int) -> str:
        year = int(column)
        nav = self.year_nav(self.years(), "../")
        main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="../">政府信息公开年报</a> &gt; {year}年</div>
<div class="left"><ul class="years">{nav}</ul></div>
<div class="list-t"><ul>
{self.items(entries, year)}
</ul>
<div class="page">{PAGER_JS}<script>createPageHTML({total}, {current}, "index", "shtml");</script></div></div>"""
        return self.chrome(f"{year}年_{self.site_name}", main, self.site_meta(f"{year}年"))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, f"{r.year}年", r.publisher)
        table = meta_table([("索引号", r.index_no or ""), ("分类", "政府信息公开年报"),
                            ("发布机构", r.publisher or r.agency_name), ("发布日期", r.published)])
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="xxgk-info">{table}</div>
<h1 class="title">{esc(r.title)}</h1>
<div class="article-content"><div class="TRS_UEDITOR">
{body}
</div></div>
<div class="tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>"""
        return f"{r.title}_{self.site_name}", main, metas


# ------------------------------------------------------------------------------------- Anshun
class AnshunPortal(YearPortal):
    family = "trs_years"
    hosts = ("www.anshun.gov.cn",)
    agency_prefixes = ("anshun_zjj", "anshun_fgw")
    root = "/zfxxgk/zfxxgknb/"
    site_name = "安顺市人民政府"
    site_code = "5204000012"
    filler_prefix = "anshun"
    synthetic = [
        A("anshun_zjj", "安顺市住房和城乡建设局", range(2020, 2025), "small", "我局", "11520400MB1723086P",
          "安顺市住房和城乡建设局"),
        A("anshun_fgw", "安顺市发展和改革委员会", range(2021, 2025), "medium", "我委", "11520400009407561K",
          "安顺市发展和改革委员会"),
    ]

    def year_dir(self, year: int) -> str:
        return f"{year}year/"

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        out: dict = {}
        oldest = min(int(c) for c in columns)
        self.add_special(columns, out, "dead", oldest, f"安顺市住房和城乡建设局{oldest - 1}年政府信息公开工作年度报告",
                         f"{oldest}02/t{oldest}0220_80100001.html", f"{oldest}-02-20 10:00:00")
        self.specials["offsite"] = ["http://www.gov.cn/", "http://www.guizhou.gov.cn/"]
        years = sorted(int(c) for c in columns)
        main = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; '
                f'政府信息公开年报</div><div class="nb"><ul>{self.year_nav(years, "./")}</ul></div>'
                f'<p><a href="http://www.guizhou.gov.cn/" target="_blank">云上贵州 贵州省人民政府</a></p>')
        out[(self.host, self.root + "index.html")] = Resource(
            self.chrome(f"政府信息公开年报_{self.site_name}", main, self.site_meta("政府信息公开年报")).encode())
        return out

    def list_page(self, column: str, entries: list[Entry], current: int, total: int) -> str:
        year = int(column)

        def page(i: int) -> str:
            return "index.html" if i <= 0 else f"index_{i}.html"
        pager = (f'<a href="{page(0)}">首页</a> <a href="{page(max(current - 1, 0))}">上一页</a> '
                 f'<span>{current + 1}/{total}</span> <a href="{page(min(current + 1, total - 1))}">下一页</a> '
                 f'<a href="{page(total - 1)}">尾页</a>')
        main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="../">政府信息公开年报</a> &gt; {year}年</div>
<div class="NewsList"><ul>
{self.items(entries, year)}
</ul>
<div class="page">{pager}</div></div>"""
        return self.chrome(f"{year}年_{self.site_name}", main, self.site_meta(f"{year}year"))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, f"{r.year}year", r.publisher)
        table = meta_table([("索引号", r.index_no or ""), ("信息分类", "政府信息公开年报"),
                            ("发布机构", r.publisher or r.agency_name), ("发文日期", r.published)])
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="Article_xx">{table}</div>
<div class="Article_title"><h1>{esc(r.title)}</h1></div>
<div class="Article_zw"><div class="TRS_Editor">
{body}
</div></div>"""
        return f"{r.title}_{self.site_name}", main, metas


# ---------------------------------------------------------------------------------- Dongcheng
class DongchengPortal(YearPortal):
    family = "trs_years"
    hosts = ("www.bjdch.gov.cn",)
    agency_prefixes = ("dongcheng_zjw", "dongcheng_jw", "dongcheng_wjw")
    scheme = "https"
    root = "/zfxxgkzl/zfxxgknb/"
    site_name = "北京市东城区人民政府"
    site_code = "1101010001"
    filler_prefix = "dongcheng"
    synthetic = [
        A("dongcheng_zjw", "北京市东城区住房和城乡建设委员会", range(2020, 2025), "medium", "我委", None, None,
          "%Y-%m-%d %H:%M"),
        A("dongcheng_jw", "北京市东城区教育委员会", range(2022, 2025), "medium", "我委", None, None, "%Y-%m-%d %H:%M"),
        A("dongcheng_wjw", "北京市东城区卫生健康委员会", range(2021, 2025), "medium", "我委", None, None,
          "%Y-%m-%d %H:%M"),
    ]
    page_size = 2

    def year_dir(self, year: int) -> str:
        return f"{year}nb/dcqzfbm{year}/"

    def categories(self, year: int, up: str) -> str:
        """The year's three sub-columns; only 区政府部门 (dcqzfbm) is the departments'."""
        return (f'<a href="{up}{year}nb/dcqzf{year}/">区政府</a> <a href="{up}{year}nb/dcqzfbm{year}/">区政府部门</a> '
                f'<a href="{up}{year}nb/dcqjd{year}/">街道</a>')

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        out: dict = {}
        years = sorted((int(c) for c in columns), reverse=True)
        self.specials["offsite"] = ["http://www.gov.cn/", "https://www.beijing.gov.cn/"]
        self.specials["not_followed"] = [f"{self.base}{self.root}{y}nb/{c}{y}/" for y in years
                                         for c in ("dcqzf", "dcqjd")]
        rows = "".join(f"<li><h3>{y}年度</h3>{self.categories(y, './')}</li>" for y in years)
        main = (f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zfxxgkzl/">政府信息公开专栏</a> &gt; '
                f'政府信息公开年度报告</div><div class="nb"><ul>{rows}</ul></div>'
                f'<p><a href="https://www.beijing.gov.cn/">首都之窗</a></p>')
        out[(self.host, self.root + "index.html")] = Resource(
            self.chrome(f"政府信息公开年度报告_{self.site_name}", main, self.site_meta("政府信息公开年度报告")).encode())
        return out

    def list_page(self, column: str, entries: list[Entry], current: int, total: int) -> str:
        year = int(column)
        main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="../../">政府信息公开年度报告</a> &gt; {year}年度 &gt; 区政府部门</div>
<div class="tabs">{self.categories(year, "../../")}</div>
<div class="list"><ul>
{self.items(entries, year)}
</ul>
<div class="page">{PAGER_JS}<script>createPageHTML({total}, {current}, "index", "html");</script></div></div>"""
        return self.chrome(f"区政府部门_{year}年度_{self.site_name}", main, self.site_meta("区政府部门"))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, "区政府部门", r.agency_name)
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="xl_con">
<h1 class="xl_title">{esc(r.title)}</h1>
<div class="xl_info"><span>发布日期：{esc(r.published)}</span> <span>来源：{esc(r.agency_name)}</span></div>
<div class="xl_text"><div class="TRS_UEDITOR">
{body}
</div></div></div>"""
        return f"{r.title}_{self.site_name}", main, metas


# -------------------------------------------------------------------------- Chongqing districts
class ChongqingDistrict(Site):
    """The Chongqing district template: one 政府信息公开年报 column per department."""
    family = "trs"
    column = ""           # the department's column path (ends with /)
    page_size = 3
    min_pages = 2
    dept = ""             # the department's short name as the portal prints it

    @property
    def filler_agency(self) -> str:
        return self.agency_prefixes[0]

    def report_url(self, r: Report) -> str:
        return f"http://{self.host}{self.column}{r.url_date[:6]}/t{r.url_date}_{r.doc_id}.html"

    def notice_url(self, n: Notice) -> str:
        return f"http://{self.host}{self.column}{n.url_date[:6]}/t{n.url_date}_{n.doc_id}.html"

    def list_path(self, column: str, index: int) -> str:
        return self.column + ("index.html" if index == 0 else f"index_{index}.html")

    def list_page(self, column: str, entries: list[Entry], current: int, total: int) -> str:
        prefix = f"http://{self.host}{self.column}"
        items = "\n".join(
            f'<li><a href="{esc("./" + e.url[len(prefix):] if e.url.startswith(prefix) else e.url)}" target="_blank" '
            f'title="{esc(e.title)}">{esc(e.title)}</a><span>{day(e.published)}</span></li>' for e in entries)
        main = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="../../">{esc(self.dept)}</a> &gt; <a href="../">政务公开</a> &gt; 政府信息公开年报</div>
<div class="zwgk-list"><ul>
{items}
</ul>
<div class="page">{PAGER_JS}<script>createPageHTML({total}, {current}, "index", "html");</script></div></div>"""
        return self.chrome(f"政府信息公开年报_{self.site_name}", main, self.site_meta("政府信息公开年报"))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, "政府信息公开年报", r.publisher)
        table = meta_table([("索引号", r.index_no or ""), ("主题分类", "政府信息公开年报"),
                            ("发布机构", r.publisher or r.agency_name), ("成文日期", day(r.published)),
                            ("发布日期", r.published), ("有效性", "有效")])
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="zwxl-table">{table}</div>
<div class="zwxl-title"><p class="tit">{esc(r.title)}</p></div>
<div class="zwxl-article"><div class="TRS_UEDITOR trs_paper_default">
{body}
</div></div>
<div class="zwxl-bar"><a href="javascript:window.print()">打印</a> <a href="javascript:window.close()">关闭</a></div>"""
        return f"{r.title}_{self.site_name}", main, metas

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="zwxl-title"><p class="tit">{esc(n.title)}</p></div><div class="info">发布日期：{esc(n.published)}</div>'
                f'<div class="zwxl-article"><div class="TRS_UEDITOR">{n.body_html}</div></div>')
        return f"{n.title}_{self.site_name}", main

    def hostile(self, columns, out, kind: str, title: str, tail: str, published: str) -> None:
        url = f"http://{self.host}{self.column}{tail}"
        columns.setdefault("", []).append(Entry(title, url, published))
        if kind == "soft_404":
            out[(self.host, url_path(url))] = Resource(soft_404_page(self.site_name), validators=False)
        self.specials[kind] = [url]

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
</head><body>
<div class="header"><a href="/">{esc(self.site_name)}</a> <a href="http://www.cq.gov.cn/">重庆市人民政府</a></div>
{main}
<div class="footer"><p>主办：{esc(self.site_name)}办公室　网站标识码：{self.site_code}</p></div>
</body></html>"""


class JiulongpoDistrict(ChongqingDistrict):
    hosts = ("cqjlp.gov.cn",)
    agency_prefixes = ("jiulongpo_zjw",)
    column = "/bmjz/qzfbm_97119/qzfcxjw_97722/zwgk_97124/zfxxgknb_97134/"
    site_name = "重庆市九龙坡区人民政府"
    site_code = "5001070003"
    dept = "区住房城乡建委"
    synthetic = [A("jiulongpo_zjw", "重庆市九龙坡区住房和城乡建设委员会", range(2020, 2026), "medium", "我委",
                   "11500107009300227X", "重庆市九龙坡区住房和城乡建设委员会")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        out: dict = {}
        self.hostile(columns, out, "dead", "重庆市九龙坡区住房和城乡建设委员会2018年政府信息公开工作年度报告",
                     "201901/t20190125_8000123.html", "2019-01-25 16:20:00")
        self.specials["offsite"] = ["http://www.cq.gov.cn/"]
        return out


class RongchangDistrict(ChongqingDistrict):
    hosts = ("rongchang.gov.cn",)
    agency_prefixes = ("rongchang_zjw",)
    column = "/bm/qzfcxjw/zwgk_70831/zfxxgknb_70842/"
    site_name = "重庆市荣昌区人民政府"
    site_code = "5001530004"
    dept = "区住房城乡建委"
    synthetic = [A("rongchang_zjw", "重庆市荣昌区住房和城乡建设委员会", range(2019, 2024), "small", "我委",
                   "115022267842508578", "重庆市荣昌区住房和城乡建设委员会")]

    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        out: dict = {}
        self.hostile(columns, out, "soft_404", "重庆市荣昌区住房和城乡建设委员会2017年政府信息公开工作年度报告",
                     "201801/t20180130_5500777.html", "2018-01-30 09:10:00")
        self.specials["offsite"] = ["http://www.cq.gov.cn/"]
        return out
