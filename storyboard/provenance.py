"""Provenance: what made the images, recorded in every output format.

`provenance()` builds one plain dict per run; the helpers below write it as PNG text chunks,
as PDF Info + XMP values, and as the CBZ's ComicInfo notes. The XMP packet flags the images
with the IPTC digital source type "trainedAlgorithmicMedia", the vocabulary that image
viewers and content-credential tools read to label AI-generated media. Nothing here records
a time stamp, so the same run writes the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image, PngImagePlugin

AI_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
DRAFT_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
PROVENANCE_KEY = "storyboard:provenance"  # PNG text chunk holding the JSON dict
PANELS_KEY = "storyboard:panels"  # PNG text chunk: pixel boxes of the marked panels on a page
_MODEL_KEYS = ("model", "adapter", "lora", "encoder", "upscaler", "vae")

# What XML 1.0 cannot carry at all (not even as a character reference): C0 controls other than
# tab, newline and return, lone surrogates, U+FFFE and U+FFFF. Spacing controls (\v, \f and the
# separators \x1c-\x1f) become a space so words stay apart; the rest is dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACING = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f")


def clean_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (see `_NOT_XML`), for every metadata
    value: XMP, ComicInfo.xml and the PDF Info dictionary all say the same."""
    return _NOT_XML.sub(lambda m: " " if m.group() in _SPACING else "", str(text))


def escape(text: str) -> str:
    """`text` cleaned (`clean_text`) and escaped for XML element content or a quoted attribute."""
    # What xml.sax.saxutils.escape(text, {'"': "&quot;"}) gives; that module imports urllib.request
    # and with it ssl, a tenth of a second of every render's start-up.
    return clean_text(text).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace('"', "&quot;")


def provenance(engine_settings: dict[str, Any], run_id: str, *, watermark: bool = True) -> dict:
    """The provenance record of one run.

    `engine_settings` is the engine's `settings()` dict; its "engine" (or "name") value names
    the engine, every string value under a key naming a model, adapter, LoRA, encoder,
    upscaler or VAE is listed as a model id, and so are the refs of "peels".
    """
    from storyboard import __version__

    engine = str(engine_settings.get("engine") or engine_settings.get("name") or "unknown")
    generative = engine != "draft"
    statement = (
        f"AI-generated: the images were made by a generative model ({engine} engine) "
        f"with storyboard {__version__}."
        if generative
        else f"Draft sketches drawn by storyboard {__version__}'s draft engine, no generative model."
    )
    return {
        "tool": "storyboard",
        "version": __version__,
        "engine": engine,
        "models": _model_ids(engine_settings),
        "run_id": run_id,
        "ai_generated": generative,
        "watermark": "dwtDctSvd (invisible-watermark scheme), 56 bits" if watermark else "none",
        "statement": statement,
    }


def _model_ids(settings: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    for key, value in settings.items():
        if key == "peels":
            refs = [p.get("ref") or p.get("path") if isinstance(p, dict) else p for p in value or ()]
            ids.extend(str(r) for r in refs if r)
        elif isinstance(value, str) and value and any(k in key.lower() for k in _MODEL_KEYS):
            ids.append(value)
    return list(dict.fromkeys(ids))


def png_info(prov: dict, *, panels: list[tuple[int, int, int, int]] | None = None) -> "PngImagePlugin.PngInfo":
    """PNG text chunks for one image: Software, Description, the JSON record and XMP.

    For a page image, `panels` are the pixel boxes (left, top, right, bottom) where each
    watermarked panel image was pasted, at its full pasted size and NOT clipped to the page:
    a panel bleeding off the top-left edge has negative left/top. `storyboard verify` crops
    exactly these boxes; the mark's grid starts at the panel's own top-left pixel, so a box
    clipped to the page (shifted origin) reads as unmarked.
    Use: `image.save(path, pnginfo=png_info(prov, panels=boxes))`.
    """
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"{prov['tool']} {prov['version']}")
    info.add_text("Description", prov["statement"])
    info.add_text(PROVENANCE_KEY, json.dumps(prov, sort_keys=True))
    if panels is not None:
        info.add_text(PANELS_KEY, json.dumps([list(map(int, box)) for box in panels]))
    info.add_itxt("XML:com.adobe.xmp", xmp_packet(prov), zip=True)
    return info


def panel_boxes(image: "Image.Image") -> list[tuple[int, int, int, int]] | None:
    """The panel boxes recorded in an opened image's PNG text chunks, or None."""
    raw = image.info.get(PANELS_KEY)
    if raw is None:
        return None
    try:
        boxes = [tuple(int(v) for v in box) for box in json.loads(raw)]
    except (ValueError, TypeError):
        return None
    return [b for b in boxes if len(b) == 4 and b[0] < b[2] and b[1] < b[3]]  # type: ignore[misc]


