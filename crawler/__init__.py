"""nianbao's Scrapy project: settings, agency registry, site-family spiders, archive pipeline."""
