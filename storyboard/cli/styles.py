"""`storyboard styles`: list the shipped style presets."""

from __future__ import annotations

ORDER = 40


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "styles",
        help="list the style presets a script can name in style.preset",
        description="List the style presets a script can name in `style.preset`.",
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="also show each preset's prompt and negative text"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard.styles import PRESETS

    width = max(len(name) for name in PRESETS)
    for preset in PRESETS.values():
        print(f"{preset.name:<{width}}  {preset.description}")
        if args.verbose:
            print(f"{'':<{width}}  prompt:   {preset.prompt}")
            print(f"{'':<{width}}  negative: {preset.negative}")
    return 0
