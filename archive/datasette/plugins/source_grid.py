"""Datasette plugin: where a figure was read, shown safely.

    /<database>/-/source?report_id=N&t=3&row=granted&col=total     a figure of report_stats (current version)
    /<database>/-/source?version_id=V&t=3&row=granted&col=total    a figure of version_stats (any version)
    /<database>/-/source?version_id=V&ref=table[1]&r=4&c=8         a place in a stored grid (report_id=N: current)
    /-/source?...                                                  the same on the first archive served

The page shows the text grid of the table the figure was read from (the `source_tables` row the
extractor wrote, archive/extract/sources.py) as an HTML table of escaped text: every cell is
`markupsafe.escape`d, so nothing of the agency's page (markup, links, scripts, styles, attributes)
is ever rendered; the only markup is this module's own, and the response forbids scripts outright
(Content-Security-Policy `default-src 'none'`). The figure's cell has the class `hit` and a visible
marker (▶); a table read from text lines shows its lines, the figure's line marked. Above the grid:
the report's title, agency and year, the figure's table / row / column keys, label, value and
source, and a link to download the raw capture (Datasette's blob download, as report_sources'
raw_capture). An inferred figure (a blank cell filled by the report's own arithmetic) says which
identity it was inferred from, and marks the blank cell.

Every lookup is an indexed one (report_stats (report_id, table_name, row_key), version_stats
(version_id, table_name, row_key, col_key), source_tables (version_id, table_ref) unique) run through
Datasette's own query path, so `sql_time_limit_ms` applies. The database is taken from the URL, so it
works whatever the archive's file is called (ui.py's get_metadata). A `render_cell` hook links every
report_stats and version_stats `source` cell to this page.
"""
from __future__ import annotations

import json
import re
import urllib.parse

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

# The same grammar as archive/extract/sources.py (LOCATION): `NAME rRcC` or `NAME line N`, at the
# start of the source or inside the parentheses of an inferred figure. Kept here so the plugin needs
# nothing but Datasette; tests/test_source_grid.py checks both read every source alike.
LOCATION = re.compile(r"(?:^|\()(?P<ref>[^()]+?) (?:r(?P<r>\d+)c(?P<c>\d+)|line (?P<line>\d+))(?=$| \(|\))")
INFERRED = re.compile(r"^inferred: (?P<says>.*) \[(?P<name>[^\[\]]+)\] \(")
HIT_ROW = ' class="hit-row"'
SHOWN = 120          # characters of a source shown in a table cell (the link leads to all of it)
CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'"

STYLE = """
body { font-family: sans-serif; margin: 1em 2em; }
table.grid { border-collapse: collapse; margin-top: 1em; }
table.grid td, table.grid th { border: 1px solid #bbb; padding: 2px 6px; vertical-align: top; white-space: pre-wrap; }
table.grid th { background: #eee; color: #555; font-weight: normal; font-size: 80%; }
table.grid tr.hit-row td { background: #fff8dc; }
table.grid td.hit { background: #ffd54f; outline: 3px solid #d32f2f; font-weight: bold; }
.marker { color: #d32f2f; font-weight: bold; margin-right: 0.3em; }
dl.figure { display: grid; grid-template-columns: max-content auto; gap: 2px 1em; }
dl.figure dt { color: #555; }
dl.figure dd { margin: 0; }
p.note { color: #8a4b00; }
"""


def locate(source):
    """(table_ref, row, column, line) a figure's source names, or None (prose, summary)."""
    m = LOCATION.search(source or "")
    if m is None:
        return None
    if m.group("line"):
        return m.group("ref"), None, None, int(m.group("line"))
    return m.group("ref"), int(m.group("r")), int(m.group("c")), None


