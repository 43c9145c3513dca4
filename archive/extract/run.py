"""The extractor pass over the archive: captures -> reports, report_stats, report_checks, extractions.

    python -m archive.extract.run [--db PATH] [--all] [--agency SLUG ...]
    run_extract(db_path, all=False, agencies=None) -> counts

Picks captures of kind report/attachment with a body and status 200 that this EXTRACTOR_VERSION has not
extracted yet (--all: every one again; idempotent). A report page is extracted together with its
attachments (attachment captures whose referer is the page URL): a page that only links a PDF/DOCX gets
its figures from the attachment, its metadata from the page. Reports are keyed by (agency, year); each
distinct reading of a report's captures is a version of it (archive/extract/versions.py: every
version's figures kept in version_stats), and the current version, the one the report's rows hold, is
the latest capture unless that reads clearly worse (then it is kept as a `worse` version and the
report flagged). Each report's rows are rewritten in one transaction; a capture that fails is
recorded in `extractions` (status error / skipped, with the reason) and the pass goes on. Captures are
streamed by id in batches, one body in memory at a time.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from archive.db import DEFAULT_DB, open_db
from archive.extract import EXTRACTOR_VERSION, ExtractError, NotAReport
from archive.extract.sandbox import Sandbox
from archive.extract import versions
from archive.extract.assess import assess
from archive.keys import unit_of
from archive.rollups import refresh as refresh_rollups
from archive.store import open_run, sha256, transaction, utcnow

BATCH = 50
_META_KEYS = ("title", "published", "published_time", "index_no", "publisher", "doc_no", "region_code")
_CAPTURE_COLS = ", ".join(("id", "kind", "url", "final_url", "referer", "agency", "fetch_mode",
                           "content_type", "headers", "body_sha256", "revisit_of", "error", "status"))
_GOOD = "status = 200 AND body_sha256 IS NOT NULL AND error IS NULL"


@dataclass
class Counts:
    captures: int = 0
    ok: int = 0
    error: int = 0
    skipped: int = 0
    superseded: int = 0   # new versions older than the report's current one (kept, not current)
    versions: int = 0     # new versions of reports already held (current, worse or superseded)
    worse: int = 0        # versions kept because they read worse than the current one
    reports: set = field(default_factory=set)

    def as_dict(self, run_id: int) -> dict:
        return {"run_id": run_id, "captures": self.captures, "ok": self.ok, "error": self.error,
                "skipped": self.skipped, "superseded": self.superseded, "versions": self.versions,
                "worse": self.worse, "reports": len(self.reports)}


class Pass:
    """One extract run over one archive."""

    def __init__(self, db, *, all: bool, agencies: list[str] | None, echo=None):
        self.db = db
        self.all = all
        self.agencies = list(agencies or [])
        self.echo = echo or (lambda msg: None)
        self.counts = Counts()
        self.done_pages: set[int] = set()
        self.worse_reports: set[int] = set()   # reports given (or left with) a version that reads worse
        self.touched: set[int] = set()         # reports whose rows (or flag) this pass wrote: rollups.refresh
        self.stopping = False
        self.sandbox = Sandbox()   # every document read in a worker within time, memory and size limits
        # read-ahead: the next report pages are read by `workers` sandboxes of their own while this process
        # stores the current one (bodies are read here: the connection stays in this thread); results are
        # stored in capture order as before, so the archive is the same whatever the number of workers
        self.workers = extract_workers()
        self._pool = ThreadPoolExecutor(self.workers, "extract") if self.workers > 1 else None
        self._local = threading.local()
        self._boxes: list[Sandbox] = []
        self._ahead: dict[int, Future] = {}

    # ------------------------------------------------------------ selecting
    def candidates(self):
        """Captures to extract, streamed by id in batches (no bodies)."""
        where = ["id > ?", "kind IN ('report', 'attachment')", "status = 200", "body_sha256 IS NOT NULL"]
        params: list = []
        if self.agencies:
            where.append(f"agency IN ({', '.join('?' * len(self.agencies))})")
            params += self.agencies
        if not self.all:
            where.append("NOT EXISTS (SELECT 1 FROM extractions e WHERE e.capture_id = captures.id"
                         " AND e.extractor_version = ?)")
            params.append(EXTRACTOR_VERSION)
        last = 0
        while not self.stopping:
            rows = list(self.db["captures"].rows_where(" AND ".join(where), [last, *params],
                                                        select=_CAPTURE_COLS, order_by="id", limit=BATCH))
            if not rows:
                return
            yield from rows
            last = rows[-1]["id"]

    def page_of(self, attachment: dict) -> dict | None:
        """The latest good capture of the report page an attachment was linked from."""
        if not attachment["referer"]:
            return None
        rows = self.db["captures"].rows_where(
            f"kind = 'report' AND {_GOOD} AND (url = ? OR final_url = ?)", [attachment["referer"]] * 2,
            select=_CAPTURE_COLS, order_by="id DESC", limit=1)
        return next(rows, None)

    def attachments_of(self, page: dict) -> list[dict]:
        """Latest good capture of each attachment linked from the page."""
        refs = {page["url"], page["final_url"] or page["url"]}
        rows = self.db["captures"].rows_where(
            f"kind = 'attachment' AND {_GOOD} AND referer IN ({', '.join('?' * len(refs))})", list(refs),
            select=_CAPTURE_COLS, order_by="id")
        latest = {c["url"]: c for c in rows}
        return sorted(latest.values(), key=lambda c: c["id"])

    def body(self, sha: str) -> bytes:
        row = next(self.db["bodies"].rows_where("sha256 = ?", [sha], select="content"), None)
        if row is None or row["content"] is None:
            raise ExtractError(f"body {sha} missing from the archive")
        content = bytes(row["content"])
        if sha256(content) != sha:  # bit rot or tampering: never extract bytes that are not the capture's
            raise ExtractError(f"body sha256 mismatch: body {sha} holds bytes hashing to {sha256(content)}")
        return content

    # ------------------------------------------------------------ the pass
    def run(self) -> None:
        pending: deque = deque()
        stream = self.candidates()
        while True:
            while len(pending) <= 2 * self.workers:
                cap = next(stream, None)
                if cap is None:
                    break
                pending.append(cap)
                self._read_ahead(cap)
            if not pending:
                return
            cap = pending.popleft()
            self.counts.captures += 1
            try:
                self.one(cap)
            except sqlite3.Error:
                raise
            except Exception as e:  # a bug on one capture must not stop the pass
                self.record([cap["id"]], "error", f"internal error {type(e).__name__}: {e}")

    def one(self, cap: dict) -> None:
        if cap["error"]:
            self.record([cap["id"]], "skipped", f"capture flagged: {cap['error']}")
            return
        if cap["revisit_of"] and self.extracted_ok(cap["revisit_of"]) and cap["kind"] == "report":
            self.record([cap["id"]], "skipped", f"revisit of capture {cap['revisit_of']} (unchanged)")
            return
        if cap["kind"] == "attachment":
            page = self.page_of(cap)
            if page is None:
                self.group(None, [cap])
                return
        else:
            page = cap
        if page["id"] in self.done_pages:  # an attachment already recorded with its page's group
            return
        self.done_pages.add(page["id"])
        self.group(page, self.attachments_of(page))

    def extracted_ok(self, capture_id: int) -> bool:
        rows = self.db["extractions"].rows_where("capture_id = ? AND extractor_version = ? AND status = 'ok'",
                                                 [capture_id, EXTRACTOR_VERSION], select="1")
        return next(rows, None) is not None

    def _extract(self, cap: dict) -> dict:
        ahead = self._ahead.pop(cap["id"], None)
        if ahead is not None:
            return ahead.result()
        return self.sandbox.extract(self.body(cap["body_sha256"]), **_doc_args(cap))

    def _read_ahead(self, cap: dict) -> None:
        """Start reading a report page in a read-ahead worker (what one() would read first)."""
        if self._pool is None or cap["kind"] != "report" or cap["error"] or cap["revisit_of"]:
            return
        try:
            data = self.body(cap["body_sha256"])
        except ExtractError:
            return   # read (and recorded) in order by _extract
        self._ahead[cap["id"]] = self._pool.submit(self._read_in_worker, data, _doc_args(cap))

    def _read_in_worker(self, data: bytes, kwargs: dict) -> dict:
        box = getattr(self._local, "box", None)
        if box is None:
            box = self._local.box = Sandbox()
            self._boxes.append(box)
        return box.extract(data, **kwargs)

    def close(self) -> None:
        for f in self._ahead.values():
            f.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for box in [self.sandbox, *self._boxes]:
            box.close()

    def group(self, page: dict | None, attachments: list[dict]) -> None:
        """Extract a report page with its attachments (or a lone attachment) and store the report."""
        result = page_error = None
        source = page
        if page is not None:
            try:
                result = self._extract(page)
            except ExtractError as e:
                page_error = e
        used: list[dict] = []
        tried = bool(attachments) and (result is None or not _has_figures(result))
        if tried:
            best = None
            for att in attachments:
                try:
                    r = self._extract(att)
                except ExtractError as e:
                    self.record([att["id"]], "skipped" if isinstance(e, NotAReport) else "error",
                                f"{type(e).__name__}: {e}")
                    continue
                used.append(att)
                if best is None or _score(r) > _score(best[1]):
                    best = (att, r)
            if best is not None:
                att, r = best
                result = merge_page_attachment(result, r) if result is not None else r
                result["tables_capture_id"] = att["id"]   # its tables' grids are the attachment's
                source = source or att
        others = [] if tried else list(attachments)
        ids = ([page["id"]] if page else []) + [a["id"] for a in used]
        if result is None:  # failed attachments were recorded above; the page says why it failed
            if page is not None:
                err = page_error or ExtractError("nothing readable in the page or its attachments")
                kept = self.not_a_report(page, err) if isinstance(err, NotAReport) else None
                self.record([page["id"]], "skipped" if isinstance(err, NotAReport) else "error",
                            f"{type(err).__name__}: {err}" + (f"; {kept}" if kept else ""))
            return
        if others:
            self.record([a["id"] for a in others], "skipped", f"figures taken from capture {source['id']}")
        agency = result["agency_slug"]
        if agency is None and result["agency"]:
            self.record(ids, "skipped", f"report of another agency: {result['agency']}")
            return
        agency = agency or source["agency"]
        if agency is None:  # archived from a shared column, and no registry agency named in it
            self.record(ids, "skipped", "unattributed: names no agency of the registry")
            return
        if result["year"] is None:
            self.record(ids, "error", "no report year found")
            return
        self.store(agency, result, source, ids)

    # ------------------------------------------------------------ writing
    def captured_at(self, ids: list[int]) -> str | None:
        """The latest fetch time among captures (UTC ISO): when a reading of them was captured."""
        rows = self.db.execute(f"SELECT fetched_at FROM captures WHERE id IN ({', '.join('?' * len(ids))})",
                               list(ids)).fetchall()
        times = [t for t in (versions.utc_iso(r[0]) for r in rows) if t]
        return max(times) if times else None

    def store(self, agency: str, result: dict, source: dict, ids: list[int]) -> None:
        """Place a reading of a report's captures among the report's versions (archive/extract/versions.py)
        and, when it is (or stays) the current one, write the report's rows: one transaction."""
        now = utcnow()
        row = {"agency": agency, "year": result["year"], "format": result["format"],
               "url": source["final_url"] or source["url"], "capture_id": source["id"],
               "text": result["text"], "original_text": result["original_text"],
               "extractor_version": EXTRACTOR_VERSION, "extracted_at": now,
               "needs_review": result.get("needs_review"),
               **{k: result[k] for k in _META_KEYS}}
        for s in result["stats"]:   # the template's unit where the report prints none (keys.unit_of)
            s["unit"] = s["unit"] or unit_of(s["table"], s["row"], s["col"])
        reading = versions.Reading.of(result, source["id"], ids, self.captured_at(ids))
        with transaction(self.db):
            old = self.db.execute("SELECT id FROM reports WHERE agency = ? AND year = ?",
                                  [agency, result["year"]]).fetchone()
            if old is None:
                report_id = self.db["reports"].insert(row).last_pk
                vid = self._add_version(report_id, 1, reading, "current", "first version", result, now)
                self._write_report(report_id, row, result, source["id"], vid, new=True)
                written = True
            else:
                report_id = old[0]
                written = self._place(report_id, reading, row, result, now)
            self._flag(report_id)
            self.touched.add(report_id)
            self._extractions(ids, "ok", None, report_id, now)
        self.counts.ok += len(ids)
        if written:
            self.counts.reports.add(report_id)

    def _place(self, report_id: int, reading, row: dict, result: dict, now: str) -> bool:
        """The reading among the report's versions: a re-reading of a version's own captures rewrites it;
        the latest version's content again joins it; anything else is a new version, current unless
        clearly worse or older than the current one. True when the report's rows were written."""
        held = versions.load(self.db, report_id)
        current = next((v for v in held if v.status == "current"), None)
        group = set(reading.capture_ids)
        mine = next((v for v in held if group <= set(v.reading.capture_ids)), None)
        if mine is not None and mine.reading.capture_id != reading.capture_id:
            if mine.reading.content == reading.content:
                return False       # a capture that joined the version reads the same again
            # it joined as the same content but reads differently now: it leaves the version
            left = [i for i in mine.reading.capture_ids if i != reading.capture_id]
            self.db["report_versions"].update(mine.id, {"capture_ids": json.dumps(left)})
            held = versions.load(self.db, report_id)
            current = next((v for v in held if v.status == "current"), None)
            mine = None
        if mine is not None:       # re-extraction (--all, a new EXTRACTOR_VERSION): the version in place
            reading.capture_ids = sorted(set(mine.reading.capture_ids) | group)
            self._rewrite_version(mine, reading, result, now)
            if mine.status == "current":
                self._write_report(report_id, row, result, reading.capture_id, mine.id)
                return True
            if mine.status == "worse" and current is not None and versions.newer(mine, current):
                reasons = versions.worse_reasons(reading, current.reading, current.version)
                if reasons:
                    self.db["report_versions"].update(mine.id, {"reason": "; ".join(reasons)})
                    self._worse(report_id)
                    return False
                self._promote(current, mine, f"re-read: no longer reads worse than version {current.version}")
                self._write_report(report_id, row, result, reading.capture_id, mine.id)
                return True
            return False
        latest = held[-1] if held else None
        if latest is not None and latest.reading.content == reading.content:
            ids = sorted(set(latest.reading.capture_ids) | group)   # the same content fetched again
            self.db["report_versions"].update(latest.id, {"capture_ids": json.dumps(ids)})
            return False
        number = (latest.version if latest else 0) + 1
        status, reason = versions.decide(reading, current.reading if current else None,
                                         current.version if current else None)
        vid = self._add_version(report_id, number, reading, status, reason, result, now)
        self.counts.versions += 1
        if status == "current":
            if current is not None:
                self.db["report_versions"].update(current.id, {
                    "status": "superseded", "reason": f"replaced by version {number} (capture {reading.capture_id})"})
            self._write_report(report_id, row, result, reading.capture_id, vid)
            return True
        if status == "worse":
            self._worse(report_id)
        else:
            self.counts.superseded += 1
        return False

    def _worse(self, report_id: int) -> None:
        self.counts.worse += 1
        self.worse_reports.add(report_id)

    def _promote(self, current, version, reason: str) -> None:
        if current is not None:
            self.db["report_versions"].update(current.id, {
                "status": "superseded", "reason": f"replaced by version {version.version}"})
        self.db["report_versions"].update(version.id, {"status": "current", "reason": reason})

    def _add_version(self, report_id: int, number: int, reading, status: str, reason: str,
                     result: dict | None, now: str) -> int:
        vid = self.db["report_versions"].insert({
            "report_id": report_id, "version": number, "status": status, "reason": reason,
            "extracted_at": now, "extractor_version": EXTRACTOR_VERSION, **versions.row_of(reading)}).last_pk
        if result is not None:
            self._version_stats(vid, report_id, result, reading.capture_id)
        return vid

    def _rewrite_version(self, version, reading, result: dict, now: str) -> None:
        self.db["report_versions"].update(version.id, {
            "extracted_at": now, "extractor_version": EXTRACTOR_VERSION, **versions.row_of(reading)})
        self.db["version_stats"].delete_where("version_id = ?", [version.id])
        self.db["source_tables"].delete_where("version_id = ?", [version.id])
        self._version_stats(version.id, version.report_id, result, reading.capture_id)

    def _version_stats(self, vid: int, report_id: int, result: dict, capture_id: int) -> None:
        _insert(self.db, "version_stats", ({"version_id": vid, **s} for s in _stat_rows(report_id, result, capture_id)))
        self.db["source_tables"].insert_all(     # the grids its figures were read from (sources.py)
            {"version_id": vid, "report_id": report_id, "capture_id": result.get("tables_capture_id", capture_id),
             "table_ref": t["table_ref"], "kind": t["kind"], "n_rows": t["n_rows"], "n_cols": t["n_cols"],
             "truncated": int(t["truncated"]), "cells": json.dumps(t["cells"], ensure_ascii=False),
             "extractor_version": EXTRACTOR_VERSION} for t in result.get("source_tables") or ())

    def _flag(self, report_id: int) -> None:
        """reports.needs_review: the current version's own reason and any later capture kept as worse."""
        reason = versions.flag(versions.load(self.db, report_id))
        stored = self.db.execute("SELECT needs_review FROM reports WHERE id = ?", [report_id]).fetchone()
        if stored is not None and stored[0] != reason:
            self.db["reports"].update(report_id, {"needs_review": reason})

    def _write_report(self, report_id: int, row: dict, result: dict, capture_id: int, version_id: int,
                      new: bool = False) -> None:
        """The current version into the report's rows: the report row updated in place (UPDATE: its
        triggers fire; `new`: just inserted), its stats and checks replaced."""
        if not new:
            self.db["reports"].update(report_id, row)
            self.db["report_stats"].delete_where("report_id = ?", [report_id])
            self.db["report_checks"].delete_where("report_id = ?", [report_id])
        _insert(self.db, "report_stats", ({**s, "version_id": version_id} for s in _stat_rows(report_id, result, capture_id)))
        _insert(self.db, "report_checks", (
            {"report_id": report_id, "check_name": k["name"], "passed": int(bool(k["passed"])),
             "detail": k.get("detail"), "extractor_version": EXTRACTOR_VERSION, "version_id": version_id}
            for k in result["checks"]))

    def not_a_report(self, page: dict, err: Exception) -> str | None:
        """A report page captured again that no longer reads as a report (NotAReport) is a version kept
        as worse of the report its earlier capture gave, and flags it. Returns what was kept, or None
        when the page gave no report before (or this capture is older than the report's current one)."""
        urls = sorted({page["url"], page["final_url"] or page["url"]})
        with transaction(self.db):
            found = self.db.execute(
                "SELECT v.report_id FROM report_versions v JOIN captures c ON c.id = v.capture_id"
                f" WHERE v.status = 'current' AND (c.url IN ({', '.join('?' * len(urls))})"
                f" OR c.final_url IN ({', '.join('?' * len(urls))})) ORDER BY v.report_id LIMIT 1",
                urls + urls).fetchone()
            if found is None:
                return None
            report_id = found[0]
            held = versions.load(self.db, report_id)
            current = next(v for v in held if v.status == "current")
            reading = versions.Reading.not_a_report(page["id"], self.captured_at([page["id"]]),
                                                    f"{type(err).__name__}: {err}")
            if current.reading.captured_at and reading.captured_at and reading.captured_at < current.reading.captured_at:
                return None
            reason = "; ".join(versions.worse_reasons(reading, current.reading, current.version))
            mine = next((v for v in held if v.reading.capture_id == page["id"]), None)
            now = utcnow()
            if mine is not None:
                number = mine.version
                self.db["report_versions"].update(mine.id, {"reason": reason, "extracted_at": now,
                                                            "extractor_version": EXTRACTOR_VERSION})
            else:
                number = held[-1].version + 1
                self._add_version(report_id, number, reading, "worse", reason, None, now)
                self.counts.versions += 1
            self._worse(report_id)
            self._flag(report_id)
            self.touched.add(report_id)
        return f"kept as version {number} of report {report_id} (worse: not current)"

    def _extractions(self, ids, status, error, report_id, now) -> None:
        """One extractions row per capture for this EXTRACTOR_VERSION, replacing an earlier one."""
        self.db["extractions"].insert_all(
            ({"capture_id": i, "extractor_version": EXTRACTOR_VERSION, "status": status, "error": error,
              "report_id": report_id, "extracted_at": now} for i in ids), replace=True)

    def record(self, ids: list[int], status: str, error: str | None) -> None:
        """Record captures that gave no report (error / skipped), in their own short transaction."""
        if not ids:
            return
        with transaction(self.db):
            self._extractions(ids, status, error, None, utcnow())
        setattr(self.counts, status, getattr(self.counts, status) + len(ids))
        self.echo(f"capture {', '.join(map(str, ids))}: {status}: {error}")


