"""Storing crawl captures and runs in the archive (schema: archive/db.py).

One capture row per fetch; bodies content-addressed by sha256 and never rewritten. Every
capture is written in its own short transaction, so a killed crawler loses at most the one in
flight. Rows are validated before they are written: a bad row raises CaptureError and nothing
is written.

    store = Archive("archive.db")
    run_id = store.start_run("crawl", "hunan_zjt", batch="nightly-1")
    cid, page = store.add_capture({...capture fields...}, body=b"...")   # page: new/changed/unchanged
    store.finish_run(run_id, status="ok", ...)

When even recording a run fails (a full disk, an I/O error), the writer leaves a note in
`<db>.unrecorded` (RunNotes: a file reserved beside the archive before the run, overwritten in
place, so writing it needs no new space); the next run's start_run writes the note into its row,
`scheduler.py status` shows it meanwhile.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlite_utils

from archive.db import open_db

KINDS = ("list", "report", "attachment")
FETCH_MODES = ("http", "browser", "rendered")   # rendered: Chromium's DOM of a browser capture, kept
                                                # beside the server's bytes (never what is "held")
CAPTURE_FIELDS = ("run_id", "agency", "url", "final_url", "method", "status", "fetched_at",
                  "headers", "content_type", "encoding", "fetch_mode", "kind", "body_sha256",
                  "size", "revisit_of", "referer", "error")
logger = logging.getLogger(__name__)
RUN_FIELDS = ("batch", "kind", "agency", "started_at", "finished_at", "finish_reason", "status",
              "requests", "responses", "pages_new", "pages_changed", "pages_unchanged",
              "reports_found", "errors", "failure", "stats", "pid")


class CaptureError(ValueError):
    """A capture row that must not be written (missing or inconsistent fields)."""


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def transaction(db: sqlite_utils.Database):
    """One write transaction: BEGIN IMMEDIATE takes the write lock up front (waiting out the busy
    timeout), so what is read inside cannot go stale under another writer; COMMIT on success,
    ROLLBACK on any error. sqlite-utils writes inside it nest as savepoints."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


