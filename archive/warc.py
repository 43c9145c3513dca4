"""WARC export and import: the archive's captures to and from WARC/1.1, the web archivists' format.

    summary = export_warc(db, "out.warc.gz", agencies=["hunan_zjt"], since="2026-01-01")
    summary = import_warc(Archive("archive.db"), "their.warc.gz", agency="hunan_zjt", batch="import-...")

Export (one capture = the records below, in capture order; written to a temporary file, renamed when
complete, then indexed into OUT.cdxj by cdxj-indexer, the index pywb reads):
  warcinfo   first: nianbao, the archive, the filters, and one `run:` line per crawl run exported
  response   a capture with a body: the status line and the headers as received (see _replay_headers),
             the body as stored; WARC-Payload-Digest and WARC-Block-Digest in sha256, so the payload
             digest is the body's content address in the archive
  revisit    a capture whose body is its URL's earlier capture's (captures.revisit_of) when that capture
             is in the same file: profile server-not-modified for a 304, identical-payload-digest
             otherwise; WARC-Refers-To, -Target-URI and -Date name the original. When the original is
             filtered out, the capture is a full response record instead.
  request    with each response and revisit (WARC-Concurrent-To): method, URL, Host and Referer, which is
             all the archive keeps of a request
  metadata   a failed fetch (no body: DNS, timeout, an HTTP error): its error, status and headers as
             warc-fields; never indexed for replay
Every record of a capture carries WARC-Nianbao-Capture-Id, -Run-Id, -Agency, -Kind and -Fetch-Mode
(http: the bytes the server sent; browser: the browser path's capture), and -Error for a flagged capture
(a soft 404). A capture whose final URL differs (a followed redirect) is recorded at the final URL, the URL
that sent the bytes, with WARC-Nianbao-Requested-URI.

Import (records streamed; one transaction per capture, so a bad record loses nothing else):
  response and revisit records of http(s) URLs become captures of one run of kind "import"; warcinfo,
  request, metadata, resource, conversion records, non-http URIs (dns:), redirects, 304 responses and
  content that is neither a page nor a document (images, scripts, styles) are skipped and counted.
  A record that is truncated (in the file, or by its crawler: WARC-Truncated), segmented, fails its
  block or payload digest, or whose block is not an HTTP response is reported and not imported; a file that cannot be read further (a cut-off gzip member, garbage
  between records) stops there, with everything before it imported.
  The body is the payload without transfer coding and, like Scrapy, decoded from gzip/deflate/br
  (Content-Encoding then removed from the stored headers), content-addressed in bodies. Kind: the
  WARC-Nianbao-Kind of our own exports; else "attachment" for documents (PDF, Word, WPS, Excel, OFD, by
  content type, file extension or Content-Disposition) and "report" for every HTML or text page (the
  extractor tells a report from a list or a notice). Referer and method come from the request records.
  Identity: a capture is the same fetch when agency, URL, fetch time (WARC-Date), status and body hash
  are equal; re-importing a file (or another export of the same captures, whose record ids differ) adds
  no rows.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import http.client
import io
import json
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from importlib.metadata import version
from urllib.parse import urlsplit

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataException, ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from archive.store import KINDS, Archive, CaptureError, sha256

NB = "WARC-Nianbao-"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
MAX_RECORD_BYTES = 256 * 1024 * 1024  # a larger record is reported, not read into memory
BATCH = 50

_DOC_TYPES = ("application/pdf", "application/msword", "application/vnd.openxmlformats-officedocument",
              "application/vnd.ms-", "application/wps", "application/kswps", "application/vnd.wps",
              "application/ofd", "application/x-ofd")
_DOC_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".rtf")
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


class WarcError(Exception):
    """The file cannot be read or written at all (not a single record is usable)."""


# ---------------------------------------------------------------- export

@dataclass
class ExportSummary:
    path: str
    cdxj: str
    captures: int = 0
    records: Counter = field(default_factory=Counter)   # WARC-Type -> count

    def line(self) -> str:
        kinds = ", ".join(f"{n} {t}" for t, n in sorted(self.records.items()))
        return f"{self.path}: {self.captures} captures ({kinds}); index {self.cdxj}"


class _Writer(WARCWriter):
    """warcio's writer, digests in sha256 (the archive's content address) instead of sha1."""

    @staticmethod
    def _create_digester():
        return Digester("sha256")


class _HttpHead(StatusAndHeaders):
    """HTTP status line and headers written back as the bytes they came as: the archive keeps header
    values decoded as latin-1 (Scrapy's way), warcio would %-encode anything non-ASCII."""

    def compute_headers_buffer(self, header_filter=None):
        text = self.to_str(header_filter) + "\r\n"
        try:
            self.headers_buff = text.encode("latin-1")
        except UnicodeEncodeError:
            self.headers_buff = text.encode("utf-8")


def cdxj_path(warc_path: str) -> str:
    """OUT.warc.gz -> OUT.cdxj"""
    base = str(warc_path)
    for ext in (".warc.gz", ".warc", ".gz"):
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    return base + ".cdxj"


def parse_since(since: str | None) -> str | None:
    """A date (2026-03-01) or an ISO time, as the UTC ISO string fetched_at compares with."""
    if not since:
        return None
    try:
        t = datetime.fromisoformat(since)
    except ValueError:
        raise WarcError(f"--since {since!r}: not a date (YYYY-MM-DD) or ISO time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def export_warc(db, out_path: str, *, agencies: list[str] | None = None, since: str | None = None,
                source: str = "") -> ExportSummary:
    """Write the selected captures (all, or those of `agencies`, fetched at or after `since`) to
    out_path as gzipped WARC/1.1, and its CDXJ index beside it. Read-only on the archive."""
    where, params = ["1"], []
    if agencies:
        where.append(f"agency IN ({', '.join('?' * len(agencies))})")
        params += list(agencies)
    since_iso = parse_since(since)
    if since_iso:
        where.append("fetched_at >= ?")
        params.append(since_iso)
    where_sql = " AND ".join(where)
    summary = ExportSummary(path=str(out_path), cdxj=cdxj_path(out_path))
    folder = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(folder):
        raise WarcError(f"{out_path}: the directory {folder} does not exist")
    tmp = f"{out_path}.part"
    db.execute("BEGIN")  # one read snapshot (WAL: the nightly job's writes go on meanwhile)
    try:
        with open(tmp, "wb") as out:
            writer = _Writer(out, gzip=True, warc_version="1.1")
            info_id = _write_warcinfo(writer, db, os.path.basename(out_path), where_sql, params,
                                      agencies, since_iso, source)
            summary.records["warcinfo"] += 1
            originals: dict[int, tuple[str, str, str]] = {}  # original capture id -> (record id, uri, date)
            for cap in _captures(db, where_sql, params):
                summary.captures += 1
                for rec_type in _write_capture(writer, db, cap, info_id, originals):
                    summary.records[rec_type] += 1
        os.replace(tmp, out_path)
    finally:
        db.execute("ROLLBACK")  # nothing was written: ends the read transaction
        if os.path.exists(tmp):
            os.unlink(tmp)
    index_warc(out_path, summary.cdxj)
    return summary


def index_warc(warc_path: str, cdxj: str) -> None:
    """The CDXJ index of a WARC (sorted, as pywb wants it), written whole or not at all."""
    from cdxj_indexer.main import CDXJIndexer
    tmp = f"{cdxj}.part"
    try:
        CDXJIndexer(output=tmp, inputs=[str(warc_path)], sort=True).process_all()
        os.replace(tmp, cdxj)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _captures(db, where_sql: str, params: list):
    last = 0
    while True:
        rows = list(db["captures"].rows_where(f"id > ? AND {where_sql}", [last, *params],
                                              order_by="id", limit=BATCH))
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


def _write_warcinfo(writer, db, filename, where_sql, params, agencies, since_iso, source) -> str:
    fields = [("software", f"nianbao (archive/warc.py) with warcio {version('warcio')}"),
              ("format", "WARC File Format 1.1"),
              ("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
              ("description", "nianbao: captures of Chinese government agencies' annual "
                              "information-disclosure reports (政府信息公开工作年度报告)"),
              ("isPartOf", source or "nianbao archive"),
              ("nianbao-agencies", ", ".join(agencies) if agencies else "all"),
              ("nianbao-since", since_iso or "")]
    for run in db.execute(
            f"SELECT id, kind, agency, batch, started_at, finished_at, status FROM runs WHERE id IN "
            f"(SELECT DISTINCT run_id FROM captures WHERE {where_sql}) ORDER BY id", params).fetchall():
        rid, kind, agency, batch, started, finished, status = run
        fields.append(("run", f"{rid} {kind} {agency} batch={batch} started={started} "
                              f"finished={finished} status={status}"))
    payload = "".join(f"{k}: {v}\r\n" for k, v in fields if v).encode("utf-8")
    record = writer.create_warc_record("", "warcinfo", payload=io.BytesIO(payload), length=len(payload),
                                       warc_content_type="application/warc-fields",
                                       warc_headers_dict={"WARC-Filename": filename})
    writer.write_record(record)
    return record.rec_headers.get_header("WARC-Record-ID")


def _warc_date(fetched_at: str) -> str:
    t = datetime.fromisoformat(fetched_at).astimezone(timezone.utc)
    spec = "microseconds" if t.microsecond % 1000 else "milliseconds"
    return t.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _payload_digest(sha_hex: str) -> str:
    return "sha256:" + base64.b32encode(bytes.fromhex(sha_hex)).decode("ascii")


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _replay_headers(headers: dict, size: int | None) -> list[tuple[str, str]]:
    """The headers as received, except two that would no longer describe the stored bytes, which are
    kept as X-Archive-Orig-*: Transfer-Encoding (bodies are stored without transfer coding) and a
    Content-Length other than the stored body's (the browser path's rendered DOM), which is then
    written as the body's length. Content-Encoding is kept: the archive has it only where the body is
    still encoded (Scrapy removes it when it decodes)."""
    out = []
    for name, values in headers.items():
        for value in values if isinstance(values, list) else [values]:
            low = name.lower()
            if low == "transfer-encoding" or (low == "content-length" and size is not None
                                               and value.strip() != str(size)):
                out.append((f"X-Archive-Orig-{name}", value))
            else:
                out.append((name, value))
    if size is not None and not any(n.lower() == "content-length" for n, _ in out):
        out.append(("Content-Length", str(size)))
    return out


def _write_capture(writer, db, cap: dict, info_id: str, originals: dict) -> list[str]:
    uri = cap["final_url"] or cap["url"]
    date = _warc_date(cap["fetched_at"])
    ours = {"WARC-Date": date, "WARC-Warcinfo-ID": info_id, f"{NB}Capture-Id": str(cap["id"]),
            f"{NB}Run-Id": str(cap["run_id"]), f"{NB}Kind": cap["kind"], f"{NB}Fetch-Mode": cap["fetch_mode"]}
    if cap["agency"]:  # none: a shared column's list page, a report no registry agency claims
        ours[f"{NB}Agency"] = cap["agency"]
    if cap["final_url"] and cap["final_url"] != cap["url"]:
        ours[f"{NB}Requested-URI"] = cap["url"]
    if cap["encoding"]:
        ours[f"{NB}Encoding"] = cap["encoding"]
    if cap["error"]:
        ours[f"{NB}Error"] = cap["error"]
    headers = json.loads(cap["headers"] or "{}")

    if cap["body_sha256"] is None:  # a failed fetch: what is known of it, not replayable
        fields = [("fetch-error", cap["error"]), ("http-status", cap["status"]),
                  ("http-headers", json.dumps(headers, ensure_ascii=False) if headers else None),
                  ("referer", cap["referer"])]
        payload = "".join(f"{k}: {v}\r\n" for k, v in fields if v is not None).encode("utf-8")
        record = writer.create_warc_record(cap["url"], "metadata", payload=io.BytesIO(payload),
                                           length=len(payload), warc_content_type="application/warc-fields",
                                           warc_headers_dict=ours)
        writer.write_record(record)
        return ["metadata"]

    if cap["fetch_mode"] == "rendered":  # Chromium's DOM of a browser capture: a conversion of its response
        return _write_conversion(writer, db, cap, uri, ours, originals)

    original = cap["revisit_of"] or cap["id"]
    http_head = _HttpHead(_status_line(cap["status"]), _replay_headers(headers, cap["size"]),
                          protocol="HTTP/1.1")
    if cap["revisit_of"] and cap["revisit_of"] in originals:
        ref_id, ref_uri, ref_date = originals[cap["revisit_of"]]
        record = writer.create_revisit_record(uri, _payload_digest(cap["body_sha256"]), ref_uri, ref_date,
                                              http_headers=http_head, warc_headers_dict=ours)
        record.rec_headers.replace_header(
            "WARC-Profile", PROFILE_NOT_MODIFIED if cap["status"] == 304 else PROFILE_IDENTICAL)
        record.rec_headers.add_header("WARC-Refers-To", ref_id)
        rec_type = "revisit"
    else:
        row = db.execute("SELECT content FROM bodies WHERE sha256 = ?", [cap["body_sha256"]]).fetchone()
        if row is None:
            raise WarcError(f"capture {cap['id']}: body {cap['body_sha256']} missing from the archive")
        body = bytes(row[0])
        record = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), length=len(body),
                                           http_headers=http_head, warc_headers_dict=ours)
        originals.setdefault(original, (record.rec_headers.get_header("WARC-Record-ID"), uri, date))
        rec_type = "response"
    writer.write_request_response_pair(_request_record(writer, cap, uri, ours), record)
    return [rec_type, "request"]


