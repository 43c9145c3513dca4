"""Report metadata: title, agency (matched to the registry; its place's division code from the gazetteer,
places.py), report year, publication date, 索引号, 发布机构, 文号.

Sources, best first: head tags (ArticleTitle, PubDate, ContentSource), the metadata block above the body
(th/td pairs, spaced labels such as `索 引 号`, one-line `索引号:... 发文日期:...`, `|`-flattened tables,
labels over their values or before them on the line above, spans with nothing between),
the page's headings and <title>, the first line that looks like a report title, the signature at the end.
All values are read from normalised text (half-width, Simplified).
"""
from __future__ import annotations

import functools
import os
import re
from collections import Counter
import datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from archive.extract.document import Document, normalise
from archive.extract.places import find_place, unread_place
from archive.extract.prose import join_han

REGISTRY_PATH = Path(__file__).resolve().parents[2] / "crawler" / "agencies"

# ---------------------------------------------------------------- registry


@functools.lru_cache(maxsize=4)
def load_registry(path: str | None = None) -> dict[str, dict]:
    """slug -> registry entry (crawler/agencies/*.yaml, or $NIANBAO_REGISTRY: a file or a folder), each
    with derived `_canon`, `_aliases`, `_place`. Read as data: the archive imports nothing of the crawler."""
    p = Path(path or os.environ.get("NIANBAO_REGISTRY") or REGISTRY_PATH)
    data: dict = {}
    for f in (sorted(p.glob("*.yaml")) if p.is_dir() else [p]):
        data.update(yaml.safe_load(f.read_text(encoding="utf-8")) or {})
    out = {}
    for slug, entry in data.items():
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        e = dict(entry)
        e["_canon"] = canon_name(e["name"])
        e["_aliases"] = {canon_name(a) for a in [*(e.get("aliases") or []), e.get("short_name") or ""] if a}
        e["_place"] = _place_of(e)
        out[slug] = e
    return out


def canon_name(name: str) -> str:
    """Comparable form of an agency name: no spaces, 住房城乡建设/住建 -> 住房和城乡建设."""
    name = re.sub(r"\s+", "", normalise(name))
    name = name.replace("住房城乡建设", "住房和城乡建设")
    name = re.sub(r"住建(?=[厅局委部])", "住房和城乡建设", name)
    return name


def _place_of(entry: dict) -> str:
    name = entry["name"]
    if entry.get("level") == "province" and entry.get("province"):
        return entry["province"]
    m = re.match(r"(.{2,6}?)(?:市|州|县|区|盟|旗)", name)
    if m:
        return m.group(1).removesuffix("省").split("省")[-1]
    return entry.get("province") or ""


def slugs_for_host(host: str | None) -> list[str]:
    if not host:
        return []
    host = host.lower().split(":")[0]
    registry = load_registry()
    held = _HOST_SLUGS.get(host)
    if held is not None and held[0] is registry:     # the same registry (tests reload it)
        return list(held[1])
    slugs = [slug for slug, e in registry.items()
             if any(host == d or host.endswith("." + d) for d in (e.get("allowed_domains") or []))]
    _HOST_SLUGS[host] = (registry, slugs)
    return list(slugs)


_HOST_SLUGS: dict[str, tuple[dict, list[str]]] = {}   # host -> (registry, its slugs): a scan per host, not per page


_ORG_SUFFIX = r"(?:厅|局|委员会|委|办公室|办|人民政府|政府|中心|院|署|所|站|处|部|馆|队|会)"
_PLACE_START = re.compile(r"^(?:[\u4e00-\u9fff]{2,12}?(?:省|市|自治区|自治州|区|州|盟|旗)|[\u4e00-\u9fff]{1,12}?县"
                          r"|[\u4e00-\u9fff]{2,4}?(?:镇|(?<!城)乡|街道))")


def is_full_name(name: str) -> bool:
    """Looks like a full agency name (starts with a place, ends like an organisation), not a short form
    such as 市住建委 / 自治区住建厅."""
    c = canon_name(name)
    return (5 <= len(c) <= 40 and bool(_PLACE_START.match(c)) and bool(re.search(_ORG_SUFFIX + "$", c))
            and not re.match(r"^(?:省|市|区|县|自治区|州)", c))


