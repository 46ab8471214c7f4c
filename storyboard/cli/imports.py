"""`storyboard import SCREENPLAY.fountain -o story.yaml`: a story script from a screenplay."""

from __future__ import annotations

from pathlib import Path

ORDER = 15
MAX_BYTES = 4 << 20  # a feature screenplay is about 200 kB


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import",
        help="write a story script from a Fountain screenplay",
        description="Write a story script (a storyboard sheet, draft engine) from a Fountain "
        "screenplay: scene headings become scenes, action paragraphs panels, dialogue the lines "
        "of the characters on stage. The result validates; check shots and cast, then render it.",
    )
    p.add_argument("screenplay", help="a .fountain (or .spmd / .txt) screenplay")
    p.add_argument("-o", "--output", metavar="STORY.yaml",
                   help="where to write (default: the screenplay's name with .yaml; - for standard output)")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard.errors import ExportError, StoryboardError
    from storyboard.export import atomic_path
    from storyboard.importers.fountain import import_fountain
    from storyboard.script import parse_story

    from storyboard.render import check_writable

    source = Path(args.screenplay)
    if source.suffix.lower() in (".yaml", ".yml"):  # the story script itself, given by mistake
        raise StoryboardError(f"{source} is a story script (YAML); import reads a Fountain screenplay (.fountain)")
    to_stdout = args.output == "-"  # the script is text: `-o -` pipes it on
    out = Path(args.output) if args.output else Path(source.with_suffix(".yaml").name)
    if not to_stdout:
        if out.suffix.lower() not in (".yaml", ".yml"):  # `-o story.pdf` would get YAML in a .pdf
            raise ExportError(f"{out}: import writes a story script: name it .yaml (then render it to "
                              f"{out.suffix or 'pages'})" if out.suffix.lower() in (".pdf", ".cbz", ".mp4", ".csv")
                              else f"{out}: import writes a story script: name it .yaml")
        check_writable(out)  # a folder, or a file where a folder should be: --force would not help
    try:
        if not source.is_file():
            why = "not a regular file" if source.exists() else "no such file" + (
                " (standard input is not read: give the file's path)" if str(source) == "-" else "")
            raise StoryboardError(f"{source}: {why}")
        if source.stat().st_size > MAX_BYTES:
            raise StoryboardError(f"{source}: larger than {MAX_BYTES >> 20} MiB, not a screenplay")
        text = source.read_text(encoding="utf-8-sig")
        if "\x00" in text:  # UTF-8 decodes NUL: a binary file would become a one-panel story
            raise StoryboardError(f"{source}: not a text file (a NUL byte at character {text.index(chr(0))})")
    except UnicodeDecodeError as err:
        raise StoryboardError(f"{source}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise StoryboardError(f"{source}: cannot read: {err.strerror or err}") from None
    if not to_stdout and out.exists() and not args.force:
        raise ExportError(f"{out} exists: pass --force to replace it")
    script = import_fountain(text, default_title=source.stem.replace("_", " ").replace("-", " ").strip() or "Untitled")
    from storyboard import _yaml

    size = len(script.encode("utf-8"))
    if size > _yaml.MAX_BYTES:  # it said "OUT.yaml:1:1: file: the script is larger than 2 MiB", of a file it never wrote
        raise StoryboardError(f"{source}: the script it makes would be {size / 2**20:.1f} MiB, over the "
                              f"{_yaml.MAX_BYTES >> 20} MiB a script may be: split the screenplay")
    # Never write what would not validate; a piped script is checked as if saved in the current folder.
    filename, base = ("<stdout>", Path(".")) if to_stdout else (str(out), out.parent)
    story = parse_story(script, filename=filename, base_dir=base)
    if to_stdout:
        from storyboard.cli import piped

        return piped(script, "the story script", story.summary())
    with atomic_path(out, ".yaml") as tmp:
        tmp.write_text(script, encoding="utf-8")
    print(f"wrote {out}: {story.summary()}")
    return 0
