"""Storyboard labels on a draft panel: shot number, shot and angle, the action, name tags.

They are lettered on the page, not painted into the sketch: in the lettering font (real text
in the PDF), inside the panel's frame and so inside the live area (art may run into the
bleed and be trimmed off; the frame never is). The action note and the shot tag are decided
first, from the panel alone (`slate`), along the bottom of the frame where balloons seldom
go, and the lettering keeps clear of them (`storyboard.lettering`, for draft renders); the
name tags go last, on the figures, off everything lettered. On storyboard sheets the notes
box carries the shot and the action, so only the name tags are drawn in the frame.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from typing import Any, Sequence

from storyboard._lettering import shapes
from storyboard.layout import PanelSlot, Rect
from storyboard.lettering import Font, Item, Shape, Text, once, staged_local
from storyboard.staging import CLOSE_SHOTS, LOW_KINDS, dutch_tilt, turned_box
from storyboard.text import breaking
from storyboard.text.leading import leading, line_extent

PAPER = (0.97, 0.96, 0.93)
GRAPHITE = (0.25, 0.26, 0.29)
RULE = 0.4  # box outline, points
# Label size on a webtoon strip, points (20 px on an 800 px strip): one size for every panel,
# as the strip's lettering has, whatever the panel's height.
STRIP_SIZE = 6.0
TAG_INSET = 0.3  # ems of space round a tag's text
TAG_LEADING = 1.15  # a tag's line spacing, ems
NAME_FLOOR = 4.0  # points: the smallest a name tag is lettered (a draft note, legible in print)
NAME_SHRINK = 0.75  # a name tag shrinks to this share of the label size at most before it wraps
SHORT_NAME = 4.0  # ems: a tag this wide fits any figure (a name of four or five letters is never shrunk)


def panel_labels(story: Any, panel: Any, slot: PanelSlot, font: Font, taken: Sequence[Rect], *,
                 strip: bool) -> list[Item]:
    """The label items of one panel: its `slate`, and the name tags off every rectangle in
    `taken` (the panel's lettering) where there is room. `strip`: the panel is one of a
    webtoon strip (a page of kind `layout.WEBTOON`), whose labels all have one size."""
    size = _size(slot, strip)
    inner = _inner(slot, size)
    items = slate(story, panel, slot, font, strip=strip)
    taken = list(taken) + [item.body for item in items]
    for entry, (fig, boxes) in zip(panel.cast, _staged(story, panel, slot)):
        name = story.character_name(entry.id)  # a translated edition's name
        # As wide as its figure; a short name may be wider than a small figure, as written.
        room = min(max(boxes["body"].w, boxes["head"].w, SHORT_NAME * size), inner.w)
        lines, tag_size = _name_tag(font, name, entry.expression, size * 0.9, room, inner)
        tag = _tag(font, lines, tag_size, False, _around(boxes["head"], boxes["body"]), inner, taken)
        items.append(tag)
        taken.append(tag.body)
    return items


def slate(story: Any, panel: Any, slot: PanelSlot, font: Font, *, strip: bool) -> list[Item]:
    """The action note and the shot tag of a draft panel (none on a storyboard sheet, whose
    notes box carries them), placed from the panel alone so that the lettering can keep
    clear of them: one row along the bottom of the frame (the top where faces fill the
    bottom more), the shot tag at the end where reading starts and the action beside it;
    in a panel too narrow for both, the tag sits on the action strip. (Worked out once per
    panel in a render: its lettering and its labels both ask.)"""
    if slot.notes is not None:
        return []
    return list(once(("slate", id(story), id(panel), slot, id(font), strip),
                     lambda: _slate(story, panel, slot, font, strip)))


def _slate(story: Any, panel: Any, slot: PanelSlot, font: Font, strip: bool) -> tuple[Item, ...]:
    size = _size(slot, strip)
    inner = _inner(slot, size)
    staged = _staged(story, panel, slot)
    faces = [boxes["face"] for _, boxes in staged if boxes["face"] is not None]
    faces += _held(story, panel, slot)  # (kept off as a face is)
    # A dog, a car or a crate seen whole stands low, often on the bottom row: the row keeps off
    # it too (in a close-up its chest fills the bottom as a person's does).
    faces += [boxes["body"] for fig, boxes in staged if fig.kind in LOW_KINDS and panel.shot not in CLOSE_SHOTS]
    rtl = getattr(getattr(story, "page", None), "reading", "ltr") == "rtl"
    shot = f"{slot.number} · {_words(panel.shot)} · {_words(panel.angle)}"
    if not panel.action:
        return (_tag(font, (shot,), size, True, _ends(inner, True, rtl), inner, faces),)
    tag_w = _box(font, shot, size, True)[0]
    beside = inner.w - tag_w - size >= 0.4 * inner.w
    span = (Rect(inner.x + (0.0 if rtl else tag_w + size), inner.y, inner.w - tag_w - size, inner.h) if beside
            else inner)
    # Along the bottom, or the top where that row (note and tag) covers less of the faces.
    rows = [_row(font, panel.action, shot, span, inner, size, faces, beside, rtl, low=True)]
    if rows[0][0]:
        rows.append(_row(font, panel.action, shot, span, inner, size, faces, beside, rtl, low=False))
    return min(rows, key=lambda row: row[0])[1]


def _row(font: Font, action_text: str, shot: str, span: Rect, inner: Rect, size: float, faces: Sequence[Rect],
         beside: bool, rtl: bool, *, low: bool) -> tuple[float, tuple[Item, Item]]:
    """(how much of `faces` it covers, (action note, shot tag)) for the slate along the bottom
    of the frame (`low`) or the top; the tag beside the note or, in a narrow panel, on it."""
    action = _action(font, action_text, span, size, low)
    strip = action.body
    if beside:  # the rest of the row
        free = Rect(inner.x, strip.y, inner.w, strip.h)
    else:  # above (or under) the strip
        free = (Rect(inner.x, strip.y1, inner.w, inner.y1 - strip.y1) if low
                else Rect(inner.x, inner.y, inner.w, strip.y - inner.y))
    tag = _tag(font, (shot,), size, True, _ends(free, low, rtl), inner, [*faces, action.body])
    return _clash(action.body, faces) + _clash(tag.body, faces), (action, tag)


def _size(slot: PanelSlot, strip: bool) -> float:
    """Label size in points: on a page, in proportion to the panel's shorter side (a small
    panel gets smaller type); on a webtoon strip, one size (`STRIP_SIZE`)."""
    if strip:
        return STRIP_SIZE
    return max(4.5, min(8.0, 0.035 * min(slot.rect.w, slot.rect.h)))


def _inner(slot: PanelSlot, size: float) -> Rect:
    return slot.rect.inset(max(1.5, 0.4 * size))  # clear of the frame line


def _staged(story: Any, panel: Any, slot: PanelSlot) -> list[tuple[Any, dict]]:
    """`staged_local`'s figures with their head, body and face boxes on the page, once per
    panel in a render (its slate and its name tags both ask)."""
    rect = slot.rect

    def on_page():
        return [(fig, {"head": _page_box(rect, local["head"]), "body": _page_box(rect, local["body"]),
                       "face": _page_box(rect, local["face"]) if local["face"] is not None else None})
                for fig, local in staged_local(story, panel, slot, drawn=True)]

    return once(("staged on page", id(story), id(panel), slot), on_page)


def _held(story: Any, panel: Any, slot: PanelSlot) -> list[Rect]:
    """The prop the draft draws in a cast member's hand (`draft.held_prop_box`: Mara's
    lantern, low in a medium shot), on the page; none where it draws none."""
    from storyboard.engines.draft import held_prop_box

    if not panel.cast or not panel.action:
        return []
    art = slot.art
    members = [(entry.id, story.characters[entry.id].name or entry.id) for entry in panel.cast]  # as `plan` names them
    staged = [fig for fig, _ in staged_local(story, panel, slot, drawn=True)]
    box = held_prop_box(panel.action, panel.angle, staged, members, art.w / art.h)
    if box is None:
        return []
    if panel.angle == "dutch":  # turned with the sketch (`lettering.staged_local`)
        box = turned_box(box, art.w / art.h, dutch_tilt(slot.scene, slot.panel))
    x0, y0, x1, y1 = box
    return [Rect(art.x + x0 * art.w, art.y1 - y1 * art.h, (x1 - x0) * art.w, (y1 - y0) * art.h)]


def _words(term: str) -> str:
    return term.replace("-", " ").upper()


def _page_box(rect: Rect, local: tuple[float, float, float, float]) -> Rect:
    """A box in frame-local points (right and down from the frame's top-left) on the page."""
    u0, v0, u1, v1 = local
    return Rect(rect.x + u0, rect.y1 - v1, max(0.0, u1 - u0), max(0.0, v1 - v0))


def _box(font: Font, text: str, size: float, bold: bool) -> tuple[float, float, float]:
    """(width, height, text inset) of a one-line tag."""
    return _lines_box(font, (text,), size, bold)


def _ends(free: Rect, low: bool, rtl: bool):
    """Candidate anchors for the shot tag: the two corners of `free` on the action strip's
    side (bottom when `low`), the one where reading starts first; then the other two."""
    def at(w: float, h: float) -> list[tuple[float, float]]:
        xs = (free.x1 - w, free.x) if rtl else (free.x, free.x1 - w)
        ys = (free.y, free.y1 - h) if low else (free.y1 - h, free.y)
        return [(x, y) for y in ys for x in xs]
    return at


def _around(head: Rect, body: Rect):
    """Candidate anchors for a name tag: on the chest under a head big enough to carry it,
    else above the head, or under the feet of a small figure the tag is nearly as wide as (on
    its chest the tag would hide the whole figure, a sandwich board); then lower on the
    body, and beside the head."""
    cx = head.x + head.w / 2

    def at(w: float, h: float) -> list[tuple[float, float]]:
        x = cx - w / 2
        chest, above = (x, head.y - 0.4 * h - h), (x, head.y1 + 0.3 * h)
        lower = [(x, head.y - k * h) for k in (3.0, 4.5) if head.y - k * h > body.y]
        side = [(head.x1 + 0.3 * h, head.y + head.h / 2 - h / 2), (head.x - w - 0.3 * h, head.y + head.h / 2 - h / 2)]
        if head.h > 2.5 * h:
            first = [chest, above]
        elif w > 0.6 * body.w and body.h < 6 * h:  # a small figure, feet and all
            first = [above, (x, body.y - 0.3 * h - h), chest]
        else:
            first = [above, chest]
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


def _name_tag(font: Font, name: str, expression: str | None, size: float, room: float,
              inner: Rect) -> tuple[tuple[str, ...], float]:
    """A figure's tag (lines, size): the name at most `room` points wide (`name_lines`);
    with the expression after it (`Ife · suspicious`, a note the sketch cannot show) where
    the name fits whole at `size` and the two take at most 0.6 of the panel's width."""
    lines, fitted = name_lines(font, name, size, room)
    both = f"{name} · {expression}"
    if expression and fitted == size and len(lines) == 1 and font.width(both, size) <= 0.6 * inner.w:
        return (both,), size
    return lines, fitted


def name_lines(font: Font, text: str, size: float, width: float) -> tuple[tuple[str, ...], float]:
    """A name tag's lines and size so that the tag is at most `width` points wide (its
    figure's width): the label's `size` where it fits; else smaller, down to a floor (a
    quarter smaller, not under NAME_FLOOR); else in two lines broken between words (the
    break giving the largest type), down to that floor; else a word hyphenated (or cut)
    into two lines at the floor, the rest of a name longer than that cut off with an
    ellipsis ('Kapitänin Annegret / Wilhelmine von…')."""
    floor = min(size, max(NAME_FLOOR, NAME_SHRINK * size))

    def largest(lines: Sequence[str]) -> float:  # the size at which the tag is `width` wide
        return width / (max(font.width(line, 1.0) for line in lines) + 2 * TAG_INSET)

    if largest((text,)) >= floor:
        return (text,), min(size, largest((text,)))
    splits = [(breaking.display(text[:i]), breaking.display(text[i:])) for i in breaking.break_points(text)]
    if splits:
        best = max(splits, key=largest)
        if largest(best) >= floor:
            return best, min(size, largest(best))
    lines = breaking.wrap(font, text, floor, width - 2 * TAG_INSET * floor)
    if len(lines) > 2:
        last = lines[1]
        while last and font.width(last + "…", floor) > width - 2 * TAG_INSET * floor:
            last = last[:-1]
        lines = [lines[0], last.rstrip() + "…"]
    return tuple(lines), floor


def _tag(font: Font, lines: tuple[str, ...], size: float, bold: bool, anchors, inner: Rect,
         taken: Sequence[Rect]) -> Item:
    """A boxed label of one line (or a name in two, centred) at the first anchor that
    clashes with nothing (else the least)."""
    w, h, inset = _lines_box(font, lines, size, bold)
    if w > inner.w:  # a narrow panel: smaller type rather than a tag out of the frame
        size *= inner.w / w
        w, h, inset = _lines_box(font, lines, size, bold)
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
    ops: list = [Shape(tuple(shapes.rectangle(box.x, box.y, box.w, box.h)), fill=PAPER, stroke=GRAPHITE, width=RULE)]
    inks = []
    top, bottom = line_extent(font, "\n".join(lines), bold)
    base = box.y1 - inset - top * size
    for line in lines:
        line_w = font.width(line, size, bold)
        x = box.x + inset if len(lines) == 1 else box.x + (box.w - line_w) / 2
        ops.append(Text(line, x, base, size, bold, "start", fill=GRAPHITE))
        inks.append(Rect(x, base + bottom * size, line_w, (top - bottom) * size))
        base -= leading(font, "\n".join(lines), bold, TAG_LEADING) * size
    return Item("label", tuple(ops), box, box, lines, size, text_boxes=tuple(inks))


@lru_cache(maxsize=2048)  # a book repeats its shot tags and names; each is shaped once
def _lines_box(font: Font, lines: tuple[str, ...], size: float, bold: bool) -> tuple[float, float, float]:
    """(width, height, text inset) of a tag of `lines`."""
    inset = TAG_INSET * size
    text = "\n".join(lines)
    top, bottom = line_extent(font, text, bold)
    w = max(font.width(line, size, bold) for line in lines) + 2 * inset
    return w, (top - bottom + (len(lines) - 1) * leading(font, text, bold, TAG_LEADING)) * size + 2 * inset, inset


def _action(font: Font, action: str, span: Rect, size: float, low: bool) -> Item:
    """The action in at most two lines across the bottom of `span` (`low`: bodies may run
    under it; the top is where balloons go), or its top; in three rather than cut short
    where the three take at most a tenth of the frame's height (a narrow, tall panel)."""
    inset = TAG_INSET * size
    width = span.w - 2 * inset
    lines = _wrap(font, action, size, width)
    if (lines[-1].endswith("…") and not action.rstrip().endswith("…")
            and 3 * TAG_LEADING * size + 2 * inset <= 0.1 * span.h):  # (wrapped again only where three fit)
        lines = _wrap(font, action, size, width, 3)
    lead = leading(font, "\n".join(lines), False, TAG_LEADING) * size
    top, bottom = line_extent(font, "\n".join(lines), False)
    h = (top - bottom) * size + (len(lines) - 1) * lead + 2 * inset
    box = Rect(span.x, span.y, span.w, h) if low else Rect(span.x, span.y1 - h, span.w, h)
    ops: list = [Shape(tuple(shapes.rectangle(box.x, box.y, box.w, box.h)), fill=PAPER, stroke=GRAPHITE, width=RULE)]
    inks = []
    base = box.y1 - inset - top * size
    for line in lines:
        ops.append(Text(line, box.x + inset, base, size, False, "start", fill=GRAPHITE))
        inks.append(Rect(box.x + inset, base + bottom * size, font.width(line, size), (top - bottom) * size))
        base -= lead
    return Item("label", tuple(ops), box, box, tuple(lines), size, text_boxes=tuple(inks))


@lru_cache(maxsize=64)
def _alphabet(font: Font, size: float) -> float:
    return font.width("abcdefghijklmnopqrstuvwxyz", size)


def _wrap(font: Font, text: str, size: float, width: float, max_lines: int = 2) -> list[str]:
    """Wrap to `width` points in at most `max_lines` lines, the last ending in '…' if cut."""
    text = " ".join(text.split())
    chars = max(4, int(width / max(_alphabet(font, size) / 26, 0.1)))
    # textwrap's wrapping for narrower and narrower lines. (Without a hyphen, its
    # word-and-hyphen pattern cuts the text just where its plain whitespace pattern does,
    # several times quicker.)
    wrapper = textwrap.TextWrapper(chars, break_on_hyphens="-" in text)
    lines = wrapper.wrap(text) or [""]
    while chars > 4 and any(font.width(line, size) > width for line in lines):
        chars -= 2
        wrapper.width = chars
        lines = wrapper.wrap(text)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines
