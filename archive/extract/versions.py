"""Versions of a report: one `report_versions` row per distinct reading of a report's captures.

A report (agency + year) can be captured many times: the nightly crawl revalidates held report pages,
and an agency may correct a report after publishing it (or its page may come back mangled). Each
distinct content becomes a **version** (numbered 1, 2, ... in the order the pass meets them), with
its figures in `version_stats` (every version's, kept) and its counts in `report_versions`. The
**current** version is the one `reports`, `report_stats` and `report_checks` hold (what every view and
export shows); `report_stats.version_id` says which it is.

The current version is the latest capture, unless that capture is **clearly worse** than the current
version (`worse_reasons`): fewer figures read (inferred ones not counted), more failed consistency
checks, or not read as a report at all. Such a capture is kept as a version with status `worse`, the
report is flagged (`reports.needs_review` says which version and why), the extract run records a
warning and `scheduler.py status` lists it. A capture made before the current version's (a WARC
import of an old crawl) is kept as `superseded`. A current version that a later one replaces becomes
`superseded`.

What is a version and what is not:
- a capture whose content (figures, text, metadata: `content_sha`) is that of the report's latest
  version joins it (its id is added to `capture_ids`): a page fetched again with the same text is no
  new version;
- re-extracting a version's own captures (`extract --all`, a new EXTRACTOR_VERSION) rewrites that
  version in place (its figures, counts, `extractor_version`, `extracted_at`) and never creates one:
  a version is the content of a capture, not an extraction event. A re-read worse version that no
  longer reads worse than the current one, and is newer, becomes current.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlite_utils

META_KEYS = ("title", "published", "published_time", "index_no", "publisher", "doc_no", "format")


def text_sha(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def content_sha(meta: dict, text: str | None, stats) -> str:
    """The identity of a reading: its metadata, its text and every figure (table, row, column, value,
    unit; not where in the page it was read). stats: (table, row, col, value, unit) tuples."""
    figures = sorted(((t, r, c, None if v is None else float(v), u) for t, r, c, v, u in stats),
                     key=lambda s: tuple("" if x is None else str(x) for x in s))
    payload = [[meta.get(k) for k in META_KEYS], text_sha(text), figures]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def utc_iso(value: str | None) -> str | None:
    """A capture time as UTC ISO 8601 (crawler and WARC import write it in different forms)."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat(
        timespec="milliseconds")


@dataclass
class Reading:
    """What one extraction of a report's captures gave, as the ranking sees it."""
    capture_id: int                 # the source capture (the page, or a lone attachment)
    capture_ids: list[int]          # every capture read (page and the attachments used)
    captured_at: str | None         # the latest fetch time among them (UTC ISO)
    figures: int = 0                # figures read (inferred blanks not counted)
    checks_run: int = 0
    checks_failed: int = 0
    is_report: bool = True
    not_report_reason: str | None = None
    content: str | None = None      # content_sha
    meta: dict = field(default_factory=dict)
    text_sha256: str | None = None
    text_chars: int = 0
    needs_review: str | None = None

    @classmethod
    def of(cls, result: dict, capture_id: int, capture_ids: list[int], captured_at: str | None) -> "Reading":
        stats = result["stats"]
        return cls(
            capture_id=capture_id, capture_ids=list(capture_ids), captured_at=captured_at,
            figures=sum(not (s.get("source") or "").startswith("inferred:") for s in stats),
            checks_run=len(result["checks"]), checks_failed=sum(not k["passed"] for k in result["checks"]),
            content=content_sha(result, result.get("text"),
                                ((s["table"], s["row"], s["col"], s["value"], s["unit"]) for s in stats)),
            meta={k: result.get(k) for k in META_KEYS}, text_sha256=text_sha(result.get("text")),
            text_chars=len(result.get("text") or ""), needs_review=result.get("needs_review"))

    @classmethod
    def not_a_report(cls, capture_id: int, captured_at: str | None, why: str) -> "Reading":
        return cls(capture_id=capture_id, capture_ids=[capture_id], captured_at=captured_at,
                   is_report=False, not_report_reason=why)



def worse_reasons(new: Reading, current: Reading, current_version: int | None = None) -> list[str]:
    """Why a reading is clearly worse than the current version's; [] when it is not. A correction
    changes figures; it does not lose them, nor break the report's own arithmetic."""
    of = f"version {current_version}" if current_version else "the current version"
    if not new.is_report:
        return [f"not read as a report ({new.not_report_reason})"]
    out = []
    if new.figures < current.figures:
        out.append(f"{new.figures} figures read where {of} has {current.figures}")
    if new.checks_failed > current.checks_failed:
        out.append(f"{new.checks_failed} consistency checks failed where {of} fails {current.checks_failed}")
    return out


def decide(new: Reading, current: Reading | None, current_version: int | None = None) -> tuple[str, str]:
    """(status, reason) of a new version against the report's current one."""
    if current is None:
        return "current", "first version"
    if new.captured_at and current.captured_at and new.captured_at < current.captured_at:
        return "superseded", f"captured before version {current_version} (the current one)"
    reasons = worse_reasons(new, current, current_version)
    if reasons:
        return "worse", "; ".join(reasons)
    return "current", f"latest capture; replaces version {current_version}"


# ------------------------------------------------------------------ the rows

@dataclass
class Version:
    id: int
    report_id: int
    version: int
    status: str
    reason: str | None
    reading: Reading


def newer(a: Version, b: Version) -> bool:
    """a was captured after b (same time: a later version number)."""
    ta, tb = a.reading.captured_at or "", b.reading.captured_at or ""
    return ta > tb or (ta == tb and a.version > b.version)


