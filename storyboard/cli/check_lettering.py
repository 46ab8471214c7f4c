"""`storyboard check-lettering OUTPUT`: does the lettering of a render keep every hard rule?"""

from __future__ import annotations

import os
import sys

ORDER = 65


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check-lettering",
        help="check the lettering of a rendered output against the letterer's rules",
        description=(
            "Read the lettering report in OUTPUT's manifest (OUTPUT.manifest.json, written by "
            "render) and print every violation of the hard rules (balloons over faces or each "
            "other, tails crossing, tails short of their speaker, reading order, speaker order, "
            "type under 6.5 pt, lettering outside the live area), located 'page P, panel N'. "
            "Exit status: 0 when there is none, 1 when there is any, 2 when the report cannot be read."
        ),
    )
    p.add_argument("output", metavar="OUTPUT", help="a rendered PDF, CBZ, folder of pages or webtoon strip (name.webtoon)")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from storyboard._words import counted
    from storyboard.errors import StoryboardError
    from storyboard.lettering_report import check
    from storyboard.render import manifest_path, output_format

    # An animatic's panels have no balloons (the lines are subtitles), a shot list no pages:
    # "no violations" said nothing.
    try:
        shows = output_format(args.output) not in ("animatic", "shotlist")
    except StoryboardError:
        shows = True
    if not shows:
        raise StoryboardError(f"{args.output} shows no lettering (an animatic's lines are subtitles, a shot list is "
                              "text): check the PDF, CBZ, pages or strip of the same render")
    path = manifest_path(args.output)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        panels = manifest["panels"]
        if not isinstance(panels, list) or not all(
                isinstance(p, dict) and isinstance(p.get("lettering"), list)
                and all(isinstance(item, dict) for item in p["lettering"]) for p in panels):
            raise KeyError("lettering")
    except FileNotFoundError:  # raised: the command prints it as one line, names escaped
        if not os.path.lexists(args.output):
            raise StoryboardError(f"{args.output}: no such file or folder") from None
        if args.output.lower().endswith((".yaml", ".yml")):  # the script itself: its render is what is checked
            raise StoryboardError(f"{args.output} is a story script: check-lettering reads what render wrote of it "
                                  "(its PDF, CBZ, page folder or strip)") from None
        raise StoryboardError(f"no manifest beside {args.output} ({path.name}): render it first") from None
    except (UnicodeDecodeError, json.JSONDecodeError):  # cut short or overwritten: not a missing report
        raise StoryboardError(f"{path} is damaged (not JSON): render it again") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise StoryboardError(f"{path} has no lettering report: render it again with this version") from None
    try:
        problems = check(panels, rtl=manifest.get("reading") == "rtl")
    except (KeyError, TypeError, ValueError, IndexError):  # a report edited by hand, or damaged
        raise StoryboardError(f"{path} has a lettering report this version cannot read: render it again") from None
    for problem in problems:
        print(problem)
    items = sum(len(p["lettering"]) for p in panels)
    if problems:
        print(f"{counted(len(problems), 'violation')} in {counted(len(panels), 'panel')}", file=sys.stderr)
        return 1
    print(f"{args.output}: {counted(len(panels), 'panel')}, {counted(items, 'lettered item')}: no violations")
    return 0
