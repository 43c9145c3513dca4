#!/usr/bin/env python
"""nianbao's command line: the nightly scheduler, manual runs, the extractor pass and the archive's status.

    python scheduler.py [--db PATH] [--replica] [--at HH:MM] ...   scheduler in the foreground
    python scheduler.py run [AGENCY ...] [--db PATH] [--replica]     crawl now, then extract, then a summary
    python scheduler.py extract [--all] [--db PATH]                  the extractor pass only
    python scheduler.py status [--db PATH] [--json]                  per agency: runs, reports by year, gaps
    python scheduler.py verify [--db PATH] [--sample N]              integrity_check + every body's sha256
    python scheduler.py warc export|import ...                       WARC out (with a CDXJ index) and in
    python scheduler.py export [--out DIR] [--agency SLUG ...]       the panel, summary, checks, codebook: CSV + XLSX
    python scheduler.py probe [AGENCY ...] [--all] [--replica]       what a first run will find, per agency
    python scheduler.py run --scrapyd URL [--scrapyd URL ...] [--shard-by province|family]
                                                                     the run as shards on Scrapyd nodes, merged
    python scheduler.py merge SHARD.db ... [--into PATH]             shard archives into the central one

The nightly job (APScheduler 3, BlockingScheduler, Asia/Shanghai) crawls every agency in one child
process, then runs the extractor pass in another: crawl then extract, always in that order. See
docs/scheduler.md.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from batch import (ArchiveLock, BatchError, Runner, check_agencies, check_chromium, check_db,
                           load_registry, record_run)
from archive.db import open_db
from archive.status import agency_status, batch_summary, format_status, last_report_year, local_time

TZ = ZoneInfo("Asia/Shanghai")
JOB_ID = "nightly"


def say(*parts) -> None:
    """Progress lines: Beijing time, flushed at once (they go to a terminal or the journal)."""
    print(datetime.now(TZ).strftime("[%H:%M:%S]"), *parts, flush=True)


def batch_id(kind: str, at: datetime | None = None) -> str:
    """`nightly-20260301T183000Z`: sortable, so a restart can tell whether a night was handled."""
    return f"{kind}-{(at or datetime.now(timezone.utc)).astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"


# ---------------------------------------------------------------- the nightly trigger

def parse_months(spec: str) -> set[int]:
    """'1-4' or '1,2,3,12' -> month numbers."""
    months = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lo, _, hi = part.partition("-")
        months.update(range(int(lo), int(hi or lo) + 1))
    if not months or not months <= set(range(1, 13)):
        raise ValueError(f"bad month list: {spec!r}")
    return months


def nightly_trigger(at: str, season: str, off_season_day: str) -> OrTrigger | CronTrigger:
    """Daily at `at` in the report season's months, weekly on `off_season_day` in the others."""
    hour, minute = (int(x) for x in at.split(":"))
    months = parse_months(season)
    daily = CronTrigger(month=",".join(map(str, sorted(months))), hour=hour, minute=minute, timezone=TZ)
    rest = sorted(set(range(1, 13)) - months)
    if not rest or off_season_day in ("", "none"):
        return daily
    weekly = CronTrigger(month=",".join(map(str, rest)), day_of_week=off_season_day, hour=hour,
                         minute=minute, timezone=TZ)
    return OrTrigger([daily, weekly])


def missed_night(trigger, db_path: str, now: datetime) -> datetime | None:
    """The last scheduled time before `now` if the archive shows it was never handled, else None.

    "Handled" = some runs row of a nightly batch (crawl, failed or missed) at or after it. Used as
    the job's first next_run_time, so APScheduler itself runs it (within the misfire grace time)
    or reports it missed. A fresh archive (no nightly batch yet) has nothing to catch up.
    """
    prev, t = None, trigger.get_next_fire_time(None, now - timedelta(days=8))
    while t and t <= now:
        prev, t = t, trigger.get_next_fire_time(t, t + timedelta(seconds=1))
    if prev is None:
        return None
    db = open_db(db_path)
    try:
        any_night = db.execute("SELECT 1 FROM runs WHERE batch LIKE 'nightly-%' LIMIT 1").fetchone()
        handled = db.execute("SELECT 1 FROM runs WHERE batch >= ? AND batch LIKE 'nightly-%' LIMIT 1",
                             [batch_id("nightly", prev)]).fetchone()
    finally:
        db.conn.close()
    return prev if any_night and not handled else None


