"""Staging: where each cast member of a panel stands, as one answer for every later stage.

`stage_panel(story, panel, aspect)` turns the panel's shot, angle, cast positions/boxes and
poses (a member's `pose`, else the one the action gives it) into one `StagedFigure` per cast member: the visible body box, the head box, the face
band (eyes to mouth) and the mouth point, all in panel fractions (x right, y down, 0..1).
The draft engine draws figures from it, lettering avoids faces and points tails at mouths,
and region masks cover the body box. It is pure and deterministic, and draws nothing.

Sizes are worked out in *height units* (the panel is `aspect` units wide and 1 unit tall) so
that a head stays round on any panel shape; boxes are converted to fractions at the end.
A human figure is 7.5 heads tall, a head 0.78 heads wide (the draft engine's proportions).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from storyboard.layout import cast_boxes

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in panel fractions, y down, 0..1

FIGURE_KINDS = ("human", "animal", "bird", "robot", "creature", "object", "vehicle", "crowd")
POSES = ("standing", "walking", "running", "sitting", "kneeling", "lying", "pointing")

# Head height, in panel heights, for each shot (a standing human is 7.5 heads tall).
HEAD_SCALE = {
    "establishing": 0.022,
    "wide": 0.066,
    "medium": 0.2,
    "over-shoulder": 0.17,
    "close-up": 0.42,
    "extreme-close-up": 1.1,
}
FULL_BODY_SHOTS = ("establishing", "wide")
CLOSE_SHOTS = ("close-up", "extreme-close-up")  # the head fills the shot (an animal's too)
LOW_KINDS = ("animal", "vehicle", "object")  # figures far shorter than a person, standing on the ground
UPRIGHT_KINDS = ("human", "robot", "creature")  # stand about as tall as a person
LOW_POSES = ("sitting", "kneeling", "lying")
HEAD_WIDTH = 0.78  # head width / head height
# How much of the figure's height shows below the neck, by camera angle (foreshortening).
STRETCH = {"low": 1.1, "high": 0.82, "birds-eye": 0.8}
# Horizon height by camera angle (panel heights from the top), as the draft engine draws it.
HORIZON = {"eye-level": 0.42, "low": 0.8, "high": 0.18, "dutch": 0.42}
# A dutch angle turns the whole sketch by this many degrees at least, at most, either way.
DUTCH_TILT = (9.0, 15.0)
# Eye-to-eye gap kept between neighbouring heads, in head widths.
HEAD_GAP = 0.15

# Free-text pose words -> normalised pose (first match wins; default 'standing'); Japanese
# verb stems after the English words (a manga script's poses: 座っている, 歩く, 走り出す).
_POSE_WORDS = tuple((pose, re.compile(pattern)) for pose, pattern in (
    ("lying", r"\b(lie|lies|lying|lay|lays|laying|asleep|sleep|sleeping|prone|sprawl\w*|collaps\w*)\b"
              r"|寝|横たわ|横にな|倒れ"),
    ("sitting", r"\b(sit|sits|sitting|sat|seated|perched|crouch\w*|squat\w*)\b|座|腰掛|腰か|しゃが"),
    ("kneeling", r"\b(kneel\w*|knelt)\b|ひざまず|跪|膝をつ|ひざをつ"),
    ("running", r"\b(run|runs|running|ran|sprint\w*|dash\w*|chas\w*|flee\w*|leap\w*|jump\w*)\b"
                r"|走|駆け|逃げ|跳"),
    ("walking", r"\b(walk|walks|walking|walked|stroll\w*|strid\w*|strode|march\w*|wander\w*|pace|paces|pacing|"
                r"paced|step|steps|stepping|stepped|hik\w*|trudg\w*|amble\w*|ambling|limp\w*|tiptoe\w*)\b"
                r"|歩|散歩"),
    ("pointing", r"\b(point|points|pointing|pointed|gestur\w*|wav\w*)\b|指さ|指差|手を振"),
))
# A writer's words for the kinds (`figure: dog` is refused with the kind it means).
KIND_WORDS = {k: k for k in FIGURE_KINDS} | {"person": "human", "people": "crowd", "group": "crowd",
                                               "car": "vehicle", "ship": "vehicle", "boat": "vehicle",
                                               "dog": "animal", "cat": "animal", "horse": "animal",
                                               "android": "robot", "droid": "robot", "cyborg": "robot",
                                               "monster": "creature", "dragon": "creature", "alien": "creature",
                                               "truck": "vehicle", "train": "vehicle", "plane": "vehicle"}


@dataclass(frozen=True)
class StagedFigure:
    """One cast member's figure in a panel. Every box is (x0, y0, x1, y1) in panel
    fractions, y down, clipped to the panel (a close-up head may be cut by the frame)."""

    id: str  # the cast member's character id
    kind: str  # 'human' | 'animal' | 'bird' | 'robot' | 'creature' | 'object' | 'vehicle' | 'crowd'
    pose: str  # normalised: 'standing' | 'sitting' | 'walking' | 'running' | 'lying' | 'pointing' | 'kneeling'
    body: Box  # the whole visible figure
    head: Box  # the head (a crowd: the band of heads; an object: its top)
    mouth: tuple[float, float]  # where a tail points
    face: Box = (0.0, 0.0, 0.0, 0.0)  # eyes-to-mouth band that lettering never covers; empty when
    # the figure shows no face (its back to the camera, an object)
    facing: int = 1  # +1 looks right, -1 looks left
    head_units: float = 0.0  # head height in panel heights (what the draft engine scales by)
    foreground: bool = False  # the near figure of an over-the-shoulder shot: the back of its head
    # and shoulder, cut by the frame (it shows no face, but its head is the biggest shape in the
    # panel: lettering keeps off it as off a face wherever there is room)

    @property
    def shows_face(self) -> bool:
        return self.face[2] > self.face[0] and self.face[3] > self.face[1]


# Words that say a figure stands (the default): a pose of these is drawn as it reads.
_STANDING = re.compile(r"\b(stand|stands|standing|stood|upright|still|idle|waits?|waiting)\b|立")


def normalise_pose(text: str | None) -> str:
    """The pose word a free-text cast `pose` ('sitting on a crate', 'arms crossed') stands for."""
    return read_pose(text) or "standing"


def read_pose(text: str | None) -> str | None:
    """The pose (one of `POSES`) `text` names: 'walking to school' -> 'walking', '' or 'stands
    still' -> 'standing'; None when it names none ('arms crossed': staging stands it up)."""
    words = (text or "").lower()
    for pose, pattern in _POSE_WORDS if words else ():
        if pattern.search(words):
            return pose
    return "standing" if not words.strip() or _STANDING.search(words) else None


