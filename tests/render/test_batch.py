"""`storyboard batch` and `storyboard.render_many`: one failing story does not stop the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import storyboard
from storyboard.cli import main
from storyboard.errors import StoryboardError

STORY = """
title: {title}
generation: {{engine: draft}}
scenes:
  - panels:
      - action: {action}
"""


@pytest.fixture
def scripts(tmp_path) -> list[Path]:
    paths = []
    for n, action in enumerate(["a gull on a post", "a boat at sea", "a lamp in the fog", "two friends wave",
                                "a cat on a wall"]):
        path = tmp_path / f"s{n}.yaml"
        path.write_text(STORY.format(title=f"Story {n}", action=action))
        paths.append(path)
    paths[2].write_text(paths[2].read_text().replace("title: Story 2", "title: Story 2\npage: {dpi: -3}"))
    return paths


@pytest.mark.slow
def test_batch_renders_the_valid_stories_and_reports_the_invalid_one(scripts, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["batch", *map(str, scripts), "-o", str(out), "--no-cache", "--json"]) == 2  # the one failure is bad input
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert [s["ok"] for s in report["stories"]] == [True, True, False, True, True]
    assert report["failed"] == 1
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".pdf") == ["s0.pdf", "s1.pdf", "s3.pdf", "s4.pdf"]
    assert not (out / "s2.pdf").exists()
    bad = report["stories"][2]
    assert bad["errors"] and all(line.startswith(f"{scripts[2]}:") for line in bad["errors"])
    assert f"{scripts[2]}:3:" in captured.err  # located at the line of the bad value
    assert all(s["pages"] == 1 and s["panels_generated"] == 1 for s in report["stories"] if s["ok"])


def test_batch_table_and_api(scripts, tmp_path, capsys):
    good = [scripts[0], scripts[1]]
    assert main(["batch", *map(str, good), "-o", str(tmp_path / "pages"), "--format", "pages", "--no-cache"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["story", "status", "output", "pages", "panels", "seconds"]
    assert table[-1].startswith("2 stories rendered, 0 failed in ")
    assert (tmp_path / "pages" / "s0").is_dir() and (tmp_path / "pages" / "s1").is_dir()
    result = storyboard.render_many([scripts[2]], out_dir=tmp_path / "cbz", format="cbz", cache=False)
    assert [s.ok for s in result.stories] == [False]
    with pytest.raises(StoryboardError, match="s0.yaml is given twice"):
        storyboard.render_many([scripts[0], scripts[0]], out_dir=tmp_path / "x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "s0.yaml").write_text(scripts[0].read_text())
    with pytest.raises(StoryboardError, match="both write s0"):
        storyboard.render_many([scripts[0], tmp_path / "other" / "s0.yaml"], out_dir=tmp_path / "x")


class CountingEngine:
    """The draft engine's raster panels, drawn in engine batches of up to 4 that are recorded."""

    def __init__(self):
        from storyboard.engines.draft import DraftEngine

        self.draft, self.batches = DraftEngine(), []

    name, generative, uses_identities, renders_at_print_size, draws_vectors, batch = "count", False, False, True, False, 4

    def settings(self):
        return {**self.draft.settings(), "raster": True}

    def render(self, request):
        return self.render_batch([request])[0]

    def render_batch(self, requests):
        self.batches.append([(r.action, r.width, r.height) for r in requests])
        return [self.draft.render(r) for r in requests]


