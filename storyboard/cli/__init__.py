"""The `storyboard` command. Each subcommand lives in its own module with `register()`.

Only argument handling lives here; every error a user can cause is a `StoryboardError`
printed as its one-line message (or lines, for script problems) with its exit status.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Every module of this package that defines `register(subparsers)` is a subcommand; its
# `ORDER` (default 100) sets where `storyboard --help` lists it.
def _command_modules():
    import pkgutil

    import storyboard.cli as package

    modules = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"storyboard.cli.{info.name}")
            if hasattr(module, "register"):
                modules.append(module)
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other error of the command (its
    default prints the whole usage first: 25 lines for `render`). No abbreviated options:
    `--engin draft` would silently mean `--engine`, and a later option could make it mean
    something else."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        from storyboard.errors import one_line

        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")

    def _check_value(self, action, value):
        # A mistyped command or choice (`storyboard rendr`) gets the closest name, as a
        # mistyped key of a script does.
        if action.choices is not None and value not in action.choices and isinstance(value, str):
            import difflib

            names = [str(choice) for choice in action.choices]
            close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            from storyboard.errors import quote

            raise argparse.ArgumentError(action, f"invalid choice: {quote(value)} ({hint}choose from {', '.join(names)})")
        super()._check_value(action, value)

    def _get_value(self, action, arg_string):
        # An empty value is a shell variable that was not set (`--cache "$CACHE"`): as a
        # path it would silently mean the current folder. Free text may be empty; render's
        # and watch's `-o ''` get their own message from render.
        if arg_string == "" and action.nargs != argparse.PARSER and action.dest not in ("name", "description") and not (
                action.dest == "output" and self.prog.endswith((" render", " watch"))):
            raise argparse.ArgumentError(action, "the value is empty")
        return super()._get_value(action, arg_string)


def build_parser() -> argparse.ArgumentParser:
    from storyboard import __version__

    parser = _Parser(
        prog="storyboard",
        description="Turn a written story into a finished comic or storyboard.",
    )
    parser.add_argument("--version", action="version", version=f"storyboard {__version__}")
    verbose = dict(action="store_true", help="show the model libraries' own log lines (hub, diffusers)")
    parser.add_argument("--verbose", **verbose)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        module.register(sub)
    parser.commands = sub.choices
    for command in sub.choices.values():  # also after the subcommand, where people type it
        if "--verbose" not in command._option_string_actions:
            command.add_argument("--verbose", default=argparse.SUPPRESS, **verbose)
    return parser


class _StdoutFailed(Exception):
    """Writing to standard output failed (`> /dev/full`, a reader that left): `args[0]` is the OSError."""


class _Stdout:
    """sys.stdout while a command runs, with its write failures told apart from the rest."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as err:
            raise _StdoutFailed(err) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as err:
            raise _StdoutFailed(err) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    # A name or text the terminal's encoding cannot show (an emoji under PYTHONIOENCODING=ascii
    # or a legacy code page) is printed escaped, never a UnicodeEncodeError traceback.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    stdout = sys.stdout
    if stdout is not None:
        sys.stdout = _Stdout(stdout)
    try:
        code = _main(argv)
        if stdout is not None:
            sys.stdout.flush()  # here, where a failure can still be reported
        return code
    except _StdoutFailed as failed:
        import os

        if stdout is not None:  # the interpreter's last flush would fail (and print) again
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        err = failed.args[0]
        if isinstance(err, BrokenPipeError):  # `storyboard ... | head`: the reader left, nothing more to say
            return 0
        print(f"error: cannot write to standard output: {err.strerror or err}", file=sys.stderr)
        return 1  # not the input's fault: the place the output goes
    finally:
        sys.stdout = stdout


