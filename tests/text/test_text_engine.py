"""The text engine: line breaking, shaping, font fallback and vertical lettering."""

from __future__ import annotations

import unicodedata

import pytest

from storyboard.layout import paginate
from storyboard.lettering import Text, letter_panel
from storyboard.script import parse_story
from storyboard.text import breaking
from storyboard.text.fonts import FONT_DIR, bundled_chain, load_face
from storyboard.text.shaping import shape
from tests.pages.stories import panel, story

CHAIN = bundled_chain()
JA = bundled_chain("ja")


def widest(lines, size=10.0, bold=False):
    return max(CHAIN.width(line, size, bold) for line in lines)


def test_no_break_spaces_keep_french_punctuation_with_its_word():
    text = "Vraiment\u202f! Tu viens\u00a0? «\u202fOui\u202f»"
    for width in (30, 45, 60, 90):
        lines = breaking.wrap(CHAIN, text, 10, width)
        assert not any(line.startswith(("!", "?", "»")) for line in lines), lines
        assert not any(line.endswith("«") for line in lines), lines
        assert "".join(lines).count("\u202f") == 3 and "\u00a0" in "".join(lines)  # kept, not turned into spaces


def test_soft_hyphen_is_shown_only_where_the_line_breaks():
    text = "extra\u00adordinary"
    wide = breaking.wrap(CHAIN, text, 10, 200)
    assert wide == ["extraordinary"]
    narrow = breaking.wrap(CHAIN, text, 10, CHAIN.width("ordinary", 10) + 1)
    assert narrow == ["extra-", "ordinary"]
    # Nothing is drawn for an untaken soft hyphen.
    assert shape(CHAIN, "extraordinary", False).glyphs == shape(CHAIN, wide[0], False).glyphs


def test_zero_width_space_is_an_invisible_break():
    text = "Aaaaa\u200bBbbbb"
    assert breaking.wrap(CHAIN, text, 10, 200) == ["AaaaaBbbbb"]
    assert breaking.wrap(CHAIN, text, 10, CHAIN.width("Bbbbb", 10) + 1) == ["Aaaaa", "Bbbbb"]


def test_long_word_is_hyphenated_by_the_story_language():
    german = bundled_chain("de")
    word = "Donaudampfschifffahrtsgesellschaft"
    lines = breaking.wrap(german, word, 10, 60)
    assert len(lines) > 1 and lines[0].endswith("-")
    assert "".join(line.removesuffix("-") for line in lines) == word
    assert all(german.width(line, 10) <= 60 for line in lines)


def test_cjk_breaks_between_characters_with_kinsoku():
    text = "「こんにちは。」ーと彼は言った。今日は、とてもいい天気ですね。"
    lines = breaking.wrap(JA, text, 10, 42)
    assert len(lines) > 3 and "".join(lines) == text
    for line in lines[1:]:
        assert line[0] not in "。、」）ーぁぃぅぇぉっゃゅょ", lines
    assert all(JA.width(line, 10) <= 42 for line in lines)


def test_nfd_script_text_is_lettered_as_nfc():
    s = parse_story("title: Cafe\u0301\nscenes:\n  - panels:\n      - action: a room\n"
                    "        dialogue:\n          - narration: \"Un cafe\u0301, Toma\u0301s.\"\n")
    assert s.title == "Café"
    assert s.scenes[0].panels[0].dialogue[0].text == "Un café, Tomás."
    assert unicodedata.is_normalized("NFC", s.scenes[0].panels[0].dialogue[0].text)


def test_whitespace_no_font_draws_becomes_a_space_or_a_line_break():
    # a tab (pasted text) in any text, or the final newline `name: |` keeps, was drawn as a box
    # (.notdef) while validate said ok; a form feed, NEL or line separator was too
    s = parse_story('title: "Sheet\\tTitle\\n"\nauthor: ["Au\\tthor\\n"]\ncharacters:\n  ann:\n    name: |\n      Ann\n'
                    '    description: a woman\nscenes:\n  - panels:\n      - action: "Ann\twaves"\n        cast: [ann]\n'
                    '        caption: "cap\ttion"\n        sfx: ["BO\\x1fOM"]\n        dialogue:\n'
                    '          - ann: "Hel\\tlo\\vthere\\fX\\u2028Y\\x85Z\\r\\nW"\n')
    panel = s.scenes[0].panels[0]
    assert (s.title, s.author, s.characters["ann"].name) == ("Sheet Title", ["Au thor"], "Ann")
    assert (panel.action, panel.caption, panel.sfx) == ("Ann waves", "cap tion", ["BO OM"])
    assert panel.dialogue[0].text == "Hel lo\nthere\nX\nY\nZ\nW"
    for text in (s.title, s.characters["ann"].name, panel.caption, panel.sfx[0], *panel.dialogue[0].text.splitlines()):
        assert all(g.gid != 0 for g in shape(CHAIN, text).glyphs), text  # no .notdef box