class Archive:
    """The crawler's view of the archive: runs, captures, bodies, and what is already held."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self.db = open_db(path)
        self.conn = self.db.conn
        # sqlite-utils table handles, made once (each db[name] looks the table up)
        self.runs, self.captures, self.bodies = self.db["runs"], self.db["captures"], self.db["bodies"]

    def close(self) -> None:
        self.conn.close()

    # -- agencies and runs -------------------------------------------------------------
    def sync_agencies(self, agencies) -> None:
        """Mirror the registry (iterable of crawler.registry.Agency) into the agencies table."""
        with transaction(self.db):
            self.db["agencies"].upsert_all([a.row() for a in agencies], pk="slug")

    def start_run(self, kind: str, agency: str | None, batch: str | None = None,
                  pid: int | None = None) -> int:
        """Insert a running run row and return its id. Notes of runs that could not be recorded
        (RunNotes) are written into their rows first; then runs of this kind and agency left
        'running' by a process that no longer exists are closed as failing (interrupted)."""
        return open_run(self.db, kind, agency, batch, pid)

    def finish_run(self, run_id: int, **fields) -> None:
        bad = set(fields) - set(RUN_FIELDS)
        if bad:
            raise ValueError(f"unknown run fields: {sorted(bad)}")
        fields.setdefault("finished_at", utcnow())
        with transaction(self.db):
            self.runs.update(run_id, fields)

    def last_ok_run(self, agency: str, before: int) -> dict | None:
        """The agency's latest crawl run before run `before` that ended ok and recorded a listing."""
        return next(self.runs.rows_where(
            "kind = 'crawl' AND agency = ? AND status = 'ok' AND id < ?"
            " AND EXISTS (SELECT 1 FROM listings l WHERE l.run_id = runs.id)", [agency, before],
            select="id, reports_found", order_by="id DESC", limit=1), None)

    def listing(self, run_id: int) -> dict:
        """What a run listed: {"pages": {url: (column_url, links)}, "reports": {url: (list_url, title)}}."""
        out = {"pages": {}, "reports": {}}
        for r in self.db["listings"].rows_where("run_id = ?", [run_id]):
            if r["kind"] == "page":
                out["pages"][r["url"]] = (r["column_url"], r["links"])
            else:
                out["reports"][r["url"]] = (r["list_url"], r["title"])
        return out

    def add_listing(self, run_id: int, agency: str, listing: dict, keep_from: int | None = None) -> None:
        """Record what a run listed (the shape `listing()` returns), in one transaction, and drop the
        agency's listings of runs before `keep_from` (the last ok run the next run compares with):
        listings are bookkeeping for that comparison, kept small, not an archive of their own."""
        row = dict.fromkeys(("column_url", "list_url", "title", "links"), None) | {"run_id": run_id, "agency": agency}
        rows = [row | {"kind": "page", "url": url, "column_url": column, "links": links}
                for url, (column, links) in listing["pages"].items()]
        rows += [row | {"kind": "report", "url": url, "list_url": list_url, "title": title}
                 for url, (list_url, title) in listing["reports"].items()]
        with transaction(self.db):
            self.db["listings"].insert_all(rows)
            if keep_from is not None:
                self.db["listings"].delete_where("agency = ? AND run_id < ?", [agency, keep_from])

    # -- what is held ------------------------------------------------------------------
    def held(self, url: str) -> dict | None:
        """The latest good capture of url (a body, no error), with `original` = the id of the
        capture that first stored that body; None when nothing usable is held."""
        held = _first(self.captures, "url = ? AND body_sha256 IS NOT NULL AND error IS NULL"
                      " AND fetch_mode != 'rendered'", [url],
                      "id, status, headers, body_sha256, revisit_of, fetch_mode, content_type, final_url",
                      order_by="id DESC")
        if held is None:
            return None
        held["headers"] = json.loads(held["headers"] or "{}")
        held["original"] = held["revisit_of"] or held["id"]
        return held

    def last_body(self, url: str, rendered: bool = False) -> dict | None:
        """The latest capture of url that has a body (flagged ones too, e.g. a soft 404), with
        `original` = the capture that first stored that body; of the rendered DOMs when `rendered`."""
        last = _first(self.captures, "url = ? AND body_sha256 IS NOT NULL AND (fetch_mode = 'rendered') = ?",
                      [url, rendered], "id, body_sha256, revisit_of", order_by="id DESC")
        if last is None:
            return None
        return {"id": last["id"], "body_sha256": last["body_sha256"],
                "original": last["revisit_of"] or last["id"]}

    def validators(self, url: str) -> dict[str, str]:
        """Conditional-request headers (If-None-Match, If-Modified-Since) for url, from the
        latest good capture or, failing that, the capture that stored its body."""
        held = self.held(url)
        if not held:
            return {}
        out = _validators(held["headers"])
        if not out and held["original"] != held["id"]:
            original = _first(self.captures, "id = ?", [held["original"]], "headers")
            out = _validators(json.loads(original["headers"] or "{}"))
        return out

    def body(self, sha: str) -> bytes | None:
        row = _first(self.bodies, "sha256 = ?", [sha], "content")
        return row["content"] if row else None

    # -- writing captures --------------------------------------------------------------
    def add_capture(self, capture: dict, body: bytes | None = None) -> tuple[int, str | None]:
        """Write one capture (and its body) in one transaction.

        With a body, the capture is classified against the latest good capture of the same URL:
        'new' (never held), 'changed' (different bytes: a new body row) or 'unchanged' (identical
        bytes: a revisit, revisit_of = the capture that first stored them, no new body row).
        A capture that already says revisit_of and body_sha256 (a 304) is stored as given and
        classified 'unchanged'. Failures (no body) must carry error text; they return None.
        Returns (capture id, classification)."""
        row = {k: capture.get(k) for k in CAPTURE_FIELDS}
        extra = set(capture) - set(CAPTURE_FIELDS)
        if extra:
            raise CaptureError(f"unknown capture fields: {sorted(extra)}")
        if isinstance(row["headers"], dict):
            row["headers"] = json.dumps(row["headers"], ensure_ascii=False, sort_keys=True)
        row["fetched_at"] = row["fetched_at"] or utcnow()
        page = None
        if body is not None:
            row["body_sha256"] = sha256(body)
            row["size"] = len(body)
            last = self.last_body(row["url"], rendered=row["fetch_mode"] == "rendered")
            if last is None:
                page = "new"
            elif last["body_sha256"] == row["body_sha256"]:
                page, row["revisit_of"] = "unchanged", last["original"]
            else:
                page = "changed"
        elif row["revisit_of"] is not None:
            page = "unchanged"
        self._validate(row, body)
        with transaction(self.db):
            if body is not None and row["revisit_of"] is None:  # content-addressed: kept if held
                self.bodies.insert({"sha256": row["body_sha256"], "size": len(body), "content": body},
                                   ignore=True)
            capture_id = self.captures.insert(row).last_pk
        return capture_id, page

    def _validate(self, row: dict, body: bytes | None) -> None:
        def need(cond, msg):
            if not cond:
                raise CaptureError(f"{msg}: {row.get('url')!r}")
        need(isinstance(row["run_id"], int), "capture without run_id")
        # agency None: a shared column's list page, or a report no registry agency claims
        need(row["agency"] is None or isinstance(row["agency"], str) and row["agency"], "capture agency invalid")
        need(isinstance(row["url"], str) and row["url"].startswith(("http://", "https://")),
             "capture url is not http(s)")
        need(row["kind"] in KINDS, f"capture kind must be one of {KINDS}")
        need(row["fetch_mode"] in FETCH_MODES, f"capture fetch_mode must be one of {FETCH_MODES}")
        need(row["method"], "capture without method")
        need(row["status"] is None or 100 <= int(row["status"]) < 600, "capture status invalid")
        if row["body_sha256"] is None:
            need(row["error"], "capture without body or error text")
            need(row["revisit_of"] is None, "revisit without body hash")
        else:
            need(row["status"] is not None, "capture with body but no status")
        if row["revisit_of"] is not None:
            orig = _first(self.captures, "id = ?", [row["revisit_of"]], "body_sha256")
            need(orig is not None and orig["body_sha256"] == row["body_sha256"],
                 "revisit_of points at a capture with another body")
        elif body is None and row["body_sha256"] is not None:
            need(False, "capture names a body it does not carry")


