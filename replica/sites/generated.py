"""Generated unknown-CMS sites: N agency sites from a seed, each laid out differently, for the generic
family (crawler/families/generic.py) and its benchmark (bench/generic.py).

    from replica.sites.generated import generate_sites, registry_entries
    sites = generate_sites(8, seed=7)                 # hosts zjj.gen10.gov.cn ... zjj.gen17.gov.cn
    ReplicaServer(corpus, extra_sites=sites)          # served beside the replica web
    registry_entries(sites)                           # {slug: registry entry}: family generic, home page only

Each site draws its layout (`Layout`) from the seed; every feature value is spread round-robin over the
sites so a handful of them covers each:
- depth: the report column 1-3 clicks from the home page (home > 政务公开 > 政府信息公开 > 年度报告 ...), and
  the registry start: the home page or (depth >= 2) the 信息公开 entry;
- link markup: relative, root-relative or absolute <a href>, onclick="window.open('...')" with
  href="javascript:void(0)", or a data-href attribute read by a script;
- pagination: 下一页/尾页 links only (page_N.html), numbered pager links (index_N / index-N, 1-based) with
  尾页, createPageHTML(total, current, "index", "html") (TRS: index_1 is page 2), `?page=N` links, or a page
  count in a script (var pageCount = N; links built by script, TRS numbering);
- column: flat (the column lists the reports) or by_year (it lists one column per year: 2021年 -> 2021/ ...);
- list markup: ul/li, table rows, divs; GBK pages (declared or not); report URLs beside the column, under
  /art/Y/M/D/, /content/post_ID.html or /detail.jsp?id=ID;
- noise: other columns (served: notices), 信息公开指南/制度/依申请公开 pages, links to other hosts (the city
  portal, its 信息公开 platform and 年报 column, www.gov.cn), hard negatives in the column (关于报送…的通知).
Reports: 3-6 consecutive years each, built by replica.content.synth.build_report (true figures; HTML
mostly, one in four sites has a report with a PDF copy attached).

DEMO_SITES (three fixed sites, hosts zjj.gen1..3.gov.cn) are part of the default replica web, their reports
part of the corpus (`synthetic`); their registry entries are crawler/agencies/generated.yaml
(`python -m replica.sites.generated --registry`).
"""
from __future__ import annotations

import argparse
import copy
import functools
import random
import sys
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from replica.content import synth
from replica.model import Notice, Report
from replica.sites.base import Entry, Request, Resource, Site, day, esc, meta_tags, article_tags, minute

DEMO_SEED = 2026
DEPTHS = (1, 2, 3)
LINKS = ("relative", "root", "absolute", "onclick", "data")
PAGINATIONS = ("next", "numbered", "create", "query", "script")
MARKUPS = ("ul", "table", "div")
ENCODINGS = ("utf-8", "gbk")
DETAILS = ("beside", "art", "post", "query")
COLUMN_KINDS = ("flat", "by_year", "flat")      # by_year: the column lists year columns (2021年 -> 2021/ ...)
YEAR_TEXTS = ("{y}年", "{y}年度", "{y}")
YEAR_DIRS = ("{y}/", "{y}nb/", "{y}_{k}/")
FIRST = "青云澄岚桐松临明玉金白丹翠碧鹤"
SECOND = "岚溪川原阳峰湖泉谷屿潭岭浦塘"

# (link text, path) of the sections between home and the column, by depth
SECTIONS = {
    1: [[]],
    2: [[("政府信息公开", "/xxgk/")], [("信息公开", "/zwgk/")], [("政务公开", "/zwgk/")]],
    3: [[("政务公开", "/zwgk/"), ("政府信息公开", "/zwgk/xxgk/")],
        [("信息公开", "/gk/"), ("法定主动公开内容", "/gk/fdzdgknr/")],
        [("政务公开", "/zw/"), ("政府信息公开目录", "/zw/gkml/")]],
}
# (link text, folder) of the report column
COLUMNS = [("政府信息公开年报", "xxgknb/"), ("年度报告", "ndbg/"), ("政府信息公开工作年度报告", "col/col{k}/"),
           ("信息公开年报", "gknb/"), ("政府信息公开年度报告", "channel_{k}/")]
