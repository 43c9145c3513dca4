"""scheduler.py: the real APScheduler process, its signals, its bookkeeping and its clear failures.

The crawl and extract children here are a small stand-in (tests/scheduler_standin.py, through
NIANBAO_CRAWL_CMD / NIANBAO_EXTRACT_CMD) so timing, crashes and signals can be controlled; the real
crawler and extractor against the replica web are in tests/test_scheduler_e2e.py.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
STANDIN = [PY, str(ROOT / "tests" / "scheduler_standin.py")]
TZ = ZoneInfo("Asia/Shanghai")


def standin_env(**extra) -> dict:
    env = dict(os.environ)
    env["NIANBAO_CRAWL_CMD"] = " ".join([*STANDIN, "crawl"])
    env["NIANBAO_EXTRACT_CMD"] = " ".join([*STANDIN, "extract"])
    env.pop("NIANBAO_DB", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def cli(*args, env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "scheduler.py", *map(str, args)], cwd=ROOT, env=env or standin_env(),
                          capture_output=True, text=True, timeout=timeout)


def start_scheduler(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen([PY, "scheduler.py", *map(str, args)], cwd=ROOT, env=env or standin_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def runs(db) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]
    finally:
        conn.close()


def wait_for(cond, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = cond()
        except sqlite3.OperationalError:  # the table is not there yet
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc: subprocess.Popen, sig=signal.SIGTERM, timeout=30) -> tuple[int, str]:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


# ---------------------------------------------------------------- the scheduler process

def test_nightly_job_crawls_then_extracts_once_and_stops_cleanly(tmp_path):
    db = tmp_path / "archive.db"
    proc = start_scheduler("--db", db, "--first-run-in", 1, env=standin_env(STANDIN_SLEEP=0.3))
    try:
        wait_for(lambda: any(r["kind"] == "extract" and r["finished_at"] for r in runs(db)),
                 what="the extract run")
        time.sleep(1.5)  # a second run would have started by now if there were one
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    assert out.strip().splitlines()[-1].endswith("scheduler stopped cleanly")
    rows = runs(db)
    crawls = [r for r in rows if r["kind"] == "crawl"]
    extracts = [r for r in rows if r["kind"] == "extract"]
    assert {r["agency"] for r in crawls} == {"hunan_zjt", "quzhou_zjj"}  # the stand-in's "all"
    assert len(extracts) == 1 and len(crawls) == 2
    assert max(r["finished_at"] for r in crawls) <= extracts[0]["started_at"]
    assert {r["batch"] for r in crawls} == {crawls[0]["batch"]} and crawls[0]["batch"].startswith("nightly-")
    assert not [r for r in rows if r["status"] == "running"]


def test_run_missed_within_grace_runs_once(tmp_path):
    """The first fire time is already 20 s past at start: within the grace time, one run (coalesced)."""
    db = tmp_path / "archive.db"
    proc = start_scheduler("--db", db, "--first-run-in", -20, "--misfire-grace-time", 3600)
    try:
        wait_for(lambda: any(r["kind"] == "extract" for r in runs(db)), what="the extract run")
        time.sleep(1.5)
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    rows = runs(db)
    assert [r["kind"] for r in rows] == ["crawl", "crawl", "extract", "verify"]  # verify: a rolling sample
    assert not [r for r in rows if r["kind"] == "missed"]


def test_run_missed_beyond_grace_is_recorded_as_missed(tmp_path):
    db = tmp_path / "archive.db"
    proc = start_scheduler("--db", db, "--first-run-in", -30, "--misfire-grace-time", 5)
    try:
        missed = wait_for(lambda: [r for r in runs(db) if r["kind"] == "missed"], what="a missed row")
        time.sleep(1.0)
    finally:
        rc, out = stop(proc, signal.SIGINT)
    assert rc == 0, out
    assert len(missed) == 1 and missed[0]["status"] == "missed"
    assert "misfire grace time 5 s" in missed[0]["failure"]
    assert [r["kind"] for r in runs(db)] == ["missed"]  # nothing crawled


def test_scheduler_survives_a_crashing_crawl(tmp_path):
    """The crawl child dies by SIGKILL: recorded as failed, its 'running' row closed, extract still
    runs, and the scheduler still answers SIGTERM with a clean exit."""
    db = tmp_path / "archive.db"
    proc = start_scheduler("--db", db, "--first-run-in", 1, env=standin_env(STANDIN_CRASH="crawl:kill"))
    try:
        # the night's last step is the verify sample: stop after it, not while it runs
        wait_for(lambda: any(r["kind"] == "verify" and r["finished_at"] for r in runs(db)),
                 what="the extract and verify runs after the crash")
        assert any(r["kind"] == "extract" and r["finished_at"] for r in runs(db))
        assert proc.poll() is None, "the scheduler died with its child"
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    rows = runs(db)
    failed = [r for r in rows if r["kind"] == "failed"]
    assert len(failed) == 1 and "killed by SIGKILL" in failed[0]["failure"]
    crawl = [r for r in rows if r["kind"] == "crawl"]
    assert len(crawl) == 1 and crawl[0]["status"] == "failed" and crawl[0]["finished_at"]
    assert not [r for r in rows if r["status"] == "running"]


def test_sigterm_during_a_crawl_stops_the_child_gracefully(tmp_path):
    """SIGTERM while the crawl child works: the child gets SIGINT (Scrapy's graceful stop) and closes
    its row itself; no extract starts; the scheduler exits 0."""
    db = tmp_path / "archive.db"
    proc = start_scheduler("--db", db, "--first-run-in", 0, env=standin_env(STANDIN_SLEEP=30))
    try:
        wait_for(lambda: any(r["kind"] == "crawl" for r in runs(db)), what="the crawl row")
        t0 = time.monotonic()
    finally:
        rc, out = stop(proc)
    assert rc == 0, out
    assert time.monotonic() - t0 < 15
    rows = runs(db)
    assert [r["kind"] for r in rows] == ["crawl"]
    assert rows[0]["finish_reason"] == "shutdown" and rows[0]["finished_at"]
    assert "scheduler stopped cleanly" in out.splitlines()[-1]


def test_missed_night_is_caught_up_after_a_restart(tmp_path):
    """The archive shows nightly runs before, none since the last scheduled time: a restart within the
    grace time runs it at once (the job's first next_run_time is the missed time)."""
    import scheduler
    from archive.db import open_db
    db = tmp_path / "archive.db"
    now = datetime(2026, 3, 10, 4, 0, tzinfo=TZ)
    trigger = scheduler.nightly_trigger("02:30", "1-4", "mon")
    d = open_db(db)
    d["runs"].insert({"kind": "crawl", "batch": "nightly-20260308T183000Z", "status": "ok"})
    d.conn.close()
    assert scheduler.missed_night(trigger, str(db), now) == datetime(2026, 3, 10, 2, 30, tzinfo=TZ)
    d = open_db(db)
    d["runs"].insert({"kind": "crawl", "batch": "nightly-20260309T183000Z", "status": "ok"})  # 02:30 CST
    d.conn.close()
    assert scheduler.missed_night(trigger, str(db), now) is None
    assert scheduler.missed_night(trigger, str(tmp_path / "fresh.db"), now) is None


def test_nightly_trigger_is_daily_in_season_weekly_otherwise():
    import scheduler
    trigger = scheduler.nightly_trigger("02:30", "1-4", "mon")
    fires, t = [], datetime(2026, 4, 28, 12, 0, tzinfo=TZ)
    for _ in range(5):
        t = trigger.get_next_fire_time(None, t + timedelta(seconds=1))
        fires.append(t)
    assert [f.strftime("%m-%d %H:%M %a") for f in fires] == [
        "04-29 02:30 Wed", "04-30 02:30 Thu", "05-04 02:30 Mon", "05-11 02:30 Mon", "05-18 02:30 Mon"]


# ---------------------------------------------------------------- manual runs and clear failures

def test_manual_run_prints_summary_from_runs(tmp_path):
    db = tmp_path / "archive.db"
    r = cli("run", "quzhou_zjj", "--db", db)
    assert r.returncode == 0, r.stderr
    rows = runs(db)
    assert [(x["kind"], x["agency"]) for x in rows] == [("crawl", "quzhou_zjj"), ("extract", None)]
    table = r.stdout.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("agency"))
    assert table[header + 1].split() == ["quzhou_zjj", "0", "0", "0", "0", "ok"]


def test_unknown_agency(tmp_path):
    db = tmp_path / "archive.db"
    r = cli("run", "quzhou_zjj", "nosuch_agency", "--db", db)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]  # one line
    assert "unknown agency: nosuch_agency" in r.stderr
    assert not db.exists()


