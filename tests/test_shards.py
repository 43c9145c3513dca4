"""Sharded runs on two real Scrapyd servers, and merging shard archives (shards.py, archive/merge.py).

One module-scoped run: the replica web, two `scrapyd` servers on loopback ports (their own config
dirs, the replica's proxy in their environment), `scheduler.py run --scrapyd A --scrapyd B` over
three agencies in two provinces (one job per node), merged and extracted into the central archive;
beside it, at the same time, a single-process run of the same agencies into another archive. The
merged archive must hold the same reports, figures and bodies as the single one, every capture the
replica's truth names, and every merged row its origin; merging the shards again changes nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AGENCIES = ["quzhou_zjj", "zhejiang_zjt", "hunan_zjt"]   # 浙江 (2), 湖南 (1, a shared provincial column)
SHARDS = {"33-zhejiang": ["quzhou_zjj", "zhejiang_zjt"], "43-hunan": ["hunan_zjt"]}

pytestmark = pytest.mark.timeout(300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_scrapyd(folder: Path, proxy: str) -> tuple[subprocess.Popen, str]:
    folder.mkdir(parents=True)
    port = _free_port()
    (folder / "scrapyd.conf").write_text(f"""[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {folder}/eggs
logs_dir = {folder}/logs
dbs_dir = {folder}/dbs
items_dir =
poll_interval = 0.2
max_proc = 2
""")
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "pythonpath")}
    env.update(http_proxy=proxy, https_proxy=proxy, HTTP_PROXY=proxy, HTTPS_PROXY=proxy)
    log = open(folder / "scrapyd.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=folder, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/daemonstatus.json", timeout=1).read()
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"scrapyd did not start: {(folder / 'scrapyd.log').read_text()[-2000:]}")
            time.sleep(0.1)


def _scheduler(*args, timeout=240) -> subprocess.CompletedProcess:
    env = dict(os.environ, NIANBAO_PROGRESS_EVERY="0")
    return subprocess.run([sys.executable, "scheduler.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from batch import Runner
    from replica.server import ReplicaServer
    tmp = tmp_path_factory.mktemp("shards")
    with ReplicaServer() as replica:
        nodes = [_start_scrapyd(tmp / f"node{i}", replica.proxy_url) for i in range(2)]
        try:
            single = str(tmp / "single.db")
            runner = Runner(single, proxy_url=replica.proxy_url, echo=lambda *a: None, progress_every=0)
            outcome = {}
            thread = threading.Thread(target=lambda: outcome.setdefault(
                "single", runner.batch(AGENCIES, "single", polite=False, log_level="WARNING")))
            thread.start()   # the single-process run beside the sharded one (both against the one replica)
            started = time.monotonic()
            done = _scheduler("run", "--replica", *AGENCIES, "--db", str(tmp / "central.db"),
                              "--shard-dir", str(tmp / "shards"), "--scrapyd", nodes[0][1],
                              "--scrapyd", nodes[1][1], "--shard-by", "province")
            seconds = time.monotonic() - started
            thread.join()
            jobs = {url: urllib.request.urlopen(f"{url}/listjobs.json?project=nianbao").read().decode()
                    for _, url in nodes}
            versions = {url: json.loads(urllib.request.urlopen(f"{url}/listversions.json?project=nianbao").read())
                        for _, url in nodes}
            yield {"tmp": tmp, "done": done, "single": single, "central": str(tmp / "central.db"),
                   "single_outcome": outcome["single"], "jobs": jobs, "versions": versions, "seconds": seconds,
                   "truth": [t for t in replica.truth() if t["agency"] in AGENCIES]}
        finally:
            for proc, _ in nodes:
                proc.terminate()
            for proc, _ in nodes:
                proc.wait(timeout=20)


def _db(path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _reports(path) -> set:
    with _db(path) as c:
        return set(c.execute("SELECT agency, year FROM reports"))


def _figures(path) -> set:
    with _db(path) as c:
        return set(c.execute("SELECT r.agency, r.year, s.table_name, s.row_key, s.col_key, s.value, s.unit"
                             " FROM report_stats s JOIN reports r ON r.id = s.report_id"))


def _bodies(path) -> set:
    with _db(path) as c:
        return {r[0] for r in c.execute("SELECT sha256 FROM bodies")}


def _snapshot(path) -> tuple[dict, str]:
    """Row counts of every table and one hash of all their rows (the merge's own runs rows left out)."""
    counts, digest = {}, hashlib.sha256()
    with _db(path) as c:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                          " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for t in tables:
            where = " WHERE kind != 'merge'" if t == "runs" else ""
            rows = sorted(repr(tuple(r)) for r in c.execute(f"SELECT * FROM [{t}]{where}"))
            counts[t] = len(rows)
            digest.update(t.encode() + b"\0" + "\n".join(rows).encode())
    return counts, digest.hexdigest()


def test_sharded_run_over_two_scrapyd_nodes(run):
    done = run["done"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in SHARDS:
        assert (run["tmp"] / "shards" / f"archive-{name}.db").is_file()
    # one job per node, each finished (listjobs.json of the real servers)
    for url, answer in run["jobs"].items():
        assert answer.count('"id"') == 1 and '"finished": [{' in answer, (url, answer)
    # the egg this run deployed is the one version left on each node
    assert all(len(v["versions"]) == 1 for v in run["versions"].values()), run["versions"]
    # each shard file holds exactly its province's crawls
    for name, slugs in SHARDS.items():
        with _db(run["tmp"] / "shards" / f"archive-{name}.db") as c:
            assert sorted(r[0] for r in c.execute("SELECT agency FROM runs WHERE kind = 'crawl'")) == sorted(slugs)
    print(f"sharded run (2 nodes, deploy + crawl + merge + extract): {run['seconds']:.1f} s")
    print(done.stdout)


def test_merged_archive_equals_a_single_process_run(run):
    assert run["single_outcome"].ok, run["single_outcome"].failures
    central, single = run["central"], run["single"]
    truth = {(t["agency"], t["year"]) for t in run["truth"]}
    assert truth and truth <= _reports(single)
    assert _reports(central) == _reports(single)
    assert _figures(central) and _figures(central) == _figures(single)
    assert _bodies(central) == _bodies(single)
    with _db(central) as c:   # every page and attachment the truth names was archived
        held = {u for r in c.execute("SELECT url, final_url FROM captures WHERE body_sha256 IS NOT NULL"
                                     " AND error IS NULL") for u in r}
        runs = c.execute("SELECT agency, status FROM runs WHERE kind = 'crawl' ORDER BY agency").fetchall()
    for t in run["truth"]:
        assert t["url"] in held and set(t["attachment_urls"]) <= held, t["url"]
    assert runs == sorted((a, "ok") for a in AGENCIES)


def test_merged_rows_keep_their_origin(run):
    with _db(run["central"]) as c:
        origins = dict(c.execute("SELECT id, shard FROM merge_origins"))
        assert sorted(origins.values()) == sorted(f"archive-{n}" for n in SHARDS)
        assert c.execute("SELECT count(*) FROM captures").fetchone()[0] == \
            c.execute("SELECT count(*) FROM merged_captures").fetchone()[0] > 0
        crawl_runs = c.execute("SELECT r.agency, o.shard FROM runs r JOIN merged_runs m ON m.run_id = r.id"
                               " JOIN merge_origins o ON o.id = m.origin_id WHERE r.kind = 'crawl'").fetchall()
        assert sorted(crawl_runs) == sorted((a, f"archive-{n}") for n, slugs in SHARDS.items() for a in slugs)
        # a capture's run is its shard's run: the mapped ids agree
        assert c.execute("SELECT count(*) FROM captures x JOIN merged_captures mc ON mc.capture_id = x.id"
                         " JOIN merged_runs mr ON mr.run_id = x.run_id WHERE mr.origin_id != mc.origin_id"
                         ).fetchone()[0] == 0
        merges = c.execute("SELECT status, pages_new FROM runs WHERE kind = 'merge'").fetchall()
    assert len(merges) == 1 and merges[0][0] == "ok" and merges[0][1] > 0


def test_merging_the_shards_again_changes_nothing(run):
    central = run["central"]
    shard_files = sorted(str(p) for p in (run["tmp"] / "shards").glob("archive-*.db"))
    before = _snapshot(central)
    with _db(central) as c:
        merges_before = c.execute("SELECT count(*) FROM runs WHERE kind = 'merge'").fetchone()[0]
    done = _scheduler("merge", *shard_files, "--into", central)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing new" in done.stdout
    assert _snapshot(central) == before
    with _db(central) as c:
        merges = c.execute("SELECT status, pages_new FROM runs WHERE kind = 'merge' ORDER BY id").fetchall()
    assert len(merges) == merges_before + 1 and merges[-1] == ("ok", 0)


def test_a_damaged_shard_is_refused_whole(run, tmp_path):
    """A body whose bytes do not match its sha256: that shard brings nothing in, the merge says so and
    is recorded failing; the good shard beside it is merged."""
    good, bad = (run["tmp"] / "shards" / f"archive-{n}.db" for n in SHARDS)
    damaged = tmp_path / "archive-damaged.db"
    shutil.copy(bad, damaged)
    with sqlite3.connect(damaged) as c:
        c.execute("UPDATE bodies SET content = CAST('tampered' AS BLOB) WHERE rowid = "
                  "(SELECT max(rowid) FROM bodies)")
    into = tmp_path / "fresh.db"
    done = _scheduler("merge", str(good), str(damaged), "--into", str(into), "--no-extract")
    assert done.returncode == 1
    assert "archive-damaged.db: not merged: body" in done.stdout
    with _db(into) as c:
        assert c.execute("SELECT status FROM runs WHERE kind = 'merge'").fetchall() == [("failing",)]
        assert [r[0] for r in c.execute("SELECT shard FROM merge_origins")] == ["archive-33-zhejiang"]
        assert sorted(r[0] for r in c.execute("SELECT agency FROM runs WHERE kind = 'crawl'")) == \
            sorted(SHARDS["33-zhejiang"])


def _agency_row(slug: str) -> dict:
    return {"slug": slug, "name": slug, "province": "浙江"}


def test_merge_follows_a_run_that_was_still_running(tmp_path):
    """A shard merged while its crawl ran: the run is copied as running, the next merge updates it and
    brings its later captures and (once finished) its listings; a third merge changes nothing. Made with
    the archive's own writer (archive.store.Archive), no crawl."""
    from archive.db import open_db
    from archive.merge import merge_shards
    from archive.store import Archive
    shard_file, central_file = tmp_path / "archive-x.db", tmp_path / "central.db"
    shard = Archive(shard_file)
    shard.db["agencies"].insert(_agency_row("a1"))
    run_id = shard.start_run("crawl", "a1", batch="b1")
    page = {"run_id": run_id, "agency": "a1", "url": "http://x.gov.cn/nb/", "method": "GET", "status": 200,
            "fetch_mode": "http", "kind": "list"}
    first, _ = shard.add_capture(page, body=b"<html>list</html>")
    central = open_db(central_file)

    def merge():
        summary = merge_shards(central, [str(shard_file)], batch="m")
        assert summary.ok, summary.lines()
        return summary.shards[0]
    got = merge()
    assert (got.runs_new, got.captures, got.bodies, got.listings) == (1, 1, 1, 0)
    assert central.execute("SELECT status FROM runs WHERE kind = 'crawl'").fetchone() == ("running",)
    again, _ = shard.add_capture(page, body=b"<html>list</html>")   # a revisit of the first capture
    shard.add_capture(page | {"url": "http://x.gov.cn/nb/2024.html", "kind": "report"}, body=b"<p>2024</p>")
    shard.add_listing(run_id, "a1", {"pages": {"http://x.gov.cn/nb/": ("http://x.gov.cn/nb/", 1)},
                                     "reports": {"http://x.gov.cn/nb/2024.html": ("http://x.gov.cn/nb/", "2024")}})
    shard.finish_run(run_id, status="ok", finish_reason="finished")
    got = merge()
    assert (got.runs_new, got.runs_updated, got.captures, got.bodies, got.listings) == (0, 1, 2, 1, 2)
    assert central.execute("SELECT status FROM runs WHERE kind = 'crawl'").fetchone() == ("ok",)
    revisit = central.execute("SELECT c.revisit_of, o.capture_id FROM merged_captures m JOIN captures c ON "
                              "c.id = m.capture_id JOIN merged_captures o ON o.shard_capture_id = ? "
                              "WHERE m.shard_capture_id = ?", [first, again]).fetchone()
    assert revisit[0] == revisit[1] is not None   # revisit_of points at the central copy of the original
    central.conn.close()
    before = _snapshot(central_file)
    central = open_db(central_file)
    got = merge()
    assert (got.runs_new, got.runs_updated, got.captures, got.bodies, got.listings) == (0, 0, 0, 0, 0)
    central.conn.close()
    assert _snapshot(central_file) == before
    # the same file name re-created from scratch is another origin: merged, not mistaken for the first
    shard.close()
    shard_file.unlink()
    shard = Archive(shard_file)
    shard.db["agencies"].insert(_agency_row("a1"))
    shard.add_capture(page | {"run_id": shard.start_run("crawl", "a1", batch="b2")}, body=b"<html>new</html>")
    central = open_db(central_file)
    got = merge()
    assert (got.runs_new, got.captures, got.bodies) == (1, 1, 1)
    assert central.execute("SELECT count(*) FROM merge_origins WHERE shard = 'archive-x'").fetchone() == (2,)
    central.conn.close()
    shard.close()


def test_shards_by_province_and_family_join_shared_hosts():
    from types import SimpleNamespace as A

    from shards import assign, plan

    def agency(province, family, host):
        return A(region_code=province + "0000", province=province, family=family, hosts={host},
                 allowed_domains=(host,))
    registry = {"a": agency("33", "hanweb", "a.gov.cn"), "b": agency("33", "jpaas", "b.gov.cn"),
                "c": agency("43", "hanweb", "c.gov.cn"), "d": agency("54", "trs", "c.gov.cn"),
                "e": agency("45", "trs", "e.gov.cn")}
    by_province = {s.name: s.agencies for s in plan(list(registry), registry, "province")}
    assert by_province == {"33-zhejiang": ["a", "b"], "43-hunan+54-xizang": ["c", "d"], "45-guangxi": ["e"]}
    by_family = {s.name: sorted(s.agencies) for s in plan(list(registry), registry, "family")}
    assert by_family == {"hanweb+trs": ["a", "c", "d", "e"], "jpaas": ["b"]}   # trs shares c.gov.cn with hanweb
    shards = plan(list(registry), registry, "province")
    assign(shards, ["n1", "n2"])
    load = {n: sum(len(s.agencies) for s in shards if s.node == n) for n in ("n1", "n2")}
    assert load == {"n1": 2, "n2": 3} or load == {"n1": 3, "n2": 2}


def test_an_unreachable_node_is_one_clear_line_and_a_failed_run(tmp_path):
    db = tmp_path / "central.db"
    url = f"http://127.0.0.1:{_free_port()}"
    done = _scheduler("run", "quzhou_zjj", "--scrapyd", url, "--db", str(db), "--shard-dir", str(tmp_path / "s"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: Scrapyd at {url}: daemonstatus.json:"), done.stderr
    with _db(db) as c:
        assert c.execute("SELECT kind, status FROM runs").fetchall() == [("failed", "failed")]
