"""The synthetic reports and notices: every agency of the replica web, every year, each in the
format generation of its year, with ground truth.

The plan (who publishes what, which reports are attachment-only, GBK or deliberately
inconsistent) is data at the top of this module; figures, phrasings and table quirks come from a
random.Random seeded per report, so a report does not change when another one is added.
"""
from __future__ import annotations

import datetime as dt
import html
import random
import zlib
from dataclasses import dataclass

from replica.model import Attachment, Notice, Report

from . import indicator, prose, template
from .docx import render_docx
from .grid import Quirks, to_html
from .pdf import render_pdf
from .truth import make_truth

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Agency:
    slug: str
    name: str
    years: range
    size: str                 # small | medium | large (volume of applications)
    we: str                   # how the report calls itself: 我厅, 我委 ...
    index_prefix: str | None  # 索引号 before the "/" (None: the platform shows none)
    publisher: str | None
    time_fmt: str = "%Y-%m-%d %H:%M:%S"   # how the platform prints the publication time


AGENCIES = [
    Agency("hunan_zjt", "湖南省住房和城乡建设厅", range(2009, 2026), "medium", "我厅", "430S00", None),
    Agency("hunan_fgw", "湖南省发展和改革委员会", range(2015, 2025), "medium", "我委", "430S02", None),
    Agency("hunan_jyt", "湖南省教育厅", range(2016, 2025), "large", "我厅", "430S03", None),
    Agency("hunan_czt", "湖南省财政厅", range(2017, 2024), "medium", "我厅", "430S04", None),
    Agency("guangxi_zjt", "广西壮族自治区住房和城乡建设厅", range(2009, 2026), "large", "我厅", None, None,
           "%Y-%m-%d %H:%M"),
    Agency("suizhou_zjw", "随州市住房和城乡建设委员会", range(2009, 2026), "small", "我委", None, None),
    Agency("quzhou_zjj", "衢州市住房和城乡建设局", range(2010, 2026), "small", "我局", "113308000026188164",
           "衢州市住房和城乡建设局", "%Y-%m-%d %H:%M"),
    Agency("xizang_zjt", "西藏自治区住房和城乡建设厅", range(2009, 2026), "small", "我厅", "K3984687-7", "自治区住建厅"),
    Agency("xizang_jyt", "西藏自治区教育厅", range(2015, 2025), "small", "我厅", "K3984512-3", "自治区教育厅"),
    Agency("xizang_czt", "西藏自治区财政厅", range(2016, 2025), "small", "我厅", "K3984390-1", "自治区财政厅"),
    Agency("xizang_wjw", "西藏自治区卫生健康委员会", range(2019, 2025), "small", "我委", "K3984801-X",
           "自治区卫生健康委"),
]
SEEDED = {("hunan_zjt", 2018), ("quzhou_zjj", 2020), ("guangxi_zjt", 2017), ("suizhou_zjw", 2017),
          ("xizang_zjt", 2014)}
INDICATOR = {("quzhou_zjj", y) for y in range(2014, 2019)} | {("guangxi_zjt", 2015), ("guangxi_zjt", 2016),
                                                               ("xizang_czt", 2017)}
PDF_ONLY = {("hunan_fgw", 2021), ("guangxi_zjt", 2020), ("fugang_zjj", 2020), ("meishan_zjj", 2022), ("anshun_zjj", 2021), ("liangshan_zjj", 2021)}
DOCX_ONLY = {("xizang_jyt", 2022), ("tianchang_zjj", 2022), ("rongchang_zjw", 2020), ("jingjiang_zjj", 2023), ("hainan_zjt", 2023)}
PDF_COPY = {("hunan_zjt", 2022), ("suizhou_zjw", 2021), ("xizang_zjt", 2019), ("quzhou_zjj", 2017)}
BROKEN = {("hunan_zjt", 2020): "t4_total", ("suizhou_zjw", 2022): "t3_row_total",
          ("xizang_czt", 2021): "t3_cell", ("quzhou_zjj", 2023): "t3_balance", ("hunan_jyt", 2019): "t3_cell"}
