"""One batch of work on the archive: crawl some agencies in a child process, then run the extractor pass.

Used by scheduler.py for the nightly job and for manual runs. What lives here:

- the pre-flight checks that turn bad input into one clear line (`BatchError`): unknown agency, a
  database that is unreadable or not SQLite, Chromium missing for a browser agency;
- `ArchiveLock`: an exclusive `fcntl.flock` on `<db>.lock` holding the owner's pid, so two runs never
  write one archive at once ("archive.db is in use by another run (pid N)");
- `Runner`: runs `python -m crawler.run`, `python -m archive.extract.run` (and, nightly,
  `python -m archive.verify --sample N`) as child processes (Scrapy's
  reactor cannot restart, and a crashing crawl must not take the scheduler down), forwards a stop
  request as SIGINT (Scrapy's graceful stop), waits for it (bounded), and records in `runs` what the
  children could not: a child that crashed or was killed (kind "failed"), rows it left "running".
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from archive.db import open_db
from archive.store import RunNotes, apply_note, transaction

ROOT = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"


class BatchError(Exception):
    """Bad input or an unusable environment: the message is one line meant for the user."""


def utcnow() -> str:
    """Timestamps in `runs`: UTC ISO 8601, like the crawler writes them."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


# ---------------------------------------------------------------- pre-flight checks

def load_registry() -> dict:
    """The agency registry (crawler/agencies/): slug -> crawler.registry.Agency, in registry order."""
    from crawler.registry import agencies
    return agencies()


def default_agencies(replica: bool = False) -> list[str]:
    """What a run without a list crawls: every crawlable agency of the registry (a family and a column
    or a home page); against the replica web, those whose sites it serves."""
    from crawler.registry import crawlable
    if not replica:
        return crawlable()
    from replica.sites import served_hosts
    return crawlable(hosts=served_hosts())


def check_agencies(names: list[str] | None, registry: dict, replica: bool = False) -> list[str]:
    """The agencies to crawl: default_agencies() when `names` is empty; an unknown slug, or one the
    registry gives nowhere to start from, is an error."""
    if not names:
        return default_agencies(replica)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise BatchError(f"unknown agency: {', '.join(unknown)} (see crawler/agencies/ or `scheduler.py status`)")
    stuck = [n for n in names if not registry[n].crawlable]
    if stuck:
        raise BatchError(f"no column or home page known for: {', '.join(stuck)} (registry: host and family needed)")
    return list(dict.fromkeys(names))


def chromium_path() -> str:
    return os.environ.get("NIANBAO_CHROMIUM") or DEFAULT_CHROMIUM


def check_chromium(agencies: list[str], registry: dict) -> None:
    """A browser agency needs Chromium (/usr/bin/chromium or $NIANBAO_CHROMIUM)."""
    browser = [a for a in agencies if registry[a].browser]
    path = chromium_path()
    if browser and not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise BatchError(f"Chromium not found at {path} (needed by {', '.join(browser)}; "
                         "set NIANBAO_CHROMIUM to its path)")


def check_db(path: str | os.PathLike, *, create: bool = True) -> None:
    """Make sure `path` is a usable archive (creating and migrating it if `create`), else BatchError.

    A text file named archive.db, an unreadable file or a missing directory gives one clear line;
    the file itself is never touched in that case.
    """
    path = Path(path)
    if path.exists():
        if not path.is_file():
            raise BatchError(f"{path} is not a file")
        if not os.access(path, os.R_OK | (os.W_OK if create else 0)):
            raise BatchError(f"{path} is not readable{' and writable' if create else ''}")
        with open(path, "rb") as f:
            head = f.read(16)
        if head and head != b"SQLite format 3\x00":
            raise BatchError(f"{path} is not an SQLite database (corrupt or another kind of file)")
    elif not create:
        raise BatchError(f"{path} does not exist (crawl first: python scheduler.py run --db {path})")
    elif not path.parent.is_dir():
        raise BatchError(f"cannot create {path}: directory {path.parent} does not exist")
    try:
        if path.exists():  # look before writing anything: a damaged file stays as it is
            db = open_db(path, migrate=False)
            try:
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
                row = db.execute("PRAGMA quick_check(1)").fetchone() if create else ("ok",)
            finally:
                db.conn.close()
            if row[0] != "ok":
                raise BatchError(f"{path} is corrupt: {row[0]}")
        if create:
            open_db(path).conn.close()  # create, or migrate to the current schema
    except sqlite3.DatabaseError as e:
        raise BatchError(f"{path} is not a usable SQLite database: {e}") from None


# ---------------------------------------------------------------- the lock

