"""The extractor pass over the archive: captures -> reports, report_stats, report_checks, extractions.

    python -m archive.extract.run [--db PATH] [--all] [--agency SLUG ...]
    run_extract(db_path, all=False, agencies=None) -> counts

Picks captures of kind report/attachment with a body and status 200 that this EXTRACTOR_VERSION has not
extracted yet (--all: every one again; idempotent). A report page is extracted together with its
attachments (attachment captures whose referer is the page URL): a page that only links a PDF/DOCX gets
its figures from the attachment, its metadata from the page. Reports are keyed by (agency, year); a
better capture replaces the row's content: pages with figures over those without, http over browser,
then the later capture. Each report's rows are rewritten in one transaction; a capture that fails is
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
from dataclasses import dataclass, field
from datetime import datetime, timezone

from archive.db import DEFAULT_DB, open_db
from archive.extract import EXTRACTOR_VERSION, ExtractError, NotAReport
from archive.extract.extract import extract_document

BATCH = 50
_META_KEYS = ("title", "published", "published_time", "index_no", "publisher", "doc_no")
_CAPTURE_COLS = ("id", "kind", "url", "final_url", "referer", "agency", "fetch_mode", "content_type",
                 "headers", "body_sha256", "revisit_of", "error", "status")


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Counts:
    captures: int = 0
    ok: int = 0
    error: int = 0
    skipped: int = 0
    superseded: int = 0
    reports: set = field(default_factory=set)

    def as_dict(self, run_id: int) -> dict:
        return {"run_id": run_id, "captures": self.captures, "ok": self.ok, "error": self.error,
                "skipped": self.skipped, "superseded": self.superseded, "reports": len(self.reports)}


class Pass:
    """One extract run over one archive."""

    def __init__(self, db, *, all: bool, agencies: list[str] | None, echo=None):
        self.db, self.conn = db, db.conn
        self.all = all
        self.agencies = list(agencies or [])
        self.echo = echo or (lambda msg: None)
        self.counts = Counts()
        self.done_pages: set[int] = set()
        self.stopping = False

    # ------------------------------------------------------------ selecting
    def candidates(self):
        """Captures to extract, streamed by id in batches (no bodies)."""
        where = ["c.id > ?", "c.kind IN ('report', 'attachment')", "c.status = 200",
                 "c.body_sha256 IS NOT NULL"]
        params: list = []
        if self.agencies:
            where.append(f"c.agency IN ({', '.join('?' * len(self.agencies))})")
            params += self.agencies
        if not self.all:
            where.append("NOT EXISTS (SELECT 1 FROM extractions e WHERE e.capture_id = c.id"
                         " AND e.extractor_version = ?)")
            params.append(EXTRACTOR_VERSION)
        sql = (f"SELECT {', '.join('c.' + k for k in _CAPTURE_COLS)} FROM captures c "
               f"WHERE {' AND '.join(where)} ORDER BY c.id LIMIT {BATCH}")
        last = 0
        while not self.stopping:
            rows = self.conn.execute(sql, [last, *params]).fetchall()
            if not rows:
                return
            for row in rows:
                yield dict(zip(_CAPTURE_COLS, row))
            last = rows[-1][0]

    def capture(self, capture_id: int) -> dict | None:
        row = self.conn.execute(f"SELECT {', '.join(_CAPTURE_COLS)} FROM captures WHERE id = ?",
                                [capture_id]).fetchone()
        return dict(zip(_CAPTURE_COLS, row)) if row else None

    def page_of(self, attachment: dict) -> dict | None:
        """The latest good capture of the report page an attachment was linked from."""
        if not attachment["referer"]:
            return None
        row = self.conn.execute(
            f"SELECT {', '.join(_CAPTURE_COLS)} FROM captures WHERE kind = 'report' AND status = 200"
            " AND body_sha256 IS NOT NULL AND error IS NULL AND (url = ? OR final_url = ?)"
            " ORDER BY id DESC LIMIT 1", [attachment["referer"]] * 2).fetchone()
        return dict(zip(_CAPTURE_COLS, row)) if row else None

    def attachments_of(self, page: dict) -> list[dict]:
        """Latest good capture of each attachment linked from the page."""
        refs = {page["url"], page["final_url"] or page["url"]}
        rows = self.conn.execute(
            f"SELECT {', '.join(_CAPTURE_COLS)} FROM captures WHERE kind = 'attachment' AND status = 200"
            f" AND body_sha256 IS NOT NULL AND error IS NULL AND referer IN ({', '.join('?' * len(refs))})"
            " ORDER BY id", list(refs)).fetchall()
        latest: dict[str, dict] = {}
        for row in rows:
            c = dict(zip(_CAPTURE_COLS, row))
            latest[c["url"]] = c
        return sorted(latest.values(), key=lambda c: c["id"])

    def body(self, sha: str) -> bytes:
        row = self.conn.execute("SELECT content FROM bodies WHERE sha256 = ?", [sha]).fetchone()
        if row is None or row[0] is None:
            raise ExtractError(f"body {sha} missing from the archive")
        return bytes(row[0])

    # ------------------------------------------------------------ the pass
    def run(self) -> None:
        for cap in self.candidates():
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
        return self.conn.execute("SELECT 1 FROM extractions WHERE capture_id = ? AND extractor_version = ?"
                                 " AND status = 'ok'", [capture_id, EXTRACTOR_VERSION]).fetchone() is not None

    def _extract(self, cap: dict) -> dict:
        headers = json.loads(cap["headers"] or "{}")
        return extract_document(self.body(cap["body_sha256"]), url=cap["final_url"] or cap["url"],
                                content_type=cap["content_type"], headers=headers)

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
                source = source or att
        others = [] if tried else list(attachments)
        ids = ([page["id"]] if page else []) + [a["id"] for a in used]
        if result is None:  # failed attachments were recorded above; the page says why it failed
            if page is not None:
                err = page_error or ExtractError("nothing readable in the page or its attachments")
                self.record([page["id"]], "skipped" if isinstance(err, NotAReport) else "error",
                            f"{type(err).__name__}: {err}")
            return
        if others:
            self.record([a["id"] for a in others], "skipped", f"figures taken from capture {source['id']}")
        agency = result["agency_slug"]
        if agency is None and result["agency"]:
            self.record(ids, "skipped", f"report of another agency: {result['agency']}")
            return
        agency = agency or source["agency"]
        if result["year"] is None:
            self.record(ids, "error", "no report year found")
            return
        self.store(agency, result, source, ids)

    # ------------------------------------------------------------ writing
    def store(self, agency: str, result: dict, source: dict, ids: list[int]) -> None:
        """Upsert the report (agency, year) and rewrite its stats and checks: one transaction."""
        now = utcnow()
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            old = c.execute(
                "SELECT r.id, r.capture_id, cp.fetch_mode, (SELECT count(*) FROM report_stats s"
                " WHERE s.report_id = r.id AND s.table_name != 'summary') FROM reports r"
                " LEFT JOIN captures cp ON cp.id = r.capture_id WHERE r.agency = ? AND r.year = ?",
                [agency, result["year"]]).fetchone()
            new_rank = (_has_figures(result), source["fetch_mode"] != "browser", source["id"])
            row = {"agency": agency, "year": result["year"], "format": result["format"],
                   "url": source["final_url"] or source["url"], "capture_id": source["id"],
                   "text": result["text"], "original_text": result["original_text"],
                   "extractor_version": EXTRACTOR_VERSION, "extracted_at": now,
                   **{k: result[k] for k in ("title", "published", "index_no", "publisher", "doc_no")}}
            if old is not None:
                report_id = old[0]
                old_rank = (old[3] > 0, old[2] != "browser", old[1] or 0)
                if new_rank < old_rank:
                    self._extractions(ids, "ok", None, report_id, now)
                    c.execute("COMMIT")
                    self.counts.superseded += 1
                    self.counts.ok += len(ids)
                    return
                sets = ", ".join(f"{k} = ?" for k in row)
                c.execute(f"UPDATE reports SET {sets} WHERE id = ?", [*row.values(), report_id])
                c.execute("DELETE FROM report_stats WHERE report_id = ?", [report_id])
                c.execute("DELETE FROM report_checks WHERE report_id = ?", [report_id])
            else:
                cols = ", ".join(row)
                cur = c.execute(f"INSERT INTO reports ({cols}) VALUES ({', '.join('?' * len(row))})",
                                list(row.values()))
                report_id = cur.lastrowid
            c.executemany(
                "INSERT INTO report_stats (report_id, table_name, row_key, col_key, label, value, unit,"
                " source, capture_id, extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(report_id, s["table"], s["row"], s["col"], s["label"], s["value"], s["unit"], s["source"],
                  source["id"], EXTRACTOR_VERSION) for s in result["stats"]])
            c.executemany(
                "INSERT INTO report_checks (report_id, check_name, passed, detail, extractor_version)"
                " VALUES (?, ?, ?, ?, ?)",
                [(report_id, k["name"], int(bool(k["passed"])), k.get("detail"), EXTRACTOR_VERSION)
                 for k in result["checks"]])
            self._extractions(ids, "ok", None, report_id, now)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        self.counts.ok += len(ids)
        self.counts.reports.add(report_id)

    def _extractions(self, ids, status, error, report_id, now) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO extractions (capture_id, extractor_version, status, error, report_id,"
            " extracted_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(i, EXTRACTOR_VERSION, status, error, report_id, now) for i in ids])

    def record(self, ids: list[int], status: str, error: str | None) -> None:
        """Record captures that gave no report (error / skipped), in their own short transaction."""
        if not ids:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self._extractions(ids, status, error, None, utcnow())
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        setattr(self.counts, status, getattr(self.counts, status) + len(ids))
        self.echo(f"capture {', '.join(map(str, ids))}: {status}: {error}")


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
    ({run_id, captures, ok, error, skipped, superseded, reports}). Records a `runs` row (kind extract)."""
    db = open_db(db_path)
    conn = db.conn
    batch = batch or os.environ.get("NIANBAO_BATCH")
    cur = conn.execute("INSERT INTO runs (batch, kind, agency, started_at, status, pid)"
                       " VALUES (?, 'extract', NULL, ?, 'running', ?)", [batch, utcnow(), os.getpid()])
    run_id = cur.lastrowid
    p = Pass(db, all=all, agencies=agencies, echo=echo)
    if install_signals:
        def stop(signum, frame):
            p.stopping = True
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
    reason, status, failure = "finished", "ok", None
    try:
        p.run()
        if p.stopping:
            reason, status, failure = "shutdown", "failing", "stopped before the end of the pass"
    except BaseException as e:
        reason, status, failure = "error", "failing", f"{type(e).__name__}: {e}"
        raise
    finally:
        counts = p.counts.as_dict(run_id)
        conn.execute("UPDATE runs SET finished_at = ?, finish_reason = ?, status = ?, responses = ?,"
                     " reports_found = ?, errors = ?, failure = ?, stats = ? WHERE id = ?",
                     [utcnow(), reason, status, counts["captures"], counts["reports"], counts["error"],
                      failure, json.dumps({**counts, "extractor_version": EXTRACTOR_VERSION, "all": all}),
                      run_id])
        conn.close()
    return counts


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
