"""Fonts for the PDF's invisible text layer, registered with reportlab.

reportlab embeds (subsets of) TrueType-outline fonts only. A TrueType face is registered
as it is; a CFF face (OpenType .otf, the Noto CJK collection) is first cut down to the
characters the document uses with fontTools' subsetter and its cubic outlines converted to
quadratic ones (cu2qu, within 1 font unit), which takes well under a second for a page of
CJK text, where converting the whole 65,000-glyph font would take minutes.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from storyboard.errors import ExportError


def register(face, chars: set[str]) -> str:
    """The name of a registered reportlab font that maps every character in `chars` to
    the glyph `face` has for it."""
    from reportlab.pdfbase import pdfmetrics

    key = f"{face.path.resolve()}#{face.index}"
    if face.cff:
        key += "".join(sorted(chars))
    name = "SB" + hashlib.sha1(key.encode()).hexdigest()[:12]
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    try:
        if face.cff:
            font = _font_class()(name, io.BytesIO(_truetype_subset(face, chars, name)))
        else:
            font = _font_class()(name, str(face.path), subfontIndex=face.index)
    except ExportError:
        raise
    except Exception as err:  # reportlab raises TTFError, OSError, struct errors
        # Only the kind of error: reportlab's messages can quote the file's first bytes.
        raise ExportError(f"cannot embed font {face.path}: reportlab cannot read it ({type(err).__name__})") from None
    pdfmetrics.registerFont(font)
    return name


@lru_cache(maxsize=1)
def _font_class():
    """reportlab's TTFont, writing each subset's PDF objects (font dictionary, widths,
    descriptor, font file, ToUnicode map) as `storyboard.pdfraw` objects: the same entries as
    reportlab's `TTFont.addObjects` writes, formatted in one go rather than object by object,
    the streams deflated by libdeflate."""
    from reportlab.lib.rl_accel import fp_str
    from reportlab.pdfbase.pdfdoc import PDFName, format
    from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFont, makeToUnicodeCMap

    from storyboard.pdfraw import raw_object, stream

    class Font(TTFont):
        def addObjects(self, doc) -> None:
            state = self.state.get(doc) or TTFont.State(self._asciiReadable)
            face = self.face
            flags = (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
            fonts = doc.idToObject["BasicFonts"].dict
            for n, subset in enumerate(state.subsets):
                internal = self.getSubsetInternalName(n, doc)[1:]
                base = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
                base_name = format(PDFName(base), doc).decode("latin-1")

                def put(data: bytes, name: str) -> str:
                    doc.Reference(raw_object(data), name)
                    return "%d %d R" % doc.idToObjectNumberAndVersion[name]

                content = face.makeSubset(subset)
                font_file = put(stream(content, f"/Length1 {len(content)}"), f"fontFile:{base}")
                descriptor = put(
                    (f"<<\n/Ascent {fp_str(face.ascent)} /CapHeight {fp_str(face.capHeight)} /Descent "
                     f"{fp_str(face.descent)} /Flags {flags} /FontBBox [ {fp_str(face.bbox)} ] /FontFile2 {font_file} "
                     f"/FontName {base_name} /ItalicAngle {fp_str(face.italicAngle)} /MissingWidth "
                     f"{fp_str(face.defaultWidth)} /StemV {fp_str(face.stemV)} /Type /FontDescriptor\n>>").encode("latin-1"),
                    f"fontDescriptor:{base}")
                to_unicode = put(stream(makeToUnicodeCMap(base, subset).encode("latin-1")), f"toUnicodeCMap:{base}")
                widths = fp_str(list(map(face.getCharWidth, subset)))
                data = (f"<<\n/BaseFont {base_name} /FirstChar 0 /FontDescriptor {descriptor} /LastChar {len(subset) - 1} "
                        f"/Name /{internal} /Subtype /TrueType /ToUnicode {to_unicode} /Type /Font /Widths [ {widths} ]"
                        f"\n>>").encode("latin-1")
                font = fonts[internal] = raw_object(data)
                doc.Reference(font, internal)
            self.state.pop(doc, None)

    return Font


def _truetype_subset(face, chars: set[str], tag: str) -> bytes:
    """A TrueType font of `face`'s glyphs for `chars`; its PostScript name ends in `tag`
    (reportlab shares one font object between fonts of the same PostScript name)."""
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
