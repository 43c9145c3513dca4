"""Hanweb 大汉 信息公开 (xxgk) module's annual-report endpoint: one request per agency-year, no column
to read.

URL grammar (design/nationwide.md §2, §3):
    /module/xxgk/xxgkAnnualReport.jsp?area={orgCode}&fbtime={YYYY}   one agency-year report, directly
                                                                      [confirmed on 4 hosts]
    /module/xxgk/tree.jsp?...                                         the module's org tree: the start
                                                                      (list) page [shape inferred]

The registry's column is the module's tree.jsp on the agency's (or its portal's) host. Its "entries" are
the endpoint URLs of every year from `first_year` (2008, the first report year of the 2008 Regulation)
to last year, each under a title naming the agency and the year, so the spider fetches each as a report.
A year without a report answers the module's 「暂无该年度…年度报告」 page [inferred], which the spider
marks as a soft 404: archived as a capture, never as a report.

The org code (`area`): the registry option `hanweb_annual: {area: CODE}` when the research saw it; else
(the registry names a portal, not an org) read from the tree, whose nodes are dTree calls
`d.add('CODE', 'PARENT', 'LABEL', ...)` [inferred]: the node whose label is the agency's name (or its
tail after the city, 兖州区住房和城乡建设局 for 济宁市兖州区住房和城乡建设局). An agency found nowhere gets
no entries: its run finds no report and says so. Options: `hanweb_annual: {area, first_year}`.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode, urlsplit

from scrapy.http import TextResponse

from crawler.families import Family

ENDPOINT = "/module/xxgk/xxgkAnnualReport.jsp"
FIRST_YEAR = 2008
TREE_NODE = re.compile(r"""\.add\(\s*['"]([0-9A-Za-z]{6,24})['"]\s*,\s*['"][^'"]*['"]\s*,\s*['"]([^'"]{2,40})['"]""")
CHINA = dt.timezone(dt.timedelta(hours=8))


def last_year() -> int:
    """The latest year a report can exist for (reports cover a calendar year, published the next)."""
    return dt.datetime.now(CHINA).year - 1


def tree_orgs(text: str) -> list[tuple[str, str]]:
    """(code, label) of the org nodes of a tree.jsp page."""
    return [(code, re.sub(r"\s+", "", label)) for code, label in TREE_NODE.findall(text)]


def names_org(agency, label: str) -> bool:
    """The tree's label is this agency: one of its names, or the tail of its full name (≥ 5 characters)."""
    return label in agency.names or agency.names_in(label) or (len(label) >= 5 and agency.name.endswith(label))


class HanwebAnnual(Family):
    name = "hanweb_annual"

    @classmethod
    def fingerprint(cls, response) -> str | None:
        """The xxgk module: a page of it (xxgkAnnualReport.jsp, tree.jsp, subjectinfo.jsp) or links to its endpoint."""
        if not isinstance(response, TextResponse):
            return None
        path = urlsplit(response.url).path
        if path.startswith("/module/xxgk/") and path.rsplit("/", 1)[-1] in ("xxgkAnnualReport.jsp", "tree.jsp", "subjectinfo.jsp"):
            return f"the Hanweb xxgk module's {path.rsplit('/', 1)[-1]}"
        if ENDPOINT in response.text:
            return "links to the Hanweb xxgk module's xxgkAnnualReport.jsp"
        return None

    def options(self, agency) -> dict:
        return dict(agency.extra.get("hanweb_annual") or {})

    def area_of(self, agency, response) -> str | None:
        area = self.options(agency).get("area")
        if area:
            return str(area)
        if not isinstance(response, TextResponse):
            return None
        return next((code for code, label in tree_orgs(response.text) if names_org(agency, label)), None)

    def list_entries(self, response) -> list[tuple[str, str]]:
        base = urlsplit(response.url)
        out = []
        for agency in self.column.agencies:
            area = self.area_of(agency, response)
            if not area:
                continue
            first = int(self.options(agency).get("first_year") or FIRST_YEAR)
            for year in range(last_year(), first - 1, -1):
                query = urlencode({"area": area, "fbtime": year})
                out.append((f"{agency.name}{year}年政府信息公开工作年度报告",
                            f"{base.scheme}://{base.netloc}{ENDPOINT}?{query}"))
        return out
