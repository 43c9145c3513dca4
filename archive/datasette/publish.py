"""Make a read-only snapshot of the archive for `datasette serve -i` (immutable mode).

    python -m archive.datasette.publish archive.db publish/archive.db

Immutable mode tells SQLite the file never changes, so it skips locking and ignores the -wal
file: a live WAL-mode archive served with -i can miss whatever is still in its WAL. A snapshot
made with VACUUM INTO is one self-contained, compact file (rollback journal, no WAL), consistent
even while the crawler writes. The snapshot is migrated and its search index built, so it can
be served straight away. Keep its file name archive.db: Datasette names the database after the
file, and metadata.yml describes the database `archive`.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from archive.db import open_db
from archive.search import enable_search


def publish(src: str | Path, dest: str | Path) -> Path:
    """Write a consistent, migrated, search-indexed, single-file copy of `src` to `dest`."""
    src, dest = Path(src), Path(dest)
    if not src.is_file():
        raise FileNotFoundError(f"no archive at {src}")
    if dest.exists():
        raise FileExistsError(f"{dest} exists: remove it or choose another path")
    if dest.name != "archive.db":
        print(f"warning: Datasette will call this database {dest.stem!r}; metadata.yml "
              "describes 'archive'", file=sys.stderr)
    dest.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        conn.execute("VACUUM INTO ?", (str(dest),))
    finally:
        conn.close()
    db = open_db(dest)          # applies any migration the source has not had yet
    try:
        enable_search(db)
        db.execute("PRAGMA journal_mode = DELETE")   # fold the WAL back: one file, no -wal
    finally:
        db.conn.close()
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", help="the live archive, e.g. archive.db")
    ap.add_argument("dest", help="the snapshot to write, e.g. publish/archive.db")
    args = ap.parse_args(argv)
    try:
        out = publish(args.src, args.dest)
    except (OSError, sqlite3.Error) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