def render_grid(table: dict, hit: tuple | None) -> str:
    """The stored grid as an HTML table of escaped text. table: kind (cells / lines) and cells (rows of
    strings); hit: (row, column, line) to mark, or None."""
    cells = table["cells"]
    lines = table.get("kind") == "lines"
    width = max((len(r) for r in cells), default=0)
    out = ['<table class="grid">']
    if lines:
        out.append("<tr><th>line</th><th>text</th></tr>")
    else:
        out.append("<tr><th></th>" + "".join(f"<th>c{c}</th>" for c in range(width)) + "</tr>")
    for r, row in enumerate(cells):
        if lines:
            number = str(row[0]) if row else ""
            is_hit = hit is not None and hit[2] is not None and number == str(hit[2])
            text = row[1] if len(row) > 1 else ""
            out.append(f"<tr{HIT_ROW if is_hit else ''}><th>{escape(number)}</th>" + _td(text, is_hit) + "</tr>")
            continue
        row_hit = hit is not None and hit[0] == r
        tds = [_td(row[c] if c < len(row) else "", row_hit and hit[1] == c) for c in range(width)]
        out.append(f"<tr{HIT_ROW if row_hit else ''}><th>r{r}</th>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _td(text, hit: bool) -> str:
    inner = f'<span class="cell">{escape("" if text is None else str(text))}</span>'
    if hit:
        return f'<td class="hit"><span class="marker" title="the figure">▶</span>{inner}</td>'
    return f"<td>{inner}</td>"


# ------------------------------------------------------------------ the page

def _page(title: str, body: str, datasette, status: int = 200) -> Response:
    html = (f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<link rel="stylesheet" href="{escape(datasette.urls.static("app.css"))}">'
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>")
    return Response.html(html, status=status, headers={
        "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def _error(datasette, status: int, message: str) -> Response:
    return _page("Where it was read", f"<h1>Where it was read</h1><p>{escape(message)}</p>", datasette, status)


def _int(args, name):
    value = args.get(name)
    if value is None or value == "":
        return None
    if not re.fullmatch(r"\d{1,12}", value):
        raise ValueError(f"{name} must be a whole number")
    return int(value)


def _archives(datasette) -> list[str]:
    names = [n for n in datasette.databases if n != "_internal"]
    return sorted(names, key=lambda n: n != "archive")


async def _one(db, sql: str, params) -> dict | None:
    rows = (await db.execute(sql, params)).rows
    return dict(rows[0]) if rows else None


async def source_page(datasette, request):
    name = request.url_vars.get("database")
    if name is None:
        found = _archives(datasette)
        name = found[0] if found else None
    else:
        name = tilde_decode(name)
    if name is None or name not in datasette.databases:
        return _error(datasette, 404, f"no database {name!r} served here")
    db = datasette.get_database(name)
    args = request.args
    try:
        report_id, version_id = _int(args, "report_id"), _int(args, "version_id")
        r, c, line = _int(args, "r"), _int(args, "c"), _int(args, "line")
    except ValueError as e:
        return _error(datasette, 400, str(e))
    table, row_key, col_key, ref = args.get("t"), args.get("row"), args.get("col"), args.get("ref")
    if report_id is None and version_id is None:
        return _error(datasette, 400, "give report_id (the current version) or version_id")
    if not await db.table_exists("source_tables"):
        return _error(datasette, 404, "this archive keeps no source grids (migrate it: open it once with the"
                                      " extractor, then re-extract with --all)")
    figure = None
    if table is not None and row_key is not None and col_key is not None:
        where, key = ("s.version_id = ?", version_id) if version_id is not None else ("s.report_id = ?", report_id)
        stats = "version_stats" if version_id is not None else "report_stats"
        figure = await _one(db, f"""
SELECT s.report_id, s.version_id, s.table_name, s.row_key, s.col_key, s.label, s.value, s.unit, s.source,
  s.inferred, s.capture_id, COALESCE(c.body_sha256, o.body_sha256) AS body_sha256
FROM {stats} s LEFT JOIN captures c ON c.id = s.capture_id LEFT JOIN captures o ON o.id = c.revisit_of
WHERE {where} AND s.table_name = ? AND s.row_key = ? AND s.col_key = ? LIMIT 1""",
                            [key, table, row_key, col_key])
        if figure is None:
            return _error(datasette, 404, "no such figure")
        report_id, version_id = figure["report_id"], figure["version_id"]
        loc = None if figure["table_name"] in ("prose", "summary") else locate(figure["source"])
        if loc is not None:
            ref, r, c, line = loc
        else:
            ref = None
    elif ref is None:
        return _error(datasette, 400, "give t, row and col (a figure), or ref with r and c (a place in a grid)")
    if version_id is None:     # a place in the current version's grid
        cur = await _one(db, "SELECT id FROM report_versions WHERE report_id = ? AND status = 'current'", [report_id])
        version_id = cur["id"] if cur else None
    grid = None
    if ref is not None and version_id is not None:
        grid = await _one(db, """
SELECT t.report_id, t.table_ref, t.kind, t.n_rows, t.n_cols, t.truncated, t.cells, t.capture_id, c.url,
  COALESCE(c.body_sha256, o.body_sha256) AS body_sha256
FROM source_tables t LEFT JOIN captures c ON c.id = t.capture_id LEFT JOIN captures o ON o.id = c.revisit_of
WHERE t.version_id = ? AND t.table_ref = ?""", [version_id, ref])
        if grid is not None:
            report_id = grid["report_id"]
    report = await _one(db, """
SELECT r.id, r.title, r.agency, r.year, a.name AS agency_name FROM reports r
LEFT JOIN agencies a ON a.slug = r.agency WHERE r.id = ?""", [report_id]) if report_id is not None else None
    if report is None:
        return _error(datasette, 404, "no such report")
    return _page(f"Where it was read: {report['title'] or ''}",
                 _body(datasette, name, report, figure, grid, ref, (r, c, line), version_id), datasette)


def _blob(datasette, database: str, sha: str | None) -> str | None:
    if not sha:
        return None
    return datasette.urls.table(database, "bodies") + f"/{sha}.blob?_blob_column=content"


def _body(datasette, database, report, figure, grid, ref, place, version_id) -> str:
    base = datasette.urls.database(database)
    rid = report["id"]
    out = [f"<h1>Where it was read <small>出处</small></h1>",
           f'<p><a href="{escape(base)}/reports/{rid}">{escape(report["title"] or "(no title)")}</a><br>'
           f'{escape(report["agency_name"] or report["agency"] or "")} · {escape(str(report["year"]))}'
           f' · <a href="{escape(base)}/report_stats?report_id={rid}">every figure</a></p>']
    if figure is not None:
        value = figure["value"]
        shown = "" if value is None else (str(int(value)) if float(value).is_integer() else str(value))
        items = [("table 表", figure["table_name"]), ("row 行", figure["row_key"]), ("column 列", figure["col_key"]),
                 ("label 原标签", figure["label"]), ("value 数值", shown + (f" {figure['unit']}" if figure["unit"] else "")),
                 ("source 出处", figure["source"]), ("version 版本", figure["version_id"])]
        out.append('<dl class="figure">' + "".join(f"<dt>{escape(k)}</dt><dd>{escape('' if v is None else str(v))}</dd>"
                                                   for k, v in items) + "</dl>")
        inferred = INFERRED.match(figure["source"] or "")
        if figure["inferred"] or inferred:
            identity = inferred.group("name") if inferred else "the report's arithmetic"
            says = inferred.group("says") if inferred else ""
            out.append(f'<p class="note">Inferred from {escape(identity)}: the cell is blank in the report and the'
                       f" report's own figures force this value ({escape(says)}). 推算值：原表此格为空。"
                       + (" The blank cell is marked." if ref else "") + "</p>")
    raw = _blob(datasette, database, (grid or {}).get("body_sha256") or (figure or {}).get("body_sha256"))
    if raw:
        out.append(f'<p><a href="{escape(raw)}" download>download raw capture</a> (the bytes as fetched:'
                   " downloaded, never shown here)</p>")
    if grid is None:
        if figure is not None and ref is None:
            src = figure["source"] or ""
            what = ("a headline figure taken from the report's tables" if src == "tables"
                    else "read from a sentence of the report, not from a table")
            out.append(f"<p>This figure was {escape(what)}; there is no grid to show.</p>")
        else:
            out.append(f"<p>No grid stored for {escape(ref or '')} in version {escape(str(version_id))}"
                       " (extracted before grids were kept: re-extract with --all).</p>")
        return "\n".join(out)
    cells = json.loads(grid["cells"] or "[]")
    r, c, line = place
    out.append(f"<h2>{escape(grid['table_ref'])} <small>{grid['n_rows']} x {grid['n_cols']}"
               + (" (a table read from text lines)" if grid["kind"] == "lines" else "") + "</small></h2>")
    if grid["truncated"]:
        out.append("<p class=\"note\">Only part of this table is kept (at most 200 rows x 40 columns, 200 characters"
                   " a cell; 400 lines).</p>")
    if r is not None and (r >= len(cells) or c is None or c >= max((len(x) for x in cells), default=0)):
        out.append(f'<p class="note">The cell r{r}c{c} is outside the part kept.</p>')
    if figure is not None and grid["kind"] == "lines":
        out.append("<p>The figure was read from the marked line (a table flattened into text).</p>")
    out.append(render_grid({"kind": grid["kind"], "cells": cells},
                           (r, c, line) if (r is not None or line is not None) else None))
    return "\n".join(out)


@hookimpl
def register_routes(datasette):
    return [(r"^/(?P<database>[^/]+)/-/source$", source_page), (r"^/-/source$", source_page)]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column != "source" or table not in ("report_stats", "version_stats") or row is None:
        return None
    try:
        keys = set(row.keys())
    except AttributeError:
        return None
    owner = "version_id" if table == "version_stats" else "report_id"
    if not {owner, "table_name", "row_key", "col_key"} <= keys:
        return None
    # a foreign key Datasette has expanded comes as {"value": ..., "label": ...}
    got = {k: (v.get("value") if isinstance(v, dict) else v)
           for k, v in ((k, row[k]) for k in (owner, "table_name", "row_key", "col_key"))}
    if any(v is None for v in got.values()):
        return None
    query = urllib.parse.urlencode({owner: got[owner], "t": got["table_name"], "row": got["row_key"],
                                    "col": got["col_key"]})
    href = f"{datasette.urls.database(database)}/-/source?{query}"
    text = "" if value is None else str(value)
    shown = text if len(text) <= SHOWN else text[:SHOWN] + "…"
    return Markup(f'{escape(shown)} <a href="{escape(href)}" class="source-grid">表格 grid</a>')
