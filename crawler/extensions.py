"""RunRecorder: one `runs` row per agency of the crawl (kind crawl), opened on spider_opened and
filled on spider_closed from that agency's counts (ReportSpider.tally) and what its columns listed.

Status: `failing` when the run finished for another reason than "finished", when it found no
report at all, or when a fetch failed in a way that lost a page the site still has: any lost list
page (it may hide reports), any report page or attachment lost to a 5xx after retries, timeout,
reset, truncation, oversize or redirect loop, or when a capture could not be written to the
archive (the pipeline's write_errors / invalid_captures, with the first messages). Otherwise `ok`. Dead links (404/410 on a listed
report or attachment) and soft 404s are errors of the site, not of the crawl: they are counted
(errors, stats) and named in `failure`, but do not fail the run on their own. `failure` says
why in words.

Breakage that shows: the run is compared with the agency's last `ok` run (its `listings` rows),
and is `failing`, naming what changed, when it found fewer reports than that run (less the ones
the site explains as removed), when a list page that held report links holds none, when a report
URL that run listed is no longer listed and the site does not explain it (asked once more at the end
of the crawl: 404/410/soft 404 = removed, a redirect to a listed URL = moved), or when a column has
fewer list pages while reports are missing. Every run records its listing.

A spider that opened but never closed (Scrapy skips, on a graceful stop, a crawler whose engine
is still starting: scrapy/scrapy#6916) is closed by the runner: `close_unfinished_runs(crawlers,
note)` fills its rows the same way from the counts so far, finish reason `shutdown`.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections import Counter
from urllib.parse import urlsplit

from scrapy import signals

from archive.store import RunNotes
from crawler.archive_link import archive_for, close_archive
from crawler.middlewares import OWNERS
from crawler.pipelines import write_errors
from crawler.registry import agencies

logger = logging.getLogger(__name__)


class RunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.run_ids: dict[str, int] = {}
        self.closed = False
        for handler, signal in ((self.spider_opened, signals.spider_opened),
                                (self.spider_closed, signals.spider_closed),
                                (self.request_sent, signals.request_reached_downloader),
                                (self.response_downloaded, signals.response_downloaded)):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        archive = archive_for(self.crawler)
        archive.sync_agencies(agencies().values())
        batch = self.crawler.settings.get("NIANBAO_BATCH")
        for slug in spider.agencies:
            run_id = archive.start_run("crawl", slug, batch, os.getpid())
            self.run_ids[slug] = spider.run_ids[slug] = run_id
            last = archive.last_ok_run(slug, run_id)
            if last:
                spider.previous[slug] = {"run": last["id"], **archive.listing(last["id"])}
        spider.run_id = next(iter(self.run_ids.values()), None)
        logger.info("runs %s started", ", ".join(f"{rid} ({slug})" for slug, rid in self.run_ids.items()))

    def request_sent(self, request, spider):
        self.crawler.spider.count(self._owned(request), "requests")

    def response_downloaded(self, response, request, spider):
        self.crawler.spider.count(self._owned(request), "responses")

    def _owned(self, request) -> dict:
        """The request's meta with its owners; a request of no agency (robots.txt) counts for every
        agency of the run on that host."""
        if request.meta.get(OWNERS):
            return request.meta
        host = urlsplit(request.url).hostname
        spider = self.crawler.spider
        return {OWNERS: [s for s, a in spider.agencies.items() if host in a.allowed_domains]}

    def spider_closed(self, spider, reason):
        self.close_run(reason)

    def close_run(self, reason: str, note: str | None = None) -> None:
        """Fill every run row of the crawl from its agency's counts and listing. A row that cannot
        be written (disk full, I/O error) is left as a note beside the archive (RunNotes) for the
        next run to record, and said on stdout; the other rows are still written."""
        self.closed = True
        spider = self.crawler.spider
        archive = archive_for(self.crawler)
        crawl_stats = {k: v for k, v in self.crawler.stats.get_stats().items() if not k.startswith("nianbao/")}
        messages = write_errors(self.crawler)
        try:
            for slug, run_id in self.run_ids.items():
                fields = self._fields(spider, slug, reason, note, messages.get(slug))
                fields["stats"] = json.dumps(crawl_stats | {f"nianbao/{k}": v for k, v in spider.tally[slug].items()},
                                             default=str, ensure_ascii=False, sort_keys=True)
                previous = spider.previous.get(slug, {}).get("run")
                keep_from = run_id if fields["status"] == "ok" else previous
                line = (f"[{slug}] run {run_id} {fields['status']}: {fields['requests']} requests, "
                        f"{fields['pages_new']} new, {fields['pages_changed']} changed, "
                        f"{fields['pages_unchanged']} unchanged, {fields['reports_found']} reports found, "
                        f"{fields['errors']} errors" + (f" ({fields['failure']})" if fields["failure"] else ""))
                try:
                    archive.add_listing(run_id, slug, spider.listing[slug], keep_from=keep_from)
                    archive.finish_run(run_id, **fields)
                except Exception as e:  # noqa: BLE001 - the row could not be written: say so, keep a note
                    error = f"{type(e).__name__}: {e}"
                    fields["status"] = "failing"
                    left = RunNotes(archive.path).add({"run_id": run_id, "kind": "crawl", "agency": slug,
                                                      "error": error, "fields": fields | {"stats": None}})
                    line = (f"[{slug}] run {run_id} NOT RECORDED ({error}); "
                            + ("noted for the next run" if left else "the note failed too") + f": {line}")
                    logger.error(line)
                    print(line, flush=True)
                    continue
                logger.info(line)
                print(line, flush=True)
        finally:
            close_archive(self.crawler)

    @staticmethod
    def _fields(spider, slug: str, reason: str, note: str | None, not_written=None) -> dict:
        t = spider.tally[slug]
        errors, reports, dead = t["errors"], t["reports_found"], t["errors/dead_links"]
        unwritten = t["write_errors"] + t["invalid_captures"]
        why = [note] if note else []
        if reason != "finished":
            why.append(f"finish reason {reason}")
        if unwritten:
            first = ", ".join(f"{n}× {m}" for m, n in (not_written or Counter()).most_common(2))
            why.append(f"{unwritten} capture(s) not written to the archive" + (f" ({first})" if first else ""))
        if reports == 0:
            why.append("no report found in the column")
        if errors - dead - unwritten:
            by_kind = ", ".join(f"{t[f'errors/{k}']} {k}" for k in ("list", "report", "attachment")
                                if t[f"errors/{k}"])
            why.append(f"{errors - dead - unwritten} failed fetch(es)" + (f" ({by_kind})" if by_kind else ""))
        broken, explained = breakage(spider, slug)
        why += broken
        status = "failing" if why else "ok"
        if dead:
            why.append(f"{dead} dead link(s) (HTTP 404/410)")
        if t["soft_404"]:
            why.append(f"{t['soft_404']} soft 404(s)")
        why += explained
        return dict(finish_reason=reason, status=status, requests=t["requests"], responses=t["responses"],
                    pages_new=t["pages_new"], pages_changed=t["pages_changed"],
                    pages_unchanged=t["pages_unchanged"], reports_found=reports, errors=errors,
                    failure="; ".join(why) or None)


def breakage(spider, slug: str) -> tuple[list[str], list[str]]:
    """What changed since the agency's last ok run: (reasons the run is failing, notes that the
    site explains). Nothing without a previous ok run."""
    prev = spider.previous.get(slug)
    if not prev:
        return [], []
    run, now = prev["run"], spider.listing[slug]
    vanished = [u for u in prev["reports"] if u not in now["reports"]]
    said = {u: spider.rechecks.get(u, "not asked again") for u in vanished}
    explained = [u for u in vanished if said[u].startswith(("removed", "moved"))]
    unexplained = [u for u in vanished if u not in explained]
    found, before = len(now["reports"]), len(prev["reports"])
    fail, notes = [], []
    short = lambda urls: ", ".join(f"{u} ({said[u]})" for u in urls[:3]) + (" …" if len(urls) > 3 else "")  # noqa: E731
    if found < before - len(explained):
        fail.append(f"found {found} reports where the last ok run #{run} found {before}")
    if unexplained:
        fail.append(f"{len(unexplained)} report(s) listed in run #{run} no longer listed: {short(unexplained)}")
    for url, (_, links) in prev["pages"].items():
        if links and url in now["pages"] and now["pages"][url][1] == 0:
            fail.append(f"list page {url} held {links} report link(s) in run #{run}, none now")
    if fail:
        for column in dict.fromkeys(c for c, _ in prev["pages"].values()):
            pages_now = sum(1 for c, _ in now["pages"].values() if c == column)
            pages_before = sum(1 for c, _ in prev["pages"].values() if c == column)
            if pages_now < pages_before:
                fail.append(f"column {column} has {pages_now} list page(s), {pages_before} in run #{run}")
    if explained:
        notes.append(f"{len(explained)} report(s) no longer listed, as the site says: {short(explained)}")
    return fail, notes


def close_unfinished_runs(crawlers, note: str) -> list[int]:
    """Close the row of every crawler whose spider opened (its row is `running`) but never closed:
    finish reason `shutdown`, status `failing`, `note` first in `failure`. Returns their run ids.

    Safe to call more than once and from a reactor shutdown trigger (nothing else is running then);
    a crawler that never opened its spider has no row and is left alone."""
    closed = []
    for crawler in crawlers:
        extensions = getattr(getattr(crawler, "extensions", None), "middlewares", ())
        recorder = next((e for e in extensions if isinstance(e, RunRecorder)), None)
        if recorder is None or not recorder.run_ids or recorder.closed:
            continue
        engine = getattr(crawler, "engine", None)
        starting = engine is not None and not engine.running and engine.spider is not None
        try:
            recorder.close_run("shutdown", note + (" (it was still starting)" if starting else ""))
        except sqlite3.Error as e:  # say so and close the others; the next run of it closes it (close_run notes its own write failures)
            logger.error("could not close runs %s: %s", list(recorder.run_ids.values()), e)
            continue
        closed.extend(recorder.run_ids.values())
    return closed
