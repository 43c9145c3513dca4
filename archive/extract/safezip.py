"""Zip containers (DOCX, XLSX, OFD) opened with bounds, against zip bombs and junk.

The bounds are on the sizes the zip's directory declares; Python's zipfile never inflates an
entry past its declared size (it stops there and the CRC check fails), so they bound real reads.
"""
from __future__ import annotations

import io
import zipfile

MAX_ZIP_ENTRIES = 2000             # a report's DOCX/XLSX/OFD has tens to hundreds
MAX_UNZIPPED = 200 * 1024 * 1024   # bytes, all entries together, as the zip's directory declares them


class UnsafeZip(ValueError):
    """Not a zip, or one too large to open."""


def check_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """A zip that is safe to read: bounded entry count and total uncompressed size."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise UnsafeZip(f"not a readable {what} (zip: {e})") from e
    infos = z.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UnsafeZip(f"{what} with {len(infos)} zip entries: refused (limit {MAX_ZIP_ENTRIES})")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise UnsafeZip(f"{what} unzips to {total:,} bytes: refused (limit {MAX_UNZIPPED:,})")
    return z