def test_arabic_is_joined_and_right_to_left_like_harfbuzz_shapes_it():
    import uharfbuzz as hb

    word = "مرحبا"
    face = load_face(str(FONT_DIR / "NotoSansArabic-Regular.ttf"))
    buf = hb.Buffer()
    buf.add_str(word)
    buf.guess_segment_properties()
    hb.shape(face.hb_font, buf, {})
    expected = [info.codepoint for info in buf.glyph_infos]
    shaped = shape(CHAIN, word, False)
    assert [g.gid for g in shaped.glyphs] == expected
    assert {CHAIN.members[g.member].regular.path.name for g in shaped.glyphs} == {"NotoSansArabic-Regular.ttf"}
    isolated = [shape(CHAIN, letter, False).glyphs[0].gid for letter in word]
    assert [g.gid for g in shaped.glyphs] != isolated[::-1]  # joined forms, not isolated letters
    xs = [g.x for g in shaped.glyphs]
    assert xs == sorted(xs)  # visual order: the first letter is drawn rightmost
    assert shaped.clusters[-1].text == word[0]


def test_mixed_direction_line_keeps_each_run_in_its_order():
    shaped = shape(CHAIN, "שלום world", False)
    pieces = [c.text for c in shaped.clusters]
    # Right-to-left paragraph: the English run is drawn left of the Hebrew one.
    assert "".join(pieces).replace(" ", "") == "worldםולש"


def test_a_line_of_a_right_to_left_language_reads_right_to_left_when_it_starts_with_latin():
    # A Hebrew balloon wrapped so that a line starts with "Python 3": by rule P2 alone the line
    # would be set left to right (Python first, at the left); in a Hebrew story it reads from the right.
    from storyboard.text.fonts import bundled_chain
    from storyboard.text.shaping import right_to_left_language

    line = "Python 3 כל יום"
    assert "".join(c.text for c in shape(bundled_chain("he"), line).clusters) == "םוי לכ Python 3"
    assert "".join(c.text for c in shape(bundled_chain("en"), line).clusters) == "Python 3 םוי לכ"
    assert "".join(c.text for c in shape(bundled_chain("he"), "OK, 42!").clusters) == "OK, 42!"  # no Hebrew: as written
    assert [right_to_left_language(t) for t in ("he", "ar-EG", "ur", "az-Arab", "en", "az", "sr-Cyrl", "")] == \
        [True, True, True, True, False, False, False, False]


def test_a_language_is_right_to_left_by_the_script_it_is_written_in():
    # The script of a tag without one comes from CLDR's likely subtags (langcodes): Punjabi is
    # Gurmukhi in India but Shahmukhi (Arabic) in Pakistan, Uzbek Arabic in Afghanistan,
    # Rohingya Hanifi; a script subtag overrides (Kashmiri in Devanagari).
    from storyboard.text.shaping import right_to_left_language

    assert [right_to_left_language(t) for t in ("pa-PK", "uz-AF", "rhg", "dv", "he_IL", "ckb", "ff-Adlm")] == [True] * 7
    assert [right_to_left_language(t) for t in ("pa", "uz", "ks-Deva", "ku", "und", "x!!", "ar-Latn")] == [False] * 7
    # South Azerbaijani (Arabic script, Iran), Southern Pashto, Biblical Hebrew, Sorani in Iraq:
    # missing from (or Latin in) langcodes' older copy of the subtags, read from Babel's.
    assert [right_to_left_language(t) for t in ("azb", "azb-IR", "pbt", "hbo", "ku-IQ", "iw")] == [True] * 6
    assert right_to_left_language("az-IR") and not any(map(right_to_left_language, ("az", "azb-Latn", "grc")))


