"""What spiders yield: one Capture per fetch (a response worth keeping, or a failure)."""
from __future__ import annotations

import scrapy


class Capture(scrapy.Item):
    """One fetch, as the archive's captures row needs it (archive/store.py), plus the body.

    Built by crawler.spiders.families.base (capture_response / capture_failure); written by
    crawler.pipelines.ArchivePipeline."""
    agency = scrapy.Field()
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