def resolve_agency(name: str, *, host_slugs=(), text: str = "") -> str | None:
    """Registry slug for a printed agency name (full name, alias or short form), or None.
    Ambiguous short forms are settled by the site's host, then by which place the text names most."""
    c = canon_name(name)
    if not c:
        return None
    reg = load_registry()
    exact = [s for s, e in reg.items() if e["_canon"] == c]
    if len(exact) == 1:
        return exact[0]
    cands = [s for s, e in reg.items() if c in e["_aliases"] or (len(c) >= 5 and e["_canon"].endswith(c))]
    return _disambiguate(cands, host_slugs, text)


def _disambiguate(cands, host_slugs, text):
    if not cands:
        return None
    if len(cands) == 1:
        return cands[0]
    by_host = [s for s in cands if s in host_slugs]
    if len(by_host) == 1:
        return by_host[0]
    reg = load_registry()
    counts = {s: text.count(reg[s]["_place"]) if reg[s]["_place"] else 0 for s in cands}
    best = max(counts.values())
    top = [s for s, n in counts.items() if n == best]
    return top[0] if best > 0 and len(top) == 1 else None


_SELF_REF = {"厅": r"[我本]厅", "局": r"[我本]局", "委": r"[我本]委", "办": r"[我本]办"}


def guess_agency_from_text(text: str, host_slugs=()) -> str | None:
    """No explicit name: score registry agencies by the text's evidence: full name, aliases / short
    forms, self-references (我厅, 本局) that fit the name, the place named, and the site's host."""
    reg = load_registry()
    ctext = canon_name(text[:20000])
    best, best_score = None, 0
    for slug, e in reg.items():
        full = ctext.count(e["_canon"])
        alias = sum(ctext.count(a) for a in e["_aliases"])
        suffix = next((k for k in ("委员会", "厅", "局", "委", "办") if e["_canon"].endswith(k)), None)
        selfref = len(re.findall(_SELF_REF[suffix[0]], ctext)) if suffix else 0
        place = ctext.count(e["_place"]) if e["_place"] else 0
        host = slug in host_slugs
        if not (full or host or (place and (alias or selfref))):
            continue
        score = 100 * host + 20 * min(full, 3) + 5 * min(alias, 3) + 2 * min(selfref, 5) + 3 * min(place, 5)
        if score > best_score:
            best, best_score = slug, score
    return best


# ---------------------------------------------------------------- labelled values

def _spaced(word: str) -> str:
    return r"[ \t]*".join(map(re.escape, word))


_LABELS = ["索引号", "主题分类", "组配分类", "体裁分类", "服务对象", "分类", "发布机构", "发文机关", "成文日期",
           "生成日期", "发文日期", "发布日期", "发布时间", "公开日期", "发文字号", "文件编号", "文号", "公开方式",
           "公开范围", "公开时限", "有效性", "效力状况", "标题", "名称", "信息来源", "来源", "浏览次数", "关键词",
           "主题词", "统一编号", "时间", "字体", "作者"]
_ANY_LABEL = re.compile(r"(?<![\u4e00-\u9fff])(?:" + "|".join(_spaced(l) for l in _LABELS) + r")[ \t]*[:|]")


_UNKNOWN_LABEL = re.compile(r"[\u4e00-\u9fff]{2,8}")   # a bare word in a cell of its own: a label we do not know


def labelled(text: str, *labels: str, short: bool = False) -> str | None:
    """The value printed after the first of `labels` found (first occurrence in the text wins per
    label, labels tried in order): `label: value`, `label | value`, spaced labels, several labels on
    one line. Returns None when the label is absent or its value empty."""
    for label in labels:
        lb = r"(?<![\u4e00-\u9fff])" if short or len(label) <= 2 else ""
        for m in re.finditer(lb + _spaced(label) + r"[ \t]*(?:[:|][ \t]*)+", text):
            line = text[m.end():].split("\n", 1)[0]
            rest, _, after = line.partition("|")
            following = after.split("|", 1)[0].strip()
            if (m.group(0).count("|") >= 2 and _UNKNOWN_LABEL.fullmatch(rest.strip()) and following
                    and not _LABEL_CELL.match(following)):
                break  # `label | (empty) | 生效日期 | 2021-01-20`: the next cell is another label, not our value
            nxt = _ANY_LABEL.search(rest)
            if nxt:
                rest = rest[:nxt.start()]
            rest = rest.strip(" :")
            if rest:
                return rest
            break  # the label is there but empty
    return None


