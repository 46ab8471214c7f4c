"""`storyboard characters add|list|show|remove`: the registered character library."""

from __future__ import annotations

import argparse
import sys

ORDER = 40

LICENCE = (
    "face kind: InsightFace's code is MIT, but its model packs (buffalo_l...) are for "
    "non-commercial research only; --face-models takes any folder of compatible ONNX models"
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "characters",
        help="register characters from reference images",
        description="Manage the library of registered characters.",
    )
    library = argparse.ArgumentParser(add_help=False)
    library.add_argument(
        "--library", metavar="DIR", help="library folder (default: $STORYBOARD_LIBRARY, else a per-user folder)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add", parents=[library], help="register a character", description="Register a character.", epilog=LICENCE
    )
    add.add_argument("id", help="character id: lower-case letters, digits, '-' and '_'")
    add.add_argument("images", nargs="+", metavar="IMAGE", help="reference images (JPEG, PNG, WebP)")
    add.add_argument("--name", default="", help="display name (default: the id)")
    add.add_argument("--description", default="", help="what the character looks like, for prompts")
    add.add_argument(
        "--kind",
        choices=("face", "drawn", "auto"),
        default="auto",
        help="face: real people (InsightFace ArcFace); drawn: cartoon, animal, object (CLIP image "
        "embedding); auto: faces first, else drawn (default)",
    )
    add.add_argument(
        "--face-models",
        metavar="NAME_OR_DIR",
        help="InsightFace model pack name or folder of ONNX models "
        "(default: $STORYBOARD_FACE_MODELS, else buffalo_l)",
    )
    add.add_argument(
        "--drawn-encoder",
        metavar="REF",
        help="CLIP image encoder: local folder or hub id[/subfolder] (default: h94/IP-Adapter/models/image_encoder)",
    )
    add.set_defaults(func=_add)

    listing = actions.add_parser("list", parents=[library], help="list registered characters")
    listing.set_defaults(func=_list)

    show = actions.add_parser("show", parents=[library], help="show one character")
    show.add_argument("id")
    show.set_defaults(func=_show)

    remove = actions.add_parser("remove", parents=[library], help="remove a character")
    remove.add_argument("id")
    remove.set_defaults(func=_remove)


def _library(args):
    from characters import CharacterLibrary

    return CharacterLibrary(args.library)


def _add(args) -> int:
    character = _library(args).register(
        args.id,
        args.images,
        name=args.name,
        description=args.description,
        kind=args.kind,
        face_models=args.face_models,
        drawn_encoder=args.drawn_encoder,
    )
    count = len(character.references)
    print(
        f"registered '{character.id}' ({character.kind}, {count} reference{'s' if count != 1 else ''}, "
        f"{character.embedder}) in {character.folder}"
    )
    return 0


def _list(args) -> int:
    characters, problems = _library(args).scan()
    for problem in problems:  # one line each; the intact characters are still listed
        print(f"error: {problem}", file=sys.stderr)
    if not characters:
        print(f"no characters in {_library(args).root}")
        return 2 if problems else 0
    rows = [("ID", "NAME", "KIND", "REFERENCES", "EMBEDDER")] + [
        (c.id, c.name, c.kind, str(len(c.references)), str(c.embedder)) for c in characters
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 2 if problems else 0


def _show(args) -> int:
    c = _library(args).get(args.id)
    print(f"id:          {c.id}")
    print(f"name:        {c.name}")
    print(f"description: {c.description}")
    kind = c.kind if c.requested_kind == c.kind else f"{c.kind} (asked for {c.requested_kind})"
    print(f"kind:        {kind}")
    print(f"embedder:    {c.embedder.name} {c.embedder.model} (version {c.embedder.version[:12]})")
    print(f"created:     {c.created}")
    print(f"folder:      {c.folder}")
    print("references:")
    for ref in c.references:
        print(f"  {ref.file}  sha256:{ref.sha256[:12]}  from {ref.source}")
    return 0


def _remove(args) -> int:
    _library(args).remove(args.id)
    print(f"removed '{args.id}'")
    return 0
