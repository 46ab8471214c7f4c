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


def test_batch_letters_each_storys_edition_with_lang(tmp_path, capsys):
    """`batch --lang` letters each story as `render --lang` does, from its own translations file
    (the tag in any case), to OUTDIR/NAME.LANG.pdf; a story without that translation fails with
    render's located line and the others are written (exit 2: bad input)."""
    for name in ("a", "b", "my.story"):
        (tmp_path / f"{name}.yaml").write_text(STORY.format(title=name, action="a gull on a post").replace(
            "      - action: a gull on a post", "      - action: a gull on a post\n        caption: Morning."))
    (tmp_path / "translations").mkdir()
    for name in ("a", "my.story"):
        (tmp_path / "translations" / f"{name}.pt-br.yaml").write_text(
            "language: pt-br\nlines:\n  scene-1/1/caption: Bom dia.\n", encoding="utf-8")
    out = tmp_path / "out"
    scripts = [str(tmp_path / f"{name}.yaml") for name in ("a", "b", "my.story")]
    assert main(["batch", *scripts, "-o", str(out), "--lang", "PT-BR", "--no-cache", "--format", "pages"]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"{tmp_path / 'translations' / 'b.pt-BR.yaml'}:1:1: file: no such translations file, nor "
        f"translations/pt-BR.yaml shared by the folder's scripts: write translations/b.pt-BR.yaml with "
        f"`storyboard translations template --lang pt-BR {scripts[1]}`"]
    assert sorted(p.name for p in out.iterdir()) == ["a.pt-BR", "a.pt-BR.manifest.json",
                                                    "my.story.pt-BR", "my.story.pt-BR.manifest.json"]
    assert json.loads((out / "a.pt-BR.manifest.json").read_text())["panels"][0]["lettering"][0]["text"] == "Bom dia."


def test_batch_strict_fails_only_the_story_whose_lettering_breaks_a_rule(tmp_path, capsys):
    from tests.hardening.test_strict_render import CROWDED

    (tmp_path / "crowded.yaml").write_text(CROWDED)
    (tmp_path / "calm.yaml").write_text(STORY.format(title="Calm", action="a gull on a post"))
    out = tmp_path / "out"
    scripts = [str(tmp_path / "crowded.yaml"), str(tmp_path / "calm.yaml")]
    assert main(["batch", *scripts, "-o", str(out), "--no-cache"]) == 0  # without --strict: written, warned
    warned = capsys.readouterr().err.splitlines()
    # as render warns of it, located in the script (batch printed nothing of it)
    assert warned and all(line.startswith(f"{scripts[0]}:13:9: scenes[0].panels[1]: ") for line in warned)
    assert main(["batch", *scripts, "-o", str(tmp_path / "strict"), "--strict", "--no-cache", "--json"]) == 1
    captured = capsys.readouterr()
    crowded, calm = json.loads(captured.out)["stories"]
    assert calm["ok"] and not crowded["ok"] and (tmp_path / "strict" / "calm.pdf").is_file()
    assert not (tmp_path / "strict" / "crowded.pdf").exists()
    *problems, last = crowded["errors"]
    assert problems and all(line.startswith(f"{scripts[0]}:") for line in problems)
    assert last == f"{scripts[0]}: {len(problems)} lettering problems (--strict): not written"
    assert captured.err.splitlines() == crowded["errors"]


def test_batch_outputs_and_render_many_share_one_default_format(tmp_path):
    from storyboard.batch import batch_outputs

    assert batch_outputs(["x/a.yaml", "b.yaml"], tmp_path) == [tmp_path / "a.pdf", tmp_path / "b.pdf"]
    assert batch_outputs(["a.yaml"], tmp_path, "pages") == [tmp_path / "a"]
    with pytest.raises(StoryboardError, match="language='../x' is not a BCP 47 tag"):
        storyboard.render_many(["a.yaml"], out_dir=tmp_path, language="../x")


def test_batch_refuses_a_translated_edition_that_another_story_writes(tmp_path):
    """`a.yaml` translated into fr and `a.fr.yaml`, written in fr, would both write a.fr.pdf."""
    story = STORY.format(title="A", action="a gull on a post") + "        caption: Hi.\n"
    (tmp_path / "a.yaml").write_text(story)
    (tmp_path / "a.fr.yaml").write_text(story.replace("title: A", "title: A\nlanguage: fr"))
    (tmp_path / "translations").mkdir()
    (tmp_path / "translations" / "a.fr.yaml").write_text("language: fr\nlines:\n  scene-1/1/caption: Salut.\n")
    result = storyboard.render_many([tmp_path / "a.fr.yaml", tmp_path / "a.yaml"], out_dir=tmp_path / "out",
                                    language="fr", cache=False)
    assert [s.ok for s in result.stories] == [True, False] and result.status == 2
    assert result.stories[1].errors == [f"{tmp_path / 'a.yaml'}: its fr edition would be written to "
                                        f"{tmp_path / 'out' / 'a.fr.pdf'}, which {tmp_path / 'a.fr.yaml'} writes: rename one"]


