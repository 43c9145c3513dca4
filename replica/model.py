"""What the replica web serves: reports and notices, independent of how a platform lays them out.

replica.corpus builds these (synthetic reports with their ground truth, plus the five seeds);
replica.sites.* lay them out as each CMS does; replica.server serves them.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Attachment:
    filename: str          # as the CMS names it, e.g. "P020220120391542118063.pdf"
    data: bytes
    mime: str              # application/pdf, application/vnd.openxmlformats-officedocument...


@dataclass
class Report:
    agency: str            # registry slug (crawler/agencies/), or another department's slug
    agency_name: str       # full name as printed
    year: int              # the year the report covers
    title: str
    published: str         # "YYYY-MM-DD HH:MM:SS" as shown on the page
    url_date: str          # "YYYYMMDD" used in the URL: often not the publication date
    doc_id: int            # stable numeric id for URLs (t{url_date}_{doc_id}.html ...)
    generation: str        # prose | indicator | template2019 | template2021
    body_html: str         # the body fragment as the CMS holds it (Word-pasted); may only link
    index_no: str | None = None
    publisher: str | None = None
    doc_no: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    stats_in: str = "page"  # where the figures are: page | pdf | docx
    encoding: str = "utf-8"
    seed: str | None = None  # seed file name when this is one of the five seed reports
    url: str | None = None   # the real URL, fixed for seeds; otherwise set by the site layout
    truth: dict = field(default_factory=dict)  # ground truth, format in docs/replica.md
    meta: dict = field(default_factory=dict)   # further metadata the page shows (成文日期, 公开方式, 信息来源 ...)


@dataclass
class Notice:
    """An unrelated item in the same column (not a report)."""
    agency: str
    title: str
    published: str
    url_date: str
    doc_id: int
    body_html: str