# fixed ids and URL dates the real sites are known to use (design/sites.md)
KNOWN_IDS = {("guangxi_zjt", 2014): (6908860, None), ("suizhou_zjw", 2016): (738299, "20200304")}

TITLES = ["{name}{year}年政府信息公开工作年度报告", "{name}{year}年度政府信息公开工作报告",
          "{name}关于{year}年政府信息公开工作的年度报告", "{name}{year}年度政府信息公开工作年度报告"]
OLD_TITLES = ["{year}年政府信息公开年报", "{name}{year}年政府信息公开年报", "{name}{year}年度政府信息公开工作报告"]


def agency_name(a: Agency, year: int) -> str:
    """The name as printed that year (Suizhou's commission became a bureau in 2019)."""
    if a.slug == "suizhou_zjw" and year >= 2019:
        return "随州市住房和城乡建设局"
    return a.name


def generation(a: Agency, year: int) -> str:
    if year >= 2021:
        return "template2021"
    if year >= 2019:
        return "template2019"
    if (a.slug, year) in INDICATOR:
        return "indicator"
    return "prose"


def encoding(a: Agency, year: int) -> str:
    if a.slug.startswith("xizang_") and year <= 2015 or a.slug == "guangxi_zjt" and year <= 2014:
        return "gbk"
    return "utf-8"


def published(rng: random.Random, a: Agency, year: int) -> dt.datetime:
    y = year + 1
    if rng.random() < 0.1:
        month = rng.randint(5, 12)            # late (after a site migration, or just late)
    else:
        month = rng.choice([1, 1, 2, 3, 3]) if year >= 2019 else rng.choice([1, 2, 3, 3, 3, 4])
    return dt.datetime(y, month, rng.randint(1, 28), rng.randint(8, 18), rng.randint(0, 59),
                       rng.randint(0, 59) if "%S" in a.time_fmt else 0)


def url_date(a: Agency, year: int, pub: dt.datetime, rng: random.Random) -> str:
    """Mostly the publication date; bulk re-imports (Xizang 2019, Suizhou 2020) carry the import date."""
    if a.slug.startswith("xizang_") and year <= 2017:
        return f"201902{rng.randint(20, 27)}"
    if a.slug == "suizhou_zjw" and year <= 2016:
        return "20200304"
    return pub.strftime("%Y%m%d")


# ------------------------------------------------------------------------------ building
def heading(text: str) -> str:
    return f"<p><strong>{html.escape(text)}</strong></p>"


def para(text: str) -> str:
    return f'<p style="text-indent:2em">{html.escape(text)}</p>'


def blocks_html(blocks: list[tuple[str, object]], quirks: Quirks) -> str:
    out = []
    for kind, content in blocks:
        if kind == "h":
            out.append(heading(content))
        elif kind == "p":
            out.append(para(content))
        elif kind == "caption":
            out.append(f'<p align="center"><b>{html.escape(content)}</b></p>')
        else:
            out.append(to_html(content, quirks))
    return "\n".join(out)


def attachment_name(report_id: int, url_day: str, ext: str, n: int = 0) -> str:
    return f"P020{url_day}{report_id % 1000000:06d}{n:03d}.{ext}"