def _write_conversion(writer, db, cap: dict, uri: str, ours: dict, originals: dict) -> list[str]:
    """A rendered DOM (fetch_mode rendered) as a WARC `conversion` record of the browser capture it
    was rendered from (WARC-Refers-To), so replay tools serve the server's bytes, never the DOM."""
    body = bytes(db.execute("SELECT content FROM bodies WHERE sha256 = ?", [cap["body_sha256"]]).fetchone()[0])
    source = db.execute("SELECT id, revisit_of FROM captures WHERE url = ? AND fetch_mode = 'browser' AND id < ?"
                        " AND body_sha256 IS NOT NULL ORDER BY id DESC LIMIT 1", [cap["url"], cap["id"]]).fetchone()
    record = writer.create_warc_record(uri, "conversion", payload=io.BytesIO(body), length=len(body),
                                       warc_content_type="text/html; charset=utf-8", warc_headers_dict=ours)
    ref = originals.get(source[1] or source[0]) if source else None
    if ref:
        record.rec_headers.add_header("WARC-Refers-To", ref[0])
    writer.write_record(record)
    return ["conversion"]


def _request_record(writer, cap: dict, uri: str, ours: dict):
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [("Host", parts.netloc)]
    if cap["referer"]:
        head.append(("Referer", cap["referer"]))
    http_head = _HttpHead(f"{cap['method'] or 'GET'} {target} HTTP/1.1", head, protocol="",
                          is_http_request=True)
    keep = {k: v for k, v in ours.items() if k != "WARC-Date"}
    return writer.create_warc_record(uri, "request", http_headers=http_head, warc_headers_dict=keep)


