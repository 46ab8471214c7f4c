"""storyboard: turn a written story into a finished comic or storyboard.

The public API is small: `load_story`, `Story`, `render`, `RenderResult`, and
`characters.CharacterLibrary`. Heavy libraries (torch, diffusers, insightface) are imported
only when the diffusion engine or a face embedder is actually used.
"""

from __future__ import annotations

from storyboard._startup import remember_stops

remember_stops()  # first: a Ctrl-C while the command is still importing ends it quietly

from typing import TYPE_CHECKING  # noqa: E402

__version__ = "0.1.0"

__all__ = ["load_story", "Story", "render", "render_many", "RenderResult", "evaluate", "__version__"]

# `render` is imported eagerly (its module is light): the function must shadow the
# submodule of the same name, which Python would otherwise bind to `storyboard.render`.
from storyboard.render import RenderResult, render  # noqa: E402

_LAZY = {"load_story": "storyboard.script", "Story": "storyboard.script",  # pydantic is not free
         "evaluate": "storyboard.evaluation",  # scipy, dlib: only when measuring
         "render_many": "storyboard.batch"}

if TYPE_CHECKING:
    from storyboard.batch import render_many
    from storyboard.evaluation import evaluate
    from storyboard.script import Story, load_story


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'storyboard' has no attribute {name!r}")
