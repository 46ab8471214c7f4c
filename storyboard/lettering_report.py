"""The lettering report: what was lettered where, in the frame anyone can check against the PDF.

`lettering_report(story, book, font)` gives, per panel, the fields the manifest carries:
`page` (1-based), `rect_pt` (the panel's art rectangle), `frame_pt` (its border), `live_pt`
(the page's live area), `allowed_pt` (where its lettering may go: the frame broken out into
gutters and margin, see `lettering.lettering_area`), `cast` ([{id, body_pt, head_pt, face_pt, head_source}]), `lettering`
([{kind, speaker, text, font_pt, body_pt, text_pt, tail, order}]) and `warnings`. Every `*_pt`
box is [x0, y0, x1, y1] in points with the origin at the top-left corner of the PDF page's
MediaBox and y growing downward (the frame `pdftotext -bbox` reports words in); `tail` is a
list of [x, y] points in that frame from the balloon's edge to the tip. `order` is the reading
order of the item on its page, 0-based. `head_source` is `detected` where a face detector found the
figure's face in generated art (storyboard.face_detection), else `staged`. `check(report)` evaluates the hard rules of LETTERING.md on such a report.
"""

from __future__ import annotations

from typing import Any

from storyboard._lettering import geometry
from storyboard._lettering.placement import HEAD_COVER, TIP_REACH, reads_after
from storyboard.layout import Book, Rect
from storyboard.lettering import Font, letter_panel_full, lettering_area

BALLOONS = ("speech", "thought", "whisper", "shout")
READ = ("caption", "narration", *BALLOONS)  # what is read in order (SFX are part of the art)
TOL = 0.25  # points: rounding of the report


def lettering_report(story: Any, book: Book, font: Font, labels: bool = False) -> dict[tuple[int, int], dict]:
    """The report of every panel, keyed by (scene index, panel index). Storyboard sheets
    letter into notes boxes: their panels report the cast and no lettering. `labels`: the
    pages carry draft labels, which the lettering keeps clear of."""
    height = book.spec.media.h
    live = _box(book.spec.live, height)
    out: dict[tuple[int, int], dict] = {}
    for page in book.pages:
        order = 0
        for slot in sorted(page.slots, key=lambda s: s.order):
            panel = story.scenes[slot.scene].panels[slot.panel]
            result = letter_panel_full(story, panel, slot, book.spec, font, labels)
            rect = slot.rect

            def local(b):  # panel-frame points (u right, v down) -> report frame
                return [round(rect.x + b[0], 2), round(height - rect.y1 + b[1], 2),
                        round(rect.x + b[2], 2), round(height - rect.y1 + b[3], 2)]

            cast = [{"id": fig.id, "body_pt": local(where["body"]), "head_pt": local(where["head"]),
                     "face_pt": local(where["face"]) if where["face"] is not None else None,
                     "head_source": where.get("source", "staged")} for fig, where in result.staged]
            items = []
            read = [i for i in result.items if i.kind in READ]
            for item in read + [i for i in result.items if i.kind not in READ]:
                items.append({
                    "kind": item.kind,
                    "speaker": item.speaker or None,
                    "text": item.text,
                    "font_pt": round(item.size, 3),
                    "body_pt": _box(item.body, height),
                    "text_pt": _box(_union(item.text_boxes), height) if item.text_boxes else None,
                    "tail": [[round(x, 2), round(height - y, 2)] for x, y in item.tail],
                    "order": order,
                })
                order += 1
            out[(slot.scene, slot.panel)] = {
                "page": page.number,
                "rect_pt": _box(slot.art, height),
                "frame_pt": _box(rect, height),
                "live_pt": live,
                "allowed_pt": _box(lettering_area(slot, book.spec), height),
                "cast": cast,
                "lettering": items if slot.notes is None else [],
                "warnings": list(result.warnings) if slot.notes is None else [],
            }
    return out


def _box(r: Rect, height: float) -> list[float]:
    return [round(r.x, 2), round(height - r.y1, 2), round(r.x1, 2), round(height - r.y, 2)]


def _union(rects) -> Rect:
    x0 = min(r.x for r in rects)
    y0 = min(r.y for r in rects)
    x1 = max(r.x1 for r in rects)
    y1 = max(r.y1 for r in rects)
    return Rect(x0, y0, x1 - x0, y1 - y0)


# ------------------------------------------------------------------------------ checking


def check(panels: list[dict], *, rtl: bool = False) -> list[str]:
    """Every hard-rule violation in a report (a manifest's `panels`), located
    'page P, panel N: ...' (N counts the page's panels from 1 in reading order)."""
    return [message for _, message in _violations(panels, rtl)]