# ---------------------------------------------------------------- import

@dataclass
class ImportSummary:
    path: str
    run_id: int | None = None
    records: int = 0
    imported: int = 0          # new capture rows
    duplicates: int = 0        # already in the archive (same fetch): no row added
    pages: Counter = field(default_factory=Counter)      # new / changed / unchanged
    skipped: Counter = field(default_factory=Counter)    # reason -> count
    bad: list[str] = field(default_factory=list)         # one clear line per bad record (or the file)

    @property
    def ok(self) -> bool:
        return not self.bad

    def lines(self) -> list[str]:
        out = [f"{self.path}: {self.records} records; {self.imported} captures imported "
               f"({', '.join(f'{n} {k}' for k, n in sorted(self.pages.items())) or 'none'}), "
               f"{self.duplicates} already held, {sum(self.skipped.values())} skipped, {len(self.bad)} bad"
               + (f"; run {self.run_id}" if self.run_id else "")]
        out += [f"  skipped {n}: {reason}" for reason, n in sorted(self.skipped.items())]
        out += [f"  bad: {b}" for b in self.bad]
        return out


class BadRecord(Exception):
    """One record that cannot be imported; the message says why."""


@dataclass
class _Record:
    offset: int
    rec_type: str
    record_id: str
    uri: str
    date: str
    headers: StatusAndHeaders  # the WARC headers
    block: bytes

    def where(self) -> str:
        return f"record at offset {self.offset} ({self.rec_type} {self.uri or self.record_id})"


