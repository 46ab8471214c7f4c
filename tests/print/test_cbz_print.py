from __future__ import annotations

import os
import xml.etree.ElementTree as ET
import zipfile

import pytest
from PIL import Image

from storyboard.errors import ExportError
from storyboard.export.cbz import ComicInfo, write_cbz

# The v2.0 ComicInfo schema, restated: the complex type is an xs:sequence (this order, each
# element at most once), Pages holds Page elements with these attributes, and these types.
SEQUENCE = [
    "Title", "Series", "Number", "Count", "Volume", "AlternateSeries", "AlternateNumber",
    "AlternateCount", "Summary", "Notes", "Year", "Month", "Day", "Writer", "Penciller", "Inker",
    "Colorist", "Letterer", "CoverArtist", "Editor", "Publisher", "Imprint", "Genre", "Web",
    "PageCount", "LanguageISO", "Format", "BlackAndWhite", "Manga", "Characters", "Teams",
    "Locations", "ScanInformation", "StoryArc", "SeriesGroup", "AgeRating", "Pages",
    "CommunityRating",
]
INT_ELEMENTS = {"Count", "Volume", "AlternateCount", "Year", "Month", "Day", "PageCount"}
ENUMS = {
    "BlackAndWhite": {"Unknown", "No", "Yes"},
    "Manga": {"Unknown", "No", "Yes", "YesAndRightToLeft"},
}
PAGE_ATTRIBUTES = {
    "Image": int, "Type": str, "DoublePage": bool, "ImageSize": int, "Key": str,
    "Bookmark": str, "ImageWidth": int, "ImageHeight": int,
}
PAGE_TYPES = {
    "FrontCover", "InnerCover", "Roundup", "Story", "Advertisement", "Editorial", "Letters",
    "Preview", "BackCover", "Other", "Deleted",
}


def validate_comicinfo(root: ET.Element) -> None:
    """Raise AssertionError where `root` breaks the v2.0 schema's structure."""
    assert root.tag == "ComicInfo"
    positions = [SEQUENCE.index(child.tag) for child in root]  # ValueError: unknown element
    assert positions == sorted(positions) and len(set(positions)) == len(positions), "order"
    for child in root:
        if child.tag in INT_ELEMENTS:
            int(child.text)
        if child.tag in ENUMS:
            assert child.text in ENUMS[child.tag], (child.tag, child.text)
        if child.tag == "Pages":
            for page in child:
                assert page.tag == "Page" and "Image" in page.attrib
                for name, value in page.attrib.items():
                    kind = PAGE_ATTRIBUTES[name]
                    if kind is int:
                        int(value)
                    elif kind is bool:
                        assert value in ("true", "false")
                    elif name == "Type":
                        assert set(value.split()) <= PAGE_TYPES, value
        elif len(child):
            raise AssertionError(f"{child.tag} must be simple content")


def pages(n: int) -> list[Image.Image]:
    return [Image.new("RGB", (200 + 10 * i, 310), (i * 40, 90, 200)) for i in range(n)]


def read_cbz(path):
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        return names, ET.fromstring(archive.read("ComicInfo.xml")), archive


def test_comicinfo_validates_and_describes_every_page(tmp_path):
    info = ComicInfo(
        title="The Lighthouse <1953>", writer="J. Doe", characters=("Mara", "The Keeper"),
        language_iso="en", manga_rtl=True, notes="AI-generated & watermarked",
    )
    path = write_cbz(pages(3), tmp_path / "story.cbz", info=info)
    names, root, _ = read_cbz(path)
    validate_comicinfo(root)
    assert names == ["page-001.png", "page-002.png", "page-003.png", "ComicInfo.xml"]
    assert root.findtext("Title") == "The Lighthouse <1953>"
    assert root.findtext("Writer") == "J. Doe"
    assert root.findtext("Characters") == "Mara, The Keeper"
    assert root.findtext("PageCount") == "3"
    assert root.findtext("LanguageISO") == "en"
    assert root.findtext("Manga") == "YesAndRightToLeft"
    assert root.findtext("Notes") == "AI-generated & watermarked"
    entries = root.find("Pages").findall("Page")
    assert [p.get("Type") for p in entries] == ["FrontCover", "Story", "Story"]
    assert [(p.get("ImageWidth"), p.get("ImageHeight")) for p in entries][1] == ("210", "310")
    with zipfile.ZipFile(path) as archive:
        assert [int(p.get("ImageSize")) for p in entries] == [
            archive.getinfo(n).file_size for n in names[:3]
        ]


def test_left_to_right_book_says_no_manga(tmp_path):
    path = write_cbz(pages(1), tmp_path / "a.cbz", info=ComicInfo(title="A"))
    _, root, _ = read_cbz(path)
    validate_comicinfo(root)
    assert root.findtext("Manga") == "No" and root.find("Writer") is None