def extract_workers() -> int:
    """Read-ahead workers of the pass: NIANBAO_EXTRACT_WORKERS, else one per core up to 2 (1: none)."""
    value = os.environ.get("NIANBAO_EXTRACT_WORKERS")
    return max(1, int(value)) if value else max(1, min(2, os.cpu_count() or 1))


def _doc_args(cap: dict) -> dict:
    return {"url": cap["final_url"] or cap["url"], "content_type": cap["content_type"],
            "headers": json.loads(cap["headers"] or "{}")}


def _insert(db, table: str, rows) -> None:
    """The pass's own rows (fixed columns, plain values) in one executemany: sqlite-utils' insert_all
    spent more time detecting types and building statements than SQLite spent writing."""
    rows = list(rows)
    if rows:
        cols = list(rows[0])
        db.conn.executemany(f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in cols)})"
                            f" VALUES ({', '.join('?' * len(cols))})", [tuple(r[c] for c in cols) for r in rows])


def _stat_rows(report_id: int, result: dict, capture_id: int):
    for s in result["stats"]:
        yield {"report_id": report_id, "table_name": s["table"], "row_key": s["row"], "col_key": s["col"],
               "label": s["label"], "value": s["value"], "unit": s["unit"], "source": s["source"],
               "inferred": int((s["source"] or "").startswith("inferred:")),
               "capture_id": capture_id, "extractor_version": EXTRACTOR_VERSION}


