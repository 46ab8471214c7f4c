"""Issue 18, item 3: list fields never split a name. `author` is one name (commas included)
or a list of names; ComicInfo's Writer, the PDF's XMP creators and Info Author agree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile

import pytest

from storyboard.cli import main
from storyboard.script import parse_story

NS = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
SCRIPT = "title: T\nauthor: {author}\npage: {{size: [80, 100], dpi: 40}}\nscenes: [{{panels: [{{action: a}}]}}]\n"


@pytest.mark.parametrize("author, names, writer, info", [
    ('"Smith, John"', ["Smith, John"], "Smith John", "Smith, John"),
    ('["Smith, John", Ana Ruiz, 3.10]', ["Smith, John", "Ana Ruiz", "3.10"], "Smith John, Ana Ruiz, 3.10",
     "Smith, John; Ana Ruiz; 3.10"),
])
def test_each_author_is_one_name_in_comicinfo_and_the_pdf(tmp_path, author, names, writer, info):
    from pypdf import PdfReader

    script = tmp_path / "s.yaml"
    script.write_text(SCRIPT.format(author=author))
    assert main(["render", str(script), "--engine", "draft", "--no-cache",
                 "-o", str(tmp_path / "b.cbz"), "-o", str(tmp_path / "b.pdf")]) == 0
    comicinfo = ET.fromstring(zipfile.ZipFile(tmp_path / "b.cbz").read("ComicInfo.xml"))
    assert comicinfo.findtext("Writer") == writer
    assert len(comicinfo.findtext("Writer").split(",")) == len(names)  # how readers split it
    pdf = PdfReader(tmp_path / "b.pdf")
    xmp = ET.fromstring(pdf.trailer["/Root"]["/Metadata"].get_object().get_data())
    assert [li.text for li in xmp.findall(".//dc:creator/rdf:Seq/rdf:li", NS)] == names
    assert pdf.metadata.author == info


def test_author_shapes():
    story = parse_story(SCRIPT.format(author="[Ana, Bo]"))
    assert story.author == ["Ana", "Bo"] and story.authors == ("Ana", "Bo")
    assert parse_story(SCRIPT.format(author='""')).authors == ()
    assert parse_story(SCRIPT.format(author="007")).authors == ("007",)
    with pytest.raises(Exception) as err:  # an empty name in a list is named as such
        parse_story(SCRIPT.format(author='[""]'), filename="f.yaml")
    assert str(err.value) == "f.yaml:2:9: author: '' is not a name: a name needs a letter or a digit"
    for bad in ("[]", "{a: b}", "[[a]]", "~"):
        with pytest.raises(Exception) as err:
            parse_story(SCRIPT.format(author=bad), filename="f.yaml")
        assert str(err.value) == "f.yaml:2:9: author: author is a name or a list of names"


def test_union_members_never_leak_into_messages():
    """Pydantic names each member of a union in its error locations ('list[str]', bool):
    they are taken out and the members' messages share one line."""
    text = "title: T\ngeneration: {fast: 3}\nstyle: {font: [[a]]}\nscenes: [{panels: [{action: a}]}]\n"
    with pytest.raises(Exception) as err:
        parse_story(text, filename="f.yaml")
    assert str(err.value).splitlines() == [
        "f.yaml:2:20: generation.fast: input should be a valid boolean, unable to interpret input; "
        "or '3' is not one of: lcm, tcd, hyper, lightning, dmd2, off",
        "f.yaml:3:15: style.font: font is a font file or a list of font files",
    ]


def test_sheet_header_names_every_author(tmp_path):
    from storyboard import layout
    from storyboard.export import compose
    from storyboard.lettering import story_font

    story = parse_story("title: T\nauthor: [Ana, Bo, Cy]\npage: {size: storyboard, dpi: 40}\n"
                        "scenes: [{panels: [{action: a}]}]\n")
    drawing = compose(story, layout.paginate(story), story_font(story))[0]
    header = next(item for item in drawing.items if item.kind == "header")
    assert header.lines[0] == "T by Ana, Bo and Cy"
