"""Crawl benchmark: the nianbao crawler against the replica web vs. `scrapy bench`.

    /work/venv/bin/python bench/crawl.py [--rounds N] [--browser] [--bench-seconds S]

Starts the replica (politeness off, archive on, a fresh DB per round), crawls every plain-HTTP
agency in one process (`python -m crawler.run ... --no-polite`), and measures pages/min as
responses / crawl time (first run start to the last capture, from the runs and captures tables).
Then runs the stock `scrapy bench` (outside the project, so our settings do not slow it),
parses its "Crawled N pages (at X pages/min)" lines, and prints both and the ratio.
--browser also crawls the browser agency separately and reports its rate. Not a test.
"""
from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def crawl_rate(server, agencies: list[str], db: Path) -> tuple[int, float]:
    """(pages, pages/min) of one crawl of these agencies into a fresh db."""
    env = dict(os.environ, http_proxy=server.proxy_url, https_proxy=server.proxy_url)
    cmd = [sys.executable, "-m", "crawler.run", *agencies, "--db", str(db), "--no-polite",
           "--log-level", "WARNING"]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    con = sqlite3.connect(db)
    # the crawl's span: first run start to the last capture (Scrapy then idles up to one
    # 5 s engine heartbeat before closing the spider; that tail is not crawling)
    # pages = captures (one per response; a shared column's list page is one, though it counts in
    # the `responses` of every agency of the column)
    pages = con.execute("SELECT count(*) FROM captures").fetchone()[0]
    start = con.execute("SELECT min(started_at) FROM runs").fetchone()[0]
    end = con.execute("SELECT max(fetched_at) FROM captures").fetchone()[0]
    con.close()
    seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return pages, pages / seconds * 60


def scrapy_bench(seconds: int) -> list[float]:
    """pages/min values `scrapy bench` logs once a second (stock settings, outside the project)."""
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([str(Path(sys.executable).with_name("scrapy")), "bench",
                            "-s", f"CLOSESPIDER_TIMEOUT={seconds}", "-s", "LOG_LEVEL=INFO"],
                           cwd=tmp, capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"})
    rates = [float(m) for m in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", p.stderr)]
    return [r for r in rates if r > 0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--browser", action="store_true", help="also time the browser agency")
    ap.add_argument("--bench-seconds", type=int, default=10)
    args = ap.parse_args()

    from batch import default_agencies
    from crawler.registry import agencies
    from replica.server import ReplicaServer
    served = default_agencies(replica=True)
    http = [s for s in served if not agencies()[s].browser]
    browser = [s for s in served if agencies()[s].browser]
    with ReplicaServer() as server, tempfile.TemporaryDirectory() as tmp:
        results = []
        for i in range(args.rounds):
            pages, rate = crawl_rate(server, http, Path(tmp) / f"http{i}.db")
            results.append(rate)
            print(f"nianbao crawl round {i + 1}: {pages} pages at {rate:.0f} pages/min "
                  f"({', '.join(http)})", flush=True)
        if args.browser:
            pages, rate = crawl_rate(server, browser, Path(tmp) / "browser.db")
            print(f"nianbao browser crawl: {pages} pages at {rate:.0f} pages/min ({', '.join(browser)})")
    ours = statistics.median(results)
    bench = scrapy_bench(args.bench_seconds)
    theirs = statistics.median(bench) if bench else float("nan")
    print(f"scrapy bench: median {theirs:.0f} pages/min over {len(bench)} samples")
    print(f"nianbao crawl: median {ours:.0f} pages/min")
    print(f"ratio nianbao / scrapy bench: {ours / theirs:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
