"""Small stories and stand-in panel art for the page tests."""

from __future__ import annotations

from PIL import Image

from storyboard.layout import Book
from storyboard.script import Story

CAST = {cid: {"description": f"person {cid}"} for cid in ("ana", "ben", "cy", "dee", "eve")}


def story(panels: list[dict], *, page: dict | None = None, scenes: list[list[int]] | None = None,
          scene_new_page: tuple[int, ...] = (), title: str = "Test Book", author: str = "A. Writer",
          style: dict | None = None) -> Story:
    """A validated story. `scenes` splits `panels` into scenes by counts (default: one scene)."""
    counts = scenes or [len(panels)]
    out, start = [], 0
    for index, count in enumerate(counts):
        out.append({"id": f"s{index}", "setting": "a room", "new_page": index in scene_new_page,
                    "panels": panels[start:start + count]})
        start += count
    data = {"title": title, "author": author, "characters": CAST, "scenes": out}
    if page:
        data["page"] = page
    if style:
        data["style"] = style
    return Story.model_validate(data)


def panel(**fields) -> dict:
    return {"action": "someone does something", **fields}


def art(book: Book) -> dict:
    """Deterministic gradient panel art at each slot's generation size."""
    images = {}
    for slot in book.slots():
        w, h = slot.gen_width, slot.gen_height
        gradient = Image.linear_gradient("L").resize((w, h))
        tint = (40 + 37 * slot.number % 160, 90, 200 - 23 * slot.number % 120)
        images[(slot.scene, slot.panel)] = Image.merge(
            "RGB", [gradient.point(lambda v, t=t: (v + t) // 2) for t in tint])
    return images
