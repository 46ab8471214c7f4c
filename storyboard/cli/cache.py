"""`storyboard cache info|clear`: inspect or empty the panel cache (a folder or an fsspec URL)."""

from __future__ import annotations

ORDER = 60


def register(sub) -> None:
    p = sub.add_parser("cache", help="show or clear the panel cache")
    p.add_argument("action", choices=["info", "clear"])
    p.add_argument("--cache", metavar="DIR|URL",
                   help="cache folder or fsspec URL (default: STORYBOARD_CACHE or per-user cache)")
    p.set_defaults(func=run)


def run(args) -> int:
    from storyboard._words import counted
    from storyboard.cache import PanelCache, setting
    from storyboard.remote_cache import RemotePanelCache, is_url

    where = setting(args.cache)  # STORYBOARD_CACHE may be a URL too
    remote = is_url(where)
    cache = RemotePanelCache(where) if remote else PanelCache(where)
    if args.action == "clear":
        removed = cache.clear()
        print(f"removed {counted(removed, 'panel')} from {cache.url if remote else cache.root}")
        if remote:  # this machine's copies of that cache's entries go too
            print(f"removed {counted(cache.clear_front(), 'local copy', 'local copies')} from {cache.local.root}")
        return 0
    info = cache.info()
    # A folder nothing was rendered into yet is an empty cache, but say so: a mistyped path
    # would otherwise look like a cache that was cleared.
    missing = not remote and not cache.root.exists()
    print(f"{info.root}: {counted(info.entries, 'panel')}, {info.bytes / 1e6:.1f} MB"
          + (" (no such folder yet: a render with this cache creates it)" if missing else ""))
    return 0