# ---------------------------------------------------------------- shared pieces

def start_replica():
    """The bundled replica web on a free loopback port (children reach it through http_proxy)."""
    try:
        from replica.server import ReplicaServer
        server = ReplicaServer().start()
    except Exception as e:  # noqa: BLE001 - any reason the replica cannot come up
        raise BatchError(f"cannot start the replica web: {type(e).__name__}: {e}") from None
    say(f"replica web serving at {server.proxy_url}")
    return server


def stop_replica(server, log_path: str | None) -> None:
    """Stop the replica; with --replica-log, write its request log there (JSON lines)."""
    server.stop()
    if log_path:
        with open(log_path, "w", encoding="utf-8") as f:
            for rec in server.log:
                f.write(json.dumps(rec.as_dict(), ensure_ascii=False) + "\n")


def install_stop(runner: Runner, then=None) -> None:
    """SIGTERM/SIGINT: stop the running child gracefully (bounded), run nothing more, then `then()`."""
    count = 0

    def handler(signum, frame):
        nonlocal count
        count += 1
        if count == 1:
            say(f"{signal.Signals(signum).name}: shutting down")
            runner.stop()
            if then:
                threading.Thread(target=then, name="shutdown", daemon=True).start()
        elif runner._child and runner._child.poll() is None:
            say(f"{signal.Signals(signum).name} again: forcing the child to stop")
            runner._child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class Scheduler(BlockingScheduler):
    """APScheduler's BlockingScheduler, its main thread waking at least once a second.

    CPython runs Python signal handlers in the main thread only, when it runs. A SIGTERM that the
    kernel delivers to another thread (the job's, the replica's) would leave the main thread asleep
    in the scheduler's wait until the next job, hours away, and the handler would not run. Blocking
    the signals in those threads is no cure: children inherit the mask and would ignore the
    graceful SIGINT. (Same loop as APScheduler 3.11's, with the wait capped.)"""

    def _main_loop(self):
        wait_seconds = 1.0
        while self.state != STATE_STOPPED:
            self._event.wait(1.0 if wait_seconds is None else min(wait_seconds, 1.0))
            self._event.clear()
            wait_seconds = self._process_jobs()


# ---------------------------------------------------------------- commands

def cmd_scheduler(args) -> int:
    try:
        trigger = nightly_trigger(args.at, args.season, args.off_season_day)
    except ValueError as e:
        raise BatchError(f"bad schedule (--at {args.at} --season {args.season} "
                         f"--off-season-day {args.off_season_day}): {e}") from None
    registry = load_registry()
    check_db(args.db)
    check_chromium(list(registry), registry)
    now = datetime.now(TZ)
    if args.first_run_in is not None:
        first = now + timedelta(seconds=args.first_run_in)
    else:
        first = missed_night(trigger, args.db, now) or trigger.get_next_fire_time(None, now)
    replica = start_replica() if args.replica else None
    runner = Runner(args.db, proxy_url=replica.proxy_url if replica else None,
                    proxy_spki=replica.tls.spki if replica else None,
                    stop_timeout=args.stop_timeout, echo=say)
    sched = Scheduler(timezone=TZ)

    def nightly():
        registry = load_registry()
        check_db(args.db)
        check_chromium(list(registry), registry)
        outcome = runner.batch(None, batch_id("nightly"), polite=args.polite, log_level=args.log_level,
                               verify_sample=args.verify_sample or None)
        say("nightly run finished" if outcome.ok else f"nightly run: {'; '.join(outcome.failures) or 'stopped'}")
        print(batch_summary(args.db, outcome.first_run_id), flush=True)

    def on_event(event):
        try:
            if event.code == EVENT_JOB_MISSED:
                late = (datetime.now(TZ) - event.scheduled_run_time).total_seconds()
                why = (f"missed the run due {local_time(event.scheduled_run_time.isoformat())} by "
                       f"{late:.0f} s (misfire grace time {args.misfire_grace_time} s)")
                say(why)
                record_run(args.db, kind="missed", status="missed", failure=why,
                           batch=batch_id("nightly", event.scheduled_run_time),
                           started_at=event.scheduled_run_time.astimezone(timezone.utc).isoformat())
            elif event.code == EVENT_JOB_ERROR:
                why = str(event.exception) if isinstance(event.exception, BatchError) else repr(event.exception)
                say(f"nightly run failed: {why}")
                record_run(args.db, kind="failed", status="failed", failure=why,
                           batch=batch_id("nightly", event.scheduled_run_time))
            elif event.code == EVENT_JOB_EXECUTED and not runner.stopping.is_set():
                job = sched.get_job(JOB_ID)
                if job and job.next_run_time:
                    say(f"next run at {job.next_run_time:%Y-%m-%d %H:%M %Z}")
        except Exception as e:  # bookkeeping must never stop the scheduler
            say(f"could not record {event.code} in {args.db}: {e}")

    sched.add_job(nightly, trigger, id=JOB_ID, name="nightly crawl, then extract", next_run_time=first,
                  max_instances=1, coalesce=True, misfire_grace_time=args.misfire_grace_time)
    sched.add_listener(on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR | EVENT_JOB_EXECUTED)
    stopped = threading.Event()

    def shutdown():  # in its own thread: waits for a running job (bounded by the runner's stop)
        deadline = time.monotonic() + 10
        while not sched.running and time.monotonic() < deadline:  # a signal right at start-up
            time.sleep(0.05)
        if sched.running:
            sched.shutdown(wait=True)
        stopped.set()

    install_stop(runner, then=shutdown)
    say(f"scheduler started (db {args.db}); next run at {first:%Y-%m-%d %H:%M:%S %Z}; "
        f"{args.at} daily in months {args.season}, else weekly on {args.off_season_day}")
    try:
        if not runner.stopping.is_set():
            sched.start()  # returns once shutdown() has stopped it
            stopped.wait()
    finally:
        if replica:
            stop_replica(replica, args.replica_log)
    say("scheduler stopped cleanly")
    return 0