_ANY_LABEL_WORD = "(?:" + "|".join(_spaced(l) for l in sorted(_LABELS, key=len, reverse=True)) + ")"
_LABEL_CELL = re.compile("^" + _ANY_LABEL_WORD + r"[ \t]*:?$")
_LABEL_ALONE = re.compile(r"(?m)^" + _ANY_LABEL_WORD + r"[ \t]*:?[ \t]*$")
_LABEL_ROW = re.compile(r"(?m)^" + _ANY_LABEL_WORD + r"[ \t]*:?[ \t]*\|[ \t]*" + _ANY_LABEL_WORD
                        + r"[ \t]*:?[ \t]*(?:\||$)")


def pair_labels(text: str) -> str:
    """Label/value layouts rewritten as `label: value` lines for labelled(): a label alone on its line
    (a <dt>, a cell, a table flattened one cell per line) with its value on the next line; a row of
    label cells over a row of as many value cells. Other lines are kept as they are."""
    if not (_LABEL_ALONE.search(text) or _LABEL_ROW.search(text)):
        return text
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i].strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if len(line) <= 80 and "|" in line:
            cells = [c.strip() for c in line.split("|")]
            vals = [c.strip() for c in nxt.split("|")]
            if sum(map(bool, cells)) >= 2 and all(_LABEL_CELL.match(c) for c in cells if c) \
                    and len(vals) == len(cells) and not any(_is_label(v) for v in vals):
                out.append(" | ".join(f"{c.rstrip(':').strip()}: {v}" for c, v in zip(cells, vals) if c))
                i += 2
                continue
        # the next line is the value unless it is another label, or the title or text after an empty one
        if len(line) <= 12 and _LABEL_CELL.match(line) and nxt and not _is_label(nxt) and len(nxt) <= 60 \
                and (not looks_like_report_title(nxt) or re.match(r"标\s*题|名\s*称", line)):
            out.append(f"{line.rstrip(':').strip()}: {nxt}")
            i += 2
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def _is_label(s: str) -> bool:
    return bool(_LABEL_CELL.match(s) or _ANY_LABEL.match(s))


def shaped(text: str, label: str, shape: str) -> str | None:
    """The first value of the given shape (a regex) printed right after `label`, with or without a
    separator, on the same line or the next: 「索引号11320829.../2024-00001」 (spans with nothing
    between), 「发文日期 2018-02-26」 (a PDF's or OCR's spaces)."""
    lb = r"(?<![\u4e00-\u9fff])" if len(label) <= 2 else ""
    m = re.search(lb + _spaced(label) + r"[ \t]*[:|]?\s*(" + shape + ")", text)
    return m.group(1) if m else None


_INDEX_SHAPE = r"[A-Za-z0-9][A-Za-z0-9_\-/.·]{5,}"
_ORG_SHAPE = r"[\u4e00-\u9fff()]{2,30}?" + _ORG_SUFFIX + r"(?=[ \t]*(?:$|\n|\||" + \
    "|".join(_spaced(l) for l in _LABELS) + "))"
_DATE_SHAPE = r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}\s*:\s*\d{2}(?::\d{2})?)?"
# a date with digits dropped (OCR): 「2023年1月 日」, 「202 年3月5日」, 「2023- -05」
_BROKEN_DATE = re.compile(r"\d[\d ]{0,4}\s*年\s*[\d ]{0,3}\s*月?\s*[\d ]{0,3}\s*日|(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?!\s*\d)"
                          r"|\d{2,4}\s*[-/.]\s*\d{0,2}\s*[-/.]\s*\d{0,2}")
DATE_LABELS = ("发布日期", "发布时间", "发文日期", "公开日期", "成文日期", "生成日期")


def broken_dates(text: str) -> list[str]:
    """Warnings for date labels whose value is a date with digits missing: such a date is never guessed."""
    out = []
    for label in DATE_LABELS:
        m = re.search(_spaced(label) + r"[ \t]*[:|]?[ \t]*(" + _BROKEN_DATE.pattern + ")", text)
        if m and parse_date(m.group(1)) is None:
            out.append(f"{label} {m.group(1).strip()!r} is not a whole date (digits missing?): not used")
    return out


_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                      r"(?:\s*(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?)?")


