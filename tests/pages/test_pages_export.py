from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from PIL import Image

from storyboard.errors import ExportError
from storyboard.export import check_lettering
from storyboard.export.images import panel_boxes, write_pages
from storyboard.export.pdf import write_pdf
from storyboard.layout import paginate
from storyboard.lettering import BUNDLED_BOLD
from tests.pages.stories import art, panel, story

LINES = [
    ("ana", "speech", "Someone has to keep the light burning."),
    ("ben", "whisper", "Not tonight."),
    ("ana", "shout", "The lamp is cursed!"),
    ("ben", "thought", "She is braver than me."),
    ("narration", "speech", "She never came back down."),
]


def book_story(**page):
    panels = [
        panel(caption="Off the coast of Maine, 1953.", size="wide", sfx=["KRAKOOM"]),
        panel(cast=[{"ana": "left"}, {"ben": "right"}],
              dialogue=[{s: {"text": t, "kind": k}} for s, k, t in LINES[:2]]),
        panel(cast=["ana", "ben"], dialogue=[{s: {"text": t, "kind": k}} for s, k, t in LINES[2:4]]),
        panel(dialogue=[{"narration": LINES[4][2]}], caption="Years later.", new_page=True),
    ]
    return story(panels, page={"dpi": 72, **page})


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_has_searchable_text_embedded_fonts_boxes_and_metadata(tmp_path, poppler):
    from pypdf import PdfReader

    s = book_story()
    book = paginate(s)
    out = write_pdf(s, book, art(book), tmp_path / "book.pdf")
    assert out == tmp_path / "book.pdf"
    text = squash(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout)
    for _, _, line in LINES:
        assert squash(line) in text
    for caption in ("Off the coast of Maine, 1953.", "Years later.", "KRAKOOM"):
        assert squash(caption) in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(row.split()[-5] == "yes" for row in fonts), fonts
    assert any("ComicNeue" in row for row in fonts)

    reader = PdfReader(out)
    assert len(reader.pages) == len(book.pages) == 2
    assert reader.metadata.title == "Test Book" and reader.metadata.author == "A. Writer"
    spec = book.spec
    for page in reader.pages:
        assert [float(v) for v in page.trimbox] == pytest.approx([spec.trim.x, spec.trim.y, spec.trim.x1, spec.trim.y1])
        assert [float(v) for v in page.bleedbox] == pytest.approx([0, 0, spec.media.w, spec.media.h])
        assert [float(v) for v in page.mediabox] == pytest.approx([0, 0, spec.media.w, spec.media.h])
        # Panel art goes in as JPEG untouched by ASCII85.
        for image in page.images:
            assert image.image is not None
        images = [o.get_object() for o in page["/Resources"]["/XObject"].values()
                  if o.get_object()["/Subtype"] == "/Image"]  # (glyphs are form XObjects)
        assert images and all(list(image["/Filter"]) == ["/DCTDecode"] for image in images)


def test_pdf_and_png_pages_look_the_same(tmp_path, poppler):
    s = book_story(reading="rtl")
    book = paginate(s)
    images = art(book)
    pdf = write_pdf(s, book, images, tmp_path / "b.pdf")
    pngs = write_pages(s, book, images, tmp_path / "pages")
    assert [p.name for p in pngs] == ["page-001.png", "page-002.png"]
    subprocess.run(["pdftoppm", "-r", "72", "-png", str(pdf), str(tmp_path / "r")], check=True)
    bleed = round(book.spec.bleed)
    for index, png in enumerate(pngs, 1):
        ours = np.asarray(Image.open(png).convert("L"), dtype=np.float32)
        theirs = np.asarray(Image.open(tmp_path / f"r-{index}.png").convert("L"), dtype=np.float32)
        theirs = theirs[bleed:bleed + ours.shape[0], bleed:bleed + ours.shape[1]]
        assert ours.shape == theirs.shape
        assert np.abs(ours - theirs).mean() < 6.0, index


