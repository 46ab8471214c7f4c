"""CBZ export: page images in reading order plus a ComicInfo.xml (schema v2.0).

A CBZ is a zip of page images that comic readers page through in name order; the
ComicInfo.xml beside them carries title, writer, characters, language, reading direction
(`Manga=YesAndRightToLeft` for right-to-left books) and one `Pages/Page` entry per image.
The element order below is the order of the v2.0 schema's `xs:sequence`, which validating
readers enforce.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence
from storyboard.errors import ExportError
from storyboard.export import atomic_path
from storyboard.provenance import escape

if TYPE_CHECKING:
    from PIL import Image

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ComicInfo:
    """The ComicInfo.xml fields storyboard fills in."""

    title: str
    writer: str | tuple[str, ...] = ""  # the story's author: one name, or several
    characters: tuple[str, ...] = ()  # display names
    language_iso: str = ""  # e.g. "en", "ja"
    manga_rtl: bool = False  # right-to-left reading: Manga=YesAndRightToLeft
    summary: str = ""
    notes: str = ""  # provenance: storyboard.provenance.comicinfo_notes(prov)


@dataclass(frozen=True)
class _Entry:
    name: str
    data: bytes  # emptied once written to the archive; `size` then keeps its length
    width: int
    height: int
    size: int | None = None

    @property
    def bytes(self) -> int:
        return len(self.data) if self.size is None else self.size


def write_cbz(
    pages: Iterable["Image.Image | Path | str | bytes"],
    path: str | Path,
    *,
    info: ComicInfo,
    provenance: dict | None = None,
    panel_boxes: Sequence[Sequence[Box]] | None = None,
    count: int | None = None,
) -> Path:
    """Write `pages` (in reading order) and ComicInfo.xml to the CBZ file `path`, atomically.

    PIL images are stored as PNG at the resolution in their `info["dpi"]` (pHYs), with the
    provenance record and, when `panel_boxes` is
    given, the pixel boxes of the watermarked panels of each page in its text chunks (for
    `storyboard verify`). Paths to existing PNG/JPEG/WebP files, and such files' bytes, are
    stored byte for byte (their own text chunks stay as they are).

    `pages` may be an iterator (then give `count`, the number of pages): each page is encoded
    and written to the archive before the next is asked for, so memory does not grow with
    the length of the book.
    """
    if count is None:
        if not isinstance(pages, Sequence):
            raise ValueError("write_cbz needs `count` when `pages` is an iterator")
        count = len(pages)
    if count < 1:
        raise ExportError(f"{path}: a CBZ needs at least one page")
    if panel_boxes is not None and len(panel_boxes) != count:
        raise ValueError(f"{len(panel_boxes)} panel box lists for {count} pages")
    from storyboard._signals import held

    path = Path(path)
    digits = max(3, len(str(count)))
    with atomic_path(path, ".tmp") as tmp, zipfile.ZipFile(tmp, "w") as archive:
        written: list[_Entry] = []
        for i, page in enumerate(pages):
            entry = _entry(page, i, digits, provenance, None if panel_boxes is None else panel_boxes[i])
            # Page images are already compressed: store them, deflate only the XML. Each entry
            # is written with stop signals held: a Ctrl-C or SIGTERM inside `writestr` left its
            # entry open, and closing the archive then failed with a ValueError (a traceback)
            # instead of the stop.
            with held():
                archive.writestr(_zipinfo(entry.name), entry.data, zipfile.ZIP_STORED)
            written.append(_Entry(entry.name, b"", entry.width, entry.height, len(entry.data)))
        if len(written) != count:
            raise ValueError(f"{len(written)} pages, {count} expected")
        with held():
            archive.writestr(_zipinfo("ComicInfo.xml"), comicinfo_xml(info, written), zipfile.ZIP_DEFLATED)
    return path


def comicinfo_xml(info: ComicInfo, entries: Sequence[_Entry]) -> bytes:
    """ComicInfo.xml for the given page entries, elements in schema order."""
    fields: list[tuple[str, str]] = [("Title", info.title)]
    if info.summary:
        fields.append(("Summary", info.summary))
    if info.notes:
        fields.append(("Notes", info.notes))
    writers = (info.writer,) if isinstance(info.writer, str) else info.writer
    if any(writers):
        fields.append(("Writer", ", ".join(list_item(name) for name in writers if name)))
    fields.append(("PageCount", str(len(entries))))
    if info.language_iso:
        fields.append(("LanguageISO", info.language_iso))
    fields.append(("Manga", "YesAndRightToLeft" if info.manga_rtl else "No"))
    if info.characters:
        fields.append(("Characters", ", ".join(list_item(name) for name in info.characters)))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<ComicInfo xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    ]
    lines += [f"  <{tag}>{escape(value)}</{tag}>" for tag, value in fields]
    lines.append("  <Pages>")
    for i, entry in enumerate(entries):
        kind = "FrontCover" if i == 0 else "Story"
        lines.append(
            f'    <Page Image="{i}" Type="{kind}" ImageSize="{entry.bytes}" '
            f'Key="{escape(entry.name)}" ImageWidth="{entry.width}" ImageHeight="{entry.height}" />'
        )
    lines += ["  </Pages>", "</ComicInfo>", ""]
    return "\n".join(lines).encode("utf-8")


def list_item(name: str) -> str:
    """One name of a ComicInfo list field (Writer, Characters). Readers split those fields at every
    comma, so a comma inside a name goes: "Ray Smith, Jr." is listed as "Ray Smith Jr."."""
    return " ".join(name.replace(",", " ").split())


def _entry(page, index: int, digits: int, provenance: dict | None, boxes) -> _Entry:
    from PIL import Image, UnidentifiedImageError

    if isinstance(page, (str, Path, bytes)):
        source = f"page {index + 1}" if isinstance(page, bytes) else Path(page)
        try:
            data = page if isinstance(page, bytes) else source.read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                width, height, fmt = image.width, image.height, image.format
        except (OSError, UnidentifiedImageError) as err:
            raise ExportError(f"{source}: cannot read page image: {err}") from err
        suffix = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}.get(fmt or "")
        if suffix is None:
            raise ExportError(f"{source}: a CBZ page must be PNG, JPEG or WebP, not {fmt}")
        return _Entry(f"page-{index + 1:0{digits}d}{suffix}", data, width, height)
    from storyboard.export.png import png_bytes

    pnginfo = None
    if provenance is not None:
        from storyboard.provenance import png_info

        pnginfo = png_info(provenance, panels=list(boxes) if boxes is not None else None)
    # pHYs: print software reads a page without it as 72 dpi
    data = png_bytes(page, dpi=page.info.get("dpi"), pnginfo=pnginfo)
    return _Entry(f"page-{index + 1:0{digits}d}.png", data, page.width, page.height)


def _zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # same input, same bytes
    info.external_attr = 0o644 << 16
    return info
