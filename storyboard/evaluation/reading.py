"""Reading a rendered output back for evaluation: its manifest, its script, its page rasters,
and where each panel and each staged figure lies on them (the same layout and staging the
render used, recomputed from the script the manifest names)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np

from storyboard import _scratch
from storyboard._words import counted
from storyboard.errors import StoryboardError
from storyboard.evaluation import CharacterScore, Judges, PanelScore, References, references_from_images, score_panel, summarise

EVAL_DPI = 150  # pages are read at this resolution: faces of 40 px and up are found


def evaluate_output(target: Path, judges: Judges, *, script: Path | None = None, thumbnails: dict | None = None):
    """The EvalReport of a rendered output; with `thumbnails` (a dict), also fills it with
    (page, scene id, panel) -> a small PIL image of the panel with the scored boxes drawn."""
    from storyboard import layout
    from storyboard.script import load_story
    from storyboard.staging import stage_panel

    manifest = _manifest(target)
    notes: list[str] = []
    script = script or _script(manifest, target)
    if manifest.get("script_hash") and manifest["script_hash"] != "sha256:" + hashlib.sha256(script.read_bytes()).hexdigest():
        notes.append(f"the script {script} changed since this output was rendered: boxes may be off")
    story = load_story(script)
    from storyboard.render import DEFAULT_MAX_SIDE

    # The same layout the render made: its --max-side cap, or the default when it had none.
    book = layout.paginate(story, max_side=manifest.get("settings", {}).get("max_side") or DEFAULT_MAX_SIDE)
    if _is_strip(target):  # a webtoon strip: its panels where the strip put them
        from storyboard.export.webtoon import strip_book

        book = strip_book(story, book)
    # The draft engine's settings name it under "name", the diffusion engine's under "engine".
    settings = manifest.get("engine") or {}
    engine = settings.get("name") or settings.get("engine") or "unknown"
    draft = engine == "draft"
    if draft:
        notes.append("draft sketches carry no identities: similarities are not measured (render with "
                     "the diffusion engine to evaluate identities)")
    # What conditioned each character (the manifest's `identities`): the second judges are
    # flagged biased when it was their own weights; None for renders that did not record it.
    conditioning = manifest.get("identities")
    from storyboard.render import _script_ref

    judges.script_face_models = judges.script_face_models or _script_ref(story, story.generation.face_models)
    judges.render_encoders = sorted({m.get("path") or m["ref"] for c in (conditioning or {}).values()
                                     for m in c.get("models", []) if m.get("name") == "clip" and m.get("ref")})
    references = {} if draft else _references(story, judges, notes)
    if conditioning is None and not draft and any(r.arcface or r.clip for r in references.values()):
        notes.append("the manifest does not record which encoders conditioned the characters (rendered by an "
                     "older storyboard): whether the ArcFace/CLIP judges are biased is unknown")
    if judges.face is None:
        notes.append("no face judge: install the 'eval' extra (dlib) to measure face identities")
    media = book.spec.media
    panels: list[PanelScore] = []
    for page, raster, origin, scale in _pages(target, book):
        for slot in sorted(page.slots, key=lambda s: s.order):
            art = slot.art
            # The art rectangle in this raster's pixels (y down), and back to page points.
            x0 = (art.x - origin[0]) * scale
            y0 = (origin[1] - art.y1) * scale
            w, h = art.w * scale, art.h * scale
            crop = raster[max(0, int(y0)):max(0, int(y0 + h)), max(0, int(x0)):max(0, int(x0 + w))]
            off_x, off_y = max(0.0, x0), max(0.0, y0)

            def to_pt(box, off_x=off_x, off_y=off_y):
                return [round((off_x + box[0]) / scale + origin[0] - media.x, 2),
                        round(media.y1 - origin[1] + (off_y + box[1]) / scale, 2),
                        round((off_x + box[2]) / scale + origin[0] - media.x, 2),
                        round(media.y1 - origin[1] + (off_y + box[3]) / scale, 2)]

            panel = story.scenes[slot.scene].panels[slot.panel]
            figures = stage_panel(story, panel, art.w / art.h)
            cast = [(f.id, (f.body[0] * crop.shape[1], f.body[1] * crop.shape[0],
                            f.body[2] * crop.shape[1], f.body[3] * crop.shape[0])) for f in figures]
            if draft:
                score = PanelScore(story.scenes[slot.scene].id, slot.panel, page.number, len(cast), None, None,
                                   [CharacterScore(cid, None, None, to_pt(box)) for cid, box in cast])
            else:
                score = score_panel(crop, cast, references, judges, to_pt=to_pt, conditioning=conditioning,
                                    scene=story.scenes[slot.scene].id, panel=slot.panel, page=page.number)
            panels.append(score)
            if thumbnails is not None and crop.size:
                thumbnails[(score.page, score.scene, score.panel)] = _thumbnail(
                    crop, score, lambda pt, off_x=off_x, off_y=off_y: (
                        (pt[0] + media.x - origin[0]) * scale - off_x, (pt[1] - media.y1 + origin[1]) * scale - off_y,
                        (pt[2] + media.x - origin[0]) * scale - off_x, (pt[3] - media.y1 + origin[1]) * scale - off_y))
    panels.sort(key=lambda p: (p.page, [s.id for s in story.scenes].index(p.scene), p.panel))
    report = summarise(str(target), panels, judges, notes)
    report.judge["engine"] = engine
    return report


def _thumbnail(crop: np.ndarray, score: PanelScore, to_px):
    from PIL import Image, ImageDraw

    image = Image.fromarray(crop)
    draw = ImageDraw.Draw(image)
    for c in score.characters:
        if c.box_pt:
            colour = "#0a0" if c.detected else "#d80" if c.detected is None else "#c00"
            draw.rectangle(to_px(c.box_pt), outline=colour, width=max(2, image.width // 200))
            x0, y0 = to_px(c.box_pt)[:2]
            label = c.id if c.similarity is None else f"{c.id} {c.similarity:.2f}"
            draw.text((x0 + 3, y0 + 3), label, fill=colour)
    image.thumbnail((640, 640))
    return image


def _manifest(target: Path) -> dict:
    from storyboard.render import manifest_path

    path = manifest_path(target)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not os.path.lexists(target):
            raise StoryboardError(f"{target}: no such file or folder") from None
        raise StoryboardError(f"{target}: no manifest beside it ({path.name}); evaluate an output storyboard rendered, or a story .yaml") from None
    except (OSError, ValueError) as err:
        raise StoryboardError(f"{path}: unreadable manifest ({err.__class__.__name__})") from None
    if not isinstance(manifest, dict):
        raise StoryboardError(f"{path}: unreadable manifest (not a JSON object)")
    return manifest


def _script(manifest: dict, target: Path) -> Path:
    named = Path(str(manifest.get("script") or ""))
    candidates = [named, target.parent / named, target.parent / named.name]
    # The manifest names script and output from the folder the render ran in: `beach.yaml`
    # and `out/beach.pdf` put the script at ../beach.yaml from the output, wherever eval runs.
    output = Path(os.path.normpath(str(manifest.get("output") or "."))).parts
    here = Path(os.path.abspath(str(target).rstrip("/"))).parts
    if output and output != (".",) and not named.is_absolute() and here[-len(output):] == output:
        candidates.append(Path(*here[:-len(output)]) / named)
    for candidate in candidates:
        if str(named) and candidate.is_file():
            return candidate
    raise StoryboardError(f"{target}: the script its manifest names ({named}) is not found; "
                          "evaluate from the folder you rendered in, or pass the story .yaml")


def _references(story, judges: Judges, notes: list[str]) -> dict[str, References]:
    from characters.images import load_reference
    from storyboard.errors import CharacterError

    out = {}
    for cid, character in story.characters.items():
        paths = [story.base_dir / r for r in character.references or []]
        if not paths and character.library:
            try:
                from characters import CharacterLibrary

                entry = CharacterLibrary().get(character.library)
                paths = [entry.folder / r.file for r in entry.references]
            except Exception as err:  # a library problem must not stop the rest of the report
                notes.append(f"{cid}: library entry {character.library!r} unreadable ({str(err).splitlines()[0] if str(err) else err.__class__.__name__})")
        if not paths:
            continue
        images = []
        for p in paths:
            try:  # as the render reads it: upright RGB, transparency on white (not black), in its limits
                images.append(np.asarray(load_reference(p).image))
            except CharacterError as err:  # (one line: `PATH: not a JPEG, PNG or WebP image`)
                raise StoryboardError(f"{cid}'s reference image {err}") from None
        try:
            out[cid] = references_from_images(images, character.kind, judges)
        except StoryboardError as err:
            notes.append(f"{cid}: {err}")
    return out


def _pages(target: Path, book) -> Iterator[tuple]:
    """(page, RGB array, origin (x, y-top) in page points of the raster's top-left, pixels per point)."""
    from PIL import Image

    spec = book.spec
    trim = spec.trim
    if _is_strip(target):  # the whole strip is one page
        files = [target / "full.png"]
        sources = [lambda f=f: Image.open(f) for f in files]
        scale = spec.dpi / 72.0
        origin = (trim.x, trim.y1)
    elif target.is_dir():
        files = sorted(target.glob("page-*.png"))
        sources = [lambda f=f: Image.open(f) for f in files]
        scale = spec.dpi / 72.0
        origin = (trim.x, trim.y1)
    elif target.suffix.lower() == ".cbz":
        archive = zipfile.ZipFile(target)
        names = sorted(n for n in archive.namelist() if n.lower().endswith((".png", ".jpg", ".jpeg")))
        sources = [lambda n=n: Image.open(archive.open(n)) for n in names]
        scale = spec.dpi / 72.0
        origin = (trim.x, trim.y1)
    elif target.suffix.lower() == ".pdf":
        yield from _pdf_pages(target, book)
        return
    else:
        raise StoryboardError(f"{target}: evaluate a .pdf, a .cbz, a folder of PNG pages, a webtoon strip or a story .yaml")
    if len(sources) != len(book.pages):
        raise StoryboardError(f"{target}: {counted(len(sources), 'page image')}, but the script lays out "
                              f"{counted(len(book.pages), 'page')}")  # ("1 pages")
    for page, open_page in zip(book.pages, sources):
        with _opened(open_page, f"{target}: page {page.number}") as image:
            yield page, np.asarray(image.convert("RGB")), origin, scale


@contextlib.contextmanager
def _opened(open_image, what: str):
    """The image `open_image()` opens, decoded; one StoryboardError naming `what` for one that
    cannot be read (not an image, cut short, a folder, over Pillow's size limit): a page or
    reference replaced by something else was a PIL or OSError traceback."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = open_image()
        image.load()
    except UnidentifiedImageError:
        raise StoryboardError(f"{what} is not an image") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise StoryboardError(f"{what} is not a readable image ({reason})") from None
    with image:
        yield image


def _is_strip(target: Path) -> bool:
    from storyboard.export.webtoon import MARKER

    return target.is_dir() and (target / MARKER).is_file()


def _pdf_pages(target: Path, book) -> Iterator[tuple]:
    from PIL import Image

    media = book.spec.media
    with _scratch.scratch_folder("eval") as tmp:
        try:
            done = subprocess.run(["pdftoppm", "-r", str(EVAL_DPI), "-png", str(target), f"{tmp}/p"],
                                  capture_output=True, text=True)
        except FileNotFoundError:
            raise StoryboardError("evaluating a PDF needs poppler's pdftoppm (Debian: poppler-utils); "
                                  "or evaluate the CBZ or PNG pages of the same render") from None
        if done.returncode != 0:
            raise StoryboardError(f"{target}: cannot rasterise the PDF (pdftoppm: {done.stderr.strip()[:120]})")
        files = sorted(Path(tmp).glob("p-*.png"))
        if len(files) != len(book.pages):
            raise StoryboardError(f"{target}: {counted(len(files), 'page')}, but the script lays out {len(book.pages)}")
        for page, file in zip(book.pages, files):
            with Image.open(file) as image:
                yield page, np.asarray(image.convert("RGB")), (media.x, media.y1), EVAL_DPI / 72.0
