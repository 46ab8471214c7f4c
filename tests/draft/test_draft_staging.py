"""Faithful staging in draft sketches: figures drawn where staging puts them, each figure kind
its own silhouette, poses and expressions visible, neighbours apart at eye level."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from storyboard.drawing import rasterise
from storyboard.engines._palette import SHADE
from storyboard.engines.draft import FIGURE_TINTS, DraftEngine
from storyboard.errors import ScriptError
from storyboard.layout import paginate
from storyboard.plan import plan_panels
from storyboard.script import Story, parse_story

KINDS = ("human", "animal", "bird", "robot", "creature", "object", "vehicle", "crowd")


def requests(panels: list[dict], characters: dict) -> list:
    story = Story.model_validate({"title": "T", "page": {"dpi": 72}, "characters": characters,
                                  "scenes": [{"id": "s", "setting": "a field", "panels": panels}]})
    return plan_panels(story, paginate(story, max_side=512))


def pixels(request) -> np.ndarray:
    return np.asarray(rasterise(DraftEngine().draw(request), request.width, request.height)).astype(int)


def tint_mask(image: np.ndarray, tint) -> np.ndarray:
    return np.abs(image - np.array(tint)).max(axis=2) <= 6


def silhouette(kind: str, shot: str = "wide", pose: str = "") -> np.ndarray:
    cast = [{"x": {"position": "center", "pose": pose}}] if pose else [{"x": "center"}]
    (request,) = requests([{"action": "it stands", "shot": shot, "cast": cast}],
                          {"x": {"description": "someone", "figure": kind}})
    assert request.staging[0].kind == kind
    mask = tint_mask(pixels(request), FIGURE_TINTS[0])
    assert mask.sum() > 50, kind
    return mask


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.mark.parametrize("shot", ["wide", "medium"])
def test_every_figure_kind_has_its_own_silhouette(shot):
    masks = {kind: silhouette(kind, shot) for kind in KINDS}
    for i, a in enumerate(KINDS):
        for b in KINDS[i + 1:]:
            assert iou(masks[a], masks[b]) < 0.6, (shot, a, b, iou(masks[a], masks[b]))


def test_poses_change_the_silhouette():
    standing = silhouette("human")
    for pose in ("sitting on a crate", "running", "lying on the floor", "pointing at the door"):
        assert iou(silhouette("human", pose=pose), standing) < 0.7, pose


def test_left_center_right_never_overlap_at_eye_level():
    cast = [{"a": "left"}, {"b": "center"}, {"c": "right"}]
    five = [{"a": "far-left"}, {"b": "left"}, {"c": "center"}, {"d": "right"}, {"e": "far-right"}]
    people = {k: {"description": k} for k in "abcde"}
    for shot in ("wide", "medium", "close-up"):
        for members in (cast, five):
            (request,) = requests([{"action": "x", "shot": shot, "cast": members}], people)
            image = pixels(request)
            spans = []
            for index, figure in enumerate(request.staging):
                x0, y0, x1, y1 = figure.head
                eyes = int(((y0 + y1) / 2) * request.height)  # the row through the eyes
                row = tint_mask(image[eyes:eyes + 1], FIGURE_TINTS[index])[0]
                columns = np.flatnonzero(row)
                assert columns.size, (shot, index)
                spans.append((columns.min(), columns.max()))
            spans.sort()
            for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
                assert a1 < b0, (shot, len(members), spans)


def test_expressions_show_on_faces_in_close_shots():
    def face(expression: str) -> np.ndarray:
        (request,) = requests([{"action": "x", "shot": "close-up", "cast": [{"a": {"expression": expression}}]}],
                              {"a": {"description": "a"}})
        x0, y0, x1, y1 = request.staging[0].head
        w, h = request.width, request.height
        return pixels(request)[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)]

    calm, angry, happy = face(""), face("angry"), face("happy, laughing")
    assert calm.shape == angry.shape == happy.shape
    for other in (angry, happy):
        assert (np.abs(calm - other).max(axis=2) > 60).sum() > 20


def test_figure_key_is_validated():
    text = "title: T\ncharacters:\n  x: {description: d, figure: dragon}\nscenes:\n  - panels: [{action: a, cast: [x]}]\n"
    with pytest.raises(ScriptError, match=r":3:31: characters.x.figure: 'dragon' is not one of: human, animal"):
        parse_story(text)


def test_a_character_keeps_its_colour_from_panel_to_panel():
    characters = {"ana": {"description": "a girl"}, "ben": {"description": "a boy"},
                  "cy": {"description": "a cat", "figure": "animal"}}
    first, second = requests([{"action": "Ana and Ben", "cast": [{"ana": "left"}, {"ben": "right"}]},
                              {"action": "Cy and Ana", "cast": [{"cy": "left"}, {"ana": "right"}]}], characters)
    ana, ben, cy = (tint_mask(pixels(r), FIGURE_TINTS[i]) for r, i in ((second, 0), (first, 1), (second, 2)))
    assert tint_mask(pixels(first), FIGURE_TINTS[0]).sum() > 50  # Ana, first in the cast list
    assert ana.sum() > 50 and ben.sum() > 50 and cy.sum() > 50  # Ana keeps hers beside Cy
    assert tint_mask(pixels(second), FIGURE_TINTS[1]).sum() == 0  # nobody in panel two is Ben's colour


def test_the_tint_is_in_the_draft_key_only():
    import dataclasses

    from storyboard.cache import panel_key

    (request,) = requests([{"action": "Ana", "cast": ["ana"]}], {"ben": {"description": "a boy"},
                                                                 "ana": {"description": "a girl"}})
    assert request.cast[0].tint == 1  # second in the story's cast list
    other = dataclasses.replace(request, cast=(dataclasses.replace(request.cast[0], tint=0),))
    draft = DraftEngine().settings()
    assert panel_key(draft, request) != panel_key(draft, other)
    generative = {"name": "diffusion", "version": "1"}  # an engine that draws no tints keeps its keys
    assert panel_key(generative, request) == panel_key(generative, other)


@pytest.mark.parametrize("shot", ["close-up", "extreme-close-up"])
def test_a_close_animal_is_its_head_not_a_cut_off_body(shot):
    """An animal's close-up frames its head where a person's would be (centred on its cast
    box, whole), drawn as an animal's: a dog's ears drooping beside the skull (a cat's stand up:
    test_draft_sizes_and_markets), a muzzle out ahead of it."""
    def staged(kind: str):
        (request,) = requests([{"action": "it looks", "shot": shot, "cast": [{"x": "center"}]}],
                              {"x": {"description": "someone", "figure": kind}})
        return request, request.staging[0]

    request, animal = staged("animal")
    _, person = staged("human")
    assert animal.head == pytest.approx(person.head) and animal.body[0] >= person.body[0] - 1e-9
    x0, y0, x1, y1 = animal.head
    u, aspect = animal.head_units, request.width / request.height
    assert x1 - x0 == pytest.approx(0.78 * u / aspect, rel=0.02)  # whole, not cut by the frame
    shapes = {kind: tint_mask(pixels(staged(kind)[0]), FIGURE_TINTS[0]) for kind in ("animal", "human")}
    top = y1 - u  # the head's top (an extreme close-up's may lie above the frame)
    W, H = request.width, request.height
    cx = (x0 + x1) / 2 * W

    ears = int((top + 0.55 * u) * H)
    if ears >= 0:  # an ear hangs beside the skull, away from the gaze (shaded), where a person has none
        back = int(cx - animal.facing * 0.5 * u * H)
        assert tint_mask(pixels(request)[ears:ears + 1, back:back + 1], SHADE).all()
        assert not shapes["human"][ears, back]
    muzzle = int((top + 0.68 * u) * H)
    ahead = int(cx + animal.facing * 0.5 * u * H)  # beyond the skull, where it looks
    assert shapes["animal"][muzzle, ahead] and not shapes["human"][muzzle, ahead]


@pytest.mark.parametrize("shot, where", [("medium", [0.2, 0.3, 0.8, 1.0]), ("close-up", "center")])
def test_a_figure_cut_by_the_frame_runs_on_into_the_bleed(shot, where):
    """A panel printed to the page edge has art past its frame: a figure the frame cuts runs
    on to the art's edge instead of ending in a cut across its body above the trim."""
    (request,) = requests([{"action": "she waits", "shot": shot, "cast": [{"x": where}]}],
                          {"x": {"description": "someone"}})
    slot = paginate(Story.model_validate({"title": "T", "page": {"dpi": 72}, "characters": {"x": {"description": "d"}},
                                          "scenes": [{"id": "s", "panels": [{"action": "a"}]}]}), max_side=512).pages[0].slots[0]
    assert slot.frame_in_art[3] < 0.97  # the art runs past the frame's bottom
    (figure,) = request.staging
    assert figure.body[3] == 1.0
    image = pixels(request)
    x0, x1 = int(figure.body[0] * request.width), int(figure.body[2] * request.width)
    below = slice(int((slot.frame_in_art[3] + 0.01) * request.height), int(0.985 * request.height))
    bottom = tint_mask(image[below, x0:x1], FIGURE_TINTS[0])  # under the frame, above the outline
    assert bottom.all(axis=0).sum() >= 0.25 * (x1 - x0)


