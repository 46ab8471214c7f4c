"""`render_many`: many stories in one run, one output each, sharing one executor.

Stories are taken `WINDOW` at a time: each is checked and planned; then the panels none of
their caches hold are drawn in one executor round per engine setup, interleaved, so that
same-size panels of different stories share engine batches (`storyboard.executors.chunks`);
then each story is lettered and exported. One engine per setup (one per worker under ray)
draws the whole batch, so a model is loaded once, not once per story. A story
that cannot be rendered (an invalid script, an output that cannot be written) is recorded
with its error and the batch goes on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyboard import paths
from storyboard.errors import ExportError, StoryboardError

BATCH_FORMATS = ("pdf", "cbz", "pages", "webtoon")
# Stories planned and drawn together: their uncached panels share engine batches, and what
# they hold until exported (plans, control images, encoded panels) stays bounded however long
# the batch.
WINDOW = 32


@dataclass
class StoryOutcome:
    """One story of a batch: its `result`, or the `errors` (one line each; every located
    problem of an invalid script) that stopped it and the exit `status` that `storyboard
    render` would give it alone (2: bad input)."""

    script: Path
    output: Path
    result: Any = None  # storyboard.render.RenderResult
    errors: list[str] = field(default_factory=list)
    status: int = 0

    @property
    def ok(self) -> bool:
        return self.result is not None

    def summary(self) -> dict[str, Any]:
        head = {"script": str(self.script), "output": str(self.output), "ok": self.ok}
        if self.ok:
            return {**head, **{k: v for k, v in self.result.summary().items() if k != "outputs"}}
        return {**head, "errors": self.errors}


@dataclass
class BatchResult:
    """Every story of a batch, in the order given; `seconds` is the wall time of the batch."""

    stories: list[StoryOutcome]
    seconds: float

    @property
    def failed(self) -> list[StoryOutcome]:
        return [s for s in self.stories if not s.ok]

    @property
    def status(self) -> int:
        """The batch's exit status: 0 when every story was rendered, 2 when every failure was
        bad input (the status render gives each), else 1."""
        statuses = {s.status for s in self.failed}
        return 0 if not statuses else 2 if statuses == {2} else 1

    def summary(self) -> dict[str, Any]:
        return {"stories": [s.summary() for s in self.stories], "failed": len(self.failed),
                "seconds": round(self.seconds, 3)}


def batch_outputs(scripts: Sequence[str | Path], out_dir: str | Path, fmt: str | None = None) -> list[Path]:
    """OUTDIR/NAME.pdf (or .cbz, NAME.webtoon/ for a strip, or NAME/ for PNG pages) for each script;
    `fmt` None (the default, as `render_many`'s): each story's own, NAME.pdf here, which a
    `page.size: webtoon` story turns into NAME.webtoon once read (`_read`). Raises
    StoryboardError for an unknown format or two scripts of the same name."""
    if fmt is not None and fmt not in BATCH_FORMATS:
        raise StoryboardError(f"unknown format '{fmt}': use {', '.join(BATCH_FORMATS)}")
    if not str(out_dir).strip():  # Path("") is the current folder: never a silent default
        raise ExportError("the output folder is empty: give -o FOLDER")
    out_dir = Path(out_dir)
    from storyboard.render import NAME_MAX, check_writable, long_name

    folder = long_name(out_dir.parts)  # (stat's ENAMETOOLONG: a traceback)
    if folder is not None:
        raise ExportError(f"cannot write into {out_dir}: the folder name {folder[:40]}… is over {NAME_MAX} bytes long")
    if out_dir.exists() and not out_dir.is_dir():
        from storyboard.export import special_kind

        raise ExportError(f"cannot write into {out_dir}: it is {special_kind(out_dir) or 'a file'}, not a folder")

    check_writable(out_dir, folder=True)  # once for the batch, not once per story
    seen: dict[str, Path] = {}
    files: dict[Any, Path] = {}  # by the file itself: `a.yaml`, `./a.yaml` and a link to it are one story
    outputs = []
    for script in map(Path, scripts):
        name, file = script.stem, _file_identity(script)
        if file in files:
            first = files[file]
            raise StoryboardError(f"{script} is given twice (as {first} and {script}): give each story once"
                                  if str(first) != str(script) else f"{script} is given twice: give each story once")
        if name in seen:
            raise StoryboardError(f"{seen[name]} and {script} would both write {name}: rename one")
        seen[name], files[file] = script, script
        outputs.append(out_dir / (name if fmt == "pages" else f"{name}.{fmt or 'pdf'}"))
    return outputs


def _file_identity(path: Path) -> Any:
    """What names one file whatever the name given on the command line: its device and inode
    (through links), or for a missing file its resolved path (the story's own error says so)."""
    try:
        st = path.stat()
        return st.st_dev, st.st_ino
    except OSError:
        return paths.real_path(path)


def render_many(scripts: str | Path | Iterable[str | Path], *, out_dir: str | Path, format: str | None = None,
                executor: str = "local", workers: int | None = None, gpus_per_worker: float | None = None,
                allow_paths: str | Path | Sequence[str | Path] | None = None, progress=None,
                language: str | None = None, translation: str | Path | None = None, strict: bool = False,
                **options: Any) -> BatchResult:
    """Render each script of `scripts` (a list or any iterable, or the one script, given as a str or path) to
    OUTDIR/NAME.pdf (`format` "cbz": .cbz; "webtoon": a strip folder NAME.webtoon/; "pages": a
    folder NAME/ of PNG pages). Without `format`, each story is written as `storyboard render`
    writes it by default: a PDF, or for a `page.size: webtoon` story (which has no pages) its
    strip NAME.webtoon/. `options` are those of
    `storyboard.render` (engine, seed, cache, watermark...). One executor serves the whole
    batch (see `render`'s `executor`), drawing the uncached panels of all stories that share
    an engine setup in one round.
    `language` (a BCP 47 tag) letters each story's edition in that language from its
    translations file, as `storyboard render --lang` does, and names its output NAME.LANG.pdf
    (a story written in that language: NAME.pdf); `translation` letters the one story of
    `scripts` from that translations file (a file translates one script's lines: with more
    stories, StoryboardError before any is read; `language` reads each story's own). `strict`:
    as `render`'s, for each story (a story whose lettering breaks a rule fails with every
    problem, located, and is not written).
    A story that fails is recorded in its `StoryOutcome.errors` and the others go on;
    options wrong for every story (an unknown executor, format or option value) raise
    StoryboardError before any is rendered. `progress(story_index, done, total, request,
    status)`, done and total counting that story's panels."""
    import contextlib
    import time

    from storyboard.executors import open_executor
    from storyboard.render import option_problems

    started = time.perf_counter()
    from storyboard.export.workers import check_setting

    check_setting()  # wrong for every story
    if isinstance(scripts, (str, os.PathLike)):  # one story, not a sequence of its letters
        scripts = [scripts]
    # Read once: a generator (`Path("stories").glob("*.yaml")`) was used up naming the outputs,
    # and nothing was rendered, without a word. Wrong types were TypeErrors from deep inside.
    if not isinstance(scripts, bytes) and isinstance(scripts, Iterable):
        scripts = list(scripts)
    if not isinstance(scripts, list) or not all(isinstance(s, (str, os.PathLike)) for s in scripts):
        raise StoryboardError(f"scripts={scripts!r}: give a script's path or a list of them")
    if not isinstance(out_dir, (str, os.PathLike)):
        raise StoryboardError(f"out_dir={out_dir!r}: give a folder's path")
    outputs = batch_outputs(scripts, out_dir, format)
    bad = option_problems(**{k: options.get(k) for k in ("seed", "max_side", "candidates")})
    if bad:
        raise StoryboardError("; ".join(f"{name}={value!r}: {why}" for name, value, why in bad))
    options.update({k: int(options[k]) for k in ("seed", "max_side", "candidates") if options.get(k) is not None})
    from storyboard.translations import checked_tag

    if translation is not None and len(outputs) > 1:  # its keys are one script's lines: the others would miss them all
        raise StoryboardError(f"--translation {translation} translates one story, and {len(outputs)} are given: "
                              "batch them with --lang LANG (each story's own translations file), or render that "
                              "story alone with --translation")
    if language is not None:  # refused before any story is read (each story's edition checks it too)
        language = checked_tag(language, f"language={language!r}")
    edition = dict(language=language, translation=translation, font=options.get("font"))
    outcomes = [StoryOutcome(script, output) for script, output in zip(map(Path, scripts), outputs)]
    if language is not None and translation is None:
        _settle_edition_names(outcomes, format, allow_paths, language)
    runner = open_executor(executor, workers=workers, gpus_per_worker=gpus_per_worker)
    try:
        with contextlib.ExitStack() as batch:
            if runner is not executor:  # opened here, closed here (a Ray this batch started is shut down)
                batch.enter_context(runner)
            engines = {}  # engine setup -> the engine that draws it for the whole batch
            for first in range(0, len(outcomes), WINDOW):
                _render_window(runner, engines, outcomes, range(first, min(first + WINDOW, len(outcomes))),
                               allow_paths=allow_paths, progress=progress, options=options, fmt=format,
                               edition=edition, strict=strict)
    except KeyboardInterrupt as stop:
        # As a render's: the command's line says which stories were written whole (and are
        # kept) and which were not (`cli.interrupted`).
        stop.outputs = [str(outcome.output) for outcome in outcomes]
        stop.kept = [*getattr(stop, "kept", []), *(o.output for o in outcomes if o.result is not None)]
        raise
    return BatchResult(outcomes, time.perf_counter() - started)


def _render_window(runner, engines: dict, outcomes: list[StoryOutcome], indices: range, *, allow_paths,
                   progress, options: dict[str, Any], fmt: str | None = None, edition: dict | None = None,
                   strict: bool = False) -> None:
    """Plan the stories `indices`, draw their uncached panels in one round per engine setup,
    then letter and export each; every failure is recorded in its story's outcome. `fmt` is the
    batch's format (None: each story's own, see `_read`); `edition`: `_read`'s language,
    translation and font; `strict` as `render`'s."""
    import contextlib
    import time

    from storyboard.render import _prepare, output_format

    with contextlib.ExitStack() as window:
        jobs, stacks = {}, {}
        for index in indices:
            outcome = outcomes[index]
            stacks[index] = stack = window.enter_context(contextlib.ExitStack())
            report = None
            if progress is not None:
                def report(done, total, request, status, index=index):
                    progress(index, done, total, request, status)
            with _recorded(outcome):
                story = _read(outcome, fmt, allow_paths, outcomes, **(edition or {}))
                jobs[index] = _prepare(story, stack=stack, started=time.perf_counter(), executor=runner,
                                       out=(outcome.output, fmt or output_format(outcome.output)), progress=report,
                                       allow_paths=allow_paths, **options)
                jobs[index].strict = strict
            if index not in jobs:
                stack.close()

        def drop(index):  # a failed or finished story: its temporary folders go now
            jobs.pop(index, None)
            stacks[index].close()

        for index in list(jobs):  # best-of-N panels are searched here, story by story
            with _recorded(outcomes[index], drop, index):
                for panel in jobs[index].search():
                    jobs[index].accept(*panel)
        for setup, members in _rounds(jobs).items():
            engine = engines.setdefault(setup, jobs[members[0]].engine)
            _draw_round(runner, engine, jobs, members, outcomes, drop)
        for index in list(jobs):
            with _recorded(outcomes[index]):
                outcomes[index].result = jobs[index].finish()
            drop(index)


def _read(outcome: StoryOutcome, fmt: str | None, allow_paths, outcomes: list[StoryOutcome] = (),
          language: str | None = None, translation: str | Path | None = None, font=None):
    """Read the story, in the edition `language` / `translation` ask for (see
    `translations.edition`). One with `page.size: webtoon` has no pages: without `fmt` its output
    becomes the strip NAME.webtoon/ (what `storyboard render` writes for it by default); a
    page format named for the whole batch is refused in a line that says what to do. A
    translated edition is written to NAME.LANG.pdf (.cbz, NAME.LANG/...), as render names it;
    one that another story of `outcomes` already writes is refused."""
    from storyboard import _gc, translations
    from storyboard.script import load_story

    with _gc.paused():  # as `_prepare` reads a story
        story = load_story(outcome.script, allow_paths=allow_paths)
    _name_strip(outcome, story, fmt)
    edition = translations.edition(story, language, translation, font)
    if edition is not story:
        _name_edition(outcome, edition.language, fmt)
        other = next((o for o in outcomes if o is not outcome and o.output == outcome.output), None)
        if other is not None:  # `a.yaml` translated into fr and `a.fr.yaml`, written in fr
            raise ExportError(f"its {edition.language} edition would be written to {outcome.output}, which "
                              f"{other.script} writes: rename one")
    return edition


def _name_strip(outcome: StoryOutcome, story, fmt: str | None) -> None:
    """A `page.size: webtoon` story has no pages: without `fmt` its output becomes the strip
    NAME.webtoon/; a page format is refused in a line that says what to do."""
    from storyboard.export.webtoon import PAGE_FORMATS, WEBTOON

    if story.page.size == WEBTOON and fmt is None:
        outcome.output = outcome.output.with_suffix(".webtoon")
    elif story.page.size == WEBTOON and fmt in PAGE_FORMATS:
        raise ExportError(f"this story is a webtoon strip (page.size: webtoon) and has no pages for --format {fmt}: "
                          "leave --format out (each story is then written as render writes it) or batch it "
                          "with --format webtoon")


def _name_edition(outcome: StoryOutcome, language: str, fmt: str | None) -> None:
    """A translated edition is written to NAME.LANG.pdf (.cbz, .webtoon, NAME.LANG/), as render names it."""
    suffix = "" if fmt == "pages" else outcome.output.suffix
    outcome.output = outcome.output.with_name(f"{outcome.script.stem}.{language}{suffix}")


def _settle_edition_names(outcomes: list[StoryOutcome], fmt: str | None, allow_paths, language: str) -> None:
    """The outputs of the stories named like another's edition (`x.de.yaml` beside `x.yaml`,
    under `language` de), worked out before any story is read, since each read checks its
    edition's name against the others' outputs: `x.yaml`'s edition x.de.pdf collides with
    `x.de.yaml` only if that one is written in German (an English one writes its own edition,
    x.de.de.pdf), whichever of the two comes first. Such a story is read twice; one that
    cannot be read is left to its own read, which reports why."""
    from storyboard import translations
    from storyboard.script import load_story

    tag = translations.canonical_tag(language)
    stems = {o.script.stem for o in outcomes}
    for outcome in outcomes:
        base, _, suffix = outcome.script.stem.rpartition(".")
        if base not in stems or translations.canonical_tag(suffix) != tag:
            continue
        try:
            story = load_story(outcome.script, allow_paths=allow_paths)
            _name_strip(outcome, story, fmt)
        except StoryboardError:
            continue
        if not translations.own_language(story, tag):
            _name_edition(outcome, tag, fmt)


def _rounds(jobs: dict) -> dict[str, list[int]]:
    """The stories (by index) whose panels one engine can draw: same engine settings (so the
    same cache keys and pixels) and the same kind of output (vector drawings or images)."""
    import json

    rounds: dict[str, list[int]] = {}
    for index, job in jobs.items():
        rounds.setdefault(json.dumps([job.settings, job.vector], sort_keys=True, default=str), []).append(index)
    return rounds


def _draw_round(runner, engine, jobs: dict, members: list[int], outcomes: list[StoryOutcome], drop) -> None:
    """Draw the panels the stories `members` still lack as one list on `runner` with `engine`
    (or, on Ray, with engines built from the first story's spec), handing each panel to its
    story as it arrives. When the engine (or a worker) fails, each story's remaining panels are
    drawn again on their own, so that only the story whose panel fails is failed, as if it had
    been rendered alone; a story that fails to take its panel fails alone."""
    import contextlib

    members = [index for index in members if index in jobs]
    owner, union = {}, []
    for index in members:
        job = jobs[index]
        for request in job.todo:
            if (request.scene, request.panel) not in job.records:  # not drawn in an earlier attempt
                owner[id(request)] = index
                union.append(request)
    if not union:
        return
    first = jobs[members[0]]
    try:
        with contextlib.closing(iter(runner.generate(engine, first.spec, union, first.vector))) as drawn:
            for request, art, seconds in drawn:
                index = owner[id(request)]
                if index in jobs:
                    with _recorded(outcomes[index], drop, index):
                        jobs[index].accept(request, art, seconds)
    except StoryboardError as err:
        if len(members) > 1:
            for index in members:
                _draw_round(runner, engine, jobs, [index], outcomes, drop)
            return
        outcomes[members[0]].errors = [f"{outcomes[members[0]].script}: {err}"]
        outcomes[members[0]].status = err.exit_code
        drop(members[0])


@contextmanager
def _recorded(outcome: StoryOutcome, drop=None, index: int | None = None):
    """Record a story's StoryboardError in its outcome (every located problem of an invalid
    script) instead of raising it, then `drop(index)` the story if given. A full disk is one
    (`render._full_disk`), as it is for `render`."""
    from storyboard.errors import LetteringError, ScriptError
    from storyboard.render import _full_disk

    try:
        with _full_disk():
            yield
    except ScriptError as err:
        outcome.errors = [str(p) for p in err.problems]
        outcome.status = err.exit_code
    except LetteringError as err:  # strict: every problem, located, then what it means for this story
        from storyboard._words import counted

        outcome.errors = [*err.problems, f"{outcome.script}: {counted(len(err.problems), 'lettering problem')} "
                                         "(--strict): not written"]
        outcome.status = err.exit_code
    except StoryboardError as err:
        outcome.errors = [f"{outcome.script}: {err}"]
        outcome.status = err.exit_code
    else:
        return
    if drop is not None:
        drop(index)


__all__ = ["render_many", "BatchResult", "StoryOutcome"]