NOISE = [("机构概况", "jggk/"), ("通知公告", "tzgg/"), ("政策文件", "zcwj/"), ("人事信息", "rsxx/"),
         ("财政资金", "czzj/"), ("政府信息公开指南", "xxgkzn/"), ("政府信息公开制度", "xxgkzd/"), ("依申请公开", "ysqgk/")]
NOTICE_TITLES = ["关于报送{y}年政府信息公开工作年度报告的通知", "{y}年政务公开工作要点", "关于做好{y}年安全生产月活动的通知",
                 "关于公布{y}年度行政许可事项清单的公告", "{y}年度部门预算公开说明", "关于开展{y}年建筑市场专项检查的通知"]


@dataclass(frozen=True)
class Layout:
    n: int
    seed: int
    depth: int
    start: str            # "home" or "section" (the 信息公开 entry is the registry's start URL)
    links: str
    pagination: str
    markup: str
    encoding: str
    detail: str
    page_size: int
    years: tuple[int, ...]
    city: str
    sections: tuple = ()
    column_text: str = ""
    column_dir: str = ""
    pdf_year: int | None = None
    sep: str = "_"
    column: str = "flat"  # flat: the column lists the reports; by_year: it lists one column per year
    year_text: str = "{y}年"
    year_dir: str = "{y}/"
    param: str = "page"

    @property
    def host(self) -> str:
        return f"zjj.gen{self.n}.gov.cn"

    @property
    def slug(self) -> str:
        return f"gen{self.n}_zjj"

    @property
    def name(self) -> str:
        return f"{self.city}住房和城乡建设局"

    def features(self) -> dict[str, str]:
        """The layout features the benchmark reports recall by."""
        return {"depth": str(self.depth), "start": self.start, "column": self.column, "links": self.links,
                "pagination": self.pagination, "markup": self.markup, "encoding": self.encoding, "detail": self.detail}


def make_layout(n: int, seed: int, index: int = 0) -> Layout:
    """The layout of site number n; `index` (its position in the generated set) spreads every feature
    value round-robin over the set, the seed shifts the rotations."""
    rng = random.Random(f"generated:{seed}:{n}")
    shift = random.Random(f"generated:{seed}:shift")

    def pick(values):
        return values[(index + shift.randrange(len(values))) % len(values)]

    depth = pick(DEPTHS)
    end = rng.randint(2021, 2025)
    count = rng.randint(3, 6)
    k = rng.randint(1000, 9999)
    text, folder = rng.choice(COLUMNS)
    sections = tuple(rng.choice(SECTIONS[depth]))
    return Layout(n=n, seed=seed, depth=depth, start=("section" if depth >= 2 and rng.random() < 0.4 else "home"),
                  links=pick(LINKS), pagination=pick(PAGINATIONS), markup=pick(MARKUPS), encoding=pick(ENCODINGS),
                  detail=pick(DETAILS), page_size=rng.choice([2, 2, 3]), years=tuple(range(end - count + 1, end + 1)),
                  city=rng.choice(FIRST) + rng.choice(SECOND) + "市", sections=sections, column_text=text,
                  column_dir=folder.format(k=k), pdf_year=(end - 1 if rng.random() < 0.25 else None),
                  sep=rng.choice("_-"), param=rng.choice(["page", "pageNo", "p"]), column=pick(COLUMN_KINDS),
                  year_text=rng.choice(YEAR_TEXTS), year_dir=rng.choice(YEAR_DIRS).replace("{k}", str(k * 7 + 13)))


