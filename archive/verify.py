"""Verify the archive: SQLite's integrity check, and every body against its sha256 (or a rolling sample).

    python -m archive.verify [--db PATH] [--sample N]        (scheduler.py verify: the same, under the lock)
    verify(db_path, sample=None, echo=print) -> Verdict

Bodies are content-addressed and never rewritten, so a body whose bytes no longer hash to its key
(or whose size no longer matches) has rotted on disk or been altered: each one is printed and
counted. With `--sample N` only N bodies are read, continuing after the last body the previous
verify run read (its `stats.next_rowid`), wrapping round, so successive nightly runs cover the whole
archive. One `runs` row of kind `verify`: status ok, or failing with the mismatches in `failure`;
`errors` = mismatches (+1 for a failed integrity check). Exit 0 when all is well, 1 otherwise.
SIGINT/SIGTERM stop it early (the integrity check is interrupted): the row says so, exit 0.
"""
from __future__ import annotations

import signal

STOP = []   # SIGINT/SIGTERM (the scheduler's graceful stop): finish the row and exit 0, as early as can be


def _stop(signum, frame):
    STOP.append(signum)


if __name__ == "__main__":  # before the imports: a stop right at start-up is not a KeyboardInterrupt
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    # the scheduler starts us with both blocked (batch.die_with_parent): one that came early lands now
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

from archive.db import DEFAULT_DB, open_db  # noqa: E402
from archive.store import open_run, sha256, utcnow  # noqa: E402


@dataclass
class Verdict:
    integrity: str = "ok"
    checked: int = 0
    total: int = 0
    mismatches: list[str] = field(default_factory=list)
    run_id: int | None = None
    next_rowid: int = 0
    stopped: bool = False

    @property
    def ok(self) -> bool:
        """Nothing wrong found (a stopped run that found nothing wrong is ok)."""
        return (self.integrity == "ok" or self.stopped) and not self.mismatches

    def line(self) -> str:
        return (f"verify: {'ok' if self.ok else 'FAILING'}: integrity_check {self.integrity}; "
                f"{self.checked} of {self.total} bodies read, {len(self.mismatches)} mismatch(es)")


def _start_rowid(db) -> int:
    """Where the last verify run stopped (its stats.next_rowid), 0 for the first."""
    row = db.execute("SELECT stats FROM runs WHERE kind = 'verify' AND status != 'running' AND stats IS NOT NULL"
                     " ORDER BY id DESC LIMIT 1").fetchone()
    try:
        return int(json.loads(row[0]).get("next_rowid", 0)) if row else 0
    except (ValueError, TypeError, AttributeError):
        return 0


def _bodies(db, start: int, limit: int | None):
    """(rowid, sha256, size, content) from rowid > start, wrapping round, at most `limit` (None: all)."""
    taken, last, wrapped = 0, start, False
    while limit is None or taken < limit:
        rows = db.execute("SELECT rowid, sha256, size, content FROM bodies WHERE rowid > ? ORDER BY rowid"
                          " LIMIT 1", [last]).fetchall()  # one body in memory at a time
        if not rows:
            if wrapped or start == 0:
                return
            wrapped, last = True, 0
            continue
        row = rows[0]
        if wrapped and row[0] > start:
            return
        yield row
        taken += 1
        last = row[0]


def verify(db_path=DEFAULT_DB, *, sample: int | None = None, batch: str | None = None,
           echo=print) -> Verdict:
    db = open_db(db_path)
    verdict = Verdict()
    try:
        verdict.run_id = open_run(db, "verify", None, batch)
        db.conn.set_progress_handler(lambda: bool(STOP), 10_000)  # a stop interrupts integrity_check
        try:
            problems = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
            verdict.integrity = "ok" if problems == ["ok"] else "; ".join(problems[:20])
        except sqlite3.OperationalError:
            if not STOP:
                raise
            verdict.integrity = "not finished (stopped)"
        db.conn.set_progress_handler(None, 0)
        if verdict.integrity != "ok":
            echo(f"integrity_check: {verdict.integrity}")
        verdict.total = db.execute("SELECT count(*) FROM bodies").fetchone()[0]
        start = _start_rowid(db) if sample is not None else 0
        verdict.next_rowid = start
        for rowid, sha, size, content in _bodies(db, start, sample):
            if STOP:
                break
            verdict.checked += 1
            verdict.next_rowid = rowid
            content = bytes(content) if content is not None else b""
            actual = sha256(content)
            if actual != sha or (size is not None and size != len(content)):
                why = f"body {sha}: bytes hash to {actual}, {len(content)} bytes (size says {size})"
                verdict.mismatches.append(why)
                echo(f"MISMATCH {why}; captures: " + ", ".join(
                    str(r[0]) for r in db.execute("SELECT id FROM captures WHERE body_sha256 = ? LIMIT 10", [sha])))
        verdict.stopped = bool(STOP)
        integrity_failed = verdict.integrity != "ok" and not verdict.stopped
        failure = "; ".join((["stopped before the end"] if verdict.stopped else [])
                            + ([f"integrity_check: {verdict.integrity}"] if integrity_failed else [])
                            + verdict.mismatches[:20]) or None
        status = "failing" if verdict.mismatches or integrity_failed else "ok"
        db["runs"].update(verdict.run_id, {
            "finished_at": utcnow(), "finish_reason": "shutdown" if verdict.stopped else "finished",
            "status": status,
            "responses": verdict.checked, "errors": len(verdict.mismatches) + integrity_failed,
            "failure": failure,
            "stats": json.dumps({"integrity": verdict.integrity, "checked": verdict.checked,
                                 "total": verdict.total, "sample": sample, "next_rowid": verdict.next_rowid,
                                 "mismatches": len(verdict.mismatches)})})
    finally:
        db.conn.close()
    echo(verdict.line())
    return verdict


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m archive.verify", description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=DEFAULT_DB, help=f"archive SQLite file (default {DEFAULT_DB})")
    ap.add_argument("--sample", type=int, metavar="N",
                    help="read only N bodies, continuing where the last verify run stopped")
    ap.add_argument("--batch", help="batch id recorded on the runs row (default $NIANBAO_BATCH)")
    args = ap.parse_args(argv)
    verdict = verify(args.db, sample=args.sample, batch=args.batch or os.environ.get("NIANBAO_BATCH"),
                     echo=lambda m: print(m, flush=True))
    for sig in (signal.SIGINT, signal.SIGTERM):  # Python restores the defaults while it finalizes
        signal.signal(sig, signal.SIG_IGN)
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
