"""The extractor on the real development set (tests/data/real/): hand-read figures of whole published
reports, scored by bench/realset.py. The thresholds: no wrong figure anywhere; >= 98% right on the
reports read from text (the issue's threshold); a floor for the OCR'd scan, which is below it.

The truth files are read by hand from the reports (never produced by the extractor) and checked by
tests/data/real/check_truth.py against the reports' own arithmetic.
"""
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


realset = _load("realset", ROOT / "bench" / "realset.py")
check_truth = _load("check_truth", REAL / "check_truth.py")

TRUTHS = realset.truth_paths()
NAMES = [p.name[: -len(".truth.json")] for p in TRUTHS]


@pytest.fixture(scope="module")
def scores() -> dict:
    """Every report extracted and scored once per module (the scanned PDF may be slow to OCR)."""
    return {s.name: s for s in map(realset.score_path, TRUTHS)}


def test_truth_files_are_consistent_with_the_reports_arithmetic():
    problems = {p.name: check_truth.problems_of(p) for p in TRUTHS}
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_set_covers_the_genre():
    truths = [realset.load_truth(p) for p in TRUTHS]
    kinds = {t["kind"] for t in truths}
    assert len(truths) >= 15, f"{len(truths)} reports"
    assert {"html", "pdf", "scanned-pdf", "text"} <= kinds, kinds
    assert kinds & {"doc", "wps"}, kinds
    provinces = {t["province"] for t in truths}
    assert len(provinces) >= 8, sorted(provinces)
    pre_2019 = [t for t in truths if t["template"] is None and t["year"] < 2019]
    assert len(pre_2019) >= 3, len(pre_2019)
    templates = {t["template"] for t in truths}
    assert {2019, 2021} <= templates, templates
    for t in truths:
        assert (REAL / t["file"]).stat().st_size < 1_000_000, t["file"]
    assert sum((REAL / t["file"]).stat().st_size for t in truths) < 10_000_000


@pytest.mark.parametrize("name", NAMES)
def test_no_wrong_figure(scores, name):
    s = scores[name]
    assert s.wrong == [], realset.detail(s)


def test_whole_set_thresholds(scores):
    """The issue's 98% holds on the whole set, the OCR'd scan included (its ruled tables are read cell
    by cell from the ruling lines in the image: tests/test_extract_ocr_tables.py), and on the reports
    read from their text alone. No wrong figure anywhere."""
    t = realset.totals(list(scores.values()))
    assert t["wrong"] == 0, t
    assert t["right_pct"] >= 98.0, t
    read = realset.totals([s for n, s in scores.items() if "scanned" not in n])
    assert read["right_pct"] >= 98.0, read
    ocr = realset.totals([s for n, s in scores.items() if "scanned" in n])
    assert ocr["wrong"] == 0 and ocr["right_pct"] >= 95.0, ocr   # measured 99.5% (bench/realset.py)


def test_agency_and_year(scores):
    wrong = {n: (s.agency, s.year) for n, s in scores.items() if s.agency_ok is False or not s.year_ok}
    assert wrong == {}


def test_scoring_counts_a_wrong_value_and_a_filled_unforced_blank():
    """The harness itself: a differing value and a value for a blank_unforced cell are wrong; an absent one is missing."""
    truth = {"kind": "html", "year": 2020, "agency": "某局",
             "stats": {"3": {"new": {"total": 5, "natural_person": 5}}},
             "blank_unforced": [["4", "review", "total"]], "summary": {"proactive_total": 12}}
    result = {"agency": "某局", "year": 2020, "summary": {"proactive_total": 12},
              "stats": [{"table": "3", "row": "new", "col": "total", "value": 6},
                        {"table": "4", "row": "review", "col": "total", "value": 0}]}
    s = realset.score(truth, "t", result)
    assert s.right == 1
    assert sorted(w[0] for w in s.wrong) == ["3/new/total", "4/review/total"]
    assert s.missing == [("3/new/natural_person", 5)]
    assert s.agency_ok and s.year_ok
