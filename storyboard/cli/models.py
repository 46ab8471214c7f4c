"""`storyboard models [STORY]` and `storyboard models download [STORY]`: the weights a story
needs, whether they are here, and fetching the missing ones."""

from __future__ import annotations

import json
import sys

ORDER = 50
FLAGS = ("model", "face_adapter", "drawn_adapter", "drawn_encoder", "fast_lora", "face_models")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "models",
        help="list the model weights a story needs (or `models download` to fetch them)",
        description="List every model weight the diffusion engine needs for STORY (or, without "
        "one, for the defaults): role, reference, present or missing (with its local path), size, "
        "licence and the exact download command. A story the draft engine renders needs none, and "
        "the listing says so. `storyboard models download [STORY]` fetches "
        "the missing hub models (resumable; honours HF_HOME, HF_HUB_CACHE and HF_HUB_OFFLINE). "
        "Exit status: 0 when everything is present, 1 when something is missing.",
    )
    p.add_argument("args", nargs="*", metavar="[download] STORY", help="`download` to fetch, then the story script")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of the table")
    p.add_argument("--engine", choices=["draft", "diffusion"],
                   help="the engine to list for (default: the script's generation.engine, else diffusion)")
    for name in FLAGS:
        p.add_argument(f"--{name.replace('_', '-')}", help=f"override the script's generation.{name}")
    p.add_argument("--no-fast", dest="fast", action="store_false", default=None, help="full-step sampling: no fast LoRA")
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard import models
    from storyboard.errors import StoryboardError
    from storyboard.script import load_story

    rest = list(args.args)
    fetch = bool(rest) and rest[0] == "download"
    if fetch:
        rest.pop(0)
    if len(rest) > 1:
        raise StoryboardError(f"give at most one story script, got {len(rest)}")
    story = load_story(rest[0]) if rest else None
    overrides = {name: getattr(args, name) for name in (*FLAGS, "fast")}
    engine = args.engine or (story.generation.engine if story is not None else None) or "diffusion"
    if engine == "draft":  # as render: the draft engine sketches without any model
        chosen = "--engine draft" if args.engine else "its generation.engine"
        given = ["--no-fast" if name == "fast" else f"--{name.replace('_', '-')}"
                 for name, value in overrides.items() if value is not None]
        if given:
            raise StoryboardError(f"{', '.join(given)} would not be used: the draft engine needs no model weights; "
                                  "add --engine diffusion to list what a diffusion render needs")
        if args.json:
            print("[]")
        else:
            if rest:
                print(f"{rest[0]} renders with the draft engine ({chosen}), which needs no model weights; "
                      f"`storyboard models --engine diffusion {rest[0]}` lists what a diffusion render of it needs")
            else:
                print("the draft engine needs no model weights; `storyboard models` without --engine lists "
                      "what a diffusion render needs")
        return 0
    found = models.needs(story, overrides)
    if fetch:
        models.download(found, say=lambda line: print(line, file=sys.stderr))
        found = models.needs(story, overrides)
    if args.json:
        print(json.dumps([n.as_dict() for n in found], indent=2))
    else:
        _table(found, _download_command(args, rest))
    return 0 if all(n.present for n in found) else 1


def _download_command(args, rest: list[str]) -> str:
    """`storyboard models download` with this listing's story and flags: the bare command
    fetches the defaults (every role, ~7 GB), not what this story needs, and a draft story
    needs `--engine diffusion` to fetch anything."""
    import shlex

    words = ["storyboard", "models", "download", *rest]  # the story first: argparse takes no positional after a flag
    if args.engine:
        words += ["--engine", args.engine]
    for name in FLAGS:
        if getattr(args, name) is not None:
            words += [f"--{name.replace('_', '-')}", getattr(args, name)]
    if args.fast is False:
        words.append("--no-fast")
    return shlex.join(words)


def _table(found, download: str) -> None:
    for n in found:
        state = f"present  {n.path}" if n.present else "MISSING"
        print(f"{n.role}: {n.ref}  [{n.chosen_by}]")
        print(f"    {state}")
        print(f"    size {n.size}; licence: {n.licence}")
        if n.download:
            print(f"    get it: {n.download}")
    missing = sum(not n.present for n in found)
    print(f"{len(found)} model{'s' if len(found) != 1 else ''}, {missing} missing"
          + (f"; fetch the hub ones with `{download}`" if missing else ""))
