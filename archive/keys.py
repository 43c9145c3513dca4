"""Canonical keys for report figures: the one vocabulary shared by the extractor,
the replica's ground truth, the checks and the Datasette views.

Keep these stable once chosen (docs/keys.md explains them). A figure is identified by
(table, row, col):

- table "3": applications (2019 and 2021 templates), rows T3_ROWS x columns T3_COLS
- table "4": administrative review and litigation, row "review" / "litigation_direct" /
  "litigation_after_review" x columns T4_COLS
- table "2": proactive disclosure, rows T2_ROWS x the columns of its generation
- table "indicator": provincial indicator tables; row = canonical key where the meaning is
  known (INDICATOR_KEYS), else the printed label path joined by " / "; col = "value"
- table "prose": figures read from sentences; row = headline key; col = "value"
"""

# Table 三 rows, in template order. 2019 has one "other" row; 2021 splits it in three.
T3_OUTCOME_ROWS_COMMON = [
    "granted", "partial",
    "refused.state_secret", "refused.prohibited_by_law", "refused.security_stability",
    "refused.third_party", "refused.internal_affairs", "refused.process_info",
    "refused.enforcement_file", "refused.query_matter",
    "unable.not_held", "unable.needs_creation", "unable.unclear",
    "not_processed.petition", "not_processed.duplicate", "not_processed.publication",
    "not_processed.excessive", "not_processed.confirmation",
]
T3_OTHER_ROWS = {2019: ["other"], 2021: ["other.no_correction", "other.no_fee_paid", "other.other"]}


def t3_outcome_rows(template: int) -> list[str]:
    """Outcome rows of table 三 ((一) to (六)) for the 2019 or 2021 template."""
    return T3_OUTCOME_ROWS_COMMON + T3_OTHER_ROWS[template]


def t3_rows(template: int) -> list[str]:
    return ["new", "carried_over", *t3_outcome_rows(template), "total", "carried_forward"]


T3_APPLICANT_COLS = ["natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org"]
T3_COLS = [*T3_APPLICANT_COLS, "total"]

T4_ROWS = ["review", "litigation_direct", "litigation_after_review"]
T4_OUTCOMES = ["upheld", "corrected", "other", "pending"]
T4_COLS = [*T4_OUTCOMES, "total"]

T2_ROWS = {
    2019: ["rules", "normative_docs", "licensing", "other_services", "penalty", "coercion",
           "admin_fees", "procurement"],
    2021: ["rules", "normative_docs", "licensing", "penalty", "coercion", "admin_fees"],
}
T2_COLS = {
    2019: {
        "rules": ["made", "published", "in_force"],
        "normative_docs": ["made", "published", "in_force"],
        "licensing": ["last_year", "change"],
        "other_services": ["last_year", "change"],
        "penalty": ["last_year", "change", "decisions"],
        "coercion": ["last_year", "change", "decisions"],
        "admin_fees": ["last_year", "change"],
        "procurement": ["projects", "amount"],
    },
    2021: {
        "rules": ["issued", "repealed", "in_force"],
        "normative_docs": ["issued", "repealed", "in_force"],
        "licensing": ["decisions"],
        "penalty": ["decisions"],
        "coercion": ["decisions"],
        "admin_fees": ["amount_wan_yuan"],
    },
}

# Headline figures: one column each in report_summary. NULL where the report does not say;
# 0 only where it says none.
HEADLINE_KEYS = [
    "proactive_total", "applications_new", "applications_carried_over", "granted",
    "partially_granted", "refused", "unable_to_provide", "not_processed", "other_handling",
    "handled_total", "carried_forward", "review_total", "litigation_total", "disclosure_fees_yuan",
]

# Indicator-table rows with a known meaning map onto headline keys.
INDICATOR_KEYS = {
    "proactive_total": "主动公开新增信息数量 / 主动公开政府信息数",
    "applications_new": "收到申请数 / 依申请公开数量",
    "granted": "同意公开答复数",
    "partially_granted": "同意部分公开答复数",
    "refused": "不同意公开答复数",
    "review_total": "因政府信息公开申请行政复议情况",
    "litigation_total": "因政府信息公开申请行政诉讼情况",
    "disclosure_fees_yuan": "依申请公开收费 (收取费用, 万元 x 10000)",
}


def check_names(template: int) -> list[str]:
    """Every consistency check (勾稽关系) a full 2019/2021 template report is tested on.

    t3.balance.{col}:  new + carried_over = total + carried_forward
    t3.outcomes.{col}: total = sum of every outcome row
    t3.columns.{row}:  the total column = sum of the six applicant columns
    t4.{row}.total:    total = upheld + corrected + other + pending
    """
    names = [f"t3.balance.{c}" for c in T3_COLS]
    names += [f"t3.outcomes.{c}" for c in T3_COLS]
    names += [f"t3.columns.{r}" for r in t3_rows(template)]
    names += [f"t4.{r}.total" for r in T4_ROWS]
    return names


# Units (report_stats.unit, version_stats.unit) where the report prints none beside the figure: what the
# template's headers count. Table 三 and 四 count applications and cases (件). Table 二 by column, as its
# headers say: documents made / published / in force, 2021's 本年制发件数 / 本年废止件数 / 现行有效件数 (件);
# decisions, 处理决定数量 (件); 上一年项目数量 and 本年增/减, 采购项目数量: items (个); 采购总金额 and 2021's
# 本年收费金额（单位：万元） (万元). The summary: applications and cases 件, proactive disclosure 条 (items of
# information), the fees 元 (converted). A unit the report prints (a cell's "251000元", prose "56份") is kept.
T2_COL_UNITS = {"made": "件", "published": "件", "in_force": "件", "issued": "件", "repealed": "件",
                "decisions": "件", "last_year": "个", "change": "个", "projects": "个", "amount": "万元",
                "amount_wan_yuan": "万元"}
HEADLINE_UNITS = {**{k: "件" for k in HEADLINE_KEYS}, "proactive_total": "条", "disclosure_fees_yuan": "元"}


def unit_of(table: str, row: str | None, col: str | None) -> str | None:
    """The unit of a figure its report prints no unit for (None where the archive cannot tell:
    indicator rows of unknown meaning)."""
    if table in ("3", "4"):
        return "件"
    if table == "2":
        return T2_COL_UNITS.get(col or "")
    if table in ("summary", "prose", "indicator"):
        return HEADLINE_UNITS.get(row or "")
    return None


def unit_sql(table: str = "table_name", row: str = "row_key", col: str = "col_key") -> str:
    """unit_of as an SQL CASE over a stats row's columns (the migration fills held rows with it)."""
    def case(expr: str, mapping: dict) -> str:
        return f"CASE {expr} " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items()) + " END"
    return (f"CASE WHEN {table} IN ('3', '4') THEN '件' WHEN {table} = '2' THEN {case(col, T2_COL_UNITS)}"
            f" WHEN {table} IN ('summary', 'prose', 'indicator') THEN {case(row, HEADLINE_UNITS)} END")