def test_png_pages_are_deterministic_and_at_page_dpi(tmp_path):
    s = book_story(dpi=100)
    book = paginate(s)
    first = write_pages(s, book, art(book), tmp_path / "a")
    second = write_pages(s, book, art(book), tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    with Image.open(first[0]) as page:
        assert page.size == (round(book.spec.width / 72 * 100), round(book.spec.height / 72 * 100))
        assert page.mode == "RGB"
    assert sorted(x.name for x in (tmp_path / "a").iterdir()) == ["page-001.png", "page-002.png"]


def test_pdf_is_deterministic(tmp_path):
    s = book_story(dpi=100)
    book = paginate(s)
    a = write_pdf(s, book, art(book), tmp_path / "a.pdf").read_bytes()
    b = write_pdf(s, book, art(book), tmp_path / "b.pdf").read_bytes()
    assert a == b



def test_the_book_embeds_each_text_layer_font_once_with_every_page_s_characters(tmp_path, poppler):
    # Pages share one subset per face (a page piece lists what it shows; the join writes the
    # union once): with a subset per page, each font showed up once per page.
    import pikepdf

    s = book_story(reading="rtl")
    s.language = "en-GB"
    book = paginate(s)
    out = write_pdf(s, book, art(book), tmp_path / "book.pdf")
    rows = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    names = [row.split()[0].split("+")[1] for row in rows]
    assert sorted(names) == ["ComicNeue-Bold", "ComicNeue-Regular"], rows
    assert all(" yes yes yes " in row for row in rows)
    page = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(out), "-"], capture_output=True, text=True,
                           check=True).stdout for n in (1, 2)]
    assert "KRAKOOM" in page[0] and "Years later." in page[1] and "Years" not in page[0]
    with pikepdf.open(out) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert pdf.Root.Lang == "en-GB" and pdf.Root.ViewerPreferences.Direction == "/R2L"
        fonts = [{str(name): font.objgen for name, font in p.Resources.Font.items()} for p in pdf.pages]
        assert fonts[1].items() <= fonts[0].items()  # the same font objects on both pages
    data = out.read_bytes()  # every cross-reference entry points at its object
    table = data[int(data.rsplit(b"startxref", 1)[1].split()[0]):]
    entries = table.split(b"\n")[3:]
    numbered = [int(row[:10]) for row in entries if row.endswith(b" n ")]
    assert numbered and all(data[at:].startswith(b"%d 0 obj" % n) for n, at in enumerate(numbered, 1))


