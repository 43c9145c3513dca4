"""Every report of the replica web, extracted and compared with the corpus ground truth: metadata, headline
summary, every table figure, failed checks. The reports of the agencies the main job crawls (every crawlable
agency the replica serves) are compared, figure for figure with differences() below, through the crawl and
the archive by tests/test_e2e.py; the rest (the departments the registry does not know, in the shared
columns) here: fetched through the replica server as a crawler would (HTTP through its proxy; a JS
challenge passed once with real Chromium for its cookie) and extracted. A page whose figures sit in an
attachment is extracted with that attachment, as the pass does."""
from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import pytest

from archive.extract.extract import extract_document
from archive.extract.meta import load_registry
from archive.extract.run import merge_page_attachment
from tests.conftest import CHROMIUM_ARGS

META = ("year", "title", "published", "published_time", "index_no", "publisher", "doc_no", "format")
TABLES = ("2", "3", "4", "indicator")


def challenge_cookies(server, chromium_path, url) -> str:
    """Pass the site's JS challenge in real Chromium through the replica proxy; return its cookies."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS,
                                    proxy={"server": server.proxy_url})
        try:
            page = browser.new_page()
            page.goto(url, wait_until="load", timeout=30000)
            page.wait_for_function("document.cookie.length > 0", timeout=30000)
            page.wait_for_load_state("load")
            cookies = page.context.cookies()
        finally:
            browser.close()
    return "; ".join(f"{c['name']}={c['value']}" for c in cookies)


class Fetcher:
    def __init__(self, server, chromium_path):
        self.server, self.chromium_path = server, chromium_path
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": server.proxy_url, "https": server.proxy_url}),
            urllib.request.HTTPSHandler(context=server.tls.client_context()))
        self.cookies: dict[str, str] = {}

    def get(self, url: str) -> tuple[bytes, str | None]:
        host = urlsplit(url).hostname
        req = urllib.request.Request(url, headers={"Cookie": self.cookies.get(host, "")})
        try:
            resp = self.opener.open(req, timeout=20)
        except urllib.error.HTTPError as e:
            if e.code != 412 or host in self.cookies:
                raise
            self.cookies[host] = challenge_cookies(self.server, self.chromium_path, url)
            return self.get(url)
        return resp.read(), resp.headers.get("Content-Type")


def extract_report(fetch: Fetcher, truth: dict) -> dict:
    data, ctype = fetch.get(truth["url"])
    result = extract_document(data, url=truth["url"], content_type=ctype)
    if not any(s["table"] != "summary" for s in result["stats"]):
        for link in result["links"]:
            adata, actype = fetch.get(link["url"])
            att = extract_document(adata, url=link["url"], content_type=actype)
            if any(s["table"] != "summary" for s in att["stats"]):
                return merge_page_attachment(result, att)
    return result


def _same_time(got: str | None, want: str | None) -> bool:
    """Equal, or equal to the minute where the page prints minutes only (Hubei's TRS pages show
    `发布时间：YYYY-MM-DD HH:MM` while the truth keeps the CMS's seconds)."""
    return got == want or (got is not None and want is not None and len(got) == 16 and want[:16] == got)


def differences(result: dict, truth: dict) -> list[str]:
    out = []
    registry = load_registry()
    if truth["agency"] in registry:
        if result["agency_slug"] != truth["agency"]:
            out.append(f"agency_slug {result['agency_slug']!r} != {truth['agency']!r}")
    elif result["agency"] != truth["agency_name"]:
        out.append(f"agency {result['agency']!r} != {truth['agency_name']!r}")
    for key in META:
        if key == "published_time" and _same_time(result.get(key), truth.get(key)):
            continue
        if result.get(key) != truth.get(key):
            out.append(f"{key} {result.get(key)!r} != {truth.get(key)!r}")
    for key, value in truth["summary"].items():
        if result["summary"].get(key) != value:
            out.append(f"summary.{key} {result['summary'].get(key)!r} != {value!r}")
    got = {(s["table"], s["row"], s["col"]): s["value"] for s in result["stats"] if s["table"] in TABLES}
    want = {(s["table"], s["row"], s["col"]): s["value"] for s in truth["stats"]}
    wrong = sorted(f"{k}: {got.get(k)!r} != {v!r}" for k, v in want.items() if got.get(k) != v)
    extra = sorted(str(k) for k in got if k not in want)
    if wrong:
        out.append(f"{len(wrong)} stats missing/wrong, e.g. {wrong[:3]}")
    if extra:
        out.append(f"{len(extra)} extra stats, e.g. {extra[:3]}")
    failed = sorted(c["name"] for c in result["checks"] if not c["passed"])
    if failed != sorted(truth["checks_failed"]):
        out.append(f"failed checks {failed} != {sorted(truth['checks_failed'])}")
    return out


@pytest.mark.timeout(600)
def test_every_replica_report_matches_truth(replica, chromium_path):
    from batch import default_agencies
    fetch = Fetcher(replica, chromium_path)
    crawled = set(default_agencies(replica=True))     # test_e2e's: every report of theirs, through the archive
    everything = replica.truth()
    truths = [t for t in everything if t["agency"] not in crawled]
    assert len(everything) >= 100 and len(truths) >= 20
    problems = {}
    for t in truths:
        try:
            diff = differences(extract_report(fetch, t), t)
        except Exception as e:  # one report's failure is reported with the others
            diff = [f"{type(e).__name__}: {e}"]
        if diff:
            problems[t["url"]] = diff
    report = "\n".join(f"{url} ({len(d)}): " + "; ".join(d) for url, d in sorted(problems.items()))
    assert not problems, f"{len(problems)} of {len(truths)} reports differ from truth:\n{report}"
