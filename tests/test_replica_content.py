"""The replica's content and its ground truth (replica.corpus, replica/content/).

Each rendered figure is read back independently (lxml for the HTML, pdfplumber for PDFs,
python-docx for DOCX) and compared with the truth; the seed figures come from the issue; the
consistency checks are recomputed here by a checker of our own.
"""
from __future__ import annotations

import io
import json
import re
from collections import defaultdict

import docx
import lxml.html
import pdfplumber
import pytest

from archive.keys import HEADLINE_KEYS
from replica import corpus as corpus_mod
from replica.content.seeds import SEED_DIR
from replica.corpus import build_corpus, ground_truth

FW = str.maketrans("０１２３４５６７８９", "0123456789")
NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
NONE_TOKENS = {"—", "/", "无"}


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


def as_number(text: str):
    """A cell's figure, read the way a careful human would: full-width digits, none-marks = 0."""
    t = re.sub(r"\s+", "", (text or "").replace("\xa0", "")).translate(FW)
    if NUMBER.match(t):
        return float(t)
    if t in NONE_TOKENS:
        return 0.0
    return None


def html_tables(body: str) -> list[list[float]]:
    """The figures of each <table> of a body, in reading order."""
    doc = lxml.html.fromstring(f"<div>{body}</div>")
    out = []
    for table in doc.iter("table"):
        nums = []
        for td in table.iter("td"):
            v = as_number(td.text_content())
            if v is not None:
                nums.append(v)
        out.append(nums)
    return out


def pdf_figures(data: bytes) -> list[float]:
    nums = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                for row in table:
                    nums += [v for v in (as_number(c) for c in row if c is not None) if v is not None]
    return nums


def docx_figures(data: bytes) -> list[float]:
    nums = []
    for table in docx.Document(io.BytesIO(data)).tables:
        for row in table.rows:
            seen = set()
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                v = as_number(cell.text)
                if v is not None:
                    nums.append(v)
    return nums


def truth_values(r, table=None) -> list[float]:
    return [float(s["value"]) for s in r.truth["stats"] if table is None or s["table"] == table]


# ------------------------------------------------------------------------------- determinism
def test_deterministic():
    a, b = corpus_mod._build(2024), corpus_mod._build(2024)
    assert json.dumps(ground_truth(corpus=a), ensure_ascii=False) == json.dumps(ground_truth(corpus=b), ensure_ascii=False)
    assert [r.body_html for r in a.reports] == [r.body_html for r in b.reports]
    assert [[x.data for x in r.attachments] for r in a.reports] == [[x.data for x in r.attachments] for r in b.reports]
    assert [(n.title, n.doc_id) for n in a.notices] == [(n.title, n.doc_id) for n in b.notices]


def test_ids_unique_and_truth_complete(corpus):
    ids = [r.doc_id for r in corpus.reports] + [n.doc_id for n in corpus.notices]
    assert len(ids) == len(set(ids))
    assert len({(r.agency, r.year) for r in corpus.reports}) == len(corpus.reports)
    for t in ground_truth():
        assert set(t["summary"]) == set(HEADLINE_KEYS)
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", t["published"]) and t["published_time"].startswith(t["published"])
        assert t["format"] in {"prose", "indicator", "template2019", "template2021"}
        assert "url" in t


# ----------------------------------------------------------------------- figures rendered
def test_every_table_figure_in_html(corpus):
    checked = 0
    for r in corpus.reports:
        if r.stats_in != "page" or not r.truth["stats"]:
            continue
        tables = html_tables(r.body_html)
        if r.generation.startswith("template"):
            assert len(tables) == 3, (r.agency, r.year)
            for nums, name in zip(tables, ["2", "3", "4"]):
                assert nums == truth_values(r, name), (r.agency, r.year, name)
        elif r.seed:   # Quzhou: the staff contact rows (phone numbers) follow the indicators
            assert tables[0] == truth_values(r) + [8766000.0, 3034465.0]
        else:
            assert tables == [truth_values(r, "indicator")], (r.agency, r.year)
        checked += 1
    assert checked > 60


