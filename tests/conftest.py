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
