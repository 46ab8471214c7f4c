"""Engines turn a `PanelRequest` into an image: `draft` (no model) and `diffusion`."""

from storyboard.engines.base import CastMember, Engine, Identity, PanelRequest, Peel
from storyboard.engines.registry import create_engine

__all__ = ["CastMember", "Engine", "Identity", "PanelRequest", "Peel", "create_engine"]
