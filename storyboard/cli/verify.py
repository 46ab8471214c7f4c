"""`storyboard verify FILE...`: does every generated panel carry the invisible watermark?"""

from __future__ import annotations

import sys

ORDER = 60


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "verify",
        help="check the invisible watermark of every panel in images, PDFs and CBZs",
        description=(
            "Report, per image or panel, whether it carries storyboard's invisible "
            "machine-generated watermark and which run made it. Exit status: 0 when every "
            "panel is marked, 1 when a mark is missing, 2 when an input cannot be read."
        ),
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="a PNG/JPEG image, a PDF, a CBZ or a folder of page images"
    )
    p.add_argument("--run", metavar="ID", help="also require every mark to carry this run id")
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard._words import counted
    from storyboard.errors import StoryboardError
    from storyboard.errors import one_line
    from storyboard.provenance import engine_of
    from storyboard.watermark import scan

    unreadable = missing = marked = drafts = 0
    for file in args.files:
        if engine_of(file) == "draft":
            print(f"{file}: draft sketches (draft engine): no generative model drew them, so they carry no mark by design")
            drafts += 1
            continue
        try:
            panels = scan(file)
        except StoryboardError as err:
            print(f"error: {one_line(str(err), 2000)}", file=sys.stderr)
            unreadable += 1
            continue
        for panel in panels:
            size = f"{panel.width}x{panel.height}"
            if not panel.checked:
                print(f"{panel.where} ({size}): skipped, too small to carry a mark")
            elif not panel.marked:
                missing += 1
                print(f"{panel.where} ({size}): NO MARK")
            elif args.run and panel.run_id != args.run:
                missing += 1
                print(f"{panel.where} ({size}): marked by another run {panel.run_id}")
            else:
                marked += 1
                print(f"{panel.where} ({size}): marked, run {panel.run_id}")
    unread = f", {counted(unreadable, 'unreadable file')}" if unreadable else ""
    if drafts < len(args.files):  # (drafts alone: their line says it all, not "0 of 0 panels marked")
        print(f"{marked} of {counted(marked + missing, 'panel')} marked{unread}")
    if unreadable:
        return 2
    if marked + missing == 0:
        if drafts == len(args.files):
            return 0
        print("no panel large enough to carry a mark was found")
        return 1
    return 1 if missing else 0
