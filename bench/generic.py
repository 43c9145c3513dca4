"""Recall of the generic family (unknown CMS) on generated replica sites from a held-back seed.

    .venv/bin/python bench/generic.py [--sites 30] [--seed 2027] [--polite]

Generates the sites (replica/sites/generated.py; the tests use seed 7, this benchmark another), serves them
beside the replica web, crawls them from their registry start pages only (home page or 信息公开 entry,
family generic), then once more (the run starts at the stored columns). Prints recall (report pages
archived / report pages served), requests per report, off-host requests (must be 0), recall by layout
feature, and the sites that missed reports. Exit 1 when recall < 95% or any request left the sites' hosts.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from replica.server import ReplicaServer  # noqa: E402
from replica.sites.generated import generate_sites, registry_entries  # noqa: E402

HELD_BACK_SEED = 2027


def crawl(server, db, registry, slugs, polite: bool) -> tuple[list, float]:
    env = dict(os.environ, http_proxy=server.proxy_url, https_proxy=server.proxy_url, NIANBAO_REGISTRY=str(registry))
    env.pop("NIANBAO_DB", None)
    start = time.time()
    p = subprocess.run([sys.executable, "-m", "crawler.run", *slugs, "--db", str(db),
                        "--polite" if polite else "--no-polite", "--log-level", "WARNING"],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"crawl failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return [e for e in server.log if e.time >= start], time.time() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=30)
    ap.add_argument("--seed", type=int, default=HELD_BACK_SEED)
    ap.add_argument("--polite", action="store_true", help="crawl with the real delays (slow)")
    args = ap.parse_args(argv)
    sites = generate_sites(args.sites, args.seed, first=100)
    slugs = [s.layout.slug for s in sites]
    hosts = {s.host for s in sites}
    with tempfile.TemporaryDirectory() as tmp, ReplicaServer(extra_sites=sites) as server:
        registry = Path(tmp) / "agencies.yaml"
        registry.write_text(yaml.safe_dump(registry_entries(sites), allow_unicode=True), encoding="utf-8")
        db = Path(tmp) / "bench.db"
        first, t1 = crawl(server, db, registry, slugs, args.polite)
        second, t2 = crawl(server, db, registry, slugs, args.polite)
        con = sqlite3.connect(db)
        got = {r[0] for r in con.execute("SELECT url FROM captures WHERE kind = 'report' AND body_sha256 IS NOT NULL "
                                         "AND error IS NULL")}
        stored = dict(con.execute("SELECT agency, url FROM discovered_columns ORDER BY rowid"))
        statuses = dict(con.execute("SELECT agency, group_concat(status) FROM runs GROUP BY agency"))
        failures = dict(con.execute("SELECT agency, group_concat(failure, ' | ') FROM runs WHERE status != 'ok' "
                                    "GROUP BY agency"))
        con.close()
    served = {s.layout.slug: {r.url for r in s.reports} for s in sites}
    total = sum(len(v) for v in served.values())
    found = sum(len(v & got) for v in served.values())
    off = [e.url for e in first + second if e.host not in hosts]
    by_feature: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for s in sites:
        hit = len(served[s.layout.slug] & got)
        for k, v in s.layout.features().items():
            by_feature[(k, v)][0] += hit
            by_feature[(k, v)][1] += len(served[s.layout.slug])
    recall = found / total
    print(f"generic family on {len(sites)} generated sites (seed {args.seed}), {total} reports served")
    print(f"recall: {found}/{total} = {recall:.1%}")
    print(f"first run:  {len(first)} requests, {len(first) / total:.2f} per report, {t1:.1f} s")
    print(f"second run: {len(second)} requests, {len(second) / total:.2f} per report, {t2:.1f} s "
          f"(starts at the stored columns; held reports are not fetched again)")
    print(f"off-host requests: {len(off)}" + (f" e.g. {off[:3]}" if off else ""))
    right = sum(1 for s in sites if stored.get(s.layout.slug) == s.list_url(0))
    print(f"columns stored: {len(stored)}/{len(sites)}, the true column's first page: {right}")
    print("recall by layout feature:")
    for (k, v), (hit, n) in sorted(by_feature.items()):
        print(f"  {k:<11} {v:<9} {hit:>3}/{n:<3} {hit / n:.0%}")
    missed = [(s.layout.slug, s.layout.features(), len(served[s.layout.slug] - got)) for s in sites
              if served[s.layout.slug] - got]
    for slug, features, n in missed:
        print(f"  missed {n} at {slug}: {features} (runs {statuses.get(slug)})")
    not_ok = {a: st for a, st in statuses.items() if set(st.split(",")) != {"ok"}}
    if not_ok:
        print(f"runs not ok: {not_ok}")
        for agency, why in failures.items():
            print(f"  {agency}: {why}")
    return 0 if recall >= 0.95 and not off else 1


if __name__ == "__main__":
    sys.exit(main())
