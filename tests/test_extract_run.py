"""The extractor pass on a small real SQLite archive written through archive/store.py: report pages,
a page that only links a PDF, a GBK page, a broken capture, a soft 404, a browser duplicate; then
--all twice (idempotent) and the command line in a subprocess."""
import html
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.extract import EXTRACTOR_VERSION
from archive.extract.run import run_extract
from archive.store import Archive
from replica.content.seeds import SEED_DIR

SEEDS = SEED_DIR
ROOT = Path(__file__).resolve().parents[1]
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def seed_lines(name):
    return [l for l in (SEEDS / name).read_text().split("\n") if l.strip()]


def trs_page(title, meta_line, body_lines, charset="utf-8"):
    ps = "\n".join(f"<p>{html.escape(l)}</p>" for l in body_lines)
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f'<title>{title}</title></head><body><div class="nav"><a href="/">首页</a> > 政府信息公开年报</div>'
            f'<h1>{title}</h1><div class="meta">{meta_line}</div>'
            f'<div class="TRS_PreAppend">{ps}</div>'
            f'<div class="tools"><a>打印</a><a>关闭本页</a></div></body></html>')


def pdf_of(lines):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate
    pdfmetrics.registerFont(TTFont("wqy", FONT, subfontIndex=0))
    st = ParagraphStyle("p", fontName="wqy", fontSize=10, leading=14, wordWrap="CJK")
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build([Paragraph(html.escape(l), st) for l in lines])
    return buf.getvalue()


HUNAN_URL = "http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97944/201903/t20190322_5299653.html"
QUZHOU_URL = "http://zjj.qz.gov.cn/art/2021/1/20/art_1525444_58934811.html"
XIZANG_URL = "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/2014nb/201902/t20190223_64760.html"
XIZANG_PDF = "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/2014nb/201902/P020190223_64760.pdf"


def capture(store, run_id, agency, url, body, *, kind="report", mode="http", ctype="text/html",
            referer=None, error=None, status=200):
    cid, _ = store.add_capture({
        "run_id": run_id, "agency": agency, "url": url, "final_url": url, "method": "GET", "status": status,
        "headers": {"Content-Type": ctype}, "content_type": ctype, "fetch_mode": mode, "kind": kind,
        "referer": referer, "error": error}, body=body)
    return cid


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "archive.db"
    store = Archive(path)
    run = store.start_run("crawl", "hunan_zjt")
    hunan = seed_lines("hunan-zjt-2018.txt")
    ids = {}
    ids["hunan"] = capture(store, run, "hunan_zjt", HUNAN_URL,
                           trs_page(hunan[0], hunan[1], hunan[3:-5]).encode("utf-8"))
    # the same report rendered by a browser later: http stays the source
    ids["hunan_browser"] = capture(store, run, "hunan_zjt", HUNAN_URL + "?b",
                                   trs_page(hunan[0], hunan[1], hunan[3:-5]).encode("utf-8") + b" ",
                                   mode="browser")
    # GBK page, charset only in the page (the HTTP header says nothing)
    qz = seed_lines("quzhou-zjj-2020.txt")
    qz_meta = " ".join(qz[:3]) + " " + qz[4]
    ids["quzhou"] = capture(store, run, "quzhou_zjj", QUZHOU_URL,
                            trs_page(qz[3], qz_meta, qz[6:], charset="gbk").encode("gbk", "xmlcharrefreplace"))
    # a page that only links its PDF; the PDF holds the report
    xz = seed_lines("xizang-zjt-2014.txt")
    link_page = ('<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="西藏自治区住房和城乡建设厅'
                 '2014年政府信息公开工作年度报告"><meta name="PubDate" content="2015-03-26 18:15">'
                 '</head><body><table><tr><td>索 引 号:</td><td>K3984687-7/2015-00053</td></tr></table>'
                 '<div class="TRS_Editor"><p>附件:<a href="./P020190223_64760.pdf">2014年年报.pdf</a></p>'
                 '</div></body></html>')
    ids["xizang"] = capture(store, run, "xizang_zjt", XIZANG_URL, link_page.encode())
    ids["xizang_pdf"] = capture(store, run, "xizang_zjt", XIZANG_PDF, pdf_of(xz[3:-2]), kind="attachment",
                                ctype="application/pdf", referer=XIZANG_URL)
    # broken: binary junk served as a report page
    ids["broken"] = capture(store, run, "hunan_zjt", "http://www.hunan.gov.cn/broken.html",
                            bytes(range(256)) * 8)
    # soft 404 flagged by the crawler
    ids["soft404"] = capture(store, run, "hunan_zjt", "http://www.hunan.gov.cn/gone.html",
                             "<html><body>您访问的页面不存在</body></html>".encode(), error="soft 404")
    store.finish_run(run, status="ok")
    store.close()
    return path, ids