def open_run(db: sqlite_utils.Database, kind: str, agency: str | None, batch: str | None = None,
             pid: int | None = None) -> int:
    """Archive.start_run on any sqlite-utils database (the extract pass and verify use it too)."""
    notes = RunNotes(db_file(db))
    pending = notes.read()
    with transaction(db):
        for note in pending:
            apply_note(db, note)
        running = list(db["runs"].rows_where("status = 'running' AND kind = ? AND agency IS ?",
                                             [kind, agency], select="id, pid"))
        for run in running:
            if run["pid"] and run["pid"] != os.getpid() and _alive(run["pid"]):
                continue
            db["runs"].update(run["id"], {
                "status": "failing", "finish_reason": "interrupted", "finished_at": utcnow(),
                "failure": "run interrupted: its process ended without closing it"})
        run_id = db["runs"].insert({"batch": batch, "kind": kind, "agency": agency, "started_at": utcnow(),
                                    "status": "running", "pid": pid or os.getpid()}).last_pk
    if pending:
        notes.clear()
    notes.reserve()
    return run_id


def apply_note(db: sqlite_utils.Database, note: dict) -> None:
    """Write a RunNotes entry into its run row: the fields it could not write, status failing,
    the failure saying so."""
    fields = {k: v for k, v in (note.get("fields") or {}).items() if k in RUN_FIELDS}
    said = f"the run could not be recorded when it ended ({note.get('error')}); recorded by the next run"
    fields["failure"] = "; ".join(filter(None, [said, fields.get("failure")]))
    fields["status"] = "failing"
    fields.setdefault("finished_at", note.get("at") or utcnow())
    fields.setdefault("finish_reason", "unrecorded")
    if note.get("run_id") is not None and db.execute("SELECT 1 FROM runs WHERE id = ?",
                                                      [note["run_id"]]).fetchone():
        db["runs"].update(note["run_id"], fields)
    else:  # the row itself was never written
        db["runs"].insert({"kind": note.get("kind") or "crawl", "agency": note.get("agency"),
                           "started_at": fields["finished_at"], **fields})


