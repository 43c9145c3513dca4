"""WARC export and import (archive/warc.py, `scheduler.py warc`), proved by replay.

- The README's main job's archive (`crawled_archive`) exported with the command; warcio's own checker
  validates it; every record is held against the captures table; a real pywb server on loopback
  replays the five seed reports byte for byte (id_ mode).
- Round trip: export -> import into a fresh archive -> export keeps every payload digest and the
  headers as received; a second import adds nothing. The export stripped of our own fields (as another
  crawler would write it) imports with guessed kinds and extracts to the same reports and figures.
- A hand-made archive for what one crawl does not show: 304 and identical-bytes revisits, a followed
  redirect, a failed fetch, a Transfer-Encoding header, the browser path's Content-Length, --since.
- Another crawler's WARC (sha1 digests, WARC/1.0, request records first, gzip and chunked payloads,
  dns: and resource records), and bad input: wrong digests, a block that is not HTTP, a cut-off file.
"""
from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.store import Archive, sha256
from archive.warc import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED, export_warc, import_warc
from tests.datasette_server import OPENER, ROOT, free_port

WARCIO = Path(sys.executable).with_name("warcio")
WAYBACK = Path(os.environ.get("NIANBAO_PYWB", ROOT / ".venv-pywb" / "bin" / "wayback"))


# ---------------------------------------------------------------- helpers

def records(path) -> list[dict]:
    """Every record of a WARC: type, WARC headers, HTTP status and headers, payload."""
    out = []
    with open(path, "rb") as f:
        for r in ArchiveIterator(f):
            h = r.http_headers
            out.append({"type": r.rec_type, "warc": dict(r.rec_headers.headers),
                        "status": int(h.get_statuscode()) if h and r.rec_type != "request" else None,
                        "http": list(h.headers) if h else [], "payload": r.content_stream().read()})
    return out