def test_right_to_left_text_with_joiners_soft_hyphens_and_zero_width_spaces_is_shaped():
    # The bidi algorithm leaves such characters out (rule X9); they take their neighbour's level
    # (once an IndexError: a Persian line with a zero-width non-joiner, as in می‌خواهم, stopped
    # the render with a traceback).
    for text in ("می\u200cخواهم", "שלום\u00adעולם", "שלום\u200bעולם", "abc\u00adשלום", "مرحبا\u200dبالعالم"):
        shaped = shape(CHAIN, text, False)
        assert all(g.gid for g in shaped.glyphs) and shaped.advance > 0
    assert "".join(c.text for c in shape(CHAIN, "שלום\u00adעולם", False).clusters) == "םלועםולש"
    lines = breaking.wrap(CHAIN, "שלום\u00adעולם שלום\u00adעולם", 10, CHAIN.width("שלום-", 10) + 1)
    assert lines[0] == "שלום-" and "".join(lines).replace("-", "") == "שלוםעולםשלוםעולם"


def test_advance_is_the_shaped_lines_advance():
    # Fitting measures lines with `advance` and draws them with `shape`: the two must agree exactly.
    from storyboard.text.shaping import advance

    for chain, text, bold, vertical in ((CHAIN, "AV To Wa, ﬁne!", False, False), (CHAIN, "שלום world", True, False),
                                        (CHAIN, "مرحبا بالعالم", False, False), (JA, "「OKです」2026年12月25日", False, True),
                                        (JA, "日本語 text", True, True)):
        assert advance(chain, text, bold, vertical) == shape(chain, text, bold, vertical).advance


def test_mixed_latin_and_cjk_line_is_drawn_from_two_fonts():
    shaped = shape(JA, "Hello 東京", False)
    names = [JA.members[g.member].regular.path.name for g in shaped.glyphs]
    assert names[:5] == ["ComicNeue-Regular.ttf"] * 5
    assert names[-2:] == ["NotoSansCJK-Regular.ttc"] * 2
    assert all(g.gid != 0 for g in shaped.glyphs)


def test_turkish_and_vietnamese_words_stay_in_one_font():
    for text in ("değil İstanbul", "Tiếng Việt"):
        members = {g.member for g in shape(CHAIN, text, False).glyphs}
        assert len(members) == 1 and all(g.gid for g in shape(CHAIN, text, False).glyphs)


def test_vertical_japanese_balloon_is_tall_with_vertical_forms():
    s = story([panel(cast=["ana"], dialogue=[{"ana": "「待って！」まだ終わってないよ。"}])],
              page={"size": "manga", "reading": "rtl", "dpi": 50})
    s.language = "ja"
    book = paginate(s)
    slot = [x for x in book.slots() if x.panel == 0][0]
    items = letter_panel(s, s.scenes[0].panels[0], slot, book.spec, bundled_chain("ja"))
    balloon = next(i for i in items if i.kind == "speech")
    texts = [op for op in balloon.ops if isinstance(op, Text)]
    assert texts and all(op.vertical for op in texts)
    assert balloon.body.h > balloon.body.w
    if len(texts) > 1:  # columns read right to left
        assert texts[0].x > texts[1].x
    # The vertical forms: the corner bracket is a different (rotated) glyph top to bottom.
    horizontal = shape(JA, "「", False).glyphs[0].gid
    vertical = shape(JA, "「", False, vertical=True).glyphs[0].gid
    assert horizontal != vertical


def test_horizontal_setting_and_ltr_pages_keep_japanese_horizontal():
    for page, style in (({"reading": "ltr"}, None), ({"reading": "rtl"}, {"lettering_direction": "horizontal"})):
        s = story([panel(cast=["ana"], dialogue=[{"ana": "こんにちは"}])], page={**page, "dpi": 50}, style=style)
        book = paginate(s)
        slot = [x for x in book.slots() if x.panel == 0][0]
        items = letter_panel(s, s.scenes[0].panels[0], slot, book.spec, JA)
        assert not any(op.vertical for i in items for op in i.ops if isinstance(op, Text))


def test_font_list_and_collection_face_in_the_chain(tmp_path):
    from storyboard.text.fonts import load_chain

    chain = load_chain(["NotoSansCJK-Regular.ttc#2", "NotoSans-Regular.ttf"], base_dir=FONT_DIR)
    assert chain.members[0].regular.index == 2 and chain.members[0].regular.cff
    assert shape(chain, "abc", False).glyphs[0].member == 0  # the first font that has it
    with pytest.raises(Exception, match="not found"):
        load_chain(["missing.otf"], base_dir=tmp_path)


