"""`storyboard translations template|update --lang LANG SCRIPT`: write the translations file to fill, or
bring one up to a script that changed."""

from __future__ import annotations

from pathlib import Path

ORDER = 35


def register(sub) -> None:
    p = sub.add_parser("translations", help="translated editions: write a translations file to fill, or bring "
                       "one up to a script that changed",
                       description="Translated editions: `template` writes the file to fill, `update` brings one "
                                   "up to a script that changed; `render --lang LANG` renders the edition.")
    tsub = p.add_subparsers(dest="translations_command", metavar="ACTION", required=True)
    t = tsub.add_parser("template",
                        help="write translations/SCRIPT.LANG.yaml with every name and line of the script to translate")
    t.add_argument("script", help="story script (.yaml)")
    t.add_argument("--lang", required=True, metavar="LANG", help="the language to translate into (BCP 47: de, pt-BR, ja)")
    t.add_argument("-o", "--output", metavar="FILE",
                   help="where to write (default: translations/SCRIPT.LANG.yaml beside the script, the file "
                        "--lang LANG reads first; - for standard output)")
    t.add_argument("--force", action="store_true", help="overwrite an existing file")
    t.set_defaults(func=run_template)
    u = tsub.add_parser("update", help="bring the translations file --lang reads up to the script: keep each "
                        "translation with its line wherever the line moved, list the new and changed lines to fill")
    u.add_argument("script", help="story script (.yaml)")
    u.add_argument("--lang", required=True, metavar="LANG", help="the edition's language (BCP 47: de, pt-BR, ja)")
    u.add_argument("--translation", metavar="FILE",
                   help="the translations file to update (default: the one --lang LANG reads)")
    u.set_defaults(func=run_update)


def run_update(args) -> int:
    from storyboard.cli.render import check_lang
    from storyboard.errors import StoryboardError
    from storyboard.export import atomic_path
    from storyboard.script import load_story
    from storyboard.translations import default_path, own_language, update

    check_lang(args)
    story = load_story(args.script)
    if own_language(story, args.lang):
        raise StoryboardError(f"{args.script}: the story is written in {args.lang} (language: {story.language}); "
                              "it has no translations file to update")
    path = Path(args.translation) if args.translation else default_path(story, args.lang)
    if path.is_dir():
        raise StoryboardError(f"{path} is a folder: name the translations file to update")
    if not path.is_file():  # (written where it was named: `template -o` for a file of one's own)
        where = f" -o {args.translation}" if args.translation else ""
        raise StoryboardError(f"{path}: no such translations file: write one with `storyboard translations template "
                              f"--lang {args.lang}{where} {args.script}`")
    if story.path is not None and path.samefile(story.path):
        raise StoryboardError(f"cannot write {path}: it is the script the file translates")
    text, counts = update(story, path, args.lang)
    with atomic_path(path, ".yaml") as tmp:
        tmp.write_text(text, encoding="utf-8")
    from storyboard._words import counted

    done = [counted(counts["kept"] + counts["moved"], "line") + " kept"
            + (f" ({counts['moved']} moved with their line)" if counts["moved"] else "")]
    fill = counts["new"] + counts["changed"]
    done.append((f"{fill} to translate" if fill else "nothing to translate")
                + (f" ({counts['changed']} changed, the old text noted above each)" if counts["changed"] else ""))
    if counts["dropped"]:
        done.append(f"{counted(counts['dropped'], 'translation')} of lines the script no longer has dropped")
    print(f"updated {path}: {', '.join(done)}")
    return 0


def run_template(args) -> int:
    from storyboard.cli.render import check_lang
    from storyboard.errors import StoryboardError
    from storyboard.export import atomic_path
    from storyboard.script import load_story
    from storyboard.translations import own_language, own_path, shared_path, template

    check_lang(args)
    story = load_story(args.script)
    if own_language(story, args.lang):  # --lang of its own language reads no file
        raise StoryboardError(f"{args.script}: the story is written in {args.lang} (language: {story.language}); "
                              "a template translates it into another language")
    if args.output == "-":  # the template is text: `-o -` pipes it on, the count goes to stderr
        from storyboard.cli import piped

        return piped(template(story, args.lang), "the template", _to_translate(story))
    path = Path(args.output) if args.output else own_path(story, args.lang)
    if path.suffix.lower() not in (".yaml", ".yml"):  # as import refuses: YAML in a .txt or .pdf misleads
        raise StoryboardError(f"{path}: the template is a translations file (YAML): name it "
                              f"{path.with_suffix('.yaml').name if path.suffix else f'{path.name}.yaml'}")
    from storyboard.render import check_writable

    check_writable(path)  # a folder, or a file where a folder should be: --force would not help
    if path.exists() and story.path is not None and path.samefile(story.path):  # nor here: the script is lost
        raise StoryboardError(f"cannot write {path}: it is the script the template translates")
    if path.exists() and not args.force:
        raise StoryboardError(f"{path} exists; pass --force to overwrite it")
    shared = shared_path(story, args.lang)
    if not args.output and not args.force and shared != path and _translates(shared, story):
        # --lang reads the script's own file first: an empty one would hide the shared one that works.
        raise StoryboardError(f"{shared} translates this script and --lang {args.lang} reads it; "
                              f"{path} would be read instead of it: pass --force to write it anyway, "
                              "or -o FILE to write the template elsewhere")
    with atomic_path(path, ".yaml") as tmp:
        tmp.write_text(template(story, args.lang), encoding="utf-8")
    print(f"wrote {path}: {_to_translate(story)}")
    return 0


def _translates(path: Path, story) -> bool:
    """Whether `path` is a translations file that translates `story` whole, without a problem."""
    from storyboard.errors import StoryboardError
    from storyboard.translations import load_translation

    if not path.is_file():
        return False
    try:
        load_translation(path, story)
    except StoryboardError:
        return False
    return True


def _to_translate(story) -> str:
    from storyboard._words import counted
    from storyboard.translations import line_keys

    names = f"{counted(len(story.characters), 'name')} and " if story.characters else ""
    return f"{names}{counted(sum(1 for _ in line_keys(story)), 'line')} to translate"
