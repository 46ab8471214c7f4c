"""Holding stop signals while code that cannot take an exception runs.

The command turns SIGINT/SIGTERM into KeyboardInterrupt. Raised inside a C extension's
callback or module initialisation (HarfBuzz drawing through a Python pen, pydantic-core
being imported), that exception is printed as a traceback and swallowed, or turned into
another error. Held, the signal waits and arrives as soon as the block ends, at a point where
KeyboardInterrupt unwinds cleanly. Python handlers run in the main thread, so only it holds.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

STOPS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def held() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