@functools.lru_cache(maxsize=256)
def _built(layout: Layout) -> tuple[list[Report], list[Notice]]:
    agency = synth.Agency(layout.slug, layout.name, range(layout.years[0], layout.years[-1] + 1), "small", "我局",
                          None, None)
    reports = []
    for i, year in enumerate(layout.years):
        key = (layout.slug, year)
        pdf = year == layout.pdf_year
        if pdf:
            synth.PDF_COPY.add(key)   # synth's own switch for "a PDF copy attached"; our slugs only
        try:
            r = synth.build_report(agency, year, 7_000_000 + layout.n * 1000 + i, layout.seed)
        finally:
            synth.PDF_COPY.discard(key)
        r.encoding = layout.encoding
        reports.append(r)
    rng = random.Random(f"generated:{layout.seed}:{layout.n}:notices")
    notices = []
    for j, title in enumerate(rng.sample(NOTICE_TITLES, 2)):
        y = rng.choice(layout.years)
        when = f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}:00"
        t = title.format(y=y)
        notices.append(Notice(agency=layout.slug, title=t, published=when, url_date=when[:10].replace("-", ""),
                              doc_id=7_500_000 + layout.n * 1000 + j,
                              body_html=f"<p>各有关单位：</p><p>{esc(t)}。</p><p>{esc(layout.name)}</p>"))
    return reports, notices


