"""衢州市住房和城乡建设局: see crawler/agencies.yaml."""
from crawler.spiders.families.hanweb import HanwebSpider


class QuzhouZjj(HanwebSpider):
    slug = "quzhou_zjj"
