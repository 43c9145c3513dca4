"""Crawl runner (the scheduler calls this in a child process).

    python -m crawler.run [AGENCY ...] [--db PATH] [--batch ID] [--refresh] [--polite/--no-polite]
                          [--set NAME=VALUE ...] [--log-level LEVEL]

Runs the named agencies (default: all in the registry) in ONE spider of ONE CrawlerProcess
(crawler/spiders/report.py), so politeness holds per host across the whole run, a column shared by
several agencies is read once, and no URL is fetched twice. Exit 0 when every crawl finished (even failing ones: the runs
table says) or was stopped by SIGINT/SIGTERM, 2 on an unknown agency or an unusable archive, 1 if
a crawl never started.

Stopping: one SIGINT/SIGTERM is Scrapy's graceful stop, a second forces it. Whatever the way out,
every `runs` row this process opened is closed before it exits: Scrapy's graceful stop skips a
crawler whose engine is still starting (scrapy/scrapy#6916; scrapy-playwright launches its driver
while the engine starts), so its spider_closed never fires; the runner closes those rows itself
(`close_unfinished_runs`) when the reactor shuts down and again after it returned. A signal that
comes before the reactor runs is held and handed to Scrapy's handler once it is installed.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__.split("\n\n")[0])
    p.add_argument("agencies", nargs="*", metavar="AGENCY", help="registry slugs (default: all)")
    p.add_argument("--db", help="archive path (default: $NIANBAO_DB or archive.db)")
    p.add_argument("--batch", help="batch id recorded on each run row")
    p.add_argument("--refresh", action="store_true",
                   help="re-fetch (conditionally) report pages and attachments already held")
    p.add_argument("--polite", action=argparse.BooleanOptionalAction, default=None,
                   help="politeness on (default, or $NIANBAO_POLITE) / off for replicas")
    p.add_argument("--set", "-s", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy setting")
    p.add_argument("--log-level", default=None, help="Scrapy log level (default INFO)")
    return p.parse_args(argv)


class StopSignals:
    """SIGINT/SIGTERM for the whole life of the runner.

    Until Scrapy's reactor runs, a signal is only remembered (no KeyboardInterrupt half way through
    building the crawlers). Once the reactor runs and Scrapy has installed its own handlers,
    `hand_over()` wraps them (to remember that a stop was asked for) and re-sends a signal that
    came early, so Scrapy's graceful stop handles it.
    """

    def __init__(self):
        self.received: int | None = None
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._remember)

    def _remember(self, signum, _frame) -> None:
        self.received = self.received or signum

    def hand_over(self) -> None:
        for sig in STOP_SIGNALS:
            scrapy_handler = signal.getsignal(sig)
            if callable(scrapy_handler) and scrapy_handler != self._remember:
                signal.signal(sig, self._wrap(scrapy_handler))
        if self.received:
            os.kill(os.getpid(), self.received)

    def _wrap(self, handler):
        def remember_then_scrapy(signum, frame):
            self._remember(signum, frame)
            handler(signum, frame)
        return remember_then_scrapy

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""


def main(argv=None) -> int:
    stop = StopSignals()
    args = parse_args(argv)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from crawler.registry import agencies, crawlable
    known = agencies()
    unknown = [a for a in args.agencies if a not in known]
    if unknown:
        print(f"crawler.run: unknown agency {', '.join(unknown)} (known: {', '.join(known)})",
              file=sys.stderr)
        return 2
    slugs = args.agencies or crawlable()

    from scrapy.utils.project import get_project_settings
    settings = get_project_settings()
    db = args.db or settings.get("ARCHIVE_DB")
    try:
        from archive.store import Archive
        Archive(db).close()
    except Exception as e:  # noqa: BLE001 - any reason the file cannot be opened as an archive
        print(f"crawler.run: cannot use archive {db}: {e}", file=sys.stderr)
        return 2
    settings.set("ARCHIVE_DB", db, priority="cmdline")
    if args.batch:
        settings.set("NIANBAO_BATCH", args.batch, priority="cmdline")
    if args.refresh:
        settings.set("NIANBAO_REFRESH", "1", priority="cmdline")
    if args.polite is not None:
        settings.set("NIANBAO_POLITE", "1" if args.polite else "0", priority="cmdline")
    if args.log_level:
        settings.set("LOG_LEVEL", args.log_level, priority="cmdline")
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"crawler.run: --set wants NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        settings.set(name, value, priority="cmdline")

    from scrapy.crawler import CrawlerProcess
    from crawler.extensions import close_unfinished_runs
    process = CrawlerProcess(settings)
    print(f"crawler.run: crawling {', '.join(slugs)} into {db}", flush=True)
    crawler = process.create_crawler("nianbao")
    crawlers = [crawler]
    process.crawl(crawler, agencies=",".join(slugs))
    if stop.received:  # nothing has opened yet: no row to close
        print(f"crawler.run: stopped by {stop.name} before any crawl started", flush=True)
        return 0

    from twisted.internet import reactor  # the one the first crawler installed (asyncio)

    closed: list[int] = []

    def close_rows() -> None:
        by = f" by {stop.name}" if stop.received else ""
        note = f"crawl stopped{by} before Scrapy closed the spider"
        closed.extend(close_unfinished_runs(crawlers, note))

    # Scrapy installs its signal handlers in an "after startup" trigger; ours runs after those.
    reactor.callWhenRunning(reactor.callLater, 0, stop.hand_over)
    reactor.addSystemEventTrigger("before", "shutdown", close_rows)  # graceful or forced stop
    process.start()
    # The reactor has stopped: what is left is closing rows and exiting. Python restores the
    # default handlers while it finalizes (which can take a second: executor threads are joined),
    # and a second signal then turned a clean exit into "killed by SIGINT". Ignore them from here
    # (a stuck exit still yields to SIGKILL).
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    close_rows()  # a spider that opened while the reactor was shutting down
    if stop.received:
        print(f"crawler.run: stopped by {stop.name}"
              + (f"; closed {len(closed)} run(s) Scrapy left open" if closed else ""), flush=True)
        return 0
    broken = [c for c in crawlers if getattr(c.spider, "run_id", None) is None]
    if broken:
        print(f"crawler.run: {len(broken)} crawl(s) never started", file=sys.stderr)
        return 1
    print("crawler.run: done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
