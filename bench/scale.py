"""Scaling: panels/s with the local executor against 1 and 2 Ray workers, and Ray's fixed cost.

The panels of a synthetic story (bench/_story.py) are drawn by the draft engine three ways:
in this process (`local`), and on a local Ray with 1 and with 2 worker actors. For each Ray
setup it reports the actors' start-up (building the engine once per worker: the first chunk's
round trip) apart from the steady throughput. Then two whole `storyboard.render` calls to PDF,
one per executor, give Ray's fixed overhead per render (start Ray, start the actors, shut
down) as the difference of their wall times.

    python bench/scale.py                    # 60 panels, raster panels (the image path)
    python bench/scale.py --panels 120 --vector --json

`--vector` draws the draft engine's vector sketches (a few ms each: Ray's per-panel cost
dominates); the default draws raster panels through `engine.render`, the path a diffusion
engine takes, where each panel is heavier. A diffusion panel costs seconds of GPU time, so the
per-panel overhead measured here is an upper bound on what Ray adds to one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _common import machine, table  # noqa: E402
from _story import write_story  # noqa: E402


def requests(folder: Path, panels: int):
    from storyboard import layout, plan
    from storyboard.script import load_story

    story = load_story(write_story(folder / "story.yaml", panels=panels))
    return story, plan.plan_panels(story, layout.paginate(story), {})


def measure(panels: int, workers: list[int], vector: bool) -> dict:
    import ray

    from storyboard.engines.draft import DraftEngine
    from storyboard.executors import RayExecutor, generate_locally
    from storyboard.render import render

    with tempfile.TemporaryDirectory() as tmp:
        story, todo = requests(Path(tmp), panels)
        engine = DraftEngine()
        rows = []
        t0 = time.perf_counter()
        local = list(generate_locally(engine, todo, vector))
        local_s = time.perf_counter() - t0
        rows.append({"executor": "local", "workers": 1, "startup_s": 0.0, "seconds": local_s,
                     "panels_per_s": len(local) / local_s})

        t0 = time.perf_counter()
        ray.init(num_cpus=max(workers), include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray_start_s = time.perf_counter() - t0
        for n in workers:
            with RayExecutor(workers=n) as runner:
                t0 = time.perf_counter()
                list(runner.generate(engine, ("draft", {}), todo[:n], vector))  # builds every actor's engine
                startup = time.perf_counter() - t0
                t0 = time.perf_counter()
                drawn = list(runner.generate(engine, ("draft", {}), todo, vector))
                seconds = time.perf_counter() - t0
            assert len(drawn) == len(todo)
            rows.append({"executor": "ray", "workers": n, "startup_s": startup, "seconds": seconds,
                         "panels_per_s": len(drawn) / seconds})
        ray.shutdown()

        # Whole renders (the draft engine draws vectors here, whatever --vector says): each call
        # starts and stops what it needs, as `storyboard render` does.
        ends = {}
        for name, options in (("local", {}), ("ray", {"workers": max(workers)})):
            t0 = time.perf_counter()
            render(story, engine="draft", out=Path(tmp) / f"{name}.pdf", cache=False, executor=name, **options)
            ends[name] = time.perf_counter() - t0
    return {
        "machine": machine(), "panels": panels, "path": "vector" if vector else "raster",
        "local_ms_per_panel": 1000 * local_s / len(todo), "ray_start_s": ray_start_s, "rows": rows,
        "render_local_s": ends["local"], "render_ray_s": ends["ray"],
        "ray_overhead_per_render_s": ends["ray"] - ends["local"],
    }


def render_table(report: dict) -> str:
    local = report["rows"][0]["panels_per_s"]
    rows = [(f"{r['executor']} x{r['workers']}", r["startup_s"], r["seconds"], r["panels_per_s"],
             r["panels_per_s"] / local) for r in report["rows"]]
    m = report["machine"]
    return "\n".join([
        f"{report['panels']} {report['path']} draft panels on {m['cpu']} ({m['cores']} cores), Python {m['python']}; "
        f"local: {report['local_ms_per_panel']:.1f} ms/panel",
        table(["executor", "actor start s", "draw s", "panels/s", "ratio to local"], rows),
        f"ray.init (local, {max(r['workers'] for r in report['rows'])} CPUs): {report['ray_start_s']:.2f} s",
        f"whole render to PDF: local {report['render_local_s']:.2f} s, ray {report['render_ray_s']:.2f} s "
        f"-> Ray's fixed overhead per render {report['ray_overhead_per_render_s']:.2f} s",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=60)
    parser.add_argument("--workers", default="1,2", help="Ray worker counts to measure (default: 1,2)")
    parser.add_argument("--vector", action="store_true", help="vector sketches instead of raster panels")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = measure(args.panels, [int(n) for n in args.workers.split(",")], args.vector)
    print(json.dumps(report) if args.json else render_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