def _main(argv: list[str] | None) -> int:
    try:
        from storyboard.errors import StoryboardError

        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the command they were given to (`storyboard render: error: ...`)
            given = list(sys.argv[1:] if argv is None else argv)
            before = given.index(args.command) if args.command in given else len(given)
            blamed = parser if any(given.index(e) < before for e in extra if e in given) else parser.commands[args.command]
            blamed.error(f"unrecognized arguments: {' '.join(extra)}")
        if getattr(args, "verbose", False) is True:
            import os

            os.environ["STORYBOARD_VERBOSE"] = "1"
        else:  # pypdf logs each flaw of a damaged PDF ("EOF marker not found"): the command's one line says it
            import logging

            logging.getLogger("pypdf").setLevel(logging.ERROR)
        from storyboard._signals import held

        with held():  # pydantic-core's initialisation cannot take a KeyboardInterrupt
            import storyboard.script  # noqa: F401  (every command that reads a script needs it)
        try:
            code = args.func(args)
        except StoryboardError as err:
            from storyboard.errors import one_line

            print(f"error: {one_line(str(err), 2000)}" if not _is_located(err) else str(err), file=sys.stderr)
            return err.exit_code
    except KeyboardInterrupt as stop:
        print(interrupted(stop), file=sys.stderr)
        return 130
    return int(code or 0)


def interrupted(stop: KeyboardInterrupt) -> str:
    """The line for a Ctrl-C: "interrupted", and for a render to several outputs which of them
    were already complete and are kept (`stop.outputs`: the outputs as named, set by `render`;
    `stop.kept`: those written whole). The others were not written (an earlier file stays)."""
    from pathlib import Path

    from storyboard.errors import one_line

    named = getattr(stop, "outputs", [])
    kept = {Path(p) for p in getattr(stop, "kept", [])}
    done = [name for name in named if Path(name) in kept]
    rest = [name for name in named if Path(name) not in kept]
    if len(named) < 2 and not done:
        return "interrupted"
    if not done:
        return one_line(f"interrupted: none of the outputs was written ({', '.join(rest)})", None)
    line = f"interrupted: {', '.join(done)} {'is' if len(done) == 1 else 'are'} complete and kept"
    return one_line(line + (f"; {', '.join(rest)} not written" if rest else ""), None)


def _is_located(err: Exception) -> bool:
    from storyboard.errors import ScriptError

    return isinstance(err, ScriptError)


_STOP_SIGNALS = ("SIGINT", "SIGTERM")


def _terminate(signum, frame):
    """`kill`/`timeout` end a render as cleanly as Ctrl-C does. Only the first signal
    interrupts: later ones (a second `kill`, an impatient Ctrl-C) are ignored so that they
    cannot break the clean-up the first one started, which ends with exit 130. Inside a
    held block (`storyboard._signals`) the interrupt waits for the block's end."""
    from storyboard._signals import defer

    _hold_signals(_ignore)
    if defer():
        return
    raise KeyboardInterrupt


def _ignore(signum, frame):
    pass


def _hold_signals(handler) -> None:
    """Block the stop signals in the main thread and give them `handler`. Blocked signals
    wait unseen and vanish at exit; `handler` takes any that another thread still receives.
    (SIG_IGN alone is not enough: a signal already pending would raise OSError.)"""
    import signal

    stops = [getattr(signal, name) for name in _STOP_SIGNALS]
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    for sig in stops:
        signal.signal(sig, handler)


def run() -> None:  # pragma: no cover - console entry point wrapper
    import signal

    from storyboard import _startup

    for name in _STOP_SIGNALS:
        signal.signal(getattr(signal, name), _terminate)
    try:
        if _startup.stopped():  # a stop signal while the package was still importing
            raise KeyboardInterrupt
        code = main()
    except KeyboardInterrupt:  # Ctrl-C before main() was entered
        print("interrupted", file=sys.stderr)
        code = 130
    # Python restores the default handlers as it shuts down: a late signal would then kill
    # the process (exit -15) after the work was done and reported.
    _hold_signals(signal.SIG_IGN)
    sys.exit(code)
