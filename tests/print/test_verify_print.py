from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from storyboard.cli import main
from storyboard.export.cbz import ComicInfo, write_cbz
from storyboard.provenance import comicinfo_notes, png_info, provenance
from storyboard.watermark import mark

from .conftest import drawn_panel, painted_panel

RUN = "5eed1234"
SETTINGS = {
    "engine": "diffusion",
    "model": "stable-diffusion-v1-5/stable-diffusion-v1-5",
    "face_adapter": "h94/IP-Adapter-FaceID/ip-adapter-faceid_sd15.bin",
    "fast_lora": "latent-consistency/lcm-lora-sdv1-5",
    "peels": [{"ref": "peels/ink.safetensors", "weight": 0.8}],
    "steps": 4,
}


@pytest.fixture(scope="module")
def book():
    """Two pages of two marked panels each, composed like the exporters do."""
    panels = [mark(make(420, 300, seed=i), RUN) for i, make in
              enumerate([drawn_panel, painted_panel, painted_panel, drawn_panel])]
    boxes = [(40, 40, 460, 340), (40, 380, 460, 680)]
    pages = []
    for first in (0, 2):
        page = Image.new("RGB", (500, 720), "white")
        for panel, box in zip(panels[first:first + 2], boxes):
            page.paste(panel, box[:2])
        pages.append(page)
    return panels, pages, boxes


def write_pdf(path, panels):
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=(500, 720))
    for first in (0, 2):
        for panel, y in zip(panels[first:first + 2], (380, 40)):
            canvas.drawImage(ImageReader(panel), 40, y, width=420, height=300)
        canvas.showPage()
    canvas.save()


def test_verify_finds_every_panel_in_the_pdf(tmp_path, capsys, book):
    panels, _, _ = book
    write_pdf(tmp_path / "story.pdf", panels)
    assert main(["verify", str(tmp_path / "story.pdf")]) == 0
    out = capsys.readouterr().out
    assert out.count(f"marked, run {RUN}") == 4 and "4 of 4 panels marked" in out


def test_verify_finds_every_panel_in_the_cbz_pages(tmp_path, capsys, book):
    _, pages, boxes = book
    prov = provenance(SETTINGS, RUN)
    cbz = write_cbz(pages, tmp_path / "story.cbz", info=ComicInfo(title="T"), provenance=prov,
                    panel_boxes=[boxes, boxes])
    assert main(["verify", str(cbz)]) == 0
    assert capsys.readouterr().out.count(f"marked, run {RUN}") == 4


def test_unmarked_image_and_wrong_run_exit_1(tmp_path, capsys):
    plain = tmp_path / "plain.png"
    painted_panel(400, 300).save(plain)
    assert main(["verify", str(plain)]) == 1
    assert "NO MARK" in capsys.readouterr().out
    marked = tmp_path / "marked.png"
    mark(painted_panel(400, 300), RUN).save(marked)
    assert main(["verify", str(marked)]) == 0
    assert main(["verify", "--run", "00000000", str(marked)]) == 1


def test_a_page_with_one_unmarked_panel_exits_1(tmp_path, capsys, book):
    _, pages, boxes = book
    page = pages[0].copy()
    page.paste(painted_panel(420, 300, seed=9), boxes[1][:2])
    path = tmp_path / "page.png"
    page.save(path, pnginfo=png_info(provenance(SETTINGS, RUN), panels=boxes))
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "panel 1 (420x300): marked" in out and "panel 2 (420x300): NO MARK" in out


