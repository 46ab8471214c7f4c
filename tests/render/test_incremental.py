"""Incremental rendering: only panels whose pixels change are generated again."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import storyboard
from storyboard.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def script(tmp_path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "story")
    return tmp_path / "story" / "lighthouse.yaml"


def render(script: Path, tmp_path: Path, **kw):
    return storyboard.render(script, engine="draft", out=tmp_path / "out.pdf", cache=tmp_path / "cache", **kw)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def pdf_text(path: Path) -> str:
    """The PDF's words in reading order, one space between them (balloon line breaks are layout)."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_second_render_generates_nothing(script, tmp_path):
    first = render(script, tmp_path)
    assert first.panels_generated == first.panels_total == 7 and first.panels_cached == 0
    second = render(script, tmp_path)
    assert second.panels_generated == 0 and second.panels_cached == 7
    assert second.seeds == first.seeds


def test_changed_action_regenerates_one_panel(script, tmp_path):
    render(script, tmp_path)
    edit(script, "the keeper grabs Mara's arm", "the keeper drops his lantern")
    result = render(script, tmp_path)
    assert result.panels_generated == 1
    assert [(r.scene, r.panel) for r in result.panels if r.status == "generated"] == [(0, 2)]


def test_changed_dialogue_reuses_every_panel_and_changes_the_text(script, tmp_path):
    render(script, tmp_path)
    edit(script, "Someone has to keep the light burning.", "The light must never go out.")
    result = render(script, tmp_path)
    assert result.panels_generated == 0
    text = pdf_text(tmp_path / "out.pdf")
    assert "never go out" in text and "keep the light burning" not in text


def test_changed_description_regenerates_exactly_the_panels_casting_that_character(script, tmp_path):
    story = storyboard.load_story(script)
    casting = {(s, p) for s, p, _, panel in story.panels() if "mara" in panel.cast_ids}
    render(script, tmp_path)
    edit(script, "short black hair, yellow raincoat", "long red hair, green coat")
    result = render(script, tmp_path)
    assert {(r.scene, r.panel) for r in result.panels if r.status == "generated"} == casting
    assert result.panels_generated == len(casting) == 2


def test_manifest_and_json_summary(script, tmp_path, capsys):
    out = tmp_path / "book.pdf"
    code = main(["render", str(script), "--engine", "draft", "-o", str(out), "--cache", str(tmp_path / "c"), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["outputs"] == [str(out)] and summary["panels_total"] == 7
    assert summary["panels_generated"] == 7 and summary["panels_cached"] == 0 and summary["pages"] >= 2
    manifest = json.loads((tmp_path / "book.pdf.manifest.json").read_text())
    assert manifest["engine"]["name"] == "draft" and manifest["script_hash"].startswith("sha256:")
    assert [p["status"] for p in manifest["panels"]] == ["generated"] * 7
    assert {"scene", "panel", "key", "seed", "seconds"} <= set(manifest["panels"][0])


def test_no_cache_generates_every_time(script, tmp_path):
    for _ in range(2):
        result = storyboard.render(script, engine="draft", out=tmp_path / "o.pdf", cache=False)
        assert result.panels_generated == 7


def test_damaged_cache_entry_is_a_miss(script, tmp_path):
    render(script, tmp_path)
    victim = next((tmp_path / "cache").glob("??/*.drawing"))  # the draft engine stores vector drawings
    victim.write_bytes(victim.read_bytes()[:-20])
    result = render(script, tmp_path)
    assert result.panels_generated == 1


def test_cache_cli(tmp_path, script, capsys):
    render(script, tmp_path)
    assert main(["cache", "info", "--cache", str(tmp_path / "cache")]) == 0
    assert ": 7 panels," in capsys.readouterr().out
    assert main(["cache", "clear", "--cache", str(tmp_path / "cache")]) == 0
    assert "removed 7 panels" in capsys.readouterr().out
    assert not list((tmp_path / "cache").glob("??/*.*"))


@pytest.mark.parametrize("look", ["get", "has"])
def test_a_stored_panel_is_read_a_wrong_size_left_and_a_damaged_one_removed(tmp_path, look):
    from PIL import Image

    from storyboard.cache import PanelCache

    cache, key = PanelCache(tmp_path / "cache"), "ab" + "0" * 62
    cache.put(key, Image.new("RGB", (40, 30), (200, 10, 10)))
    found = getattr(cache, look)(key, (40, 30))
    assert found is True if look == "has" else found.getpixel((5, 5)) == (200, 10, 10)
    assert not getattr(cache, look)(key, (30, 40)) and cache._png(key).exists()  # another size: a miss, kept
    data = cache._png(key).read_bytes()
    cache._png(key).write_bytes(data[:-30] + bytes(30))  # the last chunks damaged
    assert not getattr(cache, look)(key, (40, 30)) and not cache._png(key).exists()
