"""Font faces and the fallback chain.

A `Face` is one face of a font file (TrueType or CFF outlines; in a .ttc/.otc collection the
face at `index`), read by HarfBuzz, which shapes with it and hands out its glyph outlines.
A `FontChain` is an ordered list of (regular, bold) faces: text is itemised into runs, each
drawn by the first face that has all of its characters (the whole line if one face can, else
word by word, else character by character), so a word is never drawn from two fonts when
one font has it all.

The bundled chain (see storyboard/fonts/README.md, every face under the SIL Open Font
License): Comic Neue (Latin), Noto Sans (Latin with Vietnamese and Turkish, Greek,
Cyrillic), Noto Sans Arabic, Noto Sans Hebrew, Noto Sans Thai, Lao, Khmer and Myanmar (Burmese),
Noto Sans CJK (Japanese, Korean, Simplified and Traditional Chinese: one collection whose face
is picked by the story's language). Noto
Sans CJK ships only its Regular weight (20 MB a weight); its bold is emboldened outlines.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from storyboard._signals import held as signals_held
from storyboard.paths import real_path
from storyboard.errors import ExportError
from storyboard.text.shaping import _advance  # asked for every line measured: no import per call

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
CJK_FILE = "NotoSansCJK-Regular.ttc"
# Faces of Noto Sans CJK by language: Japanese, Korean, Simplified, Traditional, Hong Kong.
CJK_FACES = {"ja": 0, "ko": 1, "zh": 2, "zh-hans": 2, "zh-cn": 2, "zh-sg": 2, "zh-hant": 3, "zh-tw": 3,
             "zh-hk": 4, "zh-mo": 4}
TRADITIONAL_FACES = frozenset({3, 4})  # of those, the traditional Chinese forms
BUNDLED = (
    ("ComicNeue-Regular.ttf", "ComicNeue-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    ("NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"),
    ("NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
    ("NotoSansLao-Regular.ttf", "NotoSansLao-Bold.ttf"),
    ("NotoSansKhmer-Regular.ttf", "NotoSansKhmer-Bold.ttf"),
    ("NotoSansMyanmar-Regular.ttf", "NotoSansMyanmar-Bold.ttf"),
    (CJK_FILE, None),  # last: its 20 MB are read only for characters no other face has
)
FAUX_BOLD = 0.045  # emboldening of a face with no bold weight, in ems of stroke width


@lru_cache(maxsize=4096)  # asked for every character of every line shaped
def is_ignorable(ch: str) -> bool:
    """Characters no font needs to draw: format controls (ZWSP, ZWJ, soft hyphen, bidi
    marks), variation selectors and combining marks a base letter's font positions."""
    cat = unicodedata.category(ch)
    return cat in ("Cf", "Mn", "Me") or 0xFE00 <= ord(ch) <= 0xFE0F or 0xE0100 <= ord(ch) <= 0xE01EF


@lru_cache(maxsize=4096)
def is_mark(ch: str) -> bool:
    """A combining mark (Mn, Me) that is drawn (not a variation selector), in its base
    letter's font when that font has it."""
    return unicodedata.category(ch) in ("Mn", "Me") and not (0xFE00 <= ord(ch) <= 0xFE0F
                                                            or 0xE0100 <= ord(ch) <= 0xE01EF)


# What a Face reads from its file (see Face.__getattr__).
_FACE_DATA = frozenset({"hb_face", "hb_font", "upem", "unicodes", "ascent", "descent", "cff", "_outlines"})


