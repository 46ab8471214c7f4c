"""Fountain screenplays (https://fountain.io) into story scripts.

Parsing is screenplain's (a maintained Fountain parser; the `fountain` extra). The mapping:

| Fountain | story script |
|---|---|
| title page `Title:` / `Author:` (or `Authors:`, `Credit:`) | `title`, `author` |
| scene heading (`INT. KITCHEN - NIGHT`, forced `.HEADING`, `#12#` numbers) | a scene; `setting` from the heading, `id` from its number or words |
| action paragraph (and forced `!action`) | a panel: `action` is the paragraph; `shot` from a leading cue (CLOSE ON, WIDE, INSERT, ...), else `medium`; the characters it names (`GRANDMA (80s) stirs`, `Alex and Grandma sit`: the name as written in the cues, or capitalised) join its cast after its speakers, at most five |
| centred text (`> THE END <`) | a title-card panel with the text as its caption |
| dialogue (`MARA`, `@McCLANE`, extensions `(V.O.)` `(O.S.)` `(CONT'D)`) | lines of the panel it follows; the speaker joins that panel's cast (a sixth speaker opens a new panel); `(V.O.)` is narration; `(O.S.)`, `(O.C.)`, `(OFF)`: heard from outside the frame, so not cast (the tail points out of the panel; `off: true` when the speaker is also on screen there) |
| parentheticals `(whispering)`, `(shouting)`, `(thinking)` ... | the line's `kind`: whisper, shout, thought |
| dual dialogue (`^`) | both speakers in the same panel |
| transitions (`CUT TO:`), sections (`#`), synopses (`=`), notes (`[[...]]`) | YAML comments where they stood |
| page breaks (`===`) | `new_page: true` on the next panel |
| boneyard (`/* ... */`) | dropped, as Fountain says |

Characters get ids from their names and a description from the action sentence that first
names them in capitals (the screenplay convention for introducing a character): what the
parentheses after the name say (`VIC (40s, grey suit, calm)`: "Vic, in their 40s, grey suit, calm"),
else the sentence; the sentence is kept as a comment above it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from storyboard._yaml import scalar
from storyboard.errors import StoryboardError, require
from storyboard.script import MAX_LETTERED

NOTE = re.compile(r"\[\[(.*?)\]\]", re.S)
MARK_OPEN, MARK_CLOSE = "\u27e6", "\u27e7"  # notes survive parsing inside these brackets
MARKED = re.compile(f"{MARK_OPEN}(.*?){MARK_CLOSE}", re.S)
ESCAPED = {"*": "\ue000", "_": "\ue001"}  # `\\*` and `\\_` (the characters, not emphasis) while parsing
SHOTS = [  # leading cue of an action paragraph -> shot
    (re.compile(r"^(EXTREME CLOSE[- ]?UP|ECU|EXTREME CLOSE ON)\b"), "extreme-close-up"),
    (re.compile(r"^(CLOSE ON|CLOSE[- ]?UP|CU|INSERT|TIGHT ON)\b"), "close-up"),
    (re.compile(r"^(OVER THE SHOULDER|OVER-THE-SHOULDER|OTS)\b"), "over-shoulder"),
    (re.compile(r"^(ESTABLISHING|AERIAL)\b"), "establishing"),
    (re.compile(r"^(WIDE|WIDE SHOT|WIDE ON|LONG SHOT|LS)\b"), "wide"),
    (re.compile(r"^(MEDIUM|MEDIUM SHOT|MS|ANGLE ON|ON)\b"), "medium"),
]
KINDS = [  # words of a parenthetical -> dialogue kind
    (re.compile(r"whisper|quiet|softly|under (?:his|her|their) breath|hush|murmur|sotto", re.I), "whisper"),
    (re.compile(r"shout|yell|scream|loud|call(?:s|ing) out|bellow|roar", re.I), "shout"),
    (re.compile(r"think|thought|to (?:him|her|them)self", re.I), "thought"),
]


@dataclass
class _Panel:
    action: str
    shot: str = "medium"
    cast: list[str] = field(default_factory=list)
    lines: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (speaker, text, kind, off screen)
    caption: str | None = None
    new_page: bool = False
    comments: list[str] = field(default_factory=list)


@dataclass
class _Scene:
    id: str
    setting: str
    panels: list[_Panel] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def import_fountain(text: str, *, default_title: str = "Untitled") -> str:
    """The story script (YAML text) for a Fountain screenplay; valid for `storyboard validate`.

    Raises MissingExtraError when screenplain (the `fountain` extra) is not installed."""
    parser = require("screenplain.parsers.fountain", "fountain")
    types = require("screenplain.types", "fountain")
    marked = NOTE.sub(lambda m: f"{MARK_OPEN}{' '.join(m.group(1).split())}{MARK_CLOSE}", text)
    marked = marked.replace("\\*", ESCAPED["*"]).replace("\\_", ESCAPED["_"])  # (screenplain: `\\_x\\_` is `\\x\\`)
    play = parser.parse(io.StringIO(marked))
    builder = _Builder()
    for paragraph in play.paragraphs:
        builder.add(paragraph, types)
    if not any(scene.panels for scene in builder.scenes):
        raise StoryboardError("no action or dialogue in the screenplay: nothing to make panels of")
    title = " ".join(play.title_page.get("Title", [])) or default_title
    author = " ".join(play.title_page.get("Author", []) or play.title_page.get("Authors", [])
                      or play.title_page.get("Credit", []))
    return builder.yaml(_plain(title), _plain(author))


class _Builder:
    def __init__(self):
        self.scenes: list[_Scene] = []
        self.names: dict[str, str] = {}  # id -> display name
        self.actions: list[str] = []  # every action text, for character descriptions
        self.pending: list[str] = []  # comments waiting for the next scene or panel
        self.page_break = False

    # -- paragraphs ---------------------------------------------------------------------

    def add(self, paragraph: Any, t: Any) -> None:
        if isinstance(paragraph, t.Slug):
            self._scene(_spaces(str(paragraph.line)), paragraph.scene_number, paragraph.synopsis)
        elif isinstance(paragraph, t.Action):
            self._action(" ".join(str(line) for line in paragraph.lines), centred=paragraph.centered)
        elif isinstance(paragraph, t.Dialog):
            self._dialog(paragraph)
        elif isinstance(paragraph, t.DualDialog):
            self._dialog(paragraph.left)
            self._dialog(paragraph.right, same_panel=True)
        elif isinstance(paragraph, t.Transition):
            self.pending.append(_spaces(str(paragraph.line)))
        elif isinstance(paragraph, t.Section):
            self.pending.append(f"{'#' * paragraph.level} {_spaces(str(paragraph.text))}")
            if paragraph.synopsis:
                self.pending.append(f"= {_plain(paragraph.synopsis)}")
        elif isinstance(paragraph, t.PageBreak):
            self.page_break = True

    def _scene(self, heading: str, number: Any, synopsis: str | None) -> None:
        heading, notes = _notes(heading)
        ident = _scene_id(str(number) if number else heading, {s.id for s in self.scenes})
        scene = _Scene(ident, _setting(heading), comments=[*self.pending, heading, *notes])
        if synopsis:
            scene.comments.append(f"= {_plain(synopsis)}")
        self.pending = []
        self.scenes.append(scene)

    def _current_scene(self) -> _Scene:
        if not self.scenes:
            self.scenes.append(_Scene("opening", "", comments=self.pending))
            self.pending = []
        return self.scenes[-1]

    def _action(self, text: str, *, centred: bool = False) -> None:
        text, notes = _notes(_spaces(text))
        if not text:  # a paragraph that was only notes
            self.pending += notes
            return
        self.actions.append(text)
        for part in _pieces(text):  # a paragraph longer than a panel letters: a panel per part
            panel = _Panel("title card", shot="medium", caption=part) if centred else _Panel(part, shot=_shot(text))
            self._panel(panel, notes)
            notes = []

    def _panel(self, panel: _Panel, notes: list[str] = ()) -> _Panel:
        panel.comments = [*self.pending, *notes]
        panel.new_page, self.page_break, self.pending = self.page_break, False, []
        self._current_scene().panels.append(panel)
        return panel

    def _dialog(self, dialog: Any, *, same_panel: bool = False) -> None:
        name, extension = _speaker(_spaces(str(dialog.character)))
        cues = {re.sub(r"[^A-Z]", "", cue) for cue in extension.upper().split()}
        narration = "VO" in cues  # a voice-over is a caption
        off = bool(cues & {"OS", "OC", "OFF"})  # heard, not seen: a character of the story, not of this panel
        ident = self._character(name, register=not narration)
        scene = self._current_scene()
        panel = scene.panels[-1] if scene.panels else self._panel(_Panel(f"{_display(name)} speaks"))
        if not narration and not off and ident not in panel.cast:
            if len(panel.cast) >= 5 and not same_panel:
                panel = self._panel(_Panel(f"{panel.action} (continued)", shot=panel.shot))
            if len(panel.cast) < 5:
                panel.cast.append(ident)
            else:  # a sixth speaker in one dual block: only a caption can carry the line
                narration = True
        kind = "speech"
        for is_parenthetical, line in dialog.blocks:
            words, notes = _notes(_spaces(str(line)))
            panel.comments += notes
            if not words:
                continue
            if is_parenthetical:
                kind = _kind(words)
                continue
            if narration:
                panel.lines.append(("narration", f"{_display(name)}: {words}", "speech", False))
            elif panel.lines and panel.lines[-1][0] == ident and panel.lines[-1][2:] == (kind, off):
                speaker, before, _, _ = panel.lines.pop()
                panel.lines.append((speaker, f"{before} {words}", kind, off))  # one speech, wrapped lines
            else:
                panel.lines.append((ident, words, kind, off))

    def _character(self, name: str, *, register: bool = True) -> str:
        """The id of the character called `name`; a new one is added to the cast list only
        when it is drawn (`register`), not for a voice that is only heard."""
        for ident, known in self.names.items():
            if known.upper() == name.upper():
                return ident
        ident = _character_id(name, set(self.names))
        if register:
            self.names[ident] = _display(name)
        return ident

    # -- output -------------------------------------------------------------------------

    def yaml(self, title: str, author: str) -> str:
        out = ["# Imported from a Fountain screenplay by `storyboard import`: one scene per scene heading,",
               "# one panel per action paragraph. Check shots and cast, then render with the draft engine.",
               f"title: {scalar(title)}"]
        if author:
            out.append(f"author: {scalar(author)}")
        out += ["page:", "  size: storyboard", "generation:", "  engine: draft   # diffusion once the models are installed"]
        if self.names:
            out.append("characters:")
            for ident, name in self.names.items():
                description, introduced = self._description(name)
                out += [f"  {ident}:", f"    name: {scalar(name)}"]
                if introduced != description:  # the sentence it came from, for the writer to go on from
                    out.append(f"    # introduced: {_comment(introduced)}")
                out.append(f"    description: {scalar(description)}")
        out.append("scenes:")
        for scene in self.scenes or [_Scene("scene-1", "")]:
            out += [f"  # {_comment(c)}" for c in scene.comments]
            out += [f"  - id: {scalar(scene.id)}"]
            if scene.setting:
                out.append(f"    setting: {scalar(scene.setting)}")
            out.append("    panels:")
            for panel in scene.panels or [_Panel("(no action)")]:
                out += [f"      # {_comment(c)}" for c in panel.comments]
                out.append(f"      - action: {scalar(panel.action)}")
                if panel.shot != "medium":
                    out.append(f"        shot: {panel.shot}")
                if panel.new_page:
                    out.append("        new_page: true")
                if panel.caption:
                    out.append(f"        caption: {scalar(panel.caption)}")
                cast = self._cast(panel)
                if cast:
                    out.append(f"        cast: [{', '.join(cast)}]")
                if panel.lines:
                    out.append("        dialogue:")
                    for speaker, text, kind, off in ((sp, part, k, o) for sp, t, k, o in panel.lines
                                                     for part in _pieces(t)):  # a monologue: lines of a speech
                        off = off and speaker in cast  # else off the panel's cast: its tail leaves the frame
                        if kind == "speech" and not off:
                            out.append(f"          - {speaker}: {scalar(text)}")
                        else:
                            more = (f", kind: {kind}" if kind != "speech" else "") + (", off: true" if off else "")
                            out.append(f"          - {speaker}: {{text: {scalar(text, flow=True)}{more}}}")
        out += [f"# {_comment(c)}" for c in self.pending]
        return "\n".join(out) + "\n"

    def _cast(self, panel: _Panel) -> list[str]:
        """The panel's speakers, then the characters its action names as a screenplay writes
        a name ('GRANDMA (80s) stirs', 'Alex and Grandma sit'; not 'his grandma'), at most five:
        a character who is seen is drawn, whether or not they speak. One heard from outside
        the frame in this panel (O.S.) is not cast for being named."""
        heard = {speaker for speaker, _, _, off in panel.lines if off}
        cast = list(panel.cast)
        for ident, name in self.names.items():
            if len(cast) >= 5:
                break
            if ident not in cast and ident not in heard and re.search(
                    rf"(?<!\w)({re.escape(name)}|{re.escape(name.upper())})(?!\w)", panel.action):
                cast.append(ident)
        return cast

    def _description(self, name: str) -> tuple[str, str]:
        """(description, the sentence introducing `name`): the name and what the parentheses after
        it say ('VIC (40s, grey suit, calm) walks in': 'Vic, in their 40s, grey suit, calm';
        'ALEX (16)': 'Alex, 16 years old'), else that sentence. The description goes into the prompt
        of every panel casting them, so it says how they look, not what they do once
        ('enters, dropping a backpack' in every panel)."""
        upper = name.upper()
        for text in self.actions:
            if re.search(rf"(?<![\w]){re.escape(upper)}(?![\w])", text):
                for sentence in _sentences(text):
                    if upper in sentence:
                        found = re.search(rf"(?<![\w]){re.escape(upper)}\s*\(([^()]+)\)", sentence)
                        looks = _looks(found.group(1)) if found else ""
                        return (f"{_display(name)}, {looks}" if looks else sentence), sentence
        return name, name


# ------------------------------------------------------------------------- helpers


# A title before a name ends in a full stop that ends no sentence ('DR. NO (50s) enters.').
_TITLE = re.compile(r"(?<!\w)(?:dr|mr|mrs|ms|mx|st|jr|sr|prof|capt|sgt|lt|col|gen|rev|det|insp)\.$", re.IGNORECASE)


def _pieces(text: str, most: int = MAX_LETTERED) -> list[str]:
    """`text` in pieces of at most `most` characters (what a script letters in one piece), cut
    after sentences where it can, else between words: a long monologue or action paragraph
    imports as several lines or panels instead of a script that does not validate."""
    if len(text) <= most:
        return [text]
    out: list[str] = []
    for sentence in _sentences(text):
        while len(sentence) > most:  # a sentence longer than a piece: cut between words
            cut = sentence.rfind(" ", 0, most + 1)
            cut = cut if cut > 0 else most
            head, sentence = sentence[:cut].rstrip(), sentence[cut:].lstrip()
            out.append(head)
        if out and len(out[-1]) + 1 + len(sentence) <= most:
            out[-1] += " " + sentence
        elif sentence:
            out.append(sentence)
    return out


def _sentences(text: str) -> list[str]:
    """`text`'s sentences: split after . ! ? and a space, but not after a title ('Mr. Smith')."""
    out: list[str] = []
    for piece in re.split(r"(?<=[.!?])\s+", text):
        if out and _TITLE.search(out[-1]):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