def db_file(db: sqlite_utils.Database) -> str:
    """The file of a database connection ('' for an in-memory one)."""
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] if row else ""


class RunNotes:
    """`<db>.unrecorded`: what a run could not write into the archive (its row's fields, the error),
    as JSON lines, for the next run to record. The file is reserved (SIZE bytes of zeros, written,
    so the blocks are allocated) beside the archive when a run starts, and notes overwrite it in
    place: a note can be left on a disk too full for SQLite. Outside SQLite on purpose: the archive
    is what failed."""

    SIZE = 64 * 1024

    def __init__(self, db_path: str | os.PathLike):
        self.path = f"{db_path}.unrecorded" if str(db_path) else ""

    def reserve(self) -> None:
        if not self.path:
            return
        try:
            if os.path.getsize(self.path) >= self.SIZE:
                return
        except OSError:
            pass
        try:
            used = self._used()
            with open(self.path, "r+b" if os.path.exists(self.path) else "wb") as f:
                f.seek(len(used))
                f.write(b"\0" * (self.SIZE - len(used)))
        except OSError as e:
            logger.warning("cannot reserve %s: %s", self.path, e)

    def _used(self) -> bytes:
        try:
            with open(self.path, "rb") as f:
                return f.read(self.SIZE).split(b"\0", 1)[0]
        except OSError:
            return b""

    def read(self) -> list[dict]:
        if not self.path:
            return []
        out = []
        for line in self._used().decode("utf-8", "replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"error": f"unreadable note: {line[:200]}"})
        return out

    def add(self, note: dict) -> bool:
        """Append a note in place; False (and an error logged) when even this fails."""
        line = json.dumps(note | {"at": note.get("at") or utcnow()}, ensure_ascii=False, default=str)
        data = self._used() + line.encode() + b"\n"
        if len(data) > self.SIZE:  # keep the last notes that fit
            data = data[-self.SIZE:].split(b"\n", 1)[-1]
        data = data.ljust(len(data) + max(0, len(self._used()) - len(data)), b"\0")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(fd, data, 0)
                os.fsync(fd)
            finally:
                os.close(fd)
            return True
        except OSError as e:
            logger.error("cannot write the note %s to %s: %s", line, self.path, e)
            return False

    def clear(self) -> None:
        used = len(self._used())
        if used:
            try:
                fd = os.open(self.path, os.O_WRONLY)
                try:
                    os.pwrite(fd, b"\0" * used, 0)
                finally:
                    os.close(fd)
            except OSError as e:
                logger.warning("cannot clear %s: %s", self.path, e)


def _validators(headers: dict) -> dict[str, str]:
    low = {k.lower(): v for k, v in headers.items()}
    out = {}
    for src, dst in (("etag", "If-None-Match"), ("last-modified", "If-Modified-Since")):
        value = low.get(src)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            out[dst] = value
    return out


def _first(table: sqlite_utils.db.Table, where: str, args: list, select: str,
           order_by: str | None = None) -> dict | None:
    """The first row of `table` matching `where` (only the `select` columns), or None."""
    return next(table.rows_where(where, args, select=select, order_by=order_by, limit=1), None)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