def load(db: sqlite_utils.Database, report_id: int) -> list[Version]:
    """The report's versions, by number."""
    out = []
    for r in db["report_versions"].rows_where("report_id = ?", [report_id], order_by="version"):
        reading = Reading(capture_id=r["capture_id"], capture_ids=json.loads(r["capture_ids"] or "[]"),
                          captured_at=r["captured_at"], figures=r["figures"] or 0, checks_run=r["checks_run"] or 0,
                          checks_failed=r["checks_failed"] or 0, is_report=bool(r["is_report"]),
                          content=r["content_sha256"], text_sha256=r["text_sha256"],
                          text_chars=r["text_chars"] or 0, needs_review=r["needs_review"],
                          meta={k: r.get(k) for k in ("title", "published", "format")})
        out.append(Version(r["id"], r["report_id"], r["version"], r["status"], r["reason"], reading))
    return out


def row_of(reading: Reading) -> dict:
    return {"capture_id": reading.capture_id, "capture_ids": json.dumps(sorted(set(reading.capture_ids))),
            "captured_at": reading.captured_at, "figures": reading.figures, "checks_run": reading.checks_run,
            "checks_failed": reading.checks_failed, "is_report": int(reading.is_report),
            "content_sha256": reading.content, "text_sha256": reading.text_sha256,
            "text_chars": reading.text_chars, "needs_review": reading.needs_review,
            "title": reading.meta.get("title"), "published": reading.meta.get("published"),
            "format": reading.meta.get("format")}


def flag(versions: list[Version]) -> str | None:
    """The report's needs_review: the current version's own reason, and every version newer than it
    that was kept because it reads worse."""
    current = next((v for v in versions if v.status == "current"), None)
    if current is None:
        return None
    parts = [current.reading.needs_review]
    for v in versions:
        if v.status == "worse" and newer(v, current):
            parts.append(f"a later capture reads worse and is kept as version {v.version}, not current "
                         f"(capture {v.reading.capture_id}, {(v.reading.captured_at or '')[:10]}): {v.reason}")
    return "; ".join(p for p in parts if p) or None


def pending_worse(db: sqlite_utils.Database, report_ids=None) -> list[dict]:
    """Versions kept as `worse` that are newer than their report's current version (what the flag,
    the extract run's warning and `scheduler.py status` name), with the report's agency and year."""
    where, params = "", []
    if report_ids is not None:
        ids = list(report_ids)
        if not ids:
            return []
        where, params = f" AND w.report_id IN ({', '.join('?' * len(ids))})", ids
    sql = ("SELECT r.id AS report_id, r.agency, r.year, w.version, w.capture_id, w.captured_at, w.reason,"
           " c.version AS current_version FROM report_versions w JOIN reports r ON r.id = w.report_id"
           " JOIN report_versions c ON c.report_id = w.report_id AND c.status = 'current'"
           " WHERE w.status = 'worse' AND (w.captured_at > c.captured_at OR (w.captured_at = c.captured_at"
           " AND w.version > c.version))" + where + " ORDER BY r.agency, r.year, w.version")
    cur = db.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def backfill(db: sqlite_utils.Database) -> None:
    """Version 1 (current) of every report held before versions were kept, from its rows (migration):
    its capture and the captures extracted into it, its figures copied into version_stats, and
    report_stats / report_checks pointing at it."""
    reports = list(db.execute(
        "SELECT id, capture_id, extracted_at, extractor_version, needs_review, text, "
        + ", ".join(META_KEYS) + " FROM reports ORDER BY id").fetchall())
    for r in reports:
        rid, capture_id, extracted_at, extractor_version, needs_review, text = r[:6]
        meta = dict(zip(META_KEYS, r[6:]))
        ids = {i for (i,) in db.execute("SELECT capture_id FROM extractions WHERE report_id = ? AND status = 'ok'",
                                        [rid])}
        if capture_id is not None:
            ids.add(capture_id)
        times = [utc_iso(t) for (t,) in db.execute(
            f"SELECT fetched_at FROM captures WHERE id IN ({', '.join('?' * len(ids))})", sorted(ids))] if ids else []
        stats = db.execute("SELECT table_name, row_key, col_key, value, unit, inferred FROM report_stats"
                           " WHERE report_id = ?", [rid]).fetchall()
        checks = db.execute("SELECT count(*), coalesce(sum(passed = 0), 0) FROM report_checks WHERE report_id = ?",
                            [rid]).fetchone()
        reading = Reading(capture_id=capture_id, capture_ids=sorted(ids),
                          captured_at=max((t for t in times if t), default=None),
                          figures=sum(not s[5] for s in stats), checks_run=checks[0], checks_failed=checks[1],
                          content=content_sha(meta, text, (s[:5] for s in stats)), meta=meta,
                          text_sha256=text_sha(text), text_chars=len(text or ""), needs_review=needs_review)
        vid = db["report_versions"].insert({
            "report_id": rid, "version": 1, "status": "current", "reason": "held before versions were kept",
            "extracted_at": extracted_at, "extractor_version": extractor_version, **row_of(reading)}).last_pk
        db.execute("INSERT INTO version_stats (version_id, report_id, table_name, row_key, col_key, label, value,"
                   " unit, source, inferred, capture_id, extractor_version) SELECT ?, report_id, table_name, row_key,"
                   " col_key, label, value, unit, source, inferred, capture_id, extractor_version FROM report_stats"
                   " WHERE report_id = ?", [vid, rid])
        db.execute("UPDATE report_stats SET version_id = ? WHERE report_id = ?", [vid, rid])
        db.execute("UPDATE report_checks SET version_id = ? WHERE report_id = ?", [vid, rid])
