"""The PDF's text layer reads a right-to-left line holding numbers or Latin words in its
words' order: "שלום 789 עולם" came out of pdftotext (and PyMuPDF, pypdf) as "עולם 789 שלום"
on a mostly left-to-right page, each word right but the words in the order they are seen.
Only the invisible layer moves: the page's pixels stay the same."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata

import pytest

import storyboard
from storyboard.script import load_story

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("pdftoppm"),
                                reason="needs poppler-utils")

LINES = ["שלום 789 עולם", "مرحبا 123 يا صديقي"]


def _story(tmp_path, name: str, action: str, captions: list[str]):
    panels = [{"action": action, "caption": caption} for caption in captions]
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps({"title": "T", "generation": {"engine": "draft"},
                                "page": {"size": [300, 300], "dpi": 36},
                                "scenes": [{"panels": panels}]}, ensure_ascii=False), encoding="utf-8")
    return load_story(path)


def _words(text: str) -> str:
    """`text` without bidi controls (readers' spacing around numbers varies: "שלום789")."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _in_order(text: str, line: str) -> bool:
    """Whether every word of `line` is in `text`, in the line's order."""
    at = [text.find(word) for word in line.split()]
    return -1 not in at and at == sorted(at)


def _render(story, out, tmp_path):
    storyboard.render(story, out=out, cache=False, watermark=False)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    prefix = tmp_path / out.stem
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(prefix)], check=True)
    pixels = [p.read_bytes() for p in sorted(tmp_path.glob(f"{out.stem}-*.png"))]
    return text, pixels


def test_rtl_lines_with_numbers_read_in_word_order(tmp_path, monkeypatch):
    # Draft labels in English make the page mostly left to right: poppler reads it left to right.
    story = _story(tmp_path, "mixed", "a quiet harbour at dawn with boats and gulls", LINES)
    text, pixels = _render(story, tmp_path / "mixed.pdf", tmp_path)
    words = _words(text)
    for line in LINES:
        assert _in_order(words, line), (line, words)
    from pypdf import PdfReader

    layer = _words(PdfReader(tmp_path / "mixed.pdf").pages[0].extract_text())
    assert all(_in_order(layer, line) for line in LINES), layer
    # Marked-content spans: pdf.js turns back each span alone (an Arabic line and its digits in
    # one font were else one piece, turned back whole). Four pieces a line: the words before
    # the number, the space after them, the number, the words after it (words and the spaces
    # between them in one piece, in visual order, so that pdf.js keeps those spaces).
    content = PdfReader(tmp_path / "mixed.pdf").pages[0].get_contents().get_data()
    assert content.count(b"EMC /Span BMC") == 3 * len(LINES)
    assert content.count(b"BMC") == content.count(b"EMC")
    # The layer on the glyphs (as on a mostly right-to-left page): the same pixels, and poppler,
    # reading this page left to right, reads the words reversed.
    import storyboard.export.pdf as pdf

    monkeypatch.setattr(pdf, "mostly_left_to_right", lambda texts: False)
    seen, same = _render(story, tmp_path / "seen.pdf", tmp_path)
    assert same == pixels
    assert not _in_order(_words(seen), LINES[0])


def test_a_mostly_right_to_left_page_keeps_its_layer_on_the_glyphs(tmp_path):
    # poppler reads a mostly right-to-left page right to left: the layer where the glyphs are
    # reads in word order there, and stays so, but for neutrals after a number, which poppler
    # read before it ("(שלום) !12"). pypdf, which reads the content stream, read such a page's
    # mixed lines in the order their runs are seen, Arabic-Indic numbers turned around ("٥٤"
    # for "٤٥"): the layer shows the runs in logical order.
    filler = ["הספינה הגיעה לנמל בבוקר", "הדייגים ירדו אל החוף"] * 3
    lines = LINES + ["العدد ٤٥ و 67 معا", "(שלום) 12!", "ההצגה ב-20:30!"]
    story = _story(tmp_path, "rtl", "נמל שקט עם סירות", lines + filler)
    text, _ = _render(story, tmp_path / "rtl.pdf", tmp_path)
    words = _words(text)
    assert all(_in_order(words, line) for line in lines[:-2]), words
    read = [_words(line).strip() for line in text.splitlines()]
    assert all(line in read for line in lines), read  # spaces too ("שלום  789עולם" before)
    # A RIGHT-TO-LEFT MARK before each "!" after a number, and after each number before a
    # space and a right-to-left word (else poppler read that space before the number).
    assert text.count("\u200f") == 2 + 4
    from pypdf import PdfReader

    layer = [_unspaced(line) for page in PdfReader(tmp_path / "rtl.pdf").pages
             for line in page.extract_text().splitlines()]
    assert all(_unspaced(line) in layer for line in lines), layer


