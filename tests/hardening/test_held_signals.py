"""A stop signal inside a held block waits for the block's end, even when another thread takes it."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from storyboard._signals import held
from storyboard.cli import _terminate

STOPS = (signal.SIGINT, signal.SIGTERM)


def test_a_stop_inside_a_held_block_waits_for_its_end_with_other_threads_running():
    # With the main thread blocking the signal, the kernel hands a process-wide SIGINT to this
    # thread; Python still runs the handler in the main thread at its next bytecode.
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    previous = {sig: signal.getsignal(sig) for sig in STOPS}
    signal.signal(signal.SIGINT, _terminate)
    finished_block = False
    try:
        with pytest.raises(KeyboardInterrupt):
            with held():
                os.kill(os.getpid(), signal.SIGINT)
                deadline = time.monotonic() + 0.5
                while time.monotonic() < deadline:  # bytecodes run: the handler has had its chance
                    time.sleep(0.01)
                finished_block = True
        assert finished_block, "the interrupt broke into the held block"
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        release.set()
        other.join()
