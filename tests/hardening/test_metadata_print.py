"""Issue 18, items 3, 4 and 7: metadata that XML parsers accept, print resolution and reading
direction, the storyboard sheet header, output folders and counts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile

import pytest
from PIL import Image

from storyboard.cli import main

TITLE = "Tiny\vTale\x1b of the \x00Sea"
AUTHOR = "Ana\x1b Writer\x0c"

SCRIPT = """\
title: {title}
author: {author}
page: {{size: [100, 140], reading: {reading}, dpi: {dpi}}}
characters:
  ray: {{name: "Ray Smith, Jr.", description: a man with a hat}}
  ana: {{description: a woman}}
scenes:
  - panels:
      - action: a man waves
        cast: [ray, ana]
        dialogue: [{{ray: Hello.}}]
"""


def write_script(folder, *, reading="rtl", dpi=300, title=TITLE, author=AUTHOR):
    path = folder / "story.yaml"
    path.write_text(SCRIPT.format(title=json.dumps(title), author=json.dumps(author), reading=reading, dpi=dpi))
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One draft render into every format, each under a folder that does not exist yet."""
    folder = tmp_path_factory.mktemp("meta")
    script = write_script(folder)
    outs = [folder / "new" / "deep" / "book.pdf", folder / "new" / "book.cbz", folder / "new" / "pages" / ""]
    args = ["render", str(script), "--engine", "draft", "--no-cache"]
    for out in outs:
        args += ["-o", str(out) + ("/" if out.name == "pages" else "")]
    assert main(args) == 0
    return folder / "new"


def xmp_of(pdf_path) -> ET.Element:
    from pypdf import PdfReader

    data = PdfReader(pdf_path).trailer["/Root"]["/Metadata"].get_object().get_data()
    return ET.fromstring(data)  # raises ParseError on anything XML 1.0 cannot carry


def test_comicinfo_parses_and_lists_a_name_with_a_comma_whole(rendered):
    root = ET.fromstring(zipfile.ZipFile(rendered / "book.cbz").read("ComicInfo.xml"))
    assert root.findtext("Title") == "Tiny Tale of the Sea"
    assert root.findtext("Writer") == "Ana Writer"  # a list field: each name trimmed, as Characters
    names = [name.strip() for name in root.findtext("Characters").split(",")]
    assert names == ["Ray Smith Jr.", "ana"]
    assert root.findtext("Manga") == "YesAndRightToLeft"


def test_pdf_xmp_parses_and_the_info_matches(rendered):
    from pypdf import PdfReader

    xmp = xmp_of(rendered / "deep" / "book.pdf")
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
    assert xmp.find(".//dc:title/rdf:Alt/rdf:li", ns).text == "Tiny Tale of the Sea"
    # (the form feed ends a line, and a name is one line, trimmed: a83874e)
    assert xmp.find(".//dc:creator/rdf:Seq/rdf:li", ns).text == "Ana Writer"
    info = PdfReader(rendered / "deep" / "book.pdf").metadata
    assert info.title == "Tiny Tale of the Sea" and info.author == "Ana Writer"