def table(path, sql, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def snapshot(path):
    """Everything the pass writes except timestamps and run ids."""
    return {
        "reports": table(path, "SELECT id, agency, year, title, published, index_no, publisher, doc_no, format,"
                               " url, capture_id, text, original_text, extractor_version FROM reports ORDER BY id"),
        "stats": table(path, "SELECT * FROM report_stats ORDER BY report_id, table_name, row_key, col_key, source"),
        "checks": table(path, "SELECT * FROM report_checks ORDER BY report_id, check_name"),
        "extractions": table(path, "SELECT capture_id, extractor_version, status, error, report_id"
                                   " FROM extractions ORDER BY capture_id"),
    }


def test_pass_extracts_and_records(archive):
    path, ids = archive
    counts = run_extract(path)
    assert counts["error"] == 1 and counts["reports"] == 3
    ex = {r[0]: r[1:] for r in table(path, "SELECT capture_id, status, error, report_id FROM extractions")}
    assert ex[ids["broken"]][0] == "error" and "UndecodableInput" in ex[ids["broken"]][1]
    assert ex[ids["soft404"]][0] == "skipped"
    for k in ("hunan", "hunan_browser", "quzhou", "xizang", "xizang_pdf"):
        assert ex[ids[k]][0] == "ok", k
    assert ex[ids["xizang"]][2] == ex[ids["xizang_pdf"]][2]

    summary = {(r[0], r[1]): r[2:] for r in table(
        path, "SELECT agency, year, proactive_total, applications_new, granted, review_total, litigation_total,"
              " disclosure_fees_yuan, published, index_no FROM report_summary")}
    assert set(summary) == {("hunan_zjt", 2018), ("quzhou_zjj", 2020), ("xizang_zjt", 2014)}
    assert summary[("hunan_zjt", 2018)] == (4238, 51, None, None, None, None, "2019-03-22", "430S00/2019-16610")
    assert summary[("quzhou_zjj", 2020)] == (1072, 18, 7, 0, 0, 0, "2021-01-20",
                                             "113308000026188164/2021-119608")
    # metadata from the page, figures from its PDF
    assert summary[("xizang_zjt", 2014)] == (5769, 3, 3, 0, 0, 0, "2015-03-26", "K3984687-7/2015-00053")
    src = table(path, "SELECT r.url, r.capture_id FROM reports r WHERE agency = 'hunan_zjt'")
    assert src == [(HUNAN_URL, ids["hunan"])]  # http beats the later browser capture
    qz = table(path, "SELECT value FROM report_stats s JOIN reports r ON r.id = s.report_id WHERE r.agency ="
                     " 'quzhou_zjj' AND s.table_name = 'indicator' AND s.label LIKE '%网络申请数%'")
    assert qz == [(10.0,)]
    run = table(path, "SELECT kind, status, finish_reason, errors, reports_found FROM runs WHERE kind = 'extract'")
    assert run == [("extract", "ok", "finished", 1, 3)]
    assert table(path, "SELECT DISTINCT extractor_version FROM report_stats") == [(EXTRACTOR_VERSION,)]


def test_second_pass_picks_nothing_and_all_is_idempotent(archive):
    path, ids = archive
    run_extract(path)
    first = snapshot(path)
    again = run_extract(path)
    assert again["captures"] == 0
    run_extract(path, all=True)
    second = snapshot(path)
    run_extract(path, all=True)
    third = snapshot(path)
    assert first == second == third
    assert len(first["reports"]) == 3
    n_runs = table(path, "SELECT count(*) FROM runs WHERE kind = 'extract'")[0][0]
    assert n_runs == 4


def test_new_capture_updates_the_report(archive):
    path, ids = archive
    run_extract(path)
    (rid,) = table(path, "SELECT id FROM reports WHERE agency = 'hunan_zjt'")[0]
    store = Archive(path)
    run = store.start_run("crawl", "hunan_zjt")
    hunan = seed_lines("hunan-zjt-2018.txt")
    body = [l.replace("发布信息4238条", "发布信息4240条") for l in hunan[3:-5]]
    new = capture(store, run, "hunan_zjt", HUNAN_URL, trs_page(hunan[0], hunan[1], body).encode())
    store.close()
    counts = run_extract(path)
    assert counts["captures"] == 1
    rows = table(path, "SELECT id, capture_id FROM reports WHERE agency = 'hunan_zjt'")
    assert rows == [(rid, new)]
    assert table(path, "SELECT proactive_total FROM report_summary WHERE agency = 'hunan_zjt'") == [(4240,)]
    n = table(path, "SELECT count(*) FROM report_stats WHERE report_id = ? AND table_name = 'summary'", [rid])
    assert n == [(2,)]  # rewritten, not duplicated


def test_cli_subprocess(archive):
    path, ids = archive
    out = subprocess.run([sys.executable, "-m", "archive.extract.run", "--db", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout.strip().split("\n")[-1])
    assert counts["reports"] == 3 and counts["error"] == 1


def test_agency_filter(archive):
    path, ids = archive
    counts = run_extract(path, agencies=["quzhou_zjj"])
    assert counts["reports"] == 1
    assert table(path, "SELECT agency FROM reports") == [("quzhou_zjj",)]


def test_report_is_updated_in_place_for_its_triggers(archive):
    """A better capture rewrites the report row with UPDATE (what the FTS triggers rely on), never
    DELETE + INSERT. Truth: a log written by SQLite triggers, not by the code under test."""
    path, ids = archive
    run_extract(path)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE report_log (op TEXT, id INTEGER);
        CREATE TRIGGER log_u AFTER UPDATE ON reports BEGIN INSERT INTO report_log VALUES ('update', new.id); END;
        CREATE TRIGGER log_d AFTER DELETE ON reports BEGIN INSERT INTO report_log VALUES ('delete', old.id); END;
        CREATE TRIGGER log_i AFTER INSERT ON reports BEGIN INSERT INTO report_log VALUES ('insert', new.id); END;
    """)
    con.close()
    report_ids = {r[0] for r in table(path, "SELECT id FROM reports")}
    run_extract(path, all=True)  # every report rewritten from its capture
    log = table(path, "SELECT op, id FROM report_log")
    assert {op for op, _ in log} == {"update"} and {i for _, i in log} == report_ids
    assert {r[0] for r in table(path, "SELECT id FROM reports")} == report_ids


def test_a_failed_write_leaves_the_report_as_it_was(archive):
    """One report's rows go in one transaction: when its last write fails, none of it is kept."""
    path, ids = archive
    before = snapshot(path)
    con = sqlite3.connect(path)
    con.execute("CREATE TRIGGER refuse_ok BEFORE INSERT ON extractions WHEN new.status = 'ok' BEGIN"
                " SELECT RAISE(ABORT, 'ok refused'); END")  # the last write of a report's transaction
    con.close()
    with pytest.raises(sqlite3.IntegrityError, match="ok refused"):
        run_extract(path)
    assert snapshot(path) == before
    run = table(path, "SELECT status, finish_reason FROM runs WHERE kind = 'extract' ORDER BY id DESC LIMIT 1")
    assert run == [("failing", "error")]


def test_read_ahead_workers_store_the_same_archive(archive, tmp_path, monkeypatch):
    """With read-ahead (NIANBAO_EXTRACT_WORKERS=2: report pages read in sandboxes of their own while the
    pass stores) the archive holds exactly what a pass with no read-ahead writes, and the read-ahead
    sandboxes did read pages."""
    import shutil
    import threading
    from archive.extract import sandbox
    path, _ = archive
    other = tmp_path / "copy.db"
    shutil.copy(path, other)
    readers: list[str] = []
    real = sandbox.Sandbox.extract

    def spy(self, data, **kwargs):
        readers.append(threading.current_thread().name)
        return real(self, data, **kwargs)

    monkeypatch.setattr(sandbox.Sandbox, "extract", spy)
    monkeypatch.setenv("NIANBAO_EXTRACT_WORKERS", "1")
    run_extract(path)
    assert readers and all(r == threading.main_thread().name for r in readers)
    readers.clear()
    monkeypatch.setenv("NIANBAO_EXTRACT_WORKERS", "2")
    run_extract(other)
    assert any(r.startswith("extract") for r in readers)
    assert snapshot(other) == snapshot(path)
