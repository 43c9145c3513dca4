"""ArchivePipeline: every Capture item becomes one captures row (and maybe a bodies row),
committed at once in its own transaction, under the run of its first owner; its counts go to
every owner's run (crawler.spiders.report.ReportSpider.count).

A capture that cannot be written is never dropped silently: an invalid row (CaptureError) counts
as `invalid_captures`, any other failure of the write (sqlite3.OperationalError "database or disk
is full", "database is locked" after the busy timeout, an I/O error) as `write_errors`; both count
as errors of every owner's run, and their messages (`crawler.nianbao_write_errors`: slug -> Counter
of messages) let the run recorder say why the run is failing.
"""
from __future__ import annotations

import logging
from collections import Counter

from archive.store import CaptureError
from crawler.archive_link import archive_for
from crawler.items import Capture
from crawler.middlewares import OWNERS

logger = logging.getLogger(__name__)


def write_errors(crawler) -> dict[str, Counter]:
    """slug -> Counter of the messages of the captures that could not be written for its run."""
    if not hasattr(crawler, "nianbao_write_errors"):
        crawler.nianbao_write_errors = {}
    return crawler.nianbao_write_errors


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        if not isinstance(item, Capture):
            return item
        spider = self.crawler.spider
        fields = dict(item)
        body = fields.pop("body", None)
        owners = tuple(fields.pop("owners", None) or ())
        counts = {OWNERS: owners}
        fields["run_id"] = spider.run_ids.get(owners[0]) if owners else None
        try:
            capture_id, page = archive_for(self.crawler).add_capture(fields, body)
        except CaptureError as e:
            # never write an invalid row; count it as an error of the run
            logger.error("capture not written: %s", e)
            self._failed(spider, counts, "invalid_captures", f"invalid capture: {e}")
            return item
        except Exception as e:  # noqa: BLE001 - any failure of the write counts, none is dropped silently
            logger.error("capture not written (%s: %s): %s", type(e).__name__, e, fields.get("url"))
            self._failed(spider, counts, "write_errors", f"{type(e).__name__}: {e}")
            return item
        if fields["fetch_mode"] == "rendered":   # derived from the capture just written: not a page of its own
            spider.count(counts, "captures/rendered")
            return item
        spider.count(counts, "captures")
        spider.count(counts, f"captures/{fields['kind']}")
        if page:
            spider.count(counts, f"pages_{page}")
        if fields.get("error"):
            if fields["error"] == "soft 404":
                spider.count(counts, "soft_404")
            else:
                spider.count(counts, "errors")
                spider.count(counts, f"errors/{fields['kind']}")
                if fields["kind"] != "list" and fields.get("status") in (404, 410):
                    spider.count(counts, "errors/dead_links")
        logger.debug("capture %s %s %s", capture_id, page or fields.get("error"), fields["url"])
        return item

    def _failed(self, spider, counts: dict, key: str, message: str) -> None:
        spider.count(counts, "errors")
        spider.count(counts, key)
        messages = write_errors(self.crawler)
        for slug in counts[OWNERS]:
            messages.setdefault(slug, Counter())[message[:300]] += 1
