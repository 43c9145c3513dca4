"""Fuzz benchmark: mutated real and replica reports through the extractor's sandbox (the pass's limits),
counting crashes, invalid outputs and inputs over the time limit. Not a test (tests/test_fuzz.py runs a
small sample of the same mutations).

    python bench/fuzz.py [--n 10000] [--seed 7] [--seconds S] [--workers 2] [--only I ...]

Seeds: the real development set (tests/data/real, less the scanned PDF: OCR of every mutant would be the
whole benchmark) and the replica's report pages, PDF and DOCX attachments. Mutations: truncation, byte
flips, wrong encodings (re-encoded, or a false charset), control bytes, 400-digit numbers, absurd
colspan/rowspan and DOCX gridSpan/gridBefore, a deleted table cell, 10,000-row tables, zip bombs named
.docx. For each mutant:

- crash: an exception that is not the extractor's clear ExtractError (the sandbox turns a reader's bug
  into "internal error ..."), or a worker that died;
- invalid output: a result strict JSON refuses (NaN, Infinity), a count that is negative, fractional or
  not finite, a report year outside 2007 .. its publication year;
- over the time limit: the sandbox's time limit hit. The limit is the pass's own (sandbox.py:
  NIANBAO_EXTRACT_SECONDS, 120 s by default), since the readers size their own budgets under it (OCR stops
  after ocr.DOCUMENT_BUDGET, 90 s): a mutated PDF whose text layer is gone is OCR'd, as a scan would be,
  which takes 10-40 s on a loaded machine. How many inputs took longer than 30 s is printed too.
Prints the counts, each mutation's share, and the slowest inputs (with their #i: `--only I` reads those
mutants again, one by one, with the reason for their outcome). `--workers` sandboxes read side by side, each
its own worker process with the pass's limits, one input at a time; the mutants are the same whatever the
number of workers, but the times depend on the machine's load (printed at the start and end).
"""
from __future__ import annotations

import argparse
import functools
import io
import json
import math
import os
import random
import re
import sys
import time
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIGNED = {("2", "change")}          # table 二 本年增/减 may be negative


def seeds(replica: bool = True) -> list[tuple[str, bytes]]:
    """(filename, bytes) of the inputs mutated."""
    out = [(p.name, p.read_bytes()) for p in sorted((ROOT / "tests" / "data" / "real").iterdir())
           if p.suffix in (".html", ".md", ".txt", ".pdf", ".doc", ".docx") and "scanned" not in p.name]
    if replica:
        from replica.corpus import build_corpus
        from replica.server import ReplicaServer
        with ReplicaServer(build_corpus(2024)) as server:
            opener = server.opener()   # http and https, the replica only
            for t in server.truth()[::3]:
                for url in [t["url"], *t["attachment_urls"][:1]]:
                    try:
                        out.append((url.rsplit("/", 1)[1], opener.open(url, timeout=20).read()))
                    except (OSError, urllib.error.HTTPError):   # the Hubei challenge: a browser's
                        pass
    return out


# ------------------------------------------------------------------ mutations

def _truncate(rng, data, name):
    return data[: rng.randrange(1, max(2, len(data)))], name


def _flip(rng, data, name):
    b = bytearray(data)
    for _ in range(rng.randint(1, 40)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b), name


def _encoding(rng, data, name):
    text = data.decode("utf-8", "replace")
    choice = rng.choice(["gbk", "big5", "utf-16", "latin-1-claim", "gbk-claim-utf8"])
    if choice == "latin-1-claim":
        return data.replace(b"utf-8", b"iso-8859-1").replace(b"UTF-8", b"ISO-8859-1"), name
    if choice == "gbk-claim-utf8":
        return text.encode("gbk", "replace"), name
    return text.encode(choice, "replace"), name


def _control(rng, data, name):
    b = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        b[rng.randrange(len(b)):rng.randrange(len(b))] = bytes([rng.choice([0, 1, 7, 8, 11, 12, 27, 127])])
    return bytes(b), name


