"""PNG pages against the PDF, part by part: how far below the PDF's time PNG pages could go.

    python bench/png_floor.py                    # 40 pages, 3 rounds
    python bench/png_floor.py --pages 100 --json

Issue 16 asks for PNG pages of the bench story in at most twice the PDF's time. This measures
the parts of both renders in CPU seconds, everything in this one process
(`STORYBOARD_WORKERS=1`, so that no part hides in a page worker), median of the rounds:

- the PDF render (`--no-cache`), and within it the PDF's own work: each page's PDF piece
  (`export.pdf.page_pdf`, less the draft sketches it has drawn there) and the book's PDF
  (`export.pdf.write_pdf`). The rest, "shared", is what a render of PNG pages does too
  (script, layout, lettering and its report, the draft sketches);
- the PNG pages render, whose painted pages (`export.canvas.PageCanvas`) are kept; then, on
  those pages, the three steps no PNG can skip, each timed alone: Skia playing the page
  into bands of rows, packing the rows to 3 bytes a pixel, deflating them (the deflater and
  level `export.png` uses);
- the floor: shared + play + pack + deflate, what PNG pages would cost if recording the
  page, every line of Python around it and writing the files were free; and the floor's
  ratio to the PDF. Then the same with the page workers' overhead of a default render (its
  extra CPU over this process's, on the PDF: forks, per-process caches) added to both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, median, table  # noqa: E402
from _story import write_story  # noqa: E402


class _Clock:
    """CPU seconds of named parts; `inside` counts the draft sketches drawn within a PDF piece."""

    def __init__(self):
        self.seconds = {"page_pdf": 0.0, "write_pdf": 0.0, "sketches in pieces": 0.0}
        self.depth = 0

    def wrap(self, name, fn, *, nested=False):
        def timed(*args, **kwargs):
            if nested and not self.depth:
                return fn(*args, **kwargs)
            self.depth += not nested
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.process_time() - t0
                self.depth -= not nested
        return timed


class _Patched:
    """Set attributes for the block, then put the originals back."""

    def __init__(self, *changes):
        self.changes, self.saved = changes, []

    def __enter__(self):
        for owner, name, value in self.changes:
            self.saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, value)

    def __exit__(self, *exc):
        for owner, name, value in reversed(self.saved):
            setattr(owner, name, value)


def pdf_parts(story: Path, out: Path) -> dict:
    """CPU seconds of a `--no-cache` PDF render and of the PDF's own work within it."""
    import storyboard.export.pdf as pdf
    from storyboard.engines.draft import DraftEngine
    from storyboard.render import render

    clock = _Clock()
    with _Patched((pdf, "page_pdf", clock.wrap("page_pdf", pdf.page_pdf)),
                  (pdf, "write_pdf", clock.wrap("write_pdf", pdf.write_pdf)),
                  (DraftEngine, "draw", clock.wrap("sketches in pieces", DraftEngine.draw, nested=True))):
        os.sync()
        t0 = time.process_time()
        render(str(story), out=out, engine="draft", cache=False)
        total = time.process_time() - t0
    own = clock.seconds["page_pdf"] - clock.seconds["sketches in pieces"] + clock.seconds["write_pdf"]
    return {"total": total, "pdf_own": own, "shared": total - own}


def png_parts(story: Path, folder: Path) -> tuple[float, list]:
    """CPU seconds of a `--no-cache` render of PNG pages, and its painted pages."""
    import storyboard.export.images as images
    from storyboard.render import render

    kept = []

    class Kept(images.PageCanvas):
        def __init__(self, *args):
            super().__init__(*args)
            kept.append(self)

    shutil.rmtree(folder, ignore_errors=True)
    with _Patched((images, "PageCanvas", Kept)):
        os.sync()
        t0 = time.process_time()
        render(str(story), out=folder, engine="draft", cache=False)
        total = time.process_time() - t0
    return total, kept


def unavoidable(pages: list) -> dict:
    """CPU seconds of playing, packing and deflating `pages` (PageCanvas): each page played
    into bands as a PNG plays them, once with the packing skipped, once packed and deflated
    band by band as a PNG is written; then its packed bands deflated alone. Packing is what
    the second pass costs beyond the other two (each band packed while it is in the cache)."""
    from storyboard.export import png

    def unpacked(image, raw, stride=0):
        image.load()
        return b""

    parts = {"play": 0.0, "pack": 0.0, "deflate": 0.0}
    for page in pages:
        stride = page.size[0] * 3 + 1  # a filter byte before each row, as export.png writes them
        with _Patched((png, "raw_bytes", unpacked)):
            t0 = time.process_time()
            for _ in page.bands(stride):
                pass
            play = time.process_time() - t0
        t0 = time.process_time()
        deflate = png._deflate.compressobj(png._LEVEL)
        for band in page.bands(stride):  # as a PNG is written: each band deflated as it comes
            deflate.compress(band)
        deflate.flush()
        everything = time.process_time() - t0
        rows = list(page.bands(stride))
        t0 = time.process_time()
        deflate = png._deflate.compressobj(png._LEVEL)
        for band in rows:
            deflate.compress(band)
        deflate.flush()
        alone = time.process_time() - t0
        pack = everything - play - alone
        parts["deflate"] += alone
        parts["play"] += play
        parts["pack"] += max(0.0, pack)
    return parts


