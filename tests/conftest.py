"""Shared pytest fixtures: the replica web and the browser.

- replica_corpus (session): replica.corpus.build_corpus(2024), built once.
- replica (function): a started ReplicaServer over that corpus, fresh for each test (clean faults, log,
  publications and edits); stopped afterwards.
- replica_session (session): one shared started ReplicaServer for read-only tests (clear any fault you add;
  filter its log, never assume it is empty).
- chromium_path: the Chromium executable (env NIANBAO_CHROMIUM or /usr/bin/chromium); FAILS (never skips)
  with a clear message when it is missing.
- crawled_archive (session): the README's main job run once (`scheduler.py run --replica`), read-only.
- crawled_log (session): the replica's request log of that run (every request the crawl made).
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
    the extraction pass). Returns the archive's path. Read-only for the tests that share it.
    The replica's request log of the run is kept beside it (--replica-log): see crawled_log."""
    import subprocess
    import sys
    db = tmp_path_factory.mktemp("crawled") / "archive.db"
    log = db.with_suffix(".log")
    with open(log, "w") as out:
        proc = subprocess.run([sys.executable, "scheduler.py", "run", "--replica", "--db", str(db),
                               "--replica-log", str(db.with_suffix(".replica.jsonl"))],
                              cwd=os.path.dirname(os.path.dirname(__file__)), stdout=out,
                              stderr=subprocess.STDOUT, timeout=600)
    assert proc.returncode == 0, f"the main job failed (exit {proc.returncode}):\n{log.read_text()}"
    return str(db)


@pytest.fixture(scope="session")
def crawled_log(crawled_archive) -> list:
    """The request log of crawled_archive's replica (the replica web that run started and stopped, the
    same corpus as replica_session's), as replica.server.RequestLog entries in arrival order: every
    request that crawl made, the browser's included. Read-only; the tests of one site family filter it
    by their hosts (and check the whole of it for requests off the registry's domains)."""
    import json
    from pathlib import Path
    from replica.server import RequestLog
    path = Path(crawled_archive).with_suffix(".replica.jsonl")
    with open(path, encoding="utf-8") as f:
        log = [RequestLog(**json.loads(line)) for line in f if line.strip()]
    assert log, f"the main job's replica logged no request ({path})"
    return log


def off_their_domains(log, hosts) -> list:
    """The requests in a crawl's replica log that went off `hosts` (a site family's allowed domains) from
    their pages: asked with a Referer on one of `hosts` for a host not among them; plus any request to a
    host no registry agency allows (so also those a browser or a start request made with no Referer)."""
    from urllib.parse import urlsplit
    from crawler.registry import all_allowed_domains
    registry = all_allowed_domains()
    off = []
    for e in log:
        referer = next((v for k, v in e.headers.items() if k.lower() == "referer"), None)
        if e.host not in registry or (referer and urlsplit(referer).hostname in hosts and e.host not in hosts):
            off.append(e)
    return off