def _giant(rng, data, name):
    digits = "".join(rng.choice("0123456789") for _ in range(400)).encode()
    hits = [m.start() for m in re.finditer(rb">\s*\d+\s*<|\n\d+\n|\|\s*\d+\s*\|", data)] or [len(data) // 2]
    at = rng.choice(hits) + 1
    return data[:at] + digits + data[at:], name


def _spans(rng, data, name):
    big = str(rng.choice([99999999, 1000000, 65535])).encode()
    if name.endswith(".docx"):
        return _docx_xml(data, name, lambda x: re.sub(rb'<w:tcPr>', b'<w:tcPr><w:gridSpan w:val="' + big + b'"/>', x, 3)
                         .replace(b"<w:trPr>", b'<w:trPr><w:gridBefore w:val="' + big + b'"/>', 3))
    return re.sub(rb"<td", b'<td colspan="' + big + b'" rowspan="' + big + b'"', data, count=rng.randint(1, 5)), name


def _delete_cell(rng, data, name):
    cells = [m.span() for m in re.finditer(rb"<td[^>]*>.*?</td>", data, re.S)]
    if not cells:
        return _flip(rng, data, name)
    a, b = rng.choice(cells)
    return data[:a] + data[b:], name


def _rows(rng, data, name):
    m = re.search(rb"<tr[^>]*>.*?</tr>", data, re.S)
    if not m:
        return data + b"\n" + b"| a | 1 | 2 | 3 | 4 | 5 | 6 | 21 |\n" * 10000, name
    return data[:m.start()] + m.group(0) * 10000 + data[m.start():], name


def _zip_bomb(rng, data, name):
    return _bomb(rng.choice([200, 600])), "bomb.docx"


@functools.lru_cache(maxsize=None)
def _bomb(mb: int) -> bytes:
    """A DOCX whose document.xml inflates to mb MB (built once per size: a second each)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", b"<w:document>" + b"0" * (mb * 1024 * 1024))
    return buf.getvalue()


def _docx_xml(data, name, edit):
    try:
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in src.infolist():
                body = src.read(info)
                z.writestr(info, edit(body) if info.filename == "word/document.xml" else body)
        return out.getvalue(), name
    except zipfile.BadZipFile:
        return data, name


MUTATIONS = {"truncate": _truncate, "flip": _flip, "encoding": _encoding, "control": _control,
             "giant": _giant, "spans": _spans, "delete_cell": _delete_cell, "rows": _rows, "zip_bomb": _zip_bomb}


def mutants(seed_inputs, n: int, seed: int):
    rng = random.Random(seed)
    kinds = list(MUTATIONS)
    for i in range(n):
        name, data = rng.choice(seed_inputs)
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        if kind == "zip_bomb" and rng.random() < 0.8:   # few are enough, each costs a second to build
            kind = rng.choice([k for k in kinds if k != "zip_bomb"])
        mutated, mname = MUTATIONS[kind](rng, data, name)
        yield kind, mname, mutated


# ------------------------------------------------------------------ judging

def invalid(result: dict) -> str | None:
    """Why an extraction result is not valid output, or None."""
    try:
        json.dumps(result, allow_nan=False)
    except (ValueError, TypeError) as e:
        return f"not strict JSON: {e}"
    for s in result.get("stats", []):
        v = s.get("value")
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            return f"figure not finite: {s}"
        if v < 0 and (s["table"], s["col"]) not in SIGNED:
            return f"negative figure: {s['table']}/{s['row']}/{s['col']} = {v}"
        if s["table"] in ("3", "4") and v != int(v):
            return f"fractional count: {s['table']}/{s['row']}/{s['col']} = {v}"
    year, pub = result.get("year"), result.get("published")
    if year is not None:
        latest = int(pub[:4]) if pub else time.gmtime().tm_year
        if not 2007 <= year <= latest:
            return f"report year {year} outside 2007..{latest}"
    return None


def _judge(box, kind, name, data) -> tuple[str, str | None, float]:
    """(outcome, why, seconds) of one mutant through a sandbox."""
    from archive.extract import ExtractError
    from archive.extract.sandbox import OverLimit
    t = time.perf_counter()
    outcome, why = "ok", None
    try:
        why = invalid(box.extract(data, filename=name))
        if why:
            outcome = "invalid"
    except OverLimit as e:
        outcome = "over time" if "time limit" in str(e) else "refused (limit)"
        why = str(e)
    except ExtractError as e:
        outcome = "crash" if str(e).startswith("internal error") else "clear error"
        why = str(e)
    except Exception as e:  # noqa: BLE001 - counted, never fatal to the benchmark
        outcome, why = "crash", f"{type(e).__name__}: {e}"
    return outcome, why, time.perf_counter() - t


def run(seed_inputs, n: int, seed: int, seconds: float, echo=print, workers: int = 1, start: int = 0,
        stop=None) -> dict:
    """Mutants #start .. #n-1 through a sandbox. With workers > 1, that many sandboxes (each its own
    worker process with the pass's limits, one input at a time) take the mutants from a short queue; the
    mutants and their order are the same whatever the number of workers. `stop` (a threading.Event):
    once set, no further mutant is started; the result says how many were read."""
    import queue
    import threading
    from archive.extract.sandbox import Sandbox
    counts, by_kind, slowest, examples, over30 = Counter(), Counter(), [], {}, []
    lock = threading.Lock()
    todo: queue.Queue = queue.Queue(maxsize=2 * workers)
    done = [0]

    def record(i, kind, name, size, outcome, why, took):
        with lock:
            counts[outcome] += 1
            by_kind[(kind, outcome)] += 1
            if outcome in ("crash", "invalid", "over time"):
                examples.setdefault(outcome, []).append(f"#{i} {kind} {name}: {why}")
                if echo:
                    echo(f"  {outcome}: #{i} {kind} {name} ({size:,} bytes, {took:.1f} s): {str(why)[:300]}")
            if took > 30:
                over30.append(i)
            slowest[:] = sorted([*slowest, (took, kind, name, size, i)], reverse=True)[:10]
            done[0] += 1
            if echo and done[0] % 500 == 0:
                echo(f"  {done[0]} inputs: {dict(counts)} (load {os.getloadavg()[0]:.1f})")

    def serve():
        with Sandbox(seconds=seconds) as box:
            while (item := todo.get()) is not None:
                i, kind, name, data = item
                record(i, kind, name, len(data), *_judge(box, kind, name, data))

    threads = [threading.Thread(target=serve, daemon=True) for _ in range(max(1, workers))]
    for th in threads:
        th.start()
    for i, (kind, name, data) in enumerate(mutants(seed_inputs, n, seed)):
        if stop is not None and stop.is_set():
            break
        if i >= start:      # the ones before are made all the same: the random sequence stays the run's
            todo.put((i, kind, name, data))
    for _ in threads:
        todo.put(None)
    for th in threads:
        th.join()
    return {"counts": counts, "by_kind": by_kind, "slowest": slowest, "examples": examples,
            "over30": sorted(over30), "read": done[0]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=None,
                    help="the sandbox's time limit per input (default: the pass's, NIANBAO_EXTRACT_SECONDS or 120)")
    ap.add_argument("--workers", type=int, default=2, help="sandboxes reading mutants side by side")
    ap.add_argument("--start", type=int, default=0, help="read mutants #start .. #n-1 only (a run in parts)")
    ap.add_argument("--only", type=int, nargs="*", help="read only these mutants (#i of a run), one at a time")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)   # progress visible in a log file as it comes
    if args.seconds is None:
        from archive.extract.sandbox import limits_from_env
        args.seconds = limits_from_env()["seconds"]
    inputs = seeds()
    if args.only:
        return replay(inputs, args.n, args.seed, args.seconds, set(args.only))
    print(f"fuzz: {args.n} mutants of {len(inputs)} real and replica inputs (seed {args.seed}, "
          f"time limit {args.seconds:g} s per input, {args.workers} sandboxes side by side, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    t = time.time()
    import signal
    import threading
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):   # stopped early: the summary of what was read
        signal.signal(sig, lambda *_: stop.set())
    res = run(inputs, args.n, args.seed, args.seconds, workers=args.workers, start=args.start, stop=stop)
    c = res["counts"]
    if stop.is_set() or args.start:
        print(f"PARTIAL: {res['read']} of the {args.n} mutants read (from #{args.start}"
              f"{', stopped early' if stop.is_set() else ''})")
    print(f"done in {time.time() - t:.0f} s: crashes {c['crash']}, invalid outputs {c['invalid']}, "
          f"over the time limit {c['over time']}; ok {c['ok']}, clear errors {c['clear error']}, "
          f"refused at a limit {c['refused (limit)']}")
    for kind in MUTATIONS:
        row = {o: n for (k, o), n in res["by_kind"].items() if k == kind}
        print(f"  {kind:12s} {row}")
    print(f"inputs over 30 s: {sum(1 for _ in res['over30'])} {res['over30'][:20]}")
    print(f"slowest inputs (load average at the end {os.getloadavg()[0]:.1f}):")
    for took, kind, name, size, i in res["slowest"]:
        print(f"  {took:6.2f} s  #{i:<5d} {kind:12s} {name} ({size:,} bytes)")
    for what, lines in res["examples"].items():
        print(f"{what} examples:")
        for line in lines[:10]:
            print(f"  {line[:300]}")
    return 0 if not (c["crash"] or c["invalid"] or c["over time"]) else 1


def replay(seed_inputs, n: int, seed: int, seconds: float, only: set[int]) -> int:
    """Mutants #i of a run again, one by one, with the reason for their outcome."""
    from archive.extract.sandbox import Sandbox
    with Sandbox(seconds=seconds) as box:
        for i, (kind, name, data) in enumerate(mutants(seed_inputs, min(n, max(only) + 1), seed)):
            if i in only:
                outcome, why, took = _judge(box, kind, name, data)
                print(f"#{i} {kind} {name} ({len(data):,} bytes): {outcome} in {took:.2f} s: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
