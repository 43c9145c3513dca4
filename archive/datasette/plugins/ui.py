"""Datasette plugin: the pages researchers read, made readable, and the search box that never says
"0 rows" for a short term.

- CSS and JS (archive/datasette/plugins/assets/) served at /-/nianbao/ and added to every page
  (extra_css_urls / extra_js_urls): column descriptions folded into a <details>, Chinese titles that
  do not wrap a character or two per line, tables that scroll sideways on a 600 px screen, the grid.
- A table search of one or two characters (`?_search=复议` on reports or report_summary), which the
  trigram index cannot match, is redirected to the `search_short` canned query with the same term.
  JSON and CSV requests are left alone (the API answers what was asked).
- Served under another file name than archive.db (`datasette serve nightly.db`), the database gets
  metadata.yml's `databases.archive` section (descriptions, facets, canned queries), the links of the
  front page's help (/archive/...) are redirected to that database, and the dashboards' charts
  (datasette-dashboards config in metadata.yml names the database `archive`) query it.
- agency_year_grid: a year cell links to that report in report_summary; an empty cell shows as a
  missing report (缺), or as "no figure" (无数) where a report is held but gives no applications figure;
  an agency's name (there, in report_summary, agency_years, report_coverage) links to its profile.
Loaded with `--plugins-dir archive/datasette/plugins`, so the serve command stays as it is.
"""
from __future__ import annotations

import functools
import hashlib
import re
import sqlite3
import time
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import yaml
from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

ASSETS = Path(__file__).with_name("assets")
METADATA = Path(__file__).resolve().parents[1] / "metadata.yml"
FILES = {"ui.css": "text/css; charset=utf-8", "ui.js": "text/javascript; charset=utf-8"}
SHORT = 3              # the trigram index needs three characters: shorter terms go to search_short
GRID = "agency_year_grid"
YEAR = re.compile(r"^(19|20)\d\d$")


def _version(name: str) -> str:
    return hashlib.sha1((ASSETS / name).read_bytes()).hexdigest()[:8]


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path(f"/-/nianbao/ui.css?v={_version('ui.css')}")]


@hookimpl
def extra_js_urls(datasette):
    return [{"url": datasette.urls.path(f"/-/nianbao/ui.js?v={_version('ui.js')}"), "module": False}]


async def _asset(request):
    name = request.url_vars["name"]
    if name not in FILES:
        raise NotFound(name)
    return Response((ASSETS / name).read_text("utf-8"), content_type=FILES[name],
                    headers={"Cache-Control": "max-age=3600"})


@hookimpl
def register_routes():
    return [(r"^/-/nianbao/(?P<name>[a-z]+\.(css|js))$", _asset)]


# ------------------------------------------------------------------ which database is the archive

@functools.cache
def _is_archive(path: str) -> bool:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return {"captures", "reports", "runs"} <= names


def _others(datasette) -> list[str]:
    """The served databases not named `archive` that are nianbao archives (captures, reports, runs)."""
    return [n for n, db in datasette.databases.items() if n != "archive" and db.path and _is_archive(db.path)]


def _archives(datasette) -> list[str]:
    """Names of the served databases that are nianbao archives, `archive` first when there is one."""
    return (["archive"] if "archive" in datasette.databases else []) + _others(datasette)


@functools.cache
def _archive_section() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["archive"]


@hookimpl
def get_metadata(datasette, key, database, table):
    """metadata.yml's `databases.archive` (descriptions, facets, canned queries) for every other served
    nianbao archive: Datasette keys metadata by database name, taken from the file name, so `datasette
    serve other.db` would lose it all; the file itself still wins for the database named `archive`."""
    names = _others(datasette)
    return {"databases": {name: _archive_section() for name in names}} if names else {}


