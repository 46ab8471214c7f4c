"""The story script format (SCRIPT_FORMAT.md, version 1) as pydantic models, and its loader.

`load_story(path)` returns a validated `Story` or raises `ScriptError` listing every problem
as `FILE:LINE:COL: PATH: message`. Shorthands of the format (`cast: [keeper]`,
`- keeper: right`, `- mara: Hello.`) are normalised here, so later stages only ever see
`CastEntry` and `Line` objects.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import os
import re
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from storyboard import _files, _yaml, paths
from storyboard.errors import Problem, ScriptError, StoryboardError, one_line, quote

FORMAT_VERSIONS = (1,)
MAX_CAST = 5
NARRATION = "narration"

Shot = Literal["establishing", "wide", "medium", "close-up", "extreme-close-up", "over-shoulder"]
Angle = Literal["eye-level", "low", "high", "birds-eye", "dutch"]
PanelSize = Literal["small", "normal", "wide", "tall", "splash"]
DialogueKind = Literal["speech", "thought", "whisper", "shout"]
CharacterKind = Literal["face", "drawn", "auto"]
FigureKind = Literal["human", "animal", "bird", "robot", "creature", "object", "vehicle", "crowd"]
Reading = Literal["ltr", "rtl"]
Engine = Literal["diffusion", "draft"]
FrameAspect = Literal["16:9", "2.39:1", "1.85:1", "4:3", "1:1", "9:16"]

PAGE_SIZES = ("us-comic", "manga", "a4", "letter", "storyboard", "webtoon")
# Page keys that mean nothing on a webtoon strip (`page.size: webtoon`): it has no paper,
# margins or frames; `webtoon.width` sets its size. Written there, they are refused.
PAGE_ONLY = ("bleed_mm", "margin_mm", "gutter_mm", "dpi", "frame_aspect", "bleed_panels")
POSITIONS = ("left", "center", "right", "far-left", "far-right")
ID_PATTERN = re.compile(r"[a-z][a-z0-9_-]*\Z")

Box = tuple[float, float, float, float]


def _did_you_mean(word: str, options, *, fold_case: bool = False) -> str:
    """` (did you mean 'X'?)` for the closest of `options` to `word` (difflib), else ""; with
    `fold_case`, compared case aside ('Ines Okafor' -> 'ines')."""
    fold = str.lower if fold_case else str
    names = {fold(str(o)): str(o) for o in options}
    match = difflib.get_close_matches(fold(str(word)[:100]), list(names), n=1, cutoff=0.5)
    return f" (did you mean {quote(names[match[0]])}?)" if match else ""


# Writers' and film words for the values of the script's choices, hinted where a script uses
# them: the closest spelling can mean the opposite (`angle: worms-eye` is a low angle, not
# 'birds-eye') or nothing (`kind: yell`). Each table is for one choice, so that `full` (a
# full shot: 'wide') is not hinted for a panel's `size`.
_MEANS: dict[tuple[str, ...], dict[str, str]] = {
    typing.get_args(DialogueKind): {
        **dict.fromkeys(("yell", "yelling", "scream", "screaming", "shouting", "shouted", "exclaim", "loud", "cry"),
                        "shout"),
        **dict.fromkeys(("think", "thinking", "thoughts", "inner", "internal"), "thought"),
        **dict.fromkeys(("whispering", "whispered", "quiet", "murmur", "mutter", "hush", "soft"), "whisper"),
        **dict.fromkeys(("say", "said", "talk", "normal", "spoken", "dialogue", "line"), "speech"),
    },
    typing.get_args(Angle): {
        **dict.fromkeys(("worms-eye", "worm's-eye", "wormseye", "worms-eye-view", "worm", "from-below", "low-angle",
                         "up-shot", "upshot"), "low"),
        **dict.fromkeys(("overhead", "top-down", "aerial", "top", "birds-eye-view", "god's-eye", "gods-eye"),
                        "birds-eye"),
        **dict.fromkeys(("high-angle", "down-shot", "downshot", "from-above"), "high"),
        **dict.fromkeys(("canted", "tilted", "dutch-angle", "dutch-tilt", "oblique"), "dutch"),
        **dict.fromkeys(("eye", "straight", "level", "neutral"), "eye-level"),
    },
    typing.get_args(Shot): {
        **dict.fromkeys(("cu", "close", "closeup-shot"), "close-up"),
        **dict.fromkeys(("ecu", "xcu", "bcu", "extreme-closeup", "detail", "insert", "macro"), "extreme-close-up"),
        **dict.fromkeys(("ms", "mid", "mid-shot", "midshot", "waist", "cowboy", "american"), "medium"),
        **dict.fromkeys(("ws", "ls", "long", "long-shot", "full", "full-shot", "fs", "mls"), "wide"),
        **dict.fromkeys(("els", "ews", "xls", "extreme-wide", "extreme-long", "master", "aerial"), "establishing"),
        **dict.fromkeys(("ots", "over-the-shoulder", "overshoulder", "os"), "over-shoulder"),
    },
    POSITIONS: dict.fromkeys(("middle", "centre", "centered", "centred", "mid", "central"), "center"),
    typing.get_args(PanelSize): {
        **dict.fromkeys(("full-page", "fullpage", "full", "page", "whole-page"), "splash"),
        **dict.fromkeys(("panoramic", "widescreen", "letterbox", "strip", "banner"), "wide"),
        **dict.fromkeys(("inset", "tiny", "little", "mini"), "small"),
        **dict.fromkeys(("vertical", "portrait", "long", "column"), "tall"),
        **dict.fromkeys(("medium", "regular", "standard", "default"), "normal"),
    },
}
# A voice heard through a phone, radio or TV is no balloon kind here, but an off-panel line.
_VOICE_WORDS = frozenset("phone telephone call radio electric electronic tv television intercom walkie-talkie "
                         "speaker broadcast machine".split())


def _kind_hint(loc: tuple, given, options) -> str:
    """The value a writer's word for one means (`figure: dog` -> 'animal', `kind: yell` ->
    'shout', `angle: worms-eye` -> 'low'), else the closest option."""
    word = given.strip().lower().replace(" ", "-").replace("\u2019", "'") if isinstance(given, str) else None
    if loc[-1:] == ("figure",) and word is not None:
        from storyboard.staging import KIND_WORDS  # (only on this error: staging is not read to load a script)

        kind = KIND_WORDS.get(given.strip().lower())
        if kind is not None and kind != given:
            return f" (for a {given.strip().lower()}, use {quote(kind)})"
    means = _MEANS.get(tuple(options), {}).get(word) if word is not None else None
    if means is not None and means != given:
        return f" (did you mean {quote(means)}?)"
    if word in _VOICE_WORDS and tuple(options) == typing.get_args(DialogueKind):
        return (" (a voice on the phone or radio is a line by someone outside the frame: a speaker not in the "
                "panel's cast, or off: true)")
    return _did_you_mean(given, options)


def _sibling_hint(path: Path) -> str:
    """' (did you mean 'kettle.yaml'?)' for a script named `path` that is not there, from the
    YAML files beside where it would be (a typed name one or two letters off, `.yml` for `.yaml`)."""
    try:
        names = [entry.name for entry in path.parent.iterdir() if entry.suffix.lower() in (".yaml", ".yml")]
    except OSError:
        return ""
    match = difflib.get_close_matches(path.name, names[:1000], n=1, cutoff=0.75)
    return f" (did you mean {quote(str(path.with_name(match[0])), 300)}?)" if match else ""


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _named(value: str, names: tuple[str, ...], what: str, otherwise: str) -> str:
    if value not in names:
        raise ValueError(
            f"unknown {what} {quote(value)}{_kind_hint((), value, names)}; use one of {', '.join(names)} or {otherwise}"
        )
    return value


def _page_size(value):
    if isinstance(value, str):
        return _named(value, PAGE_SIZES, "page size", "[width_mm, height_mm]")
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(_number(v) for v in value):
        if not all(20 <= v <= 2000 for v in value):
            raise ValueError("a custom page size is [width_mm, height_mm], each between 20 and 2000 mm")
        return (float(value[0]), float(value[1]))
    raise ValueError(f"page size must be one of {', '.join(PAGE_SIZES)} or [width_mm, height_mm]")


def _position(value):
    if value is None:
        return None
    if isinstance(value, str):
        return _named(value, POSITIONS, "position", "a box [x0, y0, x1, y1]")
    if isinstance(value, (list, tuple)) and len(value) == 4 and all(_number(v) for v in value):
        x0, y0, x1, y1 = (float(v) for v in value)
        if not all(0.0 <= v <= 1.0 for v in (x0, y0, x1, y1)):
            raise ValueError("a box [x0, y0, x1, y1] is in panel fractions: every value between 0 and 1")
        if not (x0 < x1 and y0 < y1):
            raise ValueError("a box [x0, y0, x1, y1] needs x0 < x1 and y0 < y1")
        return (x0, y0, x1, y1)
    raise ValueError(f"position must be one of {', '.join(POSITIONS)} or a box [x0, y0, x1, y1]")


def _script_file(value: str, info: ValidationInfo, what: str, limit: int) -> str:
    """A file the script names (a reference image, the font): inside the allowed folders
    (`storyboard.paths`), then a regular file within `limit` bytes. Checked by `stat` alone,
    so a FIFO is never waited on and nothing of any file is read or shown."""
    context = info.context or {}
    base = context.get("base_dir")
    if base is None:
        return value
    path = paths.script_path(value, base)
    if not paths.is_inside(path, context.get("roots") or paths.allowed_roots(base)):
        raise ValueError(f"{what} {quote(value)} is outside the script's folder; {paths.HINT}")
    try:
        _files.check_path(path, limit)
    except _files.Refused as err:
        if err.reason == "no such file":
            raise ValueError(f"{what} not found: {one_line(value, 120)}") from None
        sep = ": " if err.reason.startswith("cannot") else " "  # "is a folder" / ": cannot read: ..."
        raise ValueError(f"{what} {quote(value)}{sep}{err.reason}") from None
    return value


def _reference_exists(value: str, info: ValidationInfo) -> str:
    return _script_file(value, info, "reference image", _files.MAX_IMAGE_BYTES)


def _model_ref(value: str | None, info: ValidationInfo) -> str | None:
    """A model reference (base model, adapter, LoRA, peel, face models, encoder): a hub id is
    fetched from the hub; a local file or folder must lie inside the allowed folders."""
    context = info.context or {}
    base = context.get("base_dir")
    if value is None or base is None or not paths.names_local(value, base):
        return value
    if not paths.is_inside(paths.script_path(value, base), context.get("roots") or paths.allowed_roots(base)):
        raise ValueError(f"model {quote(value)} is outside the script's folder; {paths.HINT}")
    return value


def _one_or_list(what: str, *, optional: bool = False):
    """A before-validator for a field that is one text or a non-empty list of texts (written
    numbers kept as written): anything else is one clear message, not one per union member."""
    def check(value):
        if isinstance(value, list):
            names = [_yaml.as_written(v) for v in value]
            if names and all(isinstance(n, str) and n.strip() for n in names):
                return names
        elif (value is None and optional) or isinstance(_yaml.as_written(value), str):
            return _yaml.as_written(value)
        raise ValueError(what)
    return BeforeValidator(check)


def _author_names(value):
    """`author`: one name or a list of names, each text with a letter or a digit. A number is
    kept as written (`007`), as in every text field; `true` is refused (YAML 1.2 reads it as
    yes/no, and how it was written is lost), and so is punctuation or spaces alone (`","`: an
    empty name in ComicInfo's Writer). `""` is no author."""
    listed = isinstance(value, list)
    for name in value if listed else [value]:
        if isinstance(name, bool):
            raise ValueError(f"{str(name).lower()} is not a name (YAML reads it as yes/no): put it in quotes if it is the name")
        if isinstance(name, str) and (name or listed) and not any(c.isalnum() for c in name):
            raise ValueError(f"{quote(name)} is not a name: a name needs a letter or a digit")
    names = _any_names(value)
    return [_label(n) for n in names] if isinstance(names, list) else _label(names) if isinstance(names, str) else names


_any_names = _one_or_list("author is a name or a list of names").func


def _font_exists(value, info: ValidationInfo):
    """`style.font`: one font file or a list (a fallback chain, first font first); a
    collection's face is named `file.ttc#N`."""
    if value is None:
        return None
    names = [value] if isinstance(value, str) else value
    if not all(names):
        raise ValueError("font is a font file or a list of font files")
    for name in names:
        file, sep, index = name.rpartition("#")
        _script_file(file if sep and index.isdigit() else name, info, "font file", _files.MAX_FONT_BYTES)
    return value


LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")


def _language(value: str) -> str:
    """The tag in its RFC 5646 case (`PT-br` -> `pt-BR`), as `--lang` and a translations file's
    are: the CBZ's LanguageISO, the PDF's /Lang and the manifest say it as they do."""
    from storyboard.translations import canonical_tag, tag_message

    message = tag_message(value, f"language '{value}'", "en, fr, pt-BR, zh-Hant, ja") if value else None
    if message is not None:
        raise ValueError(message)

    return canonical_tag(value) if value else value


# Whitespace no font draws, which was lettered as a box (.notdef) while validate said ok: a
# tab (text pasted from a document) or unit separator is a space; a vertical tab, form feed,
# NEL, lone carriage return, line or paragraph separator or file/group/record separator ends
# the line as a newline does.
_AS_SPACE = re.compile(r"[\t\x1f]")
_AS_NEWLINE = re.compile(r"\r\n?|[\v\f\x1c-\x1e\x85\u2028\u2029]")
_LINE_BREAKS = re.compile(r" *\n+ *")


def _nfc(value):
    """Every string of the script in Unicode normalisation form C, so that an accent typed
    as a combining mark (NFD) letters, measures and searches as the composed letter; its
    undrawable whitespace as a space or newline (`_AS_SPACE`, `_AS_NEWLINE`)."""
    import unicodedata

    if isinstance(value, str):
        return unicodedata.normalize("NFC", _AS_NEWLINE.sub("\n", _AS_SPACE.sub(" ", value)))
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


def _character_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(
            f"character id {quote(value)} must start with a lower-case letter and use only "
            "a-z, 0-9, '-' and '_'"
        )
    if value == NARRATION:
        raise ValueError(f"'{NARRATION}' is reserved for caption boxes in dialogue")
    return value


LIBRARY_ID = re.compile(r"[a-z][a-z0-9_-]{0,63}\Z")  # the character library's ids (characters.library)


def _library_id(value: str | None) -> str | None:
    if value is not None and not LIBRARY_ID.match(value):
        raise ValueError(f"library id {quote(value)} is not one the character library can hold: lower-case "
                         "letters, digits, '-' and '_', starting with a letter (at most 64)")
    return value


def _scene_id(value: str | None) -> str | None:
    if value is not None and not re.match(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z", value):
        # (it said "only letters, digits" of 'scène-1' and '_x': an accented letter is a letter)
        raise ValueError(f"scene id {quote(value)} may use only a-z, A-Z, 0-9, '-', '_' and '.', "
                         "starting with a letter or digit")
    return value


def _preset(value: str | None) -> str | None:
    if value is None:
        return None
    from storyboard.styles import PRESETS

    if value not in PRESETS:
        raise ValueError(f"unknown style preset {quote(value)}{_did_you_mean(value, PRESETS)}; see `storyboard styles`")
    return value


# Text as written: a plain `caption: 3.10` is the text "3.10", not the number 3.1 (see _yaml).
Text = Annotated[str, BeforeValidator(_yaml.as_written)]
NonEmpty = Annotated[str, Field(min_length=1), BeforeValidator(_yaml.as_written)]


def _label(value: str) -> str:
    """A label drawn on one line (a title, a name tag): its line breaks as spaces, its ends
    trimmed (`name: |` keeps a final newline, which was drawn as a box)."""
    return _LINE_BREAKS.sub(" ", value).strip()


Label = Annotated[str, BeforeValidator(_yaml.as_written), AfterValidator(_label)]
ModelRef = Annotated[NonEmpty | None, AfterValidator(_model_ref)]

MAX_LETTERED = 1500  # characters in one line, caption, SFX or action: ~250 words, more than a page holds


def _letterable(value: str) -> str:
    """Text that is lettered on the page has a bound: beyond it no balloon fits, and laying it
    out would take minutes (a script is untrusted input)."""
    if len(value) > MAX_LETTERED:
        raise ValueError(f"{len(value)} characters: at most {MAX_LETTERED} are lettered in one piece; "
                         "split it across lines or panels")
    return value


Lettered = Annotated[NonEmpty, AfterValidator(_letterable)]
PageSizeValue = Annotated[Union[str, tuple[float, float]], BeforeValidator(_page_size)]
Position = Annotated[Union[str, Box, None], BeforeValidator(_position)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, validate_default=True)


class PageSettings(_Model):
    size: PageSizeValue = "us-comic"
    reading: Reading = "ltr"
    bleed_mm: float = Field(3.0, ge=0, le=20)
    margin_mm: float = Field(12.0, ge=0, le=100)
    gutter_mm: float = Field(4.0, ge=0, le=50)
    dpi: int = Field(300, ge=36, le=1200)
    frame_aspect: FrameAspect = "16:9"  # storyboard sheets only (an extension of the format)
    bleed_panels: bool = True  # outer panels run into the bleed; false: a bordered page (an extension)
    _reading_given: bool = PrivateAttr(default=False)  # `reading` written in the script (see Story)

    @model_validator(mode="after")
    def _given(self):
        self._reading_given = "reading" in self.model_fields_set
        return self

    # What layout and export cannot draw is refused here, so that validate refuses it too.
    @field_validator("margin_mm")
    @classmethod
    def _room_for_panels(cls, value: float, info: ValidationInfo) -> float:
        from storyboard.layout import margin_problem

        problem = margin_problem(info.data["size"], value) if "size" in info.data else None
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _room_for_gutters(self):
        from storyboard.layout import room_problem

        problem = room_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @field_validator("dpi")
    @classmethod
    def _raster_fits(cls, value: int, info: ValidationInfo) -> int:
        from storyboard.layout import raster_problem

        problem = None
        if "size" in info.data and "bleed_mm" in info.data:
            problem = raster_problem(info.data["size"], info.data["bleed_mm"], value)
        if problem:
            raise ValueError(problem)
        return value


class PeelSpec(_Model):
    path: Annotated[NonEmpty, AfterValidator(_model_ref)]
    weight: float = Field(1.0, ge=-2, le=2)


class Style(_Model):
    preset: Annotated[Text | None, AfterValidator(_preset)] = None
    prompt: Text = ""
    negative: Text = ""
    peels: list[PeelSpec] = []
    font: Annotated[Union[str, list[str], None], _one_or_list("font is a font file or a list of font files", optional=True),
                    AfterValidator(_font_exists)] = None
    lettering_direction: Literal["auto", "horizontal", "vertical"] = "auto"
    # Lettering: one dialogue size for the whole story, in points at print size (LETTERING.md).
    dialogue_pt: float = Field(8.0, ge=6.5, le=24)
    lettering_case: Literal["mixed", "upper"] = "mixed"  # upper: the US all-capitals convention


class Generation(_Model):
    """Model settings; `None` means "the engine's default". Flags override these."""

    engine: Engine | None = None
    model: ModelRef = None
    face_adapter: ModelRef = None
    drawn_adapter: ModelRef = None
    face_models: ModelRef = None
    drawn_encoder: ModelRef = None  # CLIP image encoder for drawn identities (an extension)
    # A few-step recipe (see storyboard.engines._recipes); true means lcm, false means off.
    fast: bool | Literal["lcm", "tcd", "hyper", "lightning", "dmd2", "off"] | None = None
    fast_lora: ModelRef = None
    steps: int | None = Field(None, ge=1, le=200)
    guidance: float | None = Field(None, ge=0, le=30)
    seed: int | None = Field(None, ge=0, lt=2**63)
    candidates: int | None = Field(None, ge=1, le=64)  # best-of-N per panel with identities (an extension)
    composition: Literal["pose", "sketch", "none"] | None = None  # ControlNet input from the staging
    controlnet: NonEmpty | None = None
    control_scale: float | None = Field(None, ge=0, le=2)
    refine: float | None = None  # second pass: 0 (off) or an upscale factor in [1, 4]

    @field_validator("refine")
    @classmethod
    def _refine_scale(cls, value):
        if value is not None and value != 0 and not 1 <= value <= 4:
            raise ValueError("refine is 0 (off) or an upscale factor between 1 and 4, such as 1.5")
        return value


class Character(_Model):
    name: Label = ""  # filled with the id when empty
    description: Text = ""
    references: list[Annotated[NonEmpty, AfterValidator(_reference_exists)]] | None = None
    library: Annotated[NonEmpty | None, AfterValidator(_library_id)] = None
    kind: CharacterKind = "auto"
    figure: FigureKind = "human"  # the silhouette the draft engine draws and staging sizes

    @model_validator(mode="before")
    @classmethod
    def _sources(cls, value):
        if not isinstance(value, dict):
            return value
        if value.get("references") is not None and value.get("library") is not None:
            raise ValueError("give either references or library, not both")
        if not any(value.get(k) for k in ("description", "references", "library")):
            if value.get("references") == []:
                raise ValueError("references is empty: list at least one image, or remove the key")
            raise ValueError("a character needs at least one of description, references, library")
        return value


def _single_key(value, what: str) -> tuple[str, Any]:
    if len(value) != 1:
        cast = what == "a cast entry"
        keys = one_line(", ".join(str(k) for k in value) or "none", 100)
        raise ValueError(f"{what} names exactly one {'character' if cast else 'speaker'}; found keys: {keys}"
                         f"{_inside_hint(value, ('position', 'expression', 'pose') if cast else ('text', 'kind', 'off'))}")
    return next(iter(value.items()))


def _inside_hint(value: dict, fields: tuple[str, ...]) -> str:
    """How to write an entry whose own keys stand beside its id instead of in its braces
    (`- ines: hi` with `kind: shout` on the next line): `ines: {text: hi, kind: shout}`."""
    ids = [k for k in value if k not in fields]
    if len(ids) != 1 or not isinstance(value[ids[0]], (str, int, float)):
        return ""
    (who,) = ids
    pairs = [(fields[0], value[who])] + [(k, v) for k, v in value.items() if k != who]
    inner = ", ".join(f"{k}: {_yaml.scalar(v, flow=True) if isinstance(v, str) else str(v)}" for k, v in pairs)
    return f" (write {', '.join(str(k) for k in value if k != who)} inside its braces: {one_line(f'{who}: {{{inner}}}', 80)})"


class CastEntry(_Model):
    """One character in a panel: normalised from `mara`, `{mara: left}` or `{mara: {...}}`."""

    id: NonEmpty
    position: Position = None  # None: placed automatically
    expression: Text = ""
    pose: Text = ""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value):
        if isinstance(value, str):
            return {"id": value}
        if isinstance(value, dict) and "id" not in value:
            key, spec = _single_key(value, "a cast entry")
            if isinstance(spec, dict):
                return {"id": key, **spec}
            if spec is None:
                return {"id": key}
            return {"id": key, "position": spec}
        if not isinstance(value, (dict, CastEntry)):
            raise ValueError("a cast entry is an id, {id: position} or {id: {position, expression, pose}}")
        return value


class Line(_Model):
    """One dialogue entry: normalised from `{speaker: text}` or `{speaker: {text, kind}}`."""

    speaker: NonEmpty
    text: Lettered
    kind: DialogueKind = "speech"
    off: bool = False  # spoken from out of the frame: the tail points out of the panel

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value):
        if isinstance(value, dict) and "speaker" not in value:
            key, spec = _single_key(value, "a dialogue line")
            if isinstance(spec, dict):
                return {"speaker": key, **spec}
            return {"speaker": key, "text": spec}
        if isinstance(value, str):  # the speaker's ':' left out ("- mara Hello")
            raise ValueError("a dialogue line is {speaker: text} or {speaker: {text, kind}}: write the speaker's "
                             "id, then ': ', then the text (- mara: Hello)")
        if not isinstance(value, (dict, Line)):
            raise ValueError("a dialogue line is {speaker: text} or {speaker: {text, kind}}")
        return value

    @property
    def is_narration(self) -> bool:
        return self.speaker == NARRATION


