"""Progress of a long batch on stderr, read from the archive while a child process writes it.

`Runner` (batch.py) wraps the crawl and the extract children in a `Progress`: a thread that polls
the archive every second over a read-only connection (`mode=ro`: it can never take a write lock;
WAL lets it read while the child writes; each poll is a few short queries on new rows only, by
rowid, so it costs the same on a large archive as on a small one) and shows

- crawl: agencies done of total (their `runs` rows closed), pages fetched (captures), new reports
  (a report page's first body), unchanged pages (revisits), failed fetches, elapsed time and an
  estimate of the time left: pages still to come at the rate so far, the pages expected being those
  of each agency's previous run (`nianbao/captures` in its stats); no estimate before a first run.
  All of a batch's agencies are crawled by one spider at once, and their rows close together when
  it ends: agencies done moves at the end, pages all along.
- extract: captures extracted of those the pass has to do (counted once at its start), errors.

On a terminal (the stream is a TTY) it is a live tqdm bar; otherwise (a log, the journal) one plain
line every `every` seconds, and a last one when the child ends, so a log always shows the final count.
"""
from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from archive.status import TZ

POLL = 1.0   # seconds between reads of the archive


def hms(seconds: float | None) -> str:
    """3725 -> '1:02:05', 65 -> '1:05'; None -> '?'."""
    if seconds is None:
        return "?"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _times(elapsed: float, left: float | None, final: bool) -> str:
    return f"took {hms(elapsed)}" if final else f"{hms(elapsed)} elapsed, ~{hms(left)} left"


def connect_ro(db_path) -> sqlite3.Connection:
    """A read-only connection (never a write lock); a short busy timeout, a poll can be skipped."""
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=2, isolation_level=None, check_same_thread=False)


@dataclass
class CrawlCounts:
    agencies_total: int | None = None
    agencies_done: int = 0
    pages: int = 0
    expected: int | None = None     # pages the agencies' previous runs fetched; None: unknown
    new_reports: int = 0
    unchanged: int = 0
    errors: int = 0
    elapsed: float = 0.0

    @property
    def left(self) -> float | None:
        """Seconds left at the rate so far, or None (no estimate yet)."""
        if not self.expected or not self.pages or self.pages >= self.expected or self.elapsed < 1:
            return None
        return self.elapsed * (self.expected - self.pages) / self.pages

    def line(self, final: bool = False) -> str:
        total = "?" if self.agencies_total is None else self.agencies_total
        pages = f"{self.pages} pages" + (f" of ~{self.expected}" if self.expected and not final else "")
        return (f"crawl: {self.agencies_done}/{total} agencies done, {pages}, {self.new_reports} new reports, "
                f"{self.unchanged} unchanged, {self.errors} errors; " + _times(self.elapsed, self.left, final))

    def postfix(self) -> str:
        total = "?" if self.agencies_total is None else self.agencies_total
        return (f"agencies {self.agencies_done}/{total}, {self.new_reports} new reports, "
                f"{self.unchanged} unchanged, {self.errors} errors")


@dataclass
class ExtractCounts:
    total: int = 0
    done: int = 0
    errors: int = 0
    elapsed: float = 0.0

    @property
    def left(self) -> float | None:
        if not self.done or self.done >= self.total or self.elapsed < 1:
            return None
        return self.elapsed * (self.total - self.done) / self.done

    def line(self, final: bool = False) -> str:
        return (f"extract: {self.done}/{self.total} captures, {self.errors} errors; "
                + _times(self.elapsed, self.left, final))

    def postfix(self) -> str:
        return f"{self.errors} errors"