def import_warc(archive: Archive, path: str, *, agency: str, batch: str | None = None) -> ImportSummary:
    """Import the captures of one WARC file into the archive as one run of kind "import" (see the
    module docstring). Never raises for bad records: they are in the summary's `bad`."""
    summary = ImportSummary(path=str(path))
    if not os.path.isfile(path):
        raise WarcError(f"{path}: no such file")
    requests = _request_info(path)
    summary.run_id = run_id = archive.start_run("import", agency, batch=batch)
    importer = _Importer(archive, agency, run_id, requests, summary)
    try:
        for rec in _records(path, summary, read=("response", "revisit")):
            summary.records += 1
            try:
                importer.one(rec)
            except BadRecord as e:
                summary.bad.append(f"{rec.where()}: {e}")
    finally:
        failure = None
        if summary.bad:
            failure = f"{len(summary.bad)} bad record(s): {summary.bad[0]}"
        archive.finish_run(run_id, status="ok" if summary.ok else "failing",
                           finish_reason="finished", requests=summary.records,
                           responses=summary.imported + summary.duplicates,
                           pages_new=summary.pages["new"], pages_changed=summary.pages["changed"],
                           pages_unchanged=summary.pages["unchanged"], errors=len(summary.bad),
                           failure=failure,
                           stats=json.dumps({"file": os.path.abspath(path), "records": summary.records,
                                             "imported": summary.imported, "duplicates": summary.duplicates,
                                             "skipped": dict(summary.skipped), "bad": summary.bad[:100]},
                                            ensure_ascii=False))
    return summary


