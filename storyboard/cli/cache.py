"""`storyboard cache info|clear`: inspect or empty the panel cache."""

from __future__ import annotations

ORDER = 60


def register(sub) -> None:
    p = sub.add_parser("cache", help="show or clear the panel cache")
    p.add_argument("action", choices=["info", "clear"])
    p.add_argument("--cache", metavar="DIR", help="cache folder (default: STORYBOARD_CACHE or per-user cache)")
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard.cache import PanelCache, default_root
    from storyboard.errors import StoryboardError
    from storyboard.remote_cache import is_url

    if is_url(args.cache):  # a shared store is listed and emptied with its own tools
        raise StoryboardError(f"storyboard cache {args.action} works on a local cache folder, not {args.cache}; "
                              f"this machine's copies of its entries are under {default_root() / 'remote'}")
    cache = PanelCache(args.cache)
    if args.action == "clear":
        removed = cache.clear()
        print(f"removed {removed} panel{'' if removed == 1 else 's'} from {cache.root}")
        return 0
    info = cache.info()
    print(f"{info.root}: {info.entries} panel{'' if info.entries == 1 else 's'}, {info.bytes / 1e6:.1f} MB")
    return 0
