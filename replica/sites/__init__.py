"""The CMS layouts of the replica web, one module per platform (see docs/replica.md)."""
from replica.sites.hanweb import HanwebQuzhou
from replica.sites.trs_guangxi import GuangxiTRS
from replica.sites.trs_hubei import HubeiSuizhou
from replica.sites.trs_hunan import HunanPortal
from replica.sites.trs_xizang import XizangPortal

SITE_CLASSES = [HunanPortal, HanwebQuzhou, GuangxiTRS, HubeiSuizhou, XizangPortal]