def test_the_validator_catches_a_misordered_file():
    bad = ET.fromstring("<ComicInfo><Writer>x</Writer><Title>t</Title></ComicInfo>")
    with pytest.raises(AssertionError, match="order"):
        validate_comicinfo(bad)


def test_page_files_are_stored_verbatim_and_the_output_is_reproducible(tmp_path):
    jpg = tmp_path / "p.jpg"
    Image.new("RGB", (120, 80), "red").save(jpg, quality=90)
    first = write_cbz([jpg, pages(1)[0]], tmp_path / "one.cbz", info=ComicInfo(title="T"))
    second = write_cbz([jpg, pages(1)[0]], tmp_path / "two.cbz", info=ComicInfo(title="T"))
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert archive.read("page-001.jpg") == jpg.read_bytes()


def test_provenance_and_panel_boxes_go_into_page_chunks(tmp_path):
    from storyboard.provenance import panel_boxes, provenance, read_provenance

    prov = provenance({"engine": "diffusion", "model": "some/model"}, "0badcafe")
    path = write_cbz(pages(2), tmp_path / "s.cbz", info=ComicInfo(title="T"), provenance=prov,
                     panel_boxes=[[(0, 0, 100, 100)], []])
    with zipfile.ZipFile(path) as archive, archive.open("page-001.png") as handle:
        image = Image.open(handle)
        image.load()
    assert read_provenance(image)["run_id"] == "0badcafe"
    assert panel_boxes(image) == [(0, 0, 100, 100)]


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "story.cbz"
    target.write_bytes(b"old")
    with pytest.raises(ExportError, match="cannot read page image"):
        write_cbz([tmp_path / "missing.png"], target, info=ComicInfo(title="T"))
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["story.cbz"]
    with pytest.raises(ExportError, match="cannot write"):
        write_cbz(pages(1), target / "inside-a-file.cbz", info=ComicInfo(title="T"))


def test_cbz_pages_are_made_on_workers_as_the_png_pages(tmp_path, monkeypatch):
    import importlib
    import io

    import numpy as np

    import storyboard
    from storyboard.export import images
    from tests.render.test_crash import long_story

    monkeypatch.setattr(importlib.import_module("storyboard.render"), "_run_id", lambda *a: "0000cafe")
    log = tmp_path / "pids.log"
    paint_page = images.paint_page

    def logged(*args, **kwargs):  # which process drew each page (workers are forked)
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return paint_page(*args, **kwargs)

    monkeypatch.setattr(images, "paint_page", logged)
    script = long_story(tmp_path / "story.yaml", panels=36, dpi=40)  # 6 pages
    books = {}
    for workers in ("2", "1"):
        monkeypatch.setenv("STORYBOARD_WORKERS", workers)
        log.unlink(missing_ok=True)
        storyboard.render(script, out=tmp_path / f"w{workers}.cbz", cache=False)
        books[workers] = (tmp_path / f"w{workers}.cbz").read_bytes()
        pids = set(log.read_text().split())
        assert (len(pids) > 1) == (workers == "2")  # on worker processes only when asked to
    assert books["2"] == books["1"]  # the same bytes either way
    storyboard.render(script, out=tmp_path / "pages/", cache=False)
    with zipfile.ZipFile(io.BytesIO(books["2"])) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".png"))
        assert names == [f"page-00{n}.png" for n in range(1, 7)]
        for name in names:
            page = Image.open(io.BytesIO(archive.read(name)))
            assert page.info["dpi"] == pytest.approx((40, 40), abs=0.01) and "storyboard:provenance" in page.info
            with Image.open(tmp_path / "pages" / name) as png:
                assert np.array_equal(np.asarray(page), np.asarray(png))


def test_a_stop_while_an_entry_is_written_ends_as_a_stop_with_nothing_left(tmp_path, monkeypatch):
    # SIGTERM inside ZipFile.writestr (here: as the XML's compressor is made) left the entry
    # open; closing the archive then raised ValueError, a traceback instead of the stop.
    import signal

    from storyboard._signals import defer

    def stop(signum, frame):  # what the command line does on SIGTERM (cli._terminate)
        # Another thread of the test session may take the signal while the main thread holds
        # it; Python then runs this handler in the main thread inside the held block.
        if defer():
            return
        raise KeyboardInterrupt

    real = zipfile.zlib.compressobj

    def compressobj(*args):
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args)

    previous = signal.signal(signal.SIGTERM, stop)
    monkeypatch.setattr(zipfile.zlib, "compressobj", compressobj)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_cbz([Image.new("RGB", (8, 8), "white")], tmp_path / "book.cbz", info=ComicInfo(title="T"))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert list(tmp_path.iterdir()) == []
