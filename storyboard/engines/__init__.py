"""Engines turn a `PanelRequest` into an image: `draft` (no model) and `diffusion`."""

from storyboard.engines.base import CastMember, Engine, Identity, PanelRequest, Peel

__all__ = ["CastMember", "Engine", "Identity", "PanelRequest", "Peel"]
