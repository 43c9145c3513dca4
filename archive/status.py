"""Reports on the archive for scheduler.py; read-only.

`agency_status` / `format_status` (`python scheduler.py status`): per agency, the last crawl, its
status, the last success, the reports archived by year and the years missing (from the agency's
first report year to last year), and the archived reports the agency's column no longer lists;
later captures kept because they read worse than the report's current version (needs review);
runs that ended but could not be recorded (archive.store.RunNotes, e.g. on a full disk).
`batch_summary`: the per-agency table printed after a run.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import sqlite_utils

from archive.store import RunNotes, db_file

TZ = ZoneInfo("Asia/Shanghai")


def last_report_year(now: datetime | None = None) -> int:
    """Reports cover a year and come out the next spring: last year (in Beijing time) is the latest due."""
    return (now or datetime.now(TZ)).astimezone(TZ).year - 1


def agency_status(db: sqlite_utils.Database, agencies: list[str], *, last_year: int) -> list[dict]:
    """One dict per agency (those given, then any other agency found in runs or reports)."""
    tables = set(db.table_names())
    found = []
    for table in ("runs", "reports"):
        if table in tables:
            found += [r[0] for r in db.execute(
                f"SELECT DISTINCT agency FROM {table} WHERE agency IS NOT NULL ORDER BY agency")]
    out = []
    for agency in dict.fromkeys([*agencies, *found]):
        last = success = None
        if "runs" in tables:
            last = db.execute(
                "SELECT started_at, finished_at, status, failure FROM runs"
                " WHERE kind = 'crawl' AND agency = ? ORDER BY id DESC LIMIT 1", [agency]).fetchone()
            success = db.execute(
                "SELECT finished_at FROM runs WHERE kind = 'crawl' AND agency = ? AND status = 'ok'"
                " ORDER BY id DESC LIMIT 1", [agency]).fetchone()
        by_year = {}
        if "reports" in tables:
            by_year = dict(db.execute(
                "SELECT year, count(*) FROM reports WHERE agency = ? AND year IS NOT NULL"
                " GROUP BY year ORDER BY year", [agency]).fetchall())
        missing = [y for y in range(min(by_year), last_year + 1) if y not in by_year] if by_year else []
        unlisted = []
        if "report_listing" in db.view_names():
            unlisted = [{"year": y, "url": u} for y, u in db.execute(
                "SELECT year, url FROM report_listing WHERE agency = ? AND listed = 0 ORDER BY year",
                [agency]).fetchall()]
        unrecorded = [n for n in RunNotes(db_file(db)).read() if n.get("agency") == agency]
        worse = []
        if "report_versions" in tables:
            from archive.extract.versions import pending_worse
            worse = [w for w in pending_worse(db) if w["agency"] == agency]
        out.append({
            "agency": agency,
            "last_run": last[0] if last else None,
            "last_finished": last[1] if last else None,
            "status": last[2] if last else None,
            "failure": last[3] if last else None,
            "last_success": success[0] if success else None,
            "reports_by_year": by_year,
            "reports": sum(by_year.values()),
            "missing_years": missing,
            "no_longer_listed": unlisted,
            "unrecorded": unrecorded,
            "worse_versions": worse,
        })
    return out


def local_time(iso: str | None) -> str:
    """A stored UTC timestamp as Beijing time, minutes precision; '-' when there is none."""
    if not iso:
        return "-"
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def year_ranges(years) -> str:
    """[2009, 2010, 2011, 2014] -> '2009-2011, 2014'."""
    years = sorted(years)
    parts, start = [], None
    for i, y in enumerate(years):
        if start is None:
            start = y
        if i + 1 == len(years) or years[i + 1] != y + 1:
            parts.append(str(start) if start == y else f"{start}-{y}")
            start = None
    return ", ".join(parts) or "-"


def format_status(rows: list[dict], names: dict[str, str] | None = None) -> str:
    """Human-readable report, one block per agency (times in Asia/Shanghai)."""
    names = names or {}
    lines = []
    for r in rows:
        by_year = r["reports_by_year"]
        lines.append(f"{r['agency']}  {names.get(r['agency'], '')}".rstrip())
        status = r["status"] or "never run"
        if r["failure"] and r["status"] != "ok":
            status += f" ({r['failure']})"
        lines.append(f"  last run:      {local_time(r['last_run'])}  {status}")
        lines.append(f"  last success:  {local_time(r['last_success'])}")
        lines.append(f"  reports:       {r['reports']} in {len(by_year)} years: {year_ranges(by_year)}")
        multi = {y: n for y, n in by_year.items() if n > 1}
        if multi:
            lines.append("  several a year: " + ", ".join(f"{y}: {n}" for y, n in multi.items()))
        lines.append(f"  missing years: {year_ranges(r['missing_years'])}")
        for note in r.get("unrecorded", []):
            lines.append(f"  NOT RECORDED:  run {note.get('run_id')} ended {local_time(note.get('at'))} "
                         f"{(note.get('fields') or {}).get('status', 'failing')}, but its row could not be "
                         f"written ({note.get('error')}); the next run records it")
        for w in r.get("worse_versions", []):
            lines.append(f"  worse capture kept: {w['year']} version {w['version']} (capture {w['capture_id']}, "
                         f"{local_time(w['captured_at'])}): {w['reason']}; version {w['current_version']} stays "
                         "current, needs review (report_revisions)")
        for gone in r.get("no_longer_listed", []):
            lines.append(f"  no longer listed on the site: {gone['year']} ({gone['url']}), kept in the archive")
    return "\n".join(lines)


def batch_summary(db_path, first_run_id: int) -> str:
    """Per-agency table of the crawl rows written after `first_run_id`, plus the extract line.

    Agencies are grouped by province (the agencies table: the registry's province, ordered by its
    division code), then by slug; each province ends with a row naming it, with the province's
    totals when more than one of its agencies ran. Every agency row starts with its slug."""
    from archive.db import open_db
    db = open_db(db_path)
    try:
        rows = db.execute(
            "SELECT id, kind, agency, responses, errors, pages_unchanged, reports_found, status,"
            " failure FROM runs WHERE id > ? ORDER BY id", [first_run_id]).fetchall()
        provinces = _provinces(db)
        table = [("agency", "pages", "new reports", "unchanged", "errors", "status")]
        crawled = []
        notes = []
        unattributed = 0
        for rid, kind, agency, pages, errors, unchanged, found, status, failure in rows:
            if kind == "crawl":
                new = db.execute(
                    "SELECT count(*) FROM captures c WHERE c.run_id = ? AND c.agency = ? AND c.kind = 'report'"
                    " AND c.body_sha256 IS NOT NULL AND c.error IS NULL AND NOT EXISTS (SELECT 1 FROM captures p"
                    " WHERE p.url = c.url AND p.id < c.id AND p.body_sha256 IS NOT NULL)",
                    [rid, agency]).fetchone()[0]
                unattributed += db.execute(
                    "SELECT count(*) FROM captures c WHERE c.run_id = ? AND c.agency IS NULL"
                    " AND c.kind = 'report' AND c.body_sha256 IS NOT NULL AND c.revisit_of IS NULL",
                    [rid]).fetchone()[0]
                crawled.append((agency, pages or 0, new, unchanged or 0, errors or 0, status))
                if failure and status != "ok":
                    notes.append(f"  {agency}: {failure}")
            elif kind == "extract":
                notes.append(f"extract: {status}, {found or 0} reports, {errors or 0} errors"
                             + (f" ({failure})" if failure else ""))
            elif kind == "verify":
                notes.append(f"verify: {status}, {pages or 0} bodies checked, {errors or 0} errors"
                             + (f" ({failure})" if failure else ""))
            elif kind == "merge":   # archive/merge.py: shards merged into this archive
                notes.append(f"merge: {status}, {pages or 0} captures merged" + (f" ({failure})" if failure else ""))
            else:
                notes.append(f"{kind}: {failure}")
        if unattributed:
            notes.insert(0, f"  {unattributed} report page(s) of agencies not in the registry archived with no agency"
                            " (shared columns)")
    finally:
        db.conn.close()
    table += _by_province(crawled, provinces)
    widths = [max(_width(str(r[i])) for r in table) for i in range(len(table[0]))]
    lines = ["  ".join(_pad(str(v), w, left=i == 0) for i, (v, w) in enumerate(zip(r, widths))).rstrip()
             for r in table]
    return "\n".join([*lines, *notes])


def _provinces(db) -> dict[str, tuple[str, str]]:
    """slug -> (sort key, province) from the agencies table (the registry's mirror)."""
    if "agencies" not in db.table_names():
        return {}
    cols = set(db["agencies"].columns_dict)
    code = "region_code" if "region_code" in cols else "NULL"
    return {slug: ((region or "99")[:2], province or "")
            for slug, province, region in db.execute(f"SELECT slug, province, {code} FROM agencies")}


def _by_province(crawled: list[tuple], provinces: dict) -> list[tuple]:
    """The agency rows sorted by province then agency, each province closed by a row naming it
    (with its totals when more than one of its agencies ran)."""
    def key(row):
        code, name = provinces.get(row[0]) or ("99", "")
        return (not name, code, name, row[0])
    out = []
    groups: dict[tuple, list[tuple]] = {}
    for row in sorted(crawled, key=key):
        groups.setdefault(key(row)[:3], []).append(row)
    for (_, _, name), members in groups.items():
        out += members
        label = f"{name or '(no province)'} ({len(members)} {'agency' if len(members) == 1 else 'agencies'})"
        if len(members) > 1:
            out.append((label, *(sum(r[i] for r in members) for i in range(1, 5)), ""))
        else:
            out.append((label, "", "", "", "", ""))
    return out


def _width(text: str) -> int:
    """Columns a terminal gives the text: two for a wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    fill = " " * (width - _width(text))
    return text + fill if left else fill + text
