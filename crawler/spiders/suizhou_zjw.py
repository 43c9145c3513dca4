"""随州市住房和城乡建设委员会: see crawler/agencies.yaml."""
from crawler.spiders.families.trs import TrsHubeiSpider


class SuizhouZjw(TrsHubeiSpider):
    slug = "suizhou_zjw"
