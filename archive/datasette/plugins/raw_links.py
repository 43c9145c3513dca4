"""Datasette plugin: links in cells Datasette leaves plain.

- a report's id in report_summary (and report_id in the views) links to the report's pages: the
  report row, its figures (report_stats), table 三 and 四 as the template lays them out, its checks
  and assessments, and where it was read (report_sources, with the raw capture);
- `raw_capture` cells (report_sources view) are download links.

The view holds a path such as /archive/bodies/<sha256>.blob?_blob_column=content: Datasette's own
blob renderer, which answers application/binary with Content-Disposition: attachment, so the
raw capture is downloaded, never rendered as HTML. Datasette links only absolute http(s) URLs by
itself, hence this one hook. Loaded with `--plugins-dir archive/datasette/plugins`.
"""
from datasette import hookimpl
from markupsafe import Markup, escape


REPORT_PAGES = [("report", "reports/{id}"), ("figures", "report_stats?report_id={id}"),
                ("table 三", "report_table3?report_id={id}"), ("table 四", "report_table4?report_id={id}"),
                ("checks", "report_checks?report_id={id}"), ("assessments", "report_assessments?report_id={id}"),
                ("source", "report_sources?report_id={id}")]
REPORT_ID_COLUMNS = {("report_summary", "id"), ("report_table3", "report_id"), ("report_table4", "report_id"),
                     ("report_sources", "report_id"), ("report_coverage", "report_id")}


@hookimpl
def render_cell(value, column, table, database, datasette):
    if (table, column) in REPORT_ID_COLUMNS and isinstance(value, int):
        links = " ".join(f'<a href="{escape(datasette.urls.database(database))}/{p.format(id=value)}">{label}</a>'
                         for label, p in REPORT_PAGES)
        return Markup(f"{value} <small>{links}</small>")
    if column != "raw_capture" or not isinstance(value, str) or not value.startswith("/"):
        return None
    href = datasette.urls.path(value)
    return Markup(f'<a href="{escape(href)}" download>download raw capture</a>')
