"""Headline figures stated in sentences (the prose generation, and prose parts of later reports).

Each headline key has an ordered list of rules; a rule is a regex over one sentence (or one clause:
sentences split further at commas) plus words that veto it (distractors: previous-year comparisons,
visit counts, 人大建议, 信箱, 作为复议机关 ...). The first rule that reads anything in the text decides its
key, so rules go from the most specific to the most general; when that rule reads different values in
different places the key is ambiguous and left out (with a warning). Negations (「没有因政府信息公开申请
行政复议」, 「未收取任何费用」) give 0; silence gives nothing (null in the summary).
Text given here is normalised (half-width punctuation, Simplified characters); before matching, OCR's
spaces between characters are closed, figures on lines of their own joined back, and years next to
结转 said relative to the report's year.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_CN_NUM = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9}
# a number: 1,238 / 1 238 (thousands grouped by a space, as PDFs and OCR print them) / 1238 / 3.5 / 十二
NUM = (r"\s*(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?: \d{3})+(?=\s*[件条项个篇份])|\d+(?:\.\d+)?"
       r"|[零〇一二两三四五六七八九十百千]{1,6})")
COUNT_UNIT = r"\s*(?P<unit>件|条|项|份|次|宗|起|个|篇|人次)"
INFO_UNIT = r"\s*(?P<unit>条|件|项|个|篇)"
_COMPARISON = re.compile(r"上年|去年|上一年|同比|较|比20|相比|增长|减少|下降|上升")


_HAN_GAP = re.compile(r"(?<=[\u4e00-\u9fff(),、:;《》“”]) +(?=[\u4e00-\u9fff(),、:;《》“”])")


def join_han(text: str) -> str:
    """Spaces between Chinese characters removed (OCR and some PDFs print 「主 动公开政 府信息」); spaces
    next to digits are kept (「2 428 条」 is read by NUM)."""
    return _HAN_GAP.sub("", text) if " " in text else text


def parse_number(s: str) -> float | None:
    """'4,238' -> 4238; '3.5' -> 3.5; Chinese numerals up to the thousands ('十二' -> 12, '两' -> 2)."""
    s = s.strip()
    if re.fullmatch(r"[\d, ]+(?:\.\d+)?", s):
        return float(s.replace(",", "").replace(" ", ""))
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_NUM:
            cur = _CN_NUM[ch]
        elif ch in "十百千":
            mult = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (cur or 1) * mult
            cur = 0
        else:
            return None
    return float(total + cur)


@dataclass
class Figure:
    key: str
    value: float
    unit: str | None
    label: str       # the matched phrase
    sentence: str    # the sentence it came from (the stat's source)


@dataclass
class Rule:
    key: str
    pattern: re.Pattern
    zero: bool = False          # the rule states "none": value 0
    scope: str = "clause"       # clause (split at commas) | sentence
    veto: re.Pattern | None = None       # a clause (scope clause) or sentence containing this is not for it
    sentence_veto: re.Pattern | None = None   # the whole sentence containing this is not for it
    require: re.Pattern | None = None    # the sentence must contain this
    section: re.Pattern | None = None    # the enclosing heading must match this
    factor_by_unit: dict | None = None   # e.g. {"万元": 10000}


def _r(key, rx, **kw) -> Rule:
    return Rule(key, re.compile(rx), **kw)


_APPLY = r"(?:依申请公开|信息公开申请|政府信息公开申请|公开申请|申请公开|信息公开的申请)"
_NEG = r"(?:没有|未(?!经)|无(?!法)|暂无|不存在)"
# a running total since the start, not the year's: 「到目前累计主动公开…」, 「2008年以来累计…」
_RUNNING = r"(?:到|至|截至|截止)(?:目前|今|现在|年底|年末)[^,;。]{0,8}?累计|以来[^,;。]{0,8}?累计|历年|累计至今"
_CHANNEL = re.compile(r"档案馆|图书馆|查阅|提供|报送|微信|微博|公众号|报刊|广播|电视|新闻|访问量|点击量|浏览量|"
                      + _RUNNING)
_NOT_APPLICATIONS = re.compile(r"人大|政协|建议|提案|信箱|信访|咨询|投诉|举报|热线|留言|12345|来电")
# a document category: 主动公开规章13件 counts one kind of document, not everything disclosed
_CATEGORY = r"(?:规章|规范性|文件|档案|任免|解读|预算|决算|动态|公告|通知|目录)"
# 予以公开及部分公开258件: one figure for two outcomes, neither of them
_COMBINED = re.compile(r"公开(?:及|或|和|与|、)部分公开|部分公开(?:及|或|和|与|、)(?:予以|同意)?公开")
# a count of information withheld from proactive disclosure (「不予公开信息有10条」, 「不予公开信息数 10」)
# is not a count of applications refused
_WITHHELD = re.compile(r"不予公开(?:的)?(?:政府)?信息(?:数|有|共|为|\s)*\d|不予公开[^,;。\d]{0,8}?\d+\s*条")
_REVIEW_BODY = re.compile(r"复议机关|作为复议|复议机构")
_FEE_CONTEXT = re.compile(r"公开|申请|检索|复制|邮寄|信息处理费|减免")
_FEE_VETO = re.compile(r"行政事业性收费|考务|收费项目|收费标准|收费依据|收费公示|收费信息|逾期|缴纳")

# a closed list of channels with the website among them, then one figure for all of them:
# 「通过门户网站、政务微博、微信公众号等渠道,共计发布信息 N 条」 (a list without the website is a
# new-media subtotal; 「等新媒体发布」 names one more channel, not all of them)
_ALL_CHANNELS = (rf"(?:通过|依托|利用|在)[^。;]{{0,80}}?(?:网站|门户)[^。;]{{0,80}}?等(?:渠道|平台|方式|途径|载体|形式)?,?"
                 rf"(?:共|累计|合计|总计)?计?(?:主动)?(?:公开|发布)了?(?:各类|政府|政务|各项)*信息(?:共|总计|合计)?计?"
                 rf"{NUM}{INFO_UNIT}")
_APPLY_SECTION = re.compile(r"^(?!.*(?:收费|复议|诉讼)).*(?:依申请|申请公开|公开申请)")
# a sentence that says only "none" (「我镇2016年度无申请。」, 「本年度未发生此类情况。」): under a heading that
# names the key it is that key's 0
_NONE_SENTENCE = (r"^[^,;。\d]{0,8}?(?:(?:19|20)\d{2}\s*年度?)?[^,;。\d]{0,4}?(?:无|没有|未(?:收到|发生|受理|有))"
                  r"(?:任何|相关|此类|该类|这类)?(?:申请|情况|案件|事项)?(?:发生)?(?:的情况)?。?$")
_SECTION_KEYS = {"applications_new", "review_total", "litigation_total"}   # trigger words also in the heading

RULES: list[Rule] = [
    # proactive disclosure: the year's total, not a channel's or a category's count
    _r("proactive_total", rf"主动(?:公开|发布)(?![^,;:。\d]{{0,16}}?{_CATEGORY})[^,;:。\d]{{0,16}}?"
                          rf"(?:共|总计|合计|累计)?计?{NUM}{INFO_UNIT}", veto=_CHANNEL),
    _r("proactive_total", _ALL_CHANNELS, scope="sentence", veto=re.compile(_RUNNING)),
    _r("proactive_total", rf"^(?:全年|今年|本年度?|年内|年度)?(?:共|累计|总计)?"
                          rf"(?:主动)?(?:发布|公开)(?:各类|政府|政务|各项)*信息(?:共|总计)?{NUM}{INFO_UNIT}",
       section=re.compile(r"主动公开"), veto=_CHANNEL),
    # the total stated after its parts: 「…政策解读28条。全年合计发布各类信息N条」
    _r("proactive_total", rf"^[^,;:。\d]{{0,10}}?(?:全年|今年|本年度?|年内|年度)?(?:共|累计|合计|总计|共计)计?"
                          rf"(?:主动)?(?:发布|公开)了?(?:各类|政府|政务|各项)*信息(?:共|总计|合计)?{NUM}{INFO_UNIT}",
       sentence_veto=re.compile(_CHANNEL.pattern + r"|网站|门户|平台|客户端|新媒体")),   # not 「X网站…共发布信息N条」
    _r("proactive_total", rf"^(?:全年|今年|本年度?|年内)(?:共|累计)?(?:发布|公开)(?:各类|政府|政务|各项)*信息"
                          rf"(?:共|总计)?{NUM}\s*(?P<unit>条)"),
    # 「主动在门户网站公开政府信息50条」: the website as the way of proactive disclosure (a lower rule: a
    # stated total wins)
    _r("proactive_total", rf"主动(?:在|通过)[^,;:。\d]{{0,12}}?(?:网站|门户)[^,;:。\d]{{0,4}}?(?:公开|发布)了?"
                          rf"(?:各类|政府|政务|各项)*信息(?:共|总计)?计?{NUM}{INFO_UNIT}", veto=_CHANNEL),

    # applications received
    _r("applications_new", rf"{_NEG}(?:收到|受理|接到|发生)[^,;。\d]{{0,12}}?{_APPLY}", zero=True),
    _r("applications_new", rf"(?:没有|无|未发生)(?:发生)?{_APPLY}(?:信息)?的?(?:情况|事项|件)", zero=True),
    _r("applications_new", rf"(?:受理|收到|接到|接收|新收|办理)[^,;。\d]{{0,20}}?{_APPLY}[^,;。\d]{{0,12}}?"
                           rf"(?:共|总计|合计)?计?{NUM}{COUNT_UNIT}", veto=_NOT_APPLICATIONS),
    _r("applications_new", rf"(?:受理|收到|接到|接收)了?(?:各类)?{NUM}\s*(?P<unit>件|份|条|个)[^,;。\d]{{0,4}}?"
                           rf"{_APPLY}", veto=_NOT_APPLICATIONS),
    _r("applications_new", rf"{_APPLY}(?:政府信息)?(?:的)?(?:数量|总数|件数)[^,;。\d]{{0,4}}(?:为|共|计)+"
                           rf"{NUM}{COUNT_UNIT}", veto=_NOT_APPLICATIONS),
    # inside the 依申请公开 section the count needs no 申请: 「全年共受理12件」, 「共收到群众来函 12 件」
    _r("applications_new", rf"^[^,;:。\d]{{0,8}}?(?:受理|收到|接到|接收|接受)了?[^,;:。\d]{{0,12}}?(?:共|总计|合计)?计?"
                           rf"{NUM}\s*(?P<unit>件|份|条|个|项|宗)",
       section=_APPLY_SECTION, veto=re.compile(_NOT_APPLICATIONS.pattern + r"|结转|答复|办结|复议|诉讼|公开")),

    _r("applications_new", rf"{_NEG}(?:收到|受理|接到|接收|发生)[^,;。\d]{{0,20}}?申请", zero=True, scope="sentence",
       section=_APPLY_SECTION, veto=_NOT_APPLICATIONS),
    _r("applications_new", _NONE_SENTENCE, zero=True, scope="sentence", section=_APPLY_SECTION),

    # applications carried over from last year / into next year
    _r("applications_carried_over", rf"上一?年度?结转[^,;。\d]{{0,16}}?{NUM}{COUNT_UNIT}"),
    _r("carried_forward", r"(?:没有|无|未)[^,;。\d]{0,4}?(?:下一?年度?结转|结转(?:至|到)?下一?年)", zero=True),
    _r("carried_forward", rf"结转(?:至|到)?下一?年度?(?:继续办理)?[^,;。\d]{{0,6}}?{NUM}{COUNT_UNIT}"),
    _r("carried_forward", rf"{NUM}{COUNT_UNIT}[^,;。\d]{{0,16}}?(?:结转|顺延)(?:至|到)?下一?年"),
    _r("carried_forward", rf"(?:顺延|延期)(?:至|到)下一?年度?(?:答复|办理)?[^,;。\d]{{0,6}}?{NUM}{COUNT_UNIT}"),

    # outcomes
    _r("granted", rf"(?<![不])同意公开[^,;。、\d]{{0,8}}?{NUM}{COUNT_UNIT}", veto=_COMBINED),
    _r("granted", rf"(?<!部分)(?<!不)予以公开[^,;。、\d]{{0,6}}?{NUM}{COUNT_UNIT}", veto=_COMBINED),
    _r("partially_granted", rf"{_NEG}[^,;。\d]{{0,4}}?(?:同意)?部分公开", zero=True),
    _r("partially_granted", rf"(?:同意)?部分(?:予以)?公开[^,;。\d]{{0,8}}?{NUM}{COUNT_UNIT}", veto=_COMBINED),
    _r("refused", rf"{_NEG}[^,;。\d]{{0,10}}?(?:不予公开|不同意公开)", zero=True),
    _r("refused", rf"(?:不予公开|不同意公开)[^,;。\d]{{0,8}}?{NUM}{COUNT_UNIT}", veto=_WITHHELD),
    # the number before its label: 「12件予以公开,3件部分公开,2件不予公开」
    _r("granted", rf"{NUM}{COUNT_UNIT}(?:申请)?(?:予以|同意)公开(?!及|或|和|与|、部分)", veto=_COMBINED),
    _r("partially_granted", rf"{NUM}{COUNT_UNIT}(?:申请)?(?:予以|同意)?部分(?:予以)?公开", veto=_COMBINED),
    _r("refused", rf"{NUM}{COUNT_UNIT}(?:申请)?(?:不予公开|不同意公开)", veto=_WITHHELD),
    _r("unable_to_provide", rf"{NUM}{COUNT_UNIT}(?:申请)?(?:因[^,;。\d]{{0,12}}?)?无法提供"),
    _r("not_processed", rf"{NUM}{COUNT_UNIT}(?:申请)?不予处理"),

    _r("unable_to_provide", rf"无法提供[^,;。、\d]{{0,6}}?{NUM}{COUNT_UNIT}"),
    _r("not_processed", rf"不予处理[^,;。、\d]{{0,6}}?{NUM}{COUNT_UNIT}"),
    _r("other_handling", rf"其他(?:方式)?处理[^,;。、\d]{{0,6}}?{NUM}{COUNT_UNIT}"),

    # reviews and lawsuits about the agency's own disclosure answers
    _r("review_total", rf"行政复议[^;。]{{0,30}}?信息公开类?(?:案件)?(?:有|共)?{NUM}\s*(?P<unit>件|起|宗)",
       scope="sentence", veto=_REVIEW_BODY),
    _r("review_total", rf"{_NEG}[^;。\d]{{0,30}}?行政复议", zero=True, scope="sentence", veto=_REVIEW_BODY),
    _r("review_total", r"行政复议[^;。\d]{0,20}?(?:均|都)?(?:为|是)?(?:0|零)\s*(?:件|起|次|宗)?(?!\d)",
       zero=True, scope="sentence", veto=_REVIEW_BODY),
    _r("review_total", rf"行政复议[^,;。\d诉]{{0,12}}?(?:共|有)?{NUM}\s*(?P<unit>件|起|次|宗)", veto=_REVIEW_BODY),
    _r("review_total", rf"{_NEG}[^;。\d]{{0,30}}?复议", zero=True, scope="sentence", veto=_REVIEW_BODY),
    _r("review_total", _NONE_SENTENCE, zero=True, scope="sentence", section=re.compile(r"^(?!.*收费).*复议")),
    _r("litigation_total", rf"行政诉讼[^;。]{{0,30}}?信息公开类?(?:案件)?(?:有|共)?{NUM}\s*(?P<unit>件|起|宗)",
       scope="sentence"),
    _r("litigation_total", rf"{_NEG}[^;。\d]{{0,40}}?行政诉讼", zero=True, scope="sentence"),
    _r("litigation_total", r"行政诉讼[^;。\d]{0,20}?(?:均|都)?(?:为|是)?(?:0|零)\s*(?:件|起|次|宗)?(?!\d)",
       zero=True, scope="sentence"),
    _r("litigation_total", rf"行政诉讼[^,;。\d]{{0,12}}?(?:共|有)?{NUM}\s*(?P<unit>件|起|次|宗)"),
    # 「信息公开类行政复议7件,诉讼9件」: 诉讼 alone, right after the reviews
    _r("litigation_total", rf"复议[^;。]{{0,12}}?\d+\s*[件起宗][,、](?:提起)?(?:行政)?诉讼(?:案件)?(?:共|有)?{NUM}\s*(?P<unit>件|起|宗)",
       scope="sentence"),
    _r("litigation_total", rf"{_NEG}[^;。\d]{{0,40}}?(?:复议|申诉)[^;。\d]{{0,4}}?诉讼", zero=True, scope="sentence"),
    _r("litigation_total", _NONE_SENTENCE, zero=True, scope="sentence", section=re.compile(r"^(?!.*收费).*诉讼")),

    # fees for disclosure on application (yuan)
    _r("disclosure_fees_yuan", rf"(?:收取|收费)[^,;。\d]{{0,16}}?{NUM}\s*(?P<unit>万元|元)",
       require=_FEE_CONTEXT, veto=_FEE_VETO, factor_by_unit={"万元": 10000}),
    _r("disclosure_fees_yuan", rf"信息处理费[^,;。\d]{{0,10}}?{NUM}\s*(?P<unit>万元|元)",
       factor_by_unit={"万元": 10000}),
    _r("disclosure_fees_yuan", rf"{_NEG}(?:向[^,;。\d]{{1,12}}?|因[^,;。\d]{{1,16}}?)?(?:收取|收|涉及|产生|发生)[^,;。\d]{{0,14}}?(?:任何)?"
                               rf"(?:费用|收费|费|信息处理费)", zero=True, require=_FEE_CONTEXT, veto=_FEE_VETO),
    _r("disclosure_fees_yuan", rf"{_NEG}[^,;。\d]{{0,10}}?收费(?:及|和|与)?(?:减免)?(?:的)?(?:情况|事项)",
       zero=True, require=_FEE_CONTEXT, veto=_FEE_VETO),
    _r("disclosure_fees_yuan", r"免费(?:公开|提供(?:政府)?信息)", zero=True),
    # under a 收费 heading the sentence need not say 公开/申请: 「我街道未对任何公民、法人和组织收取任何费用。」
    _r("disclosure_fees_yuan", rf"{_NEG}[^,;。\d]{{0,20}}?(?:收取|收)了?任何(?:费用|费)", zero=True,
       section=re.compile(r"收费"), veto=_FEE_VETO),
]

_CARRY = re.compile(r"上一?年度?结转")
_SENTENCE_SPLIT = re.compile(r"(?<=[。;!?])|\n")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|第[一二三四五六七八九十]+(?:部分|章))")
_SUBHEADING = re.compile(r"^(?:\([一二三四五六七八九十]+\)|\d{1,2}[、.](?!\d))")


_BARE_NUMBER = re.compile(r"[\d,. ]*\d[\d,. %]*")
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")


def join_figure_lines(text: str) -> str:
    """A figure a converter put on its own line joined back into its sentence: 「…主动公开政府信息」 /
    「5928」 / 「条,全文…」 is one line again."""
    out: list[str] = []
    for line in text.split("\n"):
        s = line.strip()
        prev = out[-1] if out else ""
        # one number after words (a table's column of figures, one per line, stays as it is) ...
        if prev and len(s) <= 12 and _HAN_CHAR.match(prev[-1]) and _BARE_NUMBER.fullmatch(s):
            out[-1] += s
        # ... and its unit after it
        elif prev and prev[-1].isdigit() and s[:1] and s[0] in "条件项个份次%":
            out[-1] += s
        else:
            out.append(s)
    return "\n".join(out)


def sentences(text: str):
    """(sentence, enclosing headings) pairs: the current top-level heading (一、) and the current
    sub-heading ((一) / 1、) under it, joined."""
    heading = sub = ""
    for line in join_figure_lines(text).split("\n"):
        line = line.strip()
        if not line:
            continue
        if _HEADING.match(line) and len(line) < 60:
            heading, sub = line, ""
        elif _SUBHEADING.match(line):
            sub = line[:30]
        for s in _SENTENCE_SPLIT.split(line):
            s = s.strip()
            if s:
                yield s, f"{heading} {sub}"


_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def _other_year(text: str, year: int | None) -> bool:
    """The text speaks of an earlier year than the report's (a previous-year figure)."""
    return year is not None and any(int(y) < year for y in _YEAR.findall(text))