def parse_date(value: str | None) -> tuple[str, str | None] | None:
    """'2019-03-22 10:15:23' / '2019年3月22日' -> ("2019-03-22", "2019-03-22 10:15:23" or None)."""
    if not value:
        return None
    m = _DATE_RE.search(value)
    if not m:
        return None
    y, mo, d, hh, mm, ss = m.groups()
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31):
        return None
    date = f"{y}-{int(mo):02d}-{int(d):02d}"
    if hh is None:
        return date, None
    t = f"{date} {int(hh):02d}:{mm}" + (f":{ss}" if ss else "")
    return date, t


# ---------------------------------------------------------------- title and year

_REPORT_TITLE = re.compile(r"(?:政府信息公开|政务公开|信息公开).{0,14}(?:报告|年报)")
_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "00012345678" + "9")


def looks_like_report_title(s: str | None) -> bool:
    return bool(s) and len(s) <= 90 and bool(_REPORT_TITLE.search(s))


_BREADCRUMB = re.compile(r"当前位置|所在位置|>|»")


def find_title(doc: Document, page: str | None = None) -> str | None:
    """The report's title; `page`: the page text with label/value layouts paired (pair_labels)."""
    head = {k: normalise(v) for k, v in doc.head.items()}
    for key in ("articletitle", "title", "dc.title", "og:title"):
        if head.get(key) and looks_like_report_title(head[key]):
            return head[key].strip()
    v = labelled(page if page is not None else doc.page_text, "标题", "名称", short=True)
    if looks_like_report_title(v):
        return v
    if doc.root is not None:
        for el in doc.root.xpath("//h1|//h2|//h3|//*[contains(@class,'title') or contains(@id,'title')]"):
            t = normalise(re.sub(r"\s+", " ", el.text_content() or "")).strip()
            if looks_like_report_title(t):
                return t
    if doc.title_tag:
        for part in re.split(r"\s*[-_|—]+\s*", normalise(doc.title_tag)):
            if looks_like_report_title(part):
                return part.strip()
    lines = join_han(doc.page_text).split("\n")[:60]   # OCR: 「2024 年 政府信息 公开 工作 年 度报 告」
    for i, line in enumerate(lines):
        if _BREADCRUMB.search(line):
            continue
        line = re.sub(r"^\s*(?:标\s*题|名\s*称)\s*[::]?\s*", "", line)
        if _ANY_LABEL.search(line):   # a metadata line: 「索引号:… | 主题分类:…/政府信息公开年报」
            continue
        if looks_like_report_title(line) and not line.startswith(("根据", "按照", "现将", "现公布", "本报告")):
            # a title printed on two lines: the organisation, then 「2023年政府信息公开工作年度报告」
            if i and title_org(line) is None and re.match(r"\s*(?:19|20)\d{2}", line) \
                    and len(lines[i - 1]) <= 30 and re.search(_ORG_SUFFIX + "$", lines[i - 1].strip()):
                return lines[i - 1].strip() + line.strip()
            # 「宿州市人民政府2016年」 over 「政府信息公开工作年度报告」
            if i and title_org(line) is None and not re.search(r"(?:19|20)\d{2}", line) \
                    and len(lines[i - 1].strip()) <= 30 and re.search(r"(?:19|20)\d{2}\s*年度?$", lines[i - 1].strip()):
                return lines[i - 1].strip() + line.strip()
            return line.strip()
        # 「道县文广新局2013年度信息公开工作」 over 「年度报告」
        if i and re.fullmatch(r"\s*(?:工作)?(?:年度)?(?:报告|年报)\s*", line) and len(lines[i - 1].strip()) <= 40:
            joined = lines[i - 1].strip() + line.strip()
            if looks_like_report_title(joined):
                return joined
    return None


_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年(度)?")
FIRST_YEAR = 2007   # the first reports: the Regulations were promulgated in 2007 and took effect in 2008


def year_from_title(title: str | None) -> int | None:
    if not title:
        return None
    t = title.translate(_CN_DIGITS)
    m = _YEAR_RE.search(t) or re.search(r"((?:19|20)\d{2})", t)
    return int(m.group(1)) if m else None


