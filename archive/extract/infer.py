"""Blank cells of tables 三 and 四 filled where the report's own arithmetic (勾稽关系) forces them.

    infer_blanks(stats, blanks, template) -> (inferred Stats, warnings)

Word tables leave cells empty (&nbsp;, <o:p></o:p>, a whole applicant block, the 总计 column, a whole
row). The tables' identities, over the cells as printed:

    t3.columns.{row}   total = the six applicant cells
    t3.outcomes.{col}  总计 = the outcome rows (一)-(六)
    t3.balance.{col}   new + carried_over = total + carried_forward
    t4.{row}.total     总计 = 维持 + 纠正 + 其他 + 尚未审结

Counts are whole and non-negative, so an identity forces its unknown cells in two cases only:
  - exactly one unknown cell: it is what the identity lacks (kept only if whole and >= 0);
  - every unknown cell on one side and the printed cells already balance: they are all 0.
Cells found this way feed the other identities; the loop runs to a fixed point (at most one pass
per blank cell). A blank the identities do not force stays absent, with one warning for all of
them. Unknown cells that were not printed blank (a row that was not read) may take part in an
identity, but only printed blank cells are ever filled.
"""
from __future__ import annotations

from archive.extract.checks import _outcome_rows, _template
from archive.extract.model import Stat
from archive.keys import T3_APPLICANT_COLS, T3_COLS, T4_COLS, T4_OUTCOMES, T4_ROWS

_EPS = 1e-6
Key = tuple[str, str, str]


def _identities(known: dict[Key, float], blanks: dict[Key, Stat], template: int | None
                ) -> list[tuple[str, str, list[Key], list[Key]]]:
    """(check name, what it says, left keys, right keys) of each identity whose table was read."""
    out = []
    t3 = {(r, c): v for (t, r, c), v in known.items() if t == "3"}
    t3 |= {(r, c): 0.0 for (t, r, c) in blanks if t == "3"}      # rows printed, for the row set
    if t3:
        rows = {r for r, _ in t3}
        outcome_rows = _outcome_rows(t3, _template(t3, template))
        for row in sorted(rows):
            out.append((f"t3.columns.{row}", "row total = sum of applicant cells",
                        [("3", row, "total")], [("3", row, c) for c in T3_APPLICANT_COLS]))
        for col in T3_COLS:
            if "total" in rows:
                out.append((f"t3.outcomes.{col}", "总计 = sum of outcome rows",
                            [("3", "total", col)], [("3", r, col) for r in outcome_rows]))
            if {"new", "carried_over", "total", "carried_forward"} <= rows:
                out.append((f"t3.balance.{col}", "new + carried_over = total + carried_forward",
                            [("3", "new", col), ("3", "carried_over", col)],
                            [("3", "total", col), ("3", "carried_forward", col)]))
    t4_rows = {r for (t, r, _) in [*known, *blanks] if t == "4"}
    for row in T4_ROWS:
        if row in t4_rows:
            out.append((f"t4.{row}.total", "总计 = 维持 + 纠正 + 其他 + 尚未审结",
                        [("4", row, "total")], [("4", row, o) for o in T4_OUTCOMES]))
    return out


def _whole(v: float) -> bool:
    return v > -_EPS and abs(v - round(v)) < _EPS


