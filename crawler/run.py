"""Crawl runner (the scheduler calls this in a child process).

    python -m crawler.run [AGENCY ...] [--db PATH] [--batch ID] [--refresh] [--polite/--no-polite]
                          [--set NAME=VALUE ...] [--log-level LEVEL]

Runs the named agencies' spiders (default: all in the registry) in ONE CrawlerProcess, so
per-domain politeness is shared. Exit 0 when every crawl finished (even failing ones: the runs
table says), 2 on an unknown agency or an unusable archive, 1 if the crawl itself broke.
"""
from __future__ import annotations

import argparse
import os
import sys


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


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from crawler.registry import agencies
    known = agencies()
    unknown = [a for a in args.agencies if a not in known]
    if unknown:
        print(f"crawler.run: unknown agency {', '.join(unknown)} (known: {', '.join(known)})",
              file=sys.stderr)
        return 2
    slugs = args.agencies or list(known)

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
    process = CrawlerProcess(settings)
    print(f"crawler.run: crawling {', '.join(slugs)} into {db}", flush=True)
    crawlers = []
    for slug in slugs:
        crawler = process.create_crawler(slug)
        crawlers.append(crawler)
        process.crawl(crawler)
    process.start()
    broken = [c for c in crawlers if getattr(c.spider, "run_id", None) is None]
    if broken:
        print(f"crawler.run: {len(broken)} crawl(s) never started", file=sys.stderr)
        return 1
    print("crawler.run: done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
