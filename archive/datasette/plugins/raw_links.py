"""Datasette plugin: render `raw_capture` cells (report_sources view) as download links.

The view holds a path such as /archive/bodies/<sha256>.blob?_blob_column=content: Datasette's own
blob renderer, which answers application/binary with Content-Disposition: attachment, so the
raw capture is downloaded, never rendered as HTML. Datasette links only absolute http(s) URLs by
itself, hence this one hook. Loaded with `--plugins-dir archive/datasette/plugins`.
"""
from datasette import hookimpl
from markupsafe import Markup, escape


@hookimpl
def render_cell(value, column, datasette):
    if column != "raw_capture" or not isinstance(value, str) or not value.startswith("/"):
        return None
    href = datasette.urls.path(value)
    return Markup(f'<a href="{escape(href)}" download>download raw capture</a>')
