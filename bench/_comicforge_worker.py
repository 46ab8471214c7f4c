"""The comicforge side of bench/pages.py; runs inside comicforge's own Python 3.13 venv.

    python _comicforge_worker.py JOB.json  ->  one JSON line of timings on stdout

JOB.json: {"page_mm": [w, h], "margin_mm": m, "gutter_mm": g, "out_dir": "...",
           "pages": [[{"image": "/abs/panel.jpg" (optional), "speakers": {"ada": [x, y]},
                       "bubbles": [{"text": "...", "kind": "speech", "speaker": "ada"}]}]]}

Each page is a comicforge spec dict of three rows of two panels: the panel art is a raster
`image:` (comicforge's way to place generated art), the balloons are its speech / thought /
shout bubbles with tails toward `speakers:`. comicforge renders one page per call (SVG, then
cairosvg to PDF); it has no multi-page document, so every page is its own PDF. Only the work
after the interpreter and the imports are up is timed, like the stages on our side.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

# comicforge has no whisper balloon: the nearest is a plain speech bubble.
KINDS = {"speech": "speech", "thought": "thought", "shout": "shout", "whisper": "speech"}
CSS_PX_PER_MM = 96 / 25.4  # cairosvg writes 96 px to the inch: pages come out at exactly page_mm


def page_spec(job: dict, panels: list[dict]) -> dict:
    rows = [{"panels": [_panel(p) for p in panels[i:i + 2]]} for i in range(0, len(panels), 2)]
    return {
        "page": job["page_mm"],
        "px_per_mm": CSS_PX_PER_MM,
        "margin_mm": job["margin_mm"],
        "gutter_mm": job["gutter_mm"],
        "rows": rows,
    }


def _panel(panel: dict) -> dict:
    out = {
        "speakers": panel["speakers"],
        "bubbles": [{"text": b["text"], "kind": KINDS[b["kind"]], "speaker": b["speaker"]}
                    for b in panel["bubbles"]],
    }
    if "image" in panel:  # the raster case; without one, a vector page of frames and balloons
        out["image"] = panel["image"]
    return out


def main(job_path: str) -> int:
    import cairosvg
    from comicforge.library import Library
    from comicforge.render import build_svg

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    out_dir = Path(job["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as empty:  # no vector characters: an empty library
        library = Library(empty)
        svg_s = pdf_s = 0.0
        started = time.perf_counter()
        for number, panels in enumerate(job["pages"], 1):
            t0 = time.perf_counter()
            svg = build_svg(page_spec(job, panels), library)
            t1 = time.perf_counter()
            cairosvg.svg2pdf(bytestring=svg.encode(), write_to=str(out_dir / f"page-{number:04d}.pdf"))
            svg_s += t1 - t0
            pdf_s += time.perf_counter() - t1
        total = time.perf_counter() - started
    from importlib.metadata import version

    print(json.dumps({"pages": len(job["pages"]), "svg_s": svg_s, "pdf_s": pdf_s, "total_s": total,
                      "version": version("comicforge"),
                      "python": sys.version.split()[0]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
