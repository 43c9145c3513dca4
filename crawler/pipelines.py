"""ArchivePipeline: every Capture item becomes one captures row (and maybe a bodies row),
committed at once in its own transaction."""
from __future__ import annotations

import logging

from archive.store import CaptureError
from crawler.archive_link import archive_for
from crawler.items import Capture

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        if not isinstance(item, Capture):
            return item
        stats = self.crawler.stats
        spider = self.crawler.spider
        fields = dict(item)
        body = fields.pop("body", None)
        fields["run_id"] = getattr(spider, "run_id", None)
        try:
            capture_id, page = archive_for(self.crawler).add_capture(fields, body)
        except CaptureError as e:
            # never write an invalid row; count it as an error of the run
            logger.error("capture not written: %s", e)
            stats.inc_value("nianbao/errors")
            stats.inc_value("nianbao/invalid_captures")
            return item
        stats.inc_value("nianbao/captures")
        stats.inc_value(f"nianbao/captures/{fields['kind']}")
        if page:
            stats.inc_value(f"nianbao/pages_{page}")
        if fields.get("error"):
            if fields["error"] == "soft 404":
                stats.inc_value("nianbao/soft_404")
            else:
                stats.inc_value("nianbao/errors")
                stats.inc_value(f"nianbao/errors/{fields['kind']}")
                if fields["kind"] != "list" and fields.get("status") in (404, 410):
                    stats.inc_value("nianbao/errors/dead_links")
        logger.debug("capture %s %s %s", capture_id, page or fields.get("error"), fields["url"])
        return item