def test_a_face_the_font_file_has_not_is_one_line_saying_which_it_has(tmp_path, capsys):
    from storyboard.cli import main

    script = tmp_path / "s.yaml"
    script.write_text("title: T\npage: {size: [80, 100], dpi: 40}\nscenes: [{panels: [{action: a, caption: hi}]}]\n")
    ttc, ttf = FONT_DIR / "NotoSansCJK-Regular.ttc", FONT_DIR / "NotoSans-Regular.ttf"
    for font, why in ((f"{ttc}#99", "it has no face 99: the collection has 10 faces, #0 to #9"),
                      # HarfBuzz gives a single font's face for any index: #2 would be the font itself
                      (f"{ttf}#2", "it has no face 2: it is one font, not a collection (name it without #2)")):
        assert main(["render", str(script), "--engine", "draft", "--font", font, "-o", str(tmp_path / "s.pdf")]) == 2
        assert capsys.readouterr().err == f"error: cannot use font {font.partition('#')[0]}: {why}\n"
    assert not (tmp_path / "s.pdf").exists()


def test_latin_in_a_vertical_line_lies_sideways_cjk_stands_upright():
    shaped = shape(JA, "「OKです」2026年", False, vertical=True)
    sideways = [g.sideways for g in shaped.glyphs]
    assert sideways == [False, True, True, False, False, False, True, True, True, True, False]
    ys = [g.y for g in shaped.glyphs]
    assert ys == sorted(ys, reverse=True)  # top to bottom
    assert "".join(c.text for c in shaped.clusters) == "「OKです」2026年"


def test_short_numbers_in_a_vertical_line_sit_across_one_cell():
    shaped = shape(JA, "12月2026年", False, vertical=True)
    one, two = shaped.glyphs[:2]
    assert not one.sideways and not two.sideways and one.y == two.y and one.x < 0 < two.x + 0.01
    assert shaped.glyphs[2].y == pytest.approx(one.y - 1.0, abs=0.2)  # 月 in the next cell
    assert all(g.sideways for g in shaped.glyphs[3:7])  # four digits lie sideways
    assert "".join(c.text for c in shaped.clusters) == "12月2026年"


@pytest.mark.skipif(not __import__("shutil").which("pdftoppm"), reason="needs poppler-utils")
def test_outlined_faux_bold_sfx_looks_the_same_in_pdf_and_png(tmp_path):
    import subprocess

    import numpy as np
    from PIL import Image

    from storyboard.export.canvas import PageCanvas
    from storyboard.text.draw import PdfFonts, draw_text_pdf

    text, size, width = "ドンBOOM", 40.0, 2.0  # CJK bold is emboldened Regular; Latin has a Bold
    canvas = page_canvas((300, 80))
    fonts = PdfFonts(JA)
    draw_text_pdf(canvas, 10, 25, text, size, JA, fonts, bold=True, fill=(1, 0.8, 0.1), outline=(0, 0, 0),
                  outline_width=width)
    one_page_book(canvas, fonts, tmp_path / "t.pdf")
    subprocess.run(["pdftoppm", "-r", "144", "-png", str(tmp_path / "t.pdf"), str(tmp_path / "r")], check=True)
    pdf = np.asarray(Image.open(next(tmp_path.glob("r*.png"))).convert("RGB"), dtype=np.int16)
    page = PageCanvas(600, 160)  # as PNG pages paint it
    page.text(JA, text, 20, 160 - 50, size * 2, bold=True, fill=(1, 0.8, 0.1), outline=(0, 0, 0),
              outline_width=width * 2)
    png = np.asarray(page.pil().convert("RGB"), dtype=np.int16)
    for channel in (0, 2):  # black outline shows in red, yellow fill in blue
        a, b = pdf[..., channel] < 128, png[..., channel] < 128
        assert (a & b).sum() / (a | b).sum() > 0.8


def test_cff_font_subset_for_the_pdf_does_not_depend_on_the_time(monkeypatch):
    # fontTools stamps a saved font with the time unless told not to: the same page rendered
    # a second later had other bytes.
    from fontTools.ttLib.tables import _h_e_a_d

    from storyboard.text.pdffonts import _truetype_subset

    face = next(m.regular for m in JA.members if m.regular.cff)
    first = _truetype_subset(face, set("ドン"), "T")
    monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda: 1 << 30)
    assert _truetype_subset(face, set("ドン"), "T") == first


def page_canvas(size):
    from storyboard.export.pdf import _PageCanvas

    canvas = _PageCanvas()
    canvas.setPageSize(size)
    return canvas


