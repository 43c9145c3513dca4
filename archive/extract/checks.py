"""Consistency checks (勾稽关系) of tables 三 and 四, and headline figures from the tables.

    run_checks(stats, template) -> [Check]
    summary_from_tables(stats, template) -> {headline key: value or None}

A check runs only when every figure it needs is present (an empty cell skips it, it does not
fail it). A failed check describes the report, not the extractor: agencies publish inconsistent
tables, and the detail text records the numbers so a reader can see by how much.
"""
from __future__ import annotations

from archive.extract.model import Check, Stat
from archive.keys import (HEADLINE_KEYS, T3_APPLICANT_COLS, T3_COLS, T3_OTHER_ROWS,
                          T3_OUTCOME_ROWS_COMMON, T4_OUTCOMES, T4_ROWS, t3_rows)

_EPS = 1e-6


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _index(stats: list[Stat], table: str) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for s in stats:
        if s.table == table and s.value is not None:
            out.setdefault((s.row, s.col), s.value)
    return out


def _template(t3: dict, template: int | None) -> int:
    if template in (2019, 2021):
        return template
    rows = {r for r, _ in t3}
    return 2021 if rows & set(T3_OTHER_ROWS[2021]) else 2019


def _outcome_rows(t3: dict, template: int) -> list[str]:
    """Outcome rows (一)-(六) as this table prints them: a 2021 report that keeps one 其他处理
    row is summed with that row."""
    rows = {r for r, _ in t3}
    other = T3_OTHER_ROWS[2021] if rows & set(T3_OTHER_ROWS[2021]) else (
        ["other"] if "other" in rows else T3_OTHER_ROWS[template])
    return T3_OUTCOME_ROWS_COMMON + other


def _sum_check(name: str, total_name: str, total: float | None,
               parts: list[tuple[str, float | None]]) -> Check | None:
    if total is None or any(v is None for _, v in parts):
        return None
    s = sum(v for _, v in parts)
    ok = abs(s - total) < _EPS
    terms = " + ".join(f"{k} {_fmt(v)}" for k, v in parts if v)
    detail = f"{total_name} {_fmt(total)} {'=' if ok else '!='} sum {_fmt(s)}" + (f" ({terms})" if terms else "")
    return Check(name, ok, detail)