def build_report(a: Agency, year: int, doc_id: int, seed: int) -> Report:
    rng = random.Random(f"{seed}:{a.slug}:{year}")
    gen = generation(a, year)
    name = agency_name(a, year)
    pub = published(rng, a, year)
    udate = url_date(a, year, pub, rng)
    titles = OLD_TITLES if year <= 2012 else TITLES
    title = rng.choice(titles).format(name=name, year=year)
    index_no = (f"{a.index_prefix}/{pub.year}-{rng.randint(10000, 99999) if a.slug != 'quzhou_zjj' else rng.randint(100000, 199999)}"
                if a.index_prefix else None)
    quirks = Quirks.pick(rng)
    key = (a.slug, year)
    facts = {"proactive": rng.randint(120, 900) if a.size == "small" else rng.randint(400, 6000)}
    stats: list[dict] = []
    failed: list[str] = []
    if gen.startswith("template"):
        tpl = template.template_of(gen)
        fig = template.gen_figures(rng, tpl, a.size)
        if key in BROKEN:
            template.break_checks(fig, BROKEN[key], tpl, rng)
        failed = template.failed_checks(fig, tpl)
        fee_mode = rng.choices(["none", "amount", "unsaid"], [6, 1, 2 if tpl == 2019 else 1])[0]
        text = prose.template_prose(rng, name, year, tpl, facts["proactive"], fee_mode, rng.choice([10, 50, 120, 300]))
        blocks: list[tuple[str, object]] = [("h", "一、总体情况"), *[("p", s) for s in text["一"]],
                                            ("h", "二、主动公开政府信息情况"), *[("p", s) for s in text["二"]],
                                            ("table", template.grid_t2(fig, tpl)),
                                            ("h", "三、收到和处理政府信息公开申请情况"),
                                            ("table", template.grid_t3(fig, tpl, split=quirks.split_rows)),
                                            ("h", "四、政府信息公开行政复议、行政诉讼情况"), ("table", template.grid_t4(fig)),
                                            ("h", "五、存在的主要问题及改进情况"), *[("p", s) for s in text["五"]],
                                            ("h", "六、其他需要报告的事项"), *[("p", s) for s in text["六"]]]
        intro = [("p", f"本报告根据《中华人民共和国政府信息公开条例》和《国务院办公厅政府信息与政务公开办公室关于印发"
                       f"〈中华人民共和国政府信息公开工作年度报告格式〉的通知》要求编制，所列数据的统计期限自{year}年1月1日起"
                       f"至{year}年12月31日止。")]
        blocks = intro + blocks
        summary = {**template.summary_from_tables(fig, tpl), **text["stated"]}
        stats = template.stats_rows(fig, tpl)
    elif gen == "indicator":
        from .seeds import quzhou_table_rows, read_seed
        skeleton = [r for r in quzhou_table_rows(read_seed("quzhou-zjj-2020.txt")) if r.kind != "plain"
                    and not r.label.startswith("(五)分管领导")]
        rows = indicator.synth_rows(skeleton, rng, a.size)
        table_summary = indicator.summary(rows)
        facts.update(proactive=table_summary["proactive_total"], apps=table_summary["applications_new"],
                     granted=table_summary["granted"], partial=table_summary["partially_granted"],
                     refused=table_summary["refused"], review=table_summary["review_total"],
                     litigation=table_summary["litigation_total"],
                     fees_amount=int(table_summary["disclosure_fees_yuan"]), fees_binding=True)
        paras, stated = prose.prose_report(rng, name, year, facts)
        clash = {k for k in stated if stated[k] != table_summary.get(k, stated[k])}
        assert not clash, f"prose and table disagree on {clash}"
        caption = f"政府信息公开工作情况报表（{year}年）"
        blocks = [("h" if _is_heading(p) else "p", p) for p in paras]
        blocks += [("caption", caption), ("table", indicator.grid(rows, caption))]
        summary = {**table_summary, **stated}
        stats = indicator.stats_rows(rows)
    else:
        n = {"small": rng.choice([0, 0, 1, 2, 3, 5, 9]), "medium": rng.randint(5, 60),
             "large": rng.randint(20, 200)}[a.size]
        g = rng.randint(0, n)
        p = rng.randint(0, n - g)
        facts.update(apps=n, granted=g, partial=p, refused=rng.randint(0, n - g - p),
                     review=rng.choice([0, 0, 0, 1, 2]), litigation=rng.choice([0, 0, 0, 1]),
                     fees_amount=rng.choice([20, 35, 80]))
        paras, summary = prose.prose_report(rng, name, year, facts)
        blocks = [("h" if _is_heading(p) else "p", p) for p in paras]
    r = Report(agency=a.slug, agency_name=name, year=year, title=title,
               published=pub.strftime(a.time_fmt), url_date=udate, doc_id=doc_id, generation=gen,
               body_html="", index_no=index_no, publisher=a.publisher, encoding=encoding(a, year))
    if key in PDF_ONLY or key in DOCX_ONLY:
        ext, mime, render = ("pdf", PDF, render_pdf) if key in PDF_ONLY else ("docx", DOCX, render_docx)
        fn = attachment_name(doc_id, udate, ext)
        r.attachments.append(Attachment(fn, render(title, _plain(blocks)), mime))
        r.stats_in = ext
        r.body_html = (f'<p style="text-align:center"><a href="{fn}" target="_blank">{html.escape(title)}.{ext}</a></p>')
    else:
        r.body_html = blocks_html(blocks, quirks)
        if key in PDF_COPY:
            fn = attachment_name(doc_id, udate, "pdf", 1)
            r.attachments.append(Attachment(fn, render_pdf(title, _plain(blocks)), PDF))
            r.body_html += f'\n<p>附件：<a href="{fn}">{html.escape(title)}.pdf</a></p>'
    r.truth = make_truth(r, summary, stats, failed)
    return r


