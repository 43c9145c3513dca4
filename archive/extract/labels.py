"""Cell text normalisation and the printed-label -> canonical-key rules of the statistics tables.

Everything here works on one cell's (or one label's) text; the grid and mapping logic lives in
grid.py and tables.py. The rules are documented for users in docs/keys.md.

Cell rule (``parse_value``):
  - text is NFKC-normalised (full-width digits, letters, parens and colons become half-width) and all
    whitespace (spaces, &nbsp;, ideographic spaces, line breaks) is removed;
  - a number, optionally with thousands separators and a unit suffix (件, 条, 次, 个, 人, 万元, 元 ...)
    is a value;
  - "—", "-", "/", "无" (and their doubled forms) in a value cell mean none: 0;
  - an empty cell is null: no figure, no Stat;
  - anything else is a label.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

try:  # Traditional labels (mirrors, Hong Kong style pages) are read as Simplified.
    import opencc
    _T2S = opencc.OpenCC("t2s")
except Exception:  # pragma: no cover - opencc is in requirements.txt
    _T2S = None

_WS = re.compile(r"\s+")
UNITS = ("件", "条", "次", "个", "人", "人次", "人(次)", "万元", "元", "项", "期", "场", "篇", "家", "%")
_UNIT_RE = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_NUM = re.compile(rf"^([+-]?\d{{1,3}}(?:,\d{{3}})+|[+-]?\d+)(\.\d+)?({_UNIT_RE})?$")
NONE_MARKS = {"—", "-", "/", "无", "——", "--", "－", "─", "—-", "–", "\\", "×"}


@lru_cache(maxsize=65536)
def norm(text: str | None) -> str:
    """Normalise a cell's text: NFKC (full-width -> half-width), no whitespace at all,
    Traditional -> Simplified when the text has characters outside GB2312."""
    if not text:
        return ""
    t = _WS.sub("", unicodedata.normalize("NFKC", text))
    if _T2S is not None:
        try:
            t.encode("gb2312")        # Simplified text: nothing to convert (fast path)
        except UnicodeEncodeError:
            t = _T2S.convert(t)
    return t


@lru_cache(maxsize=65536)
def parse_value(cell: str) -> tuple[bool, float | None, str | None]:
    """(is_value, value, unit) for a normalised cell. Empty -> (True, None, None): a value cell
    with no figure; a label -> (False, None, None)."""
    if cell == "":
        return True, None, None
    if cell in NONE_MARKS:
        return True, 0.0, None
    m = _NUM.match(cell)
    if not m:
        return False, None, None
    num = float(m.group(1).replace(",", "") + (m.group(2) or ""))
    return True, num, m.group(3)


MAX_FIGURE = 1e10   # no count, sum or fee of a disclosure report comes near ten billion


def invalid_value(table: str, col: str, value: float) -> str | None:
    """Why a parsed figure cannot be a value of this table's column, or None when it can:
    counts are finite, non-negative and (tables 三/四) whole; only table 二's 增/减 column is
    signed; a figure beyond MAX_FIGURE is digits run together or junk, not a count."""
    if not math.isfinite(value) or abs(value) > MAX_FIGURE:
        return f"{value:g} is not a plausible figure"
    if value < 0 and not (table == "2" and col == "change"):
        return f"{value:g} is negative"
    if table in ("3", "4") and not float(value).is_integer():
        return f"{value:g} is not a whole count"
    return None


def is_unit(cell: str) -> bool:
    """A cell holding only a unit (the 单位 column of indicator tables)."""
    return cell in UNITS or cell in ("单位", "万元", "人(次)")


# --- numbering and label cores --------------------------------------------------------------
_CN_NUM = "一二三四五六七八九十"
_LEVEL1 = re.compile(rf"^([{_CN_NUM}]+)[、.,]")
_LEVEL2 = re.compile(rf"^\(([{_CN_NUM}]+)\)[、.]?")
_LEVEL3 = re.compile(r"^(\d{1,2})(?:[、.,)](?!\d)|\)(?!\d))")
_NOTE = re.compile(r"\([^()]*\)$")


@lru_cache(maxsize=65536)
def canonical_label(label: str) -> str:
    """A normalised label with its numbering written the one canonical way:
    一、 / (一) / 1. (so 一. 1、 (一)、 all become the same)."""
    m = _LEVEL1.match(label)
    if m:
        return f"{m.group(1)}、{label[m.end():]}"
    m = _LEVEL2.match(label)
    if m:
        return f"({m.group(1)}){label[m.end():]}"
    m = _LEVEL3.match(label)
    if m:
        return f"{m.group(1)}.{label[m.end():]}"
    return label


def level(label: str) -> int:
    """Hierarchy level of a canonical label: 1 for 一、, 2 for (一), 3 for 1., 0 otherwise."""
    if _LEVEL1.match(label):
        return 1
    if _LEVEL2.match(label):
        return 2
    if _LEVEL3.match(label):
        return 3
    return 0


def is_marked(label: str) -> bool:
    """A label that starts with a hierarchy mark (一、 (一) 1.) or 其中."""
    return level(canonical_label(label)) > 0 or label.startswith("其中")


def is_note(label: str) -> bool:
    """A label part that is only a parenthesised remark, e.g. (不同渠道和方式公开相同信息计1条)."""
    return label.startswith("(") and label.endswith(")") and level(label) == 0


def strip_note(label: str) -> str:
    """Drop trailing parenthesised remarks: (一)收到申请数(依申请公开方式) -> (一)收到申请数.
    A label that is nothing but a parenthesis (a remark, or (一)) is kept."""
    while True:
        m = _NOTE.search(label)
        if not m or not label[:m.start()]:
            return label
        label = label[:m.start()]


@lru_cache(maxsize=65536)
def core(label: str) -> str:
    """The label without numbering, 其中: prefix and remark: (一)收到申请数(依申请公开方式) -> 收到申请数."""
    t = strip_note(canonical_label(label))
    for rx in (_LEVEL1, _LEVEL2, _LEVEL3):
        t = rx.sub("", t, count=1)
    t = re.sub(r"^其中[:：]?", "", t)
    return t


# --- table 三 ----------------------------------------------------------------------------------
# Tried in order on a row's last label part, then on all its parts joined; the first match wins.
T3_ROW_RULES: list[tuple[str, re.Pattern]] = [(k, re.compile(p)) for k, p in [
    ("carried_forward", r"结转下年"),
    ("carried_over", r"上年结转|上年度结转"),
    ("new", r"本年新收|新收.*申请"),
    ("other.no_correction", r"不补正"),
    ("other.no_fee_paid", r"缴纳费用|收费通知|未按.*缴纳"),
    ("not_processed.excessive", r"大量反复"),
    ("not_processed.petition", r"信访|举报投诉"),
    ("not_processed.duplicate", r"重复申请"),
    ("not_processed.publication", r"出版物"),
    ("not_processed.confirmation", r"重新出具|确认或"),
    ("unable.not_held", r"不掌握"),
    ("unable.needs_creation", r"另行制作|没有现成"),
    ("unable.unclear", r"仍不明确|补正后"),
    ("refused.state_secret", r"国家秘密"),
    ("refused.prohibited_by_law", r"禁止公开|其他法律|行政法规"),
    ("refused.security_stability", r"三安全|一稳定|危及"),
    ("refused.third_party", r"第三方"),
    ("refused.internal_affairs", r"内部事务"),
    ("refused.process_info", r"过程性"),
    ("refused.enforcement_file", r"执法案卷"),
    ("refused.query_matter", r"查询事项"),
    ("partial", r"部分公开"),
    ("granted", r"予以公开"),
    ("total", r"总计|合计"),
]]
T3_GROUPS = {"refused": r"不予公开", "unable": r"无法提供", "not_processed": r"不予处理", "other": r"其他处理"}
_T3_GROUP_RULES = [(g, re.compile(p)) for g, p in T3_GROUPS.items()]
T3_COL_RULES: list[tuple[str, re.Pattern]] = [(k, re.compile(p)) for k, p in [
    ("natural_person", r"自然人"),
    ("commercial", r"商业"),
    ("research", r"科研"),
    ("nonprofit", r"公益"),
    ("legal_service", r"法律服务|^法律"),
    ("other_org", r"^其他(组织)?$"),
    ("total", r"^(总计|合计)$"),
]]
T3_COL_LABELS = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
                 "nonprofit": "社会公益组织", "legal_service": "法律服务机构", "other_org": "其他",
                 "total": "总计"}
T3_MARKERS = re.compile(r"本年新收|上年结转|予以公开|结转下年")


def first_match(rules: list[tuple[str, re.Pattern]], text: str) -> str | None:
    """The key of the first rule whose pattern occurs in `text` (rules are ordered most specific
    first), or None."""
    return next((key for key, rx in rules if rx.search(text)), None)


@lru_cache(maxsize=65536)       # the rules are constants: a label's key is read once per process
def t3_group(label: str) -> str | None:
    return first_match(_T3_GROUP_RULES, label)


@lru_cache(maxsize=65536)
def _t3_row_rule(text: str) -> str | None:
    return first_match(T3_ROW_RULES, text)


def t3_row_key(parts: list[str], group: str | None) -> str | None:
    """Row key of table 三 for a row's label parts (left to right, or lines top to bottom), given
    the group (不予公开 / 无法提供 / 不予处理 / 其他处理) the rows above opened.
    Returns "other" for a bare 其他处理 row, "other.other" for 3.其他 under it."""
    if not parts:
        return None
    for text in (parts[-1], "".join(parts)):
        if key := _t3_row_rule(text):
            return key
        g = t3_group(text)
        if g == "other":
            rest = _T3_GROUP_RULES[3][1].split(text, 1)[1]
            return "other.other" if "其他" in rest else "other"
    if group == "other" and core(parts[-1]) in ("其他", "其它"):
        return "other.other"
    return None


@lru_cache(maxsize=65536)
def t3_col_key(text: str) -> str | None:
    return first_match(T3_COL_RULES, text)


# --- table 四 ----------------------------------------------------------------------------------
def t4_group(text: str) -> str | None:
    if "直接起诉" in text:
        return "litigation_direct"
    if "复议后" in text:
        return "litigation_after_review"
    if "行政复议" in text:
        return "review"
    return None


T4_COL_RULES = [("upheld", re.compile("维持")), ("corrected", re.compile("纠正")),
                ("pending", re.compile("尚未|审结")), ("other", re.compile("其他")),
                ("total", re.compile("总计|合计"))]
T4_GROUP_LABELS = {"review": "行政复议", "litigation_direct": "行政诉讼 / 未经复议直接起诉",
                   "litigation_after_review": "行政诉讼 / 复议后起诉"}
T4_COL_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果",
                 "pending": "尚未审结", "total": "总计"}


@lru_cache(maxsize=65536)
def t4_col_key(text: str) -> str | None:
    return first_match(T4_COL_RULES, text)


# --- table 二 ----------------------------------------------------------------------------------
T2_ROW_NAMES = {
    "规章": "rules", "规范性文件": "normative_docs", "行政规范性文件": "normative_docs",
    "行政许可": "licensing", "其他对外管理服务事项": "other_services", "其他对外管理服务": "other_services",
    "行政处罚": "penalty", "行政强制": "coercion", "行政事业性收费": "admin_fees",
    "政府集中采购": "procurement",
}
T2_COL_RULES: list[tuple[str, re.Pattern]] = [(k, re.compile(p)) for k, p in [
    ("made", r"新制作"), ("published", r"新公开"), ("in_force", r"对外公开总|现行有效"),
    ("issued", r"制发"), ("repealed", r"废止"), ("last_year", r"上一年|上年"),
    ("change", r"增/?减|增减"), ("decisions", r"处理决定"), ("projects", r"采购项目"),
    ("amount_wan_yuan", r"收费金额"), ("amount", r"总金额|采购金额"),
]]
T2_2019_ONLY = {"made", "published", "last_year", "change", "projects", "amount"}
T2_2021_ONLY = {"issued", "repealed", "amount_wan_yuan"}


def t2_row_key(label: str) -> str | None:
    return T2_ROW_NAMES.get(core(label))


@lru_cache(maxsize=65536)
def t2_col_key(text: str) -> str | None:
    return first_match(T2_COL_RULES, text)


# --- indicator tables --------------------------------------------------------------------------
INDICATOR_CORES = {
    "proactive_total": {"主动公开新增信息数量", "主动公开政府信息数", "主动公开政府信息数量", "主动公开信息数"},
    "applications_new": {"收到申请数", "收到申请总数", "依申请公开数量"},
    "granted": {"同意公开答复数"},
    "partially_granted": {"同意部分公开答复数"},
    "refused": {"不同意公开答复数"},
    "review_total": {"因政府信息公开申请行政复议情况", "因政府信息公开申请行政复议数",
                     "因政府信息公开申请提起行政复议数"},
    "litigation_total": {"因政府信息公开申请行政诉讼情况", "因政府信息公开申请行政诉讼数",
                         "因政府信息公开申请提起行政诉讼数"},
}
# Where two rows of one table carry the same meaning, the lower rank wins the key (收到申请数 is
# the applications received; 依申请公开数量 only stands in for it when the table lacks it).
_RANK = {"依申请公开数量": 1}
# Rows that count information items, not applications, though they name an outcome: 不予公开信息数
# (information withheld from proactive disclosure), 依申请公开信息数 (items released on request).
# They keep their label path and never stand for refused / applications_new.
_NOT_APPLICATIONS = re.compile(r"信息(条)?数|信息数量")


def indicator_key(label: str, parents: list[str], unit: str | None) -> str | None:
    """Canonical headline key of an indicator row, or None (the row keeps its label path).
    Fees keep the printed value and unit (万元); summaries convert to yuan."""
    c = core(label)
    if _NOT_APPLICATIONS.search(c) and c not in INDICATOR_CORES["proactive_total"]:
        return None
    for key, cores in INDICATOR_CORES.items():
        if c in cores:
            return key
    if c == "收取费用" and any("依申请公开收费" in p for p in parents):
        return "disclosure_fees_yuan"
    return None


def indicator_rank(label: str) -> int:
    return _RANK.get(core(label), 0)
