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


# Names people give an option that no spelling distance finds (`batch --out-dir`: 'output').
_OPTION_WORDS = {"out-dir": "output", "outdir": "output", "out-folder": "output", "output-folder": "output"}


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other error of the command (its
    default prints the whole usage first: 25 lines for `render`). No abbreviated options:
    `--engin draft` would silently mean `--engine`, and a later option could make it mean
    something else."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        self._given = list(sys.argv[1:] if args is None else args)  # what `error` may point into
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        from storyboard.errors import one_line

        if message.startswith("the following arguments are required"):  # argparse says that first
            message += self._mistyped(getattr(self, "_given", []), named=True)
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")

    def unrecognized(self, extra: list[str]) -> None:
        """Refuse the arguments nothing took (exit 2)."""
        self.error(f"unrecognized arguments: {' '.join(extra)}{self._mistyped(extra)}")

    def _mistyped(self, given: list[str], named: bool = False) -> str:
        """" (did you mean --format?)" for the options in `given` this command does not have,
        with the closest of its own, as a mistyped command or choice gets; "" for none.
        `named`, or more than one: " (did you mean --format for --formt?)"."""
        import difflib

        options = {name.lstrip("-"): name for name in self._option_string_actions if name.startswith("--")}
        hints = []  # (the closest option, the mistyped one)
        for arg in given:
            name = arg.split("=", 1)[0]
            if name.startswith("-") and len(name) > 2 and name not in self._option_string_actions:
                word = _OPTION_WORDS.get(name.lstrip("-").lower())
                close = [word] if word in options else difflib.get_close_matches(name.lstrip("-"), options, n=1,
                                                                                  cutoff=0.6)
                if close:
                    hints.append((options[close[0]], name))
        if len(hints) == 1 and not named:
            return f" (did you mean {hints[0][0]}?)"
        return f" (did you mean {' and '.join(f'{right} for {wrong}' for right, wrong in hints)}?)" if hints else ""

    def _check_value(self, action, value):
        # A mistyped command or choice (`storyboard rendr`) gets the closest name, as a
        # mistyped key of a script does; so does one in capitals (`--format PDF`) or a name
        # people use for a choice (`--format png`: `aliases` of the action, set by its command).
        if action.choices is not None and value not in action.choices and isinstance(value, str):
            import difflib

            names = [str(choice) for choice in action.choices]
            known = {**getattr(action, "aliases", {}), **{name.lower(): name for name in names}}  # lower -> choice
            close = known.get(value.lower()) or next(
                (known[m] for m in difflib.get_close_matches(value.lower(), known, n=1, cutoff=0.6)), None)
            hint = f"did you mean '{close}'? " if close else ""
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


def _chosen(parser: argparse.ArgumentParser, args) -> argparse.ArgumentParser:
    """The parser of the (sub)command `args` were parsed for: `storyboard characters add`'s,
    not `characters`'."""
    while True:
        subcommands = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        chosen = getattr(args, subcommands.dest, None) if subcommands else None
        if chosen not in (subcommands.choices if subcommands else {}):
            return parser
        parser = subcommands.choices[chosen]


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
            given = parser._given  # the command line as parse_known_args took it
            before = given.index(args.command) if args.command in given else len(given)
            blamed = parser if any(given.index(e) < before for e in extra if e in given) else _chosen(parser, args)
            blamed.unrecognized(extra)
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
            code = err.exit_code
        finished()
    except KeyboardInterrupt as stop:
        print(interrupted(stop), file=sys.stderr)
        return 130
    return int(code or 0)


def piped(text: str, what: str, summary: str) -> int:
    """`-o -` of a command whose output is text (`import`, `translations template`): `text` to
    standard output, to be piped on, and "wrote WHAT to standard output: SUMMARY" to standard
    error, where it does not mix into the text. The exit status: 0."""
    sys.stdout.write(text)
    sys.stdout.flush()
    print(f"wrote {what} to standard output: {summary}", file=sys.stderr)
    return 0


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


def finished() -> None:
    """The command's work is done (every output written): a stop signal from now on has
    nothing left to interrupt and is ignored, so a Ctrl-C just after the end cannot print
    "interrupted" and exit 130 after the summary said what was written. Only where the
    command's handler is installed (`run`); `main()` called in-process changes nothing."""
    import signal

    if signal.getsignal(signal.SIGINT) in (_terminate, _stop_again):
        _hold_signals(_ignore)


def _unraisable(unraisable) -> None:
    """`sys.unraisablehook` of the command. A stop raised where Python cannot pass an exception
    on (a finaliser, a weakref callback such as the one the import system runs as it drops a
    module lock) used to be printed as "Exception ignored ... Traceback" and lost: the render
    went on and exited 0. It is raised again through the command's handler, in the main thread,
    once this hook has returned (`_stop_again`); should that be such a place too, the same."""
    import threading

    if not issubclass(unraisable.exc_type, KeyboardInterrupt) or threading.current_thread() is not threading.main_thread():
        sys.__unraisablehook__(unraisable)
        return
    import signal

    signal.signal(signal.SIGINT, _stop_again)  # `_terminate` set `_ignore`: only the first stop interrupts
    _stop_soon()


def _stop_soon() -> None:
    # From another thread, a moment later: a stop tripped here would be handled at the hook's
    # own next bytecode (Python checks for pending handlers right after each call).
    import _thread
    import signal
    import time

    def trip() -> None:
        time.sleep(0.002)
        _thread.interrupt_main(signal.SIGINT)

    _thread.start_new_thread(trip, ())


def _stop_again(signum, frame):
    """The stop `_unraisable` raises again: `_terminate`'s, unless the main thread is still
    inside the hook, when it is tried again a moment later."""
    inside = frame
    while inside is not None and inside.f_code is not _unraisable.__code__:
        inside = inside.f_back
    if inside is not None:
        _stop_soon()
        return
    _terminate(signum, frame)


def run() -> None:  # pragma: no cover - console entry point wrapper
    import builtins
    import signal

    from storyboard import _startup

    sys.unraisablehook = _unraisable
    try:  # `_terminate` can raise from the moment it is set
        for name in _STOP_SIGNALS:
            signal.signal(getattr(signal, name), _terminate)
        if _startup.stopped():  # a stop signal while the package was still importing
            _hold_signals(_ignore)  # as `_terminate` does: later ones cannot break the clean-up
            raise KeyboardInterrupt
        code = main()
        # Python restores the default handlers as it shuts down: a late signal would then kill
        # the process (exit -15) after the work was done and reported. Held inside the `try`:
        # a stop before this line is still the interrupt it means.
        _hold_signals(signal.SIG_IGN)
    except KeyboardInterrupt:  # a stop before main() took over, or one it let out; `_ignore` is set by now
        print("interrupted", file=sys.stderr)
        code = 130
    _hold_signals(signal.SIG_IGN)
    # CPython marks a KeyboardInterrupt raised inside text run by exec (dataclasses and
    # namedtuple build their methods so, as a module is imported) as unhandled even once it was
    # caught, and `python -m storyboard` then ends by sending itself SIGINT (status -2, where a
    # thread takes it) instead of `code`. Running any text clears the mark (pythonrun.c,
    # run_eval_code_obj). (`eval` here is the subcommand's module.)
    builtins.eval("0")
    sys.exit(code)