class Panel(_Model):
    action: Lettered
    shot: Shot = "medium"
    angle: Angle = "eye-level"
    cast: list[CastEntry] = Field(default_factory=list, max_length=MAX_CAST)
    dialogue: list[Line] = []
    caption: Annotated[Text, AfterValidator(_letterable)] | None = None
    sfx: list[Lettered] = []
    size: PanelSize = "normal"
    seed: int | None = Field(None, ge=0, lt=2**63)
    prompt: Text | None = None
    new_page: bool = False
    duration: float | None = Field(None, gt=0, le=600)  # animatic seconds (an extension)
    bleed: bool | None = None  # None: as page.bleed_panels (an extension)

    @field_validator("cast", mode="before")
    @classmethod
    def _cast_list(cls, value):
        if isinstance(value, list) and len(value) > MAX_CAST:
            raise ValueError(f"at most {MAX_CAST} characters in one panel; this panel casts {len(value)}")
        return value

    @property
    def cast_ids(self) -> list[str]:
        return [entry.id for entry in self.cast]


class Scene(_Model):
    id: Annotated[Text | None, AfterValidator(_scene_id)] = None  # filled with "scene-N"
    setting: Text = ""
    new_page: bool = False
    panels: list[Panel] = Field(min_length=1)


class Animatic(_Model):
    """Timing and frame of the animatic video (`-o story.mp4`), an extension of the format."""

    words_per_minute: float = Field(160.0, ge=60, le=600)
    min_seconds: float = Field(2.0, ge=0.1, le=60)
    motion: Literal["none", "push-in"] = "none"
    fps: int = Field(24, ge=1, le=60)
    height: int = Field(720, ge=144, le=2160)


