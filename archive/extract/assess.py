"""Assessments across reports and against the law: `report_assessments`, one row per (report, check),
each PASS, FAIL or NOT ASSESSABLE (never a silent 0), with the arithmetic or the dates in `detail`.

    from archive.extract.assess import assess
    assess(db)            # recompute every assessment (after each extraction pass; cheap: no report text
                          # is read except for the section checks of template reports)

The checks (their glossary is the `check_glossary` table, GLOSSARY below):
- law.timeliness        published by the legal deadline: 31 January of the next year for reports on 2019
                        and later (条例 2019 revision, art. 49), 31 March before (2008 条例, art. 31)
- template.generation   the layout right for the year: the 2021 template from the 2021 reports on, the 2019
                        one for 2019 and 2020, none (prose or an indicator table) before
- template.tables       tables 二, 三 and 四 present (2019 reports on)
- template.sections     the six sections 一 to 六 present (2019 reports on)
- template.cells        every cell of table 三 printed: none blank (a blank forced by arithmetic is still
                        blank in the report), none missing
- template.problems     the section on problems and improvements (五) says something: 20 characters or more
- x.carry_over          table 三 上年结转 of year N = 结转下年度继续办理 of year N-1, every column
- x.jump.applications   new applications changed by more than JUMP_FACTOR times and JUMP_MIN applications
                        from the year before: flagged FAIL for a look, not an error in itself
"""
from __future__ import annotations

import re
from datetime import date

from archive.keys import T3_COLS, t3_rows
from archive.store import transaction

JUMP_FACTOR, JUMP_MIN = 5, 50

# the six sections: number and the words its heading holds (after at most a few words: 四、因政府信息公开
# 工作被申请行政复议… / 四、政府信息公开行政复议…)
SECTIONS = [("一", "总体情况"), ("二", "主动公开政府信息"), ("三", "政府信息公开申请"),
            ("四", "行政复议"), ("五", "存在的主要问题"), ("六", "其他需要报告")]


def _heading(number: str, words: str) -> re.Pattern:
    return re.compile(rf"(?:^|[。；;：:\n）)]){number}[、.．][^。；]{{0,14}}?{words}")

GLOSSARY = [
    ("t3.balance.{col}", "within the report", "table 三, per column: new + carried_over = total + carried_forward"),
    ("t3.outcomes.{col}", "within the report", "table 三, per column: total = the sum of every outcome row"),
    ("t3.columns.{row}", "within the report", "table 三, per row: the total column = the sum of the six applicant columns"),
    ("t4.{row}.total", "within the report", "table 四, per row: total = upheld + corrected + other + pending"),
    ("law.timeliness", "against the law", "published by 31 January of the next year (reports on 2019 on, 条例 2019 art. 49), "
                                          "31 March before (2008 条例 art. 31); NOT ASSESSABLE without a publication date"),
    ("template.generation", "template compliance", "the 2021 template from the 2021 reports on, the 2019 template for "
                                                   "2019-2020, no national template before 2019"),
    ("template.tables", "template compliance", "tables 二, 三 and 四 present (2019 reports on)"),
    ("template.sections", "template compliance", "the six sections 一 总体情况 ... 六 其他需要报告的事项 present (2019 reports on)"),
    ("template.cells", "template compliance", "every cell of table 三 printed: none blank, none missing (2019 reports on)"),
    ("template.problems", "template compliance", "section 五 (存在的主要问题及改进情况) holds 20 characters or more"),
    ("x.carry_over", "across years", "table 三 上年结转 of year N = 结转下年度继续办理 of year N-1, every column; "
                                     "NOT ASSESSABLE without both years' tables"),
    ("x.jump.applications", "across years", f"new applications changed more than {JUMP_FACTOR}-fold and by "
                                            f"{JUMP_MIN} or more from the year before: FAIL flags it for a look"),
]


def deadline(year: int) -> date:
    return date(year + 1, 1, 31) if year >= 2019 else date(year + 1, 3, 31)


def expected_format(year: int) -> set[str]:
    if year >= 2021:
        return {"template2021"}
    if year >= 2019:
        return {"template2019"}
    return {"prose", "indicator"}


def _squash(text: str) -> str:
    """Spaces out, line breaks kept (a heading starts a line)."""
    return re.sub(r"[ \t\u3000\xa0]+", "", text or "")


def section_text(text: str, number: str) -> str | None:
    """The text of section `number` (一 ... 六): from its heading to the next section's, or None."""
    t = _squash(text)
    i = [n for n, _ in SECTIONS].index(number)
    head = _heading(*SECTIONS[i]).search(t)
    if not head:
        return None
    rest = t[head.end():]
    if i + 1 < len(SECTIONS):
        nxt = _heading(*SECTIONS[i + 1]).search(rest)
        rest = rest[:nxt.start()] if nxt else rest
    return re.sub(r"^[^，。；]*?(情况|事项)", "", rest, count=1)


