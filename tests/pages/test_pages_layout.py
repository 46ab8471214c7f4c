from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyboard.layout import (
    FRAME_ASPECTS,
    MM,
    TEMPLATES,
    Rect,
    cast_boxes,
    page_spec,
    paginate,
    sheet_grid,
)
from tests.pages.stories import panel, story

SIZES = ["us-comic", "manga", "a4", "letter", [150, 200], [300, 120]]
TOL = 1e-6


def check_book(book, s, max_side=1024):
    spec = book.spec
    live, media = spec.live, spec.media
    seen = []
    for page in book.pages:
        slots = sorted(page.slots, key=lambda x: x.order)
        assert [x.order for x in slots] == list(range(len(slots)))
        for slot in slots:
            assert live.contains(slot.rect), (page.template, slot)
            assert media.contains(slot.art)
            assert slot.art.contains(slot.rect)
            assert slot.gen_width % 8 == 0 and slot.gen_height % 8 == 0
            assert max(slot.gen_width, slot.gen_height) <= max_side
            # Generation keeps the art's aspect, up to rounding each side to a multiple of 8
            # (and a floor of 64 pixels a side, which very long strips hit).
            ratio = slot.art.w / slot.art.h
            if min(slot.gen_width, slot.gen_height) > 64:
                assert abs(slot.gen_width - slot.gen_height * ratio) <= 4 * (1 + ratio) + 1e-6
            assert slot.print_width == round(slot.art.w / 72 * spec.dpi)
            assert slot.print_height == round(slot.art.h / 72 * spec.dpi)
            seen.append((slot.scene, slot.panel))
        for a, b in itertools.combinations(slots, 2):
            assert not a.rect.overlaps(b.rect), (page.template, a.rect, b.rect)
            if spec.kind != "storyboard":
                check_gutter(a.rect, b.rect, spec.gutter)
    # Every panel exactly once, in story order (reading order within pages).
    assert seen == [(si, pi) for si, sc in enumerate(s.scenes) for pi in range(len(sc.panels))]


def check_gutter(a: Rect, b: Rect, gutter: float):
    """Neighbouring frames are exactly one gutter apart."""
    v_overlap = min(a.y1, b.y1) - max(a.y, b.y) > TOL
    h_overlap = min(a.x1, b.x1) - max(a.x, b.x) > TOL
    if v_overlap:
        gap = max(b.x - a.x1, a.x - b.x1)
        assert gap >= gutter - TOL
        if gap < 2 * gutter:
            assert gap == pytest.approx(gutter, abs=1e-6)
    if h_overlap:
        gap = max(b.y - a.y1, a.y - b.y1)
        assert gap >= gutter - TOL
        if gap < 2 * gutter:
            assert gap == pytest.approx(gutter, abs=1e-6)


def test_page_sizes_in_real_units():
    class P:
        reading, bleed_mm, margin_mm, gutter_mm, dpi = "ltr", 3, 12, 4, 300

    for size, (w, h) in {"us-comic": (477, 738), "manga": (128 * MM, 182 * MM), "a4": (595.276, 841.89),
                         "letter": (612, 792)}.items():
        P.size = size
        spec = page_spec(P)
        assert (spec.width, spec.height) == (pytest.approx(w, abs=0.01), pytest.approx(h, abs=0.01))
        assert spec.bleed == pytest.approx(3 * MM) and spec.margin == pytest.approx(12 * MM)
        assert spec.media.w == pytest.approx(spec.width + 6 * MM)
    P.size = (100.0, 150.0)
    spec = page_spec(P)
    assert spec.kind == "custom" and spec.width == pytest.approx(100 * MM)
    P.size = "storyboard"
    spec = page_spec(P)
    assert spec.width > spec.height and spec.bleed == 0


def test_every_template_tiles_its_live_area_exactly():
    s = story([panel()])
    spec = paginate(s).spec
    from storyboard.layout import _cell_rect

    for template in TEMPLATES:
        rects = [_cell_rect(c, spec.live, spec.gutter, False) for c in template.cells]
        area = sum(r.w * r.h for r in rects)
        for a, b in itertools.combinations(rects, 2):
            assert not a.overlaps(b), template.name
            check_gutter(a, b, spec.gutter)
        assert all(spec.live.contains(r) for r in rects)
        # Nothing but gutters is left over: the frames cover the live area minus gutter strips.
        assert area <= spec.live.w * spec.live.h
        assert area >= (spec.live.w - 2 * spec.gutter) * (spec.live.h - 2 * spec.gutter) - 1, template.name


