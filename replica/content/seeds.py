"""The five seed reports (replica/seeds, the texts the project started from) as their CMS holds them.

Page chrome and metadata lines are stripped from the body (the site layout adds its own); the
metadata goes into the Report fields exactly as the seed shows it. Quzhou's flattened indicator
table becomes a Word-style HTML table again; Guangxi's spam-mirror text becomes the clean
Simplified official text, the untouched mirror text is kept for a mirror host.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import opencc

from replica.model import Report

from . import grid as g
from . import indicator
from .truth import make_truth

SEED_DIR = Path(__file__).resolve().parent.parent / "seeds"   # replica/seeds: the five texts, verbatim
PINYIN_GLOSS = re.compile(r"\(([a-zāáǎàōóǒòēéěèīíǐìūúǔùüǖǘǚǜńňǹḿ]+)\)")


def read_seed(name: str) -> list[str]:
    path = SEED_DIR / name
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise FileNotFoundError(f"seed report {path} is missing ({e})") from e


def paragraphs(lines: list[str]) -> str:
    return "\n".join(f'<p style="text-indent:2em">{html.escape(s.strip())}</p>'
                     for s in lines if s.strip())


# characters the mirror's re-encoding destroyed, restored from context (汇总全厅, 日报, 督促厅本级)
MIRROR_DAMAGE = [("?cè)珡d", "全廳"), ("?qǐng)?bào)", "報"), ("?gòu)d", "廳")]


def strip_glosses(text: str) -> str:
    """落實(shí) -> 落實: drop the pinyin a spam mirror writes after characters (and repair the few
    characters its re-encoding destroyed)."""
    for bad, good in MIRROR_DAMAGE:
        text = text.replace(bad, good)
    return PINYIN_GLOSS.sub("", text)


def to_simplified(text: str) -> str:
    return opencc.OpenCC("t2s").convert(text)


# ----------------------------------------------------------------------------------- Hunan
def hunan() -> Report:
    lines = read_seed("hunan-zjt-2018.txt")
    body = lines[4:lines.index("打印")]            # after title, 索引号 line and date; before chrome
    r = Report(agency="hunan_zjt", agency_name="湖南省住房和城乡建设厅", year=2018,
               title=lines[0].strip(), published="2019-03-22 10:15:23", url_date="20190322",
               doc_id=5299653, generation="prose", body_html=paragraphs(body),
               index_no="430S00/2019-16610", seed="hunan-zjt-2018.txt",
               url="http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97944/201903/t20190322_5299653.html",
               meta={"公开方式": "政府网站"})
    r.truth = make_truth(r, {"proactive_total": 4238, "applications_new": 51})
    return r


# ---------------------------------------------------------------------------------- Xizang
def xizang() -> Report:
    lines = [s for s in read_seed("xizang-zjt-2014.txt") if " | " not in s and not s.startswith("//")]
    sign = lines[-2:]                                # 西藏自治区住房和城乡建设厅 / 2015年2月16日
    body = paragraphs(lines[:-2]) + "\n" + "\n".join(f'<p align="right">{html.escape(s)}</p>' for s in sign)
    r = Report(agency="xizang_zjt", agency_name="西藏自治区住房和城乡建设厅", year=2014,
               title="西藏自治区住房和城乡建设厅2014年政府信息公开工作年度报告",
               published="2015-03-26 18:15:00", url_date="20190223", doc_id=64760, generation="prose",
               body_html=body, index_no="K3984687-7/2015-00053", publisher="自治区住建厅",
               encoding="gbk", seed="xizang-zjt-2014.txt",
               url="http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/2014nb/201902/t20190223_64760.html",
               meta={"来源": "自治区住建厅"})
    r.truth = make_truth(r, {"proactive_total": 5769, "applications_new": 3, "granted": 3,
                             "review_total": 0, "litigation_total": 0, "disclosure_fees_yuan": 0})
    return r


# --------------------------------------------------------------------------------- Suizhou
def suizhou() -> Report:
    lines = [s for s in read_seed("suizhou-zjw-2017.txt") if not s.startswith("扫一扫")]
    r = Report(agency="suizhou_zjw", agency_name="随州市住房和城乡建设委员会", year=2017,
               title="随州市住房和城乡建设委员会2017年政府信息公开工作年度报告",
               published="2018-03-28 09:41:00", url_date="20200304", doc_id=738300, generation="prose",
               body_html=paragraphs(lines), seed="suizhou-zjw-2017.txt",
               meta={"来源": "随州市住房和城乡建设委员会"})
    # 「没有部分公开和不予公开的信息」 states none for both (our reading, docs/replica-content.md)
    r.truth = make_truth(r, {"proactive_total": 2100, "review_total": 0, "disclosure_fees_yuan": 0,
                             "partially_granted": 0, "refused": 0})
    return r


# --------------------------------------------------------------------------------- Guangxi
def guangxi() -> tuple[Report, list[tuple[str, str]]]:
    mirror_lines = read_seed("guangxi-zjt-2017-mirror.txt")
    official = [to_simplified(strip_glosses(s)) for s in mirror_lines]
    r = Report(agency="guangxi_zjt", agency_name="广西壮族自治区住房和城乡建设厅", year=2017,
               title="广西壮族自治区住房和城乡建设厅2017年政府信息公开工作年度报告",
               published="2018-03-12 10:20", url_date="20180312", doc_id=7134622, generation="prose",
               body_html=paragraphs(official), seed="guangxi-zjt-2017-mirror.txt")
    # 「无不予公开政府信息的情况」 states refused = 0; the 14 review cases are ones the department
    # decided as the review body, not reviews of its own disclosure (review_total stays null).
    r.truth = make_truth(r, {"applications_new": 31, "litigation_total": 5, "disclosure_fees_yuan": 0,
                             "refused": 0})
    mirror_title = opencc.OpenCC("s2t").convert(r.title)
    page = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{mirror_title}</title></head><body>'
            f'<div class="article"><h1>{mirror_title}</h1>\n{paragraphs(mirror_lines)}\n</div></body></html>')
    return r, [("/zhengfu/2018/0315/7134622.html", page)]


# ---------------------------------------------------------------------------------- Quzhou
def quzhou_table_rows(lines: list[str]) -> list[indicator.IRow]:
    """The indicator rows of the seed's flattened table, plus the staff sub-table at its end."""
    start = next(i for i, s in enumerate(lines) if s.strip() == "本年累计") + 1
    staff = next(i for i, s in enumerate(lines) if s.strip().startswith("(五)分管领导及工作人员情况"))
    rows = indicator.parse_flat(lines[start:staff])
    rows.append(indicator.IRow([lines[staff].strip()], kind="section"))
    cells = [s.strip() for s in lines[staff + 1:] if s.strip()]
    for k in range(0, len(cells), 3):
        rows.append(indicator.IRow([cells[k]], kind="plain", cells=cells[k:k + 3]))
    return rows