class Webtoon(_Model):
    """The vertical strip (`-o story.webtoon/`; with `page.size: webtoon`, the story's own
    layout: see `storyboard.layout.webtoon_book`), an extension of the format."""

    width: int = Field(800, ge=320, le=2000)
    max_height: int = Field(1280, ge=400, le=20000)


class Story(_Model):
    storyboard: int = 1
    title: Annotated[Label, Field(min_length=1)]
    # One name, or a list of names: a name is never split ("Smith, John" is one author).
    author: Annotated[str | list[str], BeforeValidator(_author_names)] = ""
    language: Annotated[str, AfterValidator(_language)] = ""  # BCP 47; "" is unspecified
    page: PageSettings = PageSettings()
    style: Style = Style()
    generation: Generation = Generation()
    animatic: Animatic = Animatic()
    webtoon: Webtoon = Webtoon()
    characters: dict[Annotated[str, AfterValidator(_character_id)], Character] = {}
    scenes: list[Scene] = Field(min_length=1)

    _path: Path | None = PrivateAttr(default=None)
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _text_hash: str | None = PrivateAttr(default=None)
    _roots: tuple[Path, ...] | None = PrivateAttr(default=None)  # where its files may lie (`roots`)
    _source: tuple[str, str] | None = PrivateAttr(default=None)  # (file name, text) to locate later problems
    # A translated edition's character names (its translations file's `characters:`): what the
    # reader sees; `name` stays the script's, which the art depends on (prompts, the cache).
    _names: dict[str, str] = PrivateAttr(default_factory=dict)
    _translations: Path | None = PrivateAttr(default=None)  # the translations file an edition was lettered from
    _stale: list[str] = PrivateAttr(default_factory=list)  # an edition's warnings: lines written for other text

    @field_validator("storyboard")
    @classmethod
    def _version(cls, value: int) -> int:
        if value not in FORMAT_VERSIONS:
            supported = ", ".join(str(v) for v in FORMAT_VERSIONS)
            raise ValueError(f"unsupported format version {value} (supported: {supported})")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self):
        for cid, character in self.characters.items():
            if not character.name:
                character.name = cid
        for index, scene in enumerate(self.scenes):
            if scene.id is None:
                scene.id = f"scene-{index + 1}"
        if self.page.size == "storyboard" and not self.page._reading_given:
            # A sheet reads the way its language is written: frames right to left in Hebrew or
            # Arabic, each frame's notes at its left. (A translated edition keeps its script's
            # reading, and so its frames: the staging follows the reading.)
            from storyboard.text.shaping import right_to_left_language

            self.page.reading = "rtl" if right_to_left_language(self.language) else "ltr"
        return self

    @property
    def path(self) -> Path | None:
        """The script file this story was loaded from, if any."""
        return self._path

    def character_name(self, cid: str) -> str:
        """The name the reader sees for character `cid` (name tags, shot list, subtitles, the
        CBZ's Characters): a translated edition's name for it, else the script's `name`.
        Raises KeyError for an id that is not in `characters`."""
        return self._names.get(cid) or self.characters[cid].name

    @property
    def authors(self) -> tuple[str, ...]:
        """The story's authors, one name each: `author` as a list, or its one string ("" is none)."""
        if isinstance(self.author, str):
            return (self.author,) if self.author.strip() else ()
        return tuple(self.author)

    @property
    def text_hash(self) -> str | None:
        """"sha256:<hex>" of the script text this story was parsed from (UTF-8), if any: what
        was read, even if the file changed since."""
        return self._text_hash

    @property
    def base_dir(self) -> Path:
        """The folder that relative paths in the script (references, peels, font) start from."""
        return self._base_dir

    @property
    def roots(self) -> tuple[Path, ...]:
        """The folders files that come with the script (what it names, its translations files)
        must lie in after symlinks: its own, and those allowed (`storyboard.paths`)."""
        return self._roots if self._roots is not None else paths.allowed_roots(self._base_dir)

    def refusal(self, found: list[tuple[tuple, str]]) -> ScriptError:
        """The error for (location, message) pairs found in this story after loading (what a
        render refuses): located FILE:LINE:COL in the script it was parsed from, else (a story
        built in code) `document` lines naming each location's path."""
        if self._source is None:
            return ScriptError(_unique([Problem("<story>", 1, 1, _path_text(loc), message) for loc, message in found]))
        filename, text = self._source
        root = _yaml.parse(text).root  # parsed before, so it parses again
        return ScriptError(_unique([_problem(filename, root, loc, message) for loc, message in found]))

    def panels(self):
        """Every (scene_index, panel_index, scene, panel) in story order."""
        for s, scene in enumerate(self.scenes):
            for p, panel in enumerate(scene.panels):
                yield s, p, scene, panel

    @property
    def panel_count(self) -> int:
        return sum(len(scene.panels) for scene in self.scenes)

    def summary(self) -> str:
        from storyboard._words import counted

        return ", ".join((counted(len(self.scenes), "scene"), counted(self.panel_count, "panel"),
                          counted(len(self.characters), "character")))