def _records(path: str, summary: ImportSummary | None, read: tuple[str, ...]):
    """Every record as a _Record, the block read whole (bounded) for the types in `read`, left empty
    for the others. A file that cannot be read further ends the iteration with one line in
    summary.bad."""
    with open(path, "rb") as f:  # gzipped or not: warcio tells by itself
        it = ArchiveIterator(f, no_record_parse=True)
        offset = 0
        try:
            for record in it:
                offset = it.offset
                if record.format != "warc":  # warcio reads anything else as an ARC record
                    raise WarcError(f"no WARC record here (first line {record.rec_headers.statusline[:60]!r})")
                h = record.rec_headers
                rec = _Record(offset=offset, rec_type=record.rec_type or "?",
                              record_id=h.get_header("WARC-Record-ID") or "",
                              uri=h.get_header("WARC-Target-URI") or "", date=h.get_header("WARC-Date") or "",
                              headers=h, block=b"")
                try:
                    if rec.rec_type in read:
                        rec.block = _read_block(record)
                except BadRecord as e:
                    if summary is not None:
                        summary.records += 1
                        summary.bad.append(f"{rec.where()}: {e}")
                    continue
                yield rec
        except Exception as e:  # noqa: BLE001 - any framing error: cut-off gzip, garbage, bad headers
            if summary is not None:
                summary.bad.append(f"{path}: cannot read past offset {offset}: {type(e).__name__}: "
                                   f"{str(e).strip().splitlines()[0] if str(e).strip() else 'unexpected end'}"
                                   " (records before it were imported)")


def _read_block(record) -> bytes:
    declared = record.rec_headers.get_header("Content-Length")
    try:
        length = int(declared)
    except (TypeError, ValueError):
        raise BadRecord(f"cut off or damaged: the WARC headers have no valid Content-Length ({declared!r})") from None
    if length > MAX_RECORD_BYTES:
        raise BadRecord(f"record of {length} bytes is larger than the {MAX_RECORD_BYTES} bytes allowed")
    try:
        block = record.raw_stream.read()
    except (EOFError, OSError, zlib.error) as e:
        raise BadRecord(f"cut off: {type(e).__name__}: {e}") from None
    if len(block) < length:
        raise BadRecord(f"cut off: {len(block)} of {length} bytes")
    return block


def _request_info(path: str) -> dict:
    """Referer and method of every request record, by its own id, by the id it is concurrent to,
    and by (URI, date). A first pass: request records come before or after their responses."""
    info: dict = {}
    for rec in _records(path, None, read=("request",)):
        if rec.rec_type != "request":
            continue
        try:
            line, headers = _parse_http(rec.block, request=True)[:2]
        except BadRecord:
            continue
        found = {"method": line.split(" ", 1)[0], "referer": _first(headers, "Referer")}
        info[rec.record_id] = found
        concurrent = rec.headers.get_header("WARC-Concurrent-To")
        if concurrent:
            info[concurrent] = found
        info[(rec.uri, rec.date)] = found
    return info


def _parse_http(block: bytes, request: bool = False) -> tuple[str, dict[str, list[str]], bytes]:
    """(status or request line, headers {name: [values]} decoded as latin-1, the raw payload)."""
    first, _, rest = block.partition(b"\n")
    line = first.rstrip(b"\r").decode("latin-1")
    ok = line.split(" ", 2)
    if request:
        good = len(ok) == 3 and ok[2].startswith("HTTP/")
    else:
        good = len(ok) >= 2 and ok[0].startswith("HTTP/") and ok[1].isdigit() and len(ok[1]) == 3
    if not good:
        raise BadRecord(f"not an HTTP {'request' if request else 'response'}: first line {line[:80]!r}")
    fp = io.BytesIO(rest)
    try:
        message = http.client.parse_headers(fp)
    except http.client.HTTPException as e:
        raise BadRecord(f"bad HTTP headers: {e}") from None
    headers: dict[str, list[str]] = {}
    for name, value in message.items():
        headers.setdefault(name, []).append(value)
    return line, headers, rest[fp.tell():]