# Where a clause of an action ends: what follows has a subject of its own.
_CLAUSE_ENDS = frozenset("while whilst as but when then before after because until so though although "
                         "meanwhile whereas who which".split())
# A word of an action or a name, hyphened parts kept together ('Jean-Luc', an id 'mary-ann').
_NAME_WORD = r"[\w'&]+(?:-[\w'&]+)*"
# A subject that stands for the whole cast ('everyone sits', 'the five friends run').
_GROUP = frozenset("everyone everybody they all".split())
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5}
# Words a subject naming cast members may hold besides their names ('Ife and Dele both sit').
# ('Leo is sitting', 'Ana and Bo are walking': the verb's helpers too.)
_SUBJECT_FILLER = frozenset("and & both the a an also all together now still just again is are was were".split())


# Verbs that show a face: the expression a close shot draws and a prompt names.
_EXPRESSION_WORDS = tuple((mood, re.compile(pattern)) for mood, pattern in (
    ("laughing", r"laugh\w*|giggl\w*|chuckl\w*"),
    ("smiling", r"smile|smiles|smiling|smiled|beam|beams|beaming|beamed"),
    ("grinning", r"grin|grins|grinning|grinned"),
    ("frowning", r"frown\w*"),
    ("crying", r"cry|cries|crying|cried|weep|weeps|weeping|wept|sob|sobs|sobbing|sobbed"),
    ("shouting", r"shout\w*|yell\w*|scream\w*"),
    ("surprised", r"gasp\w*"),
    ("angry", r"scowl\w*|glare|glares|glaring|glared|snarl\w*"),
    ("tired", r"sigh|sighs|sighing|sighed|yawn\w*"),
))
_ANY_VERB = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in (*_POSE_WORDS, *_EXPRESSION_WORDS)))
# 'Cy looks doubtful': a mood word after one of these verbs is the subject's expression.
_SEEMS = frozenset("looks look looking looked seems seem seemed appears appear appeared grows grow grew "
                   "turns turn turned stays stay stayed is are was were".split())
_MOODS = frozenset("happy sad angry worried afraid scared frightened surprised shocked tired exhausted determined "
                   "doubtful nervous confused furious calm relieved guilty suspicious proud embarrassed bored "
                   "thoughtful amused annoyed excited puzzled anxious hopeful grim stern panicked sheepish "
                   "delighted horrified terrified upset pleased".split())


