"""Drawing shaped lines into a PDF page (the page canvas of `storyboard.export.pdf`).

Glyph outlines at the positions `shaping` gives, as vector paths filled with the non-zero
rule (each glyph once per document, as a form XObject placed by a matrix; outlined and
emboldened lines inline). PNG pages paint the same outlines at the same positions
(`storyboard.export.canvas`, through `placed_glyphs`): that is how a PNG page and its PDF
show the same glyphs for every script, including contextual Arabic forms and vertical
forms that have no Unicode code point of their own.

So that the PDF stays searchable and copyable, each line also gets an invisible text layer
(text render mode 3) in the embedded fonts of the chain, one show per cluster of source text
at the position of its glyphs, in logical order: pdftotext returns the script's text (see
`pdffonts` for the fonts; CFF fonts are converted to TrueType subsets for this layer). A
right-to-left line mixed with numbers, Latin words or punctuation has its layer ordered for
the readers (`layer_order`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple

from storyboard.text.fonts import FAUX_BOLD
from storyboard.text.layer_order import LRM, RLM, reading_order
from storyboard.text.pdffonts import layer_width
from storyboard.text.shaping import Shaped, shape

if TYPE_CHECKING:
    from storyboard.text.fonts import FontChain

Color = tuple[float, float, float]


def _origin(shaped: Shaped, x: float, size: float, anchor: str) -> float:
    if shaped.vertical or anchor in ("start", "ls", "la", "lt"):
        return x
    return x - shaped.advance * size / 2


def placed_glyphs(chain: "FontChain", shaped: Shaped, bold: bool) -> Iterator[tuple[Any, int, float, float, bool, bool]]:
    """For each glyph of a shaped line: (its face, glyph id, x, y (its origin in ems, see
    `shaping.Glyph`), turned a quarter clockwise (a sideways glyph of a column), emboldened
    by stroking (the bold of a member without a bold face))."""
    members = chain.members
    for glyph in shaped.glyphs:
        member = members[glyph.member]
        yield member.face(bold), glyph.gid, glyph.x, glyph.y, glyph.sideways, bold and member.faux_bold


def glyph_outlines(chain: "FontChain", shaped: Shaped, bold: bool, x: float, y: float, size: float,
                   skew: float) -> Iterable[tuple[bool, list[tuple]]]:
    """For each glyph: (faux_bold, its outline ops in PDF space, y up), where (x, y) is the
    line's origin there (start of the baseline, or a column's top centre) and `size` the
    type size in points; `skew` in degrees."""
    lean = math.tan(math.radians(skew))
    for face, gid, ex, ey, turn, faux in placed_glyphs(chain, shaped, bold):
        k = size / face.upem
        gx, gy = x + ex * size, ey * size

        def point(u, v, gx=gx, gy=gy, k=k, turn=turn):
            if turn:  # a quarter turn clockwise
                u, v = v, -u
            up = gy + v * k
            return gx + u * k + lean * up, y + up

        ops = []
        for op in face.outline(gid):
            if op[0] == "h":
                ops.append(op)
            elif op[0] == "c":
                ops.append(("c", *point(op[1], op[2]), *point(op[3], op[4]), *point(op[5], op[6])))
            else:
                ops.append((op[0], *point(op[1], op[2])))
        if ops:
            yield faux, ops


# ------------------------------------------------------------------------------ PDF


def _num(value: float, digits: int = 2) -> str:
    text = (_FIXED[digits] % value).rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_FIXED = {digits: f"%.{digits}f" for digits in range(10)}  # (quicker than a nested format spec)


def _units(value: float) -> str:
    """A position in font units: HarfBuzz's are whole numbers, up to float rounding."""
    near = round(value)
    return str(near) if abs(value - near) < 1e-6 else _num(value)


def _path(ops: list[tuple]) -> str:
    out = []
    for op in ops:
        if op[0] == "h":
            out.append("h")
        else:
            out.append(" ".join(_num(v) for v in op[1:]) + {"m": " m", "l": " l", "c": " c"}[op[0]])
    return " ".join(out)


