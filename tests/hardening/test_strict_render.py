"""`storyboard render --strict`: lettering that check-lettering would refuse, or that render
warns was lettered against the rules, is an error (exit 1, every problem located), and nothing
is written; type shrunk to fit stays a warning. Without --strict the render is written as
before, with its located warnings."""

from __future__ import annotations

import json

import pytest

import storyboard
from storyboard.cli import main
from storyboard.errors import LetteringError
from storyboard.lettering import RULES_BROKEN

_LINE = ("The storm has been howling for three nights and the lamp flickers every time the wind turns, "
         "and nobody in the village believes the stories any more.")
CROWDED = f"""title: Crowded
generation: {{engine: draft}}
page: {{size: [100, 140], dpi: 36}}
characters:
  mara: {{name: Mara, description: a woman}}
  keeper: {{name: Keeper, description: a man}}
scenes:
  - panels:
      - action: Mara climbs the stairs
        cast: [mara, keeper]
        dialogue:
          - mara: Someone has to keep the light burning.
      - action: the keeper grabs Mara's arm
        cast: [keeper, mara]
        dialogue:
          - keeper: {{text: "The lamp is cursed, girl!", kind: shout}}
          - mara: {{text: "He is afraid. So am I. {_LINE} {_LINE} {_LINE}", kind: thought}}
"""


@pytest.fixture
def crowded(folder):
    (folder / "crowded.yaml").write_text(CROWDED)
    return folder