def cmd_run(args) -> int:
    registry = load_registry()
    agencies = check_agencies(args.agencies, registry, replica=args.replica)
    check_db(args.db)
    if args.scrapyd or args.shard_by:
        return cmd_run_sharded(args, registry, agencies)
    with ArchiveLock(args.db) as lock:
        check_chromium(agencies, registry)
        replica = start_replica() if args.replica else None
        try:
            runner = Runner(args.db, proxy_url=replica.proxy_url if replica else None,
                    proxy_spki=replica.tls.spki if replica else None,
                            stop_timeout=args.stop_timeout, echo=say)
            install_stop(runner)
            outcome = runner.batch(args.agencies or None, batch_id("manual"), refresh=args.refresh,
                                   polite=args.polite, log_level=args.log_level or "WARNING",
                                   lock=lock)
        finally:
            if replica:
                stop_replica(replica, args.replica_log)
    print(batch_summary(args.db, outcome.first_run_id), flush=True)
    return 0 if outcome.ok else 1


def cmd_run_sharded(args, registry, agencies) -> int:
    """`run --scrapyd URL ...`: the agencies as shards (by province or family) on Scrapyd nodes, each
    job writing its own archive in --shard-dir, merged into --db, then extracted (shards.py)."""
    import shards
    if not args.scrapyd:
        raise BatchError("--shard-by needs the Scrapyd nodes to run the shards on (--scrapyd URL, repeatable)")
    shard_dir = args.shard_dir or os.path.join(os.path.dirname(os.path.abspath(args.db)), "shards")
    from batch import Outcome, last_run_id
    with ArchiveLock(args.db) as lock:
        if args.replica:
            say("--replica with --scrapyd: the nodes must reach the replica web through their own http_proxy")
        runner = Runner(args.db, stop_timeout=args.stop_timeout, echo=say)
        install_stop(runner)
        outcome = Outcome(batch=batch_id("manual"), agencies=agencies, first_run_id=last_run_id(args.db))
        say(f"sharded crawl: {len(agencies)} agencies by {args.shard_by or 'province'} on "
            f"{len(args.scrapyd)} Scrapyd node(s) (batch {outcome.batch})")
        try:
            shards.run_sharded(runner, agencies, registry, outcome, nodes=args.scrapyd,
                               by=args.shard_by or "province", shard_dir=shard_dir, polite=args.polite,
                               log_level=args.log_level or "WARNING", refresh=args.refresh, lock=lock,
                               echo=say)
        except BatchError as e:   # a node that fails part-way: recorded, then the one line
            record_run(args.db, kind="failed", status="failed", failure=f"sharded run: {e}",
                       batch=outcome.batch, finish_reason="shards")
            raise
    print(batch_summary(args.db, outcome.first_run_id), flush=True)
    return 0 if outcome.ok else 1