def located_violations(story: Any, report: dict[tuple[int, int], dict]) -> list[str]:
    """`check`'s violations of a render's report, each also located in the script as
    `located_warnings` locates warnings ('FILE:LINE:COL: scenes[S].panels[P]: page P, panel N: ...')."""
    where = {id(record): key for key, record in report.items()}
    found = _violations(list(report.values()), story.page.reading == "rtl")
    locate = _locator(story, bool(found))
    return [f"{locate(*where[id(record)])}: {message}" for record, message in found]


def _violations(panels: list[dict], rtl: bool) -> list[tuple[dict, str]]:
    """(panel record, 'page P, panel N: message') for each violation, in page order."""
    problems = []
    by_page: dict[int, list[dict]] = {}
    for record in panels:
        if "lettering" in record:
            by_page.setdefault(record["page"], []).append(record)
    for page, records in sorted(by_page.items()):
        records.sort(key=lambda r: min((i["order"] for i in r["lettering"]), default=0))
        for number, record in enumerate(records, 1):
            problems += [(record, f"page {page}, panel {number}: {msg}") for msg in _check_panel(record, rtl)]
            # Broken out of its frame, lettering still never runs into another panel.
            for other_number, other in enumerate(records, 1):
                if other is record:
                    continue
                frame = geometry.grow(tuple(other["frame_pt"]), -TOL)
                for item in record["lettering"]:
                    if geometry.overlaps(tuple(item["body_pt"]), frame):
                        problems.append((record, f"page {page}, panel {number}: {_name(item, items=record['lettering'])} runs into panel {other_number}"))
    return problems


def _check_panel(record: dict, rtl: bool) -> list[str]:
    items = record["lettering"]
    cast = {c["id"]: c for c in record["cast"]}
    frame = tuple(record["frame_pt"])
    panel_area = geometry.area(frame)
    out = []

    def name(item):
        return _name(item, items=items)

    # Lettering may break the frame into gutters and margin, never past them (older reports:
    # the live area).
    allowed = tuple(record.get("allowed_pt") or record["live_pt"])
    for item in items:
        body = tuple(item["body_pt"])
        if not geometry.inside(body, allowed, TOL):
            out.append(f"{name(item)} leaves the area lettering may use (the frame, gutters and margin)")
        if item["tail"] and not all(geometry.inside((x, y, x, y), allowed, TOL) for x, y in item["tail"]):
            out.append(f"tail of {name(item)} leaves the area lettering may use (the frame, gutters and margin)")
        if item["kind"] in BALLOONS and item["font_pt"] < 6.5 - 1e-6:
            out.append(f"{name(item)} is lettered at {item['font_pt']:g} pt, under 6.5 pt")
        if item["kind"] != "sfx" and item["text_pt"] and not geometry.inside(tuple(item["text_pt"]), body, 0.5):
            out.append(f"the text of {name(item)} runs out of its balloon")
        for c in record["cast"]:
            if c["face_pt"] and geometry.overlaps(body, tuple(c["face_pt"]), TOL):
                out.append(f"{name(item)} covers {c['id']}'s face")
    for c in record["cast"]:
        head = tuple(c["head_pt"])
        if geometry.area(head) >= 0.5 * panel_area or geometry.area(head) <= 0:
            continue
        covered = sum(geometry.overlap_area(tuple(i["body_pt"]), head) for i in items if i["kind"] != "sfx")
        if covered > HEAD_COVER * geometry.area(head) + 1.0:
            out.append(f"lettering covers {100 * covered / geometry.area(head):.0f} % of {c['id']}'s head (at most 10 %)")
    for k, a in enumerate(items):
        for b in items[k + 1:]:
            if geometry.overlaps(tuple(a["body_pt"]), tuple(b["body_pt"]), TOL):
                out.append(" overlaps ".join(_names(a, b, items)))
        if len(a["tail"]) < 2:
            continue
        for b in items:
            if b is a:
                continue
            if geometry.polyline_hits(a["tail"], geometry.grow(tuple(b["body_pt"]), -TOL)):
                out.append("tail of " + " crosses ".join(_names(a, b, items)))
            elif b["tail"] and len(b["tail"]) > 1 and geometry.polylines_cross(a["tail"], b["tail"]):
                out.append("tail of " + " crosses the tail of ".join(_names(a, b, items)))
        speaker = cast.get(a["speaker"])
        if speaker is not None and a["tail"][-1][0] > frame[0] + TOL and a["tail"][-1][0] < frame[2] - TOL:
            tip = tuple(a["tail"][-1])
            own = geometry.point_distance(tip, tuple(speaker["head_pt"]))
            if own > TIP_REACH + TOL:
                out.append(f"tail of {name(a)} ends {own / 72 * 25.4:.1f} mm from {a['speaker']}'s head (at most 3 mm)")
            for c in record["cast"]:
                if c["id"] != a["speaker"] and geometry.point_distance(tip, tuple(c["head_pt"])) < own - TOL:
                    out.append(f"tail of {name(a)} ends nearer {c['id']}'s head than {a['speaker']}'s")
    read = [i for i in items if i["kind"] in READ]
    for k in range(1, len(read)):
        # After every one before it, not only the last (three in a row can read 2, 3, 1 with
        # each after the one before), named once: the one before it if it fails that one.
        cur = read[k]
        late = [prev for prev in [read[k - 1], *read[:k - 1]]
                if not reads_after(_grown(cur["body_pt"]), tuple(prev["body_pt"]), rtl)]
        if late:
            out.append(" does not read after ".join(_names(cur, late[0], items)))
    spoken = [i for i in read if i["speaker"] in cast]
    for k, a in enumerate(spoken):
        for b in spoken[k + 1:]:
            if a["speaker"] == b["speaker"]:
                continue
            ha, hb = _centre_x(cast[a["speaker"]]["head_pt"]), _centre_x(cast[b["speaker"]]["head_pt"])
            if abs(ha - hb) < 1.0:
                continue
            ca, cb = _centre_x(a["body_pt"]), _centre_x(b["body_pt"])
            if (ca - cb) * (1 if ha > hb else -1) < -2.0 - TOL:
                out.append(" and ".join(_names(a, b, items)) + " are in the wrong left-to-right order for their speakers")
    return out