# ---------------------------------------------------------------------------- loading


Checks = Callable[["Story"], list[tuple[tuple, str]]]


def load_story(path: str | Path, *, checks: Checks | None = None,
               allow_paths: str | Path | Iterable[str | Path] | None = None) -> Story:
    """Read and validate a story script; raise ScriptError listing every problem. `checks`
    adds rules on the valid story: (location, message) pairs, located like every problem.

    Files the script names must lie inside its folder or one of `allow_paths` (or of
    STORYBOARD_ALLOW_PATHS); see `storyboard.paths`. Only a regular file of at most 2 MiB is
    read: a FIFO, a device or a huge file is refused by `stat` before reading."""
    if not isinstance(path, (str, os.PathLike)):  # (a TypeError from pathlib)
        raise StoryboardError(f"path={path!r}: give a script's path")
    path = Path(path)
    try:
        data = _files.read_regular(path, _yaml.MAX_BYTES)
    except _files.Refused as err:
        reason = f"the script is {err.reason}" if err.reason.startswith("larger") else err.reason
        if err.reason == "no such file":  # `ketle.yaml`: the script beside it that was meant
            reason += _sibling_hint(Path(path))
        raise ScriptError([Problem(str(path), 1, 1, "file", reason)]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScriptError([Problem(str(path), 1, 1, "file", f"not UTF-8 text ({err.reason} at byte {err.start})")]) from None
    return parse_story(text, filename=str(path), base_dir=path.parent, source=path, checks=checks,
                       allow_paths=allow_paths)


def parse_story(text: str, *, filename: str = "<string>", base_dir: str | Path | None = None,
                source: Path | None = None, checks: Checks | None = None,
                allow_paths: str | Path | Iterable[str | Path] | None = None) -> Story:
    """Validate a story given as YAML text. Relative paths resolve against `base_dir`
    (default: the current folder); reference images and fonts must exist there, and every
    file the script names must lie inside `base_dir` or one of `allow_paths`."""
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    try:
        doc = _yaml.parse(text)
    except _yaml.YamlProblem as err:
        raise ScriptError([Problem(filename, err.line + 1, err.column + 1, err.path, err.message)]) from None
    if doc.empty:
        raise ScriptError([Problem(filename, 1, 1, "document", "the script is empty")])

    # A script in ASCII without escapes or tabs holds only ASCII text, which is in NFC already.
    data = doc.data if text.isascii() and "\\" not in text and "\t" not in text else _nfc(doc.data)
    problems = [_problem(filename, doc.root, loc, msg) for loc, msg in _cross_checks(data)]
    try:
        roots = paths.allowed_roots(base, allow_paths)
        story = Story.model_validate(data, context={"base_dir": base, "roots": roots})
    except ValidationError as err:
        problems += _union_merged([(_from_pydantic(filename, doc.root, e), e.get("union", False))
                                   for e in _untagged(err.errors(), data)])
        story = None
    if problems:
        raise ScriptError(_unique(problems))
    story._path = source
    story._base_dir = base
    story._roots = roots
    story._text_hash = "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    story._source = (filename, text)
    from storyboard.layout import webtoon_problem

    found = [(("page", "size"), why)] if (why := webtoon_problem(story)) else []
    found += checks(story) if checks is not None else []
    if found:
        raise ScriptError(_unique([_problem(filename, doc.root, loc, message) for loc, message in found]))
    return story


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,40}\Z")