def worker_overhead(story: Path, out: Path) -> float:
    """The extra CPU seconds of a default render's page workers on the PDF, against one process:
    run in a child process (this one is pinned to one)."""
    code = ("import os, sys, time, storyboard\n"
            "storyboard.render(sys.argv[1], engine='draft', out=sys.argv[2], cache=False)\n"  # warm
            "os.sync(); t = os.times()\n"
            "storyboard.render(sys.argv[1], engine='draft', out=sys.argv[2], cache=False)\n"
            "u = os.times()\n"
            "print(sum(b - a for a, b in zip(t[:4], u[:4])))\n")
    env = {k: v for k, v in os.environ.items() if k != "STORYBOARD_WORKERS"}
    import subprocess

    done = subprocess.run([sys.executable, "-c", code, str(story), str(out)], env=env, capture_output=True,
                          text=True, check=True)
    return float(done.stdout.split()[-1])


def benchmark(pages: int, rounds: int, work: Path) -> dict:
    story = write_story(work / "story.yaml", pages=pages)
    pdf_parts(story, work / "warm.pdf")  # imports, fonts and caches warm before anything is timed
    pdfs, pngs, steps = [], [], []
    for _ in range(rounds):
        pdfs.append(pdf_parts(story, work / "book.pdf"))
        total, painted = png_parts(story, work / "pages")
        pngs.append(total)
        steps.append(unavoidable(painted))
        del painted
    pdf = {key: median([r[key] for r in pdfs]) for key in pdfs[0]}
    step = {key: median([r[key] for r in steps]) for key in steps[0]}
    floor = pdf["shared"] + sum(step.values())
    overhead = max(0.0, worker_overhead(story, work / "workers.pdf") - pdf["total"])
    return {"machine": machine(), "pages": pages, "rounds": rounds, "pdf_cpu_s": pdf, "png_cpu_s": median(pngs),
            "png_steps_cpu_s": step, "png_floor_cpu_s": floor, "worker_overhead_cpu_s": overhead,
            "ratio": {"png": median(pngs) / pdf["total"], "floor": floor / pdf["total"],
                      "png_with_workers": (median(pngs) + overhead) / (pdf["total"] + overhead),
                      "floor_with_workers": (floor + overhead) / (pdf["total"] + overhead)}}


def render_table(report: dict) -> str:
    n, pdf, step = report["pages"], report["pdf_cpu_s"], report["png_steps_cpu_s"]

    def ms(seconds: float) -> float:
        return 1000 * seconds / n

    rows = [("PDF render", pdf["total"], ms(pdf["total"])),
            ("  of it the PDF's own work", pdf["pdf_own"], ms(pdf["pdf_own"])),
            ("  of it shared with PNG pages", pdf["shared"], ms(pdf["shared"])),
            ("PNG pages render", report["png_cpu_s"], ms(report["png_cpu_s"])),
            ("  Skia plays the page", step["play"], ms(step["play"])),
            ("  pack to 3 bytes a pixel", step["pack"], ms(step["pack"])),
            ("  deflate", step["deflate"], ms(step["deflate"])),
            ("PNG floor (shared + the three)", report["png_floor_cpu_s"], ms(report["png_floor_cpu_s"]))]
    ratio = report["ratio"]
    m = report["machine"]
    return "\n".join([
        f"{n} pages, {report['rounds']} round(s), one process; {m['cpu']}, {m['cores']} cores, Python {m['python']}",
        table(["CPU", "s", "ms/page"], rows),
        "",
        f"PNG pages / PDF: {ratio['png']:.2f}x; the floor / PDF: {ratio['floor']:.2f}x",
        f"with a default render's page-worker overhead ({report['worker_overhead_cpu_s']:.2f} s) on both sides: "
        f"{ratio['png_with_workers']:.2f}x, floor {ratio['floor_with_workers']:.2f}x"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    os.environ["STORYBOARD_WORKERS"] = "1"  # every part in this process (set here: importing this sets nothing)
    with tempfile.TemporaryDirectory(prefix="png-floor-") as tmp:
        report = benchmark(args.pages, args.rounds, Path(tmp))
    print(json.dumps(report, indent=2) if args.json else render_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