class CrawlWatch:
    """The crawl's counts from the rows written after the watermarks taken at the start."""

    def __init__(self, conn: sqlite3.Connection, agencies: list[str] | None):
        self.conn = conn
        self.run_floor = conn.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
        self.last_capture = conn.execute("SELECT coalesce(max(id), 0) FROM captures").fetchone()[0]
        self.counts = CrawlCounts(agencies_total=len(agencies) if agencies else None)
        self.run_ids: set[int] = set()     # this batch's crawl runs
        self.seen_runs: set[int] = set()   # every run row after the watermark, as last read
        self._expected_for: frozenset = frozenset()

    def poll(self) -> CrawlCounts:
        c = self.counts
        rows = self.conn.execute("SELECT id, kind, agency, status FROM runs WHERE id > ?",
                                 [self.run_floor]).fetchall()
        self.seen_runs = {r[0] for r in rows}
        runs = [(rid, agency, status) for rid, kind, agency, status in rows if kind == "crawl"]
        if runs:
            self.run_ids = {r[0] for r in runs}
            c.agencies_total = len(runs)
            c.agencies_done = sum(r[2] != "running" for r in runs)
            agencies = frozenset(r[1] for r in runs)
            if agencies != self._expected_for:
                self._expected_for = agencies
                c.expected = self.expected(agencies)
        rows = self.conn.execute(
            "SELECT id, run_id, agency, kind, url, body_sha256, revisit_of, error, fetch_mode FROM captures"
            " WHERE id > ? ORDER BY id", [self.last_capture]).fetchall()
        for cid, run_id, agency, kind, url, sha, revisit, error, mode in rows:
            if run_id not in self.run_ids:
                if run_id is not None and run_id > self.run_floor and run_id not in self.seen_runs:
                    break   # its run row was committed after the read above: count it at the next poll
                self.last_capture = cid
                continue
            self.last_capture = cid
            if mode == "rendered":   # Chromium's DOM beside a page already counted
                continue
            c.pages += 1
            if revisit is not None:
                c.unchanged += 1
            if error and error != "soft 404":
                c.errors += 1
            if kind == "report" and agency and sha and revisit is None and not error:
                earlier = self.conn.execute(
                    "SELECT 1 FROM captures WHERE url = ? AND id < ? AND body_sha256 IS NOT NULL LIMIT 1",
                    [url, cid]).fetchone()
                c.new_reports += earlier is None
        if c.expected is not None and c.pages > c.expected:
            c.expected = c.pages
        return c

    def expected(self, agencies) -> int | None:
        """Pages of each agency's previous finished crawl run (its own count), summed; None when
        one of them has never run (no estimate rather than a wrong one)."""
        total = 0
        for agency in agencies:
            row = self.conn.execute(
                "SELECT stats FROM runs WHERE kind = 'crawl' AND agency = ? AND id <= ?"
                " AND status NOT IN ('running', 'failed') ORDER BY id DESC LIMIT 1",
                [agency, self.run_floor]).fetchone()
            try:
                pages = json.loads(row[0]).get("nianbao/captures") if row and row[0] else None
            except ValueError:
                pages = None
            if not pages:
                return None
            total += int(pages)
        return total or None


class ExtractWatch:
    """The extract pass: captures to do (the pass's own selection), and the extractions rows written
    since the start (rowid grows with every insert or replace)."""

    def __init__(self, conn: sqlite3.Connection, all: bool):
        from archive.extract import EXTRACTOR_VERSION
        self.conn, self.version, self.all = conn, EXTRACTOR_VERSION, all
        self.floor = conn.execute("SELECT coalesce(max(rowid), 0) FROM extractions").fetchone()[0]
        self.counts = ExtractCounts()
        self.total: int | None = None

    def _done(self) -> tuple[int, int]:
        return self.conn.execute(
            "SELECT count(*), coalesce(sum(status = 'error'), 0) FROM extractions"
            " WHERE rowid > ? AND extractor_version = ?", [self.floor, self.version]).fetchone()

    def _total(self) -> int:
        """Counted at the first poll, not before the child starts (a scan of the captures): in one
        snapshot, the selection still to do plus what the pass did since the start."""
        sql = ("SELECT count(*) FROM captures WHERE kind IN ('report', 'attachment') AND status = 200"
               " AND body_sha256 IS NOT NULL")
        if self.all:
            return self.conn.execute(sql).fetchone()[0]
        sql += (" AND NOT EXISTS (SELECT 1 FROM extractions e WHERE e.capture_id = captures.id"
                " AND e.extractor_version = ?)")
        self.conn.execute("BEGIN")
        try:
            return self.conn.execute(sql, [self.version]).fetchone()[0] + self._done()[0]
        finally:
            self.conn.execute("COMMIT")

    def poll(self) -> ExtractCounts:
        if self.total is None:
            self.total = self._total()
        done, errors = self._done()
        c = self.counts
        # rows can exceed the selection (a new page's older attachments are recorded again with it)
        c.total, c.done, c.errors = self.total, min(done, self.total), errors
        return c