def _per_report(r: dict, stats: dict, text: str | None) -> list[tuple]:
    out = []
    y = r["year"]
    if r["published"]:
        due = deadline(y)
        pub = date.fromisoformat(r["published"][:10])
        out.append(("law.timeliness", "PASS" if pub <= due else "FAIL",
                    f"published {pub}, due by {due}"))
    else:
        out.append(("law.timeliness", "NOT ASSESSABLE", "no publication date"))
    if r["format"] in (None, "unknown"):
        out.append(("template.generation", "NOT ASSESSABLE", "layout not recognised"))
    else:
        want = expected_format(y)
        out.append(("template.generation", "PASS" if r["format"] in want else "FAIL",
                    f"{r['format']} for {y} (expected {' or '.join(sorted(want))})"))
    if y < 2019:
        return out
    missing = [t for t in ("2", "3", "4") if not any(k[0] == t for k in stats)]
    out.append(("template.tables", "FAIL" if missing else "PASS",
                f"missing table(s) {', '.join(missing)}" if missing else "tables 二, 三, 四 present"))
    template = 2021 if r["format"] == "template2021" else 2019
    cells = [(row, col) for row in t3_rows(template) for col in T3_COLS]
    if "3" in {k[0] for k in stats}:
        blank = sum(1 for c in cells if stats.get(("3", *c), (None, 0))[1])
        absent = sum(1 for c in cells if ("3", *c) not in stats)
        out.append(("template.cells", "FAIL" if blank or absent else "PASS",
                    f"table 三: {blank} blank cell(s), {absent} not read, of {len(cells)}"))
    else:
        out.append(("template.cells", "NOT ASSESSABLE", "no table 三 read"))
    if text is None:
        return out
    t = _squash(text)
    absent = [f"{n} {name}" for n, name in SECTIONS if not _heading(n, name).search(t)]
    out.append(("template.sections", "FAIL" if absent else "PASS",
                f"missing: {'; '.join(absent)}" if absent else "sections 一 to 六 present"))
    problems = section_text(text, "五")
    if problems is None:
        out.append(("template.problems", "NOT ASSESSABLE", "section 五 not found"))
    else:
        out.append(("template.problems", "PASS" if len(problems) >= 20 else "FAIL",
                    f"section 五 holds {len(problems)} characters"))
    return out


def _across(r: dict, prev: dict | None, stats: dict, prev_stats: dict) -> list[tuple]:
    out = []
    if prev is None:
        out.append(("x.carry_over", "NOT ASSESSABLE", f"no report for {r['year'] - 1}", None))
        out.append(("x.jump.applications", "NOT ASSESSABLE", f"no report for {r['year'] - 1}", None))
        return out
    pid = prev["id"]
    now = {c: stats.get(("3", "carried_over", c), (None, 0))[0] for c in T3_COLS}
    before = {c: prev_stats.get(("3", "carried_forward", c), (None, 0))[0] for c in T3_COLS}
    if all(v is None for v in now.values()) or all(v is None for v in before.values()):
        out.append(("x.carry_over", "NOT ASSESSABLE", "table 三 not read in both years", pid))
    else:
        pairs = [c for c in T3_COLS if now[c] is not None and before[c] is not None]
        off = [f"{c} {_n(now[c])} vs {_n(before[c])}" for c in pairs if now[c] != before[c]]
        out.append(("x.carry_over", "FAIL" if off else "PASS",
                    ("carried over != last year's carried forward: " + "; ".join(off)) if off
                    else f"{len(pairs)} column(s) carried over as last year carried forward", pid))
    a, b = stats.get(("summary", "applications_new", "value"), (None, 0))[0], \
        prev_stats.get(("summary", "applications_new", "value"), (None, 0))[0]
    if a is None or b is None:
        out.append(("x.jump.applications", "NOT ASSESSABLE", "new applications not stated in both years", pid))
    else:
        jump = abs(a - b) >= JUMP_MIN and max(a, b) > JUMP_FACTOR * max(min(a, b), 1)
        out.append(("x.jump.applications", "FAIL" if jump else "PASS",
                    f"new applications {_n(b)} in {prev['year']}, {_n(a)} in {r['year']}", pid))
    return out


def _n(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def assess(db) -> int:
    """Recompute every report's assessments in one transaction; returns the number of rows written.
    Agency by agency (each agency's reports and their figures only), so memory stays flat as the archive
    grows."""
    has_inferred = any(c[1] == "inferred" for c in db.execute("PRAGMA table_info(report_stats)"))
    fields = ("id", "agency", "year", "published", "format")
    by_agency: dict[str, list[dict]] = {}
    for row in db.execute("SELECT id, agency, year, published, format FROM reports "
                          "WHERE year IS NOT NULL ORDER BY agency, year"):
        by_agency.setdefault(row[1], []).append(dict(zip(fields, row)))
    written = 0
    with transaction(db):
        db.execute("DELETE FROM report_assessments")
        for reports in by_agency.values():
            stats: dict[int, dict] = {}
            ids = [r["id"] for r in reports]
            for rid, t, row, col, value, inferred in db.execute(
                    "SELECT report_id, table_name, row_key, col_key, value, "
                    + ("inferred" if has_inferred else "0")
                    + f" FROM report_stats WHERE report_id IN ({', '.join('?' * len(ids))}) AND ("
                      "table_name = '3' OR (table_name IN ('2', '4') AND row_key IN ('rules', 'review')) "
                      "OR (table_name = 'summary' AND row_key = 'applications_new'))", ids):
                stats.setdefault(rid, {})[(t, row, col if t != "summary" else "value")] = (value, inferred)
            rows = []
            by_year = {r["year"]: r for r in reports}
            for r in reports:
                s = stats.get(r["id"], {})
                text = None
                if r["year"] >= 2019:
                    text = db.execute("SELECT text FROM reports WHERE id = ?", [r["id"]]).fetchone()[0]
                rows += [(r["id"], name, result, detail, None) for name, result, detail in _per_report(r, s, text)]
                prev = by_year.get(r["year"] - 1)
                rows += [(r["id"], *a) for a in _across(r, prev, s, stats.get(prev["id"], {}) if prev else {})]
            db.conn.executemany("INSERT INTO report_assessments (report_id, check_name, result, detail, "
                                "other_report_id) VALUES (?, ?, ?, ?, ?)", rows)
            written += len(rows)
        db.execute("DELETE FROM check_glossary")
        db.conn.executemany("INSERT INTO check_glossary (check_name, kind, meaning) VALUES (?, ?, ?)", GLOSSARY)
    return written
