"""Props in a person's hand: a handheld prop the action has a cast member hold, carry, read or
drink is drawn at that member's hand, where the frame shows it."""

from __future__ import annotations

from storyboard.engines._props import GLOW, held
from storyboard.engines.draft import DraftEngine, held_prop_box
from tests.draft.test_draft_sets import panel
from tests.draft.test_draft_staging import requests


def test_which_prop_is_held():
    assert held("Mara climbs the spiral stairs holding a lantern")[0] == "lamp"
    assert held("Ben watches while Mara reads the old diary")[0] == "book"
    assert held("Mara sips a cup of tea")[0] == "cup"
    assert held("Ben holding a half-eaten tomato") is None  # no handheld prop
    assert held("no one holds a cup") is None and held("Mara looks at a lantern") is None


def glows(request) -> list:
    """The x of every glowing polygon (a lantern's light) in the drawing."""
    return [op.points[0::2] for op in DraftEngine().draw(request).ops if op.fill == GLOW]


def test_a_held_lantern_is_drawn_at_the_holders_hand():
    request = panel("a lighthouse", "Mara climbs the stairs holding a lantern", cast=["ada"])
    assert glows(request)
    assert not glows(panel("a lighthouse", "Mara climbs the stairs", cast=["ada"]))
    assert not glows(panel("a lighthouse", "Mara climbs the stairs holding a lantern", cast=["ada"],
                           shot="close-up"))  # the frame cuts the hand
    # Two people: the lantern is in the hand of the one the action names before the verb.
    people = {"ben": {"name": "Ben", "description": "a boy"}, "mara": {"name": "Mara", "description": "a girl"}}
    for action, holder in (("Ben watches while Mara carries a lantern", 1), ("Ben carries a lantern", 0)):
        (request,) = requests([{"action": action, "shot": "wide", "cast": [{"ben": "left"}, {"mara": "right"}]}],
                              people)
        xs = glows(request)[0]  # its light, round the lantern
        centre = sum(xs) / len(xs) / request.width
        figures = [(f.body[0] + f.body[2]) / 2 for f in request.staging]
        assert min(range(2), key=lambda i: abs(figures[i] - centre)) == holder, action


def test_the_action_note_keeps_off_a_lantern_held_low_in_the_frame():
    # The lighthouse's second panel: Mara's lantern, low in a medium shot from below, was half
    # under the action note along the frame's bottom.
    from pathlib import Path

    from storyboard.export.labels import slate
    from storyboard.layout import Rect, paginate
    from storyboard.plan import plan_panels
    from storyboard.script import load_story
    from storyboard.text import load_chain

    story = load_story(Path(__file__).parents[2] / "examples" / "lighthouse.yaml")
    book = paginate(story)
    slot = next(slot for slot in book.slots() if (slot.scene, slot.panel) == (0, 1))
    panel = story.scenes[0].panels[1]
    request = next(r for r in plan_panels(story, book) if (r.scene, r.panel) == (0, 1))
    assert panel.action == "Mara climbs the spiral stairs holding a lantern"
    box = held_prop_box(panel.action, panel.angle, request.staging, [("mara", "Mara"), ("keeper", "The Keeper")],
                        request.width / request.height)
    # The box holds the lantern the draft draws.
    xs = [x for points in glows(request) for x in points]
    assert xs and box[0] * request.width <= min(xs) and max(xs) <= box[2] * request.width
    art = slot.art
    lantern = Rect(art.x + box[0] * art.w, art.y1 - box[3] * art.h, (box[2] - box[0]) * art.w,
                   (box[3] - box[1]) * art.h)

    def overlap(a: Rect, b: Rect) -> float:
        return max(0.0, min(a.x1, b.x1) - max(a.x, b.x)) * max(0.0, min(a.y1, b.y1) - max(a.y, b.y))

    font = load_chain()
    note, _ = slate(story, panel, slot, font, strip=False)
    assert note.lines[0].startswith("Mara climbs") and overlap(note.body, lantern) == 0
    # Without the lantern the note keeps its place along the bottom, where it covers the hand.
    plain = panel.model_copy(update={"action": "Mara climbs the spiral stairs with care"})
    low, _ = slate(story, plain, slot, font, strip=False)
    assert low.body.y < note.body.y and overlap(low.body, lantern) > 0


def test_the_held_prop_box_holds_the_drawn_prop():
    people = {"ana": {"name": "Ana", "description": "a girl"}, "ben": {"name": "Ben", "description": "a boy"}}
    for thing in ("a lantern", "a sword", "an umbrella", "a cup", "a book"):
        for pose, shot in (("walking", "wide"), ("sitting", "medium"), ("running", "wide"), ("", "close-up")):
            cast = [{"ben": "left"}, {"ana": {"position": "right", "pose": pose}} if pose else "ana"]
            held_by_ana, plain = (requests([{"action": action, "shot": shot, "cast": cast}], people)[0]
                                  for action in (f"Ben waits while Ana holds {thing}", "Ben waits while Ana waits"))
            prop = DraftEngine().draw(held_by_ana).ops[len(DraftEngine().draw(plain).ops):]  # drawn last
            box = held_prop_box(held_by_ana.action, "eye-level", held_by_ana.staging, [("ben", "Ben"), ("ana", "Ana")],
                                held_by_ana.width / held_by_ana.height)
            if shot == "close-up":  # the frame cuts the hand: neither drawn nor boxed
                assert not prop and box is None
                continue
            xs = [x / held_by_ana.width for op in prop for x in op.points[0::2]]
            ys = [y / held_by_ana.height for op in prop for y in op.points[1::2]]
            assert box[0] <= min(xs) and max(xs) <= box[2] and box[1] <= min(ys) and max(ys) <= box[3], (thing, pose)


def test_the_kite_goes_to_the_member_the_action_names_in_whole_words():
    # 'Ana raised the kite': 'Ed' is not named by 'raised'; the kite went to Ed, first in the cast.
    def drawing(first):
        people = {first: {"name": first.title(), "description": "a man"}, "ana": {"name": "Ana", "description": "a girl"}}
        (request,) = requests([{"action": "Ana raised the kite high over the hill", "shot": "wide",
                                "cast": [{first: "left"}, {"ana": "right"}]}], people)
        return DraftEngine().draw(request).to_bytes()

    assert drawing("ed") == drawing("bob")
