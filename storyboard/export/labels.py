"""Storyboard labels on a draft panel: shot number, shot and angle, the action, name tags.

They are lettered on the page, not painted into the sketch: in the lettering font (real text
in the PDF), inside the panel's frame and so inside the live area (art may run into the
bleed and be trimmed off; the frame never is), and placed off the balloons, captions and SFX
already lettered on the panel. On storyboard sheets the notes box carries the shot and the
action, so only the name tags are drawn in the frame.
"""

from __future__ import annotations

import textwrap
from typing import Any, Sequence

from storyboard._lettering import shapes
from storyboard.layout import PanelSlot, Rect
from storyboard.lettering import Font, Item, Shape, Text, staged_local

PAPER = (0.97, 0.96, 0.93)
GRAPHITE = (0.25, 0.26, 0.29)
RULE = 0.4  # box outline, points


def panel_labels(story: Any, panel: Any, slot: PanelSlot, font: Font, taken: Sequence[Rect]) -> list[Item]:
    """The label items of one panel, off every rectangle in `taken` where there is room."""
    rect = slot.rect
    size = max(4.5, min(8.0, 0.035 * min(rect.w, rect.h)))
    inner = rect.inset(max(1.5, 0.4 * size))  # clear of the frame line
    taken = list(taken)
    staged = [(fig, {k: _page_box(rect, local[k]) for k in ("head", "body")})
              for fig, local in staged_local(story, panel, slot)]
    items: list[Item] = []
    if slot.notes is None:
        if panel.action:
            bodies = [boxes["body"] for _, boxes in staged]
            action = _action(font, panel.action, inner, size, taken, bodies)
            items.append(action)
            taken.append(action.body)
        shot = f"{slot.number} · {_words(panel.shot)} · {_words(panel.angle)}"
        free = inner
        if items:  # the corners left by the action strip come first
            strip = items[0].body
            free = (Rect(inner.x, strip.y1, inner.w, inner.y1 - strip.y1) if strip.y <= inner.y + 1e-6
                    else Rect(inner.x, inner.y, inner.w, strip.y - inner.y))
        tag = _tag(font, shot, size, True, _corners(free, inner), inner, taken)
        items.append(tag)
        taken.append(tag.body)
    names = {cid: getattr(ch, "name", "") or cid for cid, ch in getattr(story, "characters", {}).items()}
    for entry, (fig, boxes) in zip(panel.cast, staged):
        name = names.get(entry.id, entry.id)
        text = f"{name} · {entry.expression}" if entry.expression else name
        if font.width(text, size * 0.9) > inner.w * 0.6:  # a long expression: the name matters more
            text = name
        tag = _tag(font, text, size * 0.9, False, _around(boxes["head"], boxes["body"]), inner, taken)
        items.append(tag)
        taken.append(tag.body)
    return items


def _words(term: str) -> str:
    return term.replace("-", " ").upper()


def _page_box(rect: Rect, local: tuple[float, float, float, float]) -> Rect:
    """A box in frame-local points (right and down from the frame's top-left) on the page."""
    u0, v0, u1, v1 = local
    return Rect(rect.x + u0, rect.y1 - v1, max(0.0, u1 - u0), max(0.0, v1 - v0))


def _box(font: Font, text: str, size: float, bold: bool) -> tuple[float, float, float]:
    """(width, height, text inset) of a one-line tag."""
    inset = 0.3 * size
    return font.width(text, size, bold) + 2 * inset, (font.ascent - font.descent) * size + 2 * inset, inset


def _corners(free: Rect, inner: Rect):
    """Candidate anchors for the shot tag: the four corners of `free`, top left first, then
    points down the left and right edges of `inner`."""
    def at(w: float, h: float) -> list[tuple[float, float]]:
        corners = [(free.x, free.y1 - h), (free.x1 - w, free.y1 - h), (free.x, free.y), (free.x1 - w, free.y)]
        edges = [(x, inner.y1 - k * h) for k in (2.5, 4, 5.5, 7) for x in (inner.x, inner.x1 - w)]
        return corners + edges
    return at


def _around(head: Rect, body: Rect):
    """Candidate anchors for a name tag: on the chest under a head big enough to carry it,
    else above the head; then lower on the body, and beside the head."""
    cx = head.x + head.w / 2

    def at(w: float, h: float) -> list[tuple[float, float]]:
        x = cx - w / 2
        chest, above = (x, head.y - 0.4 * h - h), (x, head.y1 + 0.3 * h)
        lower = [(x, head.y - k * h) for k in (3.0, 4.5) if head.y - k * h > body.y]
        side = [(head.x1 + 0.3 * h, head.y + head.h / 2 - h / 2), (head.x - w - 0.3 * h, head.y + head.h / 2 - h / 2)]
        first = [chest, above] if head.h > 2.5 * h else [above, chest]
        return first + lower + side
    return at