def one_page_book(canvas, fonts, path):
    from types import SimpleNamespace

    from storyboard.export.pdf import Joiner

    with Joiner() as joiner:
        joiner.add(canvas.piece(fonts.used))
        joiner.write(path, story=SimpleNamespace(title="t", page=SimpleNamespace(reading="ltr")))


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"), reason="needs poppler-utils")
def test_a_lines_text_layer_is_the_same_whatever_the_page_showed_before(tmp_path):
    # The text layer shows each character by its code point in a font the whole book shares:
    # a line's layer (made once per process) fits every page, and the page lists what it shows.
    import subprocess

    from storyboard.text import draw

    chain = bundled_chain()
    line = ("Hello (there) \\ world! Été\u00a0?", False, False)
    before = ("BOOM ドン", True, False)
    alone, after = draw.PdfFonts(chain), draw.PdfFonts(chain)
    canvas = page_canvas((300, 60))
    after.text_layer(canvas, shape(chain, *before), before)
    layer = alone.text_layer(canvas, shape(chain, *line), line)
    draw._LAYERS.clear()
    assert after.text_layer(canvas, shape(chain, *line), line) == layer
    assert "<0048" in layer and "00E9" in layer and "0020003F" in layer  # H, é; a no-break space is shown as a space
    ((name, (_, index, cff, plane, codes)),) = alone.used.items()
    assert (index, cff, plane) == (0, False, 0) and codes == {ord(c) for c in "Hello (there) \\ world! Été?"}
    assert set(after.used) > set(alone.used) and after.used[name][4] >= codes
    draw.draw_text_pdf(canvas, 10, 40, line[0], 12, chain, alone)
    draw.draw_text_pdf(canvas, 10, 15, "a\U0001F600b", 12, chain, alone)  # beyond the first plane: a font of its own
    assert sorted(font[3] for font in alone.used.values()) == [0, 1]
    one_page_book(canvas, alone, tmp_path / "t.pdf")
    out = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["Hello", "(there)", "\\", "world!", "Été", "?", "a\U0001F600b"]


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"), reason="needs poppler-utils")
def test_a_right_to_left_cluster_of_several_characters_extracts_as_written(tmp_path):
    # The layer shows right-to-left text in visual order and readers reverse it character
    # by character: lam-alef (one glyph for "لا") and a letter with its vowel mark extracted
    # as "ال" and a mark before its letter when a cluster was shown in logical order.
    import subprocess

    from storyboard.text import draw

    chain = bundled_chain()
    fonts = draw.PdfFonts(chain)
    canvas = page_canvas((300, 60))
    line = "لا، بَيت"
    assert {c.text for c in shape(chain, line).clusters} >= {"لا", "بَ"}
    draw.draw_text_pdf(canvas, 10, 30, line, 12, chain, fonts)
    one_page_book(canvas, fonts, tmp_path / "t.pdf")
    out = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True, check=True)
    assert "".join(c for c in out.stdout if unicodedata.category(c)[0] in "LM") == "لابَيت"


def test_a_vertical_balloons_columns_hang_inside_its_oval():
    # Columns hang from one top (tategaki); the oval was sized as if each were centred, so
    # the short first and last columns, at the oval's narrow ends, poked out of its top.
    from storyboard.lettering import _lines, fit_text

    text = "子供の頃、海が町の広場まで上がってきたの。私たちはお年寄りを背負って教会まで運んで、"
    for width, height in ((120, 200), (160, 160), (220, 130)):
        fit = fit_text(JA, text, "speech", 8.0, width, height, vertical=True)
        assert fit is not None and len(set(fit.block.widths)) > 1  # columns of several lengths
        _, boxes = _lines(JA, fit.block, 0.0, 0.0)
        for box in boxes:
            for x, y in ((box.x, box.y), (box.x1, box.y), (box.x, box.y1), (box.x1, box.y1)):
                assert (x / fit.a) ** 2 + (y / fit.b) ** 2 <= 1.0 + 1e-9, (fit.block.lines, box, fit.a, fit.b)


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"), reason="needs poppler-utils")
def test_an_ideographic_variation_sequence_is_embedded_and_extracts_as_written(tmp_path):
    # 葛 + VS17 (U+E0100, 葛󠄀飾区): the selector is the only character of its plane in the CJK
    # face (a CFF face, converted per book), which maps it only through its variation table;
    # its font once had no cmap at all and the join failed ("reportlab cannot read it").
    import subprocess

    from storyboard.text import draw

    text = "葛\U000E0100飾区"
    fonts = draw.PdfFonts(JA)
    canvas = page_canvas((300, 60))
    draw.draw_text_pdf(canvas, 10, 20, text, 12, JA, fonts)
    assert sorted(font[3] for font in fonts.used.values()) == [0, 14]
    one_page_book(canvas, fonts, tmp_path / "t.pdf")
    out = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [text]
