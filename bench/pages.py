"""Pages benchmark: a generated N-page story (6 panels, 2 balloons each) through the whole
draft pipeline, stage by stage, side by side with the same pages in comicforge.

    python bench/pages.py                 # 100 pages, 600 panels
    python bench/pages.py --pages 10 --rounds 3 --json

Our side is one real `storyboard.render.render(path, engine=draft, cache=False)` call, with
each stage it calls timed where it is called: validate (`script.load_story`), paginate
(`layout.paginate`), plan (`plan.plan_panels`), the draft engine in the render's own process,
finish (`render._finish_panels`: resize to print size, and the invisible mark on a generative
engine's panels), pages (`export.pieces.Pages.build`: each page's lettering (staging, the
placement solver, balloons, the draft labels), its lettering report for the manifest and its
PDF piece, on worker processes, one per core; the draft engine draws each page's panels
there, so most of its time is inside this stage: its seconds summed over all panels are
reported apart) and PDF (`export.pdf.write_pdf`: the book's fonts, page tree and metadata
written after the pieces joined as they arrived). Anything
else render() does is "other". CPU seconds count the worker processes too.
Then the same render with a cache in an empty folder (a user's first render, which also stores
every drawing and page piece), and once more on that cache with its page pieces removed: every
panel's drawing at hand, the pages made again, which is what comicforge is timed doing.

comicforge (PyPI, Python >= 3.13, never a dependency of this project) runs in its own venv,
created on first use (see bench/README.md), in a subprocess per round: the same number of A4
pages of three rows of two panels, each panel with our draft art as a raster image (JPEG, as
our PDF embeds it) and the same two balloons. It is given finished art, so the fair ratio is
against our pipeline without the engine; both ratios are printed. With several rounds the
two sides alternate and medians are reported, so the ratio holds on a busy machine.
"""

from __future__ import annotations

import argparse
import cProfile
import glob
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, median, table  # noqa: E402
from _story import GUTTER_MM, MARGIN_MM, PAGE_MM, story_dict, write_story  # noqa: E402

COMICFORGE = "comicforge==0.2.4"  # pinned: the figures compare against this release
DEFAULT_VENV = Path(__file__).resolve().parents[2] / "bench-venvs" / "comicforge"
WORKER = Path(__file__).resolve().parent / "_comicforge_worker.py"
STAGES = ("validate", "paginate", "plan", "draft engine", "finish", "pages", "PDF")
# Where tails point on a raster panel: our draft engine puts the first cast member left, the second right.
SPEAKER_POINTS = ([0.3, 0.4], [0.7, 0.4])


# ------------------------------------------------------------------------------ storyboard side


class StageClock:
    """Seconds spent in each named stage."""

    def __init__(self, stages=STAGES):
        self.seconds = dict.fromkeys(stages, 0.0)

    def wrap(self, stage, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - t0
        return timed


class _TimedEngine:
    """The draft engine, timed per panel where the render's own process draws it."""

    def __init__(self, inner, clock: StageClock):
        self._inner, self._clock = inner, clock

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def render(self, request):
        return self._timed(self._inner.render, request)

    def draw(self, request):  # the vector sketch the renderer asks for
        return self._timed(self._inner.draw, request)

    def _timed(self, fn, request):
        t0 = time.perf_counter()
        art = fn(request)
        self._clock.seconds["draft engine"] += time.perf_counter() - t0  # in a page worker: a copy of the clock
        return art


class timed_stages:
    """Time the stage functions where render() looks them up, and put them back afterwards.
    `extra` adds (module or class, attribute, stage) triples."""

    def __init__(self, clock: StageClock, extra=()):
        import importlib

        import storyboard.export.pdf as pdf
        import storyboard.export.pieces as pieces
        import storyboard.layout as layout
        import storyboard.plan as plan
        import storyboard.script as script

        render = importlib.import_module("storyboard.render")  # `storyboard.render` is the function

        self._targets = [(script, "load_story", "validate"), (layout, "paginate", "paginate"),
                         (plan, "plan_panels", "plan"), (render, "_finish_panels", "finish"),
                         (pieces.Pages, "build", "pages"), (pdf, "write_pdf", "PDF"), *extra]
        self._clock, self._saved = clock, []

    def __enter__(self):
        for module, name, stage in self._targets:
            original = getattr(module, name)
            self._saved.append((module, name, original))
            setattr(module, name, self._clock.wrap(stage, original))
        return self

    def __exit__(self, *exc):
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)