def _path_text(loc: tuple) -> str:
    out = ""
    for step in loc:
        step = step if isinstance(step, int) or _PLAIN_KEY.match(step) else quote(step, 40)
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "document"


def _problem(filename: str, root, loc: tuple, message: str, *, at_key: bool = False) -> Problem:
    node, _ = _yaml.locate(root, loc, at_key=at_key)
    mark = (node or root).start_mark
    return Problem(filename, mark.line + 1, mark.column + 1, _path_text(loc), message)


# How pydantic names a union's members in error locations: 'str', 'bool', 'list[str]',
# 'literal[...]', 'function-before[...]' (only where no key of that name is written).
_UNION_TAG = re.compile(r"(str|int|float|bool|none|[a-z-]+\[.*\]|constrained-[a-z]+)\Z", re.S)


def _untagged(errors: list[dict], data) -> list[dict]:
    """Pydantic's errors with the union-member tags taken out of their locations (a step
    that names no key of the data there and reads like a tag); those errors are marked
    `union`, for `_union_merged`."""
    out = []
    for error in errors:
        node, loc = data, []
        for step in error["loc"]:
            present = isinstance(node, dict) and step in node
            if isinstance(step, str) and not present and step != "[key]" and _UNION_TAG.match(step):
                continue
            loc.append(step)
            if present or (isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)):
                node = node[step]
            elif step != "[key]":
                node = None
        tagged = len(loc) < len(error["loc"])
        out.append({**error, "loc": tuple(loc), "union": True} if tagged else error)
    return out


