"""A cat is drawn as a cat, not as the draft's dog; an over-the-shoulder shot of one person
shows the back of their head and shoulder; a laugh and a shout open the mouth."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard.engines._palette import GRAPHITE
from storyboard.engines.draft import FIGURE_TINTS
from storyboard.staging import species
from tests.draft.test_draft_staging import iou, pixels, requests, tint_mask


def animal(description: str, shot: str, pose: str = "") -> np.ndarray:
    (request,) = requests([{"action": "it waits", "shot": shot,
                            "cast": [{"x": {"position": "center", "pose": pose}} if pose else {"x": "center"}]}],
                          {"x": {"name": "Tom", "description": description, "figure": "animal"}})
    image = pixels(request)
    return tint_mask(image, FIGURE_TINTS[0]), np.abs(image - np.array(GRAPHITE)).max(axis=2) <= 40


def test_which_animals_are_cats():
    assert species("Tom", "a ginger tabby") == "cat"
    assert species("Mog", "the neighbours' old cat") == "cat"
    assert species("タマ", "白い猫") == "cat"
    assert species("Rex", "a dog that chases cats") == ""
    assert species("Rex", "a big brown dog") == ""


@pytest.mark.parametrize("shot, pose", [("wide", ""), ("wide", "walking"), ("wide", "sitting"), ("wide", "lying"),
                                        ("close-up", "")])
def test_a_cat_is_not_drawn_as_the_dog(shot, pose):
    (cat, cat_ink), (dog, dog_ink) = animal("a tabby cat", shot, pose), animal("a brown dog", shot, pose)
    assert iou(cat_ink, dog_ink) < 0.8  # the outlines: ears, muzzle, tail and whiskers differ


def test_a_standing_cat_holds_its_tail_up():
    def tail_top_over_back(description: str) -> int:
        body, ink = animal(description, "wide")  # centred: it faces left, its tail to the right
        ys, xs = body.nonzero()
        span = xs.max() - xs.min()
        back = body[:, xs.max() - span // 5:].nonzero()[0].min()  # the top of its back at the rear
        above = max(0, ys.min() - span // 2)
        tail = ink[above:ys.max(), xs.max() + 1:xs.max() + 1 + span // 3].nonzero()[0]  # ink just behind it
        return back - (above + tail.min())

    assert tail_top_over_back("a tabby cat") > 0 > tail_top_over_back("a brown dog")  # up; hanging


def test_over_the_shoulder_of_one_person_shows_their_back():
    characters = {"eve": {"name": "Eve", "description": "a girl"}, "tom": {"description": "a cat", "figure": "animal"}}
    (alone, pet, two) = requests([{"action": "Eve looks at the letter", "shot": "over-shoulder", "cast": ["eve"]},
                                  {"action": "Tom looks at the sea", "shot": "over-shoulder", "cast": ["tom"]},
                                  {"action": "Eve looks at Tom", "shot": "over-shoulder", "cast": ["eve", "tom"]}],
                                 characters)
    assert alone.staging[0].foreground and not alone.staging[0].shows_face
    assert two.staging[0].foreground and two.staging[1].shows_face  # (as before)
    assert not pet.staging[0].foreground and pet.staging[0].shows_face  # an animal alone is seen as it is


def mouth_ink(action: str, expression: str = "") -> int:
    (request,) = requests([{"action": action, "shot": "close-up",
                            "cast": [{"eve": {"expression": expression}} if expression else "eve"]}],
                          {"eve": {"name": "Eve", "description": "a girl"}})
    image = pixels(request)
    x0, y0, x1, y1 = request.staging[0].head
    h, w = image.shape[:2]
    # Inside the head's outline, under the nose: the mouth's ink only.
    band = image[int((y0 + 0.66 * (y1 - y0)) * h):int((y0 + 0.92 * (y1 - y0)) * h),
                 int((x0 + 0.15 * (x1 - x0)) * w):int((x1 - 0.15 * (x1 - x0)) * w)]
    return int((np.abs(band - np.array(GRAPHITE)).max(axis=2) <= 40).sum())


def test_a_laugh_and_a_shout_open_the_mouth():
    smile, laugh = mouth_ink("Eve waits", "happy"), mouth_ink("Eve laughs")
    plain, shout = mouth_ink("Eve waits"), mouth_ink("Eve shouts")
    assert laugh > 1.5 * smile and shout > 1.5 * plain
    assert mouth_ink("Eve giggles") == laugh and mouth_ink("Eve waits", "laughing") == laugh
