"""`render_many`: many stories in one run, one output each, sharing one executor.

Stories are rendered one after another; under the ray executor they share its worker
actors, so the engine is built once per worker for the whole batch, not once per story. A
story that cannot be rendered (an invalid script, an output that cannot be written) is
recorded with its error and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyboard.errors import ExportError, StoryboardError

BATCH_FORMATS = ("pdf", "cbz", "pages")


@dataclass
class StoryOutcome:
    """One story of a batch: its `result`, or the `errors` (one line each; every located
    problem of an invalid script) that stopped it."""

    script: Path
    output: Path
    result: Any = None  # storyboard.render.RenderResult
    errors: list[str] = field(default_factory=list)

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

    def summary(self) -> dict[str, Any]:
        return {"stories": [s.summary() for s in self.stories], "failed": len(self.failed),
                "seconds": round(self.seconds, 3)}


def batch_outputs(scripts: Sequence[str | Path], out_dir: str | Path, fmt: str = "pdf") -> list[Path]:
    """OUTDIR/NAME.pdf (or .cbz, or NAME/ for PNG pages) for each script. Raises
    StoryboardError for an unknown format or two scripts of the same name."""
    if fmt not in BATCH_FORMATS:
        raise StoryboardError(f"unknown format '{fmt}': use {', '.join(BATCH_FORMATS)}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"cannot write into {out_dir}: it is a file")
    seen: dict[str, Path] = {}
    outputs = []
    for script in map(Path, scripts):
        name = script.stem
        if name in seen:
            raise StoryboardError(f"{seen[name]} and {script} would both write {name}: rename one")
        seen[name] = script
        outputs.append(out_dir / (f"{name}/" if fmt == "pages" else f"{name}.{fmt}"))
    return outputs


def render_many(scripts: Sequence[str | Path], *, out_dir: str | Path, format: str = "pdf",
                executor: str = "local", workers: int | None = None, gpus_per_worker: float | None = None,
                allow_paths: Sequence[str | Path] | None = None, progress=None, **options: Any) -> BatchResult:
    """Render each script of `scripts` to OUTDIR/NAME.pdf (`format` "cbz": .cbz; "pages": a
    folder NAME/ of PNG pages). `options` are those of `storyboard.render` (engine, seed,
    cache, watermark...). One executor serves the whole batch (see `render`'s `executor`).
    A story that fails is recorded in its `StoryOutcome.errors` and the others go on;
    options wrong for every story (an unknown executor or format) raise StoryboardError
    before any is rendered. `progress(story_index, done, total, request, status)`."""
    import time

    from storyboard.errors import ScriptError
    from storyboard.executors import open_executor
    from storyboard.render import render
    from storyboard.script import load_story

    started = time.perf_counter()
    outputs = batch_outputs(scripts, out_dir, format)
    outcomes = []
    with open_executor(executor, workers=workers, gpus_per_worker=gpus_per_worker) as runner:
        for index, (script, output) in enumerate(zip(map(Path, scripts), outputs)):
            outcome = StoryOutcome(script, output)
            report = None
            if progress is not None:
                def report(done, total, request, status, index=index):
                    progress(index, done, total, request, status)
            try:
                story = load_story(script, allow_paths=allow_paths)
                outcome.result = render(story, out=output, executor=runner, progress=report, **options)
            except ScriptError as err:
                outcome.errors = [str(p) for p in err.problems]
            except StoryboardError as err:
                outcome.errors = [f"{script}: {err}"]
            outcomes.append(outcome)
    return BatchResult(outcomes, time.perf_counter() - started)


__all__ = ["render_many", "BatchResult", "StoryOutcome"]
