"""Extraction within limits: each document is read in a worker process with an address-space limit
(RLIMIT_AS) and a wall-clock limit, and refused unread above a size limit. A document over a limit is an
ExtractError naming the limit (`OverLimit`); the worker is replaced and the pass goes on with the next.

    with Sandbox() as box:                       # limits from the environment, else the defaults
        result = box.extract(data, url=..., content_type=..., headers=...)

Limits (environment variables, read when a Sandbox is made):
    NIANBAO_EXTRACT_SECONDS     wall-clock time per document, OCR included   (default 120)
    NIANBAO_EXTRACT_MEMORY_MB   address space of the worker                   (default 3072)
    NIANBAO_EXTRACT_MAX_MB      size of a document read at all                (default 30, the crawler's
                                                                               DOWNLOAD_MAXSIZE)
The worker is forked from a fork server (nothing of the pass inherited, the same memory baseline every
time), loads the extractor once and is reused until a document breaks a limit. Programs it starts (Tesseract, LibreOffice) get their own
timeouts from the readers and the limit back to the hard one (`unlimited_child`), since a converter's
virtual memory says little about what it uses.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import traceback

from archive.extract import ExtractError

DEFAULTS = {"seconds": 120.0, "memory_mb": 3072, "max_mb": 30}


class OverLimit(ExtractError):
    """A document that broke a limit of the sandbox (time, memory or size)."""


def limits_from_env() -> dict:
    env = {"seconds": "NIANBAO_EXTRACT_SECONDS", "memory_mb": "NIANBAO_EXTRACT_MEMORY_MB",
           "max_mb": "NIANBAO_EXTRACT_MAX_MB"}
    out = dict(DEFAULTS)
    for key, name in env.items():
        if os.environ.get(name):
            out[key] = float(os.environ[name])
    return out


def unlimited_child() -> None:
    """preexec_fn for a program a reader starts: the soft address-space limit back to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _errors() -> dict[str, type]:
    import archive.extract as ex
    return {name: obj for name, obj in vars(ex).items() if isinstance(obj, type) and issubclass(obj, ExtractError)}


def _serve(conn, memory_mb: float) -> None:
    """The worker: read documents from the pipe, answer (True, result) or (False, (error class, message))."""
    from archive.extract.extract import extract_document   # before the limit: loading is not reading
    limit = int(memory_mb * 1024 * 1024)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    while True:
        try:
            data, kwargs = conn.recv()
        except EOFError:
            return
        except MemoryError:   # the document alone is past the limit: the parent reports it
            os._exit(3)
        try:
            answer = (True, extract_document(data, **kwargs))
        except MemoryError:
            answer = (False, ("OverLimit", f"memory limit: the document needed more than {memory_mb:.0f} MB"))
        except ExtractError as e:
            answer = (False, (type(e).__name__, str(e)))
        except Exception as e:  # noqa: BLE001 - a reader's bug: a clear error for this document, the pass goes on
            where = traceback.extract_tb(e.__traceback__)[-1]
            answer = (False, ("ExtractError", f"internal error {type(e).__name__}: {e} "
                                              f"({os.path.basename(where.filename)}:{where.lineno})"))
        try:
            conn.send(answer)
        except MemoryError:
            conn.send((False, ("OverLimit", f"memory limit: the result needed more than {memory_mb:.0f} MB")))


class Sandbox:
    def __init__(self, seconds: float | None = None, memory_mb: float | None = None, max_mb: float | None = None):
        env = limits_from_env()
        self.seconds = seconds if seconds is not None else env["seconds"]
        self.memory_mb = memory_mb if memory_mb is not None else env["memory_mb"]
        self.max_bytes = int((max_mb if max_mb is not None else env["max_mb"]) * 1024 * 1024)
        # forkserver: a worker forks from a small clean process, so it holds nothing of the pass (its
        # heap, its SQLite connection, the archive lock's fd, the other end of its pipe: a killed pass
        # leaves it reading EOF, and it ends) and its memory limit means the same whatever the pass did
        # before; it loads the extractor itself (about a second, once per worker)
        self._ctx = multiprocessing.get_context("forkserver")
        self._proc = self._conn = None

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child, self.memory_mb), daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.join(2)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(2)
        self._proc = self._conn = None

    def extract(self, data: bytes, **kwargs) -> dict:
        """extract_document(data, **kwargs) in the worker, within the limits."""
        if len(data) > self.max_bytes:
            raise OverLimit(f"size limit: {len(data):,} bytes, more than {self.max_bytes:,}")
        if self._proc is None or not self._proc.is_alive():
            self._start()
        try:
            self._conn.send((data, kwargs))
            if not self._conn.poll(self.seconds):
                self._kill()
                raise OverLimit(f"time limit: not read within {self.seconds:g} s")
            ok, payload = self._conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            if self._proc is not None:
                self._proc.join(2)
            code = self._proc.exitcode if self._proc is not None else None
            self._kill()
            raise OverLimit(f"memory limit: the worker died reading it (exit {code}; limit "
                            f"{self.memory_mb:.0f} MB)") from None
        if ok:
            return payload
        name, message = payload
        if name == "OverLimit":   # the worker may hold on to memory it could not use: start afresh
            self._kill()
            raise OverLimit(message)
        raise _errors().get(name, ExtractError)(message)