def _plain(blocks):
    return [("p" if k == "caption" else k, c) for k, c in blocks]


def _is_heading(text: str) -> bool:
    return len(text) < 40 and text[:2] in {f"{c}、" for c in "一二三四五六七八九十"}


# ----------------------------------------------------------------------------------- ids
ID_BASE = {"hunan": 2000000, "guangxi": 5000000, "suizhou": 600000, "quzhou": 9000000, "xizang": 30000}
ID_STEP = {"hunan": 330000, "guangxi": 150000, "suizhou": 40000, "quzhou": 200000, "xizang": 4000}


def doc_id_for(a: Agency, year: int, rng: random.Random, used: set[int], report: bool = True) -> int:
    if report and (a.slug, year) in KNOWN_IDS:
        return KNOWN_IDS[(a.slug, year)][0]
    fam = a.slug.split("_")[0]
    # agencies of the later replica sites (not in ID_BASE): a range of their own, from the slug prefix
    base = ID_BASE.get(fam, 40_000_000 + (zlib.crc32(fam.encode()) % 500) * 100_000)
    step = ID_STEP.get(fam, 4000)
    i = base + (year - 2009) * step + rng.randint(0, step // 2)
    while i in used:
        i += 1
    return i


NOTICE_TITLES = ["{name}政府信息公开指南", "关于报送{y}年政府信息公开工作年度报告的通知", "{name}政府信息公开制度",
                 "关于做好{y}年政务公开工作的通知", "{name}{y}年政务公开工作要点", "关于进一步规范政府信息依申请公开工作的通知"]


def notices_for(a: Agency, seed: int, used: set[int]) -> list[Notice]:
    rng = random.Random(f"{seed}:notices:{a.slug}")
    out = []
    count = 4 if a.slug in {"hunan_zjt", "guangxi_zjt", "suizhou_zjw", "quzhou_zjj", "xizang_zjt"} else 1
    for title in rng.sample(NOTICE_TITLES, count):
        y = rng.choice(list(a.years))
        when = dt.datetime(y, rng.randint(1, 12), rng.randint(1, 28), rng.randint(8, 18), rng.randint(0, 59))
        t = title.format(name=a.name, y=y)
        nid = doc_id_for(a, y, rng, used, report=False)
        used.add(nid)
        body = "".join(para(s) for s in ["各有关单位：", f"现将{t.replace('关于', '').replace('的通知', '')}有关事项通知如下。",
                                         "请结合实际认真贯彻执行。", a.name, when.strftime("%Y年%-m月%-d日")])
        out.append(Notice(agency=a.slug, title=t, published=when.strftime(a.time_fmt),
                          url_date=when.strftime("%Y%m%d"), doc_id=nid, body_html=body))
    return out


def synthetic(seed: int, used: set[int], extra: list[Agency] = ()) -> tuple[list[Report], list[Notice]]:
    """Reports and notices of AGENCIES and of `extra` (the agencies further replica sites declare)."""
    reports, notices = [], []
    for a in [*AGENCIES, *extra]:
        for year in a.years:
            if (a.slug, year) in SEEDED:
                continue
            rng = random.Random(f"{seed}:id:{a.slug}:{year}")
            did = doc_id_for(a, year, rng, used)
            used.add(did)
            r = build_report(a, year, did, seed)
            if (a.slug, year) in KNOWN_IDS and KNOWN_IDS[(a.slug, year)][1]:
                r.url_date = KNOWN_IDS[(a.slug, year)][1]
            reports.append(r)
        notices += notices_for(a, seed, used)
    return reports, notices