def infer_blanks(stats: list[Stat], blanks: list[Stat], template: int | None
                 ) -> tuple[list[Stat], list[str]]:
    """Stats for the blank cells the identities force (source `inferred: ...`), and warnings."""
    known: dict[Key, float] = {}
    for s in stats:
        if s.table in ("3", "4") and s.value is not None:
            known.setdefault((s.table, s.row, s.col), s.value)
    open_ = {(b.table, b.row, b.col): b for b in blanks if (b.table, b.row, b.col) not in known}
    if not open_:
        return [], []
    identities = [i for i in _identities(known, open_, template) if any(k in open_ for k in (*i[2], *i[3]))]
    inferred: list[Stat] = []
    contradictions: set[str] = set()

    held: set[Key] = set()      # blanks of an identity the printed figures contradict: never filled

    def fill(key: Key, value: float, name: str, says: str) -> None:
        if key in held:
            return
        b = open_.pop(key)
        known[key] = float(round(value))
        inferred.append(Stat(b.table, b.row, b.col, float(round(value)), b.label, b.unit,
                             f"inferred: {says} [{name}] ({b.source})"))

    def contradicted(name: str, left: list[Key], right: list[Key]) -> None:
        blank = [k for k in (*left, *right) if k in open_]
        if blank:
            contradictions.add(name)
            held.update(blank)

    for _ in range(len(open_) + 1):
        progress = False
        for name, says, left, right in identities:     # first: where may nothing be filled
            unknown_l = [k for k in left if k not in known]
            unknown_r = [k for k in right if k not in known]
            slack = sum(known[k] for k in left if k in known) - sum(known[k] for k in right if k in known)
            if (not unknown_l and slack < -_EPS) or (not unknown_r and slack > _EPS) \
                    or (len(unknown_l) + len(unknown_r) == 1 and not _whole(abs(slack))):
                contradicted(name, left, right)
        for name, says, left, right in identities:
            unknown_l = [k for k in left if k not in known]
            unknown_r = [k for k in right if k not in known]
            slack = sum(known[k] for k in left if k in known) - sum(known[k] for k in right if k in known)
            unknown = unknown_l + unknown_r
            if not unknown:
                continue
            if len(unknown) == 1:
                value = slack if unknown_r else -slack
                if not _whole(value):
                    contradicted(name, left, right)
                elif unknown[0] in open_ and unknown[0] not in held:
                    fill(unknown[0], value, name, says)
                    progress = True
                continue
            side = unknown_r if not unknown_l else unknown_l if not unknown_r else None
            if side is None:
                continue
            if abs(slack) < _EPS:
                for k in side:
                    if k in open_ and k not in held:
                        fill(k, 0.0, name, says)
                        progress = True
        if not progress or not open_:
            break
    warnings = []
    if contradictions:
        warnings.append("blank cells not inferred where the printed figures contradict "
                        + ", ".join(sorted(contradictions)))
    if open_:
        some = ", ".join(f"{t}/{r}/{c}" for t, r, c in list(open_)[:4])
        warnings.append(f"{len(open_)} blank cells of tables 三/四 not forced by the tables' "
                        f"arithmetic, left empty (e.g. {some})")
    return inferred, warnings


def confirm_ocr(stats: list[Stat], template: int | None) -> tuple[list[Stat], list[str], list[str]]:
    """OCR misreads digits (0/8, 3/9) and misses cells, so an OCR'd figure of tables 三/四 (source
    `ocr ...`) is kept only where the report's arithmetic confirms it (it belongs to an identity whose
    every cell was read and that holds) or its row was read whole but for one cell (with no identity
    failing). OCR'd figures of a failing identity, or of a row read in part that no check confirms
    (a lone 总计 8 where the scan prints a row of 0s), are withheld with a warning. Figures read from text or tags are the report's and stay.
    Returns (kept stats, warnings, names of the failing identities)."""
    known: dict[Key, float] = {}
    ocr: set[Key] = set()
    for s in stats:
        if s.table in ("3", "4") and s.value is not None:
            key = (s.table, s.row, s.col)
            known.setdefault(key, s.value)
            if s.source.startswith("ocr"):
                ocr.add(key)
    if not ocr:
        return stats, [], []
    confirmed: set[Key] = set()
    failed: set[Key] = set()
    failing = []
    for name, _says, left, right in _identities(known, {}, template):
        keys = [*left, *right]
        if not all(k in known for k in keys) or not any(k in ocr for k in keys):
            continue
        if abs(sum(known[k] for k in left) - sum(known[k] for k in right)) > _EPS:
            failed.update(keys)
            failing.append(name)
        else:
            confirmed.update(keys)
    read = {}
    for t, r, _c in known:
        read[(t, r)] = read.get((t, r), 0) + 1
    width = {"3": len(T3_COLS), "4": len(T4_COLS)}
    nearly_whole = {k for k in ocr if read[k[:2]] >= width[k[0]] - 1}    # a row OCR read but one cell of
    drop = {k for k in ocr if k in failed or (k not in confirmed and k not in nearly_whole)}
    if not drop:
        return stats, [], []
    kept = [s for s in stats if (s.table, s.row, s.col) not in drop]
    warnings = []
    if failing:
        warnings.append(f"OCR'd figures fail {', '.join(failing)}: their OCR'd figures withheld "
                        f"(a misread digit cannot be placed)")
    unconfirmed = len(drop - failed)
    if unconfirmed:
        warnings.append(f"{unconfirmed} OCR'd figures of tables 三/四 that no check of the report could "
                        f"confirm withheld")
    return kept, warnings, failing
