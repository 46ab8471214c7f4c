"""Draft sets: the place a panel's action and setting name is drawn behind its figures."""

from __future__ import annotations

import numpy as np
import pytest

from storyboard.engines._props import LEAF, PROPS, _PROP_OF, camera_move, prop_for, size_of
from storyboard.engines._sets import _WORDS, Place, place, shows, tokens, verb_at
from storyboard.engines.draft import FIGURE_TINTS, DraftEngine
from storyboard.layout import paginate
from storyboard.plan import plan_panels
from storyboard.script import Story
from tests.draft.test_draft_staging import iou, pixels, tint_mask


def panel(setting: str, action: str = "it happens", **fields):
    cast = fields.pop("cast", None)
    characters = {"ada": {"name": "Ada", "description": "a girl"}} if cast else {}
    body = {"action": action, "shot": fields.pop("shot", "wide"), **fields, **({"cast": cast} if cast else {})}
    story = Story.model_validate({"title": "T", "page": {"dpi": 72}, "characters": characters,
                                  "scenes": [{"id": "s", "setting": setting, "panels": [body]}]})
    (request,) = plan_panels(story, paginate(story, max_side=512))
    return request


def test_place_words_match_whole_words_plurals_and_synonyms_only():
    assert place("a grassy hill above a small town", "five friends run up the hill") == Place(ground="hill", far="town")
    assert place("a hillside", "") == Place(ground="hill")  # a synonym in the table
    assert place("a chill wind over the townhall", "") == Place()  # no "hill" in "chill", no "town" in "townhall"
    assert place("", "rows of tomato plants") == Place(ground="garden")  # a plural read as its singular
    assert place("the vault corridor, red emergency light", "") == Place(interior="corridor")
    assert place("a lighthouse on a cliff in a storm, night", "Mara climbs the spiral stairs") == \
        Place(interior="stairs", dark=True)  # the action's place before the scene's
    assert place("the lamp room at dawn", "a gull on the railing outside the window") == Place()
    assert place("a field", "Ana waves goodbye") == Place(ground="field")  # a verb, not the sea
    assert place("a field", "the waves crash on the pier").ground == "sea"
    assert place("a rooftop", "Ana points at the sky") == Place(ground="roof", sky=True)


def test_what_the_text_negates_is_not_drawn():
    assert place("no trees, no sea, an empty desert without any forest", "") == Place()
    assert place("", "Mara stands in a room with no windows and no door") == Place(interior="room")
    assert place("not the sea but the beach", "") == Place(ground="beach")
    assert place("no trees or houses, a long road", "") == Place(ground="street")  # on through "or"
    assert place("no rain, a field", "") == Place(ground="field")  # not darkened
    assert place("a no-parking street", "") == Place(ground="street")  # "no-" is no negation
    assert prop_for("a room with no windows and a door") == "door"  # "and" ends the negation
    assert prop_for("nobody at the window") == "window"
    assert prop_for("not a tree, a bush") == "plant"
    assert size_of("a lamp, not tiny") == 1.0 and size_of("a tiny lamp") < 1
    assert camera_move("the camera does not pan left") is None and camera_move("no zoom in, it holds") is None
    assert camera_move("no cuts, the camera pans left") == "left"
    mug = pixels(panel("somewhere", "a mug", shot="close-up"))
    assert (pixels(panel("somewhere", "a mug, not steaming", shot="close-up")) == mug).all()
    assert not (pixels(panel("somewhere", "a steaming mug", shot="close-up")) == mug).all()
    open_sea = pixels(panel("the open sea", "a calm day"))
    assert (pixels(panel("the open sea, no trees", "a calm day")) == open_sea).all()


def test_every_set_is_its_own_drawing_not_the_default_backdrop():
    default = pixels(panel("somewhere"))
    drawn = {}
    for name, (_, words) in _WORDS.items():
        request = panel(f"a {words.split()[0]}")
        assert request.seed == panel("somewhere").seed
        image = pixels(request)
        changed = np.abs(image - default).max(axis=2) > 8
        assert changed.mean() > 0.02, name
        drawn[name] = image
    names = list(drawn)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert (np.abs(drawn[a] - drawn[b]).max(axis=2) > 8).mean() > 0.02, (a, b)


