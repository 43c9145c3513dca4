"""Merging shard archives into the central one (`scheduler.py merge SHARD.db… --into archive.db`).

A shard is an archive a crawl job wrote by itself (a Scrapyd node's slice of the agencies: shards.py).
Merging copies what the crawl wrote, and only that, into the central archive:

- `runs` of kind crawl / import / failed / missed: new ids in the central archive, the shard's id kept in
  `merged_runs` (origin, shard run id, central run id). A run still `running` in the shard is copied and
  updated by later merges until it has finished (`final`); its listings and discovered columns are
  copied once, when it has.
- `captures`: new ids, `run_id` and `revisit_of` mapped, the shard's id kept in `merged_captures`;
  insert-only like every capture.
- `bodies`: content-addressed, so a body the central archive holds (from any shard, or its own crawls)
  is not copied again; a body whose bytes do not hash to its sha256 stops the merge of that shard.
- `listings` of the finished runs (and the central agency's older listings dropped as the crawler
  drops them: from an ok run on, only its own and later are kept); `discovered_columns`; `agencies`
  rows the central archive lacks.
- Not copied: reports, figures, checks, extractions and the shard's extract runs. The central archive
  re-extracts (`scheduler.py` runs the extract pass after a merge that brought captures), so its reports
  are read by one extractor version from all the captures it holds, whichever shard fetched them.

The origin of every merged row: `merge_origins` (one row per shard: its file name, a fingerprint of
its first run, so a re-created shard file with the same name is another origin, never mistaken for
the one merged before), `merged_runs`, `merged_captures`. Those three tables are created by the
first merge. Merging the same shard again copies nothing that is there already: only the merge's
own `runs` row (kind merge) is new.

One transaction per shard: a shard that cannot be merged (not an archive, a newer schema, a bad
body) leaves nothing of itself in the central archive, and the others are merged.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from archive.db import MIGRATIONS
from archive.store import CAPTURE_FIELDS, RUN_FIELDS, open_run, transaction, utcnow

MERGED_KINDS = ("crawl", "import", "failed", "missed")   # what a crawl job writes (not extract, verify, merge)

SCHEMA = """
CREATE TABLE IF NOT EXISTS merge_origins (
  id INTEGER PRIMARY KEY, shard TEXT NOT NULL, fingerprint TEXT NOT NULL, path TEXT,
  first_merge_run INTEGER REFERENCES runs(id), UNIQUE (shard, fingerprint));
CREATE TABLE IF NOT EXISTS merged_runs (
  origin_id INTEGER NOT NULL REFERENCES merge_origins(id), shard_run_id INTEGER NOT NULL,
  run_id INTEGER NOT NULL UNIQUE REFERENCES runs(id), final INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (origin_id, shard_run_id));
CREATE TABLE IF NOT EXISTS merged_captures (
  origin_id INTEGER NOT NULL REFERENCES merge_origins(id), shard_capture_id INTEGER NOT NULL,
  capture_id INTEGER NOT NULL UNIQUE REFERENCES captures(id),
  PRIMARY KEY (origin_id, shard_capture_id));
"""


class MergeError(Exception):
    """A shard that cannot be merged: the message is one line for the user."""


@dataclass
class ShardResult:
    path: str
    shard: str = ""
    origin_id: int | None = None
    runs_new: int = 0
    runs_updated: int = 0
    captures: int = 0
    bodies: int = 0
    listings: int = 0
    agencies: int = 0
    error: str | None = None

    def line(self) -> str:
        if self.error:
            return f"{self.path}: not merged: {self.error}"
        return (f"{self.path}: {self.runs_new} runs new, {self.runs_updated} updated, {self.captures} captures, "
                f"{self.bodies} bodies new, {self.listings} listings, {self.agencies} agencies")


@dataclass
class MergeSummary:
    run_id: int
    shards: list[ShardResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.error is None for s in self.shards)

    @property
    def captures(self) -> int:
        return sum(s.captures for s in self.shards)

    def lines(self) -> list[str]:
        return [s.line() for s in self.shards]


def create_tables(db: sqlite_utils.Database) -> None:
    db.conn.executescript(SCHEMA)


def shard_name(path: str | os.PathLike) -> str:
    """A shard's name: its file name without the extension (archive-43-hunan)."""
    return Path(path).name.rsplit(".", 1)[0] if "." in Path(path).name else Path(path).name


