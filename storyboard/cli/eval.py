"""`storyboard eval OUTPUT|STORY.yaml`: per-panel identity similarity, count match and
copy-paste degree, as JSON and an HTML report."""

from __future__ import annotations

import argparse

import json
import sys
from pathlib import Path

ORDER = 55


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eval",
        help="measure how consistently each character is drawn (CIDS, OCCM, copy-paste)",
        description="Measure identity consistency of a rendered output (PDF, CBZ or PNG page "
        "folder, with its manifest) or of a story (.yaml, rendered first): per panel and "
        "character the identity similarity to the references (primary judges: dlib's face "
        "descriptor; a perceptual hash for drawn characters; second judges when their weights are "
        "here: InsightFace ArcFace, a CLIP image encoder, flagged biased when they conditioned the "
        "render), the character count match and the copy-paste degree. Writes OUTPUT.eval.json "
        "and OUTPUT.eval.html. Exit status: 0 when the report was made, 1 with --min-identity "
        "when a panel falls below it, 2 on errors.",
    )
    p.add_argument("target", help="a rendered output or a story script")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    p.add_argument("--html", metavar="PATH", help="where to write the HTML report (default: TARGET.eval.html)")
    p.add_argument("--min-identity", type=_similarity, metavar="X",
                   help="exit 1 when a panel's mean similarity (primary judges; -1 to 1) is below X")
    p.add_argument("--face-models", metavar="PACK|DIR",
                   help="InsightFace model pack of the ArcFace judge (default: $STORYBOARD_FACE_MODELS, "
                   "the script's generation.face_models, buffalo_l); a pack is used only when it is installed, "
                   "a folder that is not there, or a file, is an error; "
                   "'none' turns the ArcFace judge off")
    p.add_argument("--clip-encoder", metavar="DIR|HUB_ID",
                   help="CLIP image encoder of the drawn-character judge: a folder or a hub id already "
                   "downloaded (default: openai/clip-vit-large-patch14 or -base-patch32 when cached, "
                   "else the render's own encoder, reported biased); 'none' turns the CLIP judge off "
                   "(on a CPU a ViT-H encoder costs seconds per character per panel)")
    p.set_defaults(func=run)


def _similarity(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not -1 <= value <= 1:  # nan too
        raise argparse.ArgumentTypeError(f"expected a similarity from -1 to 1, got {text!r}")
    return value


def run(args) -> int:
    from storyboard.evaluation import evaluate, write_json
    from storyboard.evaluation.html import write_html
    from storyboard.errors import StoryboardError
    from storyboard.render import beside, check_writable

    target = Path(args.target)
    # `--html story.pdf` replaced the output it measured with the report, `--html s.yaml` the script
    if args.html and Path(args.html).suffix.lower() not in (".html", ".htm"):
        raise StoryboardError(f"--html {args.html}: the report is a web page: name it {Path(args.html).with_suffix('.html')}")
    data = beside(target, ".eval.json", "the report")  # (`eval .`: ../NAME.eval.json, as a manifest is named)
    html = Path(args.html) if args.html else beside(target, ".eval.html", "the report")
    for path in (data, html):  # before measuring, and before either is written
        check_writable(path)
    thumbnails: dict = {}
    report = evaluate(target, thumbnails=thumbnails, face_models=args.face_models, clip_encoder=args.clip_encoder)
    write_json(report, data)
    write_html(report, html, title=data.name.removesuffix(".eval.json"), thumbnails=thumbnails)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        from storyboard._words import counted

        s = report.story
        fmt = lambda v, d=3: "n/a" if v is None else f"{v:.{d}f}"  # noqa: E731
        print(f"{counted(s['panels'], 'panel')}: CIDS {fmt(s['cids'])}, OCCM {fmt(s['occm'], 1)}, copy-paste {fmt(s['copy_paste'])}; "
              f"report {html}")
        for name, mean in s["judges"].items():
            print(f"  {name}: mean similarity {fmt(mean)}")
        for note in report.notes:
            print(f"note: {note}", file=sys.stderr)
    if args.min_identity is not None:
        low = [p for p in report.panels if p.identity is not None and p.identity < args.min_identity]
        for p in low:
            print(f"page {p.page}, {p.scene} panel {p.panel + 1}: identity {p.identity:.3f} < {args.min_identity}", file=sys.stderr)
        return 1 if low else 0
    return 0
