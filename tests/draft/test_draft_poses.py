"""Poses the draft draws: a walking stride for every figure kind that moves, and a located
warning (validate and a draft render) for a pose it cannot draw, which it draws standing."""

from __future__ import annotations

import pytest

import storyboard
from storyboard.cli import main
from storyboard.engines._figures import DRAWN
from storyboard.engines.draft import DraftEngine
from storyboard.staging import POSES, normalise_pose, read_pose
from tests.draft.test_draft_staging import KINDS, iou, requests, silhouette

MOVING = [kind for kind in KINDS if "walking" in DRAWN[kind]]


def test_walking_words_read_as_walking():
    for text in ("walking", "walks home", "strolling along", "marches on", "paces the room", "steps forward"):
        assert normalise_pose(text) == "walking", text
    assert normalise_pose("running, then walking") == "running"  # the first pose in the table wins
    assert read_pose("") == read_pose("stands still") == "standing"
    assert read_pose("arms crossed") is None and normalise_pose("arms crossed") == "standing"
    assert set(POSES) == {"standing", "walking", "running", "sitting", "kneeling", "lying", "pointing"}


def test_a_walking_person_strides_apart_from_standing_and_running():
    standing, walking, running = (silhouette("human", pose=pose) for pose in ("", "walking", "running"))
    assert iou(walking, standing) < 0.7
    assert iou(walking, running) < 0.8
    # The stride: at the feet the legs are wider apart than standing.
    rows = [mask.nonzero() for mask in (standing, walking)]
    feet = [cols[ys >= ys.max() - 3] for ys, cols in rows]
    assert feet[1].max() - feet[1].min() > 1.5 * (feet[0].max() - feet[0].min())


@pytest.mark.parametrize("kind", [kind for kind in MOVING if kind != "human"])
def test_every_moving_kind_has_a_walk(kind):
    def drawing(pose):
        cast = [{"x": {"position": "center", "pose": pose}}] if pose else [{"x": "center"}]
        (request,) = requests([{"action": "it goes", "shot": "wide", "cast": cast}],
                              {"x": {"description": "someone", "figure": kind}})
        return DraftEngine().draw(request).to_bytes()

    assert drawing("walking") != drawing("")
    assert drawing("walking") != drawing("running")


SCRIPT = """\
title: T
generation: {engine: draft}
characters:
  ana: {name: Ana, description: a girl}
  pip: {name: Pip, description: a gull, figure: bird}
scenes:
  - id: s
    setting: a street
    panels:
      - action: Ana walks to school
        cast:
          - ana: {position: left, pose: walking}
          - pip: {position: right, pose: kneeling on a post}
      - action: Ana waits
        cast:
          - ana: {pose: arms crossed}
          - pip: {pose: walking}
      - action: Ana waits while Pip kneels on the rail
        cast: [ana, pip]
      - action: Pip rests
        cast: [{pip: {pose: kneeling}}]
"""
WARNINGS = [
    "13:42: scenes[0].panels[0].cast[1].pose: pose 'kneeling on a post' is kneeling: the draft draws a bird "
    "only standing, walking, running or sitting: drawn standing",
    "16:25: scenes[0].panels[1].cast[0].pose: pose 'arms crossed' names no pose the draft draws (standing, "
    "walking, running, sitting, kneeling, lying, pointing): drawn standing",
    # The action's pose, where the entry gives none: located at the action.
    "18:17: scenes[0].panels[2].action: the action has pip kneeling: the draft draws a bird only standing, walking, "
    "running or sitting: drawn standing",
    # A bare pose word is not said twice ('pose 'kneeling' is kneeling').
    "21:29: scenes[0].panels[3].cast[0].pose: pose 'kneeling': the draft draws a bird only standing, walking, "
    "running or sitting: drawn standing",
]


def test_a_pose_the_draft_cannot_draw_is_a_located_warning(tmp_path, capsys):
    script = tmp_path / "s.yaml"
    script.write_text(SCRIPT)
    assert main(["validate", str(script)]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"{script}:{line}" for line in WARNINGS] and out.startswith("ok:")
    assert main(["validate", str(script), "--engine", "diffusion"]) == 0  # its prompt carries the words
    assert capsys.readouterr().err == ""
    result = storyboard.render(script, out=tmp_path / "s.pdf")
    assert [w for w in result.warnings if w.endswith(": drawn standing")] == [f"{script}:{line}" for line in WARNINGS]


def test_a_misspelt_pose_is_told_the_pose_it_means():
    from storyboard.engines._figures import pose_problems
    from storyboard.script import parse_story

    story = parse_story("title: T\ncharacters:\n  ana: {description: a girl}\n"
                        "scenes: [{panels: [{action: a, cast: [{ana: {pose: sittin}}]}]}]\n")
    (problem,) = pose_problems(story)
    assert problem[1] == ("pose 'sittin' names no pose the draft draws (standing, walking, running, sitting, kneeling, "
                          "lying, pointing; did you mean 'sitting'?): drawn standing")