# A cue's extension written after a name in an action ('VIC (O.S.) calls out'): says nothing of looks.
_EXTENSION = re.compile(r"(?:V\.?O|O\.?S|O\.?C|OFF|CONT'?D|CONT)\.?", re.IGNORECASE)


def _looks(parenthetical: str) -> str:
    """'40s, grey suit' -> 'in their 40s, grey suit'; '16' -> '16 years old'; '' for an
    extension ('O.S.', "CONT'D") or nothing ('( )')."""
    if _EXTENSION.fullmatch(parenthetical.strip()):
        return ""
    first, *rest = [part.strip() for part in parenthetical.split(",")]
    if re.fullmatch(r"\d{1,3}", first):
        first = f"{first} years old"
    elif re.fullmatch(r"(?:(?:early|mid|late)[- ]?)?\d0s", first, re.I):
        first = f"in their {first}"
    return ", ".join(part for part in (first, *rest) if part)


def _spaces(text: str) -> str:
    """Screenplain's text (its emphasis already read: `_plain` read an escaped `\\*literal\\*`
    as emphasis again and dropped it), escaped characters back, whitespace collapsed."""
    for char, mark in ESCAPED.items():
        text = text.replace(mark, char)
    return " ".join(text.split())


def _plain(text: str) -> str:
    """Fountain emphasis markers gone, whitespace collapsed (title page values and synopses,
    which screenplain leaves as written)."""
    text = re.sub(r"(\*{1,3}|_)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    return _spaces(text.replace("\\*", "*").replace("\\_", "_"))


def _notes(text: str) -> tuple[str, list[str]]:
    """`text` without its notes (and the space before one that punctuation follows: `up
    [[a note]].` is `up.`, not `up .`), and the notes."""
    notes = [f"[[{n.strip()}]]" for n in MARKED.findall(text)]
    text = re.sub(rf"\s*{MARKED.pattern}(?=[.,;:!?…])", "", text, flags=re.S)
    return " ".join(MARKED.sub(" ", text).split()), notes


def _shot(action: str) -> str:
    for pattern, shot in SHOTS:
        if pattern.match(action.upper()):
            return shot
    return "medium"


def _kind(parenthetical: str) -> str:
    for pattern, kind in KINDS:
        if pattern.search(parenthetical):
            return kind
    return "speech"


def _speaker(cue: str) -> tuple[str, str]:
    """('MARA', 'V.O.') from 'MARA (V.O.)'; CONT'D is not an extension that matters here."""
    cue = cue.rstrip("^").strip()
    found = re.match(r"^(.*?)\s*\(([^)]*)\)\s*(?:\(([^)]*)\))?\s*$", cue)
    if not found:
        return cue, ""
    extensions = [e for e in found.groups()[1:] if e and "CONT" not in e.upper()]
    return found.group(1).strip(), " ".join(extensions)


def _character_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "character"
    if not base[0].isalpha():
        base = f"c-{base}"
    if base == "narration":
        base = "narrator"
    return _unique(base, taken)


def _display(name: str) -> str:
    """A cue's name as a name is written: 'MARY-ANN' -> 'Mary-Ann', "O'BRIEN" -> "O'Brien";
    a word with a lower-case letter ('McCLANE') as the cue has it."""
    return " ".join(w if any(c.islower() for c in w) else re.sub(r"[^\W\d_]+", lambda m: m[0].capitalize(), w)
                    for w in name.split())


def _scene_id(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "scene"
    return _unique(base, taken)


def _unique(base: str, taken: set[str]) -> str:
    """`base`, else `base-2`, `base-3`...: the first that is not `taken`."""
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    return ident


def _setting(heading: str) -> str:
    """'interior, kitchen, night' from 'INT. KITCHEN - NIGHT'."""
    found = re.match(r"^(INT\.?/EXT\.?|INT/EXT|I/E|INT|EXT|EST)[ .]+(.*)$", heading, re.I)
    where = {"int": "interior", "ext": "exterior", "est": "establishing"}
    if not found:
        return heading.lower()
    prefix = found.group(1).lower().rstrip(".")
    place = [p.strip().lower() for p in found.group(2).split(" - ") if p.strip()]
    lead = "interior and exterior" if "/" in prefix else where.get(prefix, prefix)
    return ", ".join([*place[:1], lead, *place[1:]])


def _comment(text: str) -> str:
    return " ".join(text.split())
