"""SIGKILL trials: the scheduler killed at random moments, then the next run must complete everything.

    python bench/killtrials.py [--trials 20] [--seed 1] [--agencies quzhou_zjj,hunan_zjt,...] [--keep DIR]

Each trial starts the real scheduler on a fresh archive against the bundled replica web, in one of
two forms (`scheduler.py run --replica`, or the foreground scheduler whose nightly job fires at
once), waits for a moment of one phase (start-up: before any run row; crawl: while a crawl row is
running; extraction: while the extract row is running), and sends SIGKILL to the scheduler alone,
to its process group, or to the whole process tree. Then it checks:

- the archive lock is free within a second of the kill, and every process of the tree is gone
  within 20 s (the children die with the scheduler: batch.die_with_parent; the table's `left` counts
  those still alive after 5 s: a browser's driver and Chromium follow their dead crawl child more slowly). Without that, a crawl
  child against the replica still ends by itself within seconds (the replica died with the
  scheduler), which is why the lock is looked at after one second;
- `PRAGMA integrity_check` is ok and every body hashes to its sha256;
- the next `scheduler.py run --replica` exits 0, all its crawl rows and its extract row are ok, no
  run row of the archive is left `running`, every report page of the agencies is archived and
  every eligible capture has been extracted.

Prints one line per trial and a summary; exit 1 if any trial failed. tests/test_reliability.py runs
a few trials of the same code.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("start-up", "crawl", "extraction")
FORMS = ("run", "nightly")
HOWS = ("scheduler", "group", "tree")
LOCK_WITHIN = 1.0   # seconds after the kill by which the archive lock must be free


@dataclass
class Trial:
    n: int
    form: str
    phase: str
    how: str
    delay: float = 0.0
    killed_in: str = ""          # what the archive showed at the kill
    leftover: int = 0            # processes of the tree alive 5 s after the kill
    lingered: list[str] = field(default_factory=list)   # ... and still alive 20 s after it (their names)
    lock_free: bool = False
    integrity: str = ""
    bad_bodies: int = -1
    next_rc: int | None = None
    running_left: int = -1
    not_ok: list[str] = field(default_factory=list)
    missing_reports: int = -1
    unextracted: int = -1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (not self.lingered and self.lock_free and self.integrity == "ok" and self.bad_bodies == 0
                and self.next_rc == 0 and self.running_left == 0 and not self.not_ok
                and self.missing_reports == 0 and self.unextracted == 0)


REGISTRY: dict = {}   # NIANBAO_REGISTRY for the trials' processes (a registry of only the chosen agencies)


def subset_registry(agencies: list[str], workdir: Path) -> Path:
    """A registry file with only `agencies` (so the nightly form crawls just those too)."""
    import yaml
    src = Path(os.environ.get("NIANBAO_REGISTRY") or ROOT / "crawler" / "agencies")
    data = {}
    for f in (sorted(src.glob("*.yaml")) if src.is_dir() else [src]):
        data.update(yaml.safe_load(f.read_text(encoding="utf-8")) or {})
    path = workdir / "agencies.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in data.items() if k in agencies}, allow_unicode=True),
                    encoding="utf-8")
    return path


def _env() -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **REGISTRY)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for k in ("NIANBAO_DB", "NIANBAO_CRAWL_CMD", "NIANBAO_EXTRACT_CMD", "NIANBAO_VERIFY_CMD", "http_proxy",
              "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(k, None)
    return env


def _rows(db: Path, sql: str, args=()) -> list[tuple]:
    if not db.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def descendants(pid: int) -> list[int]:
    """Every process below pid (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")[:80] or str(pid)
    except OSError:
        return str(pid)


def _phase_now(db: Path) -> str:
    kinds = {k for k, in _rows(db, "SELECT kind FROM runs WHERE status = 'running'")}
    if "extract" in kinds:
        return "extraction"
    if "crawl" in kinds:
        return "crawl"
    if _rows(db, "SELECT 1 FROM runs LIMIT 1"):
        return "between"
    return "start-up"


def _wait_phase(db: Path, proc, phase: str, rng: random.Random, deadline: float) -> float:
    """Sleep until a random moment of `phase`; returns the delay after the phase began."""
    if phase == "start-up":
        delay = rng.uniform(0.0, 1.2)
        time.sleep(delay)
        return delay
    kind = "crawl" if phase == "crawl" else "extract"
    while time.monotonic() < deadline and proc.poll() is None:
        if _rows(db, "SELECT 1 FROM runs WHERE kind = ? AND status = 'running'", [kind]):
            break
        time.sleep(0.02)
    delay = rng.uniform(0.0, 0.6 if phase == "crawl" else 0.4)   # within a one-agency crawl / extraction
    time.sleep(delay)
    return delay


def _kill(proc, how: str) -> list[int]:
    """SIGKILL as asked; returns every pid of the tree at the kill."""
    tree = [proc.pid, *descendants(proc.pid)]
    if how == "scheduler":
        os.kill(proc.pid, signal.SIGKILL)
    elif how == "group":
        os.killpg(proc.pid, signal.SIGKILL)  # the scheduler leads its own group (start_new_session)
    else:
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    proc.wait(timeout=10)
    return tree


def _sound(db: Path) -> tuple[str, int]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'bodies'").fetchone():
            return integrity, 0   # killed before the schema was written
        bad = sum(1 for sha, size, content in conn.execute("SELECT sha256, size, content FROM bodies")
                  if hashlib.sha256(content or b"").hexdigest() != sha or len(content or b"") != size)
        return integrity, bad
    finally:
        conn.close()


def _lock_free(db: Path) -> bool:
    path = f"{db}.lock"
    if not os.path.exists(path):
        return True
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def expected_reports(agencies: list[str]) -> list[str]:
    from replica.server import ReplicaServer
    server = ReplicaServer()  # not started: only its URLs
    return [u for a in agencies for u in server.urls(a)]


def run_trial(n: int, workdir: Path, agencies: list[str], form: str, phase: str, how: str,
              rng: random.Random, expected: list[str], log=None) -> Trial:
    t0 = time.monotonic()
    trial = Trial(n, form, phase, how)
    db = workdir / f"trial{n}.db"
    out = open(workdir / f"trial{n}.log", "w")
    if form == "run":
        argv = [sys.executable, "scheduler.py", "run", "--replica", "--db", str(db), *agencies]
    else:  # the foreground scheduler, its nightly job at once (every agency of the registry)
        argv = [sys.executable, "scheduler.py", "--replica", "--db", str(db), "--first-run-in", "0"]
    proc = subprocess.Popen(argv, cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    trial.delay = _wait_phase(db, proc, phase, rng, time.monotonic() + 120)
    trial.killed_in = _phase_now(db) if proc.poll() is None else "already ended"
    tree = _kill(proc, how) if proc.poll() is None else [proc.pid]
    end = time.monotonic() + LOCK_WITHIN  # the next run may start at once: the lock must be free by then
    while time.monotonic() < end and not _lock_free(db):
        time.sleep(0.02)
    trial.lock_free = _lock_free(db)
    end = time.monotonic() + 5
    while time.monotonic() < end and any(_alive(p) for p in tree):
        time.sleep(0.05)
    trial.leftover = sum(_alive(p) for p in tree)
    end = time.monotonic() + 15   # a browser (Playwright's driver, Chromium) may take a while to follow
    while time.monotonic() < end and any(_alive(p) for p in tree):
        time.sleep(0.1)
    trial.lingered = [_name(p) for p in tree if _alive(p)]
    for pid in tree:  # whatever is left must not disturb the next trials (it is counted above)
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if db.exists():
        trial.integrity, trial.bad_bodies = _sound(db)
    else:
        trial.integrity, trial.bad_bodies = "ok", 0
    nxt = subprocess.run([sys.executable, "scheduler.py", "run", "--replica", "--db", str(db), *agencies],
                         cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT, timeout=600)
    out.close()
    trial.next_rc = nxt.returncode
    integrity, bad = _sound(db)
    trial.integrity = trial.integrity if trial.integrity != "ok" else integrity
    trial.bad_bodies += bad
    trial.running_left = len(_rows(db, "SELECT id FROM runs WHERE status = 'running'"))
    batch = _rows(db, "SELECT batch FROM runs WHERE batch LIKE 'manual-%' ORDER BY id DESC LIMIT 1")
    last = _rows(db, "SELECT kind, agency, status, failure FROM runs WHERE batch = ? AND kind IN ('crawl', 'extract')",
                 [batch[0][0]]) if batch else []
    trial.not_ok = [f"{k} {a or ''} {s}: {f}" for k, a, s, f in last if s != "ok"]
    if {k for k, *_ in last} != {"crawl", "extract"}:
        trial.not_ok.append(f"the next run wrote {sorted({k for k, *_ in last})}")
    held = {u for r in _rows(db, "SELECT url, final_url FROM captures WHERE kind = 'report'"
                                 " AND body_sha256 IS NOT NULL AND error IS NULL") for u in r}
    trial.missing_reports = sum(u not in held for u in expected)
    trial.unextracted = _rows(db, "SELECT count(*) FROM captures c WHERE kind IN ('report', 'attachment')"
                                  " AND status = 200 AND body_sha256 IS NOT NULL AND NOT EXISTS"
                                  " (SELECT 1 FROM extractions e WHERE e.capture_id = c.id)")[0][0]
    trial.seconds = time.monotonic() - t0
    if log:
        log(format_trial(trial))
    return trial


HEADER = (f"{'#':>2}  {'form':7} {'phase':10} {'kill':9} {'delay':>5}  {'killed in':13} {'left':>4} {'lock':4} "
          f"{'integrity':9} {'bad':>3} {'next':>4} {'running':>7} {'missing':>7} {'unextr':>6} {'s':>5}  result")


def format_trial(t: Trial) -> str:
    return (f"{t.n:>2}  {t.form:7} {t.phase:10} {t.how:9} {t.delay:5.2f}  {t.killed_in:13} {t.leftover:>4} "
            f"{'free' if t.lock_free else 'HELD':4} {t.integrity[:9]:9} {t.bad_bodies:>3} {t.next_rc!s:>4} "
            f"{t.running_left:>7} {t.missing_reports:>7} {t.unextracted:>6} {t.seconds:5.1f}  "
            + ("ok" if t.ok else "FAILED " + "; ".join(t.not_ok + [f"left: {n}" for n in t.lingered])))


def plan(trials: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """Every (phase, how) pair in turn, forms alternating, then shuffled."""
    combos = [(p, h) for p in PHASES for h in HOWS]
    out = [(FORMS[i % 2], *combos[i % len(combos)]) for i in range(trials)]
    rng.shuffle(out)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agencies", default="",
                    help="comma-separated (default: every agency; the nightly form always crawls all)")
    ap.add_argument("--keep", help="directory for the trial archives and logs (default: a temporary one)")
    args = ap.parse_args(argv)
    from crawler.registry import agencies as registry
    agencies = [a for a in args.agencies.split(",") if a] or list(registry())
    rng = random.Random(args.seed)
    expected = expected_reports(agencies)
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="killtrials-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.agencies:
        REGISTRY["NIANBAO_REGISTRY"] = str(subset_registry(agencies, workdir))
    print(f"{args.trials} SIGKILL trials, agencies {', '.join(agencies)}, in {workdir}")
    print(HEADER, flush=True)
    results = [run_trial(i + 1, workdir, agencies, form, phase, how, rng, expected,
                         log=lambda line: print(line, flush=True))
               for i, (form, phase, how) in enumerate(plan(args.trials, rng))]
    failed = [t for t in results if not t.ok]
    print(f"{len(results) - len(failed)} of {len(results)} trials ok; "
          f"{sum(t.seconds for t in results):.0f} s in all")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