def run_checks(stats: list[Stat], template: int | None) -> list[Check]:
    """Every check of archive.keys.check_names whose inputs are all present."""
    t3, t4 = _index(stats, "3"), _index(stats, "4")
    checks: list[Check] = []
    if t3:
        tpl = _template(t3, template)
        outcome_rows = _outcome_rows(t3, tpl)
        for col in T3_COLS:
            a, b, c, d = (t3.get((r, col)) for r in ("new", "carried_over", "total", "carried_forward"))
            if None not in (a, b, c, d):
                ok = abs((a + b) - (c + d)) < _EPS
                checks.append(Check(
                    f"t3.balance.{col}", ok,
                    f"new {_fmt(a)} + carried_over {_fmt(b)} = {_fmt(a + b)} "
                    f"{'=' if ok else '!='} total {_fmt(c)} + carried_forward {_fmt(d)} = {_fmt(c + d)}"))
        for col in T3_COLS:
            ch = _sum_check(f"t3.outcomes.{col}", "total", t3.get(("total", col)),
                            [(r, t3.get((r, col))) for r in outcome_rows])
            if ch:
                checks.append(ch)
        rows = t3_rows(tpl)
        if "other" in outcome_rows and "other" not in rows:
            rows = [*rows, "other"]
        for row in rows:
            ch = _sum_check(f"t3.columns.{row}", "total", t3.get((row, "total")),
                            [(c, t3.get((row, c))) for c in T3_APPLICANT_COLS])
            if ch:
                checks.append(ch)
    for row in T4_ROWS:
        ch = _sum_check(f"t4.{row}.total", "total", t4.get((row, "total")),
                        [(o, t4.get((row, o))) for o in T4_OUTCOMES])
        if ch:
            checks.append(ch)
    return checks


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def summary_from_tables(stats: list[Stat], template: int | None) -> dict[str, float | None]:
    """Headline figures (archive.keys.HEADLINE_KEYS) from tables 三/四 and indicator tables;
    None where the tables do not give them. Table 三/四 figures win over indicator rows."""
    t3, t4 = _index(stats, "3"), _index(stats, "4")
    ind = {s.row: (s.value, s.unit) for s in stats
           if s.table == "indicator" and s.col == "value" and s.value is not None}
    out: dict[str, float | None] = {k: None for k in HEADLINE_KEYS}

    def total(row: str) -> float | None:
        """The row's 总计; where that cell is blank but applicant columns are printed, their sum."""
        v = t3.get((row, "total"))
        return v if v is not None else _sum([t3.get((row, c)) for c in T3_APPLICANT_COLS])

    def rows_total(prefix: str) -> float | None:
        return _sum([total(r) for r in {r for (r, _) in t3} if r.startswith(prefix + ".")])

    def t4_total(row: str) -> float | None:
        v = t4.get((row, "total"))
        return v if v is not None else _sum([t4.get((row, o)) for o in T4_OUTCOMES])

    if t3:
        out["applications_new"] = total("new")
        out["applications_carried_over"] = total("carried_over")
        out["granted"] = total("granted")
        out["partially_granted"] = total("partial")
        out["refused"] = rows_total("refused")
        out["unable_to_provide"] = rows_total("unable")
        out["not_processed"] = rows_total("not_processed")
        other_split = rows_total("other")
        out["other_handling"] = other_split if other_split is not None else total("other")
        out["handled_total"] = total("total")
        out["carried_forward"] = total("carried_forward")
    if t4:
        out["review_total"] = t4_total("review")
        direct, after = t4_total("litigation_direct"), t4_total("litigation_after_review")
        if direct is not None or after is not None:   # a blank 复议后起诉 block is none of them
            out["litigation_total"] = (direct or 0) + (after or 0)
    for key in HEADLINE_KEYS:
        if out[key] is None and key in ind:
            value, unit = ind[key]
            if key == "disclosure_fees_yuan" and unit != "元":   # printed in 万元
                value = round(value * 10000, 2)
            out[key] = value
    return out


def review_reason(stats: list[Stat], blanks: list[Stat], found_checks: list[Check],
                  conflicts: list[str]) -> str | None:
    """Why the tables' own checks point to a fault of extraction rather than of the report, or None.

    - a figure read twice with different values (two rows took the same label);
    - a column of table 三 absent from every row while the other columns are read (a column lost);
    - most checks of one family failing, at least three (t3.balance / t3.outcomes / t3.columns /
      t4): a row or column shifted, not one misprint, which fails one or two checks;
    - any failed check where the figures were read by OCR (a misread digit is likelier than a misprint)."""
    reasons = []
    if conflicts:
        reasons.append(f"{len(conflicts)} figures read twice with different values, e.g. {conflicts[0]}")
    rows_by_col: dict[str, set[str]] = {c: set() for c in T3_COLS}
    for s in [*stats, *blanks]:
        if s.table == "3" and s.col in rows_by_col:
            rows_by_col[s.col].add(s.row)
    most = max(len(v) for v in rows_by_col.values())
    absent = [c for c, v in rows_by_col.items() if not v]
    if most >= 5 and absent and len(absent) < len(T3_COLS) - 1:
        reasons.append(f"table 三 column(s) {', '.join(absent)} absent from every row")
    ocr = any(s.source.startswith("ocr") for s in stats if s.table in ("3", "4"))
    failed_ocr = [ch.name for ch in found_checks if not ch.passed]
    if ocr and failed_ocr:      # OCR misreads digits: with OCR'd figures a failed check is ours first
        reasons.append(f"OCR'd figures fail {len(failed_ocr)} checks (e.g. {failed_ocr[0]})")
    families: dict[str, list[bool]] = {}
    for ch in found_checks:
        fam = ch.name.rsplit(".", 1)[0] if ch.name.startswith("t3.") else "t4"
        families.setdefault(fam, []).append(ch.passed)
    for fam, results in families.items():
        failed = results.count(False)
        if failed >= 3 and 2 * failed >= len(results):
            reasons.append(f"{failed} of {len(results)} {fam} checks fail: rows or columns probably misread")
    return "; ".join(reasons) or None
