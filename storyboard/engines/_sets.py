"""Draft sets: the place a panel happens in, drawn behind its figures from a small vocabulary.

The panel's action and its scene's setting are read for place words ("a grassy hill above a
small town", "Mara climbs the spiral stairs"): whole words only, a plural read as its
singular, synonyms through one table (`_WORDS`), so "hillside" is a hill and "chill" is not.
What the text negates ("no trees", "without a door") is not read (`affirmed`). What the
action names first says whether the panel is indoors or out (the action is the panel's own;
the setting is the scene's); then each layer takes the first word naming one:

- an interior replaces the landscape: a room (the default indoors), a kitchen, a counter or
  shop, a stall, stairs, a corridor;
- outdoors, the ground under the figures (a hill, a field of grass, a garden's rows of plants,
  a street, the sea, a beach, a roof), what stands along the horizon (a town's houses, a
  city's blocks, a forest's tree line; hills when nothing is named), and clouds for the sky.

Every set is a few pencil lines drawn at the shot's horizon (`staging.HORIZON`); where a set
meets the figures (a counter at their hips) it reads where staging put them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Each set's layer, and the words (singular) that name it. One line adds a word or a set;
# a new set also needs its drawing in `storyboard.engines.draft`.
_WORDS = {
    # interiors
    "room": ("interior", "room bedroom office interior inside indoors cabin library church cellar attic apartment "
                         "studio lab laboratory classroom restaurant cafe café lobby bank museum hospital ward"),
    "kitchen": ("interior", "kitchen"),
    "counter": ("interior", "counter bar shop store desk reception pharmacy bakery"),
    "stall": ("interior", "stall kiosk booth"),
    "stairs": ("interior", "stair stairs staircase stairway stairwell"),
    "corridor": ("interior", "corridor hallway hall passage passageway tunnel vault aisle"),
    # outdoor ground
    "hill": ("ground", "hill hillside hilltop slope knoll mound"),
    "field": ("ground", "field meadow grass lawn park pasture prairie"),
    "garden": ("ground", "garden plant allotment farm soil orchard flowerbed"),
    "street": ("ground", "street road avenue alley lane boulevard sidewalk pavement highway"),
    "sea": ("ground", "sea ocean wave harbour harbor pier quay dock port lake river bay cliff"),
    "beach": ("ground", "beach shore seaside sand coast"),
    "roof": ("ground", "roof rooftop terrace"),
    # along the horizon
    "town": ("far", "town village hamlet house suburb"),
    "city": ("far", "city skyline downtown building tower skyscraper block"),
    "forest": ("far", "forest wood woods tree jungle grove"),
    # the sky
    "sky": ("sky", "sky cloud cloudy"),
}
_SET_OF = {word: name for name, (_, words) in _WORDS.items() for word in words.split()}
LAYER = {name: layer for name, (layer, _) in _WORDS.items()}
DARK = frozenset("night storm stormy dark midnight dusk rain rainy".split())  # a darker wash
# A moon and stars in the sky outdoors: night or the moon named, unless weather hides them.
_NIGHT = frozenset("night midnight moon moonlight moonlit star starry starlight nighttime".split())
_HIDDEN = frozenset("storm stormy rain rainy cloudy overcast fog foggy mist misty snow snowy".split())
# Words that say how the action's subject looks or how it is shot, not what it is ("WIDE on
# the empty beach", "the quiet harbour"): passed over when looking for that subject.
_NOT_SUBJECT = frozenset("wide shot close closeup establishing medium extreme angle view cut int ext day "
                         "camera crane cranes pan pans zoom zooms tilt tilts dolly dollies track tracks push pushes "
                         "pull pulls boom booms up down left right out back forward away "
                         "empty quiet calm still lonely deserted busy old new little tiny small big large huge "
                         "long tall high low far distant same whole single".split())
_OUTSIDE = frozenset("outside outdoors".split())  # "on the railing outside the window": not a room
# Place words that are also everyday verbs ("Ana waves", "the engine stalls", "he plants a
# flag"): in an action they name a place only just after an article or a preposition, or one
# word after it ("by a tomato plant", "rows of tomato plants"). A setting names places only.
_ALSO_VERBS = frozenset("wave plant park block field bar store shop dock house tower stall counter crop bank room "
                        "lane port building slope mound desk hall passage roof".split())
_BEFORE = frozenset("the a an of on in at by to into onto over under above below behind across through along "
                    "from near beside inside his her their its our my your this that these those some".split())
_WORD = re.compile(r"[a-zé]+")
_LINKS = _BEFORE | frozenset("between among around against beyond past toward towards within with and or where "
                                   "when while as".split())
# What the text says is not there ("no trees", "without a door", "not the sea"): a negation and
# up to three words after it in the same clause, on through "or"/"nor" ("no trees or houses"),
# never past "and", "but" or "with" ("no windows and a door" still names the door).
_NEGATED = re.compile(r"\b(?:no|not|without|never|nor)(?:\s+(?!(?:and|but|with|while|then)\b)[\w'’-]+){1,3}"
                      r"(?:\s+(?:or|nor)(?:\s+(?!(?:and|but|with|while|then)\b)[\w'’-]+){1,2})*", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """What a panel's backdrop shows: at most one set per layer (None: not named)."""

    interior: str | None = None
    ground: str | None = None
    far: str | None = None
    sky: bool = False
    dark: bool = False
    moon: bool = False  # a moon and a few stars in the sky (outdoors only)