def _clamp(x: float, y: float, w: float, h: float, inner: Rect) -> tuple[float, float]:
    return min(max(x, inner.x), inner.x1 - w), min(max(y, inner.y), inner.y1 - h)


def _clash(box: Rect, taken: Sequence[Rect]) -> float:
    area = 0.0
    for t in taken:
        w = min(box.x1, t.x1) - max(box.x, t.x)
        h = min(box.y1, t.y1) - max(box.y, t.y)
        if w > 0 and h > 0:
            area += w * h
    return area


def _tag(font: Font, text: str, size: float, bold: bool, anchors, inner: Rect, taken: Sequence[Rect]) -> Item:
    """A one-line boxed label at the first anchor that clashes with nothing (else the least)."""
    w, h, inset = _box(font, text, size, bold)
    if w > inner.w:  # a narrow panel: smaller type rather than a tag out of the frame
        size *= inner.w / w
        w, h, inset = _box(font, text, size, bold)
    best = None
    for x, y in anchors(w, h):
        x, y = _clamp(x, y, w, h, inner)
        box = Rect(x, y, w, h)
        clash = _clash(box, taken)
        if best is None or clash < best[0]:
            best = (clash, box)
        if clash == 0:
            break
    box = best[1]
    base = box.y + inset - font.descent * size
    ops = (Shape(tuple(shapes.rectangle(box.x, box.y, box.w, box.h)), fill=PAPER, stroke=GRAPHITE, width=RULE),
           Text(text, box.x + inset, base, size, bold, "start", fill=GRAPHITE))
    ink = Rect(box.x + inset, base + font.descent * size, font.width(text, size, bold), (font.ascent - font.descent) * size)
    return Item("label", ops, box, box, (text,), size, text_boxes=(ink,))


def _action(font: Font, action: str, inner: Rect, size: float, taken: Sequence[Rect],
            bodies: Sequence[Rect]) -> Item:
    """The action in at most two lines across the bottom of the panel, or the top where the
    bottom is lettered, or covers more of the figures than the top would."""
    inset = 0.3 * size
    width = inner.w - 2 * inset
    lines = _wrap(font, action, size, width)
    lead = 1.15 * size
    h = (font.ascent - font.descent) * size + (len(lines) - 1) * lead + 2 * inset
    bottom, top = Rect(inner.x, inner.y, inner.w, h), Rect(inner.x, inner.y1 - h, inner.w, h)
    cost = {box: 100 * _clash(box, taken) + _clash(box, bodies) for box in (bottom, top)}
    box = bottom if cost[bottom] <= cost[top] else top
    ops: list = [Shape(tuple(shapes.rectangle(box.x, box.y, box.w, box.h)), fill=PAPER, stroke=GRAPHITE, width=RULE)]
    inks = []
    base = box.y1 - inset - font.ascent * size
    for line in lines:
        ops.append(Text(line, box.x + inset, base, size, False, "start", fill=GRAPHITE))
        inks.append(Rect(box.x + inset, base + font.descent * size, font.width(line, size),
                         (font.ascent - font.descent) * size))
        base -= lead
    return Item("label", tuple(ops), box, box, tuple(lines), size, text_boxes=tuple(inks))


def _wrap(font: Font, text: str, size: float, width: float, max_lines: int = 2) -> list[str]:
    """Wrap to `width` points in at most `max_lines` lines, the last ending in '…' if cut."""
    text = " ".join(text.split())
    chars = max(4, int(width / max(font.width("abcdefghijklmnopqrstuvwxyz", size) / 26, 0.1)))
    # textwrap.wrap(text, chars) for narrower and narrower lines: the text is cut into words
    # once (what `TextWrapper.wrap` does first does not depend on the width).
    wrapper = textwrap.TextWrapper(chars)
    chunks = wrapper._split_chunks(text)
    lines = wrapper._wrap_chunks(chunks[:]) or [""]
    while chars > 4 and any(font.width(line, size) > width for line in lines):
        chars -= 2
        wrapper.width = chars
        lines = wrapper._wrap_chunks(chunks[:])
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines
