"""What spiders yield: one Capture per fetch (a response worth keeping, or a failure)."""
from __future__ import annotations

import scrapy


class Capture(scrapy.Item):
    """One fetch, as the archive's captures row needs it (archive/store.py), plus the body.

    Built by crawler.spiders.report (capture_response / on_error); written by
    crawler.pipelines.ArchivePipeline."""
    agency = scrapy.Field()       # the agency it is stored under; None: a shared column's list page,
                                  # or a report no registry agency claims
    owners = scrapy.Field()       # slugs of the runs it counts for (the first: the run it is stored under);
                                  # not a column of the archive
    url = scrapy.Field()          # as requested (before redirects)
    final_url = scrapy.Field()
    method = scrapy.Field()
    status = scrapy.Field()
    fetched_at = scrapy.Field()
    headers = scrapy.Field()      # {name: [values]}
    content_type = scrapy.Field()
    encoding = scrapy.Field()
    fetch_mode = scrapy.Field()   # http / browser
    kind = scrapy.Field()         # list / report / attachment
    referer = scrapy.Field()
    error = scrapy.Field()
    revisit_of = scrapy.Field()   # set for a 304 answered from the archive
    body_sha256 = scrapy.Field()  # set for a 304 answered from the archive
    body = scrapy.Field()         # raw bytes as received (None for failures and 304s)
