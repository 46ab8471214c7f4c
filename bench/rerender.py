"""Re-render benchmark: an unchanged N-panel story rendered again from a warm panel cache,
end to end as a user sees it (a fresh `storyboard render ... --engine draft` process, so
interpreter start-up and imports count), plus where the start-up time goes.

    python bench/rerender.py                  # 100 panels, 5 warm rounds
    python bench/rerender.py --panels 30 --rounds 3 --json
    python bench/rerender.py --profile        # also cProfile one warm re-render

The goal is 2 s for 100 panels. Reference points measured in the same run: a bare
interpreter (`python -c pass`), `python -c "import storyboard"` and `storyboard --help`.
`python -X importtime` on the warm re-render lists the imports of the whole render path
(including those done lazily inside functions) and names the chain that pulled in any heavy
library (torch, diffusers, transformers, cv2, insightface), which the draft path must not need.
The same warm re-render is also timed stage by stage inside this process (validate, paginate,
plan, cache read, finish, pages (lettering and PDF pieces), PDF) to show where the time in render() goes.
"""

from __future__ import annotations

import argparse
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, median, table  # noqa: E402
from _story import write_story  # noqa: E402
from pages import StageClock, timed_stages  # noqa: E402

GOAL_S = 2.0
WARM_STAGES = ("validate", "paginate", "plan", "cache read", "finish", "pages", "PDF")
HEAVY = ("torch", "diffusers", "transformers", "cv2", "insightface", "onnxruntime", "accelerate", "peft")
STORYBOARD = [sys.executable, "-m", "storyboard"]


def _run(argv: list[str], *, env_args: tuple[str, ...] = ()) -> tuple[float, subprocess.CompletedProcess]:
    command = [argv[0], *env_args, *argv[1:]]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr.strip()[-3000:]}")
    return seconds, done


def _timed(argv: list[str], rounds: int) -> list[float]:
    return [_run(argv)[0] for _ in range(rounds)]


def render_command(story: Path, out: Path, cache: Path) -> list[str]:
    return [*STORYBOARD, "render", str(story), "--engine", "draft", "-o", str(out), "--cache", str(cache), "--json"]


# ------------------------------------------------------------------------------ -X importtime