def year_from_text(text: str, published_year: int | None) -> int | None:
    """The year the text reports on: years written as 「YYYY年度」, in report phrases, early in the text,
    and often; never after the publication year."""
    scores: Counter = Counter()
    for m in _YEAR_RE.finditer(text[:30000]):
        y = int(m.group(1))
        if published_year and y > published_year:
            continue
        if y < FIRST_YEAR:
            continue
        w = 1.0
        if m.group(2):
            w += 2
        ctx = text[m.end():m.end() + 20]
        if re.match(r"(?:度)?(?:政府信息公开|政务公开|信息公开)", ctx):
            w += 3
        if re.match(r"\d{1,2}\s*月", ctx):  # a date inside the year, e.g. 2017年12月底: weaker
            w -= 0.5
        if m.start() < 400:
            w += 1
        scores[y] += w
    if not scores:
        return None
    return scores.most_common(1)[0][0]


# ---------------------------------------------------------------- townships

_GENERIC_TOWN = re.compile(r"(?:[全本我各该每一两多其此]|城|县|村|集|下|家|返|市|农|区)[乡镇]$")   # 全乡, 城乡, 要求全乡


def township_named(text: str) -> str | None:
    """A township's report that calls itself only 我乡 / 本镇 and names itself once or twice
    (「2014年,南薰乡未收取…」): its people's government, when the text names exactly one such township."""
    head = text[:20000]
    counts = Counter(re.findall(r"[我本]([乡镇])", head))
    if not counts or counts.most_common(1)[0][1] < 2:
        return None
    kind = counts.most_common(1)[0][0]
    names = {n for n in re.findall(r"(?:^|[,。;:、\s()]|年度?)([\u4e00-\u9fff]{2,3}" + kind + r")(?=[\u4e00-\u9fff])", head)
             if not _GENERIC_TOWN.search(n)}
    return next(iter(names)) + "人民政府" if len(names) == 1 else None


# ---------------------------------------------------------------- signature

def signature_name(text: str) -> str | None:
    """The agency name signed at the end (a full name on its own line among the last lines)."""
    lines = [l.strip() for l in text.split("\n")[-6:]]
    for line in reversed(lines):
        if len(line) <= 30 and is_full_name(line):
            return line
    return None


_TITLE_ORG = [
    re.compile(r"(?:^|[\s\-_|—:])(?P<org>[\u4e00-\u9fff()]{2,40}?)\s*(?:关于)?\s*(?:19|20)\d{2}\s*年"),
    re.compile(r"(?:19|20)\d{2}\s*年度?\s*(?P<org>[\u4e00-\u9fff()]{4,40}?|[\u4e00-\u9fff]{2,4}(?:镇|乡))\s*"
               r"(?:政府信息公开|政务公开|信息公开)"),
]


_PLACE_ONLY = re.compile(r"^[\u4e00-\u9fff]{1,16}(?:省|市|自治区|自治州|县|区|盟|旗)$|^[\u4e00-\u9fff]{2,4}(?:镇|(?<!城)乡)$")


def title_org(title: str | None) -> str | None:
    """The organisation a title names: 「X2018年度…」 or 「2018年X政府信息公开…」. A bare place
    (「2022年上海市政府信息公开…」, 「福州市晋安区2016年…」) stands for its people's government."""
    if not title:
        return None
    for rx in _TITLE_ORG:
        m = rx.search(title)
        if not m:
            continue
        org = re.sub(r"(?<=[省市县区州旗镇乡])政府$", "人民政府", m.group("org"))
        org = re.sub(r"^(?:现公布|现将|特?向社会公布|公布)", "", org)
        if re.search(_ORG_SUFFIX + "$", org):
            return org
        if _PLACE_ONLY.match(org) and not re.match(r"^(?:省|市|区|县|自治区|州)", org) and len(org) >= 3:
            return org + "人民政府"
    return None


# The introduction names the agency: 「现公布X2021年…」, 「由X编制」, 「X根据…编制本报告」, and last
# 「请与X联系」 (the office to contact; a 科/股 inside it is cut off).
_NAME = r"(?P<org>[\u4e00-\u9fff()]{3,40}?)"
_INTRO_ORG = [
    re.compile(rf"(?:现公布|现将|向社会公布|特向社会公布){_NAME}\s*(?:19|20)\d{{2}}\s*年"),
    re.compile(rf"由{_NAME}(?P<all>汇总|综合)[^,。;]{{0,40}}?编制"),
    re.compile(rf"由{_NAME}(?:编制|根据)"),
    re.compile(rf"(?:^|[。\n,;]){_NAME}根据[^。]{{0,80}}?编制"),
    re.compile(r"请与(?P<org>[\u4e00-\u9fff]{2,40}?(?:办公室|办公厅|政府|局|厅|委员会|委|中心|院|署|馆))"
               r"(?:[\u4e00-\u9fff]{1,4}[科股])?(?:联系|\()"),
]


