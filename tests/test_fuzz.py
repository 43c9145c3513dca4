"""A sample of the fuzz benchmark's mutations (bench/fuzz.py) through the sandbox the pass uses: no crash,
no invalid output, nothing over the time limit; and the shape the benchmark found (400-digit numbers)."""
from __future__ import annotations

import json

from archive.extract.extract import extract_document
from bench.fuzz import MUTATIONS, invalid, run, seeds

REPORT = "湖南省住房和城乡建设厅2018年政府信息公开工作年度报告\n一、概述\n"


def test_giant_numbers_never_become_figures():
    huge = "9" * 400
    text = REPORT + f"2018年，我厅共主动公开政府信息{huge}条。全年共收到政府信息公开申请{'1' * 30}件。"
    r = extract_document(text.encode(), filename="a.txt")
    assert r["summary"]["proactive_total"] is None and r["summary"]["applications_new"] is None
    assert any("not a plausible figure" in w for w in r["warnings"])
    html = ("<html><body><h1>" + REPORT.splitlines()[0] + "</h1><table><tr><td>指标名称</td><td>单位</td><td>本年累计</td></tr>"
            f"<tr><td>一、主动公开政府信息数</td><td>条</td><td>{huge}</td></tr>"
            "<tr><td>二、收到申请数</td><td>件</td><td>12</td></tr></table></body></html>")
    r = extract_document(html.encode(), filename="a.html")
    assert invalid(r) is None
    json.dumps(r, allow_nan=False)
    assert not [s for s in r["stats"] if s["value"] > 1e10]


def test_a_sample_of_mutants_gives_no_crash_no_invalid_output_nothing_over_time():
    inputs = [(n, d) for n, d in seeds(replica=False) if not n.endswith(".pdf")]
    res = run(inputs, n=len(MUTATIONS) * 8, seed=11, seconds=30, echo=None, workers=2)
    c = res["counts"]
    assert (c["crash"], c["invalid"], c["over time"]) == (0, 0, 0), res["examples"]
    assert c["ok"] and c["clear error"]


class _Pick:
    """The random choices of a mutation, fixed: its largest value, and up to n of its places."""
    def __init__(self, n: int = 3):
        self.n = n

    def choice(self, xs):
        return max(xs)

    def randint(self, a, b):
        return min(b, self.n)


def test_absurd_docx_spans_are_bounded_and_the_report_is_still_read(replica_corpus):
    """A replica DOCX report whose cells claim gridSpan / gridBefore 99999999 (the fuzz benchmark's
    `spans` mutation): read within the sandbox's limits (unbounded, a row of 10^8 cells broke the 3 GB
    memory limit), the title and the year of the report's truth found, every figure valid."""
    from archive.extract.sandbox import Sandbox
    report = next(r for r in replica_corpus.reports if r.stats_in == "docx" and r.truth["stats"])
    att = next(a for a in report.attachments if a.filename.endswith(".docx"))
    data, name = MUTATIONS["spans"](_Pick(), att.data, att.filename)
    assert data != att.data and b'w:gridSpan w:val="99999999"' in _document_xml(data)
    with Sandbox(seconds=60) as box:
        r = box.extract(data, filename=name)
    assert invalid(r) is None
    assert r["year"] == report.year and report.title in r["text"]


def _document_xml(docx_bytes: bytes) -> bytes:
    import io
    import zipfile
    return zipfile.ZipFile(io.BytesIO(docx_bytes)).read("word/document.xml")
