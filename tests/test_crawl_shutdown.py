"""SIGINT to a real crawl child (python -m crawler.run, all agencies, the browser agency included)
at different moments: every `runs` row the child opened ends closed, and the child exits promptly.

Scrapy's graceful stop (one SIGINT) only stops crawlers whose engine is already running; a spider
that has opened (its row written) but whose engine is still starting (scrapy-playwright launches
its driver in an engine_started handler) is skipped, and its spider_closed never fires. These
tests signal the child exactly in that window (as soon as the first row appears), mid-crawl, before
the reactor runs, and twice (forced stop), a few times each. Truth: the `runs` table and the OS
(exit code, time, the child's process group), not the crawler's own output."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SEED_AGENCIES

ROOT = Path(__file__).resolve().parents[1]
PROMPT = 15  # seconds from the (last) SIGINT to the child's exit (measured: about 1 s)


def runs(db) -> list[dict]:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return []
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM runs ORDER BY id")]
    except sqlite3.OperationalError:  # not created / not migrated yet
        return []
    finally:
        con.close()


def captures(db) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM captures").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


# When to send SIGINT (a condition on the archive, or None: as soon as the runner says it is
# building the crawlers, before Scrapy's reactor runs), how many signals, how many times.
MOMENTS = [
    ("first row (spiders still starting)", lambda db: bool(runs(db)), 1, 1),
    ("browser agency's row", lambda db: any(r["agency"] == "suizhou_zjw" for r in runs(db)), 1, 1),
    ("mid-crawl (10 captures)", lambda db: captures(db) >= 10, 1, 2),
    ("twice (forced stop)", lambda db: bool(runs(db)), 2, 1),
    ("before the reactor runs", None, 1, 1),
]


def interrupt(replica, tmp_path, name, when, signals, attempt) -> tuple[int, float, str, list[dict]]:
    """Start a crawl of every agency, SIGINT it at `when`, return (rc, seconds to exit, output, runs)."""
    db = tmp_path / f"{name.split()[0]}-{attempt}.db"
    env = dict(os.environ, http_proxy=replica.proxy_url, https_proxy=replica.proxy_url, PYTHONUNBUFFERED="1")
    env.pop("NIANBAO_DB", None)
    log = tmp_path / f"{db.stem}.log"
    cmd = [sys.executable, "-m", "crawler.run", *SEED_AGENCIES, "--db", str(db), "--no-polite", "--log-level", "INFO"]
    with open(log, "w") as out:  # own process group: Chromium and the driver are checked too
        child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 process_group=0)
    try:
        if when is None:  # "crawler.run: crawling ..." is printed before the crawlers are built
            when = lambda db: "crawler.run: crawling" in log.read_text()  # noqa: E731
        deadline = time.monotonic() + 60
        while not when(db) and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.01)
        assert child.poll() is None, f"crawl ended before the signal ({name})\n{log.read_text()[-3000:]}"
        for i in range(signals):
            if i:
                time.sleep(0.3)
            child.send_signal(signal.SIGINT)
        sent = time.monotonic()
        try:
            rc = child.wait(timeout=PROMPT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"crawl child still running {PROMPT} s after SIGINT ({name})\n"
                        f"{log.read_text()[-3000:]}")
        took = time.monotonic() - sent
        deadline = time.monotonic() + 10  # Chromium and the Playwright driver go with it
        while group_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not group_alive(child.pid), f"processes left behind by the crawl child ({name})"
        return rc, took, log.read_text(), runs(db)
    finally:
        if group_alive(child.pid):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)


@pytest.mark.timeout(240)
def test_sigint_leaves_no_run_running(replica, tmp_path):
    slugs = set(SEED_AGENCIES)
    seen_unfinished = 0
    for name, when, signals, times in MOMENTS:
        for attempt in range(times):
            rc, took, out, rows = interrupt(replica, tmp_path, name, when, signals, attempt)
            print(f"{name} #{attempt}: rc {rc}, exit {took:.1f} s after the signal, {len(rows)} rows")
            where = f"{name}, attempt {attempt}: rc {rc}, {took:.1f} s\n{out[-3000:]}"
            assert not [r for r in rows if r["status"] == "running"], where
            assert rc == 0, where
            assert took < PROMPT, where
            assert {r["agency"] for r in rows} <= slugs, where
            for r in rows:
                assert r["finished_at"] and r["status"] in ("ok", "failing"), where
                if r["finish_reason"] != "finished":  # stopped: failing, with a reason in words
                    assert r["status"] == "failing" and r["finish_reason"] == "shutdown", where
                    assert r["failure"], where
            if name != "before the reactor runs":
                assert rows, where  # the signal came after a spider opened
                seen_unfinished += sum(1 for r in rows if r["finish_reason"] == "shutdown")
    assert seen_unfinished  # the signals did interrupt crawls (not all of them ran to their end)
