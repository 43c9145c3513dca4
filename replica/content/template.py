"""The 2019 and 2021 national templates: figures, tables 二/三/四, checks and the headline summary.

Figures are generated consistent (every 勾稽关系 holds); `break_checks` then deliberately
breaks one or two relations for the few reports meant to be inconsistent, and `failed_checks`
recomputes which checks fail from the figures as printed.
"""
from __future__ import annotations

import random

from archive.keys import T2_COLS, T2_ROWS, T3_APPLICANT_COLS, T3_COLS, T4_OUTCOMES, T4_ROWS, t3_outcome_rows, t3_rows

from .grid import Cell, Grid

T3_COL_LABELS = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
                 "nonprofit": "社会公益组织", "legal_service": "法律服务机构", "other_org": "其他",
                 "total": "总计"}
CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

# (group label or None, own label) per table-三 row key
T3_LABELS = {
    "new": (None, "一、本年新收政府信息公开申请数量"),
    "carried_over": (None, "二、上年结转政府信息公开申请数量"),
    "granted": (None, "（一）予以公开"),
    "partial": (None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "refused.state_secret": ("（三）不予公开", "1.属于国家秘密"),
    "refused.prohibited_by_law": ("（三）不予公开", "2.其他法律行政法规禁止公开"),
    "refused.security_stability": ("（三）不予公开", "3.危及“三安全一稳定”"),
    "refused.third_party": ("（三）不予公开", "4.保护第三方合法权益"),
    "refused.internal_affairs": ("（三）不予公开", "5.属于三类内部事务信息"),
    "refused.process_info": ("（三）不予公开", "6.属于四类过程性信息"),
    "refused.enforcement_file": ("（三）不予公开", "7.属于行政执法案卷"),
    "refused.query_matter": ("（三）不予公开", "8.属于行政查询事项"),
    "unable.not_held": ("（四）无法提供", "1.本机关不掌握相关政府信息"),
    "unable.needs_creation": ("（四）无法提供", "2.没有现成信息需要另行制作"),
    "unable.unclear": ("（四）无法提供", "3.补正后申请内容仍不明确"),
    "not_processed.petition": ("（五）不予处理", "1.信访举报投诉类申请"),
    "not_processed.duplicate": ("（五）不予处理", "2.重复申请"),
    "not_processed.publication": ("（五）不予处理", "3.要求提供公开出版物"),
    "not_processed.excessive": ("（五）不予处理", "4.无正当理由大量反复申请"),
    "not_processed.confirmation": ("（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    "other": (None, "（六）其他处理"),
    "other.no_correction": ("（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    "other.no_fee_paid": ("（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    "other.other": ("（六）其他处理", "3.其他"),
    "total": (None, "（七）总计"),
    "carried_forward": (None, "四、结转下年度继续办理"),
}
OUTCOME_HEAD = "三、本年度办理结果"

T4_ROW_LABELS = {"review": "行政复议", "litigation_direct": "未经复议直接起诉",
                 "litigation_after_review": "复议后起诉"}
T4_OUT_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
                 "total": "总计"}

T2_ROW_LABELS = {
    2019: {"rules": "规章", "normative_docs": "规范性文件", "licensing": "行政许可",
           "other_services": "其他对外管理服务事项", "penalty": "行政处罚", "coercion": "行政强制",
           "admin_fees": "行政事业性收费", "procurement": "政府集中采购"},
    2021: {"rules": "规章", "normative_docs": "行政规范性文件", "licensing": "行政许可", "penalty": "行政处罚",
           "coercion": "行政强制", "admin_fees": "行政事业性收费"},
}
T2_COL_LABELS = {"made": "本年新制作数量", "published": "本年新公开数量", "in_force": "对外公开总数量",
                 "last_year": "上一年项目数量", "change": "本年增/减", "decisions": "处理决定数量",
                 "projects": "采购项目数量", "amount": "采购总金额", "issued": "本年制发件数",
                 "repealed": "本年废止件数", "amount_wan_yuan": "本年收费金额（单位：万元）"}
# table 二 blocks: (heading, row keys); 2021 in_force is 现行有效件数, decisions 本年处理决定数量
T2_BLOCKS = {
    2019: [("第二十条第（一）项", ["rules", "normative_docs"]),
           ("第二十条第（五）项", ["licensing", "other_services"]),
           ("第二十条第（六）项", ["penalty", "coercion"]),
           ("第二十条第（八）项", ["admin_fees"]),
           ("第二十条第（九）项", ["procurement"])],
    2021: [("第二十条第（一）项", ["rules", "normative_docs"]),
           ("第二十条第（五）项", ["licensing"]),
           ("第二十条第（六）项", ["penalty", "coercion"]),
           ("第二十条第（八）项", ["admin_fees"])],
}


def template_of(generation: str) -> int:
    return 2019 if generation == "template2019" else 2021


def t2_col_label(template: int, col: str) -> str:
    if template == 2021 and col == "in_force":
        return "现行有效件数"
    if template == 2021 and col == "decisions":
        return "本年处理决定数量"
    return T2_COL_LABELS[col]


# ---------------------------------------------------------------------------------- figures
def _split(rng: random.Random, n: int, k: int, weights: list[float]) -> list[int]:
    """Split n into k non-negative parts, roughly by weights."""
    parts = [0] * k
    for _ in range(n):
        parts[rng.choices(range(k), weights)[0]] += 1
    return parts


def gen_figures(rng: random.Random, template: int, size: str) -> dict:
    """Consistent figures of one template report. size: small | medium | large (applications volume)."""
    new_total = {"small": rng.choice([0, 1, 2, 3, 5, 8, 12, 18, 26]),
                 "medium": rng.randint(15, 90), "large": rng.randint(60, 420)}[size]
    col_w = [0.82, 0.1, 0.005, 0.01, 0.03, 0.035]
    new = _split(rng, new_total, 6, col_w)
    carried = [rng.choice([0, 0, 0, 1, 2]) if n else 0 for n in new]
    fwd = [min(rng.choice([0, 0, 0, 1, 2, 3]), n + c) for n, c in zip(new, carried)]
    outcome_rows = t3_outcome_rows(template)
    weights = {"granted": 40, "partial": 8, "unable.not_held": 22, "not_processed.petition": 5,
               "not_processed.duplicate": 4, "refused.third_party": 2, "refused.process_info": 2,
               "refused.internal_affairs": 1, "refused.enforcement_file": 1, "refused.query_matter": 1,
               "unable.needs_creation": 3, "unable.unclear": 3, "not_processed.publication": 1,
               "not_processed.confirmation": 2, "other": 3, "other.no_correction": 2, "other.other": 2,
               "refused.state_secret": 0.3, "refused.prohibited_by_law": 0.5,
               "refused.security_stability": 0.3, "not_processed.excessive": 0.5,
               "other.no_fee_paid": 0.2}
    w = [weights.get(r, 0.5) for r in outcome_rows]
    t3: dict[tuple[str, str], int] = {}
    for ci, col in enumerate(T3_APPLICANT_COLS):
        handled = new[ci] + carried[ci] - fwd[ci]
        parts = _split(rng, handled, len(outcome_rows), w)
        t3[("new", col)] = new[ci]
        t3[("carried_over", col)] = carried[ci]
        for row, v in zip(outcome_rows, parts):
            t3[(row, col)] = v
        t3[("total", col)] = handled
        t3[("carried_forward", col)] = fwd[ci]
    for row in t3_rows(template):
        t3[(row, "total")] = sum(t3[(row, c)] for c in T3_APPLICANT_COLS)
    t4: dict[tuple[str, str], int] = {}
    scale = {"small": 0, "medium": 2, "large": 6}[size]
    for row in T4_ROWS:
        n = rng.choice([0, 0, 0, rng.randint(0, scale + 1)]) if row != "litigation_after_review" else \
            rng.choice([0, 0, 0, 0, rng.randint(0, 1 + scale // 3)])
        parts = _split(rng, n, 4, [6, 1, 2, 2])
        for o, v in zip(T4_OUTCOMES, parts):
            t4[(row, o)] = v
        t4[(row, "total")] = n
    t2 = gen_table2(rng, template, size)
    return {"t2": t2, "t3": t3, "t4": t4}


def gen_table2(rng: random.Random, template: int, size: str) -> dict:
    big = {"small": 1, "medium": 3, "large": 8}[size]
    t2: dict[tuple[str, str], int | float] = {}
    for row in T2_ROWS[template]:
        for col in T2_COLS[template][row]:
            if col in ("made", "issued", "published"):
                v = rng.choice([0, 0, rng.randint(0, 2 * big)]) if row == "rules" else rng.randint(0, 4 * big)
            elif col == "repealed":
                v = rng.choice([0, 0, 0, 1, 2])
            elif col == "in_force":
                v = rng.randint(0, 6 * big) if row == "rules" else rng.randint(3, 20 * big)
            elif col == "last_year":
                v = rng.randint(0, 30 * big)
            elif col == "change":
                v = rng.choice([0, 0, 0, 1, -1, 2, -2, 3])
            elif col == "decisions":
                v = rng.choice([0, rng.randint(0, 60 * big), rng.randint(0, 400 * big)])
            elif col == "projects":
                v = rng.randint(0, 12 * big)
            elif col in ("amount", "amount_wan_yuan"):
                v = rng.choice([0, 0, round(rng.uniform(1, 300 * big), 2)])
            else:
                raise KeyError(col)
            t2[(row, col)] = v
    if template == 2019 and t2[("procurement", "projects")] == 0:
        t2[("procurement", "amount")] = 0
    return t2


# ------------------------------------------------------------------------- deliberate breakage
BREAKS = ["t4_total", "t3_row_total", "t3_cell", "t3_balance"]


def break_checks(fig: dict, kind: str, template: int, rng: random.Random) -> None:
    """Deliberately break one or two 勾稽关系 in place (as agencies' own tables sometimes do)."""
    t3, t4 = fig["t3"], fig["t4"]
    if kind == "t4_total":          # a table-四 total that is not the sum of its outcomes
        row = rng.choice(T4_ROWS[:2])
        t4[(row, "total")] += rng.choice([1, 2])
    elif kind == "t3_row_total":    # total column of one outcome row not the sum of the six columns
        t3[("granted", "total")] += 1
    elif kind == "t3_cell":         # one cell of an applicant column off, its row total following it
        row = rng.choice(["unable.not_held", "partial"])
        t3[(row, "natural_person")] += 1
        t3[(row, "total")] += 1
    elif kind == "t3_balance":      # carried-forward cell off: new + carried != total + forward
        t3[("carried_forward", "natural_person")] += 1
        t3[("carried_forward", "total")] += 1
    else:
        raise KeyError(kind)


def failed_checks(fig: dict, template: int) -> list[str]:
    """Names (archive.keys.check_names) of the checks the printed figures fail."""
    t3, t4 = fig["t3"], fig["t4"]
    failed = []
    for c in T3_COLS:
        if t3[("new", c)] + t3[("carried_over", c)] != t3[("total", c)] + t3[("carried_forward", c)]:
            failed.append(f"t3.balance.{c}")
    for c in T3_COLS:
        if sum(t3[(r, c)] for r in t3_outcome_rows(template)) != t3[("total", c)]:
            failed.append(f"t3.outcomes.{c}")
    for r in t3_rows(template):
        if sum(t3[(r, c)] for c in T3_APPLICANT_COLS) != t3[(r, "total")]:
            failed.append(f"t3.columns.{r}")
    for r in T4_ROWS:
        if sum(t4[(r, o)] for o in T4_OUTCOMES) != t4[(r, "total")]:
            failed.append(f"t4.{r}.total")
    return failed


# ------------------------------------------------------------------------------ summary/stats
def summary_from_tables(fig: dict, template: int) -> dict:
    """Headline figures as report-formats.md derives them: every one from the 总计 column as printed."""
    t3, t4 = fig["t3"], fig["t4"]

    def tot(prefix: str) -> int:
        return sum(t3[(r, "total")] for r in t3_outcome_rows(template) if r == prefix or r.startswith(prefix + "."))

    return {
        "applications_new": t3[("new", "total")],
        "applications_carried_over": t3[("carried_over", "total")],
        "granted": t3[("granted", "total")],
        "partially_granted": t3[("partial", "total")],
        "refused": tot("refused"),
        "unable_to_provide": tot("unable"),
        "not_processed": tot("not_processed"),
        "other_handling": tot("other"),
        "handled_total": t3[("total", "total")],
        "carried_forward": t3[("carried_forward", "total")],
        "review_total": t4[("review", "total")],
        "litigation_total": t4[("litigation_direct", "total")] + t4[("litigation_after_review", "total")],
    }


def t3_label(key: str) -> str:
    group, own = T3_LABELS[key]
    return f"{group} / {own}" if group else own


def stats_rows(fig: dict, template: int) -> list[dict]:
    """Every figure of tables 二, 三, 四 as truth stats rows, in table order."""
    out = []
    for _, rows in T2_BLOCKS[template]:
        for row in rows:
            for col in T2_COLS[template][row]:
                out.append({"table": "2", "row": row, "col": col, "value": fig["t2"][(row, col)],
                            "label": f"{T2_ROW_LABELS[template][row]} / {t2_col_label(template, col)}"})
    for row in t3_rows(template):
        for col in T3_COLS:
            out.append({"table": "3", "row": row, "col": col, "value": fig["t3"][(row, col)],
                        "label": f"{t3_label(row)} / {T3_COL_LABELS[col]}"})
    for row in T4_ROWS:
        for col in T4_COLS_ALL:
            out.append({"table": "4", "row": row, "col": col, "value": fig["t4"][(row, col)],
                        "label": f"{T4_ROW_LABELS[row]} / {T4_OUT_LABELS[col]}"})
    return out


T4_COLS_ALL = [*T4_OUTCOMES, "total"]


# ------------------------------------------------------------------------------------ grids
def grid_t2(fig: dict, template: int) -> Grid:
    """Table 二: one block per article item, each with its own header row (4 columns)."""
    rows: list[list[Cell]] = []
    w = [150, 110, 110, 110]
    for head, keys in T2_BLOCKS[template]:
        rows.append([Cell(head, colspan=4, header=True, width=120)])
        cols = T2_COLS[template][keys[0]]
        header = [Cell("信息内容", header=True, width=w[0])]
        span_last = 3 - len(cols)
        for i, col in enumerate(cols):
            header.append(Cell(t2_col_label(template, col), header=True, width=w[1],
                               colspan=1 + (span_last if i == len(cols) - 1 else 0)))
        rows.append(header)
        for key in keys:
            row = [Cell(T2_ROW_LABELS[template][key], width=w[0])]
            for i, col in enumerate(T2_COLS[template][key]):
                row.append(Cell(value=fig["t2"][(key, col)], width=w[1],
                                colspan=1 + (span_last if i == len(cols) - 1 else 0)))
            rows.append(row)
    return Grid(rows, 4, caption="二、主动公开政府信息情况")


def grid_t3(fig: dict, template: int, split: bool = False) -> Grid:
    """Table 三: three label columns (一、 / （三）不予公开 / 1.属于国家秘密) and seven figure columns."""
    t3 = fig["t3"]
    rows: list[list[Cell]] = [
        [Cell(CORNER, rowspan=3, colspan=3, header=True, width=100), Cell("申请人情况", colspan=7, header=True)],
        [Cell("自然人", rowspan=2, header=True, width=50), Cell("法人或其他组织", colspan=5, header=True),
         Cell("总计", rowspan=2, header=True, width=50)],
        [Cell(T3_COL_LABELS[c], header=True, width=50) for c in T3_APPLICANT_COLS[1:]],
    ]

    def figures(key: str) -> list[Cell]:
        return [Cell(value=t3[(key, c)], width=50) for c in T3_COLS]

    def whole_row(key: str) -> None:
        label = T3_LABELS[key][1]
        if split:   # the label wraps onto a second <tr> that carries the figures
            cut = len(label) // 2 + 1
            rows.append([Cell(label[:cut], colspan=3, width=100)] + [Cell("", width=50) for _ in T3_COLS])
            rows.append([Cell(label[cut:], colspan=3, width=100)] + figures(key))
        else:
            rows.append([Cell(label, colspan=3, width=100)] + figures(key))

    whole_row("new")
    whole_row("carried_over")
    outcome = t3_outcome_rows(template) + ["total"]
    first = True
    i = 0
    while i < len(outcome):
        key = outcome[i]
        group, own = T3_LABELS[key]
        row: list[Cell] = []
        if first:
            row.append(Cell(OUTCOME_HEAD, rowspan=len(outcome), width=40))
            first = False
        if group is None:
            row.append(Cell(own, colspan=2, width=90))
            rows.append(row + figures(key))
            i += 1
            continue
        members = [k for k in outcome if T3_LABELS[k][0] == group]
        row.append(Cell(group, rowspan=len(members), width=40))
        for j, k in enumerate(members):
            r = row if j == 0 else []
            r.append(Cell(T3_LABELS[k][1], width=120))
            rows.append(r + figures(k))
        i += len(members)
    whole_row("carried_forward")
    return Grid(rows, 10, caption="三、收到和处理政府信息公开申请情况")


def grid_t4(fig: dict) -> Grid:
    """Table 四: 行政复议 (5) | 行政诉讼: 未经复议直接起诉 (5), 复议后起诉 (5); one row of 15 figures."""
    t4 = fig["t4"]
    outs = [*T4_OUTCOMES, "total"]
    rows = [
        [Cell("行政复议", colspan=5, header=True, width=45), Cell("行政诉讼", colspan=10, header=True, width=45)],
        [Cell(T4_OUT_LABELS[o], rowspan=2, header=True, width=45) for o in outs]
        + [Cell("未经复议直接起诉", colspan=5, header=True, width=45), Cell("复议后起诉", colspan=5, header=True, width=45)],
        [Cell(T4_OUT_LABELS[o], header=True, width=45) for o in outs] * 2,
        [Cell(value=t4[(r, o)], width=45) for r in T4_ROWS for o in outs],
    ]
    return Grid(rows, 15, caption="四、政府信息公开行政复议、行政诉讼情况")