def test_quzhou_table_keeps_every_number_of_the_seed(corpus):
    lines = (SEED_DIR / "quzhou-zjj-2020.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, s in enumerate(lines) if s.strip() == "本年累计")
    seed_numbers = [float(s.strip()) for s in lines[start:] if NUMBER.match(s.strip())]
    assert html_tables(corpus.report("quzhou_zjj", 2020).body_html)[0] == seed_numbers


def test_attachment_only_reports_read_back(corpus):
    kinds = defaultdict(int)
    for r in corpus.reports:
        for att in r.attachments:
            if att.filename.endswith(".pdf"):
                assert att.data.startswith(b"%PDF") and att.mime == "application/pdf"
                assert pdf_figures(att.data) == truth_values(r), (r.agency, r.year)
            else:
                assert att.data.startswith(b"PK")
                assert docx_figures(att.data) == truth_values(r), (r.agency, r.year)
            assert att.filename in r.body_html      # the page links its attachment
        if r.stats_in != "page":
            kinds[r.stats_in] += 1
            assert r.generation.startswith("template") and len(r.attachments) == 1
            assert "<table" not in r.body_html
            assert r.attachments[0].filename.endswith("." + r.stats_in)
    assert kinds["pdf"] >= 1 and kinds["docx"] >= 1
    copies = [r for r in corpus.reports if r.stats_in == "page" and r.attachments]
    assert len(copies) >= 2


def test_pdf_text_is_extractable(corpus):
    r = next(r for r in corpus.reports if r.stats_in == "pdf")
    with pdfplumber.open(io.BytesIO(r.attachments[0].data)) as pdf:
        text = "".join(p.extract_text() for p in pdf.pages)
    assert r.title in text.replace("\n", "")
    assert "三、收到和处理政府信息公开申请情况" in text


def test_prose_summary_figures_are_in_the_text(corpus):
    for r in corpus.reports:
        if r.generation != "prose":
            continue
        text = lxml.html.fromstring(f"<div>{r.body_html}</div>").text_content()
        numbers = {float(x) for x in re.findall(r"\d+", text)}
        for key, v in r.truth["summary"].items():
            if v:   # a stated non-zero figure is printed; zeros are said in words (没有…)
                assert float(v) in numbers, (r.agency, r.year, key, v)


# --------------------------------------------------------------------------------- checks
def recheck(stats: list[dict]) -> list[str]:
    """Our own checker of the 勾稽关系 (report-formats.md) over truth stats."""
    t3 = {(s["row"], s["col"]): s["value"] for s in stats if s["table"] == "3"}
    t4 = {(s["row"], s["col"]): s["value"] for s in stats if s["table"] == "4"}
    rows = list(dict.fromkeys(r for r, _ in t3))
    cols = list(dict.fromkeys(c for _, c in t3))
    outcomes = [r for r in rows if r not in ("new", "carried_over", "total", "carried_forward")]
    applicants = [c for c in cols if c != "total"]
    failed = []
    failed += [f"t3.balance.{c}" for c in cols
               if t3["new", c] + t3["carried_over", c] != t3["total", c] + t3["carried_forward", c]]
    failed += [f"t3.outcomes.{c}" for c in cols if sum(t3[r, c] for r in outcomes) != t3["total", c]]
    failed += [f"t3.columns.{r}" for r in rows if sum(t3[r, c] for c in applicants) != t3[r, "total"]]
    for row in dict.fromkeys(r for r, _ in t4):
        if sum(t4[row, o] for o in ("upheld", "corrected", "other", "pending")) != t4[row, "total"]:
            failed.append(f"t4.{row}.total")
    return failed


def test_checks_broken_only_where_meant(corpus):
    broken = 0
    for r in corpus.reports:
        if not r.generation.startswith("template"):
            assert r.truth["checks_failed"] == []
            continue
        assert len(r.truth["stats"]) == {"template2019": 20 + 23 * 7 + 15, "template2021": 10 + 25 * 7 + 15}[r.generation]
        failed = recheck(r.truth["stats"])
        assert sorted(failed) == sorted(r.truth["checks_failed"]), (r.agency, r.year)
        if failed:
            broken += 1
            assert 1 <= len(failed) <= 2
    assert 3 <= broken <= 6


def test_template_summary_derivation(corpus):
    for r in corpus.reports:
        if not r.generation.startswith("template"):
            continue
        v = {(s["table"], s["row"], s["col"]): s["value"] for s in r.truth["stats"]}
        s = r.truth["summary"]
        group = lambda p: sum(x for (t, row, c), x in v.items() if t == "3" and c == "total" and row.split(".")[0] == p)
        assert s["applications_new"] == v["3", "new", "total"]
        assert s["granted"] == v["3", "granted", "total"] and s["partially_granted"] == v["3", "partial", "total"]
        assert s["refused"] == group("refused") and s["unable_to_provide"] == group("unable")
        assert s["not_processed"] == group("not_processed") and s["other_handling"] == group("other")
        assert s["handled_total"] == v["3", "total", "total"] and s["carried_forward"] == v["3", "carried_forward", "total"]
        assert s["review_total"] == v["4", "review", "total"]
        assert s["litigation_total"] == v["4", "litigation_direct", "total"] + v["4", "litigation_after_review", "total"]
        if r.generation == "template2021" and s["disclosure_fees_yuan"] is not None:
            assert "信息处理费" in (r.body_html if r.stats_in == "page" else r.attachments[0].data.decode("latin-1")) \
                or r.stats_in != "page"


# ---------------------------------------------------------------------------------- seeds
ISSUE = {
    "hunan-zjt-2018.txt": dict(agency="hunan_zjt", agency_name="湖南省住房和城乡建设厅", year=2018, published="2019-03-22",
                               published_time="2019-03-22 10:15:23", index_no="430S00/2019-16610",
                               summary=dict(proactive_total=4238, applications_new=51, review_total=None,
                                            litigation_total=None, disclosure_fees_yuan=None)),
    "quzhou-zjj-2020.txt": dict(agency="quzhou_zjj", agency_name="衢州市住房和城乡建设局", year=2020, published="2021-01-20",
                                published_time="2021-01-20 16:32", index_no="113308000026188164/2021-119608",
                                summary=dict(proactive_total=1072, applications_new=18, granted=7, partially_granted=0,
                                             refused=0, review_total=0, litigation_total=0, disclosure_fees_yuan=0)),
    "guangxi-zjt-2017-mirror.txt": dict(agency="guangxi_zjt", agency_name="广西壮族自治区住房和城乡建设厅", year=2017,
                                        summary=dict(applications_new=31, litigation_total=5, review_total=None,
                                                     disclosure_fees_yuan=0)),
    "suizhou-zjw-2017.txt": dict(agency="suizhou_zjw", agency_name="随州市住房和城乡建设委员会", year=2017,
                                 summary=dict(proactive_total=2100, review_total=0, disclosure_fees_yuan=0,
                                              applications_new=None)),
    "xizang-zjt-2014.txt": dict(agency="xizang_zjt", agency_name="西藏自治区住房和城乡建设厅", year=2014, published="2015-03-26",
                                published_time="2015-03-26 18:15:00", index_no="K3984687-7/2015-00053",
                                publisher="自治区住建厅",
                                summary=dict(proactive_total=5769, applications_new=3, granted=3, review_total=0,
                                             litigation_total=0, disclosure_fees_yuan=0)),
}


@pytest.mark.parametrize("name", sorted(ISSUE))
def test_seed_truth_matches_issue(corpus, name):
    expected = ISSUE[name]
    r = next(r for r in corpus.reports if r.seed == name)
    for k, v in expected.items():
        if k != "summary":
            assert r.truth[k] == v, k
    for k, v in expected["summary"].items():
        assert r.truth["summary"][k] == v, k


def test_seed_urls_and_chrome(corpus):
    hunan = corpus.report("hunan_zjt", 2018)
    assert hunan.url == "http://www.hunan.gov.cn/hnszf/xxgk/zfxxgknb/szbm_97944/201903/t20190322_5299653.html"
    for junk in ("打印", "收藏", "关闭本页", "7511734", "索引号"):
        assert junk not in hunan.body_html
    assert "发布信息4238条" in hunan.body_html and "共收到依申请公开来信51件" in hunan.body_html
    xizang = corpus.report("xizang_zjt", 2014)
    assert xizang.url == "http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/2014nb/201902/t20190223_64760.html"
    for junk in ("|", "标 题", "是否显示作废图标", "K3984687"):
        assert junk not in xizang.body_html
    assert "共主动公开政府信息5769条" in xizang.body_html
    assert "扫一扫" not in corpus.report("suizhou_zjw", 2017).body_html
    quzhou = corpus.report("quzhou_zjj", 2020)
    for junk in ("浏览次数", "分享:", "成文日期", "组配分类"):
        assert junk not in quzhou.body_html
    assert quzhou.title == "衢州市住房和城乡建设局 2020年政府信息公开工作年度报告" and quzhou.publisher == "衢州市住房和城乡建设局"
    assert corpus.report("guangxi_zjt", 2017).url is None or "gxzf" in corpus.report("guangxi_zjt", 2017).url


def test_quzhou_indicators(corpus):
    stats = corpus.report("quzhou_zjj", 2020).truth["stats"]
    by_label = {s["label"]: s["value"] for s in stats}
    for label, v in {"3.网络申请数": 10, "4.信函申请数": 8, "5.不属于本行政机关公开数": 8,
                     "8.告知通过其他途径办理数": 2, "4.重大建设项目审批及实施": 13}.items():
        assert by_label[label] == v, label
    assert all(s["table"] == "indicator" and s["col"] == "value" for s in stats)
    assert {s["row"] for s in stats} >= {"proactive_total", "applications_new", "granted", "review_total"}


TRADITIONAL = set("實國開條廳關於與為們這務區黨辦發號設點領導構員織會動態網級單應資確種經費規範報時處認視")


def test_guangxi_official_is_clean_simplified(corpus):
    body = corpus.report("guangxi_zjt", 2017).body_html
    assert not re.search(r"\([a-zāáǎàōóǒòēéěèīíǐìūúǔùüǖǘǚǜ]+\)", body)
    assert not (set(body) & TRADITIONAL)
    assert "?" not in lxml.html.fromstring(body).text_content()
    assert "落实" in body and "共受理政府信息公开申请31件" in body
    (path, page), = corpus.mirror_pages
    assert path.startswith("/") and "落實(shí)" in page and "共受理政府信息公開申請(qǐng)31件" in page


# ------------------------------------------------------------------------------- coverage
def test_coverage(corpus):
    years = defaultdict(set)
    for r in corpus.reports:
        years[r.agency].add(r.year)
    for slug, first in [("hunan_zjt", 2009), ("guangxi_zjt", 2009), ("suizhou_zjw", 2009), ("quzhou_zjj", 2010),
                        ("xizang_zjt", 2009)]:
        assert set(range(first, 2026)) <= years[slug], slug
    for portal in ("hunan_", "xizang_"):
        others = [s for s in years if s.startswith(portal) and s != portal + "zjt"]
        assert len(others) >= 3 and all(len(years[s]) >= 4 for s in others)
    for slug in years:
        assert corpus.notices_for(slug), slug
    # notices are not reports, though some mention one (关于报送…年度报告的通知: a hard negative)
    assert all(not re.search("(报告|年报)$", n.title) for n in corpus.notices)
    assert any("年度报告" in n.title for n in corpus.notices)
    gens = {(r.agency, r.year): r.generation for r in corpus.reports}
    assert gens["quzhou_zjj", 2016] == "indicator" and gens["hunan_zjt", 2012] == "prose"
    assert all(g == "template2019" for (a, y), g in gens.items() if y in (2019, 2020) and (a, y) != ("quzhou_zjj", 2020))
    assert all(g == "template2021" for (a, y), g in gens.items() if y >= 2021)
    assert all(g in ("prose", "indicator") for (a, y), g in gens.items() if y <= 2018)


def test_gbk_reports_encode(corpus):
    gbk = [r for r in corpus.reports if r.encoding == "gbk"]
    assert len(gbk) >= 5
    for r in gbk:
        (r.title + r.body_html + r.agency_name + (r.publisher or "")).encode("gbk")


def test_quirks_present(corpus):
    bodies = "".join(r.body_html for r in corpus.reports)
    assert re.search("[０-９]", bodies) and "rowspan" in bodies and "colspan" in bodies and "&nbsp;" in bodies
    assert any(t in bodies for t in ("<span>—</span>", ">/<", ">无<"))


def test_cli_dump(tmp_path):
    out = tmp_path / "truth.json"
    assert corpus_mod.main(["--truth", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data) == len(build_corpus().reports) and {d["seed"] for d in data} >= set(ISSUE)
