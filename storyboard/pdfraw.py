"""PDF objects and files written by us.

The book's PDF is made of objects we format ourselves (page content, glyph forms, images,
fonts: see `export.pdf`), written one after another into a file with its cross-reference
table (`PdfFile`). Streams are compressed by libdeflate (the `deflate` package: about 2.5x
quicker than zlib at the same level, and a few percent smaller), once, where they are made.
"""

from __future__ import annotations

LEVEL = 6  # libdeflate's default: its level 6 is smaller than zlib's and 2.5x quicker
# A page's content stream (made for every page, ~130 KB of operators for a draft page) at
# level 1: 2.6x quicker than level 6 for 12 % more bytes (the bench story: 0.064 s and
# 3.21 MB vs 0.165 s and 2.86 MB per 100 pages).
QUICK = 1


def flate(data: bytes, level: int = LEVEL) -> bytes:
    """`data` compressed for a /FlateDecode stream (zlib format)."""
    import deflate

    return bytes(deflate.zlib_compress(data, level))


def stream(data: bytes, entries: str = "", level: int = LEVEL) -> bytes:
    """A stream object's bytes: `data` Flate-compressed at `level`, with the dictionary
    `entries` (formatted PDF, e.g. "/Subtype /Form ...") besides its /Filter and /Length."""
    packed = flate(data, level)
    head = f"<<\n{entries + ' ' if entries else ''}/Filter [ /FlateDecode ] /Length {len(packed)}\n>>\nstream\n"
    return head.encode("ascii") + packed + b"\nendstream\n"


def pdf_string(text: str) -> str:
    """`text` as a PDF text string: a literal string where it is printable ASCII, else
    UTF-16BE with its byte order mark, in hex."""
    if all(" " <= ch <= "~" for ch in text):
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def pdf_name(name: str) -> str:
    """`name` as a PDF name object (with its slash), characters outside printable ASCII and
    delimiters written as #XX."""
    out = []
    for byte in name.encode("utf-8"):
        ch = chr(byte)
        out.append(ch if "!" <= ch <= "~" and ch not in "#()<>[]{}/%" else f"#{byte:02X}")
    return "/" + "".join(out)


class PdfFile:
    """A PDF written object by object into the binary file `out`: `reserve` numbers an
    object to write later, `put` writes one; `finish` writes the cross-reference table and
    the trailer (with an /ID made from everything written, so the same objects give the
    same bytes). Objects are numbered from 1 in the order reserved or written."""

    def __init__(self, out, version: str = "1.4"):
        import hashlib

        self.out, self.offsets, self.count = out, {}, 0
        self._md5 = hashlib.md5()
        self._at = 0
        self._write(f"%PDF-{version}\n%".encode("ascii") + bytes([0xE2, 0xE3, 0xCF, 0xD3]) + b"\n")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self._md5.update(data)
        self._at += len(data)

    def reserve(self) -> int:
        self.count += 1
        return self.count

    def put(self, data: "bytes | str", number: int | None = None) -> int:
        """Write the object `data` (formatted PDF) as `number` (reserved) or the next one."""
        if number is None:
            number = self.reserve()
        self.offsets[number] = self._at
        if isinstance(data, str):
            data = data.encode("ascii")
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, data))
        return number

    def finish(self, root: int, info: int) -> None:
        missing = [n for n in range(1, self.count + 1) if n not in self.offsets]
        if missing:
            raise ValueError(f"PDF objects reserved but never written: {missing[:5]}")
        start = self._at
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % (self.count + 1)]
        rows += [b"%010d 00000 n \n" % self.offsets[n] for n in range(1, self.count + 1)]
        self._write(b"".join(rows))
        ident = self._md5.hexdigest()
        self._write(f"trailer\n<< /Size {self.count + 1} /Root {root} 0 R /Info {info} 0 R /ID [<{ident}><{ident}>] >>\n"
                    f"startxref\n{start}\n%%EOF\n".encode("ascii"))
