"""Ruled tables of scanned pages: cells from the ruling lines in the image, figures OCR'd cell by cell,
unreadable row labels placed by template order only where they fit exactly.

Generic patterns (a drawn table, a shaded header band, misread digits, garbled labels), not copies of
one page; the real scan of tests/data/real is scored by tests/test_extract_real.py and
tests/test_extract_formats.py.
"""
from __future__ import annotations

from PIL import Image, ImageDraw

from archive.extract import ocr, pdf, tables
from archive.extract.grid import rows_grid
from archive.extract.positions import Word
from archive.keys import T3_COLS, t3_rows

DPI = 100    # a small drawing: 0.6 inch (the shortest ruling line) is 60 pixels


def _table_image(shaded: bool = True) -> Image.Image:
    """A ruled table: 4 columns (x 100, 400, 600, 800, 1100), a header row (y 100-200, optionally
    filled grey like a shaded header band) whose last cell spans the two right columns, 4 body rows."""
    im = Image.new("L", (1200, 700), 255)
    d = ImageDraw.Draw(im)
    if shaded:
        d.rectangle([100, 100, 1100, 200], fill=190)
    for y in (100, 200, 300, 400, 500, 600):
        d.line([(100, y), (1100, y)], fill=0, width=2)
    for x in (100, 400, 600, 1100):
        d.line([(x, 100), (x, 600)], fill=0, width=2)
    d.line([(800, 200), (800, 600)], fill=0, width=2)          # not through the header row
    for y in (250, 350, 450, 550):                              # short strokes: digits, not lines
        for x in (500, 700, 950):
            d.line([(x, y - 12), (x, y + 12)], fill=0, width=3)
    return im


def _cells(im: Image.Image) -> list[list[tuple]]:
    hruns, vruns = ocr._dark_runs(im, DPI)
    hl, vl = ocr._thin(im, hruns, vruns, DPI)
    return ocr.ruled_tables(ocr.ruling_edges(hl, vl, DPI), DPI)


def _near(box, want, tol=6) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(box, want))


def test_ruling_lines_of_a_scan_enclose_its_cells_merged_header_included():
    (cells,) = _cells(_table_image(shaded=False))
    assert len(cells) == 3 + 4 * 4
    assert any(_near(c, (600, 100, 1100, 200)) for c in cells)        # the merged header cell
    assert len({round(c[1] / 10) for c in cells}) == 5


def test_a_shaded_header_band_is_not_read_as_ruling_lines():
    """Every column of a grey band is a long dark run down, every row one across: they lie inside a
    filled area, so they are not lines (they would split the band into slivers)."""
    (cells,) = _cells(_table_image(shaded=True))
    assert len(cells) == 3 + 4 * 4
    assert any(_near(c, (100, 100, 400, 200)) for c in cells)


def test_no_lines_no_table():
    im = Image.new("L", (800, 600), 255)
    ImageDraw.Draw(im).line([(100, 300), (160, 300)], fill=0, width=2)   # a dash, not a table
    assert _cells(im) == []


def test_cell_crops_are_scaled_to_the_text_height_tesseract_reads_best():
    crop = Image.new("L", (200, 160), 255)
    ImageDraw.Draw(crop).rectangle([80, 30, 110, 130], fill=0)          # ink 101 px high
    out = ocr._to_text_height(crop)
    box = out.point(lambda p: 255 if p < 128 else 0).getbbox()
    assert abs((box[3] - box[1]) - ocr.CELL_TEXT_HEIGHT) <= 4      # resampling blurs the edge a pixel or two
    assert ocr._to_text_height(Image.new("L", (50, 50), 255)).size == (50, 50)    # no ink: as it was


def _box_words(box, text):
    x0, top, x1, bottom = box
    return Word(text, x0 + 5, x1 - 5, top + 5, bottom - 5)


