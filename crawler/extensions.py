"""RunRecorder: one `runs` row per spider run (kind crawl), opened on spider_opened and filled
on spider_closed from the crawl's stats.

Status: `failing` when the run finished for another reason than "finished", when it found no
report at all, or when a fetch failed in a way that lost a page the site still has: any lost list
page (it may hide reports), any report page or attachment lost to a 5xx after retries, timeout,
reset, truncation, oversize or redirect loop. Otherwise `ok`. Dead links (404/410 on a listed
report or attachment) and soft 404s are errors of the site, not of the crawl: they are counted
(errors, stats) and named in `failure`, but do not fail the run on their own. `failure` says
why in words.
"""
from __future__ import annotations

import json
import logging
import os

from scrapy import signals

from crawler.archive_link import archive_for, close_archive
from crawler.registry import agencies

logger = logging.getLogger(__name__)


class RunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        archive = archive_for(self.crawler)
        archive.sync_agencies(agencies().values())
        slug = getattr(spider, "slug", None) or spider.name
        spider.run_id = archive.start_run("crawl", slug, self.crawler.settings.get("NIANBAO_BATCH"),
                                          os.getpid())
        logger.info("run %s started for %s", spider.run_id, slug)

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        get = lambda k: int(stats.get(k, 0) or 0)  # noqa: E731
        errors, reports = get("nianbao/errors"), get("nianbao/reports_found")
        requests = get("downloader/request_count")
        responses = get("downloader/response_count") - get("nianbao/held_not_requested")
        why = []
        if reason != "finished":
            why.append(f"finish reason {reason}")
        if reports == 0:
            why.append("no report found in the column")
        dead = get("nianbao/errors/dead_links")
        if errors - dead:
            by_kind = ", ".join(f"{get(f'nianbao/errors/{k}')} {k}" for k in
                                ("list", "report", "attachment") if get(f"nianbao/errors/{k}"))
            why.append(f"{errors - dead} failed fetch(es)" + (f" ({by_kind})" if by_kind else ""))
        status = "failing" if why else "ok"
        if dead:
            why.append(f"{dead} dead link(s) (HTTP 404/410)")
        if get("nianbao/soft_404"):
            why.append(f"{get('nianbao/soft_404')} soft 404(s)")
        fields = dict(
            finish_reason=reason, status=status, requests=requests, responses=responses,
            pages_new=get("nianbao/pages_new"), pages_changed=get("nianbao/pages_changed"),
            pages_unchanged=get("nianbao/pages_unchanged"), reports_found=reports,
            errors=errors, failure="; ".join(why) or None,
            stats=json.dumps(stats, default=str, ensure_ascii=False, sort_keys=True))
        archive = archive_for(self.crawler)
        run_id = getattr(spider, "run_id", None)
        if run_id is not None:
            archive.finish_run(run_id, **fields)
        close_archive(self.crawler)
        line = (f"[{spider.name}] run {run_id} {status}: {requests} requests, "
                f"{fields['pages_new']} new, {fields['pages_changed']} changed, "
                f"{fields['pages_unchanged']} unchanged, {reports} reports found, {errors} errors"
                + (f" ({fields['failure']})" if fields["failure"] else ""))
        logger.info(line)
        print(line, flush=True)
