"""Check the hand-read truth files of the real development set against the reports' own arithmetic.

Independent of archive/ on purpose (the truth must be able to disagree with the code): the key
vocabulary and the 勾稽关系 are written out again here.

    python tests/data/real/check_truth.py          # prints every problem, exits 1 if any

A truth file lists the checks its report fails *as printed* under "inconsistent"; those are
expected to fail, and every other check must pass.
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

APPLICANTS = ["natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org"]
T3_COLS = [*APPLICANTS, "total"]
OUTCOMES_COMMON = [
    "granted", "partial",
    *(f"refused.{k}" for k in ["state_secret", "prohibited_by_law", "security_stability", "third_party",
                               "internal_affairs", "process_info", "enforcement_file", "query_matter"]),
    *(f"unable.{k}" for k in ["not_held", "needs_creation", "unclear"]),
    *(f"not_processed.{k}" for k in ["petition", "duplicate", "publication", "excessive", "confirmation"]),
]
OTHER_ROWS = ["other", "other.no_correction", "other.no_fee_paid", "other.other"]
T3_ROWS = ["new", "carried_over", *OUTCOMES_COMMON, *OTHER_ROWS, "total", "carried_forward"]
T4_ROWS = ["review", "litigation_direct", "litigation_after_review"]
T4_COLS = ["upheld", "corrected", "other", "pending", "total"]
T2_COLS = {
    2019: {"rules": {"made", "published", "in_force"}, "normative_docs": {"made", "published", "in_force"},
           "licensing": {"last_year", "change"}, "other_services": {"last_year", "change"},
           "penalty": {"last_year", "change", "decisions"}, "coercion": {"last_year", "change", "decisions"},
           "admin_fees": {"last_year", "change"}, "procurement": {"projects", "amount"}},
    2021: {"rules": {"issued", "repealed", "in_force"}, "normative_docs": {"issued", "repealed", "in_force"},
           "licensing": {"decisions"}, "penalty": {"decisions"}, "coercion": {"decisions"},
           "admin_fees": {"amount_wan_yuan"}},
}
HEADLINE = {"proactive_total", "applications_new", "applications_carried_over", "granted", "partially_granted",
            "refused", "unable_to_provide", "not_processed", "other_handling", "handled_total",
            "carried_forward", "review_total", "litigation_total", "disclosure_fees_yuan"}
KINDS = {"html", "pdf", "scanned-pdf", "doc", "wps", "docx", "text"}
REQUIRED = ["file", "kind", "made_from", "source", "agency", "province", "year", "template", "stats", "summary"]


def truth_files(directory: Path = HERE) -> list[Path]:
    return sorted(directory.glob("*.truth.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def key_problems(truth: dict) -> list[str]:
    """Keys outside the vocabulary, missing fields, a missing report file."""
    problems = [f"missing field {f}" for f in REQUIRED if f not in truth]
    if truth.get("kind") not in KINDS:
        problems.append(f"kind {truth.get('kind')!r}")
    if not (HERE / truth.get("file", "")).is_file():
        problems.append(f"no file {truth.get('file')}")
    stats = truth.get("stats", {})
    template = truth.get("template")
    if template is None and stats:
        problems.append("stats without a template")
    for row, cols in stats.get("2", {}).items():
        allowed = T2_COLS.get(template, {}).get(row)
        if allowed is None:
            problems.append(f"table 2 row {row} (template {template})")
        elif set(cols) - allowed:
            problems.append(f"table 2 {row} columns {sorted(set(cols) - allowed)}")
    for row, cols in stats.get("3", {}).items():
        if row not in T3_ROWS:
            problems.append(f"table 3 row {row}")
        if set(cols) - set(T3_COLS):
            problems.append(f"table 3 {row} columns {sorted(set(cols) - set(T3_COLS))}")
    for row, cols in stats.get("4", {}).items():
        if row not in T4_ROWS or set(cols) - set(T4_COLS):
            problems.append(f"table 4 {row} {sorted(cols)}")
    if set(truth.get("summary", {})) - HEADLINE:
        problems.append(f"summary keys {sorted(set(truth['summary']) - HEADLINE)}")
    for cell in truth.get("blank", []) + truth.get("blank_unforced", []):
        if len(cell) != 3:
            problems.append(f"blank cell {cell}")
    for table, row, col in truth.get("blank_unforced", []):
        if col in stats.get(table, {}).get(row, {}):
            problems.append(f"blank_unforced {table}/{row}/{col} has a value in stats")
    for table, row, col in truth.get("blank", []):
        if col not in stats.get(table, {}).get(row, {}):
            problems.append(f"blank {table}/{row}/{col} (forced) has no value in stats")
    return problems


def arithmetic_failures(stats: dict) -> list[str]:
    """Names of the 勾稽关系 the figures fail; a check whose figures are not all there is skipped."""
    t3, t4 = stats.get("3", {}), stats.get("4", {})
    failed = []

    def cell(row, col):
        return t3.get(row, {}).get(col)

    for col in T3_COLS:
        vals = [cell(r, col) for r in ("new", "carried_over", "total", "carried_forward")]
        if None not in vals and round(vals[0] + vals[1], 6) != round(vals[2] + vals[3], 6):
            failed.append(f"t3.balance.{col}")
        others = ["other"] if "other" in t3 else ["other.no_correction", "other.no_fee_paid", "other.other"]
        parts = [cell(r, col) for r in OUTCOMES_COMMON + others]
        if cell("total", col) is not None and None not in parts and round(sum(parts), 6) != cell("total", col):
            failed.append(f"t3.outcomes.{col}")
    for row, cols in t3.items():
        parts = [cols.get(c) for c in APPLICANTS]
        if cols.get("total") is not None and None not in parts and round(sum(parts), 6) != cols["total"]:
            failed.append(f"t3.columns.{row}")
    for row, cols in t4.items():
        parts = [cols.get(c) for c in T4_COLS[:4]]
        if cols.get("total") is not None and None not in parts and sum(parts) != cols["total"]:
            failed.append(f"t4.{row}.total")
    return sorted(failed)


def problems_of(path: Path) -> list[str]:
    truth = load(path)
    problems = key_problems(truth)
    failed = set(arithmetic_failures(truth.get("stats", {})))
    declared = set(truth.get("inconsistent", []))
    problems += [f"fails {name} (not declared inconsistent)" for name in sorted(failed - declared)]
    problems += [f"declared inconsistent but passes {name}" for name in sorted(declared - failed)]
    return problems


def main() -> int:
    bad = 0
    for path in truth_files():
        for problem in problems_of(path):
            print(f"{path.name}: {problem}")
            bad += 1
    print(f"{len(truth_files())} truth files, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
