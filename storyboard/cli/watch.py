"""`storyboard watch SCRIPT -o OUT`: re-render on every save of the script or its files.

Polls modification times (no extra dependency, works on every file system, including
network mounts where change notifications are unreliable). A script that cannot be read at
the start (no such file, a folder) is an error, exit 2; afterwards problems in the script are
printed and the watch goes on (a script deleted while watched is waited for); only Ctrl-C (or
`kill`) ends it, with exit status 130 as for every command a signal stops: the shell's
convention for SIGINT, so that `watch ... && publish` does not go on as if watch had finished.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ORDER = 25
MIN_INTERVAL = 0.01  # seconds between checks for changes


def register(sub) -> None:
    from storyboard.cli.render import add_allow_path_argument, add_generation_arguments, add_translation_arguments

    p = sub.add_parser("watch", help="re-render a story every time it (or a file it uses) is saved",
                       description="Render the story, then again every time it (or a file it uses: reference "
                       "images, fonts, the translations file) is saved; a broken save is reported and watched on. "
                       "Ctrl-C (or kill) stops it with one line and exit status 130, as it stops render and "
                       "batch (the shell's convention for SIGINT); a render it cuts short writes nothing, and "
                       "its outputs keep their last version.")
    p.add_argument("script", help="story script (.yaml)")
    p.add_argument("-o", "--output", action="append", metavar="OUT", help="as for `storyboard render`")
    p.add_argument("--interval", type=_seconds, default=0.5, help="seconds between checks for changes")
    p.add_argument("--once", action="store_true", help=argparse.SUPPRESS)  # for tests and scripts
    add_allow_path_argument(p)
    add_translation_arguments(p)
    add_generation_arguments(p)
    p.set_defaults(func=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    if value < MIN_INTERVAL:  # 1e-300 polled the files' stat in a busy loop, a core at 100 %
        raise argparse.ArgumentTypeError(f"expected at least {MIN_INTERVAL} seconds between checks, got {text!r}")
    return value


def watched_files(script: Path, allow_paths=None, args=None, story=None) -> list[Path]:
    """The script plus every local file it names that exists (references, fonts, peels) and
    the translations file of `--lang` / `--translation`. `story`: the script already loaded
    (else it is loaded here; a script with errors is watched alone)."""
    from storyboard.cli.render import translation_file
    from storyboard.errors import ScriptError, StoryboardError
    from storyboard.script import load_story
    from storyboard.text.fonts import parse_font_entry

    files = [script]
    if story is None:
        try:
            story = load_story(script, allow_paths=allow_paths)
        except ScriptError:
            return files
    fonts = story.style.font or []
    fonts = [fonts] if isinstance(fonts, str) else fonts
    names = [ref for c in story.characters.values() for ref in (c.references or [])]
    names += [p.path for p in story.style.peels] + [parse_font_entry(f)[0] for f in fonts]
    files += [story.base_dir / n for n in names if (story.base_dir / n).is_file()]
    try:
        translation = translation_file(story, args) if args is not None else None
    except StoryboardError:  # two files for --lang whose names differ in case: render_once says so
        return files + [story.base_dir / "translations"]  # (the folder changes as either goes)
    if translation is not None:
        files.append(translation)
        if not getattr(args, "translation", None):  # --lang: a file saved in the other place takes over
            from storyboard.translations import own_path, shared_path

            lang = args.lang
            files += [p for p in dict.fromkeys((own_path(story, lang), shared_path(story, lang))) if p != translation]
    return files


def _stamp(files: list[Path]) -> tuple:
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), None, None))
    return tuple(out)


def _load(args):
    """The script as a Story, or the ScriptError that loading it raised."""
    from storyboard.errors import ScriptError
    from storyboard.script import load_story

    try:
        return load_story(args.script, allow_paths=args.allow_path)
    except ScriptError as err:
        return err


def render_once(args, executor=None, source=None) -> bool:
    """One render as `storyboard render` would do it; problems are printed, not raised.
    `executor`: an open executor to draw on (kept open across re-renders), else --executor's.
    `source`: the script as `_load` gave it (else it is loaded here)."""
    from storyboard.cli.render import default_output, edition, render_kwargs, summary_line
    from storyboard.errors import ScriptError, StoryboardError
    from storyboard.render import render

    outputs: list = []
    try:
        source = _load(args) if source is None else source
        if isinstance(source, ScriptError):
            raise source
        story = edition(source, args)
        outputs = args.output or [default_output(args.script, story, source)]
        kwargs = render_kwargs(args, story)
        if executor is not None:
            kwargs["executor"] = executor
        result = render(story, out=outputs, **kwargs)
    except KeyboardInterrupt as stop:  # `run` says which outputs the render cut short had written
        stop.outputs = [str(out) for out in outputs]
        raise
    except ScriptError as err:
        print(err, file=sys.stderr)
        return False
    except StoryboardError as err:
        print(f"error: {err}", file=sys.stderr)
        return False
    for warning in result.warnings:  # as render prints them ("dialogue shrunk to 7 pt")
        print(warning, file=sys.stderr)
    print(summary_line(result), flush=True)
    return True


def run(args) -> int:
    from storyboard.cli.render import check_flags
    from storyboard.executors import open_executor

    from storyboard.render import output_targets

    check_flags(args)  # a bad flag would fail every render: say so once, exit 2
    output_targets(args.output or [])  # so would an -o no render can write (x.txt, a file's "folder")
    script = Path(args.script)
    script_stamp, source = _stamp([script]), _load(args)
    if _unreadable(source):  # a typo in the name (or a folder): nothing would ever be saved there
        print(source, file=sys.stderr)
        return 2
    print(f"watching {script} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    # One executor for every re-render: under ray, one Ray session and one set of workers
    # (each with its engine built) serve them all, rather than a Ray start per save.
    executor = open_executor(args.executor, workers=args.workers, gpus_per_worker=args.gpus_per_worker)
    try:
        with executor:
            return _watch(args, script, executor, script_stamp, source)
    except KeyboardInterrupt as stop:
        print(stopped(script, stop), file=sys.stderr)
        return 130


def stopped(script: Path, stop: KeyboardInterrupt) -> str:
    """The line of a watch stopped by Ctrl-C: "stopped watching SCRIPT", and when it cut a render
    short (`stop.outputs`, set by `render_once`), which outputs were not written (the earlier
    ones stay) or were already complete (`storyboard.cli.interrupted`)."""
    from storyboard.cli import interrupted

    line = f"stopped watching {script}"
    named = getattr(stop, "outputs", [])
    if not named:
        return line
    cut = interrupted(stop)
    return f"{line}; {cut if cut != 'interrupted' else f'interrupted: {named[0]} not written'}"


def _unreadable(source) -> bool:
    """Whether loading the script failed on the file itself (missing, a folder, unreadable)."""
    from storyboard.errors import ScriptError

    return isinstance(source, ScriptError) and any(p.path == "file" for p in source.problems)


def _watch(args, script: Path, executor, script_stamp: tuple, source) -> int:
    stamp = None
    files = watched_files(script, args.allow_path, args, story=None if isinstance(source, Exception) else source)
    while True:
        # Only the script names the other files: read and validate it again only when it
        # changes (the longest step of a re-render), once for both the files and the render.
        now = _stamp([script])
        if now != script_stamp:
            script_stamp, source = now, _load(args)
            files = watched_files(script, args.allow_path, args,
                                  story=None if isinstance(source, Exception) else source)
        elif args.lang and not args.translation and not isinstance(source, Exception):
            # --lang reads its file whatever the case of the tag in its name: one renamed to
            # another case (or first saved in one) is the file to follow from now on.
            files = watched_files(script, args.allow_path, args, story=source)
        current = _stamp(files)
        if current != stamp:
            stamp = current
            if _unreadable(source) and not script.exists():  # deleted or moved away: editors save that way too
                print(f"{script} is gone: waiting for it to be saved again (Ctrl-C to stop)", file=sys.stderr, flush=True)
                ok = False
            else:
                ok = render_once(args, executor, source)
            if args.once:
                return 0 if ok else 2
        time.sleep(args.interval)
