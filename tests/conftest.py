"""Shared pytest fixtures: the replica web and the browser.

- replica_corpus (session): replica.corpus.build_corpus(2024); a tiny stand-in built here from replica.model
  objects only while replica/corpus.py does not exist yet.
- replica (function): a started ReplicaServer over that corpus, fresh for each test (clean faults, log,
  publications and edits); stopped afterwards.
- replica_session (session): one started ReplicaServer for read-only tests; faults cleared and log kept.
- chromium_path: the Chromium executable (env NIANBAO_CHROMIUM or /usr/bin/chromium); FAILS (never skips)
  with a clear message when it is missing.
"""
from __future__ import annotations

import importlib.util
import os
from types import SimpleNamespace

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def standin_corpus():
    """A tiny corpus in the shape of replica.corpus.Corpus (reports, notices, for_agency, mirror_pages)."""
    from replica.model import Attachment, Notice, Report
    reports, notices = [], []
    agencies = {
        "hunan_zjt": "湖南省住房和城乡建设厅", "hunan_fgw": "湖南省发展和改革委员会",
        "quzhou_zjj": "衢州市住房和城乡建设局", "guangxi_zjt": "广西壮族自治区住房和城乡建设厅",
        "suizhou_zjw": "随州市住房和城乡建设委员会", "xizang_zjt": "西藏自治区住房和城乡建设厅",
        "xizang_jyt": "西藏自治区教育厅",
    }
    doc = 100000
    for slug, name in agencies.items():
        for year in range(2012, 2023):
            doc += 7
            pub = f"{year + 1}-0{1 + year % 3}-1{year % 9} 09:{year % 60:02d}:00"
            url_date = pub[:10].replace("-", "") if year % 4 else "20190223"
            r = Report(agency=slug, agency_name=name, year=year, title=f"{name}{year}年政府信息公开工作年度报告",
                       published=pub, url_date=url_date, doc_id=doc, generation="prose",
                       body_html=f"<p>{year}年，我单位共主动公开政府信息{1000 + year}条，收到申请{year % 50}件。</p>",
                       index_no=f"X-{year}-{doc}", publisher=name,
                       encoding="gbk" if slug == "guangxi_zjt" and year < 2015 else "utf-8")
            if slug == "quzhou_zjj" and year == 2021:
                r.attachments = [Attachment("P020220120391542118063.pdf", b"%PDF-1.4 standin\n%%EOF\n", "application/pdf")]
                r.body_html = '<p>附件：<a href="P020220120391542118063.pdf">年报</a></p>'
                r.stats_in = "pdf"
            if slug == "hunan_zjt" and year == 2018:
                r.url = "http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97944/201903/t20190322_5299653.html"
                r.seed = "hunan-zjt-2018.txt"
            if slug == "xizang_zjt" and year == 2014:
                r.url = "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/2014nb/201902/t20190223_64760.html"
                r.seed = "xizang-zjt-2014.txt"
            reports.append(r)
        doc += 1
        notices.append(Notice(agency=slug, title=f"{name}政府信息公开指南", published="2020-05-06 10:00:00",
                              url_date="20200506", doc_id=doc, body_html="<p>指南</p>"))
    return SimpleNamespace(reports=reports, notices=notices,
                           mirror_pages=[("/html/2018/0301/zjt.html", "<html><body><p>落實(shí)條例</p></body></html>")],
                           for_agency=lambda slug: [r for r in reports if r.agency == slug])


@pytest.fixture(scope="session")
def replica_corpus():
    if importlib.util.find_spec("replica.corpus") is not None:
        from replica.corpus import build_corpus
        return build_corpus(2024)
    return standin_corpus()


@pytest.fixture(scope="session")
def replica_session(replica_corpus):
    from replica.server import ReplicaServer
    with ReplicaServer(replica_corpus) as server:
        yield server


@pytest.fixture
def replica(replica_corpus):
    from replica.server import ReplicaServer
    with ReplicaServer(replica_corpus) as server:
        yield server


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(path):
        pytest.fail(f"Chromium not found at {path}: install Debian's chromium (make deps) or set NIANBAO_CHROMIUM")
    return path
