"""Reliability (issue 10): write failures counted, runs that cannot be recorded noted for the next
run, a full disk, bodies verified on read and by `scheduler.py verify`, SIGKILL of the scheduler in
every form. Real components: the scheduler, crawler and extractor as processes against the replica
web, real SQLite files (one on a real, small tmpfs)."""
from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from archive.store import Archive, RunNotes
from test_crawl import rows

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable




def env(**extra) -> dict:
    e = {k: v for k, v in os.environ.items()
         if k not in ("NIANBAO_DB", "NIANBAO_CRAWL_CMD", "NIANBAO_EXTRACT_CMD", "NIANBAO_VERIFY_CMD")}
    e["PYTHONPATH"] = str(ROOT)
    return e | extra


def scheduler(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "scheduler.py", *map(str, args)], cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=timeout)


def fetch(server, url) -> bytes:
    opener = server.opener()   # http and https, the replica only
    with opener.open(url, timeout=10) as r:
        return r.read()


def bodies_sound(db) -> bool:
    return all(hashlib.sha256(b["content"]).hexdigest() == b["sha256"] and len(b["content"]) == b["size"]
               for b in rows(db, "SELECT sha256, size, content FROM bodies"))


# ---------------------------------------------------------------- a run that cannot be recorded

def test_a_run_that_could_not_be_recorded_is_said_by_status_and_recorded_by_the_next_run(tmp_path):
    """The note a crawl leaves when finish_run fails (RunNotes) is shown by status, then written into
    its row (failing, with the reason) by the next run's start, and cleared."""
    db = tmp_path / "archive.db"
    archive = Archive(db)
    run_id = archive.start_run("crawl", "quzhou_zjj")
    notes = RunNotes(db)
    assert os.path.getsize(notes.path) == RunNotes.SIZE  # reserved when the run started
    assert notes.add({"run_id": run_id, "kind": "crawl", "agency": "quzhou_zjj",
                      "error": "OperationalError: database or disk is full",
                      "fields": {"status": "failing", "errors": 7, "finish_reason": "finished",
                                 "failure": "7 capture(s) not written to the archive"}})
    assert os.path.getsize(notes.path) == RunNotes.SIZE  # written in place: no new space needed
    archive.close()
    out = scheduler("status", "--db", db).stdout
    assert "NOT RECORDED:  run 1" in out and "database or disk is full" in out
    Archive(db).start_run("crawl", "hunan_zjt")  # any run's start records every note
    (row,) = rows(db, "SELECT * FROM runs WHERE id = ?", run_id)
    assert row["status"] == "failing" and row["errors"] == 7
    assert "could not be recorded when it ended (OperationalError: database or disk is full)" in row["failure"]
    assert "7 capture(s) not written" in row["failure"]
    assert notes.read() == []
    assert "NOT RECORDED" not in scheduler("status", "--db", db).stdout


# ---------------------------------------------------------------- a full disk