def test_strict_refuses_what_render_warns_and_check_lettering_finds(crowded, capsys):
    assert main(["render", "crowded.yaml", "-o", "c.pdf", "--no-cache"]) == 0  # the default keeps writing
    warnings = capsys.readouterr().err.splitlines()
    assert warnings and all(w.startswith("crowded.yaml:13:9: scenes[0].panels[1]: ") for w in warnings)
    assert main(["check-lettering", "c.pdf"]) == 1
    violations = capsys.readouterr().out.splitlines()
    assert violations
    for name in ("c.pdf", "c.pdf.manifest.json"):
        (crowded / name).unlink()

    assert main(["render", "crowded.yaml", "-o", "c.pdf", "-o", "pages/", "--no-cache", "--strict"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    broken = [w for w in warnings if RULES_BROKEN in w]
    located = [f"crowded.yaml:13:9: scenes[0].panels[1]: {v}" for v in violations]
    problems = len(broken) + len(violations)
    assert broken and captured.err.splitlines() == [
        *broken, *located, f"error: {problems} lettering problems (--strict): nothing was written"]
    assert sorted(p.name for p in crowded.iterdir()) == ["crowded.yaml", "good.yaml"]


def test_type_shrunk_to_fit_stays_a_warning_under_strict(folder, capsys):
    line = "The storm has been howling for three nights and the lamp flickers every time the wind turns."
    (folder / "long.yaml").write_text(
        "title: S\ngeneration: {engine: draft}\npage: {size: [80, 100], dpi: 36}\n"
        "characters:\n  mara: {name: Mara, description: a woman}\n  keeper: {name: Keeper, description: a man}\n"
        "scenes:\n  - panels:\n      - action: the keeper talks to Mara\n        cast: [keeper, mara]\n"
        f"        dialogue:\n          - keeper: \"{line} {line} {line}\"\n")
    assert main(["render", "long.yaml", "-o", "l.pdf", "--no-cache", "--strict"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("long.yaml:9:9: scenes[0].panels[0]: dialogue shrunk to ")
    assert main(["check-lettering", "l.pdf"]) == 0  # nothing check-lettering refuses either


def test_a_strict_render_of_good_lettering_is_written(folder, capsys):
    assert main(["render", "good.yaml", "-o", "g.pdf", "--no-cache", "--strict"]) == 0
    assert capsys.readouterr().out.startswith("wrote g.pdf: 1 page")
    assert (folder / "g.pdf").stat().st_size > 0


def test_the_library_raises_every_problem_located(crowded):
    with pytest.raises(LetteringError) as refused:
        storyboard.render("crowded.yaml", engine="draft", out="c.cbz", cache=False, strict=True)
    assert refused.value.exit_code == 1 and len(refused.value.problems) > 2
    assert str(refused.value).splitlines() == refused.value.problems
    assert not (crowded / "c.cbz").exists()


def test_strict_is_in_render_help(capsys):
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    assert "--strict" in capsys.readouterr().out


def test_strict_letters_a_strip_from_pages_once(tmp_path, monkeypatch):
    # --strict checked the strip's lettering outside the render's memo (and without the faces
    # found in the art): every panel of the strip was lettered once more than it is written.
    from pathlib import Path

    import storyboard.lettering as lettering
    from storyboard.script import load_story

    story = load_story(Path(__file__).resolve().parents[2] / "examples" / "lighthouse.yaml")
    solved = []
    real = lettering._letter_panel
    monkeypatch.setattr(lettering, "_letter_panel", lambda *a, **k: solved.append(a[1]) or real(*a, **k))
    counts = []
    for strict in (False, True):
        solved.clear()
        storyboard.render(story, engine="draft", out=[(tmp_path / f"{strict}.webtoon", "webtoon")], cache=False,
                          strict=strict)
        counts.append(len(solved))
    assert counts[1] == counts[0] == 2 * sum(len(scene.panels) for scene in story.scenes)  # pages' report, strip


def test_a_strip_from_pages_is_reported_once_for_the_strict_check_and_its_manifests(tmp_path, monkeypatch):
    import json
    from pathlib import Path

    import storyboard.lettering_report as reports
    from storyboard.script import load_story

    story = load_story(Path(__file__).resolve().parents[2] / "examples" / "lighthouse.yaml")
    strips = []
    report = reports.lettering_report
    monkeypatch.setattr(reports, "lettering_report", lambda s, book, *a, **k: strips.append(book.spec.kind)
                        or report(s, book, *a, **k))
    for strict in (False, True):
        strips.clear()
        outs = [(tmp_path / f"{strict}-{n}.webtoon", "webtoon") for n in (1, 2)] + [tmp_path / f"{strict}.pdf"]
        storyboard.render(story, engine="draft", out=outs, cache=False, strict=strict)
        assert strips.count("webtoon") == 1  # (was once for the check and once for each strip's manifest)
        manifests = [json.loads(Path(f"{out}.manifest.json").read_text()) for out, _ in outs[:2]]
        assert manifests[0]["panels"] == manifests[1]["panels"]


def test_warnings_are_of_the_lettering_the_outputs_show(crowded, capsys):
    """A strip made from pages is lettered on its own (at the strip's scale): its warnings were
    never printed (the busy harbour strip, lettered at 4.66 pt against the rules, said nothing),
    the pages' were instead; a shot list shows no lettering, so it warns of none."""
    assert main(["render", "crowded.yaml", "-o", "c.csv", "--no-cache"]) == 0
    assert capsys.readouterr().err == ""
    # ... and check-lettering says so (it checked the pages' lettering in the manifest: violations, exit 1)
    assert main(["check-lettering", "c.csv"]) == 2
    assert capsys.readouterr().err == ("error: c.csv shows no lettering (an animatic's lines are subtitles, a shot "
                                       "list is text): check the PDF, CBZ, pages or strip of the same render\n")
    assert main(["render", "crowded.yaml", "-o", "c.webtoon/", "--no-cache"]) == 0
    warned = capsys.readouterr().err.splitlines()
    strip = json.loads((crowded / "c.webtoon.manifest.json").read_text())
    own = [w for panel in strip["panels"] for w in panel["warnings"]]
    assert own and len(warned) == len(own) and all(w.endswith(" (in the webtoon strip)") for w in warned)
    assert strip["warnings"] == warned  # the manifest says so too (it listed the pages' warnings)
