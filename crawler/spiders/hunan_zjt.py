"""湖南省住房和城乡建设厅: see crawler/agencies.yaml."""
from crawler.spiders.families.trs import TrsHunanSpider


class HunanZjt(TrsHunanSpider):
    slug = "hunan_zjt"
