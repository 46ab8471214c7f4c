"""`storyboard batch STORY... -o OUTDIR`: many stories, one output each, one summary table."""

from __future__ import annotations

import json
import sys

ORDER = 21


def register(sub) -> None:
    from storyboard.batch import BATCH_FORMATS
    from storyboard.cli.render import (FORMAT_ALIASES, add_allow_path_argument, add_generation_arguments,
                                       add_translation_arguments)

    p = sub.add_parser("batch", help="render many stories in one run, one output each",
                       description="Render each story to OUTDIR/NAME.pdf (or .cbz, NAME.webtoon/, NAME/ of PNG pages; "
                       "without --format, a page.size: webtoon story is written as its strip NAME.webtoon/, as render "
                       "writes it) "
                       "with one executor for the whole batch; a story that fails is reported and the others go on. "
                       "Exit status: 0 when every story was rendered, 2 when every failure was bad input (what "
                       "`storyboard render` exits 2 for), else 1.")
    p.add_argument("scripts", nargs="+", metavar="STORY", help="story scripts (.yaml)")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                   help="folder for the outputs: OUTDIR/NAME.pdf (or .cbz, NAME.webtoon/, or NAME/ for PNG pages)")
    formats = p.add_argument("--format", choices=BATCH_FORMATS,
                             help="output of every story (default: pdf, or the strip NAME.webtoon/ for a "
                                  "page.size: webtoon story, as render)")
    formats.aliases = {name: choice for name, choice in FORMAT_ALIASES.items() if choice in BATCH_FORMATS}
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--strict", action="store_true",
                   help="as render's, for each story: one whose lettering breaks a rule fails, its problems "
                        "printed located, and is not written (exit 1)")
    add_allow_path_argument(p)
    add_translation_arguments(p, batch=True)
    add_generation_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard.batch import render_many
    from storyboard.cli.render import ENGINE_FLAGS, check_flags, generation_kwargs, progress_reporter

    check_flags(args)
    with progress_reporter(enabled=sys.stderr.isatty() and not args.json) as progress:
        result = render_many(
            args.scripts, out_dir=args.output, format=args.format, allow_paths=args.allow_path,
            progress=_overall(progress) if progress else None,
            language=args.lang, translation=args.translation, strict=args.strict,
            engine=args.engine,
            # The draft engine takes none of these; each story's own engine choice decides.
            engine_options={name: getattr(args, name) for name in ENGINE_FLAGS},
            **generation_kwargs(args),
        )
    # As render prints them: a failed story's located errors, a written one's lettering warnings
    # ("dialogue shrunk to 7 pt"), story by story; a line every story has (a panel cache that
    # cannot be written) once.
    shown = set()
    for story in result.stories:
        for line in story.result.warnings if story.ok else story.errors:
            if line not in shown:
                shown.add(line)
                print(line, file=sys.stderr)
    if args.json:
        print(json.dumps(result.summary()))
    else:
        print(table(result))
    return result.status


def _overall(progress):
    """One bar over the panels of every story: stories' panels arrive interleaved."""
    counts: dict[int, tuple[int, int]] = {}

    def report(index, done, total, request, status):
        counts[index] = (done, total)
        progress(sum(d for d, _ in counts.values()), sum(t for _, t in counts.values()), request, status)

    return report


def table(result) -> str:
    """One line per story (status, output, pages, panels, seconds) and a closing count."""
    from storyboard._words import counted
    from storyboard.errors import one_line

    rows = [("story", "status", "output", "pages", "panels", "seconds")]
    for s in result.stories:
        if s.ok:
            r = s.result
            rows.append((str(s.script), "ok", str(s.output), "strip" if "webtoon" in r.formats else str(r.pages),
                         f"{r.panels_total} ({r.panels_generated} new)", f"{r.seconds:.1f}"))
        else:
            rows.append((str(s.script), "FAILED", "-", "-", "-", "-"))
    rows = [tuple(one_line(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    done = len(result.stories) - len(result.failed)
    lines.append(f"{counted(done, 'story', 'stories')} rendered, {len(result.failed)} failed "
                 f"in {result.seconds:.1f} s")
    return "\n".join(lines)
