"""TRS portal columns split into one sub-column per report year (city and district portals that
list every department's reports, year by year).

The registry gives the root column and the shape of a year's sub-column below it:

    columns: ["http://shiyan.gov.cn/xxgk/xxgk_nb/"]
    years: {pattern: "{YYYY}_{n}/", ext: shtml}    # 2022_98308/ (a year with the CMS's channel id)
    years: {pattern: "{YYYY}year/"}                # anshun: 2024year/
    years: {pattern: "{YYYY}nb/dcqzfbm{YYYY}/"}    # dongcheng: 2025nb/dcqzfbm2025/ (one of several per year)

Grammar of `pattern` (relative to the root column's folder, ends with "/"): `{YYYY}` a four-digit year
(a second `{YYYY}` must repeat the first), `{n}` a run of digits (a channel id), anything else literal.
The root page (and every year page, which often repeats the year navigation) links the year columns;
a link whose path is the root folder + the pattern (optionally + index.{ext}) is a year column, fetched
as `<year folder>index.{ext}` so a folder link and an index link are one page. Links to the year's
other sub-columns (a district's streets, the government's own reports) do not match and are not
followed. Inside a year column, classic TRS pagination (Trs): index.{ext}, index_1.{ext} (= page 2) ...,
the total in pager links or createPageHTML. ext: html (default) or shtml.

The portal lists every department's reports: the registry's `match` attributes them; reports of
departments the registry does not know are archived with no agency (crawler/spiders/report.py).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.families import page_signs
from crawler.families.trs import Trs, trs_signs
from crawler.links import anchors


def year_pattern(pattern: str, ext: str = "html") -> re.Pattern:
    """The regex of a year sub-column path below the root folder: '{YYYY}_{n}/' ->
    r'(?P<year>\\d{4})_\\d+/(?:index\\.html)?$' (the year as group `year`)."""
    if not pattern.endswith("/"):
        raise ValueError(f"trs_years: years.pattern must end with '/': {pattern!r}")
    out, seen_year = "", False
    for part in re.split(r"(\{YYYY\}|\{n\})", pattern):
        if part == "{YYYY}":
            out += "(?P=year)" if seen_year else r"(?P<year>\d{4})"
            seen_year = True
        elif part == "{n}":
            out += r"\d+"
        else:
            out += re.escape(part)
    if not seen_year:
        raise ValueError(f"trs_years: years.pattern names no {{YYYY}}: {pattern!r}")
    return re.compile(out + rf"(?:index\.{re.escape(ext)})?$")


class TrsYears(Trs):
    """A TRS root column whose year sub-columns (registry option `years: {pattern, ext}`) hold the
    reports; pagination inside each year as classic TRS (index_1 = page 2)."""

    name = "trs_years"

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """TRS with per-year sub-columns under one root: {YYYY}year/, {YYYY}_{n}/, {YYYY}nb/{dept}{YYYY}/
        (Xizang's plain {YYYY}nb/ is trs_xizang's)."""
        if not trs_signs(response):
            return None
        signs = page_signs(response, {
            "per-year sub-columns {YYYY}year/ or {YYYY}_{n}/": r"/(?:19|20)\d{2}(?:year|_\d+)/",
            "per-year department sub-columns {YYYY}nb/{dept}{YYYY}/": r"/(?:19|20)\d{2}nb/[a-z]+(?:19|20)\d{2}/",
        })
        return "TRS with per-year sub-columns: " + ", ".join(signs) if signs else None
    page_first = 1

    def __init__(self, column):
        super().__init__(column)
        opts = column.option("years") or {}
        if not opts.get("pattern"):
            raise ValueError(f"agencies.yaml: family trs_years needs `years: {{pattern: ...}}` for {column.url}")
        self.page_ext = opts.get("ext", "html")
        self.root = column.url.rsplit("/", 1)[0] + "/"     # the root column's folder
        self.year_re = year_pattern(opts["pattern"], self.page_ext)

    def year_column(self, url: str) -> str | None:
        """The year column's canonical URL (its folder + index.{ext}) if `url` is one, else None."""
        if not url.startswith(self.root) or urlsplit(url).query:
            return None
        rest = urlsplit(url).path[len(urlsplit(self.root).path):]
        m = self.year_re.match(rest)
        if not m:
            return None
        folder = url[:len(self.root)] + rest[:len(rest) - len(rest.rsplit("/", 1)[1])]
        return folder + f"index.{self.page_ext}"

    def next_pages(self, response) -> list[str]:
        pages = super().next_pages(response)
        own = self.year_column(response.url) or response.url
        for _, url in anchors(response):
            year = self.year_column(url)
            if year and year != own:
                pages.append(year)
        return list(dict.fromkeys(pages))
