"""Scrapy add-ons of the nianbao project."""
from __future__ import annotations

# Above settings.py ("project", 20), below `-s` on the command line ("cmdline", 40).
_PRIORITY = 30

RELAXED = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "RETRY_BACKOFF_BASE": 0.2,
    "RETRY_BACKOFF_MAX": 1.0,
    "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 8,
}


class Politeness:
    """NIANBAO_POLITE=0 (env or `-s`) relaxes politeness for the replica and the benchmark:
    no delay, no AutoThrottle, more concurrency, short retry back-off. Settings given with
    `-s` still win."""

    def update_settings(self, settings) -> None:
        if settings.getbool("NIANBAO_POLITE", True):
            return
        for name, value in RELAXED.items():
            settings.set(name, value, priority=_PRIORITY)