QUOTE = 48  # characters of a lettered line quoted in a message (its first words)


def _name(item, limit: int = QUOTE, items: list[dict] | None = None) -> str:
    """"mara's speech 'Not tonight!'"; where another of the panel's `items` has the same text
    (a long speech split where it repeats itself), quoting cannot tell them apart: its place
    follows, "(the panel's 2nd balloon)"."""
    who = f"{item['speaker']}'s " if item["speaker"] else ""
    name = f"{who}{item['kind']} {_quote(item['text'], limit)}"
    if items is not None and any(i is not item and _same_text(i, item) for i in items):
        name += f" ({_place(item, items)})"
    return name


def _same_text(a, b) -> bool:
    return " ".join(a["text"].split()) == " ".join(b["text"].split())


def _names(a, b, items: list[dict]) -> tuple[str, str]:
    """The names of two of a panel's `items`, their lines quoted far enough to tell them apart
    (two balloons of one long speech start alike); the same text is quoted at the usual length."""
    limit = QUOTE
    while True:
        first, second = _name(a, limit, items), _name(b, limit, items)
        if first != second or _same_text(a, b) or limit >= max(len(a["text"]), len(b["text"])):
            return first, second
        limit *= 2


def _place(item: dict, items: list[dict]) -> str:
    """"the panel's 2nd balloon" (or caption, narration, sfx): `item` counted among the items
    of its kind in `items`, in reading order (speech, thought, whisper and shout are balloons)."""
    def noun(i):
        return "balloon" if i["kind"] in BALLOONS else i["kind"]

    number = next(k for k, i in enumerate((i for i in items if noun(i) == noun(item)), 1) if i is item)
    return f"the panel's {_ordinal(number)} {noun(item)}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _grown(box) -> tuple[float, float, float, float]:
    return (box[0] - TOL, box[1] + TOL, box[2] + TOL, box[3] + TOL)


def _centre_x(box) -> float:
    return (box[0] + box[2]) / 2


def _quote(text: str, limit: int = QUOTE) -> str:
    """`text` on one line, quoted; past `limit` characters cut between words, with '…'."""
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[:cut if cut > limit // 2 else limit - 1].rstrip() + "…"
    return repr(text)


def located_warnings(story: Any, report: dict[tuple[int, int], dict]) -> list[str]:
    """Each panel warning as 'FILE:LINE:COL: scenes[S].panels[P]: message' (the panel's place
    in the script; without a script file, just the path)."""
    locate = _locator(story, any(r["warnings"] for r in report.values()))
    return [f"{locate(s, p)}: {message}" for (s, p), record in sorted(report.items()) for message in record["warnings"]]


def _locator(story: Any, needed: bool):
    """(scene, panel) -> 'FILE:LINE:COL: scenes[S].panels[P]'; the script is read only when
    `needed`, and without it (no file, or changed since) the path alone names the panel."""
    from storyboard import _yaml

    root = None
    path = getattr(story, "path", None)
    if path is not None and needed:
        try:
            root = _yaml.parse(path.read_text(encoding="utf-8")).root
        except (OSError, UnicodeDecodeError, _yaml.YamlProblem):
            root = None  # changed or gone since it was loaded: the path alone still names the panel

    def locate(s: int, p: int) -> str:
        where = f"scenes[{s}].panels[{p}]"
        if root is None:
            return where
        node, _ = _yaml.locate(root, ("scenes", s, "panels", p))
        mark = (node or root).start_mark
        return f"{path}:{mark.line + 1}:{mark.column + 1}: {where}"

    return locate