def affirmed(text: str) -> str:
    """`text` without what it negates: "a room with no windows, a door" -> "a room with , a door"."""
    return _NEGATED.sub(" ", text)


def words(text: str) -> list[str]:
    """The words of `text`, lower case, each as the singular the tables list where it is a
    plural of one ("plants" -> "plant", "stories" -> "story", "benches" -> "bench")."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word not in _SET_OF and len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            for stem in (word[:-3] + "y", word[:-2], word[:-1]) if word.endswith(("ies", "es")) else (word[:-1],):
                if stem in _SET_OF:
                    word = stem
                    break
            else:
                word = word[:-1]
        out.append(word)
    return out


def named(text: str, *, action: bool = False) -> list[str]:
    """The sets `text` names, in the order it names them (each once); in an `action`, a word
    in `_ALSO_VERBS` counts only after an article or preposition (or one word after it)."""
    found: list[str] = []
    seq = words(text)
    for i, word in enumerate(seq):
        name = _SET_OF.get(word)
        if name is None or name in found:
            continue
        if action and word in _ALSO_VERBS and not _BEFORE & set(seq[max(0, i - 2):i]):
            continue
        found.append(name)
    return found


@lru_cache(maxsize=512)
def place(setting: str, action: str) -> Place:
    """The backdrop of a panel whose scene is `setting` and whose action is `action` (what
    either negates is not drawn: `affirmed`)."""
    setting, action = affirmed(setting), affirmed(action)
    in_action, in_setting = named(action, action=True), named(setting)
    both = in_action + [name for name in in_setting if name not in in_action]
    outside = bool(_OUTSIDE & set(words(action)))
    places = [name for name in both if LAYER[name] != "sky" and not (outside and LAYER[name] == "interior")]
    dark = bool(DARK & set(words(setting)))
    sky = "sky" in both
    if places and LAYER[places[0]] == "interior":
        return Place(interior=places[0], dark=dark)
    first = {layer: next((n for n in places if LAYER[n] == layer), None) for layer in ("ground", "far")}
    said = set(words(f"{setting} {action}"))
    moon = bool(_NIGHT & said) and not _HIDDEN & said
    return Place(ground=first["ground"], far=first["far"], sky=sky, dark=dark, moon=moon)


def shows(place: Place, action: str) -> bool:
    """Whether the set `place` draws is what the action is about ("waves roll onto the sandy
    shore", "WIDE on the empty beach. Waves.", "the moon over the sea"), so that a panel
    without cast needs nothing else at its focal point. The subject is the first word that
    is not an article, a preposition, a shot word or a word describing it (`_NOT_SUBJECT`, or
    one ending in -y, -ed or -ing before another word); a singular set word before another
    word names what follows ("the vault dial": the dial)."""
    drawn = {place.interior, place.ground, place.far} - {None}
    if place.ground == "beach":
        drawn.add("sea")  # a beach draws the waves beyond the sand
    if place.sky:
        drawn.add("sky")
    seq = words(affirmed(action))
    for i, word in enumerate(seq):
        if word in _LINKS:
            continue
        after = seq[i + 1] if i + 1 < len(seq) and seq[i + 1] not in _LINKS else None
        if word in _NOT_SUBJECT or (after and word not in _SET_OF and word.endswith(("y", "ed", "ing"))):
            continue
        if word in _NIGHT:
            return place.moon
        name = _SET_OF.get(word)
        if name is None:
            return False
        if after is not None and after not in _SET_OF and not _plural(action, word):
            continue  # a set word naming what follows it: "the vault dial", "a beach ball"
        return name in drawn
    return False


def _plural(text: str, word: str) -> bool:
    """Whether `word` (as `words` gives it) stands in `text` as a plural ("waves")."""
    return re.search(rf"\b{re.escape(word)}(?:e?s)\b", text, re.IGNORECASE) is not None
