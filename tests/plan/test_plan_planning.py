import glob
from pathlib import Path

import numpy as np
import pytest

from storyboard.engines.base import Identity
from storyboard.layout import cast_boxes, paginate
from storyboard.plan import DEFAULT_SEED, panel_seed, plan_panels
from storyboard.script import load_story
from storyboard.styles import PRESETS

from .conftest import STORY, book_for, make_story

REPO = Path(__file__).resolve().parents[2]


def test_one_request_per_panel_in_story_order(story):
    requests = plan_panels(story, book_for(story))
    assert [(r.scene, r.panel) for r in requests] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    assert requests[1].label == "scene 'storm' panel 2"
    assert requests[3].label == "scene 'morning' panel 1"


def test_prompt_holds_every_part_with_the_panel_first(story):
    r = plan_panels(story, book_for(story))[1]
    prompt = r.prompt
    for part in ["Mara climbs the spiral stairs holding a lantern",
                 "woman in her thirties", "yellow raincoat", "determined expression", "gripping the rail",
                 "old man", "navy wool sweater", "on the left", "on the right", "dramatic rim light",
                 "medium shot", "low angle", "a lighthouse on a cliff in a storm", "night",
                 "rain-soaked streets", "ink wash", "film noir comic"]:
        assert part in prompt, part
    # CLIP truncates the tail: the action and cast lead, the shared style trails.
    assert prompt.startswith("Mara climbs")
    assert prompt.index("yellow raincoat") < prompt.index("medium shot") < prompt.index("film noir comic")
    assert (r.shot, r.angle, r.action, r.setting) == ("medium", "low", story.scenes[0].panels[1].action,
                                                      story.scenes[0].setting)


def test_negative_is_preset_plus_style(story):
    negative = plan_panels(story, book_for(story))[0].negative_prompt
    assert negative.startswith(PRESETS["noir"].negative)
    assert negative.endswith("colour photo, lens flare")


def test_no_preset_no_style_text():
    story = make_story("""
    title: Bare
    scenes:
      - panels:
          - action: a door opens
    """)
    r = plan_panels(story, book_for(story))[0]
    assert r.prompt == "a door opens, medium shot, waist up, eye level"
    assert r.negative_prompt == ""


def test_size_comes_from_the_panel_slot(story):
    book = book_for(story, {(1, 0): (1016, 336)})
    requests = plan_panels(story, book)
    assert (requests[3].width, requests[3].height) == (1016, 336)
    assert (requests[1].width, requests[1].height) == (520, 384)


def test_a_book_of_another_story_is_refused(story):
    short = make_story(STORY.replace("      - action: the sea is calm\n", ""))
    with pytest.raises(ValueError, match="no slot for scene 'morning' panel 2"):
        plan_panels(story, book_for(short))


def seeds(story, **kw):
    return {r.label: r.seed for r in plan_panels(story, book_for(story), **kw)}


def test_panel_seed_is_pinned_and_others_derived(story):
    got = seeds(story)
    assert got["scene 'storm' panel 3"] == 42
    assert got["scene 'storm' panel 1"] == panel_seed(99, "storm", 0)
    assert len(set(got.values())) == len(got)
    assert all(0 <= s < 2**32 for s in got.values())


def test_seed_hash_is_stable_across_runs():
    # A literal: Python's hash() is salted per process, sha256 is not.
    assert panel_seed(1234, "storm", 0) == 3921596643


def test_inserting_a_panel_keeps_other_scenes_seeds(story):
    before = seeds(story)
    inserted = make_story(STORY.replace(
        "      - action: the lamp turns\n",
        "      - action: a gull lands on the rail\n      - action: the lamp turns\n"))
    after = seeds(inserted)
    for label in ("scene 'morning' panel 1", "scene 'morning' panel 2",  # the other scene
                  "scene 'storm' panel 1", "scene 'storm' panel 2"):  # panels before the insertion
        assert after[label] == before[label], label
    assert after["scene 'storm' panel 4"] == 42  # the pinned panel moved, its seed did not