def _union_merged(problems: list[tuple[Problem, bool]]) -> list[Problem]:
    """One line per place for the errors of a union's members ("...; or ...")."""
    out: list[Problem] = []
    merged: dict[tuple, int] = {}
    for problem, union in problems:
        key = (problem.line, problem.column, problem.path)
        if union and key in merged:
            first = out[merged[key]]
            out[merged[key]] = dataclasses.replace(first, message=f"{first.message}; or {problem.message}")
            continue
        if union:
            merged[key] = len(out)
        out.append(problem)
    return out


# Writers' and film words for the script's keys, hinted where the model at that place has the
# key they mean (`camera:` is a panel's shot and angle; `location:` a scene's setting); the
# closest spelling would name nothing or the wrong key.
_KEY_MEANS: dict[str, tuple[str, ...]] = {
    "camera": ("shot", "angle"), "framing": ("shot",), "view": ("angle",),
    "description": ("action",), "sound": ("sfx",), "sounds": ("sfx",), "characters": ("cast",),
    "lines": ("dialogue",), "speech": ("dialogue",), "narration": ("caption",),
    "location": ("setting",), "place": ("setting",),
}


def _level_hint(loc: tuple) -> str:
    """Where a key of a panel written on its scene (`dialogue:` beside `panels:`), or of a
    scene written on a panel (`setting:`), belongs."""
    key, where = loc[-1], tuple(step for step in loc[:-1] if isinstance(step, str))
    if where == ("scenes",) and key in Panel.model_fields:
        return f" ({quote(key)} is a panel's: put it under one of the scene's panels)"
    if where == ("scenes", "panels") and key in Scene.model_fields:
        return f" ({quote(key)} is a scene's: put it on the scene, beside its panels:)"
    return ""