def test_pymupdf_reads_the_words_in_order(tmp_path):
    pymupdf = pytest.importorskip("pymupdf")
    story = _story(tmp_path, "mixed", "a quiet harbour at dawn with boats and gulls", LINES)
    storyboard.render(story, out=tmp_path / "m.pdf", cache=False, watermark=False)
    words = _words(pymupdf.open(tmp_path / "m.pdf")[0].get_text())
    assert all(_in_order(words, line) for line in LINES), words


# Numbers next to Arabic words, punctuation at a right-to-left word's end (brackets, a colon,
# "!") and a vowel mark on a line's last letter: pypdf turned Arabic-Indic numbers around
# ("٤٥" read "٥٤"), pdftotext put the punctuation at the wrong end of the word (") (שלום 12!",
# ":מחיר 3.50") and the mark at the line's start ("ًعاماً جميلا").
PUNCTUATED = ["العدد ٤٥ و 67 معا", "(٣٤) هنا", "(שלום) 12!", "מחיר: 3.50 ₪ ו-20%", "יש לי 3 תפוחים!",
              "שלום, עולם", "عاماً جميلاً"]


def _unspaced(text: str) -> str:
    return "".join(c for c in _words(text) if not c.isspace())


def test_numbers_and_punctuation_read_in_place(tmp_path):
    story = _story(tmp_path, "punct", "a quiet harbour at dawn with boats and gulls", PUNCTUATED)
    text, _ = _render(story, tmp_path / "punct.pdf", tmp_path)
    from pypdf import PdfReader

    layer = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "punct.pdf").pages)
    for reader, got in (("pdftotext", text), ("pypdf", layer)):
        lines = [_unspaced(line) for line in got.splitlines()]
        for line in PUNCTUATED:
            assert _unspaced(line) in lines, (reader, line, got)
    assert "٥٤" not in layer and "٤٣" not in layer  # no number turned around
    # poppler's right-to-left sections end after such punctuation or a mark at an invisible
    # RIGHT-TO-LEFT MARK, added only there: after "(שלום)", "תפוחים!" and "جميلاً".
    assert text.count("\u200f") == 3


def test_right_to_left_words_in_a_left_to_right_line(tmp_path):
    # A Hebrew word in brackets or before a comma in an English line: poppler read
    # "Call ( )שלוםnow" and "He said  עולם,שלום today"; a LEFT-TO-RIGHT MARK after the word
    # ends poppler's right-to-left section before the bracket.
    lines = ["Call (שלום) now", "He said שלום, עולם today"]
    story = _story(tmp_path, "ltr", "a quiet harbour at dawn with boats and gulls", lines)
    text, _ = _render(story, tmp_path / "ltr.pdf", tmp_path)
    from pypdf import PdfReader

    layer = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "ltr.pdf").pages)
    for reader, got in (("pdftotext", text), ("pypdf", layer)):
        read = [_unspaced(line) for line in got.splitlines()]
        assert all(_unspaced(line) in read for line in lines), (reader, got)
    assert text.count("\u200e") == 1


def test_a_page_as_much_right_to_left_as_left_to_right_reads_in_order(tmp_path):
    # poppler counts the marks of the layer among the page's letters: on a page with as many
    # Hebrew as Latin letters, the RIGHT-TO-LEFT MARK the layer added for a left-to-right
    # reading ("(שלום) 12!") tipped poppler to read it right to left, and every line laid out
    # for the other reading came out reversed ("ההתחלה 3:פרק", ") 31/12עד(", breaker6).
    from storyboard.export import compose_page
    from storyboard.layout import paginate
    from storyboard.lettering import Shape, story_font

    lines = ["(שלום) 12!", "פרק 3: ההתחלה", "(עד 31/12)"]

    def balance(story):
        book = paginate(story)
        drawing = compose_page(story, book, book.pages[0], story_font(story), labels=True)
        kinds = [unicodedata.bidirectional(c) for item in drawing.items for op in item.ops
                 if not isinstance(op, Shape) for c in op.text]
        return kinds.count("L") - kinds.count("R") - kinds.count("AL")

    story = _story(tmp_path, "even", "boats", lines)
    more = balance(story)  # (the labels are English, the captions Hebrew)
    story.scenes[0].panels[0].action += " " + ("ב" * more if more > 0 else "b" * -more)
    assert balance(story) == 0
    text, _ = _render(story, tmp_path / "even.pdf", tmp_path)
    words = _words(text)
    assert all(_in_order(words, line) for line in lines), words
    read = [_unspaced(line) for line in text.splitlines()]
    assert all(_unspaced(line) in read for line in lines), read
