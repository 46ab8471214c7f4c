"""Engines by name: `create_engine("draft")`, `create_engine("diffusion", model=...)`."""

from __future__ import annotations

import inspect
from typing import Any

from storyboard.engines.base import Engine
from storyboard.errors import StoryboardError

ENGINES = ("draft", "diffusion")


def create_engine(name: str, **options: Any) -> Engine:
    """The engine called `name`, built with `options`. The diffusion engine (and torch) is
    imported only here, so `import storyboard` stays light."""
    if name == "draft":
        from storyboard.engines.draft import DraftEngine

        cls = DraftEngine
    elif name == "diffusion":
        from storyboard.errors import require

        # Name the missing extra before importing the engine module, which needs both.
        require("torch", "diffusion")
        require("diffusers", "diffusion")
        from storyboard.engines.diffusion import DiffusionEngine

        cls = DiffusionEngine
    else:
        raise StoryboardError(f"unknown engine '{name}'; engines: {', '.join(ENGINES)}")
    accepted = inspect.signature(cls).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise StoryboardError(
                f"engine '{name}' has no option {', '.join(repr(k) for k in unknown)}"
                + (f"; options: {', '.join(accepted)}" if accepted else "; it takes none")
            )
    return cls(**options)