# reportlab's name for a form XObject `name` (`PDFDocument.getXObjectName`): the page's
# resources list glyph forms under it, and the PDF assembly shares forms across pages by it.
_XOBJECT = "FormXob."

# Each glyph's form XObject, formatted and compressed once per process rather than once per
# document: (face, glyph id) -> (form name, the object's bytes), or None for no outline.
_FORMS: dict[tuple[Any, int], tuple[str, bytes] | None] = {}


def _glyph_form(face, gid: int) -> tuple[str, bytes] | None:
    """Glyph `gid` of `face` as a form XObject: its name (from the face's file, index and the
    glyph id) and the object as PDF bytes (dictionary and Flate stream, the path in font
    units filled with the non-zero rule), or None for a glyph with no outline (a space)."""
    key = (face, gid)
    if key not in _FORMS:
        import hashlib

        from reportlab.lib.rl_accel import fp_str

        from storyboard.pdfraw import stream

        ops = face.outline(gid)
        form = None
        if ops:
            name = "G" + hashlib.sha1(f"{(str(face.path), face.index, gid)}".encode()).hexdigest()[:12]
            xs = [v for op in ops for v in op[1::2]]
            ys = [v for op in ops for v in op[2::2]]
            box = fp_str(min(xs), min(ys), max(xs), max(ys))
            form = name, stream((_path(ops) + " f").encode("ascii"),
                                f"/BBox [ {box} ] /Resources << >> /Subtype /Form /Type /XObject")
        _FORMS[key] = form
    return _FORMS[key]


@lru_cache(maxsize=8192)
def _line_placements(chain: "FontChain", text: str, bold: bool, vertical: bool
                     ) -> tuple[str, tuple[str, ...], tuple[tuple[str, bytes], ...], int]:
    """The glyph placements of a line (see `PdfFonts.placements`), once per process: the
    operators, the names of the forms they use, those forms (name and object bytes, each
    once) and the unit."""
    shaped = shape(chain, text, bold, vertical)
    members = chain.members
    upem = members[shaped.glyphs[0].member].face(bold).upem if shaped.glyphs else 1000
    out, forms = [], {}
    for glyph in shaped.glyphs:
        face = members[glyph.member].face(bold)
        form = _glyph_form(face, glyph.gid)
        if form is None:
            continue
        if face.upem == upem and not glyph.sideways:
            matrix = "1 0 0 1"
        else:
            r = _num(upem / face.upem, 6)
            matrix = f"0 -{r} {r} 0" if glyph.sideways else f"{r} 0 0 {r}"
        out.append(f"q {matrix} {_units(glyph.x * upem)} {_units(glyph.y * upem)} cm /{_XOBJECT}{form[0]} Do Q")
        forms.setdefault(*form)
    return "\n".join(out), tuple(forms), tuple(forms.items()), upem


