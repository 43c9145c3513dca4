"""One archive connection per crawler, shared by the pipeline, middlewares and extension."""
from __future__ import annotations

from archive.store import Archive


def archive_for(crawler) -> Archive:
    """The crawler's Archive (opened on first use at the ARCHIVE_DB setting)."""
    archive = getattr(crawler, "_nianbao_archive", None)
    if archive is None:
        archive = Archive(crawler.settings.get("ARCHIVE_DB"))
        crawler._nianbao_archive = archive
    return archive


def close_archive(crawler) -> None:
    archive = getattr(crawler, "_nianbao_archive", None)
    if archive is not None:
        archive.close()
        crawler._nianbao_archive = None
