"""Orchestration: script -> layout -> identities -> plan -> engine/cache -> export.

`render()` is the whole job behind `storyboard render`. Every stage it calls owns its own
rules; this module only sequences them, reports progress, and writes the run manifest.
Everything that can fail because of the user's input (the script, the characters, the
output paths) is checked before the first panel is generated.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import os
import stat
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyboard import _files, _scratch
from storyboard.drawing import Drawing
from storyboard.errors import ExportError, GenerationError, StoryboardError, quote

if TYPE_CHECKING:
    from PIL import Image

    from storyboard.engines.base import Engine, Identity, PanelRequest
    from storyboard.lettering import Font
    from storyboard.script import Story

FORMATS = ("pdf", "cbz", "pages", "webtoon", "animatic", "shotlist")
DEFAULT_ENGINE = "diffusion"  # what a render uses when neither the call nor the script names one
_WORKERS = max(1, min(8, os.cpu_count() or 1))  # threads finishing and encoding panels
DEFAULT_MAX_SIDE = 1024  # engines without native sizes draw panels at most this long
ProgressCallback = Callable[[int, int, "PanelRequest", str], None]  # done, total, request, status


@dataclass(frozen=True)
class PanelRecord:
    scene: int
    panel: int
    scene_id: str
    key: str
    seed: int
    status: str  # "generated" | "cached"
    seconds: float
    candidates: dict | None = None  # best-of-N: every candidate's seed and scores, and the kept seed
    gen_size: tuple[int, int] = (0, 0)  # (width, height) the engine drew the panel at
    print_size: tuple[int, int] = (0, 0)  # (width, height) of the panel's art at the page dpi


_RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(PanelRecord))  # a manifest's panel entry, in order


@dataclass
class RenderResult:
    """What a render produced. `seconds` is the wall time of the whole call."""

    outputs: list[Path]
    pages: int
    panels_total: int
    panels_generated: int
    panels_cached: int
    seconds: float
    run_id: str
    panels: list[PanelRecord] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    # Warnings (lettering, poses the draft draws standing, lines without break points), located
    # 'FILE:LINE:COL: PATH: message' (the CLI prints them).
    warnings: list[str] = field(default_factory=list)
    lettering: dict = field(default_factory=dict, repr=False)  # (scene, panel) -> lettering report
    # Per character with an identity: {"kind", "embedder", "models": [{"name", "ref", "path",
    # "version"}]}, the encoders whose output conditioned it (so eval can flag a biased judge).
    identities: dict = field(default_factory=dict)
    pages_drawn: int = 0  # pages whose pieces (lettering, PDF piece) were built, not reused
    formats: list[str] = field(default_factory=list)  # each output's format, as `outputs`
    strip_images: int = 0  # the images of the webtoon strip written (001.png ...), if one was

    @property
    def seeds(self) -> dict[tuple[int, int], int]:
        return {(r.scene, r.panel): r.seed for r in self.panels}

    def summary(self) -> dict[str, Any]:
        return {
            "outputs": [str(p) for p in self.outputs],
            "pages": self.pages,
            "panels_total": self.panels_total,
            "panels_generated": self.panels_generated,
            "panels_cached": self.panels_cached,
            "seconds": round(self.seconds, 3),
            **({"strip_images": self.strip_images} if "webtoon" in self.formats else {}),
        }


_SUFFIXES = {".pdf": "pdf", ".cbz": "cbz", ".webtoon": "webtoon", ".mp4": "animatic", ".csv": "shotlist"}
FOLDER_FORMATS = ("pages", "webtoon")


def output_format(path: str | Path) -> str:
    """The format an output path asks for: `pdf`, `cbz`, `webtoon` (a folder named *.webtoon),
    `animatic` (.mp4), `shotlist` (.csv), or `pages` (a folder of PNG pages: a path ending in /
    or without suffix)."""
    text = str(path)
    suffix = Path(text).suffix.lower()
    folder = text.endswith(("/", os.sep))
    if suffix in _SUFFIXES:
        fmt = _SUFFIXES[suffix]
        # `-o book.pdf/` asks for a folder and a file at once: guessing either surprises someone.
        if folder and fmt not in FOLDER_FORMATS:
            raise ExportError(f"{text} ends in '/' (a folder) but '{suffix}' names a file: "
                              f"drop the '/' for a {suffix} file, or name the page folder without '{suffix}'")
        return fmt
    if folder or not suffix:
        return "pages"
    raise ExportError(f"unknown output format '{suffix}' for {text}: use .pdf, .cbz, .mp4 (animatic), "
                      ".csv (shot list), a folder named *.webtoon, or a folder for PNG pages")


_WHAT = {"pdf": "a PDF", "cbz": "a CBZ", "pages": "a folder of PNG pages", "webtoon": "a webtoon strip folder",
         "animatic": "an MP4 animatic", "shotlist": "a CSV shot list"}
# The suffix each format's outputs are named with (a folder of pages has none).
FORMAT_SUFFIXES = {fmt: suffix for suffix, fmt in _SUFFIXES.items()}


def _check_name(text: str, fmt: str) -> None:
    """Refuse an output whose name says another format than the one asked for it (`--format cbz
    -o book.pdf` would write a ZIP named book.pdf; `--format pages -o book.pdf` a folder): the
    name is what every other program goes by. A name that says nothing (no suffix, or one no
    format uses, nor PNG) takes any format."""
    path = Path(text)
    suffix = path.suffix.lower()
    named = "one PNG image" if suffix == ".png" else _WHAT.get(_SUFFIXES.get(suffix, fmt))  # no format writes one
    own = FORMAT_SUFFIXES.get(fmt, "")
    if named != _WHAT[fmt]:
        right = f"{path.with_suffix('')}{own}/" if fmt in FOLDER_FORMATS else path.with_suffix(own)
        raise ExportError(f"{text}: --format {fmt} writes {_WHAT[fmt]} but the name says {named} ('{suffix}'): "
                          f"name it {right}, or leave --format out")
    if text.endswith(("/", os.sep)) and fmt not in FOLDER_FORMATS:
        raise ExportError(f"{text}: --format {fmt} writes {_WHAT[fmt]}, a file, but the name ends in '/' (a folder): "
                          f"name it {path if path.suffix else path.with_suffix(own)}")


def output_targets(outputs: Sequence[str | Path | tuple]) -> list[tuple[Path, str]]:
    """Each output as (path, format). An output is a path, whose name says its format
    (`output_format`), or a (path, format) pair naming one of FORMATS (`--format`). Raises
    ExportError for one no format, folder or name allows (whatever the story)."""
    checked = []
    for out in outputs:
        if isinstance(out, tuple) and (len(out) != 2 or not isinstance(out[1], (str, type(None)))):
            raise ExportError(f"output {out!r}: a tuple is one output (path, format), such as ('book', 'cbz'); "
                              "give several outputs as a list")
        out, fmt = out if isinstance(out, tuple) else (out, None)
        if not isinstance(out, (str, os.PathLike)):
            raise ExportError(f"output {out!r} is not a path: give a str or pathlib.Path")
        if not str(out).strip():
            raise ExportError("an output path is empty: give file.pdf, file.cbz or a folder/ for PNG pages")
        if fmt is not None and fmt not in FORMATS:
            raise ExportError(f"unknown output format '{fmt}': use one of {', '.join(FORMATS)}")
        if fmt is not None:
            _check_name(str(out), fmt)
        fmt = fmt or output_format(out)
        path = Path(out)
        _check_name_length(out, path)
        folder = fmt in FOLDER_FORMATS
        parent = path if folder else _real(path, fmt).parent  # a linked file is written where it points
        if folder and path.exists() and not path.is_dir():
            from storyboard.export import special_kind

            what = special_kind(path) or "a file"  # (a FIFO or /dev/null was 'a file')
            raise ExportError(f"cannot write {'PNG pages' if fmt == 'pages' else 'a webtoon strip'} into {out}: "
                              f"it is {what}, not a folder")
        if not folder and path.is_dir():
            raise ExportError(f"cannot write {out}: it is a folder")
        if not folder:
            from storyboard.export import refuse_special

            refuse_special(out, path)
        if fmt == "webtoon" and path.name in ("", ".", ".."):  # (it went as far as a traceback)
            raise ExportError(f"cannot write a webtoon strip into {out}: a strip replaces its whole folder; "
                              "give it a folder of its own (-o story.webtoon/)")
        anchor = _existing_ancestor(parent)  # missing folders are made, for every format
        _check_folder_writable(out, anchor, probe=not folder)
        if folder:  # its manifest, and its next pages' private folder, go beside it
            manifest = manifest_path(path)
            try:
                _check_folder_writable(out, _existing_ancestor(manifest.parent))
            except ExportError as err:
                if not path.is_dir():  # (it would have been made there)
                    raise
                # The folder is there and may take pages, but not what goes beside it (`-o .` in
                # a folder whose parent is read-only): say why that folder matters.
                raise ExportError(f"{err} (its manifest, {manifest.name}, goes there)") from None
        same = next((p for p, _ in checked if os.path.realpath(p) == os.path.realpath(path)), None)
        if same is not None:  # written twice, or two formats racing for one name
            raise ExportError(f"the output {out} is given twice" + (f" (also as {same})" if str(same) != str(path) else ""))
        checked.append((path, fmt))
    return checked


NAME_MAX = 255  # bytes in one file name, on every common file system
PATH_MAX = 4096  # bytes in a path Linux resolves
# Bytes storyboard adds to an output's name for the names it makes beside it: the manifest
# (NAME.manifest.json), the temporary file (.NAME.PID-RANDOM.video.mp4), the next pages'
# private folder (.NAME.storyboard-PID-RANDOM).
_NAME_ROOM = 32


def long_name(names: Iterable[str]) -> str | None:
    """The first of `names` (a path's parts) longer than a file system holds (NAME_MAX bytes),
    or None: stat and mkdir fail on it with ENAMETOOLONG."""
    return next((name for name in names if len(os.fsencode(name)) > NAME_MAX), None)


def _check_name_length(out: str | Path, path: Path) -> None:
    """ExportError for an output whose name, or a folder on its way, the file system cannot
    hold, with room for the names storyboard makes beside it: a name of 300 letters was a
    traceback (ENAMETOOLONG from stat), one of 250 failed once the pages were drawn."""
    name = len(os.fsencode(path.name))
    if name + _NAME_ROOM > NAME_MAX:
        raise ExportError(f"cannot write {out}: its name is {name} bytes long; at most {NAME_MAX - _NAME_ROOM} "
                          f"(a file name holds {NAME_MAX}, and the manifest and temporary files add to it)")
    folder = long_name(path.parts[:-1])
    if folder is not None:
        raise ExportError(f"cannot write {out}: the folder name {folder[:40]}… is over {NAME_MAX} bytes long")
    if len(os.fsencode(os.path.abspath(path))) + _NAME_ROOM > PATH_MAX:
        raise ExportError(f"cannot write {out}: the path is too long (a path holds at most {PATH_MAX} bytes)")


def _check_not_inputs(story: "Story", targets: list[tuple[Path, str]], font: Any = None) -> None:
    """Refuse an output (or its manifest) that is the script, a file it names (a reference
    image, a font, a peel), the translations file of an edition or the lettering `font` the
    render is given (a path: `--font`):
    `--format pdf -o story.yaml` wrote the PDF over the script. Raises ExportError."""
    from storyboard.text.fonts import parse_font_entry

    fonts = story.style.font or []
    names = [ref for c in story.characters.values() for ref in (c.references or [])]
    names += [p.path for p in story.style.peels] + [parse_font_entry(f)[0] for f in
                                                    ([fonts] if isinstance(fonts, str) else fonts)]
    inputs = [(story.path, f"the script {story.path.name}")] if story.path is not None else []
    if story._translations is not None:  # an edition's translations file
        inputs.append((story._translations, f"the translations file {story._translations}"))
    inputs += [(story.base_dir / Path(n).expanduser(), f"{n}, which the script reads") for n in names]
    if isinstance(font, (str, os.PathLike)):  # (relative to the working folder, as `story_font` reads it)
        inputs.append((Path(parse_font_entry(str(font))[0]).expanduser(), f"the lettering font {font}"))
    stats = []
    for path, what in inputs:
        try:
            st = path.stat()
        except (OSError, ValueError):
            continue
        stats.append(((st.st_dev, st.st_ino), what))
    for out, fmt in targets:
        for written in (out, manifest_path(out)):
            try:
                st = written.stat()
            except (OSError, ValueError):
                continue
            what = next((what for ident, what in stats if ident == (st.st_dev, st.st_ino)), None)
            if what is not None:
                raise ExportError(f"cannot write {out}: it is {what}" if written == out
                                  else f"cannot write {out}: its manifest {written} would replace {what}")
        if fmt in FOLDER_FORMATS:  # a page it replaces (a reference picked from an earlier render: watch
            _check_folder_inputs(out, fmt, inputs)  # re-rendered forever, each render replacing it)


def _check_folder_inputs(out: Path, fmt: str, inputs: list[tuple[Path, str]]) -> None:
    """Refuse a folder output that would replace an input: a page of a page folder
    (`page-NNN.png`: the other files stay), anything in a webtoon strip's folder."""
    from storyboard.export.folder import PAGE_NAME

    folder = os.path.realpath(out)
    for path, what in inputs:
        real = os.path.realpath(path)
        inside = os.path.dirname(real) == folder and PAGE_NAME.fullmatch(os.path.basename(real)) is not None \
            if fmt == "pages" else real.startswith(folder + os.sep)
        if inside:
            raise ExportError(f"cannot write {out}: it would replace {what}")


def check_writable(path: str | Path, *, folder: bool = False) -> Path:
    """`path` as a file (or `folder`) this process can create or write into (its missing
    folders are made): raise ExportError naming why not, before any work is spent on it."""
    path = Path(path)
    try:
        if not folder and path.is_dir():
            raise ExportError(f"cannot write {path}: it is a folder")
        if not folder:
            from storyboard.export import refuse_special

            refuse_special(path, path)
        anchor = _existing_ancestor(path if folder else path.parent)
    except OSError as err:  # a name too long for the file system, say
        raise ExportError(f"cannot write {path}: {err.strerror or err}") from None
    _check_folder_writable(path, anchor)
    return path


def _check_folder_writable(out: str | Path, anchor: Path, *, probe: bool = True) -> None:
    """Raise ExportError unless this process can make files in `anchor`, the existing folder
    the output `out` goes into (or its nearest existing ancestor). The permission bits alone
    (access) let root through everywhere, so `batch -o /sys/out` failed story by story when
    written: with `probe`, a folder made there and removed again asks the file system itself
    (a pseudo or read-only file system, a full disk)."""
    if not anchor.is_dir():
        raise ExportError(f"cannot write {out}: {anchor} is a file, not a folder")
    if not os.access(anchor, os.W_OK):
        raise ExportError(f"cannot write {out}: folder {anchor} is not writable")
    if probe:
        try:
            _files.probe_folder(anchor)
        except OSError as err:
            if err.errno in (errno.ENOSPC, errno.EDQUOT):  # room, not leave, is what is missing
                raise ExportError(f"cannot write {out}: {err.strerror}") from None
            raise ExportError(f"cannot write {out}: folder {anchor} is not writable ({err.strerror or err})") from None


def _existing_ancestor(folder: Path) -> Path:
    """`folder`, or its nearest ancestor that exists (the current folder for a relative one)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def render(
    story: "Story | str | Path",
    *,
    out: str | Path | Sequence[str | Path],
    engine: "str | Engine | None" = None,
    engine_options: dict[str, Any] | None = None,
    seed: int | None = None,
    cache: str | Path | bool | None = None,
    font: str | Path | None = None,
    max_side: int | None = None,
    library: Any = None,
    face_models: str | None = None,
    drawn_encoder: str | None = None,
    watermark: bool = True,
    upscale: str = "lanczos",
    save_controls: str | Path | None = None,
    progress: ProgressCallback | None = None,
    allow_paths: str | Path | Sequence[str | Path] | None = None,
    candidates: int | None = None,
    executor: "str | Any" = "local",
    workers: int | None = None,
    gpus_per_worker: float | None = None,
    strict: bool = False,
    language: str | None = None,
    translation: str | Path | None = None,
) -> RenderResult:
    """Render a story to every output in `out` (PDF, CBZ, folder of PNG pages).

    `engine` is "draft", "diffusion" or an Engine object; None takes the script's
    `generation.engine`, else "diffusion" (the same precedence as the command line: see
    `choose_engine`). `engine_options` override the script's `generation` settings for a named
    engine. `cache` is a folder, an fsspec URL
    (`file://`, `memory://`, `s3://`...: see `storyboard.remote_cache`), None for the default
    folder, or False for none. Panels are generated once however many outputs.
    `allow_paths` are folders (or one, as a str or path) besides the script's own that the files a script names
    (references, font, peels, local models) may lie in, when `story` is a path; a `Story`
    was checked when it was loaded (see `storyboard.paths`).
    `candidates` (default: the script's `generation.candidates`, else 1) draws that many seeds
    of each panel whose cast carries identities and keeps the one the identity judge of
    `storyboard eval` scores best (`storyboard.evaluation.best_of`).
    `executor` is where the panels the cache lacks are drawn: "local" (this process), or "ray"
    (RAY_ADDRESS, else a local Ray), "ray:auto" or "ray://HOST:PORT", on `workers` actors
    (default 1) with `gpus_per_worker` GPUs each (default 0), which build the engine from its
    name and options: an Engine object cannot go to Ray. Best-of-N panels are searched here.
    Raises MissingExtraError when Ray is not installed (the `ray` extra).
    `max_side` caps the longer side of a generated panel; None: the engine's own sizes
    (the diffusion engine: its model family's native sizes; otherwise 1024).
    `save_controls` is a folder to write each panel's ControlNet image to, for inspection.
    `strict`: a panel lettered against the rules, or a violation `storyboard check-lettering`
    would report of an output, raises LetteringError (every one, located) before any output is
    written; type shrunk to fit stays a warning.
    `language` (a BCP 47 tag) letters the edition in that language from the translations file
    `storyboard render --lang` reads (`translations/STEM.LANG.yaml` beside the script, else the
    folder's `translations/LANG.yaml`); `translation` letters it from that file. Either raises
    ScriptError, every problem located in the translations file, before any panel is drawn; a
    tag that is none is a StoryboardError (see `translations.edition`).
    """
    from storyboard.executors import open_executor

    started = time.perf_counter()
    from storyboard.export.workers import check_setting

    check_setting()
    _check_types(cache=cache, font=font, upscale=upscale, save_controls=save_controls, progress=progress,
                 allow_paths=allow_paths, engine=engine, language=language, translation=translation)
    if engine_options is not None and not isinstance(engine_options, Mapping):
        raise StoryboardError(f"engine_options={engine_options!r}: give a dict of the engine's options")
    numbers = {k: v for k, v in (engine_options or {}).items() if k in ("steps", "guidance", "control_scale", "refine")}
    bad = option_problems(seed=seed, max_side=max_side, candidates=candidates, **numbers)
    if bad:
        raise StoryboardError("; ".join(f"{name}={value!r}: {why}" for name, value, why in bad))
    # Python ints from here on: numpy's int64 seed drew the pages, then failed the manifest's JSON.
    seed, max_side, candidates = (None if v is None else int(v) for v in (seed, max_side, candidates))
    from storyboard import _gc

    runner = open_executor(executor, workers=workers, gpus_per_worker=gpus_per_worker)
    with _full_disk(), _kept_if_stopped() as written, contextlib.ExitStack() as stack:
        if runner is not executor:  # opened here, closed here (a Ray this render started is shut down)
            stack.enter_context(runner)
        job = _prepare(story, stack=stack, started=started, executor=runner, out=out, engine=engine,
                       engine_options=engine_options, seed=seed, cache=cache, font=font, max_side=max_side,
                       library=library, face_models=face_models, drawn_encoder=drawn_encoder, watermark=watermark,
                       upscale=upscale, save_controls=save_controls, progress=progress, allow_paths=allow_paths,
                       candidates=candidates, language=language, translation=translation)
        stack.enter_context(_gc.frozen())  # what _prepare made lives until the render ends
        job.strict = strict
        # Closed at once on an error or Ctrl-C: an executor stops the panels still on its workers.
        generated = stack.enter_context(contextlib.closing(job.generate(runner)))
        for panel in generated:
            job.accept(*panel)
        result = job.finish()
        written.extend(result.outputs)
        return result


def _check_types(**values: Any) -> None:
    """A StoryboardError for a `render` argument of a type it never takes (`font=5`, `cache=b"x"`,
    `engine=5`: a TypeError or AttributeError from deep inside, after the script was read)."""
    from storyboard.text.fonts import FontChain

    def paths(value) -> bool:
        many = isinstance(value, (list, tuple, set, frozenset))
        return all(isinstance(v, (str, os.PathLike)) for v in (value if many else [value]))

    wanted = {  # name: (accepted, what to give)
        "cache": (lambda v: isinstance(v, (bool, str, os.PathLike)), "a folder or URL, None or False"),
        "font": (lambda v: isinstance(v, (str, os.PathLike, FontChain)), "a font file's path"),
        "upscale": (lambda v: isinstance(v, (str, os.PathLike)), "'lanczos' or a model's path"),
        "save_controls": (lambda v: isinstance(v, (str, os.PathLike)), "a folder's path"),
        "allow_paths": (paths, "a folder's path or a list of them"),
        "progress": (callable, "a function (done, total, request, status)"),
        "engine": (lambda v: isinstance(v, str) or callable(getattr(v, "render", None)),
                   "'draft', 'diffusion' or an Engine"),
        "language": (lambda v: isinstance(v, str), "a BCP 47 tag such as 'fr' or 'pt-BR'"),
        "translation": (lambda v: isinstance(v, (str, os.PathLike)), "a translations file's path"),
    }
    for name, value in values.items():
        accepted, what = wanted[name]
        if value is not None and not accepted(value):
            raise StoryboardError(f"{name}={value!r}: give {what}")


@contextlib.contextmanager
def _full_disk() -> Iterator[None]:
    """A disk (or quota, or file size limit) that fills while the render writes its own
    temporary files (page pieces, spilled drawings, print JPEGs, the PDF being joined) is
    a one-line ExportError, as a full disk under an output already is, not a traceback."""
    import errno

    try:
        yield
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        where = err.filename or f"a temporary file in {tempfile.gettempdir()}"  # the joined PDF's is unnamed
        raise ExportError(f"cannot write {where}: {err.strerror or err}") from None


@contextlib.contextmanager
def _kept_if_stopped() -> Iterator[list[Path]]:
    """The list the render puts its outputs in once all are written: a stop while it then
    closes (the joined PDF freed, the executor shut down, scratch removed) names them as kept."""
    written: list[Path] = []
    try:
        yield written
    except KeyboardInterrupt as stop:
        if written and not hasattr(stop, "kept"):
            stop.kept = list(written)
        raise


def _prepare(story, *, stack: contextlib.ExitStack, started: float, executor, out, engine=None, engine_options=None,
             seed=None, cache=None, font=None, max_side=None, library=None, face_models=None, drawn_encoder=None,
             watermark=True, upscale="lanczos", save_controls=None, progress=None, allow_paths=None,
             candidates=None, language=None, translation=None) -> "_Job":
    """Everything a render does before its first panel is drawn (every check of the user's
    input included), as a `_Job` that holds the panels still to draw. Temporary folders and
    the panel encoder live on `stack`. Options as for `render`; `executor` is open."""
    from storyboard import _gc, layout, plan
    from storyboard.cache import PanelCache
    from storyboard.script import Story, load_story

    runner = executor
    if not isinstance(story, Story):
        with _gc.paused():  # a long book's node tree and models: many long-lived objects, no garbage
            story = load_story(story, allow_paths=allow_paths)
    if language is not None or translation is not None:  # the edition, as `render --lang` / `--translation` ask
        from storyboard import translations

        story = translations.edition(story, language, translation, font)
    script_hash = _script_hash(story)  # of the script as read, whatever happens to the file meanwhile
    if out is None or isinstance(out, bytes) or not isinstance(out, (str, os.PathLike, tuple, Iterable)):
        raise ExportError(f"out={out!r}: give a path (file.pdf, file.cbz, folder/) or a list of them")
    targets = output_targets([out] if isinstance(out, (str, os.PathLike, tuple)) else list(out))
    if not targets:
        raise ExportError("no output given")
    _check_not_inputs(story, targets, font)
    from storyboard.export.webtoon import check_outputs

    check_outputs(story, [fmt for _, fmt in targets])  # a webtoon-layout story has no pages

    spec = _engine_spec(story, choose_engine(story, engine), engine_options or {})
    if spec is None and runner.name != "local":
        raise GenerationError(f"the {runner.name} executor builds the engine on each worker from its name and "
                              "options: pass engine='draft' or 'diffusion' (with engine_options), not an Engine object")
    engine_obj = _engine(story, choose_engine(story, engine), engine_options or {})
    book = layout.paginate(story, max_side=max_side or DEFAULT_MAX_SIDE)
    # What would fail while finishing panels fails now, before hours of generation; what is
    # wrong in the script is located in it, as validate locates it.
    font, found = _refusals(story, book, engine_obj, font, watermark, library, [fmt for _, fmt in targets])
    if found:
        raise story.refusal(found)
    if upscale not in (None, "lanczos"):
        from storyboard.upscale import check_reference

        check_reference(upscale)
        if getattr(engine_obj, "renders_at_print_size", False):
            raise GenerationError(f"--upscale {upscale} would not be used: the {getattr(engine_obj, 'name', 'chosen')} "
                                  "engine draws every panel at print size; leave --upscale out")
    _check_output_folders(targets, book)
    diffusion = choose_engine(story, engine) == "diffusion"
    identities = _identities(story, engine_obj, library, face_models, drawn_encoder,
                             lambda kinds: _check_models(story, engine_options or {}, kinds) if diffusion else None)
    if diffusion:
        _check_models(story, engine_options or {}, {identity.kind for identity in identities.values()})
    at_print_size = getattr(engine_obj, "renders_at_print_size", False)
    sizer = None if at_print_size else getattr(engine_obj, "generation_size", None)
    with _gc.paused():  # as for the story
        requests = plan.plan_panels(story, book, identities, seed=seed,
                                    generation_size=sizer and (lambda aspect: sizer(aspect, max_side)))
    best = _best_of(story, engine_obj, candidates)
    if best is not None:
        requests = [best.mark(r) for r in requests]
    print_sizes = {(s.scene, s.panel): (s.print_width, s.print_height) for s in book.slots()}
    if at_print_size:
        requests = [_at_size(r, *print_sizes[(r.scene, r.panel)]) for r in requests]
    prepare = getattr(engine_obj, "prepare", None)  # e.g. the diffusion engine's control images
    if prepare is not None:
        requests = [prepare(r) for r in requests]
    if save_controls is not None:
        _save_controls(story, requests, Path(save_controls))

    if isinstance(cache, (str, os.PathLike)) and not str(cache).strip():  # Path("") is the current folder
        raise StoryboardError("cache='' is empty: give a folder or URL, None for the default cache, False for none")
    if cache is False:  # no cache, but panels wait on disk, not in memory, for the export
        store = PanelCache(stack.enter_context(_scratch.scratch_folder("panels")), scratch=True)
    else:
        from storyboard.cache import setting
        from storyboard.remote_cache import RemotePanelCache, is_url

        cache = setting(cache)  # STORYBOARD_CACHE may be a URL too
        store = RemotePanelCache(cache) if is_url(cache) else PanelCache(cache)
        store.prepare()  # a cache root that is a file fails here, before any panel (one that cannot be made is not used)
    detector = _face_detector(story, engine_obj, face_models)
    with _gc.paused():  # the panels' keys and loaders
        return _Job(story, targets, book, font, requests, print_sizes, store, engine_obj, script_hash,
                    stack=stack, started=started, seed=seed, upscale=upscale, watermark=watermark, progress=progress,
                    best=best, spec=spec, detector=detector,
                    settings_of_run={"max_side": max_side, "upscale": upscale, "cache": cache is not False},
                    local=runner.name == "local")


class _Job:
    """One story's render between its checks and its export: the cached panels are found, the
    others wait in `todo` (for an executor) and `searched` (best-of-N, drawn here with the
    render's own engine). `accept` caches and encodes each drawn panel as it arrives; `finish`
    letters and exports. `render` runs one job; `render_many` draws the `todo` of many jobs in
    one executor round, so that same-size panels of different stories share engine batches."""

    strict = False  # `render(strict=True)`: lettering problems are errors before any output

    def __init__(self, story, targets, book, font, requests, print_sizes, store, engine_obj, script_hash, *,
                 stack, started, seed, upscale, watermark, progress, settings_of_run, best=None, spec=None,
                 detector=None, local=True):
        from concurrent.futures import ThreadPoolExecutor

        from storyboard.cache import PanelCache, panel_key, print_key, take_unwritable
        from storyboard.export.pdf import JPEG_ENCODING
        from storyboard.provenance import provenance

        self.story, self.targets, self.book, self.font, self.requests = story, targets, book, font, requests
        self.print_sizes, self.store, self.engine, self.script_hash = print_sizes, store, engine_obj, script_hash
        self.stack = stack
        self.started, self.seed, self.progress, self.best, self.spec = started, seed, progress, best, spec
        self.settings_of_run, self.detector = settings_of_run, detector
        self.settings = settings = engine_obj.settings()
        self.run_id = _run_id(script_hash, settings)
        self.watermark = watermark = watermark and getattr(engine_obj, "generative", True)  # sketches carry no mark
        self.record = provenance(settings, self.run_id, watermark=watermark)  # every output's provenance record
        self.keys = keys = {(r.scene, r.panel): panel_key(settings, r) for r in requests}
        # The PDF embeds each panel as print-ready JPEG bytes, kept in the cache beside the panel so
        # an unchanged panel is neither decoded nor encoded again. Not for marked panels: the mark
        # carries this run's id, so their bytes differ every run and could never be reused.
        self.wants_pdf = any(fmt == "pdf" for _, fmt in targets)
        pkeys = {}
        if self.wants_pdf and not watermark:
            pkeys = {where: print_key(key, *print_sizes[where], encoding=JPEG_ENCODING, upscale=upscale)
                     for where, key in keys.items()}
        # Vector sketches go into the PDF as paths and are rasterised for pages; a panel that
        # must carry the invisible mark is drawn as pixels.
        self.vector = vector = getattr(engine_obj, "draws_vectors", False) and not watermark
        if vector:
            pkeys = {}
        self.pkeys = pkeys
        # The first folder of PNG pages and the first CBZ are painted where each page's
        # lettering report (and PDF piece) is made, in the same lettering (`export.images.PagePainter`).
        self.one_pass = any(fmt in ("pages", "cbz") for _, fmt in targets)
        # Vector sketches this machine draws (a millisecond each) are drawn where their page is
        # built for the PDF or painted, on the page workers, rather than here one after another
        # before the pages start; each is stored (a local cache only: workers are forked) as it is drawn.
        self.lazy = (vector and local and (self.wants_pdf or self.one_pass) and best is None
                     and (not settings_of_run["cache"] or type(store) is PanelCache))
        self.later: dict[tuple[int, int], "PanelRequest"] = {}  # panels drawn when their page is built
        self.made: dict[tuple[int, int], float] = {}  # of those, drawn in this process: seconds each
        self.spill = None  # `_kept`
        self.unwritable = take_unwritable()  # caches that could not be written (root -> why), from `prepare` on
        self.recent: dict[tuple[int, int], Drawing] = {}  # of those, the last few drawn here (`_drawn_here`)
        finish = _Finisher(upscale, self.run_id if watermark else None)
        self.scratch = scratch = _Scratch(stack)
        keep = None  # marking is slow: when several outputs need the images, each is marked once and kept on disk
        if watermark and len(targets) > 1:
            keep = scratch("marked")
        self.panels = panels = _Panels(finish, print_sizes, keep=keep)
        self.pool = stack.enter_context(ThreadPoolExecutor(_WORKERS))
        self.encoding = deque()  # print JPEGs of new panels, made on threads while the next is drawn
        # Detected faces steer the lettering of generated art: its pages are keyed once they are known.
        self.detects = detector is not None and getattr(engine_obj, "generative", True) and not vector
        self.pages = None if self.detects else self._pages({})
        # A PDF-only render needs no art for a page whose pieces are all there already: its panels
        # are not read, if this process found them intact before and they have not changed since.
        pieces_only = self.pages is not None and all(fmt in ("pdf", "shotlist") for _, fmt in targets)
        ready = {(slot.scene, slot.panel) for index, page in enumerate(book.pages)
                 if pieces_only and self.pages.ready(index) for slot in page.slots}

        self.records: dict[tuple[int, int], PanelRecord] = {}
        todo, self.unfinished = [], []
        cached = settings_of_run["cache"]  # else `store` is this run's own folder, empty so far
        for request in requests:
            where = (request.scene, request.panel)
            key = keys[where]
            size = request.output_size
            entry = _entry(store, key, pkeys.get(where), vector) if cached else None
            if where in ready and entry is not None and _INTACT.get(entry[0]) == entry[1]:
                panels.loaders[where] = _stored(store, key, engine_obj, request, settings, vector=vector)
                self.records[where] = _record(story, request, key, "cached", 0.0, print_sizes[where])
                if progress:
                    progress(len(self.records), len(requests), request, "cached")
                continue
            jpeg = store.get_print(key, pkeys[where], print_sizes[where], size) if pkeys and cached else None
            drawing = store.get_drawing(key, size) if vector and cached else None
            if jpeg is not None:  # read again when its page is drawn, rather than held for the whole book
                panels.jpegs[where] = _cached_print(store, key, pkeys[where], print_sizes[where], size)
            elif drawing is not None:  # read again when its page is drawn: a long book never holds every drawing
                panels.loaders[where] = _stored(store, key, engine_obj, request, settings, vector=True)
            elif not vector and cached and store.has(key, size):  # decoded later, a few at a time
                self.unfinished.append(where)
            elif self.lazy:
                self.later[where] = request
                panels.loaders[where] = _drawn_here(engine_obj, request, self.made, self.recent, settings,
                                                    store if cached else None, key)
                continue
            else:
                todo.append(request)
                continue
            if where not in panels.loaders:
                panels.loaders[where] = _stored(store, key, engine_obj, request, settings)
            if entry is not None:
                _INTACT[entry[0]] = entry[1]
            self.records[where] = _record(story, request, key, "cached", 0.0, print_sizes[where])
            if progress:
                progress(len(self.records), len(requests), request, "cached")
        self.searched = [r for r in todo if best is not None and best.marked(r)]
        self.todo = [r for r in todo if best is None or not best.marked(r)]

    def generate(self, executor) -> Iterable[tuple["PanelRequest", Any, float]]:
        """This job's panels as they are made (images, or drawings when `vector`): `search`,
        then `todo` on `executor`, which builds its engines from `spec`, (name, options), if it must."""
        yield from self.search()
        yield from executor.generate(self.engine, self.spec, self.todo, self.vector)

    def search(self) -> Iterable[tuple["PanelRequest", Any, float]]:
        """The best-of-N panels, searched here with the render's own engine (also under ray)."""
        for request in self.searched:
            t0 = time.perf_counter()
            image = self.best.choose(self.engine, request)
            yield request, image, time.perf_counter() - t0

    def accept(self, request: "PanelRequest", image: Any, seconds: float) -> None:
        """Cache one drawn panel and start encoding its print JPEG."""
        from storyboard.cache import key_inputs

        where = (request.scene, request.panel)
        keys, store, settings, panels = self.keys, self.store, self.settings, self.panels
        if self.vector:  # read back when its page is drawn: a long book never holds every drawing
            if self.settings_of_run["cache"] and store.put_drawing(keys[where], image, key_inputs(settings, request)):
                if (entry := _entry(store, keys[where], None, True)) is not None:
                    _INTACT[entry[0]] = entry[1]
                panels.loaders[where] = _stored(store, keys[where], self.engine, request, settings, vector=True)
            else:  # not in the --no-cache scratch store (it fsyncs): a few kilobytes in the run's folder
                panels.loaders[where] = _spilled(image, self.scratch("drawings") / f"{where[0]}-{where[1]}")
        else:
            kept = store
            if not store.put(keys[where], image, key_inputs(settings, request)):  # the cache cannot keep it
                kept = self._kept()
                kept.put(keys[where], image, key_inputs(settings, request))
            panels.loaders[where] = _stored(kept, keys[where], self.engine, request, settings)
        if self.wants_pdf and not self.vector:  # now, while the image is at hand: a long book never holds every panel decoded
            self.encoding.append((where, self.pool.submit(_print_jpeg, panels, where, image, store, keys, self.pkeys,
                                                          self.scratch)))
            if len(self.encoding) > 2 * _WORKERS:
                done, future = self.encoding.popleft()
                panels.jpegs[done] = future.result()
        self.records[where] = _record(self.story, request, keys[where], "generated", seconds, self.print_sizes[where])
        if self.best is not None and where in self.best.records:
            self.records[where] = dataclasses.replace(self.records[where], candidates=self.best.records[where])
        if self.progress:
            self.progress(len(self.records), len(self.requests), request, "generated")

    def finish(self) -> RenderResult:
        """Letter and export every output, once every panel was accepted."""
        panels, story, book, font = self.panels, self.story, self.book, self.font
        with self.pool:
            for where, future in self.encoding:
                panels.jpegs[where] = future.result()
            if self.wants_pdf:
                _finish_panels(self.pool, self.unfinished, panels, self.store, self.keys, self.pkeys, self.scratch)
        from storyboard.lettering import lettering_once

        # Generated raster art: lettering points at the heads the art shows (found once, cached).
        faces = {}
        if self.detects:
            from storyboard.face_detection import panel_faces

            faces = panel_faces(self.detector, {where: self.keys[where] for where in self.records}, self.store,
                                panels.loaders)
            self.pages = self._pages(faces)
        # Each page's report (and PDF piece) built once, or reused; `later` panels drawn meanwhile,
        # and the pages joined into the PDF as they come (what is left to do is to write it).
        joined = []

        def placed(page: Path) -> None:
            if not joined:
                from storyboard.export.pdf import Joiner

                joined.append(self.stack.enter_context(Joiner()))
            joined[0].add(page)

        painter = self._painter() if self.one_pass else None
        lettering = self.pages.build(self._drawn, placed if self.wants_pdf else None,
                                     paint=painter and painter.paint, painted=painter and painter.painted)
        if painter is not None:
            painter.close()
        self._drawn_elsewhere()
        panel_records = [self.records[(r.scene, r.panel)] for r in self.requests]
        result = RenderResult(
            outputs=[],
            pages=len(book.pages),
            panels_total=len(self.requests),
            panels_generated=sum(r.status == "generated" for r in panel_records),
            panels_cached=sum(r.status == "cached" for r in panel_records),
            seconds=0.0,
            run_id=self.run_id,
            panels=panel_records,
            identities=_conditioning(self.requests),
        )
        result.lettering = lettering
        result.pages_drawn = self.pages.drawn
        labels = getattr(self.engine, "labels_panels", False)
        formats = [fmt for _, fmt in self.targets]
        with lettering_once(faces):  # the other outputs draw the same lettering, solved once
            strip = _strip_lettering(story, book, font, formats, labels)
            self._drawn(self._took())  # (what this process could not cache: the warning says it once)
            result.warnings = (_lettering_warnings(story, formats, result.lettering, strip)
                               + pose_warnings(story, self.engine) + break_warnings(story) + story._stale
                               + [f"warning: cannot write to the panel cache {root} ({why}): the render went on "
                                  "without caching" for root, why in self.unwritable.items()])
            if self.strict:  # (a strip's lettering checked here is the one written)
                _refuse_lettering(story, formats, result, strip)
            _export_all(self.targets, story, book, panels, font, self.settings, self.record, self.watermark, result,
                        labels=labels, script_hash=self.script_hash, strip=strip,
                        seed=self.seed, run_settings=self.settings_of_run, pages=self.pages,
                        joined=joined[0] if joined else None, painter=painter)
        result.seconds = time.perf_counter() - self.started
        return result

    def _painter(self):
        """The `export.images.PagePainter` of the first folder of PNG pages and the first CBZ
        among the outputs, kept open (its private folder) until the render ends. (The font
        is checked already: `_refusals`.)"""
        from storyboard.export.images import PagePainter, panel_boxes

        folder = next((path for path, fmt in self.targets if fmt == "pages"), None)
        cbz = any(fmt == "cbz" for _, fmt in self.targets)
        return self.stack.enter_context(PagePainter(
            self.story, self.book, self.panels, font=self.font, labels=getattr(self.engine, "labels_panels", False),
            metadata=self.record, folder=folder,
            scratch=self.scratch("cbz") if cbz else None,
            cbz_boxes=panel_boxes(self.book) if cbz and self.watermark else None))

    def _drawn(self, took: tuple[dict[tuple[int, int], float], dict[str, str]]) -> None:
        """Record the `later` panels drawn while a page was built ((scene, panel) -> seconds),
        and the caches that could not be written meanwhile (`_took`)."""
        made, unwritable = took
        for root, why in unwritable.items():
            self.unwritable.setdefault(root, why)
        for where, seconds in made.items():
            if where in self.later and where not in self.records:
                request = self.later[where]
                self.records[where] = _record(self.story, request, self.keys[where], "generated", seconds,
                                              self.print_sizes[where])
                if self.progress:
                    self.progress(len(self.records), len(self.requests), request, "generated")

    def _drawn_elsewhere(self) -> None:
        """Once the pages are built: draw here the `later` panels no page needed (their page was
        reused), and have every output after the PDF read them from the cache (or, without
        one, draw them again: as fast as reading them back)."""
        if not self.later:
            return
        cache = self.settings_of_run["cache"]
        for where, request in self.later.items():
            if where not in self.records:
                self.panels.loaders[where]()
                self._drawn(self._took())
            if cache:
                key = self.keys[where]
                self.panels.loaders[where] = _stored(self.store, key, self.engine, request, self.settings, vector=True)
                if (entry := _entry(self.store, key, None, True)) is not None:
                    _INTACT[entry[0]] = entry[1]
            else:
                self.panels.loaders[where] = lambda request=request: self.engine.draw(request).stored()

    def _kept(self) -> "PanelCache":
        """The run's own store of the panels a cache that cannot be written did not keep: they
        are read back from there, never drawn again."""
        from storyboard.cache import PanelCache

        if self.spill is None:
            self.spill = PanelCache(self.scratch("panels"), scratch=True)
        return self.spill

    def _took(self) -> tuple[dict[tuple[int, int], float], dict[str, str]]:
        """The `later` panels drawn in this process since the last call, and the caches it could
        not write to (`cache.take_unwritable`), then forgotten: a page worker's come back with its page."""
        from storyboard.cache import take_unwritable

        made = dict(self.made)
        self.made.clear()
        return made, take_unwritable()

    def _pages(self, faces: dict):
        """The render's page pieces (`export.pieces.Pages`), kept beside the panels in the cache.
        A page's art is its panels' cache keys (the print JPEG's when the PDF embeds JPEGs, and
        the faces found in it); a watermarked panel's art changes every run, so its page is
        built afresh each time."""
        from storyboard.export.pieces import Pages, PieceStore, page_keys

        labels = getattr(self.engine, "labels_panels", False)
        keys = [None] * len(self.book.pages)  # without a cache every page is built: no keys to work out
        store = None
        if self.settings_of_run["cache"]:
            art = {where: None if self.watermark else [self.pkeys.get(where, key), repr(faces.get(where))]
                   for where, key in self.keys.items()}
            keys = page_keys(self.story, self.book, self.font, art, labels=labels)
            local = getattr(self.store, "local", self.store)  # a remote cache: its local front
            store = PieceStore(local.root, unwritable=local.unwritable)
        return Pages(self.story, self.book, self.font, self.panels.pdf_art(), labels=labels, faces=faces,
                     keys=keys, store=store, scratch=lambda: self.scratch("pages"), pdf=self.wants_pdf,
                     made=self._took)


def _face_detector(story: "Story", engine: "Engine", face_models: str | None):
    """The face detector for generated raster art with a cast (see storyboard.face_detection),
    loaded before any panel is drawn; None for the draft engine, vector art or no detector."""
    if not getattr(engine, "generative", True) or getattr(engine, "draws_vectors", False):
        return None
    if not any(panel.cast for scene in story.scenes for panel in scene.panels):
        return None
    from storyboard.face_detection import choose

    return choose(face_models or os.environ.get("STORYBOARD_FACE_MODELS") or _script_ref(story, story.generation.face_models))


def _export_all(targets, story, book, panels, font, settings, record, watermark, result, *, labels,
                script_hash, seed, run_settings, pages, strip=None, joined=None, painter=None) -> None:
    """Write every output, each carrying the provenance `record`, a webtoon strip's manifest
    the `strip`'s lettering report when given (`_strip_lettering`); the first PDF from `joined`
    (an `export.pdf.Joiner` holding every page) when given, the first folder of PNG pages and
    the first CBZ from what `painter` (an `export.images.PagePainter`) painted when given."""
    from storyboard.export import output_lock
    from storyboard.export.folder import listed_pages

    painted = {"pages", "cbz"} if painter is not None else set()  # the first of each: painted already
    try:
        for path, fmt in targets:
            # A manifest never describes another render than the output beside it: the old one
            # goes before the output is replaced, and an interrupted run leaves none. Renders to
            # the same output take turns, so the last one's output and manifest end side by side.
            with _no_folders_left(_real(path, fmt)), output_lock(_real(path, fmt)):
                listed = listed_pages(manifest_path(path)) if fmt == "pages" else set()
                _remove_manifest(path)
                files = _export(fmt, story, book, panels, path, font, record, watermark, listed,
                                labels=labels, pages=joined if fmt == "pdf" and joined is not None else pages,
                                painter=painter if fmt in painted else None)
                if fmt == "pdf":
                    joined = None
                painted.discard(fmt)
                result.outputs.append(path)
                result.formats.append(fmt)
                if fmt == "webtoon":
                    result.strip_images, files = len(files), None
                result.manifests.append(_write_manifest(path, story, settings, result, script_hash=script_hash,
                                                        watermark=watermark, seed=seed, files=files,
                                                        run_settings=run_settings,
                                                        lettering=strip if fmt == "webtoon" else None))
    except KeyboardInterrupt as stop:
        stop.kept = list(result.outputs)  # complete, each written whole: the command says which
        raise
    except ExportError as err:
        if not result.outputs:
            raise
        # The outputs before the one that failed are whole and stay: the line says so, as a
        # Ctrl-C's does, or "error:" would read as nothing written.
        kept = ", ".join(str(path) for path in result.outputs)
        raise ExportError(f"{err}; {kept} {'is' if len(result.outputs) == 1 else 'are'} complete and kept") from None


@contextlib.contextmanager
def _no_folders_left(path: Path) -> Iterator[None]:
    """The folders above the output `path` that writing it creates are removed again, deepest
    first while empty, when it fails or is stopped: an output not written leaves no folder."""
    from storyboard.export.folder import missing_parents, remove_made

    made = missing_parents(path)
    try:
        yield
    except BaseException:
        remove_made(made)
        raise


def _refuse_lettering(story, formats: list[str], result: RenderResult, strip: dict | None) -> None:
    """A strict render: every violation check-lettering would find in the lettering report of
    an output (its manifest's: a strip made from pages has its own, `strip`), and every warning
    that a panel was lettered against the rules, is an error, raised before any output is
    written. Type shrunk to fit (never under 6.5 pt: check-lettering's rule) stays a warning."""
    from storyboard.errors import LetteringError
    from storyboard.lettering import RULES_BROKEN
    from storyboard.lettering_report import located_violations, located_warnings

    found = []
    for kind, report in _shown(formats, result.lettering, strip).items():
        tell = " (in the webtoon strip)" if kind == "strip" else ""
        broken = [line for line in located_warnings(story, report) if RULES_BROKEN in line]
        found += [line + tell for line in broken + located_violations(story, report)]
    if found:
        raise LetteringError(found)


def _shown(formats: list[str], pages: dict, strip: dict | None) -> dict[str, dict]:
    """The lettering reports the outputs of `formats` show (their manifests'): 'pages' (a PDF,
    CBZ, page folder, or a page.size: webtoon strip), 'strip' (a strip made from pages has
    its own, `strip`); none for an animatic or a shot list, which letter nothing."""
    reports = {}
    for fmt in formats:
        if fmt == "webtoon" and strip is not None:
            reports.setdefault("strip", strip)
        elif fmt in ("pdf", "cbz", "pages", "webtoon"):
            reports.setdefault("pages", pages)
    return reports


def _lettering_warnings(story, formats: list[str], pages: dict, strip: dict | None) -> list[str]:
    """The located lettering warnings of what the outputs show: a strip made from pages is
    lettered on its own, at the strip's scale, so its warnings are its own (named so); an
    animatic or a shot list shows no lettering to warn of."""
    from storyboard.lettering_report import located_warnings

    return [line + (" (in the webtoon strip)" if kind == "strip" else "")
            for kind, report in _shown(formats, pages, strip).items() for line in located_warnings(story, report)]


def _strip_lettering(story, book, font, formats: list[str], labels: bool = False) -> dict | None:
    """The lettering report of a webtoon strip among `formats` made from a page layout, in the
    strip's own frame (what its images show, draft labels kept clear of with `labels`); None
    without one: the render's report serves every output."""
    if "webtoon" not in formats or book.spec.kind == "webtoon":
        return None
    from storyboard.export.webtoon import strip_book
    from storyboard.lettering_report import lettering_report

    return lettering_report(story, strip_book(story, book), font, labels)


_BOUNDS = ("less_than", "less_than_equal", "greater_than", "greater_than_equal")  # pydantic's, which NaN fails


def option_problems(**values: Any) -> list[tuple[str, Any, str]]:
    """(name, value, why) for each option outside the rule it obeys in a script: `seed`,
    `steps` and `guidance` as in `generation:`, `max_side` from 64 to 4096 pixels. None is
    "not given". The command line checks its flags with this, so flags and script agree."""
    from pydantic import ValidationError

    from storyboard.layout import max_side_problem
    from storyboard.script import Generation

    given = {name: value for name, value in values.items() if value is not None}
    problems = []
    if "max_side" in given:
        why = max_side_problem(given.pop("max_side"))
        if why:
            problems.append(("max_side", values["max_side"], why))
    for name, value in list(given.items()):  # Python's seed="12" went on as text (another run id;
        if isinstance(value, (str, bytes, bool)):  # candidates="2": a TypeError later)
            problems.append((name, value, "give a number, not " + ("yes/no" if isinstance(value, bool) else "text")))
            del given[name]
    try:
        Generation.model_validate(given)
    except ValidationError as err:
        for e in err.errors():
            name, why = str(e["loc"][0]), e["msg"].removeprefix("Value error, ")
            if e["type"] in _BOUNDS and isinstance(e.get("input"), float) and e["input"] != e["input"]:  # .nan
                why = "not a number: give a number"
            problems.append((name, values.get(name), why[:1].lower() + why[1:]))
    return problems


def script_checks(story: "Story", *, engine: "str | Engine | None" = None, font: str | Path | None = None,
                  watermark: bool = True, library: Any = None, formats: Iterable[str] = ()) -> list[tuple[tuple, str]]:
    """(location, message) for what `render(story, engine=, font=, watermark=)` would refuse in
    the script that its models cannot see: text the font chain cannot letter (with the draft
    engine, its panel labels too: action, expressions, names) and panels printing too small
    for the watermark of a generative engine. `validate` runs these with the same flags, so
    that it refuses first what render refuses. A broken `font` (a caller's choice, not the
    script's) raises its StoryboardError. `formats`: the outputs render will write (a
    `webtoon` strip made from pages has a size limit of its own)."""
    from storyboard import layout

    # A strip too long to lay out is the script's own problem (reported by its rules): no layout.
    book = None if layout.webtoon_problem(story) else layout.paginate(story, max_side=DEFAULT_MAX_SIDE)
    return _refusals(story, book, choose_engine(story, engine), font, watermark, library, formats)[1]


def pose_warnings(story: "Story", engine: "str | Engine") -> list[str]:
    """Located lines (FILE:LINE:COL: PATH: message) for each cast pose the draft `engine`
    draws standing instead (`_figures.pose_problems`); none for another engine, whose prompt
    carries the pose's words."""
    if getattr(engine, "name", engine) != "draft":
        return []
    from storyboard.engines._figures import pose_problems

    found = pose_problems(story)
    return [str(problem) for problem in story.refusal(found).problems] if found else []


def break_warnings(story: "Story") -> list[str]:
    """A located line (FILE:LINE:COL: PATH: message) at the first lettered text of Thai, Lao,
    Khmer or Burmese when ICU's dictionaries (the `icu` extra) are not installed: its lines
    break only at spaces (`text.dictionaries`)."""
    from storyboard.export import lettered_texts
    from storyboard.text import dictionaries

    for loc, text in lettered_texts(story, sheets=True, labels=True):
        if dictionaries.needs_dictionary(text):
            if dictionaries.available():  # (ICU is loaded only for a story that needs it)
                return []
            from storyboard.errors import install_command

            message = (f"Thai, Lao, Khmer or Burmese text breaks into lines only at its spaces without ICU's word "
                       f"dictionaries: {install_command('icu')}")
            return [str(problem) for problem in story.refusal([(loc, message)]).problems]
    return []


def _refusals(story: "Story", book, engine: "str | Engine", font: "str | Path | Font | None",
              watermark: bool, library: Any = None, formats: Iterable[str] = ()
              ) -> "tuple[Font | None, list[tuple[tuple, str]]]":
    """The lettering font chain and what render would refuse in the script (see
    `script_checks`); `formats`: the outputs it writes (a `webtoon` strip made from pages,
    `book`, has a size limit of its own, known from the layout)."""
    from storyboard.engines.draft import DraftEngine
    from storyboard.export import glyph_problems
    from storyboard.lettering import story_font

    draft = isinstance(engine, str) and engine == "draft"
    labels = DraftEngine.labels_panels if draft else getattr(engine, "labels_panels", False)
    generative = not draft and getattr(engine, "generative", True)
    found = _mark_room_problems(story, book) if watermark and generative and book is not None else []
    if not draft and getattr(engine, "uses_identities", True):  # the references the render will read
        found += _reference_problems(story, library)
    from storyboard.export.webtoon import page_format_problems, strip_problems

    strip = page_format_problems(story, formats)  # `validate --format pdf` of a webtoon story, as render says
    if "webtoon" in formats and book is not None:
        strip += strip_problems(story, book)
    if "animatic" in formats:
        from storyboard.export.animatic import length_problems

        strip += length_problems(story)
    try:
        chain = font if font is not None and not isinstance(font, (str, Path)) else story_font(story, font)
    except StoryboardError as err:
        if font is not None:
            raise  # the caller's --font, not the script's
        return None, found + [(("style", "font"), str(err))] + strip
    if not formats or "pdf" in formats:  # (validate without --format answers for the default PDF)
        try:
            _check_embeddable(chain)
        except StoryboardError as err:
            if font is not None:
                raise
            found += [(("style", "font"), str(err))]
    if book is not None:
        from storyboard.lettering import room_problems

        found += room_problems(story, book, chain)
    return chain, found + glyph_problems(story, chain, sheets=story.page.size == "storyboard", labels=labels) + strip


def _check_embeddable(chain: "Font") -> None:
    """Raise ExportError for a font of `chain` (not a bundled one) the PDF cannot embed."""
    from storyboard.text.fonts import FONT_DIR
    from storyboard.text.pdffonts import check_embeddable

    for member in chain.members:
        if Path(member.regular.path).parent != FONT_DIR:
            check_embeddable(member.regular)


def _reference_problems(story: "Story", library: Any = None) -> list[tuple[tuple, str]]:
    """(location, why) for each reference image of a cast character that is no usable image,
    from its header (a decode would cost seconds for a whole cast), and each `library:` id
    that `library` (a CharacterLibrary, a folder, or None for the default) does not hold."""
    import characters
    from characters.images import check_header
    from storyboard.errors import CharacterError

    cast = {entry.id for _, _, _, panel in story.panels() for entry in panel.cast}
    found = []
    named = [(cid, c.library) for cid, c in story.characters.items() if cid in cast and c.library]
    if named:
        lib = library if isinstance(library, characters.CharacterLibrary) else characters.CharacterLibrary(library)
        for cid, name in named:
            try:
                lib.get(name)
            except CharacterError as err:
                found.append((("characters", cid, "library"), str(err)))
    for cid, character in story.characters.items():
        for i, ref in enumerate(character.references or []) if cid in cast else ():
            try:
                check_header(story.base_dir / ref)
            except CharacterError as err:
                why = str(err).removeprefix(f"{story.base_dir / ref}: ")
                found.append((("characters", cid, "references", i), f"reference image {quote(ref)}: {why}"))
    return found


def _mark_room_problems(story: "Story", book) -> list[tuple[tuple, str]]:
    from storyboard.watermark import MIN_PIXELS

    larger = "webtoon.width" if story.page.size == "webtoon" else "page.dpi"
    return [(("scenes", slot.scene, "panels", slot.panel),
             f"scene '{story.scenes[slot.scene].id}' panel {slot.panel + 1} prints at {slot.print_width} x "
             f"{slot.print_height} pixels, too small to carry the invisible watermark (it needs {MIN_PIXELS} "
             f"pixels, e.g. 256 x 256): raise {larger}, make the panel larger, or render without the watermark "
             "(--no-watermark)")
            for slot in book.slots() if slot.print_width * slot.print_height < MIN_PIXELS]


def choose_engine(story: "Story", engine: "str | Engine | None" = None) -> "str | Engine":
    """The engine a render uses, by the one precedence of every setting: the call's argument
    (or command-line flag), then the script's `generation:` section, then the default."""
    return engine if engine is not None else (story.generation.engine or DEFAULT_ENGINE)


def _check_models(story: "Story", options: dict[str, Any], kinds: set[str]) -> None:
    """Offline, whether every model is here is known before the first panel: report all the
    missing ones in one error, rather than one per attempt. (Online, the engine fetches them.)"""
    from storyboard import hub, models

    if hub.offline():
        error = models.missing_error(models.needs(story, options, kinds=kinds, embedding=False))
        if error is not None:
            raise error


def _engine(story: "Story", engine: "str | Engine", options: dict[str, Any]) -> "Engine":
    if not isinstance(engine, str):
        return engine
    from storyboard.engines.registry import create_engine

    name, merged = _engine_spec(story, engine, options)
    return create_engine(name, **merged)


def _engine_spec(story: "Story", engine: "str | Engine", options: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(name, options) that build this render's engine anywhere (a Ray worker builds its own
    from them), or None for an Engine object, which cannot be rebuilt elsewhere."""
    if not isinstance(engine, str):
        return None
    if engine == "draft":
        return "draft", {}
    merged = {
        key: value
        for key, value in story.generation.model_dump().items()
        if value is not None and key not in ("engine", "seed", "face_models", "drawn_encoder", "candidates")
    }
    merged.update({k: v for k, v in options.items() if v is not None})
    return engine, {"base_dir": story.base_dir, **merged}


def _identities(story: "Story", engine: "Engine", library: Any, face_models: str | None,
                drawn_encoder: str | None, check_models=None) -> dict[str, "Identity"]:
    """Identity embeddings for every cast character that has references or a library entry.
    Engines that draw no identity (the draft engine) need none, so nothing is loaded."""
    if not getattr(engine, "uses_identities", True):
        return {}
    import characters

    cast_ids = {entry.id for _, _, _, panel in story.panels() for entry in panel.cast}
    wanted = {cid: c for cid, c in story.characters.items() if cid in cast_ids and (c.references or c.library)}
    if not wanted:
        return {}
    lib = library if isinstance(library, characters.CharacterLibrary) else characters.CharacterLibrary(library)
    # Flags and the environment are relative to the current folder, the script's keys to the script.
    models = face_models or os.environ.get("STORYBOARD_FACE_MODELS") or _script_ref(story, story.generation.face_models)
    encoder = drawn_encoder or _script_ref(story, story.generation.drawn_encoder)
    # What the engine's identity adapters read, so only that is computed (and keyed).
    ask = getattr(engine, "identity_inputs", None)

    def inputs(kind: str) -> set[str]:
        try:
            return ask(kind)
        except GenerationError:
            if check_models is not None:
                check_models({kind})  # offline: every missing model in one error, not just this one
            raise

    return {
        cid: characters.identity_for(
            cid,
            references=[story.base_dir / ref for ref in c.references] if c.references else None,
            library_id=c.library,
            kind=c.kind,
            library=lib,
            face_models=models,
            drawn_encoder=encoder,
            inputs=inputs if ask is not None else None,
        )
        for cid, c in wanted.items()
    }


def _script_ref(story: "Story", ref: str | None) -> str | None:
    """A model reference from the script: a local path relative to the script if it exists there,
    else the reference as written (a hub id or a name)."""
    if not ref:
        return None
    local = story.base_dir / ref
    return str(local) if local.exists() else ref


def _at_size(request: "PanelRequest", width: int, height: int) -> "PanelRequest":
    # Engines that draw at print size directly use no masks (masks are for identity).
    cast = request.cast
    if any(m.mask is not None for m in cast):
        cast = tuple(dataclasses.replace(m, mask=None) for m in cast)
    return dataclasses.replace(request, width=width, height=height, cast=cast)


def _best_of(story: "Story", engine: "Engine", candidates: int | None):
    """The best-of-N search of this render, or None when each panel is drawn once."""
    n = candidates if candidates is not None else (story.generation.candidates or 1)
    if n < 1:
        raise StoryboardError(f"candidates={n!r}: at least 1")
    if n == 1 or not getattr(engine, "uses_identities", True):
        return None
    from storyboard.evaluation.best_of import BestOf

    return BestOf(story, n)


def _save_controls(story: "Story", requests: list["PanelRequest"], folder: Path) -> None:
    """Each panel's control image as `<scene id>-<panel number>.png` in `folder`."""
    from PIL import Image

    from storyboard.cache import _atomic_write

    try:
        folder.mkdir(parents=True, exist_ok=True)
        for r in requests:
            if r.control is not None:
                path = folder / f"{story.scenes[r.scene].id}-{r.panel + 1:02d}.png"
                _atomic_write(path, lambda fh, r=r: Image.fromarray(r.control).save(fh, format="PNG"))
    except OSError as err:
        raise ExportError(f"cannot write control images to {folder}: {err.strerror or err}") from None


class _Finisher:
    """Brings a panel to print size and marks it; the cache keeps the engine's output. The
    upscaler model loads on first use, so a render whose panels are all finished already
    loads none."""

    def __init__(self, upscale_method: str | None, run_id: str | None):
        self.method, self.run_id = upscale_method, run_id
        self._upscaler, self._lock = None, threading.Lock()

    def __call__(self, image: "Image.Image", size: tuple[int, int]) -> "Image.Image":
        from storyboard import upscale as upscaling

        if image.size != size:
            model = self._model()
            image = upscaling.upscale(image, size, method="model" if model else "lanczos", model=model)
        if self.run_id is not None:
            from storyboard import watermark as wm

            image = wm.mark(image, self.run_id)
        return image

    def _model(self):
        if self.method in (None, "lanczos"):
            return None
        with self._lock:
            if self._upscaler is None:
                from storyboard import upscale as upscaling

                self._upscaler = upscaling.load_upscaler(self.method)
            return self._upscaler


class _Panels(Mapping):
    """The finished panels of a render, made when an export asks for them so that a long book
    is never held decoded at once. `jpegs` reads what the PDF embeds (print JPEGs wait on disk,
    in the cache or the run's scratch folder, not in memory); PNG pages and CBZ get
    PIL images, loaded (from the cache) and finished again on every access, or only once
    with `keep`, a folder where each finished panel waits (as PNG) for the next output; or
    a vector sketch's `Drawing`, which the page writer rasterises at its box."""

    def __init__(self, finish: _Finisher, print_sizes: dict[tuple[int, int], tuple[int, int]], *,
                 keep: Path | None):
        self.finish, self.print_sizes, self.keep = finish, print_sizes, keep
        self.loaders: dict[tuple[int, int], Callable[[], "Image.Image"]] = {}
        self.jpegs: dict[tuple[int, int], Callable[[], bytes | None]] = {}

    def __getitem__(self, where: tuple[int, int]) -> "Image.Image | Drawing":
        kept = self._kept(where)
        if kept is not None:
            return kept
        raw = self.loaders[where]()
        if isinstance(raw, Drawing):  # a vector sketch: the page writer rasterises it, nothing to finish
            return raw
        return self.finished(where, raw)

    def pdf_art(self) -> Mapping[tuple[int, int], Any]:
        """What the PDF embeds for each panel: print-JPEG bytes, or the vector drawing."""
        panels = self

        class PdfArt(Mapping):
            def __getitem__(self, where):
                data = panels.jpegs[where]() if where in panels.jpegs else None
                if data is not None:
                    return data
                if where not in panels.loaders:
                    raise KeyError(where)
                raw = panels.loaders[where]()  # a drawing, or pixels the PDF writer encodes
                return raw if isinstance(raw, Drawing) else panels.finished(where, raw)

            def __iter__(self):
                return iter(panels.loaders)

            def __len__(self) -> int:
                return len(panels.loaders)

        return PdfArt()

    def finished(self, where: tuple[int, int], raw: "Image.Image") -> "Image.Image":
        kept = self._kept(where)
        if kept is not None:
            return kept
        image = self.finish(raw, self.print_sizes[where])
        if self.keep is not None:
            image.save(self.keep / f"{where[0]}-{where[1]}.png", compress_level=1)
        return image

    def _kept(self, where: tuple[int, int]) -> "Image.Image | None":
        if self.keep is None or not (path := self.keep / f"{where[0]}-{where[1]}.png").exists():
            return None
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            return image

    def __iter__(self):
        return iter(self.loaders)

    def __len__(self) -> int:
        return len(self.loaders)


def _stored(store, key: str, engine: "Engine", request: "PanelRequest", settings, *,
            vector: bool = False) -> Callable[[], "Image.Image | Drawing"]:
    """Loads a cached panel (a drawing with `vector`). Should the entry vanish meanwhile (a
    `cache clear` from another process), the panel is drawn again and stored back, rather
    than failing the render."""
    from storyboard.cache import key_inputs

    def load() -> "Image.Image | Drawing":
        if vector:
            drawing = store.get_drawing(key, request.output_size)
            if drawing is None:
                drawing = engine.draw(request)
                store.put_drawing(key, drawing, key_inputs(settings, request))
            return drawing
        image = store.get(key, request.output_size)
        if image is None:
            image = engine.render(request)
            store.put(key, image, key_inputs(settings, request))
        return image

    return load


def _drawn_here(engine: "Engine", request: "PanelRequest", made: dict, recent: dict, settings, store, key: str
                ) -> Callable[[], Drawing]:
    """Draws a vector panel when its page asks for it, in whichever process builds that page,
    noting the seconds in `made` ((scene, panel) -> seconds, taken back with the page); stores
    it in `store` (None: no cache). Gives the drawing as the cache would give it back, so a
    page drawn from it has the same bytes as one drawn from the cache. The last few drawn are
    kept in `recent` ((scene, panel) -> drawing): a page's PDF piece and its painted image
    read each of its panels, drawn (and stored) once."""
    where = (request.scene, request.panel)

    def load() -> Drawing:
        from storyboard.cache import key_inputs

        kept = recent.get(where)
        if kept is not None:
            return kept
        t0 = time.perf_counter()
        drawing = engine.draw(request)
        made[where] = time.perf_counter() - t0
        if store is not None:
            store.put_drawing(key, drawing, key_inputs(settings, request))
        kept = recent[where] = drawing.stored()
        if len(recent) > _RECENT:
            del recent[next(iter(recent))]
        return kept

    return load


_RECENT = 32  # drawings kept by `_drawn_here`: more than a page has panels, never a whole book


def _spilled(drawing: Drawing, path: Path) -> Callable[[], Drawing]:
    """Keep `drawing` at `path` (its compact bytes) until asked for."""
    path.write_bytes(drawing.to_bytes())
    return lambda: Drawing.from_bytes(path.read_bytes())


def _cached_print(store, key: str, pkey: str, size, panel_size) -> Callable[[], bytes | None]:
    return lambda: store.get_print(key, pkey, size, panel_size)


def _print_jpeg(panels: _Panels, where, raw, store, keys, pkeys, scratch: "_Scratch") -> Callable[[], bytes]:
    """Make the panel's print JPEG (and keep it in the cache); it waits in the run's scratch
    folder until its page is drawn: a long book never holds every panel's JPEG in memory."""
    from storyboard.export.pdf import print_jpeg

    data = print_jpeg(panels.finished(where, raw), *panels.print_sizes[where])
    if where in pkeys:
        store.put_print(keys[where], pkeys[where], data)
    path = scratch("print") / f"{where[0]}-{where[1]}.jpg"
    path.write_bytes(data)
    return path.read_bytes


def _finish_panels(pool, unfinished, panels: _Panels, store, keys, pkeys, scratch: "_Scratch") -> None:
    """Print-ready JPEGs of the cached panels that have none yet, a few at a time on `pool`
    (PIL releases the GIL while decoding and encoding)."""
    from storyboard.export import ahead

    def make(where):
        return _print_jpeg(panels, where, panels.loaders[where](), store, keys, pkeys, scratch)

    for where, load in zip(unfinished, ahead(pool, make, unfinished, 2 * _WORKERS)):
        panels.jpegs[where] = load


class _Scratch:
    """The run's private folders (`scratch("print")`), made on first use in the system's
    temporary folder and removed when the render ends, however it ends (`_scratch`: what a
    killed render left there is removed by the next)."""

    def __init__(self, stack: contextlib.ExitStack):
        self._stack, self._root, self._lock = stack, None, threading.Lock()
        _scratch.remove_stale()  # (once per process: a listing of the temporary folder)

    def __call__(self, name: str) -> Path:
        with self._lock:
            if self._root is None:
                self._root = self._stack.enter_context(_scratch.scratch_folder("run"))
            folder = self._root / name
            folder.mkdir(exist_ok=True)
            return folder


# Cache entries this process found intact, by path, with their signature (inode, size,
# modification time) then: a long-lived process (`storyboard watch`) re-renders without reading
# them again while they are unchanged; a changed or replaced entry is read (and checked) again.
_INTACT: dict[str, tuple] = {}
_INTACT_LIMIT = 200_000


def _entry(store, key: str, pkey: str | None, vector: bool) -> tuple[str, tuple] | None:
    """(path, signature) of what a render reads of panel `key` from a local cache: its drawing,
    or its print JPEG (and the panel beside it); None where there is none, or not a local cache."""
    from storyboard.cache import PanelCache

    if type(store) is not PanelCache:
        return None
    if len(_INTACT) > _INTACT_LIMIT:
        _INTACT.clear()
    paths = [store.root / key[:2] / f"{key}.drawing"] if vector else []
    if not vector and pkey is not None:
        paths = [store.root / key[:2] / f"{key}.png", store.root / key[:2] / f"{key}.print-{pkey[:32]}.jpg"]
    signature = []
    for path in paths:
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        signature.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return (str(paths[0]), tuple(signature)) if paths else None


def _real(path: Path, fmt: str) -> Path:
    """Where the output `path` is written: through a symlink, where it points."""
    if fmt not in FOLDER_FORMATS:
        from storyboard.export import written_path

        return written_path(path)
    from storyboard.export.folder import real_folder

    return real_folder(path)


def _check_output_folders(targets, book) -> None:
    """A page folder holding a file storyboard did not write under a page's name, or a strip's
    folder holding other files, fails now, before any panel is generated (and before the
    manifest beside it is removed)."""
    for path, fmt in targets:
        if fmt == "pages":  # (the page writer is imported only for PNG pages)
            from storyboard.export.folder import check_folder, listed_pages
            from storyboard.export.images import page_names

            check_folder(path, page_names(book), listed_pages(manifest_path(path)))
        elif fmt == "webtoon":
            from storyboard.export.webtoon import check_strip_folder

            check_strip_folder(path)


def _export(fmt, story, book, images, path, font, meta, watermark, listed, *,
            labels=False, pages=None, painter=None) -> list[str] | None:
    """Write one output carrying the provenance record `meta`; for a page folder or a webtoon
    strip, return its image files' names. `painter`: the `export.images.PagePainter` that
    painted this folder's or CBZ's pages already."""
    if fmt == "pdf":
        from storyboard.export.pdf import write_pdf

        from storyboard.export.pieces import Pages

        write_pdf(story, book, images.pdf_art(), path, font=font, metadata=meta, labels=labels,
                  pages=pages.pdfs() if isinstance(pages, Pages) else pages)
    elif fmt == "pages":
        from storyboard.export.images import write_pages

        written = painter.replace_folder(listed) if painter is not None else write_pages(
            story, book, images, path, font=font, metadata=meta, labels=labels, listed=listed)
        return [p.name for p in written]
    elif fmt == "webtoon":
        from storyboard.export.webtoon import write_webtoon

        return [p.name for p in write_webtoon(story, book, images, path, font=font, metadata=meta, labels=labels)]
    elif fmt == "animatic":
        from storyboard.export.animatic import write_animatic

        write_animatic(story, images, path)
    elif fmt == "shotlist":
        from storyboard.export.shotlist import write_shotlist

        write_shotlist(story, path)
    else:
        from storyboard.export.cbz import ComicInfo, write_cbz
        from storyboard.export.images import encoded_pages, panel_boxes
        from storyboard.provenance import comicinfo_notes

        info = ComicInfo(
            title=story.title,
            writer=story.authors,
            characters=tuple(story.character_name(cid) for cid in story.characters),
            manga_rtl=story.page.reading == "rtl",
            language_iso=getattr(story, "language", "") or "",
            notes=comicinfo_notes(meta),
        )
        # pages made on worker processes, each encoded there with its provenance chunks
        pages = painter.cbz_pages() if painter is not None else encoded_pages(
            story, book, images, font=font, labels=labels, metadata=meta, boxes=panel_boxes(book) if watermark else None)
        write_cbz(pages, path, info=info, count=len(book.pages))


def _record(story, request, key, status, seconds, print_size) -> PanelRecord:
    return PanelRecord(request.scene, request.panel, story.scenes[request.scene].id, key, request.seed,
                       status, round(seconds, 4), gen_size=(request.width, request.height),
                       print_size=tuple(print_size))


def _conditioning(requests: list["PanelRequest"]) -> dict[str, dict]:
    """What conditioned each character's identity (`RenderResult.identities`)."""
    identities = {m.id: m.identity for r in requests for m in r.cast if m.identity is not None}
    if not identities:
        return {}
    from characters.embedders import model_record

    records: dict[tuple[str, str], dict] = {}
    return {cid: {"kind": i.kind, "embedder": i.embedder,
                  "models": [records.get(m) or records.setdefault(m, model_record(*m)) for m in i.models]}
            for cid, i in sorted(identities.items())}


def _script_hash(story: "Story") -> str:
    """The hash of the script text the story was parsed from (of the story itself when it was
    built in Python): what this render draws, even if the file is edited meanwhile."""
    if story.text_hash is not None:
        return story.text_hash
    return "sha256:" + hashlib.sha256(story.model_dump_json().encode()).hexdigest()


def _run_id(script_hash: str, settings: dict[str, Any]) -> str:
    """A short id of this run (8 hex digits), different for every render call."""
    h = hashlib.sha256(f"{script_hash}{json.dumps(settings, sort_keys=True, default=str)}".encode())
    h.update(os.urandom(8))
    return h.hexdigest()[:8]


def manifest_path(output: str | Path) -> Path:
    """`OUTPUT.manifest.json` beside the output (`out/` -> `out.manifest.json`; see `beside`)."""
    return beside(output, ".manifest.json", "the manifest")


def beside(output: str | Path, suffix: str, what: str) -> Path:
    """The file named after `output` plus `suffix`, beside it (`out/` -> `out.manifest.json`). A
    folder named by `.` or `..` is named by its own name, beside it (`-o .` in `book/` ->
    `../book.manifest.json`, as an absolute path), not `..manifest.json` hidden inside it.
    Raises ExportError, naming `what` is written, for the root folder: nothing is beside it."""
    output = by_name(output)
    if output == output.parent:
        raise ExportError(f"cannot write {what} of {output}: the root folder has nothing beside it; "
                          "write into a folder under it")
    return Path(str(output).rstrip("/" + os.sep) + suffix)


def by_name(output: str | Path) -> Path:
    """`output` as a path with a name: a folder given as `.` or `..` (`-o .`, `book/..`) as the
    folder it stands for, absolute (`..` after links, as the system reads it); others as given."""
    output = Path(output)
    return Path(os.path.realpath(output)) if output.name in ("", ".", "..") else output


def _remove_manifest(output: Path) -> None:
    path = manifest_path(output)
    try:
        path.unlink(missing_ok=True)
    except OSError as err:
        raise ExportError(f"cannot remove the old {path}: {err.strerror or err}") from None


def _write_manifest(output: Path, story: "Story", settings, result: RenderResult, *, script_hash: str,
                    watermark: bool, seed, files: list[str] | None, run_settings: dict[str, Any],
                    lettering: dict | None = None) -> Path:
    from storyboard import __version__
    from storyboard._json import dumps_indented
    from storyboard.cache import _atomic_write

    report = result.lettering if lettering is None else lettering
    body = {
        "tool": "storyboard",
        "version": __version__,
        "script": str(story.path) if story.path else None,
        "script_hash": script_hash,
        "title": story.title,
        "engine": settings,
        "seed": seed if seed is not None else story.generation.seed,
        "settings": run_settings,
        "run_id": result.run_id,
        "watermark": watermark,
        "output": str(output),
        "pages": result.pages,
        "reading": story.page.reading,
        # Each panel with its lettering report (see storyboard.lettering_report).
        "panels": [{**{name: getattr(r, name) for name in _RECORD_FIELDS}, **report.get((r.scene, r.panel), {})}
                   for r in result.panels],
        "identities": result.identities,
        "warnings": result.warnings,
    }
    if files is not None:  # a page folder: the pages this run wrote, the only ones a later run removes
        body["files"] = files
    path = manifest_path(output)
    try:
        _atomic_write(path, lambda fh: fh.write(dumps_indented(body)))
    except OSError as err:
        raise ExportError(f"cannot write {path}: {err.strerror or err}") from None
    return path


__all__ = ["render", "RenderResult", "PanelRecord", "output_format"]
