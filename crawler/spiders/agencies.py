"""One spider per crawlable registry agency, generated from crawler/agencies/ (no file per agency):
`scrapy crawl hunan_zjt` is ReportSpider for that agency alone. Scrapy's spider loader finds them here."""
from __future__ import annotations

from crawler.registry import agencies, crawlable
from crawler.spiders.report import ReportSpider


def _spider_class(slug: str) -> type[ReportSpider]:
    doc = f"{agencies()[slug].name}: the nianbao spider for this agency alone (crawler/agencies/)."
    return type(f"Spider_{slug}", (ReportSpider,),
                {"name": slug, "default_agencies": (slug,), "__module__": __name__, "__doc__": doc})


SPIDERS = {slug: _spider_class(slug) for slug in crawlable()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
