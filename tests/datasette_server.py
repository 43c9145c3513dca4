"""A real `datasette serve` for the tests, started exactly as docs/datasette.md says."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASETTE = Path(sys.executable).with_name("datasette")
METADATA = ROOT / "archive" / "datasette" / "metadata.yml"
PLUGINS = ROOT / "archive" / "datasette" / "plugins"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # never through a proxy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db_path: Path, *extra: str, immutable: bool = True, log: Path | None = None):
    """Start Datasette on `db_path` (-i unless immutable=False: the live-serving command); return
    (process, base URL). Its output goes to a file (`log`, default beside the database): an unread
    pipe fills with the access log and blocks the server."""
    port = free_port()
    log = log or Path(db_path).with_suffix(f".datasette-{port}.log")
    cmd = [str(DATASETTE), "serve", *(["-i"] if immutable else []), str(db_path),
           "--metadata", str(METADATA), "--plugins-dir", str(PLUGINS),
           "--setting", "truncate_cells_html", "120", "--setting", "sql_time_limit_ms", "3000",
           "--host", "127.0.0.1", "--port", str(port), *extra]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            OPENER.open(base + "/-/versions.json", timeout=2).read()
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("datasette did not start:\n" + log.read_text(errors="replace"))
            time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