def cmd_merge(args) -> int:
    """Shard archives into the central one (archive/merge.py), under its lock, then the extract pass."""
    import shards
    from batch import Outcome, last_run_id
    into = args.into or args.db
    check_db(into)
    for path in args.shards:
        if os.path.abspath(path) == os.path.abspath(into):
            raise BatchError(f"{path} is the archive merged into")
        check_db(path, create=False)
    with ArchiveLock(into) as lock:
        runner = Runner(into, stop_timeout=args.stop_timeout, echo=say)
        install_stop(runner)
        outcome = Outcome(batch=batch_id("merge"), first_run_id=last_run_id(into))
        summary = shards.merge_into(runner, args.shards, outcome, lock=lock, echo=say,
                                    extract=args.extract)
    if not summary.captures:
        say("merge: nothing new")
    return 0 if outcome.ok else 1


def cmd_probe(args) -> int:
    """A handful of polite requests per agency (crawler/probe.py, in a child process); the table and a
    verdict per agency on stdout, the rows in the archive's probes table. Exit 0: every agency ok."""
    registry = load_registry()
    unknown = [n for n in args.agencies if n not in registry]
    if unknown:
        raise BatchError(f"unknown agency: {', '.join(unknown)} (see crawler/agencies/)")
    if not args.agencies and not args.all:
        raise BatchError("probe what? name agencies, or --all for every registry entry with a host")
    probed = list(dict.fromkeys(([s for s, a in registry.items() if a.host] if args.all else []) + args.agencies))
    check_db(args.db)
    from batch import Outcome, last_run_id
    with ArchiveLock(args.db) as lock:
        check_chromium(probed, registry)
        replica = start_replica() if args.replica else None
        try:
            runner = Runner(args.db, proxy_url=replica.proxy_url if replica else None,
                            proxy_spki=replica.tls.spki if replica else None,
                            stop_timeout=args.stop_timeout, echo=say)
            install_stop(runner)
            outcome = Outcome(batch=batch_id("probe"), first_run_id=last_run_id(args.db))
            argv = [sys.executable, "-m", "crawler.probe", *args.agencies, "--db", args.db,
                    "--batch", outcome.batch, "--log-level", args.log_level or "WARNING"]
            argv += (["--all"] if args.all else []) + ([] if args.polite else ["--no-polite"])
            say(f"probe: {len(probed)} agencies (batch {outcome.batch})")
            rc = runner._step("probe", argv, outcome, lock)
        finally:
            if replica:
                stop_replica(replica, args.replica_log)
    from archive.probes import format_table, last_probe_run, rows_of, verdict_lines
    db = open_db(args.db)
    try:
        run_id = last_probe_run(db, outcome.first_run_id)
        rows = rows_of(db, run_id) if run_id else []
    finally:
        db.conn.close()
    if not rows:
        print(f"error: the probe recorded nothing ({'; '.join(outcome.failures) or 'no rows'})", file=sys.stderr)
        return 1
    print(format_table(rows))
    print()
    print(verdict_lines(rows), flush=True)
    return 0 if rc == 0 and all(r["verdict"] == "ok" for r in rows) else 1


def cmd_extract(args) -> int:
    check_db(args.db)
    with ArchiveLock(args.db) as lock:
        from batch import Outcome, last_run_id
        runner = Runner(args.db, stop_timeout=args.stop_timeout, echo=say)
        install_stop(runner)
        outcome = Outcome(batch=batch_id("extract"), first_run_id=last_run_id(args.db))
        runner.extract(outcome, all=args.all, lock=lock)
    print(batch_summary(args.db, outcome.first_run_id), flush=True)
    return 0 if outcome.ok else 1


