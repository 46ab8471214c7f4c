"""Translated editions: a translations file replaces every lettered line of a story.

A translations file (`translations/STEM.fr.yaml` beside the script `STEM.yaml`, else the
folder's shared `translations/fr.yaml`, or any file given with `--translation`) names its
language and maps each line of the script, by its location, to the translated text:

    language: fr
    title: Le Gardien du phare          # optional
    characters:                         # optional: the names the reader sees
      keeper: Le Gardien
    lines:
      arrival/1/caption: Le phare, 1893.
      arrival/1/dialogue/1: Bonjour !
      arrival/2/sfx/1: BOUM

Keys are `SCENE/PANEL/caption`, `SCENE/PANEL/dialogue/N` and `SCENE/PANEL/sfx/N` (the
scene's id, panels and lines counted from 1). A line of the script with no translation, a
key naming no line of the script, or an empty translation is a located error; a number is the
text it was written as (`1953`), as in a script. `characters:`, when given, names every
character of the script by its id (name tags, shot list, subtitles, the CBZ's Characters
use it); an id the script has not, a missing or empty name is a located error too. The art
does not depend on the lettering (nor on these names: prompts and the panel cache keep the
script's), so a translated edition reuses every cached panel.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from storyboard.errors import Problem, ScriptError

KEY = re.compile(r"(?P<scene>[^/]+)/(?P<panel>\d+)/(?P<kind>caption|dialogue/(?P<d>\d+)|sfx/(?P<s>\d+))\Z")


def line_keys(story: Any) -> Iterator[tuple[str, str]]:
    """(key, source text) of every translatable line, in story order."""
    for scene in story.scenes:
        for p, panel in enumerate(scene.panels, 1):
            if panel.caption:
                yield f"{scene.id}/{p}/caption", panel.caption
            for d, line in enumerate(panel.dialogue, 1):
                yield f"{scene.id}/{p}/dialogue/{d}", line.text
            for k, sfx in enumerate(panel.sfx, 1):
                yield f"{scene.id}/{p}/sfx/{k}", sfx


def canonical_tag(tag: str) -> str:
    """`tag` in the case RFC 5646 (section 2.1.1) recommends: the language lower case, a
    four-letter script title case, a two-letter region upper case, the rest (and everything
    after a singleton such as `x-`) lower case: `EN-us` -> `en-US`, `zh-hant` -> `zh-Hant`,
    `sr-latn-rs` -> `sr-Latn-RS`. Tags are case-insensitive, so this is the same tag; only the
    case changes (`iw` stays `iw`, where langcodes' standardize_tag would make it `he`, and an
    existing translations/iw.yaml would no longer be found)."""
    out, singleton = [], False
    for k, subtag in enumerate(tag.split("-")):
        singleton = singleton or (k > 0 and len(subtag) == 1)
        if k == 0 or singleton:
            out.append(subtag.lower())
        elif len(subtag) == 2:
            out.append(subtag.upper())
        elif len(subtag) == 4:
            out.append(subtag.title())
        else:
            out.append(subtag.lower())
    return "-".join(out)


def tag_problem(tag: str) -> str | None:
    """Why `tag` is not a well-formed BCP 47 language tag, or None when it is: "" when it is not
    even shaped like one (`../x`), else the reason, for a tag that breaks RFC 5646's grammar
    (langcodes' parser: `en-US-u`, a singleton with nothing after it; `zz-ZZZZ-1`) or repeats a
    variant or an extension's singleton (sections 2.2.5-2.2.6: `de-DE-1996-1996`, `en-a-bbb-a-ccc`).
    Whether its subtags are registered is not asked: a language langcodes does not know is
    still lettered (`azb`)."""
    from storyboard.script import LANGUAGE_TAG

    if not LANGUAGE_TAG.match(tag):
        return ""
    import langcodes

    try:
        parsed = langcodes.Language.get(tag, normalize=False)
    except langcodes.LanguageTagError as err:
        reason = str(err)
        return reason[:1].lower() + reason[1:]
    for kind, subtags in (("variant", parsed.variants or []),
                          ("singleton", [e.split("-")[0] for e in parsed.extensions or []])):
        seen = set()
        for subtag in map(str.lower, subtags):
            if subtag in seen:
                return f"the {kind} '{subtag}' is given twice"
            seen.add(subtag)
    return None


def tag_message(tag: str, name: str, examples: str = "de, pt-BR, zh-Hant") -> str | None:
    """The one line that says `tag` (named `name`: "--lang 'x'", "language 'x'") is not a
    language tag (`tag_problem`), or None when it is one."""
    problem = tag_problem(tag)
    if problem is None:
        return None
    named = tag_for_name(tag)  # `--lang Spanish`: a language's name, not its tag
    return (f"{name} is not a BCP 47 tag such as {examples}" + (f": {problem}" if problem else "")
            + (f" ({' '.join(tag.split())} is '{named}')" if named else ""))


def tag_for_name(name: str) -> str | None:
    """The tag of the language `name` is the English name of ('Spanish' -> 'es', 'Brazilian
    Portuguese' -> 'pt-BR', from Babel's CLDR names), or None."""
    wanted = " ".join(name.replace("_", " ").split()).casefold()
    if not wanted or not all(c.isalpha() or c in " -'()" for c in wanted):
        return None
    from babel import Locale

    return next((code.replace("_", "-") for code, english in Locale("en").languages.items()
                 if english.casefold() == wanted), None)


def checked_tag(tag: str, name: str) -> str:
    """`tag` in its canonical case (`canonical_tag`), once it is known to be a well-formed
    language tag (`tag_problem`): it names a file, so `../x` must not reach one. Raises
    StoryboardError naming the tag as `name` ("--lang 'x'", "language='x'") when it is not one."""
    from storyboard.errors import StoryboardError

    message = tag_message(tag, name)
    if message is not None:
        raise StoryboardError(message)
    return canonical_tag(tag)


def own_path(story: Any, language: str) -> Path:
    """translations/STEM.LANG.yaml beside the script (`story.yaml` -> `translations/story.de.yaml`):
    the script's own translations file, which `storyboard translations template` writes. LANG
    in any case on disk (see `on_disk`)."""
    if story.path is None:  # a story parsed from text has no name: only the folder's file
        return shared_path(story, language)
    return on_disk(Path(story.base_dir) / "translations", f"{Path(story.path).stem}.", language)


def shared_path(story: Any, language: str) -> Path:
    """translations/LANG.yaml beside the script: read by each script of the folder that has no
    file of its own (one story per folder, the layout before per-script files). LANG in any
    case on disk (see `on_disk`)."""
    return on_disk(Path(story.base_dir) / "translations", "", language)


def on_disk(folder: Path, prefix: str, language: str) -> Path:
    """FOLDER/PREFIX.LANG.yaml as the file is named on disk, LANG in any case (language tags are
    case-insensitive: `en-us.yaml`, written before tags were canonicalised, is the file of
    `--lang en-US`); with none, the name in `canonical_tag`'s case. Raises StoryboardError when
    two files differ only in that case: which one is meant cannot be told."""
    import os

    from storyboard.errors import StoryboardError

    wanted = f"{prefix}{canonical_tag(language)}.yaml"
    try:
        names = [name for name in os.listdir(folder) if len(name) == len(wanted) and name.startswith(prefix)
                 and name.endswith(".yaml") and name.lower() == wanted.lower()]
    except OSError:  # no translations folder (yet), or not a folder: the name to look for or write
        names = []
    if len(names) > 1:
        first, second = sorted(names)[:2]
        raise StoryboardError(f"{folder / first} and {folder / second} differ only in case and both would be the "
                              f"translations file for --lang {canonical_tag(language)}: keep one")
    return folder / (names[0] if names else wanted)


def default_path(story: Any, language: str) -> Path:
    """Where `--lang LANG` looks: the script's own file (`own_path`) when it exists, else the
    folder's `translations/LANG.yaml` when that exists, else the script's own (missing)."""
    own, shared = own_path(story, language), shared_path(story, language)
    return shared if not own.is_file() and shared.is_file() else own


def edition(story: Any, language: str | None = None, path: str | Path | None = None,
            font: str | Path | None = None) -> Any:
    """The edition of `story` asked for: lettered from the translations file at `path` (which
    must be in `language`, when given), else from the file `language` reads (`load_edition`),
    else, with neither or with `language` the script's own, `story` itself. Raises ScriptError
    as `load_translation` does, StoryboardError as `on_disk` and `checked_tag` do."""
    if language:
        language = checked_tag(language, f"language={language!r}")
    if path is not None:
        return load_translation(path, story, font, language)
    if edition_file(story, language) is not None:
        return load_edition(story, language, font)
    return story


def edition_file(story: Any, language: str | None = None, path: str | Path | None = None) -> Path | None:
    """The translations file `edition` reads for the same arguments: `path`, else the file
    `language` reads (`default_path`), else None: the script's own text (no `language`, or the
    script's own). Raises StoryboardError as `checked_tag` and `on_disk` do."""
    if path is not None:
        return Path(path)
    if language:
        language = checked_tag(language, f"language={language!r}")
        if not own_language(story, language):
            return default_path(story, language)
    return None


def own_language(story: Any, language: str) -> bool:
    """Whether `language` (a tag, any case) is the one the script is written in: its edition is
    the script itself and reads no translations file."""
    return bool(story.language) and canonical_tag(language) == canonical_tag(story.language)


def load_edition(story: Any, language: str, font: str | Path | None = None) -> Any:
    """`load_translation` of the file `--lang language` reads (`default_path`). When that is the
    folder's shared file, a problem found in it comes with one more line saying why it was read
    (another script's translations would otherwise read as a script missing lines); a missing
    file names both places looked in and the command that writes one. The file comes with the
    script, so it must lie, after symlinks, inside the folders the script's own files may lie in
    (`Story.roots`): one linked elsewhere is refused unread."""
    path, own = default_path(story, language), own_path(story, language)
    from storyboard import paths

    if not paths.is_inside(path, story.roots):  # found beside an untrusted script: confined as what it names
        raise ScriptError([Problem(str(path), 1, 1, "file", f"lies outside the script's folder (a link); {paths.HINT}")])
    try:
        return load_translation(path, story, font, language)
    except ScriptError as err:
        where = f"translations/{own.name}"
        if path == own and not path.exists() and own != shared_path(story, language):
            first = err.problems[0]
            raise ScriptError([Problem(first.file, first.line, first.column, first.path,
                                       f"no such translations file, nor translations/{language}.yaml shared by the "
                                       f"folder's scripts: write {where} with `storyboard translations template "
                                       f"--lang {language} {story.path}`")]) from None
        if path != own:
            note = Problem(str(path), 1, 1, "file", f"read for --lang {language} as the folder's shared file, since "
                           f"there is no {where} (this script's own): if this file translates another script, "
                           f"write {where} with `storyboard translations template --lang {language} {story.path}`")
            raise ScriptError([note, *err.problems]) from None
        raise


def template(story: Any, language: str) -> str:
    """The translations file to fill for `language`: every character's name and every line,
    each with its source text as a comment above an empty translation."""
    return _layout(story, language, None, {}, [(key, " ".join(text.split()), "", ()) for key, text in line_keys(story)])


def _layout(story: Any, language: str, title: str | None, names: dict[str, str],
            fills: list[tuple[str, str, str, tuple[str, ...]]]) -> str:
    """A translations file of `story` in `template`'s layout: the `title` (None: commented out,
    the edition keeps the script's), each character's name in `names` (else empty), and each
    (key, source text, translation, notes) of `fills`, the notes and the source as comments above it."""
    import json

    def value(text: str) -> str:  # a JSON string is a YAML double-quoted scalar
        return json.dumps(text, ensure_ascii=False)

    out = [f"# Translation of {story.title!r} ({story.language or 'source'} -> {language}).",
           "# Fill in every name and line (a name that stays the same is written as it is);",
           "# keys are character ids, and SCENE/PANEL/caption|dialogue/N|sfx/N.",
           f"language: {language}",
           # (left commented, the edition keeps the script's title: say where it shows)
           "# The edition's title (PDF and CBZ metadata, a storyboard sheet's header); uncomment to translate it:",
           f"title: {value(title)}" if title else f"# title: {value(story.title)}"]
    if story.characters:
        out.append("characters:")
        for cid, character in story.characters.items():
            out.append(f"  # {' '.join(character.name.split())}")
            out.append(f"  {cid}: {value(names.get(cid, ''))}")
    out.append("lines:" if fills else "lines: {}  # the script has no caption, dialogue or sound effect")
    for key, source, translation, notes in fills:
        out.extend(f"  # {note}" for note in notes)
        out.append(f"  # {source}")
        out.append(f"  {key}: {value(translation)}")
    return "\n".join(out) + "\n"


def load_translation(path: str | Path, story: Any, font: str | Path | None = None,
                     language: str | None = None) -> Any:
    """`story` lettered in the language of the translations file at `path`: a copy whose
    title (if translated), captions, dialogue and SFX are the translations, whose character
    names as the reader sees them (`Story.character_name`) are the file's `characters:` when
    it has them, and whose `language` is the file's. `language` is the edition asked for
    (`--lang`), if any. Raises ScriptError listing every problem, located: keys unknown or
    missing, a file in another language than asked, lines or names missing, extra (a
    character id not in the script, with the closest one), empty or not text (a number is
    text as written, as in a script), and characters no font of the lettering chain (`font`
    first, then the script's) draws."""
    from storyboard import _yaml
    from storyboard.script import _did_you_mean, _label, _letterable, _nfc, _problem

    path = Path(path)
    name = str(path)
    text, doc = _read(path)
    data, root = _nfc(doc.data), doc.root
    problems: list[Problem] = []

    def problem(loc: tuple, message: str, at_key: bool = False) -> None:
        if root is None:
            problems.append(Problem(name, 1, 1, ".".join(map(str, loc)) or "document", message))
        else:
            problems.append(_problem(name, root, loc, message, at_key=at_key))

    if not isinstance(data, dict):
        raise ScriptError([Problem(name, 1, 1, "document", "a translations file is a mapping with language: and lines:")])
    keys = ("language", "title", "characters", "lines")
    for key in data:
        if key not in keys:
            hint = _did_you_mean(key, keys) or " (a translations file has language, title, characters, lines)"
            problem((key,), f"unknown key '{key}'{hint}", at_key=True)
    for key in ("language", "lines"):
        if key not in data:
            problem((key,), "required key missing")
    wanted = data.get("language")
    if "language" in data and (not isinstance(wanted, str) or tag_problem(wanted) is not None):
        why = tag_problem(wanted) if isinstance(wanted, str) else ""
        problem(("language",), "language must be a BCP 47 tag such as fr, pt-BR, zh-Hant" + (f": {why}" if why else ""))
    elif language and "language" in data and wanted.lower() != language.lower():
        problem(("language",), f"--lang {language} but this file is a translation into {wanted}")
    lines = data.get("lines")
    if lines is None and "lines" in data:  # `lines:` left empty: as many lines as `{}`, each missing one named
        lines = {}
    if not isinstance(lines, dict):
        if "lines" in data:
            problem(("lines",), "lines must map each line's key (SCENE/PANEL/dialogue/N ...) to its translation")
        raise ScriptError(list(dict.fromkeys(problems)))  # no lines to check, so none listed as missing
    lines = {key: _yaml.as_written(value) for key, value in lines.items()}  # `1953` is the text "1953"
    source = dict(line_keys(story))
    for key, value in lines.items():
        if key not in source:
            hint = "" if KEY.match(str(key)) else " (keys are SCENE/PANEL/caption, SCENE/PANEL/dialogue/N, SCENE/PANEL/sfx/N)"
            problem(("lines", key), f"no line '{key}' in the script{hint}", at_key=True)
        elif value is not None and not isinstance(value, str):  # true, a list, a mapping
            problem(("lines", key), "the translation must be text (put it in quotes)")
        elif not value or not value.strip():
            problem(("lines", key), "the translation is empty")
        else:
            try:  # the script's own bound: a 2 MiB translation took the lettering minutes
                _letterable(value)
            except ValueError as err:
                problem(("lines", key), str(err))
    moved = any(key not in source for key in lines)  # a scene renamed, a line removed: the keys moved on
    tag = language or (wanted if isinstance(wanted, str) else "LANG")
    for key in source:
        if key not in lines:
            hint = (f": the script changed? `storyboard translations update --lang {tag} {story.path}` moves each "
                    "translation with its line") if moved else ""
            problem(("lines",), f"missing translation of {key} ({_short(source[key])}){hint}", at_key=True)
            moved = False  # (said once)
    title = _yaml.as_written(data.get("title"))
    if title is not None and not isinstance(title, str):
        problem(("title",), "title must be text")
    elif title is not None and not title.strip():  # `title: ""` is text: it is empty ("title must be text" said)
        problem(("title",), "the title is empty (leave the key out to keep the script's)")
    names = _names(data, story, problem)
    if problems:  # a line the script moved shows as one missing: the notes that no longer match say why
        stale = _stale(name, root, noted_sources(text, root, [k for k in lines if k in source]), source, story,
                       canonical_tag(wanted) if isinstance(wanted, str) and not tag_problem(wanted) else language or "LANG")
        raise ScriptError(list(dict.fromkeys(problems + stale)))
    edition = _apply(story, canonical_tag(wanted), title and _label(title), lines)  # SCRIPT.en-US.pdf however the file spells it
    edition._names = names
    edition._translations = path
    edition._stale = [str(p) for p in _stale(name, root, noted_sources(text, root, lines), source, story,
                                             canonical_tag(wanted))]
    from storyboard.lettering import story_font
    from storyboard.text.fonts import undrawn

    chain = story_font(edition, font)
    for key, value in ([("title", title or "")] + [(("characters", k), v) for k, v in names.items()]
                       + [(("lines", k), v) for k, v in lines.items()]):
        missing = chain.missing(value)
        if missing:
            problem(key if isinstance(key, tuple) else (key,), undrawn(missing))
    if problems:
        raise ScriptError(list(dict.fromkeys(problems)))
    return edition


def _read(path: Path) -> tuple[str, Any]:
    """The text of the translations file at `path` and its parsed YAML document (`_yaml.parse`).
    Raises ScriptError, located, for a file that is missing, not a regular file within the
    script's size limit (a FIFO or /dev/zero is refused by stat, not read), not UTF-8 or not YAML."""
    from storyboard import _files, _yaml

    name = str(path)
    try:
        text = _files.read_regular(path, _yaml.MAX_BYTES).decode("utf-8")
    except _files.Refused as err:
        reason = "no such translations file" if err.reason == "no such file" else err.reason
        raise ScriptError([Problem(name, 1, 1, "file", reason)]) from None
    except UnicodeDecodeError as err:
        raise ScriptError([Problem(name, 1, 1, "file", f"not UTF-8 text ({err.reason} at byte {err.start})")]) from None
    try:
        return text, _yaml.parse(text)
    except _yaml.YamlProblem as err:
        raise ScriptError([Problem(name, err.line + 1, err.column + 1, err.path, err.message)]) from None


def noted_sources(text: str, root: Any, keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The comment lines right above each key of `lines:` in a translations file's `text`, the
    nearest last, where the file has any: `template` notes the line's source text there
    (`# Every robot needs a name.`); a translator may have added a note of their own."""
    from storyboard import _yaml

    rows = text.splitlines()
    noted = {}
    for key in keys:
        node, matched = _yaml.locate(root, ("lines", key), at_key=True)
        above = node.start_mark.line - 1 if node is not None and matched == 2 else -1
        block = []
        while 0 <= above < len(rows) and rows[above].lstrip().startswith("#"):
            block.insert(0, " ".join(rows[above].lstrip()[1:].split()))
            above -= 1
        if block:
            noted[key] = tuple(block)
    return noted


def _stale(name: str, root: Any, noted: dict[str, tuple[str, ...]], source: dict[str, str], story: Any,
           language: str) -> list[Problem]:
    """A located warning for each line whose noted source text is not the script's line at its
    key any more: a line inserted, removed or rewritten in the script since the file was made
    moves every later key of its panel onto other text, and the edition would letter a
    translation in the wrong balloon."""
    from storyboard.script import _problem

    found = []
    for key, notes in noted.items():
        now = " ".join(source[key].split())
        if now not in notes:
            found.append(_problem(name, root, ("lines", key), (
                f"translates {_short(notes[-1])} (the note above it), but the script's line here is now {_short(now)}: "
                f"check it, or bring the file up to the script with `storyboard translations update --lang "
                f"{language} {story.path}`"), at_key=True))
    return found


def update(story: Any, path: str | Path, language: str) -> tuple[str, dict[str, int]]:
    """The translations file at `path` (into `language`) brought up to `story`: `template`'s
    layout, every name and the title the file has kept, and each line's translation found by
    the source text noted above it wherever that line now is (a line inserted before it moves
    its key), else at its key where the file notes no source; a line whose source text changed
    is left to translate again, its old source and translation noted above it. Returns (the
    file's new text, counts of lines 'kept', 'moved', 'changed' and 'new', and of 'dropped'
    translations of lines the script no longer has). A translator's own comments above a
    translation go with it. Raises ScriptError for a file that is no
    translations file, StoryboardError for one into another language."""
    import json

    from storyboard import _yaml
    from storyboard.errors import StoryboardError

    path, name = Path(path), str(path)
    text, doc = _read(path)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("lines") or {}, dict):
        raise ScriptError([Problem(name, 1, 1, "document", "a translations file is a mapping with language: and lines:")])
    wanted = _yaml.as_written(data.get("language"))
    if isinstance(wanted, str) and canonical_tag(wanted) != canonical_tag(language):
        raise StoryboardError(f"{path} is a translation into {wanted}, not {language}")

    def text_of(value: Any) -> str:
        value = _yaml.as_written(value)
        return value if isinstance(value, str) and value.strip() else ""

    old = {str(k): text_of(v) for k, v in (data.get("lines") or {}).items()}
    noted = noted_sources(text, doc.root, old)
    by_source: dict[str, list[str]] = {}  # each source text noted to the keys that translate it
    for key, notes in noted.items():
        for was in notes if old[key] else ():
            by_source.setdefault(was, []).append(key)
    counts = dict.fromkeys(("kept", "moved", "changed", "new", "dropped"), 0)
    used: set[str] = set()
    fills: list[tuple[str, str, str, tuple[str, ...]]] = []
    for key, source in line_keys(story):
        now = " ".join(source.split())
        found = [k for k in by_source.get(now, []) if k not in used]
        if key in found or (old.get(key) and key not in noted):  # in place (or nothing says otherwise)
            take, kind = key, "kept"
        elif found:
            take, kind = found[0], "moved"
        else:
            take, kind = None, ""
        if take is not None:
            used.add(take)
            counts[kind] += 1
        # the translator's own notes go with the translation (not the source noted, nor an earlier update's)
        notes = tuple(n for n in noted.get(take, ()) if n != now and not n.startswith('was "')) if take else ()
        fills.append((key, now, old[take] if take else "", notes))
    for i, (key, now, translation, _) in enumerate(fills):  # a rewritten line: its old text to go by
        if not translation and old.get(key) and key not in used:
            used.add(key)
            counts["changed"] += 1
            fills[i] = (key, now, "", (f"was {json.dumps(noted[key][-1], ensure_ascii=False)}: "
                                       f"{json.dumps(old[key], ensure_ascii=False)}",))
        elif not translation:
            counts["new"] += 1
    counts["dropped"] = sum(1 for key, value in old.items() if value and key not in used)
    names = data.get("characters") if isinstance(data.get("characters"), dict) else {}
    names = {cid: text_of(names.get(cid)) for cid in story.characters}
    return _layout(story, canonical_tag(language), text_of(data.get("title")) or None, names, fills), counts


def _names(data: dict, story: Any, problem) -> dict[str, str]:
    """The file's `characters:` (id -> name in its language), every problem with it passed to
    `problem`: not a mapping, an id the script has not (with the closest), a name empty or not
    text, a character of the script left out. {} without the key: the script's names stay."""
    from storyboard import _yaml
    from storyboard.script import _did_you_mean, _label

    if "characters" not in data:
        return {}
    given = data["characters"]
    if not isinstance(given, dict):
        problem(("characters",), "characters must map each character's id to its name in this language")
        return {}
    names = {}
    for cid, value in given.items():
        value = _yaml.as_written(value)
        if cid not in story.characters:
            hint = _did_you_mean(cid, story.characters) or f" (the script's are {', '.join(story.characters) or 'none'})"
            problem(("characters", cid), f"no character '{cid}' in the script{hint}", at_key=True)
        elif value is not None and not isinstance(value, str):
            problem(("characters", cid), "the name must be text (put it in quotes)")
        elif not value or not value.strip():
            problem(("characters", cid), "the name is empty")
        else:
            names[cid] = _label(value)  # a name tag is one line
    for cid, character in story.characters.items():
        if cid not in given:
            problem(("characters",), f"missing name of character {cid} ({_short(character.name)})", at_key=True)
    return names


def _short(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _apply(story: Any, language: str, title: str | None, lines: dict) -> Any:
    edition = story.model_copy(deep=True)
    edition._path = story.path
    edition._base_dir = story.base_dir
    edition.language = language
    if title:
        edition.title = title
    for scene in edition.scenes:
        for p, panel in enumerate(scene.panels, 1):
            if panel.caption:
                panel.caption = lines[f"{scene.id}/{p}/caption"]
            for d, line in enumerate(panel.dialogue, 1):
                line.text = lines[f"{scene.id}/{p}/dialogue/{d}"]
            panel.sfx = [lines[f"{scene.id}/{p}/sfx/{k}"] for k in range(1, len(panel.sfx) + 1)]
    return edition
