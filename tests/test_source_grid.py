"""Where a figure was read, shown safely: the extractor keeps the text grid of every table it read
figures from (source_tables, archive/extract/sources.py) and the source_grid plugin shows it as an
escaped HTML table with the figure's cell marked (archive/datasette/plugins/source_grid.py).

Unit tests: hostile cell text rendered escaped (an HTML parser finds none of its tags or attributes),
the caps, the plugin and the extractor reading every source alike. End to end: the real `datasette
serve` on the session's crawled archive (tests/conftest.py) and on a copy holding a replica page with a
hostile row added to its table 三 (extracted by the real pass): the marked cell holds the figure's
value and its row the label the replica's template prints (replica/content/template.py, not ours).
"""
from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import unicodedata
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

from archive.extract import sources
from archive.extract.grid import Cell, Grid, rows_grid
from archive.extract.model import Stat
from tests.datasette_server import OPENER, ROOT, serve, stop

PLUGIN = ROOT / "archive" / "datasette" / "plugins" / "source_grid.py"
_spec = importlib.util.spec_from_file_location("source_grid_under_test", PLUGIN)
source_grid = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(source_grid)

HOSTILE = ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">', "\"double\" 'single' & amp",
           "</table><b>bold</b></td></tr>", "<a href=\"javascript:alert(3)\">link</a>",
           "<style>body{display:none}</style>"]
# the markup the page itself writes, and nothing else
OWN_TAGS = {"html", "head", "meta", "title", "link", "style", "body", "h1", "h2", "small", "p", "a", "br",
            "dl", "dt", "dd", "table", "tr", "th", "td", "span"}
GRID_ATTRS = {("class", "grid"), ("class", "hit-row"), ("class", "hit"), ("class", "marker"),
              ("class", "cell"), ("title", "the figure")}


