"""Site families: how one CMS lays out an annual-report column. The one place where a platform's
layout is known; an agency names its family in crawler/agencies/ (`family: trs_hunan`).

A family is a small class with two hooks, instantiated once per column per run:

    class MyCms(Family):
        name = "my_cms"                         # the registry's `family` value
        def list_entries(self, response): ...   # [(title, url)] a list page lists (default: every link)
        def next_pages(self, response): ...     # further list URLs (pagination, sub-columns)
        @classmethod
        def fingerprint(cls, response): ...     # optional: "what shows this CMS" or None (scheduler.py probe)

A new family is a new module here: every module of crawler/families/ is imported (load_families).
`self.column` is the crawler.registry.Column (url, agencies, family options via column.option(name)).
Recognising reports, attribution, attachments and captures are the spider's (crawler/spiders/report.py).
"""
from __future__ import annotations

from crawler.links import anchors
from crawler.registry import Column

FAMILIES: dict[str, type["Family"]] = {}


class Family:
    name: str = ""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.__dict__.get("name"):
            FAMILIES[cls.name] = cls

    def __init__(self, column: Column):
        self.column = column

    def list_entries(self, response) -> list[tuple[str, str]]:
        """(title, url) of the items a list page lists. Default: every link of the page."""
        return anchors(response)

    def next_pages(self, response) -> list[str]:
        """Further list pages (pagination, sub-columns) reachable from this list page."""
        return []

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """What in this page shows the family's CMS (URL shapes, markup, script names, meta tags), as
        a short phrase, or None. `scheduler.py probe` compares it with the registry's family. The
        default knows none: a family gets one by defining its own (has_fingerprint)."""
        return None


def page_signs(response, signs: dict[str, str]) -> list[str]:
    """The labels of `signs` ({label: regex}) that the page's URL or source shows: the building block
    of a fingerprint made of URL grammars and markup."""
    import re
    from scrapy.http import TextResponse
    if not isinstance(response, TextResponse):
        return []
    return [label for label, pattern in signs.items()
            if re.search(pattern, response.url) or re.search(pattern, response.text)]


def has_fingerprint(cls: type[Family]) -> bool:
    """Whether the family defines its own fingerprint (an inherited one would say its parent's)."""
    return "fingerprint" in cls.__dict__


def load_families() -> dict[str, type["Family"]]:
    """Import every module of this package once: each Family subclass registers itself by name."""
    import importlib
    import pkgutil
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    return FAMILIES


def family_for(column: Column) -> Family:
    """The family object reading `column`; an unknown family name is a registry error."""
    load_families()
    try:
        return FAMILIES[column.family](column)
    except KeyError:
        raise ValueError(f"agencies.yaml: unknown family {column.family!r} for {column.url} "
                         f"(known: {', '.join(sorted(FAMILIES))})") from None