class ArchiveLock:
    """Exclusive lock on `<db>.lock` (fcntl.flock), the holder's pid written inside.

    Protocol, for anything else that writes the archive: open `<db>.lock`, flock(LOCK_EX | LOCK_NB),
    write your pid. The kernel releases a flock when the last fd of it closes, so a killed holder
    never blocks the next run by itself. The fd stays with the process that took the lock (it is
    not handed to the children: a process a child forks would inherit it and outlive them both);
    the children die with that process (`die_with_parent`), so a SIGKILL of the scheduler in any
    form (it alone, its process group, the tree) frees the lock and leaves no child writing. The
    child's pid is written on the next line (`holding`), so a refusal names who holds the lock,
    and says when its starter is gone.
    """

    def __init__(self, db_path: str | os.PathLike):
        self.db_path = Path(db_path)
        self.path = Path(f"{db_path}.lock")
        self.fd: int | None = None

    def acquire(self) -> "ArchiveLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pids = os.pread(fd, 256, 0).decode(errors="replace").split()
            os.close(fd)
            holder = pids[0] if pids else "?"
            if pids and not _pid_alive(pids[0]):
                alive = [p for p in pids[1:] if _pid_alive(p)]
                holder += (f", gone; its child pid {', '.join(alive)} still holds the lock" if alive
                           else ", gone")
            raise BatchError(f"{self.db_path.name} is in use by another run (pid {holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def holding(self, child_pid: int | None) -> None:
        """Write the child now holding the lock with us (None: no child) after our pid."""
        if self.fd is not None:
            text = f"{os.getpid()}\n" + (f"{child_pid}\n" if child_pid else "")
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, text.encode(), 0)

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing the last fd releases the flock
            self.fd = None

    __enter__ = acquire

    def __exit__(self, *exc) -> None:
        self.release()


def _pid_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- child processes and bookkeeping

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, block_stop: bool = False):
    """A preexec_fn: the child gets SIGKILL when the thread that started it ends (Linux
    PR_SET_PDEATHSIG: the starting thread, here the one waiting for the child, so in effect when
    the scheduler process dies however it dies). Why it is needed: the children run in their own
    process group (a terminal's Ctrl-C must reach them only through the scheduler), so a kill of
    the scheduler's group, or of the scheduler alone, left the crawl child alive and holding the
    inherited lock fd, and the next run was refused. If the parent died before the prctl, the child
    exits at once.

    `block_stop`: the child starts with SIGINT/SIGTERM blocked, and unblocks them once its handler
    is installed (archive/verify.py), so a stop during its start-up is handled, not a crash."""
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if block_stop:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        if os.getppid() != parent_pid:
            os._exit(1)
    return preexec


def record_run(db_path, *, kind: str, status: str, failure: str, batch: str | None = None,
               agency: str | None = None, started_at: str | None = None,
               finish_reason: str | None = None) -> None:
    """Insert one finished `runs` row (kind failed / missed, or a crawl the child never recorded)."""
    db = open_db(db_path)
    try:
        db["runs"].insert({
            "batch": batch, "kind": kind, "agency": agency, "started_at": started_at or utcnow(),
            "finished_at": utcnow(), "finish_reason": finish_reason or kind, "status": status,
            "failure": failure, "pid": os.getpid(),
        })
    finally:
        db.conn.close()


def last_run_id(db_path) -> int:
    """The highest `runs` id so far: a watermark for "the rows this batch wrote"."""
    db = open_db(db_path)
    try:
        return db.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
    finally:
        db.conn.close()


def close_orphans(db_path, pid: int, after_id: int, reason: str) -> int:
    """Rows a dead child left 'running' (its pid, id above `after_id`) become status 'failed'.

    A safety net for a child that could not close its own rows: killed by SIGKILL (the stop's last
    escalation, the OOM killer) or crashed. A crawl child closes every row it opened itself on any
    SIGINT/SIGTERM, graceful or forced, even a spider Scrapy never closed (crawler/run.py); so after
    a clean exit this should find nothing. Notes the child left because it could not write its rows
    (archive.store.RunNotes: a full disk) are written into them first, when that works now."""
    db = open_db(db_path)
    notes = RunNotes(db_path)
    try:
        pending = notes.read()
        if pending:
            try:
                with transaction(db):
                    for note in pending:
                        apply_note(db, note)
                notes.clear()
            except sqlite3.Error:
                pass  # still full: the next run's start records them
        with db.conn:
            cur = db.execute(
                "UPDATE runs SET status = 'failed', finished_at = ?, finish_reason = 'process died',"
                " failure = ? WHERE status = 'running' AND pid = ? AND id > ?",
                [utcnow(), reason, pid, after_id])
            return cur.rowcount
    finally:
        db.conn.close()


def _command(env_var: str, module: str) -> list[str]:
    """The child command: `python -m MODULE`, or the override in env `env_var` (tests only)."""
    override = os.environ.get(env_var)
    return shlex.split(override) if override else [sys.executable, "-m", module]


