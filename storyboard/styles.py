"""Style presets shipped with storyboard: named prompt and negative-prompt fragments.

A script picks one with `style.preset`; its own `style.prompt`/`style.negative` are added
after the preset's text. `storyboard styles` lists them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from storyboard.errors import StoryboardError

# Shared by every preset: the things no comic panel wants. Lettering is added later by the
# tool, so text generated inside the art is always a defect.
_COMMON_NEGATIVE = "text, letters, watermark, signature, speech bubble, blurry, lowres, jpeg artifacts"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str  # one line, shown by `storyboard styles`
    prompt: str
    negative: str


def _preset(name: str, description: str, prompt: str, negative: str) -> Preset:
    return Preset(name, description, prompt, f"{negative}, {_COMMON_NEGATIVE}")


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        _preset(
            "graphic-novel",
            "Painterly modern graphic novel: inked lines, muted colour, cinematic light.",
            "graphic novel art, bold ink lines, muted colour palette, cinematic lighting, "
            "detailed background",
            "photo, photorealistic, 3d render, oversaturated",
        ),
        _preset(
            "manga",
            "Black-and-white Japanese manga: clean line art, screentone shading.",
            "manga panel, black and white, clean line art, screentone shading, "
            "expressive eyes, dynamic composition",
            "colour, color, photo, photorealistic, 3d render, western comic",
        ),
        _preset(
            "western-comic",
            "Classic American comic book: heavy inks, flat bright colours, halftone.",
            "american comic book art, heavy black inks, flat bright colours, halftone dots, "
            "dynamic pose",
            "photo, photorealistic, 3d render, anime, manga, muted colours",
        ),
        _preset(
            "noir",
            "Film noir: stark black and white, hard shadows, rain and neon.",
            "film noir comic, stark black and white, high contrast, hard shadows, "
            "chiaroscuro, moody atmosphere",
            "colour, color, bright, cheerful, pastel, flat lighting",
        ),
        _preset(
            "watercolor",
            "Soft watercolour illustration: washes, paper texture, loose edges.",
            "watercolor illustration, soft washes, visible paper texture, loose edges, "
            "gentle light",
            "photo, photorealistic, 3d render, hard outlines, harsh contrast",
        ),
        _preset(
            "storyboard-pencil",
            "Film storyboard: quick grey pencil sketch, clear staging, no colour.",
            "storyboard sketch, grey pencil drawing, loose lines, clear staging, "
            "simple shading, film storyboard frame",
            "colour, color, photo, photorealistic, 3d render, detailed rendering",
        ),
        _preset(
            "ligne-claire",
            "Franco-Belgian ligne claire: uniform clean outlines, flat colours, no hatching.",
            "ligne claire comic art, uniform clean outlines, flat colours, no hatching, "
            "detailed realistic backgrounds, franco-belgian comic",
            "photo, photorealistic, 3d render, heavy shadows, crosshatching, gradients",
        ),
    )
}


class UnknownPresetError(StoryboardError):
    """`style.preset` names no shipped preset."""


def suggest(name: str) -> str | None:
    """The closest preset name to `name`, for "did you mean" hints, or None."""
    close = difflib.get_close_matches(name, list(PRESETS), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_preset_message(name: str) -> str:
    """The one-line message for an unknown preset, with a hint and the valid names."""
    hint = suggest(name)
    did_you_mean = f" (did you mean '{hint}'?)" if hint else ""
    return f"unknown style preset '{name}'{did_you_mean}; presets: {', '.join(PRESETS)}"


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownPresetError(unknown_preset_message(name)) from None
