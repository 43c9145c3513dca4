"""RunRecorder: one `runs` row per spider run (kind crawl), opened on spider_opened and filled
on spider_closed from the crawl's stats.

Status: `failing` when the run finished for another reason than "finished", when it found no
report at all, or when a fetch failed in a way that lost a page the site still has: any lost list
page (it may hide reports), any report page or attachment lost to a 5xx after retries, timeout,
reset, truncation, oversize or redirect loop. Otherwise `ok`. Dead links (404/410 on a listed
report or attachment) and soft 404s are errors of the site, not of the crawl: they are counted
(errors, stats) and named in `failure`, but do not fail the run on their own. `failure` says
why in words.

A spider that opened but never closed (Scrapy skips, on a graceful stop, a crawler whose engine
is still starting: scrapy/scrapy#6916) is closed by the runner: `close_unfinished_runs(crawlers,
note)` fills its row the same way from the stats so far, finish reason `shutdown`.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3

from scrapy import signals

from crawler.archive_link import archive_for, close_archive
from crawler.registry import agencies

logger = logging.getLogger(__name__)


class RunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.run_id: int | None = None
        self.closed = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        archive = archive_for(self.crawler)
        archive.sync_agencies(agencies().values())
        slug = getattr(spider, "slug", None) or spider.name
        spider.run_id = self.run_id = archive.start_run(
            "crawl", slug, self.crawler.settings.get("NIANBAO_BATCH"), os.getpid())
        logger.info("run %s started for %s", spider.run_id, slug)

    def spider_closed(self, spider, reason):
        self.close_run(reason)

    def close_run(self, reason: str, note: str | None = None) -> None:
        """Fill the run row from the crawl's stats: status, counts, finish reason, failure."""
        self.closed = True
        stats = self.crawler.stats.get_stats()
        get = lambda k: int(stats.get(k, 0) or 0)  # noqa: E731
        errors, reports = get("nianbao/errors"), get("nianbao/reports_found")
        requests = get("downloader/request_count")
        responses = get("downloader/response_count") - get("nianbao/held_not_requested")
        why = [note] if note else []
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
        if self.run_id is not None:
            archive_for(self.crawler).finish_run(self.run_id, **fields)
        close_archive(self.crawler)
        line = (f"[{self.crawler.spidercls.name}] run {self.run_id} {status}: {requests} requests, "
                f"{fields['pages_new']} new, {fields['pages_changed']} changed, "
                f"{fields['pages_unchanged']} unchanged, {reports} reports found, {errors} errors"
                + (f" ({fields['failure']})" if fields["failure"] else ""))
        logger.info(line)
        print(line, flush=True)


def close_unfinished_runs(crawlers, note: str) -> list[int]:
    """Close the row of every crawler whose spider opened (its row is `running`) but never closed:
    finish reason `shutdown`, status `failing`, `note` first in `failure`. Returns their run ids.

    Safe to call more than once and from a reactor shutdown trigger (nothing else is running then);
    a crawler that never opened its spider has no row and is left alone."""
    closed = []
    for crawler in crawlers:
        extensions = getattr(getattr(crawler, "extensions", None), "middlewares", ())
        recorder = next((e for e in extensions if isinstance(e, RunRecorder)), None)
        if recorder is None or recorder.run_id is None or recorder.closed:
            continue
        engine = getattr(crawler, "engine", None)
        starting = engine is not None and not engine.running and engine.spider is not None
        try:
            recorder.close_run("shutdown", note + (" (it was still starting)" if starting else ""))
        except sqlite3.Error as e:  # say so and close the others; the next run of it closes it
            logger.error("could not close run %s: %s", recorder.run_id, e)
            continue
        closed.append(recorder.run_id)
    return closed
