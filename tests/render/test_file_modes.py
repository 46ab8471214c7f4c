"""What a render writes gets the modes any new file or folder gets under the user's umask
(temporary files are made 0600 and private folders 0700, then given the usual mode)."""

from __future__ import annotations

import os
import stat

import storyboard
from tests.render.test_crash import long_story


def test_outputs_and_cache_entries_follow_the_umask(tmp_path):
    script = long_story(tmp_path / "story.yaml", panels=2, dpi=36)
    old = os.umask(0o027)
    try:
        storyboard.render(script, engine="draft", cache=tmp_path / "cache",
                          out=[tmp_path / "book.pdf", tmp_path / "pages", (tmp_path / "strip.webtoon", "webtoon")])
    finally:
        os.umask(old)

    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(tmp_path / "book.pdf") == 0o640
    assert mode(tmp_path / "pages") == mode(tmp_path / "strip.webtoon") == 0o750
    assert {mode(p) for p in (tmp_path / "pages").iterdir()} == {0o640}
    entries = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert entries and {mode(p) for p in entries} == {0o640}
