"""The executor seam: panels drawn on Ray actors are the panels drawn here, and survive a worker's death."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import storyboard
from storyboard.cli import main
from storyboard.errors import GenerationError, MissingExtraError, StoryboardError
from storyboard.executors import RayExecutor, generate_locally, open_executor, parse_executor
from tests.pages_pixels import page_pixels as pixels

SCRIPT = """
title: Ray
generation: {engine: draft}
scenes:
  - id: dock
    panels:
      - action: a gull lands on a post
      - action: a boat leaves the harbour
      - action: two friends wave from the pier
  - id: sea
    panels:
      - action: waves break over the bow
      - action: the lighthouse beam sweeps the fog
      - action: the boat turns for home
"""


@pytest.fixture
def script(tmp_path) -> Path:
    path = tmp_path / "ray.yaml"
    path.write_text(SCRIPT)
    return path


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray for the module (it takes seconds to start): executors join it and leave it up."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_executor_names():
    assert parse_executor("local") == ("local", None)
    assert parse_executor("ray") == ("ray", None)
    assert parse_executor("ray:auto") == ("ray", "auto")
    assert parse_executor("ray://head:10001") == ("ray", "ray://head:10001")
    with pytest.raises(StoryboardError, match="unknown executor 'dask': use local, ray, ray:auto or ray://HOST:PORT"):
        parse_executor("dask")


def test_bad_executor_flags_are_one_line(script, capsys):
    assert main(["render", str(script), "--executor", "spark", "-o", str(script.parent / "o.pdf")]) == 2
    assert capsys.readouterr().err.strip() == ("error: unknown executor 'spark': use local, ray, ray:auto "
                                               "or ray://HOST:PORT")
    assert main(["render", str(script), "--executor", "ray", "--workers", "0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --workers 0: at least 1"
    assert not (script.parent / "o.pdf").exists()


def test_missing_ray_names_the_extra(script, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    monkeypatch.setattr("storyboard.errors._source_checkout", lambda: None)  # as if installed from PyPI
    with pytest.raises(MissingExtraError, match=r"pip install 'storyboard-comics\[ray\]'"):
        open_executor("ray")
    assert main(["render", str(script), "--executor", "ray", "-o", str(script.parent / "o.pdf")]) == 2
    assert "pip install 'storyboard-comics[ray]'" in capsys.readouterr().err
    assert not (script.parent / "o.pdf").exists()


def test_an_engine_object_cannot_go_to_ray(script, tmp_path):
    pytest.importorskip("ray")
    from storyboard.engines.draft import DraftEngine

    with pytest.raises(GenerationError, match="builds the engine on each worker from its name and options"):
        storyboard.render(script, engine=DraftEngine(), out=tmp_path / "o.pdf", cache=False, executor="ray")
    assert not (tmp_path / "o.pdf").exists()


@pytest.mark.slow
def test_ray_pages_equal_local_pages(ray_session, script, tmp_path, capsys):
    common = ["render", str(script), "--no-cache", "--json"]
    assert main([*common, "-o", str(tmp_path / "local/")]) == 0
    assert main([*common, "-o", str(tmp_path / "ray/"), "--executor", "ray", "--workers", "2"]) == 0
    summaries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["panels_generated"] for s in summaries] == [6, 6]
    local, remote = pixels(tmp_path / "local"), pixels(tmp_path / "ray")
    assert local and local == remote
    manifest = json.loads((tmp_path / "ray.manifest.json").read_text())
    assert sorted((p["scene"], p["panel"]) for p in manifest["panels"]) == [(s, p) for s in (0, 1) for p in (0, 1, 2)]


@pytest.mark.slow
def test_raster_panels_from_ray_equal_local_ones(ray_session):
    """The image path (`engine.render`, as the diffusion engine takes) as well as the vector one."""
    from tests.plan.conftest import request

    from storyboard.engines.draft import DraftEngine

    todo = [request(cast=n, angle=angle) for n, angle in ((1, "eye-level"), (2, "dutch"), (3, "high"))]
    here = {id(r): image.tobytes() for r, image, _ in generate_locally(DraftEngine(), todo)}
    with RayExecutor(workers=2) as runner:
        there = {id(r): image.tobytes() for r, image, _ in runner.generate(DraftEngine(), ("draft", {}), todo)}
        # An engine a worker cannot build is one line before any panel, not a dead actor's traceback.
        with pytest.raises(GenerationError, match="^a Ray worker cannot draw this render's panels: engine 'draft' "
                                                  "has no option 'steps'"):
            next(runner.generate(DraftEngine(), ("draft", {"steps": 4}), todo))
    assert here == there
    # Workers the cluster cannot place would wait forever: one line instead.
    with pytest.raises(GenerationError, match="^--workers 3: the Ray cluster has 2 CPUs"):
        next(RayExecutor(workers=3).generate(DraftEngine(), ("draft", {}), todo))
    with pytest.raises(GenerationError, match="^--workers 1 --gpus-per-worker 0.5: the Ray cluster has 0 GPUs"):
        next(RayExecutor(workers=1, gpus_per_worker=0.5).generate(DraftEngine(), ("draft", {}), todo))


@pytest.mark.slow
def test_a_worker_killed_mid_render_loses_no_panel(ray_session, script, tmp_path):
    ray = ray_session
    runner = RayExecutor(workers=2)
    pids = {}

    def progress(done, total, request, status):
        if status == "generated" and not pids:  # first panel back: kill a worker that is still drawing
            (actors, _), = runner._pools.values()
            pids["before"] = ray.get(actors[1].__ray_call__.remote(lambda self: __import__("os").getpid()))
            ray.kill(actors[1], no_restart=False)
            pids["actor"] = actors[1]

    with runner:
        result = storyboard.render(script, out=tmp_path / "ray/", cache=tmp_path / "cache", executor=runner,
                                   progress=progress)
        restarted = ray.get(pids["actor"].__ray_call__.remote(lambda self: __import__("os").getpid()))
    assert restarted != pids["before"]  # Ray restarted the actor, which rebuilt its engine
    assert result.panels_generated == result.panels_total == 6
    manifest = json.loads((tmp_path / "ray.manifest.json").read_text())
    assert [(p["scene"], p["panel"], p["status"]) for p in manifest["panels"]] == [
        (s, p, "generated") for s in (0, 1) for p in (0, 1, 2)]
    storyboard.render(script, out=tmp_path / "local/", cache=False)
    assert pixels(tmp_path / "ray") == pixels(tmp_path / "local")
    again = storyboard.render(script, out=tmp_path / "again.pdf", cache=tmp_path / "cache")
    assert again.panels_cached == 6  # every entry the workers drew was stored whole


@pytest.mark.slow
def test_ctrl_c_stops_the_workers(ray_session, script, tmp_path):
    runner = RayExecutor(workers=2)

    def progress(done, total, request, status):
        if status == "generated":
            raise KeyboardInterrupt

    with runner, pytest.raises(KeyboardInterrupt):
        storyboard.render(script, out=tmp_path / "o.pdf", cache=False, executor=runner, progress=progress)
    assert runner._pools == {}  # the actors were killed with their pending panels
    assert not (tmp_path / "o.pdf").exists()


@pytest.mark.slow
def test_a_batch_on_ray_equals_its_stories_rendered_alone(ray_session, script, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(SCRIPT.replace("a gull lands", "a heron lands"))
    with RayExecutor(workers=2) as runner:
        result = storyboard.render_many([script, other], out_dir=tmp_path / "out", format="pages", executor=runner,
                                        cache=False)
        assert runner._pools  # the batch left the executor it was given open
    assert not result.failed and [s.result.panels_generated for s in result.stories] == [6, 6]
    for path in (script, other):
        storyboard.render(path, out=tmp_path / "alone" / f"{path.stem}/", cache=False)
        assert pixels(tmp_path / "alone" / path.stem) == pixels(tmp_path / "out" / path.stem)


def _actor_pids() -> set[int]:
    """Processes of live storyboard worker actors (Ray titles them after the actor class)."""
    pids = set()
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = path.read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if title.startswith(b"ray::_Worker"):
            pids.add(int(path.parent.name))
    return pids


def _quiet_actors() -> set[int]:
    """The worker actor processes once those of earlier tests have ended (Ray ends killed
    actors asynchronously), so that the new ones a test sees are its own."""
    import time

    deadline = time.monotonic() + 15
    while (pids := _actor_pids()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return pids


def _many_panels(path: Path) -> Path:
    lines = ["title: Many", "generation: {engine: draft}", "scenes:"]
    for s in range(20):
        lines += [f"  - id: s{s}", "    panels:", *(f"      - action: gull {6 * s + p} lands" for p in range(6))]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads process titles from /proc")
def test_a_worker_process_killed_mid_render_leaves_stdout_to_the_json(ray_session, tmp_path):
    """SIGKILL to a worker's process (a crash, not `ray.kill`): Ray restarts it and retries its
    panels; the render completes and its stdout is still exactly the one JSON line."""
    import os
    import signal
    import subprocess
    import time

    script, cache = _many_panels(tmp_path / "many.yaml"), tmp_path / "cache"
    env = {**os.environ, "RAY_ADDRESS": ray_session.get_runtime_context().gcs_address}
    before = _quiet_actors()
    proc = subprocess.Popen([sys.executable, "-m", "storyboard", "render", str(script), "-o", str(tmp_path / "m.pdf"),
                             "--cache", str(cache), "--executor", "ray", "--workers", "2", "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, victim = time.monotonic() + 120, None
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            workers = _actor_pids() - before
            if len(list(cache.glob("*/*.drawing"))) >= 5 and workers:
                victim = min(workers)
                os.kill(victim, signal.SIGKILL)
                break
            time.sleep(0.01)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert victim is not None and proc.returncode == 0 and "Traceback" not in stderr, (victim, stdout, stderr)
    try:
        summary = json.loads(stdout)  # nothing but the JSON line
    except ValueError:
        pytest.fail(f"stdout is not only the JSON line: {stdout!r}")
    assert summary["panels_generated"] == 120


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads process titles from /proc")
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_to_a_ray_render_exits_130_and_ends_its_workers(ray_session, tmp_path, name):
    """A real Ctrl-C (or `kill`) to `storyboard render --executor ray` while its workers draw:
    one line, exit 130, no output, and the job's worker actors are gone."""
    import os
    import signal
    import subprocess
    import time

    script, out, cache = _many_panels(tmp_path / "many.yaml"), tmp_path / "many.pdf", tmp_path / "cache"
    env = {**os.environ, "RAY_ADDRESS": ray_session.get_runtime_context().gcs_address}  # join, not start
    before = _quiet_actors()
    proc = subprocess.Popen([sys.executable, "-m", "storyboard", "render", str(script), "-o", str(out), "--cache",
                             str(cache), "--executor", "ray", "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers, deadline = set(), time.monotonic() + 120
    try:
        while proc.poll() is None and len(list(cache.glob("*/*.drawing"))) < 5 and time.monotonic() < deadline:
            workers |= _actor_pids() - before
            time.sleep(0.01)
        workers |= _actor_pids() - before
        proc.send_signal(getattr(signal, name))
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, stderr, stdout) == (130, "interrupted\n", "")
    assert 5 <= len(list(cache.glob("*/*.drawing"))) < 120  # signalled mid-render
    assert not out.exists() and not (tmp_path / "many.pdf.manifest.json").exists()
    assert workers  # its two actors were drawing; they end with the render
    while workers & _actor_pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not workers & _actor_pids()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads process titles from /proc")
def test_watch_keeps_its_ray_workers_across_re_renders(ray_session, script, tmp_path, monkeypatch):
    from tests.render.test_watch import Watcher

    monkeypatch.setenv("RAY_ADDRESS", ray_session.get_runtime_context().gcs_address)
    before = _quiet_actors()
    watcher = Watcher([sys.executable, "-m", "storyboard", "watch", str(script), "-o", str(tmp_path / "w.pdf"),
                       "--cache", str(tmp_path / "cache"), "--executor", "ray", "--interval", "0.1"])
    workers, seconds = [], []
    try:
        for n, action in enumerate(["", "a heron lands on a post", "a cormorant lands on the post"]):
            if action:
                script.write_text(SCRIPT.replace("a gull lands on a post", action))
            found = watcher.expect(r"wrote .*\((\d+) generated, \d+ cached\) in ([\d.]+) s")
            assert int(found.group(1)) == (6 if n == 0 else 1)
            seconds.append(float(found.group(2)))
            workers.append(_actor_pids() - before)
    finally:
        assert watcher.stop() == 130
    assert len(workers[0]) == 1 and workers[0] == workers[1] == workers[2], workers  # one actor served every render
    print(f"watch on ray: first render {seconds[0]:.2f} s, re-renders {seconds[1]:.2f} s and {seconds[2]:.2f} s")