class PdfFonts:
    """What one page of the PDF holds of a chain's lettering besides its operators: each
    glyph's form XObject, defined once in the page (`placements`), and the fonts of the
    invisible text layer with the characters the page shows in each (`used`). The layer
    shows a character by its code point in a font the whole book shares (see
    `storyboard.text.pdffonts`), so a line's layer is the same on every page and made once
    per process."""

    def __init__(self, chain: "FontChain", *, left_to_right_page: bool | None = None):
        self.chain = chain
        # The direction poppler reads the page in (`layer_order.mostly_left_to_right`), for
        # which the layer of right-to-left lines is ordered (`layer_order.reading_order`);
        # None: every line's layer in visual order.
        self.left_to_right_page = left_to_right_page
        # font resource name -> (face path, face index, CFF outlines, plane, code points shown)
        self.used: dict[str, tuple[str, int, bool, int, set[int]]] = {}
        # The LEFT-TO-RIGHT less the RIGHT-TO-LEFT MARKs the page's layer shows (poppler counts
        # them when it picks the page's direction: `layer_order.mostly_left_to_right`).
        self.marks = 0
        self._placed: set[tuple[str, bool, bool]] = set()  # lines whose forms are defined

    def placements(self, canvas, key: tuple[str, bool, bool]) -> tuple[str, tuple[str, ...], int]:
        """The operators that place the glyph forms of the line `key` (text, bold, vertical)
        in its own space (font units of the line's first face: x along the baseline, y up;
        the caller's matrix adds size, slant and position), the forms they use (put into the
        page's `canvas.xobjects` here) and that unit (units per em)."""
        code, names, forms, upem = _line_placements(self.chain, *key)
        if key not in self._placed:
            self._placed.add(key)
            canvas.xobjects.update(forms)
        return code, names, upem

    def text_layer(self, canvas, shaped: Shaped, key: tuple[str, bool, bool]) -> str:
        """The invisible text layer of a line, in ems (see `_layer_code`)."""
        cached = (self.chain, key, self.left_to_right_page)
        entry = _LAYERS.get(cached)
        if entry is None:
            if len(_LAYERS) >= 8192:
                _LAYERS.clear()
            starts: tuple[int, ...] = ()
            if self.left_to_right_page is not None:
                chain, bold = self.chain, key[1]
                shaped, starts = reading_order(
                    shaped, key[0], lambda c: _layer_face(chain, c.member, c.text, bold),
                    lambda c: layer_width(_layer_face(chain, c.member, c.text, bold), c.text),
                    self.left_to_right_page, chain.language)
            shown = "".join(c.text for c in shaped.clusters)  # the marks added (the text's own are counted)
            marks = shown.count(LRM) - shown.count(RLM) - key[0].count(LRM) + key[0].count(RLM)
            entry = _LAYERS[cached] = (*_layer(self.chain, shaped, key[1], starts), marks)
        code, fonts, marks = entry
        self.marks += marks
        for name, font, codes in fonts:
            if name in self.used:
                self.used[name][4].update(codes)
            else:
                self.used[name] = (*font, set(codes))
        return code


# A line's text layer and the fonts it shows characters in: (chain, (text, bold, vertical),
# the page's direction) -> (operators, ((font name, (face path, index, cff, plane), code
# points), ...), its marks as `PdfFonts.marks` counts them), once per process.
_LAYERS: dict[tuple[Any, tuple[str, bool, bool], bool | None], tuple[str, tuple, int]] = {}


def _layer(chain: "FontChain", shaped: Shaped, bold: bool, starts: tuple[int, ...] = ()) -> tuple[str, tuple]:
    from storyboard.text.pdffonts import layer_runs, layer_width

    fonts: dict[str, tuple[tuple, set[int]]] = {}

    def pieces(cluster) -> list[tuple[str, str]]:
        # The layer shows clusters in visual order and readers reverse a right-to-left run
        # character by character, so a cluster of several characters (lam-alef, a letter
        # and its vowel mark) is shown reversed to extract as written: "لا", not "ال".
        text = cluster.text[::-1] if cluster.rtl else cluster.text
        runs = layer_runs(_layer_face(chain, cluster.member, text, bold), text)
        for name, font, _, codes in runs:
            if name in fonts:
                fonts[name][1].update(codes)
            else:
                fonts[name] = (font, set(codes))
        return [(name, hexcodes) for name, _, hexcodes, _ in runs]

    naturals = [layer_width(_layer_face(chain, cluster.member, cluster.text, bold), cluster.text)
                for cluster in shaped.clusters]
    code = _layer_code(_layer_plan(shaped, naturals, starts), pieces, marked=bool(starts))
    return code, tuple((name, font, frozenset(codes)) for name, (font, codes) in fonts.items())


@lru_cache(maxsize=65536)
def _layer_face(chain: "FontChain", member: int, text: str, bold: bool):
    """`layer_face` of a cluster, once per process."""
    return layer_face(chain, _Cluster(text, member), bold)


class _Cluster(NamedTuple):
    text: str
    member: int


def layer_face(chain: "FontChain", cluster, bold: bool):
    """The face whose embedded font carries a cluster in the text layer: the one that drew
    it, unless it drew a space it has no glyph for (HarfBuzz widens its plain space for a
    narrow no-break space): then the first face that maps every character of the cluster."""
    face = chain.members[cluster.member].face(bold)
    if all(ord(c) in face.unicodes for c in cluster.text):
        return face
    for member in chain.members:
        if all(ord(c) in member.face(bold).unicodes for c in cluster.text):
            return member.face(bold)
    return face


