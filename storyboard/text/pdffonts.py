"""The fonts of the PDF's invisible text layer.

The layer shows each character by its code point, so a line's layer is the same on every
page: each face has one font per Unicode plane in the whole book (a Type0 font, Identity-H:
the two-byte code is the code point's low 16 bits, and its CID), embedding one TrueType
subset of every character the book shows in it. A page lists what it shows
(`text.draw.PdfFonts.used`); the assembly writes each font once, after the last page
(`write_font`). Widths come from the face's own metrics, as reportlab measured them.

The subset is cut by reportlab's TrueType subsetter, which embeds TrueType outlines only:
a CFF face (OpenType .otf, the Noto CJK collection) is first cut down to the characters the
book shows with fontTools' subsetter and its cubic outlines converted to quadratic ones
(cu2qu, within 1 font unit), which takes well under a second for a book of CJK text, where
converting the whole 65,000-glyph font would take minutes.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache
from pathlib import Path

from storyboard.errors import ExportError


def _truetype_subset(face, chars: set[str], tag: str) -> bytes:
    """A TrueType font of `face`'s glyphs for `chars`; its PostScript name ends in `tag`."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    # recalcTimestamp off: the subset keeps the font's own date instead of the time it was
    # made, so the same page gives the same bytes in every run.
    font = TTFont(str(face.path), fontNumber=face.index, lazy=True, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.hinting = False
    options.desubroutinize = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE", "GSUB", "GPOS", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in chars})
    subsetter.subset(font)

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for gname in order:
        pen = TTGlyphPen(None)
        glyph_set[gname].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[gname] = pen.glyph()
    del font["CFF "]
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    maxp.maxPoints = maxp.maxContours = maxp.maxCompositePoints = maxp.maxCompositeContours = 0
    maxp.maxComponentDepth = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"
    names = font["name"]
    ps = names.getDebugName(6) or "Font"
    names.setName(f"{ps}-{tag}", 6, 3, 1, 0x409)
    names.names = [n for n in names.names if n.nameID != 6 or (n.platformID, n.platEncID) == (3, 1)]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=64)
def layer_name(face_path: str, index: int, plane: int) -> str:
    """The resource name (with its slash) of a face's text-layer font for `plane`."""
    digest = hashlib.sha1(f"{Path(face_path).resolve()}#{index}".encode()).hexdigest()[:12]
    return f"/SB{digest}" + (f"P{plane}" if plane else "")


@lru_cache(maxsize=65536)
def layer_runs(face, text: str) -> tuple[tuple[str, tuple, str, frozenset[int]], ...]:
    """How the text layer shows `text` (a cluster the layer gives to `face`): for each run
    of characters of one Unicode plane, (its font's resource name, that font as (face path,
    index, CFF outlines, plane), the codes in hex, the code points shown). A no-break space
    is shown as a space (as reportlab showed it, so extracted text keeps its spaces)."""
    text = text.replace("\u00a0", " ")
    units = text.encode("utf-16-be", "surrogatepass")
    if len(units) == 2 * len(text):  # all in the first plane: the UTF-16 code units are the codes
        return ((*_font(face, 0), units.hex().upper(), frozenset(map(ord, text))),)
    runs: list[list] = []
    for ch in text:
        code = ord(ch)
        if not runs or runs[-1][1][3] != code >> 16:
            runs.append([*_font(face, code >> 16), "", set()])
        runs[-1][2] += "%04X" % (code & 0xFFFF)
        runs[-1][3].add(code)
    return tuple((name, font, hexcodes, frozenset(codes)) for name, font, hexcodes, codes in runs)


@lru_cache(maxsize=256)
def _font(face, plane: int) -> tuple[str, tuple]:
    return layer_name(str(face.path), face.index, plane), (str(face.path), face.index, face.cff, plane)


@lru_cache(maxsize=65536)
def layer_width(face, text: str) -> float:
    """The width of `text` at 1 pt in `face`'s text-layer font (what reportlab's
    `stringWidth` gave)."""
    return 0.001 * sum(char_width(face, ord(ch)) for ch in text)


