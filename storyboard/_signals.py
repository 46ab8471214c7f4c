"""Holding stop signals while code that cannot take an exception runs.

The command turns SIGINT/SIGTERM into KeyboardInterrupt. Raised inside a C extension's
callback or module initialisation (HarfBuzz drawing through a Python pen, pydantic-core
being imported), that exception is printed as a traceback and swallowed, or turned into
another error. Held, the signal waits and arrives as soon as the block ends, at a point where
KeyboardInterrupt unwinds cleanly. Python handlers run in the main thread, so only it holds.

Blocking the signals in the main thread is not enough once other threads exist (the JPEG
encoders, Ray's): the kernel then hands a process-wide signal to one of them, and
Python still runs the handler in the main thread at its next bytecode, inside the held block.
So the command's handler asks `defer` first: inside a held block the stop is remembered and
raised as KeyboardInterrupt when the outermost block ends.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

STOPS = (signal.SIGINT, signal.SIGTERM)


_depth = 0  # held blocks open in the main thread
_pending = False  # a stop arrived inside one


def defer() -> bool:
    """Called by a stop signal's handler: True when the main thread is inside a held block,
    in which case the stop is kept and raised as the outermost block ends."""
    global _pending
    if _depth and threading.current_thread() is threading.main_thread():
        _pending = True
        return True
    return False


@contextmanager
def held() -> Iterator[None]:
    global _depth, _pending
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        if not _depth and _pending:
            _pending = False
            raise KeyboardInterrupt