def _from_pydantic(filename: str, root, error: dict) -> Problem:
    loc = tuple(step for step in error["loc"] if step != "[key]")
    kind = error["type"]
    message = error["msg"]
    if kind == "extra_forbidden":
        fields = _fields_at(loc[:-1])
        meant = [key for key in _KEY_MEANS.get(str(loc[-1]).lower(), ()) if key in fields]
        hint = f" (did you mean {' or '.join(map(quote, meant))}?)" if meant else _did_you_mean(loc[-1], fields)
        hint = hint or _level_hint(loc)
        message = f"unknown key {quote(loc[-1])}{hint}"
        if _yaml.bare_flow_key(root, loc):
            message += f" ({_yaml.COMMA_HINT})"
        return _problem(filename, root, loc, message, at_key=True)
    if kind == "missing":
        message = "required key missing"
    elif kind == "model_type":  # pydantic names its class ("... or instance of PageSettings")
        message = "input should be a valid dictionary (key: value lines, or {key: value})" + (
            " such as title: and scenes:" if not loc else "")
    elif kind == "literal_error":
        options = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        given = error.get("input")
        message = (f"use one of {', '.join(options)}" if given is None else
                   f"{quote(given)} is not one of: {', '.join(options)}{_kind_hint(loc, given, options)}")
    elif kind == "string_type" and loc[-1:] == ("caption",) and isinstance(error.get("input"), (list, dict)):
        message = ("input should be a valid string: a panel has one caption, its text alone; more captions are "
                   "dialogue lines, '- narration: TEXT'")
    elif kind == "list_type" and isinstance(error.get("input"), dict) and error["input"]:
        # `dialogue:` then `ines: Hello` (or `cast: {ines: left}`): a mapping where a list belongs
        key, value = next(iter(error["input"].items()))
        example = f" (- {one_line(f'{key}: {value}', 60)})" if isinstance(value, (str, int, float)) else ""
        message = f"input should be a valid list: each entry on its own '- ' line{example}"
    elif kind == "dict_type" and isinstance(error.get("input"), list) and error["input"]:
        # `characters:` then `- ines: {...}`: a list where a mapping (keyed by id) belongs
        message = "input should be a valid dictionary: one 'key: value' line per entry, without '- '"
        first = error["input"][0]
        if isinstance(first, dict) and len(first) == 1:
            message += f" ({one_line(str(next(iter(first))), 40)}: ...)"
    elif kind == "list_type" and isinstance(error.get("input"), (str, int, float)):
        # `cast: ana`, `sfx: BOOM`: one item is a list too, in brackets
        given = str(error["input"])
        example = f"[{given}]" if len(given) <= 40 and "\n" not in given else "[item, ...]"
        message = f"input should be a valid list: one item is a list too, written {example} (or as a '- ' line)"
    elif kind == "too_short":
        message = "must not be empty" if error.get("ctx", {}).get("min_length") == 1 else message
    elif kind in ("value_error", "assertion_error"):
        message = message.split(", ", 1)[1] if ", " in message and message.startswith(("Value error", "Assertion")) else message
    else:
        message = message[:1].lower() + message[1:]
    given = error.get("input")
    if kind.startswith(("less_than", "greater_than")) and isinstance(given, float) and given != given:
        # .nan fails every bound: "should be <= 100" misleads
        message = "not a number (.nan): give a number"
    if error.get("input", ...) is None and (kind in ("model_type", "literal_error") or kind.endswith("_type")):
        # `key:` or `key: null`: say so, where pydantic says only what it wanted
        message = "the value is empty (null); " + message.replace("input should be", "it should be", 1)
    return _problem(filename, root, loc, message, at_key=error["loc"][-1:] == ("[key]",))