@lru_cache(maxsize=65536)
def char_width(face, code: int) -> float:
    """The advance of character `code` in `face`, in thousandths of an em (as reportlab
    measured it: the glyph the face maps it to, else glyph 0; a no-break space is as wide
    as a space; the direction marks U+200E, U+200F a fifth of an em)."""
    if code == 0xA0 and 0x20 in face.unicodes:
        code = 0x20
    if code in _MARKS:
        return _MARKS[code]
    return _advance(face, face.hb_font.get_nominal_glyph(code) or 0)


# The direction marks the layer adds (`text.layer_order`) take up a fifth of an em there, in
# every font: with no width, poppler reads the gap where one stands as a space.
_MARKS = {0x200E: 200.0, 0x200F: 200.0}


def _advance(face, gid: int) -> float:
    advance = face.hb_font.get_glyph_h_advance(gid)
    return advance if face.upem == 1000 else advance * (1000 / face.upem)


_MAX_CHARS = 30000  # characters of one plane in one font (reportlab's subset cmap holds 32762)


def write_font(pdf, number: int, face_path: str, index: int, cff: bool, plane: int, codes: set[int]) -> None:
    """Write the text-layer font `layer_name(face_path, index, plane)` into `pdf` (a
    `pdfraw.PdfFile`) as object `number`, with a TrueType subset of the characters `codes`
    (code points of that plane) embedded. Raises ExportError."""
    from reportlab.lib.rl_accel import fp_str
    from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC

    from storyboard.pdfraw import pdf_name, stream
    from storyboard.text.fonts import load_face

    codes = sorted(codes)
    name = layer_name(face_path, index, plane)
    if len(codes) > _MAX_CHARS:
        raise ExportError(f"cannot embed font {face_path}: the book shows more than {_MAX_CHARS} of its characters")
    ttf = _subset_source(face_path, index, cff, codes, name)
    try:
        program = ttf.makeSubset(codes)
    except Exception as err:  # reportlab raises TTFError, struct errors
        raise ExportError(f"cannot embed font {face_path}: reportlab cannot subset it ({type(err).__name__})") from None
    # The subset's glyphs: 0, then each code's glyph in code order (as makeSubset numbers them).
    glyphs: dict[int, int] = {0: 0}
    cid_to_gid = bytearray(2 * ((codes[-1] & 0xFFFF) + 1 if codes else 1))
    for code in codes:
        new = glyphs.setdefault(ttf.charToGlyph.get(code, 0), len(glyphs))
        cid_to_gid[2 * (code & 0xFFFF):2 * (code & 0xFFFF) + 2] = new.to_bytes(2, "big")
    tag = "".join(chr(65 + int(c, 16)) for c in hashlib.sha1(repr((name, codes)).encode()).hexdigest()[:6])
    base = pdf_name(f"{tag}+{ttf.name.decode('latin-1')}{ttf.subfontNameX.decode('latin-1')}")
    flags = (ttf.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
    font_file = pdf.put(stream(program, f"/Length1 {len(program)}"))
    descriptor = pdf.put(
        f"<<\n/Ascent {fp_str(ttf.ascent)} /CapHeight {fp_str(ttf.capHeight)} /Descent {fp_str(ttf.descent)} "
        f"/Flags {flags} /FontBBox [ {fp_str(ttf.bbox)} ] /FontFile2 {font_file} 0 R /FontName {base} "
        f"/ItalicAngle {fp_str(ttf.italicAngle)} /StemV {fp_str(ttf.stemV)} /Type /FontDescriptor\n>>")
    cid_map = pdf.put(stream(bytes(cid_to_gid)))
    face = load_face(face_path, index)
    widths = _widths([(code & 0xFFFF, char_width(face, code)) for code in codes])
    cid_font = pdf.put(
        f"<<\n/BaseFont {base} /CIDSystemInfo << /Ordering (Identity) /Registry (Adobe) /Supplement 0 >> "
        f"/CIDToGIDMap {cid_map} 0 R /DW {fp_str(_advance(face, 0))} /FontDescriptor {descriptor} 0 R /Subtype /CIDFontType2 "
        f"/Type /Font /W [ {widths} ]\n>>")
    to_unicode = pdf.put(stream(_to_unicode(name[1:], codes).encode("ascii")))
    pdf.put(f"<<\n/BaseFont {base} /DescendantFonts [ {cid_font} 0 R ] /Encoding /Identity-H /Subtype /Type0 "
            f"/ToUnicode {to_unicode} 0 R /Type /Font\n>>", number)


def prepare_font(face_path: str, index: int, cff: bool) -> None:
    """Read ahead what `write_font` will need of a face that is not CFF (reportlab's parse
    of its tables, metrics and glyph positions): the join calls this when a page first
    shows the font, while later pages are still being drawn. Raises ExportError."""
    if not cff:
        _subset_source(face_path, index, cff, [], "")


@lru_cache(maxsize=16)  # once per face: `watch` checks the script's fonts again on every save
def check_embeddable(face) -> None:
    """Raise the ExportError `write_font` would raise for `face` (a damaged font file HarfBuzz
    still reads: truncated, a table pointing past its end), by reading its tables and
    subsetting a few of its characters: `validate` refuses what the PDF would."""
    codes = sorted(c for c in face.unicodes if 0x20 <= c < 0x10000)[:64]
    ttf = _subset_source(str(face.path), face.index, face.cff, codes, layer_name(str(face.path), face.index, 0))
    try:
        ttf.makeSubset(codes)
    except Exception as err:  # reportlab raises TTFError, struct errors
        raise ExportError(f"cannot embed font {face.path}: reportlab cannot subset it ({type(err).__name__})") from None


@lru_cache(maxsize=16)
def _face_file(face_path: str, index: int):
    from reportlab.pdfbase.ttfonts import TTFontFile

    return TTFontFile(face_path, validate=0, subfontIndex=index)


def _subset_source(face_path: str, index: int, cff: bool, codes: list[int], name: str):
    """The TrueType font to subset for `codes`: the face itself, or for a CFF face a
    TrueType conversion of just those characters. Raises ExportError."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    from storyboard.text.fonts import load_face

    try:
        if not cff:
            return _face_file(face_path, index)
        face = load_face(face_path, index)
        chars = {chr(c) for c in codes}
        if not any(c in face.unicodes for c in codes):  # a plane of variation selectors only (葛 + U+E0100):
            chars.add(" ")  # a character the face maps, so the subset has the cmap reportlab needs
        converted = _truetype_subset(face, chars, name[1:])
        return TTFontFile(io.BytesIO(converted), validate=0)
    except ExportError:
        raise
    except Exception as err:  # reportlab raises TTFError, OSError, struct errors
        # Only the kind of error: reportlab's messages can quote the file's first bytes.
        raise ExportError(f"cannot embed font {face_path}: reportlab cannot read it ({type(err).__name__})") from None


def _widths(pairs: list[tuple[int, float]]) -> str:
    """A CIDFont /W array's contents: runs of consecutive CIDs, each `c [w1 w2 ...]`."""
    from reportlab.lib.rl_accel import fp_str

    out, run, start = [], [], None
    for cid, width in pairs:
        if run and cid != start + len(run):
            out.append(f"{start} [ {fp_str(run)} ]")
            run = []
        if not run:
            start = cid
        run.append(width)
    if run:
        out.append(f"{start} [ {fp_str(run)} ]")
    return " ".join(out)


def _to_unicode(name: str, codes: list[int]) -> str:
    """A ToUnicode CMap: each two-byte code (a code point's low 16 bits) to that character."""
    rows = []
    for at in range(0, len(codes), 100):  # at most 100 entries per block
        chunk = codes[at:at + 100]
        rows.append(f"{len(chunk)} beginbfchar")
        rows += [f"<{code & 0xFFFF:04X}> <{chr(code).encode('utf-16-be').hex().upper()}>" for code in chunk]
        rows.append("endbfchar")
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        f"/CIDSystemInfo << /Registry ({name}) /Ordering ({name}) /Supplement 0 >> def",
        f"/CMapName /{name} def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange", *rows,
        "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"])