class Face:
    """One font face. `upem` units per em; `ascent`/`descent` in ems (descent negative)."""

    def __init__(self, path: Path, index: int = 0, *, lazy: bool = False):
        self.path, self.index = Path(path), index
        if not lazy:
            self._load()

    def __getattr__(self, name: str):
        # A `lazy` face (a bundled fallback: the CJK one is 20 MB and 45k characters) is read
        # when something first needs its data; most stories never need it.
        if name in _FACE_DATA:
            self._load()
            return self.__dict__[name]
        raise AttributeError(name)

    def _load(self) -> None:
        import uharfbuzz as hb

        from storyboard import _files

        try:  # a regular file within the size limit only: a FIFO or /dev/zero is never read
            data = _files.read_regular(self.path, _files.MAX_FONT_BYTES)
        except _files.Refused as err:
            raise ExportError(f"cannot read font {self.path}: {err.reason}") from None
        blob = hb.Blob(data)
        face = hb.Face(blob, self.index)
        faces = face.count  # in the file: 1 for a single font (whose face HarfBuzz gives for any index)
        if face.glyph_count == 0 or (faces and self.index >= faces):  # not a font, or no such face
            web = data[:4] in (b"wOFF", b"wOF2")  # a web font (said only "not a TrueType/OpenType font")
            raise ExportError(f"cannot use font {self.path}: {_no_face(self.index, faces)}" + (
                " but a WOFF web font: convert it to .ttf or .otf first" if web else ""))
        self.hb_face = face
        self.hb_font = hb.Font(face)  # scale = upem: positions come back in font units
        self.upem = face.upem
        self.unicodes = frozenset(face.unicodes)
        extents = self.hb_font.get_font_extents("ltr")
        self.ascent = extents.ascender / self.upem
        self.descent = extents.descender / self.upem
        self.cff = data[:4] == b"OTTO" or self._collection_is_cff(data)
        self._outlines: dict[int, tuple] = {}

    def _collection_is_cff(self, data: bytes) -> bool:
        if data[:4] != b"ttcf":
            return False
        offset = int.from_bytes(data[12 + 4 * self.index:16 + 4 * self.index], "big")
        return data[offset:offset + 4] == b"OTTO"

    @property
    def name(self) -> str:
        return self.path.name + (f"#{self.index}" if self.index else "")

    def has(self, ch: str) -> bool:
        if ord(ch) in self.unicodes:
            return True
        # HarfBuzz draws any Unicode space with the font's space glyph at the right width.
        return unicodedata.category(ch) == "Zs" and 0x20 in self.unicodes

    def outline(self, gid: int) -> tuple:
        """The glyph's outline in font units (y up), as path operations
        ("m", x, y) | ("l", x, y) | ("c", x1, y1, x2, y2, x, y) | ("h",)."""
        ops = self._outlines.get(gid)
        if ops is None:
            pen = _Recorder()
            with signals_held():  # a stop signal inside HarfBuzz's callbacks would be swallowed
                self.hb_font.draw_glyph_with_pen(gid, pen)
            ops = self._outlines[gid] = tuple(pen.ops)
        return ops


def _no_face(index: int, faces: int) -> str:
    if not faces or (not index and faces == 1):
        return "it is not a TrueType/OpenType font"
    if faces == 1:
        return f"it has no face {index}: it is one font, not a collection (name it without #{index})"
    return f"it has no face {index}: the collection has {faces} faces, #0 to #{faces - 1}"


class _Recorder:
    """A fontTools-protocol pen recording a glyph as move/line/cubic/close operations
    (quadratic TrueType curves are raised to cubics, exactly)."""

    def __init__(self):
        self.ops: list[tuple] = []
        self._last = (0.0, 0.0)

    def moveTo(self, p):
        self.ops.append(("m", *p))
        self._last = p

    def lineTo(self, p):
        self.ops.append(("l", *p))
        self._last = p

    def curveTo(self, *points):
        self.ops.append(("c", *points[0], *points[1], *points[2]))
        self._last = points[2]

    def qCurveTo(self, *points):
        # HarfBuzz hands out one control point per quadratic segment.
        (qx, qy), (x, y) = points[-2], points[-1]
        x0, y0 = self._last
        self.ops.append(("c", x0 + 2 / 3 * (qx - x0), y0 + 2 / 3 * (qy - y0),
                         x + 2 / 3 * (qx - x), y + 2 / 3 * (qy - y), x, y))
        self._last = (x, y)

    def closePath(self):
        self.ops.append(("h",))

    def endPath(self):
        pass


@lru_cache(maxsize=32)
def load_face(path: str, index: int = 0, *, lazy: bool = False) -> Face:
    return Face(Path(path), index, lazy=lazy)


@dataclass(frozen=True)
class Member:
    """One font of a chain: its regular face, its bold face (may be the same), and whether
    the bold is emboldened outlines of the regular."""

    regular: Face
    bold: Face
    faux_bold: bool = False

    def face(self, bold: bool) -> Face:
        return self.bold if bold else self.regular