def cmd_verify(args) -> int:
    """integrity_check and every body's sha256 (or a rolling sample), under the lock; a runs row of kind verify."""
    check_db(args.db)
    with ArchiveLock(args.db) as lock:
        from batch import Outcome, last_run_id
        runner = Runner(args.db, stop_timeout=args.stop_timeout, echo=say)
        install_stop(runner)
        outcome = Outcome(batch=batch_id("verify"), first_run_id=last_run_id(args.db))
        rc = runner.verify(outcome, sample=args.sample, lock=lock)
    return 0 if rc == 0 and not outcome.stopped else 1


def cmd_status(args) -> int:
    check_db(args.db, create=False)
    registry = load_registry()
    db = open_db(args.db, migrate=False)
    try:
        slugs = list(registry) if args.all else [
            s for s in registry if db.execute("SELECT 1 FROM runs WHERE agency = ? UNION SELECT 1 FROM reports "
                                              "WHERE agency = ? LIMIT 1", [s, s]).fetchone()]
        rows = agency_status(db, slugs, last_year=last_report_year())
        from archive.coverage import coverage, format_coverage
        cover = coverage(db) if "coverage" in db.view_names() else []
    finally:
        db.conn.close()
    if args.json:
        print(json.dumps({"agencies": rows, "coverage": cover} if args.coverage else rows,
                         ensure_ascii=False, indent=1))
    else:
        print(format_status(rows, {k: v.name for k, v in registry.items()}))
        if cover:
            print()
            print(format_coverage(cover))
    return 0


def cmd_export(args) -> int:
    check_db(args.db, create=False)
    from archive.export import export
    counts = export(args.db, args.out, args.agencies)
    say(f"exported to {args.out}: " + ", ".join(f"{n} {name} rows" for name, n in counts.items())
        + " (CSV, UTF-8 with BOM) and nianbao.xlsx")
    return 0


def cmd_warc(args) -> int:
    """WARC export (read-only; OUT.cdxj beside it) and import (one run of kind import, under the lock)."""
    from archive.store import Archive
    from archive.warc import WarcError, export_warc, import_warc
    try:
        if args.warc_command == "export":
            check_db(args.db, create=False)
            db = open_db(args.db, migrate=False)
            try:
                summary = export_warc(db, args.out, agencies=args.agency, since=args.since,
                                      source=os.path.abspath(args.db))
            finally:
                db.conn.close()
            say(summary.line())
            return 0
        registry = load_registry()
        check_agencies([args.agency], registry)
        check_db(args.db)
        with ArchiveLock(args.db):
            archive = Archive(args.db)
            try:
                archive.sync_agencies([registry[args.agency]])
                summary = import_warc(archive, args.file, agency=args.agency, batch=batch_id("import"))
            finally:
                archive.close()
        print("\n".join(summary.lines()), flush=True)
        return 0 if summary.ok else 1
    except (WarcError, OSError) as e:
        raise BatchError(str(e)) from None


# ---------------------------------------------------------------- argument parsing

