"""A stand-in for `python -m crawler.run` / `python -m archive.extract.run`, for the scheduler's
mechanics tests only (timing, crashes, signals); the real children are tested end to end too.

    python tests/scheduler_standin.py crawl|extract [AGENCY ...] --db PATH [--batch ID] [...]

Env: STANDIN_SLEEP (seconds per agency), STANDIN_CRASH=crawl|extract (exit 3 part way, leaving a
row 'running'; crawl:kill = SIGKILL itself), STANDIN_LOG (append "kind start end" lines).
"""
import argparse
import os
import signal
import sqlite3
import sys
import time
from datetime import datetime, timezone

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


def now():
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind")
    p.add_argument("agencies", nargs="*")
    p.add_argument("--db")
    p.add_argument("--batch")
    p.add_argument("--all", action="store_true")
    p.add_argument("--refresh", action="store_true")
    p.add_argument("--no-polite", action="store_true")
    p.add_argument("--log-level")
    a = p.parse_args()
    signal.signal(signal.SIGINT, on_signal)
    conn = sqlite3.connect(a.db, isolation_level=None, timeout=30)
    names = (a.agencies or ["hunan_zjt", "quzhou_zjj"]) if a.kind == "crawl" else [None]
    for agency in names:
        cur = conn.execute("INSERT INTO runs (batch, kind, agency, started_at, status, pid)"
                           " VALUES (?, ?, ?, ?, 'running', ?)", [a.batch, a.kind, agency, now(), os.getpid()])
        rid = cur.lastrowid
        deadline = time.time() + float(os.environ.get("STANDIN_SLEEP", "0"))
        while time.time() < deadline and not stop:
            time.sleep(0.05)
        crash = os.environ.get("STANDIN_CRASH", "")
        if crash == a.kind:
            sys.exit(3)
        if crash == a.kind + ":kill":
            os.kill(os.getpid(), signal.SIGKILL)
        reason = "shutdown" if stop else "finished"
        conn.execute("UPDATE runs SET finished_at = ?, finish_reason = ?, status = ? WHERE id = ?",
                     [now(), reason, "ok" if not stop else "failing", rid])
        if stop:
            break
    if os.environ.get("STANDIN_LOG"):
        with open(os.environ["STANDIN_LOG"], "a") as f:
            f.write(" ".join(sys.argv[1:]) + "\n")


if __name__ == "__main__":
    main()