class FontChain:
    """Ordered fallback fonts. `language` (BCP 47) picks regional glyph forms (locl) when
    shaping and the CJK face; `ascent`/`descent` (ems) are the first font's, so line
    spacing follows the main lettering face."""

    def __init__(self, members: Sequence[Member], language: str = ""):
        if not members:
            raise ValueError("a font chain needs at least one font")
        self.members = tuple(members)
        self.language = language
        first = self.members[0].regular
        self.ascent, self.descent = first.ascent, first.descent
        self.regular = first.path  # for messages
        self._drawn: dict[str, bool] = {}  # whether some font draws a character (see `missing`)

    def __repr__(self) -> str:
        return f"FontChain({', '.join(m.regular.name for m in self.members)})"

    def index_for(self, ch: str, bold: bool = False) -> int | None:
        for i, member in enumerate(self.members):
            if member.face(bold).has(ch):
                return i
        return None

    def covering(self, text: str, bold: bool = False) -> int | None:
        """The first member that draws every (non-ignorable) character of `text`."""
        # (each character once; a combining mark too: a font without it draws a box)
        needed = [c for c in set(text) if is_mark(c) or not is_ignorable(c)]
        for i, member in enumerate(self.members):
            face = member.face(bold)
            if all(face.has(c) for c in needed):
                return i
        return None

    def missing(self, text: str) -> str:
        """The characters of `text` no font of the chain draws (whitespace and invisible
        controls aside), each once, in order; a combining mark only where its letter is
        drawn (a missing letter stands for its marks)."""
        drawn = self._drawn
        for c in set(text) - drawn.keys():
            drawn[c] = (c.isspace() or (is_ignorable(c) and not is_mark(c)) or self.index_for(c) is not None
                        or self.index_for(c, True) is not None)
        if all(drawn[c] for c in set(text)):
            return ""
        out, letter_drawn = [], True
        for c in text:
            if not is_mark(c):
                letter_drawn = drawn[c]
            if not drawn[c] and (letter_drawn or not is_mark(c)):
                out.append(c)
        return "".join(dict.fromkeys(out))

    def itemize(self, text: str, bold: bool = False) -> list[int]:
        """The member drawing each character of `text`. Each run of one writing system
        (CJK or not) is drawn whole by the first font that has all of it, else word by
        word, else character by character, so a word never mixes fonts needlessly while a
        Latin word in a Japanese line keeps the Latin face. (0 where no font has a
        character: `missing` is checked before anything is drawn.)"""
        if self.covering(text, bold) == 0:  # (what the runs and the spaces would all come to)
            return [0] * len(text)
        out = [0] * len(text)
        for start, end in _script_runs(text):
            self._itemize_run(text, start, end, bold, out)
        # Spaces join the run before them, so a run is only split where the font changes.
        for k, ch in enumerate(text):
            if ch.isspace() and k and self.members[out[k - 1]].face(bold).has(ch):
                out[k] = out[k - 1]
        return out

    def _itemize_run(self, text: str, start: int, end: int, bold: bool, out: list[int]) -> None:
        whole = self.covering(text[start:end], bold)
        if whole is not None:
            out[start:end] = [whole] * (end - start)
            return
        i = start
        while i < end:
            j = i
            while j < end and text[j].isspace() == text[i].isspace():
                j += 1
            index = self.covering(text[i:j], bold)
            if index is not None:
                out[i:j] = [index] * (j - i)
            else:
                previous = out[i - 1] if i else 0
                base = i  # where the letter the marks since combine with starts
                for k in range(i, j):
                    ch = text[k]
                    if is_mark(ch) and not self.members[previous].face(bold).has(ch):
                        # Its letter's font lacks it (Comic Neue has few marks): the letter and
                        # its marks go to the first font with them all, which positions them.
                        found = self.covering(text[base:k + 1], bold)
                        if found is not None:
                            out[base:k] = [found] * (k - base)
                            out[k] = previous = found
                            continue
                    found = None if is_ignorable(ch) else self.index_for(ch, bold)
                    out[k] = previous = found if found is not None else previous
                    if not is_ignorable(ch):
                        base = k
            i = j

    def width(self, text: str, size: float, bold: bool = False) -> float:
        """The advance width of one line of `text` in points at `size` points (shaped)."""
        return _advance(self, text, bold, False) * size


def is_kana(ch: str) -> bool:
    """Hiragana, katakana (with its phonetic extensions) or half-width katakana: what makes
    text Japanese whatever the story's language."""
    o = ord(ch)
    return 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D


def is_cjk(ch: str) -> bool:
    """Han, kana, Hangul, CJK symbols and punctuation, full-width forms, vertical forms."""
    o = ord(ch)
    return (0x1100 <= o <= 0x11FF or 0x2E80 <= o <= 0x9FFF or 0xA960 <= o <= 0xA97F or 0xAC00 <= o <= 0xD7FF
            or 0xF900 <= o <= 0xFAFF or 0xFE10 <= o <= 0xFE1F or 0xFE30 <= o <= 0xFE4F
            or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF)