def run_storyboard(story_path: Path, out_pdf: Path, *, profile: Path | None = None) -> dict:
    from storyboard.engines.registry import create_engine
    from storyboard.render import render

    clock = StageClock()
    engine = _TimedEngine(create_engine("draft"), clock)
    profiler = cProfile.Profile() if profile else None
    with timed_stages(clock):
        settle()
        t0, c0 = time.perf_counter(), cpu_seconds()
        if profiler:
            profiler.enable()
        result = render(str(story_path), out=out_pdf, engine=engine, cache=False)
        if profiler:
            profiler.disable()
        total, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    if profiler:
        profiler.dump_stats(profile)
    stages = dict(clock.seconds)
    stages["other"] = max(0.0, total - sum(stages.values()))
    return {"stages": stages, "total_s": total, "cpu_s": cpu, "pages": result.pages, "panels": result.panels_total,
            "pdf_bytes": out_pdf.stat().st_size, "engine_s": sum(r.seconds for r in result.panels)}


def run_cached(story_path: Path, out_pdf: Path, cache: Path, *, drop_pages: bool = False) -> dict:
    """One render into `cache` (a user's first render when the folder is empty), wall and CPU
    seconds; `drop_pages` removes the cache's page pieces first, keeping the panels' drawings."""
    from storyboard.render import render

    if drop_pages:
        for piece in cache.glob("*/*.page.*"):
            piece.unlink()
    settle()
    t0, c0 = time.perf_counter(), cpu_seconds()
    result = render(str(story_path), out=out_pdf, engine="draft", cache=cache)
    return {"total_s": time.perf_counter() - t0, "cpu_s": cpu_seconds() - c0, "generated": result.panels_generated,
            "keys": {(r.scene, r.panel): r.key for r in result.panels}}


def run_png_pages(story_path: Path, folder: Path, cache: Path | None = None) -> dict:
    """The same story as PNG pages at the page dpi, without a cache, or into `cache` emptied
    first (a user's first render, as `run_cached` times the PDF's): wall and CPU seconds."""
    from storyboard.render import render

    shutil.rmtree(folder, ignore_errors=True)
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
    settle()
    t0, c0 = time.perf_counter(), cpu_seconds()
    render(str(story_path), out=folder, engine="draft", cache=cache if cache is not None else False)
    seconds = {"total_s": time.perf_counter() - t0, "cpu_s": cpu_seconds() - c0}
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
    return seconds


def run_all_outputs(story_path: Path, work: Path) -> dict:
    """The story as a PDF, PNG pages and a CBZ in one render (no cache): wall and CPU seconds."""
    from storyboard.render import render

    for old in (work / "all.pdf", work / "all.cbz"):
        old.unlink(missing_ok=True)
    shutil.rmtree(work / "all", ignore_errors=True)
    settle()
    t0, c0 = time.perf_counter(), cpu_seconds()
    render(str(story_path), out=[work / "all.pdf", work / "all", work / "all.cbz"], engine="draft", cache=False)
    return {"total_s": time.perf_counter() - t0, "cpu_s": cpu_seconds() - c0}


