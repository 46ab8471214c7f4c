"""Planning: one `PanelRequest` per panel of a validated story laid out in a `Book`.

Everything an engine needs is decided here (prompt, negative prompt, pixel size, seed, cast
regions and masks, identity embeddings, style peels); engines never see the script.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from storyboard.engines._geometry import cover_crop, image_box
from storyboard.engines.base import CastMember, Identity, PanelRequest, Peel
from storyboard.layout import Book
from storyboard.masks import region_mask
from storyboard.staging import cast_names, cast_nouns, cast_regions, read_action, stage_panel
from storyboard.styles import get_preset

if TYPE_CHECKING:
    from storyboard.script import Panel, Scene, Story

# Base seed when neither the caller nor the script names one: renders stay reproducible.
DEFAULT_SEED = 1234

SHOT_PHRASES = {
    "establishing": "establishing shot, wide view of the location",
    "wide": "wide shot, full figures",
    "medium": "medium shot, waist up",
    "close-up": "close-up shot, head and shoulders",
    "extreme-close-up": "extreme close-up",
    "over-shoulder": "over-the-shoulder shot",
}
ANGLE_PHRASES = {
    "eye-level": "eye level",
    "low": "low angle, looking up",
    "high": "high angle, looking down",
    "birds-eye": "bird's-eye view, top-down",
    "dutch": "dutch angle, tilted frame",
}
POSITION_PHRASES = {
    "far-left": "at the far left",
    "left": "on the left",
    "center": "in the center",
    "right": "on the right",
    "far-right": "at the far right",
}


def plan_panels(
    story: "Story",
    book: Book,
    identities: Mapping[str, Identity] | None = None,
    *,
    seed: int | None = None,
    generation_size: Callable[[float], tuple[int, int]] | None = None,
) -> list[PanelRequest]:
    """One request per panel, in story order (scene, then panel).

    `identities` maps character ids to their embeddings (absent ids get none). `seed`
    overrides the script's `generation.seed`; panels with their own `seed` keep it.
    `generation_size` maps a panel's aspect (print width / height) to the engine's drawing
    size; the request then carries the cover-crop window of the panel (see `_geometry`).
    Without it, panels are drawn at the layout's size for them, uncropped.
    """
    identities = identities or {}
    base_seed = _base_seed(story, seed)
    sizes, crops, aspects = {}, {}, {}
    for slot in book.slots():
        where = (slot.scene, slot.panel)
        aspects[where] = slot.print_width / slot.print_height
        if generation_size is None:
            sizes[where], crops[where] = (slot.gen_width, slot.gen_height), None
        else:
            sizes[where] = generation_size(aspects[where])
            crops[where] = cover_crop(*sizes[where], aspects[where])
    frames = {(s.scene, s.panel): s.frame_in_art for s in book.slots()}
    peels = tuple(_resolve_peel(story.base_dir, p.path, p.weight) for p in story.style.peels)
    style_prompt, negative = _style_text(story)

    requests = []
    for s, p, scene, panel in story.panels():
        label = f"scene '{scene.id}' panel {p + 1}"
        if (s, p) not in sizes:
            raise ValueError(f"the book has no slot for {label}: it was laid out for another story")
        width, height = sizes[(s, p)]
        frame = frames[(s, p)]
        crop = crops[(s, p)]
        # Staged in the panel's own aspect; masks are drawn on the whole generated image.
        staging = stage_panel(story, panel, aspects[(s, p)] if crop else width / height, frame)
        cast = _cast(story, panel, identities, width, height, staging, crop)
        requests.append(
            PanelRequest(
                scene=s,
                panel=p,
                label=label,
                prompt=_prompt(scene, panel, cast, style_prompt),
                scene_prompt=_prompt(scene, panel, (), style_prompt),
                negative_prompt=negative,
                width=width,
                height=height,
                seed=panel.seed if panel.seed is not None else panel_seed(base_seed, scene.id, p),
                setting=scene.setting,
                action=panel.action,
                shot=panel.shot,
                angle=panel.angle,
                cast=cast,
                staging=staging,
                peels=peels,
                # Art bleeding past the frame: where the frame is, for staging (see staging.py).
                extra={"frame": frame} if frame != (0.0, 0.0, 1.0, 1.0) else {},
                crop=crop,
            )
        )
    return requests


def panel_seed(base_seed: int, scene_id: str, panel_index: int) -> int:
    """A seed in [0, 2**32) fixed by the base seed, the scene id and the panel's index in
    its scene: adding a panel to one scene leaves every other scene's seeds alone."""
    key = f"{base_seed}\x1f{scene_id}\x1f{panel_index}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big")


