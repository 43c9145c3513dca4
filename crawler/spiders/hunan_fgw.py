"""湖南省发展和改革委员会: see crawler/agencies.yaml."""
from crawler.spiders.families.trs import TrsHunanSpider


class HunanFgw(TrsHunanSpider):
    slug = "hunan_fgw"
