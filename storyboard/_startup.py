"""Stop signals that reach the `storyboard` command while it is still starting.

Importing the package takes a while (tenths of a second on a busy machine) before the command
installs its own handlers; a Ctrl-C or `kill` then used to end in a KeyboardInterrupt traceback
or exit -15. When this process is the command (`python -m storyboard`, or the `storyboard`
script), the package's first lines call `remember_stops()`; the command asks `stopped()`
as it starts and ends with exit 130. Importing storyboard as a library changes nothing.
"""

from __future__ import annotations

import os  # already loaded by the interpreter; nothing slow may come before the handlers
import sys

_stopped = False


def _is_command() -> bool:
    argv = list(getattr(sys, "orig_argv", []))
    if "-m" in argv[:-1] and argv[argv.index("-m") + 1] == "storyboard":
        return True
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0] if sys.argv else ""
    return name in ("storyboard", "storyboard-script")


def _remember(signum, frame) -> None:
    global _stopped
    _stopped = True


def remember_stops() -> None:
    """Until the command sets its own, SIGINT and SIGTERM are remembered, not raised."""
    if _is_command():
        import signal

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _remember)


def stopped() -> bool:
    """Whether a stop signal arrived before the command took over its signals."""
    return _stopped