class Page(HTMLParser):
    """Every tag with its attributes, and the grid's rows: (row class, [(cell class, text)])."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.rows: list[tuple[str | None, list]] = []
        self.text: list[str] = []
        self._grid = self._cell = None
        self._marker = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        cls = dict(attrs).get("class")
        if tag == "table" and cls == "grid":
            self._grid = True
        elif self._grid and tag == "tr":
            self.rows.append((cls, []))
        elif self._grid and tag in ("td", "th"):
            self._cell = [cls, ""]
            self.rows[-1][1].append(self._cell)
        elif tag == "span" and cls == "marker":
            self._marker = 1

    def handle_endtag(self, tag):
        if tag == "span":
            self._marker = 0
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "table":
            self._grid = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None and not self._marker:
            self._cell[1] += data

    def hits(self) -> list[tuple[list, str]]:
        """(the row's cells' texts, the marked cell's text) of every marked cell."""
        return [([t for _, t in cells], text) for _, cells in self.rows for cls, text in cells if cls == "hit"]


def assert_only_own_markup(html: str) -> Page:
    page = Page(html)
    tags = {t for t, _ in page.tags}
    assert tags <= OWN_TAGS, tags - OWN_TAGS
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert "javascript:" not in (value or "").lower(), (tag, name, value)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    return page


# ---------------------------------------------------------------- unit tests

def test_hostile_cells_are_escaped_text():
    cells = [["label", *HOSTILE], ["(一)予以公开", "12", "<b>3</b>", "", "", "", ""]]
    html = source_grid.render_grid({"kind": "cells", "cells": cells}, (1, 2, None))
    page = Page(html)
    for tag, attrs in page.tags:       # only the grid's own tags and classes
        assert tag in {"table", "tr", "th", "td", "span"}, tag
        assert set(attrs) <= GRID_ATTRS, attrs
    assert "<b>" not in html and "<script" not in html and "<img" not in html and "</table><b>" not in html
    grid_rows = [[t for _, t in cells] for _, cells in page.rows[1:]]     # the header row left out
    assert grid_rows[0][2:] == HOSTILE                 # each shown as the text it is (after r0, label)
    assert page.hits() == [(["r1", "(一)予以公开", "12", "<b>3</b>", "", "", "", ""], "<b>3</b>")]
    # a table read from text lines: the figure's line marked
    html = source_grid.render_grid({"kind": "lines", "cells": [["3", "<i>一、本年新收</i> | 5"], ["4", "x"]]},
                                   (None, None, 3))
    assert Page(html).hits() == [(["3", "<i>一、本年新收</i> | 5"], "<i>一、本年新收</i> | 5")]
    assert "<i>" not in html


def test_grids_are_bounded_and_only_the_ones_figures_name():
    big = rows_grid([[f"<td>{'长' * 500}"] + [str(c) for c in range(59)] for _ in range(300)], "table[1]")
    other = rows_grid([["x", "1"]], "table[0]")
    stats = [Stat("3", "new", "total", 5.0, "", None, "table[1] r250c3"),
             Stat("3", "granted", "total", 1.0, "", None, "inferred: a + b = c [t3.balance.total] (table[1] r4c8)"),
             Stat("prose", "granted", "value", 1.0, "", None, "共予以公开 1 件 r1c1 line 2"),
             Stat("summary", "granted", "value", 1.0, "", None, "tables")]
    (t,) = sources.source_tables([other, big], stats)
    assert t["table_ref"] == "table[1]" and t["kind"] == "cells" and t["truncated"]
    assert (t["n_rows"], t["n_cols"]) == (300, 60)
    assert len(t["cells"]) == sources.MAX_ROWS == 200 and {len(r) for r in t["cells"]} == {sources.MAX_COLS}
    assert len(t["cells"][0][0]) == sources.MAX_CELL and t["cells"][0][0].endswith("…")
    assert t["cells"][0][1:3] == ["0", "1"]
    # a table flattened into text: the lines from a few above the figure's to the end of its row
    text = "\n".join(["前言"] * 20 + ["一、本年新收政府信息公开申请数量", "", "7", "5", "二、上年结转", "0"])
    g = Grid([[Cell("一、本年新收政府信息公开申请数量", 0, 0), Cell("7", 0, 1), Cell("5", 0, 2)],
              [Cell("二、上年结转", 1, 0), Cell("0", 1, 1), Cell("", 1, 2)]], "text", aligned=False,
             lines=[21, 25], cells_per_line=True)
    (t,) = sources.source_tables([g], [Stat("3", "new", "natural_person", 7.0, "", None, "text line 21")], text)
    assert t["kind"] == "lines" and not t["truncated"]
    assert t["cells"][0] == ["11", "前言"] and t["cells"][-1] == ["24", "5"]
    assert ["21", "一、本年新收政府信息公开申请数量"] in t["cells"] and ["22", ""] not in t["cells"]


SOURCES = ["table[1] r4c8", "docx table[0] r2c1", "pdf p1 table[0] r12c3", "pdf p2 block[1] r3c7 (template order)",
           "ocr p3 block[0] r5c2", "xlsx Sheet1 r2c1", "text line 57", "text line 9 (cell lost in flattening)",
           "table[0] r3c1 (run-together digits split)", "pdf p1 text r4c2",
           "inferred: new + carried_over = total + carried_forward [t3.balance.total] (table[1] r5c8)",
           "inferred: x [t3.outcomes.natural_person] (text line 40 (template order))",
           "tables", "prose: 全年共受理政府信息公开申请12件", "我局共收到申请 3 件"]


def test_plugin_and_extractor_read_sources_alike():
    want = [("table[1]", 4, 8, None), ("docx table[0]", 2, 1, None), ("pdf p1 table[0]", 12, 3, None),
            ("pdf p2 block[1]", 3, 7, None), ("ocr p3 block[0]", 5, 2, None), ("xlsx Sheet1", 2, 1, None),
            ("text", None, None, 57), ("text", None, None, 9), ("table[0]", 3, 1, None), ("pdf p1 text", 4, 2, None),
            ("table[1]", 5, 8, None), ("text", None, None, 40), None, None, None]
    assert [sources.locate(s) for s in SOURCES] == want
    assert [source_grid.locate(s) for s in SOURCES] == want
    assert source_grid.LOCATION.pattern == sources.LOCATION.pattern


# ---------------------------------------------------------------- end to end

def sql(db: Path, query: str, params=()) -> list[dict]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(query, params)]


