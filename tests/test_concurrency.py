"""Datasette keeps answering while the archive is written (the scheduler's "done when").

A fresh archive is served live by a real `datasette serve` (the command of docs/datasette.md, not
-i) while real children write it: a crawl of every agency against the replica web
(`python -m crawler.run --no-polite`), then at once the extraction pass
(`python -m archive.extract.run`) together with a second, refreshing crawl. A thread polls
Datasette's JSON API the whole time and records every status and latency.

Truth: HTTP statuses and times measured here, the values Datasette returned compared with direct
SQL on the file afterwards, the children's exit codes and logs, and the `runs` / `extractions`
rows. The archive is in WAL mode (archive/db.py): readers and the writer do not block each other.

Able to fail: with the archive in rollback-journal mode instead (checked by hand: sqlite_utils'
enable_wal patched to `journal_mode = delete` by a sitecustomize.py on PYTHONPATH) the writers'
commits wait for Datasette's readers, the expensive one above all, and the second crawl does not
finish within CHILD_TIMEOUT (it takes about 10 s with WAL).
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.db import open_db
from conftest import SEED_AGENCIES
from tests.datasette_server import (
    OPENER as _OPENER,  # loopback, never through the replica's proxy
)
from tests.datasette_server import ROOT, serve, stop

MAX_LATENCY = 2.0  # seconds for any one request (sql_time_limit_ms is 3000)
CHILD_TIMEOUT = 45  # seconds for each child (each takes about 12 s here with Datasette busy)

# What the poller asks, in turn: (name, path). Tables, a view over several tables, SQL, canned queries.
QUERIES = [
    ("last capture", "/archive/captures.json?_size=1&_sort_desc=id&_shape=array"),
    ("reports", "/archive.json?sql=select+count(*)+as+n+from+reports&_shape=array"),
    ("summary", "/archive/report_summary.json?_size=5&_shape=array"),
    ("runs_status", "/archive/runs_status.json?_shape=array"),
    ("search_short", "/archive/search_short.json?q=%E5%A4%8D%E8%AE%AE&_shape=array"),  # 复议
    ("stats", "/archive.json?sql=select+count(*)+as+n+from+report_stats&_shape=array"),
]
# Someone running an expensive query in the SQL box meanwhile: 0.25 s of work (seconds under load) in one read
# of the archive (it reads `captures`). With WAL it blocks nobody; in rollback-journal mode every
# writer's commit waits for it. Under load it may reach sql_time_limit_ms: Datasette's 400
# "SQL query took too long" is its configured answer to an expensive query, accepted for these.
HEAVY_SQL = ("with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000) "
             "select count(*) as n, (select count(*) from captures) as captures from c")
HEAVY = [("heavy", "/archive.json?" + urllib.parse.urlencode({"sql": HEAVY_SQL, "_shape": "array"}))]


@dataclass
class Answer:
    at: float        # monotonic time the request was sent
    name: str
    status: int
    latency: float
    body: object     # parsed JSON, or the error text


class Poller(threading.Thread):
    """Asks Datasette `queries` in turn, back to back, until stopped; keeps every Answer."""

    def __init__(self, base: str, queries: list[tuple[str, str]]):
        super().__init__(daemon=True)
        self.base = base
        self.queries = queries
        self.answers: list[Answer] = []
        self.halt = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.halt.is_set():
            name, path = self.queries[i % len(self.queries)]
            i += 1
            sent = time.monotonic()
            try:
                with _OPENER.open(self.base + path, timeout=30) as r:
                    status, body = r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read().decode(errors="replace")[:500]
            except OSError as e:
                status, body = 0, repr(e)
            self.answers.append(Answer(sent, name, status, time.monotonic() - sent, body))

    def values(self, name: str, pick) -> list[tuple[float, int]]:
        return [(a.at, pick(a.body)) for a in self.answers if a.name == name and a.status == 200]

    def trouble(self, max_latency: float | None) -> list[Answer]:
        return [a for a in self.answers
                if a.status != 200 or (max_latency is not None and a.latency > max_latency)]


def child(module: str, *args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen, what: str, timeout: float, poller: Poller) -> str:
    """Wait for a child (its output is read meanwhile); stop early once Datasette has failed."""
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                out, _ = proc.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if poller.trouble(MAX_LATENCY) or time.monotonic() > deadline:
                    break
    finally:
        if proc.poll() is None:
            proc.kill()
            out, _ = proc.communicate()
            bad = poller.trouble(MAX_LATENCY)[:3]
            pytest.fail(f"{what} stopped: Datasette failed {bad}" if bad else
                        f"{what} did not finish in {timeout} s:\n{out[-3000:]}")
    assert proc.returncode == 0, f"{what} exited {proc.returncode}:\n{out[-3000:]}"
    return out


def rows(db: Path, sql: str) -> list[dict]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql)]
    finally:
        con.close()


def report(poller: Poller, heavy: Poller) -> None:
    """What Datasette did (printed; shown by pytest -s or on failure)."""
    for p in (poller, heavy):
        lat = sorted(a.latency for a in p.answers) or [0.0]
        print(f"{len(lat)} {'heavy' if p is heavy else 'quick'} Datasette requests: latency median "
              f"{lat[len(lat) // 2]:.3f} s, p95 {lat[int(len(lat) * 0.95)]:.3f} s, max {lat[-1]:.3f} s, "
              f"{len(p.trouble(None))} not 200")


@pytest.mark.timeout(180)
def test_datasette_answers_during_crawl_and_extraction(replica, tmp_path):
    db = tmp_path / "archive.db"  # Datasette names the database after the file: metadata says archive
    open_db(db).conn.close()  # a fresh archive, as the scheduler creates it
    env = dict(os.environ, http_proxy=replica.proxy_url, https_proxy=replica.proxy_url, PYTHONUNBUFFERED="1")
    env.pop("NIANBAO_DB", None)
    crawl_args = [*SEED_AGENCIES, "--db", str(db), "--no-polite", "--log-level", "INFO"]

    datasette, base = serve(db, immutable=False, log=tmp_path / "datasette.log")
    poller, heavy = Poller(base, QUERIES), Poller(base, HEAVY)
    try:
        poller.start()
        heavy.start()
        time.sleep(1)  # a few answers from the empty archive
        t_crawl = time.monotonic()
        crawl_log = finish(child("crawler.run", *crawl_args, env=env), "crawl", CHILD_TIMEOUT, poller)
        t_extract = time.monotonic()
        extract = child("archive.extract.run", "--db", str(db), env=env)
        recrawl = child("crawler.run", *crawl_args, "--refresh", env=env)  # writes alongside
        extract_log = finish(extract, "extraction", CHILD_TIMEOUT, poller)
        recrawl_log = finish(recrawl, "second crawl", CHILD_TIMEOUT, poller)
        t_done = time.monotonic()
        time.sleep(1)  # Datasette shows the final state
    finally:
        for p in (poller, heavy):
            p.halt.set()
        stop(datasette)
        report(poller, heavy)
    ds_log = (tmp_path / "datasette.log").read_text(errors="replace")
    answers = poller.answers
    print(f"crawl {t_extract - t_crawl:.1f} s, extraction + second crawl {t_done - t_extract:.1f} s")
    # Datasette answered every request, quickly, all the way through.
    too_long = [a for a in heavy.answers if a.status == 400 and "took too long" in str(a.body)]
    bad = [a for a in answers + heavy.answers if a.status != 200 and a not in too_long]
    assert not bad, f"{len(bad)} failed requests, e.g. {bad[:3]}\n{ds_log[-2000:]}"
    assert len(heavy.answers) - len(too_long) >= max(5, 0.8 * len(heavy.answers))
    slow = [(a.name, round(a.latency, 2)) for a in answers if a.latency > MAX_LATENCY]
    assert not slow, f"{len(slow)} requests over {MAX_LATENCY} s: {slow[:5]}"
    during_crawl = [a for a in answers if t_crawl <= a.at < t_extract]
    during_extract = [a for a in answers if t_extract <= a.at < t_done]
    assert len(during_crawl) >= 20 and len(during_extract) >= 10
    sent = [a.at for a in answers]
    assert max(b - a for a, b in zip(sent, sent[1:])) < MAX_LATENCY + 0.5  # never stalled

    # It saw the archive grow while it was written, and ends with what the file holds.
    last_capture = poller.values("last capture", lambda b: b[0]["id"] if b else 0)
    seen = [v for _, v in last_capture]
    assert seen == sorted(seen), "capture ids went backwards"
    crawl_seen = {v for at, v in last_capture if t_crawl <= at < t_extract}
    assert len(crawl_seen) >= 3, f"Datasette did not see the crawl progress: {sorted(crawl_seen)}"
    assert seen[0] == 0 and seen[-1] == rows(db, "SELECT max(id) AS n FROM captures")[0]["n"]
    reports = [v for _, v in poller.values("reports", lambda b: b[0]["n"])]
    assert reports == sorted(reports) and reports[0] == 0
    assert reports[-1] == rows(db, "SELECT count(*) AS n FROM reports")[0]["n"] > 0
    assert len(set(reports)) >= 3, f"Datasette did not see the extraction progress: {set(reports)}"

    # Nobody met a locked database: not in the children's logs, not in what they recorded.
    logs = {"crawl": crawl_log, "extraction": extract_log, "second crawl": recrawl_log,
            "datasette": ds_log}
    for what, log in logs.items():  # "database is locked", "database table is locked"
        assert "is locked" not in log.lower(), f"{what} log mentions a lock:\n{log[-3000:]}"
    runs = rows(db, "SELECT * FROM runs ORDER BY id")
    crawls = [r for r in runs if r["kind"] == "crawl"]
    assert len(crawls) == 2 * len(SEED_AGENCIES) and [r for r in runs if r["kind"] == "extract"]
    assert not [r for r in runs if "locked" in (r["failure"] or "").lower()]
    assert all(r["status"] == "ok" for r in runs), [(r["agency"], r["status"], r["failure"]) for r in runs]
    errors = rows(db, "SELECT error FROM extractions WHERE error LIKE '%locked%' OR error LIKE '%busy%'")
    assert not errors, errors
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