def warcio_check(path) -> str:
    proc = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def run_cli(*args, child: bool = False) -> subprocess.CompletedProcess:
    """`scheduler.py ARGS`: in a child process (child=True), or its main() in this one (the same code,
    without a second interpreter's start-up)."""
    args = [str(a) for a in args]
    if child:
        return subprocess.run([sys.executable, "scheduler.py", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
    import scheduler
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = scheduler.main(args)
        except SystemExit as e:   # argparse
            code = e.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


class Pywb:
    """A real pywb (`wayback`) on a free loopback port over one collection made in tmp from a WARC
    and its CDXJ index as the export wrote them (no wb-manager re-indexing)."""

    def __init__(self, root: Path, warc: Path, cdxj: Path, coll: str = "nianbao"):
        if not WAYBACK.exists():
            pytest.fail(f"pywb not found at {WAYBACK}: run `make deps` (it makes .venv-pywb) or set NIANBAO_PYWB")
        self.coll = coll
        (root / "collections" / coll / "archive").mkdir(parents=True)
        (root / "collections" / coll / "indexes").mkdir()
        shutil.copy(warc, root / "collections" / coll / "archive" / warc.name)
        shutil.copy(cdxj, root / "collections" / coll / "indexes" / "index.cdxj")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = root / "wayback.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([str(WAYBACK), "-b", "127.0.0.1", "-p", str(self.port)], cwd=root,
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                OPENER.open(f"{self.base}/{coll}/cdx?url=example.org", timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("pywb did not start:\n" + self.log.read_text(errors="replace"))
                time.sleep(0.2)

    def get(self, url: str, timestamp: str = "") -> tuple[int, dict, bytes]:
        try:
            with OPENER.open(f"{self.base}/{self.coll}/{timestamp}id_/{url}", timeout=20) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def timestamp(warc_date: str) -> str:
    return "".join(c for c in warc_date if c.isdigit())[:14]


def b32(sha_hex: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(sha_hex)).decode()


# ---------------------------------------------------------------- the crawled archive

@pytest.fixture(scope="module")
def exported(crawled_archive, tmp_path_factory):
    """`scheduler.py warc export` of the main job's archive."""
    out = tmp_path_factory.mktemp("warc") / "nianbao.warc.gz"
    proc = run_cli("warc", "export", "--db", crawled_archive, out, child=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.exists() and out.with_name("nianbao.cdxj").exists()
    assert not list(out.parent.glob("*.part"))
    return out


def test_export_is_valid_warc_holding_every_capture(crawled_archive, exported):
    report = warcio_check(exported)
    assert "digest pass" in report and "failed" not in report
    recs = records(exported)
    conn = sqlite3.connect(crawled_archive)
    conn.row_factory = sqlite3.Row
    caps = {c["id"]: c for c in conn.execute("SELECT * FROM captures")}
    bodies = dict(conn.execute("SELECT sha256, content FROM bodies"))
    assert recs[0]["type"] == "warcinfo" and recs[0]["warc"]["WARC-Type"] == "warcinfo"
    info = recs[0]["payload"].decode()
    assert info.startswith("software: nianbao")
    for (run_id,) in conn.execute("SELECT DISTINCT run_id FROM captures"):
        assert f"\r\nrun: {run_id} crawl " in info
    assert all(r["warc"]["WARC-Warcinfo-ID"] == recs[0]["warc"]["WARC-Record-ID"] for r in recs[1:])

    seen, by_id = Counter(), {r["warc"]["WARC-Record-ID"]: r for r in recs}
    for r in recs[1:]:
        cap = caps[int(r["warc"]["WARC-Nianbao-Capture-Id"])]
        seen[(cap["id"], r["type"])] += 1
        assert r["warc"]["WARC-Nianbao-Fetch-Mode"] == cap["fetch_mode"]
        assert r["warc"]["WARC-Nianbao-Kind"] == cap["kind"]
        assert r["warc"].get("WARC-Nianbao-Agency") == cap["agency"]
        assert r["warc"]["WARC-Date"].replace("Z", "+00:00") == cap["fetched_at"]
        if r["type"] in ("response", "revisit"):
            assert r["warc"]["WARC-Target-URI"] == cap["final_url"]
            assert r["status"] == cap["status"]
            assert r["warc"]["WARC-Payload-Digest"] == b32(cap["body_sha256"])
            sent = {k: v for k, v in r["http"] if not k.startswith("X-Archive-Orig-")}
            held = {k: v[0] for k, v in json.loads(cap["headers"]).items()}
            for name, value in held.items():   # as received, but for a Content-Length that lies
                assert sent.get(name) == value or (name == "Content-Length" and int(value) != cap["size"]
                                                   and ("X-Archive-Orig-Content-Length", value) in r["http"])
            assert int(sent["Content-Length"]) == cap["size"]
        if r["type"] == "response":
            assert r["payload"] == bodies[cap["body_sha256"]]
            assert hashlib.sha256(r["payload"]).hexdigest() == cap["body_sha256"]
        elif r["type"] == "revisit":
            assert cap["revisit_of"] is not None and r["payload"] == b""
            assert r["warc"]["WARC-Profile"] == (PROFILE_NOT_MODIFIED if cap["status"] == 304 else PROFILE_IDENTICAL)
            original = by_id[r["warc"]["WARC-Refers-To"]]
            assert original["type"] == "response"
            assert int(original["warc"]["WARC-Nianbao-Capture-Id"]) == cap["revisit_of"]
            assert original["warc"]["WARC-Payload-Digest"] == r["warc"]["WARC-Payload-Digest"]
            assert r["warc"]["WARC-Refers-To-Target-URI"] == original["warc"]["WARC-Target-URI"]
            assert r["warc"]["WARC-Refers-To-Date"] == original["warc"]["WARC-Date"]
        elif r["type"] == "request":
            target = r["warc"]["WARC-Concurrent-To"]
            assert by_id[target]["warc"]["WARC-Nianbao-Capture-Id"] == r["warc"]["WARC-Nianbao-Capture-Id"]
            assert ("Referer", cap["referer"]) in r["http"] if cap["referer"] else True
        elif r["type"] == "metadata":
            assert cap["body_sha256"] is None
            assert f"fetch-error: {cap['error']}" in r["payload"].decode()
    # each capture exactly once: a body -> response or revisit, plus its request; none -> metadata
    for cid, cap in caps.items():
        if cap["body_sha256"] is None:
            assert seen[(cid, "metadata")] == 1 and seen[(cid, "request")] == 0
        else:
            assert seen[(cid, "revisit" if cap["revisit_of"] else "response")] == 1
            assert seen[(cid, "request")] == 1
    assert any(c["body_sha256"] is None for c in caps.values()), "the crawl has a failed fetch"

    # the CDXJ index: sorted, one line per response and revisit record, offsets that point at them
    lines = exported.with_name("nianbao.cdxj").read_text().splitlines()
    assert lines == sorted(lines)
    assert len(lines) == sum(r["type"] in ("response", "revisit") for r in recs)
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    assert {e["filename"] for e in entries} == {exported.name}
    with open(exported, "rb") as f:
        for e in entries[:20]:
            f.seek(int(e["offset"]))
            rec = next(iter(ArchiveIterator(f)))
            assert rec.rec_headers.get_header("WARC-Target-URI") == e["url"]
            assert rec.rec_headers.get_header("WARC-Payload-Digest") == e["digest"]


def test_pywb_replays_the_five_seed_reports_byte_for_byte(crawled_archive, exported, replica_session, replica_corpus,
                                                          tmp_path):
    seeds = [r for r in replica_corpus.reports if r.seed]   # their URLs: set by the replica's site layouts
    assert len(seeds) == 5 and all(r.url for r in seeds)
    conn = sqlite3.connect(crawled_archive)
    server = Pywb(tmp_path, exported, exported.with_name("nianbao.cdxj"))
    try:
        for report in seeds:
            row = conn.execute(
                "SELECT c.fetched_at, c.fetch_mode, b.content FROM captures c JOIN bodies b ON b.sha256 = c.body_sha256"
                " WHERE c.final_url = ? AND c.status = 200 ORDER BY c.id DESC LIMIT 1", [report.url]).fetchone()
            assert row, f"seed {report.seed} not archived at {report.url}"
            status, headers, body = server.get(report.url, timestamp(row[0]))
            assert status == 200, (report.url, status, body[:300])
            assert body == row[2], f"{report.seed}: pywb sent {len(body)} B, the archive holds {len(row[2])} B"
            assert headers["Content-Length"] == str(len(row[2]))
            assert headers.get("Memento-Datetime")
    finally:
        server.stop()


def test_round_trip_keeps_every_payload_digest_and_the_headers(crawled_archive, exported, tmp_path):
    db = tmp_path / "imported.db"
    proc = run_cli("warc", "import", "--db", db, exported, "--agency", "hunan_zjt")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    conn = sqlite3.connect(db)
    src = sqlite3.connect(crawled_archive)
    with_body = src.execute("SELECT count(*) FROM captures WHERE body_sha256 IS NOT NULL").fetchone()[0]
    assert f"{with_body} captures imported" in proc.stdout
    run = conn.execute("SELECT kind, agency, status, errors, batch FROM runs").fetchall()
    assert run == [("import", "hunan_zjt", "ok", 0, run[0][4])] and run[0][4].startswith("import-")
    assert conn.execute("SELECT count(*) FROM captures").fetchone()[0] == with_body
    # content-addressed: each distinct body once, the same bodies as the source
    assert sorted(conn.execute("SELECT sha256 FROM bodies")) == sorted(src.execute("SELECT sha256 FROM bodies"))
    # the headers and statuses as the crawler recorded them
    cols = "final_url, url, method, status, headers, fetch_mode, kind, body_sha256, fetched_at, encoding, referer, error"
    got = Counter(conn.execute(f"SELECT {cols} FROM captures"))
    want = Counter(src.execute(f"SELECT {cols} FROM captures WHERE body_sha256 IS NOT NULL"))
    assert got == want

    again = tmp_path / "again.warc.gz"
    proc = run_cli("warc", "export", "--db", db, again)
    assert proc.returncode == 0, proc.stderr
    warcio_check(again)

    def digests(path):
        return Counter((r["warc"]["WARC-Target-URI"], r["warc"]["WARC-Date"], r["warc"]["WARC-Payload-Digest"])
                       for r in records(path) if r["type"] in ("response", "revisit"))
    assert digests(again) == digests(exported)

    # the same file again, and the second export (new record ids, same captures): nothing added
    for path in (exported, again):
        proc = run_cli("warc", "import", "--db", db, path, "--agency", "hunan_zjt")
        assert proc.returncode == 0 and "0 captures imported" in proc.stdout, proc.stdout
    assert conn.execute("SELECT count(*) FROM captures").fetchone()[0] == with_body


def test_another_crawlers_copy_of_the_crawl_extracts_to_the_same_reports(crawled_archive, exported, tmp_path):
    """The export rewritten as another crawler would have written it (no WARC-Nianbao-* fields, so no
    kinds, agencies or fetch modes): the kinds are guessed, and the extractor finds the same reports."""
    from archive.extract.run import run_extract
    foreign = tmp_path / "foreign.warc.gz"
    with open(exported, "rb") as f, open(foreign, "wb") as out:
        w = WARCWriter(out, gzip=True, warc_version="1.1")
        for r in ArchiveIterator(f):
            r.rec_headers.headers = [(k, v) for k, v in r.rec_headers.headers if not k.startswith("WARC-Nianbao-")]
            w.write_record(r)
    warcio_check(foreign)
    db = tmp_path / "foreign.db"
    a = Archive(db)
    result = import_warc(a, str(foreign), agency="hunan_zjt")
    a.close()
    assert result.ok, result.lines()
    src = sqlite3.connect(crawled_archive)
    conn = sqlite3.connect(db)
    assert (sorted(conn.execute("SELECT final_url FROM captures WHERE kind = 'attachment'"))
            == sorted(src.execute("SELECT final_url FROM captures WHERE kind = 'attachment' AND body_sha256 IS NOT NULL")))
    reports = set(src.execute("SELECT final_url FROM captures WHERE kind = 'report' AND body_sha256 IS NOT NULL"))
    assert reports <= set(conn.execute("SELECT final_url FROM captures WHERE kind = 'report'"))
    assert conn.execute("SELECT count(*) FROM captures WHERE fetch_mode != 'http'").fetchone()[0] == 0
    counts = run_extract(str(db))
    # kinds are guessed: pages the crawler knew as list pages are tried as reports; one that fails to
    # read (a script-only tree page, a column without a year) is an error, never a report
    errors = [u for (u,) in conn.execute("SELECT c.final_url FROM extractions e JOIN captures c ON c.id = "
                                         "e.capture_id WHERE e.status = 'error'")]
    kinds = dict(src.execute("SELECT final_url, kind FROM captures"))
    assert counts["error"] == len(errors) and {kinds.get(u) for u in errors} <= {"list"}, errors
    assert (sorted(conn.execute("SELECT agency, year, title, published, index_no FROM reports"))
            == sorted(src.execute("SELECT agency, year, title, published, index_no FROM reports")))
    assert (sorted(conn.execute("SELECT r.agency, r.year, s.table_name, s.row_key, s.col_key, s.value"
                                " FROM report_stats s JOIN reports r ON r.id = s.report_id"))
            == sorted(src.execute("SELECT r.agency, r.year, s.table_name, s.row_key, s.col_key, s.value"
                                  " FROM report_stats s JOIN reports r ON r.id = s.report_id")))


# ---------------------------------------------------------------- a hand-made archive

PAGE = "<html><head><meta charset='utf-8'><title>年报</title></head><body>政府信息公开工作年度报告</body></html>".encode()
OTHER = "<html><body>另一页 moved here</body></html>".encode()
DOM = b"<html><body>rendered by the browser</body></html>"


@pytest.fixture
def made(tmp_path):
    """An archive with the cases one crawl of the replica does not have."""
    a = Archive(tmp_path / "made.db")
    run = a.start_run("crawl", "hunan_zjt", batch="manual-1")
    base = {"run_id": run, "agency": "hunan_zjt", "method": "GET", "fetch_mode": "http", "kind": "report",
            "content_type": "text/html; charset=utf-8", "encoding": "utf-8"}
    url = "http://www.hunan.gov.cn/a/t1.html"
    ids = {}
    ids["first"], _ = a.add_capture({**base, "url": url, "final_url": url, "status": 200,
                                     "fetched_at": "2026-01-01T01:00:00.000+00:00",
                                     "referer": "http://www.hunan.gov.cn/a/",
                                     "headers": {"Content-Length": [str(len(PAGE))], "ETag": ['"v1"'],
                                                 "Content-Type": ["text/html; charset=utf-8"]}}, PAGE)
    ids["304"], page = a.add_capture({**base, "url": url, "final_url": url, "status": 304,
                                      "fetched_at": "2026-01-02T01:00:00.000+00:00", "revisit_of": ids["first"],
                                      "body_sha256": sha256(PAGE), "headers": {"ETag": ['"v1"']}})
    assert page == "unchanged"
    ids["same"], page = a.add_capture({**base, "url": url, "final_url": url, "status": 200,
                                       "fetched_at": "2026-01-03T01:00:00.000+00:00",
                                       "headers": {"Content-Type": ["text/html; charset=utf-8"]}}, PAGE)
    assert page == "unchanged"
    ids["moved"], _ = a.add_capture({**base, "url": "http://www.hunan.gov.cn/old/t2.html",
                                     "final_url": "http://www.hunan.gov.cn/new/t2.html", "status": 200,
                                     "fetched_at": "2026-01-03T02:00:00.000+00:00",
                                     "headers": {"Transfer-Encoding": ["chunked"],
                                                 "Content-Type": ["text/html; charset=utf-8"]}}, OTHER)
    ids["failed"], _ = a.add_capture({**base, "url": "http://www.hunan.gov.cn/a/t3.html", "status": None,
                                      "fetched_at": "2026-01-03T03:00:00.000+00:00",
                                      "error": "TimeoutError: took longer than 180.0 seconds."})
    ids["browser"], _ = a.add_capture({**base, "url": "http://zjj.suizhou.gov.cn/b/t4.shtml",
                                       "final_url": "http://zjj.suizhou.gov.cn/b/t4.shtml", "status": 200,
                                       "fetch_mode": "browser", "fetched_at": "2026-01-03T04:00:00.000+00:00",
                                       "headers": {"Content-Length": ["40"], "Content-Type": ["text/html"]}},
                                      DOM)
    a.finish_run(run, status="ok")
    yield a, ids
    a.close()


def test_revisits_redirects_failures_and_header_fixes(made, tmp_path):
    a, ids = made
    out = tmp_path / "made.warc.gz"
    summary = export_warc(a.db, str(out))
    warcio_check(out)
    assert summary.captures == 6
    assert summary.records == Counter(warcinfo=1, response=3, revisit=2, request=5, metadata=1)
    recs = {(int(r["warc"]["WARC-Nianbao-Capture-Id"]), r["type"]): r for r in records(out)[1:]}
    first = recs[(ids["first"], "response")]
    not_modified, same = recs[(ids["304"], "revisit")], recs[(ids["same"], "revisit")]
    assert not_modified["warc"]["WARC-Profile"] == PROFILE_NOT_MODIFIED and not_modified["status"] == 304
    assert same["warc"]["WARC-Profile"] == PROFILE_IDENTICAL and same["status"] == 200
    for rev in (not_modified, same):
        assert rev["warc"]["WARC-Refers-To"] == first["warc"]["WARC-Record-ID"]
        assert rev["warc"]["WARC-Refers-To-Date"] == "2026-01-01T01:00:00.000Z"
        assert rev["warc"]["WARC-Payload-Digest"] == first["warc"]["WARC-Payload-Digest"] == b32(sha256(PAGE))
    assert ("Referer", "http://www.hunan.gov.cn/a/") in recs[(ids["first"], "request")]["http"]
    moved = recs[(ids["moved"], "response")]
    assert moved["warc"]["WARC-Target-URI"] == "http://www.hunan.gov.cn/new/t2.html"
    assert moved["warc"]["WARC-Nianbao-Requested-URI"] == "http://www.hunan.gov.cn/old/t2.html"
    assert ("X-Archive-Orig-Transfer-Encoding", "chunked") in moved["http"]
    assert not any(k.lower() == "transfer-encoding" for k, _ in moved["http"]) and moved["payload"] == OTHER
    browser = recs[(ids["browser"], "response")]
    assert browser["warc"]["WARC-Nianbao-Fetch-Mode"] == "browser"
    assert ("X-Archive-Orig-Content-Length", "40") in browser["http"]
    assert ("Content-Length", str(len(DOM))) in browser["http"]
    failed = recs[(ids["failed"], "metadata")]
    assert failed["warc"]["WARC-Target-URI"] == "http://www.hunan.gov.cn/a/t3.html"
    assert b"fetch-error: TimeoutError: took longer than 180.0 seconds." in failed["payload"]

    # pywb replays the revisits from the original's payload
    server = Pywb(tmp_path / "pywb", out, tmp_path / "made.cdxj")
    try:
        for when in ("20260101010000", "20260103010000"):
            status, _, body = server.get("http://www.hunan.gov.cn/a/t1.html", when)
            assert (status, body) == (200, PAGE)
        # the 304 at its own time is replayed as the 304 it was (pywb uses a revisit's own HTTP headers)
        status, headers, body = server.get("http://www.hunan.gov.cn/a/t1.html", "20260102010000")
        assert (status, body, headers["Memento-Datetime"]) == (304, b"", "Fri, 02 Jan 2026 01:00:00 GMT")
        status, _, body = server.get("http://www.hunan.gov.cn/new/t2.html", "20260103020000")
        assert (status, body) == (200, OTHER)
    finally:
        server.stop()

    # --since after the original: the revisit becomes a full response (its original is not in the file)
    late = tmp_path / "late.warc.gz"
    summary = export_warc(a.db, str(late), since="2026-01-02T12:00:00+00:00")
    assert summary.captures == 4 and summary.records["revisit"] == 0 and summary.records["response"] == 3
    recs = {int(r["warc"]["WARC-Nianbao-Capture-Id"]): r for r in records(late)[1:] if r["type"] == "response"}
    assert recs[ids["same"]]["payload"] == PAGE
    assert export_warc(a.db, str(tmp_path / "none.warc.gz"), agencies=["xizang_zjt"]).captures == 0

    # and back: the import restores the revisits, the redirect and the headers as received
    b = Archive(tmp_path / "back.db")
    result = import_warc(b, str(out), agency="hunan_zjt")
    assert result.ok and result.imported == 5 and result.skipped == Counter(
        {"request record": 5, "metadata record": 1, "warcinfo record": 1})
    rows = {r["fetched_at"][:13]: r for r in b.db["captures"].rows_where(order_by="id")}
    assert rows["2026-01-02T01"]["status"] == 304 and rows["2026-01-02T01"]["revisit_of"] == rows["2026-01-01T01"]["id"]
    assert rows["2026-01-03T01"]["revisit_of"] == rows["2026-01-01T01"]["id"]
    assert rows["2026-01-01T01"]["referer"] == "http://www.hunan.gov.cn/a/"
    moved = rows["2026-01-03T02"]
    assert (moved["url"], moved["final_url"]) == ("http://www.hunan.gov.cn/old/t2.html",
                                                  "http://www.hunan.gov.cn/new/t2.html")
    assert json.loads(moved["headers"])["Transfer-Encoding"] == ["chunked"]
    assert json.loads(rows["2026-01-03T04"]["headers"])["Content-Length"] == ["40"]
    assert rows["2026-01-03T04"]["fetch_mode"] == "browser"
    assert b.db["bodies"].count == 3
    b.close()


# ---------------------------------------------------------------- another crawler's WARC, bad input

def _response(w, uri, body, headers, *, status="200 OK", date, raw=None, record_type="response", **warc):
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    rec = w.create_warc_record(uri, record_type, payload=io.BytesIO(raw if raw is not None else body),
                               length=len(raw if raw is not None else body), http_headers=http,
                               warc_headers_dict={"WARC-Date": date, **warc})
    return rec


def _request(w, uri, date, referer=None, concurrent_to=None):
    head = [("Host", uri.split("/")[2]), ("User-Agent", "Wget/1.21")] + ([("Referer", referer)] if referer else [])
    req = w.create_warc_record(uri, "request", http_headers=StatusAndHeaders(
        f"GET /{uri.split('/', 3)[3]} HTTP/1.1", head, protocol="", is_http_request=True),
        warc_headers_dict={"WARC-Date": date, **({"WARC-Concurrent-To": concurrent_to} if concurrent_to else {})})
    return req


REPORT = "<html><head><title>随州市2024年政府信息公开工作年度报告</title></head><body>政府信息公开</body></html>".encode()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def foreign_warc(path: Path, *, gz: bool = True) -> dict:
    """A wget/Heritrix-like WARC/1.0 (sha1 digests, request before response), good and bad records."""
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=gz, warc_version="1.0")
        w.write_record(w.create_warcinfo_record(path.name, {"software": "Wget/1.21.3 (linux-gnu)"}))
        w.write_record(w.create_warc_record("dns:zjj.suizhou.gov.cn", "response",
                                            payload=io.BytesIO(b"20260301000000\nzjj.suizhou.gov.cn. 60 IN A 1.2.3.4\n"),
                                            warc_content_type="text/dns",
                                            warc_headers_dict={"WARC-Date": "2026-03-01T00:00:00Z"}))
        page = "http://zjj.suizhou.gov.cn/x/t1.shtml"
        resp = _response(w, page, REPORT, [("Content-Type", "text/html; charset=utf-8"),
                                           ("Content-Length", str(len(REPORT)))], date="2026-03-01T00:00:01Z")
        req = _request(w, page, "2026-03-01T00:00:01Z", referer="http://zjj.suizhou.gov.cn/x/")
        resp.rec_headers.add_header("WARC-Concurrent-To", req.rec_headers.get_header("WARC-Record-ID"))
        w.write_record(req)
        w.write_record(resp)
        zipped = gzip.compress(REPORT.replace(b"2024", b"2023"))
        w.write_record(_response(w, "http://zjj.suizhou.gov.cn/x/t2.shtml", None, [
            ("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", str(len(zipped)))],
            date="2026-03-01T00:00:02Z", raw=zipped))
        chunked = b"10\r\n" + PDF[:16] + b"\r\n" + f"{len(PDF) - 16:x}".encode() + b"\r\n" + PDF[16:] + b"\r\n0\r\n\r\n"
        w.write_record(_response(w, "http://zjj.suizhou.gov.cn/x/P0201.pdf", None, [
            ("Content-Type", "application/pdf"), ("Transfer-Encoding", "chunked")],
            date="2026-03-01T00:00:03Z", raw=chunked))
        w.write_record(_response(w, "http://zjj.suizhou.gov.cn/x/logo.png", b"\x89PNG\r\n\x1a\n",
                                 [("Content-Type", "image/png")], date="2026-03-01T00:00:04Z"))
        w.write_record(_response(w, "http://zjj.suizhou.gov.cn/x/old.shtml", b"", [
            ("Location", page), ("Content-Length", "0")], status="301 Moved Permanently", date="2026-03-01T00:00:05Z"))
        bad = _response(w, "http://zjj.suizhou.gov.cn/x/t3.shtml", REPORT, [("Content-Type", "text/html")],
                        date="2026-03-01T00:00:06Z")
        bad.rec_headers.replace_header("WARC-Payload-Digest", "sha1:" + base64.b32encode(hashlib.sha1(b"x").digest()).decode())
        w.write_record(bad)
        bad_block = _response(w, "http://zjj.suizhou.gov.cn/x/t4.shtml", REPORT, [("Content-Type", "text/html")],
                              date="2026-03-01T00:00:07Z")
        bad_block.rec_headers.add_header("WARC-Block-Digest", "sha1:" + base64.b32encode(hashlib.sha1(b"y").digest()).decode())
        w.write_record(bad_block)
        not_http = w.create_warc_record("http://zjj.suizhou.gov.cn/x/t5.shtml", "resource",
                                        payload=io.BytesIO(b"a resource record"), warc_content_type="text/plain",
                                        warc_headers_dict={"WARC-Date": "2026-03-01T00:00:08Z"})
        w.write_record(not_http)
        garbage = w.create_warc_record("http://zjj.suizhou.gov.cn/x/t6.shtml", "resource",
                                       payload=io.BytesIO(b"hello, this is no HTTP response\r\n\r\nat all"),
                                       warc_content_type="application/http; msgtype=response",
                                       warc_headers_dict={"WARC-Date": "2026-03-01T00:00:09Z"})
        garbage.rec_headers.replace_header("WARC-Type", "response")   # a response record, but not HTTP
        w.write_record(garbage)
        digest = resp.rec_headers.get_header("WARC-Payload-Digest")
        rev = w.create_revisit_record(page, digest, page, "2026-03-01T00:00:01Z", http_headers=StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2026-03-02T00:00:01Z"})
        w.write_record(rev)
    return {"page": page, "digest": digest}


def test_another_crawlers_warc_good_records_in_bad_ones_reported(tmp_path):
    path = tmp_path / "wget.warc.gz"
    foreign_warc(path)
    db = tmp_path / "a.db"
    proc = run_cli("warc", "import", "--db", db, path, "--agency", "suizhou_zjw")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "4 captures imported (3 new, 1 unchanged)" in out and "3 bad" in out.splitlines()[0]
    assert "t3.shtml): WARC-Payload-Digest sha1:" in out and "does not match the payload" in out
    assert "t4.shtml): WARC-Block-Digest sha1:" in out and "does not match the block" in out
    assert "t6.shtml): not an HTTP response: first line 'hello, this is no HTTP response'" in out
    for reason in ("skipped 1: redirect (HTTP 301)", "skipped 1: neither a page nor a document (image/png)",
                   "skipped 1: response of a non-http URI (dns:)", "skipped 1: resource record",
                   "skipped 1: request record", "skipped 1: warcinfo record"):
        assert reason in out
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    caps = {c["final_url"].rsplit("/", 1)[1] + c["fetched_at"][8:10]: dict(c)
            for c in conn.execute("SELECT * FROM captures")}
    assert set(caps) == {"t1.shtml01", "t1.shtml02", "t2.shtml01", "P0201.pdf01"}   # nothing of the bad ones
    first = caps["t1.shtml01"]
    assert (first["kind"], first["fetch_mode"], first["status"], first["referer"], first["method"]) == (
        "report", "http", 200, "http://zjj.suizhou.gov.cn/x/", "GET")
    assert first["fetched_at"] == "2026-03-01T00:00:01.000+00:00" and first["encoding"] == "utf-8"
    body = dict(conn.execute("SELECT sha256, content FROM bodies"))
    assert body[first["body_sha256"]] == REPORT
    assert caps["t1.shtml02"]["revisit_of"] == first["id"] and caps["t1.shtml02"]["body_sha256"] == first["body_sha256"]
    zipped = caps["t2.shtml01"]
    assert body[zipped["body_sha256"]] == REPORT.replace(b"2024", b"2023")
    assert "Content-Encoding" not in json.loads(zipped["headers"])   # decoded, as Scrapy does
    pdf = caps["P0201.pdf01"]
    assert pdf["kind"] == "attachment" and body[pdf["body_sha256"]] == PDF
    assert len(body) == 3
    run = conn.execute("SELECT kind, agency, status, errors, failure, stats FROM runs").fetchone()
    assert run[:4] == ("import", "suizhou_zjw", "failing", 3)
    assert run[4].startswith("3 bad record(s): record at offset ")
    stats = json.loads(run[5])
    assert stats["imported"] == 4 and len(stats["bad"]) == 3 and stats["skipped"]["request record"] == 1


def test_truncated_and_unreadable_files_keep_what_came_before(tmp_path):
    whole = tmp_path / "whole.warc.gz"
    foreign_warc(whole)
    data = whole.read_bytes()
    offsets = []
    with open(whole, "rb") as f:
        it = ArchiveIterator(f)
        for _ in it:
            offsets.append(it.get_record_offset())
    # cut in the middle of the gzip member of the gzipped report (record 5): records 0-4 are whole
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: (offsets[4] + offsets[5]) // 2])
    a = Archive(tmp_path / "a.db")
    result = import_warc(a, str(cut), agency="suizhou_zjw")
    assert result.imported == 1 and not result.ok
    assert [c["final_url"] for c in a.db["captures"].rows] == ["http://zjj.suizhou.gov.cn/x/t1.shtml"]
    assert len(result.bad) == 1 and "t2.shtml): cut off" in result.bad[0], result.bad
    run = next(a.db["runs"].rows)
    assert (run["kind"], run["status"], run["errors"]) == ("import", "failing", 1)
    assert a.db["bodies"].count == 1

    # an uncompressed WARC cut inside a record's block: that record is reported, nothing of it written
    plain = tmp_path / "plain.warc"
    foreign_warc(plain, gz=False)
    raw = plain.read_bytes()
    at = raw.index(b"Content-Encoding: gzip")
    (tmp_path / "cut.warc").write_bytes(raw[: at + 60])   # inside t2's block: its payload follows
    b = Archive(tmp_path / "b.db")
    result = import_warc(b, str(tmp_path / "cut.warc"), agency="suizhou_zjw")
    assert result.imported == 1
    assert any("t2.shtml): cut off: " in line for line in result.bad), result.bad
    assert b.db["captures"].count == 1

    # not a WARC at all: one clear line, a failing run, nothing written
    junk = tmp_path / "notes.txt"
    junk.write_text("these are my notes, not a WARC\n")
    proc = run_cli("warc", "import", "--db", tmp_path / "c.db", junk, "--agency", "suizhou_zjw")
    assert proc.returncode == 1
    assert "0 captures imported" in proc.stdout and "cannot read past offset 0" in proc.stdout, proc.stdout
    conn = sqlite3.connect(tmp_path / "c.db")
    assert conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
    assert conn.execute("SELECT kind, status FROM runs").fetchall() == [("import", "failing")]


def test_command_line_errors_are_one_clear_line(crawled_archive, tmp_path):
    proc = run_cli("warc", "import", "--db", tmp_path / "a.db", tmp_path / "missing.warc.gz", "--agency", "hunan_zjt")
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {tmp_path / 'missing.warc.gz'}: no such file"
    proc = run_cli("warc", "import", "--db", tmp_path / "a.db", tmp_path / "missing.warc.gz", "--agency", "nowhere")
    assert proc.returncode == 2 and proc.stderr.startswith("error: unknown agency: nowhere")
    proc = run_cli("warc", "export", "--db", crawled_archive, tmp_path / "no" / "dir.warc.gz")
    assert proc.returncode == 2 and "does not exist" in proc.stderr and len(proc.stderr.splitlines()) == 1
    proc = run_cli("warc", "export", "--db", crawled_archive, tmp_path / "x.warc.gz", "--since", "last week")
    assert proc.returncode == 2 and "--since 'last week': not a date" in proc.stderr
    assert not (tmp_path / "x.warc.gz").exists()


# ---------------------------------------------------------------- a real other crawler: GNU wget

WGET = shutil.which("wget") or "/usr/bin/wget"


def wget_warc(replica, out: Path, *args: str) -> Path:
    """`wget --warc-file` through the replica web (its proxy), as someone would archive the sites."""
    if not os.path.exists(WGET):
        pytest.fail("wget not found: install Debian's wget (make deps)")
    proc = subprocess.run([WGET, "-q", "--no-config", f"--warc-file={out}", "-P", str(out.parent / "files"),
                           f"--ca-certificate={replica.tls.ca_file}", *args],
                          env={"http_proxy": replica.proxy_url, "https_proxy": replica.proxy_url, "PATH": os.environ["PATH"]},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 8), proc.stderr   # 8: the server answered an error (Suizhou's challenge)
    return out.with_name(out.name + ".warc.gz")


def test_wget_warcs_import_and_extract_like_the_crawl(crawled_archive, replica_session, replica_corpus, tmp_path):
    seeds = [r for r in replica_corpus.reports if r.seed]
    pdf_only = next(r for r in replica_corpus.reports if r.stats_in == "pdf" and r.agency == "hunan_fgw")
    plain = wget_warc(replica_session, tmp_path / "seeds", *[r.url for r in seeds])
    recursive = wget_warc(replica_session, tmp_path / "pdf", "-r", "-l", "1", "-np",
                          "--accept-regex", r"(\.html|\.pdf)$", "--reject-regex", "index", pdf_only.url)
    db = tmp_path / "wget.db"
    for path, agency in ((plain, "hunan_zjt"), (recursive, "hunan_fgw")):
        proc = run_cli("warc", "import", "--db", db, path, "--agency", agency)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "0 bad" in proc.stdout and "resource record" in proc.stdout   # wget's log and arguments
    src = sqlite3.connect(crawled_archive)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    caps = {c["url"]: c for c in conn.execute("SELECT * FROM captures")}
    bodies = dict(conn.execute("SELECT sha256, content FROM bodies"))
    for r in seeds:
        cap = caps[r.url]
        if r.agency == "suizhou_zjw":   # wget meets the JS challenge: kept as the error it is
            assert (cap["status"], cap["error"]) == (412, "HTTP 412")
            continue
        assert (cap["status"], cap["kind"], cap["fetch_mode"], cap["method"]) == (200, "report", "http", "GET")
        held = src.execute("SELECT body_sha256 FROM captures WHERE final_url = ? AND status = 200 ORDER BY id DESC",
                           [r.url]).fetchone()[0]
        assert cap["body_sha256"] == held   # the server's bytes, whoever fetched them
    pdf = next(c for c in caps.values() if c["url"].endswith(pdf_only.attachments[0].filename))
    assert (pdf["kind"], pdf["referer"]) == ("attachment", pdf_only.url)
    assert bodies[pdf["body_sha256"]] == pdf_only.attachments[0].data

    from archive.extract.run import run_extract
    assert run_extract(str(db))["error"] == 0
    want = [(r.agency, r.year) for r in seeds if r.agency != "suizhou_zjw"] + [(pdf_only.agency, pdf_only.year)]
    got = [tuple(row) for row in conn.execute("SELECT agency, year FROM reports")]
    assert sorted(got) == sorted(want)
    for agency, year in want:
        q = ("SELECT s.table_name, s.row_key, s.col_key, s.value FROM report_stats s JOIN reports r"
             " ON r.id = s.report_id WHERE r.agency = ? AND r.year = ?")
        figures = sorted(tuple(row) for row in conn.execute(q, [agency, year]))
        assert figures and figures == sorted(src.execute(q, [agency, year]))
    assert len(conn.execute(q, [pdf_only.agency, pdf_only.year]).fetchall()) > 100   # the PDF's tables


def test_revisits_resolve_across_files_and_digest_spellings(tmp_path):
    """browsertrix writes sha256 digests in hex, wget and Heritrix sha1 in base32; a revisit may refer
    to a capture imported from an earlier file."""
    url = "http://zjj.qz.gov.cn/art/2026/3/1/art_1.html"
    first = tmp_path / "crawl1.warc"
    with open(first, "wb") as f:
        w = WARCWriter(f, gzip=False, warc_version="1.1")
        rec = _response(w, url, REPORT, [("Content-Type", "text/html")], date="2026-03-01T00:00:00.123456Z")
        rec.rec_headers.replace_header("WARC-Payload-Digest", "sha256:" + hashlib.sha256(REPORT).hexdigest())
        w.write_record(rec)
    a = Archive(tmp_path / "a.db")
    result = import_warc(a, str(first), agency="quzhou_zjj")
    assert result.ok and result.imported == 1
    original = next(a.db["captures"].rows)
    assert original["fetched_at"] == "2026-03-01T00:00:00.123456+00:00"

    second = tmp_path / "crawl2.warc.gz"
    with open(second, "wb") as f:
        w = WARCWriter(f, gzip=True, warc_version="1.1")
        head = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        sha1 = "sha1:" + base64.b32encode(hashlib.sha1(REPORT).digest()).decode()
        hex256 = "sha256:" + hashlib.sha256(REPORT).hexdigest()
        for digest, day in ((hex256, "02"), (sha1, "03")):
            w.write_record(w.create_revisit_record(url, digest, url, "2026-03-01T00:00:00.123456Z", http_headers=head,
                                                   warc_headers_dict={"WARC-Date": f"2026-03-{day}T00:00:00Z"}))
        not_modified = w.create_warc_record(url, "revisit", http_headers=StatusAndHeaders(
            "304 Not Modified", [("ETag", '"a1"')], protocol="HTTP/1.1"), warc_headers_dict={
            "WARC-Date": "2026-03-05T00:00:00Z", "WARC-Profile": PROFILE_NOT_MODIFIED,
            "WARC-Refers-To-Target-URI": url})   # Heritrix-style: no payload digest, no date
        w.write_record(not_modified)
        lost = "sha1:" + base64.b32encode(hashlib.sha1(b"never archived").digest()).decode()
        w.write_record(w.create_revisit_record(url, lost, url, "2026-02-01T00:00:00Z", http_headers=head,
                                               warc_headers_dict={"WARC-Date": "2026-03-04T00:00:00Z"}))
    result = import_warc(a, str(second), agency="quzhou_zjj")
    assert result.imported == 3 and result.pages == Counter(unchanged=3)
    assert len(result.bad) == 1 and "the original is neither in this file nor in the archive" in result.bad[0]
    revisits = list(a.db["captures"].rows_where("id != ?", [original["id"]], order_by="id"))
    assert [r["revisit_of"] for r in revisits] == [original["id"]] * 3
    assert [r["status"] for r in revisits] == [200, 200, 304]
    assert {r["body_sha256"] for r in revisits} == {original["body_sha256"]} and a.db["bodies"].count == 1
    a.close()


def test_bodies_that_do_not_decode_or_decode_too_far_are_bad_records(tmp_path, monkeypatch):
    import archive.warc
    path = tmp_path / "enc.warc.gz"
    bomb = gzip.compress(b"0" * 5_000_000)   # 5 MB from 5 KB
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True, warc_version="1.1")
        for name, raw, enc in (("bomb", bomb, "gzip"), ("cut", gzip.compress(REPORT)[:-12], "gzip"),
                               ("junk", b"not compressed at all", "br"), ("good", gzip.compress(REPORT), "x-gzip")):
            w.write_record(_response(w, f"http://www.hunan.gov.cn/e/{name}.html", None,
                                     [("Content-Type", "text/html"), ("Content-Encoding", enc)],
                                     date="2026-03-01T00:00:00Z", raw=raw))
    monkeypatch.setattr(archive.warc, "MAX_RECORD_BYTES", 1_000_000)
    a = Archive(tmp_path / "a.db")
    result = import_warc(a, str(path), agency="hunan_zjt")
    assert result.imported == 1 and [c["url"] for c in a.db["captures"].rows] == ["http://www.hunan.gov.cn/e/good.html"]
    bad = "\n".join(result.bad)
    assert len(result.bad) == 3
    assert "bomb.html): Content-Encoding gzip: more than 1000000 bytes decoded" in bad
    assert "cut.html): Content-Encoding gzip: the compressed body is cut off" in bad
    assert "junk.html): Content-Encoding br does not decode" in bad
    assert a.db["bodies"].count == 1 and next(a.db["bodies"].rows)["content"] == REPORT
    a.close()


def test_segmented_and_crawler_truncated_records_are_reported_not_misread(tmp_path):
    path = tmp_path / "seg.warc"
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=False, warc_version="1.1")
        w.write_record(_response(w, "http://www.hunan.gov.cn/s/cut.pdf", PDF[:20], [("Content-Type", "application/pdf")],
                                 date="2026-03-01T00:00:00Z", **{"WARC-Truncated": "length"}))
        rec = _response(w, "http://www.hunan.gov.cn/s/big.html", REPORT[:40], [("Content-Type", "text/html")],
                        date="2026-03-01T00:00:00Z", **{"WARC-Segment-Number": "1"})
        w.write_record(rec)
        w.write_record(w.create_warc_record("http://www.hunan.gov.cn/s/big.html", "continuation",
                                            payload=io.BytesIO(REPORT[40:]), warc_content_type="application/http",
                                            warc_headers_dict={"WARC-Date": "2026-03-01T00:00:00Z",
                                                               "WARC-Segment-Number": "2"}))
    a = Archive(tmp_path / "a.db")
    result = import_warc(a, str(path), agency="hunan_zjt")
    assert result.imported == 0 and result.skipped == Counter({"continuation record": 1})
    assert len(result.bad) == 2
    assert "cut.pdf): the payload was truncated by its crawler (WARC-Truncated: length)" in result.bad[0]
    assert "big.html): a segmented record (WARC-Segment-Number): not supported" in result.bad[1]
    assert a.db["captures"].count == 0 and a.db["bodies"].count == 0
    a.close()


def test_a_rendered_dom_is_exported_as_a_conversion_of_its_browser_response(made, tmp_path):
    """A derived capture (fetch_mode rendered: Chromium's DOM kept beside the server's bytes) is a WARC
    conversion record referring to the browser capture's response, never a response replay tools serve."""
    a, ids = made
    dom = "<html><body><p>脚本写出的正文</p></body></html>".encode()
    a.add_capture({"run_id": 1, "agency": "hunan_zjt", "method": "GET", "kind": "report", "status": 200,
                   "url": "http://zjj.suizhou.gov.cn/b/t4.shtml", "final_url": "http://zjj.suizhou.gov.cn/b/t4.shtml",
                   "fetch_mode": "rendered", "fetched_at": "2026-01-03T04:00:01.000+00:00",
                   "headers": {"Content-Type": ["text/html"]}, "encoding": "utf-8"}, dom)
    out = tmp_path / "conv.warc.gz"
    export_warc(a.db, str(out))
    recs = records(out)
    response = next(r for r in recs if r["type"] == "response" and r["warc"].get("WARC-Nianbao-Fetch-Mode") == "browser")
    conv = [r for r in recs if r["type"] == "conversion"]
    assert len(conv) == 1 and conv[0]["payload"] == dom
    assert conv[0]["warc"]["WARC-Refers-To"] == response["warc"]["WARC-Record-ID"]
    assert not any(r["type"] == "response" and r["payload"] == dom for r in recs)
