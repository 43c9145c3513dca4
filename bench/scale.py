"""Scale benchmark: the whole pipeline on a synthetic nation (replica/nation.py) at two sizes, ten times apart.

    .venv/bin/python bench/scale.py [--sizes 300,3000] [--per-host 5] [--seed 1] [--delay 0.05] [--bench-seconds 10]

For each size N (N / per-host hosts), with the nation's registry as NIANBAO_REGISTRY and the replica web
(nation included) on loopback as the proxy, it runs, each in a child process as the scheduler does:
1. a crawl of every agency with politeness off (`crawler.run --no-polite`) into a fresh archive:
   pages/min (captures / first run start to last capture, as bench/crawl.py), requests the replica answered,
   requests per report, the child's peak RSS (VmHWM polled from /proc; with its workers: summed VmRSS);
2. the extraction pass (`archive.extract.run`): reports/s, peak RSS; then the archive's size per report;
3. a second, no-change run into the same archive, every held report page revalidated (NIANBAO_SEASON=1-12,
   NIANBAO_REVALIDATE_MIN_HOURS=0: the in-season nightly worst case): its requests by kind and status, and
   the new bodies it stored (must be 0);
4. a crawl with politeness on (robots.txt, AutoThrottle, 2 per host; short delays: DOWNLOAD_DELAY and
   AUTOTHROTTLE_START_DELAY = --delay) into another fresh archive: pages/min;
5. `datasette serve` on the result (as tests/datasette_server.py starts it): load times of /archive,
   report_summary, coverage, report_coverage and one report's page (first GET, then median of three).
`scrapy bench` is measured once in the same run (the reference of bench/crawl.py). Ends with the growth
small -> large of every peak RSS (the issue wants < 50%). Not a test; timings on a shared 2-core machine
move by ±15% or more.
"""
from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _tree(root: int) -> list[int]:
    """root and its descendants (e.g. the extractor's sandbox workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_child(cmd: list[str], env: dict) -> tuple[float, dict, str]:
    """(seconds, peak RSS in MB {"main", "tree"}, output) of a child process. main: the child's VmHWM,
    polled from /proc until it exits (os.wait4's ru_maxrss would count the parent's pages the child had
    before exec); tree: the peak of the summed VmRSS of it and its descendants (the extractor's sandbox
    workers), sampled every 0.2 s (shared pages counted in each)."""
    start = time.monotonic()
    main, tree = 0, 0
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        while p.poll() is None:
            main = max(main, _status_kb(p.pid, "VmHWM"))
            tree = max(tree, sum(_status_kb(pid, "VmRSS") for pid in _tree(p.pid)))
            time.sleep(0.2)
        seconds = time.monotonic() - start
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({p.returncode}):\n{text[-3000:]}")
    return seconds, {"main": main / 1024, "tree": max(tree, main) / 1024}, text


def q(db: Path, sql: str, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def crawl(server, env: dict, db: Path, extra: list[str]) -> dict:
    before = q(db, "SELECT max(started_at) FROM runs") if db.exists() else None
    server.clear_log()
    seconds, rss, _ = run_child([sys.executable, "-m", "crawler.run", "--db", str(db), "--log-level", "WARNING",
                                 *extra], env)
    log = server.log
    server.clear_log()
    con = sqlite3.connect(db)
    start = con.execute("SELECT min(started_at) FROM runs WHERE kind = 'crawl' AND started_at > ?",
                        [before or ""]).fetchone()[0]
    end, pages = con.execute("SELECT max(fetched_at), count(*) FROM captures WHERE fetched_at >= ?", [start]).fetchone()
    reports = con.execute("SELECT count(DISTINCT final_url) FROM captures WHERE kind = 'report' AND agency IS NOT NULL "
                          "AND body_sha256 IS NOT NULL AND error IS NULL").fetchone()[0]
    statuses = dict(con.execute("SELECT status, count(*) FROM runs WHERE kind = 'crawl' AND started_at >= ? "
                                "GROUP BY status", [start]).fetchall())
    con.close()
    span = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return {"seconds": seconds, "rss": rss, "pages": pages, "span": span, "rate": pages / span * 60,
            "requests": len(log), "reports": reports, "log": log, "statuses": statuses}


def db_size(db: Path) -> int:
    """The archive's bytes on disk after a checkpoint (the WAL folded in)."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def table_sizes(db: Path, top: int = 6) -> list[tuple[str, int]]:
    """The largest tables and indexes (SQLite's dbstat), bytes."""
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT ?",
                           [top]).fetchall()
    except sqlite3.Error:
        return []
    finally:
        con.close()