hint = st.sampled_from(["small", "normal", "normal", "normal", "wide", "tall", "splash"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hints=st.lists(st.tuples(hint, st.booleans()), min_size=1, max_size=30),
    size=st.sampled_from(SIZES),
    reading=st.sampled_from(["ltr", "rtl"]),
    bleed=st.sampled_from([0, 3]),
    max_side=st.sampled_from([256, 768, 1024]),
)
def test_layout_invariants(hints, size, reading, bleed, max_side):
    panels = [panel(size=h, new_page=(b and i % 4 == 0)) for i, (h, b) in enumerate(hints)]
    s = story(panels, page={"size": size, "reading": reading, "bleed_mm": bleed, "gutter_mm": 4, "dpi": 150})
    book = paginate(s, max_side=max_side)
    check_book(book, s, max_side)
    slots = {(x.scene, x.panel): (page, x) for page in book.pages for x in page.slots}
    for pi, p in enumerate(s.scenes[0].panels):
        page, slot = slots[(0, pi)]
        if p.new_page:
            assert slot.order == 0
        if p.size == "splash":
            assert len(page.slots) == 1 and page.template == "splash"


def test_rtl_mirrors_positions_and_keeps_order():
    panels = [panel(size=h) for h in ["wide", "normal", "normal", "tall", "normal", "normal", "small"]]
    ltr = paginate(story(panels, page={"reading": "ltr"}))
    rtl = paginate(story(panels, page={"reading": "rtl"}))
    live = ltr.spec.live
    assert [p.template for p in ltr.pages] == [p.template for p in rtl.pages]
    mirrored_somewhere = False
    for pl, pr in zip(ltr.pages, rtl.pages):
        for a, b in zip(pl.slots, pr.slots):
            assert (a.scene, a.panel, a.order) == (b.scene, b.panel, b.order)
            assert b.rect.x == pytest.approx(live.x + live.x1 - a.rect.x1)
            assert (b.rect.y, b.rect.w, b.rect.h) == pytest.approx((a.rect.y, a.rect.w, a.rect.h))
            mirrored_somewhere |= abs(a.rect.x - b.rect.x) > 1
    assert mirrored_somewhere
    # The first panel of a two-across row sits on the right in rtl.
    two = [p for p in rtl.pages if any(s.rect.w < live.w / 2 for s in p.slots)][0]
    first, second = sorted(two.slots, key=lambda s: s.order)[:2]
    if abs(first.rect.y1 - second.rect.y1) < 1:
        assert first.rect.x > second.rect.x


def test_size_hints_get_matching_frames():
    book = paginate(story([panel(size="wide"), panel(), panel(), panel(size="tall"), panel(), panel()]))
    live = book.spec.live
    slots = list(book.slots())
    assert slots[0].rect.w == pytest.approx(live.w)
    tall = slots[3].rect
    assert tall.h == pytest.approx(live.h) or tall.w / tall.h <= 0.5


def test_pagination_avoids_lonely_panels_and_honours_breaks():
    book = paginate(story([panel() for _ in range(7)]))
    assert [len(p.slots) for p in book.pages] in ([4, 3], [3, 4])
    s = story([panel() for _ in range(5)], scenes=[2, 3], scene_new_page=(1,))
    book = paginate(s)
    assert [[(x.scene, x.panel) for x in p.slots] for p in book.pages] == [[(0, 0), (0, 1)], [(1, 0), (1, 1), (1, 2)]]
    s = story([panel(), panel(), panel(new_page=True)])
    assert [len(p.slots) for p in paginate(s).pages] == [2, 1]


def test_bleed_extends_only_edge_art():
    book = paginate(story([panel() for _ in range(4)], page={"bleed_mm": 3}))
    spec = book.spec
    for slot in book.slots():
        for side in ("left", "right", "top", "bottom"):
            edge = {"left": slot.art.x, "right": slot.art.x1, "top": slot.art.y1, "bottom": slot.art.y}[side]
            media = {"left": 0, "right": spec.media.x1, "top": spec.media.y1, "bottom": 0}[side]
            assert (side in slot.bleeds) == (edge == pytest.approx(media))
        assert len(slot.bleeds) == 2  # a 2x2 grid: each frame touches two page edges
    flat = paginate(story([panel() for _ in range(4)], page={"bleed_mm": 0}))
    assert all(s.art == s.rect and not s.bleeds for s in flat.slots())


@pytest.mark.parametrize("aspect", list(FRAME_ASPECTS))
@pytest.mark.parametrize("reading", ["ltr", "rtl"])
def test_storyboard_sheets(aspect, reading):
    s = story([panel() for _ in range(11)], page={"size": "storyboard", "frame_aspect": aspect, "reading": reading})
    book = paginate(s)
    check_book(book, s)
    grid = sheet_grid(book.spec)
    assert 4 <= grid.cols * grid.rows <= 9
    assert sum(len(p.slots) for p in book.pages) == 11
    assert len(book.pages) == math.ceil(11 / (grid.cols * grid.rows))
    numbers = [x.number for x in book.slots()]
    assert numbers == list(range(1, 12))
    for page in book.pages:
        for slot in page.slots:
            assert slot.rect.w / slot.rect.h == pytest.approx(FRAME_ASPECTS[aspect])
            assert slot.notes is not None and book.spec.live.contains(slot.notes)
            for other in page.slots:
                assert not slot.notes.overlaps(other.rect)
        first, *rest = sorted(page.slots, key=lambda x: x.order)
        if rest and abs(rest[0].rect.y1 - first.rect.y1) < 1:
            assert (rest[0].rect.x > first.rect.x) == (reading == "ltr")


@pytest.mark.parametrize("aspect", list(FRAME_ASPECTS))
@pytest.mark.parametrize("count", [3, 6, 11])
def test_sheet_rows_of_frame_and_notes_fill_the_live_area(aspect, count):
    """Frames and their notes use the sheet as a storyboard artist's sheet does: every full
    sheet (and a story that fits on one) is covered to its bottom by rows of frame + notes,
    no row left empty, nothing but gutters and the frames' own margins left over."""
    from storyboard.layout import SHEET_HEADER

    s = story([panel() for _ in range(count)], page={"size": "storyboard", "frame_aspect": aspect, "margin_mm": 10})
    book = paginate(s)
    live = book.spec.live
    room = live.w * (live.h - SHEET_HEADER)
    for page in book.pages[:1]:
        used = sum(slot.rect.w * slot.rect.h + slot.notes.w * slot.notes.h for slot in page.slots)
        lowest = min(min(slot.rect.y, slot.notes.y) for slot in page.slots)
        assert lowest == pytest.approx(live.y, abs=0.1 * (live.h - SHEET_HEADER) / 3), (aspect, page.template)
        assert used >= 0.7 * room, (aspect, page.template, used / room)


def test_the_example_sheet_reaches_the_bottom_of_its_live_area():
    from pathlib import Path

    from storyboard.script import load_story

    s = load_story(Path(__file__).resolve().parents[2] / "examples" / "storyboard-sheet.yaml")
    book = paginate(s)
    live = book.spec.live
    assert len(book.pages) == 1
    slots = book.pages[0].slots
    assert min(slot.notes.y for slot in slots) == pytest.approx(live.y, abs=0.5)
    frames = {round(slot.rect.y, 3) for slot in slots}
    assert len(frames) * len({round(slot.rect.x, 3) for slot in slots}) == len(slots)  # a full grid: no empty cell


def test_cast_boxes():
    s = story([panel(cast=[{"ana": "left"}, {"ben": [0.5, 0.1, 0.9, 0.8]}, "cy", {"dee": "far-right"}])])
    boxes = cast_boxes(s.scenes[0].panels[0])
    assert len(boxes) == 4
    assert boxes[1] == (0.5, 0.1, 0.9, 0.8)
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    assert boxes[0][0] < boxes[3][0]
    auto = cast_boxes(story([panel(cast=["ana", "ben", "cy", "dee", "eve"])]).scenes[0].panels[0])
    centres = [(b[0] + b[2]) / 2 for b in auto]
    assert centres == sorted(centres) and centres == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    for a, b in zip(auto, auto[1:]):
        assert a[2] <= b[0] + 1e-9  # spread without overlapping


def test_sheet_notes_are_ruled_for_handwriting_under_their_text():
    from pathlib import Path

    from storyboard.export import compose
    from storyboard.lettering import Shape, story_font
    from storyboard.script import load_story

    s = load_story(Path(__file__).resolve().parents[2] / "examples" / "storyboard-sheet.yaml")
    (page,) = compose(s, paginate(s), story_font(s))
    notes = [item for item in page.items if item.kind == "notes"]
    assert len(notes) == 6
    for item in notes:
        rules = [op for op in item.ops if isinstance(op, Shape) and not op.closed]
        lowest_text = min(box.y for box in item.text_boxes)
        ys = [op.points[0][1] for op in rules]
        assert len(rules) >= 3 and all(y < lowest_text for y in ys)
        assert all(item.body.x < op.points[0][0] < op.points[1][0] < item.body.x1 for op in rules)
        assert min(ys) - item.body.y < 16 + 3  # down to the box's bottom (a rule spacing and the padding)


def test_a_sheets_unused_cells_are_left_as_empty_frames_to_draw_in():
    from storyboard.export import compose
    from storyboard.lettering import story_font

    s = story([panel() for _ in range(10)], page={"size": "storyboard"})
    book = paginate(s)
    grid = sheet_grid(book.spec, 10)
    cells = grid.cols * grid.rows
    assert len(book.pages) == 2 and len(book.pages[1].slots) < cells
    for page, drawing in zip(book.pages, compose(s, book, story_font(s))):
        blanks = [item for item in drawing.items if item.kind == "blank"]
        assert len(blanks) == len(page.blanks) == cells - len(page.slots)
        for frame, notes in page.blanks:
            assert book.spec.live.contains(frame) and book.spec.live.contains(notes)
            assert frame.w == pytest.approx(page.slots[0].rect.w) and frame.h == pytest.approx(page.slots[0].rect.h)
            for slot in page.slots:
                assert not frame.overlaps(slot.rect) and not notes.overlaps(slot.notes) and not frame.overlaps(slot.notes)


def test_sheet_notes_mark_a_voice_from_outside_the_frame(tmp_path):
    """As a script marks it: MUM (O.S.), for a speaker not in the panel's cast or `off: true`."""
    from storyboard.export import compose
    from storyboard.lettering import Text, story_font
    from storyboard.script import load_story

    script = tmp_path / "s.yaml"
    script.write_text("title: T\npage: {size: storyboard}\ncharacters: {sam: {description: a boy}, mum: {description: a woman}}\n"
                      "scenes: [{panels: [{action: Sam at the fridge, cast: [sam], dialogue: [\n"
                      "  {sam: {text: Just one., kind: whisper}}, {mum: Samuel!}, {sam: {text: Coming!, off: true}}]}]}]\n")
    s = load_story(script)
    (page,) = compose(s, paginate(s), story_font(s))
    (notes,) = [item for item in page.items if item.kind == "notes"]
    lines = [op.text for op in notes.ops if isinstance(op, Text)]
    assert lines[-3:] == ["SAM (whisper): Just one.", "MUM (O.S.): Samuel!", "SAM (O.S.): Coming!"]


def test_sheet_notes_give_the_duration_the_script_gives(tmp_path):
    """`duration: 4` timed the animatic only; a board notes the shot's length beside its type."""
    from storyboard.export import compose
    from storyboard.lettering import Text, story_font
    from storyboard.script import load_story

    script = tmp_path / "s.yaml"
    script.write_text("title: T\npage: {size: storyboard}\nscenes: [{panels: [{action: a train arrives, shot: wide,"
                      " duration: 4}, {action: fog, duration: 2.5}, {action: the platform}]}]\n")
    s = load_story(script)
    (page,) = compose(s, paginate(s), story_font(s))
    headings = [[op.text for op in item.ops if isinstance(op, Text)][0] for item in page.items if item.kind == "notes"]
    assert headings == ["1. WIDE / EYE-LEVEL / 4 s", "2. MEDIUM / EYE-LEVEL / 2.5 s", "3. MEDIUM / EYE-LEVEL"]


def test_right_to_left_sheet_notes_are_set_flush_right(tmp_path):
    """A Hebrew sheet: every note ends at the notes box's right padding and the title stands at
    the right, the sheet number at the left. An English sheet keeps its notes flush left, but
    a note that reads right to left (an action written in Hebrew) flush right."""
    from storyboard.export import compose
    from storyboard.lettering import NOTE_PAD, Text, story_font
    from storyboard.script import load_story

    def sheet(language, action):
        script = tmp_path / f"{language}.yaml"
        script.write_text(f"title: T\nlanguage: {language}\npage: {{size: storyboard}}\n"
                          "characters: {sam: {name: Sam, description: a boy}}\n"
                          f"scenes: [{{panels: [{{action: '{action}', cast: [sam], dialogue: [{{sam: 'שלום, אמא!'}}]}}]}}]\n")
        s = load_story(script)
        (page,) = compose(s, paginate(s), story_font(s))
        (notes,) = [item for item in page.items if item.kind == "notes"]
        (header,) = [item for item in page.items if item.kind == "header"]
        lines = {op.text: op for op in notes.ops if isinstance(op, Text)}
        return notes, lines, [op for op in header.ops if isinstance(op, Text)]

    notes, lines, (title, number) = sheet("he", "Sam at the door")
    assert len(notes.text_boxes) == len(lines) == 4
    assert all(b.x1 == pytest.approx(notes.body.x1 - NOTE_PAD) for b in notes.text_boxes)
    assert title.x > number.x
    notes, lines, (title, number) = sheet("en", "סם ליד הדלת")
    assert lines["סם ליד הדלת"].x > notes.body.x + 20
    others = [b for b, op in zip(notes.text_boxes, lines.values()) if op.text != "סם ליד הדלת"]
    assert len(others) == 3 and all(b.x == pytest.approx(notes.body.x + NOTE_PAD) for b in others)
    assert title.x < number.x