class GeneratedSite(Site):
    """One generated unknown-CMS site (hosts, agency and layout per instance: not a fixed class)."""
    family = "generic"
    etag_style = "nginx"
    min_pages = 2

    def __init__(self, layout: Layout, seed: int = 2024, own_reports: bool = True):
        super().__init__(seed)
        self.layout = layout
        self.hosts = (layout.host,)
        self.agency_prefixes = (layout.slug,)
        self.page_size = layout.page_size
        self.site_name = layout.name
        self.site_code = f"99{layout.n:08d}"
        self.filler_agency = layout.slug
        self.noise = [(t, d) for t, d in NOISE]
        if own_reports:   # generated sets hold their own; the demo sites get theirs from the corpus
            reports, notices = _built(layout)
            for r in reports:
                self.add(copy.copy(r))
            for n in notices:
                self.add(copy.copy(n))

    def add(self, item, published_now: bool = False) -> None:
        if isinstance(item, Report):
            item.encoding = self.layout.encoding   # the site's pages and reports alike
        super().add(item, published_now)

    # --- URLs ---------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://{self.host}"

    @property
    def section_paths(self) -> list[tuple[str, str]]:
        return list(self.layout.sections)

    @property
    def column_path(self) -> str:
        parent = self.layout.sections[-1][1] if self.layout.sections else "/"
        return parent + self.layout.column_dir

    @property
    def start_url(self) -> str:
        """The registry's start URL: the home page, or the 信息公开 entry (first section)."""
        if self.layout.start == "section" and self.layout.sections:
            return self.base + self.layout.sections[0][1]
        return self.base + "/"

    def _doc_url(self, item) -> str:
        d = item.url_date
        style = self.layout.detail
        if style == "beside":
            return f"{self.base}{self.column_path}{d[:6]}/t{d}_{item.doc_id}.html"
        if style == "art":
            return f"{self.base}/art/{d[:4]}/{int(d[4:6])}/{int(d[6:])}/art_{self.layout.n}_{item.doc_id}.html"
        if style == "post":
            return f"{self.base}/content/post_{item.doc_id}.html"
        return f"{self.base}/detail.jsp?id={item.doc_id}"

    def report_url(self, report: Report) -> str:
        return self._doc_url(report)

    def notice_url(self, notice: Notice) -> str:
        return self._doc_url(notice)

    def column_of(self, item) -> str:
        """"" (the column) on a flat site; the item's year column on a by_year one."""
        if self.layout.column != "by_year":
            return ""
        if isinstance(item, Report):
            return str(item.year)
        years = [y for y in self.layout.years if str(y) in item.title]
        return str(years[0] if years else self.layout.years[-1])

    def year_url(self, year: int) -> str:
        return self.base + self.column_path + self.layout.year_dir.format(y=year)

    def column_urls(self) -> list[str]:
        """Every page of the report column: its list pages (the year list on a by_year site) and year columns."""
        years = [self.year_url(y) for y in self.layout.years] if self.layout.column == "by_year" else []
        pages = -(-len(self._column_entries()) // self.page_size)
        return [self.list_url(i) for i in range(max(1, pages))] + years

    def _column_entries(self) -> list:
        if self.layout.column == "by_year":
            return list(self.layout.years)
        return self.reports + [n for n in self.notices]

    def list_url(self, index: int) -> str:
        """Page index (0-based) of the report column, as the pagination style names it."""
        col, p = self.base + self.column_path, self.layout.pagination
        if index == 0:
            return col + ("list.jsp?cid=" + str(self.layout.n) if p == "query" else "")
        if p == "next":
            return f"{col}page_{index + 1}.html"
        if p == "numbered":
            return f"{col}index{self.layout.sep}{index + 1}.html"
        if p in ("create", "script"):
            return f"{col}index_{index}.html"
        return f"{col}list.jsp?cid={self.layout.n}&{self.layout.param}={index + 1}"

    def list_path(self, column: str, index: int) -> str:
        path = _key(self.list_url(index))
        return path + "index.html" if path.endswith("/") else path

    def resource_key(self, req: Request) -> tuple[str, str] | None:
        """Pages addressed by query (list.jsp?cid=1&page=2, detail.jsp?id=1): keyed by path and sorted query."""
        if req.query:
            return req.host, _key(f"http://{req.host}{req.path}?{req.query}")
        return None

    # --- links as this site writes them ---------------------------------------------------------
    def href(self, url: str, here: str) -> str:
        style = self.layout.links
        if style == "absolute":
            return url
        if style == "relative" and url.startswith(here.rsplit("/", 1)[0] + "/"):
            return "./" + url[len(here.rsplit("/", 1)[0]) + 1:]
        return url[len(self.base):] or "/"

    def link(self, url: str, text: str, here: str, title: str = "") -> str:
        h = esc(self.href(url, here))
        t = f' title="{esc(title)}"' if title else ""
        if self.layout.links == "onclick":
            return f'<a href="javascript:void(0)" onclick="window.open(\'{h}\')"{t}>{esc(text)}</a>'
        if self.layout.links == "data":
            return f'<a href="javascript:;" class="go" data-href="{h}"{t}>{esc(text)}</a>'
        return f'<a href="{h}"{t}>{esc(text)}</a>'

    def nav_link(self, url: str, text: str) -> str:
        """The menu of every page (the chrome): root-relative where the site links relatively (the same
        bytes on every page); script-link sites script their menus too."""
        if self.layout.links == "relative":
            return f'<a href="{esc(url[len(self.base):] or "/")}">{esc(text)}</a>'
        return self.link(url, text, self.base + "/")

    # --- pages ----------------------------------------------------------------------------------
    def encode(self, page: str) -> tuple[bytes, str]:
        if self.layout.encoding == "gbk":
            declared = self.layout.n % 2 == 0
            page = page.replace('<meta charset="utf-8">', '<meta charset="gbk">' if declared else "", 1)
            return page.encode("gbk", "xmlcharrefreplace"), "text/html"
        return page.encode("utf-8"), "text/html; charset=utf-8"

    def page(self, title: str, main: str, metas: str = "", mtime: float | None = None) -> Resource:
        data, ctype = self.encode(self.chrome(title, main, metas))
        return Resource(data, ctype, mtime=mtime)

    def notice_page(self, notice: Notice) -> Resource:
        title, main = self.notice_html(notice)
        from replica.sites.base import epoch
        return self.page(title, main, mtime=epoch(notice.published))

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        first = self.layout.sections[0] if self.layout.sections else None
        menu = [(self.base + "/", "首页"), (self.base + "/jggk/", "机构概况"), (self.base + "/tzgg/", "通知公告")]
        if first:
            menu.append((self.base + first[1], first[0]))
        menu.append((self.base + "/zcwj/", "政策文件"))
        nav = " ".join(self.nav_link(u, t) for u, t in menu)
        script = ('<script>document.querySelectorAll("[data-href]").forEach(function(a){a.onclick=function(){'
                  'location.href=a.getAttribute("data-href");};});</script>') if self.layout.links == "data" else ""
        city = self.layout.city
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
</head><body>
<div class="top"><span>{esc(self.site_name)}</span> <a href="http://www.gen{self.layout.n}.gov.cn/">{esc(city)}人民政府</a>
 <a href="http://xxgk.gen{self.layout.n}.gov.cn/">{esc(city)}政府信息公开平台</a></div>
<div class="nav">{nav}</div>
{main}
<div class="footer"><a href="http://www.gov.cn/">中国政府网</a> <a href="http://www.gen{self.layout.n}.gov.cn/zfxxgknb/">{esc(city)}政府信息公开年报</a>
 <a href="http://service.weibo.com/share/share.php?title={esc(title)}">微博</a>
<p>主办：{esc(self.site_name)}　网站标识码：{self.site_code}</p></div>
{script}
</body></html>"""

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        metas = self.detail_meta(r, self.layout.column_text, r.agency_name) or meta_tags(article_tags(r, r.agency_name))
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="article">
<h2 class="title">{esc(r.title)}</h2>
<div class="info"><span>发布时间：{minute(r.published)}</span> <span>来源：{esc(r.agency_name)}</span></div>
<div class="article_con"><div class="TRS_UEDITOR TRS_WEB">
{body}
</div></div>
</div>"""
        return f"{r.title}-{self.site_name}", main, metas

    def detail(self, report: Report) -> Resource:
        title, main, metas = self.detail_html(report)
        data, ctype = self.encode_page(self.chrome(title, main, metas), report)
        from replica.sites.base import epoch
        return Resource(data, ctype, mtime=epoch(report.published))

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="article"><h2 class="title">{esc(n.title)}</h2><div class="info"><span>发布时间：'
                f'{minute(n.published)}</span></div><div class="article_con">{n.body_html}</div></div>')
        return f"{n.title}-{self.site_name}", main

    def items(self, entries: list[Entry], here: str) -> str:
        m = self.layout.markup
        rows = []
        for e in entries:
            a = self.link(e.url, e.title, here, title=e.title)
            if m == "ul":
                rows.append(f"<li>{a}<span class=\"date\">{day(e.published)}</span></li>")
            elif m == "table":
                rows.append(f"<tr><td class=\"t\">{a}</td><td class=\"d\">{day(e.published)}</td></tr>")
            else:
                rows.append(f"<div class=\"item\"><div class=\"tit\">{a}</div><div class=\"time\">{day(e.published)}</div></div>")
        body = "\n".join(rows)
        if m == "ul":
            return f'<ul class="list">\n{body}\n</ul>'
        if m == "table":
            return f'<table class="list" width="100%">\n{body}\n</table>'
        return f'<div class="list">\n{body}\n</div>'

    def pager(self, index: int, total: int, here: str) -> str:
        p = self.layout.pagination
        if total <= 1:
            return ""
        if p == "create":
            return (f'<div class="page"><script type="text/javascript">function createPageHTML(c, n, name, ext)'
                    f'{{for (var i = 0; i < c; i++) document.write(i == n ? (i + 1) + " " : "<a href=\\"" + '
                    f'(i == 0 ? name + "." + ext : name + "_" + i + "." + ext) + "\\">" + (i + 1) + "</a> ");}}\n'
                    f'createPageHTML({total}, {index}, "index", "html");</script></div>')
        if p == "script":
            return (f'<div class="page" id="pager"></div><script>var pageCount = {total}; var currentPage = {index};\n'
                    f'var h = ""; for (var i = 0; i < pageCount; i++) {{ var u = i == 0 ? "index.html" : "index_" + i + ".html";'
                    f' h += i == currentPage ? "<b>" + (i + 1) + "</b>" : "<a href=\'" + u + "\'>" + (i + 1) + "</a>"; }}\n'
                    f'document.getElementById("pager").innerHTML = h;</script>')
        link = lambda i, text: self.link(self.list_url(i), text, here)   # noqa: E731
        parts = [link(0, "首页")]
        if index > 0:
            parts.append(link(index - 1, "上一页"))
        if p in ("numbered", "query"):
            lo, hi = max(0, index - 1), min(total, index + 2)     # a window of three numbers
            parts += [str(i + 1) if i == index else link(i, str(i + 1)) for i in range(lo, hi)]
        if index < total - 1:
            if p != "query":
                parts.append(link(index + 1, "下一页"))
        parts.append(link(total - 1, "尾页"))
        return f'<div class="page">{" ".join(parts)} <span>共{total}页</span></div>'

    def list_page(self, column: str, entries: list[Entry], index: int, total: int) -> str:
        here = self.list_url(index)
        crumbs = " &gt; ".join([self.link(self.base + "/", "首页", here)]
                               + [self.link(self.base + p, t, here) for t, p in self.layout.sections]
                               + [esc(self.layout.column_text)])
        main = (f'<div class="crumb">当前位置：{crumbs}</div>\n<div class="main">{self.items(entries, here)}\n'
                f'{self.pager(index, total, here)}</div>')
        return self.chrome(f"{self.layout.column_text}-{self.site_name}", main, self.site_meta(self.layout.column_text))

    def list_pages(self, column: str, entries: list[Entry]) -> dict[tuple[str, str], Resource]:
        if column:   # a year column (by_year): one page, no pager
            url = self.year_url(int(column))
            text = self.layout.year_text.format(y=column)
            crumbs = (f'<div class="crumb">当前位置：{self.link(self.base + "/", "首页", url)} &gt; '
                      f'{self.link(self.list_url(0), self.layout.column_text, url)} &gt; {esc(text)}</div>')
            main = f'{crumbs}\n<div class="main">{self.items(entries, url)}</div>'
            data, ctype = self.encode(self.chrome(f"{text}-{self.layout.column_text}-{self.site_name}", main))
            from replica.sites.base import newest
            return {(self.host, _key(url) + "index.html"): Resource(data, ctype, mtime=newest(entries))}
        size = self.page_size
        chunks = [entries[i:i + size] for i in range(0, len(entries), size)]
        from replica.sites.base import newest
        out = {}
        for i, chunk in enumerate(chunks):
            data, ctype = self.encode(self.list_page(column, chunk, i, len(chunks)))
            out[(self.host, self.list_path(column, i))] = Resource(data, ctype, mtime=newest(chunk))
        if self.layout.pagination == "query" and len(chunks) > 1:   # ?page=1 is page 1 too
            first = self.list_url(0) + f"&{self.layout.param}=1"
            out[(self.host, _key(first))] = out[(self.host, self.list_path(column, 0))]
        return out

    def pad_column(self, column: str, entries: list[Entry]) -> list[Entry]:
        if self.layout.column == "by_year":
            return entries
        return self.pad(entries, self.filler_agency, self.notice_url, column=column)

    def extras(self, columns: dict[str, list[Entry]]) -> dict[tuple[str, str], Resource]:
        """Home, the sections on the way to the column, and the noise columns (all served)."""
        out: dict[tuple[str, str], Resource] = {}
        n = self.layout.n
        if self.layout.column == "by_year":   # the column: a list of year columns, paginated like a flat one
            years = [Entry(self.layout.year_text.format(y=y), self.year_url(y), f"{y + 1}-01-01 08:00:00")
                     for y in sorted(self.layout.years, reverse=True)]
            out.update(self.list_pages("", years))
        self.specials["offsite"] = ["http://www.gov.cn/", f"http://www.gen{n}.gov.cn/", f"http://xxgk.gen{n}.gov.cn/",
                                    f"http://www.gen{n}.gov.cn/zfxxgknb/"]
        column_url = self.list_url(0)
        chain = [("首页", "/")] + [(t, p) for t, p in self.layout.sections]
        for depth, (text, path) in enumerate(chain):
            here = self.base + path
            nxt = chain[depth + 1] if depth + 1 < len(chain) else None
            target = (self.base + nxt[1], nxt[0]) if nxt else (column_url, self.layout.column_text)
            noise = [(self.base + path + d, t) for t, d in self.noise[depth * 3: depth * 3 + 4]]
            boxes = [target] + noise
            random.Random(f"{self.layout.seed}:{n}:{depth}").shuffle(boxes)
            links = "\n".join(f"<li>{self.link(u, t, here)}</li>" for u, t in boxes)
            main = f'<div class="crumb">{esc(text)}</div>\n<div class="columns"><ul>\n{links}\n</ul></div>'
            out[(self.host, path + "index.html")] = self.page(f"{text}-{self.site_name}", main)
            for u, t in noise:
                body = (f'<div class="crumb">{esc(t)}</div><div class="main"><p>{esc(t)}。</p>'
                        f'{self.link(self.base + "/", "返回首页", u)}</div>')
                out[(self.host, _key(u) + "index.html")] = self.page(f"{t}-{self.site_name}", body)
        for path, text in [("/jggk/", "机构概况"), ("/tzgg/", "通知公告"), ("/zcwj/", "政策文件")]:
            out.setdefault((self.host, path + "index.html"), self.page(f"{text}-{self.site_name}",
                                                                       f'<div class="crumb">{text}</div>'))
        return out