def test_figure_cells_are_read_again_alone_and_label_junk_is_no_figure():
    """Page OCR reads 0 as 人 and 1 as l, drops digits and turns a label into digits: every cell of a
    figure column without words is OCR'd again alone and that reading is kept; digits in the label
    column are not a figure (nor a label)."""
    xs = [0, 300, 400, 500]
    ys = [0, 50, 100, 150, 200, 250]
    cells = [(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(5) for i in range(3)]
    page = [["申请人情况", "自然人", "总计"], ["1.属于国家秘密", "人", ""], ["2.其他法律行政法规禁止公开", "0", "0"],
            ["47", "l", "1"], ["4.保护第三方合法权益", "0", "O"]]
    words = [_box_words(c, page[ys.index(c[1])][xs.index(c[0])]) for c in cells
             if page[ys.index(c[1])][xs.index(c[0])]]
    again = {(300, 50): "0", (400, 50): None, (300, 100): "0", (400, 100): "0", (300, 150): "1",
             (400, 150): "1", (300, 200): "0", (400, 200): "0"}
    asked = []

    def reread(boxes):
        asked.extend((b[0] - 3, b[1] - 3) for b in boxes)
        return [again[(b[0] - 3, b[1] - 3)] for b in boxes]

    (g,) = pdf.ocr_table_grids([cells], words, "ocr p1", reread)
    assert g.name == "ocr p1 table[0]"
    assert [[c.text for c in row] for row in g.rows] == [
        ["申请人情况", "自然人", "总计"], ["1.属于国家秘密", "0", ""], ["2.其他法律行政法规禁止公开", "0", "0"],
        ["", "1", "1"], ["4.保护第三方合法权益", "0", "0"]]
    assert set(asked) == set(again)              # every figure cell, no header or label cell


# --- table 三 rows whose label OCR garbled: template order, only where they fit exactly ---------
_LABELS = {
    "new": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "(一)予以公开", "partial": "(二)部分公开(区分处理的,只计这一情形,不计其他情形)",
    "refused.state_secret": "1.属于国家秘密", "refused.prohibited_by_law": "2.其他法律行政法规禁止公开",
    "refused.security_stability": "3.危及“三安全一稳定”", "refused.third_party": "4.保护第三方合法权益",
    "refused.internal_affairs": "5.属于三类内部事务信息", "refused.process_info": "6.属于四类过程性信息",
    "refused.enforcement_file": "7.属于行政执法案卷", "refused.query_matter": "8.属于行政查询事项",
    "unable.not_held": "1.本机关不掌握相关政府信息", "unable.needs_creation": "2.没有现成信息需要另行制作",
    "unable.unclear": "3.补正后申请内容仍不明确", "not_processed.petition": "1.信访举报投诉类申请",
    "not_processed.duplicate": "2.重复申请", "not_processed.publication": "3.要求提供公开出版物",
    "not_processed.excessive": "4.无正当理由大量反复申请",
    "not_processed.confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other.no_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.no_fee_paid": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "3.其他", "total": "(七)总计", "carried_forward": "四、结转下年度继续办理",
}
_FIGS = {"new": 12, "granted": 5, "refused.third_party": 2, "refused.enforcement_file": 1,
         "refused.query_matter": 3, "unable.not_held": 1, "total": 12}


def _ruled_t3(garble: dict[str, str], extra: list[list[str]] | None = None):
    rows = [["", "申请人情况", "", "", "", "", "", ""],
            ["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]]
    for key in t3_rows(2021):
        n = _FIGS.get(key, 0)
        rows.append([garble.get(key, _LABELS[key]), str(n), "0", "0", "0", "0", "0", str(n)])
        if extra and key == "refused.query_matter":
            rows += extra
    return tables.stats_from_grids([rows_grid(rows, "ocr p3 table[0]")])


def _got(res):
    return {(s.row, s.col): s.value for s in res.stats if s.table == "3"}


def test_rows_with_garbled_labels_take_the_template_rows_between_their_neighbours():
    res = _ruled_t3({"refused.third_party": "", "refused.enforcement_file": "7.:属于行政执法案郑",
                     "refused.query_matter": "8.属于行政查询"})
    got = _got(res)
    assert len(got) == 25 * 7                      # every row of the 2021 template
    assert got[("refused.third_party", "natural_person")] == 2
    assert got[("refused.enforcement_file", "total")] == 1
    assert got[("refused.query_matter", "total")] == 3
    assert any("template order" in w for w in res.warnings)
    assert res.needs_review is None


def test_garbled_rows_that_do_not_fit_the_rows_left_are_not_read():
    """One unreadable row more than the template rows left: none is placed, nothing shifts."""
    res = _ruled_t3({"refused.enforcement_file": "7.:属于行政执法案郑"},
                    extra=[["其中:某某情形", "9", "0", "0", "0", "0", "0", "9"]])
    got = _got(res)
    assert ("refused.enforcement_file", "total") not in got
    assert got[("refused.query_matter", "total")] == 3 and got[("total", "total")] == 12
    assert 9.0 not in {v for (r, c), v in got.items()}
    assert any("not read" in w for w in res.warnings)


def test_a_garbled_row_out_of_order_with_its_labelled_neighbours_is_not_read():
    """The only template row left is 4.保护第三方 but the unreadable row sits after 8.: not placed."""
    res = _ruled_t3({"refused.third_party": "（缺）"},
                    extra=None)
    assert _got(res)[("refused.third_party", "total")] == 2      # fits: read
    rows = [["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]]
    for key in t3_rows(2021):
        if key == "refused.third_party":
            continue
        n = _FIGS.get(key, 0)
        rows.append([_LABELS[key], str(n), "0", "0", "0", "0", "0", str(n)])
        if key == "refused.query_matter":
            rows.append(["??", "2", "0", "0", "0", "0", "0", "2"])
    res = tables.stats_from_grids([rows_grid(rows, "ocr p3 table[0]")])
    assert ("refused.third_party", "total") not in _got(res)
    assert any("out of order" in w for w in res.warnings)
    assert len(T3_COLS) == 7