def _base_seed(story: "Story", seed: int | None) -> int:
    if seed is not None:
        return seed
    if story.generation.seed is not None:
        return story.generation.seed
    return DEFAULT_SEED


def _style_text(story: "Story") -> tuple[str, str]:
    style = story.style
    preset = get_preset(style.preset) if style.preset else None
    prompt = _join([preset.prompt if preset else "", style.prompt], dedupe=True)
    negative = _join([preset.negative if preset else "", style.negative], dedupe=True)
    return prompt, negative


def _prompt(scene: "Scene", panel: "Panel", cast: tuple[CastMember, ...], style_prompt: str) -> str:
    # CLIP reads 77 tokens: what this panel shows (action, who) goes first, the framing and
    # the setting next, the style (the same in every panel) last.
    entries = {entry.id: entry for entry in panel.cast}
    people = [_cast_phrase(member, entries[member.id].position) for member in cast]
    framing = _join([SHOT_PHRASES[panel.shot], ANGLE_PHRASES[panel.angle]])
    return _join([panel.action, *people, panel.prompt or "", framing, scene.setting, style_prompt])


def _cast_phrase(member: CastMember, position) -> str:
    where = POSITION_PHRASES.get(position, "") if isinstance(position, str) else ""
    expression = f"{member.expression} expression" if member.expression else ""
    return _join([member.description or member.name, expression, member.pose, where])


def _cast_phrase_of(character, cid: str, expression: str, pose: str) -> str:
    """A member's regional prompt: who it is and how it looks here (its region says where)."""
    return _join([character.description or character.name or cid, f"{expression} expression" if expression else "",
                  pose])


def _cast(story: "Story", panel: "Panel", identities: Mapping[str, Identity], width: int,
          height: int, figures, crop: tuple[int, int, int, int] | None) -> tuple[CastMember, ...]:
    members = []
    moods = read_action(panel.action, cast_names(story, panel), cast_nouns(story, panel))[1]
    # Who shouts in this panel shouts on the page: the mouth open ("IT'S AMAZING!" was said
    # with a straight mouth).
    shouting = {line.speaker for line in panel.dialogue if line.kind == "shout" and not line.off}
    for entry, box, figure in zip(panel.cast, cast_regions(story, panel), figures, strict=True):
        character = story.characters[entry.id]
        # The script's expression and pose, else what the action gives (staging read the pose),
        # else a shout's.
        expression = entry.expression or moods.get(entry.id, "") or ("shouting" if entry.id in shouting else "")
        pose = entry.pose or (figure.pose if figure.pose != "standing" else "")
        identity = identities.get(entry.id)
        # The identity steers where the figure is staged (the same body box the draft engine
        # draws and lettering avoids); the cast box only when the body is degenerate.
        body = figure.body if figure.body[2] > figure.body[0] and figure.body[3] > figure.body[1] else box
        members.append(
            CastMember(
                id=entry.id,
                name=character.name or entry.id,
                description=character.description,
                box=tuple(float(v) for v in box),
                expression=expression,
                pose=pose,
                identity=identity,
                # A mask only steers an identity embedding; without one it would be dead
                # weight (a full-size float array per member, hundreds in a long book).
                mask=None if identity is None else region_mask(image_box(body, crop, width, height), width, height),
                prompt=_cast_phrase_of(character, entry.id, expression, pose),
                tint=list(story.characters).index(entry.id),
            )
        )
    return tuple(members)


def _resolve_peel(base_dir: Path, ref: str, weight: float) -> Peel:
    """A local file when `ref` names one (relative to the script's folder), else a hub id."""
    local = (Path(base_dir) / ref).expanduser()
    return Peel(ref=str(local.resolve()) if local.exists() else ref, weight=float(weight))


def _join(parts: list[str], *, dedupe: bool = False) -> str:
    """Comma-join the non-empty comma-separated terms of `parts`; `dedupe` drops repeated
    terms (case-insensitive), for style text where a preset and the script overlap."""
    if not dedupe:
        return ", ".join(term for part in parts if part for term in map(str.strip, part.split(",")) if term)
    seen: set[str] = set()
    terms = []
    for part in parts:
        for term in (t.strip() for t in (part or "").split(",")):
            if term and term.lower() not in seen:
                seen.add(term.lower())
                terms.append(term)
    return ", ".join(terms)