def intro_org(text: str) -> str | None:
    """A full agency name the report's opening sentences give (see _INTRO_ORG), else None.
    The government's own 信息公开办公室 / 领导小组 compiling it, or its office compiling the
    whole government's report (汇总/综合), stand for the government."""
    head = text[:2500]
    for rx in _INTRO_ORG:
        for m in rx.finditer(head):
            org = m.group("org")
            org = re.sub(r"^(?:本报告|本年报|本年度报告|报告|我单位|由|是)", "", org)
            cut = re.sub(r"(?:信息公开|政务公开)[\u4e00-\u9fff]{0,12}$", "", org)
            cut = re.sub(r"(?<=[省市县区州旗])政府$", "人民政府", cut)
            if cut != org and cut.endswith("人民政府"):
                org = cut
            if m.groupdict().get("all") and org.endswith(("人民政府办公室", "人民政府办公厅")):
                org = org[:-3]
            if is_full_name(org):
                return org
    return None


# ---------------------------------------------------------------- places

def read_place(name: str, text: str = "", hosts: tuple = ()) -> tuple[str, list[str]]:
    """The agency name with its place part spelt as the gazetteer does (one OCR-wrong character
    corrected where the document or the site's host confirms it), and a warning per correction."""
    m = find_place(name, text, hosts)
    if m is None or not m.corrections:
        return name, []
    compact = re.sub(r"\s+", "", name)
    fixed = m.corrected + compact[len(m.text):]
    return fixed, [f"place {a} read as {b} (one character differs)" for a, b in m.corrections]


def region_of(agency: str, text: str = "", hosts: tuple = ()) -> tuple[str | None, list[str]]:
    """GB/T 2260 code of the place an agency name starts with, or None (with a warning when the name
    has a place we cannot pin down: ambiguous, or not in the gazetteer)."""
    m = find_place(agency, text, hosts)
    if m is None:
        unread = unread_place(agency)
        return None, [f"place {unread} is not in the gazetteer (a misprint?): no region code"] if unread else []
    if m.ambiguous:
        codes = ", ".join(p.code for p in m.ambiguous)
        return None, [f"place {m.text} fits several divisions ({codes}): no region code"]
    if m.unread:
        return None, [f"place {m.unread} is not in the gazetteer: no region code"]
    return (m.place.code if m.place else None), []


# ---------------------------------------------------------------- all together

