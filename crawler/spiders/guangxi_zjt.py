"""广西壮族自治区住房和城乡建设厅: see crawler/agencies.yaml."""
from crawler.spiders.families.trs import TrsGuangxiSpider


class GuangxiZjt(TrsGuangxiSpider):
    slug = "guangxi_zjt"
