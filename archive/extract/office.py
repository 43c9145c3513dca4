"""Old and other office formats: DOC / WPS -> DOCX and XLS / ET -> XLSX through LibreOffice headless
(Debian's libreoffice-writer-nogui + libreoffice-calc-nogui), then the DOCX reader (docx.py) or the
XLSX reader here (openpyxl).

    docx_bytes = convert(data, "doc")          # or "wps"; raises ConversionError
    result = read_xlsx(xlsx_bytes)              # TableResult: every sheet's rows as a Grid

soffice runs in a subprocess with a timeout, its own throw-away profile directory
(-env:UserInstallation) and working directory, both removed afterwards, so concurrent passes never
share a profile and a hung conversion is killed. Output that is not a sane zip is refused.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from archive.extract.grid import Cell, Grid
from archive.extract.labels import norm
from archive.extract.model import TableResult
from archive.extract.safezip import UnsafeZip, check_zip
from archive.extract.sandbox import unlimited_child
from archive.extract.tables import stats_from_grids

TIMEOUT = 100.0                 # seconds for one conversion (a first start of soffice takes ~5 s);
                                # below the extraction sandbox's 120 s per document
MAX_SHEET_CELLS = 200_000
TARGET = {"doc": "docx", "wps": "docx", "xls": "xlsx", "et": "xlsx"}


class ConversionError(ValueError):
    """LibreOffice is missing, failed, timed out, or gave no output."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(data: bytes, kind: str, timeout: float = TIMEOUT) -> bytes:
    """The bytes of a DOC/WPS (-> DOCX) or XLS/ET (-> XLSX) file converted by LibreOffice."""
    exe = soffice()
    if exe is None:
        raise ConversionError("LibreOffice is not installed (Debian: libreoffice-writer-nogui "
                              "libreoffice-calc-nogui)")
    target = TARGET[kind]
    _check_ole(data, kind)
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as tmp:
        src = Path(tmp) / f"in.{kind}"
        src.write_bytes(data)
        out_dir = Path(tmp) / "out"
        cmd = [exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", target, "--outdir", str(out_dir), str(src)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp,
                                env=dict(os.environ, HOME=tmp), start_new_session=True,
                                preexec_fn=unlimited_child)     # the sandbox's RLIMIT_AS lifted
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)     # soffice.bin and its helpers, not only the wrapper
            proc.communicate()
            raise ConversionError(f"LibreOffice took longer than {timeout:.0f} s on a .{kind} file") from None
        out = out_dir / f"in.{target}"
        if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            why = err.decode("utf-8", "replace").strip().splitlines()
            raise ConversionError(f"LibreOffice could not convert this .{kind} file"
                                  + (f": {why[-1][:200]}" if why else " (damaged or not a .{kind})"))
        result = out.read_bytes()
    try:
        check_zip(result, target)
    except UnsafeZip as e:
        raise ConversionError(f"LibreOffice's output: {e}") from None
    return result


def _check_ole(data: bytes, kind: str) -> None:
    """The header of an OLE compound file (MS-CFB): byte order mark and sector size. LibreOffice
    imports anything it cannot parse as plain text, so a damaged file is refused before it."""
    if len(data) < 1024 or data[28:30] != b"\xfe\xff" or data[30:32] not in (b"\x09\x00", b"\x0c\x00"):
        raise ConversionError(f"damaged .{kind} file: not a valid OLE compound document header")


def read_xlsx(data: bytes) -> TableResult:
    """Every sheet of a workbook as a Grid (merged ranges repeat their top-left cell, as rowspan /
    colspan do in HTML), then the one mapping layer; the text is the sheets' rows, `|` between cells."""
    import openpyxl
    try:
        check_zip(data, "XLSX")
    except UnsafeZip as e:
        raise ConversionError(str(e)) from None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except Exception as e:
        if isinstance(e, MemoryError):   # the sandbox's memory limit: not a damaged file
            raise
        raise ConversionError(f"not a readable .xlsx ({type(e).__name__}: {e})") from e
    grids: list[Grid] = []
    texts: list[str] = []
    for ws in wb.worksheets:
        if (ws.max_row or 0) * (ws.max_column or 0) > MAX_SHEET_CELLS:
            raise ConversionError(f"sheet {ws.title!r} has {ws.max_row} x {ws.max_column} cells: refused")
        texts_ = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        cells = [[Cell(norm(t), r, c) for c, t in enumerate(row)] for r, row in enumerate(texts_)]
        for rng in ws.merged_cells.ranges:      # the same Cell at every position a merge covers
            origin = cells[rng.min_row - 1][rng.min_col - 1]
            for r in range(rng.min_row - 1, min(rng.max_row, len(cells))):
                for c in range(rng.min_col - 1, min(rng.max_col, len(cells[r]))):
                    cells[r][c] = origin
        keep = [i for i, row in enumerate(texts_) if any(row)]
        if not keep:
            continue
        grids.append(Grid([cells[i] for i in keep], f"xlsx {ws.title}"))
        texts.append("\n".join(" | ".join(t for t in texts_[i] if t) for i in keep))
    wb.close()
    return stats_from_grids(grids, "\n".join(texts))


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()
