"""西藏自治区教育厅: see crawler/agencies.yaml."""
from crawler.spiders.families.trs import TrsXizangSpider


class XizangJyt(TrsXizangSpider):
    slug = "xizang_jyt"