_CLAUSE_SPLIT = re.compile(r"(?<!\d),|,(?!\d{3}(?!\d))")


@functools.lru_cache(maxsize=4096)
def clauses(sentence: str) -> list[str]:
    """A sentence split at commas, but not inside a number with thousands separators (1,238)."""
    return [p.strip(" ,") for p in _CLAUSE_SPLIT.split(sentence)]


# A sentence can only hold a key's figure if it contains one of these words (a cheap prefilter).
TRIGGERS = {
    "proactive_total": ("公开", "发布"), "applications_new": ("申请", "受理", "收到", "接到", "接收", "接受"), "granted": ("同意公开", "予以公开"),
    "partially_granted": ("部分",), "refused": ("不予公开", "不同意公开"), "review_total": ("复议",),
    "litigation_total": ("诉讼",), "disclosure_fees_yuan": ("费",),
    "applications_carried_over": ("结转",), "carried_forward": ("结转", "顺延", "延期"), "unable_to_provide": ("无法提供",),
    "not_processed": ("不予处理",), "other_handling": ("其他处理", "其他方式处理"),
}


_LIST_ITEM_KEYS = {"proactive_total"}   # a figure followed by 、 is one item of a list, not the total


_TRIGGER_RX = {key: re.compile("|".join(map(re.escape, words))) for key, words in TRIGGERS.items()}


