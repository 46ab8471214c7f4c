"""`storyboard validate FILE...`: check scripts and list every problem with its location."""

from __future__ import annotations

import sys

ORDER = 10


def register(sub) -> None:
    from storyboard.cli.render import FORMAT_ALIASES, add_allow_path_argument, add_translation_arguments
    from storyboard.render import FORMATS

    p = sub.add_parser("validate", help="check story scripts and list every problem with its location")
    p.add_argument("files", nargs="+", metavar="FILE", help="story scripts (.yaml)")
    add_allow_path_argument(p)
    # What a render refuses depends on these flags of it (the draft engine letters labels, a
    # generative one needs room for the watermark and reads identities, --font changes the
    # glyphs, --library holds the `library:` characters):
    # validate takes them, so that it answers for `render` run with the same flags.
    g = p.add_argument_group("check for a render with these flags (as render takes them)")
    g.add_argument("--engine", choices=["draft", "diffusion"],
                   help="the engine render will use (default: the script's generation.engine, else diffusion)")
    g.add_argument("--font", help="TTF/OTF lettering font render will be given (overrides style.font)")
    g.add_argument("--no-watermark", action="store_true", help="render will be run with --no-watermark")
    g.add_argument("--library", help="the character library render will use (default: STORYBOARD_LIBRARY or "
                   "the per-user folder)")
    formats = g.add_argument("--format", choices=FORMATS,
                             help="the output render will write (a webtoon strip made from pages is limited in size)")
    formats.aliases = FORMAT_ALIASES
    add_translation_arguments(p)  # a translations file render would refuse is refused here too
    p.set_defaults(func=run)


def run(args) -> int:
    from functools import partial

    from storyboard.cli.render import edition
    from storyboard.errors import ScriptError, StoryboardError
    from storyboard.render import break_warnings, choose_engine, pose_warnings, script_checks
    from storyboard.errors import one_line
    from storyboard.script import load_story

    checks = partial(script_checks, engine=args.engine, font=args.font, watermark=not args.no_watermark,
                     library=args.library, formats=[args.format] if args.format else [])
    status = 0
    for name in args.files:
        try:
            story = edition(load_story(name, checks=checks, allow_paths=args.allow_path), args)
        except ScriptError as err:
            print(err, file=sys.stderr)
            status = err.exit_code
            continue
        except StoryboardError as err:  # --lang naming another language than its file's
            print(f"error: {name}: {one_line(str(err), 2000)}", file=sys.stderr)  # (one line, as `cli.main` prints)
            status = err.exit_code
            continue
        for warning in pose_warnings(story, choose_engine(story, args.engine)) + break_warnings(story) + story._stale:  # as render
            print(warning, file=sys.stderr)
        # an edition says which translations file was checked (--lang reads the script's own, else the folder's)
        edition_of = f"; {story.language} edition, {story._translations}" if story._translations is not None else ""
        print(f"ok: {name} ({story.summary()}{edition_of})")
    return status