def read_provenance(image: "Image.Image") -> dict | None:
    """The provenance record in an opened PNG's text chunks, or None."""
    raw = image.info.get(PROVENANCE_KEY)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def names(author: str | Sequence[str]) -> tuple[str, ...]:
    """Author names, cleaned (`clean_text`): one string is one name, whatever commas it holds."""
    return tuple(clean_text(name) for name in ((author,) if isinstance(author, str) else author) if name)


def info_author(author: str | Sequence[str]) -> str:
    """The PDF Info /Author text: the names joined with "; ", the separator PDF readers and the
    XMP specification use between the authors of that one text field."""
    return "; ".join(names(author))


def pdf_metadata(prov: dict, *, title: str, author: str | Sequence[str] = "") -> dict[str, str]:
    """The PDF Info values and XMP packet for a document (`export.pdf` writes them).
    `author` is one name or a sequence of names (XMP lists each as one dc:creator)."""
    models = ", ".join(prov["models"]) or "none"
    title = clean_text(title)
    return {
        "title": title,
        "author": info_author(author),
        "subject": clean_text(prov["statement"]),
        "creator": clean_text(f"{prov['tool']} {prov['version']} ({prov['engine']} engine)"),
        "producer": f"{prov['tool']} {prov['version']}",
        "keywords": clean_text(f"AI-generated, run {prov['run_id']}, models: {models}"
                               if prov["ai_generated"] else f"draft, run {prov['run_id']}"),
        "xmp": xmp_packet(prov, title=title, author=author),
    }


def comicinfo_notes(prov: dict) -> str:
    """The provenance sentence for ComicInfo.xml's Notes."""
    models = ", ".join(prov["models"]) or "none"
    return clean_text(
        f"{prov['statement']} Engine: {prov['engine']}. Models: {models}. "
        f"Run: {prov['run_id']}. Watermark: {prov['watermark']}."
    )


def xmp_packet(prov: dict, *, title: str = "", author: str | Sequence[str] = "") -> str:
    """An XMP packet with Dublin Core, CreatorTool, the IPTC digital source type and the record.
    Every value is cleaned of what XML 1.0 cannot carry and escaped (`escape`)."""
    source = AI_SOURCE_TYPE if prov["ai_generated"] else DRAFT_SOURCE_TYPE
    tool = f"{prov['tool']} {prov['version']}"
    dc = ""
    if title:
        dc += f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>'
    if names(author):
        creators = "".join(f"<rdf:li>{escape(name)}</rdf:li>" for name in names(author))
        dc += f"<dc:creator><rdf:Seq>{creators}</rdf:Seq></dc:creator>"
    dc += f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(prov["statement"])}</rdf:li></rdf:Alt></dc:description>'
    models = "".join(f"<rdf:li>{escape(m)}</rdf:li>" for m in prov["models"])
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about=""'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/"'
        ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
        ' xmlns:storyboard="https://storyboard.invalid/ns/1.0/">'
        f"{dc}"
        f"<xmp:CreatorTool>{escape(tool)}</xmp:CreatorTool>"
        f"<pdf:Producer>{escape(tool)}</pdf:Producer>"
        f"<Iptc4xmpExt:DigitalSourceType>{escape(source)}</Iptc4xmpExt:DigitalSourceType>"
        f"<storyboard:Engine>{escape(prov['engine'])}</storyboard:Engine>"
        f"<storyboard:RunId>{escape(prov['run_id'])}</storyboard:RunId>"
        f"<storyboard:Watermark>{escape(prov['watermark'])}</storyboard:Watermark>"
        f"<storyboard:Models><rdf:Bag>{models}</rdf:Bag></storyboard:Models>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    )


def engine_of(path: str | Path) -> str | None:
    """The engine that made an output (PDF, CBZ, PNG page, folder of pages or webtoon strip), read from the
    provenance storyboard wrote into it; None when there is none or it cannot be read."""
    import re
    import zipfile

    path = Path(path)
    try:
        if path.is_dir():
            # a folder of pages, else a webtoon strip (its images carry the same provenance;
            # 001.png ..., or 0001.png ... from its 1000th image on)
            pages = (sorted(path.glob("page-*.png"))
                     or sorted(p for p in path.glob("*.png") if re.fullmatch(r"\d{3,}\.png", p.name)))
            return engine_of(pages[0]) if pages else None
        if not path.is_file():  # a FIFO or device would block the read: verify refuses those
            return None
        if path.suffix.lower() == ".cbz":
            with zipfile.ZipFile(path) as archive:
                info = archive.read("ComicInfo.xml").decode("utf-8", "replace")
            found = re.search(r"Engine: ([\w-]+)\.", info)
        elif path.suffix.lower() == ".pdf":
            from pypdf import PdfReader

            packet = PdfReader(path).trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8", "replace")
            found = re.search(r"<storyboard:Engine>([^<]+)</storyboard:Engine>", packet)
        else:
            from PIL import Image

            with Image.open(path) as image:
                record = read_provenance(image)
            return str(record.get("engine")) if record else None
    except Exception:  # no provenance is an answer here, not an error: verify reads the pixels next
        return None
    return found.group(1) if found else None
