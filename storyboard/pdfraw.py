"""PDF objects formatted by us and handed to a reportlab document as they are.

reportlab formats every object of a document in pure Python, compressing its streams with
zlib; for the one-page PDFs of a book (`export.pdf.page_pdf`) that was most of the cost of a
page: each page's glyph forms were formatted and compressed again, its content stream (a
hundred kilobytes of drawing operators) deflated by zlib. Here a stream is compressed by
libdeflate (the `deflate` package: about 2.5x quicker than zlib at the same level, and a few
percent smaller; a document given `FLATE` as its default stream filter has its font files
and maps compressed so too), and an object's bytes can be made once and reused by every document of
the process (`raw_object`).
"""

from __future__ import annotations

from functools import lru_cache

LEVEL = 6  # libdeflate's default: its level 6 is smaller than zlib's and 2.5x quicker


def flate(data: bytes) -> bytes:
    """`data` compressed for a /FlateDecode stream (zlib format)."""
    import deflate

    return bytes(deflate.zlib_compress(data, LEVEL))  # (a bytearray, which reportlab would print as its repr)


def stream(data: bytes, entries: str = "") -> bytes:
    """A stream object's bytes: `data` Flate-compressed, with the dictionary `entries`
    (formatted PDF, e.g. "/Subtype /Form ...") besides its /Filter and /Length."""
    packed = flate(data)
    head = f"<<\n{entries + ' ' if entries else ''}/Filter [ /FlateDecode ] /Length {len(packed)}\n>>\nstream\n"
    return head.encode("ascii") + packed + b"\nendstream\n"


class _Flate:
    """A reportlab stream filter (see `PDFStream.filters`) deflating with `flate`."""

    pdfname = "FlateDecode"

    def encode(self, data: "str | bytes") -> bytes:
        return flate(data.encode("utf-8") if isinstance(data, str) else data)


FLATE = _Flate()


def raw_object(data: bytes):
    """A reportlab PDF object whose formatted bytes are `data`. Make one per document: a
    document marks an object with the name it has there."""
    return _raw_class()(data)


def references(names):
    """A reportlab PDF object formatting as a dictionary from each of `names` (objects'
    names in the document, e.g. "FormXob.G1f2e...") to a reference to that object, in
    name order: a page's /XObject resources without reportlab's per-entry objects."""
    return _references_class()(sorted(set(names)))


@lru_cache(maxsize=1)
def _references_class():
    from reportlab.pdfbase.pdfdoc import PDFObject

    class References(PDFObject):
        def __init__(self, names: list[str]):
            self.names = names

        def format(self, document) -> bytes:
            numbers = document.idToObjectNumberAndVersion
            return ("<<\n" + " ".join(f"/{name} {numbers[name][0]} {numbers[name][1]} R" for name in self.names)
                    + "\n>>").encode("ascii")

    return References


@lru_cache(maxsize=1)
def _raw_class():
    from reportlab.pdfbase.pdfdoc import PDFObject

    class RawObject(PDFObject):
        __RefOnly__ = 1  # an indirect object: where another object holds it, a reference is written

        def __init__(self, data: bytes):
            self.data = data

        def format(self, document) -> bytes:
            return self.data

    return RawObject
