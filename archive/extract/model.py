"""Data passed between the extractor's parts."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Stat:
    """One figure, keyed as archive/keys.py says, traceable to where it was read."""
    table: str            # "2" | "3" | "4" | "indicator" | "prose" | "summary"
    row: str
    col: str
    value: float | None
    label: str = ""       # the label as printed (row label, and column label where relevant)
    unit: str | None = None
    source: str = ""      # e.g. "table[2] r5c3", "pdf p2 table[1] r5c3", or the sentence it came from


@dataclass
class Check:
    name: str             # archive.keys.check_names()
    passed: bool
    detail: str = ""      # e.g. "new 12 + carried_over 0 != total 11 + carried_forward 0"


@dataclass
class TableResult:
    """What the table readers return for one document (HTML body, text, PDF or DOCX)."""
    stats: list[Stat] = field(default_factory=list)
    template: int | None = None   # 2019 or 2021 when a national-template table 三 was found
    has_indicator_table: bool = False
    text: str = ""                # the document's text (for PDF/DOCX: all of it, tables included)
    warnings: list[str] = field(default_factory=list)  # rows or pages that could not be read
    blanks: list[Stat] = field(default_factory=list)    # cells of tables 三/四 printed empty (value None)
    needs_review: str | None = None   # why the tables' own checks point to an extraction fault, or None
    checks: list | None = None        # checks.run_checks(stats, template), made once by stats_from_grids
    source_tables: list = field(default_factory=list)   # the grids figures were read from (sources.py)
