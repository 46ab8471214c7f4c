"""Export: finished pages as PDF (`pdf.write_pdf`) or PNG pages (`images.write_pages`).

Both writers draw the same `PageDrawing`s, composed here from the layout and the lettering:
where each panel's art goes, frame borders, balloons, captions, SFX and storyboard notes. A
backend only has to place images and draw `Shape`s and `Text`s.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from storyboard._files import umask
from storyboard.drawing import Drawing
from storyboard.errors import ExportError
from storyboard.layout import WEBTOON, Book, Page, PanelSlot, Rect
from storyboard.lettering import BLACK, Font, Item, Shape, Text, blank_cell, letter_panel, notes_item, story_font
from storyboard.text.fonts import undrawn
from storyboard.text.shaping import right_to_left_language

__all__ = ["PageDrawing", "ahead", "check_lettering", "compose", "compose_page", "cover_crop", "atomic_path",
           "glyph_problems", "lettered_texts", "output_lock", "panel_image", "put_on_disk", "written_path"]

BORDER_WIDTH = 1.0  # panel frame line, points


@dataclass(frozen=True)
class PageDrawing:
    number: int
    media: Rect  # the whole sheet, bleed included
    trim: Rect
    arts: tuple[PanelSlot, ...]  # panel art goes into each slot's `art` rectangle
    items: tuple[Item, ...]  # drawn after the art, in order


def compose(story: Any, book: Book, font: Font, *, labels: bool = False) -> list[PageDrawing]:
    """Everything to draw on every page of `book`. With `labels` (draft sketches) each panel
    also gets its storyboard labels: shot number, shot and angle, action and name tags
    (`export.labels`). Raises ExportError when the font cannot draw some of the text, rather
    than printing empty boxes."""
    _check_glyphs(story, font, sheets=book.spec.kind == "storyboard", labels=labels)
    return [_compose_page(story, book, page, font, labels) for page in book.pages]


def compose_page(story: Any, book: Book, page: Page, font: Font, *, labels: bool = False) -> PageDrawing:
    """What to draw on one page of `book` (as `compose`, for a page alone; the text was
    checked beforehand: `check_lettering`)."""
    return _compose_page(story, book, page, font, labels)


def check_lettering(story: Any, book: Book, font: str | Path | Font | None = None, *,
                    labels: bool = False) -> Font:
    """Load the lettering font (`font`, else the script's style.font, else the bundled one)
    and check it can draw every text of the book; raise ExportError otherwise. Call it before
    generating any panel so a bad font fails in a second, not after the whole render."""
    lettering_font = font if isinstance(font, Font) else story_font(story, font)
    _check_glyphs(story, lettering_font, sheets=book.spec.kind == "storyboard", labels=labels)
    return lettering_font


def _check_glyphs(story: Any, font: Font, *, sheets: bool, labels: bool = False) -> None:
    for loc, text in lettered_texts(story, sheets=sheets, labels=labels):
        missing = font.missing(text)
        if missing:
            raise ExportError(f"{undrawn(missing)} (in {text[:40]!r}); "
                              "add a font that has them: style.font in the script, or --font")


def glyph_problems(story: Any, font: Font, *, sheets: bool, labels: bool = False) -> list[tuple[tuple, str]]:
    """(location in the script, message) for every lettered text with characters no font of
    the chain draws, one per text naming its characters; the location is a path of keys and
    indices as in a script (`validate` turns it into FILE:LINE:COL)."""
    found = ((loc, font.missing(text)) for loc, text in lettered_texts(story, sheets=sheets, labels=labels))
    return [(loc, undrawn(missing)) for loc, missing in found if missing]


def lettered_texts(story: Any, *, sheets: bool, labels: bool) -> list[tuple[tuple, str]]:
    """(location in the script, text) of every text the lettering draws: with `labels`, a draft's
    actions, expressions and names; with `sheets`, a storyboard sheet's notes and header."""
    texts: list[tuple[tuple, str]] = []
    names = [(("characters", cid, "name"), story.character_name(cid)) for cid in story.characters]
    for s, scene in enumerate(story.scenes):
        for p, panel in enumerate(scene.panels):
            at = ("scenes", s, "panels", p)
            if labels:  # draft labels letter the action, the expressions and every cast name
                texts.append(((*at, "action"), panel.action))
                texts += [((*at, "cast", c, "expression"), e.expression) for c, e in enumerate(panel.cast)]
            texts += [((*at, "dialogue", d, "text"), line.text) for d, line in enumerate(panel.dialogue)]
            texts += [((*at, "sfx", k), sfx) for k, sfx in enumerate(panel.sfx)]
            texts.append(((*at, "caption"), panel.caption or ""))
            if sheets:  # storyboard notes also letter the action, setting and speakers
                texts += [((*at, "action"), panel.action), (("scenes", s, "setting"), scene.setting or ""),
                          (("scenes", s, "id"), scene.id or "")]
    if labels or sheets:
        texts += names
    if sheets:
        texts.append((("title",), story.title))
        author = getattr(story, "author", "") or ""
        texts += [(("author",), author)] if isinstance(author, str) else [(("author", i), a) for i, a in enumerate(author)]
    return texts


def _compose_page(story: Any, book: Book, page: Page, font: Font, labels: bool = False) -> PageDrawing:
    spec = book.spec
    items: list[Item] = []
    if spec.kind == "storyboard":
        items.append(_sheet_header(story, book, page, font))
    for slot in page.slots:
        scene = story.scenes[slot.scene]
        panel = scene.panels[slot.panel]
        items.append(_border(slot))
        if slot.notes is not None:
            lettered = [notes_item(font, story, panel, slot, scene)]
        else:
            lettered = letter_panel(story, panel, slot, spec, font, labels)
        if labels:  # under the lettering: shot tag and action first (the lettering keeps off them), then name tags
            from storyboard.export.labels import panel_labels

            items.extend(panel_labels(story, panel, slot, font, [i.bounds for i in lettered], strip=spec.kind == WEBTOON))
        items.extend(lettered)
    items.extend(blank_cell(frame, notes) for frame, notes in page.blanks)
    return PageDrawing(page.number, spec.media, spec.trim, page.slots, tuple(items))


def _border(slot: PanelSlot) -> Item:
    """The frame line on every side whose art does not run off the page; it runs the full
    length of the art, so a line under a bleeding panel reaches the page edge."""
    r = slot.art
    corners = {"bottom": ((r.x, r.y), (r.x1, r.y)), "right": ((r.x1, r.y), (r.x1, r.y1)),
               "top": ((r.x1, r.y1), (r.x, r.y1)), "left": ((r.x, r.y1), (r.x, r.y))}
    if not slot.bleeds:
        points = (corners["bottom"][0], corners["right"][0], corners["top"][0], corners["left"][0])
        ops = (Shape(points, stroke=BLACK, width=BORDER_WIDTH),)
    else:
        ops = tuple(Shape(corners[side], stroke=BLACK, width=BORDER_WIDTH, closed=False)
                    for side in ("bottom", "right", "top", "left") if side not in slot.bleeds)
    return Item("border", ops, r, r, (), 0.0)


def _sheet_header(story: Any, book: Book, page: Page, font: Font) -> Item:
    live = book.spec.live
    size = 10.0
    y = live.y1 - size
    right = f"sheet {page.number} of {len(book.pages)}"
    room = live.w - font.width(right, size) - 2 * size  # a clear gap before the sheet number
    authors = getattr(story, "authors", ())
    byline = ", ".join(authors[:-1]) + " and " + authors[-1] if len(authors) > 1 else "".join(authors)
    title = _fit(font, story.title + (f" by {byline}" if byline else ""), size, room)
    title_x, number_x = live.x, live.x1 - font.width(right, size)
    if right_to_left_language(font.language):  # a right-to-left sheet: the title at the right
        title_x, number_x = live.x1 - font.width(title, size, True), live.x
    ops = (Text(title, title_x, y, size, True, "start"), Text(right, number_x, y, size, False, "start"))
    box = Rect(live.x, y + font.descent * size, live.w, (font.ascent - font.descent) * size)
    return Item("header", ops, box, box, (title, right), size)


def _fit(font: Font, text: str, size: float, room: float) -> str:
    """`text` in bold at `size`, cut at a word (else a character) and ended with an ellipsis
    so it is at most `room` points wide."""
    if font.width(text, size, True) <= room:
        return text
    ellipsis = "\u2026" if not font.missing("\u2026") else "..."
    words = text.split(" ")
    cuts = ((len(words) - 1, lambda n: " ".join(words[:n]).rstrip(" ,;:-") + " " + ellipsis),  # whole words first
            (len(text), lambda n: text[:n] + ellipsis))
    for count, cut in cuts:
        n = _longest(count, lambda n: font.width(cut(n), size, True) <= room)
        if n:
            return cut(n)
    return ""


def _longest(count: int, fits) -> int:
    """The largest n in 1..count with `fits(n)` (fits is monotonic), by bisection; 0 if none."""
    lo, hi = 0, count  # 1..lo fit, beyond hi do not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def cover_crop(image, width: int, height: int):
    """Crop `image` (centred) to the aspect of width x height, like CSS `object-fit: cover`."""
    w, h = image.size
    target = width / height
    if abs(w / h - target) < 1e-3:
        return image
    if w / h > target:
        new_w = max(1, round(h * target))
        left = (w - new_w) // 2
        return image.crop((left, 0, left + new_w, h))
    new_h = max(1, round(w / target))
    top = (h - new_h) // 2
    return image.crop((0, top, w, top + new_h))


def panel_image(images: Mapping[tuple[int, int], Any], slot: PanelSlot):
    try:
        image = images[(slot.scene, slot.panel)]
    except KeyError:
        raise ValueError(f"no image for scene {slot.scene} panel {slot.panel}") from None
    if isinstance(image, Drawing):  # vector art: the page writer draws it at its own size
        return image
    return image.convert("RGB") if image.mode != "RGB" else image


def ahead(pool, fn, items, depth: int) -> Iterator:
    """`fn` over `items` in order on `pool`, at most `depth` results ahead of the consumer
    (so a long book never holds every encoded panel at once)."""
    pending = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= depth:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def put_on_disk(written: Path, name: Path | None = None) -> None:
    """fsync the file `written` (before a rename shows it). Raises ExportError 'cannot write
    NAME', NAME being the output the user asked for (default: `written`)."""
    try:
        fd = os.open(written, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        raise ExportError(f"cannot write {name or written}: {err.strerror or err}") from None


def written_path(path: str | Path) -> Path:
    """The file that writing the output `path` replaces: `path` itself, or, where it is a
    symlink, the file the link points to (through every link; it may not exist yet), so a
    linked output stays a link to its newly written file, as a linked page folder is
    written where it points (`export.folder.real_folder`). Raises ExportError for a link
    that leads nowhere it can end (a loop)."""
    path = Path(path)
    if not os.path.islink(path):
        return path
    try:
        return Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:  # a link to a file not written yet: it is made there
        return Path(os.path.realpath(path))
    except OSError as err:
        raise ExportError(f"cannot write {path}: {err.strerror or err}") from None


_SPECIAL = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
            (stat.S_ISSOCK, "a socket"))


def special_kind(path: str | Path) -> str | None:
    """What `path` (where it points, if a link) is when it is a device, a FIFO or a socket
    ("a FIFO"), or None for a file, a folder or nothing yet."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None  # not there yet (or a loop, said where it is written)
    return next((what for test, what in _SPECIAL if test(mode)), None)


def refuse_special(name: str | Path, path: str | Path) -> None:
    """Raise ExportError naming the output `name` when `path` (where it points, if a link) is
    a device, a FIFO or a socket: an output is written beside its name and renamed onto it, so
    `--format pdf -o /dev/null` run as root replaced the system's /dev/null with the PDF. A
    file, a folder or nothing yet passes."""
    what = special_kind(path)
    if what is not None:
        raise ExportError(f"cannot write {name}: it is {what}, not a file (an output replaces its file whole)")


@contextmanager
def atomic_path(path: Path, suffix: str, *, fsync: bool = True, name: Path | None = None) -> Iterator[Path]:
    """A temporary file beside `path`, renamed onto it only if the block succeeds; on disk
    before the rename unless `fsync` is False (the caller then syncs it before anyone can
    see it: a page in a private folder, `export.images.write_pages`). A `path` that is a
    symlink stays one: the file it points to is replaced (`written_path`). Raises ExportError
    'cannot write NAME', NAME being `name` (the output the user asked for, when `path` is in
    a private folder) or `path`. The temporary file of an output (no `name`) is named with
    this process's id and locked while written, and those a killed render left beside it are
    removed first (`_scratch.remove_left`); a page's goes with its private folder."""
    from storyboard import _scratch
    from storyboard._signals import held

    output = name is None
    name = name or Path(path)
    path = written_path(path)
    refuse_special(name, path)  # (every command refuses it first: `render.check_writable`, `output_targets`)
    tmp_path: Path | None = None
    fd = None
    try:
        # Held: a Ctrl-C between creating the file and knowing its name would leave it behind.
        with held():
            path.parent.mkdir(parents=True, exist_ok=True)
            if output:
                _scratch.remove_left(path.parent, f".{path.name}.", suffix)
            prefix = f".{path.name}.{os.getpid()}-" if output else f".{path.name}."
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
            tmp_path = Path(tmp)
            if output:
                _scratch.hold(fd)
            else:
                os.close(fd)
                fd = None
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~umask())  # mkstemp makes 0600; give the usual mode
        if fsync:  # on disk before the rename, or a power loss may leave it empty
            put_on_disk(tmp_path, name)
        os.replace(tmp_path, path)
    except OSError as err:
        raise ExportError(f"cannot write {name}: {err.strerror or err}") from None
    finally:
        if tmp_path is not None and tmp_path.exists():
            tmp_path.unlink()
        if fd is not None:
            os.close(fd)


@contextmanager
def output_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for replacing the output `path` and its manifest: an advisory
    `flock` on the folder that holds it, so renders to outputs there replace them one at a
    time and each output ends beside its own manifest. The kernel drops the lock when the
    process dies, so a killed render never leaves it held. Where locks are unavailable
    (another OS, a file system without them) nothing is locked."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    parent = Path(os.path.abspath(path)).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except PermissionError:  # a folder one may write but not list: no lock to take there
        yield
        return
    except OSError as err:
        raise ExportError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # no locks on this file system: writes are still atomic, only not serialised
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
