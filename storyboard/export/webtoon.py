"""Webtoon export: the story as one vertical strip, cut into images for scrolling platforms.

Panels are stacked in reading order across the full strip width (`webtoon.width`, 800 px by
default); `storyboard.layout.strip_book` places them. A story laid out on pages (the strip is
an extra output) keeps each panel at the aspect of its art on the page, so the panels drawn
for the pages are reused as they are; a `page.size: webtoon` story is laid out as the strip
itself, its panels generated for it. Space between panels follows the story's beats: a small
gap inside a scene, more at a `new_page` break, most at a scene change. Balloons are lettered
at the strip's own scale: the strip is a page 240 pt wide whose dpi follows the pixel width,
so lettering keeps its proportion to the width. The strip is cut into numbered images no
taller than `webtoon.max_height` (1280 px by default), never through a balloon, caption or
sound effect, preferably in a gap.

The output folder holds `001.png`, `002.png`, ..., `full.png` (the whole strip) and
`strip.json` (sizes, the strip's dpi and the cut positions). It is written beside the target
and swapped in whole (`export.folder.exchange`), so a reader sees the old strip or the new
one, never a mix.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping

from storyboard import _scratch
from storyboard.errors import ExportError
from storyboard.layout import WEBTOON, Book, Page, Rect, strip_overflow, strip_book as _strip_layout

LETTERED = ("speech", "thought", "whisper", "shout", "caption", "narration", "sfx")
MARKER = "strip.json"
PAGE_FORMATS = ("pdf", "cbz", "pages")  # what a webtoon-layout story has no pages for


def strip_book(story: Any, book: Book) -> Book:
    """The strip of a story laid out as `book`: the book itself for a `page.size: webtoon`
    story, else one page holding every panel of `book` at the aspect of its page art (and
    the page's generation size, so the cached panels serve)."""
    if book.spec.kind == WEBTOON:
        return book
    on_page = {(s.scene, s.panel): s for s in book.slots()}
    strip = _strip_layout(story, {where: s.art.w / s.art.h for where, s in on_page.items()})
    slots = tuple(dataclasses.replace(s, gen_width=on_page[(s.scene, s.panel)].gen_width,
                                      gen_height=on_page[(s.scene, s.panel)].gen_height,
                                      number=on_page[(s.scene, s.panel)].number,
                                      staged_in=on_page[(s.scene, s.panel)].frame_in_art)  # as drawn
                  for s in strip.pages[0].slots)
    return Book(strip.spec, (Page(1, WEBTOON, slots),))


def strip_problems(story: Any, book: Book) -> list[tuple[tuple, str]]:
    """(location, why) when the strip made from a story laid out on pages as `book` would be
    too large to rasterise, located at the first panel past the limit; checked from the layout
    alone, before any panel is drawn. A `page.size: webtoon` story's own strip is refused by
    the script's rules (`layout.webtoon_problem`)."""
    if book.spec.kind == WEBTOON:
        return []
    over = strip_overflow(story, {(s.scene, s.panel): s.art.w / s.art.h for s in book.slots()})
    if over is None:
        return []
    (s, p), why = over
    return [(("scenes", s, "panels", p), why)]


def check_outputs(story: Any, formats: Iterable[str]) -> None:
    """A `page.size: webtoon` story has no pages: refuse a PDF, CBZ or page folder in one line."""
    for _, why in page_format_problems(story, formats):
        raise ExportError(why)


def page_format_problems(story: Any, formats: Iterable[str]) -> list[tuple[tuple, str]]:
    """(location, why) for the first page format (PDF, CBZ, page folder) among `formats` when
    `story` is a `page.size: webtoon` strip, which has no pages: located at `page.size`."""
    if story.page.size != WEBTOON:
        return []
    for fmt in formats:
        if fmt in PAGE_FORMATS:
            what = {"pdf": "a PDF", "cbz": "a CBZ", "pages": "a folder of pages"}[fmt]
            return [(("page", "size"), f"this story is a webtoon strip (page.size: webtoon) and has no pages for "
                                       f"{what}: write it with -o story.webtoon/ (or --format webtoon)")]
    return []


def cuts(height: int, limit: int, gaps: list[tuple[int, int]], keep: list[tuple[int, int]]) -> list[int]:
    """Where to cut a strip of `height` px into pieces of at most `limit` px: the y of each cut.

    `keep` are the spans (top, bottom) no cut may cross (lettering); `gaps` the spans between
    panels, where a cut is best. Each piece is as tall as allowed: the lowest gap within reach,
    else the lowest line that crosses no kept span; but the last piece is never a sliver (a
    strip 54 px over the limit ended in a 54 px image of bare paper): when it would be under a
    quarter of the limit, the cut before it moves up to leave it that quarter."""
    out, top = [], 0
    while height - top > limit:
        y = None
        if height - (top + limit) < limit // 4:
            y = _cut(top, height - limit // 4, limit, gaps, keep)
        if y is None or y - top < limit // 4:  # nowhere to move it without a sliver above
            y = _cut(top, top + limit, limit, gaps, keep)
        if y is None:  # a single lettered element taller than the limit: cannot be avoided
            y = top + limit
        out.append(y)
        top = y
    return out


def _cut(top: int, reach: int, limit: int, gaps: list[tuple[int, int]], keep: list[tuple[int, int]]) -> int | None:
    """The cut of the piece from `top` that ends at most at `reach` (see `cuts`); None when every
    line in reach crosses lettering."""
    near = [(a, b) for a, b in keep if a < reach and b > top]  # a long strip: only what is in reach
    in_gaps = [y for y in (min(b, reach) for a, b in gaps if a < reach and b > top + 1)
               if y > top and not any(a < y < b for a, b in near)]
    free = next((y for y in range(reach, top, -1) if not any(a < y < b for a, b in near)), None)
    if in_gaps and (free is None or max(in_gaps) >= free - limit // 3):
        return max(in_gaps)
    return free


def write_webtoon(story: Any, book: Book, images: Mapping[tuple[int, int], Any], folder: str | Path, *,
                  font: Any, metadata: dict | None = None, labels: bool = False) -> list[Path]:
    """Write the strip into `folder`; returns the numbered images in order. `labels` letters
    the draft notes on every panel, as on pages (`export.labels`)."""
    from storyboard.export import compose
    from storyboard.export.images import paint_page
    from storyboard.export.png import save_png

    folder = Path(folder)
    strip = strip_book(story, book)
    drawing = compose(story, strip, font, labels=labels)[0]
    image = paint_page(drawing, images, strip.spec.dpi, font).pil()  # RGBX, written as RGB
    k = strip.spec.dpi / 72.0
    top_pt = drawing.trim.y1

    def span(rect: Rect) -> tuple[int, int]:
        return int((top_pt - rect.y1) * k), int(round((top_pt - rect.y) * k + 0.5))

    keep = [span(item.bounds) for item in drawing.items if item.kind in LETTERED or item.kind == "label"]
    panels = sorted((span(slot.art) for slot in strip.pages[0].slots))
    gaps = [(a[1], b[0]) for a, b in zip(panels, panels[1:])]
    positions = [0, *cuts(image.height, story.webtoon.max_height, gaps, keep), image.height]
    pnginfo = None
    if metadata is not None:
        from storyboard.provenance import png_info

        pnginfo = png_info(metadata)
    names = []
    with _swapped_in(folder) as work:
        digits = max(3, len(str(len(positions) - 1)))
        for index, (a, b) in enumerate(zip(positions, positions[1:]), start=1):
            name = f"{index:0{digits}d}.png"
            save_png(image.crop((0, a, image.width, b)), work / name, pnginfo=pnginfo)
            names.append(name)
        save_png(image, work / "full.png", pnginfo=pnginfo)
        record = {"width": image.width, "height": image.height, "dpi": strip.spec.dpi,
                  "max_height": story.webtoon.max_height,
                  "cuts": positions[1:-1], "images": [{"file": n, "top": a, "height": b - a}
                                                      for n, a, b in zip(names, positions, positions[1:])],
                  "full": "full.png"}
        (work / MARKER).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return [folder / n for n in names]


def check_strip_folder(target: Path) -> None:
    """Raise ExportError unless a strip may be written at `target` (where it points, if a
    link): nothing there, an empty folder or a strip (its MARKER file); a file, or a folder
    holding other files, is never replaced. `render` asks before any panel is drawn."""
    from storyboard.export.folder import real_folder

    t = real_folder(target)
    if t.is_symlink() or (t.exists() and not t.is_dir()):
        raise ExportError(f"cannot write {t}: it exists and is not a folder")
    if t.is_dir() and any(t.iterdir()) and not (t / MARKER).is_file():
        raise ExportError(f"cannot write {t}: the folder holds other files and is not a webtoon strip")


class _swapped_in:
    """A fresh folder beside `target`, renamed onto it when the block succeeds. The old strip
    is renamed away first and deleted after; a folder that is not a strip is never replaced.
    A `target` that is a symlink stays one: the strip is written where it points."""

    def __init__(self, target: Path):
        from storyboard.export.folder import real_folder

        self.target = real_folder(target)

    def __enter__(self) -> Path:
        t = self.target
        check_strip_folder(t)
        try:
            t.parent.mkdir(parents=True, exist_ok=True)
            # Named with this process's id and locked while it lives: what a killed render
            # left beside the strip (its work or old folder) goes first.
            _scratch.remove_left(t.parent, f".{t.name}.")
            _scratch.remove_left(t.parent, f".{t.name}.", ".old")  # (the old strip, renamed away by `_finish`)
            self.work = Path(tempfile.mkdtemp(prefix=f".{t.name}.{os.getpid()}-", dir=t.parent))
            self._lock = os.open(self.work, os.O_RDONLY)
            _scratch.hold(self._lock)
        except OSError as err:
            raise ExportError(f"cannot write {t}: {err.strerror or err}") from None
        return self.work

    def __exit__(self, kind, err, tb):
        try:
            return self._finish(err)
        finally:
            os.close(self._lock)

    def _finish(self, err) -> bool:
        if err is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            if isinstance(err, OSError):  # a full disk: named as the strip asked for, not the private folder
                raise ExportError(f"cannot write {self.target}: {err.strerror or err}") from None
            return False
        from storyboard._files import umask
        from storyboard.export.folder import exchange

        old = None
        try:
            os.chmod(self.work, 0o777 & ~umask())
            if self.target.exists():
                # One atomic swap where the system has it (the page folders' mechanism), so a
                # reader never finds the path missing; else rename the old strip away first.
                if exchange(self.work, self.target):
                    old = self.work
                else:
                    old = self.target.with_name(f"{self.work.name}.old")
                    os.rename(self.target, old)
                    os.rename(self.work, self.target)
            else:
                os.rename(self.work, self.target)
        except OSError as error:
            shutil.rmtree(self.work, ignore_errors=True)
            raise ExportError(f"cannot write {self.target}: {error.strerror or error}") from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return False
