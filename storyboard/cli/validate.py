"""`storyboard validate FILE...`: check scripts and list every problem with its location."""

from __future__ import annotations

import sys

ORDER = 10


def register(sub) -> None:
    from storyboard.cli.render import add_allow_path_argument

    p = sub.add_parser("validate", help="check story scripts and list every problem with its location")
    p.add_argument("files", nargs="+", metavar="FILE", help="story scripts (.yaml)")
    add_allow_path_argument(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard.errors import ScriptError
    from storyboard.render import script_checks
    from storyboard.script import load_story

    status = 0
    for name in args.files:
        try:
            story = load_story(name, checks=script_checks, allow_paths=args.allow_path)
        except ScriptError as err:
            print(err, file=sys.stderr)
            status = err.exit_code
            continue
        print(f"ok: {name} ({story.summary()})")
    return status
