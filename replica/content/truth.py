"""The ground-truth record of one report (format in docs/replica-content.md)."""
from __future__ import annotations

from archive.keys import HEADLINE_KEYS

from replica.model import Report


def full_summary(known: dict) -> dict:
    """Every headline key: the stated figure, or None where the report does not say."""
    unknown = set(known) - set(HEADLINE_KEYS)
    if unknown:
        raise KeyError(f"not headline keys: {sorted(unknown)}")
    return {k: known.get(k) for k in HEADLINE_KEYS}


def make_truth(r: Report, summary: dict, stats: list[dict] | None = None,
               checks_failed: list[str] | None = None) -> dict:
    return {
        "agency": r.agency, "agency_name": r.agency_name, "year": r.year, "title": r.title,
        "published": r.published[:10], "published_time": r.published,
        "index_no": r.index_no, "publisher": r.publisher, "doc_no": r.doc_no,
        "format": r.generation, "stats_in": r.stats_in, "seed": r.seed,
        "summary": full_summary(summary), "stats": list(stats or []),
        "checks_failed": list(checks_failed or []),
    }