def _retarget(obj, name: str):
    """The dashboards config with every `db: archive` pointed at `name`."""
    if isinstance(obj, dict):
        return {k: (name if k == "db" and v == "archive" else _retarget(v, name)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_retarget(v, name) for v in obj]
    return obj


@hookimpl
def startup(datasette):
    async def inner():
        names = _archives(datasette)
        if not names or names[0] == "archive":
            return
        local = datasette._metadata_local or {}
        config = (local.get("plugins") or {}).get("datasette-dashboards")
        if config:
            local["plugins"]["datasette-dashboards"] = _retarget(config, names[0])
    return inner


# ------------------------------------------------------------------ redirects

def _redirect(location: str):
    async def respond(scope, receive, send):
        await send({"type": "http.response.start", "status": 302,
                    "headers": [(b"location", location.encode("latin-1")),
                                (b"content-type", b"text/plain; charset=utf-8")]})
        await send({"type": "http.response.body", "body": b""})
    return respond


def _short_search(path: str, query: list[tuple[str, str]], databases) -> str | None:
    """The search_short URL for an HTML table page searched with a 1-2 character term (the page
    without the search for a blank one), else None."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or "." in parts[1] or parts[0] not in databases:
        return None
    term = next((v for k, v in query if k == "_search"), None)
    if term is None or len(term.strip()) >= SHORT:
        return None
    if not term.strip():   # an empty box: the page without it (Datasette answers 400, an FTS5 syntax error)
        rest = urlencode([(k, v) for k, v in query if k != "_search"])
        return quote(path) + (f"?{rest}" if rest else "")
    return f"/{quote(parts[0])}/search_short?{urlencode({'q': term.strip()})}"


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def nianbao_ui(scope, receive, send):
            if scope.get("type") != "http" or scope.get("method", "GET") not in ("GET", "HEAD"):
                return await app(scope, receive, send)
            path = scope.get("path", "")
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True,
                              encoding="utf-8", errors="replace")
            if (path == "/archive" or path.startswith(("/archive/", "/archive."))) \
                    and "archive" not in datasette.databases:
                names = _archives(datasette)
                if names:
                    rest = path[len("/archive"):]
                    qs = scope.get("query_string", b"").decode("latin-1")
                    return await _redirect(f"/{quote(names[0])}{quote(rest)}" + (f"?{qs}" if qs else ""))(
                        scope, receive, send)
            target = _short_search(path, query, datasette.databases)
            if target:
                return await _redirect(target)(scope, receive, send)
            return await app(scope, receive, send)
        return nianbao_ui
    return wrap


# ------------------------------------------------------------------ the agency x year grid

_held_without_figure: dict[str, tuple[float, set]] = {}


async def _held_no_figure(datasette, database: str) -> set:
    """(agency, year) pairs with a report held but no applications figure, cached for a minute."""
    now = time.monotonic()
    hit = _held_without_figure.get(database)
    if hit and now - hit[0] < 60:
        return hit[1]
    try:
        rows = await datasette.get_database(database).execute(
            "select agency, year from agency_years where report_id is not null and applications is null")
        pairs = {(r[0], r[1]) for r in rows}
    except Exception:      # an archive without agency_years: every empty cell reads as missing
        pairs = set()
    _held_without_figure[database] = (now, pairs)
    return pairs


PROFILE_LINKED = {GRID, "agency_years", "report_summary", "report_coverage"}


def _plain(v):
    """A row's value as stored: Datasette hands a foreign key's cell as {"value": ..., "label": ...}."""
    return v.get("value") if isinstance(v, dict) else v


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    try:
        agency = _plain(row["agency"])
    except (KeyError, IndexError, TypeError):
        agency = None
    if table != GRID or not YEAR.match(column or ""):
        if table in PROFILE_LINKED and column == "agency_name" and isinstance(agency, str) and value:
            # by name, as the profile's picker lists agencies (registry names are unique; the slug works too)
            href = datasette.urls.path("/-/dashboards/agency-profile?" + urlencode({"agency": _plain(value)}))
            return Markup(f'{escape(_plain(value))} <small><a class="nb-profile" href="{escape(href)}">'
                          f'概况 profile</a></small>')
        return None

    async def inner():
        if value is None or value == "":
            if agency and (agency, int(column)) in await _held_no_figure(datasette, database):
                href = datasette.urls.table(database, "report_summary") + "?" + urlencode(
                    {"agency": agency, "year": column})
                return Markup(f'<a class="nb-nofig" href="{escape(href)}" title="report held, no applications '
                              f'figure · 有年报，无申请数">无数</a>')
            return Markup('<span class="nb-missing" title="no report held for this year · 缺少该年度报告">缺</span>')
        href = datasette.urls.table(database, "report_summary") + "?" + urlencode({"agency": agency, "year": column})
        shown = int(value) if isinstance(value, float) and value.is_integer() else value
        return Markup(f'<a class="nb-held" href="{escape(href)}">{escape(shown)}</a>')
    return inner