def _script_runs(text: str) -> list[tuple[int, int]]:
    """Maximal runs of CJK and of other characters; neutral characters (spaces, digits,
    punctuation, marks) stay with the run they are in."""
    runs: list[tuple[int, int]] = []
    start, kind = 0, None
    for i, ch in enumerate(text):
        k = _script_of(ch)
        if k is not None:
            if kind is not None and k != kind:
                runs.append((start, i))
                start = i
            kind = k
    if text:
        runs.append((start, len(text)))
    return runs


@lru_cache(maxsize=4096)
def _script_of(ch: str) -> bool | None:
    """For `_script_runs`: whether a letter or symbol is CJK; None for a neutral character."""
    if unicodedata.category(ch)[0] in "LS" and not is_ignorable(ch):
        return is_cjk(ch)
    return None


def _language_key(language: str) -> str:
    return (language or "").strip().lower().replace("_", "-")


def primary_language(language: str) -> str:
    """The language subtag of a BCP 47 tag, lower case: `ja-JP` -> `ja`, `jam` (Jamaican
    Creole) -> `jam`, "" -> ""."""
    return _language_key(language).partition("-")[0]


def cjk_face_index(language: str) -> int:
    """The face of Noto Sans CJK for a language tag (Japanese forms by default)."""
    key = _language_key(language)
    while key:
        if key in CJK_FACES:
            return CJK_FACES[key]
        key = key.rpartition("-")[0]
    return 0


def _bundled_members(language: str) -> list[Member]:
    members = []
    for regular, bold in BUNDLED:
        index = cjk_face_index(language) if regular == CJK_FILE else 0
        # The first (main lettering) face at once; the fallbacks when a character needs them.
        lazy = bool(members)
        reg = load_face(str(FONT_DIR / regular), index, lazy=lazy)
        members.append(Member(reg, load_face(str(FONT_DIR / bold), lazy=lazy) if bold else reg, faux_bold=bold is None))
    return members


def undrawn(missing: str, shown: int = 8) -> str:
    """The one-line message for the characters of a text no font of the chain draws
    (`FontChain.missing`, non-empty): each as 'न' (U+0928), the first `shown` of them and how
    many more, so a text in an unsupported script is one line, not one per letter."""
    named = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in missing[:shown])
    more = len(missing) - shown
    return f"no font in the chain draws {named}" + (f" and {more} more character{'s' * (more > 1)}" if more > 0 else "")


@lru_cache(maxsize=16)
def bundled_chain(language: str = "") -> FontChain:
    """The chain that ships with storyboard, for a story in `language` (BCP 47)."""
    return FontChain(_bundled_members(language), language)


def parse_font_entry(entry: str) -> tuple[str, int]:
    """`file.ttc#2` -> ("file.ttc", 2); a plain path has face index 0."""
    name, sep, index = entry.rpartition("#")
    if sep and index.isdigit():
        return name, int(index)
    return entry, 0


def load_chain(fonts: str | Path | Iterable[str | Path] | None = None, *, base_dir: str | Path = ".",
               language: str = "") -> FontChain:
    """A chain of the named fonts (paths relative to `base_dir`; `file.ttc#N` names face N
    of a collection), each used for every weight, followed by the bundled chain as the
    last resort. None: the bundled chain alone. Raises ExportError for a missing or
    unreadable font."""
    if fonts is None:
        return bundled_chain(language)
    if isinstance(fonts, (str, Path)):
        fonts = [fonts]
    return _chain(tuple(str(f) for f in fonts), str(real_path(Path(base_dir).expanduser())), language)


@lru_cache(maxsize=16)
def _chain(fonts: tuple[str, ...], base_dir: str, language: str) -> FontChain:
    members = []
    for entry in fonts:
        name, index = parse_font_entry(entry)
        path = real_path(Path(base_dir) / Path(name).expanduser())  # a symlink loop: "not found", no traceback
        if not path.is_file():
            raise ExportError(f"font file not found: {path}" + (" (it is a folder: name a font file in it)"
                                                                  if path.is_dir() else ""))
        face = load_face(str(path), index)
        members.append(Member(face, face))
    return FontChain(members + _bundled_members(language), language)