def extract_meta(doc: Document, url: str | None = None) -> dict:
    """Metadata of a document: title, agency, agency_slug, region_code (GB/T 2260), year, published,
    published_time, index_no, publisher, doc_no, warnings."""
    warnings: list[str] = []
    head = {k: normalise(v) for k, v in doc.head.items()}
    page = pair_labels(doc.page_text)
    title = find_title(doc, page)

    # dates: head tag first, then labelled values, from the most to the least specific; the time as
    # precisely as any source of the same date prints it (PubDate has minutes, the page seconds)
    pub_labels = ("发布日期", "发布时间", "发文日期", "公开日期")
    cands = [parse_date(head.get(k)) for k in ("pubdate", "publishdate", "firstpublishedtime")]
    cands += [parse_date(labelled(page, label)) for label in pub_labels]
    cands.append(parse_date(labelled(page, "时间", short=True)))
    # a metadata block copied without separators: 「发文日期 2018-02-26」, 「发布日期2018-02-26」
    cands += [parse_date(shaped(page, label, _DATE_SHAPE)) for label in pub_labels]
    cands = [c for c in cands if c]
    pub = None
    if cands:
        date = cands[0][0]
        times = [t for d, t in cands if d == date and t]
        pub = (date, max(times, key=len) if times else None)
    if not pub:
        pub = parse_date(labelled(page, "成文日期", "生成日期")) or parse_date(shaped(page, "成文日期", _DATE_SHAPE))
        if pub:
            warnings.append("published date taken from 成文日期/生成日期")
    published, published_time = pub if pub else (None, None)
    warnings += broken_dates(page)

    index_no = labelled(page, "索引号")
    if index_no:
        m = re.match(_INDEX_SHAPE, index_no)
        index_no = m.group(0) if m else None
    index_no = index_no or shaped(page, "索引号", _INDEX_SHAPE)
    publisher = labelled(page, "发布机构", "发文机关")
    if publisher:
        publisher = publisher.split(" ")[0]
    publisher = publisher or shaped(page, "发布机构", _ORG_SHAPE) or shaped(page, "发文机关", _ORG_SHAPE)
    doc_no = labelled(page, "发文字号", "文件编号", "文号", short=True)
    if doc_no and (re.fullmatch(r"[无/—\-]+", doc_no) or len(doc_no) > 40):
        doc_no = None

    # agency: explicit names first, then the text's evidence, then the site
    host = urlsplit(url).hostname if url else None
    host_slugs = slugs_for_host(host)
    body = join_han(doc.text)   # OCR: 「由 淮安 市 洪 泽区人民政府办公室 编制」
    full_text = join_han(page) + "\n" + body
    context = full_text[:20000]   # what place names are checked against, with the site's host
    hosts = (host,) if host else ()
    explicit = [title_org(title), head.get("contentsource"), publisher, signature_name(body), intro_org(body)]
    agency = slug = None
    unresolved = unresolved_notes = None
    for name in filter(None, explicit):
        s = resolve_agency(name, host_slugs=host_slugs, text=full_text)
        fixed, notes = (name, []) if s else read_place(name, context, hosts)
        if s is None and fixed != name:
            s = resolve_agency(fixed, host_slugs=host_slugs, text=full_text)
        if s:
            slug = s
            warnings += notes
            break
        if is_full_name(fixed):
            c = canon_name(fixed)
            # the first full name wins, unless a later one is the same name with its place before it:
            # title 「建新镇…」, signature 「遂溪县建新镇人民政府」
            if unresolved is None or (len(c) > len(unresolved) and c.endswith(unresolved)):
                unresolved, unresolved_notes = c, notes
    if slug is None and unresolved is None:
        slug = guess_agency_from_text(full_text, host_slugs)
        if slug is None and len(host_slugs) == 1:
            slug = host_slugs[0]
            warnings.append("agency taken from the site's host alone")
        if slug is None:
            unresolved = township_named(body)
            if unresolved:
                unresolved_notes = [f"agency {unresolved}: the only township the text names (it calls itself 我乡/我镇)"]
    if slug:
        agency = load_registry()[slug]["name"]
    elif unresolved:
        agency = unresolved
        warnings += unresolved_notes
        warnings.append(f"agency {unresolved} is not in the registry")
    else:
        warnings.append("agency not found")
    region_code = None
    if agency:
        province = (load_registry()[slug].get("province") or "") if slug else ""
        region_code, notes = region_of(agency, province + "\n" + context, hosts)
        warnings += [n for n in notes if n not in warnings]

    pub_year = int(published[:4]) if published else None
    if pub_year is not None and not FIRST_YEAR <= pub_year <= datetime.date.today().year + 1:
        warnings.append(f"published date {published} is not plausible: not used")
        published = published_time = pub_year = None
    latest = pub_year or datetime.date.today().year
    year = year_from_title(title)
    if year is not None and not FIRST_YEAR <= year <= latest:
        warnings.append(f"the title's year {year} is not between {FIRST_YEAR} and {latest}: not used")
        year = None
    elif year is None and title and re.search(r"(?<!\d)\d{1,3}\s+年|(?<![\d年])\s年度?(?:政府|政务|信息)", title):
        warnings.append(f"the title's year is incomplete (digits missing?): {title}")
    if year is None:
        year = year_from_text(doc.text or page, latest)
    if year is None and pub_year and pub_year - 1 >= FIRST_YEAR:
        year = pub_year - 1
        warnings.append("report year guessed as publication year - 1")
    if year is None:
        warnings.append("report year not found")

    return {"title": title, "agency": agency, "agency_slug": slug, "region_code": region_code,
            "year": year, "published": published,
            "published_time": published_time, "index_no": index_no, "publisher": publisher,
            "doc_no": doc_no, "warnings": warnings}
