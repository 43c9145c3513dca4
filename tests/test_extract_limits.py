"""Extraction within limits (archive/extract/sandbox.py): a document over the time, memory or size limit
is an extraction error naming the limit, and the pass goes on; through the real pass on a crawled archive."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.extract import NotAReport
from archive.extract.sandbox import OverLimit, Sandbox
from test_crawl import crawl

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"


def test_each_limit_is_named_and_the_sandbox_reads_on():
    page = (REAL / "shuyang-fgj-2023.html").read_bytes()
    pdf = (REAL / "hongze-gov-2024.pdf").read_bytes()
    with Sandbox(seconds=60) as box:
        ok = box.extract(page, filename="a.html")
        assert ok["year"] == 2023 and len(ok["stats"]) > 150
        with pytest.raises(NotAReport):                 # the reader's own errors come through as they are
            box.extract("<html><body><p>你好</p></body></html>".encode(), filename="b.html")
        assert box.extract(page, filename="a.html")["stats"] == ok["stats"]
    with Sandbox(seconds=0.01) as box, pytest.raises(OverLimit, match="time limit"):
        box.extract(pdf, filename="a.pdf")
    with Sandbox(memory_mb=40) as box, pytest.raises(OverLimit, match="memory limit"):
        box.extract(pdf, filename="a.pdf")
    with Sandbox(max_mb=0.05) as box, pytest.raises(OverLimit, match="size limit"):
        box.extract(page, filename="a.html")


def test_the_pass_records_a_document_over_a_limit_and_goes_on(replica, tmp_path):
    db = tmp_path / "a.db"
    crawl(replica, db, "quzhou_zjj")
    limit_kb = 30
    env = dict(os.environ, NIANBAO_EXTRACT_MAX_MB=str(limit_kb / 1024))
    env.pop("NIANBAO_DB", None)
    p = subprocess.run([sys.executable, "-m", "archive.extract.run", "--db", str(db)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    con = sqlite3.connect(db)
    rows = con.execute("SELECT c.size, e.status, e.error FROM extractions e JOIN captures c ON c.id = e.capture_id"
                       " WHERE c.kind = 'report'").fetchall()
    big = [r for r in rows if r[0] > limit_kb * 1024]
    small = [r for r in rows if r[0] <= limit_kb * 1024]
    assert big and small
    assert all(status == "error" and "size limit" in error for _, status, error in big)
    assert any(status == "ok" for _, status, _ in small)
    run = con.execute("SELECT status FROM runs WHERE kind = 'extract'").fetchone()
    assert run[0] == "ok"