@pytest.fixture
def small_disk(tmp_path):
    """A real 3 MB tmpfs (`mount -t tmpfs -o size=3M`; the tests run as root, CI too), unmounted after."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3M", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


FULL_DISK_AGENCIES = ["quzhou_zjj", "hunan_zjt", "guangxi_zjt", "xizang_zjt"]  # ~4 MB of captures


def test_a_crawl_on_a_full_disk_is_failing_with_the_write_errors_and_the_next_run_completes(small_disk, replica):
    """Mounts a 3 MB tmpfs (root) for the archive. The crawl fills it: every agency's run is failing
    with its captures that could not be written counted and said ("database or disk is full"),
    in its row or, when even that write failed, in the note beside the archive; never ok. After the
    filesystem is grown (`mount -o remount,size=64M`) the next run completes: every run ok, every
    report archived and extracted, the earlier runs recorded failing, no row running."""
    db = small_disk / "archive.db"
    first = scheduler("run", "--replica", "--db", db, *FULL_DISK_AGENCIES)
    assert "database or disk is full" in first.stdout + first.stderr
    crawl_rows = {r["agency"]: r for r in rows(db, "SELECT * FROM runs WHERE kind = 'crawl'")}
    noted = {n["agency"]: n for n in RunNotes(db).read()}
    assert set(crawl_rows) | set(noted) == set(FULL_DISK_AGENCIES)
    write_errors = 0
    for agency in FULL_DISK_AGENCIES:
        if agency in noted:  # even its row could not be written
            fields = noted[agency]["fields"]
            assert "database or disk is full" in noted[agency]["error"]
        else:  # its row (written by the crawler, or from its note once the scheduler could)
            fields = crawl_rows[agency]
            if fields["stats"]:
                assert json.loads(fields["stats"])["nianbao/write_errors"] > 0
        assert fields["status"] != "ok", (agency, fields)
        assert "database or disk is full" in fields["failure"]
        n = int(re.search(r"(\d+) capture\(s\) not written to the archive", fields["failure"])[1])
        assert 0 < n <= fields["errors"]
        write_errors += n
    assert write_errors > 0
    assert first.returncode != 0 or all(r["status"] != "ok" for r in crawl_rows.values())
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok" and bodies_sound(db)

    subprocess.run(["mount", "-o", "remount,size=64M", str(small_disk)], check=True)
    before = max(r["id"] for r in rows(db, "SELECT id FROM runs")) if rows(db, "SELECT id FROM runs") else 0
    second = scheduler("run", "--replica", "--db", db, *FULL_DISK_AGENCIES)
    assert second.returncode == 0, second.stdout + second.stderr
    new = rows(db, "SELECT * FROM runs WHERE id > ? AND kind IN ('crawl', 'extract')", before)
    assert sorted(r["agency"] or "" for r in new) == sorted(["", *FULL_DISK_AGENCIES])
    assert all(r["status"] == "ok" for r in new), new
    old = rows(db, "SELECT * FROM runs WHERE id <= ? AND kind = 'crawl'", before)
    assert {r["agency"] for r in old} == set(FULL_DISK_AGENCIES)
    assert all(r["status"] in ("failing", "failed") and "not written" in (r["failure"] or "") for r in old), old
    assert not rows(db, "SELECT id FROM runs WHERE status = 'running'")
    assert RunNotes(db).read() == []
    held = {u for r in rows(db, "SELECT url, final_url FROM captures WHERE kind = 'report'"
                                " AND body_sha256 IS NOT NULL AND error IS NULL") for u in r.values()}
    assert [u for a in FULL_DISK_AGENCIES for u in replica.urls(a) if u not in held] == []
    assert not rows(db, "SELECT id FROM captures c WHERE kind IN ('report', 'attachment') AND status = 200"
                        " AND body_sha256 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM extractions e"
                        " WHERE e.capture_id = c.id)")
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok" and bodies_sound(db)


# ---------------------------------------------------------------- bodies verified on read

def _capture(archive, run_id, url, body):
    return archive.add_capture({"run_id": run_id, "agency": "quzhou_zjj", "url": url, "final_url": url,
                                "method": "GET", "status": 200, "headers": {"Content-Type": ["text/html; charset=utf-8"]},
                                "content_type": "text/html; charset=utf-8", "encoding": "utf-8",
                                "fetch_mode": "http", "kind": "report"}, body)


def _flip_on_disk(db: Path, marker: bytes) -> None:
    """Change one byte of the file where `marker` is stored (the archive closed, WAL checkpointed)."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    data = db.read_bytes()
    assert data.count(marker) == 1
    at = data.index(marker) + len(marker) - 1
    with open(db, "r+b") as f:
        f.seek(at)
        f.write(bytes([data[at] ^ 0x01]))


def test_a_body_altered_on_disk_is_reported_by_verify_and_the_extractor_and_not_extracted(tmp_path, replica):
    from archive.extract.run import run_extract
    from crawler.registry import agencies
    truth = [t for t in replica.truth() if t["agency"] == "quzhou_zjj" and t["stats_in"] == "page"][:2]
    db = tmp_path / "archive.db"
    archive = Archive(db)
    archive.sync_agencies(agencies().values())
    run = archive.start_run("crawl", "quzhou_zjj")
    bodies = {}
    for i, t in enumerate(truth):
        body = fetch(replica, t["url"])
        if i == 0:  # the one to rot: a marker found nowhere else in the file
            body = body.replace(b"</body>", "<p>校验标记ZQX</p></body>".encode())
        bodies[t["url"]] = body
        _capture(archive, run, t["url"], body)
    archive.finish_run(run, status="ok")
    archive.close()
    rotten, good = (hashlib.sha256(bodies[t["url"]]).hexdigest() for t in truth)
    _flip_on_disk(db, "校验标记ZQX".encode())

    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"  # SQLite cannot see it
    ver = scheduler("verify", "--db", db)
    assert ver.returncode == 1, ver.stdout + ver.stderr
    assert f"MISMATCH body {rotten}" in ver.stdout and good not in ver.stdout
    (vrow,) = rows(db, "SELECT * FROM runs WHERE kind = 'verify'")
    assert vrow["status"] == "failing" and vrow["errors"] == 1 and rotten in vrow["failure"]

    counts = run_extract(db)
    ext = {r["url"]: r for r in rows(db, "SELECT c.url, e.status, e.error FROM extractions e"
                                         " JOIN captures c ON c.id = e.capture_id")}
    assert ext[truth[0]["url"]]["status"] == "error"
    assert ext[truth[0]["url"]]["error"].startswith("ExtractError: body sha256 mismatch")
    assert ext[truth[1]["url"]]["status"] == "ok"   # the intact one, the control
    assert counts["error"] == 1
    assert [r["year"] for r in rows(db, "SELECT year FROM reports")] == [truth[1]["year"]]