def kind_of(path: str) -> str:
    if path == "/robots.txt":
        return "robots.txt"
    if "/index" in path or "dataproxy" in path or "/gkmlpt/api/" in path or "/col/col" in path:
        return "list"
    return "report page"


def datasette_times(db: Path) -> dict[str, tuple[float, float]]:
    from tests.datasette_server import OPENER, serve, stop
    rid = q(db, "SELECT min(id) FROM reports")
    pages = {"/archive": "/archive", "report_summary": "/archive/report_summary",
             "coverage": "/archive/coverage", "report_coverage": "/archive/report_coverage",
             "a report": f"/archive/reports/{rid}"}
    proc, base = serve(db, immutable=False, log=db.with_suffix(".datasette.log"))
    out = {}
    try:
        for name, path in pages.items():
            times, statuses = [], set()
            for _ in range(4):
                t = time.monotonic()
                try:
                    with OPENER.open(base + path, timeout=60) as r:
                        r.read()
                        statuses.add(r.status)
                except urllib.error.HTTPError as e:   # e.g. a query past sql_time_limit_ms: said, not fatal
                    statuses.add(e.code)
                times.append(time.monotonic() - t)
            out[name] = (times[0], statistics.median(times[1:]), sorted(statuses))
    finally:
        stop(proc)
    return out