def draw_text_pdf(canvas, x: float, y: float, text: str, size: float, chain: "FontChain",
                  fonts: PdfFonts, *, bold: bool = False, anchor: str = "start", fill: Color = (0, 0, 0),
                  outline: Color | None = None, outline_width: float = 0.0, skew: float = 0.0,
                  vertical: bool = False) -> None:
    """Draw one line on a PDF page's canvas (`export.pdf._PageCanvas`): (x, y) in points
    is the baseline's start (anchor "start") or middle ("middle"); for a vertical line the
    top centre of the column. `fonts`: the page's `PdfFonts`."""
    shaped = shape(chain, text, bold, vertical)
    x0 = _origin(shaped, x, size, anchor)
    r, g, b = fill
    key = (text, bold, vertical)
    faux = bold and any(chain.members[glyph.member].faux_bold for glyph in shaped.glyphs)
    if outline is None and not faux:
        # Each glyph once per document as a form XObject, placed in the line's space (the
        # same for every line of this text), which one matrix puts at its size and place.
        uses, names, upem = fonts.placements(canvas, key)
        if uses:
            canvas.addLiteral(f"{_line_state(tuple(fill), size / upem, skew)} {_num(x0, 3)} {_num(y, 3)} cm\n{uses}\nQ")
            canvas._formsinuse.extend(names)  # what doForm records: the page's XObject resources
        _text_layer(canvas, shaped, fonts, key, x0, y, size)
        return
    plain, faux_paths = [], []
    for is_faux, ops in glyph_outlines(chain, shaped, bold, x0, y, size, skew):
        (faux_paths if is_faux else plain).append(_path(ops))
    state = [f"q {_num(r)} {_num(g)} {_num(b)} rg"]
    if outline is not None:
        # As the PNG rasteriser does it: the outline is the glyph grown by the stroke width
        # (plus any emboldening), the fill the glyph grown by the emboldening less the stroke.
        orr, og, ob = outline
        ink, line = f"{_num(r)} {_num(g)} {_num(b)}", f"{_num(orr)} {_num(og)} {_num(ob)}"
        for paths, grow in ((plain, 0.0), (faux_paths, FAUX_BOLD * size)):
            if not paths:
                continue
            path = " ".join(paths)
            state.append(f"q {line} rg {line} RG {_num(outline_width + grow)} w 1 j [] 0 d {path} B Q")
            extra = grow - outline_width
            if extra >= 0:
                state.append(f"q {ink} rg {ink} RG {_num(extra)} w 1 j [] 0 d {path} B Q")
            else:
                state.append(f"q {ink} rg {path} f {line} RG {_num(-extra)} w 1 j [] 0 d {path} S Q")
    else:
        if plain:
            state.append(" ".join(plain) + " f")
        if faux_paths:  # emboldened: the outline stroked in the fill colour as well
            state.append(f"{_num(r)} {_num(g)} {_num(b)} RG {_num(FAUX_BOLD * size)} w 1 j [] 0 d "
                         + " ".join(faux_paths) + " B")
    state.append("Q")
    canvas.addLiteral("\n".join(s for s in state if s))
    _text_layer(canvas, shaped, fonts, key, x0, y, size)


def _text_layer(canvas, shaped: Shaped, fonts: PdfFonts, key: tuple[str, bool, bool], x0: float, y: float,
                size: float) -> None:
    if shaped.clusters:
        # The layer is written in ems with its origin at (0, 0): one matrix sizes and places it.
        canvas.addLiteral(f"q {_sized(size)} {_num(x0, 3)} {_num(y, 3)} cm "
                          f"{fonts.text_layer(canvas, shaped, key)} Q")


