"""A synthetic nation for the replica web: N agencies on M hosts, deterministic from a seed, rendered lazily.

    from replica.nation import Nation
    nation = Nation(n_agencies=3000, n_hosts=600, seed=1)
    nation.registry("nation.yaml")           # a registry file for NIANBAO_REGISTRY (every agency crawlable)
    with ReplicaServer(nation=nation) as server:   # the nation's hosts answered before the static replica
        ...
    nation.truth("gd_qingyun_zjj")            # that agency's reports' ground truth, without serving anything

Hosts are spread round-robin over three platform families the crawler knows, each laid out as the
replica's own site of that family lays it out (same URL grammar, same detail markup, lean chrome):
- `trs_hunan`: a city portal (www.{place}.{prov}.gov.cn) whose one column /xxgk/zfxxgknb/bmnb/ lists every
  department's reports, 10 a page (index.html, index_2.html ...; details YYYYMM/tYYYYMMDD_{id}.html): a
  shared column, each agency with `match` (its department's name), like the Hunan portal;
- `hanweb` (浙江): a county site with one JCMS column per department, /col/col{id}/index.html embedding the
  first records in a <datastore>, /module/web/jpage/dataproxy.jsp serving the rest (details
  /art/Y/M/D/art_{col}_{id}.html);
- `gkmlpt` (广东): a county catalogue, one column per department answered by the JSON API
  /gkmlpt/api/all/{column}?page=N&sid=S (the registry's start), details /gkmlpt/content/a/b/post_{id}.html.
Several agencies per host (n_agencies / n_hosts, at most len(DEPARTMENTS)), each with 1-3 consecutive years
of page-only reports (2019-2024: both templates, figures in page tables; no PDF/DOCX: cheap) built by
replica.content.synth.build_report (true figures), plus one notice per agency in its column.

Why lean layouts and not one instance of the existing site classes per host: those classes hold their host,
column and chrome in module constants (HunanPortal, HanwebQuzhou) and render a whole site at once into a
dict, which is what this module must not do. Here a host's plan (agencies, report stubs: id, title, date,
URL) is a few small tuples computed from the seed; a report's figures and page are built only when its
page is asked for. Both are kept in bounded LRU caches (HOST_CACHE plans, PAGE_CACHE pages), so the
replica's memory does not grow with N (what grows: one small dict host -> index and slug -> index).
Titles, dates and ids come from the nation's own random streams, the figures from build_report's, so a
report's list entry is known without building the report. http only (no CONNECT for the nation's hosts).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from replica.content import synth
from replica.model import Report
from replica.sites.base import Request, Resource, Response, day, epoch, esc, minute, not_found_page

HOST_CACHE = 256    # host plans kept
PAGE_CACHE = 512    # rendered report pages kept
FAMILIES = ("trs_hunan", "hanweb", "gkmlpt")
# the provinces of each family's hosts: (abbreviation in host and slug, name, GB/T 2260 province code)
PROVINCES = {
    "trs_hunan": [("hn", "湖南", "43"), ("hb", "湖北", "42"), ("gx", "广西", "45"), ("sc", "四川", "51"),
                  ("jx", "江西", "36"), ("sd", "山东", "37"), ("ha", "河南", "41"), ("yn", "云南", "53")],
    "hanweb": [("zj", "浙江", "33"), ("js", "江苏", "32"), ("ah", "安徽", "34")],
    "gkmlpt": [("gd", "广东", "44")],
}
# place names: first and further characters with distinct pinyin (later ones consonant-initial, so the
# concatenated pinyin of two names never coincide)
FIRST = list(zip("青云澄桐松临明玉金白丹翠碧鹤安永长平宁丰嘉华泰兴德瑞福新", [
    "qing", "yun", "cheng", "tong", "song", "lin", "ming", "yu", "jin", "bai", "dan", "cui", "bi", "he", "an",
    "yong", "chang", "ping", "ning", "feng", "jia", "hua", "tai", "xing", "de", "rui", "fu", "xin"]))
SECOND = list(zip("溪川原阳峰湖泉谷潭岭浦塘山江河林州城源水桥坪关门", [
    "xi", "chuan", "yuan", "yang", "feng", "hu", "quan", "gu", "tan", "ling", "pu", "tang", "shan", "jiang",
    "he", "lin", "zhou", "cheng", "yuan", "shui", "qiao", "ping", "guan", "men"]))
SECOND = [c for i, c in enumerate(SECOND) if c[1] not in {p for _, p in SECOND[:i]}]   # distinct pinyin
# (slug code, department, how the report calls it)
DEPARTMENTS = [("zjj", "住房和城乡建设局", "我局"), ("czj", "财政局", "我局"), ("jyj", "教育局", "我局"),
               ("jtj", "交通运输局", "我局"), ("wjw", "卫生健康委员会", "我委"), ("fgw", "发展和改革委员会", "我委"),
               ("sthjj", "生态环境局", "我局"), ("zrzyj", "自然资源和规划局", "我局"), ("scjgj", "市场监督管理局", "我局"),
               ("mzj", "民政局", "我局"), ("rsj", "人力资源和社会保障局", "我局"), ("slj", "水利局", "我局"),
               ("nyncj", "农业农村局", "我局")]
TITLES = ["{name}{year}年政府信息公开工作年度报告", "{name}{year}年度政府信息公开工作报告",
          "{name}关于{year}年政府信息公开工作的年度报告", "{name}{year}年度政府信息公开工作年度报告"]
NOTICES = ["{name}政府信息公开指南", "{name}政府信息公开制度", "关于进一步规范政府信息依申请公开工作的意见"]
TRS_COLUMN = "/xxgk/zfxxgknb/bmnb/"
TRS_PAGE = 10
HANWEB_PAGE = 15
DATAPROXY = "/module/web/jpage/dataproxy.jsp"
GKMLPT_API = "/gkmlpt/api/all/"
GKMLPT_PAGE = 100
ROBOTS = b"User-agent: *\nDisallow: /search/\n"
SITE_MTIME = float(int(dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc).timestamp()))   # robots.txt, home


@dataclass(frozen=True)
class NationAgency:
    index: int
    slug: str
    name: str
    dept: str             # the department's name (the shared column's `match`)
    we: str
    host_index: int
    position: int         # its place among the host's agencies
    family: str
    province: str
    province_code: str
    region_code: str
    level: str
    size: str
    years: tuple[int, ...]
    column: str           # the registry's start URL
    column_id: int        # hanweb / gkmlpt column id


@dataclass(frozen=True)
class Stub:
    """What a list shows of a report or notice: known without building it."""
    agency: str
    year: int             # 0: a notice
    doc_id: int
    title: str
    published: str        # YYYY-MM-DD HH:MM:SS
    url: str
    path: str


@dataclass(frozen=True)
class HostPlan:
    index: int
    host: str
    family: str
    place: str            # 青云市
    site_name: str
    sid: str
    agencies: tuple[NationAgency, ...]
    stubs: tuple[Stub, ...]            # newest first
    by_path: dict                      # path -> Stub


class Nation:
    etag_style = "nginx"   # for the server's validators

    def __init__(self, n_agencies: int = 3000, n_hosts: int = 600, seed: int = 1):
        if n_hosts < 1 or n_agencies < n_hosts:
            raise ValueError("a nation needs at least one host and at least one agency per host")
        if n_agencies > n_hosts * len(DEPARTMENTS):
            raise ValueError(f"at most {len(DEPARTMENTS)} agencies per host ({n_hosts * len(DEPARTMENTS)} on {n_hosts})")
        self.n_agencies, self.n_hosts, self.seed = n_agencies, n_hosts, seed
        self._hosts = {self.host_name(h): h for h in range(n_hosts)}
        self._slugs = {self.slug(i): i for i in range(n_agencies)}
        self.plan = functools.lru_cache(maxsize=HOST_CACHE)(self._plan)
        self.page = functools.lru_cache(maxsize=PAGE_CACHE)(self._page)
        self.renders = 0    # report pages built (the laziness the test checks)

    # --- who is where -----------------------------------------------------------------------------
    def family_of(self, h: int) -> str:
        return FAMILIES[h % len(FAMILIES)]

    def _province(self, h: int) -> tuple[str, str, str]:
        provs = PROVINCES[self.family_of(h)]
        return provs[(h // len(FAMILIES)) % len(provs)]

    def _place(self, h: int) -> tuple[str, str]:
        """(name, pinyin) of host h's place: unique within its province (an index into FIRST x SECOND ...)."""
        k = h // (len(FAMILIES) * len(PROVINCES[self.family_of(h)]))   # its rank among its province's hosts
        first, second = self._orders(self.family_of(h), self._province(h)[0])
        chars = [first[k % len(first)]]
        k //= len(first)
        while True:
            chars.append(second[k % len(second)])
            k //= len(second)
            if not k:
                break
        return "".join(c for c, _ in chars), "".join(p for _, p in chars)

    @functools.cache
    def _orders(self, family: str, province: str) -> tuple[list, list]:
        """The province's shuffled characters (its place names, in host order)."""
        rng = random.Random(f"nation-place:{self.seed}:{family}:{province}")
        first, second = FIRST[:], SECOND[:]
        rng.shuffle(first)
        rng.shuffle(second)
        return first, second

    def host_name(self, h: int) -> str:
        return f"www.{self._place(h)[1]}.{self._province(h)[0]}.gov.cn"

    def slug(self, i: int) -> str:
        h = i % self.n_hosts
        return f"{self._province(h)[0]}_{self._place(h)[1]}_{DEPARTMENTS[i // self.n_hosts][0]}"

    def agency(self, i: int) -> NationAgency:
        h, position = i % self.n_hosts, i // self.n_hosts
        family = self.family_of(h)
        abbr, prov, code = self._province(h)
        place, sound = self._place(h)
        level = "county" if family != "trs_hunan" else "prefecture"
        town = place + ("县" if level == "county" else "市")
        dcode, dept, we = DEPARTMENTS[position]
        slug = f"{abbr}_{sound}_{dcode}"
        rng = random.Random(f"nation-agency:{self.seed}:{slug}")
        count = rng.choice([1, 2, 2, 3])
        last = 2024 - rng.choice([0, 0, 0, 1])
        years = tuple(range(last - count + 1, last + 1))
        host = self.host_name(h)
        column_id = 1_500_000 + h * 20 + position
        if family == "trs_hunan":
            column = f"http://{host}{TRS_COLUMN}index.html"
        elif family == "hanweb":
            column = f"http://{host}/col/col{column_id}/index.html"
        else:
            column = f"http://{host}{GKMLPT_API}{column_id}?page=1&sid={self.sid(h)}"
        return NationAgency(i, slug, town + dept, dept, we, h, position, family, prov, code + "0000",
                            f"{code}{h % 90 + 10:02d}{position + 1:02d}", level,
                            rng.choice(["small", "small", "medium"]), years, column, column_id)

    def sid(self, h: int) -> str:
        return str(700000 + h)

    def agency_by_slug(self, slug: str) -> NationAgency:
        return self.agency(self._slugs[slug])

    @property
    def slugs(self) -> list[str]:
        return list(self._slugs)

    @property
    def hosts(self) -> list[str]:
        return list(self._hosts)

    def owns(self, host: str) -> bool:
        return host in self._hosts

    # --- the lists ---------------------------------------------------------------------------------
    def _stub(self, a: NationAgency, year: int) -> Stub:
        rng = random.Random(f"nation-report:{self.seed}:{a.slug}:{year}")
        doc_id = 10_000_000 + a.host_index * 1000 + a.position * 50 + (year - 2000)
        if year:
            month = rng.choice([1, 1, 2, 3, 3]) if rng.random() > 0.1 else rng.randint(4, 12)
            when = dt.datetime(year + 1, month, rng.randint(1, 28), rng.randint(8, 18), rng.randint(0, 59),
                               rng.randint(0, 59))
            title = rng.choice(TITLES).format(name=a.name, year=year)
        else:
            doc_id += 40
            when = dt.datetime(rng.randint(2019, 2024), rng.randint(1, 12), rng.randint(1, 28), 10, rng.randint(0, 59))
            title = rng.choice(NOTICES).format(name=a.name)
        path = self.doc_path(a, doc_id, when)
        return Stub(a.slug, year, doc_id, title, when.strftime("%Y-%m-%d %H:%M:%S"),
                    f"http://{self.host_name(a.host_index)}{path}", path)

    @staticmethod
    def doc_path(a: NationAgency, doc_id: int, when: dt.datetime) -> str:
        if a.family == "trs_hunan":
            return f"{TRS_COLUMN}{when:%Y%m}/t{when:%Y%m%d}_{doc_id}.html"
        if a.family == "hanweb":
            return f"/art/{when.year}/{when.month}/{when.day}/art_{a.column_id}_{doc_id}.html"
        return f"/gkmlpt/content/{doc_id // 1000000}/{doc_id // 1000}/post_{doc_id}.html"

    def _plan(self, h: int) -> HostPlan:
        family = self.family_of(h)
        place, _ = self._place(h)
        town = place + ("县" if family != "trs_hunan" else "市")
        site_name = f"{town}人民政府" + ("门户网站" if family == "trs_hunan" else "")
        members = tuple(self.agency(i) for i in range(h, self.n_agencies, self.n_hosts))
        stubs = [self._stub(a, y) for a in members for y in (*a.years, 0)]
        stubs.sort(key=lambda s: (s.published, s.doc_id), reverse=True)
        return HostPlan(h, self.host_name(h), family, town, site_name, self.sid(h), members, tuple(stubs),
                        {s.path: s for s in stubs})

    def host_plan(self, host: str) -> HostPlan:
        return self.plan(self._hosts[host])

    # --- the reports ---------------------------------------------------------------------------------
    def report(self, slug: str, year: int) -> Report:
        """The full report (figures, body, truth): built now, not cached."""
        a = self.agency_by_slug(slug)
        if year not in a.years:
            raise KeyError(f"{slug} has no report for {year}")
        plan = self.plan(a.host_index)
        stub = next(s for s in plan.stubs if s.agency == slug and s.year == year)
        publisher = a.name if a.family != "trs_hunan" else None
        index_no = f"{a.region_code}{a.position:02d}/{stub.published[:4]}-{stub.doc_id % 100000:05d}"
        spec = synth.Agency(slug, a.name, range(a.years[0], a.years[-1] + 1), a.size, a.we, None, publisher)
        r = synth.build_report(spec, year, stub.doc_id, self.seed)
        r.title, r.published, r.url_date = stub.title, stub.published, stub.published[:10].replace("-", "")
        r.index_no, r.url = index_no, stub.url
        r.truth.update(title=r.title, published=r.published[:10], published_time=r.published, index_no=index_no,
                       publisher=publisher)
        return r

    def truth(self, slug: str) -> list[dict]:
        """Ground truth of the agency's reports (oldest first), each with its `url` (and no attachments)."""
        out = []
        for year in self.agency_by_slug(slug).years:
            r = self.report(slug, year)
            out.append({**r.truth, "url": r.url, "attachment_urls": [], "encoding": "utf-8"})
        return out

    def urls(self, slug: str) -> list[str]:
        a = self.agency_by_slug(slug)
        return sorted(s.url for s in self.plan(a.host_index).stubs if s.agency == slug and s.year)

    def n_reports(self) -> int:
        return sum(len(self.agency(i).years) for i in range(self.n_agencies))

    # --- the registry ---------------------------------------------------------------------------------
    def registry(self, path: str | Path | None = None) -> dict:
        """Every agency as a registry entry (crawler/registry.py); written as YAML to path when given."""
        out = {}
        for i in range(self.n_agencies):
            a = self.agency(i)
            host = self.host_name(a.host_index)
            e = {"name": a.name, "level": a.level, "province": a.province, "region_code": a.region_code,
                 "parent_code": a.province_code, "host": host, "platform": a.family.split("_")[0],
                 "family": a.family, "columns": [a.column], "column": "confirmed", "allowed_domains": [host],
                 "confidence": "synthetic", "source": f"replica.nation seed {self.seed}"}
            if a.family == "trs_hunan":
                e["match"] = [a.dept]
            out[a.slug] = e
        if path is not None:
            Path(path).write_text(yaml.safe_dump(out, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return out

    # --- serving ---------------------------------------------------------------------------------------
    def respond(self, req: Request) -> Resource | Response:
        """A Resource (the server adds validators and answers conditional requests) or a Response."""
        plan = self.host_plan(req.host)
        path = req.path
        if path == "/robots.txt":
            return Resource(ROBOTS, "text/plain", mtime=SITE_MTIME)
        if path in ("/", "/index.html"):
            return Resource(self.home(plan).encode("utf-8"), mtime=SITE_MTIME)
        stub = plan.by_path.get(path)
        if stub is not None:
            return self.page(plan.index, stub.path)
        if plan.family == "trs_hunan" and path.startswith(TRS_COLUMN + "index"):
            return self.trs_list(plan, path) or Response(404, not_found_page(), [("Content-Type", "text/html")])
        if plan.family == "hanweb":
            if path == DATAPROXY:
                return self.dataproxy(plan, req)
            a = next((a for a in plan.agencies if path == f"/col/col{a.column_id}/index.html"), None)
            if a is not None:
                return self.hanweb_column(plan, a)
        if plan.family == "gkmlpt":
            if path == "/gkmlpt/index":
                return Resource(self.gkmlpt_index(plan).encode("utf-8"), mtime=SITE_MTIME)
            if path.startswith(GKMLPT_API):
                return self.gkmlpt_api(plan, req)
        return Response(404, not_found_page(), [("Content-Type", "text/html")])

    def _page(self, h: int, path: str) -> Resource:
        plan = self.plan(h)
        stub = plan.by_path[path]
        if stub.year == 0:
            body = (f"<p>{esc(stub.title)}。</p><p>各有关单位：现将有关事项通知如下，请结合实际认真贯彻执行。</p>")
            main = self.detail_main(plan, stub.title, stub.published, body, None, None, plan.site_name, stub.doc_id)
            return Resource(self.chrome(plan, stub.title, main).encode("utf-8"), mtime=epoch(stub.published))
        self.renders += 1
        r = self.report(stub.agency, stub.year)
        a = self.agency_by_slug(stub.agency)
        metas = "\n".join(f'<meta name="{k}" content="{esc(v)}">' for k, v in {
            "SiteName": plan.site_name, "SiteDomain": plan.host, "ColumnName": "政府信息公开年报",
            "ArticleTitle": r.title, "PubDate": minute(r.published), "ContentSource": a.name}.items())
        main = self.detail_main(plan, r.title, r.published, r.body_html, r.index_no, r.publisher, a.name, r.doc_id)
        return Resource(self.chrome(plan, f"{r.title}_{plan.site_name}", main, metas).encode("utf-8"),
                        mtime=epoch(r.published))

    def detail_main(self, plan: HostPlan, title, published, body, index_no, publisher, source, doc_id) -> str:
        """The detail markup of the family, as the replica's own site of it writes it."""
        if plan.family == "trs_hunan":     # replica/sites/trs_hunan.py
            line = " ".join(x for x in (f"索引号:{index_no}" if index_no else "", "公开方式:政府网站",
                                        f"发文日期:{published}") if x)
            return f"""<div class="main_con">
<h1 class="sp_title">{esc(title)}</h1>
<div class="sp_time"><span>{esc(line)}</span></div>
<div class="date">{minute(published)}</div>
<div class="main_con_zw"><div class="TRS_PreAppend">
{body}
</div></div>
<div class="tools"><a href="javascript:window.print()">打印</a> <a href="javascript:window.close()">关闭本页</a></div>
</div>"""
        if plan.family == "hanweb":        # replica/sites/hanweb.py
            return f"""<div class="xxgk_table"><table width="100%" border="0" cellspacing="0" cellpadding="0">
<tr><td class="bt">索引号:</td><td>{esc(index_no or "")}</td><td class="bt">组配分类:</td><td>政府信息公开年报</td></tr>
<tr><td class="bt">发布机构:</td><td>{esc(publisher or source)}</td><td class="bt">成文日期:</td><td>{day(published)}</td></tr>
<tr><td class="bt">文件编号:</td><td></td><td class="bt">公开方式:</td><td>主动公开</td></tr>
</table></div>
<div class="article"><div class="title">{esc(title)}</div>
<div class="info">发布日期:{minute(published)} 信息来源:{esc(source)}</div>
<div id="zoom">
{body}
</div></div>"""
        detail = {"id": doc_id, "identifier": index_no or "", "title": title, "publisher": publisher or source,
                  "date": day(published), "publish_time": int(epoch(published))}   # replica/sites/gkmlpt.py
        return f"""<div class="classify"><table>
<tr><td class="first">索引号：</td><td class="td-value"><span>{esc(index_no or "")}</span></td><td class="first">分类：</td><td class="td-value"><span>政府信息公开年报</span></td></tr>
<tr><td class="first">发布机构：</td><td class="td-value"><span>{esc(publisher or source)}</span></td><td class="first">成文日期：</td><td class="td-value"><span>{day(published)}</span></td></tr>
<tr><td class="first">名称：</td><td class="td-value" colspan="3"><span>{esc(title)}</span></td></tr>
<tr><td class="first">文号：</td><td class="td-value"><span>无</span></td><td class="first">发布日期：</td><td class="td-value"><span>{esc(published)}</span></td></tr>
</table></div>
<div class="content"><h1 class="title">{esc(title)}</h1>
<div class="article-content">
{body}
</div></div>
<script>
window._CONFIG = {{
  SID: '{plan.sid}',
  DETAIL: {json.dumps(detail, ensure_ascii=False)}
}};
</script>"""

    def chrome(self, plan: HostPlan, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
<link rel="stylesheet" href="/css/style.css">
</head><body>
<div class="header"><a href="/">{esc(plan.site_name)}</a> <a href="/search/search.jsp?q=年报">搜索</a></div>
{main}
<div class="footer"><a href="http://www.gov.cn/" target="_blank">中国政府网</a>
<p>主办：{esc(plan.site_name)}办公室</p></div>
</body></html>"""

    def home(self, plan: HostPlan) -> str:
        links = "".join(f'<li><a href="{esc(a.column.split(plan.host, 1)[1])}">{esc(a.dept)}政府信息公开年报</a></li>'
                        for a in plan.agencies)
        return self.chrome(plan, plan.site_name, f"<ul>{links}</ul>")

    # --- trs_hunan: the shared column ------------------------------------------------------------------
    def trs_list(self, plan: HostPlan, path: str) -> Resource | None:
        name = path[len(TRS_COLUMN):]
        page = 1 if name == "index.html" else int(name[6:-5]) if name[6:-5].isdigit() and name.endswith(".html") else 0
        total = max(1, math.ceil(len(plan.stubs) / TRS_PAGE))
        if not 1 <= page <= total or (page == 1 and name != "index.html"):
            return None
        chunk = plan.stubs[(page - 1) * TRS_PAGE: page * TRS_PAGE]
        items = "\n".join(f'<li><a href="./{esc(s.path[len(TRS_COLUMN):])}" target="_blank" title="{esc(s.title)}">'
                          f'{esc(s.title)}</a><span>{s.published[:10]}</span></li>' for s in chunk)

        def link(n: int) -> str:
            return "index.html" if n == 1 else f"index_{n}.html"
        pager = (f'<div class="page"><a href="{link(1)}">首页</a> <a href="{link(max(1, page - 1))}">上一页</a> '
                 f'<span>{page}/{total}</span> <a href="{link(min(total, page + 1))}">下一页</a> '
                 f'<a href="{link(total)}">尾页</a></div>')
        main = f'<div class="list"><ul>\n{items}\n</ul>\n{pager}</div>'
        return Resource(self.chrome(plan, f"部门政府信息公开年报_{plan.site_name}", main).encode("utf-8"),
                        mtime=max(epoch(s.published) for s in chunk))

    # --- hanweb: a column per agency, dataproxy.jsp ---------------------------------------------------
    def records(self, plan: HostPlan, a: NationAgency) -> list[str]:
        return [f'<li><a href="{esc(s.path)}" title="{esc(s.title)}" target="_blank">{esc(s.title)}</a>'
                f'<span>{s.published[:10]}</span></li>' for s in plan.stubs if s.agency == a.slug]

    def hanweb_column(self, plan: HostPlan, a: NationAgency) -> Resource:
        recs = self.records(plan, a)
        xml = "\n".join(f"<record><![CDATA[{r}]]></record>" for r in recs[:HANWEB_PAGE])
        unitid = 3_000_000 + a.column_id % 1_000_000
        main = f"""<div class="default_pgContainer" id="{unitid}">
<script type="text/xml"><datastore>
<nextgroup><![CDATA[]]></nextgroup>
<recordset>
{xml}
</recordset>
</datastore></script>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>var pageObj = new Jpage({{unitid:{unitid}, webid:{plan.index % 900 + 10}, columnid:{a.column_id}, perPage:{HANWEB_PAGE}, totalRecord:{len(recs)}, dataUrl:"{DATAPROXY}"}});</script>
</div>"""
        own = [s for s in plan.stubs if s.agency == a.slug]
        return Resource(self.chrome(plan, f"{a.dept}政府信息公开年报 {plan.site_name}", main).encode("utf-8"),
                        mtime=max(epoch(s.published) for s in own))

    def dataproxy(self, plan: HostPlan, req: Request) -> Response:
        a = next((a for a in plan.agencies if req.param("columnid") == str(a.column_id)), None)
        recs = self.records(plan, a) if a is not None else []
        try:
            page = int(req.param("page", "1"))
        except ValueError:
            page = 0
        if page < 1:
            return Response(400, b"<h1>400</h1>", [("Content-Type", "text/html; charset=utf-8")])
        chosen = recs[(page - 1) * HANWEB_PAGE: page * HANWEB_PAGE]
        body = "\n".join(f"<record><![CDATA[{r}]]></record>" for r in chosen)
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<recordset>\n{body}\n</recordset>\n'
               f"<totalrecord>{len(recs)}</totalrecord>\n<totalpage>{max(1, math.ceil(len(recs) / HANWEB_PAGE))}"
               f"</totalpage>\n</datastore>")
        return Response(200, xml.encode("utf-8"), [("Content-Type", "text/xml;charset=UTF-8")])

    # --- gkmlpt: a catalogue per host, a column per agency ----------------------------------------------
    def gkmlpt_index(self, plan: HostPlan) -> str:
        main = (f"<div id=\"app\"><noscript>请开启浏览器的JavaScript功能</noscript></div>\n<script>\n"
                f"window._CONFIG = {{\n  SID: '{plan.sid}',\n  SITE_NAME: '{plan.site_name}',\n  API_BASE: '/gkmlpt/api'\n}};\n"
                f"</script>")
        return self.chrome(plan, f"政府信息公开目录_{plan.site_name}", main)

    def gkmlpt_api(self, plan: HostPlan, req: Request) -> Response:
        column = req.path[len(GKMLPT_API):]
        a = next((a for a in plan.agencies if column == str(a.column_id)), None)
        own = [s for s in plan.stubs if a is not None and s.agency == a.slug] if req.param("sid") == plan.sid else []
        try:
            page = max(int(req.param("page", "1")), 1)
        except ValueError:
            return Response(400, b'{"code": 400, "msg": "page"}', [("Content-Type", "application/json")])
        chosen = own[(page - 1) * GKMLPT_PAGE: page * GKMLPT_PAGE]
        articles = [{"id": s.doc_id, "identifier": "", "publisher": a.name, "title": s.title, "url": s.url,
                     "post_url": s.url, "display_publish_time": int(epoch(s.published)),
                     "created_at": s.published} for s in chosen]
        data = {"articles": articles, "total": len(own), "page_size": GKMLPT_PAGE, "page": page,
                "pages": max(1, math.ceil(len(own) / GKMLPT_PAGE))}
        return Response(200, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                        [("Content-Type", "application/json; charset=utf-8")])