def quzhou() -> Report:
    lines = read_seed("quzhou-zjj-2020.txt")
    title = lines[4].strip()
    head = next(i for i, s in enumerate(lines) if s.startswith("政府信息公开工作情况报表"))
    chrome = ("索引号", "公开方式", "发布机构", "发布日期", "分享")
    prose = [s for s in lines[:head] if s.strip() != title and not s.strip().startswith(chrome)]
    rows = quzhou_table_rows(lines)
    caption = lines[head].strip()
    body = (paragraphs(prose) + f'\n<p align="center"><b>{html.escape(caption)}</b></p>\n'
            + g.to_html(indicator.grid(rows, caption)))
    r = Report(agency="quzhou_zjj", agency_name="衢州市住房和城乡建设局", year=2020, title=title,
               published="2021-01-20 16:32", url_date="20210120", doc_id=10486257, generation="indicator",
               body_html=body, index_no="113308000026188164/2021-119608", publisher="衢州市住房和城乡建设局",
               seed="quzhou-zjj-2020.txt",
               meta={"成文日期": "2021-01-20", "公开方式": "主动公开", "组配分类": "2020年度", "信息来源": "市住建局"})
    stats = indicator.stats_rows(rows)
    summary = indicator.summary(rows)
    r.truth = make_truth(r, summary, stats)
    return r


def seed_reports() -> tuple[list[Report], list[tuple[str, str]]]:
    gx, mirror = guangxi()
    return [hunan(), quzhou(), gx, suizhou(), xizang()], mirror
