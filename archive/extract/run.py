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

from archive.db import DEFAULT_DB, open_db
from archive.extract import EXTRACTOR_VERSION, ExtractError, NotAReport
from archive.extract.sandbox import Sandbox
from archive.extract.assess import assess
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
    superseded: int = 0
    reports: set = field(default_factory=set)

    def as_dict(self, run_id: int) -> dict:
        return {"run_id": run_id, "captures": self.captures, "ok": self.ok, "error": self.error,
                "skipped": self.skipped, "superseded": self.superseded, "reports": len(self.reports)}


class Pass:
    """One extract run over one archive."""

    def __init__(self, db, *, all: bool, agencies: list[str] | None, echo=None):
        self.db = db
        self.all = all
        self.agencies = list(agencies or [])
        self.echo = echo or (lambda msg: None)
        self.counts = Counts()
        self.done_pages: set[int] = set()
        self.stopping = False
        self.sandbox = Sandbox()   # every document read in a worker within time, memory and size limits

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
        rows = self.db["extractions"].rows_where("capture_id = ? AND extractor_version = ? AND status = 'ok'",
                                                 [capture_id, EXTRACTOR_VERSION], select="1")
        return next(rows, None) is not None

    def _extract(self, cap: dict) -> dict:
        headers = json.loads(cap["headers"] or "{}")
        return self.sandbox.extract(self.body(cap["body_sha256"]), url=cap["final_url"] or cap["url"],
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
        if agency is None:  # archived from a shared column, and no registry agency named in it
            self.record(ids, "skipped", "unattributed: names no agency of the registry")
            return
        if result["year"] is None:
            self.record(ids, "error", "no report year found")
            return
        self.store(agency, result, source, ids)

    # ------------------------------------------------------------ writing
    def store(self, agency: str, result: dict, source: dict, ids: list[int]) -> None:
        """Upsert the report (agency, year) and rewrite its stats and checks: one transaction.
        A report already held from a better capture keeps its content (this one is superseded)."""
        now = utcnow()
        row = {"agency": agency, "year": result["year"], "format": result["format"],
               "url": source["final_url"] or source["url"], "capture_id": source["id"],
               "text": result["text"], "original_text": result["original_text"],
               "extractor_version": EXTRACTOR_VERSION, "extracted_at": now,
               "needs_review": result.get("needs_review"),
               **{k: result[k] for k in _META_KEYS}}
        new_rank = (_has_figures(result), source["fetch_mode"] != "browser", source["id"])
        with transaction(self.db):
            old = self.db.execute(
                "SELECT r.id, r.capture_id, cp.fetch_mode, (SELECT count(*) FROM report_stats s"
                " WHERE s.report_id = r.id AND s.table_name != 'summary') FROM reports r"
                " LEFT JOIN captures cp ON cp.id = r.capture_id WHERE r.agency = ? AND r.year = ?",
                [agency, result["year"]]).fetchone()
            superseded = old is not None and new_rank < (old[3] > 0, old[2] != "browser", old[1] or 0)
            if superseded:
                report_id = old[0]
            else:
                report_id = self._write_report(old[0] if old else None, row, result, source["id"])
            self._extractions(ids, "ok", None, report_id, now)
        self.counts.ok += len(ids)
        if superseded:
            self.counts.superseded += 1
        else:
            self.counts.reports.add(report_id)

    def _write_report(self, report_id: int | None, row: dict, result: dict, capture_id: int) -> int:
        """Insert the report row, or update it in place (UPDATE: its triggers fire) and drop its old
        stats and checks; then insert the new stats and checks. Returns the report id."""
        if report_id is None:
            report_id = self.db["reports"].insert(row).last_pk
        else:
            self.db["reports"].update(report_id, row)
            self.db["report_stats"].delete_where("report_id = ?", [report_id])
            self.db["report_checks"].delete_where("report_id = ?", [report_id])
        self.db["report_stats"].insert_all(
            {"report_id": report_id, "table_name": s["table"], "row_key": s["row"], "col_key": s["col"],
             "label": s["label"], "value": s["value"], "unit": s["unit"], "source": s["source"],
             "inferred": int((s["source"] or "").startswith("inferred:")),
             "capture_id": capture_id, "extractor_version": EXTRACTOR_VERSION} for s in result["stats"])
        self.db["report_checks"].insert_all(
            {"report_id": report_id, "check_name": k["name"], "passed": int(bool(k["passed"])),
             "detail": k.get("detail"), "extractor_version": EXTRACTOR_VERSION} for k in result["checks"])
        return report_id

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
    batch = batch or os.environ.get("NIANBAO_BATCH")
    run_id = open_run(db, "extract", None, batch)  # closes extract runs a killed pass left running
    p = Pass(db, all=all, agencies=agencies, echo=echo)
    if install_signals:
        def stop(signum, frame):
            p.stopping = True
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
    reason, status, failure = "finished", "ok", None
    try:
        p.run()
        if not p.stopping:   # checks across reports and against the law, over the whole archive
            counts_assessed = assess(db)
            if echo:
                echo(f"assessments: {counts_assessed} (report_assessments)")
        if p.stopping:
            reason, status, failure = "shutdown", "failing", "stopped before the end of the pass"
    except BaseException as e:
        reason, status, failure = "error", "failing", f"{type(e).__name__}: {e}"
        raise
    finally:
        p.sandbox.close()
        counts = p.counts.as_dict(run_id)
        db["runs"].update(run_id, {
            "finished_at": utcnow(), "finish_reason": reason, "status": status,
            "responses": counts["captures"], "reports_found": counts["reports"], "errors": counts["error"],
            "failure": failure,
            "stats": json.dumps({**counts, "extractor_version": EXTRACTOR_VERSION, "all": all})})
        db.close()
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
