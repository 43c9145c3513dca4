"""The agency registry (crawler/agencies/*.yaml, one file per province; or $NIANBAO_REGISTRY, a file
or a folder of them), loaded once and shared.

An agency is data: one YAML entry (name, level, region with its GB/T 2260 code and parent, host,
family, columns, allowed domains, match rules, and the research's platform, confidence and source).
Used by the spider (start URLs, allowed domains, shared-column attribution), the crawl runner, the
scheduler, status/Datasette coverage and the extractor (agency name matching).

Every agency the research names is an entry, whether or not we can crawl it yet: `crawlable` is an
entry with a family and a column (or a home page the generic family discovers the column from).

    from crawler.registry import agencies, get_agency, columns_of
    agencies()["hunan_zjt"].name            # 湖南省住房和城乡建设厅
    get_agency("hunan_zjt").names_in("湖南省住房和城乡建设厅2018年...")  # True
    columns_of(["hunan_zjt", "hunan_fgw"])  # [Column(url=.../szbm_97944/index.html, agencies=(both))]
"""
from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REGISTRY_PATH = Path(__file__).with_name("agencies")
LEVELS = ("province", "prefecture", "county")
COLUMN_STATES = ("confirmed", "inferred", "unknown")   # how the column was found (research or discovery)


def registry_path() -> str:
    """$NIANBAO_REGISTRY when set (tests, a site's own registry), else crawler/agencies/."""
    return os.environ.get("NIANBAO_REGISTRY") or str(REGISTRY_PATH)


class UnknownAgency(KeyError):
    """Raised for a slug that is not in the registry."""

    def __str__(self) -> str:
        return f"unknown agency {self.args[0]!r} (known: {', '.join(agencies())})"


@dataclass(frozen=True)
class Agency:
    slug: str
    name: str
    family: str = ""
    columns: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    level: str = ""
    province: str = ""
    match: tuple[str, ...] = ()   # non-empty: the column is shared, keep only titles naming us
    browser: bool = False         # every request goes through Chromium (scrapy-playwright)
    host: str = ""                # the agency's own site ("" = not known)
    region_code: str = ""         # GB/T 2260 code of the agency's region (430000, 421300, 421381)
    parent_code: str = ""         # the region above it ("" for a province)
    region: str = ""              # the region's name as the gazetteer writes it: 湖北省随州市
    platform: str = ""            # the research's platform code (trs, gkmlpt, lonsun, "trs?" = guessed)
    column: str = "unknown"       # confirmed | inferred | unknown: how sure the column is
    confidence: str = ""          # the research's words (host-confirmed, confirmed, inferred ...)
    source: str = ""              # where the research saw it
    extra: dict = field(default_factory=dict, hash=False, compare=False)  # family options

    @property
    def crawlable(self) -> bool:
        """A family and somewhere to start: a column, or a home page for discovery (family generic)."""
        return bool(self.family and self.columns and self.allowed_domains)

    @property
    def hosts(self) -> set[str]:
        """The hosts of the agency's start URLs."""
        from urllib.parse import urlsplit
        return {urlsplit(u).hostname or "" for u in self.columns}

    @property
    def shared_column(self) -> bool:
        return bool(self.match)

    @property
    def names(self) -> tuple[str, ...]:
        """Every string that identifies this agency in a title: full name, short name,
        aliases and match strings, longest first."""
        found = {n for n in (self.name, self.short_name, *self.aliases, *self.match) if n}
        return tuple(sorted(found, key=len, reverse=True))

    def names_in(self, text: str) -> bool:
        """True when text names this agency (full name, short name, alias or match string)."""
        return any(n in text for n in self.names)

    def row(self) -> dict:
        """The row mirrored into the archive's agencies table."""
        return {"slug": self.slug, "name": self.name, "short_name": self.short_name,
                "level": self.level, "province": self.province, "family": self.family,
                "columns": json.dumps(list(self.columns), ensure_ascii=False),
                "allowed_domains": json.dumps(list(self.allowed_domains)),
                "host": self.host or None, "region_code": self.region_code or None,
                "parent_code": self.parent_code or None, "region": self.region or None,
                "platform": self.platform or None, "column_state": self.column,
                "crawlable": int(self.crawlable), "confidence": self.confidence or None,
                "source": self.source or None}


_STR_FIELDS = ("short_name", "level", "province", "family", "host", "region_code", "parent_code",
               "region", "platform", "confidence", "source")