def _key(url: str) -> str:
    """The path a page is served under: path, and its query with the parameters sorted."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return (parts.path or "/") + (f"?{query}" if query else "")


def generate_sites(count: int, seed: int, first: int = 10) -> list[GeneratedSite]:
    """`count` sites from `seed`, numbered from `first` (hosts zjj.gen{n}.gov.cn)."""
    return [GeneratedSite(make_layout(first + i, seed, i)) for i in range(count)]


def registry_entries(sites: list[GeneratedSite]) -> dict[str, dict]:
    """The registry entries of generated sites: family generic, the start page only."""
    return {s.layout.slug: {
        "name": s.layout.name, "level": "prefecture", "host": s.host, "platform": "unknown", "family": "generic",
        "columns": [s.start_url], "column": "unknown", "allowed_domains": [s.host],
        "confidence": "replica", "source": "replica/sites/generated.py (a generated unknown-CMS site, replica only)",
    } for s in sites}


def _demo(i: int) -> type[GeneratedSite]:
    """A demo site: a class (so every replica web has it) whose agency the corpus builds (`synthetic`),
    so its reports are corpus reports like the seed sites' (no PDF copy: the corpus makes HTML ones)."""
    layout = make_layout(i, DEMO_SEED, i - 1)
    agency = synth.Agency(layout.slug, layout.name, range(layout.years[0], layout.years[-1] + 1), "small", "我局",
                          None, None)

    def init(self, seed: int = 2024):
        GeneratedSite.__init__(self, layout, seed, own_reports=False)
    return type(f"DemoGenerated{i}", (GeneratedSite,), {
        "__init__": init, "hosts": (layout.host,), "layout": layout, "agency_prefixes": (layout.slug,),
        "synthetic": [agency], "__module__": __name__})


# the three generated sites of the default replica web (replica/sites/__init__.py finds them by `hosts`)
DemoGenerated1, DemoGenerated2, DemoGenerated3 = _demo(1), _demo(2), _demo(3)
DEMO_SITES = [DemoGenerated1, DemoGenerated2, DemoGenerated3]


def main(argv: list[str] | None = None) -> int:
    import yaml
    ap = argparse.ArgumentParser(prog="python -m replica.sites.generated", description=__doc__.split("\n\n")[0])
    ap.add_argument("--registry", action="store_true", help="print the demo sites' registry entries (YAML)")
    ap.add_argument("--count", type=int, help="instead: COUNT sites from --seed")
    ap.add_argument("--seed", type=int, default=DEMO_SEED)
    args = ap.parse_args(argv)
    sites = generate_sites(args.count, args.seed) if args.count else [cls() for cls in DEMO_SITES]
    if args.registry:
        sys.stdout.write(yaml.safe_dump(registry_entries(sites), allow_unicode=True, sort_keys=False))
    else:
        for s in sites:
            print(s.start_url, s.layout.features())
    return 0


if __name__ == "__main__":
    sys.exit(main())