def merge_shards(db: sqlite_utils.Database, paths: list[str], batch: str | None = None) -> MergeSummary:
    """Merge each shard file into `db` (the central archive, opened with archive.db.open_db), one
    transaction per shard; a runs row of kind merge says what came in. The caller holds the archive lock."""
    create_tables(db)
    run_id = open_run(db, "merge", None, batch)
    summary = MergeSummary(run_id)
    for path in paths:
        result = ShardResult(path=str(path), shard=shard_name(path))
        try:
            with transaction(db):
                _merge_one(db, str(path), result, run_id)
        except (MergeError, sqlite3.Error) as e:
            result = ShardResult(path=str(path), shard=result.shard,
                                 error=str(e) if isinstance(e, MergeError) else f"{type(e).__name__}: {e}")
        summary.shards.append(result)
    failed = [s for s in summary.shards if s.error]
    with transaction(db):
        db["runs"].update(run_id, {
            "finished_at": utcnow(), "finish_reason": "finished", "status": "failing" if failed else "ok",
            "pages_new": summary.captures, "responses": summary.captures,
            "failure": "; ".join(s.line() for s in failed) or None,
            "stats": json.dumps({s.path: {k: v for k, v in vars(s).items() if k != "path"}
                                 for s in summary.shards}, ensure_ascii=False, sort_keys=True)})
    from archive.rollups import refresh   # the agencies followed (their crawl runs) may have changed
    refresh(db, report_ids=())   # no report is merged: the summary's rows stay, the rest is rewritten
    return summary