def _lowest_row(mask: np.ndarray) -> int:
    return int(np.nonzero(mask.any(axis=1))[0].max())


def _highest_row(mask: np.ndarray) -> int:
    return int(np.nonzero(mask.any(axis=1))[0].min())


@pytest.mark.parametrize("kind, pose", [("animal", ""), ("vehicle", ""), ("human", "sitting on a bench")])
def test_a_shorter_figure_stands_on_the_ground_beside_a_person_in_a_wide_shot(kind, pose):
    """A dog beside its owner stands where the owner's feet are, not lifted so its head is at
    the owner's eye height (it floated above the ground, level with the horizon)."""
    (request,) = requests([{"action": "they wait", "shot": "wide",
                            "cast": [{"p": "left"}, {"d": {"position": "right", "pose": pose}}]}],
                          {"p": {"description": "a woman"}, "d": {"description": "a dog", "figure": kind}})
    person, other = request.staging
    assert other.body[3] == pytest.approx(person.body[3], abs=0.01)  # one ground
    assert other.head[1] > person.head[3]  # its head below the person's (it was at the same height)
    image = pixels(request)
    drawn = [_lowest_row(tint_mask(image, FIGURE_TINTS[i])) for i in (0, 1)]
    assert abs(drawn[0] - drawn[1]) <= 0.02 * request.height, drawn  # as drawn


