"""Datasette plugin: the archive's metadata (metadata.yml's `databases.archive`: descriptions, facets,
canned queries) for a nianbao archive whatever its file is called.

Datasette keys metadata by database name, which it takes from the file name, so `datasette serve
other.db --metadata archive/datasette/metadata.yml` used to lose every description and canned query.
This hook hands the same section to every served database that is a nianbao archive (it has the
captures and reports tables); the metadata file itself still wins for the database named `archive`.
"""
from __future__ import annotations

import functools
from pathlib import Path

import yaml
from datasette import hookimpl

METADATA = Path(__file__).resolve().parents[1] / "metadata.yml"


@functools.cache
def _archive_section() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["archive"]


@functools.cache
def _is_archive(path: str) -> bool:
    import sqlite3
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return {"captures", "reports", "runs"} <= names


@hookimpl
def get_metadata(datasette, key, database, table):
    names = [name for name, db in datasette.databases.items()
             if name != "archive" and db.path and _is_archive(db.path)]
    if not names:
        return {}
    return {"databases": {name: _archive_section() for name in names}}
