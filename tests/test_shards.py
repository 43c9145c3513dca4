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
            yield {"tmp": tmp, "done": done, "single": single, "central": str(tmp / "central.db"),
                   "single_outcome": outcome["single"], "jobs": jobs, "seconds": seconds,
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