def _first(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name.lower() and v:
            return v[0]
    return None


def _parse_digest(value: str) -> tuple[str, bytes]:
    """'sha1:BASE32' (or base16/base64) -> ('sha1', digest bytes)."""
    algo, _, text = value.strip().partition(":")
    algo = algo.lower().replace("-", "")
    try:
        size = hashlib.new(algo).digest_size
    except ValueError:
        raise BadRecord(f"unknown digest algorithm {algo!r} in {value!r}") from None
    for decode in (lambda t: base64.b32decode(t.upper()), bytes.fromhex, base64.b64decode):
        try:
            raw = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == size:
            return algo, raw
    raise BadRecord(f"unreadable digest {value!r}")


def _digest_matches(value: str, *datas: bytes) -> bool:
    algo, want = _parse_digest(value)
    return any(hashlib.new(algo, d).digest() == want for d in datas)


def _dechunk(payload: bytes) -> bytes:
    try:
        return ChunkedDataReader(io.BytesIO(payload), raise_exceptions=True).read()
    except ChunkedDataException as e:
        raise BadRecord(f"broken chunked transfer coding: {e}") from None


def _decode(payload: bytes, encodings: list[str]) -> bytes | None:
    """Content-Encoding undone, last applied first, never beyond MAX_RECORD_BYTES (a compression bomb
    is a bad record); None for an encoding we do not know (the body is then kept as it is)."""
    data = payload
    for enc in reversed([e.strip().lower() for v in encodings for e in v.split(",") if e.strip()]):
        if enc == "identity":
            continue
        if enc not in ("gzip", "x-gzip", "deflate", "br"):
            return None
        try:
            data, complete = _inflate(data, enc)
        except (zlib.error, brotli.error) as e:
            raise BadRecord(f"Content-Encoding {enc} does not decode: {e}") from None
        if len(data) > MAX_RECORD_BYTES:
            raise BadRecord(f"Content-Encoding {enc}: more than {MAX_RECORD_BYTES} bytes decoded")
        if not complete:
            raise BadRecord(f"Content-Encoding {enc}: the compressed body is cut off")
    return data


def _inflate(data: bytes, enc: str) -> tuple[bytes, bool]:
    """(up to MAX_RECORD_BYTES + 1 decoded bytes, whether the compressed stream ended)."""
    limit = MAX_RECORD_BYTES + 1
    if enc == "br":
        d = brotli.Decompressor()
        out = d.process(data, output_buffer_limit=limit)
        return out, d.is_finished()
    if enc == "deflate":
        try:
            return _zlib(data, zlib.MAX_WBITS, limit)
        except zlib.error:
            return _zlib(data, -zlib.MAX_WBITS, limit)  # raw deflate, as some servers send
    return _zlib(data, zlib.MAX_WBITS | 16, limit)  # gzip


def _zlib(data: bytes, wbits: int, limit: int) -> tuple[bytes, bool]:
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, limit)
    return out, d.eof


def _iso(warc_date: str) -> str:
    try:
        t = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f"bad WARC-Date {warc_date!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    t = t.astimezone(timezone.utc)
    return t.isoformat(timespec="microseconds" if t.microsecond % 1000 else "milliseconds")


def guess_kind(url: str, content_type: str | None, headers: dict) -> str | None:
    """report (a page: the extractor decides), attachment (a document), or None (neither)."""
    mime = (content_type or "").split(";")[0].strip().lower()
    path = urlsplit(url).path.lower()
    disposition = (_first(headers, "Content-Disposition") or "").lower()
    if (mime.startswith(_DOC_TYPES) or path.endswith(_DOC_EXTENSIONS) or "attachment" in disposition
            or any(f"{ext}\"" in disposition or disposition.endswith(ext) for ext in _DOC_EXTENSIONS)):
        return "attachment"
    if mime in _PAGE_TYPES or (not mime and path.endswith((".html", ".htm", ".shtml", ".jsp", "/"))):
        return "report"
    return None


