"""`storyboard cache info|clear`: inspect or empty the panel cache."""

from __future__ import annotations

ORDER = 60


def register(sub) -> None:
    p = sub.add_parser("cache", help="show or clear the panel cache")
    p.add_argument("action", choices=["info", "clear"])
    p.add_argument("--cache", metavar="DIR", help="cache folder (default: STORYBOARD_CACHE or per-user cache)")
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard.cache import PanelCache

    cache = PanelCache(args.cache)
    if args.action == "clear":
        removed = cache.clear()
        print(f"removed {removed} panel{'' if removed == 1 else 's'} from {cache.root}")
        return 0
    info = cache.info()
    print(f"{info.root}: {info.entries} panel{'' if info.entries == 1 else 's'}, {info.bytes / 1e6:.1f} MB")
    return 0
