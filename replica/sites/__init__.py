"""The CMS layouts of the replica web, one module per platform (see docs/replica.md).

Every module here is imported; each Site subclass that names its `family` and `hosts` is a site of the
replica web. A site may declare the synthetic agencies it hosts (`synthetic = [synth.Agency(...)]`):
the corpus makes their reports (replica/corpus.py), so a new platform is one module."""
from __future__ import annotations

import importlib
import pkgutil

from replica.sites.base import Site
from replica.sites.hanweb import HanwebQuzhou
from replica.sites.trs_guangxi import GuangxiTRS
from replica.sites.trs_hubei import HubeiSuizhou
from replica.sites.trs_hunan import HunanPortal
from replica.sites.trs_xizang import XizangPortal

SEED_SITES = [HunanPortal, HanwebQuzhou, GuangxiTRS, HubeiSuizhou, XizangPortal]   # the five seed agencies' sites


def _site_classes() -> list[type[Site]]:
    found: list[type[Site]] = list(SEED_SITES)
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, Site) and obj.__module__ == module.__name__
                    and obj.__dict__.get("hosts") and obj.family and obj not in found):
                found.append(obj)
    return found


SITE_CLASSES = _site_classes()


def site_agencies() -> list:
    """The synthetic agencies (replica.content.synth.Agency) the non-seed sites declare."""
    return [a for cls in SITE_CLASSES for a in getattr(cls, "synthetic", ())]


def served_hosts() -> set[str]:
    """Every host the replica web serves."""
    return {h for cls in SITE_CLASSES for h in cls.hosts}
