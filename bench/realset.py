"""Score the extractor on the real development set (tests/data/real/): every hand-read figure.

    python bench/realset.py                          # one line per report, then the totals
    python bench/realset.py --detail hongze-gov-2024 # every figure that differs, for one report
    python bench/realset.py --detail all             # ... for every report

For each `<name>.truth.json` the report file is run through `extract_document(bytes, filename=...)`
and compared figure by figure with the truth: every cell of tables 二/三/四 in `stats` and every
headline key in `summary`.
- right:   the extractor has the figure and it equals the truth;
- wrong:   the extractor has a different value, or a value for a cell the truth lists as
           `blank_unforced` (an empty cell the report's arithmetic does not fill);
- missing: the truth has the figure, the extractor does not (also every figure of a report the
           extractor refuses with an error).
Figures the extractor reports for cells the truth does not know (a cell the source does not let a
reader tell) are counted as `extra`, for information only. Agency and year are scored apart.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.extract import ExtractError  # noqa: E402
from archive.extract.extract import extract_document  # noqa: E402

REAL = ROOT / "tests" / "data" / "real"
TABLES = ("2", "3", "4")


@dataclass
class Score:
    name: str
    kind: str
    right: int = 0
    wrong: list = field(default_factory=list)     # (figure, truth, extracted)
    missing: list = field(default_factory=list)   # (figure, truth)
    extra: list = field(default_factory=list)     # (figure, extracted)
    agency_ok: bool | None = None
    year_ok: bool | None = None
    agency: str | None = None
    year: int | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def figures(self) -> int:
        return self.right + len(self.wrong) + len(self.missing)


def truth_paths() -> list[Path]:
    return sorted(REAL.glob("*.truth.json"))


def load_truth(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def extract(truth: dict) -> dict:
    """The extractor's result for a truth file's report (raises ExtractError for a refused file)."""
    data = (REAL / truth["file"]).read_bytes()
    return extract_document(data, filename=truth["file"])


def _same(a, b) -> bool:
    if a is None or b is None:
        return False
    return abs(float(a) - float(b)) < 1e-6


def _norm(name: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def score(truth: dict, name: str, result: dict | None = None, error: str | None = None) -> Score:
    """Compare one report's extraction (or the error it raised) with its truth."""
    s = Score(name=name, kind=truth["kind"], error=error)
    got = {}
    summary = {}
    if result is not None:
        for st in result["stats"]:
            if st["table"] in TABLES:
                got.setdefault((st["table"], st["row"], st["col"]), st["value"])
        summary = result.get("summary") or {}
        s.agency, s.year = result.get("agency"), result.get("year")
        names = {_norm(truth.get("agency")), _norm(truth.get("agency_as_printed"))} - {""}
        s.agency_ok = _norm(s.agency) in names if names else None
        s.year_ok = s.year == truth["year"]

    known = set()
    for table, rows in truth["stats"].items():
        for row, cols in rows.items():
            for col, value in cols.items():
                key = (table, row, col)
                known.add(key)
                fig = "/".join(key)
                if key not in got:
                    s.missing.append((fig, value))
                elif _same(got[key], value):
                    s.right += 1
                else:
                    s.wrong.append((fig, value, got[key]))
    for table, row, col in truth.get("blank_unforced", []):
        key = (table, row, col)
        known.add(key)
        if key in got:
            s.wrong.append(("/".join(key), "blank", got[key]))
    for key in set(map(tuple, truth.get("blank", []))):
        known.add(key)
    for key, value in sorted(got.items()):
        if key not in known:
            s.extra.append(("/".join(key), value))
    for k, value in truth.get("summary", {}).items():
        fig = f"summary/{k}"
        if summary.get(k) is None:
            s.missing.append((fig, value))
        elif _same(summary[k], value):
            s.right += 1
        else:
            s.wrong.append((fig, value, summary[k]))
    return s


def score_path(path: Path) -> Score:
    truth = load_truth(path)
    name = path.name[: -len(".truth.json")]
    t0 = time.perf_counter()
    try:
        result, error = extract(truth), None
    except ExtractError as e:
        result, error = None, f"{type(e).__name__}: {e}"
    s = score(truth, name, result, error)
    s.seconds = time.perf_counter() - t0
    return s


def totals(scores: list[Score]) -> dict:
    right = sum(s.right for s in scores)
    figures = sum(s.figures for s in scores)
    return {
        "reports": len(scores), "figures": figures, "right": right,
        "wrong": sum(len(s.wrong) for s in scores), "missing": sum(len(s.missing) for s in scores),
        "extra": sum(len(s.extra) for s in scores),
        "right_pct": 100.0 * right / figures if figures else 0.0,
        "agency_right": sum(1 for s in scores if s.agency_ok),
        "year_right": sum(1 for s in scores if s.year_ok),
    }


def line(s: Score) -> str:
    pct = 100.0 * s.right / s.figures if s.figures else 0.0
    flag = lambda ok: "-" if ok is None else ("ok" if ok else "NO")  # noqa: E731
    text = (f"{s.name:<28} {s.kind:<11} {s.figures:>4} figs  right {s.right:>4} ({pct:5.1f}%)  "
            f"wrong {len(s.wrong):>3}  missing {len(s.missing):>3}  extra {len(s.extra):>3}  "
            f"agency {flag(s.agency_ok):<2}  year {flag(s.year_ok):<2}  {s.seconds:5.2f}s")
    return text + (f"  [{s.error}]" if s.error else "")


def detail(s: Score) -> str:
    out = [f"== {s.name}: agency {s.agency!r}, year {s.year!r}" + (f", error {s.error}" if s.error else "")]
    out += [f"  WRONG   {fig}: truth {t!r}, extracted {g!r}" for fig, t, g in s.wrong]
    out += [f"  MISSING {fig}: truth {t!r}" for fig, t in s.missing]
    out += [f"  extra   {fig}: extracted {g!r}" for fig, g in s.extra]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--detail", metavar="NAME", help="print every differing figure of NAME (or 'all')")
    args = ap.parse_args(argv)
    paths = truth_paths()
    if args.detail and args.detail != "all":
        paths = [p for p in paths if p.name.startswith(args.detail)]
        if not paths:
            ap.error(f"no truth file for {args.detail}")
    scores = []
    for path in paths:
        s = score_path(path)
        scores.append(s)
        print(line(s), flush=True)
        if args.detail:
            print(detail(s))
    t = totals(scores)
    print(f"TOTAL {t['reports']} reports, {t['figures']} figures: right {t['right']} ({t['right_pct']:.1f}%), "
          f"wrong {t['wrong']}, missing {t['missing']}, extra {t['extra']}; "
          f"agency right {t['agency_right']}/{t['reports']}, year right {t['year_right']}/{t['reports']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