def _open_shard(path: str) -> sqlite3.Connection:
    if not os.path.isfile(path):
        raise MergeError("no such file")
    with open(path, "rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise MergeError("not an SQLite database")
    conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = {"runs", "captures", "bodies", "agencies", "listings"} - tables
    if missing:
        conn.close()
        raise MergeError(f"not a nianbao archive (no {', '.join(sorted(missing))} table)")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        conn.close()
        raise MergeError(f"written by a newer nianbao (schema {version}, this one knows {len(MIGRATIONS)}): "
                         "upgrade before merging")
    return conn


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _origin(db, shard: sqlite3.Connection, result: ShardResult, run_id: int) -> int | None:
    first = shard.execute("SELECT id, started_at, batch, pid FROM runs ORDER BY id LIMIT 1").fetchone()
    if first is None:
        return None   # nothing crawled yet
    fingerprint = hashlib.sha256(json.dumps(list(first)).encode()).hexdigest()[:16]
    row = db.execute("SELECT id FROM merge_origins WHERE shard = ? AND fingerprint = ?",
                     [result.shard, fingerprint]).fetchone()
    if row:
        return row[0]
    return db.execute("INSERT INTO merge_origins (shard, fingerprint, path, first_merge_run) VALUES (?, ?, ?, ?)",
                      [result.shard, fingerprint, os.path.abspath(result.path), run_id]).lastrowid


def _merge_one(db, path: str, result: ShardResult, merge_run: int) -> None:
    shard = _open_shard(path)
    try:
        shard.execute("BEGIN")   # one read snapshot: a crawl still writing the shard cannot split runs from captures
        origin = _origin(db, shard, result, merge_run)
        if origin is None:
            return
        result.origin_id = origin
        # agencies the central archive lacks (the scheduler syncs the registry into it first)
        cols = sorted(_columns(shard, "agencies") & _columns(db.conn, "agencies"))
        for row in shard.execute(f"SELECT {', '.join(cols)} FROM agencies"):
            cur = db.execute(f"INSERT OR IGNORE INTO agencies ({', '.join(cols)}) VALUES "
                             f"({', '.join('?' * len(cols))})", list(row))
            result.agencies += cur.rowcount
        runs = _merge_runs(db, shard, origin, result)
        _merge_captures(db, shard, origin, runs, result)
        _merge_finished(db, shard, runs, result)
    finally:
        shard.close()


def _merge_runs(db, shard, origin: int, result: ShardResult) -> dict[int, tuple[int, bool, bool]]:
    """Copy new runs, update unfinished ones; returns shard run id -> (central id, finished, newly finished)."""
    mapped = {r[0]: (r[1], bool(r[2])) for r in db.execute(
        "SELECT shard_run_id, run_id, final FROM merged_runs WHERE origin_id = ?", [origin])}
    fields = [f for f in RUN_FIELDS if f in _columns(shard, "runs")]
    out = {}
    marks = ", ".join("?" * len(MERGED_KINDS))
    for row in shard.execute(f"SELECT id, {', '.join(fields)} FROM runs WHERE kind IN ({marks}) ORDER BY id",
                             MERGED_KINDS):
        values = {f: row[f] for f in fields}
        finished = values["status"] != "running"
        if row["id"] not in mapped:
            run_id = db.execute(f"INSERT INTO runs ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})",
                                list(values.values())).lastrowid
            db.execute("INSERT INTO merged_runs (origin_id, shard_run_id, run_id, final) VALUES (?, ?, ?, ?)",
                       [origin, row["id"], run_id, int(finished)])
            result.runs_new += 1
            out[row["id"]] = (run_id, finished, finished)
            continue
        run_id, final = mapped[row["id"]]
        if not final:   # copied while it ran: bring it up to date
            db["runs"].update(run_id, values)
            db.execute("UPDATE merged_runs SET final = ? WHERE origin_id = ? AND shard_run_id = ?",
                       [int(finished), origin, row["id"]])
            result.runs_updated += 1
        out[row["id"]] = (run_id, finished or final, finished and not final)
    return out


def _merge_captures(db, shard, origin: int, runs: dict, result: ShardResult) -> None:
    done = db.execute("SELECT coalesce(max(shard_capture_id), 0) FROM merged_captures WHERE origin_id = ?",
                      [origin]).fetchone()[0]
    fields = [f for f in CAPTURE_FIELDS if f in _columns(shard, "captures")]
    insert = (f"INSERT INTO captures ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})")
    cur = shard.execute(f"SELECT id, {', '.join(fields)} FROM captures WHERE id > ? ORDER BY id", [done])
    for row in cur:
        values = {f: row[f] for f in fields}
        if values["run_id"] not in runs:
            raise MergeError(f"capture {row['id']} belongs to run {values['run_id']}, which is not a crawl run")
        values["run_id"] = runs[values["run_id"]][0]
        if values["revisit_of"] is not None:
            original = db.execute("SELECT capture_id FROM merged_captures WHERE origin_id = ? AND shard_capture_id = ?",
                                  [origin, values["revisit_of"]]).fetchone()
            if original is None:
                raise MergeError(f"capture {row['id']} revisits capture {values['revisit_of']}, not in the shard")
            values["revisit_of"] = original[0]
        sha = values["body_sha256"]
        if sha and not db.execute("SELECT 1 FROM bodies WHERE sha256 = ?", [sha]).fetchone():
            body = shard.execute("SELECT content FROM bodies WHERE sha256 = ?", [sha]).fetchone()
            if body is None:
                raise MergeError(f"capture {row['id']} names body {sha[:12]}…, which the shard does not hold")
            content = bytes(body[0])
            if hashlib.sha256(content).hexdigest() != sha:
                raise MergeError(f"body {sha[:12]}… does not hash to its sha256 (a damaged shard: "
                                 "run `scheduler.py verify --db` on it)")
            db.execute("INSERT INTO bodies (sha256, size, content) VALUES (?, ?, ?)", [sha, len(content), content])
            result.bodies += 1
        capture_id = db.execute(insert, list(values.values())).lastrowid
        db.execute("INSERT INTO merged_captures (origin_id, shard_capture_id, capture_id) VALUES (?, ?, ?)",
                   [origin, row["id"], capture_id])
        result.captures += 1


def _merge_finished(db, shard, runs: dict, result: ShardResult) -> None:
    """Listings and discovered columns of the runs that finished since the last merge."""
    lcols = [c for c in ("agency", "kind", "url", "column_url", "list_url", "title", "links")
             if c in _columns(shard, "listings")]
    has_discovered = "discovered_columns" in {r[0] for r in shard.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    for shard_run, (run_id, _finished, newly) in sorted(runs.items()):
        if not newly:
            continue
        rows = shard.execute(f"SELECT {', '.join(lcols)} FROM listings WHERE run_id = ? ORDER BY rowid",
                             [shard_run]).fetchall()
        db.conn.executemany(f"INSERT INTO listings (run_id, {', '.join(lcols)}) VALUES "
                            f"(?, {', '.join('?' * len(lcols))})", [[run_id, *r] for r in rows])
        result.listings += len(rows)
        run = db.execute("SELECT kind, agency, status, started_at FROM runs WHERE id = ?", [run_id]).fetchone()
        if rows and run[0] == "crawl" and run[2] == "ok":   # as Archive.add_listing(keep_from=this run),
            db.execute("DELETE FROM listings WHERE agency = ? AND run_id IN "   # by time: ids follow merges
                       "(SELECT id FROM runs WHERE agency = ? AND started_at < ?)", [run[1], run[1], run[3]])
        if has_discovered:
            for d in shard.execute("SELECT agency, url, how, found_at, start_url FROM discovered_columns "
                                   "WHERE run_id = ? ORDER BY rowid", [shard_run]):
                db.execute("INSERT INTO discovered_columns (agency, url, how, found_at, run_id, start_url) "
                           "VALUES (?, ?, ?, ?, ?, ?)", [d[0], d[1], d[2], d[3], run_id, d[4]])