def test_every_xml_text_is_cleaned_and_escaped():
    from storyboard.export.cbz import ComicInfo, _Entry, comicinfo_xml
    from storyboard.provenance import provenance, xmp_packet

    nasty = "a\x01b <&> \"q\" \ud800 \ufffe\x1fz"
    prov = provenance({"engine": "diffusion", "model": nasty}, nasty)
    ET.fromstring(xmp_packet(prov, title=nasty, author=nasty).split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    info = ComicInfo(title=nasty, writer=nasty, characters=(nasty, "x, y"), summary=nasty, notes=nasty)
    root = ET.fromstring(comicinfo_xml(info, [_Entry(f'p"{nasty}.png', b"", 1, 1)]))
    assert root.findtext("Title") == 'ab <&> "q"   z'
    assert root.findtext("Characters") == 'ab <&> "q"   z, x y'


def test_pages_carry_their_dpi_in_png_and_cbz(rendered):
    with Image.open(rendered / "pages" / "page-001.png") as page:
        assert page.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    archive = zipfile.ZipFile(rendered / "book.cbz")
    with Image.open(archive.open("page-001.png")) as page:
        assert page.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_manga_pdf_reads_right_to_left(rendered, tmp_path):
    from pypdf import PdfReader

    root = PdfReader(rendered / "deep" / "book.pdf").trailer["/Root"]
    assert root["/ViewerPreferences"]["/Direction"] == "/R2L"
    ltr = write_script(tmp_path, reading="ltr", dpi=72)
    assert main(["render", str(ltr), "--engine", "draft", "--no-cache", "-o", str(tmp_path / "l.pdf")]) == 0
    assert "/ViewerPreferences" not in PdfReader(tmp_path / "l.pdf").trailer["/Root"]


def test_a_long_title_stays_inside_the_sheet_and_clear_of_the_sheet_number():
    from storyboard import layout
    from storyboard.export import compose
    from storyboard.text import load_chain
    from storyboard.script import parse_story

    title = "The Extraordinarily Long and Winding Chronicle of the Lighthouse Keeper " * 3
    story = parse_story(SCRIPT.format(title=json.dumps(title), author='"A. Writer"', reading="ltr", dpi=72)
                        .replace("size: [100, 140]", "size: storyboard"))
    book = layout.paginate(story)
    font = load_chain()
    header = next(item for item in compose(story, book, font)[0].items if item.kind == "header")
    lettered, number = header.ops
    assert number.text == "sheet 1 of 1"
    right_edge = lettered.x + font.width(lettered.text, lettered.size, True)
    assert lettered.text.endswith("\u2026") and lettered.text.startswith("The Extraordinarily")
    assert right_edge < number.x - lettered.size  # clear of the number, so inside the page too
    assert number.x + font.width(number.text, number.size) <= book.spec.live.x1 + 1e-6


def test_one_page_one_panel_counts_are_singular(tmp_path, capsys):
    script = write_script(tmp_path, reading="ltr", dpi=72, title="T", author="")
    assert main(["validate", str(script)]) == 0
    assert "1 scene, 1 panel, 2 characters" in capsys.readouterr().out
    assert main(["render", str(script), "--engine", "draft", "--no-cache", "-o", str(tmp_path / "o.pdf")]) == 0
    assert ": 1 page, 1 panel (1 generated" in capsys.readouterr().out


def test_unused_upscaler_and_negative_guidance_are_one_line_errors(tmp_path, capsys):
    script = write_script(tmp_path, reading="ltr", dpi=72, title="T", author="")
    out, upscaler = tmp_path / "o.pdf", tmp_path / "foo.pth"
    upscaler.write_bytes(b"weights")
    assert main(["render", str(script), "--engine", "draft", "--no-cache", "--upscale", str(upscaler), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: --upscale {upscaler} would not be used: the draft engine draws every panel at print "
                   "size; leave --upscale out\n")
    assert main(["render", str(script), "--engine", "diffusion", "--guidance", "-1", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "guidance" in err and "-1" in err and not out.exists()


@pytest.mark.parametrize("rule", ["page", "panel"])
def test_a_bordered_page_keeps_its_art_inside_the_frames_and_the_bleed_box(tmp_path, rule):
    from pypdf import PdfReader

    from storyboard import layout
    from storyboard.script import parse_story

    panels = "\n".join(f"      - {{action: panel {n}{', bleed: false' if rule == 'panel' and n else ''}}}"
                       for n in range(3))
    page = "{size: [100, 140], dpi: 72" + (", bleed_panels: false}" if rule == "page" else "}")
    text = f"title: T\npage: {page}\nscenes:\n  - panels:\n{panels}\n"
    book = layout.paginate(parse_story(text))
    slots = book.pages[0].slots
    kept = slots if rule == "page" else slots[1:]  # per panel: the first still bleeds
    assert all(s.art == s.rect and s.bleeds == () for s in kept)
    if rule == "panel":
        assert slots[0].bleeds and slots[0].art != slots[0].rect
    (tmp_path / "s.yaml").write_text(text)
    out = tmp_path / "b.pdf"
    assert main(["render", str(tmp_path / "s.yaml"), "--engine", "draft", "--no-cache", "-o", str(out)]) == 0
    pdf_page = PdfReader(out).pages[0]
    bleed, trim = [float(v) for v in pdf_page.bleedbox], [float(v) for v in pdf_page.trimbox]
    assert bleed[2] - bleed[0] == pytest.approx(trim[2] - trim[0] + 2 * 3 * 72 / 25.4, abs=0.01)  # 3 mm bleed kept
