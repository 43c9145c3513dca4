"""Fault switches for tests: make the replica misbehave for some hosts/paths, always or N times.

    server.faults.add("status", host="zjj.qz.gov.cn", code=503, times=2)
    server.faults.add("slow", path="/col/", delay=5)
    server.faults.add("truncate", path=re.compile(r"t\\d+_\\d+\\.html$"))
    server.faults.clear()

Kinds (params):
  status         answer `code` (default 500) instead of the page
  slow           wait `delay` seconds (default 3) before answering normally
  truncate       declare Content-Length `extra` bytes (default 10000) more than sent, send half the body, close
  reset          close the connection without any response (TCP RST)
  redirect_loop  302 to the same URL with loop=N+1, forever (an endless redirect chain)
  oversize       declare and stream a `size`-byte body (default 50 MB)
  rewrite        serve the page with regex `pattern` replaced by `repl` in its body (bytes or str), with
                 no validators (never a 304): a site whose markup changed, e.g. pagination links gone
  dead           the host is down: every request to it, http or https (inside its CONNECT tunnel), on any
                 path, is dropped without an answer (a `reset` fault for the whole host, always); needs host
`<kind>_once` is `<kind>` with times=1. host matches exactly; path is a prefix (str), a regex
(re.Pattern, or a str starting with "^"), matched against the path plus "?query" when there is one.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

KINDS = ("status", "slow", "truncate", "reset", "redirect_loop", "oversize", "rewrite")


@dataclass
class Fault:
    kind: str
    host: str | None = None
    path: str | re.Pattern | None = None
    times: int | None = None          # fire this many times, then stop (None: always)
    params: dict = field(default_factory=dict)
    fired: int = 0

    def matches(self, host: str, target: str) -> bool:
        if self.host is not None and self.host.lower() != host:
            return False
        if self.path is None:
            return True
        if isinstance(self.path, re.Pattern):
            return bool(self.path.search(target))
        if self.path.startswith("^"):
            return bool(re.search(self.path, target))
        return target.startswith(self.path)

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times


class Faults:
    """The server's fault list (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: str, host: str | None = None, path=None, times: int | None = None, **params) -> Fault:
        if kind.endswith("_once") and kind != "dead_once":
            kind, times = kind[: -len("_once")], 1 if times is None else times
        if kind == "dead":   # the whole host, every path, until cleared
            if host is None:
                raise ValueError("a dead fault needs the host it kills")
            kind, path, times = "reset", None, None
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)} (and <kind>_once)")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for always)")
        fault = Fault(kind, host, path, times, params)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, host: str, target: str) -> Fault | None:
        """The first live fault matching this request, counted as fired."""
        with self._lock:
            for fault in self._faults:
                if not fault.spent and fault.matches(host, target):
                    fault.fired += 1
                    return fault
        return None

    def __iter__(self):
        with self._lock:
            return iter(list(self._faults))

    def __len__(self):
        with self._lock:
            return len(self._faults)