def test_a_damaged_page_piece_is_an_export_error(tmp_path):
    from storyboard.export.pdf import assemble, page_pdf
    from storyboard.lettering import story_font

    s = book_story()
    book = paginate(s)
    piece = page_pdf(s, book, book.pages[0], story_font(s, None), art(book))
    (tmp_path / "1.pdfpart").write_bytes(piece[:len(piece) // 2] + piece[len(piece) // 2 + 1:])
    with pytest.raises(ExportError, match=r"^cannot write the PDF: its page 1.pdfpart could not be read back"):
        assemble([tmp_path / "1.pdfpart"], tmp_path / "x.pdf", story=s)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.pdfpart"]

def test_storyboard_sheet_notes(tmp_path, poppler):
    panels = [panel(shot="close-up", angle="low", action="Vic checks his watch", cast=["ana"],
                    dialogue=[{"ana": "Right on time."}], sfx=["TICK"], caption="0:42 remaining")] + \
        [panel(action=f"shot {i}") for i in range(9)]  # ten panels: two sheets of the 3x3 2.39:1 grid
    s = story(panels, page={"size": "storyboard", "frame_aspect": "2.39:1", "dpi": 72})
    book = paginate(s)
    pdf = write_pdf(s, book, art(book), tmp_path / "sheet.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = squash(text)
    for needle in ("1.CLOSE-UP/LOW", "Vicchecks", "ANA:Rightontime.", "CAPTION:0:42remaining", "SFX:TICK",
                   "TestBookbyA.Writer", "sheet1of2", "sheet2of2", "9.MEDIUM/EYE-LEVEL"):
        assert needle in flat, needle
    assert len(book.pages) == 2


def test_fonts_from_the_script_and_the_caller(tmp_path, poppler):
    font = tmp_path / "lettering.ttf"
    font.write_bytes(BUNDLED_BOLD.read_bytes())
    s = book_story()
    s._base_dir = tmp_path
    s.style.font = "lettering.ttf"
    book = paginate(s)
    out = write_pdf(s, book, art(book), tmp_path / "f.pdf")
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    assert "ComicNeue-Bold" in fonts and "ComicNeue-Regular" not in fonts
    bad = tmp_path / "bad.otf"
    bad.write_bytes(b"OTTO" + bytes(200))
    with pytest.raises(ExportError, match="cannot use font"):
        write_pdf(s, book, art(book), tmp_path / "g.pdf", font=bad)
    assert not (tmp_path / "g.pdf").exists()


def test_writes_are_atomic_and_errors_are_export_errors(tmp_path):
    s = book_story()
    book = paginate(s)
    images = art(book)
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    with pytest.raises(ValueError, match="no image"):
        write_pdf(s, book, {}, target)
    assert target.read_bytes() == b"old"  # a failed render leaves the old file alone
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]  # and no temp files
    (tmp_path / "folder.pdf").mkdir()
    with pytest.raises(ExportError, match="cannot write"):
        write_pdf(s, book, images, tmp_path / "folder.pdf")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="cannot write"):
        write_pdf(s, book, images, blocker / "sub" / "out.pdf")
    with pytest.raises(ExportError, match="cannot write"):
        write_pages(s, book, images, blocker)
    write_pdf(s, book, images, target)
    assert target.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder.pdf", "out.pdf"]


def test_provenance_goes_into_pdf_and_png_pages(tmp_path):
    from pypdf import PdfReader

    from storyboard.provenance import panel_boxes as boxes_in, provenance, read_provenance

    prov = provenance({"engine": "draft"}, "run12345")
    s = book_story(dpi=50)
    book = paginate(s)
    images = art(book)
    pdf = write_pdf(s, book, images, tmp_path / "p.pdf", metadata=prov)
    meta = PdfReader(pdf).metadata
    assert meta.title == "Test Book" and meta.author == "A. Writer" and "run12345" in meta["/Keywords"]
    pages = write_pages(s, book, images, tmp_path / "pages", metadata=prov)
    expected = panel_boxes(book)
    plain = write_pages(s, book, images, tmp_path / "plain")  # the same pages without the record
    for path, boxes, bare in zip(pages, expected, plain):
        with Image.open(path) as page:
            assert read_provenance(page)["run_id"] == "run12345"
            assert boxes_in(page) == boxes
            assert len(boxes) == len(book.pages[pages.index(path)].slots)
            for left, top, right, bottom in boxes:
                assert left < right and top < bottom  # may reach into the bleed, past the trimmed page
                assert right > 0 and bottom > 0 and left < page.width and top < page.height
            with Image.open(bare) as image:
                assert "storyboard:provenance" not in image.info
                assert np.array_equal(np.asarray(page.convert("RGB")), np.asarray(image.convert("RGB")))


def test_text_the_font_cannot_draw_is_an_error_not_empty_boxes(tmp_path):
    # The bundled chain letters Japanese, Arabic...; Devanagari is not in it.
    s = story([panel(cast=["ana"], dialogue=[{"ana": "こんにちは नमस्ते — “quotes” …"}])], page={"dpi": 50})
    book = paginate(s)
    with pytest.raises(ExportError, match=r"no font in the chain draws 'न' \(U\+0928\)") as err:
        write_pdf(s, book, art(book), tmp_path / "x.pdf")
    assert "\n" not in str(err.value) and not (tmp_path / "x.pdf").exists()
    with pytest.raises(ExportError, match="no font in the chain draws"):
        write_pages(s, book, art(book), tmp_path / "pages")
    with pytest.raises(ExportError, match="no font in the chain draws"):
        check_lettering(s, book)  # before any panel is generated
    fine = story([panel(dialogue=[{"narration": "Plain words."}])])
    assert check_lettering(fine, paginate(fine)).regular.name == "ComicNeue-Regular.ttf"


def test_every_png_page_is_on_disk_before_the_folder_is_replaced(tmp_path, monkeypatch):
    # Pages are synced by the render process (the workers go on painting), but every one of
    # them before the new folder takes the old one's place.
    import os

    from storyboard.export import folder

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to name a synced file")
    synced, seen = [], []
    fsync, commit = os.fsync, folder._commit

    def recorded(fd):
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    def checked(target, stage, names, listed):
        seen.append(sorted(set(names) - set(synced)))
        commit(target, stage, names, listed)

    monkeypatch.setattr(os, "fsync", recorded)
    monkeypatch.setattr(folder, "_commit", checked)
    monkeypatch.setenv("STORYBOARD_WORKERS", "1")
    s = book_story()
    book = paginate(s)
    write_pages(s, book, art(book), tmp_path / "pages")
    assert seen == [[]] and len(book.pages) == 2


def test_write_pages_puts_each_page_on_disk_and_a_failure_leaves_no_folder_it_made(tmp_path, monkeypatch):
    from storyboard.export import images

    monkeypatch.setenv("STORYBOARD_WORKERS", "1")
    s = book_story(dpi=36)
    book = paginate(s)
    pictures = art(book)
    synced = []
    put = images.put_on_disk
    monkeypatch.setattr(images, "put_on_disk", lambda tmp, path: synced.append(path.name) or put(tmp, path))
    written = write_pages(s, book, pictures, tmp_path / "ok")
    assert len(written) == 2 and sorted(synced) == [p.name for p in written]
    painted = images._painted

    def second_fails(story, book, index, *args):
        if index == 1:
            raise ExportError("cannot paint page 2")
        return painted(story, book, index, *args)

    monkeypatch.setattr(images, "_painted", second_fails)
    with pytest.raises(ExportError, match="cannot paint page 2"):
        write_pages(s, book, pictures, tmp_path / "new" / "deep" / "pages")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok"]