@pytest.mark.parametrize("angle", ["eye-level", "low", "high", "birds-eye"])
def test_a_set_follows_the_camera_and_the_same_seed_gives_the_same_bytes(angle):
    request = panel("a grassy hill above a small town", angle=angle)
    data = DraftEngine().draw(request).to_bytes()
    assert DraftEngine().draw(panel("a grassy hill above a small town", angle=angle)).to_bytes() == data
    grass = tint_mask(pixels(request), (216, 224, 198))
    rows = np.flatnonzero(grass.mean(axis=1) > 0.5)
    if angle == "birds-eye":
        assert grass.mean() > 0.6  # grass seen from above, not floor tiles
    else:  # the hill starts near the horizon, which the angle moves
        horizon = {"eye-level": 0.42, "low": 0.8, "high": 0.18}[angle]
        top = rows.min() / grass.shape[0]
        assert horizon - 0.15 < top < horizon + 0.2, (angle, top)


def test_outdoor_sets_seen_from_above_are_not_the_floor_tiles():
    tiles = pixels(panel("somewhere", angle="birds-eye"))
    assert (np.abs(pixels(panel("a room", angle="birds-eye")) - tiles).max(axis=2) > 8).mean() < 0.02  # a floor
    for name, (layer, words) in _WORDS.items():
        if layer in ("ground", "far"):
            image = pixels(panel(f"a {words.split()[0]}", angle="birds-eye"))
            assert (np.abs(image - tiles).max(axis=2) > 8).mean() > 0.1, name


def test_spiral_stairs_turn_around_a_column_unlike_a_straight_flight():
    straight = pixels(panel("a lighthouse", "Ada climbs the stairs", shot="medium"))
    spiral = pixels(panel("a lighthouse", "Ada climbs the spiral stairs", shot="medium"))
    assert (np.abs(straight - spiral).max(axis=2) > 8).mean() > 0.05
    def column(image):  # the most of any pixel column that is the column's shade
        return tint_mask(image, (196, 192, 184)).mean(axis=0).max()

    assert column(spiral) > 0.3 and column(straight) < 0.1


def test_the_cast_stand_behind_a_counter_at_their_hips():
    request = panel("a ramen stall", "Ada waits", shot="medium", cast=[{"ada": "center"}])
    image = pixels(request)
    figure = tint_mask(image, FIGURE_TINTS[0])
    fig = request.staging[0]
    hips = fig.head[1] + 3.6 * fig.head_units
    rows = np.flatnonzero(figure.any(axis=1)) / image.shape[0]
    assert rows.min() < hips - 0.1 and rows.max() < hips + 0.02  # the counter hides the legs
    plain = tint_mask(pixels(panel("somewhere", "Ada waits", shot="medium", cast=[{"ada": "center"}])), FIGURE_TINTS[0])
    assert np.flatnonzero(plain.any(axis=1)).max() / image.shape[0] > hips + 0.2


def test_a_tiny_seedling_is_a_small_green_plant_not_the_shapeless_mass():
    tiny = pixels(panel("a rooftop garden", "a tiny green seedling breaks through the soil", shot="extreme-close-up"))
    plain = pixels(panel("a rooftop garden", "a seedling breaks through the soil", shot="extreme-close-up"))
    leaves = tint_mask(tiny, LEAF)
    assert leaves.sum() > 30 and not tint_mask(tiny, FIGURE_TINTS[0]).any()
    assert leaves.sum() < 0.5 * tint_mask(plain, LEAF).sum()  # "tiny" draws it smaller


@pytest.mark.parametrize("shot", ["wide", "close-up"])
def test_every_registered_prop_has_its_own_silhouette(shot):
    first: dict[str, str] = {}
    for word, name in _PROP_OF.items():
        first.setdefault(name, word)
    assert {"door", "window", "table", "chair", "car", "lamp", "phone", "book", "cup", "sword", "umbrella",
            "bicycle", "tree", "plant", "seedling"} <= set(first)
    masks = {}
    for name, word in first.items():
        mask = tint_mask(pixels(panel("somewhere", f"the {word}", shot=shot)), PROPS[name].tint)
        assert mask.sum() > 30, name
        masks[name] = mask
    names = list(masks)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert iou(masks[a], masks[b]) < 0.6, (shot, a, b)