def _has_figures(result: dict) -> bool:
    return any(s["table"] not in ("summary",) for s in result["stats"])


def _score(result: dict) -> tuple:
    return (sum(v is not None for v in result["summary"].values()),
            sum(s["table"] in ("2", "3", "4", "indicator") for s in result["stats"]))


def merge_page_attachment(page: dict, att: dict) -> dict:
    """Figures from the attachment, metadata from the page where the page states it."""
    out = dict(att)
    for key in (*_META_KEYS, "agency", "agency_slug", "year"):
        if page.get(key) is not None:
            out[key] = page[key]
    out["text"] = (page["text"] + "\n\n" + att["text"]).strip()
    out["original_text"] = (page["original_text"] + "\n\n" + att["original_text"]).strip()
    out["warnings"] = page["warnings"] + att["warnings"]
    return out


def run_extract(db_path=DEFAULT_DB, *, all: bool = False, agencies: list[str] | None = None,
                batch: str | None = None, echo=None, install_signals: bool = False) -> dict:
    """Run the extractor pass over the archive at db_path and return its counts
    ({run_id, captures, ok, error, skipped, superseded, versions, worse, reports}). Records a `runs` row
    (kind extract); a later capture kept because it reads worse is a warning in its `failure` (status ok)."""
    db = open_db(db_path)
    batch = batch or os.environ.get("NIANBAO_BATCH")
    run_id = open_run(db, "extract", None, batch)  # closes extract runs a killed pass left running
    p = Pass(db, all=all, agencies=agencies, echo=echo)
    if install_signals:
        def stop(signum, frame):
            p.stopping = True
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
    reason, status, failure = "finished", "ok", None
    warnings: list[str] = []
    try:
        p.run()
        if not p.stopping:   # checks across reports and against the law, over the whole archive
            counts_assessed = assess(db)
            if echo:
                echo(f"assessments: {counts_assessed} (report_assessments)")
        # report_summary (the rows of the reports written: all with --all), agency_years, agency_year_grid,
        # report_revisions (archive/rollups.py)
        took = refresh_rollups(db, None if all else p.touched)
        if echo:
            echo(f"rollups: report_summary, agency_years, agency_year_grid rewritten in {took:.2f} s")
        warnings = worse_warnings(db, p.worse_reports)
        if warnings:   # the run is ok: the archive holds both captures; a person decides
            failure = (f"warning: {len(warnings)} later capture(s) read worse than the report's current version,"
                       " kept as versions, not current: " + "; ".join(warnings[:5])
                       + (f"; and {len(warnings) - 5} more" if len(warnings) > 5 else ""))
            for w in warnings:
                (echo or (lambda m: None))(f"warning: {w}")
        if p.stopping:
            reason, status = "shutdown", "failing"
            failure = "; ".join(filter(None, ["stopped before the end of the pass", failure]))
    except BaseException as e:
        reason, status, failure = "error", "failing", f"{type(e).__name__}: {e}"
        raise
    finally:
        p.close()
        counts = p.counts.as_dict(run_id)
        db["runs"].update(run_id, {
            "finished_at": utcnow(), "finish_reason": reason, "status": status,
            "responses": counts["captures"], "reports_found": counts["reports"], "errors": counts["error"],
            "failure": failure,
            "stats": json.dumps({**counts, "extractor_version": EXTRACTOR_VERSION, "all": all,
                                 "warnings": warnings}, ensure_ascii=False)})
        db.close()
    return counts


def worse_warnings(db, report_ids) -> list[str]:
    """One line per version kept as worse (still newer than its report's current one) among reports."""
    return [f"{w['agency']} {w['year']} version {w['version']} (capture {w['capture_id']}): {w['reason']};"
            f" version {w['current_version']} stays current"
            for w in versions.pending_worse(db, report_ids)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m archive.extract.run",
                                 description="Extract reports from the archive's captures.")
    ap.add_argument("--db", default=DEFAULT_DB, help=f"archive SQLite file (default {DEFAULT_DB})")
    ap.add_argument("--all", action="store_true", help="re-extract every capture (idempotent)")
    ap.add_argument("--agency", action="append", dest="agencies", metavar="SLUG",
                    help="only captures of this agency (repeatable)")
    ap.add_argument("--batch", help="batch id recorded on the runs row (default $NIANBAO_BATCH)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each capture that fails")
    args = ap.parse_args(argv)
    echo = (lambda m: print(m, file=sys.stderr)) if args.verbose else None
    counts = run_extract(args.db, all=args.all, agencies=args.agencies, batch=args.batch, echo=echo,
                         install_signals=True)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
