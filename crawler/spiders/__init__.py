"""The spiders: `nianbao` (report.py), the one spider, for any set of agencies
(`scrapy crawl nianbao -a agencies=hunan_zjt,hunan_fgw`); and one spider per registry agency, named by
its slug, generated from crawler/agencies/ (agencies.py), so `scrapy list` names every agency and
`scrapy crawl hunan_zjt` crawls it. Site-family code lives in crawler/families/."""