def read_action(action: str | None, names: dict[str, tuple[str, ...]],
                nouns: dict[str, frozenset[str]] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """What a panel's action says of the cast members it makes the subject of a verb: their
    poses (as `read_pose` reads the verb) and their expressions, each {cast id: word}.
    'Ife and Dele sit on crates' -> both 'sitting'; 'Ada points at the door while Cy looks
    doubtful' -> Ada 'pointing', Cy 'doubtful'; 'Mara runs and Leo laughs' -> Mara 'running',
    Leo 'laughing'. `names`: cast id -> the lower-case words naming it (`cast_names`). The
    subject is the words right before the verb, names joined by 'and' or commas (adverbs in
    -ly and a few fillers allowed), and it must start a clause (the action's start, after a
    mark, 'while', 'as'..., or after the previous such verb, whose subject a verb after it
    with none of its own shares: 'Ife sits and laughs'): in 'Leo helps Mara sit' nobody sits.
    A subject naming nobody that stands for the whole cast ('everyone', 'they', 'all', 'the
    five friends' of five) gives every member the verb; one that names what some members are
    (`nouns`, from `cast_nouns`: 'the kids run past Cy' of two kids and Cy) gives it to them
    (`_described`). English only; a member no verb names is left out."""
    tokens = re.findall(rf"{_NAME_WORD}|[^\w\s]", (action or "").lower())
    known = {word for words in names.values() for word in words}
    described = set().union(*nouns.values()) if nouns else set()  # words a subject describing members may hold
    reads = [_read_verb(tokens, i) for i in range(len(tokens))]
    # a verb's own words ('looks doubtful'), which end the subject of the next as the verb does
    verb = [read is not None or (i > 0 and reads[i - 1] is not None and reads[i - 1][2] > 1)
            for i, read in enumerate(reads)]
    poses: dict[str, str] = {}
    moods: dict[str, str] = {}
    last: list[str] = []  # the subject of the verb before
    for i, read in enumerate(reads):
        if read is None:
            continue
        k = i
        while k and not verb[k - 1] and (tokens[k - 1] in known or tokens[k - 1] in _SUBJECT_FILLER
                                         or tokens[k - 1] in _GROUP or tokens[k - 1] in _COUNTS
                                         or (k > 1 and tokens[k - 2] in _COUNTS)  # 'five friends'
                                         or _singular_noun(tokens[k - 1]) in described
                                         or tokens[k - 1] == "," or tokens[k - 1].endswith("ly")):
            k -= 1
        while k < i and tokens[k] == ",":  # a comma no name stands before lists nobody: the clause starts after it
            k += 1  # ('Kettle runs down the alley, Ines running after him')
        if k and not verb[k - 1] and tokens[k - 1] not in _CLAUSE_ENDS and tokens[k - 1][0].isalnum():
            continue  # the words before it are no subject of their own clause ('Leo helps Mara sit')
        subject = tokens[k:i]
        if k and verb[k - 1] and not any(w in known for w in subject):
            subject = last  # 'Ife sits and laughs': the verbs share their subject
        last = subject
        kind, word, _ = read
        found = poses if kind == "pose" else moods
        named = [member for member, words in names.items() if _names(subject, words)]
        if not named and _whole_cast(subject, len(names)):
            named = list(names)
        elif not named and nouns:
            named = _described(subject, nouns)
        for member in named:
            found.setdefault(member, word)
    return poses, moods


def _whole_cast(subject: list[str], size: int) -> bool:
    """Whether a subject naming nobody stands for the whole cast: 'everyone', 'they', 'all',
    or as many as the cast ('the five friends' of five)."""
    return any(w in _GROUP for w in subject) or any(_COUNTS.get(w) == size for w in subject)


# A description's words that describe nobody ('a kid in a cap': kid, cap).
_NOT_NOUNS = _SUBJECT_FILLER | frozenset("of in on at by to for from with without or but his her their its our my "
                                         "your who that which has have had wearing holding".split())
# Words for children that each stand for the others ('the kids' of a boy and a girl).
_CHILD = frozenset("kid child boy girl teen teenager youngster".split())
_PLURALS = {"children": "child", "men": "man", "women": "woman", "people": "person", "mice": "mouse",
            "geese": "goose", "feet": "foot", "teeth": "tooth", "wolves": "wolf", "calves": "calf"}


def _singular_noun(word: str) -> str:
    """`word` as a singular noun: 'kids' -> 'kid', 'puppies' -> 'puppy', 'children' -> 'child'."""
    if word in _PLURALS:
        return _PLURALS[word]
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _described(subject: list[str], nouns: dict[str, frozenset[str]]) -> list[str]:
    """The members a subject naming nobody describes: each of its phrases (split at 'and' and
    commas) by its last word, its head noun: a plural gives every member whose nouns hold its
    singular ('the kids' -> the two kids), a singular the one member that holds it ('the girl');
    a count that is not how many it finds ('the two kids' of three), or a singular that fits
    several, gives nobody."""
    found: list[str] = []
    phrases = " ".join(subject).replace(",", " and ").split(" and ")
    every = set().union(*nouns.values())
    for phrase in (p.split() for p in phrases):
        # its words but fillers and adverbs ('the kids both', 'the kids slowly')
        content = [w for w in phrase if w not in _SUBJECT_FILLER and w not in _COUNTS
                   and not (w.endswith("ly") and _singular_noun(w) not in every)]
        if not content:
            continue
        head = content[-1]
        noun = _singular_noun(head)
        members = [member for member, words in nouns.items() if noun in words]
        count = next((_COUNTS[w] for w in phrase if w in _COUNTS), None)
        if not members or (count is not None and count != len(members)) or (noun == head and len(members) > 1):
            return []
        found += [member for member in members if member not in found]
    return found


def cast_nouns(story: Any, panel: Any) -> dict[str, frozenset[str]]:
    """Each cast member's words for a subject that describes members rather than naming them
    ('the kids run past Cy'): its character's description words (singular) and figure kind,
    'kid' and 'child' for any child, 'cat' for a cat."""
    characters = getattr(story, "characters", {}) or {}
    return {entry.id: _nouns(str(getattr(characters.get(entry.id), "description", "") or ""),
                             figure_kind(characters.get(entry.id))) for entry in panel.cast}


@lru_cache(maxsize=256)
def _nouns(description: str, kind: str) -> frozenset[str]:
    words = {_singular_noun(word) for word in re.findall(r"[a-z]+", f"{description} {kind}".lower())
             if word not in _NOT_NOUNS}
    if words & _CHILD:
        words |= {"kid", "child"}
    if kind == "animal" and species("", description) == "cat":
        words.add("cat")
    return frozenset(words)


# Words that make an animal a cat (`species`): the first of these or `_DOG_WORDS` in its name and
# description decides ("a dog that chases cats" stays a dog); Japanese ones anywhere in the text.
_CAT_WORDS = frozenset("cat cats kitten kittens kitty tabby tomcat moggy moggie puss pussycat".split())
_DOG_WORDS = frozenset("dog dogs puppy pup hound wolf fox terrier spaniel collie retriever".split())
_CAT_JA = re.compile("猫|ねこ|ネコ")


def species(name: str, description: str) -> str:
    """'cat' when an animal's name or description says it is one ('a ginger tabby', 'ネコ'),
    else '' (the draft's quadruped: a dog's outline)."""
    text = f"{name} {description}"
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _CAT_WORDS:
            return "cat"
        if word in _DOG_WORDS:
            return ""
    return "cat" if _CAT_JA.search(text) else ""


def action_poses(action: str | None, names: dict[str, tuple[str, ...]],
                 nouns: dict[str, frozenset[str]] | None = None) -> dict[str, str]:
    """The poses of `read_action`."""
    return read_action(action, names, nouns)[0]


def mentions(text: str | None, names: dict[str, tuple[str, ...]]) -> list[tuple[int, str]]:
    """Where `text` names a cast member, as `read_action` reads names (the id or the whole
    display name, hyphened names whole): (character offset, cast id) in text order. The one
    reading of who is named, for the draft's held props and kite too."""
    spans = [(m.start(), m.group(0)) for m in re.finditer(_NAME_WORD, (text or "").lower())]
    words = [word for _, word in spans]
    found, k = [], 0
    while k < len(spans):
        length = 1
        for member, naming in names.items():
            name = list(naming[1:])
            if name and words[k:k + len(name)] == name:
                length = len(name)  # the whole name, once ('Grandpa Joe')
            elif words[k] != naming[0]:
                continue
            found.append((spans[k][0], member))
            break
        k += length
    return found


def _read_verb(tokens: list[str], i: int) -> tuple[str, str, int] | None:
    """('pose', pose, 1) or ('expression', mood, words) for the verb at `tokens[i]` ('looks
    doubtful' is 2 words); None for any other word."""
    token = tokens[i]
    if _ANY_VERB.fullmatch(token):  # (most words match none: one match for them, not fifteen)
        pose = next((pose for pose, pattern in _POSE_WORDS if pattern.fullmatch(token)), None)
        if pose is not None:
            return "pose", pose, 1
        return "expression", next(mood for mood, pattern in _EXPRESSION_WORDS if pattern.fullmatch(token)), 1
    if token in _SEEMS and i + 1 < len(tokens) and tokens[i + 1] in _MOODS:
        return "expression", tokens[i + 1], 2
    return None


def _names(subject: list[str], words: tuple[str, ...]) -> bool:
    """Whether `subject` holds the id (words[0]) or the whole display name (the rest, in order)."""
    if words[0] in subject:
        return True
    name = list(words[1:])
    return bool(name) and any(subject[k:k + len(name)] == name for k in range(len(subject) - len(name) + 1))


def cast_names(story: Any, panel: Any) -> dict[str, tuple[str, ...]]:
    """Each cast member's naming words for `read_action`: its id, then its display name's words."""
    characters = getattr(story, "characters", {}) or {}
    return {entry.id: naming_words(entry.id, str(getattr(characters.get(entry.id), "name", "") or ""))
            for entry in panel.cast}


def naming_words(cid: str, name: str) -> tuple[str, ...]:
    """The words naming a member (`cast_names`): its id, then its display name's words."""
    return (cid.lower(), *re.findall(_NAME_WORD, name.lower()))


def figure_kind(character: Any) -> str:
    """The character's figure kind (`figure:` in the script), 'human' when absent or unknown."""
    value = str(getattr(character, "figure", None) or "human").lower()
    return KIND_WORDS.get(value, "human")


# A description's size words, as a multiple of the kind's usual size ("a small round delivery
# robot", "a giant crab"). A person's are not read: "a small boy" is a child, drawn as a person.
# A size word before a part ("a robot with big eyes", "short legs") sizes the part, not the figure.
_PARTS = (r"(?!\s+(?:eyes?|ears?|heads?|hands?|feet|foot|legs?|arms?|wheels?|paws?|claws?|teeth|tooth|"
          r"nose|tail|wings?|horns?|antennae?|screens?|mouth|beak)\b)")
_SIZE_WORDS = tuple((scale, re.compile(pattern + _PARTS)) for scale, pattern in (
    (0.4, r"\b(tiny|miniature|mini|pocket-sized|palm-sized|toy)\b"),
    (0.55, r"\b(small|little|short|compact|knee-high)\b"),
    (1.6, r"\b(huge|giant|gigantic|enormous|towering|massive|colossal)\b"),
    (1.25, r"\b(big|large|tall|hulking)\b"),
))


def size_scale(character: Any) -> float:
    """How much bigger or smaller than its kind's usual size (a robot a man's height, a dog a
    dog's) the character's description says it is: 'a small round delivery robot' -> 0.55,
    'a tiny drone' -> 0.4, 'a huge crab' -> 1.6; 1.0 for a person, or when it names no size."""
    if figure_kind(character) == "human":
        return 1.0
    text = str(getattr(character, "description", "") or "").lower()
    return next((scale for scale, pattern in _SIZE_WORDS if pattern.search(text)), 1.0)


def stage_panel(story: Any, panel: Any, aspect: float,
                frame: Box = (0.0, 0.0, 1.0, 1.0)) -> tuple[StagedFigure, ...]:
    """One figure per cast member, in cast order; aspect = art width / height. Pure, deterministic.

    `frame` is the panel frame inside the art (`PanelSlot.frame_in_art`; the art may bleed
    past it): cast positions are read inside the frame, so nobody stands in the bleed, and
    every box comes back in fractions of the whole art. Named positions never put two heads over each other at eye level: members sharing (or
    nearly sharing) a column are spread across it, and a head is never wider than the room
    between its neighbours' centres. Raises ValueError for a non-positive aspect."""
    if not aspect > 0:
        raise ValueError(f"panel aspect must be positive, got {aspect!r}")
    cast = list(panel.cast)
    if not cast:
        return ()
    fx0, fy0, fx1, fy1 = frame
    spread = _spread_shared_columns(cast_regions(story, panel))
    boxes = [(fx0 + b[0] * (fx1 - fx0), fy0 + b[1] * (fy1 - fy0), fx0 + b[2] * (fx1 - fx0), fy0 + b[3] * (fy1 - fy0))
             for b in spread]
    # A figure standing on the frame's bottom edge runs on to the art's (into the bleed of a
    # panel printed to the page edge) instead of ending in a cut across its body there.
    floors = [1.0 if b[3] >= 1.0 else box[3] for b, box in zip(spread, boxes)]
    characters = getattr(story, "characters", {}) or {}
    centres = [(b[0] + b[2]) / 2 for b in boxes]
    # A member the script gives no pose takes the one the action gives it ('Ife kneels by the plant').
    told = action_poses(getattr(panel, "action", ""), cast_names(story, panel), cast_nouns(story, panel))
    kinds = [figure_kind(characters.get(entry.id)) for entry in cast]
    poses = [normalise_pose(entry.pose) if (getattr(entry, "pose", "") or "").strip()
             else told.get(entry.id, "standing") for entry in cast]
    out, scales = [], []
    for index, (entry, box, floor) in enumerate(zip(cast, boxes, floors)):
        kind, pose = kinds[index], poses[index]
        room = _room(index, boxes, centres) * aspect  # in height units
        # Over the shoulder: the first member's back in the near foreground, the others beyond;
        # alone, a person (robot, creature) looks over the set, a lower kind is seen as in a medium shot.
        foreground = panel.shot == "over-shoulder" and index == 0 and (len(cast) > 1 or kind in UPRIGHT_KINDS)
        # Someone standing in the shot: a seated member's head is as much lower as its pose is shorter.
        beside = any(kinds[j] in UPRIGHT_KINDS and poses[j] not in LOW_POSES for j in range(len(cast)) if j != index)
        # Its size: against the set in a wide shot; a nearer shot frames a member alone at any size.
        scale = size_scale(characters.get(entry.id)) if len(cast) > 1 or panel.shot in FULL_BODY_SHOTS else 1.0
        scales.append(scale)
        out.append(_stage(entry.id, kind, pose, box, room, panel.shot, panel.angle, aspect, foreground, floor,
                          beside, scale))
    if panel.shot == "medium" and panel.angle != "birds-eye":
        out = _cut_at_thighs(out, [b[3] for b in boxes], scales)
    return tuple(out)


def _cut_at_thighs(figures: list[StagedFigure], bottoms: list[float], scales: list[float]) -> list[StagedFigure]:
    """A medium shot whose standing people their boxes make small (three in a narrow panel)
    showed them whole, feet and all, as a wide shot does: the camera drops to cut them at the thighs
    (5 heads below the head's top), the same for all, so that they keep their heights against
    each other. Only for two or more, each under half the shot's head size, one seen whole (one
    figure a position box makes small is the writer's choice)."""
    standing = [i for i, fig in enumerate(figures)
                if fig.kind in UPRIGHT_KINDS and fig.pose not in LOW_POSES and not fig.foreground and scales[i] >= 1.0]
    if len(standing) < 2 or any(figures[i].head_units >= 0.5 * HEAD_SCALE["medium"] for i in standing):
        return figures
    if not any(figures[i].head[1] + _height_in_heads(figures[i].kind, figures[i].pose) * figures[i].head_units
               <= bottoms[i] + 0.6 * figures[i].head_units for i in standing):  # (cut at the ankles: still whole)
        return figures  # their feet are out of the frame already (behind a counter, cut by it)
    drop = min(bottoms[i] - 5.0 * figures[i].head_units - figures[i].head[1] for i in standing)
    if drop <= 0:
        return figures
    out = list(figures)
    for i in standing:
        fig = out[i]

        def down(box: Box) -> Box:
            return (box[0], min(box[1] + drop, 1.0), box[2], min(box[3] + drop, 1.0))

        face = down(fig.face) if fig.shows_face else fig.face
        out[i] = replace(fig, body=(fig.body[0], min(fig.body[1] + drop, 1.0), fig.body[2], fig.body[3]),
                         head=down(fig.head), face=face, mouth=(fig.mouth[0], min(fig.mouth[1] + drop, 1.0)))
    return out


def cast_regions(story: Any, panel: Any) -> list[Box]:
    """`layout.cast_boxes` of `panel` as `story` reads: unplaced cast stand from the right on a
    right-to-left page. The one answer for where the cast stand, read by staging and by the
    plan's regions."""
    return cast_boxes(panel, getattr(getattr(story, "page", None), "reading", "ltr") == "rtl")


def _spread_shared_columns(boxes: list[Box]) -> list[Box]:
    """Members whose columns nearly coincide (two at 'center', or an unplaced member on a named
    spot) and stand at the same height split the union of their columns side by side."""
    boxes = list(boxes)
    n = len(boxes)
    groups: list[list[int]] = []
    for i in range(n):
        for group in groups:
            j = group[0]
            close = abs((boxes[i][0] + boxes[i][2]) - (boxes[j][0] + boxes[j][2])) / 2 < 0.06
            level = min(boxes[i][3], boxes[j][3]) - max(boxes[i][1], boxes[j][1]) > 0
            if close and level:
                group.append(i)
                break
        else:
            groups.append([i])
    for group in groups:
        if len(group) < 2:
            continue
        x0 = min(boxes[i][0] for i in group)
        x1 = max(boxes[i][2] for i in group)
        step = (x1 - x0) / len(group)
        for k, i in enumerate(group):
            boxes[i] = (x0 + k * step, boxes[i][1], x0 + (k + 1) * step, boxes[i][3])
    return boxes


def _room(index: int, boxes: list[Box], centres: list[float]) -> float:
    """Horizontal room (panel fractions) for this member's head: the distance to the nearest
    neighbour standing at the same height, or the whole panel when alone."""
    own = boxes[index]
    room = 1.0
    for j, other in enumerate(boxes):
        if j == index:
            continue
        if min(own[3], other[3]) - max(own[1], other[1]) <= 0.25 * min(own[3] - own[1], other[3] - other[1]):
            continue  # one above the other (a balcony, a stair): not side by side
        room = min(room, abs(centres[index] - centres[j]))
    return room


def _stage(cid: str, kind: str, pose: str, box: Box, room: float, shot: str, angle: str,
           aspect: float, foreground: bool, floor: float, beside_standing: bool, scale: float = 1.0) -> StagedFigure:
    """One figure; `floor`: where a figure cut by the bottom of the frame ends (the box's
    bottom, or the art's where the art runs past the frame); `beside_standing`: someone
    in the panel stands (a seated figure's head then sits lower than theirs in a nearer shot);
    `scale`: its size against its kind's usual one (`size_scale`), standing on the same ground."""
    x0, y0, x1, y1 = (min(max(float(v), 0.0), 1.0) for v in box)
    bx0, bx1 = x0 * aspect, x1 * aspect  # the box in height units
    box_w, box_h = bx1 - bx0, y1 - y0
    cx = (bx0 + bx1) / 2
    centre_fraction = (x0 + x1) / 2
    facing = 1 if centre_fraction < 0.5 else -1
    stretch = STRETCH.get(angle, 1.0)
    full_body = shot in FULL_BODY_SHOTS or angle == "birds-eye"

    u = HEAD_SCALE[shot]
    if foreground:
        u = 0.42
    # The figure fills its box as the shot implies: shoulders (about 2.4 head widths) across
    # the box in a medium shot, the face across it in a close-up, the whole figure in it on a
    # wide shot. Neighbours' heads never meet: the room between centres caps the head width.
    # From above a figure is drawn as its head and shoulders whatever its pose: sized as one standing.
    sized = pose if angle != "birds-eye" else "standing"
    widths = _width_in_heads(kind, sized, shot)
    if not foreground:
        u = min(u, box_w / widths)
        u = min(u, room / (HEAD_WIDTH * (1 + HEAD_GAP)))
    heights = _height_in_heads(kind, sized) * (stretch if angle != "birds-eye" else 1.0)
    if full_body:
        u = min(u, 0.95 * box_h / heights)
    elif shot == "medium" or shot == "over-shoulder":
        u = min(u, box_h / 2.2)  # head and shoulders at least
    elif shot == "close-up":
        u = min(u, box_h / 1.3)
    u = max(u, 0.004)
    # A nearer shot shows a small figure lower in the frame (its feet stay where its kind's
    # would be) and a big one no bigger: the camera frames the people.
    shrink = 1.0 if foreground or shot == "extreme-close-up" or angle == "birds-eye" else \
        min(scale, 1.0) if not full_body else scale
    if full_body:
        u = min(u * shrink, 0.95 * box_h / heights)

    if foreground:  # over the shoulder: the near figure's back, cut by the frame
        cx = cx - 0.12 * aspect if centre_fraction < 0.5 else cx + 0.12 * aspect
        facing = -facing
    if angle == "birds-eye":
        return _from_above(cid, kind, pose, cx, (y0 + y1) / 2, u, aspect, facing)

    # Vertical placement: small full figures stand near the bottom of their box; nearer
    # shots put the head top just under the box top (a low camera a little higher, a high
    # camera a little lower in the frame), the body running out of the panel.
    if full_body:
        # The camera's height sets where the horizon crosses the figure: at the eyes at eye
        # level, about the knees from a low camera, above the head from a high one.
        horizon = HORIZON.get(angle, 0.42)

        def head_top(v: float) -> float:
            return {"low": horizon - 5.5 * v * stretch, "high": horizon + 0.6 * v}.get(angle, horizon - 0.45 * v)

        top = head_top(u)
        if kind != "bird":  # (a bird may fly or perch)
            # Standing on the ground a person standing in this box would stand on (where the
            # horizon crosses them, their feet are): a dog, a car or someone sitting is
            # shorter, not lifted to a person's eye height, floating level with the horizon.
            person = min(HEAD_SCALE[shot], box_w / 2.4, room / (HEAD_WIDTH * (1 + HEAD_GAP)),
                         0.95 * box_h / (7.5 * stretch))
            top = head_top(person) + 7.5 * stretch * person - heights * u
        top = min(max(top, y0 + 0.02 * box_h), y1 - 0.03 * box_h - heights * u)
    elif shot == "extreme-close-up":
        top = min(y0, 0.0) - 0.2 * u
    elif foreground:
        top = 0.32
    else:
        top = y0 + 0.02 * box_h + {"low": -0.01, "high": 0.04}.get(angle, 0.0)
        if pose in LOW_POSES:
            # Beside someone standing, the head as much lower as the pose is shorter (a seated
            # person's at a standing one's chest); alone, the camera frames it as it would a stander.
            drop = (7.5 - _height_in_heads(kind, pose)) * u if beside_standing else 0.5 * u
            top = min(top + drop, y1 - 1.3 * u)
        if shrink < 1.0:  # its feet where its kind's would stand, its head (at least) in the frame
            top = min(top + heights * u * (1.0 - shrink), y1 - 1.6 * u * shrink)
            u *= shrink
        # An animal, a car, a crate or a figure a small one's size is shown whole, standing on the
        # frame's bottom edge (nearer the camera than the people seen waist up), not with its
        # head up at theirs, floating at the top of the frame.
        if (kind in LOW_KINDS or (shrink < 1.0 and heights * shrink <= 4.0)) and shot not in CLOSE_SHOTS:
            top = max(top, y1 - 0.03 * box_h - heights * u)
    close = shot in CLOSE_SHOTS
    return _upright(cid, kind, pose, cx, top, u, heights, max(floor, y1), aspect, facing,
                    full_body, foreground, close)


def _width_in_heads(kind: str, pose: str, shot: str) -> float:
    if shot in CLOSE_SHOTS:
        return HEAD_WIDTH * (1 + HEAD_GAP)
    if kind in ("animal", "vehicle"):
        return 4.0
    if kind == "crowd":
        return 3.0
    if pose == "lying":
        return 7.0
    return 2.4 if pose != "pointing" else 3.2


def _height_in_heads(kind: str, pose: str) -> float:
    if kind == "animal":
        return 2.6
    if kind == "vehicle":
        return 2.4
    if kind == "bird":
        return 2.5
    if kind == "object":
        return 3.0
    if kind in ("robot", "creature"):  # lying along the ground as low as a person does
        return 1.5 if pose == "lying" else 6.5 if kind == "robot" else 5.5
    return {"sitting": 5.2, "kneeling": 5.6, "lying": 1.4}.get(pose, 7.5)


def _upright(cid, kind, pose, cx, top, u, heights, bottom, aspect, facing, full_body, foreground, close):
    hw = HEAD_WIDTH * u / 2
    portrait = kind == "animal" and close  # an animal's close-up: its head over its chest, as a person's
    if (kind in ("animal", "vehicle") or pose == "lying") and not portrait:
        # A long body: the head leads at the end it faces.
        length = (4.0 if kind in ("animal", "vehicle") else 6.8) * u
        body = (cx - length / 2, top, cx + length / 2, top + heights * u)
        head_cx = cx + facing * (length / 2 - hw)
        head_top = top if pose != "lying" else top + heights * u - u
        head = (head_cx - hw, head_top, head_cx + hw, head_top + u)
    elif kind == "crowd":
        half = 1.5 * u
        body = (cx - half, top, cx + half, top + heights * u)
        head = (cx - half, top, cx + half, top + u)
        head_cx = cx
    else:
        half = (1.2 if pose != "pointing" else 1.6) * u
        lean = 0.3 * u * facing if pose == "running" else 0.0
        reach = 1.2 * u * facing if pose == "pointing" else 0.0  # the arm reaching out
        head_cx = cx + lean
        body = (min(cx - half, cx - half + reach), top, max(cx + half, cx + half + reach),
                top + (heights * u if full_body else 99.0))
        head = (head_cx - hw, top, head_cx + hw, top + u)
    ht, hb = head[1], head[3]
    if kind == "object" or foreground:
        face = None
    elif kind == "crowd":
        face = (head[0], ht + 0.35 * u, head[2], hb)
    else:
        face = (head_cx - hw * 0.85, ht + 0.35 * u, head_cx + hw * 0.85, ht + 0.85 * u)
    mouth = (head_cx + facing * (0.45 if portrait else 0.1) * u, ht + 0.76 * u) if kind != "object" else \
        (head_cx, (ht + hb) / 2)  # (a close animal's mouth is under its muzzle)
    body = (body[0], body[1], body[2], min(body[3], bottom if not full_body else body[3]))
    return _figure(cid, kind, pose, body, head, face, mouth, facing, u, aspect, foreground)


def _from_above(cid, kind, pose, cx, cy, u, aspect, facing):
    """Bird's-eye: shoulders and the top of the head, seen from straight above."""
    body = (cx - u, cy - 0.45 * u, cx + u, cy + 0.45 * u)
    head = (cx - 0.38 * u, cy - 0.42 * u, cx + 0.38 * u, cy + 0.34 * u)
    mouth = (cx + facing * 0.38 * u, cy - 0.06 * u)
    return _figure(cid, kind, pose, body, head, None, mouth, facing, u, aspect)


def _figure(cid, kind, pose, body, head, face, mouth, facing, u, aspect, foreground=False) -> StagedFigure:
    def frac(b) -> Box:
        x0, y0, x1, y1 = b[0] / aspect, b[1], b[2] / aspect, b[3]
        x0, x1 = min(max(x0, 0.0), 1.0), min(max(x1, 0.0), 1.0)
        y0, y1 = min(max(y0, 0.0), 1.0), min(max(y1, 0.0), 1.0)
        return (x0, y0, max(x1, x0), max(y1, y0))

    face_box = frac(face) if face is not None else (0.0, 0.0, 0.0, 0.0)
    mx = min(max(mouth[0] / aspect, 0.0), 1.0)
    my = min(max(mouth[1], 0.0), 1.0)
    return StagedFigure(cid, kind, pose, frac(body), frac(head), (mx, my), face_box, facing, u, foreground)


def dutch_tilt(scene: int, panel: int) -> float:
    """Degrees the draft turns a dutch-angle panel about its centre (clockwise on the page
    when positive), `DUTCH_TILT` either way: fixed by the panel's place in the story (scene
    and panel index), not by the render's seed, so that its lettering and labels know where
    the turned figures' heads went."""
    digest = hashlib.sha256(f"{scene}\x1f{panel}".encode()).digest()
    low, high = DUTCH_TILT
    degrees = low + (high - low) * int.from_bytes(digest[:4], "big") / 2 ** 32
    return degrees if digest[4] & 1 else -degrees


def turned(point: tuple[float, float], aspect: float, tilt: float) -> tuple[float, float]:
    """A point in panel fractions (x right, y down) after the panel is turned `tilt` degrees
    about its centre, as the draft turns a dutch angle (`dutch_tilt`); `aspect` is the
    panel's width / height."""
    t = math.radians(tilt)
    c, s = math.cos(t), math.sin(t)
    x, y = (point[0] - 0.5) * aspect, point[1] - 0.5
    return (c * x - s * y) / aspect + 0.5, s * x + c * y + 0.5


def turned_box(box: Box, aspect: float, tilt: float, *, whole: bool = True) -> Box:
    """`box` (panel fractions) after the turn of `turned`: the box round its turned corners
    (`whole`), else the same size about its turned centre (a head, a face: round enough)."""
    x0, y0, x1, y1 = box
    if not whole:
        cx, cy = turned(((x0 + x1) / 2, (y0 + y1) / 2), aspect, tilt)
        return cx - (x1 - x0) / 2, cy - (y1 - y0) / 2, cx + (x1 - x0) / 2, cy + (y1 - y0) / 2
    corners = [turned(corner, aspect, tilt) for corner in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)