def _layer_plan(shaped: Shaped, naturals: list[float], starts: tuple[int, ...] = ()
                ) -> tuple[tuple[Any, tuple[str, ...] | None, str | None, bool, bool], ...]:
    """How the text layer of a line shows each cluster (see `_layer_code`): for each, (the
    cluster, the operators that start a new show for it, or None when it joins the open TJ,
    the adjustment before it there (None for none), whether it is shown on its own, whether
    it starts a piece). `naturals`: each cluster's width at 1 pt in its embedded font;
    `starts`: the clusters that start a piece: a new show in a new marked-content span
    (`_layer_code(marked=True)`) that sets its font again."""
    out = []
    scaled = 100.0  # the horizontal scaling in force
    pen = last = None  # where the open TJ's next show starts, and where its last one started
    for k, (cluster, natural) in enumerate(zip(shaped.clusters, naturals)):
        target = cluster.end - cluster.start
        scale = 100.0 * target / natural if natural > 0 and target > 0 else 100.0
        alone = shaped.vertical or abs(scale - 100.0) > 5.0
        start = shift = None
        if alone or pen is None or cluster.start < last or k in starts:  # (right to left clusters run leftwards)
            ops = []
            if (scale if alone else 100.0) != scaled:
                scaled = scale if alone else 100.0
                ops.append(f"{_num(scaled, 5)} Tz")
            if k in starts:  # a piece of its own: pdf.js takes each span apart from the others
                ops.append("EMC /Span BMC")
            if shaped.vertical:  # runs downwards: text space x maps to page -y
                ops.append(f"0 -1 1 0 -0.3 {_num(-cluster.start, 5)} Tm")
            else:
                ops.append(f"1 0 0 1 {_num(cluster.start, 5)} 0 Tm")
            start = tuple(ops)
        else:
            adjust = _num((pen - cluster.start) * 1000, 1)  # thousandths of an em, leftwards
            shift = adjust if adjust != "0" else None
        out.append((cluster, start, shift, alone, k in starts))
        pen, last = (None, None) if alone else (cluster.start + natural, cluster.start)
    return tuple(out)


@lru_cache(maxsize=1024)
def _line_state(fill: Color, k: float, skew: float) -> str:
    """A line's colour and the start of its matrix (scale `k`, slant `skew` degrees)."""
    r, g, b = fill
    lean = math.tan(math.radians(skew))
    return f"q {_num(r)} {_num(g)} {_num(b)} rg {_num(k, 6)} 0 {_num(lean * k, 6)} {_num(k, 6)}"


@lru_cache(maxsize=1024)
def _sized(size: float) -> str:
    return f"{_num(size, 4)} 0 0 {_num(size, 4)}"


def _layer_code(plan: tuple, pieces, marked: bool = False) -> str:
    """The invisible text layer of one line in ems, origin (0, 0) on the baseline's start
    (a column's top centre): text render mode 3 (the glyphs are drawn as paths), one show
    per cluster of source text, clusters in visual order (a right-to-left cluster's characters
    reversed, as readers reverse them back), starting where its glyphs start. Clusters
    that follow each other rightwards (kerned or not) share a TJ whose adjustments put each
    one where HarfBuzz put its glyphs; a cluster whose width in the embedded font is more
    than 5 % off the shaped one (and every cluster of a column) is shown on its own, scaled
    to that width (Tz). `plan`: the line's `_layer_plan`; `pieces(cluster)` gives the
    (font, hex codes) pieces that show a cluster in the book's text-layer fonts. `marked`:
    the shows are in /Span marked-content sequences, a new one wherever the plan starts a
    piece, which sets its font again (pypdf ends its pending text at a Tf)."""
    code = ["BT 3 Tr /Span BMC" if marked else "BT 3 Tr"]
    current = None  # the font subset of the last Tf
    run: list[str] = []  # the open TJ: escaped strings and adjustments, alternating

    def close():
        if run:
            shows = " ".join(f"<{part}>" if k % 2 == 0 else part for k, part in enumerate(run))
            code.append(f"[{shows}] TJ" if len(run) > 1 else f"{shows} Tj")
            run.clear()

    for cluster, start, shift, alone, piece in plan:
        if start is not None:
            close()
            code.extend(start)
            if piece:
                current = None
        elif shift is not None:
            run.append(shift)
        for subset, chunk in pieces(cluster):
            if subset != current:
                close()
                code.append(f"{subset} 1 Tf")
                current = subset
            if len(run) % 2:  # right after a string: one string
                run[-1] += chunk
            else:
                run.append(chunk)
        if alone:
            close()
    close()
    code.append("EMC ET" if marked else "ET")
    return " ".join(code)
