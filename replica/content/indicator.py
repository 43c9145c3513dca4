"""Zhejiang-style indicator tables (政府信息公开工作情况报表: 指标名称 | 单位 | 本年累计).

The row skeleton is read from the Quzhou 2020 seed, whose table arrived flattened one cell per
line; synthetic Zhejiang-style reports reuse that skeleton with their own figures.

Keys (docs/replica-content.md): a row whose meaning archive.keys.INDICATOR_KEYS names gets that
headline key; every other row is keyed by its label path: the enclosing labels by hierarchy
(一、 > （一） > 1. > unmarked), with a merged group cell (按信息类别分) before the rows it spans,
each label without spaces, joined by " / ".
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from archive.keys import HEADLINE_KEYS

from .grid import Cell, Grid

NUM = re.compile(r"^-?\d+(?:\.\d+)?$")
REMARK = re.compile(r"[(（][^()（）]*[)）]")
LEAD_MARKER = re.compile(r"^[(（][一二三四五六七八九十]+[)）]")
UNITS = {"万元", "人(次)", "条", "件", "个", "次", "人"}
MARKER = re.compile(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.．]|其中[:：])")


def level(label: str) -> float:
    if re.match(r"^[一二三四五六七八九十]+、", label):
        return 1
    if re.match(r"^[(（][一二三四五六七八九十]+[)）]", label):
        return 2
    if re.match(r"^\d+[.．]", label):
        return 3
    return 4


def norm(label: str) -> str:
    return re.sub(r"\s+", "", label)


def key_label(label: str) -> str:
    """A normalised label without parenthesised remarks, keeping a leading （一） marker."""
    m = LEAD_MARKER.match(label)
    head = m.group(0) if m else ""
    return head + REMARK.sub("", label[len(head):])


@dataclass
class IRow:
    lines: list[str]                 # the label as printed, one entry per printed line
    unit: str = ""
    value: int | float | None = None
    kind: str = "row"                # row | section | group | note | plain
    cells: list[str] = field(default_factory=list)   # kind plain: the cells as printed
    group: str | None = None         # the merged group cell this row lies in
    path: list[str] = field(default_factory=list)    # enclosing labels (normalised)

    @property
    def label(self) -> str:
        """The label as printed: its lines joined, spaces removed."""
        return norm("".join(self.lines))

    @property
    def key_label(self) -> str:
        """The label as it enters a key: without parenthesised remarks such as
        「(不同渠道和方式公开相同信息计1条)」 or 「(依申请公开方式)」 (a leading （一） marker stays)."""
        return key_label(self.label)


def parse_flat(lines: list[str]) -> list[IRow]:
    """Rebuild indicator rows from a table flattened one cell per line (label, [unit], value)."""
    rows: list[IRow] = []
    pending: IRow | None = None
    for raw in lines:
        tok = raw.strip()
        if not tok:
            continue
        if NUM.match(tok) and pending is not None:
            pending.value = float(tok) if "." in tok else int(tok)
            rows.append(pending)
            pending = None
        elif tok in UNITS and pending is not None:
            pending.unit = tok
        elif pending is not None and not MARKER.match(tok):
            pending.lines.append(tok)           # the label wrapped onto the next line
        else:
            if pending is not None:
                rows.append(pending)            # a label with no figure: section, group or note
            pending = IRow([tok])
    if pending is not None:
        rows.append(pending)
    return structure(rows)


def structure(rows: list[IRow]) -> list[IRow]:
    """Classify figure-less rows and assign every row its group and label path."""
    for i, r in enumerate(rows):
        if r.value is None and r.kind == "row":
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            if level(r.label) < 4:
                r.kind = "section"
            elif nxt is not None and level(nxt.label) == 3:
                r.kind = "group"
            else:
                r.kind = "note"
    stack: list[tuple[float, str]] = []
    group: str | None = None
    for r in rows:
        if r.kind in ("note", "plain"):
            continue
        lv = 2.5 if r.kind == "group" else level(r.label)
        while stack and stack[-1][0] >= lv:
            stack.pop()
        if r.kind == "group":
            group = r.label
        elif lv < 3:
            group = None
        r.path = [key_label(label) for _, label in stack]
        if r.kind != "group" and group is not None and lv >= 3:
            r.group = "\n".join(x for x in _group_lines(rows, group))
        stack.append((lv, r.label))
    return rows


def _group_lines(rows: list[IRow], group: str) -> list[str]:
    for r in rows:
        if r.kind == "group" and r.label == group:
            return r.lines
    return [group]


def own(label: str) -> str:
    """A label without its hierarchy marker."""
    return MARKER.sub("", label)


def row_key(r: IRow, rows: list[IRow]) -> str:
    """The canonical key of a figure row (INDICATOR_KEYS meaning), else its label path."""
    o = own(r.label)
    has_received = any("收到申请数" in x.label for x in rows if x.kind == "row")
    if "主动公开新增信息数量" in o or o.startswith("主动公开政府信息数"):
        return "proactive_total"
    if "收到申请数" in o or (o.startswith("依申请公开数量") and not has_received):
        return "applications_new"
    if o == "同意公开答复数":
        return "granted"
    if o == "同意部分公开答复数":
        return "partially_granted"
    if o == "不同意公开答复数":
        return "refused"
    if "因政府信息公开申请行政复议" in o:
        return "review_total"
    if "因政府信息公开申请行政诉讼" in o:
        return "litigation_total"
    if o == "收取费用" and any("依申请公开收费" in p for p in r.path):
        return "disclosure_fees_yuan"
    return " / ".join(r.path + [r.key_label])


def stats_rows(rows: list[IRow]) -> list[dict]:
    """Every figure of the table as truth stats rows: value and unit as printed (fees in 万元)."""
    out = []
    for r in rows:
        if r.kind != "row" or r.value is None:
            continue
        out.append({"table": "indicator", "row": row_key(r, rows), "col": "value", "value": r.value,
                    "label": r.label, "unit": r.unit})
    return out


def summary(rows: list[IRow]) -> dict:
    """Headline figures an indicator table states (None for the rest)."""
    out = {}
    for s in stats_rows(rows):
        if s["row"] in HEADLINE_KEYS:
            value = s["value"]
            if s["row"] == "disclosure_fees_yuan" and s["unit"] == "万元":
                value = round(value * 10000, 2)
                value = int(value) if float(value).is_integer() else value
            out.setdefault(s["row"], value)
    return out


def grid(rows: list[IRow], caption: str) -> Grid:
    """指标名称 (two columns: group cell + label) | 单位 | 本年累计."""
    cells: list[list[Cell]] = [[Cell("指标名称", colspan=2, header=True, width=170),
                                Cell("单位", header=True, width=60), Cell("本年累计", header=True, width=80)]]
    i = 0
    while i < len(rows):
        r = rows[i]
        if r.kind == "plain":
            cells.append([Cell(r.cells[0], colspan=2, width=170)] + [Cell(t, width=70) for t in r.cells[1:]])
        elif r.kind == "group":
            span = 0
            j = i + 1
            while j < len(rows) and rows[j].group is not None and norm(rows[j].group) == r.label:
                span += 1
                j += 1
            first = True
            for k in range(i + 1, j):
                m = rows[k]
                row = [Cell("\n".join(r.lines), rowspan=span, width=40)] if first else []
                first = False
                row += [Cell("\n".join(m.lines), width=130), Cell(m.unit, width=60),
                        Cell(value=m.value, width=80) if m.value is not None else Cell("", width=80)]
                cells.append(row)
            i = j
            continue
        else:
            cells.append([Cell("\n".join(r.lines), colspan=2, width=170), Cell(r.unit, width=60),
                          Cell(value=r.value, width=80) if r.value is not None else Cell("", width=80)])
        i += 1
    return Grid(cells, 4, caption=caption)


# ------------------------------------------------------------------------------ synthetic
def synth_rows(skeleton: list[IRow], rng: random.Random, size: str) -> list[IRow]:
    """The seed's skeleton with new, internally consistent figures (channels sum to totals)."""
    n = {"small": rng.randint(0, 12), "medium": rng.randint(8, 40), "large": rng.randint(30, 150)}[size]
    proactive = rng.randint(150, 2500)
    channels = _parts(rng, proactive, 4, [3, 0.5, 2, 1])
    ways = _parts(rng, n, 4, [2, 0.2, 5, 2])
    late = rng.choice([0, 0, 0, min(1, n)])
    answer_w = [1, 6, 1, 0.6, 2, 1, 0.5, 1]
    answers = _parts(rng, n, 8, answer_w)
    refused_parts = _parts(rng, answers[3], 6, [1, 1, 2, 1, 1, 2])
    types = _parts(rng, n, 18, [1] * 3 + [4] + [0.3] * 13 + [2])
    review = _parts(rng, rng.choice([0, 0, 0, 1, 2]), 3, [3, 1, 1])
    litig = _parts(rng, rng.choice([0, 0, 0, 0, 1]), 3, [3, 1, 1])
    fees = rng.choice([0, 0, 0, 0, 0.01, 0.02])
    by_label = {
        "二、主动公开新增信息数量(不同渠道和方式公开相同信息计1条)": proactive,
        "1.通过市政府门户网站公开数": channels[0], "2.通过政务微博公开数": channels[1],
        "3.通过政务微信公开数": channels[2], "4.通过其他各类形式公开数": channels[3],
        "四、依申请公开数量": n, "(一)收到申请数(依申请公开方式)": n,
        "1.当面申请数": ways[0], "2.传真申请数": ways[1], "3.网络申请数": ways[2], "4.信函申请数": ways[3],
        "(二)申请办结数": n, "1.按时办结数": n - late, "2.延期办结数": late, "(三)申请答复数": n,
        "1.属于已主动公开范围数": answers[0], "2.同意公开答复数": answers[1], "3.同意部分公开答复数": answers[2],
        "4.不同意公开答复数": answers[3], "5.不属于本行政机关公开数": answers[4], "6.申请信息不存在数": answers[5],
        "7.告知做出更改补充数": answers[6], "8.告知通过其他途径办理数": answers[7], "(四)申请类型数": n,
        "五、因政府信息公开申请行政复议情况": sum(review), "六、因政府信息公开申请行政诉讼情况": sum(litig),
        "(一)收取费用": fees,
    }
    refused_labels = ["其中:涉及国家机密", "涉及商业秘密", "涉及个人隐私", "危及国家、公共、经济安全和社会稳定",
                      "不是《条例》所指政府信息", "法律法规规定的其他情形"]
    by_label.update(zip(refused_labels, refused_parts))
    out: list[IRow] = []
    in_types = in_review = in_litig = False
    type_i = 0
    for r in skeleton:
        m = IRow(list(r.lines), r.unit, r.value, r.kind, list(r.cells), r.group, list(r.path))
        lab = r.label
        if m.kind == "row":
            if lab.startswith("(四)申请类型数"):
                in_types = True
            elif lab.startswith("五、"):
                in_types, in_review = False, True
            elif lab.startswith("六、"):
                in_review, in_litig = False, True
            elif lab.startswith("七、"):
                in_litig = False
            if lab in by_label and not (in_review or in_litig) or lab.startswith(("五、", "六、")):
                m.value = by_label[lab]
            elif in_types and level(lab) == 3:
                m.value = types[type_i]
                type_i += 1
            elif in_review and level(lab) == 2:
                m.value = review[["(一)", "(二)", "(三)"].index(lab[:3])]
            elif in_litig and level(lab) == 2:
                m.value = litig[["(一)", "(二)", "(三)"].index(lab[:3])]
            elif isinstance(m.value, (int, float)):
                m.value = 0 if m.unit == "万元" else rng.choice([0, 0, 1, 2, rng.randint(0, 30)])
        out.append(m)
    return out


def _parts(rng: random.Random, n: int, k: int, weights: list[float]) -> list[int]:
    parts = [0] * k
    for _ in range(n):
        parts[rng.choices(range(k), weights)[0]] += 1
    return parts
