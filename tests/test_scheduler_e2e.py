"""scheduler.py end to end: the real crawler (`python -m crawler.run`) and extractor pass
(`python -m archive.extract.run`) as child processes, against the replica web started in-process
by `--replica`. Truth comes from the replica's own corpus (same seed), not from the archive."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from batch import default_agencies

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LAST_YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year - 1


def real_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NIANBAO_CRAWL_CMD", "NIANBAO_EXTRACT_CMD", "NIANBAO_DB", "http_proxy", "HTTP_PROXY")}
    return env


def rows(db, sql, args=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def t(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def start_scheduler(tmp_path, *args, env=None) -> subprocess.Popen:
    """The scheduler with its output in a file: Chromium's crash handler may outlive the crawl and
    keep an inherited pipe open, so no pipes here."""
    out = open(tmp_path / "scheduler.out", "w")
    proc = subprocess.Popen([PY, "scheduler.py", *map(str, args)], cwd=ROOT, env=env or real_env(),
                            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    out.close()
    return proc


def terminate(proc, tmp_path, timeout=100) -> str:
    proc.terminate()
    proc.wait(timeout=timeout)
    return (tmp_path / "scheduler.out").read_text()


@pytest.fixture(scope="module")
def truth():
    from replica.server import ReplicaServer
    return ReplicaServer().truth()  # the same seed the scheduler's --replica uses


def test_run_one_agency_against_the_replica(tmp_path, truth):
    db, log = tmp_path / "archive.db", tmp_path / "replica.jsonl"
    r = subprocess.run([PY, "scheduler.py", "run", "quzhou_zjj", "--replica", "--db", db,
                        "--replica-log", log], cwd=ROOT, env=real_env(), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    runs = rows(db, "SELECT * FROM runs ORDER BY id")
    assert [(x["kind"], x["agency"]) for x in runs] == [("crawl", "quzhou_zjj"), ("extract", None)]
    assert t(runs[0]["finished_at"]) <= t(runs[1]["started_at"])
    caps = rows(db, "SELECT agency, url FROM captures")
    assert caps and {c["agency"] for c in caps} == {"quzhou_zjj"}
    assert {urlsplit(c["url"]).hostname for c in caps} == {"zjj.qz.gov.cn"}
    log_rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert {x["host"] for x in log_rows} == {"zjj.qz.gov.cn"}

    # the summary table against the replica's truth and its request log
    mine = [x for x in truth if x["agency"] == "quzhou_zjj"]
    line = next(x for x in r.stdout.splitlines() if x.startswith("quzhou_zjj "))
    agency, pages, new, unchanged, errors, status = line.split()
    assert int(new) == len(mine)
    assert int(pages) == len(log_rows)
    assert (int(errors), status) == (0, "ok")

    # the extract pass ran on what the crawl archived: every year of the truth is a report
    years = {x["year"] for x in rows(db, "SELECT year FROM reports WHERE agency = 'quzhou_zjj'")}
    assert years == {x["year"] for x in mine}

    st = subprocess.run([PY, "scheduler.py", "status", "--db", db, "--json"], cwd=ROOT,
                        capture_output=True, text=True, timeout=60)
    q = next(x for x in json.loads(st.stdout) if x["agency"] == "quzhou_zjj")
    true_years = {x["year"] for x in mine}
    assert q["status"] == "ok" and q["last_success"]
    assert q["missing_years"] == [y for y in range(min(true_years), LAST_YEAR + 1) if y not in true_years]

    # a second run finds nothing new
    r2 = subprocess.run([PY, "scheduler.py", "run", "quzhou_zjj", "--replica", "--db", db], cwd=ROOT,
                        env=real_env(), capture_output=True, text=True, timeout=120)
    assert r2.returncode == 0, r2.stderr
    line = next(x for x in r2.stdout.splitlines() if x.startswith("quzhou_zjj "))
    assert line.split()[2] == "0"


# a registry of two agencies for the nightly job (every agency of the full registry is the main job's,
# tests/conftest.py crawled_archive): a Hanweb column and the browser agency
NIGHTLY_REGISTRY = ["quzhou_zjj", "suizhou_zjw"]


def test_nightly_scheduler_against_the_replica(tmp_path):
    """The real scheduler on a registry of two agencies (NIANBAO_REGISTRY, the browser agency one of
    them): the job fires, crawls every agency of the registry in one child, then extracts; SIGTERM
    afterwards ends it cleanly."""
    import yaml
    from crawler.registry import agencies
    db = tmp_path / "archive.db"
    full = {}
    for f in sorted((ROOT / "crawler" / "agencies").glob("*.yaml")):
        full.update(yaml.safe_load(f.read_text(encoding="utf-8")) or {})
    registry = tmp_path / "agencies.yaml"
    registry.write_text(yaml.safe_dump({k: full[k] for k in NIGHTLY_REGISTRY}, allow_unicode=True), encoding="utf-8")
    assert set(NIGHTLY_REGISTRY) <= set(default_agencies(replica=True)) and agencies()["suizhou_zjw"].browser
    proc = start_scheduler(tmp_path, "--replica", "--db", db, "--first-run-in", 2,
                           env=dict(real_env(), NIANBAO_REGISTRY=str(registry)))
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            try:
                if rows(db, "SELECT 1 FROM runs WHERE kind = 'extract' AND finished_at IS NOT NULL"):
                    break
            except sqlite3.OperationalError:
                pass
            assert proc.poll() is None, (tmp_path / "scheduler.out").read_text()
            time.sleep(0.5)
        time.sleep(1)
    finally:
        out = terminate(proc, tmp_path)
    assert proc.returncode == 0, out
    assert out.strip().splitlines()[-1].endswith("scheduler stopped cleanly")
    runs = rows(db, "SELECT * FROM runs ORDER BY id")
    crawls = [x for x in runs if x["kind"] == "crawl"]
    extracts = [x for x in runs if x["kind"] == "extract"]
    assert sorted(x["agency"] for x in crawls) == sorted(NIGHTLY_REGISTRY)
    assert len({x["pid"] for x in crawls}) == 1  # one child process for every agency
    assert len({x["batch"] for x in crawls}) == 1 and crawls[0]["batch"].startswith("nightly-")
    assert len(extracts) == 1
    assert max(t(x["finished_at"]) for x in crawls) <= t(extracts[0]["started_at"])
    assert not [x for x in runs if x["status"] == "running"]
    assert rows(db, "SELECT count(*) AS n FROM reports")[0]["n"] > 0


def test_sigterm_during_a_real_crawl(tmp_path):
    """SIGTERM part way through the nightly crawl: Scrapy gets one SIGINT and closes every spider
    (finish reason shutdown); no extract starts; nothing half-written; exit 0."""
    import hashlib
    db = tmp_path / "archive.db"
    proc = start_scheduler(tmp_path, "--replica", "--db", db, "--first-run-in", 0, "--log-level", "WARNING")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if rows(db, "SELECT count(*) AS n FROM captures")[0]["n"] >= 5:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.1)
    finally:
        out = terminate(proc, tmp_path)
    assert proc.returncode == 0, out
    assert out.strip().splitlines()[-1].endswith("scheduler stopped cleanly")
    runs = rows(db, "SELECT * FROM runs ORDER BY id")
    assert runs and {x["kind"] for x in runs} == {"crawl"}
    assert all(x["finished_at"] and x["status"] != "running" for x in runs)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for sha, content in conn.execute("SELECT sha256, content FROM bodies"):
        assert hashlib.sha256(content).hexdigest() == sha
    conn.close()