def _agency(slug: str, e: dict, where: str = "agencies.yaml") -> Agency:
    known = {"name", "aliases", "columns", "allowed_domains", "match", "browser", "column", *_STR_FIELDS}
    if not e.get("name"):
        raise ValueError(f"{where}: {slug} lacks name")
    if bool(e.get("family")) != bool(e.get("columns")) or (e.get("columns") and not e.get("allowed_domains")):
        raise ValueError(f"{where}: {slug}: family, columns and allowed_domains go together")
    column = e.get("column") or ("unknown" if not e.get("columns") else "confirmed")
    if column not in COLUMN_STATES:
        raise ValueError(f"{where}: {slug}: column must be one of {', '.join(COLUMN_STATES)}")
    return Agency(
        slug=slug, name=e["name"], columns=tuple(e.get("columns") or ()),
        allowed_domains=tuple(e.get("allowed_domains") or ()),
        aliases=tuple(e.get("aliases") or ()), match=tuple(e.get("match") or ()),
        browser=bool(e.get("browser", False)), column=column,
        **{k: str(e[k]) for k in _STR_FIELDS if e.get(k) is not None},
        extra={k: v for k, v in e.items() if k not in known})


def agencies(path: str | None = None) -> dict[str, Agency]:
    """All agencies of the registry by slug, in file order (cached per path). A folder is read file by
    file in name order (crawler/agencies/: 11-beijing.yaml ... by province code)."""
    return _load(path or registry_path())


@functools.cache
def _load(path: str) -> dict[str, Agency]:
    p = Path(path)
    if path == str(REGISTRY_PATH) and not p.exists():  # inside a zipped egg (a Scrapyd node): package data
        from importlib.resources import files as package_files
        p = package_files("crawler") / "agencies"
    files = sorted((f for f in p.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name) \
        if p.is_dir() else [p]
    out: dict[str, Agency] = {}
    for f in files:
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for slug, e in data.items():
            if slug in out:
                raise ValueError(f"{f.name}: agency {slug} is already in the registry")
            out[slug] = _agency(slug, e, f.name)
    return out


def crawlable(slugs=None, hosts: set[str] | None = None) -> list[str]:
    """The agencies a run without a list crawls: those with a family and a start URL, in registry
    order; with `hosts` (the replica web's), only those whose start URLs are all on them."""
    pool = agencies() if slugs is None else {s: get_agency(s) for s in slugs}
    if hosts is None:   # a real network: the replica web's own generated sites exist nowhere else
        return [s for s, a in pool.items() if a.crawlable and a.confidence != "replica"]
    return [s for s, a in pool.items() if a.crawlable and a.hosts <= set(hosts)]


def get_agency(slug: str) -> Agency:
    """One agency by slug; UnknownAgency (a KeyError) with the known slugs otherwise."""
    try:
        return agencies()[slug]
    except KeyError:
        raise UnknownAgency(slug) from None


def find_agencies(text: str, candidates: list[str] | None = None) -> list[str]:
    """Slugs of the agencies that text names; those named in full first.

    Short aliases are ambiguous across provinces (自治区住建厅), so pass candidates (e.g. the
    agencies of one site) when you can."""
    pool = [agencies()[s] for s in candidates] if candidates else list(agencies().values())
    full = [a.slug for a in pool if a.name in text]
    return full + [a.slug for a in pool if a.slug not in full and a.names_in(text)]


def all_allowed_domains() -> set[str]:
    """The union of every agency's allowed domains (the browser may go nowhere else)."""
    return {d for a in agencies().values() for d in a.allowed_domains}


@dataclass(frozen=True)
class Column:
    """One annual-report column (a start URL) and the agencies of a run that publish in it.

    A column shared by several agencies (a provincial portal's 省直部门 column) is one Column: its
    list pages are read once per run and each report is attributed by the agencies' match rules."""
    url: str
    family: str
    agencies: tuple[Agency, ...]

    @property
    def shared(self) -> bool:
        return any(a.shared_column for a in self.agencies)

    @property
    def browser(self) -> bool:
        return any(a.browser for a in self.agencies)

    @property
    def allowed_domains(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d for a in self.agencies for d in a.allowed_domains))

    def option(self, name: str):
        """A family option (e.g. `hanweb: {webid, unitid}`) from the first agency that gives it."""
        return next((a.extra[name] for a in self.agencies if name in a.extra), None)


def columns_of(slugs) -> list[Column]:
    """The columns the given agencies publish in, each once, in registry order; an agency with
    several columns is in each. Two agencies naming one column URL with different families is a
    registry error."""
    by_url: dict[str, list[Agency]] = {}
    for slug in slugs:
        a = get_agency(slug)
        for url in a.columns:
            by_url.setdefault(url, []).append(a)
    out = []
    for url, members in by_url.items():
        families = {a.family for a in members}
        if len(families) > 1:
            raise ValueError(f"agencies.yaml: column {url} has several families: {sorted(families)}")
        out.append(Column(url, members[0].family, tuple(members)))
    return out