def test_seed_argument_overrides_script_but_not_pins(story):
    base = seeds(story)
    override = seeds(story, seed=7)
    assert override["scene 'storm' panel 1"] == panel_seed(7, "storm", 0) != base["scene 'storm' panel 1"]
    assert override["scene 'storm' panel 3"] == 42
    unseeded = make_story(STORY.replace("generation:\n  seed: 99\n", ""))
    assert seeds(unseeded)["scene 'morning' panel 1"] == panel_seed(DEFAULT_SEED, "morning", 0)


def test_cast_members_carry_boxes_identities_and_masks(story):
    face = Identity(kind="face", embedding=np.ones(512, dtype=np.float32), embedder="test")
    r = plan_panels(story, book_for(story), {"mara": face})[1]
    mara, keeper = r.cast
    assert (mara.id, mara.name, keeper.name) == ("mara", "Mara", "The Keeper")
    assert (mara.expression, mara.pose) == ("determined", "gripping the rail")
    assert [m.box for m in r.cast] == [tuple(b) for b in cast_boxes(story.scenes[0].panels[1])]
    assert mara.identity is face and keeper.identity is None
    assert mara.mask.shape == (r.height, r.width) and mara.mask.dtype == np.float32
    x0, y0, x1, y1 = mara.box
    assert mara.mask[int((y0 + y1) / 2 * r.height), int((x0 + x1) / 2 * r.width)] == 1.0
    assert mara.mask[:, -1].max() == 0.0  # the far right is another member's region
    assert keeper.mask is None  # a mask only steers an identity


def test_peels_resolve_local_files_else_hub_ids(tmp_path):
    (tmp_path / "peels").mkdir()
    (tmp_path / "peels" / "ink.safetensors").write_bytes(b"x")
    story = make_story("""
    title: Peels
    style:
      peels:
        - path: peels/ink.safetensors
          weight: 0.8
        - path: someone/watercolor-lora
    scenes:
      - panels:
          - action: a door opens
    """, base_dir=tmp_path)
    peels = plan_panels(story, book_for(story))[0].peels
    assert peels[0].ref == str((tmp_path / "peels" / "ink.safetensors").resolve())
    assert peels[0].weight == 0.8
    assert (peels[1].ref, peels[1].weight) == ("someone/watercolor-lora", 1.0)


@pytest.mark.parametrize("path", sorted(glob.glob(str(REPO / "examples" / "*.yaml"))))
def test_every_example_plans_against_its_real_layout(path):
    story = load_story(path)
    book = paginate(story)
    requests = plan_panels(story, book)
    slots = {(s.scene, s.panel): s for s in book.slots()}
    assert len(requests) == story.panel_count
    for r in requests:
        slot = slots[(r.scene, r.panel)]
        assert (r.width, r.height) == (slot.gen_width, slot.gen_height)
        assert r.prompt and r.seed >= 0
    again = plan_panels(story, book)
    assert [(r.prompt, r.seed, r.cast) for r in again] == [(r.prompt, r.seed, r.cast) for r in requests]


@pytest.mark.parametrize("reading", ["ltr", "rtl"])
def test_unplaced_cast_regions_follow_the_reading_order_in_plan_and_staging(reading):
    from storyboard.staging import cast_regions
    from tests.pages.stories import panel, story

    s = story([panel(cast=["ana", "ben", "cy"])], page={"reading": reading})
    request = plan_panels(s, paginate(s))[0]
    regions = cast_regions(s, s.scenes[0].panels[0])
    assert [m.box for m in request.cast] == [tuple(b) for b in regions]
    centres = [(m.box[0] + m.box[2]) / 2 for m in request.cast]
    assert centres == sorted(centres, reverse=reading == "rtl")  # the first speaker stands where reading starts
    heads = [(f.head[0] + f.head[2]) / 2 for f in request.staging]
    assert heads == sorted(heads, reverse=reading == "rtl")


def test_members_take_expression_and_pose_from_the_action_where_the_script_gives_none():
    story = make_story(STORY.replace("action: the keeper polishes the lens", "action: The Keeper sits and laughs"))
    (keeper,) = plan_panels(story, book_for(story), {})[3].cast
    assert (keeper.expression, keeper.pose) == ("laughing", "sitting")
    assert "laughing expression" in keeper.prompt and "sitting" in keeper.prompt
    # the script's own words win
    r = plan_panels(make_story(), book_for(make_story()), {})[1]
    assert (r.cast[0].expression, r.cast[0].pose) == ("determined", "gripping the rail")