def test_verify_reads_a_rolling_sample_round_the_archive(tmp_path):
    from archive.verify import verify
    db = tmp_path / "archive.db"
    from crawler.registry import agencies
    archive = Archive(db)
    archive.sync_agencies(agencies().values())
    run = archive.start_run("crawl", "quzhou_zjj")
    for i in range(5):
        _capture(archive, run, f"http://zjj.qz.gov.cn/r{i}.html", f"<p>body {i}</p>".encode())
    archive.close()
    seen = []
    for _ in range(3):
        v = verify(db, sample=2, echo=lambda m: None)
        assert v.ok and v.checked == 2
        seen.append(v.next_rowid)
    assert seen == [2, 4, 1]   # 1-2, 3-4, then 5 and round to 1
    assert [r["status"] for r in rows(db, "SELECT status FROM runs WHERE kind = 'verify'")] == ["ok"] * 3
    assert verify(db, echo=lambda m: None).checked == 5


# ---------------------------------------------------------------- SIGKILL trials

# the case first: the scheduler's process group killed while the crawl child works
KILL_PLAN = [("run", "crawl", "group"), ("nightly", "extraction", "scheduler"),
             ("run", "extraction", "tree"), ("nightly", "crawl", "group")]


def test_sigkill_trials_leave_a_sound_archive_and_the_next_run_completes(tmp_path):
    """Four of bench/killtrials.py's trials (the bench runs 20): the scheduler (`run` and the nightly
    job) SIGKILLed during the crawl or the extraction, alone, with its process group or with the
    whole tree. No process survives it, the lock is free, the archive passes integrity_check with
    every body matching, and the next run completes everything with no row left running."""
    import random
    sys.path.insert(0, str(ROOT))
    from bench import killtrials
    agencies = ["quzhou_zjj"]
    killtrials.REGISTRY["NIANBAO_REGISTRY"] = str(killtrials.subset_registry(agencies, tmp_path))
    expected = killtrials.expected_reports(agencies)
    rng = random.Random(10)
    results = [killtrials.run_trial(i + 1, tmp_path, agencies, form, phase, how, rng, expected)
               for i, (form, phase, how) in enumerate(KILL_PLAN)]
    table = "\n".join([killtrials.HEADER, *map(killtrials.format_trial, results)])
    assert all(t.ok for t in results), table
    assert {t.killed_in for t in results} >= {"crawl", "extraction"}, table


def test_a_refusal_names_the_lock_holder_and_says_when_its_starter_is_gone(tmp_path):
    """The lock file names the scheduler, then its child: a lock held by a child whose scheduler is
    dead (what PR_SET_PDEATHSIG now prevents) is refused saying so, not naming the dead pid alone."""
    from batch import ArchiveLock, BatchError
    db = tmp_path / "archive.db"
    holder = subprocess.Popen([PY, "-c", f"""
import fcntl, os, sys, time
fd = os.open({str(db) + '.lock'!r}, os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.pwrite(fd, f"999999999\\n{{os.getpid()}}\\n".encode(), 0)
print("locked", flush=True)
time.sleep(60)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BatchError) as e:
            ArchiveLock(db).acquire()
        assert str(e.value) == (f"archive.db is in use by another run (pid 999999999, gone; "
                                f"its child pid {holder.pid} still holds the lock)")
    finally:
        holder.kill()
        holder.wait()
    with ArchiveLock(db) as lock:   # free again once the holder is gone
        assert Path(lock.path).read_text() == f"{os.getpid()}\n"