class Progress:
    """Shows a child's progress until `stop()`; `every` seconds between plain lines (0: nothing at all).

        with Progress(db, "crawl", agencies=[...], every=60):
            run the child
    """

    def __init__(self, db_path, kind: str, *, agencies: list[str] | None = None, all: bool = False,
                 every: float = 60.0, stream=None, poll: float = POLL):
        self.db_path, self.kind, self.agencies, self.all = db_path, kind, agencies, all
        self.every, self.poll_interval = every, poll
        self.stream = stream or sys.stderr
        self.tty = _isatty(self.stream)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar = None
        self.watch = None
        self.conn: sqlite3.Connection | None = None
        self.started = time.monotonic()
        self.lines: list[str] = []   # the plain lines written (for tests and the last line)

    def start(self) -> "Progress":
        if self.every <= 0:
            return self
        try:   # the watermarks, before the child writes anything
            self.conn = connect_ro(self.db_path)
            self.watch = (CrawlWatch(self.conn, self.agencies) if self.kind == "crawl"
                          else ExtractWatch(self.conn, self.all))
        except sqlite3.Error as e:
            self._write(f"{self.kind}: no progress shown ({e})")
            self.close_conn()
            return self
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name=f"progress-{self.kind}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """After the child ended (and its rows were closed): one last read, the final line or bar."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        counts = self._read()
        if counts is not None:
            if self.tty:
                self._update_bar(counts, final=True)
            else:
                self._write(counts.line(final=True))
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self.close_conn()

    def close_conn(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    __enter__ = start

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the thread
    def _loop(self) -> None:
        next_line = time.monotonic() + self.every
        while not self._stop.wait(self.poll_interval):
            counts = self._read()
            if counts is None:
                continue
            if self.tty:
                self._update_bar(counts)
            elif time.monotonic() >= next_line:
                self._write(counts.line())
                next_line = time.monotonic() + self.every

    def _read(self):
        try:
            counts = self.watch.poll()
        except sqlite3.Error:   # busy for a moment (a checkpoint): the next poll catches up
            return None
        counts.elapsed = time.monotonic() - self.started
        return counts

    def _update_bar(self, counts, final: bool = False) -> None:
        from tqdm import tqdm
        n, total = ((counts.pages, counts.expected) if self.kind == "crawl" else (counts.done, counts.total))
        if final:
            total = n
        if self._bar is None:
            sized = _columns(self.stream) > 0   # a terminal that says its width (a bare pty says 0)
            self._bar = tqdm(total=total, desc=self.kind, unit=" pages" if self.kind == "crawl" else " captures",
                             file=self.stream, dynamic_ncols=sized, ncols=None if sized else 120, nrows=None if sized else 40,
                             leave=True, mininterval=0)
            self._bar.start_t -= counts.elapsed
        if total != self._bar.total:
            self._bar.total = total
        self._bar.n = n
        self._bar.set_postfix_str(counts.postfix(), refresh=False)
        self._bar.refresh()

    def _write(self, text: str) -> None:
        line = f"{datetime.now(TZ):[%H:%M:%S]} {text}"
        self.lines.append(line)
        try:
            print(line, file=self.stream, flush=True)
        except (OSError, ValueError):   # a closed stream must not break the batch
            pass


def _columns(stream) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
