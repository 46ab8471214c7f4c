"""Pages as independent pieces, kept under a key of what they depend on.

A page's pieces are its PDF piece (`export.pdf.page_pdf`: its drawing and the objects it
uses) and the lettering report of its panels (the manifest's per-panel entries). Both are
made from that page alone, so a render builds the pages that changed and reuses the others,
and the PDF is joined from the piece files (`export.pdf.assemble`) without the document ever
being held in memory.

`page_keys` gives each page a SHA-256 over everything its pieces depend on: the story's
settings (everything but the scenes: title, characters, style, page...) and the names its
name tags show (a translated edition's), the page geometry,
the page's number and the book's page count, for each of its panels the panel itself, its
scene's fields, the staging of the earlier panels of its scene (an off-panel speaker's tail
points where they last stood), the panel's art (its cache key) and its slot; the lettering
fonts (files by path, size and modification time); whether draft labels are lettered; and the
code that draws it (storyboard's own sources and reportlab's version). `PieceStore` keeps the
pieces in the panel cache's folders as `<key>.page.pdfpart` and `<key>.page.json`, written
atomically like every cache entry; anything odd or damaged there is a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

import orjson

from storyboard._json import dumps
from storyboard.layout import Book

PIECES_VERSION = 13  # bump when what a piece holds changes
_PDF_LIMIT = 1 << 28  # a page's PDF piece is at most this many bytes (a page of print JPEGs)
_REPORT_LIMIT = 1 << 26


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of storyboard's Python sources and the versions of reportlab and libdeflate
    (which make the bytes): pieces made by other code are never reused (a few milliseconds,
    once per process)."""
    from importlib.metadata import version

    import reportlab

    import storyboard

    h = hashlib.sha256(f"{PIECES_VERSION} reportlab {reportlab.Version} deflate {version('deflate')}".encode())
    root = Path(storyboard.__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def font_fingerprint(font: Any) -> list:
    """The files of a font chain (path, face index, size, modification time) and its language."""
    out: list = [getattr(font, "language", "")]
    for member in getattr(font, "members", ()):
        for face in (member.regular, member.bold):
            try:
                st = os.stat(face.path)
                out.append([str(face.path), face.index, st.st_size, st.st_mtime_ns])
            except OSError:
                out.append([str(face.path), face.index])
        out.append(member.faux_bold)
    return out


def page_keys(story: Any, book: Book, font: Any, art: Mapping[tuple[int, int], str | None], *,
              labels: bool) -> list[str | None]:
    """The key of each page of `book` (see the module docstring); `art` maps (scene, panel) to
    the key of the panel's art, None where the art differs every run (a watermarked panel
    carries the run's id): such a page gets None, and is built afresh."""
    common = _digest({
        "code": code_digest(),
        "story": story.model_dump(mode="json", exclude={"scenes"}),
        "names": [story.character_name(cid) for cid in story.characters],  # a translated edition's name tags
        "font": font_fingerprint(font),
        "spec": dataclasses.asdict(book.spec),
        "pages": len(book.pages),
        "labels": labels,
    })
    scenes: dict[int, str] = {}
    stagings: dict[tuple[int, int], list] = {}
    keys = []
    for page in book.pages:
        parts: list = [common, page.number, page.template]
        for slot in page.slots:
            where = (slot.scene, slot.panel)
            if art.get(where) is None:
                parts = None
                break
            scene = story.scenes[slot.scene]
            if slot.scene not in scenes:
                scenes[slot.scene] = _digest(scene.model_dump(mode="json", exclude={"panels"}))
            # (a slot's repr lists every field, nested ones too, exactly: far quicker than asdict)
            parts.append([repr(slot), scenes[slot.scene], art[where],
                          scene.panels[slot.panel].model_dump(mode="json"),
                          [_staging(stagings, story, slot.scene, p) for p in range(slot.panel)]])
        keys.append(None if parts is None else _digest(parts))
    return keys


def _staging(memo: dict, story: Any, scene: int, panel: int) -> list:
    """What staging reads of a panel (its shot, angle and cast), as JSON."""
    if (scene, panel) not in memo:
        p = story.scenes[scene].panels[panel]
        memo[(scene, panel)] = p.model_dump(mode="json", include={"shot", "angle", "cast"})
    return memo[(scene, panel)]


def _digest(value: Any) -> str:
    return hashlib.sha256(dumps(value, sort_keys=True, default=str)).hexdigest()  # orjson: quick on a page's panels


class PieceStore:
    """Page pieces in `root`, laid out as the panel cache is (`<key[:2]>/<key>.page.pdfpart`)."""

    def __init__(self, root: str | Path, *, unwritable: bool = False):
        self.root = Path(root)
        self.unwritable = unwritable  # a write failed (see `cache.PanelCache`): the later ones are not tried

    def pdf_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.page.pdfpart"

    def _report_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.page.json"

    def pdf(self, key: str) -> Path | None:
        """The stored PDF piece of page `key`, if there is one: a regular file (not a link to
        follow, nor a FIFO a copy would block on). Its size and whether it is whole are checked
        on the copy a render takes (`Pages`, `_whole`), which nothing else writes, and not read twice."""
        import stat

        path = self.pdf_path(key)
        try:
            return path if stat.S_ISREG(os.lstat(path).st_mode) else None
        except OSError:
            return None

    def report(self, key: str) -> dict[tuple[int, int], dict] | None:
        """The stored lettering report of page `key` ((scene, panel) -> entry), or None."""
        from storyboard.cache import _read_regular

        data = _read_regular(self._report_path(key), _REPORT_LIMIT)
        if data is None:
            return None
        try:
            rows = orjson.loads(data)
            return {(int(s), int(p)): entry for s, p, entry in rows if isinstance(entry, dict)}
        except (ValueError, TypeError):
            return None

    def put_pdf(self, key: str, data: bytes) -> None:
        self._put(self.pdf_path(key), data)

    def put_report(self, key: str, report: dict[tuple[int, int], dict]) -> None:
        self._put(self._report_path(key), dumps([[s, p, entry] for (s, p), entry in report.items()]))

    def _put(self, path: Path, data: bytes) -> None:
        """Written atomically but not fsynced (pieces are derived data, checked when read: a
        piece a power loss truncated is a miss), which keeps a cold render of a long book
        from waiting on the disk. Raises OSError."""
        from storyboard.cache import _atomic_write

        _atomic_write(path, lambda fh: fh.write(data), fsync=False)


def _whole(path: Path) -> bool:
    """Whether `path` is a regular file (not a link, nor a FIFO that would block) holding a
    whole page piece (`export.pdf.piece_intact`). Raises OSError."""
    import stat

    from storyboard.export.pdf import piece_intact

    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not 64 < st.st_size <= _PDF_LIMIT:
            return False
        return piece_intact(os.pread(fd, st.st_size, 0))
    finally:
        os.close(fd)


class Pages:
    """The pieces of every page of one render. `build()` gives the lettering report of every
    panel, building the pieces `store` lacks (the report, and with `pdf` the PDF piece),
    the first in this process and the rest on worker processes (`export.workers`); `pdfs()`
    then lists the PDF pieces in page order. These are the run's own files, in `scratch`
    (a folder of this run): a reused piece is linked (or copied) there from the store before
    it counts as found, a built one is written there first and then offered to the store, so
    a `cache clear` meanwhile never takes a page from under the render. `keys` are
    `page_keys`; a page whose key is None, or any page when `store` is None, is built afresh.
    `art` is the panels' art as `export.pdf.write_pdf` takes it, read only for pages built;
    `faces` the faces detected in it (see `lettering.lettering_once`). `made()`, called in
    the process that built a page right after it, says what reading its art made there
    (the render's: the panels drawn on first use and the caches that could not be written
    meanwhile, `render._Job._took`); it comes back with the page."""

    def __init__(self, story: Any, book: Book, font: Any, art: Mapping[tuple[int, int], Any], *,
                 labels: bool, keys: list[str | None], store: PieceStore | None, scratch: Callable[[], Path],
                 pdf: bool, faces: dict | None = None, made: Callable[[], dict] | None = None):
        self.story, self.book, self.font, self.art, self.labels = story, book, font, art, labels
        self.faces, self.made = faces or {}, made
        self.keys = keys if store is not None else [None] * len(book.pages)
        self.store, self.scratch, self.pdf, self.drawn = store, scratch, pdf, 0
        self._found: dict[int, dict] = {}  # page index -> its report, for pages whose pieces are at hand

    def ready(self, index: int) -> bool:
        """Whether page `index` has every piece this render needs already (then held for it)."""
        if index not in self._found:
            key = self.keys[index]
            report = self.store.report(key) if key is not None else None
            if report is None or (self.pdf and not self._claim(key, index)):
                return False
            self._found[index] = report
        return True

    def build(self, made: Callable[[dict], None] | None = None,
              placed: Callable[[Path], None] | None = None, *,
              paint: Callable[[int], None] | None = None,
              painted: Callable[[int], None] | None = None) -> dict[tuple[int, int], dict]:
        """The lettering report of every panel ((scene, panel) -> entry); `drawn` counts the
        pages whose pieces were built. `made(what)` is called here with what building each
        page made besides (see `Pages`), as each page is done; `placed(pdf)` with each page's
        PDF piece, in page order, as soon as it and every page before it are there (from
        the first page a worker built on: what it does is then done beside the workers).
        `paint(index)`, when given, is called for every page (those whose pieces are at hand
        too) in the process that builds it, in the same lettering as its report, so that a
        page painted for an output is lettered once (`export.images.PagePainter`); then
        `painted(index)` is called here, as `placed` is given its piece."""
        import functools
        import itertools

        from storyboard.export.workers import page_map

        reports: dict[tuple[int, int], dict] = {}
        todo, there, at = [], set(), 0
        for index in range(len(self.book.pages)):
            if self.ready(index):
                reports.update(self._found[index])
                there.add(index)
            else:
                todo.append(index)
        calls = list(range(len(self.book.pages))) if paint is not None else todo
        waiting: list[int] = []  # painted pages not yet given to `painted`

        def place() -> None:
            nonlocal at
            while placed is not None and self.pdf and at in there:
                placed(self._own(at))
                at += 1
            while painted is not None and waiting:
                painted(waiting.pop(0))

        if calls:  # the first here: what the workers need is then loaded (and made) before they are forked
            self.scratch()
            piece = functools.partial(self._piece, paint=paint)
            built = itertools.chain([piece(calls[0])], page_map(piece, calls[1:]))
            for count, (index, (report, extra)) in enumerate(zip(calls, built)):
                if report is not None:
                    reports.update(report)
                if made is not None and extra:
                    made(extra)
                there.add(index)
                if paint is not None:
                    waiting.append(index)
                if count:
                    place()
        place()
        self.drawn = len(todo)
        return {(s.scene, s.panel): reports[(s.scene, s.panel)] for s in self.book.slots()}

    def pdfs(self) -> list[Path]:
        return [self._own(index) for index in range(len(self.book.pages))]

    def _own(self, index: int) -> Path:
        """The run's own piece of page `index`: built here, or claimed whole from the store."""
        from storyboard.export.pdf import CheckedPiece

        return CheckedPiece(self.scratch() / f"{index + 1}.pdfpart")

    def _claim(self, key: str, index: int) -> bool:
        import shutil

        found = self.store.pdf(key)
        if found is None:
            return False
        own = self._own(index)
        try:
            own.unlink(missing_ok=True)
            try:
                os.link(found, own)  # instant, and immune to the store's entry being removed
            except OSError:  # another file system, or no hard links there
                shutil.copyfile(found, own)
            # Checked once, here, on the run's own copy: a damaged stored piece (a flipped
            # byte keeps its length) is a miss and is rebuilt, never joined.
            if _whole(own):
                return True
            own.unlink()
        except OSError:
            pass
        return False

    def _piece(self, index: int, paint: Callable[[int], None] | None = None
               ) -> tuple[dict[tuple[int, int], dict] | None, dict]:
        """Build page `index` (None: its pieces were at hand) and paint it with `paint`, in one
        lettering; with what reading its art made (`made()`)."""
        from storyboard.lettering import lettering_once

        with lettering_once(self.faces):  # the report, the PDF piece and the painted page share one lettering
            report = self._build(index) if index not in self._found else None
            if paint is not None:
                paint(index)
        return report, self.made() if self.made is not None else {}

    def _build(self, index: int) -> dict[tuple[int, int], dict]:
        from storyboard.lettering_report import lettering_report

        page = self.book.pages[index]
        report = lettering_report(self.story, dataclasses.replace(self.book, pages=(page,)), self.font, self.labels)
        data = None
        if self.pdf:
            from storyboard.export.pdf import page_pdf

            data = page_pdf(self.story, self.book, page, self.font, self.art, labels=self.labels)
            self._own(index).write_bytes(data)
        key = self.keys[index]
        if key is not None and not self.store.unwritable:  # offered to the store for later renders
            try:
                if data is not None:
                    self.store.put_pdf(key, data)
                self.store.put_report(key, report)
            except (FileNotFoundError, FileExistsError, IsADirectoryError):
                pass  # a `cache clear` meanwhile took the folder: a miss next time
            except OSError as err:  # it cannot keep pieces at all (a full disk): the render says so, once
                from storyboard.cache import note_unwritable

                self.store.unwritable = True
                note_unwritable(self.store.root, err)
        return report