def settle() -> None:
    """Write out what earlier cases left in the page cache before a case is timed: every
    render syncs its outputs, and on a journalling file system (ext4, data=ordered) a sync
    also waits for other files' dirty data, so a case would otherwise pay for the one
    before it (a PDF timed right after a render of PNG pages and a CBZ took 6.2 s, not 1.2, here)."""
    os.sync()


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished child processes (the page workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# Peak memory of a whole `--no-cache` render, in a fresh process of its own.
_RSS_CODE = """
import resource, sys
import storyboard
storyboard.render(sys.argv[1], engine="draft", out=sys.argv[2], cache=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def no_cache_peak_rss(story_path: Path, out_pdf: Path) -> float:
    """Peak resident memory (MB) of `storyboard render --no-cache` of the story to PDF."""
    done = subprocess.run([sys.executable, "-c", _RSS_CODE, str(story_path), str(out_pdf)],
                          capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024  # ru_maxrss is in KiB on Linux


def watch_edit(story_path: Path, work: Path, edits: int = 3) -> list[float]:
    """Seconds from saving a one-panel edit to the written PDF, as `storyboard watch` does it:
    the watcher runs in its own process on a warm cache; each edit changes one panel's action
    and the clock stops when the PDF's manifest (written after the PDF) is replaced."""
    script = work / "watched.yaml"
    shutil.copy(story_path, script)
    out = work / "watched.pdf"
    manifest = Path(str(out) + ".manifest.json")
    command = [sys.executable, "-m", "storyboard", "watch", str(script), "-o", str(out), "--engine", "draft",
               "--cache", str(work / "watch-cache"), "--interval", "0.02"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = []
    try:
        _wait(lambda: manifest.exists(), proc, 600)
        for n in range(edits):
            stamp = manifest.stat().st_mtime_ns
            text = script.read_text(encoding="utf-8")
            marker = "action: "
            at = text.index(marker) + len(marker)
            edited = text[:at] + f"(edit {n}) " + text[at:]
            time.sleep(0.05)  # a distinct modification time for the watcher's poll
            settle()
            t0 = time.perf_counter()
            script.write_text(edited, encoding="utf-8")
            _wait(lambda: _mtime(manifest) not in (None, stamp), proc, 120)
            seconds.append(time.perf_counter() - t0)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return seconds


def _mtime(path: Path) -> int | None:
    """The file's modification time (ns), None while it is not there (the watcher removes the
    old manifest before the new PDF is in place)."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _wait(condition, proc, limit: float) -> None:
    end = time.monotonic() + limit
    while not condition():
        if proc.poll() is not None or time.monotonic() > end:
            raise SystemExit("storyboard watch ended or stalled before writing the PDF")
        time.sleep(0.002)


# ------------------------------------------------------------------------------ comicforge side


def find_python313() -> str | None:
    candidates = [os.environ.get("COMICFORGE_PYTHON"), shutil.which("python3.13"),
                  *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def ensure_comicforge(venv: Path) -> Path:
    """The venv's python, creating the venv and installing comicforge on first use."""
    python = venv / "bin" / "python"
    if python.exists():
        return python
    base = find_python313()
    if base is None:
        raise SystemExit("comicforge needs Python >= 3.13: install one, set COMICFORGE_PYTHON, or pass --no-comicforge")
    print(f"creating {venv} with {base} and installing {COMICFORGE} ...", file=sys.stderr)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", COMICFORGE], check=True)
    return python


def cached_drawings(cache: Path, keys: dict) -> dict:
    """Each panel's drawing, by (scene, panel), from a cache a render filled."""
    from storyboard.cache import PanelCache

    store = PanelCache(cache)
    return {where: store.get_drawing(key) for where, key in keys.items()}


def comicforge_job(story: dict, images: dict | None, work: Path) -> Path:
    """The page list for the worker: with `images`, our panels as JPEG files (the raster
    case); without, frames and balloons only (the vector case)."""
    from storyboard.drawing import Drawing, rasterise

    art = work / "art"
    art.mkdir(exist_ok=True)
    pages = []
    for s, scene in enumerate(story["scenes"]):
        panels = []
        for p, panel in enumerate(scene["panels"]):
            entry = {}
            if images is not None:
                path = art / f"s{s:04d}p{p}.jpg"
                picture = images[(s, p)]
                if isinstance(picture, Drawing):  # our vector sketches, as pixels for comicforge
                    picture = rasterise(picture, round(picture.width), round(picture.height))
                picture.convert("RGB").save(path, "JPEG", quality=90, subsampling=0)
                entry["image"] = str(path)
            speakers = [next(iter(entry)) for entry in panel["cast"]]
            bubbles = []
            for line in panel["dialogue"]:
                (speaker, value), = line.items()
                text, kind = (value, "speech") if isinstance(value, str) else (value["text"], value.get("kind", "speech"))
                bubbles.append({"text": text, "kind": kind, "speaker": speaker})
            panels.append({**entry, "speakers": dict(zip(speakers, SPEAKER_POINTS)), "bubbles": bubbles})
        pages.append(panels)
    job = {"page_mm": list(PAGE_MM), "margin_mm": MARGIN_MM, "gutter_mm": GUTTER_MM,
           "out_dir": str(work / "comicforge-pdf"), "pages": pages}
    path = work / ("comicforge-job.json" if images is not None else "comicforge-vector-job.json")
    path.write_text(json.dumps(job), encoding="utf-8")
    return path


def run_comicforge(python: Path, job: Path, out_dir: Path) -> dict:
    shutil.rmtree(out_dir, ignore_errors=True)
    settle()
    t0 = time.perf_counter()
    done = subprocess.run([str(python), str(WORKER), str(job)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"comicforge worker failed:\n{done.stderr.strip()}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    result["pdf_bytes"] = sum(f.stat().st_size for f in out_dir.glob("*.pdf"))
    return result


# ------------------------------------------------------------------------------ report


def benchmark(pages: int, rounds: int, *, comicforge: Path | None, work: Path, profile: Path | None,
              extras: bool = True) -> dict:
    story_path = write_story(work / "story.yaml", pages=pages)
    story = story_dict(pages=pages)
    ours, cold, warm, theirs, jobs = [], [], [], {"raster": [], "vector": []}, None
    for round_ in range(rounds):
        ours.append(run_storyboard(story_path, work / "storyboard.pdf", profile=profile if round_ == 0 else None))
        cache = work / f"cache-{round_}"
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(run_cached(story_path, work / "cold.pdf", cache))
        warm.append(run_cached(story_path, work / "drawn.pdf", cache, drop_pages=True))
        if comicforge is not None:
            if jobs is None:
                images = cached_drawings(cache, cold[-1]["keys"])
                jobs = {"raster": comicforge_job(story, images, work), "vector": comicforge_job(story, None, work)}
                del images
            for case, job in jobs.items():
                theirs[case].append(run_comicforge(comicforge, job, work / "comicforge-pdf"))
        shutil.rmtree(cache, ignore_errors=True)
    report = summarize(pages, ours, theirs if comicforge is not None else {}, cold=cold, drawn=warm)
    if extras:
        png = [run_png_pages(story_path, work / "pages") for _ in range(rounds)]
        sb = report["storyboard"]
        sb["png_pages_s"] = median([r["total_s"] for r in png])
        sb["png_pages_cpu_s"] = median([r["cpu_s"] for r in png])
        png_cold = [run_png_pages(story_path, work / "pages", work / "png-cache") for _ in range(rounds)]
        sb["png_pages_cold_cache_s"] = median([r["total_s"] for r in png_cold])
        sb["png_pages_cold_cache_cpu_s"] = median([r["cpu_s"] for r in png_cold])
        every = [run_all_outputs(story_path, work) for _ in range(rounds)]
        sb["all_outputs_s"] = median([r["total_s"] for r in every])
        sb["all_outputs_cpu_s"] = median([r["cpu_s"] for r in every])
        sb["no_cache_peak_rss_mb"] = no_cache_peak_rss(story_path, work / "rss.pdf")
        sb["watch_edit_s"] = watch_edit(story_path, work)
    return report


def summarize(pages: int, ours: list[dict], theirs: dict[str, list[dict]], *, cold: list[dict],
              drawn: list[dict]) -> dict:
    stages = {name: median([r["stages"][name] for r in ours]) for name in ours[0]["stages"]}
    total = median([r["total_s"] for r in ours])
    without_engine = median([r["total_s"] for r in drawn])
    out = {
        "machine": machine(),
        "pages": pages,
        "panels": ours[0]["panels"],
        "rounds": len(ours),
        "storyboard": {
            "stages_s": stages,
            "total_s": total,
            "cpu_s": median([r["cpu_s"] for r in ours]),
            "engine_s": median([r["engine_s"] for r in ours]),
            "cold_cache_s": median([r["total_s"] for r in cold]),
            "cold_cache_cpu_s": median([r["cpu_s"] for r in cold]),
            "pages_per_s": pages / total,
            "without_engine_s": without_engine,
            "without_engine_cpu_s": median([r["cpu_s"] for r in drawn]),
            "without_engine_pages_per_s": pages / without_engine,
            "pdf_bytes": ours[-1]["pdf_bytes"],
        },
    }
    if theirs:
        out["comicforge"] = {"version": theirs["raster"][0]["version"], "python": theirs["raster"][0]["python"]}
        out["ratio_storyboard_over_comicforge"] = {}
        for case, runs in theirs.items():
            cf_total = median([r["total_s"] for r in runs])
            out["comicforge"][case] = {
                "svg_s": median([r["svg_s"] for r in runs]),
                "pdf_s": median([r["pdf_s"] for r in runs]),
                "total_s": cf_total,
                "wall_s": median([r["wall_s"] for r in runs]),
                "pages_per_s": pages / cf_total,
                "pdf_bytes": runs[-1]["pdf_bytes"],
            }
            out["ratio_storyboard_over_comicforge"][case] = {"end_to_end": total / cf_total,
                                                             "without_engine": without_engine / cf_total}
    return out


def render_table(report: dict) -> str:
    sb = report["storyboard"]
    m = report["machine"]
    lines = [f"pages benchmark: {report['pages']} pages, {report['panels']} panels, "
             f"median of {report['rounds']} round(s); {m['cpu']}, {m['cores']} cores, Python {m['python']}", ""]
    rows = [(name, secs, f"{100 * secs / sb['total_s']:.1f}%") for name, secs in sb["stages_s"].items()]
    rows.append(("total", sb["total_s"], "100%"))
    lines.append(table(("storyboard stage", "seconds", "share"), rows))
    lines += ["", f"storyboard: {sb['pages_per_s']:.2f} pages/s end to end, cache=False ({sb['cpu_s']:.2f} s of CPU, "
                  f"workers included; the draft engine's {sb['engine_s']:.2f} s summed over the panels, "
                  f"most drawn on the page workers); PDF {sb['pdf_bytes'] / 1e6:.1f} MB",
              f"first render into an empty cache: {sb['cold_cache_s']:.2f} s ({sb['cold_cache_cpu_s']:.2f} s of CPU)",
              f"every drawing cached, pages made again: {sb['without_engine_s']:.2f} s "
              f"({sb['without_engine_cpu_s']:.2f} s of CPU), {sb['without_engine_pages_per_s']:.2f} pages/s "
              "without the engine"]
    if "png_pages_s" in sb:
        edits = ", ".join(f"{s:.2f}" for s in sb["watch_edit_s"])
        lines += [f"PNG pages of the same story: {sb['png_pages_s']:.2f} s ({sb['png_pages_cpu_s']:.2f} s of CPU), "
                  f"{sb['png_pages_s'] / sb['total_s']:.2f}x the PDF",
                  f"PNG pages, first render into an empty cache: {sb['png_pages_cold_cache_s']:.2f} s "
                  f"({sb['png_pages_cold_cache_cpu_s']:.2f} s of CPU), "
                  f"{sb['png_pages_cold_cache_s'] / sb['cold_cache_s']:.2f}x the PDF's first render into an empty cache",
                  f"PDF, PNG pages and CBZ in one render: {sb['all_outputs_s']:.2f} s ({sb['all_outputs_cpu_s']:.2f} s of CPU)",
                  f"--no-cache render, peak RSS: {sb['no_cache_peak_rss_mb']:.0f} MB",
                  f"storyboard watch, one-panel edit saved -> PDF written: {edits} s"]
    if "comicforge" in report:
        cf = report["comicforge"]
        for case, what in (("raster", "panels as raster images"), ("vector", "vector pages: frames and balloons")):
            c, ratio = cf[case], report["ratio_storyboard_over_comicforge"][case]
            lines += ["", table((f"comicforge {cf['version']} (Python {cf['python']}), {what}", "seconds"),
                                [("build SVG", c["svg_s"]), ("cairosvg -> PDF", c["pdf_s"]), ("total", c["total_s"]),
                                 ("subprocess wall (with start-up)", c["wall_s"])]),
                      "", f"comicforge ({case}): {c['pages_per_s']:.2f} pages/s; {report['pages']} one-page PDFs, "
                          f"{c['pdf_bytes'] / 1e6:.1f} MB",
                      f"time ratio storyboard/comicforge ({case}): {ratio['end_to_end']:.2f}x end to end, "
                      f"{ratio['without_engine']:.2f}x without our engine"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pages benchmark: storyboard draft pipeline vs comicforge.")
    parser.add_argument("--pages", type=int, default=100, help="pages of 6 panels (default 100)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds; medians are reported")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--no-comicforge", action="store_true", help="measure our pipeline only")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip PNG pages, the --no-cache memory peak and the watch edit")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help=f"comicforge's venv (default {DEFAULT_VENV})")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the first storyboard round here "
                                                     "and print its top functions")
    parser.add_argument("--keep", type=Path, help="keep the story and PDFs in this folder")
    args = parser.parse_args(argv)
    if args.pages < 1 or args.rounds < 1:
        parser.error("--pages and --rounds must be at least 1")

    comicforge = None if args.no_comicforge else ensure_comicforge(args.venv)
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        report = benchmark(args.pages, args.rounds, comicforge=comicforge, work=work, profile=args.profile,
                           extras=not args.no_extras)
    print(json.dumps(report, indent=2) if args.json else render_table(report))
    if args.profile and not args.json:
        print()
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
