"""Keeping CPython's cycle collector off what a render builds once and keeps to its end.

Reading and planning a 100-page book makes a few hundred thousand long-lived objects (the
node tree, the story's models, the plan, the fonts): the collector ran hundreds of passes
over them while they were made, two of them full passes (0.1 s of the render process), and
then one more full pass in each forked page worker over everything it inherited (0.06 s
each, and every object it touched was copied into the worker). Reference counting still
frees everything as usual; only reference cycles wait (for the end of the block).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside the block (gc.disable), as it was after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Every object alive at the start is left out of collections until the block ends
    (gc.freeze); the outermost block gives them back (gc.unfreeze), so a long-lived process
    (`storyboard watch`) collects what a render left. A process that froze objects itself
    keeps them frozen."""
    global _open
    outermost = _open == 0 and gc.get_freeze_count() == 0  # (counting the frozen walks them all)
    _open += 1
    gc.freeze()
    try:
        yield
    finally:
        _open -= 1
        if outermost:
            gc.unfreeze()


_open = 0  # `frozen` blocks open now
