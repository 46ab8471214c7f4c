"""An animal sits on its haunches and lies with its head on its forepaws (the pose the cast
entry or the action gives it: "Rex lies by the fire"); a robot and a creature sit. Each is its
own silhouette, and a pose the kind has no drawing of is still a located warning."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard.engines._figures import DRAWN, pose_problems
from storyboard.engines.draft import FIGURE_TINTS, DraftEngine
from storyboard.script import Story
from tests.draft.test_draft_staging import iou, pixels, requests, silhouette, tint_mask


def extent(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = mask.nonzero()
    return xs.min(), ys.min(), xs.max(), ys.max()


def test_an_animal_sits_and_lies():
    standing, sitting, lying = (silhouette("animal", pose=pose) for pose in ("", "sitting", "lying by the fire"))
    assert iou(sitting, standing) < 0.6 and iou(lying, standing) < 0.6 and iou(sitting, lying) < 0.6
    (sx0, sy0, sx1, sy1), (tx0, ty0, tx1, ty1), (lx0, ly0, lx1, ly1) = map(extent, (standing, sitting, lying))
    assert abs(ty1 - sy1) <= 2 and abs(ly1 - sy1) <= 2  # on the same ground
    assert tx1 - tx0 < 0.85 * (sx1 - sx0)  # sitting: shorter from tail to snout, as tall
    assert ly1 - ly0 < 0.7 * (sy1 - sy0)  # lying: low along the ground


@pytest.mark.parametrize("kind", ["robot", "creature", "bird"])
def test_a_robot_a_creature_and_a_bird_sit(kind):
    assert iou(silhouette(kind, pose="sitting on a crate"), silhouette(kind)) < 0.8


@pytest.mark.parametrize("kind", ["robot", "creature"])
def test_a_robot_and_a_creature_lie_along_the_ground(kind):
    standing, lying = silhouette(kind), silhouette(kind, pose="lying in the mud")
    (sx0, sy0, sx1, sy1), (lx0, ly0, lx1, ly1) = extent(standing), extent(lying)
    assert iou(lying, standing) < 0.3
    assert ly1 - ly0 < 0.4 * (sy1 - sy0) and sx1 - sx0 < sy1 - sy0 and lx1 - lx0 > 3 * (ly1 - ly0)  # low and long


def test_the_action_sits_or_lays_down_an_animal_without_a_pose():
    def drawn(action: str, pose: str = "") -> np.ndarray:
        (request,) = requests([{"action": action, "shot": "wide", "cast": [{"rex": {"pose": pose}} if pose else "rex"]}],
                              {"rex": {"name": "Rex", "description": "a dog", "figure": "animal"}})
        return tint_mask(pixels(request), FIGURE_TINTS[0])

    waiting, sitting, lying = drawn("Rex waits by the door"), drawn("Rex sits by the door"), drawn("Rex lies by the fire")
    assert iou(sitting, drawn("Rex waits by the door", "sitting")) > 0.95
    assert iou(lying, drawn("Rex waits by the door", "lying")) > 0.95
    assert iou(sitting, waiting) < 0.6 and iou(lying, waiting) < 0.6


def test_only_poses_a_kind_has_no_drawing_of_are_warned_of():
    assert {"sitting", "lying"} <= DRAWN["animal"] & DRAWN["robot"] & DRAWN["creature"]
    story = Story.model_validate({"title": "T", "characters": {
        "rex": {"description": "a dog", "figure": "animal"}, "bot": {"description": "a robot", "figure": "robot"}},
        "scenes": [{"id": "s", "panels": [{"action": "x", "cast": [
            {"rex": {"pose": "sitting"}}, {"bot": {"pose": "sitting"}}]}, {"action": "y", "cast": [
            {"rex": {"pose": "kneeling"}}, {"bot": {"pose": "kneeling"}}]}]}]})
    assert [message for _, message in pose_problems(story)] == [
        "pose 'kneeling': the draft draws an animal only standing, walking, running, sitting or lying: "
        "drawn standing",
        "pose 'kneeling': the draft draws a robot only standing, walking, running, sitting or lying: "
        "drawn standing"]


def test_every_kind_draws_every_pose_without_error():
    engine = DraftEngine()
    for kind in ("animal", "robot", "creature"):
        for shot in ("wide", "medium", "close-up"):
            for angle in ("eye-level", "low", "high", "birds-eye"):
                for pose in sorted(DRAWN[kind]):
                    (request,) = requests([{"action": "it waits", "shot": shot, "angle": angle,
                                            "cast": [{"x": {"position": "left", "pose": pose}}, "y"]}],
                                          {"x": {"description": "x", "figure": kind}, "y": {"description": "y"}})
                    assert engine.draw(request).to_bytes()