def add_crawl_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """--replica, --polite, --stop-timeout: real defaults at the top level, none in subcommands
    (so `scheduler.py --replica run` and `scheduler.py run --replica` both work)."""
    default = (lambda v: v) if top else (lambda v: argparse.SUPPRESS)
    parser.add_argument("--replica", action="store_true", default=default(False),
                        help="crawl the bundled replica web (started on a free loopback port) "
                             "instead of the real sites; implies --no-polite")
    parser.add_argument("--polite", action=argparse.BooleanOptionalAction, default=default(None),
                        help="crawl with delays and autothrottle (default: on, off with --replica)")
    parser.add_argument("--stop-timeout", type=float, default=default(60.0), metavar="S",
                        help="on SIGTERM/SIGINT wait this long for a running child (default 60)")
    parser.add_argument("--log-level", default=default(None), metavar="LEVEL",
                        help="the crawl's Scrapy log level (default: INFO for the scheduler, "
                             "WARNING for run)")
    parser.add_argument("--replica-log", default=default(None), metavar="FILE",
                        help="with --replica: write the replica's request log to FILE (JSON lines)")
    parser.add_argument("--progress-every", type=float, default=default(None), metavar="S",
                        help="progress on stderr while crawling and extracting: a live bar on a terminal, "
                             "else a line every S seconds (default $NIANBAO_PROGRESS_EVERY or 60; 0: none)")


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS,
                        help="the archive (default: $NIANBAO_DB or archive.db)")
    parser = argparse.ArgumentParser(
        prog="scheduler.py", description=__doc__.split("\n\n")[0],
        epilog="Without a command: run the scheduler in the foreground until SIGTERM/SIGINT. "
               "Commands: run, extract, status, verify, warc, export, probe, merge (each has --help).")
    parser.add_argument("--db", default=env("NIANBAO_DB", "archive.db"),
                        help="the archive (default: $NIANBAO_DB or archive.db)")
    net = argparse.ArgumentParser(add_help=False)
    add_crawl_options(net, top=False)
    add_crawl_options(parser, top=True)
    parser.set_defaults(command=None)
    parser.add_argument("--at", default=env("NIANBAO_AT", "02:30"), metavar="HH:MM",
                        help="time of the nightly run, Asia/Shanghai (default $NIANBAO_AT or 02:30)")
    parser.add_argument("--season", default=env("NIANBAO_SEASON", "1-4"), metavar="MONTHS",
                        help="months with a daily run (report season; default $NIANBAO_SEASON or 1-4)")
    parser.add_argument("--off-season-day", default=env("NIANBAO_OFF_SEASON_DAY", "mon"), metavar="DAY",
                        help="weekday of the weekly run in other months, or 'none' "
                             "(default $NIANBAO_OFF_SEASON_DAY or mon)")
    parser.add_argument("--misfire-grace-time", type=int, default=6 * 3600, metavar="S",
                        help="a run missed by less than this still runs, once (default 21600 = 6 h)")
    parser.add_argument("--verify-sample", type=int, default=int(env("NIANBAO_VERIFY_SAMPLE", "1000")), metavar="N",
                        help="after each nightly extract, verify N bodies' sha256 (a rolling sample) and "
                             "integrity_check; 0 = never (default $NIANBAO_VERIFY_SAMPLE or 1000)")
    parser.add_argument("--first-run-in", type=float, metavar="S", help=argparse.SUPPRESS)  # testing

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", parents=[common, net], help="crawl now (all or the named agencies), then extract",
                         description="Crawl now in a child process (all agencies, or those named), then run "
                                     "the extractor pass; prints progress and a per-agency summary.")
    run.add_argument("agencies", nargs="*", metavar="AGENCY", help="agency slugs (default: all)")
    run.add_argument("--refresh", action="store_true",
                     help="re-fetch report pages already archived (conditionally)")
    run.add_argument("--scrapyd", action="append", metavar="URL",
                     help="run the agencies as shards on this Scrapyd node (repeatable; docs/scheduler.md, Shards): "
                          "one job per shard, each writing its own archive, merged into --db, then extracted")
    run.add_argument("--shard-by", choices=["province", "family"],
                     help="with --scrapyd: one shard per province (default) or site family; shards sharing a "
                          "host are joined")
    run.add_argument("--shard-dir", metavar="DIR",
                     help="with --scrapyd: where the jobs write archive-SHARD.db, kept for the next run "
                          "(default: shards/ beside --db; on the nodes' machines too)")
    mrg = sub.add_parser("merge", parents=[common], help="merge shard archives into the central archive",
                         description="Merge shard archives (written by sharded runs' Scrapyd jobs, or any "
                                     "crawl into another archive) into the central one: runs and captures with "
                                     "their origin (merge_origins, merged_runs, merged_captures), bodies "
                                     "deduplicated by sha256, listings; then the extract pass re-reads the "
                                     "reports. Merging a shard again copies nothing twice. A runs row of kind "
                                     "merge. Exit 1 when some shard could not be merged.")
    mrg.add_argument("shards", nargs="+", metavar="SHARD.db")
    mrg.add_argument("--into", metavar="PATH", help="the central archive (default: --db)")
    mrg.add_argument("--extract", action=argparse.BooleanOptionalAction, default=True,
                     help="run the extract pass when captures came in (default: on)")
    mrg.add_argument("--stop-timeout", type=float, default=60.0, metavar="S", help=argparse.SUPPRESS)
    probe = sub.add_parser("probe", parents=[common, net], help="what a first run will find, per agency",
                           description="A handful of polite requests per agency (robots.txt, the home page "
                                       "on http and https, the column's first pages): reachable, robots.txt, "
                                       "scheme, JS challenge, the platform against the registry's, the report "
                                       "column and the reports per year; a verdict per agency. Rows in the "
                                       "archive's probes table (a runs row of kind probe). Exit 0 when every "
                                       "agency is ok, 1 when some need attention.")
    probe.add_argument("agencies", nargs="*", metavar="AGENCY", help="agency slugs")
    probe.add_argument("--all", action="store_true", help="every registry entry with a host")
    ext = sub.add_parser("extract", parents=[common], help="run the extractor pass on the archive",
                         description="Extract reports from captures not yet extracted by this extractor "
                                     "version (--all: everything again).")
    ext.add_argument("--all", action="store_true", help="re-extract every capture")
    st = sub.add_parser("status", parents=[common], help="per agency: last run, reports by year, missing years",
                        description="Per agency: last crawl and its status, last success, reports archived "
                                    "by year, years missing since the first report; then the registry's "
                                    "coverage by province and level. Read-only.")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.add_argument("--all", action="store_true",
                    help="every registry agency (default: those the archive has runs or reports of)")
    st.add_argument("--coverage", action="store_true",
                    help="with --json: {agencies, coverage} (the coverage by province and level too)")
    exp = sub.add_parser("export", parents=[common], help="the dataset for spreadsheets: CSV (BOM) and XLSX",
                         description="Write the figures in long form (panel), one row per agency-year "
                                     "(summary), the checks and a codebook, as CSV (UTF-8 with BOM) and one "
                                     "XLSX workbook. Read-only; one snapshot of the archive.")
    exp.add_argument("--out", default="export", metavar="DIR", help="output directory (default ./export)")
    exp.add_argument("--agency", action="append", dest="agencies", metavar="SLUG", help="only this agency")
    ver = sub.add_parser("verify", parents=[common], help="integrity_check and every body's sha256",
                         description="Run PRAGMA integrity_check and check every body against its sha256 "
                                     "(or a rolling sample), printing each mismatch; exit 1 on any. Records "
                                     "a runs row of kind verify.")
    ver.add_argument("--sample", type=int, metavar="N",
                     help="only N bodies, continuing where the last verify stopped (wrapping round)")
    warc = sub.add_parser("warc", help="export the archive as WARC, or import another crawler's WARC",
                          description="WARC/1.1 out and in (docs/warc.md).")
    wsub = warc.add_subparsers(dest="warc_command", metavar="export|import", required=True)
    wex = wsub.add_parser("export", parents=[common], help="captures to OUT.warc.gz, its index to OUT.cdxj",
                          description="Write the captures (all, or of the named agencies, fetched since a "
                                      "date) as gzipped WARC/1.1 with a CDXJ index beside it. Read-only.")
    wex.add_argument("out", metavar="OUT.warc.gz")
    wex.add_argument("--agency", action="append", metavar="SLUG", help="only this agency (repeatable)")
    wex.add_argument("--since", metavar="DATE", help="only captures fetched at or after DATE (UTC; "
                                                     "YYYY-MM-DD or an ISO time)")
    wim = wsub.add_parser("import", parents=[common], help="a WARC's captures into the archive, as one run",
                          description="Import the HTTP responses and revisits of a WARC (browsertrix, "
                                      "Heritrix, wget --warc-file, ours) as captures of the agency, in one "
                                      "run of kind import. Exit 1 when some records were bad.")
    wim.add_argument("file", metavar="FILE.warc.gz")
    wim.add_argument("--agency", required=True, metavar="SLUG", help="the agency the captures belong to")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    if args.polite is None:
        args.polite = not args.replica
    if getattr(args, "progress_every", None) is not None:   # every Runner of this process reads it
        os.environ["NIANBAO_PROGRESS_EVERY"] = str(args.progress_every)
    if getattr(args, "season", None):   # the crawl child revalidates every held report in the season
        os.environ["NIANBAO_SEASON"] = args.season
    commands = {None: cmd_scheduler, "run": cmd_run, "extract": cmd_extract, "status": cmd_status,
                "warc": cmd_warc, "verify": cmd_verify, "export": cmd_export,
                "probe": cmd_probe, "merge": cmd_merge}
    try:
        return commands[args.command](args)
    except sqlite3.DatabaseError as e:  # a database that went bad after the checks
        print(f"error: {args.db}: {e}", file=sys.stderr)
        return 2
    except BatchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