def _hits(rule: Rule, sentence: str, heading: str, year: int | None = None):
    """Every (value, unit, span) the rule reads in a sentence, in order."""
    if rule.section is not None and not rule.section.search(heading):
        return
    if rule.require is not None and not rule.require.search(sentence):
        return
    if rule.sentence_veto is not None and rule.sentence_veto.search(sentence):
        return
    pieces = [sentence] if rule.scope == "sentence" else clauses(sentence)
    for piece in pieces:
        if rule.veto is not None and rule.veto.search(piece):  # the whole clause / sentence
            continue
        for m in rule.pattern.finditer(piece):
            span = m.group(0)
            if _COMPARISON.search(_CARRY.sub("", span)) or _other_year(piece[:m.end()], year):
                continue
            if rule.key in _LIST_ITEM_KEYS and piece[m.end():m.end() + 1] == "、":
                continue
            if rule.zero:
                yield 0.0, None, span
                continue
            value = parse_number(m.group("num"))
            if value is None:
                continue
            unit = m.groupdict().get("unit")
            if rule.factor_by_unit and unit in rule.factor_by_unit:
                value *= rule.factor_by_unit[unit]
            yield value, unit, span


def relative_years(sentence: str, year: int | None) -> str:
    """Years next to 结转 / 顺延 said relative to the report's: in a 2022 report 「我局2021年结转的…」 is
    「上年度结转的…」 and 「结转至2023年度」 is 「结转至下年度」."""
    if not year or "结转" not in sentence and "顺延" not in sentence:
        return sentence
    sentence = re.sub(rf"{year - 1}\s*年度?(?=[^,;。\d]{{0,4}}?结转)", "上年度", sentence)
    sentence = re.sub(rf"(结转|顺延|延期)(至|到)?\s*{year + 1}\s*年度?", r"\1至下年度", sentence)
    return re.sub(rf"(结转|顺延)(至|到)\s*{year}\s*年度?", r"\1至本年度", sentence)


