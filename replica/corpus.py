"""The replica web's content: the five seed reports plus synthetic reports and notices of every
agency and year, each with its ground truth (docs/replica-content.md).

    from replica.corpus import build_corpus, ground_truth
    corpus = build_corpus()            # cached; deterministic for a seed
    corpus.for_agency("hunan_zjt")     # that agency's reports, oldest first

    python -m replica.corpus --truth OUT.json [--seed 2024]
"""
from __future__ import annotations

import argparse
import copy
import functools
import json
import sys
from dataclasses import dataclass, field

from replica.content import seeds, synth
from replica.model import Notice, Report


@dataclass
class Corpus:
    reports: list[Report]
    notices: list[Notice]
    # the spam mirror's copy of the Guangxi 2017 seed: (path, full HTML page), for a mirror host
    mirror_pages: list[tuple[str, str]] = field(default_factory=list)

    def for_agency(self, slug: str) -> list[Report]:
        return sorted((r for r in self.reports if r.agency == slug), key=lambda r: r.year)

    def notices_for(self, slug: str) -> list[Notice]:
        return [n for n in self.notices if n.agency == slug]

    def report(self, slug: str, year: int) -> Report:
        for r in self.reports:
            if r.agency == slug and r.year == year:
                return r
        raise KeyError(f"no report of {slug} for {year}")

    @property
    def agencies(self) -> list[str]:
        return sorted({r.agency for r in self.reports})


def _build(seed: int) -> Corpus:
    seed_reports, mirror = seeds.seed_reports()
    used = {r.doc_id for r in seed_reports}
    from replica.sites import site_agencies
    reports, notices = synth.synthetic(seed, used, site_agencies())
    return Corpus(reports=seed_reports + reports, notices=notices, mirror_pages=mirror)


@functools.lru_cache(maxsize=4)
def _cached(seed: int) -> Corpus:
    return _build(seed)


def build_corpus(seed: int = 2024, fresh: bool = False) -> Corpus:
    """The corpus for a seed. Cached and shared: a caller that mutates reports beyond setting
    `url` should pass fresh=True (a private deep copy)."""
    corpus = _cached(seed)
    return copy.deepcopy(corpus) if fresh else corpus


def truth_of(r: Report) -> dict:
    """A report's ground truth, with its URL and attachment file names as they stand now."""
    return {**r.truth, "url": r.url, "attachments": [a.filename for a in r.attachments]}


def ground_truth(seed: int = 2024, corpus: Corpus | None = None) -> list[dict]:
    """Ground truth of every report (docs/replica-content.md), seeds first."""
    return [truth_of(r) for r in (corpus or build_corpus(seed)).reports]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m replica.corpus", description=__doc__.split("\n\n")[0])
    ap.add_argument("--truth", metavar="OUT.json", required=True, help="write the ground truth here ('-' = stdout)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    data = json.dumps(ground_truth(args.seed), ensure_ascii=False, indent=1)
    if args.truth == "-":
        sys.stdout.write(data + "\n")
    else:
        with open(args.truth, "w", encoding="utf-8") as fh:
            fh.write(data + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
