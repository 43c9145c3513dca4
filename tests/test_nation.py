"""The synthetic nation (replica/nation.py): deterministic from its seed, lazy (asking a few agencies builds
only their pages), and a crawl of a handful of its agencies (every family, two sharing a TRS portal column)
through the real engine (crawler.run in a child process, the replica as proxy, the nation's registry as
NIANBAO_REGISTRY) archives and extracts them equal to the nation's truth (Nation.truth: built from the seed,
not from the crawler)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from replica.nation import Nation

ROOT = Path(__file__).resolve().parents[1]


def test_the_nation_is_deterministic_from_its_seed():
    a, b, c = Nation(40, 10, seed=3), Nation(40, 10, seed=3), Nation(40, 10, seed=4)
    assert a.registry() == b.registry()
    slug = a.slugs[7]
    assert a.truth(slug) == b.truth(slug)
    assert a.registry() != c.registry()
    assert len(set(a.hosts)) == 10 and len(a.slugs) == 40
    reg = a.registry()
    assert {e["family"] for e in reg.values()} == {"trs_hunan", "hanweb", "gkmlpt"}
    shared = [s for s, e in reg.items() if e["family"] == "trs_hunan"]
    assert shared and all(reg[s]["match"] for s in shared)      # the portals' column is shared


def test_the_nation_is_lazy():
    tracemalloc.start()
    big = Nation(30_000, 6_000, seed=1)
    slugs = big.slugs[:3]
    for slug in slugs:
        assert big.truth(slug)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert big.renders == 0                                      # truth builds no page
    assert big.plan.cache_info().currsize == 3                   # only the asked agencies' hosts planned
    assert size < 40e6, size                                     # the host and slug indexes only
    from replica.nation import HOST_CACHE
    for h in range(HOST_CACHE + 50):
        big.plan(h)
    assert big.plan.cache_info().currsize == HOST_CACHE          # bounded whatever the number of hosts


@pytest.fixture(scope="module")
def crawled(replica_corpus, tmp_path_factory):
    from replica.server import ReplicaServer
    tmp = tmp_path_factory.mktemp("nation")
    nation = Nation(60, 12, seed=5)
    registry = tmp / "nation.yaml"
    nation.registry(registry)
    by_family = {}
    for slug in nation.slugs:
        a = nation.agency_by_slug(slug)
        by_family.setdefault(a.family, []).append(a)
    trs_host = by_family["trs_hunan"][0].host_index
    chosen = [a.slug for a in by_family["trs_hunan"] if a.host_index == trs_host][:2]   # one shared column
    chosen += [a.slug for a in by_family["hanweb"][:2]] + [a.slug for a in by_family["gkmlpt"][:2]]
    db = tmp / "a.db"
    old = os.environ.get("NIANBAO_REGISTRY")
    os.environ["NIANBAO_REGISTRY"] = str(registry)
    try:
        with ReplicaServer(replica_corpus, nation=nation) as server:
            env = dict(os.environ, http_proxy=server.proxy_url, https_proxy=server.proxy_url)
            env.pop("NIANBAO_DB", None)
            start = time.time()
            p = subprocess.run([sys.executable, "-m", "crawler.run", *chosen, "--db", str(db), "--no-polite",
                                "--log-level", "WARNING"], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=180)
            assert p.returncode == 0, p.stdout + p.stderr
            log = [e for e in server.log if e.time >= start]
            p = subprocess.run([sys.executable, "-m", "archive.extract.run", "--db", str(db)], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=180)
            assert p.returncode == 0, p.stdout + p.stderr
            yield {"nation": nation, "db": db, "log": log, "slugs": chosen, "registry": registry}
    finally:
        if old is None:
            os.environ.pop("NIANBAO_REGISTRY", None)
        else:
            os.environ["NIANBAO_REGISTRY"] = old


def test_a_crawl_archives_every_report(crawled):
    nation, db = crawled["nation"], crawled["db"]
    con = sqlite3.connect(db)
    for slug in crawled["slugs"]:
        got = {u for (u,) in con.execute("SELECT final_url FROM captures WHERE agency = ? AND kind = 'report' "
                                         "AND body_sha256 IS NOT NULL AND error IS NULL", [slug])}
        assert got == set(nation.urls(slug)), slug
    runs = con.execute("SELECT agency, status FROM runs WHERE kind = 'crawl'").fetchall()
    assert sorted(a for a, _ in runs) == sorted(crawled["slugs"]) and {s for _, s in runs} == {"ok"}, runs
    hosts = {nation.host_name(nation.agency_by_slug(s).host_index) for s in crawled["slugs"]}
    assert {e.host for e in crawled["log"]} <= hosts                        # nowhere else
    # each report page built once; other departments' reports in the shared column are listed, not fetched
    assert nation.renders == sum(len(nation.urls(s)) for s in crawled["slugs"])


def test_a_crawl_extracts_to_the_truth(crawled):
    from tests.test_e2e import archived_result
    from tests.test_extract_replica import differences
    conn = sqlite3.connect(crawled["db"])
    problems, n = {}, 0
    for slug in crawled["slugs"]:
        for t in crawled["nation"].truth(slug):
            n += 1
            got = archived_result(conn, slug, t["year"])
            diff = ["not in the archive"] if got is None else differences(got, t)
            if diff:
                problems[t["url"]] = diff
    assert not problems, problems
    assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == n