def _fields_at(loc: tuple) -> list[str]:
    """The field names of the model found at a validation location (for did-you-mean)."""
    tp: Any = Story
    for step in loc:
        tp = _model_in(tp)
        if isinstance(step, str) and isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(step)
            if field is None:
                return []
            tp = field.annotation
        else:
            args = typing.get_args(_strip(tp))
            tp = args[-1] if args else None
    tp = _model_in(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _strip(tp):
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _model_in(tp):
    """Unwrap Annotated/Optional to the model class or container inside."""
    tp = _strip(tp)
    if typing.get_origin(tp) in (Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = _strip(inner[0]) if len(inner) == 1 else tp
    return tp


def _cross_checks(data) -> list[tuple[tuple, str]]:
    """Rules that span several parts of the script, checked on the raw data so that they
    are reported together with every other problem. Malformed parts are skipped here:
    the models report those."""
    if not isinstance(data, dict):
        return []
    problems = []
    characters = data.get("characters")
    known = set(characters) if isinstance(characters, dict) else set()
    scenes = data.get("scenes") if isinstance(data.get("scenes"), list) else []
    problems += _webtoon_checks(data, scenes)
    seen_scene_ids: dict[str, int] = {}
    for s, scene in enumerate(scenes):
        if not isinstance(scene, dict):
            continue
        sid = scene.get("id")
        if isinstance(sid, str):
            if sid in seen_scene_ids:
                problems.append((("scenes", s, "id"), f"duplicate scene id {quote(sid)} (also scenes[{seen_scene_ids[sid]}])"))
            seen_scene_ids.setdefault(sid, s)
        panels = scene.get("panels") if isinstance(scene.get("panels"), list) else []
        for p, panel in enumerate(panels):
            if isinstance(panel, dict):
                problems += _panel_checks(("scenes", s, "panels", p), panel, known)
    return problems


def _webtoon_checks(data: dict, scenes: list) -> list[tuple[tuple, str]]:
    """On a `page.size: webtoon` story, page-only keys and panel `bleed` are refused: they
    would be silently ignored. (A strip too long to rasterise is refused once the story is valid.)"""
    from storyboard import layout

    page = data.get("page")
    if not isinstance(page, dict) or page.get("size") != layout.WEBTOON:
        return []
    why = "on a webtoon strip (page.size: webtoon), which has no paper, margins or frames: remove it"
    problems = [(("page", key), f"{quote(key)} has no meaning {why}") for key in PAGE_ONLY if key in page]
    for s, scene in enumerate(scenes):
        panels = scene.get("panels") if isinstance(scene, dict) and isinstance(scene.get("panels"), list) else []
        for p, panel in enumerate(panels):
            if isinstance(panel, dict) and "bleed" in panel:
                problems.append((("scenes", s, "panels", p, "bleed"), f"'bleed' has no meaning {why}"))
    return problems


def _entry_key(entry, id_field: str):
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        if id_field in entry:
            return entry[id_field] if isinstance(entry[id_field], str) else None
        if len(entry) == 1:
            return next(iter(entry))
    return None


def _panel_checks(where: tuple, panel: dict, known: set) -> list[tuple[tuple, str]]:
    problems = []
    cast = panel.get("cast") if isinstance(panel.get("cast"), list) else []
    cast_ids = []
    for c, entry in enumerate(cast):
        cid = _entry_key(entry, "id")
        if cid is None:
            continue
        if cid not in known:
            problems.append(((*where, "cast", c), f"unknown character {quote(cid)}{_did_you_mean(cid, known)}"))
        elif cid in cast_ids:
            problems.append(((*where, "cast", c), f"{quote(cid)} is already in this panel's cast"))
        cast_ids.append(cid)
    dialogue = panel.get("dialogue") if isinstance(panel.get("dialogue"), list) else []
    for d, entry in enumerate(dialogue):
        # (text alone is no speaker: the line's shape is the problem, said once by Line)
        speaker = _entry_key(entry, "speaker") if not isinstance(entry, str) else None
        # A known character outside the cast speaks off panel (the tail points out of the frame).
        if speaker is None or speaker == NARRATION or speaker in cast_ids or speaker in known:
            continue
        # (any character may speak, from off panel: the panel's cast first, then the story's)
        # (a cast id that is itself unknown is no answer: `cast: [Ines]` and `Ines Okafor: hi` mean 'ines')
        hint = (_did_you_mean(speaker, [*(c for c in cast_ids if c in known), NARRATION], fold_case=True)
                or _did_you_mean(speaker, sorted(known), fold_case=True))
        message = f"unknown speaker {quote(speaker)}{hint}"
        problems.append(((*where, "dialogue", d), message))
    return problems
