"""Sharded runs on Scrapyd nodes, and merging the shards into the central archive.

    python scheduler.py run --scrapyd http://node1:6800 --scrapyd http://node2:6800 [--shard-by province|family]
    python scheduler.py merge shards/archive-*.db --into archive.db

A sharded run splits the run's agencies by province (or by site family) into shards, joining shards
that share a host (politeness is per host, and a host must not be crawled by two jobs at once). It
builds the project's egg (setup.py: the crawler, the archive code, the registry as package data, the
`scrapy` entry point naming crawler.settings), deploys it to every node (addversion.json), and
schedules one job per shard (schedule.json: spider `nianbao`, `agencies=a,b,c`, and the settings
ARCHIVE_DB=<shard dir>/archive-<shard>.db, NIANBAO_BATCH, NIANBAO_POLITE, LOG_LEVEL, with --refresh
NIANBAO_REFRESH), the shards
spread over the nodes by size. It waits for the jobs (listjobs.json), checks in each shard file that
every agency's crawl of the batch was recorded (a job that died leaves a `failed` row in the central
archive naming its log), then merges the shard files into the central archive (archive/merge.py) and
runs the extract pass there. All of it under the central archive's lock.

A shard file is kept and reused by the next run (archive-43-hunan.db): the node's crawl is
incremental against what its shard holds, and the merge brings in only what is new. The shard
directory must be where the jobs write and the scheduler reads: one machine, or a shared directory;
with nodes elsewhere, copy the shard files back and run `scheduler.py merge`.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from archive.db import open_db
from archive.merge import merge_shards
from batch import ROOT, BatchError, Outcome, record_run, utcnow

PROJECT = "nianbao"          # scrapy.cfg [deploy] project
SPIDER = "nianbao"           # the one spider (crawler/spiders/report.py), -a agencies=a,b,c
SHARD_BY = ("province", "family")


# ---------------------------------------------------------------- the plan

@dataclass
class Shard:
    name: str
    agencies: list[str]
    node: str | None = None
    job: str | None = None
    path: str = ""
    state: str = "planned"   # planned / pending / running / finished / lost
    log_url: str | None = None


def _province_key(agency) -> str:
    """A province's shard name: its registry file's stem (43-hunan), else its code or name."""
    code = (agency.region_code or "")[:2]
    from crawler.registry import registry_path
    folder = Path(registry_path())
    if code and folder.is_dir():
        for f in sorted(folder.glob(f"{code}-*.yaml")):
            return f.stem
    return code or agency.province or "unknown"


def plan(agencies: list[str], registry: dict, by: str = "province") -> list[Shard]:
    """The shards of a run: agencies grouped by province or family, groups sharing a host joined
    (named a+b), largest first."""
    if by not in SHARD_BY:
        raise BatchError(f"--shard-by must be one of {', '.join(SHARD_BY)}, not {by!r}")
    groups: dict[str, list[str]] = {}
    for slug in agencies:
        a = registry[slug]
        key = _province_key(a) if by == "province" else (a.family or "unknown")
        groups.setdefault(re.sub(r"[^\w.-]+", "_", key), []).append(slug)
    # join groups whose agencies share a host (union-find over hosts)
    parent = {k: k for k in groups}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k
    by_host: dict[str, str] = {}
    for key, slugs in groups.items():
        for slug in slugs:
            for host in registry[slug].hosts | set(registry[slug].allowed_domains):
                if host in by_host and find(by_host[host]) != find(key):
                    parent[find(key)] = find(by_host[host])
                by_host.setdefault(host, key)
    joined: dict[str, list[str]] = {}
    for key in groups:
        joined.setdefault(find(key), []).append(key)
    shards = [Shard("+".join(sorted(keys)), [s for k in keys for s in groups[k]]) for keys in joined.values()]
    return sorted(shards, key=lambda s: (-len(s.agencies), s.name))


def assign(shards: list[Shard], nodes: list[str]) -> None:
    """Each shard to the node with the fewest agencies so far (largest shards first)."""
    load = dict.fromkeys(nodes, 0)
    for shard in sorted(shards, key=lambda s: -len(s.agencies)):
        node = min(nodes, key=lambda n: (load[n], nodes.index(n)))
        shard.node, load[node] = node, load[node] + len(shard.agencies)


# ---------------------------------------------------------------- the egg and the Scrapyd API

def build_egg(out_dir: str | os.PathLike) -> Path:
    """The project's egg (setup.py bdist_egg, everything written under out_dir, nothing in the repo)."""
    out = Path(out_dir)
    argv = [sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(out), "build", "--build-base",
            str(out / "build"), "bdist_egg", "--bdist-dir", str(out / "bdist"), "--dist-dir", str(out / "dist")]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    eggs = sorted((out / "dist").glob("*.egg"))
    if done.returncode != 0 or not eggs:
        raise BatchError(f"cannot build the project's egg: {(done.stderr or done.stdout).strip()[-500:]}")
    return eggs[0]