def prose_figures(text: str, year: int | None = None, warnings: list | None = None) -> dict[str, Figure]:
    """Headline key -> the figure the text states for it (absent keys: the text does not say).
    `year`: the report's year; figures in clauses about an earlier year are not taken.
    A key whose deciding rule reads different values in the text is ambiguous: left out, and a line
    goes to `warnings` (when given)."""
    headings = functools.lru_cache(maxsize=None)(join_han)    # a heading is shared by its sentences
    sents = [(relative_years(join_han(s), year), s, headings(h)) for s, h in sentences(text)
             if _HAN_CHAR.search(s)]
    by_key = {key: [t for t in sents if rx.search(t[0]) or (key in _SECTION_KEYS and rx.search(t[2]))]
              for key, rx in _TRIGGER_RX.items()}
    found: dict[str, Figure] = {}
    settled: set[str] = set()
    for rule in RULES:
        if rule.key in settled:
            continue
        hits = [(hit, printed) for sentence, printed, heading in by_key[rule.key]
                for hit in _hits(rule, sentence, heading, year)]
        if not hits:
            continue
        settled.add(rule.key)
        values = sorted({value for (value, _, _), _ in hits})
        if len(values) > 1:
            if warnings is not None:
                shown = " / ".join(f"{v:g}" for v in values[:4])
                warnings.append(f"prose: {rule.key} stated as {shown} in different places: left out")
            continue
        (value, unit, span), printed = hits[0]
        if rule.key == "disclosure_fees_yuan":
            unit = "元"
        found[rule.key] = Figure(rule.key, value, unit, span, printed)
    if "proactive_total" not in settled:
        fig = total_with_parts(sents, year)
        if fig:
            found["proactive_total"] = fig
    return found


