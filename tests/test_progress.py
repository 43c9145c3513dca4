"""Progress on stderr while `scheduler.py run` works (progress.py), and the closing summary grouped by
province (archive.status.batch_summary). One real run of two agencies of one province against the
replica web (non-TTY: plain lines every second), then a second run of one of them on a pty (the live
bar). Expected numbers come from the replica's truth and its request log."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from archive.db import open_db
from archive.status import batch_summary

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
AGENCIES = ("hunan_zjt", "hunan_fgw")   # both 湖南: the province gets a totals row
CRAWL = re.compile(r"^\[\d\d:\d\d:\d\d\] crawl: (\d+)/(\d+) agencies done, (\d+) pages(?: of ~(\d+))?, "
                   r"(\d+) new reports, (\d+) unchanged, (\d+) errors; (.*)$")
EXTRACT = re.compile(r"^\[\d\d:\d\d:\d\d\] extract: (\d+)/(\d+) captures, (\d+) errors; (.*)$")


def env(**extra) -> dict:
    out = {k: v for k, v in os.environ.items()
           if k not in ("NIANBAO_CRAWL_CMD", "NIANBAO_EXTRACT_CMD", "NIANBAO_DB", "http_proxy", "HTTP_PROXY",
                        "NIANBAO_PROGRESS_EVERY")}
    return out | extra


@pytest.fixture(scope="module")
def truth():
    from replica.server import ReplicaServer
    return ReplicaServer().truth()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("progress")
    db, log = tmp / "archive.db", tmp / "replica.jsonl"
    r = subprocess.run([PY, "scheduler.py", "run", *AGENCIES, "--replica", "--db", db, "--replica-log", log,
                        "--progress-every", "1"], cwd=ROOT, env=env(), capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    import json
    requests = [json.loads(line) for line in log.read_text().splitlines()]
    return {"db": db, "stdout": r.stdout, "stderr": r.stderr, "requests": requests}


def parsed(stderr: str, pattern) -> list[tuple]:
    return [m.groups() for m in map(pattern.match, stderr.splitlines()) if m]


def test_plain_progress_lines_count_up_to_the_end(run, truth):
    crawl = parsed(run["stderr"], CRAWL)
    assert len(crawl) >= 2, run["stderr"]          # lines while it ran, and the last one
    numbers = [tuple(int(x) for x in (done, pages, new, unchanged, errors)) for done, _, pages, _, new, unchanged,
               errors, _ in crawl]
    for before, after in zip(numbers, numbers[1:]):
        assert all(a >= b for a, b in zip(after, before)), crawl   # every count only grows
    done, total, pages, expected, new, unchanged, errors, times = crawl[-1]
    assert (int(done), int(total)) == (len(AGENCIES), len(AGENCIES))
    assert times.startswith("took ") and expected is None
    # pages: every answer of the replica that ends a fetch (a redirect's target stands for its chain),
    # robots.txt and https tunnels aside; a first run: nothing unchanged
    served = [x for x in run["requests"] if x["method"] != "CONNECT" and not x["path"].startswith("/robots.txt")
              and not 300 <= (x["status"] or 0) < 400]
    assert int(pages) == len(served)
    assert int(new) == sum(x["agency"] in AGENCIES for x in truth)
    assert (int(unchanged), int(errors)) == (0, 0)
    assert all(t.endswith(" left") for *_, t in crawl[:-1])

    extract = parsed(run["stderr"], EXTRACT)
    assert extract, run["stderr"]
    done = [int(d) for d, *_ in extract]
    assert done == sorted(done)
    d, n, errors, times = extract[-1]
    assert int(d) == int(n) >= sum(x["agency"] in AGENCIES for x in truth) and times.startswith("took ")
    assert {int(n) for _, n, *_ in extract} == {int(n)}   # the total is counted once, at the start


def test_progress_stays_off_stdout(run):
    assert "agencies done" not in run["stdout"] and "captures," not in run["stdout"]
    assert "\r" not in run["stderr"]   # not a terminal: no bar


def test_summary_groups_by_province_with_totals(run, truth):
    lines = run["stdout"].splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("agency"))
    table = lines[header + 1: header + 4]
    assert [line.split()[0] for line in table] == ["hunan_fgw", "hunan_zjt", "湖南"]   # by province, then slug
    rows = {line.split()[0]: line.split() for line in table}
    for slug in AGENCIES:
        assert int(rows[slug][2]) == sum(x["agency"] == slug for x in truth)   # new reports
    total = rows["湖南"]
    assert total[1:3] == ["(2", "agencies)"]
    assert [int(v) for v in total[3:7]] == [sum(int(rows[s][i]) for s in AGENCIES) for i in range(1, 5)]


def test_summary_without_a_second_agency_names_the_province_only(tmp_path):
    """Provinces ordered by division code (北京 11 before 浙江 33 before 湖南 43); one agency: no totals."""
    db = open_db(tmp_path / "a.db")
    db["agencies"].insert_all([
        {"slug": "quzhou_zjj", "province": "浙江", "region_code": "330800"},
        {"slug": "beijing_zjw", "province": "北京", "region_code": "110000"},
        {"slug": "hunan_zjt", "province": "湖南", "region_code": "430000"},
        {"slug": "hunan_fgw", "province": "湖南", "region_code": "430000"}], alter=True)
    for slug, pages, status in (("quzhou_zjj", 22, "ok"), ("hunan_zjt", 40, "ok"), ("beijing_zjw", 3, "failing"),
                                ("hunan_fgw", 15, "ok"), ("nowhere", 1, "ok")):
        db["runs"].insert({"kind": "crawl", "agency": slug, "responses": pages, "errors": 0,
                           "pages_unchanged": 1, "status": status})
    db.conn.close()
    first = [line.split() for line in batch_summary(tmp_path / "a.db", 0).splitlines()[1:]]
    assert [r[0] for r in first] == ["beijing_zjw", "北京", "quzhou_zjj", "浙江", "hunan_fgw", "hunan_zjt",
                                     "湖南", "nowhere", "(no"]
    assert first[1] == ["北京", "(1", "agency)"] and first[-1] == ["(no", "province)", "(1", "agency)"]
    assert first[6] == ["湖南", "(2", "agencies)", "55", "0", "2", "0"]
    assert first[0] == ["beijing_zjw", "3", "0", "1", "0", "failing"]


def read_pty(fd: int, proc: subprocess.Popen, timeout: float) -> bytes:
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:   # EIO: every writer has closed it
                break
            if not data:
                break
            out += data
        elif proc.poll() is not None:
            break
    return out


def test_terminal_gets_a_live_bar(run, tmp_path):
    """A second run of one agency with stderr on a pty (80 columns): tqdm bars redrawn in place,
    the crawl's with its total (the pages of the agency's first run), finishing at 100%."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    with open(tmp_path / "stdout", "w") as stdout:
        proc = subprocess.Popen([PY, "scheduler.py", "run", "hunan_fgw", "--replica", "--db", run["db"],
                                 "--refresh"], cwd=ROOT, env=env(), stdout=stdout, stderr=child,
                                stdin=subprocess.DEVNULL)
    os.close(child)
    try:
        text = read_pty(main, proc, 120).decode("utf-8", "replace")
        assert proc.wait(timeout=60) == 0, text
    finally:
        os.close(main)
    frames = [f for f in text.replace("\r\n", "\r").split("\r") if f.strip()]
    crawl = [f for f in frames if f.startswith("crawl:")]
    extract = [f for f in frames if f.startswith("extract:")]
    assert len(crawl) >= 2 and extract, text
    assert all(len(f) <= 80 for f in crawl + extract)   # fits the terminal's width
    assert re.match(r"crawl: 100%\|█+\| (\d+)/\1 ", crawl[-1]) and "agencies 1/1" in crawl[-1], crawl[-1]
    assert not re.search(r"^\[\d\d:\d\d:\d\d\] (crawl|extract):", text, re.M)   # no plain lines on a terminal
    summary = (tmp_path / "stdout").read_text()
    assert "agencies done" not in summary and "\n湖南 (1 agency)\n" in summary
