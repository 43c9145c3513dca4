"""西藏自治区住房和城乡建设厅: see crawler/agencies.yaml."""
from crawler.spiders.families.trs import TrsXizangSpider


class XizangZjt(TrsXizangSpider):
    slug = "xizang_zjt"