_INFO_COUNT = re.compile(rf"(?:公开|发布)了?(?:各类|政府|政务|各项)*信息(?:共|总计|合计)?计?{NUM}{INFO_UNIT}")
_PART = re.compile(rf"{NUM}{INFO_UNIT}")


def total_with_parts(sents, year: int | None) -> Figure | None:
    """A count of information published that its own 其中 parts add up to, as the year's total:
    「我镇通过门户网站公开各类信息46条。其中工作动态类36条;计划总结类7条;其他类3条」. Only when exactly one
    such count is in the text; never a channel's (微信…), a running total (累计) or an earlier year's."""
    cands = []
    for i, (sentence, printed, _) in enumerate(sents):
        if "信息" not in sentence:
            continue
        for m in _INFO_COUNT.finditer(sentence):
            clause = next((c for c in clauses(sentence) if m.group(0) in c), sentence)
            if _CHANNEL.search(clause) or "累计" in clause or _COMPARISON.search(clause) \
                    or _other_year(sentence[:m.end()], year):
                continue
            after = sentence[m.end():]
            for nxt, _, _ in sents[i + 1:i + 8]:   # the parts run on to the full stop (split at ;)
                if _HEADING.match(nxt) or _SUBHEADING.match(nxt):
                    break
                after += nxt
                if nxt.endswith("。"):
                    break
            k = after.find("其中")
            if k < 0 or k > 2:
                continue
            rest = re.split(r"[。]", after[k:], maxsplit=1)[0]
            parts = [parse_number(p.group("num")) for p in _PART.finditer(rest) if p.group("unit") == m.group("unit")]
            total = parse_number(m.group("num"))
            if len(parts) >= 2 and None not in parts and sum(parts) == total:
                cands.append(Figure("proactive_total", total, m.group("unit"), m.group(0), printed))
    return cands[0] if len({f.value for f in cands}) == 1 else None
