"""The probe: what the first run on a real network will find, per registry entry, with a handful of
polite requests (`scheduler.py probe` runs this in a child process, like crawler/run.py).

    python -m crawler.probe [AGENCY ...] [--all] --db PATH [--batch ID] [--polite/--no-polite]

Per agency, through the real Scrapy engine with the crawler's settings (User-Agent, per-host
concurrency and delays, AutoThrottle, timeouts, retries, the proxy; the browser for `browser: true`):

  1. robots.txt of each scheme+host it touches, read once per run and obeyed for every request after
     it (the probe checks it itself, so it can say what it found; redirects are followed by hand,
     so every hop is checked against robots.txt and the agency's allowed domains + its host);
  2. the home page over http and over https (which scheme answers; a redirect to https);
  3. the registry's column and the first two further pages its family names (family.next_pages);
     for family generic, the generic family's discovery from the home page, at most 5 pages.

Nothing is stored but the `probes` rows (archive/probes.py) and the run's `runs` row (kind probe):
no captures. What it reports per agency: reachable (and why not), robots.txt, scheme, a JS challenge
met (412 + cookie script, or a cookie/JS redirect page), the platform the pages show (each family's
`fingerprint`, crawler/families/) against the registry's family / platform, the report column and
how it was found, report titles seen per year, and the verdict: ok, or attention with the reasons.
Exit 0 when the probe ran (whatever it found), 2 on an unknown agency or an unusable archive.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import scrapy
from protego import Protego
from scrapy.http import TextResponse

from crawler.browser import browser_meta
from crawler.families import FAMILIES, family_for, has_fingerprint, load_families
from crawler.links import clean
from crawler.registry import Agency, Column, agencies, get_agency
from crawler.spiders.report import CHALLENGE, SOFT_404, is_column_url, is_report_title

NEXT_PAGES = 2          # further list pages read after the column's first
NAV_PAGES = 5           # pages the generic family's discovery may request
MAX_HOPS = 5            # redirects followed (by hand) per fetch
YEAR = re.compile(r"(?<!\d)(20[012]\d|199\d)(?!\d)")
COOKIE_SCRIPT = re.compile(r"document\.cookie|location\.(?:reload|replace|href)|\$_ts|window\.location", re.I)
ERRORS = {  # exception class name -> the reason as the table says it
    "DNSLookupError": "DNS lookup failed", "ConnectionRefusedError": "connection refused",
    "TimeoutError": "timeout", "TCPTimedOutError": "timeout", "UserTimeoutError": "timeout",
    "ResponseNeverReceived": "connection reset, no response", "ConnectionLost": "connection reset",
    "ConnectionDone": "connection closed", "ConnectError": "cannot connect",
    "TunnelError": "proxy refused the https tunnel", "SSLError": "TLS error",
}
PLATFORM_ALIASES = {"trs-hunan": "trs_hunan", "trs-gx": "trs_guangxi", "trs-xizang": "trs_xizang",
                    "uuid-shtml": "uuid_shtml", "hebei-uuid": "uuid_shtml", "sh-uuid": "uuid_shtml"}


TEXTS = {"DNS lookup failed": "DNS lookup failed", "Connection was refused": "connection refused",
         "timed out": "timeout", "took longer than": "timeout"}


def error_reason(exc: BaseException) -> str:
    """The reason a fetch failed, as the table says it (Scrapy may wrap Twisted's failure:
    DownloadFailedError([Failure(ConnectionLost)]), so its text is read too)."""
    name, text = type(exc).__name__, str(exc)
    if "CONNECT tunnel" in text or name == "TunnelError":
        m = re.search(r"'status': (\d{3})", text)
        return ERRORS["TunnelError"] + (f" (HTTP {m.group(1)})" if m else "")
    if name in ERRORS:
        return ERRORS[name]
    for key, reason in ERRORS.items():
        if key in text:
            return reason
    for key, reason in TEXTS.items():
        if key in text:
            return reason
    return f"{name}: {text}"[:200]


def challenge_of(response) -> str | None:
    """A JS challenge: a 202/403/412 answer holding a cookie-setting / reloading script (Hubei's
    platform), or a near-empty page that only sets a cookie or redirects by script."""
    if not isinstance(response, TextResponse):
        return None
    text = response.text
    scripted = "<script" in text.lower() and COOKIE_SCRIPT.search(text)
    if response.status in CHALLENGE and scripted:
        return f"HTTP {response.status} + cookie-setting script"
    if response.status == 200 and scripted and len(response.body) < 20_000:
        visible = clean(" ".join(response.xpath("//body//text()[not(ancestor::script)]").getall()))
        if len(visible) < 20:
            return "cookie/JS redirect page (no content without scripts)"
    return None


def in_domains(host: str, domains) -> bool:
    host = (host or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def platform_name(text: str) -> str:
    """The research's platform guess as a family name: 'trs-hunan?' -> trs_hunan, 'hanweb -> jpaas' ->
    jpaas (where the site went), 'trs / mixed' -> trs; '' when unknown."""
    t = (text or "").lower()
    t = re.sub(r"\[.*?\]|\(.*?\)|\?", "", t).strip()
    if "->" in t:
        t = t.split("->")[-1].strip()
    t = re.split(r"[\s/]", t)[0] if t else ""
    t = PLATFORM_ALIASES.get(t, t.replace("-", "_"))
    return "" if t in ("", "unknown", "legacy") else t


def related(a: str, b: str) -> bool:
    """Family a is b or a kind of b (trs_hubei is a trs), by class, or by name prefix for platforms."""
    fa, fb = FAMILIES.get(a), FAMILIES.get(b)
    if fa and fb:
        return issubclass(fa, fb)
    return a == b or a.startswith(b + "_")


class Fetch:
    """One probe fetch: the response (after redirects followed by hand) or why there is none."""

    def __init__(self, url: str):
        self.url = url
        self.final = url
        self.chain: list[str] = []
        self.response = None
        self.error: str | None = None      # no response: the reason
        self.blocked: str | None = None    # not requested: robots.txt / outside the allowed domains

    @property
    def chain_to_https(self) -> bool:
        return bool(self.chain) and self.url.startswith("http:") and self.final.startswith("https:")

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None

    def describe(self) -> str:
        if self.blocked:
            return self.blocked
        if self.error:
            return self.error
        return f"HTTP {self.status}"


class ProbeSpider(scrapy.Spider):
    name = "nianbao_probe"
    custom_settings = {
        "ROBOTSTXT_OBEY": False,          # the probe reads robots.txt itself and obeys it (see above)
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {"crawler.extensions.RunRecorder": None},
        "DOWNLOADER_MIDDLEWARES": {       # the crawler's, without the archive's incremental one
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.BackoffRetryMiddleware": 550,
            "crawler.middlewares.BrowserStatusMiddleware": 590,
        },
        "RETRY_TIMES": 1,
        "DOWNLOAD_TIMEOUT": 20,
    }

    def __init__(self, agencies=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        slugs = [s for s in (agencies or "").split(",") if s]
        self.probed = [get_agency(s) for s in slugs]
        self.allowed_domains = sorted({d for a in self.probed for d in self._domains(a)})
        self.results: list[dict] = []
        self._downloads: dict[tuple[str, bool], asyncio.Future] = {}
        self._robots: dict[str, asyncio.Future] = {}
        self._in_flight: asyncio.Semaphore | None = None   # CONCURRENT_REQUESTS over all hosts, as a crawl
        load_families()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if any(a.browser for a in spider.probed):
            crawler.settings.set("DOWNLOAD_HANDLERS",
                                 crawler.settings.getdict("NIANBAO_BROWSER_DOWNLOAD_HANDLERS"),
                                 priority="spider")
        return spider

    @staticmethod
    def _domains(a: Agency) -> set[str]:
        hosts = {urlsplit(u).hostname for u in a.columns} | {a.host}
        return {d.lower() for d in (*a.allowed_domains, *hosts) if d}

    async def start(self):
        await asyncio.gather(*(self._probe_safely(a) for a in self.probed))   # each row kept as it is done
        return
        yield  # an async generator that yields nothing: every request goes through engine.download_async

    # -- fetching -------------------------------------------------------------------------------
    def _download(self, url: str, browser: bool) -> asyncio.Future:
        """Each URL once per run (shared hosts and columns), through the engine and its downloader."""
        key = (url, browser)
        if key not in self._downloads:
            meta = {"dont_redirect": True, "handle_httpstatus_all": True, "dont_obey_robotstxt": True}
            if browser:
                meta.update(playwright=True, **browser_meta())
            request = scrapy.Request(url, meta=meta, dont_filter=True)
            self._downloads[key] = asyncio.ensure_future(self._bounded(request))
        return self._downloads[key]

    async def _bounded(self, request):
        """engine.download_async bypasses the scheduler, whose CONCURRENT_REQUESTS bound a crawl; the
        downloader's per-host slots (concurrency, delay, AutoThrottle) hold either way."""
        if self._in_flight is None:
            self._in_flight = asyncio.Semaphore(self.settings.getint("CONCURRENT_REQUESTS", 16))
        async with self._in_flight:
            return await self.crawler.engine.download_async(request)

    async def robots(self, url: str):
        """(Protego parser or None = everything allowed, what robots.txt was) for url's scheme+host."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = asyncio.ensure_future(self._read_robots(origin))
        return await self._robots[origin]

    async def _read_robots(self, origin: str):
        try:
            response = await self._download(origin + "/robots.txt", False)
        except Exception as e:  # noqa: BLE001 - any failure: the host's answer is what the table says
            return None, f"not answered ({error_reason(e)})"
        if response.status == 200 and isinstance(response, TextResponse) and "<html" not in response.text[:500].lower():
            return Protego.parse(response.text), "present"
        return None, f"absent (HTTP {response.status})"

    async def fetch(self, url: str, domains: set[str], browser: bool = False, counter: Counter | None = None) -> Fetch:
        """GET url, following up to MAX_HOPS redirects by hand: each hop on the allowed domains and
        allowed by robots.txt, or not requested."""
        result = Fetch(url)
        ua = self.settings.get("USER_AGENT")
        for _ in range(MAX_HOPS + 1):
            if not in_domains(urlsplit(url).hostname, domains):
                result.blocked = f"not requested: {url} is outside the allowed domains"
                return result
            origin = urlsplit(url)[:2]
            if counter is not None and ("robots", origin) not in counter:
                counter[("robots", origin)] = 1
                counter["requests"] += 1          # its robots.txt, read once per run (shared)
            parser, _ = await self.robots(url)
            if parser is not None and not parser.can_fetch(url, ua):
                result.blocked = f"robots.txt disallows {urlsplit(url).path}"
                return result
            if counter is not None:
                counter["requests"] += 1
            try:
                response = await self._download(url, browser)
            except Exception as e:  # noqa: BLE001 - DNS, refused, timeout, reset, tunnel ...
                result.error = error_reason(e)
                return result
            location = response.headers.get("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                result.chain.append(url)
                url = urljoin(url, location.decode("latin-1"))
                result.final = url
                continue
            result.response, result.final = response, response.url if browser else url
            return result
        result.error = f"more than {MAX_HOPS} redirects"
        return result

    # -- one agency -----------------------------------------------------------------------------
    async def _probe_safely(self, a: Agency) -> None:
        """Probe one agency into self.results (a stopped probe keeps the agencies it finished)."""
        try:
            self.results.append(await self.probe(a))
        except Exception as e:  # noqa: BLE001 - one agency's bug must not lose the others' rows
            self.logger.exception("probe of %s failed", a.slug)
            self.results.append({"agency": a.slug, "verdict": "attention", "why": f"probe error: {type(e).__name__}: {e}",
                    "reachable": 0, "reach": "probe error", "family": a.family, "platform": a.platform,
                    "checked_at": _now()})

    async def probe(self, a: Agency) -> dict:
        counter: Counter = Counter()
        domains = self._domains(a)
        start = a.columns[0] if a.columns else f"http://{a.host}/"
        host = urlsplit(start).hostname
        problems: list[str] = []
        notes: list[str] = []
        row = {"agency": a.slug, "family": a.family or None, "platform": a.platform or None}

        # robots.txt and the home page on both schemes
        home_http, home_https = await asyncio.gather(self.fetch(f"http://{host}/", domains, counter=counter),
                                                     self.fetch(f"https://{host}/", domains, counter=counter))
        row["scheme"] = scheme_of(home_http, home_https)
        column_kind = "discovery" if a.family == "generic" else ("registry" if a.columns else "none")
        pages: list[Fetch] = [home_http, home_https]

        # the column
        entries: list[tuple[str, str]] = []
        column_url, column_how = None, ""
        if column_kind == "registry":
            col = await self.fetch(start, domains, browser=a.browser, counter=counter)
            pages.append(col)
            column_url, column_how, more = await self._registry_column(a, col, domains, counter, entries, problems)
            if "no report on its first" in column_how:
                notes.append(column_how.split(", ", 1)[1] + " (the family reads further)")
            pages += more
        elif column_kind == "discovery":
            column_url, column_how, more = await self._discover(a, start, domains, counter, entries, problems)
            pages += more
        else:
            problems.append("no family and column in the registry (not crawlable)")
            column_how = "none in the registry"

        # reachability: some answer below 500 from the agency's hosts
        answered = [p for p in pages if p.response is not None and p.status < 500]
        row["reachable"] = int(bool(answered))
        main = next((p for p in pages if p.url == start), home_http)
        if answered:
            row["reach"] = f"HTTP {answered[0].status}" if main.response is None else main.describe()
        else:
            tried = [p for p in pages if not p.blocked] or pages
            row["reach"] = tried[0].describe() if tried else "not requested"

        # robots.txt as it stands for the column (or the start page)
        parser, robots_state = await self.robots(start)
        allows = parser is None or parser.can_fetch(start, self.settings.get("USER_AGENT"))
        row["robots_allows"] = int(allows)
        row["robots"] = robots_state + ("" if robots_state.startswith("not") else
                                        (", allows the column" if allows else ", disallows the column"))
        if not allows:
            problems.append(f"robots.txt disallows our User-Agent the column ({urlsplit(start).path})")

        # a JS challenge on any plain fetch
        challenge = next((c for p in pages if p.response is not None and "playwright" not in p.response.flags
                          and (c := challenge_of(p.response))), None)
        row["js_challenge"] = challenge
        if challenge:
            if a.browser:
                passed = any(p.response is not None and "playwright" in p.response.flags and p.status == 200
                             for p in pages)
                notes.append(f"JS challenge ({challenge}) " + ("passed with the browser" if passed
                                                                else "met; the browser did not pass it"))
                if not passed:
                    problems.append(f"JS challenge ({challenge}) not passed by the browser")
            else:
                problems.append(f"JS challenge ({challenge}): set browser: true in the registry")

        # the platform the pages show
        self._platform(a, [p.response for p in pages if p.response is not None], row, problems, notes)

        # reports seen per year
        reports = {}
        for title, url in entries:
            if (is_report_title(title) and not is_column_url(url) and (not a.match or a.names_in(title))
                    and in_domains(urlsplit(url).hostname, domains)):   # an off-site copy is not crawled
                reports.setdefault(url, title)
        years = Counter(m.group(1) for t in reports.values() if (m := YEAR.search(t)))
        row.update(column_url=column_url, column_how=column_how, reports=len(reports), years=dict(years),
                   requests=counter["requests"])
        if not row["reachable"]:
            problems[:] = [f"unreachable ({row['reach']})"]
            notes.clear()
        row["verdict"] = "attention" if problems else "ok"
        row["why"] = "; ".join(dict.fromkeys(problems)) or None
        row["notes"] = "; ".join(dict.fromkeys(notes)) or None
        row["checked_at"] = _now()
        return row

    async def _registry_column(self, a, col: Fetch, domains, counter, entries, problems):
        """The registry's column: does it answer, where, and list reports on its first pages?"""
        more: list[Fetch] = []
        if col.response is None:
            problems.append(f"column not answered ({col.describe()}): {col.url}")
            return None, "registry column not answered", more
        soft = isinstance(col.response, TextResponse) and SOFT_404.search(col.response.text)
        if col.status in (404, 410) or soft:
            why = "soft 404" if soft and col.status == 200 else f"HTTP {col.status}"
            problems.append(f"column moved or gone: the registry's column answers {why}" +
                            (f" (after a redirect to {col.final})" if col.chain else "") + f": {col.url}")
            return None, f"registry column gone ({why})", more
        if col.status >= 400:
            if col.status not in CHALLENGE or not challenge_of(col.response):
                problems.append(f"column answers HTTP {col.status}: {col.url}")
            return None, f"registry column HTTP {col.status}", more
        how = "registry"
        if col.chain:
            problems.append(f"column moved: the registry's column redirects to {col.final} (update the registry)")
            how = "registry, redirected"
        family = family_for(Column(col.url, a.family, (a,)))
        view = col.response.replace(url=col.final) if col.final != col.response.url else col.response
        asked: list[tuple[str, str]] = []   # entries a family makes up (one URL per year): not seen on a page
        if isinstance(view, TextResponse):
            _split_entries(view, family.list_entries(view), entries, asked)
            nexts = [u for u in dict.fromkeys(family.next_pages(view)) if in_domains(urlsplit(u).hostname, domains)]
        else:
            nexts = []
        for url in nexts[:NEXT_PAGES]:
            page = await self.fetch(url, domains, browser=a.browser, counter=counter)
            more.append(page)
            if page.response is not None and page.status < 400 and isinstance(page.response, TextResponse):
                _split_entries(page.response, family.list_entries(page.response), entries, asked)
        listed = [t for t, u in entries if is_report_title(t) and not is_column_url(u)]
        if not listed and asked:   # e.g. hanweb_annual: ask for the latest two years' reports
            latest = sorted((e for e in asked if is_report_title(e[0])),
                            key=lambda e: max(YEAR.findall(e[0]) or ["0"]), reverse=True)[:NEXT_PAGES]
            for title, url in latest:
                page = await self.fetch(url, domains, browser=a.browser, counter=counter)
                more.append(page)
                if (page.status == 200 and isinstance(page.response, TextResponse)
                        and not SOFT_404.search(page.response.text)):
                    entries.append((title, url))
            listed = [t for t, u in entries if is_report_title(t) and not is_column_url(u)]
            nexts = nexts or [u for _, u in latest]
        if not listed and not nexts:
            problems.append(f"the registry's column lists no report and no further page: {col.final}")
            how += ", lists nothing"
        elif not listed:
            how += f", no report on its first {1 + min(len(nexts), NEXT_PAGES)} pages"
        return col.final, how, more

    async def _discover(self, a, start, domains, counter, entries, problems):
        """Family generic: the generic family's discovery from the home page, at most NAV_PAGES pages."""
        family = family_for(Column(start, a.family, (a,)))
        first = await self.fetch(start, domains, counter=counter)
        seen = [first]
        by_url: dict[str, list] = {}
        queue: list[str] = []
        if first.response is not None and first.status < 400 and isinstance(first.response, TextResponse):
            by_url[start] = family.list_entries(first.response)
            queue += family.next_pages(first.response)
        while queue and len(seen) < 1 + NAV_PAGES:
            url = queue.pop(0)
            page = await self.fetch(url, domains, counter=counter)
            seen.append(page)
            if page.response is None or page.status >= 400 or not isinstance(page.response, TextResponse):
                queue += family.fallback(url) if hasattr(family, "fallback") else []
                continue
            by_url[url] = family.list_entries(page.response)
            queue += family.next_pages(page.response)
        found = family.discovered()
        if first.response is None or first.status >= 400:
            problems.append(f"the start page answers {first.describe()}: {start}")
            return None, "not found (start page failed)", seen
        if not found:
            problems.append(f"no report column found from {start} (generic discovery, {len(seen)} pages)")
            return None, "not found by discovery", seen
        root, how = found
        for url, listed in by_url.items():   # the list pages of the column(s) it found (year sub-columns too)
            if url in family.root:
                entries += listed
        return root, "discovery: " + how, seen

    def _platform(self, a, responses, row, problems, notes) -> None:
        """The families whose fingerprint the pages show, against the registry's family (or, for
        generic, the research's platform guess)."""
        hits: dict[str, str] = {}
        for name, cls in FAMILIES.items():
            if not has_fingerprint(cls):
                continue
            for response in responses:
                try:
                    evidence = cls.fingerprint(response)
                except Exception as e:  # noqa: BLE001 - a fingerprint's bug is a note, not a crash
                    self.logger.warning("fingerprint of %s on %s failed: %s", name, response.url, e)
                    evidence = None
                if evidence:
                    hits.setdefault(name, evidence)
                    break
        # the most specific: drop a family when one of its kinds matched too
        best = [n for n in hits if not any(m != n and related(m, n) for m in hits)]
        row["detected"] = ", ".join(sorted(best)) or None
        row["detected_how"] = "; ".join(hits[n] for n in sorted(best)) or None
        registry = a.family if a.family and a.family != "generic" else platform_name(a.platform)
        cls = FAMILIES.get(registry)
        if not registry:
            row["platform_check"] = "unknown"
        elif any(related(n, registry) for n in hits):
            row["platform_check"] = "agree"
        elif a.family and a.family != "generic" and cls is not None and not has_fingerprint(cls):
            row["platform_check"] = "no fingerprint"
            if best:
                notes.append(f"family {registry} has no fingerprint; the pages look like {row['detected']}")
        elif not best:
            row["platform_check"] = "unconfirmed"
        else:
            row["platform_check"] = "differ"
            if a.family and a.family != "generic":
                problems.append(f"platform differs: the registry says {registry}, the pages look like "
                                f"{row['detected']} ({row['detected_how']})")
            else:
                notes.append(f"the research guessed {a.platform}; the pages look like {row['detected']}")