@pytest.mark.parametrize("command", [["run", "quzhou_zjj"], ["extract"], ["status"], []])
def test_corrupt_database(tmp_path, command):
    db = tmp_path / "archive.db"
    text = "this is not a database\n" * 50
    db.write_text(text)
    r = cli(*command, "--db", db)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "archive.db is not an SQLite database" in r.stderr
    assert db.read_text() == text  # untouched
    assert not Path(f"{db}-wal").exists()


def test_truncated_database(tmp_path):
    """A real SQLite file cut short: sqlite says malformed; one clear line, the file untouched."""
    db = tmp_path / "archive.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.commit()
    conn.close()
    data = db.read_bytes()[: 4096 * 3]
    db.write_bytes(data)
    r = cli("run", "quzhou_zjj", "--db", db)
    assert r.returncode == 2, r.stdout + r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "archive.db" in r.stderr
    assert db.read_bytes() == data


@pytest.fixture
def lock_holder(tmp_path):
    """Another process holding tmp_path/archive.db's lock as the documented protocol says (flock on
    <db>.lock, its pid inside); released when the test ends or calls release()."""
    db = tmp_path / "archive.db"
    holder = subprocess.Popen([PY, "-c", f"""
import fcntl, os, time
fd = os.open({str(db) + '.lock'!r}, os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, str(os.getpid()).encode())
print("locked", flush=True)
time.sleep(60)
"""], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"

    def release():
        holder.kill()
        holder.wait()
    holder.release = release
    yield holder
    release()


def test_database_in_use(tmp_path, lock_holder):
    """Another process holds the lock: every command says so in one line and writes nothing."""
    db = tmp_path / "archive.db"
    holder = lock_holder
    r = cli("run", "quzhou_zjj", "--db", db)
    r2 = cli("extract", "--db", db)
    holder.release()
    for res in (r, r2):
        assert res.returncode == 2
        assert res.stderr.strip() == f"error: archive.db is in use by another run (pid {holder.pid})"
    assert runs(db) == []  # nothing ran
    r3 = cli("run", "quzhou_zjj", "--db", db)  # the lock is free again
    assert r3.returncode == 0, r3.stderr


def test_chromium_missing(tmp_path):
    db = tmp_path / "archive.db"
    env = standin_env(NIANBAO_CHROMIUM=str(tmp_path / "no-chromium"))
    r = cli("run", "suizhou_zjw", "--db", db, env=env)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Chromium not found at" in r.stderr and "suizhou_zjw" in r.stderr
    r = cli("--db", db, env=env)  # the scheduler crawls every agency, suizhou_zjw included
    assert r.returncode == 2 and "Chromium not found" in r.stderr
    assert runs(db) == []
    r = cli("run", "quzhou_zjj", "--db", db, env=env)  # no browser needed
    assert r.returncode == 0, r.stderr


def test_help_at_every_level():
    for args, words in [([], ["run", "extract", "status", "--at", "--season", "--replica"]),
                        (["run"], ["AGENCY", "--replica", "--refresh"]),
                        (["extract"], ["--all"]), (["status"], ["--json"])]:
        r = cli(*args, "--help")
        assert r.returncode == 0
        for w in words:
            assert w in r.stdout, (args, w)


def test_nightly_job_on_a_locked_archive_is_recorded_as_failed(tmp_path, lock_holder):
    """A manual run holds the archive when the nightly job fires: the job fails with the clear reason
    (EVENT_JOB_ERROR -> runs kind failed), nothing is crawled, the scheduler goes on."""
    db = tmp_path / "archive.db"
    holder = lock_holder
    proc = start_scheduler("--db", db, "--first-run-in", 0)
    try:
        failed = wait_for(lambda: [r for r in runs(db) if r["kind"] == "failed"], what="a failed row")
        assert proc.poll() is None
    finally:
        rc, out = stop(proc)
    holder.release()
    assert rc == 0, out
    assert failed[0]["failure"] == f"archive.db is in use by another run (pid {holder.pid})"
    assert [r["kind"] for r in runs(db)] == ["failed"]


def test_extract_command_passes_all(tmp_path):
    db = tmp_path / "archive.db"
    log = tmp_path / "children.log"
    r = cli("extract", "--all", "--db", db, env=standin_env(STANDIN_LOG=log))
    assert r.returncode == 0, r.stderr
    assert [x["kind"] for x in runs(db)] == ["extract"]
    assert log.read_text().split() == ["extract", "--db", str(db), "--all"]
    assert "extract: ok" in r.stdout


@pytest.mark.parametrize("option", [["--at", "25:00"], ["--season", "13"], ["--off-season-day", "funday"]])
def test_bad_schedule(tmp_path, option):
    r = cli("--db", tmp_path / "archive.db", *option)
    assert r.returncode == 2 and r.stderr.startswith("error: bad schedule")
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "archive.db").exists()
