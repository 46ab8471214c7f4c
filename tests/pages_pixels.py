"""Decoded pixels of a folder of PNG pages, for tests that compare renders whose PNG bytes differ
(each page's provenance names its run)."""

from __future__ import annotations

from pathlib import Path


def page_pixels(folder: Path) -> dict[str, bytes]:
    """{file name: RGB bytes} of every PNG page in `folder`."""
    from PIL import Image

    pages = {}
    for page in sorted(folder.glob("*.png")):
        with Image.open(page) as image:
            pages[page.name] = image.convert("RGB").tobytes()
    return pages