def test_unreadable_inputs_exit_2_without_traceback(tmp_path, capsys):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 this is not a pdf")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    broken = tmp_path / "broken.cbz"
    broken.write_bytes(b"PK\x03\x04 broken")
    for path in (junk, text, broken, tmp_path / "missing.png"):
        assert main(["verify", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err


def test_provenance_record_lists_models_and_says_ai_generated():
    prov = provenance(SETTINGS, RUN)
    assert prov["tool"] == "storyboard" and prov["engine"] == "diffusion" and prov["ai_generated"]
    assert prov["models"] == [
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
        "h94/IP-Adapter-FaceID/ip-adapter-faceid_sd15.bin",
        "latent-consistency/lcm-lora-sdv1-5",
        "peels/ink.safetensors",
    ]
    assert "AI-generated" in prov["statement"] and RUN in comicinfo_notes(prov)
    draft = provenance({"engine": "draft"}, RUN, watermark=False)
    assert not draft["ai_generated"] and draft["watermark"] == "none" and draft["models"] == []


def test_png_text_chunks_carry_provenance_and_xmp(tmp_path):
    prov = provenance(SETTINGS, RUN)
    path = tmp_path / "p.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=png_info(prov))
    image = Image.open(path)
    assert image.info["Software"].startswith("storyboard ")
    assert "AI-generated" in image.info["Description"]
    assert json.loads(image.info["storyboard:provenance"]) == prov
    assert "trainedAlgorithmicMedia" in image.info["XML:com.adobe.xmp"]


def test_pdf_info_and_xmp_metadata(tmp_path):
    from pypdf import PdfReader

    from storyboard.export.pdf import write_pdf as export_pdf
    from storyboard.layout import paginate
    from tests.pages.stories import art, panel, story

    prov = provenance(SETTINGS, RUN)
    s = story([panel()], title="The Lighthouse", author="J. Doe", page={"dpi": 50})
    document = paginate(s)
    path = export_pdf(s, document, art(document), tmp_path / "meta.pdf", metadata=prov)
    reader = PdfReader(path)
    info = reader.metadata
    assert info.title == "The Lighthouse" and info.author == "J. Doe"
    assert "AI-generated" in info.subject and info.creator.startswith("storyboard ")
    assert RUN in info["/Keywords"]
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert "trainedAlgorithmicMedia" in xmp and "<dc:title>" in xmp and RUN in xmp
    import xml.dom.minidom

    xml.dom.minidom.parseString(xmp.split("?>", 1)[1].rsplit("<?xpacket", 1)[0])  # well-formed


def test_verify_reads_a_folder_of_page_images(tmp_path, capsys, book):
    _, pages, boxes = book
    prov = provenance(SETTINGS, RUN)
    for i, page in enumerate(pages, start=1):
        page.save(tmp_path / f"page-{i:03d}.png", pnginfo=png_info(prov, panels=boxes))
    (tmp_path / "notes.txt").write_text("not a page")
    assert main(["verify", str(tmp_path)]) == 0
    assert "4 of 4 panels marked" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["verify", str(empty)]) == 2


def test_page_jpeg_resave_keeps_the_marks_when_boxes_are_known(book):
    """A JPEG re-save of a page loses the PNG chunks: read the known boxes back by hand."""
    from storyboard.watermark import read

    _, pages, boxes = book
    buffer = io.BytesIO()
    pages[1].save(buffer, "JPEG", quality=90)
    resaved = Image.open(io.BytesIO(buffer.getvalue()))
    assert [read(resaved.crop(box)) for box in boxes] == [RUN, RUN]


def test_bleeding_panel_reads_back_from_its_unclipped_box(tmp_path, capsys):
    panel = mark(painted_panel(460, 330, seed=7), RUN)
    page = Image.new("RGB", (500, 700), "white")
    page.paste(panel, (-35, -35))  # art extends into the bleed, which the page image cuts off
    path = tmp_path / "page.png"
    page.save(path, pnginfo=png_info(provenance(SETTINGS, RUN), panels=[(-35, -35, 425, 295)]))
    assert main(["verify", str(path)]) == 0
    clipped = tmp_path / "clipped.png"
    page.save(clipped, pnginfo=png_info(provenance(SETTINGS, RUN), panels=[(0, 0, 425, 295)]))
    assert main(["verify", str(clipped)]) == 1