class Node:
    """One Scrapyd server (its JSON API)."""

    def __init__(self, url: str, timeout: float = 60):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, endpoint: str, data: bytes | None = None, params: list | None = None,
              content_type: str | None = None) -> dict:
        url = f"{self.url}/{endpoint}"
        if params and data is None:
            if endpoint in ("listjobs.json", "listversions.json"):
                url += "?" + urllib.parse.urlencode(params)
            else:
                data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(url, data=data)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as r:
                answer = json.loads(r.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise BatchError(f"Scrapyd at {self.url}: {endpoint}: {e}") from None
        if answer.get("status") != "ok":
            raise BatchError(f"Scrapyd at {self.url}: {endpoint}: {answer.get('message', answer)}")
        return answer

    def status(self) -> dict:
        return self._call("daemonstatus.json")

    def deploy(self, egg: Path, version: str) -> dict:
        """addversion.json: the egg as multipart/form-data (what scrapyd-deploy sends)."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (("project", PROJECT), ("version", version)):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="{egg.name}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + egg.read_bytes() + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self._call("addversion.json", data=b"".join(parts),
                          content_type=f"multipart/form-data; boundary={boundary}")

    def schedule(self, job: str, version: str, agencies: list[str], settings: dict) -> str:
        params = [("project", PROJECT), ("spider", SPIDER), ("_version", version), ("jobid", job),
                  ("agencies", ",".join(agencies))]
        params += [("setting", f"{k}={v}") for k, v in settings.items()]
        return self._call("schedule.json", params=params)["jobid"]

    def jobs(self) -> dict[str, tuple[str, dict]]:
        """job id -> (pending / running / finished, the job's entry)."""
        answer = self._call("listjobs.json", params=[("project", PROJECT)])
        return {j["id"]: (state, j) for state in ("pending", "running", "finished") for j in answer.get(state, [])}

    def cancel(self, job: str) -> None:
        self._call("cancel.json", params=[("project", PROJECT), ("job", job)])

    def prune(self, keep: str) -> None:
        """Delete the project's other egg versions (one is deployed per run)."""
        for version in self._call("listversions.json", params=[("project", PROJECT)]).get("versions", []):
            if version != keep:
                self._call("delversion.json", params=[("project", PROJECT), ("version", version)])


# ---------------------------------------------------------------- the run

def shard_path(shard_dir: str | os.PathLike, name: str) -> str:
    return str(Path(shard_dir).resolve() / f"archive-{name}.db")


def run_sharded(runner, agencies: list[str], registry: dict, outcome: Outcome, *, nodes: list[str],
                by: str, shard_dir: str, polite: bool, log_level: str | None, lock, echo=print,
                refresh: bool = False, poll: float = 1.0) -> Outcome:
    """Crawl `agencies` as shards on the Scrapyd `nodes`, merge the shard files into the runner's
    archive, extract there. Failures go into outcome.failures (and the central `runs`)."""
    shards = plan(agencies, registry, by)
    servers = {url: Node(url) for url in dict.fromkeys(nodes)}
    for node in servers.values():
        node.status()   # reachable, or one clear line now
    assign(shards, list(servers))
    Path(shard_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nianbao-egg-") as tmp:
        egg = build_egg(tmp)
        version = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"_{os.getpid()}"
        with ThreadPoolExecutor(len(servers)) as pool:   # each node runs `scrapy list` on the egg: in parallel
            list(pool.map(lambda node: node.deploy(egg, version), servers.values()))
    echo(f"deployed {egg.name} as version {version} to {len(servers)} Scrapyd node(s)")
    settings = {"NIANBAO_BATCH": outcome.batch, "NIANBAO_POLITE": "1" if polite else "0",
                "LOG_LEVEL": log_level or "INFO"} | ({"NIANBAO_REFRESH": "1"} if refresh else {})
    for shard in shards:
        shard.path = shard_path(shard_dir, shard.name)
        shard.job = re.sub(r"[^\w.-]+", "_", f"{outcome.batch}-{shard.name}")
        servers[shard.node].schedule(shard.job, version, shard.agencies, settings | {"ARCHIVE_DB": shard.path})
        shard.state = "pending"
        echo(f"shard {shard.name}: {len(shard.agencies)} agencies on {shard.node} (job {shard.job})")
    _wait(runner, servers, shards, echo, poll)
    for node in servers.values():
        try:
            node.prune(keep=version)
        except BatchError as e:
            echo(f"{e} (old egg versions kept)")
    for shard in shards:
        _check_shard(runner.db_path, shard, outcome)
    present = [s.path for s in shards if os.path.isfile(s.path)]
    absent = [s for s in shards if not os.path.isfile(s.path)]
    if absent:
        why = (f"shard file(s) not here: {', '.join(s.path for s in absent)} (nodes on other machines: "
               "copy them here, then scheduler.py merge)")
        outcome.failures.append(why)
        echo(why)
    if present:
        merge_into(runner, present, outcome, lock=lock, echo=echo)
    outcome.stopped = runner.stopping.is_set()
    return outcome


def _wait(runner, servers: dict, shards: list[Shard], echo, poll: float) -> None:
    """Until every job has finished (or its node is lost); a stop request cancels them first."""
    cancelled, errors = False, dict.fromkeys(servers, 0)
    while any(s.state in ("pending", "running") for s in shards):
        if runner.stopping.is_set() and not cancelled:
            cancelled = True
            for s in shards:
                if s.state in ("pending", "running"):
                    try:
                        servers[s.node].cancel(s.job)
                        echo(f"shard {s.name}: cancelled job {s.job}")
                    except BatchError as e:
                        echo(str(e))
        for url, node in servers.items():
            mine = [s for s in shards if s.node == url and s.state in ("pending", "running")]
            if not mine:
                continue
            try:
                jobs = node.jobs()
                errors[url] = 0
            except BatchError as e:
                errors[url] += 1
                if errors[url] >= 5:
                    for s in mine:
                        s.state = "lost"
                    echo(f"{e}; giving up on its jobs")
                continue
            for s in mine:
                state, entry = jobs.get(s.job, ("lost", {}))
                if state != s.state:
                    s.state, s.log_url = state, entry.get("log_url") or s.log_url
                    echo(f"shard {s.name}: job {s.job} {state}")
        time.sleep(poll)


def _check_shard(central: str, shard: Shard, outcome: Outcome) -> None:
    """Every agency of the shard has a finished crawl run of this batch in its file; rows a dead job
    left running are closed as failed there (before the merge copies them), and an agency the job
    never recorded gets a failed row in the central archive."""
    log = f"{shard.node.rstrip('/')}{shard.log_url}" if shard.log_url else f"job {shard.job} on {shard.node}"
    recorded: set[str] = set()
    if os.path.isfile(shard.path):
        db = open_db(shard.path, migrate=False)
        try:
            with db.conn:
                cur = db.execute(
                    "UPDATE runs SET status = 'failed', finished_at = ?, finish_reason = 'process died', "
                    "failure = ? WHERE status = 'running' AND batch = ?",
                    [utcnow(), f"the Scrapyd job ended without closing this run (log: {log})", outcome.batch])
                if cur.rowcount:
                    outcome.failures.append(f"shard {shard.name}: {cur.rowcount} run(s) left unfinished ({log})")
            recorded = {r[0] for r in db.execute("SELECT agency FROM runs WHERE kind = 'crawl' AND batch = ?",
                                                 [outcome.batch])}
        finally:
            db.conn.close()
    for slug in shard.agencies:
        if slug not in recorded:
            why = f"shard {shard.name}: the Scrapyd job ({shard.state}) recorded no crawl of {slug} (log: {log})"
            record_run(central, kind="failed", status="failed", failure=why, batch=outcome.batch,
                       agency=slug, finish_reason="shard")
            outcome.failures.append(why)


def merge_into(runner, paths: list[str], outcome: Outcome, *, lock, echo=print, extract: bool = True,
               registry: dict | None = None):
    """Merge shard files into the runner's archive (the caller holds its lock): the registry synced
    into it first, a runs row of kind merge; then the extract pass when captures came in."""
    from archive.store import Archive
    from batch import load_registry
    archive = Archive(runner.db_path)
    try:
        archive.sync_agencies((registry or load_registry()).values())
        summary = merge_shards(archive.db, paths, batch=outcome.batch)
    finally:
        archive.close()
    for line in summary.lines():
        echo(f"merge: {line}")
    for s in summary.shards:
        if s.error:
            outcome.failures.append(f"merge: {s.line()}")
    if extract and summary.captures and not runner.stopping.is_set():
        echo("extract: extracting the merged captures")
        runner.extract(outcome, lock=lock)
    return summary
