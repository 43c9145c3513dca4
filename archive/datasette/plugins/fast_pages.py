"""Datasette plugin: the main pages stay fast on a big archive (bench/datasette_pages.py, 100x the demo).

- No suggested facets: Datasette 0.65 suggests facets on every table page by running one query per
  column (up to facet_suggest_time_limit_ms each); on report_summary at 100x the demo (25,400 rows,
  30 columns) that was 3.5 of its 3.9 s under load. The `suggest_facets` setting is turned off at
  start-up (the serve command stays as it is). The facets metadata.yml names are still computed and
  shown, and any column can be faceted by hand with `?_facet=COLUMN`.
- Table permission lookups remembered: Datasette 0.65.5 answers each "may this actor see this table"
  by deep-copying the whole metadata (`Datasette._table_permission_allows`), about 66 times for the
  database page, and metadata.yml is large (descriptions, dashboards): 1.8 of the page's 3 s under
  a profiler. Its answer (the `allow` blocks metadata gives a table) depends only on the metadata and
  the databases served, so it is computed once per (database, table) for as long as those stay the
  same; the actor is still checked against those blocks on every request, as before.
"""
from __future__ import annotations

import copy

from datasette import hookimpl


@hookimpl
def startup(datasette):
    datasette._settings["suggest_facets"] = False
    original = getattr(datasette, "_table_permission_allows", None)
    if original is None or getattr(original, "_nianbao_cached", False):
        return
    cache: dict = {}

    def cached(database, table):
        key = (database, table, id(datasette._metadata_local), tuple(datasette.databases))
        if key not in cache:
            cache[key] = original(database, table)
        return copy.deepcopy(cache[key])    # callers get their own copy, as before

    cached._nianbao_cached = True
    datasette._table_permission_allows = cached
