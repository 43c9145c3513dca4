"""Scrapy settings for nianbao. Everything here can be overridden with `-s NAME=VALUE`.

Environment:
  NIANBAO_DB         archive path (default archive.db)          -> ARCHIVE_DB
  NIANBAO_POLITE     0 relaxes politeness (replica, benchmark)   -> NIANBAO_POLITE (see crawler/addons.py)
  NIANBAO_BATCH      batch id written on each run row            -> NIANBAO_BATCH
  NIANBAO_REFRESH    1 re-fetches held report pages/attachments  -> NIANBAO_REFRESH
  NIANBAO_REVALIDATE 0 never asks about held report pages again (default 1: crawler.middlewares.Revalidation)
  NIANBAO_SEASON     months in which every held report page is revalidated at every run (default 1-4,
                     Beijing time; the scheduler's --season default reads it too)
  NIANBAO_REVALIDATE_DAYS       outside the season, each held report page once every N days (default 7; 0: never)
  NIANBAO_REVALIDATE_MIN_HOURS  never a page fetched less than N hours ago (default 12)
  NIANBAO_CHROMIUM   Chromium binary (default /usr/bin/chromium)
  http_proxy         used by Scrapy's HttpProxyMiddleware and passed to Chromium
  https_proxy        used by Scrapy's HttpProxyMiddleware for https:// URLs (CONNECT); Chromium's PAC
                     script sends https through the http_proxy too
  NIANBAO_REPLICA_SPKI  replica mode only (batch.py sets it): the base64 sha256 of the replica's
                     certificate key, which Chromium then accepts (--ignore-certificate-errors-spki-list).
                     Scrapy does not verify certificates (its default context factory)
"""
import os

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = ("nianbao/0.1 (+https://github.com/nianbao/nianbao; "
              "archive of government information-disclosure reports)")
ROBOTSTXT_OBEY = True

# --- the archive ------------------------------------------------------------------------
ARCHIVE_DB = os.environ.get("NIANBAO_DB", "archive.db")
NIANBAO_BATCH = os.environ.get("NIANBAO_BATCH")
NIANBAO_REFRESH = os.environ.get("NIANBAO_REFRESH", "0")
NIANBAO_POLITE = os.environ.get("NIANBAO_POLITE", "1")
NIANBAO_REVALIDATE = os.environ.get("NIANBAO_REVALIDATE", "1")
NIANBAO_SEASON = os.environ.get("NIANBAO_SEASON", "1-4")
NIANBAO_REVALIDATE_DAYS = os.environ.get("NIANBAO_REVALIDATE_DAYS", "7")
NIANBAO_REVALIDATE_MIN_HOURS = os.environ.get("NIANBAO_REVALIDATE_MIN_HOURS", "12")
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
EXTENSIONS = {"crawler.extensions.RunRecorder": 100}
ADDONS = {"crawler.addons.Politeness": 0}

# --- politeness (relaxed by crawler.addons.Politeness when NIANBAO_POLITE=0) --------------
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5             # ±50% around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- robustness ---------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 30 * 1024 * 1024
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True          # truncated bodies are failures, not captures
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0                  # seconds before the 1st retry, doubled after
RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.IncrementalMiddleware": 580,
    "crawler.middlewares.BrowserStatusMiddleware": 590,
}
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = True

# --- the asyncio reactor and the browser path (scrapy-playwright) --------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# The scrapy-playwright handler only uses the browser for requests with meta playwright=True,
# but it starts a Playwright driver per handler when the engine starts (~0.7 s CPU each, two
# per crawler). So the spider of an agency with `browser: true` installs these handlers
# (ReportSpider.update_settings); plain-HTTP crawlers keep Scrapy's own.
NIANBAO_BROWSER_DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"],
}
if os.environ.get("http_proxy"):
    # Chromium goes through the same proxy as Scrapy's HttpProxyMiddleware, for the registry's
    # hosts only (a PAC script rather than launch proxy={"server": ...}: see crawler/browser.py)
    from crawler.browser import proxy_pac_arg
    from crawler.registry import all_allowed_domains
    PLAYWRIGHT_LAUNCH_OPTIONS["args"].append(
        proxy_pac_arg(os.environ["http_proxy"], all_allowed_domains()))
if os.environ.get("NIANBAO_REPLICA_SPKI"):
    from crawler.browser import replica_trust_arg
    PLAYWRIGHT_LAUNCH_OPTIONS["args"].append(replica_trust_arg(os.environ["NIANBAO_REPLICA_SPKI"]))
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
# the browser fetches nothing outside the registry's domains, and no images/fonts/media
PLAYWRIGHT_ABORT_REQUEST = "crawler.browser.abort_request"

LOG_LEVEL = os.environ.get("NIANBAO_LOG_LEVEL", "INFO")
FEED_EXPORT_ENCODING = "utf-8"
