"""The probes table: what `scheduler.py probe` found per agency (crawler/probe.py probes; this module
writes the rows and formats them for the terminal).

One row per agency per probe run; the run itself is a `runs` row of kind `probe`. Columns:

  verdict        ok | attention;  why: the reasons for attention ("; "-separated), notes: the rest
  reachable      1 / 0;  reach: how the column's host answered (HTTP 200, DNS lookup failed, timeout ...)
  scheme         http | https | both | http → https | none
  robots         present / absent / not answered, and whether it lets our User-Agent to the column
  js_challenge   the challenge met (HTTP 412 + cookie script ...), or NULL
  family, platform     the registry's family and the research's platform guess
  detected, detected_how, platform_check   the family whose fingerprint the pages show, the evidence,
                 and agree | differ | unconfirmed | no fingerprint | unknown
  column_url, column_how, reports, years   the report column found, how (registry / discovery / moved /
                 gone / not found), report titles seen on its first pages, and per year (JSON)
  requests       requests the probe made for the agency (shared ones counted for each)
"""
from __future__ import annotations

import json

import sqlite_utils

COLUMNS = {
    "run_id": int, "agency": str, "checked_at": str, "verdict": str, "why": str, "notes": str,
    "reachable": int, "reach": str, "scheme": str, "robots": str, "robots_allows": int,
    "js_challenge": str, "family": str, "platform": str, "detected": str, "detected_how": str,
    "platform_check": str, "column_url": str, "column_how": str, "reports": int, "years": str,
    "requests": int,
}


def create_table(db: sqlite_utils.Database) -> None:
    db["probes"].create(COLUMNS, foreign_keys=[("run_id", "runs", "id"), ("agency", "agencies", "slug")])
    db["probes"].create_index(["run_id", "agency"], unique=True)
    db["probes"].create_index(["agency", "run_id"])


def record(db: sqlite_utils.Database, run_id: int, rows: list[dict]) -> None:
    """The probe run's rows, in one transaction."""
    from archive.store import transaction
    clean = []
    for row in rows:
        r = {k: row.get(k) for k in COLUMNS}
        r["run_id"] = run_id
        if isinstance(r["years"], dict):
            r["years"] = json.dumps(r["years"], sort_keys=True)
        clean.append(r)
    with transaction(db):
        db["probes"].insert_all(clean)


def rows_of(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    return list(db["probes"].rows_where("run_id = ?", [run_id], order_by="rowid"))


def last_probe_run(db: sqlite_utils.Database, after: int = 0) -> int | None:
    row = db.execute("SELECT max(id) FROM runs WHERE kind = 'probe' AND id > ?", [after]).fetchone()
    return row[0] if row and row[0] else None


def _years(text: str | None) -> str:
    years = json.loads(text) if text else {}
    if not years:
        return "-"
    keys = sorted(years, reverse=True)
    shown = ",".join(f"{y[2:]}" + (f"×{years[y]}" if years[y] > 1 else "") for y in keys[:6])
    return shown + ("…" if len(keys) > 6 else "")


def format_table(rows: list[dict]) -> str:
    """The table: problems first (marked !), then the agencies that are ok."""
    ordered = sorted(rows, key=lambda r: (r["verdict"] == "ok", not r["reachable"], r["agency"]))
    head = ["", "agency", "reach", "scheme", "robots", "js", "platform (registry → page)", "column", "reports", "years"]
    table = [head]
    for r in ordered:
        platform = f"{r['family'] or r['platform'] or '?'} → {r['detected'] or '?'}: {r['platform_check']}"
        table.append(["!" if r["verdict"] != "ok" else " ", r["agency"], r["reach"] or "", r["scheme"] or "",
                      r["robots"] or "", "challenge" if r["js_challenge"] else "-", platform,
                      r["column_how"] or "", str(r["reports"] or 0), _years(r["years"])])
    widths = [min(max(len(row[i]) for row in table), 48) for i in range(len(head))]
    lines = ["  ".join(cell[:48].ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table]
    return "\n".join(lines)


def verdict_lines(rows: list[dict]) -> str:
    """One line per agency: `slug: ok` or `slug: needs attention: why`, problems first."""
    ordered = sorted(rows, key=lambda r: (r["verdict"] == "ok", r["agency"]))
    out = []
    for r in ordered:
        if r["verdict"] == "ok":
            out.append(f"{r['agency']}: ok" + (f" ({r['notes']})" if r["notes"] else ""))
        else:
            out.append(f"{r['agency']}: needs attention: {r['why']}")
    bad = sum(r["verdict"] != "ok" for r in rows)
    out.append(f"{len(rows)} agencies probed: {len(rows) - bad} ok, {bad} need attention")
    return "\n".join(out)