def test_a_story_named_like_an_edition_in_another_language_writes_its_own_edition(tmp_path):
    """`x.yaml` under --lang de writes x.de.pdf; an English `x.de.yaml` beside it writes its own
    German edition, x.de.de.pdf: no clash, whichever comes first (each story's output was
    checked against the others' before those were read). One written in German does clash,
    and the translated edition is refused in either order."""
    story = STORY.format(title="X", action="a gull on a post") + "        caption: Hi.\n"
    (tmp_path / "x.yaml").write_text(story)
    (tmp_path / "x.de.yaml").write_text(story)
    (tmp_path / "translations").mkdir()
    for name in ("x.de", "x.de.de"):
        (tmp_path / "translations" / f"{name}.yaml").write_text("language: de\nlines:\n  scene-1/1/caption: Hallo.\n")
    for order in ([tmp_path / "x.yaml", tmp_path / "x.de.yaml"], [tmp_path / "x.de.yaml", tmp_path / "x.yaml"]):
        out = tmp_path / f"out-{order[0].stem}"
        result = storyboard.render_many(order, out_dir=out, language="de", cache=False)
        assert all(s.ok for s in result.stories), [s.errors for s in result.stories]
        assert sorted(p.name for p in out.glob("*.pdf")) == ["x.de.de.pdf", "x.de.pdf"]
    (tmp_path / "x.de.yaml").write_text(story.replace("title: X", "title: X\nlanguage: de"))
    for order in ([tmp_path / "x.yaml", tmp_path / "x.de.yaml"], [tmp_path / "x.de.yaml", tmp_path / "x.yaml"]):
        result = storyboard.render_many(order, out_dir=tmp_path / "clash", language="de", cache=False)
        assert {s.script.name: s.ok for s in result.stories} == {"x.yaml": False, "x.de.yaml": True}


def test_batch_translation_file_with_several_stories_is_refused_in_one_line(scripts, tmp_path, capsys):
    """A translations file's keys are one script's lines: every other story would miss them
    all. --lang reads each story's own file."""
    french = tmp_path / "fr.yaml"
    french.write_text("language: fr\nlines: {}\n")
    out = tmp_path / "out"
    argv = ["batch", str(scripts[0]), str(scripts[1]), "-o", str(out), "--translation", str(french), "--no-cache"]
    assert main(argv) == 2
    assert capsys.readouterr().err == (f"error: --translation {french} translates one story, and 2 are given: batch "
                                       "them with --lang LANG (each story's own translations file), or render that "
                                       "story alone with --translation\n")
    assert not out.exists()


def test_ctrl_c_during_a_batch_says_which_stories_are_written_and_kept(scripts, tmp_path, capsys, monkeypatch):
    from storyboard.render import _Job

    finish, finished = _Job.finish, []

    def stopped_at_the_second(job):  # Ctrl-C while the second story is being written
        if finished:
            raise KeyboardInterrupt
        finished.append(job)
        return finish(job)

    monkeypatch.setattr(_Job, "finish", stopped_at_the_second)
    out = tmp_path / "out"
    assert main(["batch", str(scripts[0]), str(scripts[1]), str(scripts[3]), "-o", str(out), "--no-cache"]) == 130
    assert capsys.readouterr().err == (f"interrupted: {out / 's0.pdf'} is complete and kept; {out / 's1.pdf'}, "
                                       f"{out / 's3.pdf'} not written\n")
    assert sorted(p.name for p in out.iterdir()) == ["s0.pdf", "s0.pdf.manifest.json"]


def test_a_full_disk_fails_the_story_in_one_line_not_a_traceback(scripts, tmp_path, capsys, monkeypatch):
    # The render's own temporary files (page pieces, the CBZ's pages) filling the disk: one
    # line for the story, as `render` says it, and the other stories go on.
    import errno
    import os

    from storyboard.render import _Job

    finish, calls = _Job.finish, []

    def full_once(job):
        calls.append(job)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return finish(job)

    monkeypatch.setattr(_Job, "finish", full_once)
    out = tmp_path / "out"
    assert main(["batch", str(scripts[0]), str(scripts[1]), "-o", str(out), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{scripts[0]}: cannot write a temporary file in ") and err.endswith(
        ": No space left on device\n") and err.count("\n") == 1
    assert sorted(p.name for p in out.iterdir()) == ["s1.pdf", "s1.pdf.manifest.json"]


def test_render_many_of_one_script_given_as_a_string_renders_it(scripts, tmp_path):
    # Iterated as a sequence, "s0.yaml" was the stories "s", "0", ".": "a is given twice".
    for one in (str(scripts[0]), scripts[0]):
        result = storyboard.render_many(one, out_dir=tmp_path / "one", cache=False)
        assert [o.output.name for o in result.stories] == ["s0.pdf"] and not result.failed


def test_render_many_takes_a_generator_of_scripts_and_refuses_other_types(tmp_path):
    # `render_many(Path("stories").glob("*.yaml"), ...)`: the generator was used up naming the
    # outputs, and nothing was rendered, without a word; None or [None] were TypeErrors
    from storyboard.errors import StoryboardError

    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text("title: T\ngeneration: {engine: draft}\npage: {size: [80, 100], dpi: 40}\n"
                                               "scenes: [{panels: [{action: a}]}]\n")
    result = storyboard.render_many(iter(sorted(tmp_path.glob("*.yaml"))), out_dir=tmp_path / "out", cache=False)
    assert [o.output.name for o in result.stories] == ["a.pdf", "b.pdf"] and all(o.status == 0 for o in result.stories)
    for scripts, out_dir, message in ((None, "out", "scripts=None: give a script's path or a list of them"),
                                      ([None], "out", "scripts=[None]: give a script's path or a list of them"),
                                      ([tmp_path / "a.yaml"], None, "out_dir=None: give a folder's path")):
        with pytest.raises(StoryboardError) as err:
            storyboard.render_many(scripts, out_dir=out_dir)
        assert str(err.value) == message