def test_batch_draws_same_size_panels_of_different_stories_together(tmp_path, monkeypatch):
    from tests.render.test_ray_executor import pixels

    paths = []
    for n, actions in enumerate([("a gull", "a boat", "a lamp"), ("a cat", "a dog", "a fox")]):
        path = tmp_path / f"t{n}.yaml"
        path.write_text("title: T\npage: {dpi: 36}\nscenes:\n  - panels:\n" + "".join(f"      - action: {a}\n" for a in actions))
        paths.append(path)
    engine = CountingEngine()
    result = storyboard.render_many(paths, out_dir=tmp_path / "out", format="pages", engine=engine, cache=False)
    assert not result.failed
    story = {"a gull": 0, "a boat": 0, "a lamp": 0, "a cat": 1, "a dog": 1, "a fox": 1}
    batches = engine.batches
    assert sorted(a for batch in batches for a, _, _ in batch) == sorted(story)  # every panel once
    assert all(len({(w, h) for _, w, h in batch}) == 1 for batch in batches)  # one size per batch
    assert any(len({story[a] for a, _, _ in batch}) == 2 for batch in batches)  # stories share a batch
    alone = []
    for path in paths:  # rendered one by one, the stories' batches never mix
        engine = CountingEngine()
        storyboard.render(path, out=tmp_path / "alone" / f"{path.stem}/", engine=engine, cache=False)
        alone += engine.batches
        assert pixels(tmp_path / "alone" / path.stem) == pixels(tmp_path / "out" / path.stem)
    assert len(batches) < len(alone)
    monkeypatch.setattr("storyboard.batch.WINDOW", 1)  # one story at a time: batches stay within a story
    engine = CountingEngine()
    storyboard.render_many(paths, out_dir=tmp_path / "one", format="pages", engine=engine, cache=False)
    assert sorted(map(sorted, engine.batches)) == sorted(map(sorted, alone))


def test_an_engine_error_on_one_storys_panel_fails_that_story_alone(tmp_path):
    from storyboard.errors import GenerationError

    class Failing(CountingEngine):
        def render_batch(self, requests):
            if any(r.action == "a dog" for r in requests):
                raise GenerationError("the engine cannot draw 'a dog'")
            return super().render_batch(requests)

    paths = []
    for n, actions in enumerate([("a gull", "a boat"), ("a cat", "a dog"), ("a fox", "a hen")]):
        path = tmp_path / f"t{n}.yaml"
        path.write_text("title: T\npage: {dpi: 36}\nscenes:\n  - panels:\n"
                        + "".join(f"      - action: {a}\n" for a in actions))
        paths.append(path)
    result = storyboard.render_many(paths, out_dir=tmp_path / "out", engine=Failing(), cache=False)
    assert [s.ok for s in result.stories] == [True, False, True]
    assert result.stories[1].errors == [f"{paths[1]}: the engine cannot draw 'a dog'"]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["t0.pdf", "t2.pdf"]


def test_batch_writes_webtoon_strips(tmp_path, capsys):
    """A `page.size: webtoon` story has no pages; batch writes it as the strip its refusal names."""
    example = Path(__file__).resolve().parents[2] / "examples" / "webtoon.yaml"
    assert main(["batch", str(example), "--engine", "draft", "-o", str(tmp_path / "out"),
                 "--format", "webtoon", "--no-cache"]) == 0, capsys.readouterr().err
    strip = json.loads((tmp_path / "out" / "webtoon.webtoon" / "strip.json").read_text())
    assert strip["width"] == 800 and strip["images"]


def test_batch_writes_a_webtoon_story_as_render_does_by_default(scripts, tmp_path, capsys):
    """Without --format, a `page.size: webtoon` story is written as its strip (render's default
    for it) beside the other stories' PDFs; a page format named for the batch is refused for
    that story in one line saying what to do, and the others are written."""
    example = Path(__file__).resolve().parents[2] / "examples" / "webtoon.yaml"
    out = tmp_path / "out"
    assert main(["batch", str(example), str(scripts[0]), "--engine", "draft", "-o", str(out), "--no-cache"]) == 0, \
        capsys.readouterr().err
    table = capsys.readouterr().out.splitlines()
    assert table[1].split()[1:4] == ["ok", str(out / "webtoon.webtoon"), "strip"]
    assert json.loads((out / "webtoon.webtoon" / "strip.json").read_text())["images"]
    assert (out / "s0.pdf").is_file() and not (out / "webtoon.pdf").exists()
    assert main(["batch", str(example), str(scripts[0]), "--engine", "draft", "-o", str(tmp_path / "cbz"),
                 "--format", "cbz", "--no-cache"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{example}: this story is a webtoon strip (page.size: webtoon) and has no pages for --format cbz: "
                   "leave --format out (each story is then written as render writes it) or batch it with "
                   "--format webtoon"]
    assert sorted(p.name for p in (tmp_path / "cbz").iterdir()) == ["s0.cbz", "s0.cbz.manifest.json"]
