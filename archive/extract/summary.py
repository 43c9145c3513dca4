"""The headline summary: one value per archive.keys.HEADLINE_KEYS, tables first, prose filling gaps.

Every summary figure is also returned as a stat row with table "summary" (row = headline key, col
"value", source = where it came from): the DB view `report_summary` reads those rows.
"""
from __future__ import annotations

from archive.extract.model import Stat
from archive.extract.prose import Figure
from archive.keys import HEADLINE_KEYS


def build_summary(tables_summary: dict[str, float | None], prose: dict[str, Figure]
                  ) -> tuple[dict[str, float | None], list[Stat]]:
    """Merge table-derived headline figures (checks.summary_from_tables) with prose ones.
    Tables win where they give a value; prose fills the rest; null where neither says."""
    summary: dict[str, float | None] = {}
    rows: list[Stat] = []
    for key in HEADLINE_KEYS:
        value = tables_summary.get(key)
        if value is not None:
            summary[key] = value
            rows.append(Stat("summary", key, "value", float(value), label=key,
                             unit="元" if key == "disclosure_fees_yuan" else None, source="tables"))
        elif key in prose:
            fig = prose[key]
            summary[key] = fig.value
            rows.append(Stat("summary", key, "value", fig.value, label=fig.label, unit=fig.unit,
                             source="prose: " + fig.sentence))
        else:
            summary[key] = None
    return summary, rows


def prose_stats(prose: dict[str, Figure]) -> list[Stat]:
    """Prose figures as stat rows of table "prose" (row = headline key, col "value")."""
    return [Stat("prose", f.key, "value", f.value, label=f.label, unit=f.unit, source=f.sentence)
            for f in prose.values()]