def parse_importtime(stderr: str) -> list[tuple[str, int, float, float]]:
    """(module, depth, self seconds, cumulative seconds) per import, in the order Python
    prints them: a module's own imports come before it."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        head, cumulative, name_field = line.split("|")
        self_us = int(head.split(":")[1])
        name = name_field.rstrip()
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2  # one space after "|", two per level
        rows.append((name.strip(), depth, self_us / 1e6, int(cumulative) / 1e6))
    return rows


def import_report(rows: list[tuple[str, int, float, float]], top: int = 12) -> dict:
    """Total import time, the costliest imports at the top level (what the program itself
    imported, at start-up or later inside a function), and the chain to each heavy library."""
    roots = [(name, cum) for name, depth, _, cum in rows if depth == 0]
    heavy = {}
    for i, (name, depth, _, cum) in enumerate(rows):
        if name in HEAVY and name not in heavy:
            chain, level = [name], depth
            for parent, parent_depth, _, _ in rows[i + 1:]:  # parents are printed after their children
                if parent_depth < level:
                    chain.append(parent)
                    level = parent_depth
            heavy[name] = {"chain": list(reversed(chain)), "seconds": cum}
    return {
        "total_s": sum(cum for _, cum in roots),
        "modules": len(rows),
        "top": sorted(roots, key=lambda r: r[1], reverse=True)[:top],
        "heavy": heavy,
    }


# ------------------------------------------------------------------------------ in process


def warm_stages(story: Path, out: Path, cache: Path) -> dict[str, float]:
    """Seconds per stage of one warm re-render inside this process (imports already done)."""
    from storyboard.cache import PanelCache
    from storyboard.render import render

    clock = StageClock(WARM_STAGES)
    # A warm PDF render reads print-ready JPEGs (`get_print`), or the draft engine's vector
    # drawings (`get_drawing`); decoding panels (`get`) is the slow path for cached panels
    # without a print JPEG.
    reads = [(PanelCache, name, "cache read") for name in ("get_print", "get", "get_drawing")]
    with timed_stages(clock, extra=reads):
        t0 = time.perf_counter()
        result = render(str(story), out=out, engine="draft", cache=cache)
        total = time.perf_counter() - t0
    if result.panels_generated:
        raise SystemExit(f"the cache was not warm: {result.summary()}")
    stages = dict(clock.seconds)
    stages["other"] = max(0.0, total - sum(stages.values()))
    stages["total"] = total
    return stages


# ------------------------------------------------------------------------------ benchmark


def benchmark(panels: int, rounds: int, work: Path, profile: Path | None) -> dict:
    story = write_story(work / "story.yaml", panels=panels)
    out, cache = work / "story.pdf", work / "cache"
    command = render_command(story, out, cache)

    cold_s, done = _run(command)
    cold = json.loads(done.stdout)
    warm_s, warm_summaries = [], []
    for _ in range(rounds):
        seconds, done = _run(command)
        warm_s.append(seconds)
        warm_summaries.append(json.loads(done.stdout))
    if any(s["panels_cached"] != cold["panels_total"] for s in warm_summaries):
        raise SystemExit(f"the cache was not warm: {warm_summaries[-1]}")

    baselines = {
        "python -c pass": _timed([sys.executable, "-c", "pass"], rounds),
        "python -c 'import storyboard'": _timed([sys.executable, "-c", "import storyboard"], rounds),
        "storyboard --help": _timed([*STORYBOARD, "--help"], rounds),
    }
    in_process = [warm_stages(story, out, cache) for _ in range(rounds)]
    _, done = _run(command, env_args=("-X", "importtime"))
    render_imports = import_report(parse_importtime(done.stderr))
    _, done = _run([sys.executable, "-X", "importtime", "-c", "import storyboard"])
    package_imports = import_report(parse_importtime(done.stderr))

    report = {
        "machine": machine(),
        "panels": cold["panels_total"],
        "pages": cold["pages"],
        "rounds": rounds,
        "cold_render_s": cold_s,
        "cold_render_in_process_s": cold["seconds"],
        "warm_rerender_s": {"median": median(warm_s), "min": min(warm_s), "max": max(warm_s)},
        "warm_rerender_in_process_s": median([s["seconds"] for s in warm_summaries]),
        "warm_stages_s": {name: median([r[name] for r in in_process]) for name in in_process[0]},
        "goal_s": GOAL_S,
        "meets_goal": median(warm_s) <= GOAL_S,
        "baselines_s": {name: median(values) for name, values in baselines.items()},
        "imports": {"render_path": render_imports, "import_storyboard": package_imports},
    }
    if profile:
        _run([sys.executable, "-m", "cProfile", "-o", str(profile), *STORYBOARD[1:], *command[3:]])
        report["profile"] = str(profile)
    return report


def render_table(report: dict) -> str:
    m = report["machine"]
    warm = report["warm_rerender_s"]
    lines = [f"re-render benchmark: {report['panels']} panels on {report['pages']} pages, "
             f"{report['rounds']} rounds; {m['cpu']}, {m['cores']} cores, Python {m['python']}", ""]
    rows = [(name, secs) for name, secs in report["baselines_s"].items()]
    rows += [
        ("cold render (every panel drawn), wall", report["cold_render_s"]),
        ("warm re-render (every panel cached), wall", warm["median"]),
        ("  of which inside render()", report["warm_rerender_in_process_s"]),
    ]
    lines.append(table(("process", "median s"), rows))
    verdict = "meets" if report["meets_goal"] else "MISSES"
    lines += ["", f"warm re-render {warm['median']:.2f} s (min {warm['min']:.2f}, max {warm['max']:.2f}): "
                  f"{verdict} the {report['goal_s']:.0f} s goal", ""]
    stages = report["warm_stages_s"]
    lines += [table(("warm re-render stage, in process", "median s"), list(stages.items())), ""]
    for title, key in (("imports of the warm re-render", "render_path"), ("imports of `import storyboard`", "import_storyboard")):
        info = report["imports"][key]
        lines.append(table((f"{title}: {info['total_s']:.2f} s, {info['modules']} modules", "cumulative s"),
                           info["top"]))
        for base, heavy in info["heavy"].items():
            lines.append(f"  heavy: {base} ({heavy['seconds']:.2f} s) via {' -> '.join(heavy['chain'])}")
        lines.append("")
    return "\n".join(lines).rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Re-render from a warm cache, end to end, and import costs.")
    parser.add_argument("--panels", type=int, default=100, help="panels in the story (default 100)")
    parser.add_argument("--rounds", type=int, default=5, help="warm re-renders; the median is reported")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--profile", action="store_true", help="cProfile one more warm re-render, print the top")
    parser.add_argument("--keep", type=Path, help="keep the story, cache and PDF in this folder")
    args = parser.parse_args(argv)
    if args.panels < 1 or args.rounds < 1:
        parser.error("--panels and --rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-rerender-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        profile = work / "rerender.prof" if args.profile else None
        report = benchmark(args.panels, args.rounds, work, profile)
        print(json.dumps(report, indent=2) if args.json else render_table(report))
        if profile and not args.json:
            print()
            pstats.Stats(str(profile)).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