class _Importer:
    def __init__(self, archive: Archive, agency: str, run_id: int, requests: dict, summary: ImportSummary):
        self.archive, self.agency, self.run_id = archive, agency, run_id
        self.requests, self.summary = requests, summary
        self.by_record: dict[str, dict] = {}   # record id -> {"capture", "sha", "status", "headers"}
        self.by_digest: dict[tuple[str, bytes], dict] = {}

    def skip(self, reason: str) -> None:
        self.summary.skipped[reason] += 1

    def one(self, rec: _Record) -> None:
        if rec.rec_type not in ("response", "revisit"):
            return self.skip(f"{rec.rec_type} record")
        if not rec.uri.startswith(("http://", "https://")):
            return self.skip(f"{rec.rec_type} of a non-http URI ({rec.uri.split(':', 1)[0]}:)")
        h = rec.headers
        if h.get_header("WARC-Segment-Number"):
            raise BadRecord("a segmented record (WARC-Segment-Number): not supported")
        if h.get_header("WARC-Truncated"):  # the crawler kept only part of the payload
            raise BadRecord(f"the payload was truncated by its crawler (WARC-Truncated: {h.get_header('WARC-Truncated')})")
        block_digest = h.get_header("WARC-Block-Digest")
        if block_digest and not _digest_matches(block_digest, rec.block):
            raise BadRecord(f"WARC-Block-Digest {block_digest} does not match the block")
        if rec.rec_type == "revisit" and not rec.block.strip():
            line, headers, payload = None, {}, b""
        else:
            line, headers, payload = _parse_http(rec.block)
        found = None
        if rec.rec_type == "response":
            status = int(line.split(" ", 2)[1])
            body = self.response_body(h, headers, payload)
        else:
            found = self.original(rec)
            body = self.archive.body(found["sha"])
            if body is None:
                raise BadRecord(f"the revisited body {found['sha']} is missing from the archive")
            if line is None:  # a revisit without HTTP headers: the original's
                status, headers = found["status"], found["headers"]
            else:
                status = int(line.split(" ", 2)[1])
        if 300 <= status < 400 and status != 304:
            return self.skip(f"redirect (HTTP {status})")
        if status == 304 and found is None:
            return self.skip("304 response (no body)")
        if status < 200:
            return self.skip(f"informational response (HTTP {status})")
        content_type = _first(headers, "Content-Type") or (found and _first(found["headers"], "Content-Type"))
        kind = h.get_header(f"{NB}Kind")
        if kind not in KINDS:
            kind = guess_kind(rec.uri, content_type, headers)
        if kind is None:
            return self.skip(f"neither a page nor a document ({(content_type or 'no type').split(';')[0]})")
        self.add(rec, status, headers, content_type, kind, body, found)

    def response_body(self, h, headers: dict, payload: bytes) -> bytes:
        chunked = "chunked" in (_first(headers, "Transfer-Encoding") or "").lower()
        body = _dechunk(payload) if chunked else payload
        payload_digest = h.get_header("WARC-Payload-Digest")
        if payload_digest and not _digest_matches(payload_digest, payload, body):
            raise BadRecord(f"WARC-Payload-Digest {payload_digest} does not match the payload")
        encodings = [v for k, vs in headers.items() if k.lower() == "content-encoding" for v in vs]
        if encodings:
            decoded = _decode(body, encodings)
            if decoded is None:
                return body  # an encoding we do not know: kept encoded, header kept (Scrapy's way)
            for name in [k for k in headers if k.lower() == "content-encoding"]:
                del headers[name]  # decoded, so the header goes (Scrapy's way)
            body = decoded
        return body

    def original(self, rec: _Record) -> dict:
        """What a revisit record refers to: a record of this file, else a body of the archive."""
        h = rec.headers
        refers = h.get_header("WARC-Refers-To")
        if refers and refers in self.by_record:
            return self.by_record[refers]
        digest = h.get_header("WARC-Payload-Digest")
        target = h.get_header("WARC-Refers-To-Target-URI") or rec.uri
        if not digest:  # Heritrix's server-not-modified revisits may carry none: the URL's capture then
            return self.original_at(target, h.get_header("WARC-Refers-To-Date") or rec.date)
        key = _parse_digest(digest)
        if key in self.by_digest:
            return self.by_digest[key]
        for cap in self.archive.db["captures"].rows_where(
                "(url = ? OR final_url = ?) AND body_sha256 IS NOT NULL", [target, target],
                select="id, status, headers, body_sha256, revisit_of", order_by="id DESC", limit=50):
            sha = cap["body_sha256"]
            if (key[0] == "sha256" and key[1].hex() == sha) or _digest_matches(digest, self.archive.body(sha)):
                return {"capture": cap["revisit_of"] or cap["id"], "sha": sha, "status": cap["status"],
                        "headers": json.loads(cap["headers"] or "{}")}
        if key[0] == "sha256" and self.archive.body(key[1].hex()) is not None:
            sha = key[1].hex()
            cap = next(self.archive.db["captures"].rows_where(
                "body_sha256 = ? AND revisit_of IS NULL", [sha], select="id, status, headers", limit=1), None)
            if cap:
                return {"capture": cap["id"], "sha": sha, "status": cap["status"],
                        "headers": json.loads(cap["headers"] or "{}")}
        raise BadRecord(f"revisit of {target} ({digest}): the original is neither in this file nor in "
                        "the archive")

    def original_at(self, url: str, warc_date: str) -> dict:
        """The latest capture of url with a body fetched at or before warc_date (this file's earlier
        records are in the archive already)."""
        cap = next(self.archive.db["captures"].rows_where(
            "(url = ? OR final_url = ?) AND body_sha256 IS NOT NULL AND fetched_at <= ?", [url, url, _iso(warc_date)],
            select="id, status, headers, body_sha256, revisit_of", order_by="fetched_at DESC, id DESC", limit=1), None)
        if cap is None:
            raise BadRecord(f"revisit of {url} without WARC-Payload-Digest, and no capture of it at or before "
                            f"{warc_date} in this file or the archive")
        return {"capture": cap["revisit_of"] or cap["id"], "sha": cap["body_sha256"], "status": cap["status"],
                "headers": json.loads(cap["headers"] or "{}")}

    def add(self, rec: _Record, status: int, headers: dict, content_type: str | None, kind: str,
            body: bytes, found: dict | None) -> None:
        h = rec.headers
        if h.get_header(f"{NB}Capture-Id"):  # our own export: the headers as received again
            headers = _restore_headers(headers)
        fetched_at = _iso(rec.date)
        url = h.get_header(f"{NB}Requested-URI") or rec.uri
        req = (self.requests.get(rec.record_id) or self.requests.get(h.get_header("WARC-Concurrent-To"))
               or self.requests.get((rec.uri, rec.date)) or {})
        error = h.get_header(f"{NB}Error") or (f"HTTP {status}" if status >= 400 else None)
        fetch_mode = h.get_header(f"{NB}Fetch-Mode")
        sha = sha256(body)
        fields = {"run_id": self.run_id, "agency": self.agency, "url": url, "final_url": rec.uri,
                  "method": req.get("method") or "GET", "status": status, "fetched_at": fetched_at,
                  "headers": headers, "content_type": content_type,
                  # ours: the encoding we recorded, or none (a JSON or binary body); another crawler's: the header's
                  "encoding": (h.get_header(f"{NB}Encoding") if h.get_header(f"{NB}Kind")
                               else _charset(content_type)),
                  "fetch_mode": fetch_mode if fetch_mode in ("http", "browser") else "http",
                  "kind": kind, "referer": req.get("referer"), "error": error}
        same = next(self.archive.db["captures"].rows_where(
            "agency = ? AND url = ? AND fetched_at = ? AND status = ? AND body_sha256 = ?",
            [self.agency, url, fetched_at, status, sha], select="id, revisit_of", limit=1), None)
        if same:
            self.summary.duplicates += 1
            capture_id = same["revisit_of"] or same["id"]
        elif status == 304:  # server-not-modified: a revisit row, as the crawler writes it
            fields.update(revisit_of=found["capture"], body_sha256=found["sha"])
            capture_id = self.write(fields, None)
        else:
            capture_id = self.write(fields, body)
        entry = {"capture": capture_id, "sha": sha, "status": status, "headers": headers}
        self.by_record[rec.record_id] = entry
        digest = h.get_header("WARC-Payload-Digest")
        if digest and rec.rec_type == "response":
            self.by_digest[_parse_digest(digest)] = entry

    def write(self, fields: dict, body: bytes | None) -> int:
        try:
            capture_id, page = self.archive.add_capture(fields, body)
        except CaptureError as e:
            raise BadRecord(f"not a valid capture: {e}") from None
        self.summary.imported += 1
        if page:
            self.summary.pages[page] += 1
        row = next(self.archive.db["captures"].rows_where("id = ?", [capture_id], select="revisit_of"))
        return row["revisit_of"] or capture_id


def _restore_headers(headers: dict) -> dict:
    """Undo _replay_headers: X-Archive-Orig-Transfer-Encoding and -Content-Length back to their names
    (the Content-Length written in their place goes)."""
    orig = {k[len("X-Archive-Orig-"):]: v for k, v in headers.items()
            if k.lower() in ("x-archive-orig-transfer-encoding", "x-archive-orig-content-length")}
    if not orig:
        return headers
    out = {k: v for k, v in headers.items() if not k.lower().startswith("x-archive-orig-")
           and not (k.lower() == "content-length" and "Content-Length" in orig)}
    out.update({k: v for k, v in headers.items() if k.lower().startswith("x-archive-orig-")
                and k[len("X-Archive-Orig-"):] not in orig})
    out.update(orig)
    return out


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"' ").lower()
    return None