def test_a_word_after_a_noun_subject_is_its_verb():
    # "the engine stalls": the verb, not a market stall; the noun after an article or in a phrase.
    assert place("", "the engine stalls") == Place()
    assert place("a country lane", "the old engine stalls on the hill") == Place(ground="hill")
    assert place("", "the market stalls are closed") == Place(interior="stall")
    assert place("", "Ana buys fruit by the market stalls") == Place(interior="stall")
    assert place("", "rows of tomato plants") == Place(ground="garden")
    assert place("", "a storm, waves breaking").ground == "sea"  # a plural opening its clause
    assert place("", "Ana waves") == place("", "Ana plants seeds") == Place()
    # "the sea roars": the sea is the subject (not a modifier of "roars"), so the set it draws is
    # the shot and no stand-in mass stands in front of it; "the sea breeze" still needs one.
    for setting, action in (("a harbour", "the sea roars"), ("a beach", "the sea roars against the rocks")):
        assert shows(place(setting, action), action)
        assert not any(op.fill == FIGURE_TINTS[0] for op in DraftEngine().draw(panel(setting, action)).ops)
    assert not shows(place("a harbour", "the sea breeze stirs"), "the sea breeze stirs")
    # Props that are also verbs: a noun after an article, a verb before an object.
    assert prop_for("the plant his father gave") == "plant"
    assert prop_for("the book she wrote") == "book"
    assert prop_for("a hand plants a flag") is None and prop_for("she books a ticket") is None
    assert prop_for("Mara dials the number") is None and prop_for("the vault dial spins") == "dial"


def test_a_plural_subject_or_a_name_takes_a_verb_and_a_kind_word_a_noun():
    # drafts8's leftovers: a plural subject's base verb, an -s verb after a name opening its
    # clause, and a noun after a word saying what kind ("market stalls") or an adjective.
    assert place("", "the engines stall") == Place()
    assert place("", "the old engines stall on the hill") == Place(ground="hill")
    assert place("a quiet road", "the cars park by the house") == place("a quiet road", "the cars wait by the house")
    assert place("", "the market stalls in the square") == Place(interior="stall")
    assert place("", "the old docks").ground == "sea" and place("", "the engine stalls") == Place()
    assert prop_for("Ana plants by the house") is None and prop_for("Bo books") is None
    assert prop_for("while Bo books, Ana waits") is None
    assert prop_for("Tomato plants by the house") == "plant"  # a kind word, then the noun
    assert place("", "Fruit stalls line the street").interior == "stall"
    assert place("", "Old docks at dawn").ground == "sea"
    seq = tokens("Bo docks at the pier")
    assert verb_at(seq, 1) and not verb_at(tokens("the old docks at dawn"), 2)


def test_a_negation_covers_its_whole_noun_phrase():
    assert place("no very tall old trees", "") == Place()
    assert place("a field without any tall green trees or little houses", "") == Place(ground="field")
    assert place("no sign of the forest", "") == Place()
    assert place("not far from the sea", "") == Place(ground="sea")  # the phrase ends at the preposition
    assert place("he has no idea the forest burns", "") == Place(far="forest")  # a new phrase's article
    assert place("there isn't a tree, only a street", "") == Place(ground="street")
    assert prop_for("no big old wooden door, a lamp") == "lamp"


def test_a_size_word_scales_the_prop_it_describes_only():
    assert size_of("a tiny green seedling") == 0.5 and size_of("a big diamond kite") == 1.25
    assert size_of("a small town, a kite") == 1.0  # the town is small, not the kite
    assert size_of("the kite soars high above the hill, tiny figures below") == 1.0
    assert size_of("a huge shape looms") == 1.25  # no prop: the stand-in mass is huge
