"""Chinese full-text search over reports: SQLite FTS5 with the trigram tokenizer.

Chinese has no spaces between words, so a word tokenizer sees a whole sentence as one token.
The trigram tokenizer indexes every run of three characters instead, which makes any substring
of three or more characters searchable (住房和城乡建设, 依申请公开, 行政复议 ...).
Terms of one or two characters (复议, 费) are shorter than a trigram and match nothing in FTS;
use the `search_short` canned query (a plain substring scan) for those: see docs/datasette.md.

The archive's migration 4 (archive/db.py) calls `enable_search(db)` once: it creates `reports_fts`
(an external-content index over reports.title and reports.text) with triggers that keep it in step
with every later insert, update and delete, so each extraction pass updates the index as it writes.
The call is idempotent and also rebuilds the index; `archive.datasette.publish` calls it again on a
snapshot, which picks up rows written in ways triggers do not see (bulk loads with triggers dropped).
"""
from __future__ import annotations

import sqlite_utils

FTS_TABLE = "reports_fts"
FTS_COLUMNS = ["title", "text"]


def enable_search(db: sqlite_utils.Database) -> None:
    """Create (first call) and rebuild the trigram FTS5 index over reports.title and reports.text."""
    if not db["reports"].exists():
        raise ValueError("the archive has no reports table: open it with archive.db.open_db first")
    if db["reports"].detect_fts() != FTS_TABLE:
        db["reports"].enable_fts(FTS_COLUMNS, tokenize="trigram", create_triggers=True)
    db[FTS_TABLE].rebuild_fts()


def search(db: sqlite_utils.Database, term: str, limit: int = 50) -> list[dict]:
    """Reports whose title or text contains `term`, best match first.

    Three characters or more: the FTS index (the term is searched as one phrase).
    Shorter: a substring scan, since trigram FTS cannot match one or two characters.
    """
    term = term.strip()
    if not term:
        raise ValueError("empty search term")
    if len(term) >= 3:
        sql = f"""SELECT r.id, r.agency, r.year, r.title
            FROM {FTS_TABLE} f JOIN reports r ON r.rowid = f.rowid
            WHERE {FTS_TABLE} MATCH :q ORDER BY f.rank LIMIT :limit"""
        params = {"q": '"' + term.replace('"', '""') + '"', "limit": limit}
    else:
        sql = """SELECT id, agency, year, title FROM reports
            WHERE instr(title, :q) > 0 OR instr(text, :q) > 0
            ORDER BY agency, year LIMIT :limit"""
        params = {"q": term, "limit": limit}
    return [dict(row) for row in db.query(sql, params)]