def one_size(n: int, per_host: int, seed: int, delay: float, corpus, tmp: Path) -> dict:
    from replica.nation import Nation
    from replica.server import ReplicaServer
    nation = Nation(n, max(1, n // per_host), seed=seed)
    registry = tmp / f"nation-{n}.yaml"
    nation.registry(registry)
    truth_reports = nation.n_reports()
    res = {"n": n, "hosts": nation.n_hosts, "truth_reports": truth_reports}
    with ReplicaServer(corpus, nation=nation) as server:
        env = dict(os.environ, http_proxy=server.proxy_url, https_proxy=server.proxy_url,
                   NIANBAO_REGISTRY=str(registry))
        env.pop("NIANBAO_DB", None)
        db = tmp / f"off-{n}" / "archive.db"   # Datasette names the database after the file
        db.parent.mkdir()
        print(f"[{n}] crawl, politeness off ...", flush=True)
        res["off"] = crawl(server, env, db, ["--no-polite"])
        print(f"[{n}] extraction pass ...", flush=True)
        seconds, rss, _ = run_child([sys.executable, "-m", "archive.extract.run", "--db", str(db)], env)
        extracted = q(db, "SELECT count(*) FROM reports")
        res["extract"] = {"seconds": seconds, "rss": rss, "reports": extracted,
                          "captures": q(db, "SELECT count(*) FROM extractions")}
        res["size"] = db_size(db)
        res["tables"] = table_sizes(db)
        print(f"[{n}] second, no-change run ...", flush=True)
        bodies = q(db, "SELECT count(*) FROM bodies")
        res["again"] = crawl(server, env, db, ["--no-polite", "-s", "NIANBAO_SEASON=1-12",
                                               "-s", "NIANBAO_REVALIDATE_MIN_HOURS=0"])
        res["again"]["new_bodies"] = q(db, "SELECT count(*) FROM bodies") - bodies
        res["again"]["growth"] = db_size(db) - res["size"]
        res["again"]["by_kind"] = Counter((kind_of(e.path), e.status) for e in res["again"].pop("log"))
        res["off"].pop("log")
        print(f"[{n}] crawl, politeness on (delays {delay} s) ...", flush=True)
        polite = ["--polite", "-s", f"DOWNLOAD_DELAY={delay}", "-s", f"AUTOTHROTTLE_START_DELAY={delay}",
                  "-s", f"AUTOTHROTTLE_MAX_DELAY={max(delay * 10, 1)}"]
        res["on"] = crawl(server, env, tmp / f"on-{n}.db", polite)   # a fresh archive
        res["on"].pop("log")
        res["renders"] = nation.renders
        res["plan_cache"] = nation.plan.cache_info().currsize
    print(f"[{n}] datasette ...", flush=True)
    res["datasette"] = datasette_times(db)
    return res


def mb(rss: dict) -> str:
    return f"{rss['main']:.0f} MB" + (f" ({rss['tree']:.0f} MB with its workers)" if rss["tree"] > rss["main"] + 1 else "")


def report(r: dict, bench: float) -> None:
    n, off, on, ex, again = r["n"], r["off"], r["on"], r["extract"], r["again"]
    print(f"\n== {n} agencies on {r['hosts']} hosts, {r['truth_reports']} reports in the nation ==")
    print(f"crawl, politeness off: {off['pages']} pages in {off['span']:.0f} s = {off['rate']:.0f} pages/min "
          f"({off['rate'] / bench:.2f}x scrapy bench); {off['requests']} requests for {off['reports']} reports = "
          f"{off['requests'] / max(off['reports'], 1):.2f} requests/report; runs {off['statuses']}; "
          f"peak RSS {mb(off['rss'])}")
    print(f"crawl, politeness on:  {on['pages']} pages in {on['span']:.0f} s = {on['rate']:.0f} pages/min "
          f"({on['rate'] / bench:.2f}x scrapy bench); {on['requests']} requests (robots.txt included); "
          f"runs {on['statuses']}; peak RSS {mb(on['rss'])}")
    print(f"extraction: {ex['reports']} reports ({ex['captures']} captures) in {ex['seconds']:.0f} s = "
          f"{ex['captures'] / ex['seconds']:.1f} pages/s, {ex['reports'] / ex['seconds']:.1f} reports/s; "
          f"peak RSS {mb(ex['rss'])}")
    print(f"archive: {r['size'] / 1e6:.1f} MB = {r['size'] / max(ex['reports'], 1) / 1e3:.0f} KB/report; largest: "
          + ", ".join(f"{name} {b / 1e6:.1f} MB" for name, b in r["tables"]))
    kinds = ", ".join(f"{k} {s}: {c}" for (k, s), c in sorted(again["by_kind"].items(), key=str))
    print(f"no-change run: {again['requests']} requests ({kinds}); {again['new_bodies']} new bodies; "
          f"{again['span']:.0f} s; archive +{again['growth'] / 1e3:.0f} KB "
          f"({again['growth'] / max(again['requests'], 1):.0f} bytes/request); peak RSS {mb(again['rss'])}")
    print("datasette (first GET / median of 3 more): " + "; ".join(
        f"{k} {a * 1000:.0f}/{b * 1000:.0f} ms" + ("" if st == [200] else f" (HTTP {st})")
        for k, (a, b, st) in r["datasette"].items()))
    print(f"replica: {r['renders']} report pages built, {r['plan_cache']} host plans cached")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="300,3000", help="agency counts, comma-separated (default 300,3000)")
    ap.add_argument("--per-host", type=int, default=5, help="agencies per host (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--delay", type=float, default=0.05, help="DOWNLOAD_DELAY of the polite crawl")
    ap.add_argument("--bench-seconds", type=int, default=10)
    args = ap.parse_args()
    started = time.monotonic()
    from bench.crawl import scrapy_bench
    from replica.corpus import build_corpus
    rates = scrapy_bench(args.bench_seconds)
    bench = statistics.median(rates) if rates else float("nan")
    print(f"scrapy bench: median {bench:.0f} pages/min over {len(rates)} samples", flush=True)
    corpus = build_corpus(2024)
    results = []
    with tempfile.TemporaryDirectory(prefix="nianbao-scale-") as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            results.append(one_size(n, args.per_host, args.seed, args.delay, corpus, Path(tmp)))
            try:
                report(results[-1], bench)
            except Exception as e:  # noqa: BLE001 - the raw figures rather than nothing
                print(f"report failed ({e!r}): {results[-1]}", flush=True)
    print(f"\nscrapy bench (reference, same run): {bench:.0f} pages/min")
    if len(results) >= 2:
        small, large = results[0], results[-1]
        print(f"growth {small['n']} -> {large['n']} agencies ({large['n'] / small['n']:.0f}x):")
        for name, key in (("crawler (off)", "off"), ("crawler (on)", "on"), ("no-change run", "again"),
                          ("extractor", "extract")):
            for part in ("main", "tree"):
                a, b = small[key]["rss"][part], large[key]["rss"][part]
                if part == "main" or b > large[key]["rss"]["main"] + 1:
                    label = name if part == "main" else name + " with its workers"
                    print(f"  peak RSS {label}: {a:.0f} -> {b:.0f} MB ({(b / a - 1) * 100:+.0f}%)")
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process (replica web, nation included): peak RSS {me:.0f} MB; "
          f"load average {os.getloadavg()[0]:.1f}; {time.monotonic() - started:.0f} s in all")


if __name__ == "__main__":
    main()