def _split_entries(response, listed, seen: list, asked: list) -> None:
    """Entries whose URL the page holds (a link, a CDATA record, JSON) are seen; the rest a family
    made up (to request), asked."""
    text = response.text.replace("\\/", "/").replace("&amp;", "&")
    for title, url in listed:
        parts = urlsplit(url)
        needle = parts.path.rsplit("/", 1)[-1] + (f"?{parts.query}" if parts.query else "")
        (seen if needle and needle in text else asked).append((title, url))


def scheme_of(http: Fetch, https: Fetch) -> str:
    ok_http = http.response is not None and http.status < 500 and not http.chain_to_https
    ok_https = https.response is not None and https.status < 500
    if http.chain_to_https and ok_https:
        return "http → https"
    if ok_http and ok_https:
        return "both"
    return "http" if ok_http else "https" if ok_https else "none"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------- the child process

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m crawler.probe", description=__doc__.split("\n\n")[0])
    p.add_argument("agencies", nargs="*", metavar="AGENCY")
    p.add_argument("--all", action="store_true", help="every registry entry with a host")
    p.add_argument("--db", help="archive path (default: $NIANBAO_DB or archive.db)")
    p.add_argument("--batch", help="batch id recorded on the run row")
    p.add_argument("--polite", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--log-level", default=None)
    return p.parse_args(argv)


def probe_slugs(names: list[str], every: bool) -> list[str]:
    """The named agencies, or with --all every entry with a host (and those named), registry order."""
    known = agencies()
    if every:
        return list(dict.fromkeys([s for s, a in known.items() if a.host] + list(names)))
    return list(dict.fromkeys(names))


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    known = agencies()
    unknown = [a for a in args.agencies if a not in known]
    if unknown:
        print(f"crawler.probe: unknown agency {', '.join(unknown)}", file=sys.stderr)
        return 2
    slugs = probe_slugs(args.agencies, args.all)
    if not slugs:
        print("crawler.probe: no agency to probe (name some, or --all)", file=sys.stderr)
        return 2
    from scrapy.utils.project import get_project_settings
    settings = get_project_settings()
    db_path = args.db or settings.get("ARCHIVE_DB")
    try:
        from archive.store import Archive
        archive = Archive(db_path)
    except Exception as e:  # noqa: BLE001 - any reason the file cannot be opened as an archive
        print(f"crawler.probe: cannot use archive {db_path}: {e}", file=sys.stderr)
        return 2
    if args.polite is not None:
        settings.set("NIANBAO_POLITE", "1" if args.polite else "0", priority="cmdline")
    if args.log_level:
        settings.set("LOG_LEVEL", args.log_level, priority="cmdline")
    archive.sync_agencies([known[s] for s in slugs])
    run_id = archive.start_run("probe", None, args.batch or os.environ.get("NIANBAO_BATCH"))
    from scrapy.crawler import CrawlerProcess
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ProbeSpider)
    process.crawl(crawler, agencies=",".join(slugs))
    print(f"crawler.probe: probing {len(slugs)} agencies (run {run_id})", flush=True)
    process.start()
    for sig in (signal.SIGINT, signal.SIGTERM):   # the reactor has stopped: a late signal must not lose the rows
        signal.signal(sig, signal.SIG_IGN)
    spider = crawler.spider
    results = list(getattr(spider, "results", []) or [])
    from archive.probes import record
    from archive.store import utcnow
    got = {r["agency"] for r in results}
    for slug in slugs:   # a probe stopped part-way: say so for every agency it did not finish
        if slug not in got:
            results.append({"agency": slug, "verdict": "attention", "why": "probe stopped before this agency was done",
                            "reachable": 0, "reach": "not probed", "family": known[slug].family,
                            "platform": known[slug].platform, "checked_at": _now()})
    record(archive.db, run_id, results)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    bad = sum(r["verdict"] != "ok" for r in results)
    status = "ok" if len(got) == len(slugs) else "failing"
    archive.finish_run(run_id, status=status, finish_reason=str(stats.get("finish_reason", "finished")),
                       requests=int(stats.get("downloader/request_count", 0)),
                       responses=int(stats.get("downloader/response_count", 0)), errors=bad,
                       failure=None if status == "ok" else f"{len(slugs) - len(got)} agencies not probed",
                       finished_at=utcnow())
    archive.close()
    print(f"crawler.probe: done, {len(results)} agencies, {bad} need attention (run {run_id})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
