"""Shared pytest fixtures: the replica web and the browser.

- replica_corpus (session): replica.corpus.build_corpus(2024), built once.
- replica (function): a started ReplicaServer over that corpus, fresh for each test (clean faults, log,
  publications and edits); stopped afterwards.
- replica_session (session): one shared started ReplicaServer for read-only tests (clear any fault you add;
  filter its log, never assume it is empty).
- chromium_path: the Chromium executable (env NIANBAO_CHROMIUM or /usr/bin/chromium); FAILS (never skips)
  with a clear message when it is missing.
"""
from __future__ import annotations

import os

import pytest

# the agencies of the five seed sites (the replica web also serves further platforms' agencies): tests of
# the seed sites' particulars crawl these, the end-to-end tests every agency the replica serves
SEED_AGENCIES = ["hunan_zjt", "hunan_fgw", "quzhou_zjj", "guangxi_zjt", "suizhou_zjw", "xizang_zjt", "xizang_jyt"]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def replica_corpus():
    from replica.corpus import build_corpus
    return build_corpus(2024)


@pytest.fixture(scope="session")
def replica_session(replica_corpus):
    from replica.server import ReplicaServer
    with ReplicaServer(replica_corpus) as server:
        yield server


@pytest.fixture
def replica(replica_corpus):
    from replica.server import ReplicaServer
    with ReplicaServer(replica_corpus) as server:
        yield server


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(path):
        pytest.fail(f"Chromium not found at {path}: install Debian's chromium (make deps) or set NIANBAO_CHROMIUM")
    return path


@pytest.fixture(scope="session")
def crawled_archive(tmp_path_factory) -> str:
    """The README's main job, run for real: `python scheduler.py run --replica --db PATH` (a full crawl
    of every agency of the bundled replica web through Scrapy, Chromium for the browser agency, then
    the extraction pass). Returns the archive's path. Read-only for the tests that share it."""
    import subprocess
    import sys
    db = tmp_path_factory.mktemp("crawled") / "archive.db"
    log = db.with_suffix(".log")
    with open(log, "w") as out:
        proc = subprocess.run([sys.executable, "scheduler.py", "run", "--replica", "--db", str(db)],
                              cwd=os.path.dirname(os.path.dirname(__file__)), stdout=out,
                              stderr=subprocess.STDOUT, timeout=600)
    assert proc.returncode == 0, f"the main job failed (exit {proc.returncode}):\n{log.read_text()}"
    return str(db)