def get(base: str, path: str, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with OPENER.open(url, timeout=30) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


HOSTILE_ROW = ('<tr><td colspan="3">备注<script>alert(1)</script>&lt;script&gt;alert(2)&lt;/script&gt;'
               '<img src=x onerror=alert(3)>&lt;img src=x onerror=alert(4)&gt; "双引号" \'单引号\' &lt;/table&gt;'
               '<a href="javascript:alert(5)" onclick="alert(6)">链接</a></td></tr>')


def hostile_archive(crawled: Path, path: Path) -> int:
    """A new archive holding one capture: the crawled page of Hunan's 2021-template report with a row of
    hostile text added under its table 三, extracted by the real pass. Returns the report's id."""
    from archive.extract.run import run_extract
    from archive.store import Archive
    page = sql(crawled, "SELECT c.url, c.final_url, c.content_type, b.content FROM reports r JOIN captures c"
                        " ON c.id = r.capture_id JOIN bodies b ON b.sha256 = c.body_sha256"
                        " WHERE r.agency = 'hunan_zjt' AND r.format = 'template2021' ORDER BY r.year LIMIT 1")[0]
    html = bytes(page["content"]).decode("utf-8")
    at = html.index("</tr>", html.index("结转下年度继续办理")) + len("</tr>")
    html = html[:at] + HOSTILE_ROW + html[at:]
    # and the 总计 of row 一 (the row's last cell) left blank: the extractor infers it from the row's sum
    start = html.index("一、本年新收政府信息公开申请数量")
    end = html.index("</tr>", start)
    cells = html[start:end].split("<td")
    cells[-1] = re.sub(r">\s*\d+\s*<", "><", cells[-1], count=1)
    body = (html[:start] + "<td".join(cells) + html[end:]).encode("utf-8")
    store = Archive(path)
    run = store.start_run("crawl", "hunan_zjt")
    store.add_capture({"run_id": run, "agency": "hunan_zjt", "url": page["url"], "final_url": page["final_url"],
                       "method": "GET", "status": 200, "headers": {"Content-Type": page["content_type"]},
                       "content_type": page["content_type"], "fetch_mode": "http", "kind": "report"}, body=body)
    store.finish_run(run, status="ok")
    store.close()
    run_extract(str(path))
    return sql(path, "SELECT id FROM reports")[0]["id"]


@pytest.fixture(scope="module")
def served(crawled_archive, tmp_path_factory):
    """One real `datasette serve` (live mode, read-only) on the crawled archive and on the hostile copy,
    whose file is not called archive.db."""
    tmp = tmp_path_factory.mktemp("source_grid")
    hostile = tmp / "hostile-copy.db"
    rid = hostile_archive(Path(crawled_archive), hostile)
    proc, base = serve(Path(crawled_archive), str(hostile), immutable=False, log=tmp / "datasette.log")
    yield base, Path(crawled_archive), hostile, rid
    stop(proc)


def _printed(label: str) -> str:
    return unicodedata.normalize("NFKC", label).replace(" ", "")


def test_a_figure_shows_its_cell_and_row_as_the_replica_printed_them(served, replica_corpus):
    from replica.content.template import T3_LABELS
    from replica.corpus import ground_truth
    base, crawled, _, _ = served
    truth = next(t for t in ground_truth(corpus=replica_corpus)
                 if t["agency"] == "hunan_zjt" and t["format"] == "template2021")
    rid = sql(crawled, "SELECT id FROM reports WHERE agency = ? AND year = ?", (truth["agency"], truth["year"]))[0]["id"]
    plain = [s for s in truth["stats"] if s["table"] == "3" and T3_LABELS[s["row"]][1][:1].isdigit()]
    fig = max(plain, key=lambda s: (s["value"], s["row"], s["col"]))      # a numbered row's largest figure
    assert fig["value"] > 0
    status, headers, html = get(base, "/archive/-/source", report_id=str(rid), t="3", row=fig["row"], col=fig["col"])
    assert status == 200, html[:300]
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    page = assert_only_own_markup(html)
    ((row, cell),) = page.hits()
    assert cell.replace(",", "") == f"{fig['value']:g}"
    assert _printed(T3_LABELS[fig["row"]][1]) in [_printed(t) for t in row]
    text = "".join(page.text)
    assert _printed(truth["title"]) in _printed(text) and str(truth["year"]) in text
    # the raw capture is offered as a download, never rendered
    link = next(v for t, a in page.tags if t == "a" for k, v in a if k == "href" and ".blob?" in (v or ""))
    status, headers, body = get(base, link)
    assert status == 200 and headers["Content-Disposition"].startswith("attachment")
    # the figure's row in report_stats links to the page, and version_stats' row to the same cell
    status, _, listing = get(base, "/archive/report_stats", report_id=str(rid), table_name="3", row_key=fig["row"],
                             col_key=fig["col"])
    query = urllib.parse.urlencode({"report_id": rid, "t": "3", "row": fig["row"], "col": fig["col"]})
    assert status == 200 and f'href="/archive/-/source?{query}"'.replace("&", "&amp;") in listing
    vid = sql(crawled, "SELECT version_id FROM report_stats WHERE report_id = ? LIMIT 1", (rid,))[0]["version_id"]
    status, _, listing = get(base, "/archive/version_stats", version_id=str(vid), table_name="3", row_key=fig["row"],
                             col_key=fig["col"])
    href = listing.split('class="source-grid"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    status, _, html = get(base, href)
    assert status == 200 and Page(html).hits() == page.hits()


def test_hostile_table_cell_renders_escaped(served):
    base, _, hostile, rid = served
    fig = sql(hostile, "SELECT table_name, row_key, col_key, value FROM report_stats WHERE report_id = ?"
                       " AND table_name = '3' AND row_key = 'carried_forward' AND col_key = 'total'", (rid,))[0]
    status, headers, html = get(base, "/hostile-copy/-/source", report_id=str(rid), t="3", row="carried_forward",
                                col="total")
    assert status == 200, html[:300]
    page = assert_only_own_markup(html)
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    ((_, cell),) = page.hits()
    assert cell == f"{fig['value']:g}"
    shown = [t for _, cells in page.rows for _, t in cells if t.startswith("备注")]
    assert len(shown) >= 1
    # the hostile markup's text is shown as text (the extractor closes spaces): the page's escaped
    # entities decode back to it; the elements (<script>, <img onerror>, <a onclick>) gave only their text
    assert "<script>alert(2)</script>" in shown[0] and "<imgsrc=xonerror=alert(4)>" in shown[0]
    assert '"双引号"\'单引号\'</table>' in shown[0] and shown[0].endswith("链接")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_an_inferred_figure_says_so_and_marks_the_blank_cell(served, replica_corpus):
    from replica.content.template import T3_LABELS
    from replica.corpus import ground_truth
    base, _, hostile, rid = served
    year = sql(hostile, "SELECT year FROM reports WHERE id = ?", (rid,))[0]["year"]
    truth = next(t for t in ground_truth(corpus=replica_corpus) if t["agency"] == "hunan_zjt" and t["year"] == year)
    want = next(s["value"] for s in truth["stats"] if (s["table"], s["row"], s["col"]) == ("3", "new", "total"))
    status, _, html = get(base, "/hostile-copy/-/source", report_id=str(rid), t="3", row="new", col="total")
    assert status == 200, html[:300]
    page = assert_only_own_markup(html)
    text = "".join(page.text)
    assert "Inferred from t3." in text and f"value 数值{want:g}" in text.replace("\n", "")
    ((row, cell),) = page.hits()
    assert cell == "" and _printed(T3_LABELS["new"][1]) in [_printed(t) for t in row]


ZERO_MARKS = {"/", "／", "—", "-", "－", "–", "无"}      # cells the templates print for none (read as 0)


def test_every_stored_figure_names_a_stored_cell(served):
    """Every figure of the crawled archive read from a grid finds its grid in source_tables (the same
    version), and a printed figure (no note) finds its value in the cell its source names."""
    _, crawled, _, _ = served
    tables = {(t["version_id"], t["table_ref"]): t for t in sql(crawled, "SELECT * FROM source_tables")}
    stats = sql(crawled, "SELECT version_id, table_name, value, source, inferred FROM report_stats")
    located = missing = wrong = 0
    for s in stats:
        if s["table_name"] in ("prose", "summary"):     # a sentence, or the headline figures
            continue
        loc = source_grid.locate(s["source"])
        assert loc is not None, s
        located += 1
        t = tables.get((s["version_id"], loc[0]))
        if t is None:
            missing += 1
            continue
        if s["inferred"] or "(" in s["source"] or loc[1] is None:
            continue
        text = json.loads(t["cells"])[loc[1]][loc[2]].replace(",", "")
        if not (re.match(re.escape(f"{s['value']:g}") + r"(?![\d.])", text) or (s["value"] == 0 and text in ZERO_MARKS)):
            wrong += 1
    assert located > 1000 and missing == 0 and wrong == 0, (located, missing, wrong)