def test_an_animal_in_a_medium_shot_stands_on_the_frame_floor_not_at_head_height():
    """People seen waist up, their dog whole in the foreground, feet on the frame's bottom: not
    floating with its head up at theirs near the top of the frame."""
    (request,) = requests([{"action": "the dog barks at her", "shot": "medium",
                            "cast": [{"p": "left"}, {"d": "right"}]}],
                          {"p": {"description": "a woman"}, "d": {"description": "a dog", "figure": "animal"}})
    person, dog = request.staging
    assert dog.body[3] > 0.9 and dog.head[1] > person.head[3] + 0.1
    image = pixels(request)
    assert _highest_row(tint_mask(image, FIGURE_TINTS[1])) > 0.5 * request.height


def test_an_engine_called_without_staging_reads_the_actions_poses_as_a_render_does():
    """A request made without staging (an engine called directly) is staged by the engine: a
    member with no pose sat only when the render staged it, not for the action ('Ada sits')."""
    from tests.draft.test_draft_sets import panel

    for action in ("Ada sits on a bench", "Ada waits"):
        request = panel("a park", action, cast=["ada"])
        bare = dataclasses.replace(request, staging=None)
        assert DraftEngine().draw(bare).to_bytes() == DraftEngine().draw(request).to_bytes(), action