def default_progress_every() -> float:
    """Seconds between progress lines in a log: $NIANBAO_PROGRESS_EVERY, else 60 (0: no progress)."""
    value = os.environ.get("NIANBAO_PROGRESS_EVERY")
    try:
        return float(value) if value else 60.0
    except ValueError:
        raise BatchError(f"NIANBAO_PROGRESS_EVERY must be a number of seconds, got {value!r}") from None


def _describe_exit(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exited with code {rc}"


@dataclass
class Outcome:
    """What one batch did: the children's exit codes and the failures recorded."""
    batch: str
    agencies: list[str] = field(default_factory=list)
    crawl_rc: int | None = None
    extract_rc: int | None = None
    verify_rc: int | None = None
    failures: list[str] = field(default_factory=list)
    stopped: bool = False
    first_run_id: int = 0  # runs rows with a larger id were written during this batch

    @property
    def ok(self) -> bool:
        return not self.failures and not self.stopped


class Runner:
    """Runs crawl and extract children for one archive; one child at a time; stoppable from a signal."""

    def __init__(self, db_path, *, proxy_url: str | None = None, proxy_spki: str | None = None,
                 stop_timeout: float = 60.0, echo=print, progress_every: float | None = None,
                 progress_stream=None):
        self.db_path = str(db_path)
        self.proxy_url = proxy_url
        self.proxy_spki = proxy_spki   # the replica's certificate key hash: Chromium trusts it (crawler/settings.py)
        self.stop_timeout = stop_timeout
        self.echo = echo
        # progress of the crawl and extract children on stderr (progress.py): a bar on a terminal,
        # else a line every progress_every seconds (None: $NIANBAO_PROGRESS_EVERY or 60; 0: none)
        self.progress_every = default_progress_every() if progress_every is None else progress_every
        self.progress_stream = progress_stream
        self.stopping = threading.Event()
        self._child: subprocess.Popen | None = None

    # -- stopping (safe to call from a signal handler)
    def stop(self) -> None:
        """Ask the running child to stop gracefully (SIGINT), and run nothing more."""
        self.stopping.set()
        child = self._child  # no lock: this may run in a signal handler
        if child and child.poll() is None:
            child.send_signal(signal.SIGINT)

    def _progress(self, kind: str, **kwargs):
        """The progress reporter around one child (started before it, stopped after its rows are closed)."""
        from progress import Progress
        return Progress(self.db_path, kind, every=self.progress_every, stream=self.progress_stream, **kwargs)

    def _env(self, batch: str) -> dict:
        env = dict(os.environ, NIANBAO_DB=self.db_path, NIANBAO_BATCH=batch, PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        if self.proxy_url:  # the replica web: http and https (CONNECT) through it, nothing else
            env["http_proxy"] = env["HTTP_PROXY"] = env["https_proxy"] = env["HTTPS_PROXY"] = self.proxy_url
            env.pop("no_proxy", None), env.pop("NO_PROXY", None)
        if self.proxy_spki:
            env["NIANBAO_REPLICA_SPKI"] = self.proxy_spki
        return env

    def _run_child(self, argv: list[str], batch: str, lock: ArchiveLock | None,
                   block_stop: bool = False) -> tuple[int, int]:
        """Run one child to its end (or stop it, bounded); returns (exit code, pid)."""
        # Own process group: a terminal's Ctrl-C reaches the child only through stop(), once. The lock
        # fd is not handed down: the child dies with us (die_with_parent), and a process the child
        # forks (the extractor's sandbox workers) would otherwise hold the lock after both are gone.
        proc = subprocess.Popen(argv, cwd=ROOT, env=self._env(batch),
                                process_group=0, preexec_fn=die_with_parent(os.getpid(), block_stop))
        self._child = proc
        if lock:
            lock.holding(proc.pid)
        if self.stopping.is_set():
            proc.send_signal(signal.SIGINT)
        deadline = None
        escalated = 0
        while True:
            try:
                rc = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            if self.stopping.is_set():
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.stop_timeout
                    self.echo(f"stopping: waiting up to {self.stop_timeout:.0f} s for pid {proc.pid}")
                elif now > deadline and escalated == 0:
                    self.echo(f"stopping: pid {proc.pid} still running, sending SIGTERM")
                    proc.send_signal(signal.SIGTERM)  # Scrapy: a second signal forces the stop
                    escalated, deadline = 1, now + 10
                elif now > deadline and escalated == 1:
                    self.echo(f"stopping: killing pid {proc.pid} and its process group")
                    os.killpg(proc.pid, signal.SIGKILL)  # the browser it started too
                    escalated = 2
        self._child = None
        if lock:
            lock.holding(None)
        return rc, proc.pid

    def _step(self, name: str, argv: list[str], outcome: Outcome, lock, block_stop: bool = False) -> int:
        """Run one child; record its failure, and close any run it left 'running' (whatever its exit)."""
        started, watermark = utcnow(), last_run_id(self.db_path)
        rc, pid = self._run_child(argv, outcome.batch, lock, block_stop)
        why = f"{name} process {_describe_exit(rc)}"
        if self.stopping.is_set():
            why += " (scheduler shutting down)"
        try:  # a safety net (SIGKILL, crash): the crawler closes its own rows on any stop signal
            orphans = close_orphans(self.db_path, pid, watermark,
                                    why if rc else f"{name} process ended without closing this run")
            if rc != 0:
                record_run(self.db_path, kind="failed", status="failed", failure=why,
                           batch=outcome.batch, started_at=started, finish_reason=name)
        except sqlite3.Error as e:
            orphans = 0
            self.echo(f"{name}: could not record the outcome in {self.db_path}: {e}")
        if rc != 0:
            outcome.failures.append(why)
            self.echo(f"{name}: {why}")
        elif orphans and not self.stopping.is_set():
            outcome.failures.append(f"{name} process left {orphans} run(s) unfinished")
        return rc

    def crawl(self, agencies: list[str] | None, outcome: Outcome, *, refresh: bool = False,
              polite: bool = True, log_level: str | None = None,
              lock: ArchiveLock | None = None) -> int:
        argv = _command("NIANBAO_CRAWL_CMD", "crawler.run") + list(agencies or [])
        argv += ["--db", self.db_path, "--batch", outcome.batch]
        argv += ["--refresh"] if refresh else []
        argv += [] if polite else ["--no-polite"]
        argv += ["--log-level", log_level] if log_level else []
        with self._progress("crawl", agencies=agencies):
            outcome.crawl_rc = self._step("crawl", argv, outcome, lock)
        return outcome.crawl_rc

    def extract(self, outcome: Outcome, *, all: bool = False, lock: ArchiveLock | None = None) -> int:
        argv = _command("NIANBAO_EXTRACT_CMD", "archive.extract.run") + ["--db", self.db_path]
        argv += ["--all"] if all else []
        with self._progress("extract", all=all):
            outcome.extract_rc = self._step("extract", argv, outcome, lock)
        return outcome.extract_rc

    def verify(self, outcome: Outcome, *, sample: int | None = None, lock: ArchiveLock | None = None) -> int:
        """`python -m archive.verify`: integrity_check and the bodies' hashes (a rolling sample of N)."""
        argv = _command("NIANBAO_VERIFY_CMD", "archive.verify") + ["--db", self.db_path]
        argv += ["--sample", str(sample)] if sample is not None else []
        block = "NIANBAO_VERIFY_CMD" not in os.environ  # ours unblocks them once its handler is set
        outcome.verify_rc = self._step("verify", argv, outcome, lock, block_stop=block)
        return outcome.verify_rc

    def batch(self, agencies: list[str] | None, batch: str, *, refresh: bool = False,
              polite: bool = True, log_level: str | None = None,
              lock: ArchiveLock | None = None, verify_sample: int | None = None) -> Outcome:
        """Crawl (all agencies, or those named), then extract: in that order, always, under the lock;
        then, with `verify_sample` (the nightly job), verify a rolling sample of that many bodies.

        The extract pass runs even after a crawl that failed part-way (what was archived is complete
        per capture); it is skipped only when a stop was requested. Takes the archive lock unless
        the caller holds it (`lock`); raises BatchError when another run holds it.
        """
        if lock is None:
            with ArchiveLock(self.db_path) as lock:
                return self.batch(agencies, batch, refresh=refresh, polite=polite,
                                  log_level=log_level, lock=lock, verify_sample=verify_sample)
        if not agencies and self.proxy_url:   # the replica web: the agencies whose sites it serves
            agencies = default_agencies(replica=True)
        outcome = Outcome(batch=batch, agencies=list(agencies or []),
                          first_run_id=last_run_id(self.db_path))
        named = (", ".join(agencies) if len(agencies) <= 8 else f"{len(agencies)} agencies") if agencies \
            else "all agencies"
        self.echo(f"crawl: {named} (batch {batch})")
        self.crawl(agencies, outcome, refresh=refresh, polite=polite, log_level=log_level, lock=lock)
        if self.stopping.is_set():
            outcome.stopped = True
            return outcome
        self.echo("extract: extracting new captures")
        self.extract(outcome, lock=lock)
        if verify_sample and not self.stopping.is_set():
            self.echo(f"verify: integrity_check and {verify_sample} bodies' sha256")
            self.verify(outcome, sample=verify_sample, lock=lock)
        outcome.stopped = self.stopping.is_set()
        return outcome
